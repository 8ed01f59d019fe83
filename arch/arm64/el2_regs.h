/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bits of the EL2 control registers modkvm programs, from the Arm
 * Architecture Reference Manual (DDI 0487). Named here rather than taken
 * from the in-kernel KVM's headers so modkvm stands on its own.
 */
#ifndef MODKVM_EL2_REGS_H
#define MODKVM_EL2_REGS_H

#include <linux/bits.h>

/* HCR_EL2 */
#define MK_HCR_VM		BIT_ULL(0)
#define MK_HCR_SWIO	BIT_ULL(1)
#define MK_HCR_FMO		BIT_ULL(3)
#define MK_HCR_IMO		BIT_ULL(4)
#define MK_HCR_AMO		BIT_ULL(5)
#define MK_HCR_VF		BIT_ULL(6)
#define MK_HCR_VI		BIT_ULL(7)
#define MK_HCR_VSE		BIT_ULL(8)
#define MK_HCR_FB		BIT_ULL(9)
#define MK_HCR_BSU_IS	(1ULL << 10)
#define MK_HCR_TWI		BIT_ULL(13)
#define MK_HCR_TWE		BIT_ULL(14)
#define MK_HCR_TID2	BIT_ULL(17)
#define MK_HCR_TID3	BIT_ULL(18)
#define MK_HCR_TSC		BIT_ULL(19)
#define MK_HCR_TIDCP	BIT_ULL(20)
#define MK_HCR_TACR	BIT_ULL(21)
#define MK_HCR_TSW		BIT_ULL(22)
#define MK_HCR_TGE		BIT_ULL(27)
#define MK_HCR_RW		BIT_ULL(31)
#define MK_HCR_E2H		BIT_ULL(34)
#define MK_HCR_TLOR	BIT_ULL(35)
#define MK_HCR_TERR	BIT_ULL(36)
#define MK_HCR_TEA		BIT_ULL(37)
#define MK_HCR_APK		BIT_ULL(40)
#define MK_HCR_API		BIT_ULL(41)
#define MK_HCR_FWB		BIT_ULL(46)
#define MK_HCR_TID4	BIT_ULL(49)

/* TCR_EL2 with HCR_EL2.E2H clear (nVHE): one VA range, TTBR0_EL2 */
#define MK_TCR_T0SZ(bits)	(64ULL - (bits))
#define MK_TCR_IRGN0_WBWA	(1ULL << 8)
#define MK_TCR_ORGN0_WBWA	(1ULL << 10)
#define MK_TCR_SH0_INNER	(3ULL << 12)
#define MK_TCR_PS(x)		(((u64)(x) & 7) << 16)
#define MK_TCR_EL2_RES1	(BIT_ULL(31) | BIT_ULL(23))

/* SCTLR_EL2 */
#define MK_SCTLR_EL2_M		BIT_ULL(0)

/* ICH_HCR_EL2 (GICv3 virtual CPU interface control) */
#define MK_ICH_HCR_TC		BIT_ULL(10)	/* trap common ICC/ICV regs */
#define MK_ICH_HCR_TALL0	BIT_ULL(11)	/* trap Group 0 ICC/ICV regs */
#define MK_ICH_HCR_TALL1	BIT_ULL(12)	/* trap Group 1 ICC/ICV regs */
#define MK_ICH_HCR_EN		BIT_ULL(0)	/* virtual CPU interface on */
#define MK_ICH_HCR_NPIE	BIT_ULL(3)	/* maintenance: no LR pending */

/* ICH_LR<n>_EL2 (IHI 0069 12.5.9) */
#define MK_ICH_LR_VINTID	GENMASK_ULL(31, 0)
#define MK_ICH_LR_EOI		BIT_ULL(41)	/* maintenance on EOI */
#define MK_ICH_LR_PRIO		GENMASK_ULL(55, 48)
#define MK_ICH_LR_GROUP1	BIT_ULL(60)
#define MK_ICH_LR_PENDING	BIT_ULL(62)
#define MK_ICH_LR_ACTIVE	BIT_ULL(63)

/* ICH_VMCR_EL2: the guest's view of its CPU interface (IHI 0069, ICH_VMCR_EL2) */
#define MK_ICH_VMCR_ENG0	BIT_ULL(0)	/* ICV_IGRPEN0_EL1.Enable */
#define MK_ICH_VMCR_ENG1	BIT_ULL(1)	/* ICV_IGRPEN1_EL1.Enable */
#define MK_ICH_VMCR_CBPR	BIT_ULL(4)	/* ICV_CTLR_EL1.CBPR */
#define MK_ICH_VMCR_EOIM	BIT_ULL(9)	/* ICV_CTLR_EL1.EOImode */
#define MK_ICH_VMCR_BPR1	GENMASK_ULL(20, 18)	/* ICV_BPR1_EL1 */
#define MK_ICH_VMCR_BPR0	GENMASK_ULL(23, 21)	/* ICV_BPR0_EL1 */
#define MK_ICH_VMCR_PMR		GENMASK_ULL(31, 24)	/* ICV_PMR_EL1 */

