/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, EL2: the parts of the world switch that do not depend on how
 * the host reaches EL2, shared by the VHE switch (hyp/vhe/switch.c) and a
 * future nVHE one.
 *
 * Everything here is __always_inline, so that each switch gets its own
 * copy in its own (uninstrumented) object and nothing it calls lies
 * outside hyp/ (see hyp/smccc_fast.h for the rules of hyp/).
 *
 * The guest's EL1 registers: with HCR_EL2.E2H set (VHE) the EL1 register
 * encodings used at EL2 reach the EL2 registers, and the EL1 ones are
 * reached through the *_EL12 (and, for the EL1 virtual timer, *_EL02)
 * encodings (Arm ARM, "Virtualization Host Extensions", and the
 * description of each register). With E2H clear (nVHE) EL2 reaches them
 * by their own names. The helpers take a compile-time constant @el12 that
 * chooses the encoding, so each switch gets straight-line accesses.
 *
 * The VM is passed beside the vCPU rather than read from vcpu->vm, a
 * kernel address: an nVHE switch runs where only hyp VAs are mapped
 * (hyp_pgtable.c) and passes the translated pointer.
 */
#ifndef MODKVM_HYP_SWITCH_H
#define MODKVM_HYP_SWITCH_H

#include <linux/compiler.h>
#include <linux/kvm.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/esr.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "el2_regs.h"
#include "hyp/smccc_fast.h"

#ifndef SYS_DACR32_EL2
#define SYS_DACR32_EL2		sys_reg(3, 4, 3, 0, 0)
#endif
#ifndef SYS_IFSR32_EL2
#define SYS_IFSR32_EL2		sys_reg(3, 4, 5, 0, 1)
#endif
#ifndef SYS_FPEXC32_EL2
#define SYS_FPEXC32_EL2		sys_reg(3, 4, 5, 3, 0)
#endif
/* SPSR_irq, SPSR_abt, SPSR_und, SPSR_fiq */
#define SYS_SPSR_AA32(n)	sys_reg(3, 4, 4, 3, (n))

/*
 * The guest's EL1 registers that live in the hardware while it runs, in
 * the order they are loaded: X(index in arch.sys[], EL1 encoding, EL12
 * encoding). This list stays here rather than in sys_regs.c's table:
 * straight-line accesses by name, not a table walk, on every entry and
 * exit.
 */
#define HYP_GUEST_EL1_REGS(X)						\
	X(SR_SCTLR_EL1,		SYS_SCTLR_EL1,		SYS_SCTLR_EL12)	\
	X(SR_CPACR_EL1,		SYS_CPACR_EL1,		SYS_CPACR_EL12)	\
	X(SR_TTBR0_EL1,		SYS_TTBR0_EL1,		SYS_TTBR0_EL12)	\
	X(SR_TTBR1_EL1,		SYS_TTBR1_EL1,		SYS_TTBR1_EL12)	\
	X(SR_TCR_EL1,		SYS_TCR_EL1,		SYS_TCR_EL12)	\
	X(SR_ESR_EL1,		SYS_ESR_EL1,		SYS_ESR_EL12)	\
	X(SR_AFSR0_EL1,		SYS_AFSR0_EL1,		SYS_AFSR0_EL12)	\
	X(SR_AFSR1_EL1,		SYS_AFSR1_EL1,		SYS_AFSR1_EL12)	\
	X(SR_FAR_EL1,		SYS_FAR_EL1,		SYS_FAR_EL12)	\
	X(SR_MAIR_EL1,		SYS_MAIR_EL1,		SYS_MAIR_EL12)	\
	X(SR_VBAR_EL1,		SYS_VBAR_EL1,		SYS_VBAR_EL12)	\
	X(SR_CONTEXTIDR_EL1,	SYS_CONTEXTIDR_EL1,	SYS_CONTEXTIDR_EL12) \
	X(SR_AMAIR_EL1,		SYS_AMAIR_EL1,		SYS_AMAIR_EL12)	\
	X(SR_CNTKCTL_EL1,	SYS_CNTKCTL_EL1,	SYS_CNTKCTL_EL12) \
	X(SR_ELR_EL1,		SYS_ELR_EL1,		SYS_ELR_EL12)	\
	X(SR_SPSR_EL1,		SYS_SPSR_EL1,		SYS_SPSR_EL12)

