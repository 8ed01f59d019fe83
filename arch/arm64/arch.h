/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, arm64: the guest context a vCPU carries, and the accessors the
 * shared code (virt/) uses to read and change it.
 */
#ifndef MODKVM_ARCH_H
#define MODKVM_ARCH_H

#include <linux/bits.h>
#include <linux/hrtimer.h>
#include <linux/kvm.h>
#include <linux/types.h>
#include <linux/version.h>
#include <asm/barrier.h>
#include <asm/esr.h>
#include <asm/fpsimd.h>
#include <asm/ptrace.h>

#include "hyp/call.h"
#include "hyp/switch_asm.h"
#include "hyp/smccc_fast.h"

struct modkvm_vm;
struct modkvm_vcpu;

/*
 * Guest general-purpose state. The layout is known to hyp/entry.S (see
 * hyp/switch_asm.h).
 */
struct modkvm_gp_regs {
	u64 x[31];
	u64 sp_el0;
	u64 pc;
	u64 pstate;
};

/*
 * Where the guest system registers kept by modkvm live in
 * modkvm_arch_vcpu.sys[]; what each is (encoding, write mask, reset,
 * emulation, ONE_REG) is described by its entry in sys_regs.c's table,
 * which checks at load that every slot has one (but SP_EL1, ELR_EL1 and
 * SPSR_EL1, core registers). The first group is the EL1 state that lives
 * in the hardware while the guest runs (through the *_EL12 names, or by
 * plain name for registers VHE does not redirect); the rest is trapped
 * and emulated, never loaded into the hardware.
 */
enum modkvm_sysreg {
	/* loaded through the *_EL12 names */
	SR_SCTLR_EL1,
	SR_CPACR_EL1,
	SR_TTBR0_EL1,
	SR_TTBR1_EL1,
	SR_TCR_EL1,
	SR_ESR_EL1,
	SR_AFSR0_EL1,
	SR_AFSR1_EL1,
	SR_FAR_EL1,
	SR_MAIR_EL1,
	SR_VBAR_EL1,
	SR_CONTEXTIDR_EL1,
	SR_AMAIR_EL1,
	SR_CNTKCTL_EL1,
	SR_ELR_EL1,
	SR_SPSR_EL1,
	/* not redirected by VHE: the host's values are saved around the guest */
	SR_SP_EL1,
	SR_TPIDR_EL0,
	SR_TPIDRRO_EL0,
	SR_TPIDR_EL1,
	SR_PAR_EL1,
	SR_CSSELR_EL1,
	/* the guest's virtual timer, loaded through CNTV_*_EL02 */
	SR_CNTV_CTL_EL0,
	SR_CNTV_CVAL_EL0,
	/*
	 * the pointer authentication keys (A, B instruction and data, and
	 * generic; low then high half each), in this order: hyp/entry.S
	 * loads them around the guest of a VM that has pointer authentication
	 */
	SR_APIAKEYLO_EL1,
	SR_APGAKEYHI_EL1 = SR_APIAKEYLO_EL1 + 9,
	/* emulated */
	SR_MPIDR_EL1,		/* loaded as VMPIDR_EL2 */
	SR_MDSCR_EL1,
	SR_OSLSR_EL1,
	SR_OSDLR_EL1,
	SR_MDCCINT_EL1,
	SR_DBGCLAIM,		/* DBGCLAIMSET/CLR_EL1 */
	SR_CNTP_CTL_EL0,
	SR_CNTP_CVAL_EL0,
	/* breakpoint and watchpoint value/control <n>, n = 0..15 */
	SR_DBGBVR0_EL1,
	SR_DBGBVR15_EL1 = SR_DBGBVR0_EL1 + 15,
	SR_DBGBCR0_EL1,
	SR_DBGBCR15_EL1 = SR_DBGBCR0_EL1 + 15,
	SR_DBGWVR0_EL1,
	SR_DBGWVR15_EL1 = SR_DBGWVR0_EL1 + 15,
	SR_DBGWCR0_EL1,
	SR_DBGWCR15_EL1 = SR_DBGWCR0_EL1 + 15,
	/* kept for KVM_{GET,SET}_ONE_REG only, never loaded (sys_regs.c) */
	SR_DISR_EL1,
	SR_DBGVCR32_EL2,
	SR_DACR32_EL2,
	SR_IFSR32_EL2,
	SR_FPEXC32_EL2,
	SR_TCR2_EL1,		/* FEAT_TCR2, FEAT_S1PIE: not given (sys_regs.c) */
	SR_PIRE0_EL1,
	SR_PIR_EL1,
	SR_CLIDR_EL1,		/* trapped (TID2/TID4), with ccsidr[] */
	SR_NR
};

