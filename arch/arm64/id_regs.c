// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: the feature ID registers a guest sees (HCR_EL2.TID3
 * traps its reads of them: sys_regs.c).
 *
 * They are built from the host's sanitised values with only the
 * features modkvm really gives a guest left visible (a whitelist per
 * register: unknown or future fields read as 0), and the fields that
 * only describe EL2 shown as the in-kernel KVM shows them, so that a
 * guest moves between the two: the AArch32 ones where the host runs
 * AArch32 at EL0, pointer authentication for a VM that has it. Here
 * too: what userspace sees of them through KVM_{GET,SET}_ONE_REG, and
 * may lower before the first run (modkvm_set_user_id_reg()).
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
 * here read 0; the AArch32 ones are in aa32_id_regs. On the emulated
 * server (-cpu max) they read as the in-kernel KVM's for a vCPU without
 * PMU or SVE (selftests/vcpu_reg_dump, compared by run-all).
 */
struct id_reg_policy {
	u32 enc;
	bool host;	/* start from read_sanitised_ftr_reg(enc) */
	u64 keep;
	u64 set;
};

static const struct id_reg_policy id_regs[] = {
	/*
	 * ID_AA64PFR0_EL1: EL0, EL1, EL2, EL3, FP, AdvSIMD, RAS (with no
	 * error records: sys_regs.c), SEL2, DIT, CSV2 (at most 1: modkvm
	 * does not switch SCXTNUM_ELx), CSV3 as the host, as the in-kernel
	 * KVM shows them (EL2, EL3 and SEL2 only describe levels the guest
	 * cannot reach); no SVE, MPAM, AMU, RME; GIC: modkvm_user_id_reg()
	 */
	{ ID_REG(4, 0), true,
	  F(23, 0) | F(31, 28) | F(39, 36) | F(51, 48) | F(59, 56) | F(63, 60),
	  0 },
	/* ID_AA64PFR1_EL1: BT, SSBS, CSV2_frac; no MTE, SME, NMI, GCS... */
	{ ID_REG(4, 1), true, F(3, 0) | F(7, 4) | F(35, 32), 0 },
	/*
	 * ID_AA64DFR0_EL1: DebugVer (at most Armv8.4, id_reg_value()),
	 * BRPs, WRPs and CTX_CMPs as the host (the guest's breakpoints are
	 * the hardware's: debug.c); no PMU, SPE, trace, BRBE; DoubleLock
	 * implemented (OSDLR is kept)
	 */
	{ ID_REG(5, 0), true, F(3, 0) | F(15, 12) | F(23, 20) | F(31, 28), 0 },
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
	 * ID_AA64MMFR1_EL1: HAFDBS (at most 2), VMIDBits, VH, HPDS, LO (no
	 * LORegions: sys_regs.c), PAN, SpecSEI, XNX, ETS, HCX, AFP, nTLBPA,
	 * CMOW, ECBHB; no TWED, TIDCP1. VMIDBits, VH, XNX and HCX describe
	 * EL2 only, shown as the in-kernel KVM shows them.
	 */
	{ ID_REG(7, 1), true,
	  F(31, 0) | F(39, 36) | F(43, 40) | F(47, 44) | F(51, 48) |
	  F(59, 56) | F(63, 60), 0 },
	/*
	 * ID_AA64MMFR2_EL1: all but CCIDX (CCSIDR_EL1 has the 32-bit
	 * format: cache_id.c), NV and EVT; FWB (EL2 only) as the in-kernel
	 * KVM shows it
	 */
	{ ID_REG(7, 2), true,
	  F(19, 0) | F(39, 28) | F(43, 40) | F(55, 48) | F(63, 60), 0 },
};

