// SPDX-License-Identifier: GPL-2.0
/*
 * The ITS's translation (IHI 0069 6.1, 6.2): DeviceID to a device's
 * interrupt translation table, EventID to an interrupt translation entry
 * (its LPI and collection), the collection to a redistributor. The
 * commands of vgic_its_cmd.c change the tables; MSIs (KVM_SIGNAL_MSI,
 * irqfds with MSI routes: vgic_its_dev.c) go through them.
 *
 * Each function is called with its->lock held and returns 0 if done, or
 * 1 for what the architecture calls a command error (IHI 0069 6.3: an
 * unmapped device, collection or event, an ID out of range), where the
 * command is ignored, -ENOMEM when the kernel cannot allocate. A
 * collection's target is a redistributor's processor number
 * (GITS_TYPER.PTA = 0): the vCPU id, as GICR_TYPER gives it.
 */
#include <linux/kernel.h>
#include <linux/slab.h>

#include "vgic_its.h"

#define ITS_ERR		1

static struct modkvm_vcpu *target_vcpu(struct vgic_its *its, u32 target)
{
	struct modkvm_vm *vm = its->vgic->vm;
	unsigned int i, n = smp_load_acquire(&vm->nr_vcpus);

	for (i = 0; i < n; i++)
		if (vm->vcpus[i]->id == target)
			return vm->vcpus[i];
	return NULL;
}

/* The vCPU collection @icid targets, or NULL if it is not mapped */
static struct modkvm_vcpu *collection_vcpu(struct vgic_its *its, u16 icid)
{
	void *e = xa_load(&its->collections, icid);

	return e ? target_vcpu(its, xa_to_value(e)) : NULL;
}

static struct its_ite *find_ite(struct vgic_its *its, u32 devid, u32 eventid)
{
	struct its_device *dev = xa_load(&its->devices, devid);

	return dev ? xa_load(&dev->ites, eventid) : NULL;
}

static void free_ite(struct vgic_its *its, struct its_ite *ite)
{
	struct modkvm_vgic *vgic = its->vgic;

	mutex_lock(&vgic->lpi_lock);
	vgic_lpi_put(vgic, ite->irq);
	mutex_unlock(&vgic->lpi_lock);
	kfree(ite);
}

static void free_device(struct vgic_its *its, struct its_device *dev)
{
	struct its_ite *ite;
	unsigned long i;

	xa_for_each(&dev->ites, i, ite)
		free_ite(its, ite);
	xa_destroy(&dev->ites);
	kfree(dev);
}

/* MAPD (IHI 0069 6.3.9): map DeviceID to an ITT of 2^@size events, or unmap */
int vgic_its_mapd(struct vgic_its *its, u32 devid, bool valid, u32 size,
		  u64 itt)
{
	struct its_device *dev;
	u64 gpa;

	/*
	 * DeviceID out of range (6.3.9): beyond GITS_TYPER.Devbits, or with
	 * no entry in the guest's device table (vgic_its_table.c)
	 */
	if (devid >= BIT(ITS_DEVID_BITS) || size >= ITS_EVENTID_BITS ||
	    vgic_its_entry_gpa(its, 0, devid, &gpa))
		return ITS_ERR;
	/* a device mapped again loses its translations (6.3.9) */
	dev = xa_erase(&its->devices, devid);
	if (dev)
		free_device(its, dev);
	if (!valid)
		return 0;
	dev = kzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev)
		return -ENOMEM;
	dev->event_bits = size + 1;
	dev->itt = itt;
	xa_init(&dev->ites);
	if (xa_insert(&its->devices, devid, dev, GFP_KERNEL_ACCOUNT)) {
		kfree(dev);
		return -ENOMEM;
	}
	return 0;
}

/* Every LPI of collection @icid (or of every collection: @all) retargeted */
static void retarget(struct vgic_its *its, u16 icid, bool all,
		     struct modkvm_vcpu *vcpu)
{
	struct modkvm_vgic *vgic = its->vgic;
	struct its_device *dev;
	struct its_ite *ite;
	unsigned long d, e;