/*
 * Bits of the breakpoint/watchpoint registers a write keeps (ONE_REG and
 * the guest's own accesses alike): DBGBVR whole (an address, or a context
 * ID in bits 31:0 for the context types); DBGWVR an address (bits 1:0
 * RES0); in DBGBCR BT, LBN, SSC, HMC, BAS, PMC and E; in DBGWCR MASK, WT,
 * LBN, SSC, HMC, BAS, LSC, PAC and E.
 */
#define MODKVM_DBG_BVR_MASK	(~0ULL)
#define MODKVM_DBG_WVR_MASK	GENMASK_ULL(63, 2)
#define MODKVM_DBG_BCR_MASK	(GENMASK_ULL(23, 13) | GENMASK_ULL(8, 5) | \
				 GENMASK_ULL(2, 0))
#define MODKVM_DBG_WCR_MASK	(GENMASK_ULL(28, 24) | GENMASK_ULL(20, 0))

/* Exit codes from the world switch (what took us out of the guest) */
enum modkvm_exit_code {
	MODKVM_EXIT_SYNC = EXIT_SYNC,	/* synchronous exception from the guest */
	MODKVM_EXIT_IRQ = EXIT_IRQ,	/* a physical IRQ: the host takes it */
	MODKVM_EXIT_FIQ = EXIT_FIQ,
	MODKVM_EXIT_SERROR = EXIT_SERROR,
	MODKVM_EXIT_BAD = EXIT_BAD,	/* an exception at EL2 in the switch */
};

struct modkvm_s2 {
	void *pgd;		/* concatenated start-level tables */
	unsigned int pgd_order;	/* page order of pgd */
	unsigned int start_level;
	unsigned int ipa_bits;
	u64 vtcr;
	u64 vttbr;		/* VTTBR_EL2: pgd's address and the VMID */
	atomic64_t vmid;	/* generation | VMID, 0: none yet (vmid.c) */
	/*
	 * FEAT_S2FWB in use (HCR_EL2.FWB): leaves force Normal write-back,
	 * so guest and host always agree on memory contents and a new leaf
	 * needs no clean to the point of coherency. Set before the first
	 * leaf, fixed for the VM's life.
	 */
	bool fwb;
};

struct modkvm_arch_vm {
	u64 hcr;		/* HCR_EL2 while this VM's guests run */
	u64 ich_hcr;		/* ICH_HCR_EL2 then, 0: not touched */
	/*
	 * ID_AA64PFR0_EL1.GIC as userspace sees it until the first KVM_RUN
	 * (id_regs.c: modkvm_user_id_reg()); under vm->lock
	 */
	u8 user_gic;
	/*
	 * The feature ID registers (CRm 1..7, op2: index (CRm - 1) * 8 +
	 * op2) userspace lowered before the first run, bit i of
	 * id_lowered for id_regs[i] (id_regs.c); under vm->lock
	 */
	u64 id_lowered;
	u64 id_regs[56];
	bool vgic;		/* the in-kernel vGIC runs (vgic_v3.c) */
	u32 psci_version;	/* KVM_REG_ARM_PSCI_VERSION */
	u64 midr;		/* MIDR the guests see (the host's) */
	/* KVM_ARM_VCPU_* features all vCPUs share (but POWER_OFF): reset.c */
	u64 vcpu_features;
	bool vcpu_features_set;		/* a vCPU was initialized; under vm->lock */
	/* EL1 is AArch32 (KVM_ARM_VCPU_EL1_32BIT): fixed with the features */
	bool el1_32bit;
	/*
	 * Pointer authentication (KVM_ARM_VCPU_PTRAUTH_ADDRESS and _GENERIC,
	 * always both): HCR_EL2.API and APK set, the keys switched
	 * (hyp/entry.S); fixed with the features
	 */
	bool ptrauth;
};

