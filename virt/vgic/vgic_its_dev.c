// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM_DEV_TYPE_ARM_VGIC_ITS device (devices/arm-vgic-its.rst) and the
 * MSIs it translates (KVM_SIGNAL_MSI, irqfds with MSI routes).
 *
 * An ITS needs the VM's vGICv3 (-ENODEV without one) and is created
 * before the VM first runs (-EBUSY after: the redistributors' LPI support
 * must not appear under a running guest); up to VGIC_MAX_ITS per VM
 * (-ENOSPC beyond), each with its own 128 KiB frame.
 *
 *   ADDR      KVM_VGIC_ITS_ADDR_TYPE: once (-EEXIST), 64 KiB aligned
 *             (-EINVAL), inside the IPA space (-E2BIG); another type
 *             -ENODEV. The frame goes on the MMIO bus at once.
 *   CTRL      INIT (nothing to do), RESET (registers and tables to their
 *             reset state, "ITS Reset State"), SAVE_TABLES and
 *             RESTORE_TABLES (vgic_its_save.c); another attribute does
 *             nothing (0), as with KVM.
 *   ITS_REGS  the GITS_* registers (vgic_its_regs.c), a u64 whatever
 *             their width: 32-bit ones (CTLR, IIDR, the ID registers) at
 *             4-byte aligned offsets, 64-bit ones 8-byte aligned, else
 *             -EINVAL; before ADDR, or no such register -ENXIO.
 * RESET and ITS_REGS need every vCPU stopped (-EBUSY).
 *
 * KVM_SIGNAL_MSI (api.rst 4.71): -EINVAL with unknown flags or without
 * an in-kernel GIC (irq_routing.c), -ENODEV without an ITS, -EINVAL
 * without KVM_MSI_VALID_DEVID or with an address in no ITS's frame; then
 * 1 if delivered, 0 if the translation dropped it, -EBUSY with the ITS or
 * the target's LPIs disabled.
 */
#include <linux/kernel.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vgic_its.h"

#define GITS_TYPER		0x0008
#define GITS_PIDR4		0xffd0

int modkvm_vgic_its_create(struct modkvm_vm *vm, void **priv)
{
	struct modkvm_vgic *vgic = vm->vgic;
	struct vgic_its *its;

	lockdep_assert_held(&vm->lock);
	if (!vgic)
		return -ENODEV;
	if (vm->ran)
		return -EBUSY;
	if (vgic->nr_its == VGIC_MAX_ITS)
		return -ENOSPC;
	its = kzalloc(sizeof(*its), GFP_KERNEL_ACCOUNT);
	if (!its)
		return -ENOMEM;
	its->vgic = vgic;
	mutex_init(&its->lock);
	its->base = VGIC_ADDR_UNDEF;
	xa_init(&its->devices);
	xa_init(&its->collections);
	vgic_its_regs_reset(its);
	vgic->has_its = true;
	vgic->its[vgic->nr_its] = its;
	smp_store_release(&vgic->nr_its, vgic->nr_its + 1);
	*priv = its;
	return 0;
}

/* VM destruction: the frames went with the bus */
void vgic_its_destroy_all(struct modkvm_vgic *vgic)
{
	unsigned int i;

	for (i = 0; i < vgic->nr_its; i++) {
		vgic_its_free_tables(vgic->its[i]);
		kfree(vgic->its[i]);
	}
	vgic->nr_its = 0;
}

static int addr_attr(struct vgic_its *its, u64 attr, u64 __user *uaddr,
		     bool write)
{
	struct modkvm_vm *vm = its->vgic->vm;
	u64 v;
	int ret = 0;

	if (attr != KVM_VGIC_ITS_ADDR_TYPE)
		return -ENODEV;
	if (write && get_user(v, uaddr))
		return -EFAULT;
	mutex_lock(&vm->lock);
	if (!write) {
		v = its->base;
	} else if (its->base != VGIC_ADDR_UNDEF) {
		ret = -EEXIST;
	} else if (v & (SZ_64K - 1)) {
		ret = -EINVAL;
	} else if (v >= 1ULL << vm->s2.ipa_bits ||
		   v + ITS_FRAME_SIZE > 1ULL << vm->s2.ipa_bits) {
		ret = -E2BIG;
	} else {
		its->frame = (struct modkvm_io_dev) {
			.first = v,
			.last = v + ITS_FRAME_SIZE - 1,
			.ops = &vgic_its_frame_ops,
		};
		ret = modkvm_io_bus_register(vm, MODKVM_MMIO_BUS, &its->frame);
		if (!ret)
			WRITE_ONCE(its->base, v);
	}
	mutex_unlock(&vm->lock);
	if (!ret && !write && put_user(v, uaddr))
		return -EFAULT;
	return ret;
}

