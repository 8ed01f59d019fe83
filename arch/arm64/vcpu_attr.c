// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: the vCPU "device" attributes, KVM_HAS_DEVICE_ATTR,
 * KVM_GET_DEVICE_ATTR and KVM_SET_DEVICE_ATTR on a vCPU fd
 * (Documentation/virt/kvm/devices/vcpu.rst). They may be used before
 * KVM_ARM_VCPU_INIT; struct kvm_device_attr.flags has no defined bit and
 * is not looked at, as with KVM.
 *
 *   KVM_ARM_VCPU_PVTIME_CTRL  KVM_ARM_VCPU_PVTIME_IPA: pvtime.c.
 *   KVM_ARM_VCPU_TIMER_CTRL   -ENXIO ("unsupported for this device"):
 *       these attributes are the interrupt numbers (PPIs) of the timers
 *       on an in-kernel virtual GIC. modkvm has none: the timers' output
 *       lines go to the interrupt controller userspace emulates
 *       (KVM_CAP_ARM_USER_IRQ, kvm_run->s.regs.device_irq_level), which
 *       alone decides which INTID they raise. No number modkvm could
 *       report or accept would mean anything.
 *   KVM_ARM_VCPU_PMU_V3_CTRL  -ENXIO: no PMU is offered.
 *   any other group           -ENXIO.
 */
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/uaccess.h>

#include "modkvm.h"

long modkvm_vcpu_attr_ioctl(struct modkvm_vcpu *vcpu, unsigned int ioctl,
			    void __user *argp)
{
	struct kvm_device_attr attr;
	u64 __user *uaddr;

	if (copy_from_user(&attr, argp, sizeof(attr)))
		return -EFAULT;
	uaddr = u64_to_user_ptr(attr.addr);

	switch (attr.group) {
	case KVM_ARM_VCPU_PVTIME_CTRL:
		switch (ioctl) {
		case KVM_HAS_DEVICE_ATTR:
			return modkvm_pvtime_has_attr(vcpu, attr.attr);
		case KVM_GET_DEVICE_ATTR:
			return modkvm_pvtime_get_attr(vcpu, attr.attr, uaddr);
		default:
			return modkvm_pvtime_set_attr(vcpu, attr.attr, uaddr);
		}
	case KVM_ARM_VCPU_TIMER_CTRL:	/* the timers' PPIs in the vGIC */
		return modkvm_vgic_timer_attr(vcpu, ioctl, attr.attr,
					      u64_to_user_ptr(attr.addr));
	case KVM_ARM_VCPU_PMU_V3_CTRL:
	default:
		return -ENXIO;
	}
}
