// SPDX-License-Identifier: GPL-2.0
/*
 * LPIs (IHI 0069 5.1): message-based interrupts from INTID 8192 up, which
 * exist here only while an ITS translation names them (vgic_its_xlate.c).
 *
 * Each LPI is a struct vgic_lpi in vgic->lpis, keyed by INTID, counted
 * by the ITS translations (ITEs) that name it: created by the first
 * (vgic_lpi_get()), freed with the last (vgic_lpi_put()). Its state is a
 * struct vgic_irq like any other interrupt's, always edge-triggered and
 * Group 1 with no active state of its own (IHI 0069 5.1), whose @vcpu is
 * the redistributor its collection targets (NULL: none, never delivered).
 *
 * Configuration (IHI 0069 5.1.1): the LPI configuration table in guest
 * memory, at GICR_PROPBASER.PA, one byte per LPI (priority in [7:2],
 * enable in [0]), IDbits + 1 bits of INTIDs. As the architecture allows
 * (5.1.1: a redistributor may cache it), it is read when an LPI is mapped
 * (MAPTI/MAPI), at INV and INVALL, and for every LPI of a redistributor
 * when its LPIs are enabled (GICR_CTLR.EnableLPIs). An LPI whose byte
 * cannot be read (no memory there, beyond IDbits) is disabled.
 *
 * Pending state is kept here; KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES writes
 * it to each redistributor's LPI pending table (IHI 0069 5.1.2, one bit
 * per INTID at GICR_PENDBASER.PA). The pending table is not read when LPIs
 * are enabled (the ITS tables it belongs with are not restored: see
 * vgic_its_dev.c), so an LPI starts not pending.
 *
 * Delivery never walks every mapped LPI: each vCPU's redistributor keeps
 * a list (modkvm_vgic_cpu.lpis) of the LPIs that target it and are
 * pending or active, the only ones the list-register path and WFI look at
 * (vgic_lr.c), so the cost of an entry grows with the LPIs waiting, not
 * with the LPIs mapped. vgic_lpi_relist() keeps an LPI on the right list
 * after each change of its pending or active state or of its target.
 * The list-register path finds an LPI by INTID through the xarray.
 *
 * Locks (vgic.h): vgic->lpi_lock (a mutex: guest memory is read under it)
 * for the set of LPIs and their configuration, then vgic->lock for their
 * state and the per-vCPU lists. The list-register path looks at the lists
 * and the xarray under vgic->lock only: an LPI leaves both under both
 * locks, and is freed after.
 */
#include <linux/bitfield.h>
#include <linux/kernel.h>
#include <linux/slab.h>

#include "vgic.h"

#define PROPBASER_IDBITS	GENMASK_ULL(4, 0)
#define PROPBASER_PA		GENMASK_ULL(51, 12)
#define PENDBASER_PA		GENMASK_ULL(51, 16)
#define LPI_PROP_ENABLE		BIT(0)
#define LPI_PROP_PRIO		GENMASK(7, 2)

/* Under vgic->lock (or lpi_lock): the LPI @intid, or NULL */
struct vgic_irq *vgic_lpi_lookup(struct modkvm_vgic *vgic, u32 intid)
{
	struct vgic_lpi *lpi = xa_load(&vgic->lpis, intid);

	return lpi ? &lpi->irq : NULL;
}

/*
 * Under lpi_lock: read @irq's configuration byte from guest memory (the
 * VMM's process only) into @prop; false if it has none.
 */
static bool read_prop(struct modkvm_vgic *vgic, struct vgic_irq *irq, u8 *prop)
{
	struct modkvm_vcpu *vcpu = irq->vcpu;
	u64 propbaser;

	if (!vcpu && vgic->vm->nr_vcpus)
		vcpu = vgic->vm->vcpus[0];
	if (!vcpu || !vcpu->vgic)
		return false;
	propbaser = READ_ONCE(vcpu->vgic->propbaser);
	if (irq->intid >= 1ULL << (FIELD_GET(PROPBASER_IDBITS, propbaser) + 1))
		return false;
	return !modkvm_read_guest(vgic->vm, (propbaser & PROPBASER_PA) +
				  irq->intid - VGIC_LPI_BASE, prop, 1);
}

