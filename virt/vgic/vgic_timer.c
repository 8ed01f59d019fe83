// SPDX-License-Identifier: GPL-2.0
/*
 * The timers' interrupts with the in-kernel vGIC: their PPIs and their
 * levels.
 *
 * KVM_ARM_VCPU_TIMER_CTRL (devices/vcpu.rst): KVM_ARM_VCPU_TIMER_IRQ_VTIMER
 * and _PTIMER name the PPIs of the EL1 virtual and physical timers (27 and
 * 30 by default, the numbers of the Arm Base System Architecture). They
 * are per VM: setting one on any vCPU sets it for all; only with the
 * vGIC (-EINVAL otherwise), only a PPI (-EINVAL), and only before a vCPU
 * has run (-EBUSY). Two timers on one PPI stop the first KVM_RUN
 * (-EINVAL). The hypervisor timers (_HVTIMER, _HPTIMER) need nested
 * virtualization, which modkvm has not: -ENXIO.
 *
 * Levels: a VM with the vGIC takes its timers' outputs into the GIC as the
 * levels of those PPIs (modkvm_vgic_inject()), where a VM without one
 * reports them to userspace in kvm_run->s.regs.device_irq_level (the run
 * loop, virt/vcpu.c, keeps that path as it was).
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>

#include "vgic.h"

#define VTIMER_PPI_DEFAULT	27
#define PTIMER_PPI_DEFAULT	30

u32 vgic_timer_ppi(const struct modkvm_vgic *vgic, unsigned int t)
{
	if (vgic && vgic->timer_ppi[t])
		return vgic->timer_ppi[t];
	return t == 0 ? VTIMER_PPI_DEFAULT : PTIMER_PPI_DEFAULT;
}

long modkvm_vgic_timer_attr(struct modkvm_vcpu *vcpu, unsigned int ioctl,
			    u64 attr, int __user *uaddr)
{
	struct modkvm_vm *vm = vcpu->vm;
	struct modkvm_vgic *vgic;
	int irq, ret = 0;

	if (attr != KVM_ARM_VCPU_TIMER_IRQ_VTIMER &&
	    attr != KVM_ARM_VCPU_TIMER_IRQ_PTIMER)
		return -ENXIO;
	if (ioctl == KVM_HAS_DEVICE_ATTR)
		return 0;
	vgic = smp_load_acquire(&vm->vgic);
	if (ioctl == KVM_GET_DEVICE_ATTR) {
		mutex_lock(&vm->lock);
		irq = vgic_timer_ppi(vgic, attr);
		mutex_unlock(&vm->lock);
		return put_user(irq, uaddr) ? -EFAULT : 0;
	}
	if (!vgic)
		return -EINVAL;	/* the numbers are the GIC's */
	if (get_user(irq, uaddr))
		return -EFAULT;
	if (irq < VGIC_NR_SGIS || irq >= VGIC_NR_PRIVATE)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->ran)
		ret = -EBUSY;
	else
		vgic->timer_ppi[attr] = irq;
	mutex_unlock(&vm->lock);
	return ret;
}

/* First KVM_RUN, under vm->lock: two timers on one PPI cannot run */
int vgic_timer_check(struct modkvm_vgic *vgic)
{
	return vgic_timer_ppi(vgic, 0) == vgic_timer_ppi(vgic, 1) ? -EINVAL : 0;
}

/*
 * Before entering the guest: the timers' outputs @levels (bit 0 virtual,
 * bit 1 physical, as KVM_ARM_DEV_EL1_VTIMER/PTIMER) become their PPIs'
 * levels. Only changes are injected.
 */
void modkvm_vgic_timer_levels(struct modkvm_vcpu *vcpu, u32 levels, u32 old)
{
	struct modkvm_vgic *vgic = vcpu->vm->vgic;

	if ((levels ^ old) & KVM_ARM_DEV_EL1_VTIMER)
		modkvm_vgic_inject(vcpu->vm, vcpu, vgic_timer_ppi(vgic, 0),
				   levels & KVM_ARM_DEV_EL1_VTIMER);
	if ((levels ^ old) & KVM_ARM_DEV_EL1_PTIMER)
		modkvm_vgic_inject(vcpu->vm, vcpu, vgic_timer_ppi(vgic, 1),
				   levels & KVM_ARM_DEV_EL1_PTIMER);
}
