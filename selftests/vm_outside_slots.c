// SPDX-License-Identifier: GPL-2.0
/*
 * Guest accesses outside all memslots never reach host memory: loads and
 * stores there are MMIO exits, even right next to a slot whose host
 * memory has neighbours; accesses without a valid syndrome, instruction
 * fetches and addresses beyond the VM's IPA size fail in defined ways
 * (ENOSYS / KVM_EXIT_ARM_NISV, aborts injected into the guest).
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

enum { OP_LOAD, OP_STORE, OP_LDP, OP_JUMP };

/*
 * Probe server: op and address come from MMIO reads; LOAD reports the
 * value loaded, STORE stores a constant and reports done, LDP loads a
 * pair (no instruction syndrome), JUMP branches to the address.  A
 * synchronous exception reports ESR_EL1 and FAR_EL1, then serves again.
 */
GUEST_CODE(probe,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	adr	x1, vectors\n"
	"	msr	vbar_el1, x1\n"
	"	isb\n"
	"serve:\n"
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	ldr	x1, [x20, #0x00]\n"
	"	ldr	x2, [x20, #0x08]\n"
	"	cmp	x1, #1\n"
	"	b.eq	1f\n"
	"	cmp	x1, #2\n"
	"	b.eq	2f\n"
	"	cmp	x1, #3\n"
	"	b.eq	3f\n"
	"	ldr	x4, [x2]\n"
	"	str	x4, [x20, #0x18]\n"
	"	b	serve\n"
	"1:	mov64	x4, 0x5a5a5a5a5a5a5a5a\n"
	"	str	x4, [x2]\n"
	"	str	xzr, [x20, #0x20]\n"
	"	b	serve\n"
	"2:	ldp	x4, x5, [x2]\n"
	"	str	x4, [x20, #0x18]\n"
	"	b	serve\n"
	"3:	br	x2\n"
	"	.balign	2048\n"
	"vectors:\n"
	"	.org	vectors + 0x200\n"	/* synchronous, EL1 with SP_EL1 */
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mrs	x1, esr_el1\n"
	"	str	x1, [x20, #0x40]\n"
	"	mrs	x1, far_el1\n"
	"	str	x1, [x20, #0x48]\n"
	"	b	serve\n"
	"	.org	vectors + 0x800\n");

#define SLOT_GPA	0x50000000UL
#define SZ		0x10000UL
#define ANSWER		0x00a11ce5a11ce500ULL

static struct vmm_vcpu vcpu;

static bool feed(uint64_t op, uint64_t addr)
{
	return vmm_expect_mmio(&vcpu, VMM_MMIO_BASE, 8, false, &op) &&
	       vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 8, 8, false, &addr);
}

/* 1: MMIO read at gpa answered, value came back; 0: read memory; -1: else */
static int probe_load(uint64_t gpa, uint64_t *val)
{
	int mmio = 0;

	if (!feed(OP_LOAD, gpa))
		return -1;
	vmm_run(&vcpu);
	if (vmm_is_mmio(&vcpu, gpa, 8, false)) {
		mmio = 1;
		vmm_mmio_reply(&vcpu, ANSWER);
		vmm_run(&vcpu);
	}
	if (!vmm_is_mmio(&vcpu, VMM_MMIO_BASE + 0x18, 8, true))
		return -1;
	*val = vmm_mmio_data(&vcpu);
	return mmio;
}

static void check_mmio_load(uint64_t gpa, const char *name)
{
	uint64_t v = 0;
	int rc = probe_load(gpa, &v);

	tap_check(rc == 1 && v == ANSWER, name, "rc %d value %#llx (%s)", rc,
		  (unsigned long long)v, vmm_describe_exit(&vcpu));
}

/* The guest took a synchronous exception: its ESR and FAR. */
static bool guest_fault(uint64_t *esr, uint64_t *far)
{
	return vmm_is_mmio(&vcpu, VMM_MMIO_BASE + 0x40, 8, true) &&
	       (*esr = vmm_mmio_data(&vcpu), true) &&
	       vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x48, 8, true, far);
}