/* exit.hpfar when the IPA of a fault could not be found: fault again */
#define MODKVM_HPFAR_INVALID	(~0ULL)

/* What the world switch hands back with an exit */
struct modkvm_exit_info {
	u64 esr;
	u64 far;
	u64 hpfar;
	u32 code;		/* enum modkvm_exit_code */
};

/*
 * Debug state of a vCPU beyond its system registers (debug.c): what
 * userspace asked for with KVM_SET_GUEST_DEBUG, and the host's hardware
 * debug registers while the guest's (or userspace's) are loaded.
 */
#define MODKVM_DBG_MAX		16	/* breakpoints/watchpoints architected */

/* Which breakpoints and watchpoints the guest runs with (modkvm_debug.src) */
enum { MODKVM_DBG_SRC_NONE, MODKVM_DBG_SRC_GUEST, MODKVM_DBG_SRC_USER };

struct modkvm_debug {
	u32 control;			/* KVM_GUESTDBG_*; 0 when off */
	u64 user[4][MODKVM_DBG_MAX];	/* USE_HW: BVR, BCR, WVR, WCR */
	/* chosen at EL1 before each entry (debug.c), loaded by hyp/debug_sr.h */
	u64 guest_mdscr;		/* MDSCR_EL1 while the guest runs */
	u64 mdcr;			/* MDCR_EL2 bits it needs (TDE) */
	u8 src;				/* MODKVM_DBG_SRC_* */
	u8 nr_brps, nr_wrps;		/* how many the guest is told of */
	/* the host's, saved at EL2 while the guest's are loaded */
	u64 host_mdscr;
	u64 host[4][MODKVM_DBG_MAX];	/* BVR, BCR, WVR, WCR */
	u8 host_brps, host_wrps;	/* how many were switched, 0: none */
};

struct modkvm_timer {
	struct hrtimer wake;	/* wakes a vCPU blocked in WFI */
	u32 reported;		/* device_irq_level bits userspace has seen */
	/* for the physical timer, armed while it is (timer.c) */
	struct hrtimer ptimer;
	bool ptimer_armed;
	int ptimer_cpu;		/* the CPU it is pinned to */
	u64 ptimer_cval, ptimer_off;	/* what it was armed for */
};

/*
 * The guest's GICv3 virtual CPU interface (IHI 0069 12.5), for a VM with
 * the in-kernel vGIC: loaded and saved around each entry by
 * hyp/vgic_v3_sr.h. The list registers are rebuilt before every entry
 * from virt/vgic/'s state (vgic_v3.c) and read back after it; the rest is
 * the guest's and only travels.
 */
#define MODKVM_VGIC_MAX_LR	16
struct modkvm_vgic_v3_cpu {
	u64 lr[MODKVM_VGIC_MAX_LR];
	u64 hcr;		/* ICH_HCR_EL2 for this entry; En set */
	u64 vmcr;		/* ICH_VMCR_EL2 */
	u32 ap0r[4], ap1r[4];	/* ICH_AP0R<n>_EL2, ICH_AP1R<n>_EL2 */
	u8 used;		/* list registers loaded for this entry */
	u8 nr_apr;		/* ICH_AP*R<n> implemented: 1, 2 or 4 */
	bool on;		/* the VM has the vGIC: load all of the above */
	bool resampled;		/* left at a TALL1 trap: no TALL1 next entry */
};

#define MODKVM_NR_CCSIDR	14	/* levels 1-7, data/unified and instruction */

