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
 * Locking: the ioeventfds are a table of pointers sorted by (space,
 * address), replaced as a whole under vm->lock and published with RCU; a
 * vCPU looks a store up under rcu_read_lock() without taking any lock
 * (binary search). An entry never changes once published. A table that
 * was replaced on assignment is freed after a grace period (kfree_rcu); a
 * deassignment waits for the grace period itself (expedited), so that
 * once the ioctl returns no vCPU signals that eventfd any more, and only
 * then drops its reference. On VM destruction no vCPU can run, so everything is freed at
 * once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/version.h>

#include "modkvm.h"

struct modkvm_ioeventfd {
	u64 addr;
	u64 datamatch;
	u32 len;		/* 0: a store of any length */
	bool pio;		/* port I/O space: never signalled on arm64 */
	bool match;		/* KVM_IOEVENTFD_FLAG_DATAMATCH */
	struct eventfd_ctx *ctx;
};

struct modkvm_ioeventfd_table {
	struct rcu_head rcu;
	unsigned int nr;
	struct modkvm_ioeventfd *e[];	/* sorted by (pio, addr) */
};

/* The flags api.rst documents; of those, arm64 has no use for CCW. */
#define IOEVENTFD_FLAGS	(KVM_IOEVENTFD_FLAG_DATAMATCH | \
			 KVM_IOEVENTFD_FLAG_PIO | \
			 KVM_IOEVENTFD_FLAG_DEASSIGN)

