// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU: KVM_CREATE_VCPU, the vCPU fd (ioctls, the mmap'ed kvm_run and
 * coalesced MMIO pages) and the run loop.
 *
 * The run loop enters the guest with preemption and interrupts disabled
 * and the FP/SIMD unit taken from the host (kernel_neon_begin), and
 * re-enables interrupts right after each exit so the host takes whatever
 * interrupt caused it. Kicks from other threads (KVM_IRQ_LINE, PSCI
 * CPU_ON, signals) find the vCPU either outside the guest, where it checks
 * for work before entering, or inside it, where an IPI makes it exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "modkvm.h"

#ifdef HINT_UNSAFE_IN_KVM
#define run_immediate_exit(run)	READ_ONCE((run)->immediate_exit__unsafe)
#else
#define run_immediate_exit(run)	READ_ONCE((run)->immediate_exit)
#endif

static void modkvm_kick_nop(void *unused)
{
}

/* Make a vCPU that is in the guest exit, so that it sees new work. */
void modkvm_vcpu_kick(struct modkvm_vcpu *vcpu)
{
	int cpu;

	/* Pairs with the barrier between setting mode and reading work. */
	smp_mb();
	cpu = READ_ONCE(vcpu->cpu);
	if (READ_ONCE(vcpu->mode) == MODKVM_IN_GUEST && cpu >= 0 &&
	    cpu != raw_smp_processor_id())
		smp_call_function_single(cpu, modkvm_kick_nop, NULL, 0);
	modkvm_vcpu_wake(vcpu);
}

void modkvm_vcpu_wake(struct modkvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->woken, true);
	wake_up_interruptible(&vcpu->wq);
}

/*
 * Something the vCPU must handle before it may sleep or enter the guest:
 * with the vGIC, an interrupt the guest could take (a WFI wakes for it).
 */
static bool modkvm_vcpu_has_work(struct modkvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->irq_lines) || READ_ONCE(vcpu->pending_reset) ||
	       modkvm_vgic_has_pending(vcpu);
}

static void modkvm_vcpu_do_reset(struct modkvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->pending_reset, false);
	smp_rmb();	/* reset_pc/ctx were written before pending_reset */
	modkvm_arch_vcpu_reset(vcpu);
	modkvm_set_entry(&vcpu->arch, vcpu->reset_pc);
	modkvm_set_reg(&vcpu->arch, 0, vcpu->reset_ctx);
	vcpu->power_off = false;
	vcpu->suspended = false;
}

/*
 * Block a vCPU in WFI until an interrupt line, its timer, a kick or a
 * signal wakes it. Returns 1 to go on with the guest, or 0/-EINTR as the
 * run loop's handlers do.
 */
int modkvm_vcpu_block(struct modkvm_vcpu *vcpu)
{
	u64 ns;

	/*
	 * When the next timer fires is read before its level is compared
	 * with what userspace knows: a timer expiring between the two is
	 * then caught by the comparison, never lost by both.
	 */
	WRITE_ONCE(vcpu->woken, false);
	ns = modkvm_timer_next_ns(vcpu);
	if (modkvm_vcpu_has_work(vcpu))
		return 1;
	if (modkvm_timer_levels(vcpu) != vcpu->arch.timer.reported)
		return 1;

	modkvm_fp_put(vcpu);
	if (ns)
		hrtimer_start(&vcpu->arch.timer.wake, ns_to_ktime(ns),
			      HRTIMER_MODE_REL);
	wait_event_interruptible(vcpu->wq, READ_ONCE(vcpu->woken) ||
				 modkvm_vcpu_has_work(vcpu));
	if (ns)
		hrtimer_cancel(&vcpu->arch.timer.wake);
	vcpu->stat.halt_wakeup++;
	return 1;
}

/* A powered-off vCPU sleeps in KVM_RUN until PSCI CPU_ON or a signal. */
static int modkvm_vcpu_wait_power_on(struct modkvm_vcpu *vcpu)
{
	int ret;

	modkvm_fp_put(vcpu);
	ret = wait_event_interruptible(vcpu->wq, !READ_ONCE(vcpu->power_off) ||
				       READ_ONCE(vcpu->pending_reset));
	return ret ? -EINTR : 0;
}

