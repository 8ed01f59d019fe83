// SPDX-License-Identifier: GPL-2.0
/*
 * A VM: KVM_CREATE_VM and the VM file descriptor's ioctls.
 *
 * The VM lives as long as its fd or any vCPU fd is open (vm->users). Guest
 * memory belongs to the creator's mm; ioctls from another mm get -EIO, as
 * with KVM. So do all ioctls of a VM that was declared dead (vm->dead: its
 * vGIC could not be mapped at the first KVM_RUN, vgic/vgic.c), on the VM,
 * its vCPUs and its devices, as KVM does; only closing them is left.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "modkvm.h"
#include "modkvm_trace.h"

static void modkvm_vm_destroy(struct modkvm_vm *vm)
{
	int i;

	modkvm_debugfs_vm_remove(vm);	/* its files read the stats too */
	modkvm_ioeventfd_destroy(vm);	/* first: it reads the vCPUs' stats */
	modkvm_io_bus_destroy(vm);	/* frees the devices left on the buses */
	modkvm_irqfd_destroy(vm);	/* before the GIC they inject into */
	modkvm_irq_routing_free(vm);
	modkvm_vgic_destroy(vm);	/* before the vCPUs: it frees their part */
	for (i = 0; i < vm->nr_vcpus; i++)
		modkvm_vcpu_free(vm->vcpus[i]);
	modkvm_mmu_destroy(vm);
	modkvm_free_memslots(vm);
	modkvm_coalesced_destroy(vm);
	modkvm_smccc_filter_free(vm);
	mmdrop(vm->mm);
	kvfree(vm);
}

void modkvm_vm_put(struct modkvm_vm *vm)
{
	if (refcount_dec_and_test(&vm->users))
		modkvm_vm_destroy(vm);
}

/*
 * The first KVM_RUN of the VM: from now on what may only be configured
 * before the guest runs (firmware registers, the SMCCC filter) is fixed.
 * Under vm->lock, so it cannot cut into such a change; the release pairs
 * with the acquire here and lets the run loop read their final values.
 */
void modkvm_vm_mark_ran(struct modkvm_vm *vm)
{
	/* Pairs with the store below, from another vCPU's first run. */
	if (smp_load_acquire(&vm->ran))
		return;
	mutex_lock(&vm->lock);
	/* Publishes the configuration to vCPUs that skip the lock above. */
	smp_store_release(&vm->ran, true);
	mutex_unlock(&vm->lock);
}

/*
 * Device attributes of the VM itself (KVM_{HAS,SET}_DEVICE_ATTR on the
 * VM fd): only the SMCCC filter. There is no readable VM attribute, so
 * KVM_GET_DEVICE_ATTR is unknown here, as with KVM on arm64.
 */
static int modkvm_vm_device_attr(struct modkvm_vm *vm, unsigned int ioctl,
				 void __user *argp)
{
	struct kvm_device_attr attr;

	if (copy_from_user(&attr, argp, sizeof(attr)))
		return -EFAULT;
	if (ioctl == KVM_HAS_DEVICE_ATTR)
		return modkvm_smccc_filter_has_attr(vm, &attr);
	return modkvm_smccc_filter_set_attr(vm, &attr);
}

static int modkvm_vm_release(struct inode *inode, struct file *filp)
{
	modkvm_vm_put(filp->private_data);
	return 0;
}

/*
 * KVM_IRQ_LINE without an in-kernel irqchip: only the vCPU's own IRQ and
 * FIQ inputs exist (irq_type KVM_ARM_IRQ_TYPE_CPU). With the vGIC, its
 * SPIs and PPIs instead (vgic/vgic.c).
 */
