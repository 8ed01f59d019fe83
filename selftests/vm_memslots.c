// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_USER_MEMORY_REGION: create, move, delete, read-only slots and
 * bad arguments, each checked by what a guest then sees.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest_peekpoke.h"

#define MMIO_ANSWER	0x0badc0ffee0ddf00ULL

static struct vmm_vcpu vcpu;

static bool feed(uint64_t cmd, uint64_t addr, uint64_t val)
{
	return vmm_expect_mmio(&vcpu, PP_CMD, 8, false, &cmd) &&
	       vmm_expect_mmio(&vcpu, PP_ADDR, 8, false, &addr) &&
	       vmm_expect_mmio(&vcpu, PP_VAL, 8, false, &val);
}

/*
 * The guest loads 8 bytes at gpa.  Returns 0 if it read memory (value in
 * *val), 1 if the load exited as an MMIO read at gpa (answered with
 * MMIO_ANSWER, which then lands in *val), -1 on anything else.
 */
static int guest_read(uint64_t gpa, uint64_t *val)
{
	bool mmio = false;

	if (!feed(0, gpa, 0))
		return -1;
	vmm_run(&vcpu);
	if (vmm_is_mmio(&vcpu, gpa, 8, false)) {
		mmio = true;
		vmm_mmio_reply(&vcpu, MMIO_ANSWER);
		vmm_run(&vcpu);
	}
	if (!vmm_is_mmio(&vcpu, PP_RESULT, 8, true)) {
		tap_diag("guest_read(%#llx): %s", (unsigned long long)gpa,
			 vmm_describe_exit(&vcpu));
		return -1;
	}
	*val = vmm_mmio_data(&vcpu);
	return mmio;
}

/*
 * The guest stores val (8 bytes) at gpa.  Returns 0 if no exit resulted,
 * 1 if it exited as an MMIO write of val at gpa, -1 on anything else.
 */
static int guest_write(uint64_t gpa, uint64_t val)
{
	bool mmio = false;

	if (!feed(1, gpa, val))
		return -1;
	vmm_run(&vcpu);
	if (vmm_is_mmio(&vcpu, gpa, 8, true)) {
		mmio = vmm_mmio_data(&vcpu) == val;
		if (!mmio)
			tap_diag("MMIO write data %#llx, expected %#llx",
				 (unsigned long long)vmm_mmio_data(&vcpu),
				 (unsigned long long)val);
		vmm_run(&vcpu);
	}
	if (!vmm_is_mmio(&vcpu, PP_DONE, 8, true)) {
		tap_diag("guest_write(%#llx): %s", (unsigned long long)gpa,
			 vmm_describe_exit(&vcpu));
		return -1;
	}
	return mmio;
}

#define A	0x50000000UL	/* slot 1 */
#define B	0x60000000UL	/* where slot 1 moves */
#define R	0x70000000UL	/* read-only slot 3 */
#define C	0x80000000UL	/* slot 4, over unmapped host memory */
#define SZ	0x10000UL

