// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: exceptions injected into a guest whose EL1 is AArch32.
 *
 * This does what the PE does when it takes an exception to an AArch32
 * EL1 mode (Arm ARM, AArch32.EnterMode): the CPSR goes to the SPSR of the
 * target mode (in the AArch32 SPSR layout), the return address plus the
 * exception's offset to that mode's LR; the CPSR takes the mode, masks I
 * (and A for an abort), clears IT, IL and SS, and takes T from SCTLR.TE
 * and E from SCTLR.EE; PAN is set unless SCTLR.SPAN, SSBS follows
 * SCTLR.DSSBS when the guest sees those features; execution goes on at
 * the vector (VBAR, or 0xffff0000 with SCTLR.V). Produced: Undefined
 * Instruction (LR = instruction + 4 for A32, + 2 for T32) and
 * synchronous external aborts, Prefetch (LR + 4, IFSR, IFAR) and Data
 * (LR + 8, DFSR with WnR, DFAR), with the fault status in the format
 * TTBCR.EAE selects. The fault registers are the AArch64 ones they are
 * mapped to: DFSR is ESR_EL1[31:0], IFSR is IFSR32_EL2, DFAR and IFAR
 * are FAR_EL1[31:0] and [63:32].
 */
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <asm/ptrace.h>

#include "modkvm.h"

/* Vector offsets */
#define VECT_UND		0x04
#define VECT_PABT		0x0c
#define VECT_DABT		0x10
#define HIGH_VECTORS		0xffff0000U

/* AArch32 SCTLR bits */
#define SCTLR_V			BIT_ULL(13)
#define SCTLR_SPAN		BIT_ULL(23)
#define SCTLR_EE		BIT_ULL(25)
#define SCTLR_TE		BIT_ULL(30)
#define SCTLR_DSSBS		BIT_ULL(31)

#define TTBCR_EAE		BIT_ULL(31)

/* Fault status: synchronous external abort, not on a table walk */
#define FSR_LPAE		BIT(9)
#define FSR_LD_SEA		0x10	/* long-descriptor STATUS */
#define FSR_SD_SEA		0x08	/* short-descriptor FS[3:0], FS[4] = 0 */
#define FSR_WNR			BIT(11)

/* In an AArch32 SPSR, DIT is bit 21; the AArch64 view has it at 24 */
#define SPSR_AA32_DIT		BIT_ULL(21)
#define PSR_SS			BIT_ULL(21)	/* AArch64 view only */

/* Guest features that shape the entry (AArch32 ID registers) */
#define MMFR3_PAN		GENMASK_ULL(19, 16)
#define PFR2_SSBS		GENMASK_ULL(7, 4)
#define ID_MMFR3		sys_reg(3, 0, 0, 1, 7)
#define ID_PFR2			sys_reg(3, 0, 0, 3, 4)

/* Where the SPSR and LR of a mode that takes exceptions live */
static u64 *banked_spsr(struct modkvm_arch_vcpu *a, u32 mode)
{
	if (mode == PSR_AA32_MODE_ABT)
		return &a->spsr_aa32[KVM_SPSR_ABT - 1];
	return &a->spsr_aa32[KVM_SPSR_UND - 1];
}

static unsigned int banked_lr(u32 mode)
{
	return mode == PSR_AA32_MODE_ABT ? 20 : 22;	/* LR_abt, LR_und */
}

/* The CPSR (in the AArch64 view of PSTATE) as an AArch32 SPSR holds it */
static u64 to_aa32_spsr(u64 psr)
{
	u64 spsr = psr & ~(PSR_AA32_DIT_BIT | PSR_SS);

	if (psr & PSR_AA32_DIT_BIT)
		spsr |= SPSR_AA32_DIT;
	return (u32)spsr;
}

static void enter_mode(struct modkvm_vcpu *vcpu, u32 mode, u32 vect,
		       u32 lr_offset)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;
	u64 old = a->gp.pstate, sctlr = a->sys[SR_SCTLR_EL1], new;
	u32 base;

	*banked_spsr(a, mode) = to_aa32_spsr(old);
	a->gp.x[banked_lr(mode)] = (u32)(a->gp.pc + lr_offset);

	/* Flags, GE, DIT, A and F carry over; IT, IL, SS, T, E are redone */
	new = old & (PSR_AA32_N_BIT | PSR_AA32_Z_BIT | PSR_AA32_C_BIT |
		     PSR_AA32_V_BIT | PSR_AA32_Q_BIT | PSR_AA32_GE_MASK |
		     PSR_AA32_DIT_BIT | PSR_AA32_PAN_BIT | PSR_AA32_SSBS_BIT |
		     PSR_AA32_A_BIT | PSR_AA32_F_BIT);
	new |= mode | PSR_AA32_I_BIT;
	if (mode == PSR_AA32_MODE_ABT)
		new |= PSR_AA32_A_BIT;
	if (sctlr & SCTLR_TE)
		new |= PSR_AA32_T_BIT;
	if (sctlr & SCTLR_EE)
		new |= PSR_AA32_E_BIT;
	if (!(sctlr & SCTLR_SPAN) &&
	    FIELD_GET(MMFR3_PAN, modkvm_vm_id_reg(vcpu->vm, ID_MMFR3)))
		new |= PSR_AA32_PAN_BIT;
	if (FIELD_GET(PFR2_SSBS, modkvm_vm_id_reg(vcpu->vm, ID_PFR2))) {
		new &= ~PSR_AA32_SSBS_BIT;
		if (sctlr & SCTLR_DSSBS)
			new |= PSR_AA32_SSBS_BIT;
	}
	a->gp.pstate = new;

	base = (sctlr & SCTLR_V) ? HIGH_VECTORS :
				   (u32)a->sys[SR_VBAR_EL1] & ~0x1fU;
	a->gp.pc = base + vect;
}

void modkvm_aa32_inject_undef(struct modkvm_vcpu *vcpu)
{
	bool t32 = vcpu->arch.gp.pstate & PSR_AA32_T_BIT;

	enter_mode(vcpu, PSR_AA32_MODE_UND, VECT_UND, t32 ? 2 : 4);
}

static u32 fsr_sea(struct modkvm_vcpu *vcpu)
{
	if (vcpu->arch.sys[SR_TCR_EL1] & TTBCR_EAE)
		return FSR_LPAE | FSR_LD_SEA;
	return FSR_SD_SEA;
}

void modkvm_aa32_inject_dabt(struct modkvm_vcpu *vcpu, u64 addr, bool write)
{
	u64 *sys = vcpu->arch.sys;

	sys[SR_ESR_EL1] = fsr_sea(vcpu) | (write ? FSR_WNR : 0);	/* DFSR */
	sys[SR_FAR_EL1] = (sys[SR_FAR_EL1] & GENMASK_ULL(63, 32)) | (u32)addr;
	enter_mode(vcpu, PSR_AA32_MODE_ABT, VECT_DABT, 8);
}

void modkvm_aa32_inject_pabt(struct modkvm_vcpu *vcpu, u64 addr)
{
	u64 *sys = vcpu->arch.sys;

	sys[SR_IFSR32_EL2] = fsr_sea(vcpu);
	sys[SR_FAR_EL1] = (sys[SR_FAR_EL1] & GENMASK_ULL(31, 0)) |
			  ((u64)(u32)addr << 32);
	enter_mode(vcpu, PSR_AA32_MODE_ABT, VECT_PABT, 4);
}
