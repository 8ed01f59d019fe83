// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: trapped system register accesses (EC 0x18).
 *
 * Emulated: the feature ID registers (TID3), built from the host's
 * sanitised values with only the features modkvm really gives a guest
 * left visible (a whitelist per register: unknown or future fields read
 * as 0), the AArch32 ones for a VM whose EL1 is AArch32 only (others have
 * no AArch32 at all), pointer authentication for a VM that has it (its
 * key registers do not trap then: HCR_EL2.APK; for other VMs they do and
 * UNDEF); ACTLR_EL1 (RAZ/WI); CPACR_EL1 (CPTR_EL2.TCPAC: FPEN and TTA
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

#define ID_REG(crm, op2)	sys_reg(3, 0, 0, crm, op2)

#define CPACR_GUEST_MASK	(GENMASK_ULL(21, 20) | BIT_ULL(28)) /* FPEN, TTA */
#define MDSCR_TDCC		BIT_ULL(12)
#define MDCCINT_MASK		(BIT_ULL(29) | BIT_ULL(30))	/* TX, RX */
#define OSLSR_OSLK		BIT_ULL(1)
#define OSDLR_DLK		BIT_ULL(0)
#define CLAIM_MASK		0xffULL

#define F(hi, lo)		GENMASK_ULL(hi, lo)

/*
 * The ID registers a guest sees. @keep: fields passed through from the
 * host's sanitised value; @set: fixed field values. Registers missing
 * here read 0; the AArch32 ones are in aa32_id_regs.
 */
struct id_reg_policy {
	u32 enc;
	bool host;	/* start from read_sanitised_ftr_reg(enc) */
	u64 keep;
	u64 set;
};

static const struct id_reg_policy id_regs[] = {
	/*
	 * ID_AA64PFR0_EL1: EL0/EL1 AArch64 only, no EL2, GIC, RAS, SVE,
	 * SEL2, MPAM, AMU, RME; EL3, FP, AdvSIMD, DIT, CSV2, CSV3 as host
	 */
	{ ID_REG(4, 0), true,
	  F(15, 12) | F(19, 16) | F(23, 20) | F(51, 48) | F(59, 56) | F(63, 60),
	  (1ULL << 0) | (1ULL << 4) },
	/* ID_AA64PFR1_EL1: BT, SSBS, CSV2_frac; no MTE, SME, NMI, GCS... */
	{ ID_REG(4, 1), true, F(3, 0) | F(7, 4) | F(35, 32), 0 },
	/*
	 * ID_AA64DFR0_EL1: Armv8.0 debug; BRPs, WRPs and CTX_CMPs as the host
	 * (the guest's breakpoints are the hardware's: debug.c); no PMU, SPE,
	 * trace, BRBE; DoubleLock implemented (OSDLR is kept)
	 */
	{ ID_REG(5, 0), true, F(15, 12) | F(23, 20) | F(31, 28), 6ULL << 0 },
	/* ID_AA64ISAR0_EL1: all instruction sets but TME */
	{ ID_REG(6, 0), true, F(63, 28) | F(23, 4), 0 },
	/*
	 * ID_AA64ISAR1_EL1: no LS64; pointer auth (APA, API, GPA, GPI) only
	 * for a VM that has it (modkvm_vm_id_reg())
	 */
	{ ID_REG(6, 1), true,
	  F(3, 0) | F(15, 12) | F(19, 16) | F(23, 20) | F(35, 32) | F(39, 36) |
	  F(43, 40) | F(47, 44) | F(51, 48) | F(55, 52) | F(59, 56), 0 },
	/*
	 * ID_AA64ISAR2_EL1: RPRES, BC, CLRBHB, PRFMSLC, RPRFM, CSSC; no
	 * WFxT, MOPS, 128-bit system registers, ATS1A; pointer auth (APA3,
	 * GPA3) as in ID_AA64ISAR1_EL1
	 */
	{ ID_REG(6, 2), true,
	  F(7, 4) | F(23, 20) | F(31, 28) | F(43, 40) | F(51, 48) | F(55, 52),
	  0 },
	/* ID_AA64MMFR0_EL1: all but FGT and ECV */
	{ ID_REG(7, 0), true, F(47, 0), 0 },
	/*
	 * ID_AA64MMFR1_EL1: HAFDBS (at most 2), HPDS, PAN, SpecSEI, ETS, AFP,
	 * nTLBPA, CMOW, ECBHB; no VMIDBits, VH, LO, XNX, TWED, HCX, TIDCP1
	 */
	{ ID_REG(7, 1), true,
	  F(3, 0) | F(15, 12) | F(23, 20) | F(27, 24) | F(39, 36) | F(47, 44) |
	  F(51, 48) | F(59, 56) | F(63, 60), 0 },
	/* ID_AA64MMFR2_EL1: all but NV, FWB, EVT */
	{ ID_REG(7, 2), true,
	  F(23, 0) | F(39, 28) | F(55, 48) | F(63, 60), 0 },
};

/*
 * The AArch32 feature ID registers of a VM whose EL1 is AArch32 (the
 * AArch32 instruction sets, VMSAv8-32, the FP/SIMD of the host); read 0
 * by the others. No AArch32 debug, trace or PMU (ID_DFR0 0: the CP14
 * debug registers and the PMU UNDEF, cp15.c), no EL2 or EL3, no GIC
 * system registers, AMU or RAS, as in the AArch64 view.
 */
static const struct id_reg_policy aa32_id_regs[] = {
	/* ID_PFR0: A32, T32, Jazelle, T32EE, CSV2, DIT; no AMU, RAS */
	{ ID_REG(1, 0), true, F(19, 0) | F(27, 24), 0 },
	/* ID_PFR1: programmers' model, generic timer; no Security, EL2, GIC */
	{ ID_REG(1, 1), true, F(3, 0) | F(19, 16), 0 },
	/* ID_MMFR0..3: VMSA, shareability, cache and TLB maintenance, PAN */
	{ ID_REG(1, 4), true, F(31, 0), 0 },
	{ ID_REG(1, 5), true, F(31, 0), 0 },
	{ ID_REG(1, 6), true, F(31, 0), 0 },
	{ ID_REG(1, 7), true, F(31, 0), 0 },
	/* ID_ISAR0..5: the instruction sets */
	{ ID_REG(2, 0), true, F(31, 0), 0 },
	{ ID_REG(2, 1), true, F(31, 0), 0 },
	{ ID_REG(2, 2), true, F(31, 0), 0 },
	{ ID_REG(2, 3), true, F(31, 0), 0 },
	{ ID_REG(2, 4), true, F(31, 0), 0 },
	{ ID_REG(2, 5), true, F(31, 0), 0 },
	/* ID_MMFR4: SpecSEI, AC2, CnP, HPDS, LSM, CCIDX; no XNX, EVT */
	{ ID_REG(2, 6), true, F(7, 0) | F(27, 12), 0 },
	/* ID_ISAR6 */
	{ ID_REG(2, 7), true, F(31, 0), 0 },
	/* MVFR0..2: FP and Advanced SIMD */
	{ ID_REG(3, 0), true, F(31, 0), 0 },
	{ ID_REG(3, 1), true, F(31, 0), 0 },
	{ ID_REG(3, 2), true, F(31, 0), 0 },
	/* ID_PFR2: CSV3, SSBS; no RAS_frac */
	{ ID_REG(3, 4), true, F(7, 0), 0 },
	/* ID_MMFR5: ETS, nTLBPA */
	{ ID_REG(3, 6), true, F(7, 0), 0 },
};

#define PFR0_EL0_EL1		F(7, 0)
#define PFR0_EL0_EL1_AA32	0x22	/* EL0 and EL1: AArch64 and AArch32 */
#define PFR1_GENTIMER		F(19, 16)
#define MMFR1_HAFDBS		F(3, 0)

static u64 id_reg_value(const struct id_reg_policy *p)
{
	u64 val = p->host ? read_sanitised_ftr_reg(p->enc) & p->keep : 0;

	return val | p->set;
}

/* The AArch32 feature ID registers: op0 3, op1 0, CRn 0, CRm 1..3 */
static bool is_aa32_id_reg(u32 enc)
{
	return sys_reg_Op0(enc) == 3 && sys_reg_Op1(enc) == 0 &&
	       sys_reg_CRn(enc) == 0 && sys_reg_CRm(enc) >= 1 &&
	       sys_reg_CRm(enc) <= 3;
}

static u64 aa32_id_reg(u32 encoding)
{
	unsigned int i;
	u64 val;

	for (i = 0; i < ARRAY_SIZE(aa32_id_regs); i++) {
		if (aa32_id_regs[i].enc != encoding)
			continue;
		val = id_reg_value(&aa32_id_regs[i]);
		/* GenTimer 2 (CNTPOFF) is not offered, as ECV is not */
		if (encoding == ID_REG(1, 1) && FIELD_GET(PFR1_GENTIMER, val) > 1)
			val = (val & ~PFR1_GENTIMER) |
			      FIELD_PREP(PFR1_GENTIMER, 1);
		return val;
	}
	return 0;
}

static u64 width_id_reg(const struct modkvm_vm *vm, u32 encoding)
{
	if (!vm->arch.el1_32bit)
		return modkvm_guest_id_reg(encoding);
	if (is_aa32_id_reg(encoding))
		return aa32_id_reg(encoding);
	if (encoding == ID_REG(4, 0))
		return (modkvm_guest_id_reg(encoding) & ~PFR0_EL0_EL1) |
		       PFR0_EL0_EL1_AA32;
	return modkvm_guest_id_reg(encoding);
}

/*
 * Pointer authentication: APA, API, GPA, GPI in ID_AA64ISAR1_EL1, APA3
 * and GPA3 in ID_AA64ISAR2_EL1. The sanitised values are the system's:
 * a field reads 0 there unless every CPU has the same (reset.c offers
 * the feature only if the kernel's system-wide capabilities say so).
 */
#define ISAR1_PTRAUTH		(F(7, 4) | F(11, 8) | F(27, 24) | F(31, 28))
#define ISAR2_PTRAUTH		(F(11, 8) | F(15, 12))

static u64 ptrauth_fields(u32 encoding)
{
	if (encoding == ID_REG(6, 1))
		return read_sanitised_ftr_reg(encoding) & ISAR1_PTRAUTH;
	if (encoding == ID_REG(6, 2))
		return read_sanitised_ftr_reg(encoding) & ISAR2_PTRAUTH;
	return 0;
}

/*
 * The feature ID register @encoding as the vCPUs of @vm see it: the
 * AArch64-only view of modkvm_guest_id_reg(), or, for a VM whose EL1 is
 * AArch32, AArch32 at EL0 and EL1 and the AArch32 ID registers; with
 * pointer authentication for a VM that has it.
 */
u64 modkvm_vm_id_reg(const struct modkvm_vm *vm, u32 encoding)
{
	u64 val = width_id_reg(vm, encoding);

	if (vm->arch.ptrauth)
		val |= ptrauth_fields(encoding);
	return val;
}

/*
 * The AArch32 feature ID registers of a guest that has no AArch32: they
 * read as 0, and userspace may write any value to them, which is
 * ignored, as with KVM (a VMM moving a guest from a host that showed
 * AArch32 EL0 must not fail on them). ID_AFR0, ID_DFR1 and the two
 * unallocated encodings are not among them: they only take 0.
 */
bool modkvm_id_reg_user_wi(const struct modkvm_vm *vm, u32 encoding)
{
	if (vm->arch.el1_32bit)
		return false;
	if (sys_reg_Op0(encoding) != 3 || sys_reg_Op1(encoding) != 0 ||
	    sys_reg_CRn(encoding) != 0)
		return false;
	switch (sys_reg_CRm(encoding)) {
	case 1:		/* ID_PFR0, PFR1, DFR0, -, MMFR0..3 */
		return sys_reg_Op2(encoding) != 3;
	case 2:		/* ID_ISAR0..5, MMFR4, ISAR6 */
		return true;
	case 3:		/* MVFR0..2, -, ID_PFR2, -, ID_MMFR5, - */
		switch (sys_reg_Op2(encoding)) {
		case 0:
		case 1:
		case 2:
		case 4:
		case 6:
			return true;
		}
		return false;
	}
	return false;
}

#define PFR0_GIC		F(27, 24)

/*
 * A feature ID register as KVM_GET_ONE_REG shows it. It is the guest's
 * view (modkvm_vm_id_reg()) except for ID_AA64PFR0_EL1.GIC before the
 * VM's first KVM_RUN. As with KVM (Documentation/virt/kvm/arm/
 * vcpu-features.rst: the ID registers start at the most the system can
 * offer and are fixed by the first run), that field starts at 1 when
 * the host has a GICv3 system register interface, and the first run
 * fixes it to what the VM was given. A modkvm VM never has an in-kernel
 * GICv3 (KVM_CREATE_DEVICE and KVM_CAP_IRQCHIP say so), so from then on
 * it reads 0. The guest itself only ever reads 0, and its ICC_*
 * accesses UNDEF (reset.c: ICH_HCR_EL2).
 */
u64 modkvm_user_id_reg(const struct modkvm_vm *vm, u32 encoding)
{
	u64 val = modkvm_vm_id_reg(vm, encoding);

	/* Pairs with the release in modkvm_vm_mark_ran() */
	if (encoding == ID_REG(4, 0) && !smp_load_acquire(&vm->ran))
		val |= FIELD_PREP(PFR0_GIC, READ_ONCE(vm->arch.user_gic));
	return val;
}

/*
 * KVM_SET_ONE_REG of a feature ID register: the value KVM_GET_ONE_REG
 * gives, except that before the first run ID_AA64PFR0_EL1.GIC may be set
 * to anything from 0 (a VM restored from one that has run) up to what
 * the host offers. -EINVAL for any other value.
 */
int modkvm_set_user_id_reg(struct modkvm_vm *vm, u32 encoding, u64 val)
{
	u64 gic = FIELD_GET(PFR0_GIC, val);
	int ret = 0;

	if (encoding != ID_REG(4, 0))
		return val == modkvm_vm_id_reg(vm, encoding) ? 0 : -EINVAL;

	if ((val & ~PFR0_GIC) != modkvm_vm_id_reg(vm, encoding))
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->ran)
		ret = gic ? -EINVAL : 0;
	else if (gic > (vm->arch.ich_hcr ? 1 : 0))
		ret = -EINVAL;
	else
		WRITE_ONCE(vm->arch.user_gic, gic);
	mutex_unlock(&vm->lock);
	return ret;
}

static bool is_id_space(u32 enc)
{
	return sys_reg_Op0(enc) == 3 && sys_reg_Op1(enc) == 0 &&
	       sys_reg_CRn(enc) == 0 && sys_reg_CRm(enc) >= 1 &&
	       sys_reg_CRm(enc) <= 7;
}

u64 modkvm_guest_id_reg(u32 encoding)
{
	const struct id_reg_policy *p = NULL;
	unsigned int i;
	u64 val;

	for (i = 0; i < ARRAY_SIZE(id_regs); i++)
		if (id_regs[i].enc == encoding)
			p = &id_regs[i];
	if (!p)
		return 0;

	val = id_reg_value(p);
	/* HAFDBS 3 (HAFT) needs TCR2_EL1, which is not offered */
	if (encoding == ID_REG(7, 1) && FIELD_GET(MMFR1_HAFDBS, val) > 2)
		val = (val & ~MMFR1_HAFDBS) | FIELD_PREP(MMFR1_HAFDBS, 2);
	return val;
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