/*
 * The AArch32 feature ID registers (the AArch32 instruction sets,
 * VMSAv8-32, the FP/SIMD of the host), for every VM where the host runs
 * AArch32 at EL0, as the in-kernel KVM shows them: an AArch64 guest may
 * run AArch32 at EL0, a VM whose EL1 is AArch32 at EL1 too; 0 where the
 * host has no AArch32. No trace or PMU, no EL3, no AMU or RAS, as in the
 * AArch64 view; AArch32 debug (ID_DFR0) only for the EL0 of an AArch64
 * guest (an AArch32 EL1 has no CP14 debug registers: cp15.c); the GIC
 * field of ID_PFR1 as ID_AA64PFR0_EL1's (modkvm_user_id_reg()).
 */
static const struct id_reg_policy aa32_id_regs[] = {
	/* ID_PFR0: A32, T32, Jazelle, T32EE, CSV2, DIT; no AMU, RAS */
	{ ID_REG(1, 0), true, F(19, 0) | F(27, 24), 0 },
	/*
	 * ID_PFR1: programmers' model, Virtualization (EL2, which the guest
	 * cannot reach, shown as the in-kernel KVM does), generic timer; no
	 * Security
	 */
	{ ID_REG(1, 1), true, F(3, 0) | F(15, 12) | F(19, 16), 0 },
	/* ID_DFR0: CP14 and memory-mapped debug and trace; no PMU */
	{ ID_REG(1, 2), true, F(23, 0), 0 },
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
	/*
	 * ID_MMFR4: SpecSEI, AC2, XNX (EL2 only, shown as the in-kernel KVM
	 * shows it), CnP, HPDS, LSM; no CCIDX, EVT
	 */
	{ ID_REG(2, 6), true, F(23, 0), 0 },
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

#define PFR0_EL0		F(3, 0)
#define PFR0_EL0_EL1		F(7, 0)
#define PFR0_EL0_EL1_AA32	0x22	/* EL0 and EL1: AArch64 and AArch32 */
#define PFR0_GIC		F(27, 24)
#define PFR0_CSV2		F(59, 56)
#define PFR1_GENTIMER		F(19, 16)
#define PFR1_GIC		F(31, 28)
#define DFR0_DEBUGVER		F(3, 0)
#define DFR0_DEBUGVER_8P4	9
#define MMFR1_HAFDBS		F(3, 0)

/* @val with field @f at most @max */
static u64 cap_field(u64 val, u64 f, u64 max)
{
	if (((val & f) >> __ffs64(f)) > max)
		val = (val & ~f) | ((max << __ffs64(f)) & f);
	return val;
}

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

/* Every CPU runs AArch32 at EL0 */
static bool host_aa32_el0(void)
{
	return FIELD_GET(PFR0_EL0, read_sanitised_ftr_reg(ID_REG(4, 0))) == 2;
}

static u64 aa32_id_reg(const struct modkvm_vm *vm, u32 encoding)
{
	unsigned int i;
	u64 val;

	if (!host_aa32_el0() && !vm->arch.el1_32bit)
		return 0;
	if (encoding == ID_REG(1, 2) && vm->arch.el1_32bit)
		return 0;
	for (i = 0; i < ARRAY_SIZE(aa32_id_regs); i++) {
		if (aa32_id_regs[i].enc != encoding)
			continue;
		val = id_reg_value(&aa32_id_regs[i]);
		/* GenTimer 2 (CNTPOFF) is not offered, as ECV is not */
		if (encoding == ID_REG(1, 1))
			val = cap_field(val, PFR1_GENTIMER, 1);
		return val;
	}
	return 0;
}

static u64 width_id_reg(const struct modkvm_vm *vm, u32 encoding)
{
	if (is_aa32_id_reg(encoding))
		return aa32_id_reg(vm, encoding);
	if (vm->arch.el1_32bit && encoding == ID_REG(4, 0))
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
 * The feature ID register @encoding as modkvm offers it to the vCPUs of
 * @vm, before userspace lowers anything: the AArch64 view of
 * modkvm_guest_id_reg(), AArch32 at EL1 for a VM whose EL1 is AArch32,
 * the AArch32 ID registers, pointer authentication for a VM that has it.
 */
static u64 offered_id_reg(const struct modkvm_vm *vm, u32 encoding)
{
	u64 val = width_id_reg(vm, encoding);

	if (vm->arch.ptrauth)
		val |= ptrauth_fields(encoding);
	return val;
}

/*
 * The GIC fields (ID_AA64PFR0_EL1.GIC, ID_PFR1.GIC), not userspace's to
 * choose but through KVM_SET_ONE_REG before the first run (below): 1 for
 * a VM with the in-kernel vGIC; before the first run, as with KVM
 * (Documentation/virt/kvm/arm/vcpu-features.rst: the ID registers start
 * at the most the system can offer and are fixed by the first run), 1
 * when the host has a GICv3 system register interface, or what userspace
 * set it to; the first run fixes it to what the VM was given (0 without
 * the vGIC: the guest's ICC_* accesses UNDEF, reset.c: ICH_HCR_EL2).
 */
static u64 gic_field(const struct modkvm_vm *vm, u32 encoding, bool user)
{
	u64 gic = READ_ONCE(vm->arch.vgic) ? 1 : 0;

	/* Pairs with the release in modkvm_vm_mark_ran() */
	if (user && !smp_load_acquire(&vm->ran))
		gic |= READ_ONCE(vm->arch.user_gic);
	if (encoding == ID_REG(4, 0))
		return FIELD_PREP(PFR0_GIC, gic);
	if (encoding == ID_REG(1, 1) && aa32_id_reg(vm, encoding))
		return FIELD_PREP(PFR1_GIC, gic);
	return 0;
}

static u64 gic_mask(u32 encoding)
{
	return encoding == ID_REG(4, 0) ? PFR0_GIC :
	       encoding == ID_REG(1, 1) ? PFR1_GIC : 0;
}

/* The feature ID space: op0 3, op1 0, CRn 0, CRm 1..7; index or -1 */
static int id_index(u32 enc)
{
	if (sys_reg_Op0(enc) != 3 || sys_reg_Op1(enc) != 0 ||
	    sys_reg_CRn(enc) != 0 || sys_reg_CRm(enc) < 1 ||
	    sys_reg_CRm(enc) > 7)
		return -1;
	return (sys_reg_CRm(enc) - 1) * 8 + sys_reg_Op2(enc);
}

/* What the guest and userspace see, but the GIC fields */
static u64 id_reg_no_gic(const struct modkvm_vm *vm, u32 encoding)
{
	int i = id_index(encoding);

	if (i >= 0 && (READ_ONCE(vm->arch.id_lowered) & BIT_ULL(i)))
		return READ_ONCE(vm->arch.id_regs[i]) & ~gic_mask(encoding);
	return offered_id_reg(vm, encoding) & ~gic_mask(encoding);
}

/* The feature ID register @encoding as the vCPUs of @vm see it */
u64 modkvm_vm_id_reg(const struct modkvm_vm *vm, u32 encoding)
{
	return id_reg_no_gic(vm, encoding) | gic_field(vm, encoding, false);
}

/* ... and as KVM_GET_ONE_REG shows it */
u64 modkvm_user_id_reg(const struct modkvm_vm *vm, u32 encoding)
{
	return id_reg_no_gic(vm, encoding) | gic_field(vm, encoding, true);
}

/*
 * The AArch32 feature ID registers of a VM on a host without AArch32:
 * they read as 0, and userspace may write any value to them, which is
 * ignored, as with KVM (a VMM moving a guest from a host that showed
 * AArch32 EL0 must not fail on them). ID_AFR0, ID_DFR1 and the two
 * unallocated encodings are not among them: they only take 0.
 */
bool modkvm_id_reg_user_wi(const struct modkvm_vm *vm, u32 encoding)
{
	if (vm->arch.el1_32bit || host_aa32_el0() || !is_aa32_id_reg(encoding))
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
 * Fields userspace may not change (they must keep the offered value):
 * the breakpoint and context-aware breakpoint counts (debug.c arms what
 * the host has) and the PMU version (no PMU) of ID_AA64DFR0_EL1, the
 * pointer authentication fields (given by the vCPU features), the PMU
 * fields of ID_DFR0; and fields whose scale is signed (0xf: not
 * implemented), compared as such: FP, AdvSIMD, TGran4, TGran64,
 * DoubleLock.
 */
static u64 fixed_fields(u32 encoding)
{
	switch (encoding) {
	case ID_REG(5, 0):	/* ID_AA64DFR0_EL1 */
		return F(11, 8) | F(15, 12) | F(31, 28);
	case ID_REG(6, 1):
		return ISAR1_PTRAUTH;
	case ID_REG(6, 2):
		return ISAR2_PTRAUTH;
	case ID_REG(1, 2):	/* ID_DFR0: PerfMon */
		return F(27, 24);
	}
	return 0;
}

static u64 signed_fields(u32 encoding)
{
	switch (encoding) {
	case ID_REG(4, 0):	/* ID_AA64PFR0_EL1: FP, AdvSIMD */
		return F(19, 16) | F(23, 20);
	case ID_REG(5, 0):	/* ID_AA64DFR0_EL1: DoubleLock */
		return F(39, 36);
	case ID_REG(7, 0):	/* ID_AA64MMFR0_EL1: TGran4, TGran64 */
		return F(27, 24) | F(31, 28);
	}
	return 0;
}

/*
 * Does @val offer no more than @limit, field by field (Arm ARM D19.1.3,
 * the feature ID register fields: a lower value of an unsigned field, or
 * of a signed one compared as signed, offers less), with the fixed
 * fields equal?
 */
static bool id_val_within(u32 encoding, u64 val, u64 limit)
{
	u64 fixed = fixed_fields(encoding), sgn = signed_fields(encoding);
	unsigned int sh;

	for (sh = 0; sh < 64; sh += 4) {
		u64 f = 0xfULL << sh;
		u64 v = (val & f) >> sh, l = (limit & f) >> sh;

		if (fixed & f) {
			if (v != l)
				return false;
		} else if (sgn & f) {
			if (sign_extend64(v, 3) > sign_extend64(l, 3))
				return false;
		} else if (v > l) {
			return false;
		}
	}
	return true;
}

/*
 * KVM_SET_ONE_REG of a feature ID register, as api.rst and
 * vcpu-features.rst describe it for KVM: until the VM's first KVM_RUN
 * userspace may lower what the guest is told, a value for the whole VM
 * whose every field offers no more than modkvm offers (id_val_within())
 * and whose GIC field is at most 1 where the host has a GICv3 system
 * register interface, 0 otherwise; -EINVAL for any other value. Once the
 * VM has run: the value it has (0), or -EBUSY.
 */
int modkvm_set_user_id_reg(struct modkvm_vm *vm, u32 encoding, u64 val)
{
	u64 gmask = gic_mask(encoding), gic = (val & gmask) >> __ffs64(gmask ?: 1);
	int i = id_index(encoding), ret = 0;

	if (i < 0)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->ran) {
		ret = val == modkvm_user_id_reg(vm, encoding) ? 0 : -EBUSY;
	} else if (!id_val_within(encoding, val & ~gmask,
				  offered_id_reg(vm, encoding) & ~gmask) ||
		   gic > (vm->arch.ich_hcr ? 1 : 0)) {
		ret = -EINVAL;
	} else {
		if (gmask)
			WRITE_ONCE(vm->arch.user_gic, gic);
		WRITE_ONCE(vm->arch.id_regs[i], val & ~gmask);
		WRITE_ONCE(vm->arch.id_lowered,
			   vm->arch.id_lowered | BIT_ULL(i));
	}
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
	if (encoding == ID_REG(7, 1))
		val = cap_field(val, MMFR1_HAFDBS, 2);
	/* CSV2 2 (FEAT_CSV2_2) has SCXTNUM_ELx, which are not switched */
	if (encoding == ID_REG(4, 0))
		val = cap_field(val, PFR0_CSV2, 1);
	/* self-hosted debug up to Armv8.4, the reference's on the testbed */
	if (encoding == ID_REG(5, 0))
		val = cap_field(val, DFR0_DEBUGVER, DFR0_DEBUGVER_8P4);
	return val;
}
