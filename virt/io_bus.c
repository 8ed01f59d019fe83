// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel I/O buses: each VM has an MMIO bus (and a PIO bus, which
 * only keeps what arm64 can never reach) on which devices emulated in the
 * kernel claim address ranges. A vCPU's MMIO access asks the bus before
 * it exits to userspace; ioeventfds (ioeventfd.c), coalesced MMIO zones
 * (coalesced_mmio.c) and the vGIC's register frames are all devices on it,
 * so none of them keeps or scans a list of its own.
 *
 * A bus is a table of devices sorted by (first byte ascending, last byte
 * descending, priority ascending), each with its "reach": the highest last
 * byte of it and every device before it. Ranges may overlap (an ioeventfd
 * inside a coalesced zone). An access at @addr is offered to the devices
 * whose range contains @addr, found by a binary search for the last device
 * starting at or below @addr and a walk down from there that stops as soon
 * as the reach falls below @addr: so it tries the device that starts
 * nearest below the access first, at the same start the narrower one, at
 * the very same range the one of higher priority, until one takes it.
 * An ioeventfd at exactly the stored address therefore comes before a
 * coalesced zone around it, as before this bus existed.
 *
 * Locking: a table never changes once published. Changes copy it under
 * vm->lock and publish the copy; vCPUs read it under the VM's SRCU read
 * lock (vm->srcu), so the exit path takes no lock of the VM and a device
 * may sleep in its handler. A replaced table is freed after a grace period
 * (call_srcu); a device unregistered may be freed by its owner only after
 * modkvm_io_bus_sync(), which waits for that grace period. When the VM is
 * destroyed no vCPU runs: each device left is handed to its ops->destroy.
 */
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/string.h>

#include "modkvm.h"

struct modkvm_io_bus {
	struct rcu_head rcu;
	unsigned int nr;
	struct modkvm_io_slot {
		struct modkvm_io_dev *dev;
		u64 reach;	/* max of ->last over slots 0..this one */
	} e[];
};

int modkvm_io_bus_init(struct modkvm_vm *vm)
{
	return init_srcu_struct(&vm->srcu);
}

void modkvm_io_bus_destroy(struct modkvm_vm *vm)
{
	unsigned int b, i;

	for (b = 0; b < MODKVM_NR_BUSES; b++) {
		struct modkvm_io_bus *t;

		t = rcu_dereference_protected(vm->buses[b], true);
		RCU_INIT_POINTER(vm->buses[b], NULL);
		for (i = 0; t && i < t->nr; i++)
			if (t->e[i].dev->ops->destroy)
				t->e[i].dev->ops->destroy(t->e[i].dev);
		kfree(t);
	}
	srcu_barrier(&vm->srcu);	/* tables still queued by call_srcu */
	cleanup_srcu_struct(&vm->srcu);
}

static struct modkvm_io_bus *bus_of(struct modkvm_vm *vm, enum modkvm_bus bus)
{
	return rcu_dereference_protected(vm->buses[bus],
					 lockdep_is_held(&vm->lock));
}

/* Does @a sort before @b? */
static bool sorts_before(const struct modkvm_io_dev *a,
			 const struct modkvm_io_dev *b)
{
	if (a->first != b->first)
		return a->first < b->first;
	if (a->last != b->last)
		return a->last > b->last;
	return a->ops->prio < b->ops->prio;
}

/* Index of the first device starting above @addr. */
static unsigned int upper_bound(const struct modkvm_io_bus *t, u64 addr)
{
	unsigned int lo = 0, hi = t ? t->nr : 0;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (t->e[mid].dev->first <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void fix_reach(struct modkvm_io_bus *t)
{
	unsigned int i;
	u64 reach = 0;

	for (i = 0; i < t->nr; i++) {
		reach = max(reach, t->e[i].dev->last);
		t->e[i].reach = reach;
	}
}

static void free_bus_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct modkvm_io_bus, rcu));
}

static void publish(struct modkvm_vm *vm, enum modkvm_bus bus,
		    struct modkvm_io_bus *old, struct modkvm_io_bus *t)
{
	if (t)
		fix_reach(t);
	rcu_assign_pointer(vm->buses[bus], t);
	if (old)
		call_srcu(&vm->srcu, &old->rcu, free_bus_rcu);
}

