// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CHECK_EXTENSION and KVM_ENABLE_CAP: one table of what modkvm really
 * implements.
 *
 * A capability that is not listed is answered with 0, whatever the
 * in-kernel KVM would say: userspace must never be told of a feature that
 * is not there. Values that depend on the host are computed.
 */
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/mutex.h>

#include "modkvm.h"

static const unsigned long modkvm_caps_one[] = {
	KVM_CAP_USER_MEMORY,
	KVM_CAP_DESTROY_MEMORY_REGION_WORKS,
	KVM_CAP_JOIN_MEMORY_REGIONS_WORKS,
	KVM_CAP_SYNC_MMU,		/* MMU notifiers keep stage 2 in sync */
	KVM_CAP_READONLY_MEM,
	KVM_CAP_ONE_REG,
	KVM_CAP_ARM_PSCI,
	KVM_CAP_ARM_PSCI_0_2,
	KVM_CAP_IMMEDIATE_EXIT,
	KVM_CAP_MP_STATE,
	KVM_CAP_VCPU_EVENTS,
	KVM_CAP_ARM_USER_IRQ,		/* version 1: vtimer, ptimer bits */
	KVM_CAP_CHECK_EXTENSION_VM,
	KVM_CAP_ARM_NISV_TO_USER,
	KVM_CAP_ARM_INJECT_EXT_DABT,	/* after MMIO/NISV exits: mmio.c */
	KVM_CAP_BINARY_STATS_FD,
	KVM_CAP_ARM_SYSTEM_SUSPEND,	/* PSCI SYSTEM_SUSPEND to userspace */
	KVM_CAP_SET_GUEST_DEBUG,	/* single-step, BRK, hardware: debug.c */
	KVM_CAP_VCPU_ATTRIBUTES,	/* PV time (vcpu_attr.c) */
	KVM_CAP_PTP_KVM,		/* ptp.c */
	KVM_CAP_IOEVENTFD,		/* MMIO; PIO accepted, never hit */
	KVM_CAP_IOEVENTFD_ANY_LENGTH,	/* len 0: a store of any length */
#ifdef KVM_CAP_USER_MEMORY2
	KVM_CAP_USER_MEMORY2,		/* without guest_memfd */
#endif
#ifdef KVM_CAP_COUNTER_OFFSET
	KVM_CAP_COUNTER_OFFSET,		/* counter_offset.c */
#endif
};

long modkvm_check_extension(struct modkvm_vm *vm, unsigned long cap)
{
	unsigned int i;

	switch (cap) {
	case KVM_CAP_NR_VCPUS:
		return min_t(int, num_online_cpus(), MODKVM_MAX_VCPUS);
	case KVM_CAP_MAX_VCPUS:
	case KVM_CAP_MAX_VCPU_ID:
		return MODKVM_MAX_VCPUS;
	case KVM_CAP_NR_MEMSLOTS:
		return MODKVM_MAX_MEMSLOTS;
	case KVM_CAP_ARM_VM_IPA_SIZE:
		return modkvm_host_ipa_limit();
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return modkvm_dirty_log_caps();
	case KVM_CAP_COALESCED_MMIO:	/* where the ring is in the vCPU mmap */
		return KVM_COALESCED_MMIO_PAGE_OFFSET;
	case KVM_CAP_GUEST_DEBUG_HW_BPS:
		return modkvm_debug_nr_brps();
	case KVM_CAP_GUEST_DEBUG_HW_WPS:
		return modkvm_debug_nr_wrps();
	case KVM_CAP_STEAL_TIME:
		return modkvm_pvtime_available();
	case KVM_CAP_ARM_EL1_32BIT:	/* AArch32 EL1 on every host CPU */
		return modkvm_arch_el1_32bit_supported();
	case KVM_CAP_IRQCHIP:		/* the in-kernel GICv3 (vgic/) */
	case KVM_CAP_DEVICE_CTRL:	/* its only device type */
		return modkvm_vgic_v3_available();
	case KVM_CAP_IRQFD:		/* into the in-kernel GICv3: irqfd.c */
	case KVM_CAP_IRQFD_RESAMPLE:
		return modkvm_vgic_v3_available();
	case KVM_CAP_IRQ_ROUTING:	/* the number of GSIs: irq_routing.c */
		return modkvm_vgic_v3_available() ? MODKVM_MAX_IRQ_ROUTES : 0;
	case KVM_CAP_SIGNAL_MSI:	/* through an ITS: vgic/vgic_its_dev.c */
		return modkvm_vgic_v3_available();
	case KVM_CAP_MSI_DEVID:		/* as KVM: a VM's, once it has an ITS */
		if (!modkvm_vgic_v3_available())
			return 0;
		return vm ? modkvm_vgic_has_its(vm) : -EINVAL;
	case KVM_CAP_ARM_PTRAUTH_ADDRESS:	/* both kinds, system-wide */
	case KVM_CAP_ARM_PTRAUTH_GENERIC:
		return modkvm_arch_ptrauth_supported();
	}
	for (i = 0; i < ARRAY_SIZE(modkvm_caps_one); i++)
		if (modkvm_caps_one[i] == cap)
			return 1;
	return 0;
}

int modkvm_vm_enable_cap(struct modkvm_vm *vm, const struct kvm_enable_cap *cap)
{
	if (cap->flags)
		return -EINVAL;
	switch (cap->cap) {
	case KVM_CAP_ARM_NISV_TO_USER:
		vm->nisv_to_user = true;
		return 0;
	case KVM_CAP_ARM_SYSTEM_SUSPEND:
		mutex_lock(&vm->lock);
		WRITE_ONCE(vm->system_suspend, true);
		modkvm_smccc_fast_update(vm);	/* PSCI_FEATURES */
		mutex_unlock(&vm->lock);
		return 0;
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return modkvm_enable_manual_protect(vm, cap->args[0]);
	}
	return -EINVAL;
}
