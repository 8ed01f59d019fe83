/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, arm64 VHE: entering the guest and coming back.
 *
 * The host kernel runs at EL2 (HCR_EL2.E2H = 1), so entering the guest is
 * an ERET from EL2 to EL1 and every exit is an exception taken to EL2. Our
 * vector table is installed only between entry and exit, with every
 * exception masked around the switch; the host's VBAR is restored before
 * returning to C.
 *
 * What is VHE's own here: VBAR_EL2 is reached as VBAR_EL1 (E2H redirects
 * it) and swapped with the host's on each trip, and the host's SP_EL0 is
 * the kernel's "current". An nVHE switch keeps its EL2 vectors installed
 * for as long as it holds EL2 and is entered by an HVC through them; the
 * general-register and key switching, the exit path and the guest's
 * vectors are what it can share.
 *
 * The host stack (SP_EL2) is untouched by the guest, so the frame pushed
 * on entry is found again at exit:
 *
 *	sp + 0	 ctxt pointer	host VBAR
 *	sp + 16	 keys pointer	(unused)
 *	sp + 32	 the host's pointer authentication keys (ten registers)
 *	sp + 112 x18		host SP_EL0 (the kernel's "current")
 *	sp + 128 x19 .. x30 (callee-saved, six pairs)
 *
 * Pointer authentication keys: the host kernel signs its return addresses
 * with its own APIA key, and the B, data and generic keys hold the
 * current task's (user) keys; none of them may reach a guest, and the
 * host must have them back before it runs a signed return. There are no
 * EL2 keys (EL2 and EL1 share the *KEY*_EL1 registers), so for a VM with
 * pointer authentication (keys pointer not NULL; HCR_EL2.API and APK set,
 * its key accesses do not trap) all ten are switched here: the host's
 * saved on the stack and the guest's loaded after the host's vectors are
 * replaced, with interrupts masked, and the other way round on the way
 * out, before anything returns. Nothing in between is C or a signed
 * return: only this file's code, whose own return is unsigned. The ERET
 * into the guest is context synchronizing; the ISB on the way out makes
 * the host's keys effective before its first authentication. A VM
 * without pointer authentication (NULL) has API/APK clear: it cannot use
 * or read the keys, so the host's stay in place.
 */
#include <linux/linkage.h>
#include <asm/assembler.h>
#include <asm/sysreg.h>

#include "switch_asm.h"

/*
 * Built twice: here for VHE, and by hyp/nvhe/entry.S for nVHE, where the
 * vectors are VBAR_EL2 by its own name (VBAR_EL1 is then the guest's or
 * the host's EL1 register) and the symbols get an _nvhe suffix.
 */
#ifndef HYP_NVHE_ENTRY
#define HYP_VBAR	vbar_el1	/* VBAR_EL2: E2H redirects */
#define HYP_SYM(x)	x
#else
#define HYP_VBAR	vbar_el2
#define HYP_SYM(x)	x##_nvhe
#endif

	.text

/* The ten key registers to or from [\base, #\off], in enum modkvm_sysreg order */
	.macro	keys_save base, off, t0, t1
	mrs_s	\t0, SYS_APIAKEYLO_EL1
	mrs_s	\t1, SYS_APIAKEYHI_EL1
	stp	\t0, \t1, [\base, #\off + 0]
	mrs_s	\t0, SYS_APIBKEYLO_EL1
	mrs_s	\t1, SYS_APIBKEYHI_EL1
	stp	\t0, \t1, [\base, #\off + 16]
	mrs_s	\t0, SYS_APDAKEYLO_EL1
	mrs_s	\t1, SYS_APDAKEYHI_EL1
	stp	\t0, \t1, [\base, #\off + 32]
	mrs_s	\t0, SYS_APDBKEYLO_EL1
	mrs_s	\t1, SYS_APDBKEYHI_EL1
	stp	\t0, \t1, [\base, #\off + 48]
	mrs_s	\t0, SYS_APGAKEYLO_EL1
	mrs_s	\t1, SYS_APGAKEYHI_EL1
	stp	\t0, \t1, [\base, #\off + 64]
	.endm

	.macro	keys_load base, off, t0, t1
	ldp	\t0, \t1, [\base, #\off + 0]
	msr_s	SYS_APIAKEYLO_EL1, \t0
	msr_s	SYS_APIAKEYHI_EL1, \t1
	ldp	\t0, \t1, [\base, #\off + 16]
	msr_s	SYS_APIBKEYLO_EL1, \t0
	msr_s	SYS_APIBKEYHI_EL1, \t1
	ldp	\t0, \t1, [\base, #\off + 32]
	msr_s	SYS_APDAKEYLO_EL1, \t0
	msr_s	SYS_APDAKEYHI_EL1, \t1
	ldp	\t0, \t1, [\base, #\off + 48]
	msr_s	SYS_APDBKEYLO_EL1, \t0
	msr_s	SYS_APDBKEYHI_EL1, \t1
	ldp	\t0, \t1, [\base, #\off + 64]
	msr_s	SYS_APGAKEYLO_EL1, \t0
	msr_s	SYS_APGAKEYHI_EL1, \t1
	.endm

/*
 * u32 __modkvm_guest_enter(struct modkvm_gp_regs *ctxt, u64 *keys)
 * Called with interrupts disabled; returns an enum modkvm_exit_code.
 * @keys: the guest's pointer authentication keys (KEYS_SIZE bytes), or
 * NULL for a VM without pointer authentication.
 */
SYM_FUNC_START(HYP_SYM(__modkvm_guest_enter))
	stp	x29, x30, [sp, #-16]!
	stp	x27, x28, [sp, #-16]!
	stp	x25, x26, [sp, #-16]!
	stp	x23, x24, [sp, #-16]!
	stp	x21, x22, [sp, #-16]!
	stp	x19, x20, [sp, #-16]!
	mrs	x2, sp_el0
	stp	x18, x2, [sp, #-16]!
	sub	sp, sp, #KEYS_SIZE		/* the host's keys */

	msr	daifset, #0xf
	stp	x1, xzr, [sp, #-16]!
	mrs	x2, HYP_VBAR
	stp	x0, x2, [sp, #-16]!
	adr	x2, HYP_SYM(__modkvm_vectors)
	msr	HYP_VBAR, x2

	/* From here to the ERET: no signed return, no C */
	cbz	x1, 1f
	keys_save sp, 32, x2, x3
	keys_load x1, 0, x2, x3
1:
	ldr	x1, [x0, #CTXT_SP_EL0]
	msr	sp_el0, x1
	ldr	x1, [x0, #CTXT_PC]
	msr	elr_el2, x1
	ldr	x1, [x0, #CTXT_PSTATE]
	msr	spsr_el2, x1
	isb

	ldp	x2, x3, [x0, #16 * 1]
	ldp	x4, x5, [x0, #16 * 2]
	ldp	x6, x7, [x0, #16 * 3]
	ldp	x8, x9, [x0, #16 * 4]
	ldp	x10, x11, [x0, #16 * 5]
	ldp	x12, x13, [x0, #16 * 6]
	ldp	x14, x15, [x0, #16 * 7]
	ldp	x16, x17, [x0, #16 * 8]
	ldp	x18, x19, [x0, #16 * 9]
	ldp	x20, x21, [x0, #16 * 10]
	ldp	x22, x23, [x0, #16 * 11]
	ldp	x24, x25, [x0, #16 * 12]
	ldp	x26, x27, [x0, #16 * 13]
	ldp	x28, x29, [x0, #16 * 14]
	ldr	x30, [x0, #16 * 15]
	ldp	x0, x1, [x0]
	eret
	dsb	nsh
	isb
SYM_FUNC_END(HYP_SYM(__modkvm_guest_enter))

/*
 * Every way out of the guest ends here with the guest's x0/x1 pushed on
 * the host stack and the exit code in x0.
 */
SYM_CODE_START_LOCAL(HYP_SYM(__modkvm_guest_exit))
	ldr	x1, [sp, #16]			/* ctxt */
	stp	x2, x3, [x1, #16 * 1]
	stp	x4, x5, [x1, #16 * 2]
	stp	x6, x7, [x1, #16 * 3]
	stp	x8, x9, [x1, #16 * 4]
	stp	x10, x11, [x1, #16 * 5]
	stp	x12, x13, [x1, #16 * 6]
	stp	x14, x15, [x1, #16 * 7]
	stp	x16, x17, [x1, #16 * 8]
	stp	x18, x19, [x1, #16 * 9]
	stp	x20, x21, [x1, #16 * 10]
	stp	x22, x23, [x1, #16 * 11]
	stp	x24, x25, [x1, #16 * 12]
	stp	x26, x27, [x1, #16 * 13]
	stp	x28, x29, [x1, #16 * 14]
	str	x30, [x1, #16 * 15]
	ldp	x2, x3, [sp], #16		/* the guest's x0, x1 */
	stp	x2, x3, [x1]
	mrs	x2, sp_el0
	str	x2, [x1, #CTXT_SP_EL0]
	mrs	x2, elr_el2
	str	x2, [x1, #CTXT_PC]
	mrs	x2, spsr_el2
	str	x2, [x1, #CTXT_PSTATE]

	ldp	x1, x2, [sp], #16		/* ctxt, host VBAR */
	msr	HYP_VBAR, x2
	ldr	x1, [sp], #16			/* the guest's keys, or NULL */
	cbz	x1, 1f
	keys_save x1, 0, x2, x3
	keys_load sp, 0, x2, x3			/* the host's */
1:	add	sp, sp, #KEYS_SIZE
	isb					/* VBAR and keys */
	ldp	x18, x1, [sp], #16
	msr	sp_el0, x1
	ldp	x19, x20, [sp], #16
	ldp	x21, x22, [sp], #16
	ldp	x23, x24, [sp], #16
	ldp	x25, x26, [sp], #16
	ldp	x27, x28, [sp], #16
	ldp	x29, x30, [sp], #16
	ret
SYM_CODE_END(HYP_SYM(__modkvm_guest_exit))

	.macro	guest_vector code
	.align	7
	stp	x0, x1, [sp, #-16]!
	mov	x0, #\code
	b	HYP_SYM(__modkvm_guest_exit)
	.endm

/*
 * An exception taken at EL2 itself while our vectors are in place means a
 * bug in the switch: leave through the same path so that the host gets
 * its state back and C can report MODKVM_EXIT_BAD.
 */
	.macro	bad_vector
	.align	7
	stp	x0, x1, [sp, #-16]!
	mov	x0, #EXIT_BAD
	b	HYP_SYM(__modkvm_guest_exit)
	.endm

	.align	11
SYM_CODE_START(HYP_SYM(__modkvm_vectors))
	bad_vector				/* EL2t sync */
	bad_vector				/* EL2t IRQ */
	bad_vector				/* EL2t FIQ */
	bad_vector				/* EL2t SError */
	bad_vector				/* EL2h sync */
	bad_vector				/* EL2h IRQ */
	bad_vector				/* EL2h FIQ */
	bad_vector				/* EL2h SError */
	guest_vector EXIT_SYNC			/* lower EL, AArch64 */
	guest_vector EXIT_IRQ
	guest_vector EXIT_FIQ
	guest_vector EXIT_SERROR
	guest_vector EXIT_SYNC			/* lower EL, AArch32 (guest EL0) */
	guest_vector EXIT_IRQ
	guest_vector EXIT_FIQ
	guest_vector EXIT_SERROR
SYM_CODE_END(HYP_SYM(__modkvm_vectors))
