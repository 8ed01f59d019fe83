// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: trapped AArch32 coprocessor accesses (MCR/MRC and
 * MCRR/MRRC to CP15 and CP14, LDC/STC to CP14, VMRS of the FP ID
 * registers), from a guest whose EL1 is AArch32.
 *
 * What traps is set by HCR_EL2 (reset.c), MDCR_EL2, CPTR_EL2 and
 * CNTHCTL_EL2 (hyp/vhe/switch.c); everything else the guest reaches
 * natively.
 * The registers emulated here are those that map onto AArch64 registers
 * sys_regs.c already emulates, and are handled there by their AArch64
 * encoding:
 *   - the feature ID registers (TID3): MRC p15, 0, <Rt>, c0, c1-c3 and
 *     VMRS of MVFR0/1/2, the AArch32 view of modkvm_vm_id_reg();
 *     c0, c4-c7 are reserved and read as zero;
 *   - CTR, CCSIDR, CLIDR and CSSELR (TID2, or TID4 but CTR): the
 *     cache hierarchy of cache_id.c;
 *   - ACTLR and ACTLR2 (TACR): RAZ/WI;
 *   - CPACR (CPTR_EL2.TCPAC): cp10 (and cp11, which follows it) and
 *     TRCDIS are CPACR_EL1.FPEN and TTA; ASEDIS is RAZ/WI;
 *   - DCISW, DCCSW, DCCISW (TSW): the whole guest is cleaned and
 *     invalidated;
 *   - the EL1 physical timer (CNTHCTL_EL2.EL1PCEN clear): CNTP_CTL,
 *     CNTP_TVAL and, by MCRR/MRRC, CNTP_CVAL; and the physical counter
 *     CNTPCT by MRRC while the VM's is offset (EL1PCTEN clear);
 *   - DBGDIDR in CP14 reads as zero: no AArch32 debug (ID_DFR0 is 0).
 * Everything else that traps (PMU, the other CP14 debug, trace and OS lock
 * registers, implementation defined registers, GIC system registers,
 * writes to read-only registers, LDC/STC) UNDEFs. A conditional
 * instruction trapped although it failed its condition does nothing.
 */
#include <linux/bitfield.h>
#include <asm/esr.h>
#include <asm/sysreg.h>

#include "modkvm.h"

/* ISS of MCR/MRC (and VMRS): Opc2, Opc1, CRn, Rt, CRm, direction */
#define ISS32_OP2		GENMASK_ULL(19, 17)
#define ISS32_OP1		GENMASK_ULL(16, 14)
#define ISS32_CRN		GENMASK_ULL(13, 10)
#define ISS_RT			GENMASK_ULL(9, 5)
#define ISS_CRM			GENMASK_ULL(4, 1)
#define ISS_READ		BIT_ULL(0)
/* ISS of MCRR/MRRC: Opc1, Rt2, Rt, CRm, direction */
#define ISS64_OP1		GENMASK_ULL(19, 16)
#define ISS64_RT2		GENMASK_ULL(14, 10)

/* AArch32 CPACR: cp10 [21:20], cp11 [23:22], TRCDIS [28], ASEDIS [31] */
#define CPACR_CP10		GENMASK_ULL(21, 20)
#define CPACR_CP11		GENMASK_ULL(23, 22)
#define CPACR_TRCDIS		BIT_ULL(28)

/* VMRS <Rt>, <spec_reg>: the register number is reported in CRn */
#define VMRS_MVFR2		5
#define VMRS_MVFR1		6
#define VMRS_MVFR0		7

#define A64_CTR_EL0		sys_reg(3, 3, 0, 0, 1)
#define A64_CSSELR_EL1		sys_reg(3, 2, 0, 0, 0)
#define A64_ACTLR_EL1		sys_reg(3, 0, 1, 0, 1)
#define A64_CPACR_EL1		sys_reg(3, 0, 1, 0, 2)
#define A64_CNTPCT_EL0		sys_reg(3, 3, 14, 0, 1)
#define A64_CNTP_TVAL_EL0	sys_reg(3, 3, 14, 2, 0)
#define A64_CNTP_CTL_EL0	sys_reg(3, 3, 14, 2, 1)
#define A64_CNTP_CVAL_EL0	sys_reg(3, 3, 14, 2, 2)

struct cp_access {
	u32 op1, crn, crm, op2;
	bool read;
	u64 val;
};

static bool cp15_cpacr(struct modkvm_vcpu *vcpu, struct cp_access *p)
{
	u64 v;

	if (p->read) {
		v = 0;
		if (!modkvm_sysreg_emulate(vcpu, A64_CPACR_EL1, true, &v))
			return false;
		/* FPEN and TTA sit where cp10 and TRCDIS do */
		p->val = (v & (CPACR_CP10 | CPACR_TRCDIS)) |
			 FIELD_PREP(CPACR_CP11, FIELD_GET(CPACR_CP10, v));
		return true;
	}
	v = p->val & (CPACR_CP10 | CPACR_TRCDIS);
	return modkvm_sysreg_emulate(vcpu, A64_CPACR_EL1, false, &v);
}

