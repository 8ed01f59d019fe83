// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_DEV_ARM_ITS_SAVE_TABLES and _RESTORE_TABLES: the ITS's tables,
 * kept in the kernel (vgic_its.h), written to and read from the guest
 * memory the guest gave for them, in the layout of arm-vgic-its.rst's
 * "ITS Table ABI REV0" (8-byte little-endian entries):
 *   Device table (GITS_BASER0), indexed by DeviceID:
 *     V[63] next[62:49] ITT_addr[51:8] as [48:5] Size[4:0]
 *   ITT (MAPD's address), indexed by EventID:
 *     next[63:48] pINTID[47:16] (0: no entry) ICID[15:0]
 *   Collection table (GITS_BASER1), in no order, ended by an invalid one:
 *     V[63] RDBase[51:16] (the processor number) ICID[15:0]
 * "next" is the offset to the next valid entry, 0 for the last (capped:
 * 2^14 - 1 for devices, 2^16 - 1 for events). A two-level device table
 * (GITS_BASER0.Indirect, vgic_its_table.c) has its DTEs in the level-2
 * pages its Valid level-1 entries name, at the same place a flat table
 * of the same IDs would in each 64 KiB page; "next" counts DeviceIDs
 * across pages, and a restore walks each Valid level-1 entry's page in
 * turn until the last DTE. The level-1 entries are the guest's: read,
 * never written. A table that is not valid is neither written nor read.
 * Restoring also takes each LPI's pending bit from its
 * redistributor's pending table (the other half of
 * KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES).
 *
 * Both run with every vCPU stopped and its->lock held. Errors: -EFAULT
 * if a table is not in guest memory, -EINVAL for an entry that does not
 * fit (an ID beyond its table, a bad restored entry), -ENOMEM.
 */
#include <linux/bitfield.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/sizes.h>

#include "vgic_its.h"

#define DTE_VALID		BIT_ULL(63)
#define DTE_NEXT		GENMASK_ULL(62, 49)
#define DTE_ITT			GENMASK_ULL(48, 5)
#define DTE_SIZE		GENMASK_ULL(4, 0)
#define ITE_NEXT		GENMASK_ULL(63, 48)
#define ITE_PINTID		GENMASK_ULL(47, 16)
#define ITE_ICID		GENMASK_ULL(15, 0)
#define CTE_VALID		BIT_ULL(63)
#define CTE_RDBASE		GENMASK_ULL(51, 16)
#define CTE_ICID		GENMASK_ULL(15, 0)
#define PENDBASER_PA		GENMASK_ULL(51, 16)

static int put_entry(struct vgic_its *its, u64 gpa, u64 v)
{
	__le64 e = cpu_to_le64(v);

	return modkvm_write_guest(its->vgic->vm, gpa, &e, sizeof(e));
}

/* The offset from @id to the next index in @xa, capped; 0 if none */
static u64 next_offset(struct xarray *xa, unsigned long id, u64 cap)
{
	unsigned long next = id + 1;

	if (!xa_find(xa, &next, ULONG_MAX, XA_PRESENT))
		return 0;
	return min_t(u64, next - id, cap);
}

static int save_itt(struct vgic_its *its, struct its_device *dev)
{
	struct its_ite *ite;
	unsigned long e;
	int ret;

	xa_for_each(&dev->ites, e, ite) {
		u64 v = FIELD_PREP(ITE_NEXT, next_offset(&dev->ites, e, 0xffff)) |
			FIELD_PREP(ITE_PINTID, ite->irq->intid) |
			FIELD_PREP(ITE_ICID, ite->icid);

		ret = put_entry(its, dev->itt + e * ITS_ITE_SIZE, v);
		if (ret)
			return ret;
	}
	return 0;
}

int vgic_its_save_tables(struct vgic_its *its)
{
	struct its_device *dev;
	unsigned long id, n = 0;
	u64 pa, size, gpa;
	bool indirect;
	void *e;
	int ret;

	lockdep_assert_held(&its->lock);
	if (vgic_its_table(its, 0, &pa, &size, &indirect)) {
		xa_for_each(&its->devices, id, dev) {
			u64 v = DTE_VALID |
				FIELD_PREP(DTE_NEXT, next_offset(&its->devices, id,
								 0x3fff)) |
				FIELD_PREP(DTE_ITT, dev->itt >> 8) |
				FIELD_PREP(DTE_SIZE, dev->event_bits - 1);

			/* its place gone (a level-1 entry made invalid) */
			ret = vgic_its_entry_gpa(its, 0, id, &gpa);
			if (ret)
				return ret == -ENOENT ? -EINVAL : ret;
			ret = put_entry(its, gpa, v);
			if (!ret)
				ret = save_itt(its, dev);
			if (ret)
				return ret;
		}
	}
	if (!vgic_its_table(its, 1, &pa, &size, &indirect))
		return 0;
	xa_for_each(&its->collections, id, e) {
		u64 v = CTE_VALID | FIELD_PREP(CTE_RDBASE, xa_to_value(e)) |
			FIELD_PREP(CTE_ICID, id);

		if ((n + 1) * ITS_ENTRY_SIZE > size)
			return -EINVAL;
		ret = put_entry(its, pa + n++ * ITS_ENTRY_SIZE, v);
		if (ret)
			return ret;
	}
	/* the end of the list, if there is room */
	if ((n + 1) * ITS_ENTRY_SIZE <= size)
		return put_entry(its, pa + n * ITS_ENTRY_SIZE, 0);
	return 0;
}

