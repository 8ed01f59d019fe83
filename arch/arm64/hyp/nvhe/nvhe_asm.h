/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, nVHE: what the EL2 assembly (hyp/nvhe/init.S, hyp/nvhe/host.S)
 * and the kernel side (arch/arm64/nvhe.c, which checks the offsets) share.
 */
#ifndef MODKVM_HYP_NVHE_ASM_H
#define MODKVM_HYP_NVHE_ASM_H

/*
 * The hyp stub's calls (Linux's arch/arm64/include/asm/virt.h: function
 * number in X0 of an HVC; HVC_STUB_ERR for anything it does not know).
 * The kernel's headers have them too; named here for the assembly.
 */
#define NV_HVC_SET_VECTORS	0
#define NV_HVC_SOFT_RESTART	1
#define NV_HVC_RESET_VECTORS	2
#define NV_HVC_STUB_HCALL_NR	4
#define NV_HVC_STUB_ERR		0xbadca11

/*
 * modkvm's own calls, while its vectors hold EL2: X0 is one of these,
 * far from the stub's numbers and from SMCCC function IDs.
 */
#define NV_HVC_PING		0x4d4b0001	/* self-test: "MK" 1 */
#define NV_HVC_FAULT_TEST	0x4d4b0002	/* self-test: a fault at EL2 */
#define NV_HVC_VCPU_RUN		0x4d4b0010	/* X1: the vCPU (hyp VA) */
#define NV_HVC_TLB_FLUSH_IPA	0x4d4b0011	/* X1: VMID, X2: IPA */
#define NV_HVC_TLB_FLUSH_VMID	0x4d4b0012	/* X1: VMID */
#define NV_HVC_TLB_FLUSH_HYP	0x4d4b0013	/* every EL2 TLB entry, all CPUs */
#define NV_HVC_READ_GIC_EL2	0x4d4b0014	/* ICC_SRE_EL2 in X1, ICH_VTR_EL2 in X2 */
#define NV_HVC_TLB_FLUSH_ALL	0x4d4b0015	/* every guest's, all CPUs (vmid.c) */
#define NV_HVC_GIC_CLEAR	0x4d4b0016	/* this CPU's ICH_*_EL2 set to 0 */

/* What an EL2 call answers when EL2 took an exception of its own */
#define NV_HVC_EL2_FAULT	0x4d4bdead

/* struct modkvm_nvhe_cpu: the init parameters, read with the MMU off */
#define NV_MAIR		0
#define NV_TCR		8
#define NV_IDMAP_TTBR	16
#define NV_MAIN_TTBR	24
#define NV_DELTA	32	/* hyp VA of the init page minus its PA */
#define NV_STACK	40	/* hyp VA of the top of this CPU's EL2 stack */
#define NV_VECTORS	48	/* hyp VA of __modkvm_nvhe_vectors */
#define NV_SELF		56	/* hyp VA of this structure (TPIDR_EL2) */
/* ... then what EL2 keeps while it runs */
#define NV_STUB_VECTORS	64	/* PA of the stub's vectors, given back */
#define NV_STUB_SCTLR	72	/* the stub's SCTLR_EL2, given back */
#define NV_TEARDOWN	80	/* hyp VA of __modkvm_nvhe_teardown */
#define NV_MAGIC	88	/* the self-test reads it through the EL2 map */
#define NV_HOST_ELR	96	/* the current call's return to the host */
#define NV_HOST_SPSR	104
#define NV_FAULT_ESR	112	/* an exception EL2 took itself: see nvhe.c */
#define NV_FAULT_ELR	120
#define NV_FAULT_FAR	128
#define NV_FAULT_SPSR	136
#define NV_FAULT_COUNT	144
#define NV_HOST_GPRS	152	/* the host's X18-X30, SP_EL0 at a guest run's call */
#define NV_RUN_STAGE	264	/* a guest run's progress: hyp/nvhe/switch.c */
#define NV_RUN_VCPU	272	/* its vCPU (hyp VA) */
#define NV_CPU_SIZE	280

/* SCTLR_EL2: M, C, SA, I (Arm ARM, SCTLR_EL2) */
#define NV_SCTLR_MMU_ON	((1 << 0) | (1 << 2) | (1 << 3) | (1 << 12))

#endif /* MODKVM_HYP_NVHE_ASM_H */