/*
 * Under vgic->lock: put LPI @irq on the list of its target's LPIs to
 * deliver if it is pending or active (an LPI is edge-triggered: pending
 * is its latch), take it off otherwise, or with no target.
 */
void vgic_lpi_relist(struct vgic_irq *irq)
{
	struct vgic_lpi *lpi = container_of(irq, struct vgic_lpi, irq);
	struct modkvm_vgic_cpu *cpu = irq->vcpu ? irq->vcpu->vgic : NULL;

	if (!cpu || !(irq->latch || irq->active)) {
		list_del_init(&lpi->node);
		lpi->listed = NULL;
	} else if (lpi->listed != cpu) {
		list_move_tail(&lpi->node, &cpu->lpis);
		lpi->listed = cpu;
	}
}

/*
 * KVM_DEV_ARM_VGIC_CTRL_INIT, the redistributors just made (vm->lock
 * held): LPIs made pending before (a restore) go on their lists.
 */
void vgic_lpi_relist_all(struct modkvm_vgic *vgic)
{
	struct vgic_lpi *lpi;
	unsigned long i;

	mutex_lock(&vgic->lpi_lock);
	spin_lock_irq(&vgic->lock);
	xa_for_each(&vgic->lpis, i, lpi)
		vgic_lpi_relist(&lpi->irq);
	spin_unlock_irq(&vgic->lock);
	mutex_unlock(&vgic->lpi_lock);
}

static void apply_prop(struct modkvm_vgic *vgic, struct vgic_irq *irq,
		       bool ok, u8 prop)
{
	spin_lock_irq(&vgic->lock);
	irq->enabled = ok && (prop & LPI_PROP_ENABLE);
	if (ok)
		irq->priority = prop & LPI_PROP_PRIO;
	vgic_kick(vgic, irq);
	spin_unlock_irq(&vgic->lock);
	vgic_kick_flush(vgic);
}

/* INV, MAPTI: @irq's configuration read again (under lpi_lock) */
void vgic_lpi_read_props(struct modkvm_vgic *vgic, struct vgic_irq *irq)
{
	bool ok;
	u8 prop = 0;

	lockdep_assert_held(&vgic->lpi_lock);
	ok = read_prop(vgic, irq, &prop);
	apply_prop(vgic, irq, ok, prop);
}

/* INVALL, EnableLPIs: every LPI of @vcpu (NULL: every LPI) read again */
void vgic_lpi_read_all_props(struct modkvm_vgic *vgic,
			     struct modkvm_vcpu *vcpu)
{
	struct vgic_lpi *lpi;
	unsigned long i;

	lockdep_assert_held(&vgic->lpi_lock);
	xa_for_each(&vgic->lpis, i, lpi)
		if (!vcpu || lpi->irq.vcpu == vcpu)
			vgic_lpi_read_props(vgic, &lpi->irq);
}

/*
 * After a guest's redistributor access (vgic_mmio.c), with no lock held:
 * LPIs were enabled, so their configuration is read now (the access was
 * made under vgic->lock, where guest memory cannot be read).
 */
void vgic_lpi_props_sync(struct modkvm_vgic *vgic)
{
	if (!READ_ONCE(vgic->lpi_props_stale))
		return;
	mutex_lock(&vgic->lpi_lock);
	WRITE_ONCE(vgic->lpi_props_stale, false);
	vgic_lpi_read_all_props(vgic, NULL);
	mutex_unlock(&vgic->lpi_lock);
}

/*
 * Under lpi_lock: a new reference to LPI @intid, created (disabled, not
 * pending, with no target) if it did not exist. NULL if out of memory.
 */
