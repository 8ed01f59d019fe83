// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IOEVENTFD (KVM_CAP_IOEVENTFD): a guest store to a registered MMIO
 * address signals an eventfd instead of exiting to userspace. The store
 * completes like any MMIO store (the guest's PC moves past it) and the
 * vCPU goes straight back into the guest; a VMM or vhost thread waiting on
 * the eventfd does the work. This is how virtio queue notifications
 * ("kicks") avoid a round trip through the VMM's vCPU thread.
 *
 * An ioeventfd is (address, length, optional datamatch, eventfd):
 *  - length 1, 2, 4 or 8: only a store of exactly that many bytes at
 *    exactly that address matches; length 0 (KVM_CAP_IOEVENTFD_ANY_LENGTH)
 *    matches a store of any length at that address, and cannot be
 *    combined with KVM_IOEVENTFD_FLAG_DATAMATCH (there is no width to
 *    compare at);
 *  - with KVM_IOEVENTFD_FLAG_DATAMATCH only a store of that value matches:
 *    the stored bytes, in guest memory order, read as a little-endian
 *    number of the access's width (the layout of kvm_run's mmio.data), so
 *    a VMM with a big-endian guest swaps its datamatch as it would the
 *    data of an MMIO exit;
 *  - loads never match: they exit as KVM_EXIT_MMIO as before.
 * Two ioeventfds that some store could both match cannot coexist: same
 * space and address, lengths equal or one of them 0, and their datamatch
 * values equal or one without datamatch. Assigning such a duplicate fails
 * with -EEXIST; so one store signals at most one eventfd. Deassigning
 * (KVM_IOEVENTFD_FLAG_DEASSIGN) removes the one ioeventfd with exactly the
 * given address, length, datamatch flag (and value, if set), space and
 * eventfd; none: -ENOENT.
 *
 * Port I/O: arm64 has none, so an ioeventfd with KVM_IOEVENTFD_FLAG_PIO
 * can never be signalled. It is still accepted, checked and kept (it
 * counts against the limit, collides, can be deassigned), as by the
 * in-kernel KVM on arm64: VMMs register one for every virtio-pci device
 * with a legacy I/O BAR (QEMU aborts if that fails), so refusing it would
 * break them for nothing. The s390-only KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY
 * and any flag api.rst does not document are refused with -EINVAL.
 *
 * Limit: at most MODKVM_MAX_IOEVENTFDS (1000) ioeventfds per VM, MMIO and
 * PIO together; one more gets -ENOSPC. A virtio device needs one per queue
 * (QEMU registers each twice on arm64 for a transitional virtio-pci
 * device: MMIO and PIO), so this is far beyond what a VM uses, while a
 * VMM gone wrong cannot make the kernel keep and copy tables without
 * bound. (The in-kernel KVM does not count ioeventfds against the 1000
 * devices it allows per I/O bus, and has no limit of its own.)
 *
 * Order with coalesced MMIO: a store is first matched against the
 * ioeventfds, then against the coalesced zones (coalesced_mmio.c), then
 * exits. A doorbell must reach its eventfd at once; coalescing it would
 * delay the notification to the next exit, which is never what a VMM that
 * registered the ioeventfd wants. (The in-kernel KVM tries whichever of
 * its bus devices sorts first by address, so there a zone that starts
 * below the ioeventfd takes the store.)
 *
 * Locking: each ioeventfd is a device on the VM's MMIO bus (or PIO bus)
 * (io_bus.c), added and removed under vm->lock; a vCPU finds the ones at
 * a store's address by the bus's binary search without taking any lock.
 * An ioeventfd never changes once on the bus. A deassignment waits for the
 * bus's grace period (expedited), so that once the ioctl returns no vCPU
 * signals that eventfd any more, and only then drops its reference. On VM
 * destruction no vCPU can run; the bus hands each ioeventfd left to
 * ioeventfd_destroy().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/version.h>

#include "modkvm.h"

