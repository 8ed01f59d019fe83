// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty page logging: KVM_MEM_LOG_DIRTY_PAGES, KVM_GET_DIRTY_LOG (which
 * clears and re-protects what it returns), then with
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (manual protect, initially set)
 * KVM_GET_DIRTY_LOG that does not clear and KVM_CLEAR_DIRTY_LOG, and the
 * bad-argument errors of both.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest_peekpoke.h"


#define PG		0x1000UL
#define NPAGES		128		/* two 64-bit bitmap words */
#define LOG_GPA		0x80000000UL	/* slot 1, dirty logged */
#define PLAIN_GPA	0x90000000UL	/* slot 2, not logged */
#define GUARD		0xdeadbeefcafef00dULL
#define MAX_WORDS	16		/* bitmaps of up to 1024 pages */
#define SZ_2M		0x200000UL
#define HUGE_GPA	0xa0000000UL	/* slot 3, 2 MiB aligned */
#define HUGE_SIZE	(2 * SZ_2M)
#define HUGE_PAGES	(HUGE_SIZE / PG)

static struct vmm_vm vm;
static struct vmm_vcpu vcpu;

static bool feed(uint64_t cmd, uint64_t addr, uint64_t val)
{
	return vmm_expect_mmio(&vcpu, PP_CMD, 8, false, &cmd) &&
	       vmm_expect_mmio(&vcpu, PP_ADDR, 8, false, &addr) &&
	       vmm_expect_mmio(&vcpu, PP_VAL, 8, false, &val);
}

static bool guest_write(uint64_t gpa, uint64_t val)
{
	uint64_t v;

	if (feed(1, gpa, val) && vmm_expect_mmio(&vcpu, PP_DONE, 8, true, &v))
		return true;
	tap_diag("guest write %#llx: %s", (unsigned long long)gpa,
		 vmm_describe_exit(&vcpu));
	return false;
}

static bool guest_read(uint64_t gpa, uint64_t *val)
{
	if (feed(0, gpa, 0) && vmm_expect_mmio(&vcpu, PP_RESULT, 8, true, val))
		return true;
	tap_diag("guest read %#llx: %s", (unsigned long long)gpa,
		 vmm_describe_exit(&vcpu));
	return false;
}

/* Make a bitmap of npages bits from a list of page numbers (-1 ends it). */
static void bits_of(uint64_t *bm, unsigned int npages, const int *pages)
{
	memset(bm, 0, npages / 8);
	for (; *pages >= 0; pages++)
		bm[*pages / 64] |= 1ULL << (*pages % 64);
}

/*
 * KVM_GET_DIRTY_LOG of a slot of npages pages into bm, which has room for
 * MAX_WORDS + 1 words; the word after the bitmap (ALIGN(npages, 64) / 8
 * bytes) is a guard that must survive.  Returns the ioctl result.
 */
static int get_log(uint32_t slot, unsigned int npages, uint64_t *bm)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bm };

	memset(bm, 0xff, npages / 8);
	bm[npages / 64] = GUARD;
	return ioctl(vm.fd, KVM_GET_DIRTY_LOG, &log);
}

/* KVM_GET_DIRTY_LOG to an address that is not the caller's memory */
static int get_log_raw(uint32_t slot, void *bm)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bm };

	return ioctl(vm.fd, KVM_GET_DIRTY_LOG, &log);
}

static int clear_log(uint32_t slot, uint64_t first, uint32_t num, void *bm)
{
	struct kvm_clear_dirty_log c = {
		.slot = slot, .num_pages = num, .first_page = first,
		.dirty_bitmap = bm,
	};

	return ioctl(vm.fd, KVM_CLEAR_DIRTY_LOG, &c);
}