static void signal_ctx(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* Does entry @e sort before (pio, addr)? */
static bool before(const struct modkvm_ioeventfd *e, bool pio, u64 addr)
{
	if (e->pio != pio)
		return !e->pio;
	return e->addr < addr;
}

/* Index of the first entry not before (pio, addr). */
static unsigned int lower_bound(const struct modkvm_ioeventfd_table *t,
				bool pio, u64 addr)
{
	unsigned int lo = 0, hi = t ? t->nr : 0;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (before(t->e[mid], pio, addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool same_key(const struct modkvm_ioeventfd *a,
		     const struct modkvm_ioeventfd *b)
{
	return a->pio == b->pio && a->addr == b->addr;
}

/* Could one guest store match both @a and @b? */
static bool collide(const struct modkvm_ioeventfd *a,
		    const struct modkvm_ioeventfd *b)
{
	if (a->pio != b->pio || a->addr != b->addr)
		return false;
	if (a->len && b->len && a->len != b->len)
		return false;
	return !a->match || !b->match || a->datamatch == b->datamatch;
}

static struct modkvm_ioeventfd_table *table_of(struct modkvm_vm *vm)
{
	return rcu_dereference_protected(vm->ioeventfds,
					 lockdep_is_held(&vm->lock));
}

/* Copy of @old with @add inserted at @at (or entry @at removed if !@add) */
static struct modkvm_ioeventfd_table *
table_edit(const struct modkvm_ioeventfd_table *old, unsigned int at,
	   struct modkvm_ioeventfd *add)
{
	unsigned int nr = (old ? old->nr : 0) + (add ? 1 : -1);
	struct modkvm_ioeventfd_table *t;
	unsigned int skip = add ? 0 : 1;

	if (!nr)
		return NULL;
	t = kmalloc(struct_size(t, e, nr), GFP_KERNEL_ACCOUNT);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->nr = nr;
	if (at)
		memcpy(t->e, old->e, at * sizeof(t->e[0]));
	if (add)
		t->e[at] = add;
	if (old && old->nr > at + skip)
		memcpy(t->e + at + !skip, old->e + at + skip,
		       (old->nr - at - skip) * sizeof(t->e[0]));
	return t;
}

static int ioeventfd_assign(struct modkvm_vm *vm,
			    const struct kvm_ioeventfd *args)
{
	struct modkvm_ioeventfd_table *old, *t;
	struct modkvm_ioeventfd *p;
	unsigned int at, i;
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
	p->addr = args->addr;
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
	old = table_of(vm);
	at = lower_bound(old, p->pio, p->addr);
	ret = -EEXIST;
	/* the entries from @at on with p's space and address */
	for (i = at; old && i < old->nr && same_key(old->e[i], p); i++)
		if (collide(p, old->e[i]))
			goto err;
	ret = -ENOSPC;
	if (old && old->nr >= MODKVM_MAX_IOEVENTFDS)
		goto err;
	t = table_edit(old, at, p);
	ret = PTR_ERR(t);
	if (IS_ERR(t))
		goto err;
	rcu_assign_pointer(vm->ioeventfds, t);
	pr_debug("pid %d: ioeventfd %s 0x%llx len %u%s assigned, %u in all\n",
		 task_pid_nr(current), p->pio ? "PIO" : "MMIO", p->addr,
		 p->len, p->match ? " datamatch" : "", t->nr);
	mutex_unlock(&vm->lock);

	if (old)
		kfree_rcu(old, rcu);
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
	struct modkvm_ioeventfd key = {
		.addr = args->addr,
		.len = args->len,
		.pio = args->flags & KVM_IOEVENTFD_FLAG_PIO,
		.match = args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	struct modkvm_ioeventfd_table *old, *t;
	struct modkvm_ioeventfd *p = NULL;
	unsigned int i;
	int ret;

	key.datamatch = key.match ? args->datamatch : 0;
	key.ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(key.ctx))
		return PTR_ERR(key.ctx);

	mutex_lock(&vm->lock);
	old = table_of(vm);
	ret = -ENOENT;
	for (i = lower_bound(old, key.pio, key.addr);
	     old && i < old->nr && same_key(old->e[i], &key); i++) {
		const struct modkvm_ioeventfd *e = old->e[i];

		if (e->len == key.len && e->match == key.match &&
		    e->datamatch == key.datamatch && e->ctx == key.ctx) {
			p = old->e[i];
			break;
		}
	}
	if (!p)
		goto out;
	t = table_edit(old, i, NULL);
	ret = PTR_ERR(t);
	if (IS_ERR(t))
		goto out;
	rcu_assign_pointer(vm->ioeventfds, t);
	pr_debug("pid %d: ioeventfd %s 0x%llx len %u deassigned, %u left\n",
		 task_pid_nr(current), p->pio ? "PIO" : "MMIO", p->addr,
		 p->len, t ? t->nr : 0);
	mutex_unlock(&vm->lock);

	/*
	 * No vCPU sees the old table (nor @p) once this returns: when the
	 * ioctl returns, the eventfd is signalled no more. Expedited: VMMs
	 * deassign one ioeventfd per ioctl, a queue at a time, on device
	 * resets, and should not wait a normal grace period for each.
	 */
	synchronize_rcu_expedited();
	eventfd_ctx_put(p->ctx);
	kfree(p);
	kfree(old);
	eventfd_ctx_put(key.ctx);
	return 0;

out:
	mutex_unlock(&vm->lock);
	eventfd_ctx_put(key.ctx);
	return ret;
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
 * ioeventfds says how much they were used.
 */
void modkvm_ioeventfd_destroy(struct modkvm_vm *vm)
{
	struct modkvm_ioeventfd_table *t;
	u64 writes = 0;
	unsigned int i;

	t = rcu_dereference_protected(vm->ioeventfds, true);
	RCU_INIT_POINTER(vm->ioeventfds, NULL);
	for (i = 0; i < vm->nr_vcpus; i++)
		writes += vm->vcpus[i]->stat.ioeventfd_writes;
	if (t || writes)
		pr_debug("VM destroyed: %u ioeventfds assigned, %llu guest stores signalled one\n",
			 t ? t->nr : 0, writes);
	if (!t)
		return;
	for (i = 0; i < t->nr; i++) {
		eventfd_ctx_put(t->e[i]->ctx);
		kfree(t->e[i]);
	}
	kfree(t);
}

/*
 * A guest store of @len (1 to 8) bytes at @ipa, @data in guest memory
 * order: signal the ioeventfd it matches, if any. Returns true if it did
 * (the store is complete), false if the store goes on its way.
 */
bool modkvm_ioeventfd_write(struct modkvm_vm *vm, u64 ipa, unsigned int len,
			    const u8 *data)
{
	struct modkvm_ioeventfd_table *t;
	bool done = false;
	unsigned int i;
	u64 val = 0;

	if (!rcu_access_pointer(vm->ioeventfds))
		return false;
	for (i = 0; i < len && i < sizeof(val); i++)
		val |= (u64)data[i] << (8 * i);

	rcu_read_lock();
	t = rcu_dereference(vm->ioeventfds);
	for (i = lower_bound(t, false, ipa); t && i < t->nr; i++) {
		const struct modkvm_ioeventfd *p = t->e[i];

		if (p->pio || p->addr != ipa)
			break;
		if (p->len && p->len != len)
			continue;
		if (p->match && p->datamatch != val)
			continue;
		signal_ctx(p->ctx);
		done = true;
		break;
	}
	rcu_read_unlock();
	return done;
}
