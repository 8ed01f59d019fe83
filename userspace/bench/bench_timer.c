// SPDX-License-Identifier: GPL-2.0
/*
 * timer_wake_us: how late a guest's virtual timer interrupt arrives when
 * the vCPU sleeps in WFI, with the interrupt controller in userspace.
 *
 * The guest arms CNTV for 1 ms (CVAL = CNTVCT + CNTFRQ / 1000) and loops
 * on WFI (IRQs masked), unmasking IRQs for a moment after each WFI.  The hypervisor's wake-up timer ends the WFI;
 * the timer's output level reaches this VMM in
 * run->s.regs.device_irq_level (KVM_CAP_ARM_USER_IRQ), with a
 * KVM_EXIT_INTR exit when it changes.  This VMM is the interrupt
 * controller: it follows the level with KVM_IRQ_LINE (irq_type CPU, IRQ)
 * on every exit.  The guest's IRQ handler (VBAR_EL1 + 0x280) reads
 * CNTVCT - CVAL (the lateness), masks the timer (CNTV_CTL.IMASK) and
 * reports the lateness with one MMIO write, at which exit the level is
 * low again and the VMM lowers the line.  The metric is the median
 * lateness in microseconds of N wakes (300, 60 with --quick; 5 discarded
 * warm-ups before), measured by the guest's own counter.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"
#include "guest.h"

#define R_FREQ		(VMM_MMIO_BASE + 0x00)	/* w */
#define R_DELAY		(VMM_MMIO_BASE + 0x08)	/* r: delay in ticks */
#define R_LATE		(VMM_MMIO_BASE + 0x10)	/* w: CNTVCT - CVAL */
#define R_SYNC		(VMM_MMIO_BASE + 0x18)	/* w: ESR of an unexpected exception */

#define DELAY_US	1000
#define WARMUP		5

GUEST_CODE(tick,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	adr	x1, tvec\n"
	"	msr	vbar_el1, x1\n"
	"	isb\n"
	"	mrs	x1, cntfrq_el0\n"
	"	str	x1, [x20, #0x00]\n"
	"	ldr	x19, [x20, #0x08]\n"
	"1:	mov	x21, #0\n"
	"	isb\n"
	"	mrs	x2, cntvct_el0\n"
	"	add	x2, x2, x19\n"
	"	msr	cntv_cval_el0, x2\n"
	"	mov	x3, #1\n"			/* ENABLE */
	"	msr	cntv_ctl_el0, x3\n"
	"	isb\n"
	/*
	 * WFI with IRQs masked, then open the window: a timer that fired
	 * early is then still pending at the WFI (which wakes on masked
	 * interrupts too) rather than taken before it, with nothing left
	 * to end the WFI.
	 */
	"2:	cbnz	x21, 1b\n"
	"	wfi\n"
	"	add	x25, x25, #1\n"		/* WFIs, for diagnostics */
	"	msr	daifclr, #2\n"
	"	isb\n"
	"	msr	daifset, #2\n"
	"	b	2b\n"
	"	.balign	2048\n"
	"tvec:\n"
	"	.org	tvec + 0x200\n"			/* sync, current EL, SPx */
	"	mrs	x7, esr_el1\n"
	"	str	x7, [x20, #0x18]\n"
	"	b	.\n"
	"	.org	tvec + 0x280\n"			/* IRQ, current EL, SPx */
	"	isb\n"
	"	mrs	x4, cntvct_el0\n"
	"	mrs	x5, cntv_cval_el0\n"
	"	sub	x4, x4, x5\n"
	"	mov	x6, #3\n"			/* ENABLE | IMASK */
	"	msr	cntv_ctl_el0, x6\n"
	"	isb\n"
	"	str	x4, [x20, #0x10]\n"
	"	mov	x21, #1\n"
	"	eret\n"
	"	.org	tvec + 0x800\n");

static struct vmm_vm vm;
static struct vmm_vcpu vcpu;
static int line_level;
static unsigned long line_changes;

