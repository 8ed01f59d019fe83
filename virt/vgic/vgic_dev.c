// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM_DEV_TYPE_ARM_VGIC_V3 device's attributes (devices/arm-vgic-v3.rst):
 * KVM_{SET,GET,HAS}_DEVICE_ATTR on the fd KVM_CREATE_DEVICE gave.
 *
 *   ADDR          DIST, REDIST (the legacy single region) and
 *                 REDIST_REGION; set once each, before the VM runs
 *   NR_IRQS       64..1024 in steps of 32, once, before INIT
 *   CTRL          INIT (once the vCPUs exist; again: nothing), and
 *                 SAVE_PENDING_TABLES (the LPIs' pending bits: vgic_lpi.c)
 *   DIST_REGS, REDIST_REGS (mpidr in attr[63:32]), CPU_SYSREGS,
 *   LEVEL_INFO    the state, for save/restore: only with every vCPU
 *                 stopped (-EBUSY otherwise) and after INIT (-EBUSY)
 *
 * An mpidr that names no vCPU is -EINVAL; a group or attribute that does
 * not exist -ENXIO; a bad user pointer -EFAULT.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vgic.h"

#define RR_INDEX		GENMASK_ULL(11, 0)
#define RR_FLAGS		GENMASK_ULL(15, 12)
#define RR_BASE			GENMASK_ULL(51, 16)
#define RR_COUNT_SHIFT		52

/* ------------------------------------------------------------ ADDR */

static u64 ipa_limit(struct modkvm_vgic *vgic)
{
	return 1ULL << vgic->vm->s2.ipa_bits;
}

static int add_region(struct modkvm_vgic *vgic, u64 base, u32 count)
{
	struct vgic_rdist_region *r;

	r = krealloc(vgic->regions, (vgic->nr_regions + 1) * sizeof(*r),
		     GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	memset(&r[vgic->nr_regions], 0, sizeof(*r));
	r[vgic->nr_regions].base = base;
	r[vgic->nr_regions].count = count;
	vgic->regions = r;
	vgic->nr_regions++;
	return 0;
}

static int set_redist_region(struct modkvm_vgic *vgic, u64 v)
{
	u64 base = v & RR_BASE, count = v >> RR_COUNT_SHIFT, size, i;

	if ((v & RR_FLAGS) || !count || vgic->legacy ||
	    (v & RR_INDEX) != vgic->nr_regions)
		return -EINVAL;
	size = count * VGIC_RDIST_SIZE;
	if (base + size > ipa_limit(vgic))
		return -E2BIG;
	for (i = 0; i < vgic->nr_regions; i++) {
		const struct vgic_rdist_region *r = &vgic->regions[i];

		if (base < r->base + r->count * VGIC_RDIST_SIZE &&
		    r->base < base + size)
			return -EINVAL;
	}
	if (vgic->dist_base != VGIC_ADDR_UNDEF &&
	    base < vgic->dist_base + VGIC_DIST_SIZE &&
	    vgic->dist_base < base + size)
		return -EINVAL;
	return add_region(vgic, base, count);
}

static int addr_set(struct modkvm_vgic *vgic, u64 attr, u64 v)
{
	switch (attr) {
	case KVM_VGIC_V3_ADDR_TYPE_DIST:
		if (vgic->dist_base != VGIC_ADDR_UNDEF)
			return -EEXIST;
		if (v & (VGIC_DIST_SIZE - 1))
			return -EINVAL;
		if (v >= ipa_limit(vgic) ||
		    v + VGIC_DIST_SIZE > ipa_limit(vgic))
			return -E2BIG;
		vgic->dist_base = v;
		return 0;
	case KVM_VGIC_V3_ADDR_TYPE_REDIST:
		if (vgic->nr_regions && !vgic->legacy)
			return -EINVAL;	/* regions already: no mixing */
		if (vgic->legacy)
			return -EEXIST;
		if (v & 0xffff)
			return -EINVAL;
		if (v >= ipa_limit(vgic) ||
		    v + VGIC_RDIST_SIZE > ipa_limit(vgic))
			return -E2BIG;
		vgic->legacy = true;
		return add_region(vgic, v, 0);
	case KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION:
		return set_redist_region(vgic, v);
	}
	return -ENXIO;
}

static int addr_get(struct modkvm_vgic *vgic, u64 attr, u64 *v)
{
	const struct vgic_rdist_region *r;
	u64 i;

	switch (attr) {
	case KVM_VGIC_V3_ADDR_TYPE_DIST:
		*v = vgic->dist_base;
		return 0;
	case KVM_VGIC_V3_ADDR_TYPE_REDIST:
		*v = vgic->legacy ? vgic->regions[0].base : VGIC_ADDR_UNDEF;
		return 0;
	case KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION:
		i = *v & RR_INDEX;
		if (vgic->legacy || i >= vgic->nr_regions)
			return -ENOENT;
		r = &vgic->regions[i];
		*v = ((u64)r->count << RR_COUNT_SHIFT) | r->base | i;
		return 0;
	}
	return -ENXIO;
}

static int addr_attr(struct modkvm_vgic *vgic, u64 attr, u64 __user *uaddr,
		     bool write)
{
	u64 v;
	int ret;

	if (attr != KVM_VGIC_V3_ADDR_TYPE_DIST &&
	    attr != KVM_VGIC_V3_ADDR_TYPE_REDIST &&
	    attr != KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION)
		return -ENXIO;
	/* REDIST_REGION's get takes the index in the value */
	if ((write || attr == KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION) &&
	    get_user(v, uaddr))
		return -EFAULT;
	mutex_lock(&vgic->vm->lock);
	if (!write)
		ret = addr_get(vgic, attr, &v);
	else if (vgic->ready)
		ret = -EBUSY;	/* the frames are on the bus */
	else
		ret = addr_set(vgic, attr, v);
	mutex_unlock(&vgic->vm->lock);
	if (!ret && !write && put_user(v, uaddr))
		return -EFAULT;
	return ret;
}

/* ------------------------------------------------------ NR_IRQS, CTRL */

static int nr_irqs_attr(struct modkvm_vgic *vgic, u32 __user *uaddr,
			bool write)
{
	u32 v;
	int ret = 0;

	if (!write) {
		mutex_lock(&vgic->vm->lock);
		v = vgic->nr_irqs ? vgic->nr_irqs : VGIC_NR_PRIVATE;
		mutex_unlock(&vgic->vm->lock);
		return put_user(v, uaddr) ? -EFAULT : 0;
	}
	if (get_user(v, uaddr))
		return -EFAULT;
	if (v < VGIC_MIN_IRQS || v > VGIC_MAX_IRQS || v % 32)
		return -EINVAL;
	mutex_lock(&vgic->vm->lock);
	if (vgic->nr_irqs || vgic->initialized)
		ret = -EBUSY;
	else
		vgic->nr_irqs = v;
	mutex_unlock(&vgic->vm->lock);
	return ret;
}

/* vm->lock held: every vCPU's mutex, or -EBUSY if one is in use (running) */
int vgic_lock_all_vcpus(struct modkvm_vm *vm)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		if (!mutex_trylock(&vm->vcpus[i]->mutex)) {
			while (i--)
				mutex_unlock(&vm->vcpus[i]->mutex);
			return -EBUSY;
		}
	}
	return 0;
}

