// SPDX-License-Identifier: GPL-2.0
/*
 * Directed yield for a spinning vCPU. A guest that waits for a lock
 * spins with WFE, which the arch traps (HCR_EL2.TWE, DDI 0487 D13.2.47);
 * on a host with more vCPUs than CPUs the holder of that lock is then
 * often a vCPU whose thread was preempted, and the spinner's time slice
 * would only delay it. Instead the spinner hands its CPU to another vCPU
 * of the same VM whose thread is runnable but not running: yield_to()
 * (kernel/sched) boosts only such a task and fails at once for a thread
 * that is running or asleep (a vCPU waiting in WFI). The vCPUs are tried
 * round robin from the last one boosted, so that no vCPU is favoured.
 *
 * Each vCPU's thread is the one that last entered KVM_RUN: vcpu->pid,
 * changed under vcpu->mutex (at most once a thread), read under RCU.
 */
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include "modkvm.h"

/* KVM_RUN, under vcpu->mutex: the calling thread runs this vCPU */
void modkvm_vcpu_set_pid(struct modkvm_vcpu *vcpu)
{
	struct pid *old = rcu_dereference_protected(vcpu->pid,
				lockdep_is_held(&vcpu->mutex));

	if (likely(old == task_pid(current)))
		return;
	rcu_assign_pointer(vcpu->pid, get_task_pid(current, PIDTYPE_PID));
	synchronize_rcu();		/* no yielder holds @old any more */
	put_pid(old);
}

/* vCPU freed: no other vCPU of the VM runs any more */
void modkvm_vcpu_put_pid(struct modkvm_vcpu *vcpu)
{
	put_pid(rcu_dereference_protected(vcpu->pid, 1));
}

static bool yield_to_vcpu(struct modkvm_vcpu *v)
{
	struct task_struct *task = NULL;
	struct pid *pid;
	int ret;

	rcu_read_lock();
	pid = rcu_dereference(v->pid);
	if (pid)
		task = get_pid_task(pid, PIDTYPE_PID);
	rcu_read_unlock();
	if (!task)
		return false;
	ret = yield_to(task, true);
	put_task_struct(task);
	return ret > 0;
}

/* A trapped WFE of @me: let a preempted vCPU of its VM run, if there is one */
void modkvm_vcpu_on_spin(struct modkvm_vcpu *me)
{
	struct modkvm_vm *vm = me->vm;
	unsigned int n = smp_load_acquire(&vm->nr_vcpus);
	unsigned int start = READ_ONCE(vm->last_boosted);
	unsigned int i, idx;
	bool fp_put = false;

	for (i = 1; i <= n; i++) {
		struct modkvm_vcpu *v;

		idx = (start + i) % n;
		v = vm->vcpus[idx];
		if (v == me || READ_ONCE(v->mode) == MODKVM_IN_GUEST ||
		    !rcu_access_pointer(v->pid))
			continue;
		if (!fp_put) {		/* the guest's FP state leaves the CPU */
			modkvm_fp_put(me);
			fp_put = true;
		}
		if (yield_to_vcpu(v)) {
			WRITE_ONCE(vm->last_boosted, idx);
			return;
		}
	}
}
