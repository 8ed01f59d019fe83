// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_ARM_SET_COUNTER_OFFSET (api.rst 4.138, KVM_CAP_COUNTER_OFFSET): one
 * offset for the VM, subtracted from both the virtual and the physical
 * counter every vCPU of the VM sees, now and once created. From then on
 * KVM_SET_ONE_REG writes of KVM_REG_ARM_TIMER_CNT and _PTIMER_CNT succeed
 * and change nothing (sys_regs.c), as api.rst says of KVM.
 *
 * reserved must be 0 (-EINVAL); while any vCPU ioctl runs (KVM_RUN
 * included) the VM's vCPUs cannot all be locked and the answer is -EBUSY.
 * The header of the 6.1 kernel has neither the ioctl nor the capability:
 * there the ioctl is unknown (-EINVAL) and the capability 0.
 */
#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>

#include "modkvm.h"
#include "vgic/vgic.h"

#ifdef KVM_ARM_SET_COUNTER_OFFSET
int modkvm_set_counter_offset(struct modkvm_vm *vm, void __user *argp)
{
	struct kvm_arm_counter_offset off;
	int ret;

	if (copy_from_user(&off, argp, sizeof(off)))
		return -EFAULT;
	if (off.reserved)
		return -EINVAL;

	/* vm->lock, then every vCPU's mutex by trylock (virt/modkvm.h) */
	mutex_lock(&vm->lock);
	ret = vgic_lock_all_vcpus(vm);
	if (!ret) {
		WRITE_ONCE(vm->cntvoff, off.counter_offset);
		WRITE_ONCE(vm->cntpoff, off.counter_offset);
		WRITE_ONCE(vm->counter_offset_set, true);
		vgic_unlock_all_vcpus(vm);
	}
	mutex_unlock(&vm->lock);
	return ret;
}
#endif
