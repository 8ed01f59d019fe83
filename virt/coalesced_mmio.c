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
 * vm->coalesced.lock (a spinlock, innermost) covers the zone list and
 * appends to the ring, so vCPUs appending at once never share an entry,
 * and once KVM_UNREGISTER_COALESCED_MMIO returns no store to that zone is
 * coalesced any more.
 */
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "modkvm.h"

struct modkvm_coalesced_zone {
	struct list_head node;
	u64 first;		/* first and last byte of the zone */
	u64 last;
};

/* The ring as the kernel may read it: entries 0..KVM_COALESCED_MMIO_MAX-1 */
static_assert(sizeof(struct kvm_coalesced_mmio_ring) +
	      KVM_COALESCED_MMIO_MAX * sizeof(struct kvm_coalesced_mmio) <=
	      PAGE_SIZE);

int modkvm_coalesced_init(struct modkvm_vm *vm)
{
	struct modkvm_coalesced *c = &vm->coalesced;

	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->zones);
	c->ring = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	return c->ring ? 0 : -ENOMEM;
}

void modkvm_coalesced_destroy(struct modkvm_vm *vm)
{
	struct modkvm_coalesced *c = &vm->coalesced;
	struct modkvm_coalesced_zone *z, *tmp;

	list_for_each_entry_safe(z, tmp, &c->zones, node) {
		list_del(&z->node);
		kfree(z);
	}
	c->nr_zones = 0;
	/* Pages still mapped by userspace keep their own reference. */
	free_page((unsigned long)c->ring);
	c->ring = NULL;
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
	struct modkvm_coalesced *c = &vm->coalesced;
	struct modkvm_coalesced_zone *new, *z;
	u64 first, last;
	int ret;

	ret = zone_range(zone, &first, &last);
	if (ret)
		return ret;
	new = kmalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	new->first = first;
	new->last = last;

	spin_lock(&c->lock);
	ret = -ENOSPC;
	if (c->nr_zones >= MODKVM_MAX_COALESCED_ZONES)
		goto err;
	ret = -EEXIST;
	list_for_each_entry(z, &c->zones, node)
		if (first <= z->last && z->first <= last)
			goto err;
	list_add_tail(&new->node, &c->zones);
	WRITE_ONCE(c->nr_zones, c->nr_zones + 1);
	spin_unlock(&c->lock);
	return 0;

err:
	spin_unlock(&c->lock);
	kfree(new);
	return ret;
}

int modkvm_coalesced_unregister(struct modkvm_vm *vm,
				const struct kvm_coalesced_mmio_zone *zone)
{
	struct modkvm_coalesced *c = &vm->coalesced;
	struct modkvm_coalesced_zone *z, *tmp;
	LIST_HEAD(gone);
	u64 first, last;
	int ret;

	ret = zone_range(zone, &first, &last);
	if (ret)
		return ret;

	spin_lock(&c->lock);
	list_for_each_entry_safe(z, tmp, &c->zones, node) {
		if (z->first <= first && last <= z->last) {
			list_move(&z->node, &gone);
			WRITE_ONCE(c->nr_zones, c->nr_zones - 1);
		}
	}
	spin_unlock(&c->lock);

	list_for_each_entry_safe(z, tmp, &gone, node)
		kfree(z);
	return 0;
}

static bool in_a_zone(struct modkvm_coalesced *c, u64 ipa, unsigned int len)
{
	struct modkvm_coalesced_zone *z;

	list_for_each_entry(z, &c->zones, node)
		if (z->first <= ipa && ipa + len - 1 <= z->last)
			return true;
	return false;
}

/*
 * A guest store of @len (1 to 8) bytes at @ipa, @data in guest memory
 * order: append it to the ring if it falls in a zone and the ring has
 * room. Returns true if it was, false if the store must exit to userspace.
 */
bool modkvm_coalesced_write(struct modkvm_vm *vm, u64 ipa, unsigned int len,
			    const u8 *data)
{
	struct modkvm_coalesced *c = &vm->coalesced;
	struct kvm_coalesced_mmio_ring *ring = c->ring;
	struct kvm_coalesced_mmio *e;
	bool done = false;
	u32 first, last;

	if (!READ_ONCE(c->nr_zones) || !len || len > sizeof(e->data))
		return false;

	spin_lock(&c->lock);
	if (!in_a_zone(c, ipa, len))
		goto out;
	/* Userspace may write these at any time: read each once. */
	last = READ_ONCE(ring->last);
	first = READ_ONCE(ring->first);
	if (last >= KVM_COALESCED_MMIO_MAX)
		goto out;		/* not a valid slot: let userspace see it */
	if ((last + 1) % KVM_COALESCED_MMIO_MAX == first)
		goto out;		/* full */

	e = &ring->coalesced_mmio[last];
	e->phys_addr = ipa;
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
