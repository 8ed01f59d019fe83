/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, arm64: the guest's FP/SIMD registers in and out of the hardware.
 *
 * Called by the run loop (arch/arm64/fpsimd.c, for virt/vcpu.c) in the host's context, inside a
 * kernel_neon_begin() section, never by the world switch: FP/SIMD is
 * switched lazily around it, so this is not EL2 code and stays out of
 * hyp/.
 */
#include <linux/linkage.h>
#include <asm/assembler.h>

#include "hyp/switch_asm.h"

	.text

/* void __modkvm_fp_save(struct user_fpsimd_state *st) */
SYM_FUNC_START(__modkvm_fp_save)
	stp	q0, q1, [x0, #32 * 0]
	stp	q2, q3, [x0, #32 * 1]
	stp	q4, q5, [x0, #32 * 2]
	stp	q6, q7, [x0, #32 * 3]
	stp	q8, q9, [x0, #32 * 4]
	stp	q10, q11, [x0, #32 * 5]
	stp	q12, q13, [x0, #32 * 6]
	stp	q14, q15, [x0, #32 * 7]
	stp	q16, q17, [x0, #32 * 8]
	stp	q18, q19, [x0, #32 * 9]
	stp	q20, q21, [x0, #32 * 10]
	stp	q22, q23, [x0, #32 * 11]
	stp	q24, q25, [x0, #32 * 12]
	stp	q26, q27, [x0, #32 * 13]
	stp	q28, q29, [x0, #32 * 14]
	stp	q30, q31, [x0, #32 * 15]
	mrs	x1, fpsr
	str	w1, [x0, #FP_FPSR]
	mrs	x1, fpcr
	str	w1, [x0, #FP_FPCR]
	ret
SYM_FUNC_END(__modkvm_fp_save)

/* void __modkvm_fp_load(const struct user_fpsimd_state *st) */
SYM_FUNC_START(__modkvm_fp_load)
	ldp	q0, q1, [x0, #32 * 0]
	ldp	q2, q3, [x0, #32 * 1]
	ldp	q4, q5, [x0, #32 * 2]
	ldp	q6, q7, [x0, #32 * 3]
	ldp	q8, q9, [x0, #32 * 4]
	ldp	q10, q11, [x0, #32 * 5]
	ldp	q12, q13, [x0, #32 * 6]
	ldp	q14, q15, [x0, #32 * 7]
	ldp	q16, q17, [x0, #32 * 8]
	ldp	q18, q19, [x0, #32 * 9]
	ldp	q20, q21, [x0, #32 * 10]
	ldp	q22, q23, [x0, #32 * 11]
	ldp	q24, q25, [x0, #32 * 12]
	ldp	q26, q27, [x0, #32 * 13]
	ldp	q28, q29, [x0, #32 * 14]
	ldp	q30, q31, [x0, #32 * 15]
	ldr	w1, [x0, #FP_FPSR]
	msr	fpsr, x1
	ldr	w1, [x0, #FP_FPCR]
	msr	fpcr, x1
	ret
SYM_FUNC_END(__modkvm_fp_load)
