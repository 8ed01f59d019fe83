// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: the system registers a guest or userspace can reach,
 * described once, in one table sorted by encoding (struct modkvm_sys_reg,
 * sys_regs.h), and what it drives: the emulation of the guest's trapped
 * accesses (EC 0x18, and cp15.c's AArch32 ones by their AArch64
 * encoding), the reset of the registers kept in vcpu->arch.sys[], and
 * KVM_{GET,SET}_ONE_REG and KVM_GET_REG_LIST of the system registers
 * (regs.c does the core and firmware registers and the ioctls
 * themselves). Lookups are binary searches; the order, the absence of
 * duplicates and that every slot of sys[] has one register to reset it
 * are checked when the module loads.
 *
 * Emulated when trapped: the feature ID registers (TID3), read-only, with
 * the values of id_regs.c; ACTLR_EL1 (TACR: RAZ/WI); CPACR_EL1
 * (CPTR_EL2.TCPAC: FPEN and TTA kept, SVE/SME enables RES0); set/way
 * cache maintenance (TSW: the whole guest is cleaned and invalidated);
 * the self-hosted debug block (MDCR_EL2.TDA, TDOSA, TDRA): MDSCR, the OS
 * lock (OSLAR/OSLSR), OSDLR, MDCCINT, the claim tags and the DCC status,
 * and the value and control registers of the breakpoints and watchpoints
 * ID_AA64DFR0_EL1 advertises (the host's counts), kept in the same
 * per-vCPU copies ONE_REG reaches and put into the hardware while the
 * guest runs (debug.c: MDSCR, the breakpoints and watchpoints, the OS
 * lock and double lock take effect; MDCCINT, the claim tags and the DCC
 * are stored only, there is no debugger behind them); the EL1 physical
 * timer (CNTHCTL_EL2.EL1PCEN clear: CNTP_CTL/CVAL/TVAL, against the
 * VM's physical counter, the host's less the VM's offset) and, while
 * that offset is not 0, the physical counter itself (EL1PCTEN clear:
 * CNTPCT_EL0, CNTPCTSS_EL0; hyp/switch.h); the RAS error record
 * registers (TERR),
 * RAZ/WI: none implemented; the LORegion registers (TLOR), RAZ/WI (no
 * LORegions) to a guest told about FEAT_LOR; the cache ID registers
 * (TID2 or TID4: cache_id.c). Everything else that traps - PMU, SPE, trace,
 * AMU, LORegions (for a guest not told about them), the GIC CPU interface (no in-kernel GIC), the pointer
 * authentication keys of a VM without the feature (HCR_EL2.APK clear),
 * implementation defined registers, writes to read-only registers - is
 * answered with an UNDEF injected into the guest, and so is a trapped
 * access to a register of the table without MODKVM_SR_TRAP: those are
 * never trapped by the HCR_EL2, MDCR_EL2 and CPTR_EL2 modkvm runs guests
 * with (reset.c, switch.c).
 *
 * Userspace reaches (MODKVM_SR_USER; what regs.c's header lists, the
 * in-kernel KVM's list for a vCPU without SVE and PMU): the guest's
 * EL1/EL0 registers modkvm keeps, the emulated debug ones but OSDLR_EL1
 * and the claim tags, the breakpoint and watchpoint registers 0-15
 * whatever the host has, DISR_EL1, the AArch32 state registers
 * DBGVCR32_EL2, DACR32_EL2, IFSR32_EL2 and FPEXC32_EL2 and TCR2_EL1,
 * PIRE0_EL1, PIR_EL1 (stored for userspace only, see below), MPIDR_EL1
 * (writable), CLIDR_EL1 (writable: cache_id.c), the invariant MIDR_EL1,
 * REVIDR_EL1, AIDR_EL1, CTR_EL0 and ACTLR_EL1 (only their current value
 * may be written), the feature ID space, the pointer authentication keys
 * of a vCPU with the features, and the timers at the ids of
 * KVM_REG_ARM_TIMER_* and KVM_REG_ARM_PTIMER_* (some of which, as the
 * uapi header warns, are not the encodings of the registers they hold).
 *
 * What is loaded into the hardware around the guest is not decided here:
 * switch.c keeps its own fixed lists of loads and saves (with the *_EL12
 * and *_EL02 names VHE gives), and debug.c and hyp/entry.S theirs,
 * since a world switch made of straight-line accesses is what the
 * hardware needs and a table walk there would slow every entry.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/bitmap.h>
#include <linux/bsearch.h>
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/printk.h>
#include <asm/barrier.h>
#include <asm/cpufeature.h>
#include <asm/esr.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "el2_regs.h"
#include "sys_regs.h"

#define CPACR_GUEST_MASK	(GENMASK_ULL(21, 20) | BIT_ULL(28)) /* FPEN, TTA */
#define MDSCR_TDCC		BIT_ULL(12)
#define MDCCINT_MASK		(BIT_ULL(29) | BIT_ULL(30))	/* TX, RX */
#define OSLAR_OSLK		BIT_ULL(0)
#define OSLSR_OSLM_IMP		BIT_ULL(3)	/* OSLM = 0b10: implemented */
#define OSLSR_OSLK		BIT_ULL(1)
#define OSDLR_DLK		BIT_ULL(0)
#define CLAIM_MASK		0xffULL		/* eight claim tags */
#define MPIDR_RES1		BIT_ULL(31)
#define MPIDR_WRITABLE		(GENMASK_ULL(39, 32) | BIT_ULL(30) | \
				 GENMASK_ULL(24, 0))	/* Aff3, U, MT, Aff2-0 */
#define DISR_MASK		(BIT_ULL(31) | GENMASK_ULL(24, 0)) /* A, IDS, ISS */
#define CNT_CTL_MASK		(MK_CNT_CTL_ENABLE | MK_CNT_CTL_IMASK)

/*
 * SCTLR_EL1 out of reset, the value the in-kernel KVM gives (so that a
 * fresh vCPU's registers are the same on both): little-endian, MMU,
 * caches and alignment checks off; SP alignment checks (SA, SA0 [4:3]),
 * CP15 barriers (CP15BEN [5]), nAA [6], WFI and WFE not trapped (nTWI
 * [16], nTWE [18]), exception entry synchronizing (EIS [22]), PAN left
 * alone on exceptions (SPAN [23]).
 */
#define SCTLR_EL1_RESET		0x00c50078ULL
/*
 * SCTLR (AArch32) out of reset: M, A, C, I, V, TE and EE clear; the bits
 * that are RES1 on a CPU without the features that give them meaning
 * (nTLSMD and LSMAOE [4:3], bit 22, SPAN [23]); CP15 barriers enabled
 * (CP15BEN [5]) and WFI/WFE not trapped to Undefined (nTWI [16], nTWE [18]).
 */
#define SCTLR_AA32_RESET	(GENMASK_ULL(5, 3) | BIT_ULL(16) | \
				 BIT_ULL(18) | GENMASK_ULL(23, 22))
#define SCTLR_EE		BIT_ULL(25)
#define FPEXC32_RESET		GENMASK_ULL(10, 8)

/* ---- trapped accesses ---- */

/* A plain stored register: the value, and a write kept under the mask */
static bool trap_plain(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
		       const struct modkvm_sys_reg *r)
{
	if (p->read)
		p->val = vcpu->arch.sys[r->slot];
	else
		vcpu->arch.sys[r->slot] = p->val & r->mask;
	return true;
}

static bool trap_raz_wi(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
			const struct modkvm_sys_reg *r)
{
	if (p->read)
		p->val = 0;
	return true;
}

/* Read-only, reads as zero; a write UNDEFs */
static bool trap_raz_ro(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
			const struct modkvm_sys_reg *r)
{
	if (!p->read)
		return false;
	p->val = 0;
	return true;
}

/* CTR_EL0 (trapped by HCR_EL2.TID2 without FEAT_EVT): read-only */
static bool trap_ctr(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
		     const struct modkvm_sys_reg *r)
{
	if (!p->read)
		return false;
	p->val = read_sanitised_ftr_reg(SYS_CTR_EL0);
	return true;
}

/* The feature ID registers, read-only (id_regs.c) */
static bool trap_id(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
		    const struct modkvm_sys_reg *r)
{
	if (!p->read)
		return false;
	p->val = modkvm_vm_id_reg(vcpu->vm, r->enc);
	return true;
}

/*
 * ICC_SGI1R_EL1, ICC_ASGI1R_EL1, ICC_SGI0R_EL1 (IHI 0069 12.2.20-22):
 * write-only; with the in-kernel vGIC the SGI goes to the vCPUs named by
 * Aff3.Aff2.Aff1 and TargetList (with RS selecting the block of 16 Aff0
 * values), or to every other vCPU with IRM. SGI1R raises Group 1 SGIs,
 * the others Group 0 (one security state, GICD_CTLR.DS = 1). Without the
 * vGIC they UNDEF, as every ICC register does.
 */
#define SGIR_TARGETS	GENMASK_ULL(15, 0)
#define SGIR_AFF1	GENMASK_ULL(23, 16)
#define SGIR_INTID	GENMASK_ULL(27, 24)
#define SGIR_AFF2	GENMASK_ULL(39, 32)
#define SGIR_IRM	BIT_ULL(40)
#define SGIR_RS		GENMASK_ULL(47, 44)
#define SGIR_AFF3	GENMASK_ULL(55, 48)

static bool trap_sgi(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
		     const struct modkvm_sys_reg *r)
{
	struct modkvm_vgic_sgi sgi;
	u64 v = p->val;

	if (p->read || !READ_ONCE(vcpu->vm->arch.vgic))
		return false;
	sgi = (struct modkvm_vgic_sgi) {
		/* the affinity in GICD_IROUTER's layout: Aff3 at 39:32 */
		.aff = FIELD_GET(SGIR_AFF1, v) << 8 |
		       FIELD_GET(SGIR_AFF2, v) << 16 |
		       FIELD_GET(SGIR_AFF3, v) << 32,
		.targets = FIELD_GET(SGIR_TARGETS, v),
		.aff0_base = FIELD_GET(SGIR_RS, v) * 16,
		.intid = FIELD_GET(SGIR_INTID, v),
		.all_but_self = v & SGIR_IRM,
		.group1 = r->enc == sys_reg(3, 0, 12, 11, 5),
	};
	modkvm_vgic_send_sgi(vcpu, &sgi);
	return true;
}

/*
 * The LORegion registers (FEAT_LOR, HCR_EL2.TLOR): for a guest told about
 * the feature (ID_AA64MMFR1_EL1.LO), no LORegions (LORID_EL1 reads 0,
 * and is read-only), the others RAZ/WI; for others they UNDEF.
 */
#define MMFR1_LO	GENMASK_ULL(19, 16)

static bool trap_lor(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
		     const struct modkvm_sys_reg *r)
{
	if (!FIELD_GET(MMFR1_LO, modkvm_vm_id_reg(vcpu->vm,
						  SYS_ID_AA64MMFR1_EL1)))
		return false;
	if (r->enc == sys_reg(3, 0, 10, 4, 7) && !p->read)
		return false;
	return trap_raz_wi(vcpu, p, r);
}

/* DC ISW, CSW, CISW: write-only (they are instructions) */
static bool trap_dc_sw(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
		       const struct modkvm_sys_reg *r)
{
	if (p->read)
		return false;
	/* with forced write-back the caches hide nothing from it */
	if (!vcpu->vm->s2.fwb)
		modkvm_flush_guest_dcache(vcpu->vm);
	return true;
}

/* OSLAR_EL1, write-only: OSLK of OSLSR_EL1 follows bit 0 written */
static bool trap_oslar(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
		       const struct modkvm_sys_reg *r)
{
	u64 *oslsr = &vcpu->arch.sys[SR_OSLSR_EL1];

	if (p->read)
		return false;
	if (p->val & OSLAR_OSLK)
		*oslsr |= OSLSR_OSLK;
	else
		*oslsr &= ~OSLSR_OSLK;
	return true;
}

/* OSLSR_EL1, CLIDR_EL1: read-only to the guest */
static bool trap_ro_stored(struct modkvm_vcpu *vcpu,
			   struct modkvm_sys_access *p,
			   const struct modkvm_sys_reg *r)
{
	if (!p->read)
		return false;
	p->val = vcpu->arch.sys[r->slot];
	return true;
}

/* DBGCLAIMSET_EL1: reads give the implemented tags, writes set tags */
static bool trap_claimset(struct modkvm_vcpu *vcpu,
			  struct modkvm_sys_access *p,
			  const struct modkvm_sys_reg *r)
{
	if (p->read)
		p->val = CLAIM_MASK;
	else
		vcpu->arch.sys[SR_DBGCLAIM] |= p->val & CLAIM_MASK;
	return true;
}

/* DBGCLAIMCLR_EL1: reads give the tags set, writes clear tags */
static bool trap_claimclr(struct modkvm_vcpu *vcpu,
			  struct modkvm_sys_access *p,
			  const struct modkvm_sys_reg *r)
{
	if (p->read)
		p->val = vcpu->arch.sys[r->slot];
	else
		vcpu->arch.sys[r->slot] &= ~(p->val & CLAIM_MASK);
	return true;
}

/* The DCC registers reach us from EL0 only if MDSCR_EL1.TDCC allows. */
static bool dcc_allowed(struct modkvm_vcpu *vcpu)
{
	u64 pstate = vcpu->arch.gp.pstate;
	bool el0 = (pstate & PSR_MODE32_BIT) ?
		   (pstate & PSR_AA32_MODE_MASK) == PSR_AA32_MODE_USR :
		   (pstate & PSR_MODE_MASK) == PSR_MODE_EL0t;

	return !el0 || !(vcpu->arch.sys[SR_MDSCR_EL1] & MDSCR_TDCC);
}

/* MDCCSR_EL0: read-only, nothing to send or receive */
static bool trap_mdccsr(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
			const struct modkvm_sys_reg *r)
{
	if (!p->read || !dcc_allowed(vcpu))
		return false;
	p->val = 0;
	return true;
}

/* DBGDTR_EL0, DBGDTRRX/TX_EL0: no debugger at the other end */
static bool trap_dcc(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
		     const struct modkvm_sys_reg *r)
{
	if (!dcc_allowed(vcpu))
		return false;
	if (p->read)
		p->val = 0;
	return true;
}

static u64 cntpct(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

/*
 * The guest's physical counter: the host's less the VM's offset, which
 * KVM_REG_ARM_PTIMER_CNT and KVM_ARM_SET_COUNTER_OFFSET set.
 */
static u64 guest_cntpct(const struct modkvm_vcpu *vcpu)
{
	return cntpct() - READ_ONCE(vcpu->vm->cntpoff);
}

/* A timer's CTL with ISTATUS computed for counter value @now */
static u64 timer_ctl(u64 ctl, u64 cval, u64 now)
{
	ctl &= CNT_CTL_MASK;
	if ((ctl & MK_CNT_CTL_ENABLE) && now >= cval)
		ctl |= MK_CNT_CTL_ISTATUS;
	return ctl;
}

/* CNTP_CTL_EL0: ISTATUS is read-only, computed */
static bool trap_cntp_ctl(struct modkvm_vcpu *vcpu,
			  struct modkvm_sys_access *p,
			  const struct modkvm_sys_reg *r)
{
	u64 *sys = vcpu->arch.sys;

	if (!p->read)
		return trap_plain(vcpu, p, r);
	p->val = timer_ctl(sys[SR_CNTP_CTL_EL0], sys[SR_CNTP_CVAL_EL0],
			   guest_cntpct(vcpu));
	return true;
}

/* CNTP_TVAL_EL0: a signed 32-bit distance to CNTP_CVAL_EL0 */
static bool trap_cntp_tval(struct modkvm_vcpu *vcpu,
			   struct modkvm_sys_access *p,
			   const struct modkvm_sys_reg *r)
{
	u64 *cval = &vcpu->arch.sys[SR_CNTP_CVAL_EL0];
	u64 now = guest_cntpct(vcpu);

	if (p->read)
		p->val = lower_32_bits(*cval - now);
	else
		*cval = now + sign_extend64(p->val, 31);
	return true;
}

/*
 * CNTPCT_EL0 and CNTPCTSS_EL0 (read-only), trapped only while the VM's
 * physical counter is offset (hyp/switch.h's hyp_guest_cnthctl())
 */
static bool trap_cntpct(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
			const struct modkvm_sys_reg *r)
{
	if (!p->read)
		return false;
	p->val = guest_cntpct(vcpu);
	return true;
}

/* ---- reset ---- */

static void reset_sctlr(struct modkvm_vcpu *vcpu,
			const struct modkvm_sys_reg *r)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;

	a->sys[r->slot] = (modkvm_el1_is_32bit(a) ? SCTLR_AA32_RESET :
						    SCTLR_EL1_RESET) |
			  (a->reset_be ? SCTLR_EE : 0);
}

/*
 * The MPIDR (Aff0 = creation index % 16, Aff1 = index / 16) survives
 * resets once set, as a CPU's identity does.
 */
static void reset_mpidr(struct modkvm_vcpu *vcpu,
			const struct modkvm_sys_reg *r)
{
	u64 *mpidr = &vcpu->arch.sys[r->slot];

	if (!*mpidr)
		*mpidr = MPIDR_RES1 | ((u64)(vcpu->idx / 16) << 8) |
			 (vcpu->idx % 16);
}

/* ---- userspace ---- */

/* Registers userspace may only write with the value they have */
static int set_invariant(struct modkvm_vcpu *vcpu,
			 const struct modkvm_sys_reg *r, u64 val)
{
	u64 cur;
	int ret;

	ret = r->get_user(vcpu, r, &cur);
	if (ret)
		return ret;
	return val == cur ? 0 : -EINVAL;
}

static int get_midr(struct modkvm_vcpu *vcpu, const struct modkvm_sys_reg *r,
		    u64 *val)
{
	*val = vcpu->vm->arch.midr;
	return 0;
}

/*
 * The guest reads REVIDR and AIDR from the CPU it runs on (HCR_EL2.TID1
 * is clear): give this CPU's.
 */
static int get_revidr(struct modkvm_vcpu *vcpu,
		      const struct modkvm_sys_reg *r, u64 *val)
{
	*val = read_sysreg(revidr_el1);
	return 0;
}

static int get_aidr(struct modkvm_vcpu *vcpu, const struct modkvm_sys_reg *r,
		    u64 *val)
{
	*val = read_sysreg(aidr_el1);
	return 0;
}

static int get_ctr(struct modkvm_vcpu *vcpu, const struct modkvm_sys_reg *r,
		   u64 *val)
{
	*val = read_sanitised_ftr_reg(SYS_CTR_EL0);
	return 0;
}

/* ACTLR_EL1: RAZ/WI to the guest */
static int get_zero(struct modkvm_vcpu *vcpu, const struct modkvm_sys_reg *r,
		    u64 *val)
{
	*val = 0;
	return 0;
}

static int set_mpidr(struct modkvm_vcpu *vcpu, const struct modkvm_sys_reg *r,
		     u64 val)
{
	vcpu->arch.sys[r->slot] = MPIDR_RES1 | (val & MPIDR_WRITABLE);
	return 0;
}

/* OSLSR_EL1: only the lock state is state */
static int set_oslsr(struct modkvm_vcpu *vcpu, const struct modkvm_sys_reg *r,
		     u64 val)
{
	vcpu->arch.sys[r->slot] = OSLSR_OSLM_IMP | (val & OSLSR_OSLK);
	return 0;
}

/* The feature ID space (id_regs.c) */
static int get_id(struct modkvm_vcpu *vcpu, const struct modkvm_sys_reg *r,
		  u64 *val)
{
	*val = modkvm_user_id_reg(vcpu->vm, r->enc);
	return 0;
}

static int set_id(struct modkvm_vcpu *vcpu, const struct modkvm_sys_reg *r,
		  u64 val)
{
	if (modkvm_id_reg_user_wi(vcpu->vm, r->enc))	/* AArch32: RAZ/WI */
		return 0;
	/* read-only but for what id_regs.c lets userspace lower */
	return modkvm_set_user_id_reg(vcpu->vm, r->enc, val);
}

/* KVM_REG_ARM_TIMER_CTL, _PTIMER_CTL: ISTATUS computed */
static int get_vtimer_ctl(struct modkvm_vcpu *vcpu,
			  const struct modkvm_sys_reg *r, u64 *val)
{
	u64 *sys = vcpu->arch.sys;

	*val = timer_ctl(sys[SR_CNTV_CTL_EL0], sys[SR_CNTV_CVAL_EL0],
			 cntpct() - READ_ONCE(vcpu->vm->cntvoff));
	return 0;
}

static int get_ptimer_ctl(struct modkvm_vcpu *vcpu,
			  const struct modkvm_sys_reg *r, u64 *val)
{
	u64 *sys = vcpu->arch.sys;

	*val = timer_ctl(sys[SR_CNTP_CTL_EL0], sys[SR_CNTP_CVAL_EL0],
			 guest_cntpct(vcpu));
	return 0;
}

/*
 * KVM_REG_ARM_TIMER_CNT and _PTIMER_CNT: the VM's one virtual and one
 * physical counter (the offsets are the VM's, whichever vCPU writes);
 * writes offset them, until KVM_ARM_SET_COUNTER_OFFSET has set both
 * offsets: then they are ignored, as api.rst says of KVM.
 */
static int get_vtimer_cnt(struct modkvm_vcpu *vcpu,
			  const struct modkvm_sys_reg *r, u64 *val)
{
	*val = cntpct() - READ_ONCE(vcpu->vm->cntvoff);
	return 0;
}

static int set_vtimer_cnt(struct modkvm_vcpu *vcpu,
			  const struct modkvm_sys_reg *r, u64 val)
{
	if (!READ_ONCE(vcpu->vm->counter_offset_set))
		WRITE_ONCE(vcpu->vm->cntvoff, cntpct() - val);
	return 0;
}

static int get_ptimer_cnt(struct modkvm_vcpu *vcpu,
			  const struct modkvm_sys_reg *r, u64 *val)
{
	*val = guest_cntpct(vcpu);
	return 0;
}

static int set_ptimer_cnt(struct modkvm_vcpu *vcpu,
			  const struct modkvm_sys_reg *r, u64 val)
{
	if (!READ_ONCE(vcpu->vm->counter_offset_set))
		WRITE_ONCE(vcpu->vm->cntpoff, cntpct() - val);
	return 0;
}

/* ---- visibility ---- */

/*
 * AP{IA,IB,DA,DB}KEY{LO,HI}_EL1 (CRm 1 and 2) exist for a vCPU with
 * KVM_ARM_VCPU_PTRAUTH_ADDRESS, APGAKEY{LO,HI}_EL1 (CRm 3) for one with
 * _GENERIC; for the others they trap (HCR_EL2.APK clear) and UNDEF.
 */
static unsigned int ptrauth_visibility(const struct modkvm_vcpu *vcpu,
				       const struct modkvm_sys_reg *r)
{
	unsigned int feat = sys_reg_CRm(r->enc) == 3 ?
			    KVM_ARM_VCPU_PTRAUTH_GENERIC :
			    KVM_ARM_VCPU_PTRAUTH_ADDRESS;

	return vcpu->arch.features & BIT_ULL(feat) ? 0 : MODKVM_SR_HIDE;
}

/*
 * DBGB{V,C}R<n>_EL1, DBGW{V,C}R<n>_EL1 (op0 2, op1 0, CRn 0, CRm n, op2
 * 4..7): userspace has all sixteen of each, the guest those of the
 * breakpoints and watchpoints ID_AA64DFR0_EL1 advertises; the others
 * UNDEF.
 */
static unsigned int bpwp_visibility(const struct modkvm_vcpu *vcpu,
				    const struct modkvm_sys_reg *r)
{
	unsigned int n = sys_reg_CRm(r->enc);
	unsigned int nr = sys_reg_Op2(r->enc) < 6 ? modkvm_debug_nr_brps() :
						    modkvm_debug_nr_wrps();

	return n < nr ? 0 : MODKVM_SR_HIDE_GUEST;
}

/* ---- the table ---- */

#define REG(n, op0, op1, crn, crm, op2) \
	.name = #n, .enc = sys_reg(op0, op1, crn, crm, op2)
/* kept in sys[@s], writes keep @m */
#define IN(s, m)		.stored = true, .slot = (s), .mask = (m)
#define USER			.flags = MODKVM_SR_USER
#define TRAP			.flags = MODKVM_SR_TRAP
#define USER_TRAP		.flags = MODKVM_SR_USER | MODKVM_SR_TRAP
/* userspace may only write the value it reads */
#define INVARIANT(get)		USER, .get_user = (get), .set_user = set_invariant

/*
 * EL1 state the guest reaches without trapping (switch.c loads it) and
 * userspace reads and writes whole
 */
#define CTX(n, op0, op1, crn, crm, op2) \
	{ REG(n, op0, op1, crn, crm, op2), IN(SR_##n, ~0ULL), USER }

/* Breakpoint and watchpoint <b>: value, control (Arm ARM, D2 and D13) */
#define BPWP(b) \
	{ REG(DBGBVR##b##_EL1, 2, 0, 0, b, 4), \
	  IN(SR_DBGBVR0_EL1 + (b), MODKVM_DBG_BVR_MASK), USER_TRAP, \
	  .visibility = bpwp_visibility }, \
	{ REG(DBGBCR##b##_EL1, 2, 0, 0, b, 5), \
	  IN(SR_DBGBCR0_EL1 + (b), MODKVM_DBG_BCR_MASK), USER_TRAP, \
	  .visibility = bpwp_visibility }, \
	{ REG(DBGWVR##b##_EL1, 2, 0, 0, b, 6), \
	  IN(SR_DBGWVR0_EL1 + (b), MODKVM_DBG_WVR_MASK), USER_TRAP, \
	  .visibility = bpwp_visibility }, \
	{ REG(DBGWCR##b##_EL1, 2, 0, 0, b, 7), \
	  IN(SR_DBGWCR0_EL1 + (b), MODKVM_DBG_WCR_MASK), USER_TRAP, \
	  .visibility = bpwp_visibility }

/* The feature ID space: op0 3, op1 0, CRn 0, CRm 1..7 (Arm ARM D23.3.1) */
#define ID(crm, op2) \
	{ REG(ID_##crm##_##op2, 3, 0, 0, crm, op2), USER_TRAP, \
	  .access = trap_id, .get_user = get_id, .set_user = set_id }
#define ID8(crm) \
	ID(crm, 0), ID(crm, 1), ID(crm, 2), ID(crm, 3), \
	ID(crm, 4), ID(crm, 5), ID(crm, 6), ID(crm, 7)

/* Pointer authentication key <i> of sys[] (0..9), CRm 1..3, op2 0..3 */
#define APKEY(n, i) \
	{ REG(n, 3, 0, 2, 1 + (i) / 4, (i) % 4), \
	  IN(SR_APIAKEYLO_EL1 + (i), ~0ULL), USER, \
	  .visibility = ptrauth_visibility }

#define RAS(n, crm, op2) \
	{ REG(n, 3, 0, 5, crm, op2), TRAP, .access = trap_raz_wi }

static const struct modkvm_sys_reg sys_regs[] = {
	/* the set/way cache maintenance instructions */
	{ REG(DC_ISW, 1, 0, 7, 6, 2), TRAP, .access = trap_dc_sw },
	{ REG(DC_CSW, 1, 0, 7, 10, 2), TRAP, .access = trap_dc_sw },
	{ REG(DC_CISW, 1, 0, 7, 14, 2), TRAP, .access = trap_dc_sw },

	/* debug (op0 2) */
	{ REG(OSDTRRX_EL1, 2, 0, 0, 0, 2), TRAP, .access = trap_raz_wi },
	BPWP(0),
	BPWP(1),
	{ REG(MDCCINT_EL1, 2, 0, 0, 2, 0), IN(SR_MDCCINT_EL1, MDCCINT_MASK),
	  USER_TRAP },
	{ REG(MDSCR_EL1, 2, 0, 0, 2, 2), IN(SR_MDSCR_EL1, GENMASK_ULL(31, 0)),
	  USER_TRAP },
	BPWP(2),
	{ REG(OSDTRTX_EL1, 2, 0, 0, 3, 2), TRAP, .access = trap_raz_wi },
	BPWP(3),
	BPWP(4),
	BPWP(5),
	{ REG(OSECCR_EL1, 2, 0, 0, 6, 2), TRAP, .access = trap_raz_wi },
	BPWP(6),
	BPWP(7),
	BPWP(8),
	BPWP(9),
	BPWP(10),
	BPWP(11),
	BPWP(12),
	BPWP(13),
	BPWP(14),
	BPWP(15),
	/* no memory-mapped debug */
	{ REG(MDRAR_EL1, 2, 0, 1, 0, 0), TRAP, .access = trap_raz_ro },
	{ REG(OSLAR_EL1, 2, 0, 1, 0, 4), TRAP, .access = trap_oslar },
	/* unlocked out of a vCPU reset, as with the in-kernel KVM */
	{ REG(OSLSR_EL1, 2, 0, 1, 1, 4), IN(SR_OSLSR_EL1, 0), USER_TRAP,
	  .reset_val = OSLSR_OSLM_IMP, .access = trap_ro_stored,
	  .set_user = set_oslsr },
	/* the guest's only: not listed, as with the in-kernel KVM */
	{ REG(OSDLR_EL1, 2, 0, 1, 3, 4), IN(SR_OSDLR_EL1, OSDLR_DLK), TRAP },
	{ REG(DBGPRCR_EL1, 2, 0, 1, 4, 4), TRAP, .access = trap_raz_wi },
	{ REG(DBGCLAIMSET_EL1, 2, 0, 7, 8, 6), TRAP, .access = trap_claimset },
	{ REG(DBGCLAIMCLR_EL1, 2, 0, 7, 9, 6), IN(SR_DBGCLAIM, CLAIM_MASK),
	  TRAP, .access = trap_claimclr },
	{ REG(DBGAUTHSTATUS_EL1, 2, 0, 7, 14, 6), TRAP,
	  .access = trap_raz_ro },
	{ REG(MDCCSR_EL0, 2, 3, 0, 1, 0), TRAP, .access = trap_mdccsr },
	{ REG(DBGDTR_EL0, 2, 3, 0, 4, 0), TRAP, .access = trap_dcc },
	{ REG(DBGDTRRXTX_EL0, 2, 3, 0, 5, 0), TRAP, .access = trap_dcc },
	/* kept for userspace only, never loaded (regs.c) */
	{ REG(DBGVCR32_EL2, 2, 4, 0, 7, 0),
	  IN(SR_DBGVCR32_EL2, GENMASK_ULL(31, 0)), USER },

	/* op0 3: identification (VPIDR_EL2 and VMPIDR_EL2 give MIDR, MPIDR) */
	{ REG(MIDR_EL1, 3, 0, 0, 0, 0), INVARIANT(get_midr) },
	{ REG(MPIDR_EL1, 3, 0, 0, 0, 5), IN(SR_MPIDR_EL1, 0), USER,
	  .reset = reset_mpidr, .set_user = set_mpidr },
	{ REG(REVIDR_EL1, 3, 0, 0, 0, 6), INVARIANT(get_revidr) },
	ID8(1), ID8(2), ID8(3), ID8(4), ID8(5), ID8(6), ID8(7),

	{ REG(SCTLR_EL1, 3, 0, 1, 0, 0), IN(SR_SCTLR_EL1, ~0ULL), USER,
	  .reset = reset_sctlr },
	/* RAZ/WI to the guest, 0 to userspace */
	{ REG(ACTLR_EL1, 3, 0, 1, 0, 1), USER_TRAP, .access = trap_raz_wi,
	  .get_user = get_zero, .set_user = set_invariant },
	{ REG(CPACR_EL1, 3, 0, 1, 0, 2), IN(SR_CPACR_EL1, CPACR_GUEST_MASK),
	  USER_TRAP },
	CTX(TTBR0_EL1, 3, 0, 2, 0, 0),
	CTX(TTBR1_EL1, 3, 0, 2, 0, 1),
	CTX(TCR_EL1, 3, 0, 2, 0, 2),
	/*
	 * TCR2_EL1, PIRE0_EL1, PIR_EL1 (FEAT_TCR2, FEAT_S1PIE): listed and
	 * kept for userspace, as the in-kernel KVM lists them whatever the
	 * CPU has, so that a VMM moves them between the two; never loaded.
	 * The guest is not given the features (ID_AA64MMFR3_EL1 reads 0)
	 * and on a CPU without them (the emulated server's -cpu max) its
	 * accesses UNDEF in the hardware. Not yet done: on a CPU with
	 * FEAT_HCX and them, HCRX_EL2 (left as the host has it) decides.
	 */
	{ REG(TCR2_EL1, 3, 0, 2, 0, 3), IN(SR_TCR2_EL1, ~0ULL), USER },
	APKEY(APIAKEYLO_EL1, 0),
	APKEY(APIAKEYHI_EL1, 1),
	APKEY(APIBKEYLO_EL1, 2),
	APKEY(APIBKEYHI_EL1, 3),
	APKEY(APDAKEYLO_EL1, 4),
	APKEY(APDAKEYHI_EL1, 5),
	APKEY(APDBKEYLO_EL1, 6),
	APKEY(APDBKEYHI_EL1, 7),
	APKEY(APGAKEYLO_EL1, 8),
	APKEY(APGAKEYHI_EL1, 9),
	CTX(AFSR0_EL1, 3, 0, 5, 1, 0),
	CTX(AFSR1_EL1, 3, 0, 5, 1, 1),
	CTX(ESR_EL1, 3, 0, 5, 2, 0),
	/*
	 * the RAS error records (FEAT_RAS, RASv1p1): none (ERRIDR_EL1.NUM
	 * 0), RAZ/WI
	 */
	RAS(ERRIDR_EL1, 3, 0),
	RAS(ERRSELR_EL1, 3, 1),
	RAS(ERXFR_EL1, 4, 0),
	RAS(ERXCTLR_EL1, 4, 1),
	RAS(ERXSTATUS_EL1, 4, 2),
	RAS(ERXADDR_EL1, 4, 3),
	RAS(ERXPFGF_EL1, 4, 4),
	RAS(ERXPFGCTL_EL1, 4, 5),
	RAS(ERXPFGCDN_EL1, 4, 6),
	RAS(ERXMISC0_EL1, 5, 0),
	RAS(ERXMISC1_EL1, 5, 1),
	RAS(ERXMISC2_EL1, 5, 2),
	RAS(ERXMISC3_EL1, 5, 3),
	CTX(FAR_EL1, 3, 0, 6, 0, 0),
	CTX(PAR_EL1, 3, 0, 7, 4, 0),
	CTX(MAIR_EL1, 3, 0, 10, 2, 0),
	{ REG(PIRE0_EL1, 3, 0, 10, 2, 2), IN(SR_PIRE0_EL1, ~0ULL), USER },
	{ REG(PIR_EL1, 3, 0, 10, 2, 3), IN(SR_PIR_EL1, ~0ULL), USER },
	CTX(AMAIR_EL1, 3, 0, 10, 3, 0),
	{ REG(LORSA_EL1, 3, 0, 10, 4, 0), TRAP, .access = trap_lor },
	{ REG(LOREA_EL1, 3, 0, 10, 4, 1), TRAP, .access = trap_lor },
	{ REG(LORN_EL1, 3, 0, 10, 4, 2), TRAP, .access = trap_lor },
	{ REG(LORC_EL1, 3, 0, 10, 4, 3), TRAP, .access = trap_lor },
	{ REG(LORID_EL1, 3, 0, 10, 4, 7), TRAP, .access = trap_lor },
	CTX(VBAR_EL1, 3, 0, 12, 0, 0),
	/*
	 * The guest's is VDISR_EL2 (HCR_EL2.AMO), switched with the guest
	 * on a host with FEAT_RAS (hyp/switch.h), kept for userspace only
	 * on others
	 */
	{ REG(DISR_EL1, 3, 0, 12, 1, 1), IN(SR_DISR_EL1, DISR_MASK), USER },
	/* SGIs, trapped by HCR_EL2.IMO (SGI1R, ASGI1R) and FMO (SGI0R) */
	{ REG(ICC_SGI1R_EL1, 3, 0, 12, 11, 5), TRAP, .access = trap_sgi },
	{ REG(ICC_ASGI1R_EL1, 3, 0, 12, 11, 6), TRAP, .access = trap_sgi },
	{ REG(ICC_SGI0R_EL1, 3, 0, 12, 11, 7), TRAP, .access = trap_sgi },
	CTX(CONTEXTIDR_EL1, 3, 0, 13, 0, 1),
	CTX(TPIDR_EL1, 3, 0, 13, 0, 4),
	CTX(CNTKCTL_EL1, 3, 0, 14, 1, 0),
	/*
	 * The cache hierarchy the guest is told (cache_id.c), trapped by
	 * HCR_EL2.TID4 or TID2: CCSIDR_EL1 (userspace has the values
	 * through the KVM_REG_ARM_DEMUX ids), CLIDR_EL1 (writable), CSSELR_EL1
	 * (Level, InD) and, with TID2, CTR_EL0. CCSIDR2_EL1 UNDEFs (no
	 * FEAT_CCIDX given).
	 */
	{ REG(CCSIDR_EL1, 3, 1, 0, 0, 0), TRAP, .access = modkvm_trap_ccsidr },
	{ REG(CLIDR_EL1, 3, 1, 0, 0, 1), IN(SR_CLIDR_EL1, ~0ULL), USER_TRAP,
	  .reset = modkvm_cache_id_reset, .access = trap_ro_stored,
	  .set_user = modkvm_clidr_set_user },
	{ REG(AIDR_EL1, 3, 1, 0, 0, 7), INVARIANT(get_aidr) },
	{ REG(CSSELR_EL1, 3, 2, 0, 0, 0),
	  IN(SR_CSSELR_EL1, GENMASK_ULL(3, 0)), USER_TRAP },
	{ REG(CTR_EL0, 3, 3, 0, 0, 1), USER_TRAP, .access = trap_ctr,
	  .get_user = get_ctr, .set_user = set_invariant },
	CTX(TPIDR_EL0, 3, 3, 13, 0, 2),
	CTX(TPIDRRO_EL0, 3, 3, 13, 0, 3),

	/*
	 * The timers. KVM_REG_ARM_PTIMER_CNT is CNTPCT_EL0's encoding;
	 * KVM_REG_ARM_TIMER_CVAL and _CNT have each other's (CNTVCT_EL0's
	 * and CNTV_CVAL_EL0's), as the uapi header says: userspace knows
	 * them by those ids. The guest reaches the virtual timer and the
	 * virtual counter without trapping, and the physical counter too
	 * while its VM's offset is 0 (CNTHCTL_EL2, hyp/switch.h).
	 */
	{ REG(KVM_REG_ARM_PTIMER_CNT, 3, 3, 14, 0, 1), USER_TRAP,
	  .access = trap_cntpct, .get_user = get_ptimer_cnt,
	  .set_user = set_ptimer_cnt },
	{ REG(KVM_REG_ARM_TIMER_CVAL, 3, 3, 14, 0, 2),
	  IN(SR_CNTV_CVAL_EL0, ~0ULL), USER },
	/* FEAT_ECV's self-synchronized view, trapped with CNTPCT_EL0 */
	{ REG(CNTPCTSS_EL0, 3, 3, 14, 0, 5), TRAP, .access = trap_cntpct },
	{ REG(CNTP_TVAL_EL0, 3, 3, 14, 2, 0), TRAP, .access = trap_cntp_tval },
	{ REG(CNTP_CTL_EL0, 3, 3, 14, 2, 1), IN(SR_CNTP_CTL_EL0, CNT_CTL_MASK),
	  USER_TRAP, .access = trap_cntp_ctl, .get_user = get_ptimer_ctl },
	{ REG(CNTP_CVAL_EL0, 3, 3, 14, 2, 2), IN(SR_CNTP_CVAL_EL0, ~0ULL),
	  USER_TRAP },
	{ REG(KVM_REG_ARM_TIMER_CTL, 3, 3, 14, 3, 1),
	  IN(SR_CNTV_CTL_EL0, CNT_CTL_MASK), USER,
	  .get_user = get_vtimer_ctl },
	{ REG(KVM_REG_ARM_TIMER_CNT, 3, 3, 14, 3, 2), USER,
	  .get_user = get_vtimer_cnt, .set_user = set_vtimer_cnt },

	/*
	 * The AArch32 EL1 state registers: loaded for an AArch32 EL1
	 * (switch.c), kept for userspace only otherwise
	 */
	{ REG(DACR32_EL2, 3, 4, 3, 0, 0),
	  IN(SR_DACR32_EL2, GENMASK_ULL(31, 0)), USER },
	{ REG(IFSR32_EL2, 3, 4, 5, 0, 1),
	  IN(SR_IFSR32_EL2, GENMASK_ULL(31, 0)), USER },
	/* out of reset with bits 10:8 set, as the in-kernel KVM has it */
	{ REG(FPEXC32_EL2, 3, 4, 5, 3, 0),
	  IN(SR_FPEXC32_EL2, GENMASK_ULL(31, 0)), USER,
	  .reset_val = FPEXC32_RESET },
};

/*
 * The slots of sys[] that are no system register of the table: the core
 * registers of struct kvm_regs kept there (regs.c), reset with them.
 */
static bool core_slot(unsigned int slot)
{
	return slot == SR_SP_EL1 || slot == SR_ELR_EL1 || slot == SR_SPSR_EL1;
}

static void pr_reg(const char *what, const struct modkvm_sys_reg *r)
{
	pr_err("system register table: %s: %s (op0 %u, op1 %u, CRn %u, CRm %u, op2 %u)\n",
	       what, r->name, sys_reg_Op0(r->enc), sys_reg_Op1(r->enc),
	       sys_reg_CRn(r->enc), sys_reg_CRm(r->enc), sys_reg_Op2(r->enc));
}

/*
 * Refuse to load with a table the lookups would get wrong: out of order
 * or with a duplicate encoding (binary search), a slot of sys[] stored by
 * two registers or by none (reset), a plain default without a slot.
 */
int modkvm_sys_regs_init(void)
{
	DECLARE_BITMAP(stored, SR_NR) = { 0 };
	const struct modkvm_sys_reg *r;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(sys_regs); i++) {
		r = &sys_regs[i];
		if (i && r->enc <= sys_regs[i - 1].enc) {
			pr_reg(r->enc == sys_regs[i - 1].enc ? "duplicate" :
			       "out of order", r);
			ret = -EINVAL;
		}
		if (!r->stored) {
			if (((r->flags & MODKVM_SR_TRAP) && !r->access) ||
			    ((r->flags & MODKVM_SR_USER) &&
			     (!r->get_user || !r->set_user)) ||
			    r->reset) {
				pr_reg("plain register without a slot", r);
				ret = -EINVAL;
			}
			continue;
		}
		if (r->slot >= SR_NR || core_slot(r->slot)) {
			pr_reg("bad slot", r);
			ret = -EINVAL;
		} else if (__test_and_set_bit(r->slot, stored)) {
			pr_reg("slot already taken", r);
			ret = -EINVAL;
		}
	}
	for (i = 0; i < SR_NR; i++) {
		if (!test_bit(i, stored) && !core_slot(i)) {
			pr_err("system register table: slot %u of sys[] has no register\n",
			       i);
			ret = -EINVAL;
		}
	}
	return ret;
}

static int cmp_enc(const void *key, const void *elt)
{
	u32 enc = *(const u32 *)key;
	const struct modkvm_sys_reg *r = elt;

	return enc < r->enc ? -1 : enc > r->enc;
}

static const struct modkvm_sys_reg *find(u32 enc)
{
	return bsearch(&enc, sys_regs, ARRAY_SIZE(sys_regs),
		       sizeof(sys_regs[0]), cmp_enc);
}

static unsigned int hidden(const struct modkvm_vcpu *vcpu,
			   const struct modkvm_sys_reg *r)
{
	return r->visibility ? r->visibility(vcpu, r) : 0;
}

/* ---- what the table drives ---- */

/* true: emulated (p->val holds a read's result); false: UNDEF */
static bool emulate(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p)
{
	const struct modkvm_sys_reg *r = find(p->enc);

	if (!r || !(r->flags & MODKVM_SR_TRAP) ||
	    (hidden(vcpu, r) & MODKVM_SR_HIDE_GUEST))
		return false;
	return (r->access ?: trap_plain)(vcpu, p, r);
}

/*
 * Emulate an access to the system register of AArch64 encoding @encoding
 * (for cp15.c, whose AArch32 registers map onto these); false: UNDEF.
 */
bool modkvm_sysreg_emulate(struct modkvm_vcpu *vcpu, u32 encoding, bool read,
			   u64 *val)
{
	struct modkvm_sys_access p = {
		.enc = encoding, .read = read, .val = *val
	};

	if (!emulate(vcpu, &p))
		return false;
	*val = p.val;
	return true;
}

/* A trapped MSR, MRS or SYS instruction (EC 0x18) */
int modkvm_handle_sysreg(struct modkvm_vcpu *vcpu)
{
	u64 esr = vcpu->arch.exit.esr;
	unsigned int rt = (esr & ESR_ELx_SYS64_ISS_RT_MASK) >>
			  ESR_ELx_SYS64_ISS_RT_SHIFT;
	struct modkvm_sys_access p = {
		.enc = esr_sys64_to_sysreg(esr),
		.read = (esr & ESR_ELx_SYS64_ISS_DIR_MASK) ==
			ESR_ELx_SYS64_ISS_DIR_READ,
	};

	if (modkvm_arch_vgic_resample_trap(vcpu, p.enc))
		return 1;		/* retried: vgic_v3.c */
	if (!p.read)
		p.val = modkvm_get_reg(&vcpu->arch, rt);	/* 31: XZR */
	if (!emulate(vcpu, &p)) {
		modkvm_inject_undef(vcpu);
		return 1;
	}
	if (p.read)
		modkvm_set_reg(&vcpu->arch, rt, p.val);		/* 31: discard */
	modkvm_skip_instr(&vcpu->arch);
	return 1;
}

void modkvm_sys_regs_reset(struct modkvm_vcpu *vcpu)
{
	const struct modkvm_sys_reg *r;

	for (r = sys_regs; r < sys_regs + ARRAY_SIZE(sys_regs); r++) {
		if (r->reset)
			r->reset(vcpu, r);
		else if (r->stored)
			vcpu->arch.sys[r->slot] = r->reset_val;
	}
}

/* KVM_REG_ARM64_SYSREG ids carry the encoding's fields in bits 15:0 */
#define ID_FIELD(id, f) \
	(((id) & KVM_REG_ARM64_SYSREG_##f##_MASK) >> \
	 KVM_REG_ARM64_SYSREG_##f##_SHIFT)

const struct modkvm_sys_reg *modkvm_sys_reg_user_find(struct modkvm_vcpu *vcpu,
						      u64 id)
{
	const struct modkvm_sys_reg *r;

	r = find(sys_reg(ID_FIELD(id, OP0), ID_FIELD(id, OP1),
			 ID_FIELD(id, CRN), ID_FIELD(id, CRM),
			 ID_FIELD(id, OP2)));
	if (!r || !(r->flags & MODKVM_SR_USER) ||
	    (hidden(vcpu, r) & MODKVM_SR_HIDE_USER))
		return NULL;
	return r;
}

int modkvm_sys_reg_get_user(struct modkvm_vcpu *vcpu,
			    const struct modkvm_sys_reg *r, u64 *val)
{
	if (r->get_user)
		return r->get_user(vcpu, r, val);
	*val = vcpu->arch.sys[r->slot];
	return 0;
}

int modkvm_sys_reg_set_user(struct modkvm_vcpu *vcpu,
			    const struct modkvm_sys_reg *r, u64 val)
{
	if (r->set_user)
		return r->set_user(vcpu, r, val);
	vcpu->arch.sys[r->slot] = val & r->mask;
	return 0;
}

unsigned int modkvm_sys_reg_user_ids(struct modkvm_vcpu *vcpu, u64 *ids)
{
	const struct modkvm_sys_reg *r;
	unsigned int n = 0;

	for (r = sys_regs; r < sys_regs + ARRAY_SIZE(sys_regs); r++) {
		if (!(r->flags & MODKVM_SR_USER) ||
		    (hidden(vcpu, r) & MODKVM_SR_HIDE_USER))
			continue;
		if (ids)
			ids[n] = ARM64_SYS_REG(sys_reg_Op0(r->enc),
					       sys_reg_Op1(r->enc),
					       sys_reg_CRn(r->enc),
					       sys_reg_CRm(r->enc),
					       sys_reg_Op2(r->enc));
		n++;
	}
	return n;
}
