// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64 nVHE: the world switch in C, at EL2.
 *
 * Entered by an HVC from the host kernel at EL1 (hyp/nvhe/host.S, through
 * modkvm_call_hyp(), hyp/call.h) with the vCPU's hyp VA; runs where only
 * hyp VAs are mapped (hyp_pgtable.c), so a kernel pointer read here is
 * translated first (vcpu->vm), and nothing outside hyp/ is called.
 *
 * What differs from VHE (hyp/vhe/switch.c); the rest is hyp/switch.h and
 * hyp/debug_sr.h, shared:
 *  - the guest's EL1 registers are the host kernel's own (no *_EL12
 *    names, Arm ARM "Virtualization Host Extensions"): the host's are
 *    saved before the guest's are loaded and put back after, the 16 of
 *    HYP_GUEST_EL1_REGS and its EL1 virtual timer (Linux at EL1 on a host
 *    with EL2 uses the physical timer, but the virtual one is saved too);
 *  - reads of MIDR_EL1 and MPIDR_EL1 at EL1 return VPIDR_EL2 and
 *    VMPIDR_EL2 (Arm ARM, those registers) for the host too: the host's
 *    are put back;
 *  - the host runs with its own VMID, that of the stub's VTTBR_EL2 (0):
 *    its EL1 TLB entries are tagged with it and its broadcast TLB
 *    maintenance uses it, so VTTBR_EL2 is put back before the host runs;
 *  - CPTR_EL2 and CNTHCTL_EL2 in their E2H = 0 layouts; HCR_EL2 without
 *    E2H and TGE for the guest;
 *  - the host's return (ELR_EL2, SPSR_EL2 of its HVC) is kept by
 *    hyp/nvhe/host.S, since entering the guest reuses both;
 *  - the GIC (IHI 0069): the host at EL1 drives the physical CPU interface
 *    through the ICC_*_EL1 registers, with the settings Linux's hyp stub
 *    made at EL2 at boot and that modkvm keeps: ICC_SRE_EL2.SRE (system
 *    registers at EL2, needed for the ICH_* registers) and .Enable (EL1
 *    may reach ICC_SRE_EL1 untrapped), ICH_HCR_EL2 0 (IHI 0069, those
 *    registers). While the guest runs with HCR_EL2.IMO and FMO set, its
 *    ICC_* accesses reach the virtual interface (the ICV_* registers)
 *    instead, so the host's own ICC_* state (PMR, group enables, active
 *    priorities) is untouched; the virtual interface's registers are the
 *    guest's or, for a VM without the vGIC, ICH_HCR_EL2's traps, switched
 *    by the helpers VHE uses too (hyp/vgic_v3_sr.h), and ICH_HCR_EL2 is 0
 *    again before the host runs, so no maintenance interrupt stays
 *    asserted (12.5.4). One register is shared: ICC_SRE_EL1 (it has no
 *    virtual copy, IHI 0069 ICC_SRE_EL1). The helpers set its SRE for the
 *    guest, as Linux has it; a guest could clear it where the hardware
 *    supports the legacy interface (IHI 0069, table "Permitted
 *    ICC_SRE_ELx.SRE settings": allowed with IMO, FMO and AMO set), so
 *    the host's value is put back.
 * FP/SIMD is switched lazily, as on VHE: the guest's registers are loaded
 * at EL1 by the host (fpsimd.c) when it first traps on them, CPTR_EL2.TFP
 * set until then; nothing at EL2 uses FP/SIMD.
 *
 * Called with the host's interrupts masked (and every exception masked at
 * EL2 by the HVC itself).
 */
#include <linux/kvm.h>
#include <asm/barrier.h>
#include <asm/esr.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "el2_regs.h"
#include "hyp_pgtable.h"
#include "hyp/debug_sr.h"
#include "hyp/switch.h"
#include "hyp/vgic_v3_sr.h"
#include "hyp/nvhe/nvhe_cpu.h"

/* nVHE: the guest's EL1 registers by their own names */
#define NVHE_VIA_EL12	false

