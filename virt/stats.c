// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_STATS_FD: VM and vCPU statistics in KVM's binary format.
 *
 * The file reads as: header, id string, descriptors (each followed by its
 * name padded to name_size), then the data, one u64 per counter. Every
 * block starts on an 8-byte boundary. Only the data changes; it is read
 * live from the counters on each read.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "modkvm.h"

#define STATS_NAME_SIZE	48

struct modkvm_stat_def {
	const char *name;
	u32 flags;
	size_t offset;		/* of a u64 in the vCPU or VM */
};

#define VCPU_STAT(n)	{ #n, KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE | \
			  KVM_STATS_BASE_POW10, offsetof(struct modkvm_vcpu, stat.n) }
#define VM_STAT(n)	{ #n, KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE | \
			  KVM_STATS_BASE_POW10, offsetof(struct modkvm_vm, stat.n) }

static const struct modkvm_stat_def vcpu_stats[] = {
	VCPU_STAT(exits),
	VCPU_STAT(fast_exits),
	VCPU_STAT(halt_wakeup),
	VCPU_STAT(signal_exits),
	VCPU_STAT(mmio_exits),
	VCPU_STAT(ioeventfd_writes),
	VCPU_STAT(hvc_exits),
	VCPU_STAT(wfe_exits),
	VCPU_STAT(s2_faults),
	VCPU_STAT(s2_block_maps),
};

static const struct modkvm_stat_def vm_stats[] = {
	VM_STAT(remote_tlb_flush),
	VM_STAT(memslot_changes),
};

/*
 * The counters by index, for stats_debugfs.c: the vCPU ones first (each
 * summed over the VM's vCPUs), then the VM's own.
 */
unsigned int modkvm_stat_count(void)
{
	return ARRAY_SIZE(vcpu_stats) + ARRAY_SIZE(vm_stats);
}

const char *modkvm_stat_name(unsigned int i)
{
	if (i < ARRAY_SIZE(vcpu_stats))
		return vcpu_stats[i].name;
	return vm_stats[i - ARRAY_SIZE(vcpu_stats)].name;
}

u64 modkvm_stat_value(struct modkvm_vm *vm, unsigned int i)
{
	int n = READ_ONCE(vm->nr_vcpus), c;
	struct modkvm_vcpu *vcpu;
	u64 sum = 0;

	if (i >= ARRAY_SIZE(vcpu_stats))
		return READ_ONCE(*(u64 *)((char *)vm +
			vm_stats[i - ARRAY_SIZE(vcpu_stats)].offset));
	/* vCPUs are only ever added: a published one stays valid. */
	for (c = 0; c < n; c++) {
		vcpu = READ_ONCE(vm->vcpus[c]);
		if (vcpu)
			sum += READ_ONCE(*(u64 *)((char *)vcpu + vcpu_stats[i].offset));
	}
	return sum;
}

/* On-file descriptor: struct kvm_stats_desc's fields, then the name. */
struct stats_desc_hdr {
	u32 flags;
	s16 exponent;
	u16 size;
	u32 offset;
	u32 bucket_size;
};

struct modkvm_stats_file {
	struct modkvm_vm *vm;
	void *object;			/* the vCPU or the VM */
	const struct modkvm_stat_def *defs;
	unsigned int n;
	char id[STATS_NAME_SIZE];
	size_t desc_off, data_off, size;
};

static size_t stats_fill(struct modkvm_stats_file *sf, char *buf)
{
	struct kvm_stats_header *h = (void *)buf;
	unsigned int i;
	size_t p = sf->desc_off;

	memset(buf, 0, sf->size);
	h->name_size = STATS_NAME_SIZE;
	h->num_desc = sf->n;
	h->id_offset = sizeof(*h);
	h->desc_offset = sf->desc_off;
	h->data_offset = sf->data_off;
	strscpy(buf + h->id_offset, sf->id, STATS_NAME_SIZE);

	for (i = 0; i < sf->n; i++) {
		struct stats_desc_hdr *d = (void *)(buf + p);

		d->flags = sf->defs[i].flags;
		d->size = 1;
		d->offset = i * sizeof(u64);
		strscpy(buf + p + sizeof(*d), sf->defs[i].name, STATS_NAME_SIZE);
		p += sizeof(*d) + STATS_NAME_SIZE;

		((u64 *)(buf + sf->data_off))[i] =
			READ_ONCE(*(u64 *)((char *)sf->object + sf->defs[i].offset));
	}
	return sf->size;
}

static ssize_t modkvm_stats_read(struct file *filp, char __user *ubuf,
				 size_t len, loff_t *pos)
{
	struct modkvm_stats_file *sf = filp->private_data;
	ssize_t ret;
	char *buf;

	if (*pos < 0)
		return -EINVAL;
	if (*pos >= sf->size || !len)
		return 0;
	buf = kmalloc(sf->size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	stats_fill(sf, buf);
	len = min_t(size_t, len, sf->size - *pos);
	ret = copy_to_user(ubuf, buf + *pos, len) ? -EFAULT : len;
	if (ret > 0)
		*pos += ret;
	kfree(buf);
	return ret;
}

static int modkvm_stats_release(struct inode *inode, struct file *filp)
{
	struct modkvm_stats_file *sf = filp->private_data;

	modkvm_vm_put(sf->vm);
	kfree(sf);
	return 0;
}

static const struct file_operations modkvm_stats_fops = {
	.owner		= THIS_MODULE,
	.read		= modkvm_stats_read,
	.release	= modkvm_stats_release,
	.llseek		= generic_file_llseek,
};

static int modkvm_stats_fd(struct modkvm_vm *vm, void *object,
			   const struct modkvm_stat_def *defs, unsigned int n,
			   const char *id)
{
	struct modkvm_stats_file *sf;
	struct file *file;
	int fd;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	sf->vm = vm;
	sf->object = object;
	sf->defs = defs;
	sf->n = n;
	strscpy(sf->id, id, sizeof(sf->id));
	sf->desc_off = sizeof(struct kvm_stats_header) + STATS_NAME_SIZE;
	sf->data_off = sf->desc_off +
		       n * (sizeof(struct stats_desc_hdr) + STATS_NAME_SIZE);
	sf->size = sf->data_off + n * sizeof(u64);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto err;
	file = anon_inode_getfile("kvm-stats", &modkvm_stats_fops, sf, O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto err;
	}
	file->f_mode |= FMODE_PREAD;
	refcount_inc(&vm->users);
	fd_install(fd, file);
	return fd;
err:
	kfree(sf);
	return fd;
}

int modkvm_vm_stats_fd(struct modkvm_vm *vm)
{
	char id[STATS_NAME_SIZE];

	snprintf(id, sizeof(id), "kvm-%d", task_pid_nr(current));
	return modkvm_stats_fd(vm, vm, vm_stats, ARRAY_SIZE(vm_stats), id);
}

int modkvm_vcpu_stats_fd(struct modkvm_vcpu *vcpu)
{
	char id[STATS_NAME_SIZE];

	snprintf(id, sizeof(id), "kvm-%d/vcpu-%u", task_pid_nr(current),
		 vcpu->id);
	return modkvm_stats_fd(vcpu->vm, vcpu, vcpu_stats,
			       ARRAY_SIZE(vcpu_stats), id);
}