	mutex_lock(&vgic->lpi_lock);
	xa_for_each(&its->devices, d, dev)
		xa_for_each(&dev->ites, e, ite)
			if (all || ite->icid == icid)
				vgic_lpi_set_target(vgic, ite->irq, vcpu);
	mutex_unlock(&vgic->lpi_lock);
}

/* MAPC (6.3.8): collection @icid to redistributor @target, or unmapped */
int vgic_its_mapc(struct vgic_its *its, u16 icid, bool valid, u32 target)
{
	struct modkvm_vcpu *vcpu = NULL;

	if (valid) {
		vcpu = target_vcpu(its, target);
		if (!vcpu)
			return ITS_ERR;
		if (xa_err(xa_store(&its->collections, icid,
				    xa_mk_value(target), GFP_KERNEL_ACCOUNT)))
			return -ENOMEM;
	} else {
		xa_erase(&its->collections, icid);
	}
	retarget(its, icid, false, vcpu);
	return 0;
}

/* MAPTI, MAPI (6.3.10, 6.3.11): EventID of a device to LPI @intid */
int vgic_its_mapti(struct vgic_its *its, u32 devid, u32 eventid,
		   u32 intid, u16 icid)
{
	struct its_device *dev = xa_load(&its->devices, devid);
	struct modkvm_vgic *vgic = its->vgic;
	struct its_ite *ite;

	if (!dev || eventid >= BIT(dev->event_bits) ||
	    intid < VGIC_LPI_BASE || intid >= BIT(VGIC_LPI_ID_BITS))
		return ITS_ERR;
	/* mapping a mapped event again is UNPREDICTABLE (6.3.10): ignored */
	if (xa_load(&dev->ites, eventid))
		return ITS_ERR;
	ite = kzalloc(sizeof(*ite), GFP_KERNEL_ACCOUNT);
	if (!ite)
		return -ENOMEM;
	ite->icid = icid;
	mutex_lock(&vgic->lpi_lock);
	ite->irq = vgic_lpi_get(vgic, intid);
	if (!ite->irq) {
		mutex_unlock(&vgic->lpi_lock);
		kfree(ite);
		return -ENOMEM;
	}
	if (xa_insert(&dev->ites, eventid, ite, GFP_KERNEL_ACCOUNT)) {
		vgic_lpi_put(vgic, ite->irq);
		mutex_unlock(&vgic->lpi_lock);
		kfree(ite);
		return -ENOMEM;
	}
	vgic_lpi_set_target(vgic, ite->irq, collection_vcpu(its, icid));
	vgic_lpi_read_props(vgic, ite->irq);
	mutex_unlock(&vgic->lpi_lock);
	return 0;
}

/* DISCARD (6.3.5): the translation goes, and the LPI's pending state */
int vgic_its_discard(struct vgic_its *its, u32 devid, u32 eventid)
{
	struct its_device *dev = xa_load(&its->devices, devid);
	struct its_ite *ite;

	ite = dev ? xa_load(&dev->ites, eventid) : NULL;
	if (!ite)
		return ITS_ERR;
	vgic_its_set_pending(its, devid, eventid, false);
	xa_erase(&dev->ites, eventid);
	free_ite(its, ite);
	return 0;
}

/* MOVI (6.3.12): the event to another collection */
int vgic_its_movi(struct vgic_its *its, u32 devid, u32 eventid, u16 icid)
{
	struct its_ite *ite = find_ite(its, devid, eventid);
	struct modkvm_vgic *vgic = its->vgic;
	struct modkvm_vcpu *vcpu = collection_vcpu(its, icid);

	if (!ite || !vcpu || !collection_vcpu(its, ite->icid))
		return ITS_ERR;
	ite->icid = icid;
	mutex_lock(&vgic->lpi_lock);
	vgic_lpi_set_target(vgic, ite->irq, vcpu);
	mutex_unlock(&vgic->lpi_lock);
	return 0;
}