void vgic_unlock_all_vcpus(struct modkvm_vm *vm)
{
	int i;

	for (i = vm->nr_vcpus - 1; i >= 0; i--)
		mutex_unlock(&vm->vcpus[i]->mutex);
}

static int ctrl_attr(struct modkvm_vgic *vgic, u64 attr)
{
	struct modkvm_vm *vm = vgic->vm;
	int ret;

	if (attr != KVM_DEV_ARM_VGIC_CTRL_INIT &&
	    attr != KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES)
		return -ENXIO;
	mutex_lock(&vm->lock);
	ret = vgic_lock_all_vcpus(vm);
	if (!ret) {
		if (attr == KVM_DEV_ARM_VGIC_CTRL_INIT)
			ret = vgic_init(vgic);
		else if (!vgic->initialized)
			ret = -ENXIO;
		else	/* SAVE_PENDING_TABLES: LPIs into guest memory */
			ret = vgic_lpi_save_pending(vgic);
		vgic_unlock_all_vcpus(vm);
	}
	mutex_unlock(&vm->lock);
	return ret;
}

/* ------------------------------------------------- the state groups */

/* The vCPU an attribute's mpidr (attr[63:32], Aff3..Aff0) names */
static struct modkvm_vcpu *attr_vcpu(struct modkvm_vm *vm, u64 attr)
{
	u32 m = attr >> 32;
	u64 mpidr = ((u64)(m >> 24) << 32) | (m & 0xffffff);

	return vgic_vcpu_by_mpidr(vm, mpidr);
}

#define LEVEL_INFO(attr) (((attr) & KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK) >> \
			  KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT)

static int level_info(struct modkvm_vgic *vgic, struct modkvm_vcpu *vcpu,
		      u64 attr, u64 *val, bool write)
{
	u32 intid = attr & KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK, i;

	if (LEVEL_INFO(attr) != VGIC_LEVEL_INFO_LINE_LEVEL || intid % 32)
		return -EINVAL;
	if (!write)
		*val = 0;
	for (i = 0; i < 32; i++) {
		struct vgic_irq *irq;

		if (intid + i < VGIC_NR_SGIS)
			continue;	/* SGIs have no line: RAZ/WI */
		irq = vgic_get_irq(vgic, vcpu, intid + i);
		if (!irq)
			continue;
		if (!write) {
			*val |= (u64)irq->level << i;
		} else {
			irq->level = (*val >> i) & 1;
			vgic_kick(vgic, irq);
		}
	}
	return 0;
}

