// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: the guest's GICv3 CPU interface
 * registers (IHI 0069 12.2), for saving and restoring a vCPU. The attribute
 * names a register by its A64 encoding (op0, op1, CRn, CRm, op2 in 16
 * bits); the ones carried are those of arm-vgic-v3.rst's users: ICC_PMR,
 * BPR0, AP0R<n>, AP1R<n>, BPR1, CTLR, SRE, IGRPEN0, IGRPEN1 (_EL1).
 *
 * The interface this vGIC offers: 5 priority bits (so only AP0R0 and
 * AP1R0 exist: IHI 0069 12.2.2; the others are -EINVAL), 16 INTID bits,
 * A3V, no SEI; system registers only (ICC_SRE_EL1 reads SRE, DFB, DIB
 * set and must be restored with SRE set). Read-only fields of ICC_CTLR_EL1
 * written with more than this offers are refused (-EINVAL): the guest
 * would have seen an interface this one is not.
 */
#include <linux/kernel.h>

#include "vgic.h"

#define ENC(op0, op1, crn, crm, op2) \
	(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))

#define ICC_PMR_EL1		ENC(3, 0, 4, 6, 0)
#define ICC_BPR0_EL1		ENC(3, 0, 12, 8, 3)
#define ICC_AP0R0_EL1		ENC(3, 0, 12, 8, 4)	/* ..AP0R3: op2 4-7 */
#define ICC_AP1R0_EL1		ENC(3, 0, 12, 9, 0)	/* ..AP1R3: op2 0-3 */
#define ICC_BPR1_EL1		ENC(3, 0, 12, 12, 3)
#define ICC_CTLR_EL1		ENC(3, 0, 12, 12, 4)
#define ICC_SRE_EL1		ENC(3, 0, 12, 12, 5)
#define ICC_IGRPEN0_EL1		ENC(3, 0, 12, 12, 6)
#define ICC_IGRPEN1_EL1		ENC(3, 0, 12, 12, 7)

#define VGIC_PRI_BITS		5
#define CTLR_CBPR		BIT(0)
#define CTLR_EOIMODE		BIT(1)
#define CTLR_PRIBITS		GENMASK_ULL(10, 8)
#define CTLR_IDBITS		GENMASK_ULL(13, 11)
#define CTLR_SEIS		BIT(14)
#define CTLR_A3V		BIT(15)
/* read-only: PRIbits - 1, IDbits 0 (16 bits), A3V */
#define CTLR_RO			(((u64)(VGIC_PRI_BITS - 1) << 8) | CTLR_A3V)
#define SRE_VALUE		0x7		/* SRE, DFB, DIB */
/* BPR minimum for 5 priority bits (IHI 0069 4.8.3): group 0 2, group 1 3 */
#define BPR0_MIN		(7 - VGIC_PRI_BITS)
#define BPR1_MIN		(BPR0_MIN + 1)

static const struct modkvm_vgic_icc icc_reset = {
	.bpr0 = BPR0_MIN,
	.bpr1 = BPR1_MIN,
};

/* At INIT: the CPU interface as the guest finds it out of reset */
void vgic_icc_reset(struct modkvm_vcpu *vcpu)
{
	modkvm_arch_vgic_set_icc(vcpu, &icc_reset);
}

static int ctlr_access(struct modkvm_vgic_icc *icc, u64 *val, bool write)
{
	if (!write) {
		*val = icc->ctlr | CTLR_RO;
		return 0;
	}
	if ((*val & CTLR_PRIBITS) > (CTLR_RO & CTLR_PRIBITS) ||
	    (*val & CTLR_IDBITS) || (*val & CTLR_SEIS) ||
	    ((*val & CTLR_A3V) && !(CTLR_RO & CTLR_A3V)))
		return -EINVAL;
	icc->ctlr = *val & (CTLR_CBPR | CTLR_EOIMODE);
	return 0;
}

static int u64_field(u64 *reg, u64 *val, bool write, u64 mask, u64 min)
{
	if (!write)
		*val = *reg;
	else
		*reg = max(*val & mask, min);
	return 0;
}

/* 0, -ENOENT for a register this group does not carry, -EINVAL (see above) */
static int icc_access(struct modkvm_vgic_icc *icc, u32 instr, u64 *val,
		      bool write)
{
	unsigned int n;

	switch (instr) {
	case ICC_PMR_EL1:
		return u64_field(&icc->pmr, val, write, 0xff, 0);
	case ICC_BPR0_EL1:
		return u64_field(&icc->bpr0, val, write, 7, BPR0_MIN);
	case ICC_BPR1_EL1:
		return u64_field(&icc->bpr1, val, write, 7, BPR1_MIN);
	case ICC_IGRPEN0_EL1:
		return u64_field(&icc->igrpen0, val, write, 1, 0);
	case ICC_IGRPEN1_EL1:
		return u64_field(&icc->igrpen1, val, write, 1, 0);
	case ICC_CTLR_EL1:
		return ctlr_access(icc, val, write);
	case ICC_SRE_EL1:
		if (!write)
			*val = SRE_VALUE;
		else if (!(*val & 1))
			return -EINVAL;	/* a memory-mapped interface: none */
		return 0;
	case ICC_AP0R0_EL1 ... ICC_AP0R0_EL1 + 3:
	case ICC_AP1R0_EL1 ... ICC_AP1R0_EL1 + 3:
		n = instr & 3;
		if (n)			/* only APR0 with 5 priority bits */
			return -EINVAL;
		if (instr >= ICC_AP1R0_EL1) {
			if (!write)
				*val = icc->ap1r[0];
			else
				icc->ap1r[0] = *val;
		} else {
			if (!write)
				*val = icc->ap0r[0];
			else
				icc->ap0r[0] = *val;
		}
		return 0;
	}
	return -ENOENT;		/* what KVM answers, not the -ENXIO of the doc */
}

/*
 * CPU_SYSREGS for @vcpu, stopped. Before INIT the vCPU has no vGIC state
 * yet: only whether the register exists is answered (has_attr).
 */
int vgic_icc_access(struct modkvm_vcpu *vcpu, u32 instr, u64 *val,
		    bool write)
{
	struct modkvm_vgic_icc icc = icc_reset;
	int ret;

	if (!vcpu->vgic)
		return icc_access(&icc, instr, val, false);
	modkvm_arch_vgic_get_icc(vcpu, &icc);
	ret = icc_access(&icc, instr, val, write);
	if (!ret && write)
		modkvm_arch_vgic_set_icc(vcpu, &icc);
	return ret;
}