u32 __modkvm_guest_enter_nvhe(struct modkvm_gp_regs *ctxt, u64 *keys);
int __modkvm_nvhe_vcpu_run(struct modkvm_vcpu *vcpu);
void __modkvm_nvhe_gic_clear(void);
void __modkvm_nvhe_recover(struct modkvm_nvhe_cpu *c, u64 stage);

/* A kernel address as EL2 sees it (hyp_pgtable.c) */
#define nvhe_hyp_ptr(p)	((typeof(p))((u64)(p) & MODKVM_HYP_VA_MASK))


/*
 * The guest's CPTR_EL2: FP/SIMD traps until its registers are loaded;
 * SVE, SME, trace, AMU and CPACR_EL1 accesses always trap.
 */
static __always_inline u64 nvhe_guest_cptr(u64 host, bool fp_loaded)
{
	u64 cptr = host | MK_CPTR_NVHE_TZ | MK_CPTR_NVHE_TSM |
		   MK_CPTR_NVHE_TTA | MK_CPTR_TAM | MK_CPTR_TCPAC;

	if (fp_loaded)
		return cptr & ~MK_CPTR_NVHE_TFP;
	return cptr | MK_CPTR_NVHE_TFP;
}

/*
 * The VM reaches the GIC's system registers (ICC_SRE_EL2.SRE set, as the
 * stub leaves it): either the vGIC's virtual interface or ICH_HCR_EL2's
 * traps (reset.c; the vGIC is only offered there, vgic_v3.c)
 */
static __always_inline bool nvhe_gic_sysregs(const struct modkvm_vcpu *vcpu,
					     const struct modkvm_vm *vm)
{
	return vcpu->arch.vgic.on || vm->arch.ich_hcr;
}

/* The host's HCR_EL2 (no stage 2), VMID and CPTR_EL2, first of all */
static __always_inline void nvhe_host_ctl_restore(const struct nvhe_host_regs *h)
{
	write_sysreg(h->c.hcr, hcr_el2);
	write_sysreg(h->vttbr, vttbr_el2);
	/* FPEXC32_EL2, saved next, traps under the guest's CPTR_EL2 */
	write_sysreg(h->cptr, cptr_el2);
	isb();
}

/* The rest of the host's state, once the guest's is saved */
static __always_inline void nvhe_host_restore(struct modkvm_nvhe_cpu *c,
					      struct modkvm_vcpu *vcpu,
					      const struct modkvm_vm *vm,
					      u64 stage)
{
	const struct nvhe_host_regs *h = &c->host;

	hyp_host_common_restore(&h->c, vm);
	hyp_guest_el1_load(c->host_sys, NVHE_VIA_EL12);
	write_sysreg(h->cntv_cval, cntv_cval_el0);
	write_sysreg(h->cntv_ctl, cntv_ctl_el0);
	if (stage >= NVHE_RUN_DEBUG_LOADED)
		hyp_debug_exit(vcpu);
	write_sysreg(h->vpidr, vpidr_el2);
	write_sysreg(h->vmpidr, vmpidr_el2);
	if (stage == NVHE_RUN_GIC_LOADED) {
		/* ICH_HCR_EL2 0 first, then the guest's interface saved */
		hyp_vgic_v3_save(vcpu, vm);
		if (nvhe_gic_sysregs(vcpu, vm) &&
		    read_sysreg_s(SYS_ICC_SRE_EL1) != h->icc_sre)
			write_sysreg_s(h->icc_sre, SYS_ICC_SRE_EL1);
	}
	isb();
	c->run_stage = NVHE_RUN_NONE;
}

/*
 * The host's state in memory (this CPU's struct modkvm_nvhe_cpu, so that
 * a fault at EL2 can put it back: __modkvm_nvhe_recover()), the guest's
 * in the hardware, the guest run, then the other way round.
 */
