// SPDX-License-Identifier: GPL-2.0
/*
 * WFI: with nothing pending the vCPU thread sleeps (little CPU time) until
 * KVM_IRQ_LINE raises its IRQ line from another thread, or until the
 * guest's own virtual timer fires; the timer's output level reaches the
 * VMM in run->s.regs.device_irq_level (KVM_CAP_ARM_USER_IRQ).  IRQ and
 * FIQ lines are delivered to the guest when it unmasks them.
 */
#include <pthread.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

GUEST_CODE(wfi,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	/* WFI with everything masked, woken by the IRQ line */
	"	str	xzr, [x20, #0x00]\n"
	"	wfi\n"
	"	str	xzr, [x20, #0x08]\n"
	/* IRQ and FIQ delivery */
	"	adr	x1, vectors\n"
	"	msr	vbar_el1, x1\n"
	"	isb\n"
	"	msr	daifclr, #3\n"
	"	str	xzr, [x20, #0x10]\n"	/* VMM raises IRQ here */
	"	str	xzr, [x20, #0x18]\n"	/* ... and FIQ here */
	"	str	xzr, [x20, #0x20]\n"
	"	msr	daifset, #3\n"
	/* WFI woken by the virtual timer, 250 ms from now */
	"	mrs	x1, cntfrq_el0\n"
	"	lsr	x1, x1, #2\n"
	"	mrs	x2, cntvct_el0\n"
	"	add	x2, x2, x1\n"
	"	msr	cntv_cval_el0, x2\n"
	"	mov	x3, #1\n"			/* ENABLE */
	"	msr	cntv_ctl_el0, x3\n"
	"	isb\n"
	"	str	x1, [x20, #0x28]\n"
	"	wfi\n"
	"	mrs	x4, cntv_ctl_el0\n"
	"	str	x4, [x20, #0x30]\n"
	"	mov	x3, #3\n"			/* ENABLE | IMASK */
	"	msr	cntv_ctl_el0, x3\n"
	"	isb\n"
	"	str	xzr, [x20, #0x38]\n"
	"	b	.\n"
	"	.balign	2048\n"
	"vectors:\n"
	"	.org	vectors + 0x280\n"		/* IRQ, EL1 with SP_EL1 */
	"	str	xzr, [x20, #0x40]\n"
	"	eret\n"
	"	.org	vectors + 0x300\n"		/* FIQ */
	"	str	xzr, [x20, #0x48]\n"
	"	eret\n"
	"	.org	vectors + 0x800\n");

static struct vmm_vcpu vcpu;
static struct vmm_vm vm;
static int phase;

/* What the vCPU thread measured around its blocking KVM_RUN */
static uint64_t blocked_wall, blocked_cpu;
static bool woke_ok;

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int irq_line(unsigned int vcpu_idx, unsigned int type,
		    unsigned int id, unsigned int level)
{
	struct kvm_irq_level irq = {
		.irq = (type << KVM_ARM_IRQ_TYPE_SHIFT) |
		       (vcpu_idx << KVM_ARM_IRQ_VCPU_SHIFT) | id,
		.level = level,
	};

	return ioctl(vm.fd, KVM_IRQ_LINE, &irq);
}

static void *wfi_thread(void *arg)
{
	uint64_t v, w0, c0;

	(void)arg;
	if (!vmm_expect_mmio(&vcpu, VMM_MMIO_BASE, 8, true, &v))
		goto out;
	__atomic_store_n(&phase, 1, __ATOMIC_SEQ_CST);
	w0 = vmm_now_ns();
	c0 = thread_cpu_ns();
	woke_ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 8, 8, true, &v);
	blocked_cpu = thread_cpu_ns() - c0;
	blocked_wall = vmm_now_ns() - w0;
out:
	if (!woke_ok)
		tap_diag("vCPU: %s", vmm_describe_exit(&vcpu));
	__atomic_store_n(&phase, 2, __ATOMIC_SEQ_CST);
	return NULL;
}

