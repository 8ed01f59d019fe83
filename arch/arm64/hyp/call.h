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
 * __modkvm_hyp_tlb_flush_vmid(vmid). The arguments are scalars, or
 * pointers to what an nVHE host will map at EL2 (the vCPU and its VM).
 * The caller disables interrupts, as exception entry to EL2 does for an
 * HVC (Arm ARM, PSTATE.{D,A,I,F} on taking an exception to AArch64).
 */
#ifndef MODKVM_HYP_CALL_H
#define MODKVM_HYP_CALL_H

#include <linux/errno.h>
#include <linux/types.h>

struct modkvm_vcpu;

/* The hyp entry points */
int __modkvm_hyp_vcpu_run(struct modkvm_vcpu *vcpu);	/* hyp/vhe/switch.c */
void __modkvm_hyp_tlb_flush_ipa(u16 vmid, u64 ipa);	/* hyp/vhe/tlbi.c */
void __modkvm_hyp_tlb_flush_vmid(u16 vmid);
void __modkvm_hyp_tlb_flush_all(void);

/*
 * 0: VHE only, as long as modkvm refuses nVHE hosts at load (hostcheck.c).
 * The nVHE world switch (issue 11) sets it, or turns it into a run-time
 * choice made once at load (a static key, not a test per call).
 */
#ifndef MODKVM_HYP_NVHE
#define MODKVM_HYP_NVHE		0
#endif

#if !MODKVM_HYP_NVHE

#define modkvm_call_hyp(name, ...)	__modkvm_hyp_##name(__VA_ARGS__)
#define modkvm_call_hyp_ret(name, ...)	__modkvm_hyp_##name(__VA_ARGS__)

#else

/* One number per entry point above, passed in X0 with the HVC */
enum modkvm_hyp_fn {
	MODKVM_HYP_FN_vcpu_run,
	MODKVM_HYP_FN_tlb_flush_ipa,
	MODKVM_HYP_FN_tlb_flush_vmid,
	MODKVM_HYP_FN_tlb_flush_all,
};

/*
 * TODO nVHE: HVC #0 with the function number in X0 and the arguments in
 * X1..., taken by the module's EL2 vectors, which call the entry point
 * and return its result in X0. Until that exists every call fails.
 */
static inline long __modkvm_call_hyp_nvhe(enum modkvm_hyp_fn fn, ...)
{
	return -EOPNOTSUPP;
}

#define modkvm_call_hyp(name, ...)					\
	((void)__modkvm_call_hyp_nvhe(MODKVM_HYP_FN_##name, ##__VA_ARGS__))
#define modkvm_call_hyp_ret(name, ...)					\
	__modkvm_call_hyp_nvhe(MODKVM_HYP_FN_##name, ##__VA_ARGS__)

#endif /* MODKVM_HYP_NVHE */

#endif /* MODKVM_HYP_CALL_H */
