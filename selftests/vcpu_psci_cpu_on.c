// SPDX-License-Identifier: GPL-2.0
/*
 * Two vCPUs, each in its own thread: vCPU1 starts powered off, vCPU0
 * brings it up with PSCI CPU_ON; vCPU1 starts at the entry point with the
 * context id in x0; AFFINITY_INFO follows its state; CPU_OFF stops it.
 * Then, as KVM does it: a CPU_ON target's registers show the entry point
 * and context ID to userspace at once, before it ever runs, and any entry
 * point is taken (a misaligned one is the guest's problem).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#define CONTEXT_ID	0x0c0ffee0deadbeefULL

GUEST_CODE(smp,
	/* vCPU0 */
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	ldr	x19, [x20, #0x00]\n"		/* target MPIDR */
	"	mov64	x0, " GUEST_STR(PSCI_FN64_AFFINITY_INFO) "\n"
	"	mov	x1, x19\n"
	"	mov	x2, #0\n"
	"	hvc	#0\n"
	"	str	x0, [x20, #0x08]\n"
	"	mov64	x0, " GUEST_STR(PSCI_FN64_CPU_ON) "\n"
	"	mov64	x1, 0xfe00\n"			/* no such CPU */
	"	adr	x2, secondary\n"
	"	mov	x3, #0\n"
	"	hvc	#0\n"
	"	str	x0, [x20, #0x10]\n"
	"	mov64	x0, " GUEST_STR(PSCI_FN64_CPU_ON) "\n"
	"	mov	x1, x19\n"
	"	adr	x2, secondary\n"
	"	mov64	x3, " GUEST_STR(CONTEXT_ID) "\n"
	"	hvc	#0\n"
	"	str	x0, [x20, #0x18]\n"
	"	mov64	x0, " GUEST_STR(PSCI_FN64_CPU_ON) "\n"
	"	mov	x1, x19\n"
	"	adr	x2, secondary\n"
	"	mov	x3, #0\n"
	"	hvc	#0\n"
	"	str	x0, [x20, #0x20]\n"
	"1:	mov64	x0, " GUEST_STR(PSCI_FN64_AFFINITY_INFO) "\n"
	"	mov	x1, x19\n"
	"	mov	x2, #0\n"
	"	hvc	#0\n"
	"	str	x0, [x20, #0x28]\n"
	"	ldr	x4, [x20, #0x30]\n"
	"	cbz	x4, 1b\n"
	"	str	xzr, [x20, #0x38]\n"
	"	b	.\n"
	/* vCPU1, from CPU_ON */
	"secondary:\n"
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	str	x0, [x20, #0x100]\n"
	"	mrs	x1, mpidr_el1\n"
	"	str	x1, [x20, #0x108]\n"
	"	mrs	x1, daif\n"
	"	str	x1, [x20, #0x120]\n"
	"	mrs	x1, CurrentEL\n"
	"	str	x1, [x20, #0x128]\n"
	"	ldr	x4, [x20, #0x110]\n"
	"	mov64	x0, " GUEST_STR(PSCI_FN_CPU_OFF) "\n"
	"	hvc	#0\n"
	"	str	x0, [x20, #0x118]\n"		/* never reached */
	"	b	.\n");

/* CPU_ON of the vCPU whose MPIDR is in the MMIO window; x0 back */
GUEST_CODE(on_only,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	ldr	x1, [x20, #0x00]\n"
	"	mov64	x0, " GUEST_STR(PSCI_FN64_CPU_ON) "\n"
	"	mov64	x2, 0xfeedf00d\n"
	"	mov64	x3, " GUEST_STR(CONTEXT_ID) "\n"
	"	hvc	#0\n"
	"	str	x0, [x20, #0x08]\n"
	"	b	.\n");

static struct vmm_vcpu vcpu0, vcpu1;
static uint64_t target;
static int go, v0_done, v1_done;

/* Results */
static int64_t aff_before, on_bad, on_ok, on_again;
static bool saw_on, saw_off, v0_ok;
static uint64_t ctx, mpidr1, daif1, el1;
static int v1_first_exit_ok = -1, v1_rc;
static bool v1_ok;

static uint64_t deadline(void)
{
	return vmm_now_ns() + 5000000000ULL;
}

static void *vcpu0_thread(void *arg)
{
	uint64_t v, end = deadline();
	int64_t *slot[] = { &aff_before, &on_bad, &on_ok, &on_again };
	unsigned int i;

	(void)arg;
	v = target;
	if (!vmm_expect_mmio(&vcpu0, VMM_MMIO_BASE, 8, false, &v))
		goto out;
	for (i = 0; i < 4; i++) {
		if (!vmm_expect_mmio(&vcpu0, VMM_MMIO_BASE + 8 * (i + 1), 8,
				     true, &v))
			goto out;
		*slot[i] = (int64_t)v;
	}
	while (vmm_now_ns() < end) {
		uint64_t stop;

		if (!vmm_expect_mmio(&vcpu0, VMM_MMIO_BASE + 0x28, 8, true, &v))
			goto out;
		if ((int64_t)v == PSCI_0_2_AFFINITY_LEVEL_ON && !saw_on) {
			saw_on = true;
			__atomic_store_n(&go, 1, __ATOMIC_SEQ_CST);
		}
		if ((int64_t)v == PSCI_0_2_AFFINITY_LEVEL_OFF && saw_on)
			saw_off = true;
		stop = saw_off;
		if (!vmm_expect_mmio(&vcpu0, VMM_MMIO_BASE + 0x30, 8, false,
				     &stop))
			goto out;
		if (stop)
			break;
		usleep(1000);
	}
	v0_ok = vmm_expect_mmio(&vcpu0, VMM_MMIO_BASE + 0x38, 8, true, &v);
out:
	if (!v0_ok)
		tap_diag("vCPU0: %s", vmm_describe_exit(&vcpu0));
	__atomic_store_n(&v0_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *vcpu1_thread(void *arg)
{
	uint64_t end = deadline();

	(void)arg;
	/* Powered off: this blocks until vCPU0's CPU_ON. */
	vmm_run(&vcpu1);
	v1_first_exit_ok = vmm_is_mmio(&vcpu1, VMM_MMIO_BASE + 0x100, 8, true);
	if (!v1_first_exit_ok)
		goto out;
	ctx = vmm_mmio_data(&vcpu1);
	if (!vmm_expect_mmio(&vcpu1, VMM_MMIO_BASE + 0x108, 8, true, &mpidr1) ||
	    !vmm_expect_mmio(&vcpu1, VMM_MMIO_BASE + 0x120, 8, true, &daif1) ||
	    !vmm_expect_mmio(&vcpu1, VMM_MMIO_BASE + 0x128, 8, true, &el1))
		goto out;
	/* Hold vCPU1 here until vCPU0 has seen it ON. */
	vmm_run(&vcpu1);
	if (!vmm_is_mmio(&vcpu1, VMM_MMIO_BASE + 0x110, 8, false))
		goto out;
	while (!__atomic_load_n(&go, __ATOMIC_SEQ_CST) && vmm_now_ns() < end)
		usleep(1000);
	vmm_mmio_reply(&vcpu1, 1);
	/* CPU_OFF: KVM_RUN sleeps until a signal gets it out. */
	v1_rc = vmm_run(&vcpu1);
	v1_ok = true;
out:
	if (!v1_ok)
		tap_diag("vCPU1: %s", vmm_describe_exit(&vcpu1));
	__atomic_store_n(&v1_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
	vcpu1.run->immediate_exit = 1;
}

int main(void)
{
	const uint32_t psci = 1U << KVM_ARM_VCPU_PSCI_0_2;
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct kvm_mp_state mp;
	pthread_t t0, t1;
	struct vmm_vm vm;
	uint64_t mpidr, end;
	int rc, i;

	tap_init();
	sigaction(SIGUSR1, &sa, NULL);

	rc = vmm_simple_vm(&vm, NULL, smp_start, GUEST_SIZE(smp), 0);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	/* Both vCPUs exist before either is initialised. */
	rc = vmm_vcpu_create(&vm, &vcpu0, 0);
	if (!rc)
		rc = vmm_vcpu_create(&vm, &vcpu1, 1);
	if (!rc)
		rc = vmm_vcpu_init(&vcpu0, psci);
	if (!rc)
		rc = vmm_vcpu_init(&vcpu1, psci | (1U << KVM_ARM_VCPU_POWER_OFF));
	TAP_REQUIRE(!rc, "two vCPUs, the second powered off", "%s",
		    strerror(-rc));
	vmm_set64(&vcpu0, VMM_REG_PC, VMM_RAM_BASE);
	rc = vmm_get64(&vcpu1, VMM_REG_MPIDR_EL1, &mpidr);
	TAP_REQUIRE(!rc, "read vCPU1's MPIDR_EL1", "%s", strerror(-rc));
	target = mpidr & 0xff00ffffffULL;
	tap_diag("vCPU1 MPIDR %#llx", (unsigned long long)mpidr);
	rc = ioctl(vcpu1.fd, KVM_GET_MP_STATE, &mp);
	tap_check(!rc && mp.mp_state == KVM_MP_STATE_STOPPED,
		  "vCPU1 starts stopped", "rc %d state %u", rc, mp.mp_state);

	pthread_create(&t1, NULL, vcpu1_thread, NULL);
	usleep(50000);		/* let vCPU1 block in KVM_RUN first */
	pthread_create(&t0, NULL, vcpu0_thread, NULL);

	end = vmm_now_ns() + 10000000000ULL;
	while (!__atomic_load_n(&v0_done, __ATOMIC_SEQ_CST) &&
	       vmm_now_ns() < end)
		usleep(1000);
	/* vCPU1 is off now: kick it out of KVM_RUN. */
	for (i = 0; i < 250 && !__atomic_load_n(&v1_done, __ATOMIC_SEQ_CST);
	     i++) {
		usleep(20000);
		if (__atomic_load_n(&v0_done, __ATOMIC_SEQ_CST))
			pthread_kill(t1, SIGUSR1);
	}
	if (!__atomic_load_n(&v0_done, __ATOMIC_SEQ_CST) ||
	    !__atomic_load_n(&v1_done, __ATOMIC_SEQ_CST)) {
		tap_check(0, "both vCPU threads finish", "vCPU0 %s, vCPU1 %s",
			  __atomic_load_n(&v0_done, __ATOMIC_SEQ_CST) ?
			  "done" : "stuck",
			  __atomic_load_n(&v1_done, __ATOMIC_SEQ_CST) ?
			  "done" : "stuck");
		return tap_done();
	}
	pthread_join(t0, NULL);
	pthread_join(t1, NULL);

	TAP_EQ(aff_before, PSCI_0_2_AFFINITY_LEVEL_OFF,
	       "AFFINITY_INFO before CPU_ON: OFF");
	TAP_EQ(on_bad, PSCI_RET_INVALID_PARAMS,
	       "CPU_ON of a CPU that does not exist: INVALID_PARAMETERS");
	TAP_EQ(on_ok, PSCI_RET_SUCCESS, "CPU_ON: SUCCESS");
	TAP_EQ(on_again, PSCI_RET_ALREADY_ON, "CPU_ON again: ALREADY_ON");
	tap_check(v1_first_exit_ok == 1,
		  "vCPU1 did nothing before CPU_ON, then ran the entry point",
		  "first exit of vCPU1 was not the entry point's");
	TAP_EQ(ctx, CONTEXT_ID, "vCPU1 starts with x0 = context_id");
	TAP_EQ(mpidr1, mpidr, "vCPU1 sees its own MPIDR_EL1");
	TAP_EQ(daif1, 0x3c0, "vCPU1 starts with DAIF masked");
	TAP_EQ(el1, 1 << 2, "vCPU1 starts at EL1");
	tap_check(saw_on, "AFFINITY_INFO: ON while vCPU1 runs", NULL);
	tap_check(saw_off, "AFFINITY_INFO: OFF after its CPU_OFF", NULL);
	tap_check(v0_ok, "vCPU0 finished", NULL);
	tap_check(v1_ok, "vCPU1 stayed in KVM_RUN after CPU_OFF",
		  "%s", vmm_describe_exit(&vcpu1));
	TAP_NEG(v1_rc, EINTR, "... until a signal: EINTR");
	rc = ioctl(vcpu1.fd, KVM_GET_MP_STATE, &mp);
	tap_check(!rc && mp.mp_state == KVM_MP_STATE_STOPPED,
		  "vCPU1 is stopped after CPU_OFF", "rc %d state %u", rc,
		  mp.mp_state);

	vmm_vcpu_destroy(&vcpu1);
	vmm_vcpu_destroy(&vcpu0);
	vmm_vm_destroy(&vm);

	/* The target's registers right after CPU_ON, without running it. */
	rc = vmm_simple_vm(&vm, &vcpu0, on_only_start, GUEST_SIZE(on_only),
			   psci);
	if (!rc)
		rc = vmm_simple_vcpu(&vm, &vcpu1, 1,
				     psci | (1U << KVM_ARM_VCPU_POWER_OFF),
				     VMM_RAM_BASE);
	TAP_REQUIRE(!rc, "second VM, vCPU1 off", "%s", strerror(-rc));
	vmm_get64(&vcpu1, VMM_REG_MPIDR_EL1, &mpidr);
	{
		uint64_t v = mpidr & 0xff00ffffffULL, pc = 0, x0 = 0;

		tap_check(vmm_expect_mmio(&vcpu0, VMM_MMIO_BASE, 8, false, &v) &&
			  vmm_expect_mmio(&vcpu0, VMM_MMIO_BASE + 8, 8, true,
					  &v) && v == 0,
			  "CPU_ON with a misaligned entry point: SUCCESS",
			  "%s, x0 %#llx", vmm_describe_exit(&vcpu0),
			  (unsigned long long)v);
		vmm_get64(&vcpu1, VMM_REG_PC, &pc);
		vmm_get64(&vcpu1, VMM_REG_X(0), &x0);
		tap_check(pc == 0xfeedf00d && x0 == CONTEXT_ID,
			  "the target's PC and x0 read back at once",
			  "pc %#llx x0 %#llx", (unsigned long long)pc,
			  (unsigned long long)x0);
		rc = ioctl(vcpu1.fd, KVM_GET_MP_STATE, &mp);
		tap_check(!rc && mp.mp_state == KVM_MP_STATE_RUNNABLE,
			  "... and it is runnable", "rc %d state %u", rc,
			  mp.mp_state);
	}
	vmm_vcpu_destroy(&vcpu1);
	vmm_vcpu_destroy(&vcpu0);
	vmm_vm_destroy(&vm);
	return tap_done();
}
