/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, nVHE: the EL2 vectors while modkvm holds EL2, at their hyp VA
 * (arch/arm64/nvhe.c maps the module's text there).
 *
 * The host kernel runs at EL1 and reaches EL2 only by HVC #0 (Arm ARM,
 * HVC), the function number in X0:
 *  - below HVC_STUB_HCALL_NR, the hyp stub's own calls keep their meaning
 *    (so the kernel's reboot, kexec and hibernation paths, which make
 *    them, work with modkvm loaded): HVC_SET_VECTORS, HVC_SOFT_RESTART
 *    and HVC_RESET_VECTORS give EL2 back first (hyp/nvhe/init.S,
 *    __modkvm_nvhe_teardown); anything else answers HVC_STUB_ERR, as the
 *    stub does;
 *  - modkvm's own calls (hyp/nvhe/nvhe_asm.h): the world switch and TLB
 *    maintenance are C (hyp/nvhe/switch.c, tlbi.c), called on this
 *    CPU's EL2 stack with X18 and X30 kept there.
 * Only X0-X17 may change, so the caller keeps X18-X30 (nvhe.c).
 *
 * An exception EL2 takes itself (a bug in modkvm's EL2 code) is recorded
 * in this CPU's struct modkvm_nvhe_cpu (ESR, ELR, FAR, SPSR) and the call
 * that was running returns NV_HVC_EL2_FAULT to the host, on a fresh stack,
 * for nvhe.c to report from EL1, instead of hanging at EL2.
 */
#include <linux/linkage.h>
#include <asm/assembler.h>
#include <asm/sysreg.h>

#include "nvhe_asm.h"

#define ESR_EC_SHIFT	26
#define ESR_EC_HVC64	0x16

	.text

/*
 * Call C on this CPU's EL2 stack, the HVC's X1-X3 as its arguments; X18
 * and the host's X30 are kept there (the rest of X0-X17 may change).
 */
	.macro	nv_c_call func
	mov	x0, x1
	mov	x1, x2
	mov	x2, x3
	stp	x18, x30, [sp, #-16]!
	bl	\func
	ldp	x18, x30, [sp], #16
	.endm

/* The host's X18-X29 to or from [\base] (op: stp or ldp) */
	.macro	nv_host_x18_x29 op, base
	\op	x18, x19, [\base, #0]
	\op	x20, x21, [\base, #16]
	\op	x22, x23, [\base, #32]
	\op	x24, x25, [\base, #48]
	\op	x26, x27, [\base, #64]
	\op	x28, x29, [\base, #80]
	.endm

	.macro	nv_vector target
	.align	7
	b	\target
	.endm

	.align	11
SYM_CODE_START(__modkvm_nvhe_vectors)
	nv_vector	nv_el2_fault	/* EL2t sync */
	nv_vector	nv_el2_fault	/* EL2t IRQ */
	nv_vector	nv_el2_fault	/* EL2t FIQ */
	nv_vector	nv_el2_fault	/* EL2t SError */
	nv_vector	nv_el2_fault	/* EL2h sync */
	nv_vector	nv_el2_fault	/* EL2h IRQ */
	nv_vector	nv_el2_fault	/* EL2h FIQ */
	nv_vector	nv_el2_fault	/* EL2h SError */
	nv_vector	nv_host_sync	/* lower EL, AArch64: the host's HVC */
	nv_vector	nv_host_bad	/* IRQ, FIQ, SError: routed to EL1 (HCR_EL2 */
	nv_vector	nv_host_bad	/* IMO, FMO, AMO clear) while no guest runs */
	nv_vector	nv_host_bad
	nv_vector	nv_host_bad	/* lower EL, AArch32: the host is AArch64 */
	nv_vector	nv_host_bad
	nv_vector	nv_host_bad
	nv_vector	nv_host_bad
SYM_CODE_END(__modkvm_nvhe_vectors)

SYM_CODE_START_LOCAL(nv_host_sync)
	mrs	x9, esr_el2
	lsr	x10, x9, #ESR_EC_SHIFT
	cmp	x10, #ESR_EC_HVC64
	b.ne	nv_host_bad
	mrs	x9, tpidr_el2
	mrs	x10, elr_el2
	mrs	x11, spsr_el2
	stp	x10, x11, [x9, #NV_HOST_ELR]
	cmp	x0, #NV_HVC_STUB_HCALL_NR
	b.hs	1f
	cmp	x0, #NV_HVC_RESET_VECTORS
	b.hi	nv_stub_err		/* HVC_FINALISE_EL2: boot time only */
	ldr	x9, [x9, #NV_TEARDOWN]
	br	x9
1:	mov_q	x10, NV_HVC_VCPU_RUN
	cmp	x0, x10
	b.ne	3f
	/* kept for a fault in the run: nv_el2_fault */
	add	x10, x9, #NV_HOST_GPRS
	nv_host_x18_x29 stp, x10
	mrs	x11, sp_el0
	stp	x30, x11, [x10, #96]
	nv_c_call __modkvm_nvhe_vcpu_run
	b	nv_host_return
3:	mov_q	x10, NV_HVC_TLB_FLUSH_IPA
	cmp	x0, x10
	b.ne	4f
	nv_c_call __modkvm_nvhe_tlb_flush_ipa
	mov	x0, xzr
	eret
4:	mov_q	x10, NV_HVC_TLB_FLUSH_VMID
	cmp	x0, x10
	b.ne	5f
	nv_c_call __modkvm_nvhe_tlb_flush_vmid
	mov	x0, xzr
	eret
5:	mov_q	x10, NV_HVC_TLB_FLUSH_HYP
	cmp	x0, x10
	b.ne	6f
	dsb	ishst
	tlbi	alle2is
	dsb	ish
	isb
	mov	x0, xzr
	eret
6:	mov_q	x10, NV_HVC_TLB_FLUSH_ALL
	cmp	x0, x10
	b.ne	8f
	/*
	 * Every guest's entries, all VMIDs, stage 1 and 2, on every PE in
	 * the Inner Shareable domain (TLBI ALLE1IS names the EL1&0 regime,
	 * so VTTBR_EL2's VMID does not matter): a new VMID generation.
	 */
	dsb	ishst
	tlbi	alle1is
	dsb	ish
	isb
	mov	x0, xzr
	eret
8:	mov_q	x10, NV_HVC_READ_GIC_EL2
	cmp	x0, x10
	b.ne	7f
	/*
	 * The GIC's EL2 registers EL1 cannot read (IHI 0069 12.4): both
	 * UNDEFINED without the system register interface (a fault), and
	 * the ICH_* ones also while ICC_SRE_EL2.SRE is 0 (then X2 is 0).
	 */
	mrs_s	x1, SYS_ICC_SRE_EL2
	mov	x2, xzr
	tbz	x1, #0, 9f		/* ICC_SRE_EL2.SRE */
	mrs_s	x2, SYS_ICH_VTR_EL2
9:	mov	x0, xzr
	eret
	/* The virtual CPU interface to 0 (hyp/nvhe/switch.c) */
7:	mov_q	x10, NV_HVC_GIC_CLEAR
	cmp	x0, x10
	b.ne	10f
	nv_c_call __modkvm_nvhe_gic_clear
	mov	x0, xzr
	eret
10:	mov_q	x10, NV_HVC_FAULT_TEST
	cmp	x0, x10
	b.ne	2f
	ldr	x1, [x1]		/* X1: an address no EL2 map holds */
	b	nv_stub_err
2:	mov_q	x10, NV_HVC_PING
	cmp	x0, x10
	b.ne	nv_stub_err
	/* The self-test: EL2's own view, and a word read through its map */
	mrs	x1, sctlr_el2
	ldr	x2, [x9, #NV_MAGIC]
	mrs	x3, vbar_el2
	mov	x0, xzr
	eret
SYM_CODE_END(nv_host_sync)

/* After a call that ran the guest: the host's return, kept on entry */
SYM_CODE_START_LOCAL(nv_host_return)
	mrs	x9, tpidr_el2
	ldp	x10, x11, [x9, #NV_HOST_ELR]
	msr	elr_el2, x10
	msr	spsr_el2, x11
	eret
SYM_CODE_END(nv_host_return)

SYM_CODE_START_LOCAL(nv_stub_err)
	mov_q	x0, NV_HVC_STUB_ERR
	eret
SYM_CODE_END(nv_stub_err)

/*
 * Not an HVC from the host: nothing else is routed to EL2 while the host
 * runs. Recorded as an EL2 fault; the host continues after the
 * instruction, with NV_HVC_EL2_FAULT in X0.
 */
SYM_CODE_START_LOCAL(nv_host_bad)
	mrs	x9, tpidr_el2
	mrs	x10, elr_el2
	mrs	x11, spsr_el2
	add	x10, x10, #4
	stp	x10, x11, [x9, #NV_HOST_ELR]
	b	nv_el2_fault
SYM_CODE_END(nv_host_bad)

/*
 * Record the exception, then return to the host where the current call
 * would have returned (NV_HOST_ELR/SPSR, saved on entry), on a fresh stack.
 */
SYM_CODE_START_LOCAL(nv_el2_fault)
	mrs	x9, tpidr_el2
	mrs	x10, esr_el2
	mrs	x11, elr_el2
	stp	x10, x11, [x9, #NV_FAULT_ESR]
	mrs	x10, far_el2
	mrs	x11, spsr_el2
	stp	x10, x11, [x9, #NV_FAULT_FAR]
	ldr	x10, [x9, #NV_FAULT_COUNT]
	add	x10, x10, #1
	str	x10, [x9, #NV_FAULT_COUNT]
	ldp	x10, x11, [x9, #NV_HOST_ELR]
	msr	elr_el2, x10
	msr	spsr_el2, x11
	ldr	x10, [x9, #NV_STACK]
	mov	sp, x10
	/* In a guest run that replaced the host's state: put it back */
	ldr	x1, [x9, #NV_RUN_STAGE]
	cbz	x1, 1f
	str	xzr, [x9, #NV_RUN_STAGE]
	mov	x0, x9
	bl	__modkvm_nvhe_recover
	mrs	x9, tpidr_el2
	add	x10, x9, #NV_HOST_GPRS
	nv_host_x18_x29 ldp, x10
	ldp	x30, x11, [x10, #96]
	msr	sp_el0, x11
1:	mov_q	x0, NV_HVC_EL2_FAULT
	eret
SYM_CODE_END(nv_el2_fault)