struct vgic_irq *vgic_lpi_get(struct modkvm_vgic *vgic, u32 intid)
{
	struct vgic_lpi *lpi;

	lockdep_assert_held(&vgic->lpi_lock);
	lpi = xa_load(&vgic->lpis, intid);
	if (lpi) {
		lpi->refs++;
		return &lpi->irq;
	}
	lpi = kzalloc(sizeof(*lpi), GFP_KERNEL_ACCOUNT);
	if (!lpi)
		return NULL;
	lpi->refs = 1;
	lpi->irq.intid = intid;
	lpi->irq.group1 = true;
	lpi->irq.edge = true;
	INIT_LIST_HEAD(&lpi->node);
	/* the xarray's lock nests in vgic->lock: always with interrupts off */
	if (xa_insert_irq(&vgic->lpis, intid, lpi, GFP_KERNEL_ACCOUNT)) {
		kfree(lpi);
		return NULL;
	}
	return &lpi->irq;
}

/* Under lpi_lock: drop a reference; the last one frees the LPI */
void vgic_lpi_put(struct modkvm_vgic *vgic, struct vgic_irq *irq)
{
	struct vgic_lpi *lpi = container_of(irq, struct vgic_lpi, irq);

	lockdep_assert_held(&vgic->lpi_lock);
	if (--lpi->refs)
		return;
	spin_lock_irq(&vgic->lock);
	list_del(&lpi->node);
	xa_lock(&vgic->lpis);
	__xa_erase(&vgic->lpis, irq->intid);
	xa_unlock(&vgic->lpis);
	spin_unlock_irq(&vgic->lock);
	kfree(lpi);
}

/* Under lpi_lock: @irq now goes to @vcpu (MAPC, MOVI, MOVALL, MAPTI) */
void vgic_lpi_set_target(struct modkvm_vgic *vgic, struct vgic_irq *irq,
			 struct modkvm_vcpu *vcpu)
{
	spin_lock_irq(&vgic->lock);
	irq->vcpu = vcpu;
	vgic_lpi_relist(irq);
	vgic_kick(vgic, irq);
	spin_unlock_irq(&vgic->lock);
	vgic_kick_flush(vgic);
}

/*
 * KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, every vCPU stopped: each LPI's
 * pending bit into its redistributor's pending table. -EFAULT if a table
 * is not in guest memory.
 */
int vgic_lpi_save_pending(struct modkvm_vgic *vgic)
{
	struct vgic_lpi *lpi;
	unsigned long i;
	int ret = 0;

	mutex_lock(&vgic->lpi_lock);
	xa_for_each(&vgic->lpis, i, lpi) {
		struct modkvm_vcpu *vcpu = lpi->irq.vcpu;
		u32 intid = lpi->irq.intid;
		bool pending;
		u64 addr;
		u8 b;

		if (!vcpu || !vcpu->vgic)
			continue;
		addr = (READ_ONCE(vcpu->vgic->pendbaser) & PENDBASER_PA) +
		       intid / 8;
		ret = modkvm_read_guest(vgic->vm, addr, &b, 1);
		if (ret)
			break;
		spin_lock_irq(&vgic->lock);
		pending = vgic_irq_pending(&lpi->irq);
		spin_unlock_irq(&vgic->lock);
		if (!!(b & BIT(intid % 8)) == pending)
			continue;
		b ^= BIT(intid % 8);
		ret = modkvm_write_guest(vgic->vm, addr, &b, 1);
		if (ret)
			break;
	}
	mutex_unlock(&vgic->lpi_lock);
	return ret;
}

/* VM destruction, the ITSes gone: the LPIs left (none, normally) */
void vgic_lpi_destroy(struct modkvm_vgic *vgic)
{
	struct vgic_lpi *lpi;
	unsigned long i;

	xa_for_each(&vgic->lpis, i, lpi)
		kfree(lpi);
	xa_destroy(&vgic->lpis);
}
