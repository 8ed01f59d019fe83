// SPDX-License-Identifier: GPL-2.0
/*
 * Stage-2 faults on first touch:
 *
 *   s2_fault_4k_us   memslot backed by anonymous memory in 4 KiB pages
 *                    (MADV_NOHUGEPAGE)
 *   s2_fault_thp_us  memslot backed by transparent huge pages (2 MiB
 *                    aligned, MADV_HUGEPAGE)
 *
 * The guest stores once to each 4 KiB page of a fresh memslot of S MiB
 * (64, 32 with --quick) and times the loop with its virtual counter; the
 * metric is microseconds per MiB.  The memory is NOT pre-faulted by the
 * host: each first touch is a stage-2 fault whose handler also has to
 * fault the page in on the host (allocate and zero it: 4 KiB, or 2 MiB
 * at once for THP), as when a VM first touches its RAM.  So the 4 KiB
 * case is 256 faults per MiB, the THP case one per 2 MiB if the
 * hypervisor maps 2 MiB blocks (else 256 per MiB after one host THP
 * fault).  Each repetition uses a new VM and new memory; the first one
 * is a discarded warm-up.  The host's AnonHugePages for the range is
 * checked (smaps) so that a THP number really is one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "guest.h"

#define R_FREQ		(VMM_MMIO_BASE + 0x00)	/* w */
#define R_BASE		(VMM_MMIO_BASE + 0x08)	/* r: first gpa */
#define R_PAGES		(VMM_MMIO_BASE + 0x10)	/* r: 4 KiB pages */
#define R_TICKS		(VMM_MMIO_BASE + 0x18)	/* w */

#define TOUCH_GPA	0x80000000UL
#define SZ_2M		(2UL << 20)

GUEST_CODE(touch,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mrs	x1, cntfrq_el0\n"
	"	str	x1, [x20, #0x00]\n"
	"	ldr	x2, [x20, #0x08]\n"
	"	ldr	x3, [x20, #0x10]\n"
	"	isb\n"
	"	mrs	x21, cntvct_el0\n"
	"1:	str	x2, [x2]\n"
	"	add	x2, x2, #4096\n"
	"	subs	x3, x3, #1\n"
	"	b.ne	1b\n"
	"	isb\n"
	"	mrs	x22, cntvct_el0\n"
	"	sub	x22, x22, x21\n"
	"	str	x22, [x20, #0x18]\n"
	"	b	.\n");

static char err[256];

/* size bytes of fresh anonymous memory at a 2 MiB aligned address. */
static void *alloc_aligned(size_t size, bool thp)
{
	size_t len = size + SZ_2M;
	char *p, *a;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));
	if (a > p)
		munmap(p, a - p);
	if (a + size < p + len)
		munmap(a + size, p + len - (a + size));
	if (madvise(a, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		munmap(a, size);
		return NULL;
	}
	return a;
}

/* One fresh VM touching mib MiB; *us_per_mib and *huge_kb out. */
static int one_rep(bool thp, unsigned int mib, double *us_per_mib,
		   long *huge_kb)
{
	size_t size = (size_t)mib << 20;
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	uint64_t freq, v, ticks;
	void *mem;
	int rc, ret = -1;

	mem = alloc_aligned(size, thp);
	if (!mem) {
		snprintf(err, sizeof(err), "mmap/madvise %u MiB: %s", mib,
			 strerror(errno));
		return -1;
	}
	rc = vmm_simple_vm(&vm, &vcpu, touch_start, GUEST_SIZE(touch),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	if (rc) {
		snprintf(err, sizeof(err), "simple VM: %s", strerror(-rc));
		munmap(mem, size);
		return -1;
	}
	rc = vmm_set_region(&vm, 1, 0, TOUCH_GPA, size, mem);
	if (rc) {
		snprintf(err, sizeof(err), "memslot of %u MiB: %s", mib,
			 strerror(-rc));
		goto out;
	}
	bench_deadline(120);
	v = TOUCH_GPA;
	if (!bench_mmio(&vcpu, R_FREQ, true))
		goto bad;
	freq = vmm_mmio_data(&vcpu);
	if (!vmm_expect_mmio(&vcpu, R_BASE, 8, false, &v))
		goto bad;
	v = size >> 12;
	if (!vmm_expect_mmio(&vcpu, R_PAGES, 8, false, &v))
		goto bad;
	if (!bench_mmio(&vcpu, R_TICKS, true))
		goto bad;
	bench_deadline(0);
	ticks = vmm_mmio_data(&vcpu);
	if (!freq) {
		snprintf(err, sizeof(err), "guest CNTFRQ_EL0 is 0");
		goto out;
	}
	/* The guest's stores must have reached the host's memory. */
	if (*(volatile uint64_t *)((char *)mem + size - 4096) !=
	    TOUCH_GPA + size - 4096) {
		snprintf(err, sizeof(err),
			 "the guest's store is not in the memslot's memory");
		goto out;
	}
	*us_per_mib = bench_ticks_ns(ticks, freq) / 1000.0 / mib;
	*huge_kb = vmm_anon_huge_kb(mem, 1);
	ret = 0;
	goto out;
bad:
	bench_deadline(0);
	snprintf(err, sizeof(err), "unexpected exit: %s%s",
		 vmm_describe_exit(&vcpu),
		 bench_timed_out ? " (deadline of 120 s)" : "");
out:
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	munmap(mem, size);
	return ret;
}

static void measure(const char *name, bool thp)
{
	unsigned int mib = bench_quick ? 32 : 64;
	int reps = bench_reps(3, 7), i;
	long huge_kb, huge_min = -1;
	double v[32], warm;

	if (reps > (int)ARRAY_SIZE(v))
		reps = ARRAY_SIZE(v);
	if (one_rep(thp, 8, &warm, &huge_kb)) {
		bench_fail(name, "%s", err);
		return;
	}
	for (i = 0; i < reps; i++) {
		if (one_rep(thp, mib, &v[i], &huge_kb)) {
			bench_fail(name, "%s", err);
			return;
		}
		if (huge_min < 0 || huge_kb < huge_min)
			huge_min = huge_kb;
	}
	bench_note("%s: %d repetitions of %u MiB (%u stores), host AnonHugePages of the range >= %ld kB",
		   name, reps, mib, mib * 256, huge_min);
	if (thp && huge_min < (long)mib * 1024 / 2) {
		bench_fail(name, "the host did not back the range with THP (AnonHugePages %ld kB of %u kB; /sys/kernel/mm/transparent_hugepage/enabled?)",
			   huge_min, mib * 1024);
		return;
	}
	if (!thp && huge_min > 0) {
		bench_fail(name, "the host used THP despite MADV_NOHUGEPAGE (%ld kB)",
			   huge_min);
		return;
	}
	bench_report(name, "us/MiB", v, reps);
}

int main(int argc, char **argv)
{
	FILE *f;
	char line[128];

	bench_init(argc, argv);
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		if (fgets(line, sizeof(line), f))
			bench_note("transparent_hugepage/enabled: %.*s",
				   (int)strcspn(line, "\n"), line);
		fclose(f);
	}
	measure("s2_fault_4k_us", false);
	measure("s2_fault_thp_us", true);
	return 0;
}