#define __HYP_EL1_LOAD(sr, enc_el1, enc_el12)				\
	do {								\
		if (via_el12)						\
			write_sysreg_s(sys[sr], enc_el12);		\
		else							\
			write_sysreg_s(sys[sr], enc_el1);		\
	} while (0);
#define __HYP_EL1_SAVE(sr, enc_el1, enc_el12)				\
	do {								\
		if (via_el12)						\
			sys[sr] = read_sysreg_s(enc_el12);		\
		else							\
			sys[sr] = read_sysreg_s(enc_el1);		\
	} while (0);

/* The guest's EL1 state into the hardware (its virtual timer: below) */
static __always_inline void hyp_guest_el1_load(const u64 *sys,
					       const bool via_el12)
{
	HYP_GUEST_EL1_REGS(__HYP_EL1_LOAD)
}

static __always_inline void hyp_guest_el1_save(u64 *sys, const bool via_el12)
{
	HYP_GUEST_EL1_REGS(__HYP_EL1_SAVE)
}

/*
 * The guest's EL1 virtual timer: the compare value before the control
 * register, so that an enabled timer never fires on a stale compare
 * value. With E2H set, CNTV_*_EL0 at EL2 are the EL2 virtual timer's
 * (CNTHV_*_EL2), and the EL1 timer is reached through CNTV_*_EL02.
 */
static __always_inline void hyp_guest_vtimer_load(const u64 *sys,
						  const bool via_el12)
{
	if (via_el12) {
		write_sysreg_s(sys[SR_CNTV_CVAL_EL0], SYS_CNTV_CVAL_EL02);
		write_sysreg_s(sys[SR_CNTV_CTL_EL0], SYS_CNTV_CTL_EL02);
	} else {
		write_sysreg_s(sys[SR_CNTV_CVAL_EL0], SYS_CNTV_CVAL_EL0);
		write_sysreg_s(sys[SR_CNTV_CTL_EL0], SYS_CNTV_CTL_EL0);
	}
}

/*
 * Save it and silence it while the host runs: its PPI must not reach the
 * host outside the guest (timer.c computes its level from the saved
 * value).
 */
static __always_inline void hyp_guest_vtimer_save(u64 *sys,
						  const bool via_el12)
{
	if (via_el12) {
		sys[SR_CNTV_CTL_EL0] = read_sysreg_s(SYS_CNTV_CTL_EL02);
		sys[SR_CNTV_CVAL_EL0] = read_sysreg_s(SYS_CNTV_CVAL_EL02);
		write_sysreg_s(0, SYS_CNTV_CTL_EL02);
	} else {
		sys[SR_CNTV_CTL_EL0] = read_sysreg_s(SYS_CNTV_CTL_EL0);
		sys[SR_CNTV_CVAL_EL0] = read_sysreg_s(SYS_CNTV_CVAL_EL0);
		write_sysreg_s(0, SYS_CNTV_CTL_EL0);
	}
}

/*
 * The EL0/EL1 registers both the host and the guest use by the same name
 * whatever E2H is (VHE does not redirect them): the host's are saved
 * around the guest.
 */
struct hyp_shared_regs {
	u64 tpidr_el0, tpidrro_el0, tpidr_el1, sp_el1, par_el1, csselr_el1;
};

static __always_inline void hyp_host_shared_save(struct hyp_shared_regs *h)
{
	h->tpidr_el0 = read_sysreg(tpidr_el0);
	h->tpidrro_el0 = read_sysreg(tpidrro_el0);
	h->tpidr_el1 = read_sysreg(tpidr_el1);
	h->sp_el1 = read_sysreg(sp_el1);
	h->par_el1 = read_sysreg(par_el1);
	h->csselr_el1 = read_sysreg(csselr_el1);
}

