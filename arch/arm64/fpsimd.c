// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: the guest's FP/SIMD registers.
 *
 * FP/SIMD is switched lazily where the kernel allows it: the guest runs
 * with FP trapped until it first uses it (modkvm_fp_get from the trap),
 * and its registers then stay loaded across exits handled in the kernel,
 * until KVM_RUN returns or the vCPU sleeps. This needs kernel-mode NEON
 * that survives preemption and sleeping (Linux 6.8 on); before that,
 * kernel_neon_begin() disables preemption, so the registers are loaded
 * for each entry and saved right after it (MODKVM_FP_LAZY, virt/vcpu.c).
 */
#include <asm/neon.h>

#include "modkvm.h"

/* fpsimd_asm.S */
void __modkvm_fp_save(struct user_fpsimd_state *st);
void __modkvm_fp_load(const struct user_fpsimd_state *st);

void modkvm_fp_get(struct modkvm_vcpu *vcpu)
{
	if (vcpu->arch.fp_loaded)
		return;
	kernel_neon_begin();		/* the host's FP state is saved */
	__modkvm_fp_load(&vcpu->arch.fp);
	vcpu->arch.fp_loaded = true;
}

void modkvm_fp_put(struct modkvm_vcpu *vcpu)
{
	if (!vcpu->arch.fp_loaded)
		return;
	__modkvm_fp_save(&vcpu->arch.fp);
	kernel_neon_end();
	vcpu->arch.fp_loaded = false;
}
