// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: what the guest is told about the Spectre workarounds, as
 * the KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_<n> values (virt/psci.c answers
 * SMCCC_ARCH_FEATURES and the workaround calls with them, regs.c reports
 * them as firmware pseudo-registers). modkvm has no firmware mitigation
 * to offer, so a workaround is either not required (the guest's ID
 * registers say the CPU is not affected) or not available.
 */
#include <linux/bitfield.h>
#include <linux/kvm.h>
#include <asm/sysreg.h>

#include "modkvm.h"

/* ID fields the answers depend on */
#define PFR0_CSV2	GENMASK_ULL(59, 56)
#define MMFR1_ECBHB	GENMASK_ULL(63, 60)

u64 modkvm_arch_fw_workaround(unsigned int n)
{
	u64 pfr0 = modkvm_guest_id_reg(SYS_ID_AA64PFR0_EL1);
	u64 mmfr1 = modkvm_guest_id_reg(SYS_ID_AA64MMFR1_EL1);

	switch (n) {
	case 1:		/* Spectre v2: CSV2 */
		if (FIELD_GET(PFR0_CSV2, pfr0) >= 1)
			return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED;
		return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_AVAIL;
	case 3:		/* Spectre-BHB: CSV2_3 or ECBHB */
		if (FIELD_GET(PFR0_CSV2, pfr0) >= 3 ||
		    FIELD_GET(MMFR1_ECBHB, mmfr1) >= 1)
			return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_REQUIRED;
		return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_AVAIL;
	default:	/* 2, Spectre v4: the guest may use SSBS itself */
		return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL;
	}
}
