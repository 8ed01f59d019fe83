/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Offsets and codes shared by the assembly (hyp/entry.S, fpsimd.S) and C
 * (checked in hyp/vhe/switch.c).
 */
#ifndef MODKVM_SWITCH_ASM_H
#define MODKVM_SWITCH_ASM_H

/* struct modkvm_gp_regs */
#define CTXT_SP_EL0	(31 * 8)
#define CTXT_PC		(32 * 8)
#define CTXT_PSTATE	(33 * 8)

/* the pointer authentication keys: ten registers (SR_APIAKEYLO_EL1 on) */
#define KEYS_SIZE	(10 * 8)

/* struct user_fpsimd_state */
#define FP_FPSR		(32 * 16)
#define FP_FPCR		(32 * 16 + 4)

/* exit codes: enum modkvm_exit_code */
#define EXIT_SYNC	0
#define EXIT_IRQ	1
#define EXIT_FIQ	2
#define EXIT_SERROR	3
#define EXIT_BAD	4

#endif /* MODKVM_SWITCH_ASM_H */