/*
 * MOVALL (6.3.13): the LPIs of redistributor @from to @to. The ITEs of
 * this ITS that target @from follow their collections, so the
 * collections mapped to @from are remapped to @to.
 */
int vgic_its_movall(struct vgic_its *its, u32 from, u32 to)
{
	struct modkvm_vgic *vgic = its->vgic;
	struct modkvm_vcpu *src = target_vcpu(its, from);
	struct modkvm_vcpu *dst = target_vcpu(its, to);
	struct its_device *dev;
	struct its_ite *ite;
	unsigned long d, e;

	if (!src || !dst)
		return ITS_ERR;
	mutex_lock(&vgic->lpi_lock);
	xa_for_each(&its->devices, d, dev)
		xa_for_each(&dev->ites, e, ite)
			if (ite->irq->vcpu == src)
				vgic_lpi_set_target(vgic, ite->irq, dst);
	mutex_unlock(&vgic->lpi_lock);
	return 0;
}

/* INV (6.3.6): the LPI's configuration read again */
int vgic_its_inv(struct vgic_its *its, u32 devid, u32 eventid)
{
	struct its_ite *ite = find_ite(its, devid, eventid);
	struct modkvm_vgic *vgic = its->vgic;

	if (!ite)
		return ITS_ERR;
	mutex_lock(&vgic->lpi_lock);
	vgic_lpi_read_props(vgic, ite->irq);
	mutex_unlock(&vgic->lpi_lock);
	return 0;
}

/* INVALL (6.3.7): every LPI of the collection's redistributor */
int vgic_its_invall(struct vgic_its *its, u16 icid)
{
	struct modkvm_vcpu *vcpu = collection_vcpu(its, icid);
	struct modkvm_vgic *vgic = its->vgic;

	if (!vcpu)
		return ITS_ERR;
	mutex_lock(&vgic->lpi_lock);
	vgic_lpi_read_all_props(vgic, vcpu);
	mutex_unlock(&vgic->lpi_lock);
	return 0;
}

/*
 * INT, CLEAR (6.3.4, 6.3.3) and an MSI: the event's LPI made pending or
 * not. 1 if there is no such translation or its collection is unmapped.
 */
int vgic_its_set_pending(struct vgic_its *its, u32 devid, u32 eventid,
			 bool pending)
{
	struct its_ite *ite = find_ite(its, devid, eventid);
	struct modkvm_vgic *vgic = its->vgic;

	if (!ite || !collection_vcpu(its, ite->icid))
		return ITS_ERR;
	spin_lock_irq(&vgic->lock);
	ite->irq->latch = pending;
	vgic_lpi_relist(ite->irq);
	vgic_kick(vgic, ite->irq);
	spin_unlock_irq(&vgic->lock);
	vgic_kick_flush(vgic);
	return 0;
}

/*
 * An MSI written to GITS_TRANSLATER (6.1): 0 if its LPI is now pending,
 * 1 if it was dropped (no translation: IHI 0069 6.1.2 discards it),
 * -EBUSY with the ITS or the target's LPIs disabled, as KVM answers
 * KVM_SIGNAL_MSI then.
 */
int vgic_its_translate(struct vgic_its *its, u32 devid, u32 eventid)
{
	struct its_ite *ite;
	struct modkvm_vcpu *vcpu;

	if (!its->enabled)
		return -EBUSY;
	ite = find_ite(its, devid, eventid);
	vcpu = ite ? collection_vcpu(its, ite->icid) : NULL;
	if (!vcpu)
		return ITS_ERR;
	if (!vcpu->vgic || !READ_ONCE(vcpu->vgic->lpis_enabled))
		return -EBUSY;
	return vgic_its_set_pending(its, devid, eventid, true);
}

/* Every translation dropped (CTRL_RESET, the ITS destroyed) */
void vgic_its_free_tables(struct vgic_its *its)
{
	struct its_device *dev;
	unsigned long i;

	xa_for_each(&its->devices, i, dev)
		free_device(its, dev);
	xa_destroy(&its->devices);
	xa_destroy(&its->collections);
}
