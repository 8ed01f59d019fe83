// SPDX-License-Identifier: GPL-2.0
/*
 * The stage-2 page tables: an LPAE long-descriptor walker with a 4 KiB
 * granule, as both ARMv8-A (AArch64) and ARMv7-A with LPAE define it.
 *
 * The first level may be several concatenated tables (s2->pgd_order) so
 * that a 40-bit IPA space starts at level 1. Tables are allocated from a
 * per-fault cache filled before vm->mmu_lock is taken, so nothing here
 * sleeps; callers hold vm->mmu_lock. Intermediate tables are kept until
 * the VM goes away.
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "modkvm.h"
#include "stage2.h"

/* Long-descriptor fields (Arm ARM, "VMSAv8-64 translation table format") */
#define DESC_VALID	BIT_ULL(0)
#define DESC_TABLE	BIT_ULL(1)	/* table at levels 0-2, page at 3 */
#define DESC_OA_MASK	GENMASK_ULL(47, 12)
#define S2_MEMATTR_WB	(0xfULL << 2)	/* Normal, inner/outer write-back */
/* With HCR_EL2.FWB: Normal write-back whatever stage 1 says */
#define S2_MEMATTR_FWB_WB	(0x6ULL << 2)
#define S2_AP_R		BIT_ULL(6)
#define S2_AP_W		BIT_ULL(7)
#define S2_SH_INNER	(3ULL << 8)
#define S2_AF		BIT_ULL(10)
#define S2_XN		BIT_ULL(54)

#define LEVEL_SHIFT(l)	(PAGE_SHIFT + 9 * (3 - (l)))
#define PTRS		512

static u64 s2_leaf_desc(const struct modkvm_s2 *s2, phys_addr_t pa,
			unsigned int prot)
{
	u64 d = (pa & DESC_OA_MASK) | DESC_VALID | DESC_TABLE |
		(s2->fwb ? S2_MEMATTR_FWB_WB : S2_MEMATTR_WB) |
		S2_SH_INNER | S2_AF;

	if (prot & MODKVM_S2_R)
		d |= S2_AP_R;
	if (prot & MODKVM_S2_W)
		d |= S2_AP_W;
	if (!(prot & MODKVM_S2_X))
		d |= S2_XN;
	return d;
}

static u64 *s2_table_va(u64 desc)
{
	return phys_to_virt(desc & DESC_OA_MASK);
}

/* A valid entry that maps memory itself: a page, or a block above level 3 */
static bool s2_is_leaf(u64 desc, unsigned int level)
{
	return (desc & DESC_VALID) && (level == 3 || !(desc & DESC_TABLE));
}

static unsigned int s2_index(const struct modkvm_s2 *s2, unsigned int level,
			     u64 ipa)
{
	u64 entries = level == s2->start_level ?
		      (u64)PTRS << s2->pgd_order : PTRS;

	return (ipa >> LEVEL_SHIFT(level)) & (entries - 1);
}

int modkvm_pgcache_topup(struct modkvm_pgcache *c)
{
	while (c->n < ARRAY_SIZE(c->pages)) {
		void *p = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!p)
			return -ENOMEM;
		c->pages[c->n++] = p;
	}
	return 0;
}

void modkvm_pgcache_free(struct modkvm_pgcache *c)
{
	while (c->n)
		free_page((unsigned long)c->pages[--c->n]);
}

/*
 * Map @size bytes (a 4 KiB page, or a 2 MiB block at level 2) at @ipa with
 * at least @prot. Returns 0, or -EAGAIN if nothing had to change.
 *
 * The same page or block already there keeps its permissions and gains
 * the missing ones in place: only the access permissions change, so no
 * break-before-make is needed. Anything else mapped there is broken first
 * (break-before-make) and its TLB entries dropped; a table replaced by a
 * block is freed. Memory is prepared (modkvm_s2_prepare_*) before the
 * guest can reach it, and only when that is new: a fresh leaf, or
 * execute permission granted.
 */
