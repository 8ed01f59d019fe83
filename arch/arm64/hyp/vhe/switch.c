// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64 VHE: the world switch in C.
 *
 * What only a VHE host does is here: reaching the guest's EL1 registers
 * through their *_EL12 names, CPTR_EL2 and CNTHCTL_EL2 in their E2H
 * layouts, and HCR_EL2 swapped between the host's (E2H and TGE set) and
 * the guest's (TGE clear). The rest of the switch is shared with a future
 * nVHE one (hyp/switch.h).
 *
 * With VHE the host kernel runs at EL2 and never uses the EL1 system
 * registers that the *_EL12 names reach, so the guest's EL1 state can be
 * loaded there without saving anything of the host's. What the host does
 * use and the guest can change is saved and restored around each entry:
 * the EL2 controls (HCR, MDCR, CNTHCTL, CPTR; ICH_HCR, which the host
 * without an in-kernel KVM leaves 0, is set and cleared, and for a VM with
 * the vGIC the virtual CPU interface: hyp/vgic_v3_sr.h) and the few EL0/EL1
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
#include "hyp/call.h"
#include "hyp/switch_asm.h"
#include "hyp/switch.h"
#include "hyp/vgic_v3_sr.h"

/* VHE: the guest's EL1 registers through their *_EL12 and *_EL02 names */
#define VHE_VIA_EL12	true

u32 __modkvm_guest_enter(struct modkvm_gp_regs *ctxt, u64 *keys);

static_assert(offsetof(struct modkvm_arch_vcpu, gp) == 0);
static_assert(offsetof(struct modkvm_gp_regs, sp_el0) == CTXT_SP_EL0);
static_assert(offsetof(struct modkvm_gp_regs, pc) == CTXT_PC);
static_assert(offsetof(struct modkvm_gp_regs, pstate) == CTXT_PSTATE);
static_assert((SR_APGAKEYHI_EL1 - SR_APIAKEYLO_EL1 + 1) * 8 == KEYS_SIZE);
static_assert(offsetof(struct user_fpsimd_state, fpsr) == FP_FPSR);
static_assert(offsetof(struct user_fpsimd_state, fpcr) == FP_FPCR);

struct host_regs {
	u64 hcr, mdcr, cnthctl, cptr, cntvoff, fpexc32;
	struct hyp_shared_regs shared;
};

/*
 * FP/SIMD traps until the guest's registers are loaded (vcpu.c switches
 * them lazily); SVE, SME, trace and AMU always trap. With E2H set,
 * CPTR_EL2 has the layout of CPACR_EL1 and is reached as CPACR_EL1 from
 * EL2 (Arm ARM, CPTR_EL2).
 */
static __always_inline u64 vhe_guest_cptr(bool fp_loaded)
{
	return (fp_loaded ? MK_CPTR_FPEN_MASK : 0) | MK_CPTR_TTA | MK_CPTR_TAM |
	       MK_CPTR_TCPAC;
}

/*
 * One trip into the guest and back, called through modkvm_call_hyp_ret()
 * (hyp/call.h) with preemption and interrupts disabled. Returns the exit
 * code; the exception syndrome is left in vcpu->arch.exit.
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
 * answered by hyp_fast_exit() costs only the 31 general registers and ESR
 * (and the keys: hyp_fast_exit() is C, so the host's are back for it too).
 *
 * The debug switch (modkvm_debug_enter/exit) is still debug.c, ordinary
 * module code: a direct call is fine while the switch runs in the host
 * kernel at EL2. An nVHE switch cannot call it; it needs the guest's
 * breakpoint and watchpoint counts computed in advance (today they come
 * from the sanitised ID_AA64DFR0_EL1, sys_regs.c) and the register switch
 * as an __always_inline helper under hyp/, with the host's debug state
 * kept in memory mapped at EL2.
 */
int __modkvm_hyp_vcpu_run(struct modkvm_vcpu *vcpu)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;
	struct modkvm_vm *vm = vcpu->vm;
	bool aa32 = vm->arch.el1_32bit;
	struct host_regs h;
	unsigned int n;
	unsigned long daif;
	u64 *keys;
	u32 code;

	daif = read_sysreg(daif);
	asm volatile("msr daifset, #8" : : : "memory");	/* PSTATE.D */

	h.hcr = read_sysreg(hcr_el2);
	h.mdcr = read_sysreg(mdcr_el2);
	h.cnthctl = read_sysreg(cnthctl_el2);
	h.cptr = read_sysreg(cpacr_el1);	/* CPTR_EL2 under E2H */
	h.cntvoff = read_sysreg(cntvoff_el2);
	hyp_host_shared_save(&h.shared);

	hyp_guest_el1_load(a->sys, VHE_VIA_EL12);
	hyp_guest_vtimer_load(a->sys, VHE_VIA_EL12);
	hyp_guest_shared_load(a->sys);
	if (aa32) {
		h.fpexc32 = read_sysreg_s(SYS_FPEXC32_EL2);
		hyp_guest_aa32_load(a);
	}
	hyp_guest_vm_load(vcpu);
	write_sysreg(hyp_guest_mdcr(h.mdcr) | modkvm_debug_enter(vcpu), mdcr_el2);
	/* CNTHCTL_EL2 in its E2H layout: EL1 counter access, no EL1 timer */
	write_sysreg((h.cnthctl | MK_CNTHCTL_EL1PCTEN) & ~MK_CNTHCTL_EL1PCEN,
		     cnthctl_el2);
	write_sysreg(vhe_guest_cptr(a->fp_loaded), cpacr_el1);
	hyp_vgic_v3_load(vcpu);

	/* The guest's HCR_EL2: TGE clear, so its exceptions go to its EL1 */
	write_sysreg(hyp_guest_hcr(vcpu), hcr_el2);
	isb();

	/* The guest's keys, switched by hyp/entry.S alone: no C sees them */
	keys = vm->arch.ptrauth ? &a->sys[SR_APIAKEYLO_EL1] : NULL;
	for (n = 0; ; n++) {
		code = __modkvm_guest_enter(&a->gp, keys);
		a->exit.esr = read_sysreg(esr_el2);
		if (n == HYP_FAST_EXITS_MAX || !hyp_fast_exit(vcpu, code))
			break;
	}
	hyp_exit_info(vcpu, code);

	/* The host's HCR_EL2 (E2H, TGE) first: EL2 is the host's again */
	write_sysreg(h.hcr, hcr_el2);
	isb();
	hyp_guest_shared_save(a->sys);
	hyp_host_shared_restore(&h.shared);
	hyp_guest_el1_save(a->sys, VHE_VIA_EL12);
	hyp_guest_vtimer_save(a->sys, VHE_VIA_EL12);
	modkvm_debug_exit(vcpu);
	write_sysreg(h.cptr, cpacr_el1);
	write_sysreg(h.cnthctl, cnthctl_el2);
	write_sysreg(h.mdcr, mdcr_el2);
	write_sysreg(h.cntvoff, cntvoff_el2);
	hyp_vgic_v3_save(vcpu);
	isb();
	if (aa32) {
		hyp_guest_aa32_save(a);
		write_sysreg_s(h.fpexc32, SYS_FPEXC32_EL2);
	}
	/* The host's debug exceptions as they were (the rest of DAIF: vcpu.c) */
	if (!(daif & PSR_D_BIT))
		asm volatile("msr daifclr, #8" : : : "memory");
	return code;
}