struct modkvm_arch_vcpu {
	struct modkvm_gp_regs gp;	/* must stay first: hyp/entry.S */
	u64 sys[SR_NR];
	struct user_fpsimd_state fp;
	u64 features;			/* KVM_ARM_VCPU_* bits from INIT */
	u64 hcr;			/* HCR_EL2 for this vCPU (VI/VF lines) */
	struct modkvm_exit_info exit;
	struct modkvm_timer timer;
	struct modkvm_debug debug;
	u32 target;			/* KVM_ARM_TARGET_* from INIT */
	bool serror_pending;		/* virtual SError to deliver (HCR_EL2.VSE) */
	bool fp_loaded;			/* guest FP/SIMD live in the registers */
	bool reset_be;			/* PSCI CPU_ON: start with SCTLR_EL1.EE set */
	/*
	 * SPSR_abt/und/irq/fiq (KVM_SPSR_ABT - 1 ...), in the AArch32 SPSR
	 * layout: loaded for an AArch32 EL1, ONE_REG only otherwise
	 */
	u64 spsr_aa32[4];
	struct modkvm_vgic_v3_cpu vgic;
	/* CCSIDR_EL1 by CSSELR_EL1 Level:InD, as the guest is told (cache_id.c) */
	u32 ccsidr[MODKVM_NR_CCSIDR];
};

/* PSTATE fields the shared code needs (Arm ARM, SPSR_ELx layout) */
#define MODKVM_PSR_MODE_MASK	0xfULL
#define MODKVM_PSR_MODE_EL1H	0x5ULL
#define MODKVM_PSR_MODE_EL1T	0x4ULL
#define MODKVM_PSR_MODE_EL0T	0x0ULL
#define MODKVM_PSR_RW32		BIT_ULL(4)	/* AArch32 */
#define MODKVM_PSR_F		BIT_ULL(6)
#define MODKVM_PSR_I		BIT_ULL(7)
#define MODKVM_PSR_A		BIT_ULL(8)
#define MODKVM_PSR_D		BIT_ULL(9)
#define MODKVM_PSR_SS		BIT_ULL(21)	/* software step */

/* ---- accessors for shared code ---- */

/* Is the guest's EL1 AArch32 (a VM of KVM_ARM_VCPU_EL1_32BIT vCPUs)? */
static inline bool modkvm_el1_is_32bit(const struct modkvm_arch_vcpu *a)
{
	return a->features & BIT_ULL(KVM_ARM_VCPU_EL1_32BIT);
}

/* Is the guest executing in AArch32 state right now? */
static inline bool modkvm_in_aarch32(const struct modkvm_arch_vcpu *a)
{
	return a->gp.pstate & MODKVM_PSR_RW32;
}

/*
 * Register n of the guest (0..30) in the AArch64 view (AArch32 R0-R14 of
 * each mode live in X0-X30); 31 reads as zero (xzr). In AArch32 state
 * only the low 32 bits exist.
 */
static inline u64 modkvm_get_reg(struct modkvm_arch_vcpu *a, unsigned int n)
{
	if (n >= 31)
		return 0;
	return modkvm_in_aarch32(a) ? (u32)a->gp.x[n] : a->gp.x[n];
}

static inline void modkvm_set_reg(struct modkvm_arch_vcpu *a, unsigned int n,
				  u64 val)
{
	if (n < 31)
		a->gp.x[n] = modkvm_in_aarch32(a) ? (u32)val : val;
}

/* aarch32.c: past a trapped A32/T32 instruction (2 or 4 bytes, ITSTATE) */
void modkvm_aa32_skip_instr(struct modkvm_arch_vcpu *a);

/*
 * The instruction at PC was emulated: it has completed, so the PC moves
 * past it (in AArch32 by 2 or 4 bytes, with the IT state advanced), a
 * software step in progress moves to active-pending (PSTATE.SS = 0) and
 * the step exception is taken before the next instruction, as if the PE
 * had executed it (the trap to EL2 left SS = 1: not stepped yet).
 */
static inline void modkvm_skip_instr(struct modkvm_arch_vcpu *a)
{
	if (modkvm_in_aarch32(a))
		modkvm_aa32_skip_instr(a);
	else
		a->gp.pc += 4;
	a->gp.pstate &= ~MODKVM_PSR_SS;
}