int main(void)
{
	struct vmm_vm vm;
	uint64_t *mem, *ro, val;
	void *hole;
	long nslots;
	int rc;

	tap_init();

	rc = vmm_simple_vm(&vm, &vcpu, peekpoke_start, GUEST_SIZE(peekpoke),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	nslots = vmm_check_cap(&vm, KVM_CAP_NR_MEMSLOTS);
	mem = mmap(NULL, 2 * SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, SZ, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TAP_REQUIRE(mem != MAP_FAILED && ro != MAP_FAILED &&
		    hole != MAP_FAILED, "mmap", "%s", strerror(errno));
	munmap(hole, SZ);
	mem[0] = 0x1122334455667788ULL;

	/* Create */
	rc = vmm_set_region(&vm, 1, 0, A, SZ, mem);
	TAP_REQUIRE(!rc, "create slot 1", "%s", strerror(-rc));
	rc = guest_read(A, &val);
	tap_check(rc == 0 && val == mem[0], "guest reads slot memory",
		  "rc %d val %#llx", rc, (unsigned long long)val);
	rc = guest_write(A + 8, 0xfeedfacecafebeefULL);
	tap_check(rc == 0 && mem[1] == 0xfeedfacecafebeefULL,
		  "guest write lands in host memory", "rc %d mem %#llx", rc,
		  (unsigned long long)mem[1]);
	mem[0] = 0xa5a5a5a5a5a5a5a5ULL;
	rc = guest_read(A, &val);
	tap_check(rc == 0 && val == mem[0], "guest sees a later host write",
		  "rc %d val %#llx", rc, (unsigned long long)val);

	/* Bad arguments */
	rc = vmm_set_region(&vm, 2, 0, A + SZ / 2, SZ, mem);
	TAP_NEG(rc, EEXIST, "slot overlapping the end of another: EEXIST");
	rc = vmm_set_region(&vm, 2, 0, A - SZ / 2, SZ, mem);
	TAP_NEG(rc, EEXIST, "slot overlapping the start of another: EEXIST");
	rc = vmm_set_region(&vm, 2, 0, A - SZ / 2, 2 * SZ, mem);
	TAP_NEG(rc, EEXIST, "slot containing another: EEXIST");
	rc = vmm_set_region(&vm, 2, 0, VMM_RAM_BASE + 0x1000, SZ, mem);
	TAP_NEG(rc, EEXIST, "slot inside another: EEXIST");
	rc = vmm_set_region(&vm, 2, 0, B + 0x800, SZ, mem);
	TAP_NEG(rc, EINVAL, "misaligned guest_phys_addr: EINVAL");
	rc = vmm_set_region(&vm, 2, 0, B, SZ + 0x800, mem);
	TAP_NEG(rc, EINVAL, "misaligned memory_size: EINVAL");
	rc = vmm_set_region(&vm, 2, 0, B, SZ, (char *)mem + 0x10);
	TAP_NEG(rc, EINVAL, "misaligned userspace_addr: EINVAL");
	rc = vmm_set_region(&vm, nslots, 0, B, SZ, mem);
	TAP_NEG(rc, EINVAL, "slot id NR_MEMSLOTS: EINVAL");
	rc = vmm_set_region(&vm, (1U << 16) | 2, 0, B, SZ, mem);
	TAP_NEG(rc, EINVAL, "address space 1: EINVAL");
	rc = vmm_set_region(&vm, 2, 1U << 31, B, SZ, mem);
	TAP_NEG(rc, EINVAL, "unknown flag bit 31: EINVAL");
	rc = vmm_set_region(&vm, 2, 0, B, SZ, (void *)(1UL << 60));
	TAP_NEG(rc, EINVAL, "userspace_addr outside user space: EINVAL");
	rc = vmm_set_region(&vm, 1, 0, A, 2 * SZ, mem);
	TAP_NEG(rc, EINVAL, "resizing a slot: EINVAL");
	rc = vmm_set_region(&vm, 1, KVM_MEM_READONLY, A, SZ, mem);
	TAP_NEG(rc, EINVAL, "making a slot read-only in place: EINVAL");
	rc = vmm_set_region(&vm, 1, 0, B, SZ, (char *)mem + SZ);
	TAP_NEG(rc, EINVAL, "moving a slot to other host memory: EINVAL");
	rc = vmm_set_region(&vm, 1, 0, VMM_RAM_BASE, SZ, mem);
	TAP_NEG(rc, EEXIST, "moving a slot onto another: EEXIST");
	rc = vmm_set_region(&vm, 5, 0, B, 0, mem);
	TAP_NEG(rc, EINVAL, "deleting a slot that does not exist: EINVAL");
	rc = guest_read(A, &val);
	tap_check(rc == 0 && val == mem[0], "failed calls left slot 1 alone",
		  "rc %d val %#llx", rc, (unsigned long long)val);

	/* Move */
	rc = vmm_set_region(&vm, 1, 0, B, SZ, mem);
	tap_check(!rc, "move slot 1", "%s", strerror(-rc));
	rc = guest_read(B + 8, &val);
	tap_check(rc == 0 && val == mem[1], "guest reads the moved slot",
		  "rc %d val %#llx", rc, (unsigned long long)val);
	rc = guest_read(A, &val);
	tap_check(rc == 1 && val == MMIO_ANSWER,
		  "old address of a moved slot is MMIO", "rc %d", rc);

	/* Delete */
	rc = vmm_set_region(&vm, 1, 0, B, 0, mem);
	tap_check(!rc, "delete slot 1", "%s", strerror(-rc));
	rc = guest_read(B, &val);
	tap_check(rc == 1 && val == MMIO_ANSWER, "deleted slot reads are MMIO",
		  "rc %d", rc);
	rc = guest_write(B + 8, 0x77);
	tap_check(rc == 1 && mem[1] == 0xfeedfacecafebeefULL,
		  "deleted slot writes are MMIO, memory untouched", "rc %d",
		  rc);
	rc = vmm_set_region(&vm, 1, 0, B, 0, mem);
	TAP_NEG(rc, EINVAL, "deleting it again: EINVAL");
	rc = vmm_set_region(&vm, 1, 0, A, SZ, mem);
	tap_check(!rc, "recreate slot 1", "%s", strerror(-rc));
	rc = guest_read(A + 8, &val);
	tap_check(rc == 0 && val == 0xfeedfacecafebeefULL,
		  "recreated slot shows the same memory", "rc %d val %#llx",
		  rc, (unsigned long long)val);
	rc = vmm_set_region(&vm, 2, 0, B, SZ, mem + SZ / 8);
	tap_check(!rc, "a slot where the deleted one was", "%s", strerror(-rc));

	/* Read-only */
	ro[0] = 0x0123456789abcdefULL;
	rc = vmm_set_region(&vm, 3, KVM_MEM_READONLY, R, SZ, ro);
	TAP_REQUIRE(!rc, "create read-only slot 3", "%s", strerror(-rc));
	rc = guest_read(R, &val);
	tap_check(rc == 0 && val == ro[0], "guest reads a read-only slot",
		  "rc %d val %#llx", rc, (unsigned long long)val);
	rc = guest_write(R, 0x4242424242424242ULL);
	tap_check(rc == 1, "guest write to a read-only slot is an MMIO write",
		  "rc %d", rc);
	tap_check(ro[0] == 0x0123456789abcdefULL,
		  "read-only slot memory is unchanged", "%#llx",
		  (unsigned long long)ro[0]);
	rc = guest_read(R, &val);
	tap_check(rc == 0 && val == 0x0123456789abcdefULL,
		  "guest still reads the read-only data", "rc %d val %#llx", rc,
		  (unsigned long long)val);
	rc = vmm_set_region(&vm, 3, 0, R, SZ, ro);
	TAP_NEG(rc, EINVAL, "making a read-only slot writable in place: EINVAL");
	rc = vmm_set_region(&vm, 3, KVM_MEM_READONLY, R + SZ, SZ, ro);
	tap_check(!rc, "move the read-only slot", "%s", strerror(-rc));
	rc = guest_write(R + SZ + 8, 0x99);
	tap_check(rc == 1 && ro[1] == 0, "moved read-only slot stays read-only",
		  "rc %d", rc);

	/*
	 * A slot over host addresses with nothing mapped: creating it works
	 * (only the range is checked), the guest touching it fails KVM_RUN
	 * with EFAULT, and deleting the slot turns the access into MMIO.
	 */
	rc = vmm_set_region(&vm, 4, 0, C, SZ, hole);
	tap_check(!rc, "slot over unmapped host memory can be created", "%s",
		  strerror(-rc));
	if (feed(0, C, 0)) {
		rc = vmm_run(&vcpu);
		TAP_NEG(rc, EFAULT, "guest access to it: KVM_RUN fails with EFAULT");
		rc = vmm_run(&vcpu);
		TAP_NEG(rc, EFAULT, "and again when retried");
		vmm_set_region(&vm, 4, 0, C, 0, hole);
		rc = vmm_run(&vcpu);
		tap_check(vmm_is_mmio(&vcpu, C, 8, false),
			  "after deleting that slot the access is MMIO", "%s",
			  vmm_describe_exit(&vcpu));
	}

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
