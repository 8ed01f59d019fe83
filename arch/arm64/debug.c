// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: the guest's self-hosted debug, and userspace debugging
 * the guest (KVM_SET_GUEST_DEBUG, KVM_EXIT_DEBUG).
 *
 * The guest's debug registers always trap (MDCR_EL2.TDA, TDOSA, TDRA) and
 * live in vcpu->arch.sys (sys_regs.c emulates the guest's accesses, regs.c
 * ONE_REG). What of them takes effect is put into the hardware for each
 * entry, and the host's values are put back at exit:
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

/* MDSCR_EL1 */
#define MDSCR_SS		BIT_ULL(0)
#define MDSCR_KDE		BIT_ULL(13)
#define MDSCR_MDE		BIT_ULL(15)

#define OSLSR_OSLK		BIT_ULL(1)
#define OSDLR_DLK		BIT_ULL(0)

/* DBGBCR<n>_EL1.HMC, DBGWCR<n>_EL1.HMC: match at EL2 */
#define DBGXCR_HMC		BIT_ULL(13)

/* ID_AA64DFR0_EL1 fields: the count minus one */
#define DFR0_BRPS_SHIFT		12
#define DFR0_WRPS_SHIFT		20

#define GUESTDBG_VALID		(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | \
				 KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW)
/* what makes TDE necessary: userspace takes the debug exceptions */
#define GUESTDBG_ACTIVE		(KVM_GUESTDBG_SINGLESTEP | \
				 KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW)

/* Register kinds, by op2 - 4 of their encoding */
enum { DBG_BVR, DBG_BCR, DBG_WVR, DBG_WCR };

static_assert(SR_DBGBCR0_EL1 == SR_DBGBVR0_EL1 + MODKVM_DBG_MAX);
static_assert(SR_DBGWVR0_EL1 == SR_DBGBVR0_EL1 + 2 * MODKVM_DBG_MAX);
static_assert(SR_DBGWCR0_EL1 == SR_DBGBVR0_EL1 + 3 * MODKVM_DBG_MAX);

/*
 * The system register instructions name their register in the encoding,
 * so a register picked at run time takes a switch over all sixteen.
 */
#define DBG_N16(M, op2) \
	M(0, op2) M(1, op2) M(2, op2) M(3, op2) M(4, op2) M(5, op2) \
	M(6, op2) M(7, op2) M(8, op2) M(9, op2) M(10, op2) M(11, op2) \
	M(12, op2) M(13, op2) M(14, op2) M(15, op2)
#define DBG_RD(n, op2) \
	case n: return read_sysreg_s(sys_reg(2, 0, 0, n, op2));
#define DBG_WR(n, op2) \
	case n: write_sysreg_s(val, sys_reg(2, 0, 0, n, op2)); return;

static u64 dbg_read(unsigned int kind, unsigned int n)
{
	switch (kind) {
	case DBG_BVR:
		switch (n) { DBG_N16(DBG_RD, 4) }
		break;
	case DBG_BCR:
		switch (n) { DBG_N16(DBG_RD, 5) }
		break;
	case DBG_WVR:
		switch (n) { DBG_N16(DBG_RD, 6) }
		break;
	case DBG_WCR:
		switch (n) { DBG_N16(DBG_RD, 7) }
		break;
	}
	return 0;
}

static void dbg_write(unsigned int kind, unsigned int n, u64 val)
{
	switch (kind) {
	case DBG_BVR:
		switch (n) { DBG_N16(DBG_WR, 4) }
		break;
	case DBG_BCR:
		switch (n) { DBG_N16(DBG_WR, 5) }
		break;
	case DBG_WVR:
		switch (n) { DBG_N16(DBG_WR, 6) }
		break;
	case DBG_WCR:
		switch (n) { DBG_N16(DBG_WR, 7) }
		break;
	}
}

static unsigned int dfr0_count(u64 dfr0, unsigned int shift)
{
	return ((dfr0 >> shift) & 0xf) + 1;
}

/* Breakpoints and watchpoints the guest is told of (ID_AA64DFR0_EL1) */
unsigned int modkvm_debug_nr_brps(void)
{
	return dfr0_count(modkvm_guest_id_reg(SYS_ID_AA64DFR0_EL1),
			  DFR0_BRPS_SHIFT);
}

unsigned int modkvm_debug_nr_wrps(void)
{
	return dfr0_count(modkvm_guest_id_reg(SYS_ID_AA64DFR0_EL1),
			  DFR0_WRPS_SHIFT);
}

/*
 * Save all of this CPU's breakpoints of one kind pair (BVR/BCR or
 * WVR/WCR) and load @nr of them from @vr/@cr; the rest are disabled.
 */
