// SPDX-License-Identifier: GPL-2.0
/*
 * PSCI SYSTEM_SUSPEND and KVM_CAP_ARM_SYSTEM_SUSPEND: NOT_SUPPORTED (and
 * not in PSCI_FEATURES) until userspace enables the capability, then a
 * KVM_EXIT_SYSTEM_EVENT of type SUSPEND with the vCPU left as it was
 * (x0 the function ID, x1/x2 the arguments, PC past the call; for the
 * 32-bit call the arguments' low halves), also while another vCPU is on
 * (userspace does PSCI's checks, api.rst, and may answer DENIED), not
 * offered to a PSCI 0.2 VM. Userspace then
 * carries the suspend out with KVM_MP_STATE_SUSPENDED: KVM_RUN waits,
 * an interrupt line ends the wait with a WAKEUP event (the vCPU stays
 * suspended until made runnable), and the guest resumes where userspace
 * puts it.
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#define PSCI_FN_SYSTEM_SUSPEND		0x8400000e
#define PSCI_FN64_SYSTEM_SUSPEND	0xc400000e

#define CONTEXT_ID	0x5151c0de0badf00dULL

/*
 * Call server: function ID, x1, x2 and the conduit (0 HVC, 1 SMC) from
 * the MMIO window, the call, x0 back. susp_entry: where the guest is
 * resumed after the suspend; it reports x0 and serves calls again.
 */
GUEST_CODE(susp,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"1:	ldr	x0, [x20, #0x00]\n"
	"	ldr	x1, [x20, #0x08]\n"
	"	ldr	x2, [x20, #0x10]\n"
	"	ldr	x3, [x20, #0x18]\n"
	"	cbnz	x3, 2f\n"
	"	.globl	susp_hvc\n"
	"susp_hvc:\n"
	"	hvc	#0\n"
	"	b	3f\n"
	"	.globl	susp_smc\n"
	"susp_smc:\n"
	"2:	smc	#0\n"
	"3:	str	x0, [x20, #0x28]\n"
	"	b	1b\n"
	"	.globl	susp_entry\n"
	"susp_entry:\n"
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	str	x0, [x20, #0x40]\n"
	"	b	1b\n");

extern const unsigned char susp_hvc[], susp_smc[], susp_entry[];

#define GPA(sym)	(VMM_RAM_BASE + (uint64_t)((sym) - susp_start))

#define HVC	0
#define SMC	1

static struct vmm_vcpu vcpu, vcpu1;

/*
 * Make the guest call fn; true with *ret if it returned, false if the
 * vCPU exited otherwise (vcpu.last_rc tells how).
 */
static bool call(int conduit, uint64_t fn, uint64_t a1, uint64_t a2,
		 int64_t *ret)
{
	uint64_t in[4] = { fn, a1, a2, conduit }, out;
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (!vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 8 * i, 8, false,
				     &in[i]))
			return false;
	if (!vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x28, 8, true, &out))
		return false;
	*ret = (int64_t)out;
	return true;
}

static void check_call(int conduit, uint64_t fn, uint64_t a1, int64_t want,
		       const char *name)
{
	int64_t r = 0x7777;
	bool ok = call(conduit, fn, a1, 0, &r);

	tap_check(ok && r == want, name, "%s x0 = %lld, expected %lld",
		  ok ? "returned" : vmm_describe_exit(&vcpu), (long long)r,
		  (long long)want);
}

static bool is_suspend_exit(void)
{
	return vcpu.last_rc == KVM_EXIT_SYSTEM_EVENT &&
	       vcpu.run->system_event.type == KVM_SYSTEM_EVENT_SUSPEND;
}

static int new_vm(struct vmm_vm *vm, uint64_t psci_version)
{
	int rc = vmm_simple_vm(vm, &vcpu, susp_start, GUEST_SIZE(susp),
			       1U << KVM_ARM_VCPU_PSCI_0_2);

	if (!rc && psci_version)
		rc = vmm_set_reg(&vcpu, KVM_REG_ARM_PSCI_VERSION,
				 &psci_version);
	return rc;
}

static int set_mp_state(struct vmm_vcpu *v, uint32_t state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	return ioctl(v->fd, KVM_SET_MP_STATE, &mp);
}

static uint32_t get_mp_state(struct vmm_vcpu *v)
{
	struct kvm_mp_state mp = { .mp_state = ~0U };

	if (ioctl(v->fd, KVM_GET_MP_STATE, &mp))
		return ~0U;
	return mp.mp_state;
}

