// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of the in-kernel vGICv3 (virt/vgic/): what the hardware
 * offers it.
 *
 * A GICv3 guest needs the host's GICv3 CPU interface with its
 * virtualization part (ICH_*_EL2): ID_AA64PFR0_EL1.GIC says the system
 * register interface is implemented (DDI 0487 D19.2.64: 1 for GICv3 and
 * GICv4, 3 for GICv4.1); with it, EL2 has the ICH_* registers (IHI 0069
 * 12.4). A GICv2-only host has 0 and gets -ENODEV for the device.
 */
#include <asm/cpufeature.h>
#include <asm/sysreg.h>
#include <linux/bitfield.h>

#include "modkvm.h"

#define PFR0_GIC	GENMASK_ULL(27, 24)

bool modkvm_arch_vgic_v3_supported(void)
{
	return FIELD_GET(PFR0_GIC, read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1));
}
