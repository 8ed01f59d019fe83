// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IRQFD (KVM_CAP_IRQFD, KVM_CAP_IRQFD_RESAMPLE; api.rst 4.75): an
 * eventfd whose signal injects the interrupt its GSI is routed to
 * (irq_routing.c) into the in-kernel GIC, without the VMM's vCPU threads.
 * This is how vhost and VFIO raise guest interrupts.
 *
 * Without KVM_IRQFD_FLAG_RESAMPLE each signal asserts the line: an edge
 * for an edge-triggered SPI; a level-sensitive one stays asserted until
 * userspace lowers it (KVM_IRQ_LINE), which is what the in-kernel KVM does
 * (it raises the line and never lowers it: the upstream selftest vgic_irq
 * depends on it). A rise and an immediate fall instead would lose the
 * interrupt whenever the vCPU had not yet been entered between the two.
 * With it, a signal asserts the line, and it stays
 * asserted until the guest deactivates the interrupt (the end of its
 * handler, EOI): then the line is lowered and the resamplefd signalled,
 * so that the VMM can look at its device and assert it again if it still
 * needs service. That is how a level-sensitive device interrupt (INTx) is
 * emulated outside the vCPU threads.
 *
 * Life of an irqfd: assigned (KVM_IRQFD, possible once the GIC is
 * initialized: -EAGAIN before), it hangs a wait-queue entry on the
 * eventfd. Signalling the eventfd calls irqfd_wakeup() in the signaller's
 * context, with the eventfd's wait-queue lock held and interrupts off, so
 * it only takes the count and queues the injection (irqfd_inject(), on
 * the VM's workqueue: the GIC's injection kicks vCPUs, which needs
 * interrupts on). It ends in one of three ways, each "deactivating" it
 * (taking it off the VM's list, once) and queueing irqfd_shutdown(),
 * which unhooks it from the eventfd, waits for an injection in flight,
 * lowers its line if it was resampling, and frees it:
 *  - KVM_IRQFD_FLAG_DEASSIGN, which then waits for the VM's workqueue, so
 *    that no injection of that irqfd happens once the ioctl returned;
 *  - the eventfd closed (EPOLLHUP, in irqfd_wakeup());
 *  - the VM destroyed (modkvm_irqfd_destroy(), which waits for them all
 *    before the GIC goes).
 * An irqfd holds no reference to the VM: the VM waits for its irqfds.
 *
 * Locking, outermost first:
 *   vm->lock          assignment and deassignment (so that an irqfd is
 *                     hooked to its eventfd before anyone may unhook it)
 *   eventfd wqh lock  irqfd_wakeup() runs under it
 *   vm->irqfds.lock   (spinlock, interrupts off) the list of irqfds and
 *                     the RCU list of resampling ones (changes only)
 * The resampling ones are read under RCU at an EOI (modkvm_irqfd_resample,
 * from the vGIC with vgic->lock held: vgic->lock comes before the
 * resamplefd's wqh lock, and irqfd_wakeup() never takes vgic->lock).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "modkvm.h"

#ifndef fd_file			/* before 6.12 */
#define fd_file(f)	((f).file)
#endif

struct modkvm_irqfd {
	struct modkvm_vm *vm;
	struct eventfd_ctx *ctx;
	struct eventfd_ctx *resample;	/* the resamplefd, or NULL */
	u32 gsi;
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct inject;
	struct work_struct shutdown;
	struct list_head link;		/* vm->irqfds.list; empty: deactivated */
	struct list_head rlink;		/* vm->irqfds.resamplers (RCU) */
};

void modkvm_irqfd_vm_init(struct modkvm_vm *vm)
{
	spin_lock_init(&vm->irqfds.lock);
	INIT_LIST_HEAD(&vm->irqfds.list);
	INIT_LIST_HEAD(&vm->irqfds.resamplers);
}

static void irqfd_inject(struct work_struct *work)
{
	struct modkvm_irqfd *p = container_of(work, struct modkvm_irqfd, inject);
	struct modkvm_vm *vm = p->vm;
	struct kvm_msi msi;
	bool is_msi;
	u32 intid;

	rcu_read_lock();
	intid = modkvm_irq_route(vm, p->gsi);
	is_msi = !intid && modkvm_irq_route_msi(vm, p->gsi, &msi);
	rcu_read_unlock();
	if (is_msi) {	/* through the ITS (vgic/vgic_its_dev.c) */
		modkvm_vgic_inject_msi(vm, &msi);
		return;
	}
	if (!intid)
		return;		/* no route: nothing to inject (api.rst) */
	modkvm_vgic_inject(vm, NULL, intid, true);
}

static void irqfd_shutdown(struct work_struct *work)
{
	struct modkvm_irqfd *p = container_of(work, struct modkvm_irqfd, shutdown);
	u64 cnt;

	/* no irqfd_wakeup() once this returns, so no new injection */
	eventfd_ctx_remove_wait_queue(p->ctx, &p->wait, &cnt);
	flush_work(&p->inject);
	if (p->resample) {
		u32 intid;

		synchronize_rcu();	/* off the resamplers for every EOI */
		rcu_read_lock();
		intid = modkvm_irq_route(p->vm, p->gsi);
		rcu_read_unlock();
		if (intid)	/* the line it held asserted, lowered */
			modkvm_vgic_inject(p->vm, NULL, intid, false);
		eventfd_ctx_put(p->resample);
	}
	eventfd_ctx_put(p->ctx);
	kfree(p);
}

/* Under vm->irqfds.lock: the irqfd ends, once */
static void irqfd_deactivate(struct modkvm_irqfd *p)
{
	lockdep_assert_held(&p->vm->irqfds.lock);
	if (list_empty(&p->link))
		return;
	list_del_init(&p->link);
	if (p->resample)
		list_del_rcu(&p->rlink);
	queue_work(p->vm->irqfds.wq, &p->shutdown);
}

/* The eventfd was signalled or closed: its wqh lock held, interrupts off */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync,
			void *key)
{
	struct modkvm_irqfd *p = container_of(wait, struct modkvm_irqfd, wait);
	__poll_t flags = key_to_poll(key);
	unsigned long irqflags;
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(p->ctx, &cnt);
		queue_work(p->vm->irqfds.wq, &p->inject);
	}
	if (flags & EPOLLHUP) {
		spin_lock_irqsave(&p->vm->irqfds.lock, irqflags);
		irqfd_deactivate(p);
		spin_unlock_irqrestore(&p->vm->irqfds.lock, irqflags);
	}
	return 0;
}

