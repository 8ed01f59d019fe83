// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: the guest's self-hosted debug, and userspace debugging
 * the guest (KVM_SET_GUEST_DEBUG, KVM_EXIT_DEBUG).
 *
 * The guest's debug registers always trap (MDCR_EL2.TDA, TDOSA, TDRA) and
 * live in vcpu->arch.sys (sys_regs.c emulates the guest's accesses, regs.c
 * ONE_REG). What of them takes effect is chosen here before each entry
 * (modkvm_debug_prepare()), put into the hardware at EL2 by the world
 * switch (hyp/debug_sr.h), and the host's values are put back at exit:
 *  - MDSCR_EL1, which VHE does not redirect: the guest's SS, KDE and MDE,
 *    with SS and MDE cleared while the guest's OS lock or OS double lock
 *    is set (those disable every debug exception but BRK). The guest's
 *    other MDSCR bits have no effect in the hardware (TDCC is emulated);
 *  - when MDE is left set, the breakpoint and watchpoint registers of this
 *    CPU: the guest's for those ID_AA64DFR0_EL1 shows it (the host's own
 *    counts, so that the guest's context-aware breakpoints are the
 *    hardware's highest-numbered ones, and links by number hold), any
 *    further ones disabled. HMC is cleared on the way in, so nothing can
 *    match at EL2; the guest has no EL2 to ask for it.
 * MDCR_EL2.TDE and HCR_EL2.TGE are clear while the guest runs, so its
 * breakpoint, watchpoint, software step and BRK exceptions go to its own
 * EL1 without modkvm. The host's debug state (MDSCR_EL1 and the registers
 * of ptrace/perf breakpoints) is saved and restored exactly; PSTATE.D is
 * masked at EL2 from the first change to the last (hyp/vhe/switch.c), so
 * that no debug exception can be taken at EL2 with the guest's settings.
 *
 * Userspace debugging (KVM_GUESTDBG_ENABLE with SINGLESTEP, USE_SW_BP or
 * USE_HW) takes the hardware over instead: TDE routes the guest's debug
 * exceptions to EL2, MDSCR_EL1 has SS for single-step and MDE for USE_HW,
 * and userspace's breakpoints and watchpoints are loaded (with HMC
 * cleared). The guest's own debug settings have no effect meanwhile; they
 * are kept and read back unchanged. Each event is a KVM_EXIT_DEBUG with
 * ESR_EL2 (hsr, hsr_high) and, for a watchpoint, the address (far). A BRK
 * is reported with USE_SW_BP and otherwise given to the guest's EL1, as
 * it would have been without TDE. Single-step gives one exit per
 * instruction: the guest's PSTATE.SS is set again after each report, and
 * an instruction modkvm emulates counts as stepped (modkvm_skip_instr()).
 */
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <asm/cpufeature.h>
#include <asm/esr.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "el2_regs.h"
#include "hyp/debug_sr.h"

/* MDSCR_EL1 */
#define MDSCR_SS		BIT_ULL(0)
#define MDSCR_KDE		BIT_ULL(13)
#define MDSCR_MDE		BIT_ULL(15)

#define OSLSR_OSLK		BIT_ULL(1)
#define OSDLR_DLK		BIT_ULL(0)

#define GUESTDBG_VALID		(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | \
				 KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW)
/* what makes TDE necessary: userspace takes the debug exceptions */
#define GUESTDBG_ACTIVE		(KVM_GUESTDBG_SINGLESTEP | \
				 KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW)

/* Breakpoints and watchpoints the guest is told of (ID_AA64DFR0_EL1) */
unsigned int modkvm_debug_nr_brps(void)
{
	return hyp_dfr0_count(modkvm_guest_id_reg(SYS_ID_AA64DFR0_EL1),
			      HYP_DFR0_BRPS_SHIFT);
}

unsigned int modkvm_debug_nr_wrps(void)
{
	return hyp_dfr0_count(modkvm_guest_id_reg(SYS_ID_AA64DFR0_EL1),
			      HYP_DFR0_WRPS_SHIFT);
}

/*
 * Choose the debug state the guest runs with, for hyp/debug_sr.h to load
 * at EL2 on the way in. Called before each entry with interrupts
 * disabled, on the vCPU's thread (the only writer of what it reads).
 */
