// SPDX-License-Identifier: GPL-2.0
/*
 * The Arm True Random Number Generator firmware interface, version 1.0
 * (Arm DEN0098), offered while bit 0 of KVM_REG_ARM_STD_BMAP is set
 * (smccc.c). The entropy comes from the host kernel's random pool
 * (get_random_bytes), which is seeded from the host's hardware sources.
 *
 *   TRNG_VERSION   1.0
 *   TRNG_FEATURES  SUCCESS for the five TRNG calls, NOT_SUPPORTED else
 *   TRNG_GET_UUID  modkvm's own TRNG UUID (below)
 *   TRNG_RND32     N = 1..96 bits in w1..w3 (w3 holds the low 32 bits)
 *   TRNG_RND64     N = 1..192 bits in x1..x3 (x3 holds the low 64 bits)
 *
 * The bits above N are zero. Another N gives INVALID_PARAMETERS; the
 * pool never runs dry, so NO_ENTROPY is never returned. Other function
 * numbers of the TRNG range, and the 64-bit forms of the 32-bit calls,
 * are NOT_SUPPORTED.
 */
#include <linux/arm-smccc.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/random.h>
#include <linux/string.h>

#include "modkvm.h"

#define TRNG_V1_0			0x10000	/* major 1 [30:16], minor 0 */
#define TRNG_INVALID_PARAMETERS		(-2)	/* DEN0098's own code */
#define TRNG_RND32_MAX_BITS		96
#define TRNG_RND64_MAX_BITS		192

/*
 * modkvm's TRNG UUID, 73fa5350-65c1-48f8-895d-a106121a0dd6, returned as
 * SMCCC returns UUIDs: bytes 0-3 in w0 (byte 0 in bits [7:0]), and so on.
 */
static const u32 modkvm_trng_uuid[4] = {
	0x5053fa73, 0xf848c165, 0x06a15d89, 0xd60d1a12,
};

static long trng_features(u32 fn)
{
	switch (fn) {
	case ARM_SMCCC_TRNG_VERSION:
	case ARM_SMCCC_TRNG_FEATURES:
	case ARM_SMCCC_TRNG_GET_UUID:
	case ARM_SMCCC_TRNG_RND32:
	case ARM_SMCCC_TRNG_RND64:
		return SMCCC_RET_SUCCESS;
	}
	return SMCCC_RET_NOT_SUPPORTED;
}

/*
 * @bits of entropy (1..192) as a 192-bit number, e[0] its low 64 bits;
 * the bits above @bits are zero.
 */
static void trng_entropy(u64 e[3], unsigned int bits)
{
	unsigned int i, n;

	get_random_bytes(e, 3 * sizeof(u64));
	for (i = 0; i < 3; i++) {
		n = bits > 64 * i ? min(bits - 64 * i, 64U) : 0;
		if (n < 64)
			e[i] &= n ? GENMASK_ULL(n - 1, 0) : 0;
	}
}

static void set_regs(struct modkvm_vcpu *vcpu, long x0, u64 x1, u64 x2,
		     u64 x3)
{
	modkvm_set_reg(&vcpu->arch, 0, (u64)x0);
	modkvm_set_reg(&vcpu->arch, 1, x1);
	modkvm_set_reg(&vcpu->arch, 2, x2);
	modkvm_set_reg(&vcpu->arch, 3, x3);
}

void modkvm_trng_call(struct modkvm_vcpu *vcpu, u32 fn)
{
	u64 a1 = modkvm_get_reg(&vcpu->arch, 1);
	unsigned int bits;
	u64 e[3];

	switch (fn) {
	case ARM_SMCCC_TRNG_VERSION:
		modkvm_set_reg(&vcpu->arch, 0, TRNG_V1_0);
		return;
	case ARM_SMCCC_TRNG_FEATURES:
		modkvm_set_reg(&vcpu->arch, 0,
			       (u64)trng_features(lower_32_bits(a1)));
		return;
	case ARM_SMCCC_TRNG_GET_UUID:
		set_regs(vcpu, modkvm_trng_uuid[0], modkvm_trng_uuid[1],
			 modkvm_trng_uuid[2], modkvm_trng_uuid[3]);
		return;
	case ARM_SMCCC_TRNG_RND32:
		bits = lower_32_bits(a1);
		if (!bits || bits > TRNG_RND32_MAX_BITS)
			break;
		trng_entropy(e, bits);
		set_regs(vcpu, SMCCC_RET_SUCCESS, lower_32_bits(e[1]),
			 upper_32_bits(e[0]), lower_32_bits(e[0]));
		memzero_explicit(e, sizeof(e));
		return;
	case ARM_SMCCC_TRNG_RND64:
		if (!a1 || a1 > TRNG_RND64_MAX_BITS)
			break;
		trng_entropy(e, a1);
		set_regs(vcpu, SMCCC_RET_SUCCESS, e[2], e[1], e[0]);
		memzero_explicit(e, sizeof(e));
		return;
	default:
		modkvm_set_reg(&vcpu->arch, 0, (u64)SMCCC_RET_NOT_SUPPORTED);
		return;
	}
	modkvm_set_reg(&vcpu->arch, 0, (u64)TRNG_INVALID_PARAMETERS);
}