static void irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct modkvm_irqfd *p = container_of(pt, struct modkvm_irqfd, pt);

	add_wait_queue(wqh, &p->wait);
}

static int irqfd_assign(struct modkvm_vm *vm, const struct kvm_irqfd *args)
{
	struct modkvm_irqfd *p, *q;
	__poll_t events;
	struct fd f;
	int ret;

	if (!modkvm_vgic_initialized(vm))
		return -EAGAIN;
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	p->vm = vm;
	p->gsi = args->gsi;
	INIT_LIST_HEAD(&p->link);
	INIT_LIST_HEAD(&p->rlink);
	INIT_WORK(&p->inject, irqfd_inject);
	INIT_WORK(&p->shutdown, irqfd_shutdown);
	init_waitqueue_func_entry(&p->wait, irqfd_wakeup);
	init_poll_funcptr(&p->pt, irqfd_queue_proc);

	f = fdget(args->fd);
	ret = -EBADF;
	if (!fd_file(f))
		goto err_free;
	p->ctx = eventfd_ctx_fileget(fd_file(f));
	if (IS_ERR(p->ctx)) {
		ret = PTR_ERR(p->ctx);
		goto err_fd;
	}
	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE) {
		p->resample = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(p->resample)) {
			ret = PTR_ERR(p->resample);
			goto err_ctx;
		}
	}

	mutex_lock(&vm->lock);
	ret = -ENOMEM;
	if (!vm->irqfds.wq)
		vm->irqfds.wq = alloc_workqueue("modkvm-irqfd", 0, 0);
	if (!vm->irqfds.wq)
		goto err_unlock;
	ret = -EBUSY;
	spin_lock_irq(&vm->irqfds.lock);
	list_for_each_entry(q, &vm->irqfds.list, link)
		if (q->ctx == p->ctx) {
			spin_unlock_irq(&vm->irqfds.lock);
			goto err_unlock;
		}
	list_add_tail(&p->link, &vm->irqfds.list);
	if (p->resample)
		list_add_tail_rcu(&p->rlink, &vm->irqfds.resamplers);
	spin_unlock_irq(&vm->irqfds.lock);

	/* hooked on the eventfd; signalled already: inject now */
	events = vfs_poll(fd_file(f), &p->pt);
	if (events & EPOLLIN)
		queue_work(vm->irqfds.wq, &p->inject);
	mutex_unlock(&vm->lock);
	fdput(f);
	return 0;