int __modkvm_nvhe_vcpu_run(struct modkvm_vcpu *vcpu)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;
	struct modkvm_vm *vm = nvhe_hyp_ptr(vcpu->vm);
	struct modkvm_nvhe_cpu *c = (void *)read_sysreg(tpidr_el2);
	struct nvhe_host_regs *h = &c->host;
	u32 code;

	hyp_host_common_save(&h->c, vm);
	h->cptr = read_sysreg(cptr_el2);
	h->vpidr = read_sysreg(vpidr_el2);
	h->vmpidr = read_sysreg(vmpidr_el2);
	h->vttbr = read_sysreg(vttbr_el2);
	h->cntv_ctl = read_sysreg(cntv_ctl_el0);
	h->cntv_cval = read_sysreg(cntv_cval_el0);
	if (nvhe_gic_sysregs(vcpu, vm))
		h->icc_sre = read_sysreg_s(SYS_ICC_SRE_EL1);
	hyp_guest_el1_save(c->host_sys, NVHE_VIA_EL12);	/* the host's, here */
	c->run_vcpu = vcpu;
	c->run_stage = NVHE_RUN_HOST_SAVED;

	hyp_guest_regs_load(vcpu, vm, NVHE_VIA_EL12);
	write_sysreg(hyp_guest_mdcr(h->c.mdcr) | hyp_debug_enter(vcpu), mdcr_el2);
	c->run_stage = NVHE_RUN_DEBUG_LOADED;
	if (unlikely(c->inject_fault)) {	/* nvhe.c: a test of the recovery */
		c->inject_fault = 0;
		*(volatile u64 *)BIT_ULL(48);	/* no hyp VA: a translation fault */
	}
	/* CNTHCTL_EL2, E2H = 0: counter access, no EL1 physical timer */
	write_sysreg(hyp_guest_cnthctl(h->c.cnthctl, vm,
				       MK_CNTHCTL_NVHE_EL1PCTEN,
				       MK_CNTHCTL_NVHE_EL1PCEN), cnthctl_el2);
	write_sysreg(nvhe_guest_cptr(h->cptr, a->fp_loaded), cptr_el2);
	hyp_vgic_v3_load(vcpu, vm);
	c->run_stage = NVHE_RUN_GIC_LOADED;
	write_sysreg(hyp_guest_hcr(vcpu, vm) & ~(MK_HCR_E2H | MK_HCR_TGE),
		     hcr_el2);
	isb();

	code = hyp_run_guest(vcpu, vm, __modkvm_guest_enter_nvhe);

	nvhe_host_ctl_restore(h);
	hyp_guest_regs_save(vcpu, vm, NVHE_VIA_EL12);
	nvhe_host_restore(c, vcpu, vm, c->run_stage);
	return code;
}

/*
 * This CPU's virtual CPU interface to 0 once EL2 is taken (nvhe.c, on CPUs
 * whose GIC has the system registers): there is nothing of it to keep, no
 * guest has run here since.
 */
void __modkvm_nvhe_gic_clear(void)
{
	if (read_sysreg_s(SYS_ICC_SRE_EL2) & MK_ICC_SRE_EL2_SRE) {
		hyp_vgic_v3_clear();
		isb();
	}
}

/*
 * Called by hyp/nvhe/host.S, on a fresh stack, when EL2 took an exception
 * of its own during a guest run that had replaced some of the host's
 * state (@stage, which host.S has already cleared in @c, so that a fault
 * in here does not come back here): the host's state back, so that the
 * host can report it and carry on; the vCPU fails its run (nvhe.c). The
 * guest's registers in the hardware are dropped, not saved, except the
 * virtual GIC interface once loaded: its list registers hold interrupts
 * that virt/vgic/ has handed over and reads back after the run.
 */
void __modkvm_nvhe_recover(struct modkvm_nvhe_cpu *c, u64 stage)
{
	struct modkvm_vcpu *vcpu = c->run_vcpu;

	nvhe_host_ctl_restore(&c->host);
	nvhe_host_restore(c, vcpu, nvhe_hyp_ptr(vcpu->vm), stage);
}
