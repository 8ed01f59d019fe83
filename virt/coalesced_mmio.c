// SPDX-License-Identifier: GPL-2.0
/*
 * Coalesced MMIO (KVM_CAP_COALESCED_MMIO): guest stores to registered
 * zones are appended to a ring instead of exiting to userspace, which
 * reads them back at its next exit.
 *
 * The ring is one page per VM (struct kvm_coalesced_mmio_ring), shared by
 * all its vCPUs and mapped by userspace through each vCPU fd at page
 * KVM_COALESCED_MMIO_PAGE_OFFSET. The kernel appends at ring->last and
 * advances it; userspace consumes from ring->first and advances that. One
 * entry always stays free: the ring is full when last + 1 == first
 * (modulo KVM_COALESCED_MMIO_MAX), and a store that finds it full exits
 * to userspace like any MMIO store, so nothing is dropped.
 *
 * Both indexes live in memory userspace can write at any time. Each is
 * read once per append; the entry written is chosen from last alone and
 * only after checking it is below KVM_COALESCED_MMIO_MAX (otherwise the
 * store exits), so no value of first or last makes the kernel write
 * outside the ring. A first out of range only means the ring never looks
 * full, which can overwrite entries userspace has not read: its own doing.
 *
 * Only MMIO is supported: arm64 has no port I/O, so a zone with pio set
 * is refused and KVM_CAP_COALESCED_PIO stays 0. Zones must not be empty,
 * wrap around the address space or overlap one another; there are at most
 * MODKVM_MAX_COALESCED_ZONES of them. A store is coalesced only if it lies
 * entirely within one zone. Unregistering removes every zone that
 * contains the given range (as KVM does) and succeeds even if none does.
 *
 * Each zone is a device on the VM's MMIO bus (io_bus.c), added and removed
 * under vm->lock and found by a store without a lock; an ioeventfd at the
 * same range goes first (its priority is higher). vm->coalesced.lock (a
 * spinlock, innermost) covers appends to the ring, so vCPUs appending at
 * once never share an entry. KVM_UNREGISTER_COALESCED_MMIO waits for the
 * bus's grace period, so once it returns no store to that zone is
 * coalesced any more.
 */
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "modkvm.h"

struct modkvm_coalesced_zone {
	struct modkvm_io_dev dev;	/* first and last byte of the zone */
};

static const struct modkvm_io_ops zone_ops;

/* The ring as the kernel may read it: entries 0..KVM_COALESCED_MMIO_MAX-1 */
static_assert(sizeof(struct kvm_coalesced_mmio_ring) +
	      KVM_COALESCED_MMIO_MAX * sizeof(struct kvm_coalesced_mmio) <=
	      PAGE_SIZE);

int modkvm_coalesced_init(struct modkvm_vm *vm)
{
	struct modkvm_coalesced *c = &vm->coalesced;

	spin_lock_init(&c->lock);
	c->ring = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	return c->ring ? 0 : -ENOMEM;
}

/* After modkvm_io_bus_destroy(), which freed the zones (zone_destroy()) */
void modkvm_coalesced_destroy(struct modkvm_vm *vm)
{
	struct modkvm_coalesced *c = &vm->coalesced;

	c->nr_zones = 0;
	/* Pages still mapped by userspace keep their own reference. */
	free_page((unsigned long)c->ring);
	c->ring = NULL;
}

static void zone_destroy(struct modkvm_io_dev *dev)
{
	kfree(container_of(dev, struct modkvm_coalesced_zone, dev));
}

struct page *modkvm_coalesced_ring_page(struct modkvm_vm *vm)
{
	return virt_to_page(vm->coalesced.ring);
}

/* Check a zone from userspace; on success, its first and last byte. */
static int zone_range(const struct kvm_coalesced_mmio_zone *zone,
		      u64 *first, u64 *last)
{
	if (zone->pio)		/* no port I/O on arm64 */
		return -EINVAL;
	if (!zone->size)
		return -EINVAL;
	*first = zone->addr;
	*last = zone->addr + zone->size - 1;
	if (*last < *first)	/* wraps around */
		return -EINVAL;
	return 0;
}

