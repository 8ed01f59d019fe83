// SPDX-License-Identifier: GPL-2.0
/*
 * Exit round trips, timed by the guest with its virtual counter:
 *
 *   hypercall_ns  HVC #0 with x0 = PSCI_VERSION, answered in the kernel
 *                 (guest -> hypervisor -> guest, no return to userspace)
 *   mmio_ns       a load from an IPA outside every memslot: KVM_EXIT_MMIO
 *                 to this VMM, which answers, and KVM_RUN back into the
 *                 guest (the full userspace round trip)
 *
 * Each repetition is one guest loop of N iterations between two reads of
 * CNTVCT_EL0 (ns = ticks * 1e9 / CNTFRQ_EL0); the guest reports the ticks
 * with one MMIO write.  N is calibrated so that a repetition lasts about
 * 200 ms (60 ms with --quick); the metric is the median over repetitions.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "guest.h"

#define R_FREQ		(VMM_MMIO_BASE + 0x00)	/* w: CNTFRQ_EL0 */
#define R_MODE		(VMM_MMIO_BASE + 0x08)	/* r: 1 hvc, 2 mmio */
#define R_COUNT		(VMM_MMIO_BASE + 0x10)	/* r: iterations */
#define R_TICKS		(VMM_MMIO_BASE + 0x18)	/* w: counter ticks */
#define R_RESULT	(VMM_MMIO_BASE + 0x20)	/* w: last x0 */
#define R_TARGET	(VMM_MMIO_BASE + 0x1000) /* r: the MMIO round trip */

GUEST_CODE(exits,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mov64	x23, " GUEST_STR(PSCI_FN_VERSION) "\n"
	"	mov64	x24, " GUEST_STR(R_TARGET) "\n"
	"	mrs	x1, cntfrq_el0\n"
	"	str	x1, [x20, #0x00]\n"
	"1:	ldr	x18, [x20, #0x08]\n"
	"	ldr	x19, [x20, #0x10]\n"
	"	cbz	x19, 1b\n"
	"	cmp	x18, #1\n"
	"	b.ne	3f\n"
	"	isb\n"
	"	mrs	x21, cntvct_el0\n"
	"2:	mov	x0, x23\n"
	"	hvc	#0\n"
	"	subs	x19, x19, #1\n"
	"	b.ne	2b\n"
	"	isb\n"
	"	mrs	x22, cntvct_el0\n"
	"	b	5f\n"
	"3:	isb\n"
	"	mrs	x21, cntvct_el0\n"
	"4:	ldr	x0, [x24]\n"
	"	subs	x19, x19, #1\n"
	"	b.ne	4b\n"
	"	isb\n"
	"	mrs	x22, cntvct_el0\n"
	"5:	sub	x22, x22, x21\n"
	"	str	x22, [x20, #0x18]\n"
	"	str	x0, [x20, #0x20]\n"
	"	b	1b\n");

enum { MODE_HVC = 1, MODE_MMIO = 2 };

static struct vmm_vm vm;
static struct vmm_vcpu vcpu;
static uint64_t freq;
static char err[200];

/* One guest loop of n iterations; *ns gets its duration per iteration. */
static int one_rep(int mode, uint64_t n, double *ns, uint64_t *x0)
{
	uint64_t v, ticks, answered = 0;

	bench_deadline(60);
	v = mode;
	if (!vmm_expect_mmio(&vcpu, R_MODE, 8, false, &v))
		goto bad;
	v = n;
	if (!vmm_expect_mmio(&vcpu, R_COUNT, 8, false, &v))
		goto bad;
	for (;;) {
		bench_run(&vcpu);
		if (mode != MODE_MMIO || !vmm_is_mmio(&vcpu, R_TARGET, 8, false))
			break;
		vmm_mmio_reply(&vcpu, answered++);
	}
	if (!vmm_is_mmio(&vcpu, R_TICKS, 8, true))
		goto bad;
	ticks = vmm_mmio_data(&vcpu);
	if (!bench_mmio(&vcpu, R_RESULT, true))
		goto bad;
	bench_deadline(0);
	*x0 = vmm_mmio_data(&vcpu);
	if (mode == MODE_MMIO && answered != n) {
		snprintf(err, sizeof(err), "%llu MMIO exits for %llu loads",
			 (unsigned long long)answered, (unsigned long long)n);
		return -1;
	}
	*ns = bench_ticks_ns(ticks, freq) / n;
	return 0;
bad:
	bench_deadline(0);
	snprintf(err, sizeof(err), "unexpected exit: %s%s",
		 vmm_describe_exit(&vcpu),
		 bench_timed_out ? " (deadline of 60 s)" : "");
	return -1;
}

static void measure(const char *name, int mode)
{
	double target = bench_quick ? 60e6 : 200e6, ns, v[64];
	int reps = bench_reps(7, 21), i;
	uint64_t n, x0;

	if (reps > (int)ARRAY_SIZE(v))
		reps = ARRAY_SIZE(v);
	/* Warm-up and calibration. */
	if (one_rep(mode, 200, &ns, &x0) || one_rep(mode, 1000, &ns, &x0)) {
		bench_fail(name, "%s", err);
		return;
	}
	n = ns > 0 ? (uint64_t)(target / ns) : 100000;
	if (n < 200)
		n = 200;
	if (n > 2000000)
		n = 2000000;
	for (i = 0; i < reps; i++) {
		if (one_rep(mode, n, &v[i], &x0)) {
			bench_fail(name, "%s", err);
			return;
		}
	}
	if (mode == MODE_HVC)
		bench_note("%s: PSCI_VERSION answered 0x%llx", name,
			   (unsigned long long)x0);
	bench_note("%s: %d repetitions of %llu round trips (guest CNTVCT_EL0 at %llu Hz)",
		   name, reps, (unsigned long long)n, (unsigned long long)freq);
	bench_report(name, "ns", v, reps);
}

int main(int argc, char **argv)
{
	int rc;

	bench_init(argc, argv);
	rc = vmm_simple_vm(&vm, &vcpu, exits_start, GUEST_SIZE(exits),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	if (rc) {
		bench_fail("hypercall_ns", "simple VM: %s", strerror(-rc));
		bench_fail("mmio_ns", "simple VM: %s", strerror(-rc));
		return 1;
	}
	bench_deadline(30);
	if (!bench_mmio(&vcpu, R_FREQ, true)) {
		bench_fail("hypercall_ns", "guest start: %s",
			   vmm_describe_exit(&vcpu));
		bench_fail("mmio_ns", "guest start: %s",
			   vmm_describe_exit(&vcpu));
		return 1;
	}
	bench_deadline(0);
	freq = vmm_mmio_data(&vcpu);
	if (!freq) {
		bench_fail("hypercall_ns", "guest CNTFRQ_EL0 is 0");
		bench_fail("mmio_ns", "guest CNTFRQ_EL0 is 0");
		return 1;
	}
	measure("hypercall_ns", MODE_HVC);
	measure("mmio_ns", MODE_MMIO);
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return 0;
}
