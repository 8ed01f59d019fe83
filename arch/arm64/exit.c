// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: what to do with each guest exit, by exception class.
 *
 * Anything the guest can cause that modkvm does not handle becomes an
 * UNDEF injected into the guest, never a host error. The AArch32 classes
 * (a guest whose EL1 is AArch32, aarch32.c) are handled too: HVC32 and
 * SMC32 go to the same SMCCC dispatch as their AArch64 forms, coprocessor
 * accesses to cp15.c, WFI/WFE and SMC check the condition of a
 * conditional instruction first, and the PC moves by the instruction's
 * length.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched.h>
#include <asm/esr.h>

#include "modkvm.h"
#include "modkvm_trace.h"

/* ESR_EL2.CCKNOWNPASS of an SMC from AArch32: the condition may have failed */
#define ESR_SMC32_CCKNOWNPASS	BIT_ULL(19)

static int modkvm_handle_wfx(struct modkvm_vcpu *vcpu)
{
	u64 esr = vcpu->arch.exit.esr;
	bool passed = modkvm_aa32_cond_passed(&vcpu->arch, esr);

	modkvm_skip_instr(&vcpu->arch);
	if (!passed)			/* an AArch32 WFI/WFE that is a NOP */
		return 1;
	if (esr & 1) {			/* WFE/WFET: let someone else run */
		vcpu->stat.wfe_exits++;
		modkvm_vcpu_on_spin(vcpu);	/* a preempted vCPU first */
		if (need_resched()) {
			modkvm_fp_put(vcpu);
			cond_resched();
		}
		return 1;
	}
	return modkvm_vcpu_block(vcpu);	/* WFI/WFIT */
}

static int modkvm_handle_sync(struct modkvm_vcpu *vcpu)
{
	u64 esr = vcpu->arch.exit.esr;

	switch (ESR_ELx_EC(esr)) {
	case ESR_ELx_EC_WFx:
		return modkvm_handle_wfx(vcpu);
	case ESR_ELx_EC_HVC64:		/* ELR is already past the HVC */
		vcpu->stat.hvc_exits++;
		if (esr & 0xffff) {	/* SMCCC calls use immediate 0 */
			modkvm_inject_undef(vcpu);
			return 1;
		}
		return modkvm_smccc_call(vcpu);
	case ESR_ELx_EC_SMC64:		/* trapped before it executed */
		vcpu->stat.hvc_exits++;
		modkvm_skip_instr(&vcpu->arch);
		return modkvm_smccc_call(vcpu);
	case ESR_ELx_EC_HVC32:		/* PC is past the HVC, as for HVC64 */
		vcpu->stat.hvc_exits++;
		if (esr & 0xffff) {
			/* UNDEF at the HVC itself (A32 and T32: 4 bytes) */
			vcpu->arch.gp.pc = (u32)(vcpu->arch.gp.pc - 4);
			modkvm_inject_undef(vcpu);
			return 1;
		}
		return modkvm_smccc_call(vcpu);
	case ESR_ELx_EC_SMC32:
		vcpu->stat.hvc_exits++;
		if ((esr & ESR_SMC32_CCKNOWNPASS) &&
		    !modkvm_aa32_cond_passed(&vcpu->arch, esr)) {
			modkvm_skip_instr(&vcpu->arch);
			return 1;
		}
		modkvm_skip_instr(&vcpu->arch);
		return modkvm_smccc_call(vcpu);
	case ESR_ELx_EC_CP15_32:
	case ESR_ELx_EC_CP15_64:
	case ESR_ELx_EC_CP14_MR:
	case ESR_ELx_EC_CP14_LS:
	case ESR_ELx_EC_CP14_64:
	case ESR_ELx_EC_CP10_ID:
		return modkvm_handle_cp_access(vcpu);
	case ESR_ELx_EC_SYS64:
		return modkvm_handle_sysreg(vcpu);
	case ESR_ELx_EC_FP_ASIMD:	/* first FP use: load the guest's */
		modkvm_fp_get(vcpu);
		return 1;
	case ESR_ELx_EC_DABT_LOW:
	case ESR_ELx_EC_IABT_LOW:
		return modkvm_handle_abort(vcpu);
	case ESR_ELx_EC_BREAKPT_LOW:	/* only while userspace debugs */
	case ESR_ELx_EC_SOFTSTP_LOW:
	case ESR_ELx_EC_WATCHPT_LOW:
	case ESR_ELx_EC_BRK64:
		return modkvm_handle_debug_exception(vcpu);
	default:
		/* SVE, SME, pointer auth, unknown... */
		pr_debug("vcpu %u: unhandled exception class 0x%llx, UNDEF\n",
			 vcpu->id, (u64)ESR_ELx_EC(esr));
		modkvm_inject_undef(vcpu);
		return 1;
	}
}