static __always_inline void
hyp_host_shared_restore(const struct hyp_shared_regs *h)
{
	write_sysreg(h->tpidr_el0, tpidr_el0);
	write_sysreg(h->tpidrro_el0, tpidrro_el0);
	write_sysreg(h->tpidr_el1, tpidr_el1);
	write_sysreg(h->sp_el1, sp_el1);
	write_sysreg(h->par_el1, par_el1);
	write_sysreg(h->csselr_el1, csselr_el1);
}

static __always_inline void hyp_guest_shared_load(const u64 *sys)
{
	write_sysreg(sys[SR_TPIDR_EL0], tpidr_el0);
	write_sysreg(sys[SR_TPIDRRO_EL0], tpidrro_el0);
	write_sysreg(sys[SR_TPIDR_EL1], tpidr_el1);
	write_sysreg(sys[SR_SP_EL1], sp_el1);
	write_sysreg(sys[SR_PAR_EL1], par_el1);
	write_sysreg(sys[SR_CSSELR_EL1], csselr_el1);
}

static __always_inline void hyp_guest_shared_save(u64 *sys)
{
	sys[SR_TPIDR_EL0] = read_sysreg(tpidr_el0);
	sys[SR_TPIDRRO_EL0] = read_sysreg(tpidrro_el0);
	sys[SR_TPIDR_EL1] = read_sysreg(tpidr_el1);
	sys[SR_SP_EL1] = read_sysreg(sp_el1);
	sys[SR_PAR_EL1] = read_sysreg(par_el1);
	sys[SR_CSSELR_EL1] = read_sysreg(csselr_el1);
}

/*
 * The AArch32 EL1 registers with no AArch64 EL1 counterpart (a guest whose
 * EL1 is AArch32 only): DACR, IFSR and FPEXC through DACR32_EL2,
 * IFSR32_EL2 and FPEXC32_EL2, and SPSR_irq/abt/und/fiq (Arm ARM, the
 * AArch64 descriptions of those registers).
 */
static __always_inline void hyp_guest_aa32_load(const struct modkvm_arch_vcpu *a)
{
	write_sysreg_s(a->sys[SR_DACR32_EL2], SYS_DACR32_EL2);
	write_sysreg_s(a->sys[SR_IFSR32_EL2], SYS_IFSR32_EL2);
	write_sysreg_s(a->sys[SR_FPEXC32_EL2], SYS_FPEXC32_EL2);
	write_sysreg_s(a->spsr_aa32[KVM_SPSR_IRQ - 1], SYS_SPSR_AA32(0));
	write_sysreg_s(a->spsr_aa32[KVM_SPSR_ABT - 1], SYS_SPSR_AA32(1));
	write_sysreg_s(a->spsr_aa32[KVM_SPSR_UND - 1], SYS_SPSR_AA32(2));
	write_sysreg_s(a->spsr_aa32[KVM_SPSR_FIQ - 1], SYS_SPSR_AA32(3));
}

static __always_inline void hyp_guest_aa32_save(struct modkvm_arch_vcpu *a)
{
	a->sys[SR_DACR32_EL2] = read_sysreg_s(SYS_DACR32_EL2);
	a->sys[SR_IFSR32_EL2] = read_sysreg_s(SYS_IFSR32_EL2);
	a->sys[SR_FPEXC32_EL2] = read_sysreg_s(SYS_FPEXC32_EL2);
	a->spsr_aa32[KVM_SPSR_IRQ - 1] = read_sysreg_s(SYS_SPSR_AA32(0));
	a->spsr_aa32[KVM_SPSR_ABT - 1] = read_sysreg_s(SYS_SPSR_AA32(1));
	a->spsr_aa32[KVM_SPSR_UND - 1] = read_sysreg_s(SYS_SPSR_AA32(2));
	a->spsr_aa32[KVM_SPSR_FIQ - 1] = read_sysreg_s(SYS_SPSR_AA32(3));
}

/*
 * The VM's identity and stage 2 for its guests: VMPIDR_EL2 and VPIDR_EL2
 * are what the guest reads as MPIDR_EL1 and MIDR_EL1, CNTVOFF_EL2 its
 * virtual counter offset; VTTBR_EL2 was computed with the VMID when the
 * VM was created (tlb.c).
 */