static int modkvm_irq_line(struct modkvm_vm *vm, const struct kvm_irq_level *l)
{
	u32 type = (l->irq >> KVM_ARM_IRQ_TYPE_SHIFT) & KVM_ARM_IRQ_TYPE_MASK;
	u32 vcpu_idx = (l->irq >> KVM_ARM_IRQ_VCPU_SHIFT) & KVM_ARM_IRQ_VCPU_MASK;
	u32 num = (l->irq >> KVM_ARM_IRQ_NUM_SHIFT) & KVM_ARM_IRQ_NUM_MASK;
	struct modkvm_vcpu *vcpu;
	bool changed;

#ifdef KVM_ARM_IRQ_VCPU2_SHIFT
	vcpu_idx += ((l->irq >> KVM_ARM_IRQ_VCPU2_SHIFT) &
		     KVM_ARM_IRQ_VCPU2_MASK) * (KVM_ARM_IRQ_VCPU_MASK + 1);
#endif
	if (smp_load_acquire(&vm->vgic)) {
		vcpu = NULL;
		/* vCPUs are only ever added, so a published one stays valid. */
		if (type == KVM_ARM_IRQ_TYPE_PPI) {
			if (vcpu_idx >= smp_load_acquire(&vm->nr_vcpus))
				return -EINVAL;
			vcpu = READ_ONCE(vm->vcpus[vcpu_idx]);
		}
		return modkvm_vgic_irq_line(vm, type, vcpu, num, l->level);
	}
	if (type == KVM_ARM_IRQ_TYPE_SPI || type == KVM_ARM_IRQ_TYPE_PPI)
		return -ENXIO;	/* they need an in-kernel irqchip */
	if (type != KVM_ARM_IRQ_TYPE_CPU)
		return -EINVAL;
	if (num > KVM_ARM_IRQ_CPU_FIQ)
		return -EINVAL;

	/* vCPUs are only ever added, so a published one stays valid. */
	if (vcpu_idx >= READ_ONCE(vm->nr_vcpus))
		return -EINVAL;
	vcpu = READ_ONCE(vm->vcpus[vcpu_idx]);

	if (l->level)
		changed = !test_and_set_bit(num, &vcpu->irq_lines);
	else
		changed = test_and_clear_bit(num, &vcpu->irq_lines);
	if (changed) {
		trace_modkvm_irq_line(vcpu->id, num, l->level);
		modkvm_vcpu_kick(vcpu);
	}
	return 0;
}

#ifdef KVM_SET_USER_MEMORY_REGION2
/*
 * The newer form of KVM_SET_USER_MEMORY_REGION. Without guest_memfd
 * (KVM_MEM_GUEST_MEMFD is not supported) it carries the same fields.
 */
static int modkvm_set_memory_region2(struct modkvm_vm *vm, void __user *argp)
{
	struct kvm_userspace_memory_region2 m2;
	struct kvm_userspace_memory_region mem;

	if (copy_from_user(&m2, argp, sizeof(m2)))
		return -EFAULT;
	if (m2.pad1 || memchr_inv(m2.pad2, 0, sizeof(m2.pad2)) ||
	    (m2.flags & KVM_MEM_GUEST_MEMFD))
		return -EINVAL;
	mem = (struct kvm_userspace_memory_region) {
		.slot = m2.slot,
		.flags = m2.flags,
		.guest_phys_addr = m2.guest_phys_addr,
		.memory_size = m2.memory_size,
		.userspace_addr = m2.userspace_addr,
	};
	return modkvm_set_memory_region(vm, &mem);
}
#endif