/*
 * Start at entry point @pc (PSCI CPU_ON). For an AArch32 EL1 the address
 * is 32 bits and its bit 0 selects T32.
 */
static inline void modkvm_set_entry(struct modkvm_arch_vcpu *a, u64 pc)
{
	if (modkvm_el1_is_32bit(a)) {
		if (pc & 1)
			a->gp.pstate |= PSR_AA32_T_BIT;
		pc = (u32)pc & ~1U;
	}
	a->gp.pc = pc;
}

/* Did the SMCCC call being handled come by SMC (rather than by HVC)? */
static inline bool modkvm_smccc_by_smc(const struct modkvm_arch_vcpu *a)
{
	return ESR_ELx_EC(a->exit.esr) == ESR_ELx_EC_SMC64;
}

/* ---- arch/arm64 functions used by the core ---- */

/* vmid.c: the vCPU's VM's VMID made valid on this CPU, interrupts off */
void modkvm_vmid_update(struct modkvm_vcpu *vcpu);

/* nvhe.c: EL2 on an nVHE host (unless nvhe=0) */
bool modkvm_nvhe_enabled(void);
int modkvm_nvhe_init(void);
void modkvm_nvhe_exit(void);
int modkvm_nvhe_map_vm(struct modkvm_vm *vm);
int modkvm_nvhe_map_vcpu(struct modkvm_vcpu *vcpu);
u64 modkvm_nvhe_icc_sre_el2(void);
u64 modkvm_nvhe_ich_vtr_el2(void);

/* Is the host nVHE (modkvm's EL2 reached by HVC)? Patched at load. */
static inline bool modkvm_host_nvhe(void)
{
	return static_branch_unlikely(&modkvm_hyp_nvhe);
}

void modkvm_debug_prepare(struct modkvm_vcpu *vcpu);	/* debug.c */

void modkvm_ptimer_sync(struct modkvm_vcpu *vcpu);	/* timer.c */

/*
 * One trip into the guest and back (hyp/vhe/switch.c), interrupts off;
 * the exit code, which is also left in vcpu->arch.exit. The VMID, the
 * debug state it loads and the physical timer's hrtimer are dealt with
 * here, at EL1.
 */
static inline int modkvm_arch_enter_guest(struct modkvm_vcpu *vcpu)
{
	modkvm_ptimer_sync(vcpu);
	modkvm_vmid_update(vcpu);
	modkvm_debug_prepare(vcpu);
	return modkvm_call_hyp_ret(vcpu_run, vcpu);
}

void modkvm_arch_vcpu_load(struct modkvm_vcpu *vcpu);
void modkvm_arch_vcpu_put(struct modkvm_vcpu *vcpu);

/* exit.c: 1 back to the guest, 0 to userspace, < 0 error */
int modkvm_handle_exit(struct modkvm_vcpu *vcpu);

/* reset.c */
bool modkvm_arch_ptrauth_supported(void);
int modkvm_arch_vcpu_init(struct modkvm_vcpu *vcpu,
			  const struct kvm_vcpu_init *init);
void modkvm_arch_vcpu_reset(struct modkvm_vcpu *vcpu);
void modkvm_arch_preferred_target(struct kvm_vcpu_init *init);
int modkvm_arch_vm_init(struct modkvm_vm *vm, unsigned long type);

/* inject.c */
void modkvm_inject_undef(struct modkvm_vcpu *vcpu);
void modkvm_inject_dabt(struct modkvm_vcpu *vcpu, u64 addr);
void modkvm_inject_pabt(struct modkvm_vcpu *vcpu, u64 addr);
void modkvm_inject_brk(struct modkvm_vcpu *vcpu, u64 esr);

/* aarch32.c: AArch32 state */
bool modkvm_arch_el1_32bit_supported(void);
bool modkvm_aa32_valid_mode(u64 pstate);
bool modkvm_aa32_cond_passed(struct modkvm_arch_vcpu *a, u64 esr);
void modkvm_aa32_reset(struct modkvm_arch_vcpu *a, bool be);