/* The vCPU is suspended: KVM_RUN must wait until the IRQ line rises. */
static void suspended_wait_and_wake(struct vmm_vm *vm)
{
	struct vmm_bg_run bg;
	int waited, rc;

	vmm_bg_run_start(&bg, &vcpu);
	usleep(200000);
	waited = !vmm_bg_run_done(&bg);
	tap_check(waited, "a suspended vCPU waits in KVM_RUN", "KVM_RUN: %s",
		  vmm_describe_exit(&vcpu));
	TAP_EQ(vmm_cpu_irq_line(vm, 0, KVM_ARM_IRQ_CPU_IRQ, 1), 0, "KVM_IRQ_LINE raises the IRQ line");
	if (!vmm_bg_run_wait(&bg, 5000, false))
		vmm_bg_run_wait(&bg, 5000, true);
	rc = vmm_bg_run_join(&bg);
	tap_check(waited && rc == KVM_EXIT_SYSTEM_EVENT &&
		  vcpu.run->system_event.type == KVM_SYSTEM_EVENT_WAKEUP,
		  "... and the interrupt ends it: SYSTEM_EVENT WAKEUP", "%s",
		  vmm_describe_exit(&vcpu));
}

static void suspend_and_resume(struct vmm_vm *vm)
{
	uint64_t x0 = 0, x1 = 0, x2 = 0, pc = 0, v = 0;
	int64_t r = 0;

	if (call(HVC, PSCI_FN64_SYSTEM_SUSPEND, GPA(susp_entry), CONTEXT_ID,
		 &r))
		tap_diag("SYSTEM_SUSPEND returned %lld", (long long)r);
	tap_check(is_suspend_exit(), "SYSTEM_SUSPEND64: SYSTEM_EVENT SUSPEND",
		  "%s", vmm_describe_exit(&vcpu));
	vmm_get64(&vcpu, VMM_REG_X(0), &x0);
	vmm_get64(&vcpu, VMM_REG_X(1), &x1);
	vmm_get64(&vcpu, VMM_REG_X(2), &x2);
	vmm_get64(&vcpu, VMM_REG_PC, &pc);
	tap_check(x0 == PSCI_FN64_SYSTEM_SUSPEND && x1 == GPA(susp_entry) &&
		  x2 == CONTEXT_ID, "... with x0..x2 left as the guest set them",
		  "x0 %#llx x1 %#llx x2 %#llx", (unsigned long long)x0,
		  (unsigned long long)x1, (unsigned long long)x2);
	TAP_EQ(pc, GPA(susp_hvc) + 4, "... and PC past the HVC");
	tap_check(get_mp_state(&vcpu) == KVM_MP_STATE_RUNNABLE,
		  "... the vCPU still runnable", "state %u",
		  get_mp_state(&vcpu));

	/* Userspace honours it with KVM_MP_STATE_SUSPENDED. */
	TAP_EQ(set_mp_state(&vcpu, KVM_MP_STATE_SUSPENDED), 0,
	       "KVM_SET_MP_STATE SUSPENDED");
	TAP_EQ(get_mp_state(&vcpu), KVM_MP_STATE_SUSPENDED,
	       "KVM_GET_MP_STATE: SUSPENDED");
	suspended_wait_and_wake(vm);
	TAP_EQ(get_mp_state(&vcpu), KVM_MP_STATE_SUSPENDED,
	       "after WAKEUP the vCPU is still SUSPENDED");
	vmm_run(&vcpu);
	tap_check(vcpu.last_rc == KVM_EXIT_SYSTEM_EVENT &&
		  vcpu.run->system_event.type == KVM_SYSTEM_EVENT_WAKEUP,
		  "KVM_RUN again with the line still up: WAKEUP again", "%s",
		  vmm_describe_exit(&vcpu));

	/* Resume at the entry point with the context ID (DEN0022 5.19). */
	vmm_cpu_irq_line(vm, 0, KVM_ARM_IRQ_CPU_IRQ, 0);
	TAP_EQ(set_mp_state(&vcpu, KVM_MP_STATE_RUNNABLE), 0,
	       "KVM_SET_MP_STATE RUNNABLE");
	vmm_set64(&vcpu, VMM_REG_PC, x1);
	vmm_set64(&vcpu, VMM_REG_X(0), x2);
	tap_check(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x40, 8, true, &v) &&
		  v == CONTEXT_ID, "the guest resumes at the entry point",
		  "%s, x0 %#llx", vmm_describe_exit(&vcpu),
		  (unsigned long long)v);
}