/*
 * KVM_MP_STATE_SUSPENDED: the vCPU waits as in WFI, and what would end
 * that WFI (an interrupt line raised) returns to userspace as a WAKEUP
 * event instead; it stays suspended until userspace makes it runnable.
 * Timer output changes and signals leave KVM_RUN as they always do.
 */
static int modkvm_vcpu_suspended(struct modkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (!READ_ONCE(vcpu->irq_lines))
		return modkvm_vcpu_block(vcpu);
	memset(&run->system_event, 0, sizeof(run->system_event));
	run->system_event.type = KVM_SYSTEM_EVENT_WAKEUP;
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	return 0;
}

/*
 * The guest's timer levels as userspace sees them in kvm_run, or, with
 * the vGIC, as its timer PPIs' levels (kvm_run's are then left alone).
 */
static void modkvm_update_run_levels(struct modkvm_vcpu *vcpu)
{
	u32 levels = modkvm_timer_levels(vcpu);

	if (vcpu->vm->vgic)
		modkvm_vgic_timer_levels(vcpu, levels,
					 vcpu->arch.timer.reported);
	else
		vcpu->run->s.regs.device_irq_level = levels;
	vcpu->arch.timer.reported = levels;
}

static int modkvm_vcpu_run(struct modkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	sigset_t oldset;
	int ret = 1;

	if (!vcpu->initialized)
		return -ENOEXEC;
	/* the vGIC's frames are checked and mapped: -ENXIO/-EINVAL/-EBUSY */
	ret = modkvm_vgic_first_run(vcpu);
	if (ret)
		return ret;
	ret = 1;

	vcpu->mmio.abortable = false;	/* the exit is answered */
	if (vcpu->mmio.pending)
		modkvm_mmio_complete(vcpu);

	/*
	 * immediate_exit: -EINTR with kvm_run left as it was, as KVM does.
	 * Userspace that completes an MMIO access this way may read the exit
	 * again afterwards (the upstream selftests' ucalls do). The timer
	 * levels too stay as last told: a change is told by the next KVM_RUN
	 * that runs the vCPU. QEMU completes an exit this way when it stops
	 * its vCPUs (among other times), and raises its GIC's line for any
	 * level it is told: told here, it would be raised for a guest that
	 * no longer runs on this side of a save or a migration, and QEMU's
	 * GIC (kernel_irqchip=off) does not drive that line again after a
	 * restore: the restored guest would never take it.
	 */
	if (run_immediate_exit(run))
		return -EINTR;

	if (vcpu->sigmask_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigmask, &oldset);

	run->exit_reason = KVM_EXIT_UNKNOWN;
	run->flags = 0;			/* per exit (KVM_EXIT_DEBUG sets one) */

	modkvm_vm_mark_ran(vcpu->vm);
	vcpu->ran_since_init = true;
	while (ret > 0) {
		if (READ_ONCE(vcpu->pending_reset))
			modkvm_vcpu_do_reset(vcpu);
		if (READ_ONCE(vcpu->power_off)) {
			ret = modkvm_vcpu_wait_power_on(vcpu);
			if (ret)
				break;
			ret = 1;
			continue;
		}
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		/*
		 * Userspace must see every change of the timer output; with
		 * the vGIC, the GIC does (the timers' PPIs).
		 */
		if (modkvm_timer_levels(vcpu) != vcpu->arch.timer.reported) {
			if (!vcpu->vm->vgic) {
				ret = -EINTR;
				break;
			}
			modkvm_update_run_levels(vcpu);
		}
		if (READ_ONCE(vcpu->suspended)) {
			ret = modkvm_vcpu_suspended(vcpu);
			continue;
		}
		if (need_resched()) {
			modkvm_fp_put(vcpu);
			cond_resched();
		}
		modkvm_pvtime_update(vcpu);	/* stolen time, may fault */

		if (!MODKVM_FP_LAZY)
			modkvm_fp_get(vcpu);
		local_irq_disable();
		WRITE_ONCE(vcpu->cpu, smp_processor_id());
		WRITE_ONCE(vcpu->mode, MODKVM_IN_GUEST);
		/* Pairs with modkvm_vcpu_kick(): see the work or get the IPI. */
		smp_mb();
		/*
		 * The timer levels once more, now that nothing can delay the
		 * entry: since the check above the thread may have been
		 * preempted (cond_resched()) or have faulted for
		 * milliseconds, and a timer that fired meanwhile must be in
		 * the GIC (or told to userspace) before the guest runs, as
		 * the in-kernel KVM samples it when it loads the vCPU. Left
		 * to the entry, the virtual timer would exit at once, but
		 * the physical timer's hrtimer only after some guest code
		 * has run: the guest could find a deadline passed and its
		 * interrupt not there (upstream arch_timer, stages 3 and 4).
		 */
		if (need_resched() || signal_pending(current) ||
		    modkvm_timer_levels(vcpu) != vcpu->arch.timer.reported) {
			WRITE_ONCE(vcpu->mode, MODKVM_OUTSIDE_GUEST);
			local_irq_enable();
			continue;
		}
		modkvm_vtimer_irq_sync(vcpu);
		modkvm_vgic_flush(vcpu);	/* the list registers */
		modkvm_arch_enter_guest(vcpu);
		modkvm_vgic_sync(vcpu);
		WRITE_ONCE(vcpu->mode, MODKVM_OUTSIDE_GUEST);
		WRITE_ONCE(vcpu->cpu, -1);
		local_irq_enable();		/* the host takes its interrupt */
		if (!MODKVM_FP_LAZY)
			modkvm_fp_put(vcpu);

		vcpu->stat.exits++;
		ret = modkvm_handle_exit(vcpu);
	}

	modkvm_fp_put(vcpu);
	if (ret == -EINTR) {
		run->exit_reason = KVM_EXIT_INTR;
		vcpu->stat.signal_exits++;
	}
	modkvm_update_run_levels(vcpu);
	if (vcpu->sigmask_active)
		sigprocmask(SIG_SETMASK, &oldset, NULL);
	return ret;
}

