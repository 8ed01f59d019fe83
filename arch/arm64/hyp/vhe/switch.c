// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64 VHE: the world switch in C.
 *
 * With VHE the host kernel runs at EL2 and never uses the EL1 system
 * registers that the *_EL12 names reach, so the guest's EL1 state can be
 * loaded there without saving anything of the host's. What the host does
 * use and the guest can change is saved and restored around each entry:
 * the EL2 controls (HCR, MDCR, CNTHCTL, CPTR; ICH_HCR, which the host
 * without an in-kernel KVM leaves 0, is set and cleared) and the few EL0/EL1
 * registers VHE does not redirect (TPIDR*, SP_EL1, PAR, CSSELR, and the
 * debug registers: debug.c). The host's SP_EL0 ("current") and
 * callee-saved registers are kept by hyp/entry.S, and so are, for a VM
 * with pointer authentication, the key registers: the host signs its
 * return addresses with them, so the guest's may be loaded only where no
 * C runs (see there). PSTATE.D is masked from
 * before the guest's debug state is loaded until the host's is back, so
 * that the host cannot take a debug exception at EL2 under the guest's.
 *
 * A guest whose EL1 is AArch32 runs with HCR_EL2.RW clear (in the VM's
 * HCR, reset.c) and has a few more registers of its own, which only it
 * uses: DACR, IFSR and FPEXC (DACR32_EL2, IFSR32_EL2, FPEXC32_EL2) and
 * SPSR_abt/und/irq/fiq. FPEXC is loaded eagerly, so that FPEXC.EN works
 * for the guest as the hardware makes it work; the host's value is put
 * back (only AArch32 EL1 uses it, but it is the host's register).
 *
 * Called with preemption and interrupts disabled. The guest's FP/SIMD
 * registers are either loaded (vcpu->arch.fp_loaded, inside a
 * kernel_neon_begin section) or FP traps to us.
 */
#include <linux/build_bug.h>
#include <linux/kvm.h>
#include <asm/barrier.h>
#include <asm/esr.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "el2_regs.h"
#include "hyp/switch_asm.h"

u32 __modkvm_guest_enter(struct modkvm_gp_regs *ctxt, u64 *keys);

static_assert(offsetof(struct modkvm_arch_vcpu, gp) == 0);
static_assert(offsetof(struct modkvm_gp_regs, sp_el0) == CTXT_SP_EL0);
static_assert(offsetof(struct modkvm_gp_regs, pc) == CTXT_PC);
static_assert(offsetof(struct modkvm_gp_regs, pstate) == CTXT_PSTATE);
static_assert((SR_APGAKEYHI_EL1 - SR_APIAKEYLO_EL1 + 1) * 8 == KEYS_SIZE);
static_assert(offsetof(struct user_fpsimd_state, fpsr) == FP_FPSR);
static_assert(offsetof(struct user_fpsimd_state, fpcr) == FP_FPCR);

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

struct host_regs {
	u64 hcr, mdcr, cnthctl, cptr, cntvoff, fpexc32;
	u64 tpidr_el0, tpidrro_el0, tpidr_el1, sp_el1, par_el1, csselr_el1;
};

/* EL1 registers switched through their *_EL12 names */
static void load_guest_el1(const u64 *sys)
{
	write_sysreg_s(sys[SR_SCTLR_EL1], SYS_SCTLR_EL12);
	write_sysreg_s(sys[SR_CPACR_EL1], SYS_CPACR_EL12);
	write_sysreg_s(sys[SR_TTBR0_EL1], SYS_TTBR0_EL12);
	write_sysreg_s(sys[SR_TTBR1_EL1], SYS_TTBR1_EL12);
	write_sysreg_s(sys[SR_TCR_EL1], SYS_TCR_EL12);
	write_sysreg_s(sys[SR_ESR_EL1], SYS_ESR_EL12);
	write_sysreg_s(sys[SR_AFSR0_EL1], SYS_AFSR0_EL12);
	write_sysreg_s(sys[SR_AFSR1_EL1], SYS_AFSR1_EL12);
	write_sysreg_s(sys[SR_FAR_EL1], SYS_FAR_EL12);
	write_sysreg_s(sys[SR_MAIR_EL1], SYS_MAIR_EL12);
	write_sysreg_s(sys[SR_VBAR_EL1], SYS_VBAR_EL12);
	write_sysreg_s(sys[SR_CONTEXTIDR_EL1], SYS_CONTEXTIDR_EL12);
	write_sysreg_s(sys[SR_AMAIR_EL1], SYS_AMAIR_EL12);
	write_sysreg_s(sys[SR_CNTKCTL_EL1], SYS_CNTKCTL_EL12);
	write_sysreg_s(sys[SR_ELR_EL1], SYS_ELR_EL12);
	write_sysreg_s(sys[SR_SPSR_EL1], SYS_SPSR_EL12);
	write_sysreg_s(sys[SR_CNTV_CVAL_EL0], SYS_CNTV_CVAL_EL02);
	write_sysreg_s(sys[SR_CNTV_CTL_EL0], SYS_CNTV_CTL_EL02);
}

static void save_guest_el1(u64 *sys)
{
	sys[SR_SCTLR_EL1] = read_sysreg_s(SYS_SCTLR_EL12);
	sys[SR_CPACR_EL1] = read_sysreg_s(SYS_CPACR_EL12);
	sys[SR_TTBR0_EL1] = read_sysreg_s(SYS_TTBR0_EL12);
	sys[SR_TTBR1_EL1] = read_sysreg_s(SYS_TTBR1_EL12);
	sys[SR_TCR_EL1] = read_sysreg_s(SYS_TCR_EL12);
	sys[SR_ESR_EL1] = read_sysreg_s(SYS_ESR_EL12);
	sys[SR_AFSR0_EL1] = read_sysreg_s(SYS_AFSR0_EL12);
	sys[SR_AFSR1_EL1] = read_sysreg_s(SYS_AFSR1_EL12);
	sys[SR_FAR_EL1] = read_sysreg_s(SYS_FAR_EL12);
	sys[SR_MAIR_EL1] = read_sysreg_s(SYS_MAIR_EL12);
	sys[SR_VBAR_EL1] = read_sysreg_s(SYS_VBAR_EL12);
	sys[SR_CONTEXTIDR_EL1] = read_sysreg_s(SYS_CONTEXTIDR_EL12);
	sys[SR_AMAIR_EL1] = read_sysreg_s(SYS_AMAIR_EL12);
	sys[SR_CNTKCTL_EL1] = read_sysreg_s(SYS_CNTKCTL_EL12);
	sys[SR_ELR_EL1] = read_sysreg_s(SYS_ELR_EL12);
	sys[SR_SPSR_EL1] = read_sysreg_s(SYS_SPSR_EL12);
	sys[SR_CNTV_CTL_EL0] = read_sysreg_s(SYS_CNTV_CTL_EL02);
	sys[SR_CNTV_CVAL_EL0] = read_sysreg_s(SYS_CNTV_CVAL_EL02);
	/*
	 * Silence the guest's timer while the host runs: its PPI must not
	 * reach the host outside the guest (timer.c computes its level from
	 * the saved value).
	 */
	write_sysreg_s(0, SYS_CNTV_CTL_EL02);
}

/* The AArch32 EL1 registers with no AArch64 EL1 counterpart */
static void load_guest_aa32(const struct modkvm_arch_vcpu *a)
{
	write_sysreg_s(a->sys[SR_DACR32_EL2], SYS_DACR32_EL2);
	write_sysreg_s(a->sys[SR_IFSR32_EL2], SYS_IFSR32_EL2);
	write_sysreg_s(a->sys[SR_FPEXC32_EL2], SYS_FPEXC32_EL2);
	write_sysreg_s(a->spsr_aa32[KVM_SPSR_IRQ - 1], SYS_SPSR_AA32(0));
	write_sysreg_s(a->spsr_aa32[KVM_SPSR_ABT - 1], SYS_SPSR_AA32(1));
	write_sysreg_s(a->spsr_aa32[KVM_SPSR_UND - 1], SYS_SPSR_AA32(2));
	write_sysreg_s(a->spsr_aa32[KVM_SPSR_FIQ - 1], SYS_SPSR_AA32(3));
}

static void save_guest_aa32(struct modkvm_arch_vcpu *a)
{
	a->sys[SR_DACR32_EL2] = read_sysreg_s(SYS_DACR32_EL2);
	a->sys[SR_IFSR32_EL2] = read_sysreg_s(SYS_IFSR32_EL2);
	a->sys[SR_FPEXC32_EL2] = read_sysreg_s(SYS_FPEXC32_EL2);
	a->spsr_aa32[KVM_SPSR_IRQ - 1] = read_sysreg_s(SYS_SPSR_AA32(0));
	a->spsr_aa32[KVM_SPSR_ABT - 1] = read_sysreg_s(SYS_SPSR_AA32(1));
	a->spsr_aa32[KVM_SPSR_UND - 1] = read_sysreg_s(SYS_SPSR_AA32(2));
	a->spsr_aa32[KVM_SPSR_FIQ - 1] = read_sysreg_s(SYS_SPSR_AA32(3));
}

static void save_host_shared(struct host_regs *h)
{
	h->tpidr_el0 = read_sysreg(tpidr_el0);
	h->tpidrro_el0 = read_sysreg(tpidrro_el0);
	h->tpidr_el1 = read_sysreg(tpidr_el1);
	h->sp_el1 = read_sysreg(sp_el1);
	h->par_el1 = read_sysreg(par_el1);
	h->csselr_el1 = read_sysreg(csselr_el1);
}

static void load_guest_shared(const u64 *sys)
{
	write_sysreg(sys[SR_TPIDR_EL0], tpidr_el0);
	write_sysreg(sys[SR_TPIDRRO_EL0], tpidrro_el0);
	write_sysreg(sys[SR_TPIDR_EL1], tpidr_el1);
	write_sysreg(sys[SR_SP_EL1], sp_el1);
	write_sysreg(sys[SR_PAR_EL1], par_el1);
	write_sysreg(sys[SR_CSSELR_EL1], csselr_el1);
}

static void save_guest_shared(u64 *sys)
{
	sys[SR_TPIDR_EL0] = read_sysreg(tpidr_el0);
	sys[SR_TPIDRRO_EL0] = read_sysreg(tpidrro_el0);
	sys[SR_TPIDR_EL1] = read_sysreg(tpidr_el1);
	sys[SR_SP_EL1] = read_sysreg(sp_el1);
	sys[SR_PAR_EL1] = read_sysreg(par_el1);
	sys[SR_CSSELR_EL1] = read_sysreg(csselr_el1);
}

static void restore_host_shared(const struct host_regs *h)
{
	write_sysreg(h->tpidr_el0, tpidr_el0);
	write_sysreg(h->tpidrro_el0, tpidrro_el0);
	write_sysreg(h->tpidr_el1, tpidr_el1);
	write_sysreg(h->sp_el1, sp_el1);
	write_sysreg(h->par_el1, par_el1);
	write_sysreg(h->csselr_el1, csselr_el1);
}

/*
 * Traps while the guest runs: debug, trace, statistical profiling and
 * PMU registers all trap to us (sysregs.c emulates or UNDEFs them);
 * HPMN stays the host's so its counters keep their split. TDE stays
 * clear (the guest's debug exceptions go to its EL1) unless userspace
 * debugs the guest: modkvm_debug_enter() adds it then.
 */
static u64 guest_mdcr(u64 host_mdcr)
{
	return (host_mdcr & MK_MDCR_HPMN_MASK) | MK_MDCR_TPMCR | MK_MDCR_TPM |
	       MK_MDCR_TDA | MK_MDCR_TDOSA | MK_MDCR_TDRA | MK_MDCR_TPMS | MK_MDCR_TTRF |
	       MK_MDCR_TDCC;
}

/*
 * FP/SIMD traps until the guest's registers are loaded (vcpu.c switches
 * them lazily); SVE, SME, trace and AMU always trap.
 */
static u64 guest_cptr(bool fp_loaded)
{
	return (fp_loaded ? MK_CPTR_FPEN_MASK : 0) | MK_CPTR_TTA | MK_CPTR_TAM |
	       MK_CPTR_TCPAC;
}

/*
 * HPFAR_EL2 is not guaranteed for a stage-2 permission fault that did not
 * happen on a stage-1 walk (Arm ARM, HPFAR_EL2). Then the guest's own
 * stage 1, still loaded, gives the IPA of FAR.
 */
static bool hpfar_valid(u64 esr)
{
	u64 ec = ESR_ELx_EC(esr);

	if (ec != ESR_ELx_EC_DABT_LOW && ec != ESR_ELx_EC_IABT_LOW)
		return true;
	return (esr & ESR_ELx_S1PTW) || (esr & ESR_ELx_FSC_TYPE) != ESR_ELx_FSC_PERM;
}

static u64 far_to_hpfar(u64 far)
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
static bool fast_exit(struct modkvm_vcpu *vcpu, u32 code)
{
	struct modkvm_gp_regs *gp = &vcpu->arch.gp;
	u64 esr = vcpu->arch.exit.esr;

	if (code != MODKVM_EXIT_SYNC || ESR_ELx_EC(esr) != ESR_ELx_EC_HVC64 ||
	    (esr & 0xffff) ||
	    !modkvm_hyp_smccc_fast(&vcpu->vm->smccc_fast,
				   lower_32_bits(gp->x[0]),
				   lower_32_bits(gp->x[1]), &gp->x[0]))
		return false;
	vcpu->stat.exits++;
	vcpu->stat.hvc_exits++;
	vcpu->stat.fast_exits++;
	return true;
}

/* Enough to never keep the host from its scheduler for long */
#define FAST_EXITS_MAX	64

/*
 * One trip into the guest and back. Returns the exit code; the exception
 * syndrome is left in vcpu->arch.exit.
 *
 * Per trip the host's EL2 controls (5) and the EL0/EL1 registers VHE does
 * not redirect (6) are saved and restored, the guest's EL1 state (18
 * EL12 and EL02 registers) and those 6 are loaded and saved again, 9 EL2
 * registers are set for the guest, and 31 general registers go each way
 * in hyp/entry.S: about 90 system register accesses (and the 10
 * pointer authentication keys each way for a VM that has them, in
 * hyp/entry.S on every entry and exit), and MDSCR_EL1
 * three times (debug.c; all breakpoints and watchpoints too, four
 * accesses each, while the guest or userspace has them enabled). An exit
 * answered by fast_exit() costs only the 31 general registers and ESR
 * (and the keys: fast_exit() is C, so the host's are back for it too).
 */
int modkvm_arch_enter_guest(struct modkvm_vcpu *vcpu)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;
	struct modkvm_vm *vm = vcpu->vm;
	bool aa32 = vm->arch.el1_32bit;
	struct host_regs h;
	unsigned int n;
	unsigned long daif;
	u64 hcr, *keys;
	u32 code;

	daif = read_sysreg(daif);
	asm volatile("msr daifset, #8" : : : "memory");	/* PSTATE.D */

	h.hcr = read_sysreg(hcr_el2);
	h.mdcr = read_sysreg(mdcr_el2);
	h.cnthctl = read_sysreg(cnthctl_el2);
	h.cptr = read_sysreg(cpacr_el1);	/* CPTR_EL2 under E2H */
	h.cntvoff = read_sysreg(cntvoff_el2);
	save_host_shared(&h);

	load_guest_el1(a->sys);
	load_guest_shared(a->sys);
	if (aa32) {
		h.fpexc32 = read_sysreg_s(SYS_FPEXC32_EL2);
		load_guest_aa32(a);
	}
	write_sysreg(a->sys[SR_MPIDR_EL1], vmpidr_el2);
	write_sysreg(vm->arch.midr, vpidr_el2);
	write_sysreg(vm->cntvoff, cntvoff_el2);
	write_sysreg(vm->s2.vtcr, vtcr_el2);
	write_sysreg(virt_to_phys(vm->s2.pgd) |
		     ((u64)vm->s2.vmid << MK_VTTBR_VMID_SHIFT), vttbr_el2);
	write_sysreg(guest_mdcr(h.mdcr) | modkvm_debug_enter(vcpu), mdcr_el2);
	write_sysreg((h.cnthctl | MK_CNTHCTL_EL1PCTEN) & ~MK_CNTHCTL_EL1PCEN,
		     cnthctl_el2);
	write_sysreg(guest_cptr(a->fp_loaded), cpacr_el1);
	if (vm->arch.ich_hcr)
		write_sysreg_s(vm->arch.ich_hcr, SYS_ICH_HCR_EL2);

	hcr = vm->arch.hcr;
	if (test_bit(0, &vcpu->irq_lines))
		hcr |= MK_HCR_VI;
	if (test_bit(1, &vcpu->irq_lines))
		hcr |= MK_HCR_VF;
	if (a->serror_pending)
		hcr |= MK_HCR_VSE;
	write_sysreg(hcr, hcr_el2);
	isb();

	/* The guest's keys, switched by hyp/entry.S alone: no C sees them */
	keys = vm->arch.ptrauth ? &a->sys[SR_APIAKEYLO_EL1] : NULL;
	for (n = 0; ; n++) {
		code = __modkvm_guest_enter(&a->gp, keys);
		a->exit.esr = read_sysreg(esr_el2);
		if (n == FAST_EXITS_MAX || !fast_exit(vcpu, code))
			break;
	}

	a->exit.far = read_sysreg(far_el2);
	a->exit.hpfar = read_sysreg_s(SYS_HPFAR_EL2);
	a->exit.code = code;
	if (code == MODKVM_EXIT_SYNC && !hpfar_valid(a->exit.esr))
		a->exit.hpfar = far_to_hpfar(a->exit.far);
	/* The hardware clears VSE once the guest has taken the SError. */
	if (a->serror_pending && !(read_sysreg(hcr_el2) & MK_HCR_VSE))
		a->serror_pending = false;

	write_sysreg(h.hcr, hcr_el2);
	isb();
	save_guest_shared(a->sys);
	restore_host_shared(&h);
	save_guest_el1(a->sys);
	modkvm_debug_exit(vcpu);
	write_sysreg(h.cptr, cpacr_el1);
	write_sysreg(h.cnthctl, cnthctl_el2);
	write_sysreg(h.mdcr, mdcr_el2);
	write_sysreg(h.cntvoff, cntvoff_el2);
	if (vm->arch.ich_hcr)
		write_sysreg_s(0, SYS_ICH_HCR_EL2);
	isb();
	if (aa32) {
		save_guest_aa32(a);
		write_sysreg_s(h.fpexc32, SYS_FPEXC32_EL2);
	}
	/* The host's debug exceptions as they were (the rest of DAIF: vcpu.c) */
	if (!(daif & PSR_D_BIT))
		asm volatile("msr daifclr, #8" : : : "memory");
	return code;
}
