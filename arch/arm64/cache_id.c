// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: the cache hierarchy a guest is told (CLIDR_EL1,
 * CCSIDR_EL1 selected by CSSELR_EL1, CTR_EL0), trapped by HCR_EL2.TID4
 * (FEAT_EVT) or TID2 (which also traps CTR_EL0), and userspace's view of
 * it: CLIDR_EL1 as a system register and the CCSIDR values through the
 * KVM_REG_ARM_DEMUX_ID_CCSIDR ids of api.rst (one 32-bit value per
 * CSSELR_EL1 value Level:InD, 0..13), which the in-kernel KVM lists too,
 * so that a guest moves between the two with them.
 *
 * The hierarchy is not the hardware's (which can differ from CPU to
 * CPU) but one derived from the system-wide CTR_EL0, which is what the
 * guest's cache maintenance by address needs (Arm ARM D7.5, D23.2:
 * CTR_EL0, CLIDR_EL1, CCSIDR_EL1):
 *   - level 1: an instruction cache unless CTR_EL0.DIC says instruction
 *     invalidation is not needed for coherence, a data cache unless
 *     CTR_EL0.IDC says data cleaning to the PoU is not needed (then
 *     LoUU and LoUIS are 1); a unified cache at the next level, the
 *     point of coherency (LoC);
 *   - every CCSIDR value: one set of one way, with the smallest line
 *     size of CTR_EL0 (IminLine for instruction caches, DminLine for the
 *     others), the size maintenance by address steps by.
 * Set/way maintenance does not depend on it (HCR_EL2.TSW: the whole guest
 * is cleaned, sys_regs.c). Userspace may set any CLIDR whose fields are
 * defined and which does not tell the guest it may skip cleaning that
 * the hardware needs, and any CCSIDR value whose line is no smaller than
 * the hardware's smallest.
 */
#include <linux/bitfield.h>
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <asm/cpufeature.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "sys_regs.h"

#define CTR_IMINLINE		GENMASK_ULL(3, 0)
#define CTR_DMINLINE		GENMASK_ULL(19, 16)
#define MK_CTR_IDC			BIT_ULL(28)
#define MK_CTR_DIC			BIT_ULL(29)

#define MK_CLIDR_CTYPE(n)		(7ULL << (3 * ((n) - 1)))	/* n = 1..7 */
#define MK_CLIDR_LOUIS		GENMASK_ULL(23, 21)
#define MK_CLIDR_LOC		GENMASK_ULL(26, 24)
#define MK_CLIDR_LOUU		GENMASK_ULL(29, 27)
/* Ctype1-7, LoUIS, LoC, LoUU, ICB; Ttype (FEAT_MTE2) is not given */
#define MK_CLIDR_VALID		GENMASK_ULL(32, 0)
#define CTYPE_INST		1
#define CTYPE_DATA		2
#define CTYPE_UNIFIED		4

#define CCSIDR_LINESIZE		GENMASK_ULL(2, 0)
#define CSSELR_IND		BIT_ULL(0)
#define CSSELR_LEVEL_IND	GENMASK_ULL(3, 0)

static u64 host_ctr(void)
{
	return read_sanitised_ftr_reg(SYS_CTR_EL0);
}

/* log2 of the smallest line in bytes: CTR_EL0 gives log2 of words */
static unsigned int min_line_log2(bool icache)
{
	u64 ctr = host_ctr();

	return (icache ? FIELD_GET(CTR_IMINLINE, ctr) :
			 FIELD_GET(CTR_DMINLINE, ctr)) + 2;
}

static u64 default_clidr(void)
{
	u64 ctr = host_ctr(), clidr = 0, l1 = 0;
	unsigned int loc;

	if (!(ctr & MK_CTR_DIC))
		l1 |= CTYPE_INST;
	if (!(ctr & MK_CTR_IDC)) {
		l1 |= CTYPE_DATA;
		clidr |= FIELD_PREP(MK_CLIDR_LOUU, 1) | FIELD_PREP(MK_CLIDR_LOUIS, 1);
	}
	loc = l1 ? 2 : 1;
	clidr |= l1 << 0;
	clidr |= (u64)CTYPE_UNIFIED << (3 * (loc - 1));
	return clidr | FIELD_PREP(MK_CLIDR_LOC, loc);
}