/* aarch32_inject.c: exceptions taken to an AArch32 EL1 */
void modkvm_aa32_inject_undef(struct modkvm_vcpu *vcpu);
void modkvm_aa32_inject_dabt(struct modkvm_vcpu *vcpu, u64 addr, bool write);
void modkvm_aa32_inject_pabt(struct modkvm_vcpu *vcpu, u64 addr);

/* cp15.c: trapped AArch32 coprocessor accesses (EC 0x03-0x06, 0x08, 0x0c) */
int modkvm_handle_cp_access(struct modkvm_vcpu *vcpu);

/* regs.c: ONE_REG and REG_LIST */
int modkvm_get_one_reg(struct modkvm_vcpu *vcpu, const struct kvm_one_reg *reg);
int modkvm_set_one_reg(struct modkvm_vcpu *vcpu, const struct kvm_one_reg *reg);
int modkvm_get_reg_list(struct modkvm_vcpu *vcpu,
			struct kvm_reg_list __user *user);

/* vcpu_attr.c: KVM_{HAS,GET,SET}_DEVICE_ATTR on a vCPU */
long modkvm_vcpu_attr_ioctl(struct modkvm_vcpu *vcpu, unsigned int ioctl,
			    void __user *argp);

/* sys_regs.c: trapped system register accesses (EC 0x18) */
int modkvm_handle_sysreg(struct modkvm_vcpu *vcpu);
bool modkvm_sysreg_emulate(struct modkvm_vcpu *vcpu, u32 encoding, bool read,
			   u64 *val);

/* id_regs.c: the feature ID registers */
u64 modkvm_guest_id_reg(u32 encoding);
u64 modkvm_vm_id_reg(const struct modkvm_vm *vm, u32 encoding);
bool modkvm_id_reg_user_wi(const struct modkvm_vm *vm, u32 encoding);
u64 modkvm_user_id_reg(const struct modkvm_vm *vm, u32 encoding);
int modkvm_set_user_id_reg(struct modkvm_vm *vm, u32 encoding, u64 val);

/* debug.c: guest self-hosted debug and KVM_SET_GUEST_DEBUG */
unsigned int modkvm_debug_nr_brps(void);
unsigned int modkvm_debug_nr_wrps(void);
int modkvm_handle_debug_exception(struct modkvm_vcpu *vcpu);
int modkvm_set_guest_debug(struct modkvm_vcpu *vcpu,
			   const struct kvm_guest_debug *dbg);

/* timer.c */
void modkvm_timer_init(struct modkvm_vcpu *vcpu);
void modkvm_timer_destroy(struct modkvm_vcpu *vcpu);
u32 modkvm_timer_levels(struct modkvm_vcpu *vcpu);
u64 modkvm_timer_next_ns(struct modkvm_vcpu *vcpu);
struct seq_file;
void modkvm_timer_show(struct seq_file *m, struct modkvm_vcpu *vcpu);

/* vtimer_irq.c */
/* vgic_v3.c: the host's GICv3 as the in-kernel vGIC needs it */
bool modkvm_arch_vgic_v3_supported(void);
/* An interrupt as a list register holds it, width-free for virt/vgic/ */
struct modkvm_vgic_lr {
	u32 intid;
	u8 priority;
	bool group1, pending, active;
	bool eoi;		/* exit when the guest EOIs it (level) */
};
/*
 * The guest's GICv3 CPU interface registers in their ICC_*_EL1 form, as
 * KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS carries them; the arch keeps them in
 * its own (hardware) form and converts both ways.
 */
struct modkvm_vgic_icc {
	u64 ctlr;		/* ICC_CTLR_EL1: EOImode, CBPR (writable) */
	u64 pmr;		/* ICC_PMR_EL1 */
	u64 bpr0, bpr1;		/* ICC_BPR0/1_EL1 */
	u64 igrpen0, igrpen1;	/* ICC_IGRPEN0/1_EL1 */
	u32 ap0r[4], ap1r[4];	/* ICC_AP0R<n>/AP1R<n>_EL1 */
};
/* An SGI the guest raised (sys_regs.c decodes ICC_*SGI*R_EL1) */
struct modkvm_vgic_sgi {
	u64 aff;		/* Aff3.Aff2.Aff1 of the targets, IROUTER layout */
	u16 targets;		/* TargetList: Aff0 = aff0_base + bit */
	u8 aff0_base;		/* RS * 16 */
	u8 intid;
	bool all_but_self;	/* IRM */
	bool group1;
};
void modkvm_vgic_send_sgi(struct modkvm_vcpu *vcpu,
			  const struct modkvm_vgic_sgi *sgi);