int modkvm_io_bus_register(struct modkvm_vm *vm, enum modkvm_bus bus,
			   struct modkvm_io_dev *dev)
{
	struct modkvm_io_bus *old = bus_of(vm, bus), *t;
	unsigned int nr = old ? old->nr : 0, at = 0;

	if (dev->last < dev->first)
		return -EINVAL;
	if (nr >= MODKVM_IO_BUS_MAX_DEVS)
		return -ENOSPC;
	t = kmalloc(struct_size(t, e, nr + 1), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	while (at < nr && sorts_before(old->e[at].dev, dev))
		at++;
	if (at)
		memcpy(t->e, old->e, at * sizeof(t->e[0]));
	t->e[at].dev = dev;
	if (nr > at)
		memcpy(t->e + at + 1, old->e + at, (nr - at) * sizeof(t->e[0]));
	t->nr = nr + 1;
	publish(vm, bus, old, t);
	return 0;
}

int modkvm_io_bus_unregister(struct modkvm_vm *vm, enum modkvm_bus bus,
			     struct modkvm_io_dev *dev)
{
	struct modkvm_io_bus *old = bus_of(vm, bus), *t = NULL;
	unsigned int nr = old ? old->nr : 0, at;

	for (at = 0; at < nr && old->e[at].dev != dev; at++)
		;
	if (at == nr)
		return -ENOENT;
	if (nr > 1) {
		t = kmalloc(struct_size(t, e, nr - 1), GFP_KERNEL_ACCOUNT);
		if (!t)
			return -ENOMEM;
		memcpy(t->e, old->e, at * sizeof(t->e[0]));
		memcpy(t->e + at, old->e + at + 1,
		       (nr - at - 1) * sizeof(t->e[0]));
		t->nr = nr - 1;
	}
	publish(vm, bus, old, t);
	return 0;
}

void modkvm_io_bus_sync(struct modkvm_vm *vm)
{
	/*
	 * Expedited: VMMs remove ioeventfds one ioctl at a time on device
	 * resets and should not wait a normal grace period for each.
	 */
	synchronize_srcu_expedited(&vm->srcu);
}

struct modkvm_io_dev *modkvm_io_bus_overlap(struct modkvm_vm *vm,
					    enum modkvm_bus bus,
					    const struct modkvm_io_ops *ops,
					    u64 first, u64 last,
					    unsigned int *pos)
{
	struct modkvm_io_bus *t = bus_of(vm, bus);

	if (*pos == MODKVM_IO_BUS_START)
		*pos = upper_bound(t, last);
	while (*pos) {
		const struct modkvm_io_slot *s = &t->e[--*pos];

		if (s->reach < first) {
			*pos = 0;
			break;
		}
		if (s->dev->ops == ops && s->dev->last >= first)
			return s->dev;
	}
	return NULL;
}

/* Offer an access at @addr to the devices that contain it (see above). */
static bool bus_access(struct modkvm_vcpu *vcpu, enum modkvm_bus bus,
		       u64 addr, unsigned int len, u8 *rdata,
		       const u8 *wdata)
{
	struct modkvm_vm *vm = vcpu->vm;
	struct modkvm_io_bus *t;
	bool done = false;
	unsigned int i;
	int idx;

	if (!rcu_access_pointer(vm->buses[bus]))
		return false;
	idx = srcu_read_lock(&vm->srcu);
	t = srcu_dereference(vm->buses[bus], &vm->srcu);
	for (i = upper_bound(t, addr); !done && i--; ) {
		struct modkvm_io_dev *dev = t->e[i].dev;

		if (t->e[i].reach < addr)
			break;
		if (dev->last < addr)
			continue;
		if (rdata)
			done = dev->ops->read &&
			       dev->ops->read(vcpu, dev, addr, len, rdata);
		else
			done = dev->ops->write &&
			       dev->ops->write(vcpu, dev, addr, len, wdata);
	}
	srcu_read_unlock(&vm->srcu, idx);
	return done;
}

bool modkvm_io_bus_write(struct modkvm_vcpu *vcpu, enum modkvm_bus bus,
			 u64 addr, unsigned int len, const u8 *data)
{
	return bus_access(vcpu, bus, addr, len, NULL, data);
}

bool modkvm_io_bus_read(struct modkvm_vcpu *vcpu, enum modkvm_bus bus,
			u64 addr, unsigned int len, u8 *data)
{
	return bus_access(vcpu, bus, addr, len, data, NULL);
}
