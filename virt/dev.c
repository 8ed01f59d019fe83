// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/kvm: the misc device (minor 232) and its system ioctls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "modkvm.h"

static long modkvm_dev_ioctl(struct file *filp, unsigned int ioctl,
			     unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return MODKVM_API_VERSION;
	case KVM_CHECK_EXTENSION:
		return modkvm_check_extension(NULL, arg);
	case KVM_CREATE_VM:
		return modkvm_create_vm(arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		/* struct kvm_run and the coalesced MMIO ring; no dirty ring */
		return MODKVM_VCPU_MMAP_PAGES * PAGE_SIZE;
	}

	/* KVM answers every unknown ioctl, even a foreign one, with -EINVAL. */
	return -EINVAL;
}

static const struct file_operations modkvm_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= modkvm_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice modkvm_dev = {
	.minor	= KVM_MINOR,
	.name	= "kvm",
	.fops	= &modkvm_dev_fops,
	.mode	= 0660,
};

int modkvm_dev_register(void)
{
	int ret = misc_register(&modkvm_dev);

	if (ret == -EBUSY) {
		pr_err("refusing to load: /dev/kvm (misc minor %d) is already registered, the in-kernel KVM owns EL2; boot the host with kvm-arm.mode=none to use modkvm\n",
		       KVM_MINOR);
		return -ENODEV;
	}
	if (ret)
		pr_err("cannot register /dev/kvm: error %d\n", ret);
	return ret;
}

void modkvm_dev_unregister(void)
{
	misc_deregister(&modkvm_dev);
}