int modkvm_arch_vgic_enable(struct modkvm_vm *vm);
unsigned int modkvm_arch_vgic_nr_lr(void);
void modkvm_arch_vgic_set_lr(struct modkvm_vcpu *vcpu, unsigned int i,
			     const struct modkvm_vgic_lr *lr);
void modkvm_arch_vgic_get_lr(struct modkvm_vcpu *vcpu, unsigned int i,
			     struct modkvm_vgic_lr *lr);
void modkvm_arch_vgic_set_used(struct modkvm_vcpu *vcpu, unsigned int n,
			       bool more, bool withdrawable);
bool modkvm_arch_vgic_resample_trap(struct modkvm_vcpu *vcpu, u32 enc);
unsigned int modkvm_arch_vgic_used(struct modkvm_vcpu *vcpu);
void modkvm_arch_vgic_get_icc(struct modkvm_vcpu *vcpu,
			      struct modkvm_vgic_icc *icc);
void modkvm_arch_vgic_set_icc(struct modkvm_vcpu *vcpu,
			      const struct modkvm_vgic_icc *icc);
void modkvm_arch_vgic_exit(void);

void modkvm_vtimer_irq_init(void);
void modkvm_vtimer_irq_exit(void);
void modkvm_vtimer_irq_sync(struct modkvm_vcpu *vcpu);

/* stage2 arch parts (tlb.c) */
int modkvm_arch_s2_init(struct modkvm_s2 *s2, unsigned int ipa_bits);
bool modkvm_s2fwb_usable(void);
void modkvm_arch_s2_free(struct modkvm_s2 *s2);
void modkvm_tlb_flush_ipa(struct modkvm_s2 *s2, u64 ipa);
void modkvm_tlb_flush_vmid(struct modkvm_s2 *s2);
unsigned int modkvm_host_ipa_limit(void);

/* vmid.c: VMIDs by generation, given out at guest entry */
int modkvm_vmid_init(void);
void modkvm_vmid_exit(void);
unsigned int modkvm_vmid_width(void);
u64 modkvm_vmid_vtcr(void);
u16 modkvm_vmid_for_flush(struct modkvm_s2 *s2);
void modkvm_vmid_free(struct modkvm_s2 *s2);

/*
 * ---- hooks for virt/ ----
 *
 * virt/ is shared with a future 32-bit arch/arm (ARMv7-A with LPAE, HYP
 * mode): it runs no arm64 instruction, decodes no syndrome and reads no
 * system register itself (selftests/check-virt-arch-free, in make check,
 * keeps it so). What it needs of the CPU and of the guest's state it
 * asks here. Guest registers and addresses are u64 whatever the
 * host's word size: a 32-bit guest's values are zero-extended.
 */

/* The guest's PC and PSTATE (CPSR in AArch32), to rewind an access */
static inline u64 modkvm_get_pc(const struct modkvm_arch_vcpu *a)
{
	return a->gp.pc;
}

static inline void modkvm_set_pc(struct modkvm_arch_vcpu *a, u64 pc)
{
	a->gp.pc = pc;
}

static inline u64 modkvm_get_pstate(const struct modkvm_arch_vcpu *a)
{
	return a->gp.pstate;
}

static inline void modkvm_set_pstate(struct modkvm_arch_vcpu *a, u64 pstate)
{
	a->gp.pstate = pstate;
}

/* SCTLR_EL1 data endianness: EE for EL1, E0E for EL0 */
#define MODKVM_SCTLR_E0E	BIT_ULL(24)
#define MODKVM_SCTLR_EE		BIT_ULL(25)