static int state_access(struct modkvm_vgic *vgic, struct modkvm_vcpu *vcpu,
			u32 group, u64 attr, u64 *val, bool write)
{
	u32 off = attr & KVM_DEV_ARM_VGIC_OFFSET_MASK;

	switch (group) {
	case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
		return vgic_dist_access(vgic, off, 4, val, write, VGIC_USER);
	case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
		return vgic_rdist_access(vgic, vcpu, off, 4, val, write,
					 VGIC_USER);
	case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
		return vgic_icc_access(vcpu,
				       attr & KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK,
				       val, write);
	default:			/* LEVEL_INFO */
		return level_info(vgic, vcpu, attr, val, write);
	}
}

static int state_attr(struct modkvm_vgic *vgic, u32 group, u64 attr,
		      void __user *uaddr, bool write)
{
	/* 32-bit values, but for CPU_SYSREGS */
	bool wide = group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
	struct modkvm_vm *vm = vgic->vm;
	struct modkvm_vcpu *vcpu = NULL;
	u64 val = 0;
	u32 v32;
	int ret;

	if (write) {
		if (wide ? get_user(val, (u64 __user *)uaddr) :
			   get_user(v32, (u32 __user *)uaddr))
			return -EFAULT;
		if (!wide)
			val = v32;
	}
	mutex_lock(&vm->lock);
	if (group != KVM_DEV_ARM_VGIC_GRP_DIST_REGS) {
		vcpu = attr_vcpu(vm, attr);
		ret = -EINVAL;
		if (!vcpu)
			goto out;
	}
	ret = vgic_lock_all_vcpus(vm);
	if (ret)
		goto out;
	if (!vgic->initialized) {
		ret = -EBUSY;
	} else {
		spin_lock_irq(&vgic->lock);
		ret = state_access(vgic, vcpu, group, attr, &val, write);
		spin_unlock_irq(&vgic->lock);
		vgic_kick_flush(vgic);
		vgic_lpi_props_sync(vgic);	/* EnableLPIs restored */
	}
	vgic_unlock_all_vcpus(vm);
out:
	mutex_unlock(&vm->lock);
	if (ret || write)
		return ret;
	if (wide)
		return put_user(val, (u64 __user *)uaddr) ? -EFAULT : 0;
	return put_user((u32)val, (u32 __user *)uaddr) ? -EFAULT : 0;
}

/* ---------------------------------------------------------- the ioctls */

static int has_attr(struct modkvm_vgic *vgic, const struct kvm_device_attr *a)
{
	switch (a->group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		switch (a->attr) {
		case KVM_VGIC_V3_ADDR_TYPE_DIST:
		case KVM_VGIC_V3_ADDR_TYPE_REDIST:
		case KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION:
			return 0;
		}
		return -ENXIO;
	case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
		return 0;
	case KVM_DEV_ARM_VGIC_GRP_CTRL:
		return a->attr == KVM_DEV_ARM_VGIC_CTRL_INIT ||
		       a->attr == KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES ?
		       0 : -ENXIO;
	case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		return LEVEL_INFO(a->attr) == VGIC_LEVEL_INFO_LINE_LEVEL ?
		       0 : -ENXIO;
	case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: {
		struct modkvm_vm *vm = vgic->vm;
		struct modkvm_vcpu *vcpu = NULL;
		u64 val = 0;
		int ret;

		mutex_lock(&vm->lock);
		if (a->group != KVM_DEV_ARM_VGIC_GRP_DIST_REGS) {
			vcpu = attr_vcpu(vm, a->attr);
			if (!vcpu) {
				mutex_unlock(&vm->lock);
				return -EINVAL;
			}
		}
		/* a read thrown away says whether the register exists */
		spin_lock_irq(&vgic->lock);
		ret = state_access(vgic, vcpu, a->group, a->attr, &val, false);
		spin_unlock_irq(&vgic->lock);
		mutex_unlock(&vm->lock);
		if (ret == -EINVAL || ret == -ENOENT)
			ret = -ENXIO;
		return ret;
	}
	}
	return -ENXIO;
}

long modkvm_vgic_v3_ioctl(struct modkvm_vm *vm, void *priv, unsigned int ioctl,
			  const struct kvm_device_attr *a)
{
	struct modkvm_vgic *vgic = vm->vgic;
	void __user *uaddr = u64_to_user_ptr(a->addr);
	bool write = ioctl == KVM_SET_DEVICE_ATTR;

	if (ioctl == KVM_HAS_DEVICE_ATTR)
		return has_attr(vgic, a);
	switch (a->group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		return addr_attr(vgic, a->attr, uaddr, write);
	case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
		return nr_irqs_attr(vgic, uaddr, write);
	case KVM_DEV_ARM_VGIC_GRP_CTRL:
		return write ? ctrl_attr(vgic, a->attr) : -ENXIO;
	case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
	case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		return state_attr(vgic, a->group, a->attr, uaddr, write);
	}
	return -ENXIO;
}