struct modkvm_ioeventfd {
	struct modkvm_io_dev dev;	/* [addr, addr + max(len, 1) - 1] */
	u64 datamatch;
	u32 len;		/* 0: a store of any length */
	bool pio;		/* port I/O space: never signalled on arm64 */
	bool match;		/* KVM_IOEVENTFD_FLAG_DATAMATCH */
	struct eventfd_ctx *ctx;
};

/* The flags api.rst documents; of those, arm64 has no use for CCW. */
#define IOEVENTFD_FLAGS	(KVM_IOEVENTFD_FLAG_DATAMATCH | \
			 KVM_IOEVENTFD_FLAG_PIO | \
			 KVM_IOEVENTFD_FLAG_DEASSIGN)

static const struct modkvm_io_ops ioeventfd_ops;

static struct modkvm_ioeventfd *to_ioeventfd(struct modkvm_io_dev *dev)
{
	return container_of(dev, struct modkvm_ioeventfd, dev);
}

static enum modkvm_bus bus_of(const struct modkvm_ioeventfd *p)
{
	return p->pio ? MODKVM_PIO_BUS : MODKVM_MMIO_BUS;
}

/* Could one guest store match both @a and @b? (Same space.) */
static bool collide(const struct modkvm_ioeventfd *a,
		    const struct modkvm_ioeventfd *b)
{
	if (a->dev.first != b->dev.first)
		return false;
	if (a->len && b->len && a->len != b->len)
		return false;
	return !a->match || !b->match || a->datamatch == b->datamatch;
}

/* Under vm->lock: the next ioeventfd at @addr on @bus (see io_bus.h) */
static struct modkvm_ioeventfd *next_at(struct modkvm_vm *vm,
					enum modkvm_bus bus, u64 addr,
					unsigned int *pos)
{
	struct modkvm_io_dev *dev;

	while ((dev = modkvm_io_bus_overlap(vm, bus, &ioeventfd_ops, addr,
					    addr, pos)))
		if (dev->first == addr)
			return to_ioeventfd(dev);
	return NULL;
}

static int ioeventfd_assign(struct modkvm_vm *vm,
			    const struct kvm_ioeventfd *args)
{
	unsigned int pos = MODKVM_IO_BUS_START;
	struct modkvm_ioeventfd *p, *e;
	int ret;

	switch (args->len) {
	case 0:
		if (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH)
			return -EINVAL;	/* no width to compare at */
		break;
	case 1: case 2: case 4: case 8:
		break;
	default:
		return -EINVAL;
	}
	if (args->addr + args->len < args->addr)
		return -EINVAL;		/* wraps around */

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	p->dev.first = args->addr;
	p->dev.last = args->addr + max_t(u32, args->len, 1) - 1;
	p->dev.ops = &ioeventfd_ops;
	p->len = args->len;
	p->pio = args->flags & KVM_IOEVENTFD_FLAG_PIO;
	p->match = args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH;
	p->datamatch = p->match ? args->datamatch : 0;
	p->ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(p->ctx)) {
		ret = PTR_ERR(p->ctx);
		kfree(p);
		return ret;
	}

	mutex_lock(&vm->lock);
	ret = -EEXIST;
	while ((e = next_at(vm, bus_of(p), p->dev.first, &pos)))
		if (collide(p, e))
			goto err;
	ret = -ENOSPC;
	if (vm->nr_ioeventfds >= MODKVM_MAX_IOEVENTFDS)
		goto err;
	ret = modkvm_io_bus_register(vm, bus_of(p), &p->dev);
	if (ret)
		goto err;
	vm->nr_ioeventfds++;
	pr_debug("pid %d: ioeventfd %s 0x%llx len %u%s assigned, %u in all\n",
		 task_pid_nr(current), p->pio ? "PIO" : "MMIO", p->dev.first,
		 p->len, p->match ? " datamatch" : "", vm->nr_ioeventfds);
	mutex_unlock(&vm->lock);
	return 0;

