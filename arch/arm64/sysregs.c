// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: trapped system register accesses (EC 0x18).
 *
 * Emulated: the feature ID registers (TID3), read-only, with the values
 * of id_regs.c; the pointer authentication keys do not trap for a VM that
 * has the feature (HCR_EL2.APK), for other VMs they do and UNDEF; ACTLR_EL1 (RAZ/WI); CPACR_EL1 (CPTR_EL2.TCPAC: FPEN and TTA
 * kept, SVE/SME enables RES0); set/way cache maintenance (the whole guest
 * is cleaned and invalidated); the self-hosted debug block: MDSCR, the
 * OS lock (OSLAR/OSLSR), OSDLR, MDCCINT, the claim tags and the DCC
 * status, and the value and control registers of the breakpoints and
 * watchpoints ID_AA64DFR0_EL1 advertises (the host's counts), kept in the
 * same per-vCPU copies KVM_{GET,SET}_ONE_REG reach and put into the
 * hardware while the guest runs (debug.c: MDSCR, the breakpoints and
 * watchpoints, the OS lock and double lock take effect; MDCCINT, the
 * claim tags and the DCC are stored only, there is no debugger behind
 * them); the EL1 physical timer
 * (CNTP_CTL/CVAL/TVAL, against the physical counter: no offset); the RAS
 * error record registers, RAZ/WI as RAS is hidden. Everything else that
 * traps - PMU, SPE, trace, AMU, LORegions, the GIC CPU interface (no
 * in-kernel GIC), implementation defined registers, writes to read-only
 * registers - is answered with an UNDEF injected into the guest.
 */
#include <linux/bitfield.h>
#include <linux/kernel.h>
#include <asm/barrier.h>
#include <asm/cpufeature.h>
#include <asm/esr.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "el2_regs.h"

/* Encodings (sys_reg() form: what esr_sys64_to_sysreg() yields) */
#define R_ACTLR_EL1		sys_reg(3, 0, 1, 0, 1)
#define R_CPACR_EL1		sys_reg(3, 0, 1, 0, 2)
#define R_DC_ISW		sys_reg(1, 0, 7, 6, 2)
#define R_DC_CSW		sys_reg(1, 0, 7, 10, 2)
#define R_DC_CISW		sys_reg(1, 0, 7, 14, 2)
#define R_OSDTRRX_EL1		sys_reg(2, 0, 0, 0, 2)
#define R_MDCCINT_EL1		sys_reg(2, 0, 0, 2, 0)
#define R_MDSCR_EL1		sys_reg(2, 0, 0, 2, 2)
#define R_OSDTRTX_EL1		sys_reg(2, 0, 0, 3, 2)
#define R_OSECCR_EL1		sys_reg(2, 0, 0, 6, 2)
#define R_MDRAR_EL1		sys_reg(2, 0, 1, 0, 0)
#define R_OSLAR_EL1		sys_reg(2, 0, 1, 0, 4)
#define R_OSLSR_EL1		sys_reg(2, 0, 1, 1, 4)
#define R_OSDLR_EL1		sys_reg(2, 0, 1, 3, 4)
#define R_DBGPRCR_EL1		sys_reg(2, 0, 1, 4, 4)
#define R_DBGCLAIMSET_EL1	sys_reg(2, 0, 7, 8, 6)
#define R_DBGCLAIMCLR_EL1	sys_reg(2, 0, 7, 9, 6)
#define R_DBGAUTHSTATUS_EL1	sys_reg(2, 0, 7, 14, 6)
#define R_MDCCSR_EL0		sys_reg(2, 3, 0, 1, 0)
#define R_DBGDTR_EL0		sys_reg(2, 3, 0, 4, 0)
#define R_DBGDTRRXTX_EL0	sys_reg(2, 3, 0, 5, 0)
#define R_CNTP_TVAL_EL0		sys_reg(3, 3, 14, 2, 0)
#define R_CNTP_CTL_EL0		sys_reg(3, 3, 14, 2, 1)
#define R_CNTP_CVAL_EL0		sys_reg(3, 3, 14, 2, 2)

#define CPACR_GUEST_MASK	(GENMASK_ULL(21, 20) | BIT_ULL(28)) /* FPEN, TTA */
#define MDSCR_TDCC		BIT_ULL(12)
#define MDCCINT_MASK		(BIT_ULL(29) | BIT_ULL(30))	/* TX, RX */
#define OSLSR_OSLK		BIT_ULL(1)
#define OSDLR_DLK		BIT_ULL(0)
#define CLAIM_MASK		0xffULL

static bool is_id_space(u32 enc)
{
	return sys_reg_Op0(enc) == 3 && sys_reg_Op1(enc) == 0 &&
	       sys_reg_CRn(enc) == 0 && sys_reg_CRm(enc) >= 1 &&
	       sys_reg_CRm(enc) <= 7;
}

struct sys_access {
	u32 enc;
	bool read;
	u64 val;	/* written value in, read value out */
};

static u64 cntpct(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

static bool access_ptimer(struct modkvm_vcpu *vcpu, struct sys_access *p)
{
	u64 *sys = vcpu->arch.sys, now = cntpct();
	u64 ctl = sys[SR_CNTP_CTL_EL0];

	switch (p->enc) {
	case R_CNTP_CTL_EL0:
		if (!p->read) {
			sys[SR_CNTP_CTL_EL0] = p->val &
					       (MK_CNT_CTL_ENABLE | MK_CNT_CTL_IMASK);
			return true;
		}
		p->val = ctl & (MK_CNT_CTL_ENABLE | MK_CNT_CTL_IMASK);
		if ((ctl & MK_CNT_CTL_ENABLE) && now >= sys[SR_CNTP_CVAL_EL0])
			p->val |= MK_CNT_CTL_ISTATUS;
		return true;
	case R_CNTP_CVAL_EL0:
		if (p->read)
			p->val = sys[SR_CNTP_CVAL_EL0];
		else
			sys[SR_CNTP_CVAL_EL0] = p->val;
		return true;
	default:	/* TVAL: a signed 32-bit distance to CVAL */
		if (p->read)
			p->val = lower_32_bits(sys[SR_CNTP_CVAL_EL0] - now);
		else
			sys[SR_CNTP_CVAL_EL0] = now + sign_extend64(p->val, 31);
		return true;
	}
}

/*
 * DBGB{V,C}R<n>_EL1, DBGW{V,C}R<n>_EL1: op0 2, op1 0, CRn 0, CRm n, op2
 * 4..7 (BVR, BCR, WVR, WCR); those of the breakpoints and watchpoints not
 * advertised UNDEF.
 */
static bool access_bp_wp(struct modkvm_vcpu *vcpu, struct sys_access *p)
{
	static const struct {
		enum modkvm_sysreg first;
		u64 mask;
	} regs[] = {
		{ SR_DBGBVR0_EL1, MODKVM_DBG_BVR_MASK },
		{ SR_DBGBCR0_EL1, MODKVM_DBG_BCR_MASK },
		{ SR_DBGWVR0_EL1, MODKVM_DBG_WVR_MASK },
		{ SR_DBGWCR0_EL1, MODKVM_DBG_WCR_MASK },
	};
	unsigned int n = sys_reg_CRm(p->enc), op2 = sys_reg_Op2(p->enc);
	u64 *reg;

	if (n >= (op2 < 6 ? modkvm_debug_nr_brps() : modkvm_debug_nr_wrps()))
		return false;
	reg = &vcpu->arch.sys[regs[op2 - 4].first + n];
	if (p->read)
		p->val = *reg;
	else
		*reg = p->val & regs[op2 - 4].mask;
	return true;
}

/* The DCC registers reach us from EL0 only if MDSCR_EL1.TDCC allows. */
static bool dcc_allowed(struct modkvm_vcpu *vcpu)
{
	u64 pstate = vcpu->arch.gp.pstate;
	bool el0 = (pstate & PSR_MODE32_BIT) ?
		   (pstate & PSR_AA32_MODE_MASK) == PSR_AA32_MODE_USR :
		   (pstate & PSR_MODE_MASK) == PSR_MODE_EL0t;

	return !el0 || !(vcpu->arch.sys[SR_MDSCR_EL1] & MDSCR_TDCC);
}

static bool access_debug(struct modkvm_vcpu *vcpu, struct sys_access *p)
{
	u64 *sys = vcpu->arch.sys;

	switch (p->enc) {
	case R_MDSCR_EL1:
		if (p->read)
			p->val = sys[SR_MDSCR_EL1];
		else
			sys[SR_MDSCR_EL1] = lower_32_bits(p->val);
		return true;
	case R_MDCCINT_EL1:
		if (p->read)
			p->val = sys[SR_MDCCINT_EL1];
		else
			sys[SR_MDCCINT_EL1] = p->val & MDCCINT_MASK;
		return true;
	case R_OSLAR_EL1:		/* write-only */
		if (p->read)
			return false;
		if (p->val & 1)
			sys[SR_OSLSR_EL1] |= OSLSR_OSLK;
		else
			sys[SR_OSLSR_EL1] &= ~OSLSR_OSLK;
		return true;
	case R_OSLSR_EL1:		/* read-only */
		if (!p->read)
			return false;
		p->val = sys[SR_OSLSR_EL1];
		return true;
	case R_OSDLR_EL1:
		if (p->read)
			p->val = sys[SR_OSDLR_EL1];
		else
			sys[SR_OSDLR_EL1] = p->val & OSDLR_DLK;
		return true;
	case R_DBGCLAIMSET_EL1:		/* reads: the implemented tags */
		if (p->read)
			p->val = CLAIM_MASK;
		else
			sys[SR_DBGCLAIM] |= p->val & CLAIM_MASK;
		return true;
	case R_DBGCLAIMCLR_EL1:		/* reads: the tags set */
		if (p->read)
			p->val = sys[SR_DBGCLAIM];
		else
			sys[SR_DBGCLAIM] &= ~(p->val & CLAIM_MASK);
		return true;
	case R_MDCCSR_EL0:		/* read-only: nothing to send/receive */
		if (!p->read || !dcc_allowed(vcpu))
			return false;
		p->val = 0;
		return true;
	case R_DBGDTR_EL0:
	case R_DBGDTRRXTX_EL0:
		if (!dcc_allowed(vcpu))
			return false;
		if (p->read)
			p->val = 0;
		return true;
	case R_MDRAR_EL1:		/* read-only: no memory-mapped debug */
	case R_DBGAUTHSTATUS_EL1:
		if (!p->read)
			return false;
		p->val = 0;
		return true;
	case R_DBGPRCR_EL1:
	case R_OSDTRRX_EL1:
	case R_OSDTRTX_EL1:
	case R_OSECCR_EL1:
		if (p->read)
			p->val = 0;
		return true;
	}

	if (sys_reg_Op0(p->enc) == 2 && sys_reg_Op1(p->enc) == 0 &&
	    sys_reg_CRn(p->enc) == 0 && sys_reg_Op2(p->enc) >= 4)
		return access_bp_wp(vcpu, p);
	return false;
}

/* ERRIDR, ERRSELR, ERX*: op0 3, op1 0, CRn 5, CRm 3..5 */
static bool is_ras_reg(u32 enc)
{
	return sys_reg_Op0(enc) == 3 && sys_reg_Op1(enc) == 0 &&
	       sys_reg_CRn(enc) == 5 && sys_reg_CRm(enc) >= 3 &&
	       sys_reg_CRm(enc) <= 5;
}

/* true: emulated (p->val holds a read's result); false: UNDEF */
static bool emulate(struct modkvm_vcpu *vcpu, struct sys_access *p)
{
	if (is_id_space(p->enc)) {
		if (!p->read)
			return false;
		p->val = modkvm_vm_id_reg(vcpu->vm, p->enc);
		return true;
	}

	switch (p->enc) {
	case R_ACTLR_EL1:
		if (p->read)
			p->val = 0;
		return true;
	case R_CPACR_EL1:
		if (p->read)
			p->val = vcpu->arch.sys[SR_CPACR_EL1];
		else
			vcpu->arch.sys[SR_CPACR_EL1] = p->val & CPACR_GUEST_MASK;
		return true;
	case R_DC_ISW:
	case R_DC_CSW:
	case R_DC_CISW:
		if (p->read)
			return false;
		/* with forced write-back the caches hide nothing from it */
		if (!vcpu->vm->s2.fwb)
			modkvm_flush_guest_dcache(vcpu->vm);
		return true;
	case R_CNTP_CTL_EL0:
	case R_CNTP_CVAL_EL0:
	case R_CNTP_TVAL_EL0:
		return access_ptimer(vcpu, p);
	}

	if (sys_reg_Op0(p->enc) == 2)
		return access_debug(vcpu, p);
	if (is_ras_reg(p->enc)) {
		if (p->read)
			p->val = 0;
		return true;
	}
	return false;
}

/*
 * Emulate an access to the system register of AArch64 encoding @encoding
 * (for cp15.c, whose AArch32 registers map onto these); false: UNDEF.
 */
bool modkvm_sysreg_emulate(struct modkvm_vcpu *vcpu, u32 encoding, bool read,
			   u64 *val)
{
	struct sys_access p = { .enc = encoding, .read = read, .val = *val };

	if (!emulate(vcpu, &p))
		return false;
	*val = p.val;
	return true;
}

int modkvm_handle_sysreg(struct modkvm_vcpu *vcpu)
{
	u64 esr = vcpu->arch.exit.esr;
	unsigned int rt = (esr & ESR_ELx_SYS64_ISS_RT_MASK) >>
			  ESR_ELx_SYS64_ISS_RT_SHIFT;
	struct sys_access p = {
		.enc = esr_sys64_to_sysreg(esr),
		.read = (esr & ESR_ELx_SYS64_ISS_DIR_MASK) ==
			ESR_ELx_SYS64_ISS_DIR_READ,
	};

	if (!p.read)
		p.val = modkvm_get_reg(&vcpu->arch, rt);	/* 31: XZR */
	if (!emulate(vcpu, &p)) {
		modkvm_inject_undef(vcpu);
		return 1;
	}
	if (p.read)
		modkvm_set_reg(&vcpu->arch, rt, p.val);		/* 31: discard */
	modkvm_skip_instr(&vcpu->arch);
	return 1;
}
