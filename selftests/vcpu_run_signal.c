// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN and signals: run->immediate_exit, pending signals, signals
 * kicking a vCPU out of the guest, and KVM_SET_SIGNAL_MASK.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

/*
 * Read a value, echo it, then loop: read the mode (0: count in x2 and
 * report each step with a store, 1: go on counting in x7 and ask
 * PSCI_VERSION, answer in x4, without ever exiting to the VMM).
 */
GUEST_CODE(sig,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	ldr	x1, [x20]\n"			/* +16 */
	"	str	x1, [x20, #8]\n"		/* +20 */
	"1:	ldr	x3, [x20, #0x18]\n"
	"	cbnz	x3, 2f\n"
	"	add	x2, x2, #1\n"
	"	str	x2, [x20, #0x10]\n"
	"	b	1b\n"
	"	mov	x7, x2\n"		/* x1-x3: SMCCC results */
	"2:	add	x7, x7, #1\n"
	"	movz	x0, #0x8400, lsl #16\n"	/* PSCI_VERSION */
	"	hvc	#0\n"
	"	mov	x4, x0\n"
	"	b	2b\n");

#define MODE	(VMM_MMIO_BASE + 0x18)
#define STEP	(VMM_MMIO_BASE + 0x10)

static struct vmm_vcpu vcpu;
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
	vcpu.run->immediate_exit = 1;	/* how QEMU-like VMMs kick */
}

static int set_sigmask(const sigset_t *set, uint32_t len)
{
	struct kvm_signal_mask *m = calloc(1, sizeof(*m) + 128);
	int rc;

	m->len = len;
	memcpy(m->sigset, set, 8);	/* the kernel's sigset_t: 64 bits */
	rc = ioctl(vcpu.fd, KVM_SET_SIGNAL_MASK, m);
	free(m);
	return rc;
}

static uint64_t reg(uint64_t id)
{
	uint64_t v = ~0ULL;

	vmm_get64(&vcpu, id, &v);
	return v;
}

/* One guest loop step in mode 0: read MODE, then STEP write. */
static bool step(uint64_t *count)
{
	uint64_t mode = 0;

	return vmm_expect_mmio(&vcpu, MODE, 8, false, &mode) &&
	       vmm_expect_mmio(&vcpu, STEP, 8, true, count);
}

static int kick_rc, kick_done;