/* Check a GET result of a slot against the expected page list. */
static void expect_slot_log(const char *name, uint32_t slot,
			    unsigned int npages, const int *pages)
{
	uint64_t bm[MAX_WORDS + 1], want[MAX_WORDS];
	unsigned int i, nbad = 0, nset = 0;
	char why[256] = "";
	size_t len = 0;
	int rc;

	bits_of(want, npages, pages);
	rc = get_log(slot, npages, bm);
	if (rc) {
		tap_check(0, name, "GET_DIRTY_LOG: %s", strerror(errno));
		return;
	}
	for (i = 0; i < npages; i++) {
		bool got = bm[i / 64] >> (i % 64) & 1;

		nset += got;
		if (got == (bool)(want[i / 64] >> (i % 64) & 1))
			continue;
		if (nbad++ < 8 && len < sizeof(why) - 32)
			len += snprintf(why + len, sizeof(why) - len,
					" page %u %s", i,
					got ? "dirty" : "clean");
	}
	tap_check(!nbad && bm[npages / 64] == GUARD, name,
		  "%u bits wrong (%u set):%s; guard %s", nbad, nset, why,
		  bm[npages / 64] == GUARD ? "intact" : "overwritten");
}

static void expect_log(const char *name, const int *pages)
{
	expect_slot_log(name, 1, NPAGES, pages);
}

static void setup_vm(void)
{
	int rc = vmm_simple_vm(&vm, &vcpu, peekpoke_start, GUEST_SIZE(peekpoke),
			       1U << KVM_ARM_VCPU_PSCI_0_2);

	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
}

static uint64_t *slot_memory(void)
{
	uint64_t *mem = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int i;

	TAP_REQUIRE(mem != MAP_FAILED, "mmap", "%s", strerror(errno));
	/* Host pages exist and are writable: reads could map them writable. */
	for (i = 0; i < NPAGES; i++)
		mem[i * PG / 8] = 0x1000 + i;
	return mem;
}

static void auto_protect(void)
{
	static const int written[] = { 0, 3, 17, 63, 64, 100, 127, -1 };
	static const int read_only[] = { 1, 5, 62, 65, 126, -1 };
	static const int none[] = { -1 };
	static const int again[] = { 17, -1 };
	uint64_t *mem, *plain, val;
	bool ok = true;
	unsigned int i;
	int rc;

	setup_vm();
	mem = slot_memory();
	rc = vmm_set_region(&vm, 1, KVM_MEM_LOG_DIRTY_PAGES, LOG_GPA,
			    NPAGES * PG, mem);
	TAP_REQUIRE(!rc, "slot with KVM_MEM_LOG_DIRTY_PAGES", "%s",
		    strerror(-rc));
	expect_log("new slot: no page dirty", none);

	for (i = 0; written[i] >= 0; i++)
		ok &= guest_write(LOG_GPA + written[i] * PG + 8, 0xd1000 + i);
	for (i = 0; read_only[i] >= 0; i++) {
		ok &= guest_read(LOG_GPA + read_only[i] * PG, &val);
		ok &= val == 0x1000ULL + read_only[i];
	}
	TAP_REQUIRE(ok, "guest writes 7 pages and reads 5 others", NULL);
	for (i = 0; written[i] >= 0; i++)
		ok &= mem[(written[i] * PG + 8) / 8] == 0xd1000 + i;
	tap_check(ok, "the guest's writes reached host memory", NULL);

	expect_log("GET_DIRTY_LOG returns exactly the written pages", written);
	expect_log("a second GET returns nothing new", none);

	ok = guest_write(LOG_GPA + 17 * PG + 16, 0xd2);
	ok &= guest_read(LOG_GPA + 100 * PG, &val);
	tap_check(ok && mem[(17 * PG + 16) / 8] == 0xd2,
		  "guest writes page 17 again, reads page 100", NULL);
	expect_log("only the page written again is dirty (pages re-protected)",
		   again);
	expect_log("and that bit is cleared by the GET", none);

	/* A slot without logging */
	plain = slot_memory();
	rc = vmm_set_region(&vm, 2, 0, PLAIN_GPA, NPAGES * PG, plain);
	TAP_REQUIRE(!rc, "slot without logging", "%s", strerror(-rc));
	{
		uint64_t bm[MAX_WORDS + 1];

		rc = get_log(2, NPAGES, bm);
		TAP_ERRNO(rc, ENOENT, "GET_DIRTY_LOG on a slot without logging: ENOENT");
		rc = get_log(7, NPAGES, bm);
		TAP_ERRNO(rc, ENOENT, "GET_DIRTY_LOG on a slot that does not exist: ENOENT");
		rc = get_log_raw(1, (void *)8);
		TAP_ERRNO(rc, EFAULT, "GET_DIRTY_LOG to a bad bitmap pointer: EFAULT");
	}

	/* Turning logging off and on again starts from a clean bitmap. */
	ok = guest_write(LOG_GPA + 40 * PG, 0xd3);
	rc = vmm_set_region(&vm, 1, 0, LOG_GPA, NPAGES * PG, mem);
	tap_check(ok && !rc, "logging turned off on slot 1", "%s",
		  strerror(-rc));
	{
		uint64_t bm[MAX_WORDS + 1];

		rc = get_log(1, NPAGES, bm);
		TAP_ERRNO(rc, ENOENT, "GET_DIRTY_LOG after logging was turned off: ENOENT");
	}
	ok = guest_write(LOG_GPA + 41 * PG, 0xd4);
	rc = vmm_set_region(&vm, 1, KVM_MEM_LOG_DIRTY_PAGES, LOG_GPA,
			    NPAGES * PG, mem);
	tap_check(ok && !rc, "and on again", "%s", strerror(-rc));
	expect_log("re-enabled logging starts clean", none);
	{
		static const int p41[] = { 41, -1 };

		ok = guest_write(LOG_GPA + 41 * PG + 8, 0xd5);
		tap_check(ok, "guest writes page 41", NULL);
		expect_log("a page mapped writable before logging is tracked",
			   p41);
	}

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	munmap(mem, NPAGES * PG);
	munmap(plain, NPAGES * PG);
}