static __always_inline void hyp_guest_vm_load(const struct modkvm_vcpu *vcpu,
					      const struct modkvm_vm *vm)
{
	write_sysreg(vcpu->arch.sys[SR_MPIDR_EL1], vmpidr_el2);
	write_sysreg(vm->arch.midr, vpidr_el2);
	write_sysreg(vm->cntvoff, cntvoff_el2);
	write_sysreg(vm->s2.vtcr, vtcr_el2);
	write_sysreg(vm->s2.vttbr, vttbr_el2);
}

/*
 * Traps while the guest runs: debug, trace, statistical profiling and
 * PMU registers all trap to us (sys_regs.c emulates or UNDEFs them);
 * HPMN stays the host's so its counters keep their split. TDE stays
 * clear (the guest's debug exceptions go to its EL1) unless userspace
 * debugs the guest: hyp_debug_enter() adds it then. The MDCR_EL2
 * layout does not depend on E2H.
 */
static __always_inline u64 hyp_guest_mdcr(u64 host_mdcr)
{
	return (host_mdcr & MK_MDCR_HPMN_MASK) | MK_MDCR_TPMCR | MK_MDCR_TPM |
	       MK_MDCR_TDA | MK_MDCR_TDOSA | MK_MDCR_TDRA | MK_MDCR_TPMS | MK_MDCR_TTRF |
	       MK_MDCR_TDCC;
}

/*
 * HCR_EL2 for this entry: the VM's, with the virtual IRQ and FIQ lines
 * userspace drives (VI, VF) and a pending virtual SError (VSE).
 */
static __always_inline u64 hyp_guest_hcr(const struct modkvm_vcpu *vcpu,
					 const struct modkvm_vm *vm)
{
	unsigned long lines = READ_ONCE(vcpu->irq_lines);
	u64 hcr = vm->arch.hcr;

	if (lines & BIT(0))
		hcr |= MK_HCR_VI;
	if (lines & BIT(1))
		hcr |= MK_HCR_VF;
	if (vcpu->arch.serror_pending)
		hcr |= MK_HCR_VSE;
	return hcr;
}

/*
 * HPFAR_EL2 is not guaranteed for a stage-2 permission fault that did not
 * happen on a stage-1 walk (Arm ARM, HPFAR_EL2). Then the guest's own
 * stage 1, still loaded, gives the IPA of FAR.
 */
static __always_inline bool hyp_hpfar_valid(u64 esr)
{
	u64 ec = ESR_ELx_EC(esr);

	if (ec != ESR_ELx_EC_DABT_LOW && ec != ESR_ELx_EC_IABT_LOW)
		return true;
	return (esr & ESR_ELx_S1PTW) || (esr & ESR_ELx_FSC_TYPE) != ESR_ELx_FSC_PERM;
}

/*
 * AT S1E1R translates with the EL1&0 regime, the guest's while its stage 1
 * and HCR_EL2 (TGE clear) are loaded, and leaves the result in PAR_EL1
 * (Arm ARM, AT S1E1R and PAR_EL1), which is the guest's then: it is put
 * back.
 */
static __always_inline u64 hyp_far_to_hpfar(u64 far)
{
	u64 par, guest_par = read_sysreg(par_el1);

	asm volatile("at s1e1r, %0" : : "r"(far));
	isb();
	par = read_sysreg(par_el1);
	write_sysreg(guest_par, par_el1);
	if (par & 1)		/* PAR_EL1.F: the walk failed; retry the fault */
		return MODKVM_HPFAR_INVALID;
	return ((par & GENMASK_ULL(47, 12)) >> 12) << 4;
}

/*
 * An exit the switch answers itself, still in the guest's context with
 * interrupts off, before any of the host's state comes back: an HVC #0
 * from AArch64 that only asks a question whose answer the VM has in
 * advance (hyp/smccc_fast.h). Whatever else the guest did, and any host
 * interrupt (it makes the guest exit at once), goes the full way back to
 * the run loop. An HVC returns past itself: only X0 changes.
 */