err_unlock:
	mutex_unlock(&vm->lock);
	if (p->resample)
		eventfd_ctx_put(p->resample);
err_ctx:
	eventfd_ctx_put(p->ctx);
err_fd:
	fdput(f);
err_free:
	kfree(p);
	return ret;
}

/* Every irqfd of this eventfd and GSI; none is no error, as with KVM */
static int irqfd_deassign(struct modkvm_vm *vm, const struct kvm_irqfd *args)
{
	struct modkvm_irqfd *p, *tmp;
	struct eventfd_ctx *ctx;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&vm->lock);
	spin_lock_irq(&vm->irqfds.lock);
	list_for_each_entry_safe(p, tmp, &vm->irqfds.list, link)
		if (p->ctx == ctx && p->gsi == args->gsi)
			irqfd_deactivate(p);
	spin_unlock_irq(&vm->irqfds.lock);
	mutex_unlock(&vm->lock);
	eventfd_ctx_put(ctx);
	/* its shutdown done: no injection from it after this ioctl */
	if (vm->irqfds.wq)
		flush_workqueue(vm->irqfds.wq);
	return 0;
}

int modkvm_irqfd(struct modkvm_vm *vm, const struct kvm_irqfd *args)
{
	if (!modkvm_vgic_v3_available())
		return -EINVAL;		/* KVM_CAP_IRQFD is 0 */
	if (args->flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args->flags & KVM_IRQFD_FLAG_DEASSIGN)
		return irqfd_deassign(vm, args);
	return irqfd_assign(vm, args);
}

/*
 * The guest deactivated level-sensitive @intid: signal the resamplefd of
 * each irqfd routed to it. True if there was one: the caller, the vGIC
 * with vgic->lock held (interrupts off), then lowers the line.
 */
bool modkvm_irqfd_resample(struct modkvm_vm *vm, u32 intid)
{
	struct modkvm_irqfd *p;
	bool found = false;

	if (list_empty(&vm->irqfds.resamplers))
		return false;
	rcu_read_lock();
	list_for_each_entry_rcu(p, &vm->irqfds.resamplers, rlink)
		if (modkvm_irq_route(vm, p->gsi) == intid) {
			modkvm_eventfd_signal(p->resample);
			found = true;
		}
	rcu_read_unlock();
	return found;
}

/*
 * VM destruction, before the GIC goes: no ioctl can come; the eventfds may
 * still be signalled or closed until each irqfd is unhooked.
 */
void modkvm_irqfd_destroy(struct modkvm_vm *vm)
{
	struct modkvm_irqfd *p, *tmp;

	if (!vm->irqfds.wq)
		return;
	spin_lock_irq(&vm->irqfds.lock);
	list_for_each_entry_safe(p, tmp, &vm->irqfds.list, link)
		irqfd_deactivate(p);
	spin_unlock_irq(&vm->irqfds.lock);
	/*
	 * Every shutdown done: each irqfd unhooked, so nothing can queue work
	 * any more (the workqueue is flushed first, not drained: a wakeup
	 * may still queue an injection until its irqfd's shutdown)
	 */
	flush_workqueue(vm->irqfds.wq);
	destroy_workqueue(vm->irqfds.wq);
	vm->irqfds.wq = NULL;
}