static void bad_irq_lines(void)
{
	TAP_ERRNO(irq_line(1, KVM_ARM_IRQ_TYPE_CPU, 0, 1), EINVAL,
		  "KVM_IRQ_LINE for vCPU 1 (no such vCPU): EINVAL");
	TAP_ERRNO(irq_line(0, KVM_ARM_IRQ_TYPE_CPU, 2, 1), EINVAL,
		  "KVM_IRQ_LINE CPU line 2 (neither IRQ nor FIQ): EINVAL");
	TAP_ERRNO(irq_line(0, 3, 0, 1), EINVAL,
		  "KVM_IRQ_LINE unknown irq_type 3: EINVAL");
	TAP_ERRNO(irq_line(0, KVM_ARM_IRQ_TYPE_SPI, 40, 1), ENXIO,
		  "KVM_IRQ_LINE SPI without an in-kernel GIC: ENXIO");
	TAP_ERRNO(irq_line(0, KVM_ARM_IRQ_TYPE_PPI, 20, 1), ENXIO,
		  "KVM_IRQ_LINE PPI without an in-kernel GIC: ENXIO");
}

static void wfi_irq_line(void)
{
	uint64_t end = vmm_now_ns() + 10000000000ULL;
	pthread_t t;

	pthread_create(&t, NULL, wfi_thread, NULL);
	while (__atomic_load_n(&phase, __ATOMIC_SEQ_CST) == 0 &&
	       vmm_now_ns() < end)
		usleep(1000);
	usleep(200000);
	tap_check(__atomic_load_n(&phase, __ATOMIC_SEQ_CST) == 1,
		  "WFI with nothing pending blocks the vCPU",
		  "the run returned: %s", vmm_describe_exit(&vcpu));
	TAP_EQ(irq_line(0, KVM_ARM_IRQ_TYPE_CPU, KVM_ARM_IRQ_CPU_IRQ, 1), 0,
	       "KVM_IRQ_LINE raises vCPU 0's IRQ from another thread");
	while (__atomic_load_n(&phase, __ATOMIC_SEQ_CST) != 2 &&
	       vmm_now_ns() < end)
		usleep(1000);
	if (!tap_check(__atomic_load_n(&phase, __ATOMIC_SEQ_CST) == 2,
		       "the IRQ line wakes the vCPU",
		       "still blocked after 10 s"))
		exit(tap_done());
	pthread_join(t, NULL);
	tap_check(woke_ok, "the guest continues after its WFI", NULL);
	tap_diag("blocked %llu ms wall, %llu ms CPU",
		 (unsigned long long)blocked_wall / 1000000,
		 (unsigned long long)blocked_cpu / 1000000);
	tap_check(blocked_wall >= 180000000ULL,
		  "it slept until the IRQ line went up",
		  "%llu ms", (unsigned long long)blocked_wall / 1000000);
	tap_check(blocked_cpu < blocked_wall / 2,
		  "the vCPU thread slept rather than spun",
		  "%llu ms CPU in %llu ms", (unsigned long long)blocked_cpu /
		  1000000, (unsigned long long)blocked_wall / 1000000);
	TAP_EQ(irq_line(0, KVM_ARM_IRQ_TYPE_CPU, KVM_ARM_IRQ_CPU_IRQ, 0), 0,
	       "KVM_IRQ_LINE lowers it");
}

static void irq_delivery(void)
{
	uint64_t v;
	bool ok;

	ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x10, 8, true, &v);
	tap_check(ok, "guest unmasked IRQ and FIQ", "%s",
		  vmm_describe_exit(&vcpu));
	irq_line(0, KVM_ARM_IRQ_TYPE_CPU, KVM_ARM_IRQ_CPU_IRQ, 1);
	ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x40, 8, true, &v);
	tap_check(ok, "raised IRQ line: the guest takes an IRQ exception",
		  "%s", vmm_describe_exit(&vcpu));
	irq_line(0, KVM_ARM_IRQ_TYPE_CPU, KVM_ARM_IRQ_CPU_IRQ, 0);
	ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x18, 8, true, &v);
	tap_check(ok, "lowered IRQ line: no further IRQ", "%s",
		  vmm_describe_exit(&vcpu));
	irq_line(0, KVM_ARM_IRQ_TYPE_CPU, KVM_ARM_IRQ_CPU_FIQ, 1);
	ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x48, 8, true, &v);
	tap_check(ok, "raised FIQ line: the guest takes an FIQ exception",
		  "%s", vmm_describe_exit(&vcpu));
	irq_line(0, KVM_ARM_IRQ_TYPE_CPU, KVM_ARM_IRQ_CPU_FIQ, 0);
	ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x20, 8, true, &v);
	tap_check(ok, "lowered FIQ line: no further FIQ", "%s",
		  vmm_describe_exit(&vcpu));
}