static __always_inline bool hyp_fast_exit(struct modkvm_vcpu *vcpu,
					  struct modkvm_vm *vm, u32 code)
{
	struct modkvm_gp_regs *gp = &vcpu->arch.gp;
	u64 esr = vcpu->arch.exit.esr;

	if (code != MODKVM_EXIT_SYNC || ESR_ELx_EC(esr) != ESR_ELx_EC_HVC64 ||
	    (esr & 0xffff) ||
	    !modkvm_hyp_smccc_fast(&vm->smccc_fast,
				   lower_32_bits(gp->x[0]),
				   lower_32_bits(gp->x[1]), &gp->x[0]))
		return false;
	vcpu->stat.exits++;
	vcpu->stat.hvc_exits++;
	vcpu->stat.fast_exits++;
	return true;
}

/* Enough to never keep the host from its scheduler for long */
#define HYP_FAST_EXITS_MAX	64

/*
 * What the exit leaves for the host (vcpu->arch.exit), read while the
 * guest's context is still loaded: FAR_EL2 and HPFAR_EL2 (ESR_EL2 is read
 * by the caller for each exit), HPFAR found by a walk when the hardware
 * does not give it, and whether the guest took the virtual SError (the
 * hardware clears HCR_EL2.VSE then).
 */
static __always_inline void hyp_exit_info(struct modkvm_vcpu *vcpu, u32 code)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;

	a->exit.far = read_sysreg(far_el2);
	a->exit.hpfar = read_sysreg_s(SYS_HPFAR_EL2);
	a->exit.code = code;
	if (code == MODKVM_EXIT_SYNC && !hyp_hpfar_valid(a->exit.esr))
		a->exit.hpfar = hyp_far_to_hpfar(a->exit.far);
	if (a->serror_pending && !(read_sysreg(hcr_el2) & MK_HCR_VSE))
		a->serror_pending = false;
}

/*
 * The guest's own registers, in and out: its EL1 state and virtual timer,
 * the EL0/EL1 registers it shares by name with the host, an AArch32 EL1's
 * own, and the VM's identity and stage 2. FPEXC32_EL2 is among them: the
 * host's CPTR_EL2 must be in place around both (with the guest's, FP/SIMD
 * not loaded, the access traps, Arm ARM CPTR_EL2).
 */
/*
 * DISR_EL1 of a guest told about FEAT_RAS (id_regs.c): with HCR_EL2.AMO
 * set, its accesses reach VDISR_EL2, where an ESB leaves a deferred
 * virtual SError (Arm ARM, VDISR_EL2). VDISR_EL2 exists where TERR does.
 */
static __always_inline void hyp_guest_ras_load(const struct modkvm_arch_vcpu *a)
{
	if (a->hcr & MK_HCR_TERR)
		write_sysreg_s(a->sys[SR_DISR_EL1], SYS_VDISR_EL2);
}

static __always_inline void hyp_guest_ras_save(struct modkvm_arch_vcpu *a)
{
	if (a->hcr & MK_HCR_TERR)
		a->sys[SR_DISR_EL1] = read_sysreg_s(SYS_VDISR_EL2);
}

/*
 * CNTHCTL_EL2 for the guest, from the host's value and the positions of
 * EL1PCTEN and EL1PCEN in the layout the host runs with (E2H = 1: bits
 * 10 and 11; E2H = 0: bits 0 and 1; DDI 0487, CNTHCTL_EL2). The EL1
 * physical timer always traps (EL1PCEN clear: sys_regs.c emulates it).
 * The physical counter is the guest's own unless its VM's is offset
 * (KVM_REG_ARM_PTIMER_CNT, KVM_ARM_SET_COUNTER_OFFSET; no FEAT_ECV
 * CNTPOFF_EL2): then EL1PCTEN is clear, and the guest's EL0 and EL1
 * reads of CNTPCT_EL0 (and CNTPCTSS_EL0, MRRC of CNTPCT) trap to EL2 with
 * HCR_EL2.TGE 0 in either layout, to be answered with the offset. An
 * offset of 0, the common case, costs nothing.
 */