static int ctrl_attr(struct vgic_its *its, u64 attr)
{
	struct modkvm_vm *vm = its->vgic->vm;
	int ret;

	switch (attr) {
	case KVM_DEV_ARM_VGIC_CTRL_INIT:
		return 0;
	case KVM_DEV_ARM_ITS_CTRL_RESET:
	case KVM_DEV_ARM_ITS_SAVE_TABLES:
	case KVM_DEV_ARM_ITS_RESTORE_TABLES:
		break;
	default:		/* as KVM: nothing to do, no error */
		return 0;
	}
	mutex_lock(&vm->lock);
	ret = vgic_lock_all_vcpus(vm);
	if (!ret) {
		mutex_lock(&its->lock);
		if (attr == KVM_DEV_ARM_ITS_SAVE_TABLES) {
			ret = vgic_its_save_tables(its);
		} else if (attr == KVM_DEV_ARM_ITS_RESTORE_TABLES) {
			ret = vgic_its_restore_tables(its);
		} else {
			vgic_its_free_tables(its);
			vgic_its_regs_reset(its);
		}
		mutex_unlock(&its->lock);
		vgic_unlock_all_vcpus(vm);
	}
	mutex_unlock(&vm->lock);
	return ret;
}

/* ITS_REGS: the access width at @off, or -EINVAL if misaligned */
static int regs_width(u64 off)
{
	unsigned int len = off < GITS_TYPER || off >= GITS_PIDR4 ? 4 : 8;

	return off & (len - 1) ? -EINVAL : len;
}

static int regs_attr(struct vgic_its *its, u64 off, u64 __user *uaddr,
		     bool write, bool probe)
{
	struct modkvm_vm *vm = its->vgic->vm;
	int len = regs_width(off);
	u64 v = 0;
	int ret;

	if (len < 0)
		return len;
	if (off >= ITS_FRAME_SIZE)
		return -ENXIO;
	if (write && get_user(v, uaddr))
		return -EFAULT;
	mutex_lock(&vm->lock);
	ret = probe ? 0 : vgic_lock_all_vcpus(vm);
	if (ret)
		goto out;
	if (its->base == VGIC_ADDR_UNDEF && !probe) {
		ret = -ENXIO;
	} else {
		mutex_lock(&its->lock);
		ret = vgic_its_reg_access(its, off, len, &v, write, VGIC_USER);
		mutex_unlock(&its->lock);
	}
	if (!probe)
		vgic_unlock_all_vcpus(vm);
out:
	mutex_unlock(&vm->lock);
	if (!ret && !write && !probe && put_user(v, uaddr))
		return -EFAULT;
	return ret;
}

long modkvm_vgic_its_ioctl(struct modkvm_vm *vm, void *priv,
			   unsigned int ioctl, const struct kvm_device_attr *a)
{
	struct vgic_its *its = priv;
	u64 __user *uaddr = u64_to_user_ptr(a->addr);
	bool write = ioctl == KVM_SET_DEVICE_ATTR;

	if (ioctl == KVM_HAS_DEVICE_ATTR) {
		switch (a->group) {
		case KVM_DEV_ARM_VGIC_GRP_ADDR:
			return a->attr == KVM_VGIC_ITS_ADDR_TYPE ? 0 : -ENXIO;
		case KVM_DEV_ARM_VGIC_GRP_CTRL:
			return a->attr == KVM_DEV_ARM_VGIC_CTRL_INIT ||
			       a->attr == KVM_DEV_ARM_ITS_CTRL_RESET ||
			       a->attr == KVM_DEV_ARM_ITS_SAVE_TABLES ||
			       a->attr == KVM_DEV_ARM_ITS_RESTORE_TABLES ?
			       0 : -ENXIO;
		case KVM_DEV_ARM_VGIC_GRP_ITS_REGS:
			return regs_attr(its, a->attr, NULL, false, true);
		}
		return -ENXIO;
	}
	switch (a->group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		return addr_attr(its, a->attr, uaddr, write);
	case KVM_DEV_ARM_VGIC_GRP_CTRL:
		return write ? ctrl_attr(its, a->attr) : -ENXIO;
	case KVM_DEV_ARM_VGIC_GRP_ITS_REGS:
		return regs_attr(its, a->attr, uaddr, write, false);
	}
	return -ENXIO;
}

/* KVM_CAP_MSI_DEVID of a VM: MSIs need a DeviceID once it has an ITS */
bool modkvm_vgic_has_its(struct modkvm_vm *vm)
{
	struct modkvm_vgic *vgic = smp_load_acquire(&vm->vgic);

	return vgic && READ_ONCE(vgic->has_its);
}

/* KVM_SIGNAL_MSI and MSI routes (flags checked by the caller) */
int modkvm_vgic_inject_msi(struct modkvm_vm *vm, const struct kvm_msi *msi)
{
	struct modkvm_vgic *vgic = smp_load_acquire(&vm->vgic);
	u64 addr = (u64)msi->address_hi << 32 | msi->address_lo;
	struct vgic_its *its = NULL;
	unsigned int i, n;
	int ret;

	if (!vgic || !READ_ONCE(vgic->has_its))
		return -ENODEV;
	if (!(msi->flags & KVM_MSI_VALID_DEVID))
		return -EINVAL;
	n = smp_load_acquire(&vgic->nr_its);
	for (i = 0; i < n; i++) {
		u64 base = READ_ONCE(vgic->its[i]->base);

		if (base != VGIC_ADDR_UNDEF && addr >= base &&
		    addr - base < ITS_FRAME_SIZE)
			its = vgic->its[i];
	}
	if (!its)
		return -EINVAL;
	mutex_lock(&its->lock);
	ret = vgic_its_translate(its, msi->devid, msi->data);
	mutex_unlock(&its->lock);
	if (ret < 0)
		return ret;
	return ret ? 0 : 1;
}
