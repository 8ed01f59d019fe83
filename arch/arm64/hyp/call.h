/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, arm64: calling the code under hyp/ (EL2) from the kernel.
 *
 * On a VHE host the kernel itself runs at EL2 (HCR_EL2.E2H = 1), so a hyp
 * function is an ordinary function and calling it is a direct call. On an
 * nVHE host the kernel runs at EL1 and reaches EL2 only by taking an
 * exception there: HVC, which is taken to EL2 (Arm ARM, HVC instruction
 * and "Exception entry"). So the kernel calls a hyp entry point only
 * through modkvm_call_hyp() (no result) or modkvm_call_hyp_ret(), with its
 * short name: modkvm_call_hyp(tlb_flush_vmid, vmid) calls
 * __modkvm_hyp_tlb_flush_vmid(vmid) on VHE. The arguments are scalars, or
 * pointers to what an nVHE host maps at EL2 (the vCPU and its VM).
 * The caller disables interrupts, as exception entry to EL2 does for an
 * HVC (Arm ARM, PSTATE.{D,A,I,F} on taking an exception to AArch64).
 */
#ifndef MODKVM_HYP_CALL_H
#define MODKVM_HYP_CALL_H

#include <linux/jump_label.h>
#include <linux/types.h>

#include "hyp/nvhe/nvhe_asm.h"

struct modkvm_vcpu;

/* The hyp entry points */
int __modkvm_hyp_vcpu_run(struct modkvm_vcpu *vcpu);	/* hyp/vhe/switch.c */
void __modkvm_hyp_tlb_flush_ipa(u16 vmid, u64 ipa);	/* hyp/vhe/tlbi.c */
void __modkvm_hyp_tlb_flush_vmid(u16 vmid);
void __modkvm_hyp_tlb_flush_all(void);

/*
 * Which one is chosen once at load (nvhe.c turns the static key on when
 * it holds EL2 on an nVHE host), not tested per call beyond a patched
 * branch. On nVHE the call is an HVC (modkvm_nvhe_call(), nvhe.c) with a
 * function number from hyp/nvhe/nvhe_asm.h, taken by the module's EL2
 * vectors (hyp/nvhe/host.S), which call the nVHE entry point; pointers
 * are passed as hyp VAs (hyp_pgtable.c).
 */
DECLARE_STATIC_KEY_FALSE(modkvm_hyp_nvhe);

u64 modkvm_nvhe_call(u64 fn, u64 a1, u64 a2);
int modkvm_nvhe_vcpu_run(struct modkvm_vcpu *vcpu);

static inline int modkvm_hyp_call_vcpu_run(struct modkvm_vcpu *vcpu)
{
	if (static_branch_unlikely(&modkvm_hyp_nvhe))
		return modkvm_nvhe_vcpu_run(vcpu);
	return __modkvm_hyp_vcpu_run(vcpu);
}

static inline void modkvm_hyp_call_tlb_flush_ipa(u16 vmid, u64 ipa)
{
	if (static_branch_unlikely(&modkvm_hyp_nvhe))
		modkvm_nvhe_call(NV_HVC_TLB_FLUSH_IPA, vmid, ipa);
	else
		__modkvm_hyp_tlb_flush_ipa(vmid, ipa);
}

static inline void modkvm_hyp_call_tlb_flush_vmid(u16 vmid)
{
	if (static_branch_unlikely(&modkvm_hyp_nvhe))
		modkvm_nvhe_call(NV_HVC_TLB_FLUSH_VMID, vmid, 0);
	else
		__modkvm_hyp_tlb_flush_vmid(vmid);
}

static inline void modkvm_hyp_call_tlb_flush_all(void)
{
	if (static_branch_unlikely(&modkvm_hyp_nvhe))
		modkvm_nvhe_call(NV_HVC_TLB_FLUSH_ALL, 0, 0);
	else
		__modkvm_hyp_tlb_flush_all();
}

#define modkvm_call_hyp(name, ...)	modkvm_hyp_call_##name(__VA_ARGS__)
#define modkvm_call_hyp_ret(name, ...)	modkvm_hyp_call_##name(__VA_ARGS__)

#endif /* MODKVM_HYP_CALL_H */