/*
 * Is a data access by the guest, in its current state, big-endian?
 * AArch64 EL0 follows SCTLR_EL1.E0E, AArch64 EL1 SCTLR_EL1.EE, AArch32
 * the E bit of its CPSR.
 */
static inline bool modkvm_guest_data_be(const struct modkvm_arch_vcpu *a)
{
	u64 pstate = a->gp.pstate, sctlr = a->sys[SR_SCTLR_EL1];

	if (!(pstate & PSR_MODE32_BIT) &&
	    (pstate & PSR_MODE_MASK) == PSR_MODE_EL0t)
		return sctlr & MODKVM_SCTLR_E0E;
	if (pstate & PSR_MODE32_BIT)		/* AArch32 EL0: CPSR.E */
		return pstate & PSR_AA32_E_BIT;
	return sctlr & MODKVM_SCTLR_EE;
}

/* PSCI CPU_ON: @t starts with the data endianness of @caller's EL1 */
static inline void
modkvm_inherit_el1_endianness(struct modkvm_arch_vcpu *t,
			      const struct modkvm_arch_vcpu *caller)
{
	t->reset_be = caller->sys[SR_SCTLR_EL1] & MODKVM_SCTLR_EE;
}

/* MPIDR affinity fields, how PSCI names a CPU: Aff3 [39:32], Aff2-0 [23:0] */
#define MODKVM_MPIDR_AFF_MASK	(GENMASK_ULL(39, 32) | GENMASK_ULL(23, 0))

/* The affinity of a vCPU; read by other vCPUs (PSCI CPU_ON, AFFINITY_INFO) */
static inline u64 modkvm_vcpu_affinity(const struct modkvm_arch_vcpu *a)
{
	return READ_ONCE(a->sys[SR_MPIDR_EL1]) & MODKVM_MPIDR_AFF_MASK;
}

/*
 * Stage-2 descriptors (stage2.c) are 64 bits on both flavours and must be
 * read and written whole, as the table walker may be reading them; a
 * table change is made visible to the walker before the TLB is flushed
 * or the guest may use it.
 */
static inline u64 modkvm_s2_read_desc(u64 *p)
{
	return READ_ONCE(*p);
}

static inline void modkvm_s2_write_desc(u64 *p, u64 desc)
{
	WRITE_ONCE(*p, desc);
}

static inline void modkvm_s2_sync(void)
{
	dsb(ishst);
}

/*
 * cache.c: cache maintenance for guest memory. The stage-2 walker asks for
 * @pa..+@size as it becomes visible to the guest for the first time (clean
 * to the point of coherency, for a guest running with its caches off) or
 * executable (no stale instructions); the guest's set/way operations have
 * all of its memory cleaned and invalidated to the point of coherency.
 */
void modkvm_s2_prepare_new(phys_addr_t pa, u64 size);
void modkvm_s2_prepare_exec(phys_addr_t pa, u64 size);
void modkvm_dcache_clean_inval(phys_addr_t pa, u64 size);

/*
 * abort.c: a data or instruction abort from the guest, decoded into a
 * struct modkvm_abort (virt/modkvm.h) for modkvm_handle_guest_abort()
 */
int modkvm_handle_abort(struct modkvm_vcpu *vcpu);

/*
 * fw_workaround.c: KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_<n> as the CPU
 * deserves it, which a new VM keeps (modkvm_fw_workaround_init(), psci.c)
 */
u64 modkvm_arch_fw_workaround(unsigned int n);

/*
 * fpsimd.c: the guest's FP/SIMD registers, in the hardware from the first
 * modkvm_fp_get() to the next modkvm_fp_put(). Lazy (loaded at the guest's
 * first FP use, kept across exits) where kernel-mode NEON may sleep, from
 * 6.8 on; before, the run loop loads them for each entry and saves them
 * after it.
 */
#define MODKVM_FP_LAZY	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0))
void modkvm_fp_get(struct modkvm_vcpu *vcpu);
void modkvm_fp_put(struct modkvm_vcpu *vcpu);

#endif /* MODKVM_ARCH_H */