/*
 * The modkvm_exit trace event's reason for a synchronous exception: its
 * class (ESR_ELx.EC, DDI 0487 D24.2.40), by the name an operator knows.
 */
static const char *const modkvm_ec_reasons[ESR_ELx_EC_MAX + 1] = {
	[ESR_ELx_EC_WFx]	= "wfx",
	[ESR_ELx_EC_HVC64]	= "hvc",
	[ESR_ELx_EC_HVC32]	= "hvc",
	[ESR_ELx_EC_SMC64]	= "smc",
	[ESR_ELx_EC_SMC32]	= "smc",
	[ESR_ELx_EC_SYS64]	= "sysreg",
	[ESR_ELx_EC_CP15_32]	= "cp15",
	[ESR_ELx_EC_CP15_64]	= "cp15",
	[ESR_ELx_EC_CP14_MR]	= "cp14",
	[ESR_ELx_EC_CP14_LS]	= "cp14",
	[ESR_ELx_EC_CP14_64]	= "cp14",
	[ESR_ELx_EC_CP10_ID]	= "cp10",
	[ESR_ELx_EC_FP_ASIMD]	= "fpsimd",
	[ESR_ELx_EC_DABT_LOW]	= "dabt",
	[ESR_ELx_EC_IABT_LOW]	= "iabt",
	[ESR_ELx_EC_BREAKPT_LOW] = "debug",
	[ESR_ELx_EC_SOFTSTP_LOW] = "debug",
	[ESR_ELx_EC_WATCHPT_LOW] = "debug",
	[ESR_ELx_EC_BRK64]	= "debug",
};

static const char *modkvm_exit_reason(const struct modkvm_vcpu *vcpu)
{
	const char *r;

	switch (vcpu->arch.exit.code) {
	case MODKVM_EXIT_SYNC:
		r = modkvm_ec_reasons[ESR_ELx_EC(vcpu->arch.exit.esr)];
		return r ?: "other";
	case MODKVM_EXIT_IRQ:
		return "irq";
	case MODKVM_EXIT_FIQ:
		return "fiq";
	case MODKVM_EXIT_SERROR:
		return "serror";
	default:
		return "el2";
	}
}

int modkvm_handle_exit(struct modkvm_vcpu *vcpu)
{
	if (trace_modkvm_exit_enabled())
		trace_modkvm_exit(vcpu->id, modkvm_exit_reason(vcpu),
				  vcpu->arch.exit.esr, vcpu->arch.gp.pc);
	switch (vcpu->arch.exit.code) {
	case MODKVM_EXIT_SYNC:
		return modkvm_handle_sync(vcpu);
	case MODKVM_EXIT_IRQ:
	case MODKVM_EXIT_FIQ:
		return 1;	/* the host has taken it by now */
	case MODKVM_EXIT_SERROR:
		pr_warn_ratelimited("SError while vcpu %u ran (ESR %#llx)\n",
				    vcpu->id, vcpu->arch.exit.esr);
		return 1;
	default:
		pr_err("exception at EL2 in the world switch: ESR %#llx FAR %#llx; stopping the vCPU\n",
		       vcpu->arch.exit.esr, vcpu->arch.exit.far);
		vcpu->initialized = false;
		return -EIO;
	}
}
