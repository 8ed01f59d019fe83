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

struct modkvm_nvhe_cpu {
	/* the init parameters, read with the MMU off */
	u64 mair, tcr, idmap_ttbr, main_ttbr, delta, stack, vectors, self;
	/* kept while EL2 is modkvm's */
	u64 stub_vectors, stub_sctlr, teardown, magic;
	u64 host_elr, host_spsr;	/* the current call's return */
	u64 fault_esr, fault_elr, fault_far, fault_spsr, fault_count;
	/* the host's EL1 registers while a guest runs (hyp/nvhe/switch.c) */
	u64 host_sys[SR_NR];
};

#endif /* MODKVM_HYP_NVHE_CPU_H */