void modkvm_debug_prepare(struct modkvm_vcpu *vcpu)
{
	struct modkvm_debug *d = &vcpu->arch.debug;
	const u64 *sys = vcpu->arch.sys;
	u64 mdscr, mdcr = 0;
	u8 src = MODKVM_DBG_SRC_NONE;

	if (d->control & GUESTDBG_ACTIVE) {
		mdcr = MK_MDCR_TDE;
		mdscr = 0;
		if (d->control & KVM_GUESTDBG_SINGLESTEP)
			mdscr |= MDSCR_SS;
		if (d->control & KVM_GUESTDBG_USE_HW) {
			mdscr |= MDSCR_MDE;
			src = MODKVM_DBG_SRC_USER;
		}
	} else {
		mdscr = sys[SR_MDSCR_EL1] & (MDSCR_SS | MDSCR_KDE | MDSCR_MDE);
		if ((sys[SR_OSLSR_EL1] & OSLSR_OSLK) ||
		    (sys[SR_OSDLR_EL1] & OSDLR_DLK))
			mdscr &= ~(MDSCR_SS | MDSCR_MDE);
		if (mdscr & MDSCR_MDE)
			src = MODKVM_DBG_SRC_GUEST;
	}
	if (src != MODKVM_DBG_SRC_NONE) {
		d->nr_brps = modkvm_debug_nr_brps();
		d->nr_wrps = modkvm_debug_nr_wrps();
	}
	d->guest_mdscr = mdscr;
	d->mdcr = mdcr;
	d->src = src;
}

static int debug_exit(struct modkvm_vcpu *vcpu, bool watchpoint)
{
	struct kvm_run *run = vcpu->run;
	u64 esr = vcpu->arch.exit.esr;

	run->exit_reason = KVM_EXIT_DEBUG;
	run->debug.arch.hsr = lower_32_bits(esr);
	run->debug.arch.hsr_high = upper_32_bits(esr);
	run->flags |= KVM_DEBUG_ARCH_HSR_HIGH_VALID;
	/* FAR_EL2 is only meaningful (and only the guest's) for these */
	run->debug.arch.far = watchpoint ? vcpu->arch.exit.far : 0;
	return 0;
}

/*
 * A debug exception from the guest reached EL2: only while userspace
 * debugs it (TDE). Returns as the exit handlers do.
 */
int modkvm_handle_debug_exception(struct modkvm_vcpu *vcpu)
{
	u64 esr = vcpu->arch.exit.esr;
	u32 ctl = vcpu->arch.debug.control;

	switch (ESR_ELx_EC(esr)) {
	case ESR_ELx_EC_BRK64:
		if (ctl & KVM_GUESTDBG_USE_SW_BP)
			return debug_exit(vcpu, false);
		modkvm_inject_brk(vcpu, esr);
		return 1;
	case ESR_ELx_EC_SOFTSTP_LOW:
		if (!(ctl & KVM_GUESTDBG_SINGLESTEP))
			return 1;
		/* Reported: the next entry executes one more instruction. */
		vcpu->arch.gp.pstate |= MODKVM_PSR_SS;
		return debug_exit(vcpu, false);
	case ESR_ELx_EC_BREAKPT_LOW:
		if (!(ctl & KVM_GUESTDBG_USE_HW))
			return 1;
		return debug_exit(vcpu, false);
	case ESR_ELx_EC_WATCHPT_LOW:
		if (!(ctl & KVM_GUESTDBG_USE_HW))
			return 1;
		return debug_exit(vcpu, true);
	}
	return 1;
}

/*
 * KVM_SET_GUEST_DEBUG. Without KVM_GUESTDBG_ENABLE, debugging is off
 * whatever else is set; unknown control bits are refused. The registers
 * of struct kvm_guest_debug_arch are taken with USE_HW, the first
 * KVM_CAP_GUEST_DEBUG_HW_BPS/_WPS of them loaded.
 */
int modkvm_set_guest_debug(struct modkvm_vcpu *vcpu,
			   const struct kvm_guest_debug *dbg)
{
	struct modkvm_debug *d = &vcpu->arch.debug;
	u32 ctl = dbg->control;
	unsigned int n;

	if (ctl & ~GUESTDBG_VALID)
		return -EINVAL;
	if (!(ctl & KVM_GUESTDBG_ENABLE))
		ctl = 0;
	if (ctl & KVM_GUESTDBG_USE_HW) {
		for (n = 0; n < MODKVM_DBG_MAX; n++) {
			d->user[HYP_DBG_BVR][n] = dbg->arch.dbg_bvr[n] &
					      MODKVM_DBG_BVR_MASK;
			d->user[HYP_DBG_BCR][n] = dbg->arch.dbg_bcr[n] &
					      MODKVM_DBG_BCR_MASK;
			d->user[HYP_DBG_WVR][n] = dbg->arch.dbg_wvr[n] &
					      MODKVM_DBG_WVR_MASK;
			d->user[HYP_DBG_WCR][n] = dbg->arch.dbg_wcr[n] &
					      MODKVM_DBG_WCR_MASK;
		}
	}
	/*
	 * Starting to step: the next instruction runs, then the step
	 * exception exits. Stopping: no step is left pending.
	 */
	if ((ctl ^ d->control) & KVM_GUESTDBG_SINGLESTEP) {
		if (ctl & KVM_GUESTDBG_SINGLESTEP)
			vcpu->arch.gp.pstate |= MODKVM_PSR_SS;
		else
			vcpu->arch.gp.pstate &= ~MODKVM_PSR_SS;
	}
	d->control = ctl;
	return 0;
}
