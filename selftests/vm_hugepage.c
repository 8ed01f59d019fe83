// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory backed by transparent huge pages: the guest fills and
 * checks 4 MiB (mapped with 2 MiB stage-2 blocks where the hypervisor can),
 * then the host drops one 4 KiB page in the middle of a huge page
 * (MADV_DONTNEED splits it) and writes into others: the guest must see
 * zero in the dropped page, its own pattern elsewhere and the host's new
 * values, i.e. the MMU notifier took the 2 MiB block down correctly.
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

/*
 * Command server: the host feeds CMD, ADDR and ARG through MMIO reads.
 *   cmd 0  peek: 8-byte load at ADDR, stored to RESULT
 *   cmd 1  fill: for ARG pages from ADDR, store the page's address at
 *          its start; then a store to DONE
 *   cmd 2  check: for ARG pages from ADDR, load the page's first 8 bytes;
 *          each one that is not the page's address is reported as a
 *          store of the address to BAD_ADDR then of the value to BAD_VAL;
 *          finally the number of mismatches is stored to DONE
 */
#define H_CMD		(VMM_MMIO_BASE + 0x00)
#define H_ADDR		(VMM_MMIO_BASE + 0x08)
#define H_ARG		(VMM_MMIO_BASE + 0x10)
#define H_RESULT	(VMM_MMIO_BASE + 0x18)
#define H_DONE		(VMM_MMIO_BASE + 0x20)
#define H_BAD_ADDR	(VMM_MMIO_BASE + 0x28)
#define H_BAD_VAL	(VMM_MMIO_BASE + 0x30)

GUEST_CODE(hpserv,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"1:	ldr	x1, [x20, #0x00]\n"
	"	ldr	x2, [x20, #0x08]\n"
	"	ldr	x3, [x20, #0x10]\n"
	"	cmp	x1, #1\n"
	"	b.eq	hp_fill\n"
	"	cmp	x1, #2\n"
	"	b.eq	hp_check\n"
	"	ldr	x4, [x2]\n"
	"	str	x4, [x20, #0x18]\n"
	"	b	1b\n"
	"hp_fill:\n"
	"	cbz	x3, 3f\n"
	"2:	str	x2, [x2]\n"
	"	add	x2, x2, #4096\n"
	"	subs	x3, x3, #1\n"
	"	b.ne	2b\n"
	"3:	str	xzr, [x20, #0x20]\n"
	"	b	1b\n"
	"hp_check:\n"
	"	mov	x5, #0\n"
	"	cbz	x3, 6f\n"
	"4:	ldr	x4, [x2]\n"
	"	cmp	x4, x2\n"
	"	b.eq	5f\n"
	"	add	x5, x5, #1\n"
	"	str	x2, [x20, #0x28]\n"
	"	str	x4, [x20, #0x30]\n"
	"5:	add	x2, x2, #4096\n"
	"	subs	x3, x3, #1\n"
	"	b.ne	4b\n"
	"6:	str	x5, [x20, #0x20]\n"
	"	b	1b\n");

#define SZ_4K		0x1000UL
#define SZ_2M		0x200000UL
#define HP_GPA		0x80000000UL	/* slot 1: 2 MiB aligned */
#define HP_SIZE		(2 * SZ_2M)
#define HP_PAGES	(HP_SIZE / SZ_4K)

/* Pages the second half works on (offsets into slot 1) */
#define DROP_OFF	(SZ_2M + 0x113000UL)	/* middle of the 2nd huge page */
#define NEAR_OFF	(SZ_2M + 0x0f0000UL)	/* same huge page, kept */
#define FAR_OFF		0x0a7000UL		/* the other huge page */

#define MAX_BAD		16

static struct vmm_vm vm;
static struct vmm_vcpu vcpu;

struct mismatch {
	uint64_t addr, val;
};

static bool feed(uint64_t cmd, uint64_t addr, uint64_t arg)
{
	return vmm_expect_mmio(&vcpu, H_CMD, 8, false, &cmd) &&
	       vmm_expect_mmio(&vcpu, H_ADDR, 8, false, &addr) &&
	       vmm_expect_mmio(&vcpu, H_ARG, 8, false, &arg);
}

static bool guest_peek(uint64_t gpa, uint64_t *val)
{
	if (!feed(0, gpa, 0) || !vmm_expect_mmio(&vcpu, H_RESULT, 8, true, val)) {
		tap_diag("peek %#llx: %s", (unsigned long long)gpa,
			 vmm_describe_exit(&vcpu));
		return false;
	}
	return true;
}

static bool guest_fill(uint64_t gpa, uint64_t pages)
{
	uint64_t v;

	if (!feed(1, gpa, pages) || !vmm_expect_mmio(&vcpu, H_DONE, 8, true, &v)) {
		tap_diag("fill: %s", vmm_describe_exit(&vcpu));
		return false;
	}
	return true;
}

