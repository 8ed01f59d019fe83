/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, EL2: the SMCCC queries the world switch answers on its own.
 *
 * arch/arm64/hyp/ is for code that runs on the way into and out of the
 * guest, which on an nVHE host will run at EL2, outside the kernel: it
 * may read what is mapped there (the VM and the vCPU) but call no
 * ordinary kernel or module code, take no lock and read no kernel data
 * such as the sanitised ID registers.
 *
 * A guest asks some questions often whose answers are fixed per VM: the
 * SMCCC version and SMCCC_ARCH_FEATURES (Arm DEN0028), PSCI_VERSION,
 * MIGRATE_INFO_TYPE and PSCI_FEATURES (Arm DEN0022). They are computed in
 * advance, by the code that answers them on the slow path
 * (virt/psci.c, modkvm_smccc_fast_update()), whenever something they
 * depend on changes, into a table in the VM that the world switch only
 * looks up here. All five are Fast Calls of the SMC32/HVC32 convention,
 * so the function ID is W0 and the argument, for the two FEATURES calls
 * (a function ID), W1. The table's keys are written once, when the VM is
 * created; only the answers change after that, one word each, so a vCPU
 * running meanwhile sees either the old answer or the new one.
 */
#ifndef MODKVM_HYP_SMCCC_FAST_H
#define MODKVM_HYP_SMCCC_FAST_H

#include <linux/compiler.h>
#include <linux/limits.h>
#include <linux/types.h>

/* Keys in the table: see fast_keys[] in virt/psci.c */
#define MODKVM_SMCCC_FAST_NR	28

/* An answer left to the full exit (a call userspace wants to see) */
#define MODKVM_SMCCC_FAST_SLOW	S64_MIN

struct modkvm_smccc_fast_entry {
	u32 fn;		/* function ID (W0) */
	u32 arg;	/* W1, unless any_arg */
	bool any_arg;	/* any W1: after the function's own W1 values */
	s64 ret;	/* X0 (READ_ONCE), or MODKVM_SMCCC_FAST_SLOW */
};

struct modkvm_smccc_fast {
	struct modkvm_smccc_fast_entry e[MODKVM_SMCCC_FAST_NR];
};

/*
 * The answer to call @fn with W1 @arg in *@x0; false if the table does not
 * have it, and the call takes the full way out.
 */
static __always_inline bool
modkvm_hyp_smccc_fast(const struct modkvm_smccc_fast *t, u32 fn, u32 arg,
		      u64 *x0)
{
	unsigned int i;
	s64 ret;

	for (i = 0; i < MODKVM_SMCCC_FAST_NR; i++) {
		const struct modkvm_smccc_fast_entry *e = &t->e[i];

		if (e->fn != fn || (!e->any_arg && e->arg != arg))
			continue;
		ret = READ_ONCE(e->ret);
		if (ret == MODKVM_SMCCC_FAST_SLOW)
			return false;
		*x0 = ret;
		return true;
	}
	return false;
}

#endif /* MODKVM_HYP_SMCCC_FAST_H */
