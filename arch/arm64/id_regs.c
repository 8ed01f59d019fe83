// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: the feature ID registers a guest sees (HCR_EL2.TID3
 * traps its reads of them: sys_regs.c).
 *
 * They are built from the host's sanitised values with only the
 * features modkvm really gives a guest left visible (a whitelist per
 * register: unknown or future fields read as 0), the AArch32 ones for a
 * VM whose EL1 is AArch32 only (others have no AArch32 at all), pointer
 * authentication for a VM that has it. Here too: what userspace sees
 * and may write of them through KVM_{GET,SET}_ONE_REG.
 */
#include <linux/bitfield.h>
#include <linux/kernel.h>
#include <asm/barrier.h>
#include <asm/cpufeature.h>
#include <asm/sysreg.h>

#include "modkvm.h"

#define ID_REG(crm, op2)	sys_reg(3, 0, 0, crm, op2)

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
#define PFR0_GIC		F(27, 24)

u64 modkvm_vm_id_reg(const struct modkvm_vm *vm, u32 encoding)
{
	u64 val = width_id_reg(vm, encoding);

	if (vm->arch.ptrauth)
		val |= ptrauth_fields(encoding);
	/* a VM with the in-kernel vGIC has the GICv3 CPU interface */
	if (encoding == ID_REG(4, 0) && READ_ONCE(vm->arch.vgic))
		val |= FIELD_PREP(PFR0_GIC, 1);
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


/*
 * A feature ID register as KVM_GET_ONE_REG shows it. It is the guest's
 * view (modkvm_vm_id_reg()) except for ID_AA64PFR0_EL1.GIC before the
 * VM's first KVM_RUN. As with KVM (Documentation/virt/kvm/arm/
 * vcpu-features.rst: the ID registers start at the most the system can
 * offer and are fixed by the first run), that field starts at 1 when
 * the host has a GICv3 system register interface, and the first run
 * fixes it to what the VM was given: 1 for a VM with the in-kernel vGIC
 * (experimental, vgic_v3=1: virt/vgic/), 0 for any other. Without the
 * vGIC the guest itself only ever reads 0, and its ICC_* accesses UNDEF
 * (reset.c: ICH_HCR_EL2).
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

	if ((val & ~PFR0_GIC) != (modkvm_vm_id_reg(vm, encoding) & ~PFR0_GIC))
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->ran)
		ret = gic == (vm->arch.vgic ? 1 : 0) ? 0 : -EINVAL;
	else if (gic > (vm->arch.ich_hcr ? 1 : 0))
		ret = -EINVAL;
	else
		WRITE_ONCE(vm->arch.user_gic, gic);
	mutex_unlock(&vm->lock);
	return ret;
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