int modkvm_coalesced_register(struct modkvm_vm *vm,
			      const struct kvm_coalesced_mmio_zone *zone)
{
	unsigned int pos = MODKVM_IO_BUS_START;
	struct modkvm_coalesced *c = &vm->coalesced;
	struct modkvm_coalesced_zone *new;
	u64 first, last;
	int ret;

	ret = zone_range(zone, &first, &last);
	if (ret)
		return ret;
	new = kmalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	new->dev.first = first;
	new->dev.last = last;
	new->dev.ops = &zone_ops;

	mutex_lock(&vm->lock);
	ret = -ENOSPC;
	if (c->nr_zones >= MODKVM_MAX_COALESCED_ZONES)
		goto err;
	ret = -EEXIST;
	if (modkvm_io_bus_overlap(vm, MODKVM_MMIO_BUS, &zone_ops, first, last,
				  &pos))
		goto err;
	ret = modkvm_io_bus_register(vm, MODKVM_MMIO_BUS, &new->dev);
	if (ret)
		goto err;
	c->nr_zones++;
	mutex_unlock(&vm->lock);
	return 0;

err:
	mutex_unlock(&vm->lock);
	kfree(new);
	return ret;
}

int modkvm_coalesced_unregister(struct modkvm_vm *vm,
				const struct kvm_coalesced_mmio_zone *zone)
{
	struct modkvm_coalesced_zone *gone[8];
	struct modkvm_coalesced *c = &vm->coalesced;
	unsigned int pos, n, i;
	struct modkvm_io_dev *dev;
	u64 first, last;
	int ret;

	ret = zone_range(zone, &first, &last);
	if (ret)
		return ret;

	/*
	 * Zones do not overlap, so at most one contains the range; the loop
	 * is there should that ever change, a batch at a time.
	 */
	do {
		n = 0;
		pos = MODKVM_IO_BUS_START;
		mutex_lock(&vm->lock);
		while (n < ARRAY_SIZE(gone) &&
		       (dev = modkvm_io_bus_overlap(vm, MODKVM_MMIO_BUS,
						    &zone_ops, first, last,
						    &pos))) {
			if (dev->first > first || last > dev->last)
				continue;
			ret = modkvm_io_bus_unregister(vm, MODKVM_MMIO_BUS, dev);
			if (ret)
				break;
			/* the table changed: search it again from the top */
			pos = MODKVM_IO_BUS_START;
			c->nr_zones--;
			gone[n++] = container_of(dev, struct modkvm_coalesced_zone,
						 dev);
		}
		mutex_unlock(&vm->lock);
		if (n)
			modkvm_io_bus_sync(vm);
		for (i = 0; i < n; i++)
			kfree(gone[i]);
	} while (!ret && n == ARRAY_SIZE(gone));
	return ret;
}

/*
 * A guest store of @len (1 to 8) bytes at @addr inside zone @dev, @data in
 * guest memory order: append it to the ring if it lies within the zone and
 * the ring has room. Returns true if it was, false if the store must go on
 * (to userspace).
 */
static bool zone_write(struct modkvm_vcpu *vcpu, struct modkvm_io_dev *dev,
		       u64 addr, unsigned int len, const u8 *data)
{
	struct modkvm_coalesced *c = &vcpu->vm->coalesced;
	struct kvm_coalesced_mmio_ring *ring = c->ring;
	struct kvm_coalesced_mmio *e;
	bool done = false;
	u32 first, last;

	if (!len || len > sizeof(e->data) || addr + len - 1 > dev->last ||
	    addr + len - 1 < addr)
		return false;

	spin_lock(&c->lock);
	/* Userspace may write these at any time: read each once. */
	last = READ_ONCE(ring->last);
	first = READ_ONCE(ring->first);
	if (last >= KVM_COALESCED_MMIO_MAX)
		goto out;		/* not a valid slot: let userspace see it */
	if ((last + 1) % KVM_COALESCED_MMIO_MAX == first)
		goto out;		/* full */

	e = &ring->coalesced_mmio[last];
	e->phys_addr = addr;
	e->len = len;
	e->pad = 0;		/* pio: this is MMIO */
	memset(e->data, 0, sizeof(e->data));
	memcpy(e->data, data, len);
	/* The entry is complete before userspace can see last move past it. */
	smp_wmb();
	WRITE_ONCE(ring->last, (last + 1) % KVM_COALESCED_MMIO_MAX);
	done = true;
out:
	spin_unlock(&c->lock);
	return done;
}

static const struct modkvm_io_ops zone_ops = {
	.write = zone_write,
	.destroy = zone_destroy,
	.prio = 1,
};
