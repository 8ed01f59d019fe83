// SPDX-License-Identifier: GPL-2.0
/*
 * The vGIC's frames on the VM's MMIO bus (io_bus.c): the distributor and
 * each redistributor region, one device each, answering the guest's loads
 * and stores in the kernel (no exit to userspace).
 *
 * Registers are little-endian (IHI 0069 12.1.3); the bus hands over the
 * bytes in guest memory order, so a big-endian guest comes out right too.
 * A misaligned access, or one that runs past the frame, is RAZ/WI. An
 * access to a slot of a redistributor region that no vCPU holds is not
 * taken: it exits to userspace, as there is no redistributor there.
 */
#include <linux/kernel.h>

#include "vgic.h"

/* The vCPU whose redistributor holds @addr in region @rg, or NULL */
static struct modkvm_vcpu *rdist_vcpu(struct modkvm_vgic *vgic,
				      unsigned int r, u64 addr)
{
	struct modkvm_vm *vm = vgic->vm;
	unsigned int slot = (addr - vgic->regions[r].base) / VGIC_RDIST_SIZE;

	slot += vgic_slots_before(vgic, r);
	return slot < READ_ONCE(vm->nr_vcpus) ? vm->vcpus[slot] : NULL;
}

static bool frame_rw(struct modkvm_io_dev *dev, u64 addr, unsigned int len,
		     u8 *rdata, const u8 *wdata)
{
	struct vgic_frame *f = container_of(dev, struct vgic_frame, dev);
	struct modkvm_vgic *vgic = f->vgic;
	struct modkvm_vcpu *target = NULL;
	unsigned long flags;
	u64 val = 0;

	if (!f->is_dist) {
		target = rdist_vcpu(vgic, f->region, addr);
		if (!target)
			return false;
	}
	if (wdata)
		val = modkvm_io_le_get(wdata, len);
	if (!(addr & (len - 1)) && addr + len - 1 <= dev->last) {
		spin_lock_irqsave(&vgic->lock, flags);
		if (f->is_dist)
			vgic_dist_access(vgic, addr - dev->first, len, &val,
					 !!wdata, VGIC_GUEST);
		else
			vgic_rdist_access(vgic, target,
					  (addr - dev->first) % VGIC_RDIST_SIZE,
					  len, &val, !!wdata, VGIC_GUEST);
		spin_unlock_irqrestore(&vgic->lock, flags);
		vgic_kick_flush(vgic);
		vgic_lpi_props_sync(vgic);
	}
	if (rdata)
		modkvm_io_le_put(rdata, len, val);
	return true;
}

static bool frame_read(struct modkvm_vcpu *vcpu, struct modkvm_io_dev *dev,
		       u64 addr, unsigned int len, u8 *data)
{
	return frame_rw(dev, addr, len, data, NULL);
}

static bool frame_write(struct modkvm_vcpu *vcpu, struct modkvm_io_dev *dev,
			u64 addr, unsigned int len, const u8 *data)
{
	return frame_rw(dev, addr, len, NULL, data);
}

/* No destroy: the frames are part of the vGIC, freed with it */
const struct modkvm_io_ops vgic_frame_ops = {
	.read = frame_read,
	.write = frame_write,
};
