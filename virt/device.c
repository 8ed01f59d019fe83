// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CREATE_DEVICE (api.rst 4.80) and the device fds it returns, whose
 * ioctls are KVM_{SET,GET,HAS}_DEVICE_ATTR.
 *
 * One table of the device types modkvm implements; any other type is
 * -ENODEV, as is a type the host cannot offer (a GICv3 and its ITS need
 * the host's GICv3 and, for now, the vgic_v3 module parameter:
 * vgic/vgic.c).
 * KVM_CREATE_DEVICE_TEST only says whether the type could be created
 * (0 or -ENODEV); a second instance of a type that allows one per VM is
 * -EEXIST. A device lives as long as its VM: its fd holds a reference on
 * the VM, and closing it destroys nothing (the VM's destruction does).
 * Ioctls from a process other than the VM's creator get -EIO.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "modkvm.h"

struct modkvm_device_type {
	u32 type;
	const char *name;	/* of the anon inode, as KVM names it */
	bool (*available)(void);
	/* under vm->lock; *priv: the instance, handed to ioctl */
	int (*create)(struct modkvm_vm *vm, void **priv);
	long (*ioctl)(struct modkvm_vm *vm, void *priv, unsigned int ioctl,
		      const struct kvm_device_attr *attr);
};

static const struct modkvm_device_type device_types[] = {
	{
		.type = KVM_DEV_TYPE_ARM_VGIC_V3,
		.name = "kvm-arm-vgic-v3",
		.available = modkvm_vgic_v3_available,
		.create = modkvm_vgic_v3_create,
		.ioctl = modkvm_vgic_v3_ioctl,
	},
	{
		/* as many per VM as fit (vgic/vgic_its_dev.c) */
		.type = KVM_DEV_TYPE_ARM_VGIC_ITS,
		.name = "kvm-arm-vgic-its",
		.available = modkvm_vgic_v3_available,
		.create = modkvm_vgic_its_create,
		.ioctl = modkvm_vgic_its_ioctl,
	},
};

/* A device fd's private data: which device of which VM */
struct modkvm_device {
	struct modkvm_vm *vm;
	const struct modkvm_device_type *type;
	void *priv;		/* the instance, from create */
};

static long device_ioctl(struct file *filp, unsigned int ioctl,
			 unsigned long arg)
{
	struct modkvm_device *dev = filp->private_data;
	struct kvm_device_attr attr;

	if (dev->vm->mm != current->mm || READ_ONCE(dev->vm->dead))
		return -EIO;
	switch (ioctl) {
	case KVM_SET_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_HAS_DEVICE_ATTR:
		if (copy_from_user(&attr, (void __user *)arg, sizeof(attr)))
			return -EFAULT;
		return dev->type->ioctl(dev->vm, dev->priv, ioctl, &attr);
	}
	return -ENOTTY;
}

static int device_release(struct inode *inode, struct file *filp)
{
	struct modkvm_device *dev = filp->private_data;

	modkvm_vm_put(dev->vm);
	kfree(dev);
	return 0;
}

static const struct file_operations device_fops = {
	.owner		= THIS_MODULE,
	.release	= device_release,
	.unlocked_ioctl	= device_ioctl,
	.llseek		= noop_llseek,
};

int modkvm_create_device(struct modkvm_vm *vm, struct kvm_create_device __user *argp)
{
	const struct modkvm_device_type *t = NULL;
	struct kvm_create_device cd;
	struct modkvm_device *dev;
	unsigned int i;
	int ret, fd;

	if (copy_from_user(&cd, argp, sizeof(cd)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(device_types); i++)
		if (device_types[i].type == cd.type)
			t = &device_types[i];
	if (!t || !t->available())
		return -ENODEV;
	if (cd.flags & KVM_CREATE_DEVICE_TEST)
		return 0;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev)
		return -ENOMEM;
	dev->vm = vm;
	dev->type = t;
	mutex_lock(&vm->lock);
	ret = t->create(vm, &dev->priv);
	if (ret) {
		mutex_unlock(&vm->lock);
		kfree(dev);
		return ret;
	}
	refcount_inc(&vm->users);
	/* the device stays with the VM whatever happens to this fd */
	fd = anon_inode_getfd(t->name, &device_fops, dev, O_RDWR | O_CLOEXEC);
	mutex_unlock(&vm->lock);
	if (fd < 0) {
		modkvm_vm_put(vm);
		kfree(dev);
		return fd;
	}
	cd.fd = fd;
	if (copy_to_user(&argp->fd, &cd.fd, sizeof(cd.fd)))
		return -EFAULT;	/* the fd is installed: KVM does the same */
	return 0;
}