static void manual_protect(void)
{
	static const int none[] = { -1 };
	static const int p2[] = { 2, -1 };
	static const int p70[] = { 70, -1 };
	int all_pages[NPAGES + 1];
	uint64_t *mem, *plain, bm[MAX_WORDS + 1], clr[2];
	long cap;
	bool ok;
	int rc, i;

	for (i = 0; i < NPAGES; i++)
		all_pages[i] = i;
	all_pages[NPAGES] = -1;

	setup_vm();
	cap = vmm_check_cap(&vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	tap_diag("KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 = %ld", cap);
	if (!tap_check(cap > 0 && (cap & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) &&
		       (cap & KVM_DIRTY_LOG_INITIALLY_SET),
		       "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 offers manual protect "
		       "and initially set", "%ld", cap)) {
		vmm_vcpu_destroy(&vcpu);
		vmm_vm_destroy(&vm);
		return;
	}
	rc = vmm_enable_cap(&vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			    KVM_DIRTY_LOG_INITIALLY_SET);
	TAP_NEG(rc, EINVAL,
		"ENABLE_CAP INITIALLY_SET without MANUAL_PROTECT_ENABLE: EINVAL");
	rc = vmm_enable_cap(&vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			    KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | (1ULL << 5));
	TAP_NEG(rc, EINVAL, "ENABLE_CAP with an unknown flag: EINVAL");
	rc = vmm_enable_cap(&vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			    KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
			    KVM_DIRTY_LOG_INITIALLY_SET);
	TAP_REQUIRE(!rc, "ENABLE_CAP MANUAL_PROTECT_ENABLE | INITIALLY_SET",
		    "%s", strerror(-rc));

	mem = slot_memory();
	rc = vmm_set_region(&vm, 1, KVM_MEM_LOG_DIRTY_PAGES, LOG_GPA,
			    NPAGES * PG, mem);
	TAP_REQUIRE(!rc, "slot with KVM_MEM_LOG_DIRTY_PAGES", "%s",
		    strerror(-rc));
	expect_log("initially set: every bit set", all_pages);
	expect_log("GET does not clear them", all_pages);

	/* A write while everything is already dirty maps page 70 writable. */
	ok = guest_write(LOG_GPA + 70 * PG, 0xe1);
	tap_check(ok && mem[70 * PG / 8] == 0xe1, "guest writes page 70", NULL);

	/* Clear everything but page 2. */
	clr[0] = ~(1ULL << 2);
	clr[1] = ~0ULL;
	rc = clear_log(1, 0, NPAGES, clr);
	TAP_EQ(rc, 0, "CLEAR_DIRTY_LOG first_page 0, all bits but page 2");
	expect_log("only page 2 is left dirty", p2);
	clr[0] = 1ULL << 2;
	clr[1] = 0;
	rc = clear_log(1, 0, 64, clr);
	TAP_EQ(rc, 0, "CLEAR_DIRTY_LOG of page 2 alone (64 pages)");
	expect_log("nothing is dirty", none);

	ok = guest_write(LOG_GPA + 70 * PG + 8, 0xe2);
	tap_check(ok && mem[(70 * PG + 8) / 8] == 0xe2,
		  "guest writes page 70 again", NULL);
	expect_log("only page 70 is dirty (re-protected by CLEAR)", p70);
	expect_log("and GET leaves it set", p70);
	ok = guest_write(LOG_GPA + 70 * PG + 16, 0xe3);
	tap_check(ok, "guest writes page 70 once more", NULL);
	expect_log("still page 70 only", p70);
	/* Bit 0 of the bitmap is first_page. */
	clr[0] = 1ULL << (70 - 64);
	clr[1] = 0;
	rc = clear_log(1, 64, 64, clr);
	TAP_EQ(rc, 0, "CLEAR_DIRTY_LOG first_page 64 for page 70");
	expect_log("clean again", none);

	/* Bad arguments */
	clr[0] = clr[1] = ~0ULL;
	rc = clear_log(1, 1, 64, clr);
	TAP_ERRNO(rc, EINVAL, "CLEAR first_page 1 (not a multiple of 64): EINVAL");
	rc = clear_log(1, 32, 64, clr);
	TAP_ERRNO(rc, EINVAL, "CLEAR first_page 32: EINVAL");
	rc = clear_log(1, 64, 128, clr);
	TAP_ERRNO(rc, EINVAL, "CLEAR num_pages past the end of the slot: EINVAL");
	rc = clear_log(1, 0, NPAGES + 64, clr);
	TAP_ERRNO(rc, EINVAL, "CLEAR num_pages larger than the slot: EINVAL");
	rc = clear_log(1, 192, 64, clr);
	TAP_ERRNO(rc, EINVAL, "CLEAR first_page past the end of the slot: EINVAL");
	rc = clear_log(1, 0, 10, clr);
	TAP_ERRNO(rc, EINVAL, "CLEAR num_pages 10 not reaching the end: EINVAL");
	rc = clear_log(1, 0, NPAGES, (void *)8);
	TAP_ERRNO(rc, EFAULT, "CLEAR from a bad bitmap pointer: EFAULT");
	rc = get_log_raw(1, (void *)8);
	TAP_ERRNO(rc, EFAULT, "GET to a bad bitmap pointer: EFAULT");
	plain = slot_memory();
	rc = vmm_set_region(&vm, 2, 0, PLAIN_GPA, NPAGES * PG, plain);
	TAP_REQUIRE(!rc, "slot without logging", "%s", strerror(-rc));
	rc = clear_log(2, 0, NPAGES, clr);
	TAP_ERRNO(rc, ENOENT, "CLEAR on a slot without logging: ENOENT");
	rc = get_log(2, NPAGES, bm);
	TAP_ERRNO(rc, ENOENT, "GET on a slot without logging: ENOENT");

	/* The failed calls changed nothing. */
	expect_log("failed calls left the bitmap alone", none);
	ok = guest_write(LOG_GPA + 5 * PG, 0xe4);
	tap_check(ok, "guest writes page 5", NULL);
	{
		static const int p5[] = { 5, -1 };

		expect_log("only page 5 is dirty", p5);
	}

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	munmap(mem, NPAGES * PG);
	munmap(plain, NPAGES * PG);
}

/*
 * Logging turned on for a slot the guest has already written, backed by
 * transparent huge pages (so possibly mapped with writable 2 MiB stage-2
 * blocks): from then on each 4 KiB page the guest writes must show up on
 * its own.  In manual mode the write protection comes from CLEAR.
 */
static void huge_slot(bool manual)
{
	static const int p5_700[] = { 5, 700, -1 };
	static const int p6[] = { 6, -1 };
	static const int none[] = { -1 };
	static int all[HUGE_PAGES + 1];
	uint64_t clr[MAX_WORDS];
	char *raw, *mem, name[120];
	const char *mode = manual ? "manual" : "auto";
	unsigned int i;
	bool ok;
	long kb;
	int rc;

	for (i = 0; i < HUGE_PAGES; i++)
		all[i] = i;
	all[HUGE_PAGES] = -1;

	setup_vm();
	if (manual) {
		rc = vmm_enable_cap(&vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
				    KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
				    KVM_DIRTY_LOG_INITIALLY_SET);
		TAP_REQUIRE(!rc, "ENABLE_CAP MANUAL_PROTECT_ENABLE | INITIALLY_SET",
			    "%s", strerror(-rc));
	}
	raw = mmap(NULL, HUGE_SIZE + SZ_2M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TAP_REQUIRE(raw != MAP_FAILED, "mmap", "%s", strerror(errno));
	mem = (char *)(((uintptr_t)raw + SZ_2M - 1) & ~(SZ_2M - 1));
	madvise(mem, HUGE_SIZE, MADV_HUGEPAGE);
	for (i = 0; i < HUGE_PAGES; i++)
		mem[i * PG] = 1;
	kb = vmm_anon_huge_kb(mem, HUGE_SIZE);
	tap_diag("%s: 4 MiB slot, AnonHugePages %ld kB", mode, kb);

	rc = vmm_set_region(&vm, 3, 0, HUGE_GPA, HUGE_SIZE, mem);
	TAP_REQUIRE(!rc, "4 MiB slot over huge pages", "%s", strerror(-rc));
	ok = guest_write(HUGE_GPA + 0 * PG, 0xf0) &&
	     guest_write(HUGE_GPA + 600 * PG, 0xf1) &&
	     guest_write(HUGE_GPA + 5 * PG + 8, 0xf2) &&
	     guest_write(HUGE_GPA + 700 * PG + 8, 0xf3);
	snprintf(name, sizeof(name), "%s: guest writes both huge pages before "
		 "logging", mode);
	TAP_REQUIRE(ok, name, NULL);
	rc = vmm_set_region(&vm, 3, KVM_MEM_LOG_DIRTY_PAGES, HUGE_GPA,
			    HUGE_SIZE, mem);
	snprintf(name, sizeof(name), "%s: logging turned on for that slot",
		 mode);
	TAP_REQUIRE(!rc, name, "%s", strerror(-rc));
	if (manual) {
		snprintf(name, sizeof(name), "%s: all %u bits initially set",
			 mode, (unsigned int)HUGE_PAGES);
		expect_slot_log(name, 3, HUGE_PAGES, all);
		memset(clr, 0xff, sizeof(clr));
		rc = clear_log(3, 0, HUGE_PAGES, clr);
		snprintf(name, sizeof(name), "%s: CLEAR all of them", mode);
		TAP_EQ(rc, 0, name);
	}
	snprintf(name, sizeof(name), "%s: nothing dirty yet", mode);
	expect_slot_log(name, 3, HUGE_PAGES, none);

	ok = guest_write(HUGE_GPA + 5 * PG, 0xf4) &&
	     guest_write(HUGE_GPA + 700 * PG, 0xf5);
	snprintf(name, sizeof(name), "%s: guest writes pages 5 and 700 again",
		 mode);
	tap_check(ok && *(uint64_t *)(mem + 5 * PG) == 0xf4 &&
		  *(uint64_t *)(mem + 700 * PG) == 0xf5, name, NULL);
	snprintf(name, sizeof(name), "%s: exactly pages 5 and 700 are dirty "
		 "(blocks split or write-protected)", mode);
	expect_slot_log(name, 3, HUGE_PAGES, p5_700);
	if (manual) {
		memset(clr, 0, sizeof(clr));
		clr[0] = 1ULL << 5;
		clr[700 / 64] = 1ULL << (700 % 64);
		rc = clear_log(3, 0, HUGE_PAGES, clr);
		snprintf(name, sizeof(name), "%s: CLEAR pages 5 and 700", mode);
		TAP_EQ(rc, 0, name);
	}
	ok = guest_write(HUGE_GPA + 6 * PG, 0xf6);
	snprintf(name, sizeof(name), "%s: then a write to page 6 is the only "
		 "dirty page", mode);
	if (!ok)
		tap_check(0, name, "guest write failed");
	else
		expect_slot_log(name, 3, HUGE_PAGES, p6);

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	munmap(raw, HUGE_SIZE + SZ_2M);
}

int main(void)
{
	tap_init();
	auto_protect();
	manual_protect();
	huge_slot(false);
	huge_slot(true);
	return tap_done();
}