static __always_inline u64 hyp_guest_cnthctl(u64 host,
					     const struct modkvm_vm *vm,
					     u64 el1pcten, u64 el1pcen)
{
	u64 v = host & ~(el1pcten | el1pcen);

	return vm->cntpoff ? v : v | el1pcten;
}

static __always_inline void hyp_guest_regs_load(struct modkvm_vcpu *vcpu,
						const struct modkvm_vm *vm,
						const bool via_el12)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;

	hyp_guest_el1_load(a->sys, via_el12);
	hyp_guest_vtimer_load(a->sys, via_el12);
	hyp_guest_shared_load(a->sys);
	hyp_guest_ras_load(a);
	if (vm->arch.el1_32bit)
		hyp_guest_aa32_load(a);
	hyp_guest_vm_load(vcpu, vm);
}

static __always_inline void hyp_guest_regs_save(struct modkvm_vcpu *vcpu,
						const struct modkvm_vm *vm,
						const bool via_el12)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;

	hyp_guest_shared_save(a->sys);
	hyp_guest_el1_save(a->sys, via_el12);
	hyp_guest_vtimer_save(a->sys, via_el12);
	hyp_guest_ras_save(a);
	if (vm->arch.el1_32bit)
		hyp_guest_aa32_save(a);
}

/*
 * What of the host's both switches keep around the guest: the EL2
 * controls whose layout does not depend on E2H (CPTR_EL2's does: each
 * switch has its own), CNTVOFF_EL2, the shared EL0/EL1 registers and,
 * for an AArch32 guest, FPEXC32_EL2 (loaded eagerly for FPEXC.EN).
 * HCR_EL2 is put back first, by the switch itself.
 */
struct hyp_host_common {
	u64 hcr, mdcr, cnthctl, cntvoff, fpexc32;
	struct hyp_shared_regs shared;
};

static __always_inline void hyp_host_common_save(struct hyp_host_common *h,
						 const struct modkvm_vm *vm)
{
	h->hcr = read_sysreg(hcr_el2);
	h->mdcr = read_sysreg(mdcr_el2);
	h->cnthctl = read_sysreg(cnthctl_el2);
	h->cntvoff = read_sysreg(cntvoff_el2);
	hyp_host_shared_save(&h->shared);
	if (vm->arch.el1_32bit)
		h->fpexc32 = read_sysreg_s(SYS_FPEXC32_EL2);
}

static __always_inline void
hyp_host_common_restore(const struct hyp_host_common *h,
			const struct modkvm_vm *vm)
{
	hyp_host_shared_restore(&h->shared);
	write_sysreg(h->cnthctl, cnthctl_el2);
	write_sysreg(h->mdcr, mdcr_el2);
	write_sysreg(h->cntvoff, cntvoff_el2);
	if (vm->arch.el1_32bit)
		write_sysreg_s(h->fpexc32, SYS_FPEXC32_EL2);
}

/* hyp/entry.S, built once for each switch */
typedef u32 (*hyp_enter_fn)(struct modkvm_gp_regs *ctxt, u64 *keys);

/*
 * Into the guest and back, with the exits hyp_fast_exit() answers taken
 * in the loop, through @enter (a constant: a direct call once inlined).
 * The guest's pointer authentication keys are switched by hyp/entry.S
 * alone, so that no C sees them. Returns the exit code; ESR and the rest
 * are left in vcpu->arch.exit.
 */
static __always_inline u32 hyp_run_guest(struct modkvm_vcpu *vcpu,
					 struct modkvm_vm *vm,
					 hyp_enter_fn enter)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;
	u64 *keys = vm->arch.ptrauth ? &a->sys[SR_APIAKEYLO_EL1] : NULL;
	unsigned int n;
	u32 code;

	for (n = 0; ; n++) {
		code = enter(&a->gp, keys);
		a->exit.esr = read_sysreg(esr_el2);
		if (n == HYP_FAST_EXITS_MAX || !hyp_fast_exit(vcpu, vm, code))
			break;
	}
	hyp_exit_info(vcpu, code);
	return code;
}

#endif /* MODKVM_HYP_SWITCH_H */
