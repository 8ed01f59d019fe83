/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, nVHE: what each CPU's EL2 keeps, shared by the kernel side
 * (arch/arm64/nvhe.c, which fills it) and EL2, where TPIDR_EL2 holds its
 * hyp VA. The fields up to host_sys are read by the EL2 assembly at the
 * offsets of hyp/nvhe/nvhe_asm.h (checked in nvhe.c).
 */
#ifndef MODKVM_HYP_NVHE_CPU_H
#define MODKVM_HYP_NVHE_CPU_H

#include <linux/types.h>

#include "modkvm.h"
#include "hyp/switch.h"

/* What of the host's state a guest run has replaced, for a fault at EL2 */
enum nvhe_run_stage {
	NVHE_RUN_NONE,		/* nothing: the host's state is in place */
	NVHE_RUN_HOST_SAVED,	/* the host's registers saved, guest's going in */
	NVHE_RUN_DEBUG_LOADED,	/* and the debug registers switched */
	NVHE_RUN_GIC_LOADED,	/* and the guest's GIC state (ICH_*_EL2) */
};

/* The host's EL2 controls and timer around a guest run */
struct nvhe_host_regs {
	struct hyp_host_common c;
	u64 cptr, vpidr, vmpidr, vttbr, cntv_ctl, cntv_cval;
	u64 icc_sre;		/* ICC_SRE_EL1, the host's and the guest's */
};

struct modkvm_nvhe_cpu {
	/* the init parameters, read with the MMU off */
	u64 mair, tcr, idmap_ttbr, main_ttbr, delta, stack, vectors, self;
	/* kept while EL2 is modkvm's */
	u64 stub_vectors, stub_sctlr, teardown, magic;
	u64 host_elr, host_spsr;	/* the current call's return */
	u64 fault_esr, fault_elr, fault_far, fault_spsr, fault_count;
	u64 host_gprs[14];		/* X18-X30, SP_EL0 */
	u64 run_stage;			/* enum nvhe_run_stage */
	struct modkvm_vcpu *run_vcpu;
	/* C only: the host's state while a guest runs (hyp/nvhe/switch.c) */
	struct nvhe_host_regs host;
	u64 host_sys[SR_NR];		/* its EL1 registers, by SR_ index */
	u32 inject_fault;		/* test: fault in the next guest run */
};

#endif /* MODKVM_HYP_NVHE_CPU_H */