static int modkvm_vcpu_set_sigmask(struct modkvm_vcpu *vcpu,
				   struct kvm_signal_mask __user *argp)
{
	struct kvm_signal_mask hdr;
	sigset_t set;

	if (!argp) {
		vcpu->sigmask_active = false;
		return 0;
	}
	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.len != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&set, argp->sigset, sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigmask = set;
	vcpu->sigmask_active = true;
	return 0;
}

static int modkvm_vcpu_get_mp_state(struct modkvm_vcpu *vcpu,
				    struct kvm_mp_state __user *argp)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

	if (READ_ONCE(vcpu->power_off))
		mp.mp_state = KVM_MP_STATE_STOPPED;
	else if (vcpu->suspended)
		mp.mp_state = KVM_MP_STATE_SUSPENDED;

	return copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
}

static int modkvm_vcpu_set_mp_state(struct modkvm_vcpu *vcpu,
				    struct kvm_mp_state __user *argp)
{
	struct kvm_mp_state mp;

	if (copy_from_user(&mp, argp, sizeof(mp)))
		return -EFAULT;
	switch (mp.mp_state) {
	case KVM_MP_STATE_RUNNABLE:
		WRITE_ONCE(vcpu->suspended, false);
		WRITE_ONCE(vcpu->power_off, false);
		return 0;
	case KVM_MP_STATE_STOPPED:
		WRITE_ONCE(vcpu->suspended, false);
		WRITE_ONCE(vcpu->power_off, true);
		return 0;
	case KVM_MP_STATE_SUSPENDED:
		WRITE_ONCE(vcpu->suspended, true);
		WRITE_ONCE(vcpu->power_off, false);
		return 0;
	}
	return -EINVAL;
}

static int modkvm_vcpu_get_events(struct modkvm_vcpu *vcpu,
				  struct kvm_vcpu_events __user *argp)
{
	struct kvm_vcpu_events ev;