/* ICH_VTR_EL2 (IHI 0069 12.5.11) */
#define MK_ICH_VTR_LISTREGS	GENMASK_ULL(4, 0)
#define MK_ICH_VTR_PRIBITS	GENMASK_ULL(31, 29)
/* ICH_AP0R<n>/AP1R<n>_EL2 implemented: 1 for 5 priority bits, 2 for 6, 4 for 7 */
#define MK_ICH_VTR_NR_APR(vtr)	((((vtr) >> 29) & 7) >= 6 ? 4 :		\
				 (((vtr) >> 29) & 7) == 5 ? 2 : 1)

/* ICC_SRE_EL2 */
#define MK_ICC_SRE_EL2_SRE	BIT_ULL(0)

/* MDCR_EL2 */
#define MK_MDCR_HPMN_MASK	GENMASK_ULL(4, 0)
#define MK_MDCR_TPMCR	BIT_ULL(5)
#define MK_MDCR_TPM	BIT_ULL(6)
#define MK_MDCR_TDE	BIT_ULL(8)
#define MK_MDCR_TDA	BIT_ULL(9)
#define MK_MDCR_TDOSA	BIT_ULL(10)
#define MK_MDCR_TDRA	BIT_ULL(11)
#define MK_MDCR_E2PB_MASK	GENMASK_ULL(13, 12)
#define MK_MDCR_TPMS	BIT_ULL(14)
#define MK_MDCR_TTRF	BIT_ULL(19)
#define MK_MDCR_E2TB_MASK	GENMASK_ULL(25, 24)
#define MK_MDCR_TDCC	BIT_ULL(27)

/* CNTHCTL_EL2 with HCR_EL2.E2H = 1 */
#define MK_CNTHCTL_EL1PCTEN	BIT_ULL(10)
#define MK_CNTHCTL_EL1PCEN		BIT_ULL(11)

/* CNTHCTL_EL2 with HCR_EL2.E2H = 0 (nVHE) */
#define MK_CNTHCTL_NVHE_EL1PCTEN	BIT_ULL(0)
#define MK_CNTHCTL_NVHE_EL1PCEN	BIT_ULL(1)

/* CPTR_EL2 with HCR_EL2.E2H = 0 (nVHE): trap bits */
#define MK_CPTR_NVHE_TZ	BIT_ULL(8)
#define MK_CPTR_NVHE_TFP	BIT_ULL(10)
#define MK_CPTR_NVHE_TSM	BIT_ULL(12)
#define MK_CPTR_NVHE_TTA	BIT_ULL(20)

/* CPTR_EL2 with HCR_EL2.E2H = 1 (CPACR_EL1 layout) */
#define MK_CPTR_ZEN_MASK	GENMASK_ULL(17, 16)
#define MK_CPTR_FPEN_MASK	GENMASK_ULL(21, 20)
#define MK_CPTR_SMEN_MASK	GENMASK_ULL(25, 24)
#define MK_CPTR_TTA	BIT_ULL(28)
#define MK_CPTR_TAM	BIT_ULL(30)
#define MK_CPTR_TCPAC	BIT_ULL(31)

/* VTCR_EL2 */
#define MK_VTCR_T0SZ(x)	((u64)(x) & 0x3f)
#define MK_VTCR_SL0(x)	(((u64)(x) & 3) << 6)
#define MK_VTCR_IRGN0_WBWA	(1ULL << 8)
#define MK_VTCR_ORGN0_WBWA	(1ULL << 10)
#define MK_VTCR_SH0_INNER	(3ULL << 12)
#define MK_VTCR_TG0_4K	(0ULL << 14)
#define MK_VTCR_PS(x)	(((u64)(x) & 7) << 16)
#define MK_VTCR_VS		BIT_ULL(19)
#define MK_VTCR_RES1	BIT_ULL(31)

/* VTTBR_EL2 */
#define MK_VTTBR_VMID_SHIFT	48

/* HPFAR_EL2 (named by <asm/sysreg.h> only from 6.2 on) */
#ifndef SYS_HPFAR_EL2
#define SYS_HPFAR_EL2	sys_reg(3, 4, 6, 0, 4)
#endif
/* HPFAR_EL2: FIPA is IPA[51:12] in bits [43:4] */
#define MK_HPFAR_FIPA_MASK	GENMASK_ULL(43, 4)

/* CNT*_CTL */
#define MK_CNT_CTL_ENABLE	BIT(0)
#define MK_CNT_CTL_IMASK	BIT(1)
#define MK_CNT_CTL_ISTATUS	BIT(2)

#endif /* MODKVM_EL2_REGS_H */