/* MCR/MRC p15: true when emulated (p->val holds a read's result) */
static bool cp15_32(struct modkvm_vcpu *vcpu, struct cp_access *p)
{
	u32 enc;

	if (p->crn == 0 && p->op1 == 0 && p->crm >= 1) {
		/* the feature ID registers, read-only; c4-c7 read as zero */
		if (p->crm <= 3)
			return modkvm_sysreg_emulate(vcpu,
					sys_reg(3, 0, 0, p->crm, p->op2),
					p->read, &p->val);
		if (!p->read)
			return false;
		p->val = 0;
		return true;
	}
	if (p->crn == 0 && p->crm == 0) {
		/* CTR, CCSIDR, CLIDR, CSSELR (TID2/TID4): cache_id.c */
		if (p->op1 == 0 && p->op2 == 1)
			enc = A64_CTR_EL0;
		else if (p->op1 == 1 && p->op2 <= 1)
			enc = sys_reg(3, 1, 0, 0, p->op2);
		else if (p->op1 == 2 && p->op2 == 0)
			enc = A64_CSSELR_EL1;
		else
			return false;
		if (!modkvm_sysreg_emulate(vcpu, enc, p->read, &p->val))
			return false;
		p->val = (u32)p->val;
		return true;
	}
	if (p->op1 == 0 && p->crn == 1 && p->crm == 0) {
		switch (p->op2) {
		case 1:		/* ACTLR */
		case 3:		/* ACTLR2 */
			return modkvm_sysreg_emulate(vcpu, A64_ACTLR_EL1,
						     p->read, &p->val);
		case 2:
			return cp15_cpacr(vcpu, p);
		}
		return false;
	}
	if (p->op1 == 0 && p->crn == 7 && p->op2 == 2 &&
	    (p->crm == 6 || p->crm == 10 || p->crm == 14)) {
		/* DC{I,C,CI}SW: the same operations as DC ISW/CSW/CISW */
		enc = sys_reg(1, 0, 7, p->crm, 2);
		return modkvm_sysreg_emulate(vcpu, enc, p->read, &p->val);
	}
	if (p->op1 == 0 && p->crn == 14 && p->crm == 2 && p->op2 <= 1) {
		enc = p->op2 ? A64_CNTP_CTL_EL0 : A64_CNTP_TVAL_EL0;
		if (!modkvm_sysreg_emulate(vcpu, enc, p->read, &p->val))
			return false;
		p->val = (u32)p->val;
		return true;
	}
	return false;
}

/* MCRR/MRRC p15: CNTPCT (Opc1 0, CRm 14) and CNTP_CVAL (Opc1 2, CRm 14) */
static bool cp15_64(struct modkvm_vcpu *vcpu, struct cp_access *p)
{
	if (p->crm != 14 || (p->op1 != 0 && p->op1 != 2))
		return false;
	return modkvm_sysreg_emulate(vcpu, p->op1 ? A64_CNTP_CVAL_EL0 :
					   A64_CNTPCT_EL0, p->read, &p->val);
}

/* MCR/MRC p14: DBGDIDR reads as zero (no AArch32 debug) */
static bool cp14_32(struct modkvm_vcpu *vcpu, struct cp_access *p)
{
	if (p->read && !p->op1 && !p->crn && !p->crm && !p->op2) {
		p->val = 0;
		return true;
	}
	return false;
}

/* VMRS of MVFR0/1/2 (HCR_EL2.TID3) */
static bool cp10_id(struct modkvm_vcpu *vcpu, struct cp_access *p)
{
	if (!p->read || p->crn < VMRS_MVFR2 || p->crn > VMRS_MVFR0)
		return false;
	return modkvm_sysreg_emulate(vcpu,
				     sys_reg(3, 0, 0, 3, VMRS_MVFR0 - p->crn),
				     true, &p->val);
}

int modkvm_handle_cp_access(struct modkvm_vcpu *vcpu)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;
	u64 esr = a->exit.esr, ec = ESR_ELx_EC(esr);
	unsigned int rt = FIELD_GET(ISS_RT, esr), rt2 = 0;
	struct cp_access p = {
		.crm = FIELD_GET(ISS_CRM, esr),
		.read = esr & ISS_READ,
	};
	bool wide = ec == ESR_ELx_EC_CP15_64 || ec == ESR_ELx_EC_CP14_64;
	bool ok = false;

	if (!modkvm_aa32_cond_passed(a, esr)) {
		modkvm_skip_instr(a);
		return 1;
	}
	if (wide) {
		p.op1 = FIELD_GET(ISS64_OP1, esr);
		rt2 = FIELD_GET(ISS64_RT2, esr);
		if (!p.read)
			p.val = (u32)modkvm_get_reg(a, rt) |
				(u64)modkvm_get_reg(a, rt2) << 32;
	} else {
		p.op1 = FIELD_GET(ISS32_OP1, esr);
		p.crn = FIELD_GET(ISS32_CRN, esr);
		p.op2 = FIELD_GET(ISS32_OP2, esr);
		if (!p.read)
			p.val = (u32)modkvm_get_reg(a, rt);
	}

	switch (ec) {
	case ESR_ELx_EC_CP15_32:
		ok = cp15_32(vcpu, &p);
		break;
	case ESR_ELx_EC_CP15_64:
		ok = cp15_64(vcpu, &p);
		break;
	case ESR_ELx_EC_CP14_MR:
		ok = cp14_32(vcpu, &p);
		break;
	case ESR_ELx_EC_CP10_ID:
		ok = cp10_id(vcpu, &p);
		break;
	}	/* CP14 LDC/STC and MCRR/MRRC: nothing */
	if (!ok) {
		modkvm_inject_undef(vcpu);
		return 1;
	}

	if (p.read) {
		modkvm_set_reg(a, rt, (u32)p.val);
		if (wide)
			modkvm_set_reg(a, rt2, p.val >> 32);
	}
	modkvm_skip_instr(a);
	return 1;
}