static void *spin_thread(void *arg)
{
	uint64_t mode = 1;

	(void)arg;
	for (;;) {
		int rc = vmm_run(&vcpu);

		if (vmm_is_mmio(&vcpu, MODE, 8, false)) {
			vmm_mmio_reply(&vcpu, mode);
			continue;
		}
		kick_rc = rc;
		break;
	}
	__atomic_store_n(&kick_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t none, usr1, pend;
	struct timespec zero = { 0, 0 };
	uint64_t v, x2, pc, answer = 0x1234;
	struct vmm_vm vm;
	pthread_t t;
	int rc, i;

	tap_init();
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&none);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);

	rc = vmm_simple_vm(&vm, &vcpu, sig_start, GUEST_SIZE(sig),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));

	/* immediate_exit before the guest ever ran */
	vcpu.run->immediate_exit = 1;
	rc = vmm_run(&vcpu);
	TAP_NEG(rc, EINTR, "immediate_exit = 1: KVM_RUN returns EINTR");
	TAP_EQ(reg(VMM_REG_PC), VMM_RAM_BASE, "... and the guest did not run");
	vcpu.run->immediate_exit = 0;

	/* An MMIO read is completed by a KVM_RUN with immediate_exit set. */
	rc = vmm_run(&vcpu);
	tap_check(vmm_is_mmio(&vcpu, VMM_MMIO_BASE, 8, false),
		  "immediate_exit = 0: the guest runs", "%s",
		  vmm_describe_exit(&vcpu));
	vmm_mmio_reply(&vcpu, answer);
	vcpu.run->immediate_exit = 1;
	rc = vmm_run(&vcpu);
	vcpu.run->immediate_exit = 0;
	TAP_NEG(rc, EINTR, "immediate_exit after an MMIO read: EINTR");
	TAP_EQ(reg(VMM_REG_X(1)), answer, "... the load completed into x1");
	TAP_EQ(reg(VMM_REG_PC), VMM_RAM_BASE + 20,
	       "... PC is past the load and no further");
	v = 0;
	tap_check(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 8, 8, true, &v) &&
		  v == answer, "the guest carries on from there", "%s",
		  vmm_describe_exit(&vcpu));
	tap_check(step(&v) && v == 1, "guest loop step", "%s",
		  vmm_describe_exit(&vcpu));

	/* A pending signal that the KVM_RUN signal mask lets through */
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	pthread_kill(pthread_self(), SIGUSR1);
	TAP_EQ(set_sigmask(&none, 8), 0, "KVM_SET_SIGNAL_MASK (nothing blocked)");
	x2 = reg(VMM_REG_X(2));
	rc = vmm_run(&vcpu);
	TAP_NEG(rc, EINTR, "pending signal unblocked by the mask: EINTR");
	TAP_EQ(vcpu.run->exit_reason, KVM_EXIT_INTR, "... exit reason KVM_EXIT_INTR");
	TAP_EQ(reg(VMM_REG_X(2)), x2, "... and no guest progress");
	vcpu.run->immediate_exit = 0;
	sigpending(&pend);
	tap_check(sigismember(&pend, SIGUSR1) && !handled,
		  "... the signal stays pending for the thread's own mask",
		  "pending %d handled %d", sigismember(&pend, SIGUSR1),
		  (int)handled);

	/* The KVM_RUN signal mask blocks it: the guest runs. */
	TAP_EQ(set_sigmask(&usr1, 8), 0, "KVM_SET_SIGNAL_MASK (SIGUSR1 blocked)");
	tap_check(step(&v) && v == 2, "pending but masked signal: guest runs",
		  "%s", vmm_describe_exit(&vcpu));
	rc = ioctl(vcpu.fd, KVM_SET_SIGNAL_MASK, NULL);
	TAP_EQ(rc, 0, "KVM_SET_SIGNAL_MASK(NULL) clears the mask");
	tap_check(step(&v) && v == 3, "thread mask blocks it: guest runs",
		  "%s", vmm_describe_exit(&vcpu));
	TAP_EQ(sigtimedwait(&usr1, NULL, &zero), SIGUSR1,
	       "the signal was still pending");

	rc = set_sigmask(&usr1, 4);
	TAP_ERRNO(rc, EINVAL, "KVM_SET_SIGNAL_MASK len 4: EINVAL");
	rc = set_sigmask(&usr1, 16);
	TAP_ERRNO(rc, EINVAL, "KVM_SET_SIGNAL_MASK len 16: EINVAL");

	/* A signal kicks a vCPU out of a guest that never exits. */
	pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
	x2 = reg(VMM_REG_X(2));
	pthread_create(&t, NULL, spin_thread, NULL);
	usleep(100000);
	for (i = 0; i < 250 && !__atomic_load_n(&kick_done, __ATOMIC_SEQ_CST);
	     i++) {
		pthread_kill(t, SIGUSR1);
		usleep(20000);
	}
	if (__atomic_load_n(&kick_done, __ATOMIC_SEQ_CST)) {
		pthread_join(t, NULL);
		TAP_NEG(kick_rc, EINTR, "signal kicks a spinning guest: EINTR");
		TAP_EQ(vcpu.run->exit_reason, KVM_EXIT_INTR,
		       "... exit reason KVM_EXIT_INTR");
		tap_check(reg(VMM_REG_X(7)) > x2, "... the guest had been spinning",
			  "count %#llx, before %#llx",
			  (unsigned long long)reg(VMM_REG_X(7)),
			  (unsigned long long)x2);
		tap_check(reg(VMM_REG_X(4)) >> 16 == 1,
			  "... with PSCI_VERSION calls answered in the kernel",
			  "x4 %#llx", (unsigned long long)reg(VMM_REG_X(4)));
		tap_check(handled > 0, "... the handler ran", NULL);

		/* The handler set immediate_exit: the next run stops at once. */
		x2 = reg(VMM_REG_X(7));
		pc = reg(VMM_REG_PC);
		rc = vmm_run(&vcpu);
		TAP_NEG(rc, EINTR, "immediate_exit set by the handler: EINTR");
		tap_check(reg(VMM_REG_X(7)) == x2 && reg(VMM_REG_PC) == pc,
			  "... with no guest progress", NULL);
	} else {
		tap_check(0, "signal kicks a spinning guest: EINTR",
			  "vCPU thread still in KVM_RUN after 5 s");
		return tap_done();	/* the thread is stuck in the guest */
	}

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
