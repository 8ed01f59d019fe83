/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw AArch64 guest code inside a test binary.
 *
 *	GUEST_CODE(hello,
 *		"mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
 *		"str	xzr, [x20]\n"
 *		"b	.\n");
 *
 * emits the code between the symbols hello_start and hello_end (in
 * .rodata, so it is data to the host), 4 KiB aligned so that .balign
 * inside the snippet keeps its meaning once the snippet is copied to a
 * page-aligned guest address.  The code must be position independent
 * (use adr for its own data).  It runs with the MMU off: data accesses
 * are to Device memory, so keep them naturally aligned, and do MMIO with
 * single-register LDR/STR forms without writeback (those have a valid
 * instruction syndrome).
 */
#ifndef MODKVM_GUEST_H
#define MODKVM_GUEST_H

#include <stddef.h>

#define GUEST_STR_(x)	#x
#define GUEST_STR(x)	GUEST_STR_(x)

#define GUEST_CODE(name, body)						\
	extern const unsigned char name##_start[], name##_end[];	\
	asm(".pushsection .rodata.guest." #name ", \"a\"\n"		\
	    ".balign 4096\n"						\
	    ".globl " #name "_start\n"					\
	    #name "_start:\n"						\
	    body "\n"							\
	    ".balign 4\n"						\
	    ".globl " #name "_end\n"					\
	    #name "_end:\n"						\
	    ".popsection\n")

#define GUEST_SIZE(name)	((size_t)(name##_end - name##_start))

/*
 * Assembler macros usable in every snippet of the file:
 *   mov64 reg, imm     load a 64-bit constant (movz/movk, no literal pool)
 *   smccc fn           x0 = fn; hvc #0
 */
asm(".macro mov64 reg, imm\n"
	"	movz	\\reg, #((\\imm) & 0xffff)\n"
	"	movk	\\reg, #(((\\imm) >> 16) & 0xffff), lsl #16\n"
	"	movk	\\reg, #(((\\imm) >> 32) & 0xffff), lsl #32\n"
	"	movk	\\reg, #(((\\imm) >> 48) & 0xffff), lsl #48\n"
	".endm\n"
	".macro smccc fn\n"
	"	mov64	x0, \\fn\n"
	"	hvc	#0\n"
	".endm\n");

/*
 * A vector table (label "vectors", for VBAR_EL1) for guests that probe
 * whether instructions trap: x25 holds the bit of the probe under way;
 * a synchronous exception at EL1 adds it to x24 (it trapped) and, unless
 * EC is 0 ("unknown": an UNDEF), to x27; then the instruction is skipped.
 * Clobbers x1. End of a GUEST_CODE body.
 */
#define GUEST_PROBE_VECTORS						\
	"	.balign	2048\n"						\
	"vectors:\n"							\
	"	.org	vectors + 0x200\n"	/* synchronous, EL1, SP_EL1 */	\
	"	orr	x24, x24, x25\n"					\
	"	mrs	x1, esr_el1\n"						\
	"	lsr	x1, x1, #26\n"						\
	"	cbz	x1, 1f\n"						\
	"	orr	x27, x27, x25\n"					\
	"1:	mrs	x1, elr_el1\n"						\
	"	add	x1, x1, #4\n"						\
	"	msr	elr_el1, x1\n"						\
	"	eret\n"							\
	"	.org	vectors + 0x800\n"

/*
 * SMCCC / PSCI function identifiers and return codes used by the tests
 * (plain numbers, so that they can be pasted into guest code with
 * GUEST_STR; <linux/psci.h> has PSCI_RET_* and friends).
 */
#define SMCCC_FN_VERSION		0x80000000
#define SMCCC_FN_ARCH_FEATURES		0x80000001
#define SMCCC_FN_ARCH_WORKAROUND_1	0x80008000
#define SMCCC_FN_ARCH_WORKAROUND_2	0x80007fff
#define SMCCC_FN_ARCH_WORKAROUND_3	0x80003fff
#define PSCI_FN_VERSION			0x84000000
#define PSCI_FN_CPU_OFF			0x84000002
#define PSCI_FN64_CPU_ON		0xc4000003
#define PSCI_FN64_AFFINITY_INFO		0xc4000004
#define PSCI_FN_SYSTEM_OFF		0x84000008
#define PSCI_FN_SYSTEM_RESET		0x84000009
#define PSCI_FN_FEATURES		0x8400000a

#define SMCCC_RET_SUCCESS		0
#define SMCCC_RET_NOT_SUPPORTED		(-1)
#define SMCCC_RET_NOT_REQUIRED		(-2)

#endif /* MODKVM_GUEST_H */
