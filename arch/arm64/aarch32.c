// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: AArch32 state of a guest, as EL2 in AArch64 sees it.
 *
 * A VM whose vCPUs were initialized with KVM_ARM_VCPU_EL1_32BIT runs its
 * EL1 (and EL0) in AArch32 (HCR_EL2.RW clear), on hosts whose CPUs all
 * implement AArch32 at EL1 (ID_AA64PFR0_EL1.EL1 = 2). Its registers live
 * where the architecture maps them into the AArch64 state (Arm ARM,
 * "Mapping of the general-purpose registers between the Execution
 * states"): R0-R12 in X0-X12, SP and LR of usr/sys in X13/X14, LR and SP
 * of irq in X16/X17, svc X18/X19, abt X20/X21, und X22/X23, R8-R12, SP
 * and LR of fiq in X24-X30; SPSR_svc in SPSR_EL1 and SPSR_abt/und/irq/fiq
 * in their own registers; CPSR in PSTATE (SPSR_EL2's AArch32 layout).
 * struct kvm_regs exposes exactly that (regs.c). Trapped instructions
 * report their registers in this AArch64 view already (ESR_EL2 Rt/SRT).
 *
 * Here: which CPSR modes userspace may set, the reset state ("SVC, A, I
 * and F set", api.rst; SCTLR's is in sys_regs.c), the condition code
 * check of a trapped conditional instruction and the move past a trapped
 * instruction: 2 or 4 bytes by ESR_EL2.IL, with the IT state of a T32 IT
 * block advanced as the instruction would have done.
 */
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <asm/cpufeature.h>
#include <asm/esr.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>

#include "modkvm.h"

/* ID_AA64PFR0_EL1.EL1: 2 = AArch64 and AArch32 */
#define PFR0_EL1		GENMASK_ULL(7, 4)
#define PFR0_EL1_AA32		2

/* ITSTATE in the CPSR: IT[1:0] in bits [26:25], IT[7:2] in [15:10] */
#define IT_LO			GENMASK_ULL(26, 25)
#define IT_HI			GENMASK_ULL(15, 10)

/* ESR_EL2 COND value of an unconditional instruction */
#define COND_AL			0xe

bool modkvm_arch_el1_32bit_supported(void)
{
	u64 pfr0 = read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1);

	return FIELD_GET(PFR0_EL1, pfr0) == PFR0_EL1_AA32;
}

/* The modes userspace may put an AArch32 EL1 in (not hyp, not monitor) */
bool modkvm_aa32_valid_mode(u64 pstate)
{
	if (!(pstate & PSR_MODE32_BIT))
		return false;
	switch (pstate & PSR_AA32_MODE_MASK) {
	case PSR_AA32_MODE_USR:
	case PSR_AA32_MODE_FIQ:
	case PSR_AA32_MODE_IRQ:
	case PSR_AA32_MODE_SVC:
	case PSR_AA32_MODE_ABT:
	case PSR_AA32_MODE_UND:
	case PSR_AA32_MODE_SYS:
		return true;
	}
	return false;
}

void modkvm_aa32_reset(struct modkvm_arch_vcpu *a, bool be)
{
	a->gp.pstate = PSR_AA32_MODE_SVC | PSR_AA32_A_BIT | PSR_AA32_I_BIT |
		       PSR_AA32_F_BIT | (be ? PSR_AA32_E_BIT : 0);
}

static u32 it_state(u64 psr)
{
	return FIELD_GET(IT_HI, psr) << 2 | FIELD_GET(IT_LO, psr);
}

/* Does condition @cond (Arm ARM, ConditionHolds) hold for flags @psr? */
static bool cond_holds(u32 cond, u64 psr)
{
	bool n = psr & PSR_AA32_N_BIT, z = psr & PSR_AA32_Z_BIT;
	bool c = psr & PSR_AA32_C_BIT, v = psr & PSR_AA32_V_BIT;
	bool r;

	switch (cond >> 1) {
	case 0:
		r = z;			/* EQ, NE */
		break;
	case 1:
		r = c;			/* CS, CC */
		break;
	case 2:
		r = n;			/* MI, PL */
		break;
	case 3:
		r = v;			/* VS, VC */
		break;
	case 4:
		r = c && !z;		/* HI, LS */
		break;
	case 5:
		r = n == v;		/* GE, LT */
		break;
	case 6:
		r = n == v && !z;	/* GT, LE */
		break;
	default:
		return true;		/* AL, and 0b1111 */
	}
	return (cond & 1) ? !r : r;
}

/*
 * Whether a trapped AArch32 instruction passed its condition check. A CPU
 * may trap a conditional instruction that fails it (IMPLEMENTATION
 * DEFINED); that one must then do nothing. ESR_EL2.CV says whether COND
 * holds the condition; without it, a T32 instruction in an IT block has
 * the block's current condition and anything else is unconditional.
 */
bool modkvm_aa32_cond_passed(struct modkvm_arch_vcpu *a, u64 esr)
{
	u64 psr = a->gp.pstate;
	u32 cond, it;

	if (!(psr & PSR_MODE32_BIT))
		return true;
	if (esr & ESR_ELx_CV) {
		cond = FIELD_GET(ESR_ELx_COND_MASK, esr);
	} else {
		it = it_state(psr);
		cond = (psr & PSR_AA32_T_BIT) && (it & 0xf) ? it >> 4 : COND_AL;
	}
	return cond_holds(cond, psr);
}

/* ITAdvance: the IT state after one instruction of an IT block */
static void it_advance(struct modkvm_arch_vcpu *a)
{
	u64 psr = a->gp.pstate;
	u32 it = it_state(psr);

	if (!(it & 7))
		it = 0;
	else
		it = (it & 0xe0) | ((it << 1) & 0x1f);
	psr &= ~(IT_HI | IT_LO);
	psr |= FIELD_PREP(IT_HI, it >> 2) | FIELD_PREP(IT_LO, it & 3);
	a->gp.pstate = psr;
}

void modkvm_aa32_skip_instr(struct modkvm_arch_vcpu *a)
{
	unsigned int len = (a->exit.esr & ESR_ELx_IL) ? 4 : 2;

	if (a->gp.pstate & PSR_AA32_T_BIT)
		it_advance(a);
	a->gp.pc = (u32)(a->gp.pc + len);
}