/* The LPI of a restored ITE pending as its pending table says */
static int restore_pending(struct vgic_its *its, u32 devid, u32 eventid,
			   u32 intid, u16 icid)
{
	struct modkvm_vm *vm = its->vgic->vm;
	void *c = xa_load(&its->collections, icid);
	unsigned int i;
	u8 b;

	if (!c)
		return 0;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct modkvm_vcpu *vcpu = vm->vcpus[i];

		if (vcpu->id != xa_to_value(c) || !vcpu->vgic)
			continue;
		if (modkvm_read_guest(vm, (vcpu->vgic->pendbaser & PENDBASER_PA) +
				      intid / 8, &b, 1))
			return -EFAULT;
		if (b & BIT(intid % 8))
			vgic_its_set_pending(its, devid, eventid, true);
	}
	return 0;
}

static int restore_itt(struct vgic_its *its, u32 devid, u64 itt, u32 bits)
{
	u64 e = 0, v;
	int ret;

	while (e < BIT_ULL(bits)) {
		u32 intid, icid;

		ret = vgic_its_get_entry(its, itt + e * ITS_ITE_SIZE, &v);
		if (ret)
			return ret;
		cond_resched();	/* a guest's table: up to 2^16 entries */
		intid = FIELD_GET(ITE_PINTID, v);
		icid = FIELD_GET(ITE_ICID, v);
		if (!intid) {		/* no entry: look at the next one */
			e++;
			continue;
		}
		ret = vgic_its_mapti(its, devid, e, intid, icid);
		if (ret)
			return ret < 0 ? ret : -EINVAL;
		ret = restore_pending(its, devid, e, intid, icid);
		if (ret)
			return ret;
		if (!FIELD_GET(ITE_NEXT, v))
			return 0;
		e += FIELD_GET(ITE_NEXT, v);
	}
	return 0;
}

/*
 * The DTEs of @count DeviceIDs from @first, at @gpa (a flat table, or one
 * level-2 page): each valid one's device and ITT restored. *@last once
 * the last DTE (next 0) is met.
 */
static int restore_dtes(struct vgic_its *its, u64 gpa, u32 first, u32 count,
			bool *last)
{
	u32 i = 0;
	int ret;

	while (i < count) {
		u64 itt, v;
		u32 bits;

		ret = vgic_its_get_entry(its, gpa + (u64)i * ITS_ENTRY_SIZE, &v);
		if (ret)
			return ret;
		cond_resched();
		if (!(v & DTE_VALID)) {
			i++;
			continue;
		}
		itt = FIELD_GET(DTE_ITT, v) << 8;
		bits = FIELD_GET(DTE_SIZE, v) + 1;
		ret = vgic_its_mapd(its, first + i, true, bits - 1, itt);
		if (ret)
			return ret < 0 ? ret : -EINVAL;
		ret = restore_itt(its, first + i, itt, bits);
		if (ret)
			return ret;
		if (!FIELD_GET(DTE_NEXT, v)) {
			*last = true;
			return 0;
		}
		i += FIELD_GET(DTE_NEXT, v);
	}
	return 0;
}

int vgic_its_restore_tables(struct vgic_its *its)
{
	u64 pa, size, i, v, l2;
	bool indirect, last = false;
	int ret;

	lockdep_assert_held(&its->lock);
	/* the collections first: the translations name them */
	if (vgic_its_table(its, 1, &pa, &size, &indirect)) {
		for (i = 0; i < size / ITS_ENTRY_SIZE; i++) {
			ret = vgic_its_get_entry(its, pa + i * ITS_ENTRY_SIZE, &v);
			if (ret)
				return ret;
			if (!(v & CTE_VALID))
				break;
			ret = vgic_its_mapc(its, FIELD_GET(CTE_ICID, v), true,
					    FIELD_GET(CTE_RDBASE, v));
			if (ret)
				return ret < 0 ? ret : -EINVAL;
		}
	}
	if (!vgic_its_table(its, 0, &pa, &size, &indirect))
		return 0;
	if (!indirect)
		return restore_dtes(its, pa, 0,
				    min_t(u64, size / ITS_ENTRY_SIZE,
					  BIT(ITS_DEVID_BITS)), &last);
	/* the level-1 entries that cover DeviceIDs, each page in turn */
	for (i = 0; !last && i < size / ITS_ENTRY_SIZE &&
	     i * ITS_L2_ENTRIES < BIT(ITS_DEVID_BITS); i++) {
		ret = vgic_its_get_entry(its, pa + i * ITS_ENTRY_SIZE, &v);
		if (ret)
			return ret;
		if (!vgic_its_l2_page(v, &l2))
			continue;
		ret = restore_dtes(its, l2, i * ITS_L2_ENTRIES,
				   ITS_L2_ENTRIES, &last);
		if (ret)
			return ret;
	}
	return 0;
}
