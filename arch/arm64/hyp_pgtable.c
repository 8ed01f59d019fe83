// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, nVHE: the EL2 stage-1 page tables (TTBR0_EL2), built at EL1.
 *
 * The hyp VA scheme: with HCR_EL2.E2H clear, EL2 has a single VA range
 * from 0 (TTBR0_EL2 only, Arm ARM "The EL2 translation regime"), at most
 * 48 bits with the 4 KiB granule and no FEAT_LVA. The kernel's own
 * addresses have bits 63:48 all ones (its linear map in the lower half of
 * that 48-bit space, vmalloc and modules in the upper half, on a 48-bit
 * host; also on a 52-bit kernel running on a CPU without 52-bit VAs), so
 * a kernel address with bits 63:48 cleared (modkvm_hyp_va()) is unique
 * and keeps the distances within and between the module's sections, and
 * PC-relative code runs unchanged at EL2. The one page mapped elsewhere
 * is the init page, also at its physical address (the identity map), in
 * separate tables that hold only it (nvhe.c), so that no identity
 * mapping can collide with a hyp VA.
 *
 * Layout: 4 KiB granule, 48-bit VA, four levels of 512 entries. The
 * descriptors (Arm ARM, "VMSAv8-64 translation table format
 * descriptors"): table (levels 0-2) and page (level 3) both 0b11 in bits
 * 1:0; a page has AttrIndx (4:2, MAIR_EL2), AP[2] (7, read-only), AP[1]
 * (6, RES1 in a regime with one privilege level), SH (9:8), AF (10) and
 * XN (54, the EL2 regime's only execute-never bit).
 *
 * Entries are added while EL2 may walk the tables on other CPUs: a new
 * table is zeroed before it is linked (DSB), and an invalid entry is never
 * held in a TLB (Arm ARM, "Translation Lookaside Buffers"), so adding
 * needs no invalidation. Changing or removing one does (nvhe.c: unmap,
 * TLBI ALLE2IS at EL2, map). The tables are freed once every CPU has
 * given EL2 back. The caller serialises changes.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <asm/barrier.h>

#include "modkvm.h"
#include "hyp_pgtable.h"

#define HPT_LEVELS		4
#define HPT_ENTRIES		512
#define HPT_DESC_TABLE		3ULL	/* valid, table (or page at level 3) */
#define HPT_ATTRIDX(n)		((u64)(n) << 2)
#define HPT_AP1			BIT_ULL(6)
#define HPT_AP_RO		BIT_ULL(7)
#define HPT_SH_INNER		(3ULL << 8)
#define HPT_AF			BIT_ULL(10)
#define HPT_XN			BIT_ULL(54)
#define HPT_ADDR_MASK		GENMASK_ULL(47, 12)

static unsigned int hpt_index(u64 va, int level)
{
	return (va >> (12 + 9 * (HPT_LEVELS - 1 - level))) & (HPT_ENTRIES - 1);
}

u64 modkvm_hyp_va(const void *kva)
{
	return (u64)kva & MODKVM_HYP_VA_MASK;
}

int modkvm_hyp_pgt_init(struct modkvm_hyp_pgt *p)
{
	p->root = (u64 *)get_zeroed_page(GFP_KERNEL);
	return p->root ? 0 : -ENOMEM;
}

static u64 hpt_page_desc(phys_addr_t pa, enum modkvm_hyp_prot prot)
{
	u64 d = (pa & HPT_ADDR_MASK) | HPT_DESC_TABLE | HPT_ATTRIDX(MODKVM_HYP_MAIR_MEM) |
		HPT_AP1 | HPT_SH_INNER | HPT_AF;

	if (prot != MODKVM_HYP_RW)
		d |= HPT_AP_RO;
	if (prot != MODKVM_HYP_RX)
		d |= HPT_XN;
	return d;
}

/*
 * Map one page, @va to @pa. Mapping a page again the same way is
 * allowed (sections may share a page); differently, -EEXIST.
 */
int modkvm_hyp_map_page(struct modkvm_hyp_pgt *p, u64 va, phys_addr_t pa,
			enum modkvm_hyp_prot prot)
{
	u64 *table = p->root, desc = hpt_page_desc(pa, prot);
	int level;

	if (va & ~MODKVM_HYP_VA_MASK || !PAGE_ALIGNED(va) || pa & ~HPT_ADDR_MASK)
		return -EINVAL;
	for (level = 0; level < HPT_LEVELS - 1; level++) {
		u64 *e = &table[hpt_index(va, level)];

		if (!*e) {
			u64 *next = (u64 *)get_zeroed_page(GFP_KERNEL);

			if (!next)
				return -ENOMEM;
			dsb(ishst);	/* zeroed before any walker sees it */
			WRITE_ONCE(*e, virt_to_phys(next) | HPT_DESC_TABLE);
		}
		table = phys_to_virt(*e & HPT_ADDR_MASK);
	}
	table += hpt_index(va, HPT_LEVELS - 1);
	if (*table && *table != desc)
		return -EEXIST;
	WRITE_ONCE(*table, desc);
	return 0;
}

/* Unmap one page if mapped; the caller invalidates EL2's TLBs after */
static void hpt_unmap_page(struct modkvm_hyp_pgt *p, u64 va)
{
	u64 *table = p->root;
	int level;

	for (level = 0; level < HPT_LEVELS - 1; level++) {
		u64 e = table[hpt_index(va, level)];

		if (!e)
			return;
		table = phys_to_virt(e & HPT_ADDR_MASK);
	}
	WRITE_ONCE(table[hpt_index(va, HPT_LEVELS - 1)], 0);
}

/* The physical address of a kernel address: linear map, vmalloc or module */
static int hpt_kva_to_pa(const void *kva, phys_addr_t *pa)
{
	if (virt_addr_valid(kva)) {
		*pa = virt_to_phys(kva);
		return 0;
	}
	if (!vmalloc_to_page(kva))
		return -EFAULT;
	*pa = PFN_PHYS(vmalloc_to_pfn(kva)) + offset_in_page(kva);
	return 0;
}

/* Every page of [@kva, @kva + @size) at its hyp VA */
int modkvm_hyp_map_kernel(struct modkvm_hyp_pgt *p, const void *kva,
			  size_t size, enum modkvm_hyp_prot prot)
{
	unsigned long start = (unsigned long)kva & PAGE_MASK;
	unsigned long end = PAGE_ALIGN((unsigned long)kva + size);
	unsigned long a;
	phys_addr_t pa;
	int ret;

	if (((unsigned long)kva & ~MODKVM_HYP_VA_MASK) != ~MODKVM_HYP_VA_MASK)
		return -ERANGE;		/* not a 48-bit kernel address */
	for (a = start; a < end; a += PAGE_SIZE) {
		ret = hpt_kva_to_pa((void *)a, &pa);
		if (!ret)
			ret = modkvm_hyp_map_page(p, modkvm_hyp_va((void *)a),
						  pa, prot);
		if (ret)
			return ret;
	}
	return 0;
}

/* [@kva, @kva + @size) unmapped (tables kept); then invalidate EL2's TLBs */
void modkvm_hyp_unmap_kernel(struct modkvm_hyp_pgt *p, const void *kva,
			     size_t size)
{
	unsigned long a = (unsigned long)kva & PAGE_MASK;
	unsigned long end = PAGE_ALIGN((unsigned long)kva + size);

	for (; a < end; a += PAGE_SIZE)
		hpt_unmap_page(p, modkvm_hyp_va((void *)a));
	dsb(ishst);
}

static void hpt_walk_tables(u64 *table, int level, bool free)
{
	unsigned int i;

	if (level < HPT_LEVELS - 1) {
		for (i = 0; i < HPT_ENTRIES; i++)
			if (table[i])
				hpt_walk_tables(phys_to_virt(table[i] & HPT_ADDR_MASK),
						level + 1, free);
	}
	if (free)
		free_page((unsigned long)table);
	else
		modkvm_dcache_clean_inval(virt_to_phys(table), PAGE_SIZE);
}

/*
 * Every table page cleaned to the point of coherency: the first walks at
 * EL2 may be made before its caches are on.
 */
void modkvm_hyp_pgt_clean(struct modkvm_hyp_pgt *p)
{
	hpt_walk_tables(p->root, 0, false);
}

void modkvm_hyp_pgt_free(struct modkvm_hyp_pgt *p)
{
	if (p->root)
		hpt_walk_tables(p->root, 0, true);
	p->root = NULL;
}

phys_addr_t modkvm_hyp_pgt_root(const struct modkvm_hyp_pgt *p)
{
	return virt_to_phys(p->root);
}
