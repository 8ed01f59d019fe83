// SPDX-License-Identifier: GPL-2.0
/*
 * Paravirtualized time, stolen time part (Arm DEN0057,
 * Documentation/virt/kvm/arm/pvtime.rst), offered while bit 0 of
 * KVM_REG_ARM_STD_HYP_BMAP is set (smccc.c).
 *
 * Userspace gives each vCPU a 64-byte aligned guest physical address
 * inside a memslot with the vCPU attribute KVM_ARM_VCPU_PVTIME_CTRL /
 * KVM_ARM_VCPU_PVTIME_IPA (once: a second set is -EEXIST; it survives
 * KVM_ARM_VCPU_INIT). The guest finds it with PV_TIME_ST and reads
 *
 *   offset 0   revision     (u32, 0)
 *   offset 4   attributes   (u32, 0)
 *   offset 8   stolen time  (u64, ns, little endian)
 *
 * Stolen time is the time the vCPU's thread was runnable but waiting for
 * a CPU: the scheduler's run delay of the task (task_struct.sched_info,
 * kept when the kernel has CONFIG_SCHED_INFO; without it the service is
 * not offered: KVM_CAP_STEAL_TIME 0, the attribute -ENXIO, the bitmap bit
 * clear). The record is written before the vCPU enters the guest whenever
 * the thread's run delay has grown since the last write (so every time
 * the thread waited for a CPU, whether inside KVM_RUN or in userspace),
 * through the VMM's own mapping of the memslot, with one 64-bit store so
 * that the guest never sees a torn value; the page is marked in the dirty
 * log. The count starts at 0 when the vCPU first runs after the address
 * is set. If another thread takes over the vCPU, only its delays from
 * then on count. A record that is not in a writable memslot (the slot was
 * deleted or made read-only) is not written, and is written again once
 * it can be.
 */
#include <linux/arm-smccc.h>
#include <linux/align.h>
#include <linux/bitops.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/stat.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "modkvm.h"

#define PVTIME_ALIGN		64
#define PVTIME_STOLEN_OFF	8

bool modkvm_pvtime_available(void)
{
	return sched_info_on();
}

static u64 run_delay(void)
{
#ifdef CONFIG_SCHED_INFO
	return current->sched_info.run_delay;
#else
	return 0;
#endif
}

void modkvm_pvtime_vcpu_init(struct modkvm_vcpu *vcpu)
{
	vcpu->pvtime.ipa = MODKVM_PVTIME_NO_IPA;
}

/* PV_TIME_FEATURES and PV_TIME_ST; the x0 to return */
long modkvm_pvtime_call(struct modkvm_vcpu *vcpu, u32 fn)
{
	bool has_ipa = vcpu->pvtime.ipa != MODKVM_PVTIME_NO_IPA;

	switch (fn) {
	case ARM_SMCCC_HV_PV_TIME_FEATURES:
		switch (lower_32_bits(modkvm_get_reg(&vcpu->arch, 1))) {
		case ARM_SMCCC_HV_PV_TIME_FEATURES:
			return SMCCC_RET_SUCCESS;
		case ARM_SMCCC_HV_PV_TIME_ST:
			return has_ipa ? SMCCC_RET_SUCCESS :
					 SMCCC_RET_NOT_SUPPORTED;
		}
		break;
	case ARM_SMCCC_HV_PV_TIME_ST:
		if (has_ipa)
			return vcpu->pvtime.ipa;
		break;
	}
	return SMCCC_RET_NOT_SUPPORTED;
}

/* The writable memslot page holding @ipa: its host address, or 0 */
static unsigned long pvtime_hva(struct modkvm_vm *vm, u64 ipa)
{
	struct modkvm_memslot *slot;
	u64 gfn = ipa >> PAGE_SHIFT;
	unsigned long hva = 0;

	spin_lock(&vm->mmu_lock);
	slot = modkvm_gfn_to_slot(vm, gfn);
	if (slot && !(slot->flags & KVM_MEM_READONLY))
		hva = slot->hva + ((gfn - slot->base_gfn) << PAGE_SHIFT) +
		      offset_in_page(ipa);
	spin_unlock(&vm->mmu_lock);
	return hva;
}