int main(void)
{
	uint64_t *host, v, esr = 0, far = 0, pc;
	struct vmm_vm vm;
	int rc, i;

	tap_init();

	/* A 32-bit IPA space; RAM for the code; a slot with neighbours. */
	rc = vmm_vm_create(&vm, KVM_VM_TYPE_ARM_IPA_SIZE(32));
	TAP_REQUIRE(!rc, "VM with a 32-bit IPA space", "%s", strerror(-rc));
	if (!vmm_mem_add(&vm, 0, VMM_RAM_BASE, VMM_RAM_SIZE, 0) ||
	    vmm_load(&vm, VMM_RAM_BASE, probe_start, GUEST_SIZE(probe)) ||
	    vmm_simple_vcpu(&vm, &vcpu, 0, 1U << KVM_ARM_VCPU_PSCI_0_2,
			    VMM_RAM_BASE))
		TAP_REQUIRE(0, "guest set up", "%s", strerror(errno));
	host = mmap(NULL, 3 * SZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TAP_REQUIRE(host != MAP_FAILED, "mmap", "%s", strerror(errno));
	for (i = 0; i < (int)(SZ / 8); i++) {
		host[i] = 0xbef0bef0bef0bef0ULL;
		host[SZ / 8 + i] = 0x1111111111111111ULL;
		host[2 * SZ / 8 + i] = 0xaf7eaf7eaf7eaf7eULL;
	}
	rc = vmm_set_region(&vm, 1, 0, SLOT_GPA, SZ, host + SZ / 8);
	TAP_REQUIRE(!rc, "slot over the middle of three host blocks", "%s",
		    strerror(-rc));

	rc = probe_load(SLOT_GPA + SZ - 8, &v);
	tap_check(rc == 0 && v == 0x1111111111111111ULL,
		  "last word of the slot is its memory", "rc %d value %#llx",
		  rc, (unsigned long long)v);
	check_mmio_load(SLOT_GPA + SZ, "first word after the slot is MMIO");
	check_mmio_load(SLOT_GPA - 8, "last word before the slot is MMIO");
	check_mmio_load(VMM_RAM_BASE + VMM_RAM_SIZE,
			"first word after guest RAM is MMIO");
	check_mmio_load(0, "IPA 0 is MMIO");
	check_mmio_load(0xfffffff8UL, "top of the 32-bit IPA space is MMIO");

	/* A store outside memory does not create memory there. */
	tap_check(feed(OP_STORE, SLOT_GPA + SZ) &&
		  (vmm_run(&vcpu), vmm_is_mmio(&vcpu, SLOT_GPA + SZ, 8, true)) &&
		  vmm_mmio_data(&vcpu) == 0x5a5a5a5a5a5a5a5aULL &&
		  vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x20, 8, true, &v),
		  "store after the slot is an MMIO write", "%s",
		  vmm_describe_exit(&vcpu));
	check_mmio_load(SLOT_GPA + SZ, "... and reading it back is MMIO again");
	tap_check(host[2 * SZ / 8] == 0xaf7eaf7eaf7eaf7eULL &&
		  host[SZ / 8 - 1] == 0xbef0bef0bef0bef0ULL,
		  "host memory around the slot untouched", NULL);

	/* Beyond the IPA size: the guest gets an abort, nothing exits. */
	if (feed(OP_LOAD, 1UL << 32)) {
		vmm_run(&vcpu);
		tap_check(guest_fault(&esr, &far) && (esr >> 26) == 0x25,
			  "load beyond the 32-bit IPA space: guest data abort",
			  "%s (ESR %#llx)", vmm_describe_exit(&vcpu),
			  (unsigned long long)esr);
		tap_diag("ESR %#llx FAR %#llx", (unsigned long long)esr,
			 (unsigned long long)far);
		TAP_EQ(far, 1UL << 32, "... reporting the address");
	}

	/* No syndrome (LDP): ENOSYS, or KVM_EXIT_ARM_NISV if enabled. */
	if (feed(OP_LDP, SLOT_GPA + SZ)) {
		rc = vmm_run(&vcpu);
		TAP_NEG(rc, ENOSYS, "LDP outside memslots (no syndrome): ENOSYS");
		vmm_get64(&vcpu, VMM_REG_PC, &pc);
		rc = vmm_run(&vcpu);
		TAP_NEG(rc, ENOSYS, "... again when re-run (PC not advanced)");
	}
	if (vmm_check_cap(&vm, KVM_CAP_ARM_NISV_TO_USER) > 0) {
		rc = vmm_enable_cap(&vm, KVM_CAP_ARM_NISV_TO_USER, 0);
		TAP_EQ(rc, 0, "enable KVM_CAP_ARM_NISV_TO_USER");
		rc = vmm_run(&vcpu);
		tap_check(rc == KVM_EXIT_ARM_NISV &&
			  vcpu.run->arm_nisv.fault_ipa == SLOT_GPA + SZ,
			  "... then KVM_EXIT_ARM_NISV with the fault IPA", "%s",
			  vmm_describe_exit(&vcpu));
		tap_check(!(vcpu.run->arm_nisv.esr_iss & (1 << 24)) &&
			  (vcpu.run->arm_nisv.esr_iss & (1 << 6)) == 0,
			  "... esr_iss: ISV clear, a read", "esr_iss %#llx",
			  (unsigned long long)vcpu.run->arm_nisv.esr_iss);
		/* The VMM emulates it: skip the LDP. */
		vmm_set64(&vcpu, VMM_REG_PC, pc + 4);
		v = 0;
		tap_check(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x18, 8, true,
					  &v), "the guest resumes after the VMM skips it",
			  "%s", vmm_describe_exit(&vcpu));
	} else {
		tap_skip("KVM_EXIT_ARM_NISV", "no KVM_CAP_ARM_NISV_TO_USER");
		vmm_set64(&vcpu, VMM_REG_PC, pc + 4);
		vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x18, 8, true, &v);
	}

	/*
	 * Instruction fetch outside memslots: the in-kernel KVM injects an
	 * instruction abort (external abort) into the guest, no exit.
	 */
	if (feed(OP_JUMP, 0x20000000UL)) {
		vmm_run(&vcpu);
		tap_check(guest_fault(&esr, &far) && (esr >> 26) == 0x21,
			  "instruction fetch outside memslots: guest instruction abort",
			  "%s (ESR %#llx)", vmm_describe_exit(&vcpu),
			  (unsigned long long)esr);
		tap_diag("ESR %#llx FAR %#llx", (unsigned long long)esr,
			 (unsigned long long)far);
		TAP_EQ(esr & 0x3f, 0x10, "... a synchronous external abort");
		TAP_EQ(far, 0x20000000UL, "... reporting the address");
	}
	/* The VMM can recover the vCPU by pointing it back at RAM. */
	vmm_set64(&vcpu, VMM_REG_PC, VMM_RAM_BASE);
	check_mmio_load(SLOT_GPA + SZ, "the vCPU runs again from RAM");

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	munmap(host, 3 * SZ);
	return tap_done();
}