int modkvm_s2_map(struct modkvm_s2 *s2, u64 ipa, phys_addr_t pa, u64 size,
		  unsigned int prot, struct modkvm_pgcache *c)
{
	unsigned int leaf_level = size == MODKVM_S2_BLOCK_SIZE ? 2 : 3;
	u64 *table = s2->pgd, *slot, desc, new;
	unsigned int level;

	for (level = s2->start_level; level < leaf_level; level++) {
		slot = &table[s2_index(s2, level, ipa)];
		desc = modkvm_s2_read_desc(slot);
		if (s2_is_leaf(desc, level)) {
			/* a block where a finer mapping is wanted: break it */
			modkvm_s2_write_desc(slot, 0);
			modkvm_s2_sync();
			modkvm_tlb_flush_ipa(s2, ipa);
			desc = 0;
		}
		if (!(desc & DESC_VALID)) {
			void *next;

			if (WARN_ON_ONCE(!c->n))
				return -ENOMEM;
			next = c->pages[--c->n];
			/* The zeroed table must be visible before the link. */
			modkvm_s2_sync();
			modkvm_s2_write_desc(slot, virt_to_phys(next) |
					     DESC_VALID | DESC_TABLE);
			desc = modkvm_s2_read_desc(slot);
		}
		table = s2_table_va(desc);
	}

	slot = &table[s2_index(s2, leaf_level, ipa)];
	new = s2_leaf_desc(s2, pa, prot);
	if (leaf_level < 3)
		new &= ~DESC_TABLE;		/* block descriptor */
	desc = modkvm_s2_read_desc(slot);

	if (s2_is_leaf(desc, leaf_level) &&
	    (desc & DESC_OA_MASK) == (new & DESC_OA_MASK)) {
		/* the same memory: only ever add permissions */
		u64 want = new;

		new = desc | (want & (S2_AP_R | S2_AP_W));
		if (!(want & S2_XN))
			new &= ~S2_XN;
		if (new == desc)
			return -EAGAIN;
		if ((desc & S2_XN) && !(new & S2_XN))
			modkvm_s2_prepare_exec(pa, size);
		modkvm_s2_write_desc(slot, new);
		modkvm_s2_sync();
		/* an entry cached with fewer rights would fault again */
		modkvm_tlb_flush_ipa(s2, ipa);
		return 0;
	}

	/* with forced write-back the guest cannot look past the caches */
	if (!s2->fwb)
		modkvm_s2_prepare_new(pa, size);
	if (!(new & S2_XN))
		modkvm_s2_prepare_exec(pa, size);
	if (desc & DESC_VALID) {
		modkvm_s2_write_desc(slot, 0);
		modkvm_s2_sync();
		if (s2_is_leaf(desc, leaf_level)) {
			modkvm_tlb_flush_ipa(s2, ipa);
		} else {
			/* a table of pages becomes one block */
			u64 *old = s2_table_va(desc);

			modkvm_tlb_flush_vmid(s2);
			free_page((unsigned long)old);
		}
	}
	modkvm_s2_write_desc(slot, new);
	modkvm_s2_sync();
	return 0;
}

/*
 * Call @fn on every valid leaf (page, or block even if only partly in the
 * range) in [start, end) below @table; returns the sum of what it returns.
 */
typedef u64 (*s2_leaf_fn)(struct modkvm_s2 *s2, u64 *slot, u64 desc,
			  u64 addr, bool flush_each);

static u64 s2_leaf_range(struct modkvm_s2 *s2, u64 *table, unsigned int level,
			 u64 start, u64 end, s2_leaf_fn fn, bool flush_each)
{
	u64 size = 1ULL << LEVEL_SHIFT(level), sum = 0, addr = start;

	while (addr < end) {
		u64 *slot = &table[s2_index(s2, level, addr)];
		u64 next = (addr | (size - 1)) + 1;
		u64 desc = modkvm_s2_read_desc(slot);

		if (next > end || next < addr)
			next = end;
		if (s2_is_leaf(desc, level))
			sum += fn(s2, slot, desc, addr, flush_each);
		else if (desc & DESC_VALID)
			sum += s2_leaf_range(s2, s2_table_va(desc), level + 1,
					     addr, next, fn, flush_each);
		addr = next;
	}
	return sum;
}

