// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: exceptions injected into the guest's EL1.
 *
 * This emulates what the PE does when it takes a synchronous exception to
 * AArch64 EL1 (Arm ARM, "Exception entry"): the syndrome and fault address
 * go to ESR_EL1/FAR_EL1, the interrupted PC and PSTATE to ELR_EL1 and
 * SPSR_EL1, PSTATE becomes EL1h with D, A, I and F masked, and execution
 * continues at the vector for the source of the exception. Only four
 * kinds are produced: an Undefined Instruction (EC 0x00), synchronous
 * external data/instruction aborts (FSC 0x10), and a BRK instruction that
 * the guest executed while userspace debugging routed it to EL2 (debug.c). PAN is set per
 * SCTLR_EL1.SPAN and SSBS per SCTLR_EL1.DSSBS when the guest sees those
 * features; MTE (TCO) and NMI (ALLINT) do not exist for modkvm guests,
 * so their entry rules are not modelled. A guest whose EL1 is AArch32 takes
 * these exceptions in AArch32 instead (aarch32_inject.c). Everything is
 * written to the saved context (vcpu->arch.gp and sys[]); the world switch
 * loads it at the next entry.
 */
#include <linux/bitfield.h>
#include <asm/esr.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>

#include "modkvm.h"

/* Vector offsets from VBAR_EL1 (synchronous exceptions: + 0x000) */
#define VECT_CUR_SP0		0x000
#define VECT_CUR_SPX		0x200
#define VECT_LOWER_A64		0x400
#define VECT_LOWER_A32		0x600

/* SCTLR_EL1 bits that shape exception entry */
#define SCTLR_SPAN		BIT_ULL(23)
#define SCTLR_DSSBS		BIT_ULL(44)

/* Fault status code: synchronous external abort, not on a table walk */
#define FSC_SEA			0x10

/* Feature fields (ID_AA64MMFR1_EL1.PAN, ID_AA64PFR1_EL1.SSBS) */
#define MMFR1_PAN		GENMASK_ULL(23, 20)
#define PFR1_SSBS		GENMASK_ULL(7, 4)

static bool guest_has_pan(void)
{
	return FIELD_GET(MMFR1_PAN,
			 modkvm_guest_id_reg(SYS_ID_AA64MMFR1_EL1)) != 0;
}

static bool guest_has_ssbs(void)
{
	return FIELD_GET(PFR1_SSBS,
			 modkvm_guest_id_reg(SYS_ID_AA64PFR1_EL1)) != 0;
}

/* Did the exception come from EL1 (true) or EL0/AArch32 (false)? */
static bool from_el1(u64 pstate)
{
	return !(pstate & PSR_MODE32_BIT) &&
	       (pstate & PSR_MODE_MASK) != PSR_MODE_EL0t;
}

static u64 vector_offset(u64 pstate)
{
	if (pstate & PSR_MODE32_BIT)
		return VECT_LOWER_A32;
	switch (pstate & PSR_MODE_MASK) {
	case PSR_MODE_EL0t:
		return VECT_LOWER_A64;
	case PSR_MODE_EL1t:
		return VECT_CUR_SP0;
	default:
		return VECT_CUR_SPX;
	}
}

/*
 * Take a synchronous exception with syndrome @esr to EL1. @far is written
 * to FAR_EL1 when @set_far.
 */
static void enter_el1(struct modkvm_vcpu *vcpu, u64 esr, bool set_far, u64 far)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;
	u64 old = a->gp.pstate, sctlr = a->sys[SR_SCTLR_EL1], new;

	a->sys[SR_ESR_EL1] = esr;
	if (set_far)
		a->sys[SR_FAR_EL1] = far;
	a->sys[SR_ELR_EL1] = a->gp.pc;
	a->sys[SR_SPSR_EL1] = old;

	/*
	 * The condition flags carry over; DIT and PAN too when coming from
	 * AArch64 (SS, IL, BTYPE, UAO and TCO are cleared).
	 */
	new = old & (PSR_N_BIT | PSR_Z_BIT | PSR_C_BIT | PSR_V_BIT);
	if (!(old & PSR_MODE32_BIT))
		new |= old & (PSR_DIT_BIT | PSR_PAN_BIT);
	new |= PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT;
	if (!(sctlr & SCTLR_SPAN) && guest_has_pan())
		new |= PSR_PAN_BIT;
	if ((sctlr & SCTLR_DSSBS) && guest_has_ssbs())
		new |= PSR_SSBS_BIT;

	a->gp.pstate = new;
	a->gp.pc = a->sys[SR_VBAR_EL1] + vector_offset(old);
}

void modkvm_inject_undef(struct modkvm_vcpu *vcpu)
{
	u64 esr = (u64)ESR_ELx_EC_UNKNOWN << ESR_ELx_EC_SHIFT;

	if (modkvm_el1_is_32bit(&vcpu->arch)) {
		modkvm_aa32_inject_undef(vcpu);
		return;
	}

	/* A 16-bit T32 instruction is the only case with IL = 0. */
	if (!(vcpu->arch.gp.pstate & PSR_MODE32_BIT) ||
	    (vcpu->arch.exit.esr & ESR_ELx_IL))
		esr |= ESR_ELx_IL;
	enter_el1(vcpu, esr, false, 0);
}

void modkvm_inject_dabt(struct modkvm_vcpu *vcpu, u64 addr)
{
	u64 exit_esr = vcpu->arch.exit.esr;
	u64 ec = from_el1(vcpu->arch.gp.pstate) ? ESR_ELx_EC_DABT_CUR :
						  ESR_ELx_EC_DABT_LOW;
	u64 esr = (ec << ESR_ELx_EC_SHIFT) | ESR_ELx_IL | FSC_SEA;

	/* Keep the direction when the abort we are answering had one. */
	if (ESR_ELx_EC(exit_esr) == ESR_ELx_EC_DABT_LOW)
		esr |= exit_esr & ESR_ELx_WNR;
	if (modkvm_el1_is_32bit(&vcpu->arch)) {
		modkvm_aa32_inject_dabt(vcpu, addr, esr & ESR_ELx_WNR);
		return;
	}
	enter_el1(vcpu, esr, true, addr);
}

void modkvm_inject_pabt(struct modkvm_vcpu *vcpu, u64 addr)
{
	u64 ec = from_el1(vcpu->arch.gp.pstate) ? ESR_ELx_EC_IABT_CUR :
						  ESR_ELx_EC_IABT_LOW;

	if (modkvm_el1_is_32bit(&vcpu->arch)) {
		modkvm_aa32_inject_pabt(vcpu, addr);
		return;
	}
	enter_el1(vcpu, (ec << ESR_ELx_EC_SHIFT) | ESR_ELx_IL | FSC_SEA,
		  true, addr);
}

/*
 * The guest executed BRK while debug exceptions were routed to EL2 for
 * userspace's debugging, which did not ask for software breakpoints: it
 * takes the Breakpoint Instruction exception its own EL1 would have taken
 * (BRK is not subject to the debug enables; ELR is the BRK itself).
 */
void modkvm_inject_brk(struct modkvm_vcpu *vcpu, u64 esr)
{
	enter_el1(vcpu, esr, false, 0);
}