static long modkvm_vm_ioctl(struct file *filp, unsigned int ioctl,
			    unsigned long arg)
{
	struct modkvm_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;

	if (vm->mm != current->mm || READ_ONCE(vm->dead))
		return -EIO;

	switch (ioctl) {
	case KVM_CREATE_VCPU:
		return modkvm_create_vcpu(vm, arg);
	case KVM_CHECK_EXTENSION:
		return modkvm_check_extension(vm, arg);
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region mem;

		if (copy_from_user(&mem, argp, sizeof(mem)))
			return -EFAULT;
		return modkvm_set_memory_region(vm, &mem);
	}
#ifdef KVM_SET_USER_MEMORY_REGION2
	case KVM_SET_USER_MEMORY_REGION2:
		return modkvm_set_memory_region2(vm, argp);
#endif
	case KVM_ARM_PREFERRED_TARGET: {
		struct kvm_vcpu_init init = { 0 };

		modkvm_arch_preferred_target(&init);
		if (copy_to_user(argp, &init, sizeof(init)))
			return -EFAULT;
		return 0;
	}
	case KVM_IRQ_LINE: {
		struct kvm_irq_level level;

		if (copy_from_user(&level, argp, sizeof(level)))
			return -EFAULT;
		return modkvm_irq_line(vm, &level);
	}
	case KVM_GET_STATS_FD:
		return modkvm_vm_stats_fd(vm);
	case KVM_GET_DIRTY_LOG: {
		struct kvm_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		return modkvm_get_dirty_log(vm, &log);
	}
	case KVM_CLEAR_DIRTY_LOG: {
		struct kvm_clear_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		return modkvm_clear_dirty_log(vm, &log);
	}
	case KVM_REGISTER_COALESCED_MMIO:
	case KVM_UNREGISTER_COALESCED_MMIO: {
		struct kvm_coalesced_mmio_zone zone;

		if (copy_from_user(&zone, argp, sizeof(zone)))
			return -EFAULT;
		if (ioctl == KVM_REGISTER_COALESCED_MMIO)
			return modkvm_coalesced_register(vm, &zone);
		return modkvm_coalesced_unregister(vm, &zone);
	}
	case KVM_IRQFD: {
		struct kvm_irqfd args;

		if (copy_from_user(&args, argp, sizeof(args)))
			return -EFAULT;
		return modkvm_irqfd(vm, &args);
	}
	case KVM_SET_GSI_ROUTING:
		return modkvm_set_gsi_routing(vm, argp);
	case KVM_SIGNAL_MSI:
		return modkvm_signal_msi(vm, argp);
	case KVM_IOEVENTFD: {
		struct kvm_ioeventfd args;

		if (copy_from_user(&args, argp, sizeof(args)))
			return -EFAULT;
		return modkvm_ioeventfd(vm, &args);
	}
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap cap;

		if (copy_from_user(&cap, argp, sizeof(cap)))
			return -EFAULT;
		return modkvm_vm_enable_cap(vm, &cap);
	}
	case KVM_HAS_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR:
		return modkvm_vm_device_attr(vm, ioctl, argp);
	case KVM_CREATE_DEVICE:
		return modkvm_create_device(vm, argp);
#ifdef KVM_ARM_SET_COUNTER_OFFSET
	case KVM_ARM_SET_COUNTER_OFFSET:
		return modkvm_set_counter_offset(vm, argp);
#endif
	}
	return -EINVAL;		/* as KVM answers any unknown ioctl */
}

static const struct file_operations modkvm_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= modkvm_vm_release,
	.unlocked_ioctl	= modkvm_vm_ioctl,
	.llseek		= noop_llseek,
};

int modkvm_create_vm(unsigned long type)
{
	unsigned int ipa_bits = type & KVM_VM_TYPE_ARM_IPA_SIZE_MASK;
	struct modkvm_vm *vm;
	int ret, fd;

	if (!current->mm || (type & ~KVM_VM_TYPE_ARM_IPA_SIZE_MASK))
		return -EINVAL;
	if (!ipa_bits)
		ipa_bits = MODKVM_DEFAULT_IPA_BITS;
	else if (ipa_bits < 32 || ipa_bits > modkvm_host_ipa_limit())
		return -EINVAL;

	vm = kvzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	refcount_set(&vm->users, 1);
	mutex_init(&vm->lock);
	spin_lock_init(&vm->mmu_lock);
	modkvm_irqfd_vm_init(vm);
	ret = modkvm_io_bus_init(vm);
	if (ret) {
		kvfree(vm);
		return ret;
	}
	vm->mm = current->mm;
	mmgrab(vm->mm);

	ret = modkvm_coalesced_init(vm);
	if (ret)
		goto err;
	ret = modkvm_arch_vm_init(vm, type);
	if (ret)
		goto err;
	modkvm_smccc_vm_init(vm);
	modkvm_fw_workaround_init(vm);
	modkvm_smccc_fast_init(vm);
	ret = modkvm_mmu_init(vm, ipa_bits);
	if (ret)
		goto err;

	/* Held across debugfs's naming by the fd, which may be closed at once */
	refcount_inc(&vm->users);
	fd = anon_inode_getfd("kvm-vm", &modkvm_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		refcount_dec(&vm->users);
		ret = fd;
		goto err;
	}
	modkvm_debugfs_vm_add(vm, fd);
	modkvm_vm_put(vm);
	return fd;

err:
	modkvm_vm_destroy(vm);
	return ret;
}