	memset(&ev, 0, sizeof(ev));
	ev.exception.serror_pending = vcpu->arch.serror_pending;
	return copy_to_user(argp, &ev, sizeof(ev)) ? -EFAULT : 0;
}

static int modkvm_vcpu_set_events(struct modkvm_vcpu *vcpu,
				  struct kvm_vcpu_events __user *argp)
{
	struct kvm_vcpu_events ev;
	unsigned int i;

	if (copy_from_user(&ev, argp, sizeof(ev)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(ev.reserved); i++)
		if (ev.reserved[i])
			return -EINVAL;
	if (memchr_inv(ev.exception.pad, 0, sizeof(ev.exception.pad)))
		return -EINVAL;
	/* No RAS: an SError with a syndrome cannot be delivered as asked. */
	if (ev.exception.serror_has_esr)
		return -EINVAL;
	if (ev.exception.serror_pending && ev.exception.ext_dabt_pending)
		return -EINVAL;
	if (ev.exception.ext_dabt_pending)
		return modkvm_mmio_abort(vcpu);
	if (ev.exception.serror_pending)
		vcpu->arch.serror_pending = true;
	return 0;
}

static long modkvm_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			      unsigned long arg)
{
	struct modkvm_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	long ret;

	if (vcpu->vm->mm != current->mm || READ_ONCE(vcpu->vm->dead))
		return -EIO;

	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;

	/*
	 * A CPU_ON from another vCPU takes effect for every ioctl, not only
	 * at the next KVM_RUN: userspace reading the registers after it
	 * must see the entry point and context ID.
	 */
	if (ioctl != KVM_RUN && vcpu->initialized &&
	    READ_ONCE(vcpu->pending_reset))
		modkvm_vcpu_do_reset(vcpu);

	switch (ioctl) {
	case KVM_RUN:
		if (arg) {
			ret = -EINVAL;
			break;
		}
		modkvm_vcpu_set_pid(vcpu);
		ret = modkvm_vcpu_run(vcpu);
		break;
	case KVM_ARM_VCPU_INIT: {
		struct kvm_vcpu_init init;

		ret = -EFAULT;
		if (copy_from_user(&init, argp, sizeof(init)))
			break;
		ret = modkvm_arch_vcpu_init(vcpu, &init);
		if (!ret) {
			vcpu->initialized = true;
			vcpu->mmio.pending = false;
			vcpu->mmio.abortable = false;
			WRITE_ONCE(vcpu->suspended, false);
			/* a reset after running: see modkvm_mmu_reset() */
			if (vcpu->ran_since_init)
				modkvm_mmu_reset(vcpu->vm);
			vcpu->ran_since_init = false;
		}
		break;
	}
	case KVM_GET_ONE_REG:
	case KVM_SET_ONE_REG: {
		struct kvm_one_reg reg;

		ret = -EFAULT;
		if (copy_from_user(&reg, argp, sizeof(reg)))
			break;
		ret = -ENOEXEC;
		if (!vcpu->initialized)
			break;
		if (ioctl == KVM_GET_ONE_REG)
			ret = modkvm_get_one_reg(vcpu, &reg);
		else
			ret = modkvm_set_one_reg(vcpu, &reg);
		break;
	}
	case KVM_GET_REG_LIST:
		ret = vcpu->initialized ? modkvm_get_reg_list(vcpu, argp) :
					  -ENOEXEC;
		break;
	case KVM_SET_SIGNAL_MASK:
		ret = modkvm_vcpu_set_sigmask(vcpu, argp);
		break;
	case KVM_GET_MP_STATE:
		ret = modkvm_vcpu_get_mp_state(vcpu, argp);
		break;
	case KVM_SET_MP_STATE:
		ret = modkvm_vcpu_set_mp_state(vcpu, argp);
		break;
	case KVM_GET_VCPU_EVENTS:
		ret = modkvm_vcpu_get_events(vcpu, argp);
		break;
	case KVM_SET_VCPU_EVENTS:
		ret = modkvm_vcpu_set_events(vcpu, argp);
		break;
	case KVM_GET_STATS_FD:
		ret = modkvm_vcpu_stats_fd(vcpu);
		break;
	case KVM_SET_GUEST_DEBUG: {
		struct kvm_guest_debug dbg;

		ret = -EFAULT;
		if (copy_from_user(&dbg, argp, sizeof(dbg)))
			break;
		ret = modkvm_set_guest_debug(vcpu, &dbg);
		break;
	}
	case KVM_HAS_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR:
		ret = modkvm_vcpu_attr_ioctl(vcpu, ioctl, argp);
		break;
	default:
		ret = -EINVAL;	/* as KVM answers any unknown ioctl */
	}
	mutex_unlock(&vcpu->mutex);
	return ret;
}