err:
	mutex_unlock(&vm->lock);
	eventfd_ctx_put(p->ctx);
	kfree(p);
	return ret;
}

static int ioeventfd_deassign(struct modkvm_vm *vm,
			      const struct kvm_ioeventfd *args)
{
	bool pio = args->flags & KVM_IOEVENTFD_FLAG_PIO;
	bool match = args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH;
	u64 datamatch = match ? args->datamatch : 0;
	enum modkvm_bus bus = pio ? MODKVM_PIO_BUS : MODKVM_MMIO_BUS;
	unsigned int pos = MODKVM_IO_BUS_START;
	struct modkvm_ioeventfd *p;
	struct eventfd_ctx *ctx;
	int ret = -ENOENT;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	mutex_lock(&vm->lock);
	while ((p = next_at(vm, bus, args->addr, &pos)))
		if (p->len == args->len && p->match == match &&
		    p->datamatch == datamatch && p->ctx == ctx)
			break;
	if (p)
		ret = modkvm_io_bus_unregister(vm, bus, &p->dev);
	if (!ret) {
		vm->nr_ioeventfds--;
		pr_debug("pid %d: ioeventfd %s 0x%llx len %u deassigned, %u left\n",
			 task_pid_nr(current), pio ? "PIO" : "MMIO",
			 p->dev.first, p->len, vm->nr_ioeventfds);
	}
	mutex_unlock(&vm->lock);
	eventfd_ctx_put(ctx);
	if (ret)
		return ret;

	/* No vCPU signals @p once this returns: the ioctl's promise. */
	modkvm_io_bus_sync(vm);
	eventfd_ctx_put(p->ctx);
	kfree(p);
	return 0;
}

int modkvm_ioeventfd(struct modkvm_vm *vm, const struct kvm_ioeventfd *args)
{
	if (args->flags & ~IOEVENTFD_FLAGS)
		return -EINVAL;		/* unknown, or CCW (s390 only) */
	if (args->flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return ioeventfd_deassign(vm, args);
	return ioeventfd_assign(vm, args);
}

/*
 * VM destruction: no vCPU can run any more, nothing to wait for. At debug
 * level (dynamic debug: modkvm.dyndbg=+p), one line per VM that used
 * ioeventfds says how much they were used. Called before the bus hands
 * the ioeventfds to ioeventfd_destroy().
 */
void modkvm_ioeventfd_destroy(struct modkvm_vm *vm)
{
	u64 writes = 0;
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		writes += vm->vcpus[i]->stat.ioeventfd_writes;
	if (vm->nr_ioeventfds || writes)
		pr_debug("VM destroyed: %u ioeventfds assigned, %llu guest stores signalled one\n",
			 vm->nr_ioeventfds, writes);
}

static void ioeventfd_destroy(struct modkvm_io_dev *dev)
{
	struct modkvm_ioeventfd *p = to_ioeventfd(dev);

	eventfd_ctx_put(p->ctx);
	kfree(p);
}

/*
 * A guest store of @len (1 to 8) bytes at @addr, @data in guest memory
 * order: signal this ioeventfd if it matches. Returns true if it did (the
 * store is complete), false if the store goes on its way.
 */
static bool ioeventfd_write(struct modkvm_vcpu *vcpu, struct modkvm_io_dev *dev,
			    u64 addr, unsigned int len, const u8 *data)
{
	struct modkvm_ioeventfd *p = to_ioeventfd(dev);

	if (addr != dev->first || (p->len && p->len != len))
		return false;
	if (p->match && p->datamatch != modkvm_io_le_get(data, len))
		return false;
	modkvm_eventfd_signal(p->ctx);
	vcpu->stat.ioeventfd_writes++;
	return true;
}

/* Above coalesced MMIO at the very same range: a doorbell goes first. */
static const struct modkvm_io_ops ioeventfd_ops = {
	.write = ioeventfd_write,
	.destroy = ioeventfd_destroy,
	.prio = 2,
};