/* Clear a leaf (a block only partly in range goes whole) */
static u64 s2_clear_leaf(struct modkvm_s2 *s2, u64 *slot, u64 desc, u64 addr,
			 bool flush_each)
{
	modkvm_s2_write_desc(slot, 0);
	if (flush_each) {
		modkvm_s2_sync();
		modkvm_tlb_flush_ipa(s2, addr);
	}
	return 1;
}

/* Take write permission from a leaf; 1 if it had it */
static u64 s2_wrprotect_leaf(struct modkvm_s2 *s2, u64 *slot, u64 desc,
			     u64 addr, bool flush_each)
{
	if (!(desc & S2_AP_W))
		return 0;
	modkvm_s2_write_desc(slot, desc & ~S2_AP_W);
	return 1;
}

/*
 * Unmap [ipa, ipa + size). Small ranges drop their TLB entries page by
 * page; larger ones flush the whole VMID once.
 */
void modkvm_s2_unmap(struct modkvm_s2 *s2, u64 ipa, u64 size)
{
	bool flush_each = size <= 64 * PAGE_SIZE;
	u64 end = min(ipa + size, 1ULL << s2->ipa_bits);

	if (!s2->pgd || ipa >= end)
		return;
	if (s2_leaf_range(s2, s2->pgd, s2->start_level, ipa, end, s2_clear_leaf,
			  flush_each) && !flush_each) {
		modkvm_s2_sync();
		modkvm_tlb_flush_vmid(s2);
	}
}

/*
 * Write-protect [ipa, ipa + size): the mappings stay (readable, and
 * executable if they were), so reads go on without a fault and only the
 * next write faults (dirty logging re-arms pages this way). Only the
 * access permissions change, which needs no break-before-make (Arm ARM,
 * "Using break-before-make when updating translation table entries").
 * Nothing is flushed here: the TLB may still hold the writable entries
 * until the caller makes the descriptors visible (modkvm_s2_sync()) and
 * flushes, once for a whole batch. Returns how many entries changed.
 */
u64 modkvm_s2_wrprotect(struct modkvm_s2 *s2, u64 ipa, u64 size)
{
	u64 end = min(ipa + size, 1ULL << s2->ipa_bits);

	if (!s2->pgd || ipa >= end)
		return 0;
	return s2_leaf_range(s2, s2->pgd, s2->start_level, ipa, end,
			     s2_wrprotect_leaf, false);
}

/* Call @fn on each mapped page in the whole IPA space. */
static void s2_walk_level(struct modkvm_s2 *s2, u64 *table, unsigned int level,
			  void (*fn)(phys_addr_t pa, void *arg), void *arg)
{
	u64 n = level == s2->start_level ? (u64)PTRS << s2->pgd_order : PTRS;
	u64 i;

	for (i = 0; i < n; i++) {
		u64 desc = modkvm_s2_read_desc(&table[i]);

		if (!(desc & DESC_VALID))
			continue;
		if (s2_is_leaf(desc, level)) {
			u64 pa = desc & DESC_OA_MASK, end = pa + (1ULL << LEVEL_SHIFT(level));

			for (; pa < end; pa += PAGE_SIZE)
				fn(pa, arg);
		} else
			s2_walk_level(s2, s2_table_va(desc), level + 1, fn, arg);
	}
}

void modkvm_s2_for_each_page(struct modkvm_s2 *s2,
			     void (*fn)(phys_addr_t pa, void *arg), void *arg)
{
	if (s2->pgd)
		s2_walk_level(s2, s2->pgd, s2->start_level, fn, arg);
}

static void s2_free_level(struct modkvm_s2 *s2, u64 *table, unsigned int level)
{
	u64 n = level == s2->start_level ? (u64)PTRS << s2->pgd_order : PTRS;
	u64 i;

	if (level == 3)
		return;
	for (i = 0; i < n; i++) {
		u64 desc = table[i];

		if ((desc & DESC_VALID) && !s2_is_leaf(desc, level)) {
			s2_free_level(s2, s2_table_va(desc), level + 1);
			free_page((unsigned long)s2_table_va(desc));
		}
	}
}

/* Free every table below the pgd; the pgd itself is the arch's. */
void modkvm_s2_free_tables(struct modkvm_s2 *s2)
{
	if (s2->pgd)
		s2_free_level(s2, s2->pgd, s2->start_level);
}