/*
 * The guest checks pages; returns the number of mismatches it counted
 * (the first MAX_BAD recorded in bad[]), or -1 if the guest went wrong.
 */
static long guest_check(uint64_t gpa, uint64_t pages, struct mismatch *bad,
			long *nbad)
{
	uint64_t a, v;
	long n = 0;

	*nbad = 0;
	if (!feed(2, gpa, pages))
		goto fail;
	/* At most one exit pair per page, then DONE */
	while (n <= (long)pages) {
		vmm_run(&vcpu);
		if (vmm_is_mmio(&vcpu, H_DONE, 8, true))
			return (long)vmm_mmio_data(&vcpu) == n ? n : -1;
		if (!vmm_is_mmio(&vcpu, H_BAD_ADDR, 8, true))
			goto fail;
		a = vmm_mmio_data(&vcpu);
		if (!vmm_expect_mmio(&vcpu, H_BAD_VAL, 8, true, &v))
			goto fail;
		if (n < MAX_BAD)
			bad[n] = (struct mismatch){ a, v };
		n++;
		*nbad = n < MAX_BAD ? n : MAX_BAD;
	}
fail:
	tap_diag("check: %s", vmm_describe_exit(&vcpu));
	return -1;
}

static void check_dropped(uint64_t drop_gpa)
{
	struct mismatch bad[MAX_BAD];
	long n, nbad, i;

	n = guest_check(HP_GPA, HP_PAGES, bad, &nbad);
	for (i = 0; i < nbad; i++)
		tap_diag("guest saw %#llx at %#llx",
			 (unsigned long long)bad[i].val,
			 (unsigned long long)bad[i].addr);
	tap_check(n >= 1 && nbad >= 1 && bad[0].addr == drop_gpa &&
		  bad[0].val == 0,
		  "guest reads 0 in the page the host dropped",
		  n == 0 ? "it still sees its old data there: the 2 MiB "
		  "stage-2 block was not taken down" : "%ld mismatches", n);
	tap_check(n == 1,
		  "guest still reads its pattern in every other page",
		  "%ld mismatches", n);
}