/*
 * The vCPU mmap: page 0 is the vCPU's struct kvm_run, page
 * KVM_COALESCED_MMIO_PAGE_OFFSET the VM's coalesced MMIO ring. Pages are
 * handed out on fault, so a mapping may cover either or both.
 */
static vm_fault_t modkvm_vcpu_fault(struct vm_fault *vmf)
{
	struct modkvm_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == KVM_COALESCED_MMIO_PAGE_OFFSET)
		page = modkvm_coalesced_ring_page(vcpu->vm);
	else
		return VM_FAULT_SIGBUS;	/* only after mremap() */
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct modkvm_vcpu_vm_ops = {
	.fault = modkvm_vcpu_fault,
};

static int modkvm_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff >= MODKVM_VCPU_MMAP_PAGES ||
	    vma_pages(vma) > MODKVM_VCPU_MMAP_PAGES - vma->vm_pgoff)
		return -EINVAL;
	vma->vm_ops = &modkvm_vcpu_vm_ops;
	return 0;
}

static int modkvm_vcpu_release(struct inode *inode, struct file *filp)
{
	struct modkvm_vcpu *vcpu = filp->private_data;

	modkvm_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations modkvm_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= modkvm_vcpu_release,
	.unlocked_ioctl	= modkvm_vcpu_ioctl,
	.mmap		= modkvm_vcpu_mmap,
	.llseek		= noop_llseek,
};

void modkvm_vcpu_free(struct modkvm_vcpu *vcpu)
{
	modkvm_timer_destroy(vcpu);
	modkvm_pgcache_free(&vcpu->pgcache);
	modkvm_vcpu_put_pid(vcpu);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

int modkvm_create_vcpu(struct modkvm_vm *vm, unsigned long id)
{
	struct modkvm_vcpu *vcpu;
	char name[24];
	int i, fd;

	if (id >= MODKVM_MAX_VCPUS)
		return -EINVAL;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run) {
		kfree(vcpu);
		return -ENOMEM;
	}
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = -1;
	mutex_init(&vcpu->mutex);
	init_waitqueue_head(&vcpu->wq);
	modkvm_timer_init(vcpu);
	modkvm_pvtime_vcpu_init(vcpu);

	mutex_lock(&vm->lock);
	fd = -EINVAL;
	if (vm->nr_vcpus >= MODKVM_MAX_VCPUS)
		goto err_unlock;
	fd = -EEXIST;
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->id == id)
			goto err_unlock;
	fd = modkvm_vgic_vcpu_precreate(vm);
	if (fd)
		goto err_unlock;

	vcpu->idx = vm->nr_vcpus;
	snprintf(name, sizeof(name), "kvm-vcpu:%lu", id);
	refcount_inc(&vm->users);
	fd = anon_inode_getfd(name, &modkvm_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		refcount_dec(&vm->users);
		goto err_unlock;
	}
	vm->vcpus[vcpu->idx] = vcpu;
	/* Publish after the slot is filled: see modkvm_irq_line(). */
	smp_store_release(&vm->nr_vcpus, vm->nr_vcpus + 1);
	mutex_unlock(&vm->lock);
	return fd;

err_unlock:
	mutex_unlock(&vm->lock);
	modkvm_vcpu_free(vcpu);
	return fd;
}
