/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, EL2: switching the self-hosted debug registers around the guest,
 * shared by the VHE and the nVHE world switch.
 *
 * What the guest runs with is decided at EL1 before each entry
 * (modkvm_debug_prepare(), arch/arm64/debug.c): MDSCR_EL1, the MDCR_EL2
 * bits, which set of breakpoints and watchpoints to load (none, the
 * guest's own from vcpu->arch.sys[], or userspace's from
 * KVM_SET_GUEST_DEBUG) and how many of each the guest is told of. Here,
 * at EL2 with debug exceptions masked, that is put into the hardware and
 * the host's values are saved in the vCPU (memory an nVHE host maps at
 * EL2), then put back at exit. Nothing here calls out of hyp/ or reads
 * kernel data (hyp/smccc_fast.h has the rules).
 *
 * Both a VHE and an nVHE host use MDSCR_EL1 and the DBGB/DBGW registers
 * by their own names: VHE does not redirect them (Arm ARM, "Virtualization
 * Host Extensions"), so the code is the same for both.
 *
 * The breakpoint and watchpoint registers name their number in the
 * instruction's encoding (DBGBVR<n>_EL1 is op0 2, op1 0, CRn 0, CRm n,
 * op2 4; DBGBCR 5, DBGWVR 6, DBGWCR 7: Arm ARM, the debug register
 * encodings), so each is reached by its own instruction: sixteen guarded
 * blocks per kind, straight-line code with no jump table (a table would be
 * data the hyp text reaches PC-relatively).
 */
#ifndef MODKVM_HYP_DEBUG_SR_H
#define MODKVM_HYP_DEBUG_SR_H

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/sysreg.h>

#include "modkvm.h"

/* DBGBCR<n>_EL1.HMC, DBGWCR<n>_EL1.HMC: match at EL2 */
#define HYP_DBGXCR_HMC		BIT_ULL(13)

/* ID_AA64DFR0_EL1.BRPs and WRPs: the count minus one */
#define HYP_DFR0_BRPS_SHIFT	12
#define HYP_DFR0_WRPS_SHIFT	20

static __always_inline unsigned int hyp_dfr0_count(u64 dfr0,
						   unsigned int shift)
{
	return ((dfr0 >> shift) & 0xf) + 1;
}

#define HYP_DBG_RD(n, op2)	read_sysreg_s(sys_reg(2, 0, 0, n, op2))
#define HYP_DBG_WR(v, n, op2)	write_sysreg_s(v, sys_reg(2, 0, 0, n, op2))

#define HYP_DBG_N16(M, ...)						\
	M(0, __VA_ARGS__) M(1, __VA_ARGS__) M(2, __VA_ARGS__)		\
	M(3, __VA_ARGS__) M(4, __VA_ARGS__) M(5, __VA_ARGS__)		\
	M(6, __VA_ARGS__) M(7, __VA_ARGS__) M(8, __VA_ARGS__)		\
	M(9, __VA_ARGS__) M(10, __VA_ARGS__) M(11, __VA_ARGS__)		\
	M(12, __VA_ARGS__) M(13, __VA_ARGS__) M(14, __VA_ARGS__)	\
	M(15, __VA_ARGS__)

/*
 * Pair @n of a kind (value register @op2v, control @op2c; @k the index of
 * the value kind in d->host[]): the host's saved, its control cleared
 * before anything else changes, then the new pair loaded if the guest may
 * have it, with HMC cleared so that it can never match at EL2.
 */
#define HYP_DBG_PAIR_IN(n, k, op2v, op2c)				\
	if ((n) < hw) {							\
		d->host[k][n] = HYP_DBG_RD(n, op2v);			\
		d->host[(k) + 1][n] = HYP_DBG_RD(n, op2c);		\
		HYP_DBG_WR(0, n, op2c);					\
		if ((n) < nr) {						\
			HYP_DBG_WR(vr[n], n, op2v);			\
			HYP_DBG_WR(cr[n] & ~HYP_DBGXCR_HMC, n, op2c);	\
		}							\
	}

#define HYP_DBG_PAIR_OUT(n, k, op2v, op2c)				\
	if ((n) < hw) {							\
		HYP_DBG_WR(d->host[k][n], n, op2v);			\
		HYP_DBG_WR(d->host[(k) + 1][n], n, op2c);		\
	}

/*
 * Register kinds, by op2 - 4 of their encoding: the first index of
 * d->host[] and d->user[]; vcpu->arch.sys[] has them in the same order.
 */
