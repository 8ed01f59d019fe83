// SPDX-License-Identifier: GPL-2.0
/*
 * Where the ITS's tables lie in guest memory (IHI 0069 12.19.1,
 * GITS_BASER<n>): the device table (GITS_BASER0) flat or two-level, the
 * collection table (GITS_BASER1) flat. This ITS keeps the translations in
 * the kernel (vgic_its.h); the guest's tables only bound which IDs it may
 * map (MAPD) and hold them when saved (vgic_its_save.c).
 *
 * Page_Size is fixed at 64 KiB (the architecture allows a single page
 * size, its field then read-only), as the in-kernel KVM has it, so that
 * the same guest memory means the same tables on both. A flat table is
 * (Size + 1) pages of 8-byte entries indexed by ID. With Indirect = 1 it
 * is a level-1 table of (Size + 1) pages of 64-bit entries, each (IHI
 * 0069 12.19.1, "Indirect") Valid in bit 63 and the physical address of
 * one 64 KiB level-2 page in bits [51:16]; that page holds the 8-byte
 * entries of 8192 consecutive IDs. An ID whose level-1 entry is beyond
 * the table or not Valid, or whose entry is not in guest memory, has no
 * place: MAPD of it is a command error (6.3.9, DeviceID out of range),
 * ignored. The level-1 entries are the guest's: never written here.
 *
 * Callers hold its->lock.
 */
#include <linux/bitfield.h>
#include <linux/kernel.h>

#include "vgic_its.h"

#define BASER_VALID		BIT_ULL(63)
#define BASER_INDIRECT		BIT_ULL(62)
#define BASER_PA		GENMASK_ULL(47, 16)
#define BASER_PA_HI		GENMASK_ULL(15, 12)	/* PA[51:48] */
#define BASER_SIZE		GENMASK_ULL(7, 0)
#define L1_VALID		BIT_ULL(63)
#define L1_PA			GENMASK_ULL(51, 16)

/*
 * Table @n's address, size in bytes and whether it is two-level; false if
 * GITS_BASER<n> is not Valid.
 */
bool vgic_its_table(const struct vgic_its *its, unsigned int n, u64 *pa,
		    u64 *size, bool *indirect)
{
	u64 b = its->baser[n];

	if (!(b & BASER_VALID))
		return false;
	*pa = (b & BASER_PA) | FIELD_GET(BASER_PA_HI, b) << 48;
	*size = (FIELD_GET(BASER_SIZE, b) + 1) * ITS_PAGE_SIZE;
	*indirect = b & BASER_INDIRECT;
	return true;
}

int vgic_its_get_entry(struct vgic_its *its, u64 gpa, u64 *v)
{
	__le64 e;
	int ret = modkvm_read_guest(its->vgic->vm, gpa, &e, sizeof(e));

	*v = le64_to_cpu(e);
	return ret;
}

/* The level-2 page a level-1 entry @l1 names; false if it is not Valid */
bool vgic_its_l2_page(u64 l1, u64 *page)
{
	*page = l1 & L1_PA;
	return l1 & L1_VALID;
}

/*
 * The guest address of ID @id's entry in table @n: 0, -ENOENT if the
 * table has no place for it (not Valid, beyond its size, a level-1 entry
 * not Valid), -EFAULT if the entry, or its level-1 entry, is not in guest
 * memory.
 */
int vgic_its_entry_gpa(struct vgic_its *its, unsigned int n, u32 id,
		       u64 *gpa)
{
	u64 pa, size, l1, v;
	bool indirect;
	int ret;

	if (!vgic_its_table(its, n, &pa, &size, &indirect))
		return -ENOENT;
	if (!indirect) {
		if ((u64)id * ITS_ENTRY_SIZE >= size)
			return -ENOENT;
		*gpa = pa + (u64)id * ITS_ENTRY_SIZE;
	} else {
		u64 i = id / ITS_L2_ENTRIES;

		if (i * ITS_ENTRY_SIZE >= size)
			return -ENOENT;
		ret = vgic_its_get_entry(its, pa + i * ITS_ENTRY_SIZE, &l1);
		if (ret)
			return ret;
		if (!vgic_its_l2_page(l1, gpa))
			return -ENOENT;
		*gpa += (u64)(id % ITS_L2_ENTRIES) * ITS_ENTRY_SIZE;
	}
	return vgic_its_get_entry(its, *gpa, &v);
}