int main(void)
{
	uint64_t drop_gpa = HP_GPA + DROP_OFF, val;
	uint64_t blocks0 = 0, blocks1 = 0, faults0 = 0, faults1 = 0;
	struct mismatch bad[MAX_BAD];
	size_t off, bad_host = 0;
	long kb, n, nbad, i;
	char *raw, *mem;
	bool ok;
	int rc, sfd = -1;

	tap_init();

	raw = mmap(NULL, HP_SIZE + SZ_2M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TAP_REQUIRE(raw != MAP_FAILED, "mmap 6 MiB", "%s", strerror(errno));
	mem = (char *)(((uintptr_t)raw + SZ_2M - 1) & ~(SZ_2M - 1));
	/* Keep exactly the aligned 4 MiB, so that its VMA is on its own. */
	if (mem > raw)
		munmap(raw, mem - raw);
	munmap(mem + HP_SIZE, raw + SZ_2M - mem);
	rc = madvise(mem, HP_SIZE, MADV_HUGEPAGE);
	TAP_REQUIRE(!rc, "madvise(MADV_HUGEPAGE)", "%s", strerror(errno));
	for (off = 0; off < HP_SIZE; off += SZ_4K)
		mem[off] = 1;
	kb = vmm_anon_huge_kb(mem, HP_SIZE);
	tap_diag("AnonHugePages of the 4 MiB: %ld kB", kb);
	if (kb <= 0) {
		tap_skip("guest memory in transparent huge pages",
			 kb < 0 ? "cannot read /proc/self/smaps" :
			 "the host gave no huge pages (AnonHugePages 0)");
		return tap_done();
	}

	rc = vmm_simple_vm(&vm, &vcpu, hpserv_start, GUEST_SIZE(hpserv),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	rc = vmm_set_region(&vm, 1, 0, HP_GPA, HP_SIZE, mem);
	TAP_REQUIRE(!rc, "4 MiB slot over the huge pages", "%s", strerror(-rc));

	if (vmm_is_modkvm()) {
		sfd = ioctl(vcpu.fd, KVM_GET_STATS_FD, NULL);
		tap_check(sfd >= 0, "vCPU stats fd", "%s", strerror(errno));
	}
	/* Let the code page fault in first: later counts are slot 1's. */
	TAP_REQUIRE(guest_peek(VMM_RAM_BASE, &val), "guest runs", NULL);
	if (sfd >= 0) {
		rc = vmm_stat(sfd, "s2_block_maps", &blocks0);
		tap_check(!rc, "vCPU statistic s2_block_maps exists", "%s",
			  strerror(-rc));
		vmm_stat(sfd, "s2_faults", &faults0);
	}

	/* First pass: the guest writes its pattern and reads it back. */
	ok = guest_fill(HP_GPA, HP_PAGES);
	TAP_REQUIRE(ok, "guest fills 4 MiB, one store every 4 KiB", NULL);
	for (off = 0; off < HP_SIZE; off += SZ_4K)
		if (*(uint64_t *)(mem + off) != HP_GPA + off)
			bad_host++;
	tap_check(!bad_host, "host sees the guest's pattern in every page",
		  "%zu pages differ", bad_host);
	n = guest_check(HP_GPA, HP_PAGES, bad, &nbad);
	tap_check(n == 0, "guest reads its pattern back",
		  n < 0 ? "guest failed" : "%ld mismatches, first at %#llx: %#llx",
		  n, (unsigned long long)(nbad ? bad[0].addr : 0),
		  (unsigned long long)(nbad ? bad[0].val : 0));
	kb = vmm_anon_huge_kb(mem, HP_SIZE);
	tap_diag("AnonHugePages after the first pass: %ld kB", kb);

	if (sfd >= 0) {
		vmm_stat(sfd, "s2_block_maps", &blocks1);
		vmm_stat(sfd, "s2_faults", &faults1);
		tap_diag("first pass: %llu stage-2 faults, %llu block maps",
			 (unsigned long long)(faults1 - faults0),
			 (unsigned long long)(blocks1 - blocks0));
		tap_check(blocks1 > blocks0,
			  "2 MiB stage-2 blocks mapped the huge pages",
			  "s2_block_maps %llu before, %llu after",
			  (unsigned long long)blocks0,
			  (unsigned long long)blocks1);
	} else {
		tap_skip("2 MiB stage-2 blocks mapped the huge pages",
			 "s2_block_maps is modkvm's statistic");
	}

	/* Drop one 4 KiB page in the middle of a huge page. */
	rc = madvise(mem + DROP_OFF, SZ_4K, MADV_DONTNEED);
	TAP_REQUIRE(!rc, "madvise(MADV_DONTNEED) on one 4 KiB page", "%s",
		    strerror(errno));
	check_dropped(drop_gpa);

	/* New host values: beside the dropped page, in the other huge page */
	*(volatile uint64_t *)(mem + NEAR_OFF) = 0x1111222233334444ULL;
	ok = guest_peek(HP_GPA + NEAR_OFF, &val);
	tap_check(ok && val == 0x1111222233334444ULL,
		  "guest sees a host write in the split huge page",
		  "read %#llx", (unsigned long long)val);
	*(volatile uint64_t *)(mem + FAR_OFF) = 0x5555666677778888ULL;
	ok = guest_peek(HP_GPA + FAR_OFF, &val);
	tap_check(ok && val == 0x5555666677778888ULL,
		  "guest sees a host write in the other huge page",
		  "read %#llx", (unsigned long long)val);
	/* The dropped page comes back as a new page when the host writes. */
	*(volatile uint64_t *)(mem + DROP_OFF) = 0x99990000aaaabbbbULL;
	ok = guest_peek(drop_gpa, &val);
	tap_check(ok && val == 0x99990000aaaabbbbULL,
		  "guest sees a host write into the dropped page",
		  "read %#llx", (unsigned long long)val);

	/* And guest writes land in the host's (new) pages. */
	ok = guest_fill(HP_GPA, HP_PAGES);
	bad_host = 0;
	for (off = 0; ok && off < HP_SIZE; off += SZ_4K)
		if (*(uint64_t *)(mem + off) != HP_GPA + off)
			bad_host++;
	tap_check(ok && !bad_host,
		  "a second guest fill reaches every host page",
		  "%zu pages differ", bad_host);

	/* Drop a whole huge page: the guest reads zeros all over it. */
	rc = madvise(mem, SZ_2M, MADV_DONTNEED);
	TAP_REQUIRE(!rc, "madvise(MADV_DONTNEED) on the first 2 MiB", "%s",
		    strerror(errno));
	n = guest_check(HP_GPA, HP_PAGES, bad, &nbad);
	ok = n == (long)(SZ_2M / SZ_4K) && nbad == MAX_BAD;
	for (i = 0; ok && i < nbad; i++)
		ok = bad[i].val == 0 && bad[i].addr == HP_GPA + i * SZ_4K;
	tap_check(ok, "guest reads 0 in each page of the dropped huge page and "
		  "its pattern in the other", "%ld mismatches, first %#llx at "
		  "%#llx", n, (unsigned long long)(nbad ? bad[0].val : 0),
		  (unsigned long long)(nbad ? bad[0].addr : 0));

	if (sfd >= 0)
		close(sfd);
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	munmap(mem, HP_SIZE);
	return tap_done();
}
