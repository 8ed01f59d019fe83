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
 * debug registers: hyp/debug_sr.h). The host's SP_EL0 ("current") and
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
#include "hyp/debug_sr.h"
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
	struct hyp_host_common c;
	u64 cptr;
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
 * three times (hyp/debug_sr.h; all breakpoints and watchpoints too, four
 * accesses each, while the guest or userspace has them enabled). An exit
 * answered by hyp_fast_exit() costs only the 31 general registers and ESR
 * (and the keys: hyp_fast_exit() is C, so the host's are back for it too).
 */
int __modkvm_hyp_vcpu_run(struct modkvm_vcpu *vcpu)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;
	struct modkvm_vm *vm = vcpu->vm;
	struct host_regs h;
	unsigned long daif;
	u32 code;

	daif = read_sysreg(daif);
	asm volatile("msr daifset, #8" : : : "memory");	/* PSTATE.D */

	hyp_host_common_save(&h.c, vm);
	h.cptr = read_sysreg(cpacr_el1);	/* CPTR_EL2 under E2H */

	hyp_guest_regs_load(vcpu, vm, VHE_VIA_EL12);
	write_sysreg(hyp_guest_mdcr(h.c.mdcr) | hyp_debug_enter(vcpu), mdcr_el2);
	/* CNTHCTL_EL2 in its E2H layout: counter access, no EL1 timer */
	write_sysreg(hyp_guest_cnthctl(h.c.cnthctl, vm, MK_CNTHCTL_EL1PCTEN,
				       MK_CNTHCTL_EL1PCEN), cnthctl_el2);
	write_sysreg(vhe_guest_cptr(a->fp_loaded), cpacr_el1);
	hyp_vgic_v3_load(vcpu, vm);

	/* The guest's HCR_EL2: TGE clear, so its exceptions go to its EL1 */
	write_sysreg(hyp_guest_hcr(vcpu, vm), hcr_el2);
	isb();

	code = hyp_run_guest(vcpu, vm, __modkvm_guest_enter);

	/* The host's HCR_EL2 (E2H, TGE) first: EL2 is the host's again */
	write_sysreg(h.c.hcr, hcr_el2);
	/* and its CPTR_EL2: FPEXC32_EL2 traps with the guest's (Arm ARM) */
	write_sysreg(h.cptr, cpacr_el1);
	isb();
	hyp_guest_regs_save(vcpu, vm, VHE_VIA_EL12);
	hyp_host_common_restore(&h.c, vm);
	hyp_debug_exit(vcpu);
	hyp_vgic_v3_save(vcpu, vm);
	isb();
	/* The host's debug exceptions as they were (the rest of DAIF: vcpu.c) */
	if (!(daif & PSR_D_BIT))
		asm volatile("msr daifclr, #8" : : : "memory");
	return code;
}