/* The userspace interrupt controller: the IRQ line follows the vtimer. */
static int follow_level(void)
{
	int level = !!(vcpu.run->s.regs.device_irq_level &
		       KVM_ARM_DEV_EL1_VTIMER);
	int rc = 0;

	if (level != line_level) {
		rc = vmm_cpu_irq_line(&vm, 0, KVM_ARM_IRQ_CPU_IRQ, level);
		line_level = level;
		line_changes++;
	}
	return rc;
}

/* The vCPU's statistics (KVM_GET_STATS_FD), one note line. */
static void dump_stats(void)
{
	struct kvm_stats_header h;
	char line[600], *desc = NULL;
	uint64_t *data = NULL;
	size_t dsz, len = 0;
	unsigned int i;
	int fd = ioctl(vcpu.fd, KVM_GET_STATS_FD, NULL);

	if (fd < 0)
		return;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h) || h.num_desc > 1000)
		goto out;
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	desc = calloc(h.num_desc, dsz);
	data = calloc(h.num_desc * 16 + 16, sizeof(*data));
	if (!desc || !data ||
	    pread(fd, desc, h.num_desc * dsz, h.desc_offset) !=
	    (ssize_t)(h.num_desc * dsz) ||
	    pread(fd, data, h.num_desc * 16 * sizeof(*data), h.data_offset) < 0)
		goto out;
	for (i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)(desc + i * dsz);

		if (d->size == 1 && d->offset / 8 < h.num_desc * 16 &&
		    data[d->offset / 8])
			len += snprintf(line + len, sizeof(line) - len,
					" %s=%llu", d->name, (unsigned long long)
					data[d->offset / 8]);
		if (len >= sizeof(line))
			break;
	}
	bench_note("timer_wake_us: vCPU stats (non-zero):%s", line);
out:
	free(desc);
	free(data);
	close(fd);
}

/* What the vCPU looks like when a wake went wrong (notes). */
static void dump_state(void)
{
	static const struct { const char *name; uint64_t id; } regs[] = {
		{ "PC", VMM_REG_PC },
		{ "PSTATE", VMM_REG_PSTATE },
		{ "X21", VMM_REG_X(21) },
		{ "X25(WFIs)", VMM_REG_X(25) },
		{ "ELR_EL1", VMM_REG_ELR_EL1 },
		{ "TIMER_CTL", KVM_REG_ARM_TIMER_CTL },
		/* the ABI's CVAL and CNT ids are each other's encodings */
		{ "TIMER_CVAL", KVM_REG_ARM_TIMER_CVAL },
		{ "TIMER_CNT", KVM_REG_ARM_TIMER_CNT },
	};
	char buf[400];
	size_t len = 0;
	uint64_t v;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		if (vmm_get64(&vcpu, regs[i].id, &v))
			len += snprintf(buf + len, sizeof(buf) - len,
					" %s=?", regs[i].name);
		else
			len += snprintf(buf + len, sizeof(buf) - len,
					" %s=0x%llx", regs[i].name,
					(unsigned long long)v);
	}
	bench_note("timer_wake_us: vCPU state:%s device_irq_level=0x%llx IRQ line=%d",
		   buf, (unsigned long long)vcpu.run->s.regs.device_irq_level,
		   line_level);
	dump_stats();
}

/*
 * A wake that takes this long is lost: the vCPU slept past its timer.
 * The watchdog's signal ends the KVM_RUN; the wake is not counted and the
 * next KVM_RUN lets the vCPU see its (long) fired timer.
 */
#define WATCHDOG_MS	1000

static int lost_wakes;

/*
 * Run until the guest reports one lateness (ticks in *late): 0, or 1 if
 * the wake was lost (*late is then meaningless), -1 on error.
 */