static void wfi_timer(int user_irq)
{
	uint64_t freq, ctl, v, t0, c0, wall, cpu, end;
	int rc, exits = 0, intr_exits = 0;
	bool level_seen = false, ok;

	ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x28, 8, true, &freq);
	if (!tap_check(ok, "guest armed its virtual timer", "%s",
		       vmm_describe_exit(&vcpu)))
		return;
	tap_diag("counter frequency %llu Hz", (unsigned long long)freq * 4);
	if (user_irq)
		TAP_EQ(vcpu.run->s.regs.device_irq_level & KVM_ARM_DEV_EL1_VTIMER,
		       0, "timer output low before it fires");

	t0 = vmm_now_ns();
	c0 = thread_cpu_ns();
	end = t0 + 5000000000ULL;
	for (;;) {
		rc = vmm_run(&vcpu);
		/* The first return after the timer fired must show it. */
		if (!exits++)
			level_seen = vcpu.run->s.regs.device_irq_level &
				     KVM_ARM_DEV_EL1_VTIMER;
		if (rc != -EINTR || vmm_now_ns() > end)
			break;
		/* the timer's level change is reported as KVM_EXIT_INTR */
		if (vcpu.run->exit_reason == KVM_EXIT_INTR)
			intr_exits++;
	}
	cpu = thread_cpu_ns() - c0;
	wall = vmm_now_ns() - t0;
	ok = vmm_is_mmio(&vcpu, VMM_MMIO_BASE + 0x30, 8, true);
	ctl = vmm_mmio_data(&vcpu);
	tap_check(ok, "the virtual timer wakes the vCPU from WFI", "%s",
		  vmm_describe_exit(&vcpu));
	tap_check(ok && (ctl & 4), "CNTV_CTL_EL0.ISTATUS is set after the wake",
		  "ctl %#llx", (unsigned long long)ctl);
	tap_diag("timer WFI: %llu ms wall, %llu ms CPU, %d KVM_EXIT_INTR exits",
		 (unsigned long long)wall / 1000000,
		 (unsigned long long)cpu / 1000000, intr_exits);
	tap_check(wall >= 200000000ULL, "it slept until the timer fired",
		  "%llu ms", (unsigned long long)wall / 1000000);
	tap_check(cpu < wall / 2, "the vCPU thread slept rather than spun",
		  "%llu ms CPU in %llu ms", (unsigned long long)cpu / 1000000,
		  (unsigned long long)wall / 1000000);
	if (!user_irq) {
		tap_skip("timer level in device_irq_level",
			 "KVM_CAP_ARM_USER_IRQ is 0");
		return;
	}
	tap_check(level_seen,
		  "the first exit after it fired shows the timer output high",
		  "device_irq_level %#llx",
		  (unsigned long long)vcpu.run->s.regs.device_irq_level);
	tap_check(intr_exits <= 1,
		  "at most one KVM_EXIT_INTR for one level change",
		  "%d", intr_exits);

	/* The guest masks the timer: its output level drops. */
	end = vmm_now_ns() + 5000000000ULL;
	do {
		rc = vmm_run(&vcpu);
	} while (rc == -EINTR && vmm_now_ns() < end);
	ok = vmm_is_mmio(&vcpu, VMM_MMIO_BASE + 0x38, 8, true);
	tap_check(ok, "guest masked its timer", "%s", vmm_describe_exit(&vcpu));
	v = vcpu.run->s.regs.device_irq_level;
	TAP_EQ(v & KVM_ARM_DEV_EL1_VTIMER, 0,
	       "device_irq_level shows the masked timer output low");
}

int main(void)
{
	int rc, user_irq;

	tap_init();
	rc = vmm_simple_vm(&vm, &vcpu, wfi_start, GUEST_SIZE(wfi),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	user_irq = vmm_check_cap(&vm, KVM_CAP_ARM_USER_IRQ);
	tap_diag("KVM_CAP_ARM_USER_IRQ = %d", user_irq);

	bad_irq_lines();
	wfi_irq_line();
	irq_delivery();
	wfi_timer(user_irq > 0);

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
