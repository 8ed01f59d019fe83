/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, nVHE: the init page, the one page of EL2 code that runs at its
 * physical address.
 *
 * This block is never run where the module loader put it: arch/arm64/
 * nvhe.c copies it, position independent, to the start of a page of its
 * own, cleans that page to the point of coherency and maps it at EL2
 * twice, at its physical address (the identity map) and at its hyp VA.
 * It holds:
 *  - the init vectors, at offset 0 (2 KiB aligned, Arm ARM "Exception
 *    vectors"), installed through the hyp stub's HVC_SET_VECTORS; the
 *    next HVC (X0: the physical address of this CPU's struct
 *    modkvm_nvhe_cpu) runs __modkvm_nvhe_init with the MMU off;
 *  - __modkvm_nvhe_init: the EL2 MMU on with the identity tables, a jump
 *    to the hyp VA alias, the module's own tables, stack, TPIDR_EL2 and
 *    vectors, then back to EL1;
 *  - __modkvm_nvhe_teardown, reached from the module's vectors for the
 *    stub's own calls (HVC_SET_VECTORS, HVC_SOFT_RESTART,
 *    HVC_RESET_VECTORS): back to the identity tables, to the physical
 *    alias, the stub's SCTLR_EL2 (MMU off) and vectors again, then what
 *    the stub would have done with the call;
 *  - __modkvm_nvhe_probe: run by the stub's HVC_SOFT_RESTART before
 *    anything is installed, it answers VBAR_EL2 (the stub's vectors,
 *    which the kernel does not export) and returns to EL1.
 * Nothing here reads a literal pool or an absolute address.
 */
#include <linux/linkage.h>
#include <asm/assembler.h>

#include "nvhe_asm.h"

	.text
	.align	12
SYM_CODE_START(__modkvm_nvhe_init_start)
	/* The init vectors: only an HVC from EL1 is expected */
	.rept	8
	.align	7
	b	.			/* EL2: nothing runs at EL2 yet */
	.endr
	.align	7
	b	__modkvm_nvhe_init	/* lower EL, AArch64, synchronous */
	.rept	7
	.align	7
	b	.
	.endr
	.align	7

/*
 * X0: physical address of this CPU's struct modkvm_nvhe_cpu, cleaned to
 * the point of coherency (data accesses are Device with the MMU off).
 * Everything is read before the MMU goes on; ELR_EL2 and SPSR_EL2 still
 * hold the HVC's return, which the final ERET takes.
 */
SYM_INNER_LABEL(__modkvm_nvhe_init, SYM_L_LOCAL)
	ic	iallu			/* nothing stale from an earlier use of this page */
	dsb	nsh
	isb
	ldr	x1, [x0, #NV_MAIR]
	ldr	x2, [x0, #NV_TCR]
	ldr	x3, [x0, #NV_IDMAP_TTBR]
	ldr	x4, [x0, #NV_MAIN_TTBR]
	ldr	x5, [x0, #NV_DELTA]
	ldr	x6, [x0, #NV_STACK]
	ldr	x7, [x0, #NV_VECTORS]
	ldr	x8, [x0, #NV_SELF]
	mrs	x9, sctlr_el2		/* the stub's, given back later */
	msr	mair_el2, x1
	msr	tcr_el2, x2
	msr	ttbr0_el2, x3
	isb
	tlbi	alle2
	dsb	ish
	isb
	mov_q	x10, NV_SCTLR_MMU_ON
	orr	x10, x9, x10
	msr	sctlr_el2, x10
	isb
	/* MMU on, still at the physical address: on to the hyp VA alias */
	adr	x10, 1f
	add	x10, x10, x5
	br	x10
1:	msr	ttbr0_el2, x4		/* the module's tables: no identity map */
	isb
	tlbi	alle2
	dsb	ish
	isb
	str	x9, [x8, #NV_STUB_SCTLR]
	mov	sp, x6
	msr	tpidr_el2, x8
	msr	vbar_el2, x7
	isb
	mov	x0, xzr
	eret

/*
 * Entered at the hyp VA from __modkvm_nvhe_vectors with the stub's call in
 * X0 (HVC_SET_VECTORS, HVC_SOFT_RESTART or HVC_RESET_VECTORS) and its
 * arguments in X1-X4, which are kept: EL2 is given up, then the call does
 * what the stub does with it.
 */
SYM_INNER_LABEL(__modkvm_nvhe_teardown, SYM_L_GLOBAL)
	mrs	x9, tpidr_el2
	ldr	x10, [x9, #NV_IDMAP_TTBR]
	ldr	x11, [x9, #NV_DELTA]
	ldr	x12, [x9, #NV_STUB_VECTORS]
	ldr	x13, [x9, #NV_STUB_SCTLR]
	msr	ttbr0_el2, x10		/* this page at both addresses */
	isb
	tlbi	alle2
	dsb	ish
	isb
	adr	x14, 1f
	sub	x14, x14, x11
	br	x14
1:	msr	sctlr_el2, x13		/* the stub's again: MMU off */
	isb
	tlbi	alle2
	dsb	ish
	ic	iallu
	dsb	nsh
	isb
	cmp	x0, #NV_HVC_SET_VECTORS
	b.ne	2f
	msr	vbar_el2, x1
	b	9f
2:	msr	vbar_el2, x12
	isb
	cmp	x0, #NV_HVC_SOFT_RESTART
	b.ne	9f
	mov	x0, x2			/* as the stub: X1 entry, X2-X4 its X0-X2 */
	mov	x2, x4
	mov	x4, x1
	mov	x1, x3
	br	x4
9:	isb
	mov	x0, xzr
	eret

/* Run through the stub's HVC_SOFT_RESTART: its VBAR_EL2 back to EL1 */
SYM_INNER_LABEL(__modkvm_nvhe_probe, SYM_L_GLOBAL)
	mrs	x0, vbar_el2
	eret
SYM_INNER_LABEL(__modkvm_nvhe_init_end, SYM_L_GLOBAL)
SYM_CODE_END(__modkvm_nvhe_init_start)