static int one_wake(uint64_t *late, char *err, size_t errlen)
{
	bool lost = false;
	int rc;

	bench_deadline_ms(WATCHDOG_MS);
	for (;;) {
		rc = vmm_run(&vcpu);
		if (follow_level()) {
			snprintf(err, errlen, "KVM_IRQ_LINE: %s",
				 strerror(errno));
			goto fail;
		}
		if (rc == -EINTR && bench_timed_out && !lost) {
			/* Once per wake: record, look, and let it go on. */
			if (!lost_wakes++)
				dump_state();
			lost = true;
			bench_deadline_ms(WATCHDOG_MS);
			continue;
		}
		if (rc == -EINTR && !bench_timed_out)
			continue;
		if (vmm_is_mmio(&vcpu, R_LATE, 8, true)) {
			bench_deadline(0);
			*late = vmm_mmio_data(&vcpu);
			return lost;
		}
		if (vmm_is_mmio(&vcpu, R_SYNC, 8, true))
			snprintf(err, errlen,
				 "guest took a synchronous exception, ESR 0x%llx",
				 (unsigned long long)vmm_mmio_data(&vcpu));
		else
			snprintf(err, errlen, "unexpected exit: %s%s",
				 vmm_describe_exit(&vcpu), bench_timed_out ?
				 " (no wake within twice the watchdog)" : "");
		goto fail;
	}
fail:
	bench_deadline(0);
	dump_state();
	return -1;
}

int main(int argc, char **argv)
{
	int n = 0, reps, rc, i;
	uint64_t freq, delay, late;
	static double v[2000];
	char err[200];
	uint64_t t0;

	bench_init(argc, argv);
	reps = bench_reps(60, 300);
	if (reps > (int)ARRAY_SIZE(v))
		reps = ARRAY_SIZE(v);
	rc = vmm_simple_vm(&vm, &vcpu, tick_start, GUEST_SIZE(tick),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	if (rc) {
		bench_fail("timer_wake_us", "simple VM: %s", strerror(-rc));
		return 1;
	}
	rc = vmm_check_cap(&vm, KVM_CAP_ARM_USER_IRQ);
	if (rc <= 0) {
		bench_fail("timer_wake_us", "KVM_CAP_ARM_USER_IRQ is %d", rc);
		return 1;
	}
	bench_deadline(30);
	if (!bench_mmio(&vcpu, R_FREQ, true)) {
		bench_fail("timer_wake_us", "guest start: %s",
			   vmm_describe_exit(&vcpu));
		return 1;
	}
	freq = vmm_mmio_data(&vcpu);
	delay = freq * DELAY_US / 1000000;
	if (!delay || !vmm_expect_mmio(&vcpu, R_DELAY, 8, false, &delay)) {
		bench_fail("timer_wake_us", "guest start: freq %llu, %s",
			   (unsigned long long)freq, vmm_describe_exit(&vcpu));
		return 1;
	}
	bench_deadline(0);

	t0 = vmm_now_ns();
	for (i = 0; i < WARMUP + reps; i++) {
		rc = one_wake(&late, err, sizeof(err));
		if (rc < 0) {
			bench_fail("timer_wake_us", "wake %d: %s", i, err);
			return 1;
		}
		if (lost_wakes > reps / 10 + 1) {
			bench_fail("timer_wake_us",
				   "%d of %d wakes lost: the vCPU slept in WFI past its timer until a signal (watchdog %d ms)",
				   lost_wakes, i + 1, WATCHDOG_MS);
			return 1;
		}
		if (i >= WARMUP && !rc)
			v[n++] = bench_ticks_ns(late, freq) / 1000.0;
	}
	bench_note("timer_wake_us: %d wakes after %d us (CNTFRQ %llu Hz), %lu IRQ line changes, %.1f ms per wake",
		   n, DELAY_US, (unsigned long long)freq, line_changes,
		   (vmm_now_ns() - t0) / 1e6 / (WARMUP + reps));
	bench_report("timer_wake_us", "us", v, n);
	if (lost_wakes)
		bench_warn("timer_wake_us",
			   "%d of %d wakes lost (the vCPU slept in WFI past its timer until the %d ms watchdog signal); not in the samples",
			   lost_wakes, WARMUP + reps, WATCHDOG_MS);
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return 0;
}
