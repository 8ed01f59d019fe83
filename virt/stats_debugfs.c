// SPDX-License-Identifier: GPL-2.0
/*
 * The VM and vCPU statistics (stats.c's counters) in debugfs, laid out as
 * the in-kernel KVM lays them out, which is where kvm_stat reads them:
 *
 *   <debugfs>/kvm/<name>             the counter summed over every live VM
 *                                    (a vCPU counter: over all their vCPUs)
 *   <debugfs>/kvm/<pid>-<fd>/<name>  one VM's, named by the process that
 *                                    created it and its VM file descriptor
 *
 * Each file reads as one decimal number. The names are those of the
 * binary stats (KVM_GET_STATS_FD). Nothing is made where debugfs is off
 * or <debugfs>/kvm exists already.
 *
 * Beside them, modkvm's own <pid>-<fd>/vcpus: a line per vCPU with what
 * decides whether a vCPU in WFI wakes (its interrupt lines, its timers'
 * registers and levels, its wake-up timer), for a guest that sleeps and
 * should not. It is read without stopping the vCPUs: a running vCPU's
 * line may mix values from before and after an exit.
 *
 * Locking: modkvm_debugfs_lock guards the list of VMs; a VM leaves it (and
 * its directory goes, which waits for the readers of its files) in
 * modkvm_debugfs_vm_remove(), before the VM is freed.
 */
#include <linux/debugfs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "modkvm.h"

struct modkvm_debugfs_stat {
	struct modkvm_vm *vm;		/* NULL: the sum over every VM */
	unsigned int index;		/* modkvm_stat_name(index) */
};

struct modkvm_debugfs_vm {
	struct list_head node;
	struct modkvm_vm *vm;
	struct dentry *dir;
	struct modkvm_debugfs_stat stats[];
};

static struct dentry *modkvm_debugfs_dir;
static struct modkvm_debugfs_stat *modkvm_debugfs_totals;
static LIST_HEAD(modkvm_debugfs_vms);
static DEFINE_MUTEX(modkvm_debugfs_lock);

static int modkvm_debugfs_get(void *data, u64 *val)
{
	struct modkvm_debugfs_stat *st = data;
	struct modkvm_debugfs_vm *v;

	if (st->vm) {
		*val = modkvm_stat_value(st->vm, st->index);
		return 0;
	}
	*val = 0;
	mutex_lock(&modkvm_debugfs_lock);
	list_for_each_entry(v, &modkvm_debugfs_vms, node)
		*val += modkvm_stat_value(v->vm, st->index);
	mutex_unlock(&modkvm_debugfs_lock);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(modkvm_debugfs_fops, modkvm_debugfs_get, NULL, "%llu\n");

static void modkvm_debugfs_files(struct dentry *dir,
				 struct modkvm_debugfs_stat *stats,
				 struct modkvm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < modkvm_stat_count(); i++) {
		stats[i].vm = vm;
		stats[i].index = i;
		debugfs_create_file_unsafe(modkvm_stat_name(i), 0444, dir,
					   &stats[i], &modkvm_debugfs_fops);
	}
}

void modkvm_debugfs_init(void)
{
	struct dentry *dir;

	if (!debugfs_initialized())
		return;
	dir = debugfs_lookup("kvm", NULL);
	if (dir) {
		dput(dir);
		return;
	}
	modkvm_debugfs_totals = kcalloc(modkvm_stat_count(),
					sizeof(*modkvm_debugfs_totals), GFP_KERNEL);
	if (!modkvm_debugfs_totals)
		return;
	dir = debugfs_create_dir("kvm", NULL);
	if (IS_ERR(dir)) {
		kfree(modkvm_debugfs_totals);
		modkvm_debugfs_totals = NULL;
		return;
	}
	modkvm_debugfs_dir = dir;
	modkvm_debugfs_files(dir, modkvm_debugfs_totals, NULL);
}

/* Module exit: no VM is left (each held a module reference). */
void modkvm_debugfs_exit(void)
{
	debugfs_remove_recursive(modkvm_debugfs_dir);
	modkvm_debugfs_dir = NULL;
	kfree(modkvm_debugfs_totals);
	modkvm_debugfs_totals = NULL;
}

static int modkvm_debugfs_vcpus_show(struct seq_file *m, void *unused)
{
	struct modkvm_vm *vm = m->private;
	struct modkvm_vcpu *vcpu;
	int i, n = smp_load_acquire(&vm->nr_vcpus);

	for (i = 0; i < n; i++) {
		vcpu = READ_ONCE(vm->vcpus[i]);
		seq_printf(m, "vcpu%u mode=%d cpu=%d woken=%d irq_lines=%#lx power_off=%d suspended=%d",
			   vcpu->id, READ_ONCE(vcpu->mode), READ_ONCE(vcpu->cpu),
			   READ_ONCE(vcpu->woken), READ_ONCE(vcpu->irq_lines),
			   READ_ONCE(vcpu->power_off), READ_ONCE(vcpu->suspended));
		modkvm_timer_show(m, vcpu);
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(modkvm_debugfs_vcpus);

/* A new VM, whose file descriptor in the creating process is @fd. */
void modkvm_debugfs_vm_add(struct modkvm_vm *vm, int fd)
{
	struct modkvm_debugfs_vm *v;
	char name[32];

	if (!modkvm_debugfs_dir)
		return;
	v = kzalloc(struct_size(v, stats, modkvm_stat_count()), GFP_KERNEL_ACCOUNT);
	if (!v)
		return;		/* the VM works without its files */
	snprintf(name, sizeof(name), "%d-%d", task_pid_nr(current), fd);
	v->vm = vm;
	v->dir = debugfs_create_dir(name, modkvm_debugfs_dir);
	if (!IS_ERR(v->dir)) {
		modkvm_debugfs_files(v->dir, v->stats, vm);
		debugfs_create_file("vcpus", 0400, v->dir, vm,
				    &modkvm_debugfs_vcpus_fops);
	}
	mutex_lock(&modkvm_debugfs_lock);
	list_add_tail(&v->node, &modkvm_debugfs_vms);
	mutex_unlock(&modkvm_debugfs_lock);
}

/* Before @vm is freed: it leaves the sums, its directory goes. */
void modkvm_debugfs_vm_remove(struct modkvm_vm *vm)
{
	struct modkvm_debugfs_vm *v, *found = NULL;

	mutex_lock(&modkvm_debugfs_lock);
	list_for_each_entry(v, &modkvm_debugfs_vms, node) {
		if (v->vm == vm) {
			list_del(&v->node);
			found = v;
			break;
		}
	}
	mutex_unlock(&modkvm_debugfs_lock);
	if (!found)
		return;
	debugfs_remove_recursive(found->dir);	/* waits for its readers */
	kfree(found);
}