static u32 default_ccsidr(unsigned int csselr)
{
	return FIELD_PREP(CCSIDR_LINESIZE,
			  min_line_log2(csselr & CSSELR_IND) - 4);
}

/* CLIDR_EL1 (reset hook of the table) and the CCSIDR values */
void modkvm_cache_id_reset(struct modkvm_vcpu *vcpu,
			   const struct modkvm_sys_reg *r)
{
	unsigned int i;

	vcpu->arch.sys[r->slot] = default_clidr();
	for (i = 0; i < MODKVM_NR_CCSIDR; i++)
		vcpu->arch.ccsidr[i] = default_ccsidr(i);
}

int modkvm_clidr_set_user(struct modkvm_vcpu *vcpu,
			  const struct modkvm_sys_reg *r, u64 val)
{
	bool no_clean = !FIELD_GET(MK_CLIDR_LOC, val) ||
			(!FIELD_GET(MK_CLIDR_LOUU, val) &&
			 !FIELD_GET(MK_CLIDR_LOUIS, val));
	unsigned int n;

	if (val & ~MK_CLIDR_VALID)
		return -EINVAL;
	for (n = 1; n <= 7; n++)	/* 0b101-0b111 are reserved */
		if (((val & MK_CLIDR_CTYPE(n)) >> (3 * (n - 1))) > CTYPE_UNIFIED)
			return -EINVAL;
	/* no data cleaning to the PoU where the hardware needs it */
	if (no_clean && !(host_ctr() & MK_CTR_IDC))
		return -EINVAL;
	vcpu->arch.sys[r->slot] = val;
	return 0;
}

/* CCSIDR_EL1: read-only, the value CSSELR_EL1 selects (0: none) */
bool modkvm_trap_ccsidr(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
			const struct modkvm_sys_reg *r)
{
	unsigned int sel = vcpu->arch.sys[SR_CSSELR_EL1] & CSSELR_LEVEL_IND;

	if (!p->read)
		return false;
	p->val = sel < MODKVM_NR_CCSIDR ? vcpu->arch.ccsidr[sel] : 0;
	return true;
}

/* KVM_REG_ARM_DEMUX ids: CCSIDR index in the low byte, 32 bits */
#define DEMUX_ID(i)	(KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_DEMUX | \
			 KVM_REG_ARM_DEMUX_ID_CCSIDR | (i))
#define DEMUX_KNOWN	(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK | \
			 KVM_REG_ARM_COPROC_MASK | KVM_REG_ARM_DEMUX_ID_MASK | \
			 KVM_REG_ARM_DEMUX_VAL_MASK)

unsigned int modkvm_ccsidr_user_ids(u64 *ids)
{
	unsigned int i;

	if (ids)
		for (i = 0; i < MODKVM_NR_CCSIDR; i++)
			ids[i] = DEMUX_ID(i);
	return MODKVM_NR_CCSIDR;
}

/* The CCSIDR index of demux id @id, or -ENOENT */
static int ccsidr_index(u64 id)
{
	u64 i = id & KVM_REG_ARM_DEMUX_VAL_MASK;

	if ((id & ~DEMUX_KNOWN) || (id & KVM_REG_SIZE_MASK) != KVM_REG_SIZE_U32 ||
	    (id & KVM_REG_ARM_DEMUX_ID_MASK) != KVM_REG_ARM_DEMUX_ID_CCSIDR ||
	    i >= MODKVM_NR_CCSIDR)
		return -ENOENT;
	return i;
}

int modkvm_ccsidr_get_user(struct modkvm_vcpu *vcpu, u64 id, u32 *val)
{
	int i = ccsidr_index(id);

	if (i < 0)
		return i;
	*val = vcpu->arch.ccsidr[i];
	return 0;
}

int modkvm_ccsidr_set_user(struct modkvm_vcpu *vcpu, u64 id, u32 val)
{
	int i = ccsidr_index(id);

	if (i < 0)
		return i;
	/* a line smaller than the hardware's would make maintenance miss */
	if (FIELD_GET(CCSIDR_LINESIZE, val) + 4 < min_line_log2(i & CSSELR_IND))
		return -EINVAL;
	vcpu->arch.ccsidr[i] = val;
	return 0;
}
