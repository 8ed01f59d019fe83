// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's PTP vendor call (Documentation/virt/kvm/arm/ptp_kvm.rst), offered
 * while bit 1 of KVM_REG_ARM_VENDOR_HYP_BMAP is set (smccc.c): the host's
 * wall clock (CLOCK_REALTIME, ns) together with the value the guest's
 * virtual (KVM_PTP_VIRT_COUNTER) or physical (KVM_PTP_PHYS_COUNTER)
 * counter had at that instant, which lets the guest's ptp_kvm driver keep
 * its clock in step with the host.
 *
 * Both are taken in one timekeeping snapshot, so they belong together
 * only when the host's clocksource is the Arm generic counter; on a host
 * running another clocksource the call answers NOT_SUPPORTED. The host
 * runs at EL2 (VHE), where the counter it reads is the physical count;
 * the guest's physical and virtual counters are that count minus the
 * VM's physical and virtual offsets.
 *
 * x0 = wall clock [63:32], x1 = [31:0], x2 = counter [63:32], x3 = [31:0];
 * an unknown counter selector is NOT_SUPPORTED.
 */
#include <linux/arm-smccc.h>
#include <linux/clocksource_ids.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>

#include "modkvm.h"

void modkvm_ptp_call(struct modkvm_vcpu *vcpu)
{
	u32 counter = lower_32_bits(modkvm_get_reg(&vcpu->arch, 1));
	struct system_time_snapshot snap;
	u64 cycles, ns;

	if (counter != KVM_PTP_VIRT_COUNTER && counter != KVM_PTP_PHYS_COUNTER)
		goto unsupported;

	ktime_get_snapshot(&snap);
	if (snap.cs_id != CSID_ARM_ARCH_COUNTER)
		goto unsupported;
	cycles = snap.cycles;
	cycles -= counter == KVM_PTP_VIRT_COUNTER ?
		  READ_ONCE(vcpu->vm->cntvoff) : READ_ONCE(vcpu->vm->cntpoff);
	ns = ktime_to_ns(snap.real);

	modkvm_set_reg(&vcpu->arch, 0, upper_32_bits(ns));
	modkvm_set_reg(&vcpu->arch, 1, lower_32_bits(ns));
	modkvm_set_reg(&vcpu->arch, 2, upper_32_bits(cycles));
	modkvm_set_reg(&vcpu->arch, 3, lower_32_bits(cycles));
	return;

unsupported:
	modkvm_set_reg(&vcpu->arch, 0, (u64)SMCCC_RET_NOT_SUPPORTED);
}