static void pvtime_mark_dirty(struct modkvm_vm *vm, u64 ipa)
{
	struct modkvm_memslot *slot;
	u64 gfn = ipa >> PAGE_SHIFT;

	spin_lock(&vm->mmu_lock);
	slot = modkvm_gfn_to_slot(vm, gfn);
	if (slot && slot->dirty)
		set_bit(gfn - slot->base_gfn, slot->dirty);
	spin_unlock(&vm->mmu_lock);
}

/* Write the record (all of it if @whole); false if it could not be. */
static bool pvtime_write(struct modkvm_vcpu *vcpu, bool whole)
{
	u64 ipa = vcpu->pvtime.ipa;
	unsigned long hva = pvtime_hva(vcpu->vm, ipa);
	__le64 __user *rec = (__le64 __user *)hva;

	if (!hva)
		return false;
	/* revision and attributes: both 0 */
	if (whole && put_user(cpu_to_le64(0), rec))
		return false;
	if (put_user(cpu_to_le64(vcpu->pvtime.steal),
		     rec + PVTIME_STOLEN_OFF / sizeof(*rec)))
		return false;
	pvtime_mark_dirty(vcpu->vm, ipa);
	return true;
}

/*
 * Before each entry into the guest (the run loop, with preemption
 * enabled, in the VMM's mm): bring the record up to date.
 */
void modkvm_pvtime_update(struct modkvm_vcpu *vcpu)
{
	struct modkvm_pvtime *pv = &vcpu->pvtime;
	u64 delay;

	if (pv->ipa == MODKVM_PVTIME_NO_IPA)
		return;
	delay = run_delay();
	if (pv->task != current || delay < pv->last_delay) {
		/* the first run, or a new thread: count from here */
		pv->task = current;
		pv->last_delay = delay;
	}
	if (delay == pv->last_delay && !pv->pending)
		return;
	pv->steal += delay - pv->last_delay;
	pv->last_delay = delay;
	if (pvtime_write(vcpu, pv->whole))
		pv->whole = false;
	/* on failure, try again when the thread has waited again */
	pv->pending = false;
}

/* ---- the vCPU attribute KVM_ARM_VCPU_PVTIME_CTRL ---- */

int modkvm_pvtime_has_attr(struct modkvm_vcpu *vcpu, u64 attr)
{
	if (attr != KVM_ARM_VCPU_PVTIME_IPA || !modkvm_pvtime_available())
		return -ENXIO;
	return 0;
}

int modkvm_pvtime_get_attr(struct modkvm_vcpu *vcpu, u64 attr,
			   u64 __user *uaddr)
{
	int ret = modkvm_pvtime_has_attr(vcpu, attr);

	if (ret)
		return ret;
	/* all ones while no address is set */
	return put_user(vcpu->pvtime.ipa, uaddr) ? -EFAULT : 0;
}

int modkvm_pvtime_set_attr(struct modkvm_vcpu *vcpu, u64 attr,
			   u64 __user *uaddr)
{
	struct modkvm_vm *vm = vcpu->vm;
	bool in_slot;
	u64 ipa;
	int ret;

	ret = modkvm_pvtime_has_attr(vcpu, attr);
	if (ret)
		return ret;
	if (get_user(ipa, uaddr))
		return -EFAULT;
	if (!IS_ALIGNED(ipa, PVTIME_ALIGN))
		return -EINVAL;
	if (vcpu->pvtime.ipa != MODKVM_PVTIME_NO_IPA)
		return -EEXIST;

	spin_lock(&vm->mmu_lock);
	in_slot = !(ipa >> vm->s2.ipa_bits) &&
		  modkvm_gfn_to_slot(vm, ipa >> PAGE_SHIFT);
	spin_unlock(&vm->mmu_lock);
	if (!in_slot)
		return -EINVAL;

	vcpu->pvtime.ipa = ipa;
	vcpu->pvtime.steal = 0;
	vcpu->pvtime.task = NULL;
	vcpu->pvtime.pending = true;
	vcpu->pvtime.whole = true;
	return 0;
}