#define HYP_DBG_BVR	0
#define HYP_DBG_BCR	1
#define HYP_DBG_WVR	2
#define HYP_DBG_WCR	3

static_assert(SR_DBGBCR0_EL1 == SR_DBGBVR0_EL1 + MODKVM_DBG_MAX);
static_assert(SR_DBGWVR0_EL1 == SR_DBGBVR0_EL1 + 2 * MODKVM_DBG_MAX);
static_assert(SR_DBGWCR0_EL1 == SR_DBGBVR0_EL1 + 3 * MODKVM_DBG_MAX);

/* @hw pairs of this CPU, @nr of them loaded from @vr/@cr, the rest off */
static __always_inline void hyp_debug_brps_in(struct modkvm_debug *d,
					      unsigned int hw, unsigned int nr,
					      const u64 *vr, const u64 *cr)
{
	HYP_DBG_N16(HYP_DBG_PAIR_IN, HYP_DBG_BVR, 4, 5)
}

static __always_inline void hyp_debug_wrps_in(struct modkvm_debug *d,
					      unsigned int hw, unsigned int nr,
					      const u64 *vr, const u64 *cr)
{
	HYP_DBG_N16(HYP_DBG_PAIR_IN, HYP_DBG_WVR, 6, 7)
}

static __always_inline void hyp_debug_brps_out(struct modkvm_debug *d,
					       unsigned int hw)
{
	HYP_DBG_N16(HYP_DBG_PAIR_OUT, HYP_DBG_BVR, 4, 5)
}

static __always_inline void hyp_debug_wrps_out(struct modkvm_debug *d,
					       unsigned int hw)
{
	HYP_DBG_N16(HYP_DBG_PAIR_OUT, HYP_DBG_WVR, 6, 7)
}

/*
 * Put the debug state modkvm_debug_prepare() chose into the hardware.
 * Called by the world switch with interrupts and debug exceptions
 * masked; returns the MDCR_EL2 bits it needs (TDE when userspace takes
 * the guest's debug exceptions).
 */
static __always_inline u64 hyp_debug_enter(struct modkvm_vcpu *vcpu)
{
	struct modkvm_debug *d = &vcpu->arch.debug;
	const unsigned int m = MODKVM_DBG_MAX;
	const u64 *src = NULL;

	d->host_mdscr = read_sysreg(mdscr_el1);
	if (d->src == MODKVM_DBG_SRC_GUEST)
		src = &vcpu->arch.sys[SR_DBGBVR0_EL1];
	else if (d->src == MODKVM_DBG_SRC_USER)
		src = &d->user[0][0];
	if (src) {
		u64 dfr0 = read_sysreg_s(SYS_ID_AA64DFR0_EL1); /* this CPU's */
		unsigned int hb = hyp_dfr0_count(dfr0, HYP_DFR0_BRPS_SHIFT);
		unsigned int hw = hyp_dfr0_count(dfr0, HYP_DFR0_WRPS_SHIFT);

		hyp_debug_brps_in(d, hb, d->nr_brps < hb ? d->nr_brps : hb,
				  src + HYP_DBG_BVR * m, src + HYP_DBG_BCR * m);
		hyp_debug_wrps_in(d, hw, d->nr_wrps < hw ? d->nr_wrps : hw,
				  src + HYP_DBG_WVR * m, src + HYP_DBG_WCR * m);
		d->host_brps = hb;
		d->host_wrps = hw;
	}
	/* Usually both are 0: then the register is left alone. */
	if (d->guest_mdscr != d->host_mdscr)
		write_sysreg(d->guest_mdscr, mdscr_el1);
	return d->mdcr;
}

/* Give the host its debug state back (interrupts, debug masked) */
static __always_inline void hyp_debug_exit(struct modkvm_vcpu *vcpu)
{
	struct modkvm_debug *d = &vcpu->arch.debug;

	if (d->host_brps || d->host_wrps) {
		hyp_debug_brps_out(d, d->host_brps);
		hyp_debug_wrps_out(d, d->host_wrps);
		d->host_brps = 0;
		d->host_wrps = 0;
	}
	/* The guest cannot write MDSCR_EL1 itself: it traps (MDCR_EL2.TDA). */
	if (d->guest_mdscr != d->host_mdscr)
		write_sysreg(d->host_mdscr, mdscr_el1);
}

#endif /* MODKVM_HYP_DEBUG_SR_H */