static void switch_in_pairs(struct modkvm_debug *d, unsigned int vr,
			    unsigned int hw, unsigned int nr,
			    const u64 *src_vr, const u64 *src_cr)
{
	unsigned int cr = vr + 1, n;

	for (n = 0; n < hw; n++) {
		d->host[vr][n] = dbg_read(vr, n);
		d->host[cr][n] = dbg_read(cr, n);
		dbg_write(cr, n, 0);
		if (n < nr) {
			dbg_write(vr, n, src_vr[n]);
			dbg_write(cr, n, src_cr[n] & ~DBGXCR_HMC);
		}
	}
}

/* @src: BVR, BCR, WVR, WCR, MODKVM_DBG_MAX of each */
static void switch_in(struct modkvm_debug *d, const u64 *src)
{
	u64 dfr0 = read_sysreg_s(SYS_ID_AA64DFR0_EL1);	/* this CPU's */
	unsigned int hb = dfr0_count(dfr0, DFR0_BRPS_SHIFT);
	unsigned int hw = dfr0_count(dfr0, DFR0_WRPS_SHIFT);
	const unsigned int m = MODKVM_DBG_MAX;

	switch_in_pairs(d, DBG_BVR, hb, min(hb, modkvm_debug_nr_brps()),
			src + DBG_BVR * m, src + DBG_BCR * m);
	switch_in_pairs(d, DBG_WVR, hw, min(hw, modkvm_debug_nr_wrps()),
			src + DBG_WVR * m, src + DBG_WCR * m);
	d->host_brps = hb;
	d->host_wrps = hw;
}

static void switch_out(struct modkvm_debug *d)
{
	unsigned int n;

	for (n = 0; n < d->host_brps; n++) {
		dbg_write(DBG_BVR, n, d->host[DBG_BVR][n]);
		dbg_write(DBG_BCR, n, d->host[DBG_BCR][n]);
	}
	for (n = 0; n < d->host_wrps; n++) {
		dbg_write(DBG_WVR, n, d->host[DBG_WVR][n]);
		dbg_write(DBG_WCR, n, d->host[DBG_WCR][n]);
	}
	d->host_brps = 0;
	d->host_wrps = 0;
}

/*
 * Put the debug state the guest runs with into the hardware. Called by the
 * world switch with interrupts and debug exceptions masked; returns the
 * MDCR_EL2 bits it needs (TDE when userspace takes the debug exceptions).
 */
u64 modkvm_debug_enter(struct modkvm_vcpu *vcpu)
{
	struct modkvm_debug *d = &vcpu->arch.debug;
	const u64 *sys = vcpu->arch.sys;
	const u64 *bpwp = NULL;
	u64 mdscr, mdcr = 0;

	d->host_mdscr = read_sysreg(mdscr_el1);
	if (d->control & GUESTDBG_ACTIVE) {
		mdcr = MK_MDCR_TDE;
		mdscr = 0;
		if (d->control & KVM_GUESTDBG_SINGLESTEP)
			mdscr |= MDSCR_SS;
		if (d->control & KVM_GUESTDBG_USE_HW) {
			mdscr |= MDSCR_MDE;
			bpwp = &d->user[0][0];
		}
	} else {
		mdscr = sys[SR_MDSCR_EL1] & (MDSCR_SS | MDSCR_KDE | MDSCR_MDE);
		if ((sys[SR_OSLSR_EL1] & OSLSR_OSLK) ||
		    (sys[SR_OSDLR_EL1] & OSDLR_DLK))
			mdscr &= ~(MDSCR_SS | MDSCR_MDE);
		if (mdscr & MDSCR_MDE)
			bpwp = &sys[SR_DBGBVR0_EL1];
	}
	if (bpwp)
		switch_in(d, bpwp);
	/* Usually both are 0: then the register is left alone. */
	d->guest_mdscr = mdscr;
	if (mdscr != d->host_mdscr)
		write_sysreg(mdscr, mdscr_el1);
	return mdcr;
}

/* Give the host its debug state back (interrupts, debug masked) */
void modkvm_debug_exit(struct modkvm_vcpu *vcpu)
{
	struct modkvm_debug *d = &vcpu->arch.debug;

	if (d->host_brps || d->host_wrps)
		switch_out(d);
	/* The guest cannot write MDSCR_EL1 itself: it traps (MDCR_EL2.TDA). */
	if (d->guest_mdscr != d->host_mdscr)
		write_sysreg(d->host_mdscr, mdscr_el1);
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
			d->user[DBG_BVR][n] = dbg->arch.dbg_bvr[n] &
					      MODKVM_DBG_BVR_MASK;
			d->user[DBG_BCR][n] = dbg->arch.dbg_bcr[n] &
					      MODKVM_DBG_BCR_MASK;
			d->user[DBG_WVR][n] = dbg->arch.dbg_wvr[n] &
					      MODKVM_DBG_WVR_MASK;
			d->user[DBG_WCR][n] = dbg->arch.dbg_wcr[n] &
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