int main(void)
{
	struct vmm_vm vm;
	int64_t r = 0;
	int rc;

	tap_init();
	rc = vmm_sys_check_cap(KVM_CAP_ARM_SYSTEM_SUSPEND);
	if (rc <= 0) {
		tap_skip("KVM_CAP_ARM_SYSTEM_SUSPEND", "not offered");
		return tap_done();
	}

	rc = new_vm(&vm, 0);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	TAP_EQ(vmm_check_cap(&vm, KVM_CAP_ARM_SYSTEM_SUSPEND), 1,
	       "KVM_CHECK_EXTENSION(ARM_SYSTEM_SUSPEND) on the VM: 1");

	/* Not enabled: not there. */
	check_call(HVC, PSCI_FN_FEATURES, PSCI_FN_SYSTEM_SUSPEND,
		   SMCCC_RET_NOT_SUPPORTED,
		   "not enabled: PSCI_FEATURES(SYSTEM_SUSPEND) = NOT_SUPPORTED");
	check_call(HVC, PSCI_FN_FEATURES, PSCI_FN64_SYSTEM_SUSPEND,
		   SMCCC_RET_NOT_SUPPORTED,
		   "not enabled: PSCI_FEATURES(SYSTEM_SUSPEND64) = NOT_SUPPORTED");
	check_call(HVC, PSCI_FN64_SYSTEM_SUSPEND, GPA(susp_entry),
		   SMCCC_RET_NOT_SUPPORTED,
		   "not enabled: SYSTEM_SUSPEND64 = NOT_SUPPORTED");

	/* Enabled (also after the guest ran). */
	TAP_EQ(vmm_enable_cap(&vm, KVM_CAP_ARM_SYSTEM_SUSPEND, 0), 0,
	       "KVM_ENABLE_CAP(ARM_SYSTEM_SUSPEND)");
	check_call(HVC, PSCI_FN_FEATURES, PSCI_FN_SYSTEM_SUSPEND, 0,
		   "PSCI_FEATURES(SYSTEM_SUSPEND) = 0");
	check_call(HVC, PSCI_FN_FEATURES, PSCI_FN64_SYSTEM_SUSPEND, 0,
		   "PSCI_FEATURES(SYSTEM_SUSPEND64) = 0");
	suspend_and_resume(&vm);

	/* The 32-bit call by SMC exits the same way, with 32-bit arguments. */
	if (call(SMC, PSCI_FN_SYSTEM_SUSPEND,
		 0xffffffff00000000ULL | GPA(susp_entry),
		 0x1234567800000042ULL, &r))
		tap_diag("SYSTEM_SUSPEND returned %lld", (long long)r);
	tap_check(is_suspend_exit(), "SYSTEM_SUSPEND32 by SMC: SUSPEND exit",
		  "%s", vmm_describe_exit(&vcpu));
	{
		uint64_t pc = 0, x1 = 0, x2 = 0;

		vmm_get64(&vcpu, VMM_REG_PC, &pc);
		TAP_EQ(pc, GPA(susp_smc) + 4, "... with PC past the SMC");
		vmm_get64(&vcpu, VMM_REG_X(1), &x1);
		vmm_get64(&vcpu, VMM_REG_X(2), &x2);
		tap_check(x1 == GPA(susp_entry) && x2 == 0x42,
			  "... and x1/x2 cut to their 32-bit values",
			  "x1 %#llx x2 %#llx", (unsigned long long)x1,
			  (unsigned long long)x2);
	}
	/* Userspace denies it instead: the guest gets what it is told. */
	vmm_set64(&vcpu, VMM_REG_X(0), (uint64_t)PSCI_RET_DENIED);
	tap_check(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x28, 8, true,
				  (uint64_t *)&r) && r == PSCI_RET_DENIED,
		  "denied by userspace: the guest continues after the call",
		  "%s", vmm_describe_exit(&vcpu));

	/*
	 * Another vCPU on: still the exit; that PSCI wants the others off
	 * is for userspace to check.
	 */
	rc = vmm_simple_vcpu(&vm, &vcpu1, 1, 1U << KVM_ARM_VCPU_PSCI_0_2,
			     VMM_RAM_BASE);
	TAP_REQUIRE(!rc, "second vCPU (on, never run)", "%s", strerror(-rc));
	if (call(HVC, PSCI_FN64_SYSTEM_SUSPEND, GPA(susp_entry), 0, &r))
		tap_diag("SYSTEM_SUSPEND returned %lld", (long long)r);
	tap_check(is_suspend_exit(), "another vCPU on: SUSPEND exit too",
		  "%s", vmm_describe_exit(&vcpu));
	TAP_EQ(get_mp_state(&vcpu1), KVM_MP_STATE_RUNNABLE,
	       "... the other vCPU left as it was");
	vmm_vcpu_destroy(&vcpu1);
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);

	/* PSCI 0.2 has no SYSTEM_SUSPEND, enabled or not. */
	rc = new_vm(&vm, 2);
	TAP_REQUIRE(!rc, "PSCI 0.2 VM", "%s", strerror(-rc));
	TAP_EQ(vmm_enable_cap(&vm, KVM_CAP_ARM_SYSTEM_SUSPEND, 0), 0,
	       "PSCI 0.2 VM: KVM_ENABLE_CAP(ARM_SYSTEM_SUSPEND)");
	check_call(HVC, PSCI_FN64_SYSTEM_SUSPEND, GPA(susp_entry),
		   SMCCC_RET_NOT_SUPPORTED,
		   "PSCI 0.2 VM: SYSTEM_SUSPEND64 = NOT_SUPPORTED");
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
