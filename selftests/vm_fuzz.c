// SPDX-License-Identifier: GPL-2.0
/*
 * Random guests and random vCPU state, for robustness. Each round makes a
 * VM whose RAM is filled with random instructions, biased towards what
 * reaches the hypervisor: system register and system instruction
 * accesses with random encodings, HVC/SMC with function IDs around the
 * PSCI/SMCCC ranges, loads and stores of every shape to RAM, to a
 * read-only slot, to MMIO and beyond the IPA space, WFI/WFE, ERET, BRK,
 * exception-level changes, PSTATE writes, pointer authentication (half
 * the AArch64 VMs have it where the host does); on CPUs with AArch32 at EL1 a
 * third of the VMs run random A32 or T32 code (CP15/CP14 accesses with
 * random conditions, HVC/SMC, LDM/STM, LDRD, exclusives, CPS). Userspace meanwhile writes
 * random values to random registers of the register list, injects
 * SErrors and raises IRQ/FIQ lines, and moves or deletes a slot; a few
 * ioeventfds sit in the MMIO window.
 *
 * What must hold: the host survives (the testbed checks its log for
 * oopses and WARNs), every KVM_RUN ends in an exit reason or error that
 * api.rst documents for arm64, every register access returns 0 or a
 * documented error, the registers stay readable, and nothing leaks (fds
 * here; memory is reload_leak.sh's business). The rounds are
 * deterministic for a seed (MODKVM_FUZZ_SEED, default 1), timing aside: a
 * periodic SIGALRM ends runs that wait (WFI with nothing pending).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"

#define RAM_BASE	VMM_RAM_BASE
#define RAM_SIZE	0x40000UL		/* 256 KiB of random code */
#define RO_BASE		(RAM_BASE + 0x100000UL)
#define RO_SIZE		0x10000UL
#define ROUNDS		400
#define RUNS		40			/* KVM_RUNs per vCPU and round */
#define TIME_LIMIT_S	30

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned int rn(unsigned int n)
{
	return rnd() % n;
}

/* An address worth touching: RAM, the read-only slot, MMIO, far away. */
static uint64_t rnd_addr(void)
{
	switch (rn(8)) {
	case 0: case 1:
		return RAM_BASE + rn(RAM_SIZE);
	case 2:
		return RO_BASE + rn(RO_SIZE);
	case 3:		/* where the doorbells are */
		return VMM_MMIO_BASE + 8 * rn(16);
	case 4:
		return VMM_MMIO_BASE + rn(0x10000);
	case 5:
		return rnd() & ((1ULL << 40) - 1);
	case 6:
		return rnd();
	}
	return rn(0x1000);
}

/* An SMCCC function ID around the ranges modkvm and KVM answer */
static uint64_t rnd_fid(void)
{
	static const uint32_t fids[] = {
		0x84000000, 0xc4000000, 0x80000000, 0x80008000, 0x86000000,
		0xc6000000, 0x84000050, 0xc4000050, 0xbf00ff00, 0x3f000000,
	};

	return fids[rn(ARRAY_SIZE(fids))] + rn(0x20);
}

/* A register value: small, an address, a function ID, or anything. */
static uint64_t rnd_value(void)
{
	switch (rn(6)) {
	case 0:
		return rn(64);
	case 1: case 2:
		return rnd_addr();
	case 3:
		return rnd_fid();
	}
	return rnd();
}

/* Instruction encodings (Arm ARM, A64 base instructions) */
#define MOVZ(rd, imm, hw)	(0xd2800000 | (hw) << 21 | ((imm) & 0xffff) << 5 | (rd))
#define MOVK(rd, imm, hw)	(0xf2800000 | (hw) << 21 | ((imm) & 0xffff) << 5 | (rd))

static uint32_t *emit_mov64(uint32_t *p, unsigned int rd, uint64_t v)
{
	*p++ = MOVZ(rd, v, 0);
	*p++ = MOVK(rd, v >> 16, 1);
	*p++ = MOVK(rd, v >> 32, 2);
	*p++ = MOVK(rd, v >> 48, 3);
	return p;
}

/* A load or store of some shape through x(rn_). */
static uint32_t rnd_ldst(unsigned int rn_)
{
	unsigned int rt = rn(31), size = rn(4);

	switch (rn(12)) {
	case 0:		/* LDR/STR (unsigned offset 0), any size */
	case 1:
		return 0x39000000 | size << 30 | rn(2) << 22 | rn_ << 5 | rt;
	case 2:		/* LDRSB/LDRSH/LDRSW to X or W */
		return 0x39800000 | rn(3) << 30 | rn(2) << 22 | rn_ << 5 | rt;
	case 3:		/* post-index with writeback */
		return 0x38000400 | size << 30 | rn(2) << 22 |
		       (rn(512) << 12) | rn_ << 5 | rt;
	case 4:		/* pre-index with writeback */
		return 0x38000c00 | size << 30 | rn(2) << 22 |
		       (rn(512) << 12) | rn_ << 5 | rt;
	case 5:		/* LDP/STP 64-bit */
		return 0xa9000000 | rn(2) << 22 | rn(31) << 10 | rn_ << 5 | rt;
	case 6:		/* LDXR/STXR, LDAXR, STLR... (load/store exclusive group) */
		return 0x08000000 | size << 30 | rn(8) << 21 | rn(31) << 16 |
		       rn(2) << 15 | 31 << 10 | rn_ << 5 | rt;
	case 7:		/* LD1/ST1 {v.16b}, SIMD: no syndrome */
		return 0x0c007000 | rn(2) << 30 | rn(2) << 22 | rn_ << 5 | rn(32);
	case 8:		/* DC ZVA / DC CIVAC by the address */
		return rn(2) ? 0xd50b7420 | rn_ : 0xd50b7e20 | rn_;
	case 9:		/* LDADD and friends (atomics) */
		return 0x38200000 | size << 30 | rn(31) << 16 | rn(8) << 12 |
		       rn_ << 5 | rt;
	case 10:	/* LDR (register offset) */
		return 0x38206800 | size << 30 | rn(2) << 22 | rn(31) << 16 |
		       rn_ << 5 | rt;
	}
	/* PRFM, LDR literal */
	return rn(2) ? 0xf9800000 | rn_ << 5 | rn(32) :
		       0x58000000 | (rn(0x80000) << 5) | rt;
}

#define SR(op0, op1, crn, crm, op2)	\
	((op0) << 19 | (op1) << 16 | (crn) << 12 | (crm) << 8 | (op2) << 5)

/* Registers and instructions that trap or matter to the hypervisor */
static const uint32_t hot_sysregs[] = {
	SR(3, 0, 1, 0, 0),	/* SCTLR_EL1: the MMU on random tables */
	SR(3, 0, 2, 0, 0),	/* TTBR0_EL1 */
	SR(3, 0, 2, 0, 2),	/* TCR_EL1 */
	SR(3, 0, 1, 0, 2),	/* CPACR_EL1 */
	SR(3, 0, 1, 0, 1),	/* ACTLR_EL1 */
	SR(3, 0, 12, 0, 0),	/* VBAR_EL1 */
	SR(3, 0, 0, 4, 0),	/* ID_AA64PFR0_EL1 */
	SR(3, 0, 0, 1, 0),	/* ID_PFR0_EL1 */
	SR(3, 3, 14, 2, 0),	/* CNTP_TVAL_EL0 */
	SR(3, 3, 14, 2, 1),	/* CNTP_CTL_EL0 */
	SR(3, 3, 14, 2, 2),	/* CNTP_CVAL_EL0 */
	SR(3, 3, 14, 3, 1),	/* CNTV_CTL_EL0 */
	SR(3, 3, 14, 0, 1),	/* CNTPCT_EL0 */
	SR(3, 0, 14, 1, 0),	/* CNTKCTL_EL1 */
	SR(3, 3, 9, 12, 0),	/* PMCR_EL0 */
	SR(3, 3, 9, 13, 0),	/* PMCCNTR_EL0 */
	SR(3, 0, 9, 14, 1),	/* PMINTENSET_EL1 */
	SR(2, 0, 0, 2, 2),	/* MDSCR_EL1 */
	SR(2, 0, 1, 0, 4),	/* OSLAR_EL1 */
	SR(2, 0, 1, 1, 4),	/* OSLSR_EL1 */
	SR(2, 0, 1, 3, 4),	/* OSDLR_EL1 */
	SR(2, 0, 0, 0, 4),	/* DBGBVR0_EL1 */
	SR(2, 0, 0, 0, 5),	/* DBGBCR0_EL1 */
	SR(2, 0, 0, 15, 6),	/* DBGWVR15_EL1 */
	SR(2, 0, 0, 2, 0),	/* MDCCINT_EL1 */
	SR(2, 0, 7, 8, 6),	/* DBGCLAIMSET_EL1 */
	SR(2, 3, 0, 5, 0),	/* DBGDTR_EL0 */
	SR(3, 0, 12, 11, 5),	/* ICC_SGI1R_EL1 */
	SR(3, 0, 12, 12, 5),	/* ICC_SRE_EL1 */
	SR(3, 0, 4, 6, 0),	/* ICC_PMR_EL1 */
	SR(3, 0, 5, 3, 1),	/* ERRSELR_EL1 */
	SR(3, 0, 10, 4, 7),	/* LORID_EL1 */
	SR(3, 0, 9, 10, 7),	/* PMBIDR_EL1 */
	SR(3, 3, 13, 2, 0),	/* AMCR_EL0 */
	SR(3, 0, 2, 1, 0),	/* APIAKEYLO_EL1 */
	SR(3, 0, 2, 1, 1),	/* APIAKEYHI_EL1 */
	SR(3, 0, 2, 3, 0),	/* APGAKEYLO_EL1 */
	SR(3, 3, 4, 2, 0),	/* DIT */
	SR(1, 0, 7, 6, 2),	/* DC ISW */
	SR(1, 0, 7, 10, 2),	/* DC CSW */
	SR(1, 0, 7, 14, 2),	/* DC CISW */
	SR(1, 0, 7, 8, 0),	/* AT S1E1R */
	SR(1, 0, 8, 3, 0),	/* TLBI VMALLE1IS */
	SR(1, 0, 7, 5, 0),	/* IC IALLU */
};

static uint32_t rnd_sysreg(bool sys_insn)
{
	uint32_t op0 = sys_insn ? 1 : 2 + rn(2);

	if (rn(2))
		return 0xd5000000 | rn(2) << 21 |
		       hot_sysregs[rn(ARRAY_SIZE(hot_sysregs))] | rn(32);
	return 0xd5000000 | rn(2) << 21 | op0 << 19 | rn(8) << 16 |
	       rn(16) << 12 | rn(16) << 8 | rn(8) << 5 | rn(32);
}

/* WFI, WFE, YIELD, SEV, SEVL, ISB, DSB SY */
static const uint32_t hints[] = {
	0xd503207f, 0xd503205f, 0xd503203f, 0xd503209f, 0xd50320bf,
	0xd5033fdf, 0xd5033f9f,
};

/* ERET, BRK, SVC, HLT, UDF, DCPS1 */
static const uint32_t excs[] = {
	0xd69f03e0, 0xd4200000, 0xd4000001, 0xd4400000, 0x00000000,
	0xd4a00001,
};

/* Fill @words instructions at @p; returns the number written. */
static size_t gen_block(uint32_t *p, size_t words)
{
	uint32_t *start = p, *end = p + words;

	while (p + 10 < end) {
		unsigned int r = rn(31);

		switch (rn(16)) {
		case 0: case 1: case 2:
			*p++ = rnd_sysreg(false);
			break;
		case 3:
			*p++ = rnd_sysreg(true);
			break;
		case 4: case 5:		/* HVC/SMC with a function ID in x0 */
			p = emit_mov64(p, 0, rn(4) ? rnd_fid() : rnd_value());
			p = emit_mov64(p, 1, rn(2) ? rn(4) : rnd_value());
			*p++ = (rn(2) ? 0xd4000002 : 0xd4000003) |
			       (rn(4) ? 0 : rn(0x10000)) << 5;
			break;
		case 6: case 7: case 8: case 9:
			p = emit_mov64(p, r, rnd_addr());
			*p++ = rnd_ldst(r);
			break;
		case 10:
			*p++ = hints[rn(ARRAY_SIZE(hints))];
			break;
		case 11:
			*p++ = excs[rn(ARRAY_SIZE(excs))];
			break;
		case 12:		/* MSR DAIFSet/Clr, SPSel, PAN, UAO, SSBS... */
			*p++ = 0xd500401f | rn(8) << 16 | rn(16) << 8 |
			       rn(8) << 5;
			break;
		case 13:		/* a short branch */
			*p++ = 0x14000000 | ((rn(2048) - 1024) & 0x3ffffff);
			break;
		case 14:		/* a random register value, or PAC */
			if (rn(4)) {
				p = emit_mov64(p, r, rnd_value());
				break;
			}
			/* PACIA/AUTIA/PACGA/XPACI/PACIASP/AUTIASP */
			*p++ = rn(2) ? 0xdac10000 | rn(8) << 10 | rn(32) << 5 | r :
				       rn(2) ? 0x9ac03000 | rn(31) << 16 |
					       rn(32) << 5 | r :
					       0xd503233f | rn(2) << 7;
			break;
		default:		/* any word at all */
			*p++ = (uint32_t)rnd();
			break;
		}
	}
	while (p < end)
		*p++ = 0xd503201f;	/* NOP */
	return p - start;
}

/*
 * The vector table at the start of RAM: every exception skips the
 * instruction it came from and returns, so that the random code goes on
 * rather than looping in an exception handler made of random words.
 */
#define VECTORS_SIZE	0x800

static void put_vectors(uint32_t *code)
{
	static const uint32_t skip[] = {
		0xd538403e,	/* mrs	x30, elr_el1 */
		0x910013de,	/* add	x30, x30, #4 */
		0xd518403e,	/* msr	elr_el1, x30 */
		0xd69f03e0,	/* eret */
	};
	unsigned int v;

	for (v = 0; v < 16; v++)
		memcpy(code + v * 0x80 / 4, skip, sizeof(skip));
}

/* ---- AArch32 (A32/T32) guests, on hosts with AArch32 at EL1 ---- */

#define A32_MOVW(rd, imm)	(0xe3000000 | ((imm) >> 12 & 0xf) << 16 | \
				 (rd) << 12 | ((imm) & 0xfff))
#define A32_MOVT(rd, imm)	(0xe3400000 | ((imm) >> 28 & 0xf) << 16 | \
				 (rd) << 12 | ((imm) >> 16 & 0xfff))

static uint32_t a32_cond(void)
{
	return (rn(4) ? 0xeU : rn(15)) << 28;	/* mostly "always" */
}

static uint32_t *emit_a32_mov(uint32_t *p, unsigned int rd, uint32_t v)
{
	*p++ = A32_MOVW(rd, v);
	*p++ = A32_MOVT(rd, v);
	return p;
}

static uint32_t a32_ldst(unsigned int rn_)
{
	unsigned int rt = rn(13), c = a32_cond(), l = rn(2);

	switch (rn(6)) {
	case 0: case 1:	/* LDR/STR/LDRB/STRB (immediate), maybe writeback */
		return 0x05000000 | c | rn(2) << 23 | rn(2) << 22 |
		       (rn(4) ? 0 : 1) << 21 | l << 20 | rn_ << 16 |
		       rt << 12 | rn(4096);
	case 2:		/* LDRH/STRH/LDRSB/LDRSH/LDRD/STRD (immediate) */
		return 0x01c00090 | c | rn(2) << 23 | l << 20 | rn_ << 16 |
		       rt << 12 | rn(16) << 8 | rn(4) << 5 | rn(16);
	case 3:		/* LDM/STM */
		return 0x08800000 | c | rn(2) << 21 | l << 20 | rn_ << 16 |
		       (rnd() & 0xffff);
	case 4:		/* LDREX/STREX */
		return l ? 0x01900f9f | c | rn_ << 16 | rt << 12 :
			   0x01800f90 | c | rn_ << 16 | rn(13) << 12 | rt;
	}
	/* LDC/STC, VLDR/VSTR */
	return 0x0d000000 | c | rn(2) << 23 | l << 20 | rn_ << 16 |
	       rn(16) << 12 | (10 + rn(6)) << 8 | rn(256);
}

static void gen_block_a32(uint32_t *p, size_t words)
{
	uint32_t *end = p + words;

	while (p + 6 < end) {
		unsigned int r = rn(13);

		switch (rn(12)) {
		case 0: case 1: case 2:	/* MCR/MRC p15 */
			*p++ = 0x0e000f10 | a32_cond() | rn(8) << 21 |
			       rn(2) << 20 | rn(16) << 16 | rn(15) << 12 |
			       rn(8) << 5 | rn(16);
			break;
		case 3:			/* MCR/MRC p14, VMRS/VMSR */
			*p++ = rn(2) ? 0x0e000e10 | a32_cond() | rn(8) << 21 |
				       rn(2) << 20 | rn(16) << 16 |
				       rn(15) << 12 | rn(8) << 5 | rn(16) :
				       0x0ee00a10 | a32_cond() | rn(2) << 20 |
				       rn(16) << 16 | rn(15) << 12;
			break;
		case 4:			/* MCRR/MRRC p15 or p14 */
			*p++ = 0x0c400000 | a32_cond() | rn(2) << 20 |
			       rn(13) << 16 | rn(13) << 12 |
			       (14 + rn(2)) << 8 | rn(16) << 4 | rn(16);
			break;
		case 5:			/* HVC/SMC with a function ID in r0 */
			p = emit_a32_mov(p, 0, rn(4) ? rnd_fid() : rnd());
			p = emit_a32_mov(p, 1, rn(2) ? rn(4) : rnd());
			*p++ = rn(2) ? 0xe1400070 : 0xe1600070 | a32_cond();
			break;
		case 6: case 7: case 8:
			p = emit_a32_mov(p, r, rnd_addr());
			*p++ = a32_ldst(r);
			break;
		case 9:			/* WFI, WFE, YIELD, SEV */
			*p++ = 0x0320f000 | a32_cond() | rn(5);
			break;
		case 10:		/* SVC, BKPT, UDF, ERET, CPS, SETEND */
			switch (rn(6)) {
			case 0: *p++ = 0x0f000000 | a32_cond(); break;
			case 1: *p++ = 0xe1200070; break;
			case 2: *p++ = 0xe7f000f0; break;
			case 3: *p++ = 0xe160006e; break;
			case 4: *p++ = 0xf1020000 | rn(32) | rn(8) << 6; break;
			default: *p++ = 0xf1010000 | rn(2) << 9; break;
			}
			break;
		default:
			*p++ = (uint32_t)rnd();
			break;
		}
	}
	while (p < end)
		*p++ = 0xe320f000;	/* NOP */
}

/*
 * The AArch32 vector table: undefined instructions, SVCs and prefetch
 * aborts return past the instruction, data aborts, IRQs and FIQs to the
 * next one.
 */
static void put_vectors_a32(uint32_t *code)
{
	static const uint32_t v[8] = {
		0xeafffffe,	/* reset: b . */
		0xe1b0f00e,	/* undefined: movs pc, lr */
		0xe1b0f00e,	/* SVC */
		0xe1b0f00e,	/* prefetch abort */
		0xe25ef004,	/* data abort: subs pc, lr, #4 */
		0xe320f000,	/* (hyp) */
		0xe25ef004,	/* IRQ */
		0xe25ef004,	/* FIQ */
	};

	memcpy(code, v, sizeof(v));
}

static bool aa32_ok, pauth_ok, ioeventfd_ok;

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* The counts the checks are made from */
static struct {
	unsigned long vms, aa32_vms, pauth_vms, doorbells;
	unsigned long runs, mmio_r, mmio_w, sysev, eintr, enosys;
	unsigned long bad_run, reg_sets, reg_bad, get_bad, other_bad;
} st;

static void bad(unsigned long *counter, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A problem, counted and shown (tap_count) with where it happened */
static void bad(unsigned long *counter, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tap_count(counter, "(VM %lu, run %lu) %s", st.vms, st.runs, msg);
}

static uint64_t *reg_ids;
static size_t nr_reg_ids;

static void load_reg_list(struct vmm_vcpu *vcpu)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;

	if (reg_ids)
		return;
	ioctl(vcpu->fd, KVM_GET_REG_LIST, &probe);
	list = calloc(1, sizeof(*list) + probe.n * sizeof(uint64_t));
	if (!list)
		return;
	list->n = probe.n;
	if (ioctl(vcpu->fd, KVM_GET_REG_LIST, list) == 0) {
		reg_ids = malloc(list->n * sizeof(uint64_t));
		if (reg_ids) {
			memcpy(reg_ids, list->reg, list->n * sizeof(uint64_t));
			nr_reg_ids = list->n;
		}
	}
	free(list);
}

/* A random register gets a random value (often a near-valid one). */
static void poke_reg(struct vmm_vcpu *vcpu)
{
	uint8_t buf[16];
	uint64_t id, v;
	int rc;

	if (!nr_reg_ids)
		return;
	id = reg_ids[rn(nr_reg_ids)];
	if (vmm_reg_size(id) > sizeof(buf))
		return;
	memset(buf, 0, sizeof(buf));
	if (rn(2) && !vmm_get_reg(vcpu, id, buf)) {
		/* flip a few bits of the current value */
		memcpy(&v, buf, sizeof(v));
		v ^= 1ULL << rn(64);
		if (rn(2))
			v ^= 1ULL << rn(64);
		memcpy(buf, &v, vmm_reg_size(id) < 8 ? vmm_reg_size(id) : 8);
	} else {
		v = rnd_value();
		memcpy(buf, &v, vmm_reg_size(id) < 8 ? vmm_reg_size(id) : 8);
	}
	rc = vmm_set_reg(vcpu, id, buf);
	st.reg_sets++;
	/* api.rst: ENOENT, EINVAL, EPERM (before finalization); EBUSY */
	if (rc && rc != -EINVAL && rc != -ENOENT && rc != -EPERM &&
	    rc != -EBUSY)
		bad(&st.reg_bad, "SET_ONE_REG %#llx: %s",
		    (unsigned long long)id, strerror(-rc));
}

static void poke_vcpu(struct vmm_vm *vm, struct vmm_vcpu *vcpu)
{
	struct kvm_vcpu_events ev;
	struct kvm_irq_level irq;
	int rc;

	switch (rn(6)) {
	case 0: case 1:
		poke_reg(vcpu);
		break;
	case 2:			/* an SError, maybe with a syndrome */
		memset(&ev, 0, sizeof(ev));
		ev.exception.serror_pending = 1;
		ev.exception.serror_has_esr = rn(2);
		ev.exception.serror_esr = rnd() & (rn(2) ? 0x1ffffff : ~0ULL);
		rc = ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev);
		if (rc && errno != EINVAL)
			bad(&st.other_bad, "SET_VCPU_EVENTS: %s", strerror(errno));
		break;
	case 3:			/* IRQ or FIQ line of a vCPU, up or down */
		irq.irq = (KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT) |
			  (vcpu->id << KVM_ARM_IRQ_VCPU_SHIFT) | rn(2);
		irq.level = rn(2);
		rc = ioctl(vm->fd, KVM_IRQ_LINE, &irq);
		if (rc)
			bad(&st.other_bad, "IRQ_LINE: %s", strerror(errno));
		break;
	case 4:			/* the read-only slot moves */
		rc = vmm_mem_move(vm, 1, rn(2) ? RO_BASE : RO_BASE + 0x40000);
		if (rc && rc != -EINVAL && rc != -EEXIST)
			bad(&st.other_bad, "slot move: %s", strerror(-rc));
		break;
	default:
		break;
	}
}

/* One KVM_RUN; false when this vCPU is done for the round. */
static bool run_once(struct vmm_vcpu *vcpu)
{
	int rc = vmm_run(vcpu);
	uint64_t pc, pstate;

	st.runs++;
	if (vmm_get64(vcpu, VMM_REG_PC, &pc))
		bad(&st.get_bad, "PC unreadable after KVM_RUN");
	switch (rc) {
	case KVM_EXIT_MMIO:
		if (vcpu->run->mmio.len < 1 || vcpu->run->mmio.len > 8)
			bad(&st.bad_run, "MMIO exit of %u bytes",
			    vcpu->run->mmio.len);
		if (vcpu->run->mmio.is_write) {
			st.mmio_w++;
		} else {
			st.mmio_r++;
			vmm_mmio_reply(vcpu, rnd());
		}
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		st.sysev++;
		return false;
	case -EINTR:
		st.eintr++;
		return true;
	case -ENOSYS:
		/*
		 * api.rst: a data abort outside memslots with no valid
		 * syndrome. A VMM may skip the instruction, as here.
		 */
		st.enosys++;
		if (vmm_get64(vcpu, VMM_REG_PSTATE, &pstate))
			return false;
		return !vmm_set64(vcpu, VMM_REG_PC,
				  pc + ((pstate & 0x30) == 0x30 ? 2 : 4));
	}
	bad(&st.bad_run, "KVM_RUN: %s (pc %#llx)", vmm_describe_exit(vcpu),
	    (unsigned long long)pc);
	return false;
}

static void round_(void)
{
	static uint32_t code[RAM_SIZE / 4];
	struct vmm_vcpu vcpus[2];
	unsigned int nr = 1 + rn(2), i, r;
	bool live[2] = { true, true }, psci = rn(4), aa32 = aa32_ok && !rn(3);
	bool pauth = pauth_ok && rn(2);
	unsigned int nr_ev = 0;
	int evfd[4];
	uint32_t feat;
	struct vmm_vm vm;
	int rc;

	rc = vmm_vm_create(&vm, 0);
	if (rc) {
		bad(&st.other_bad, "KVM_CREATE_VM: %s", strerror(-rc));
		return;
	}
	st.vms++;
	st.pauth_vms += pauth && !aa32;
	if (aa32) {
		st.aa32_vms++;
		gen_block_a32(code, ARRAY_SIZE(code));
		put_vectors_a32(code);
	} else {
		gen_block(code, ARRAY_SIZE(code));
		put_vectors(code);
	}
	if (!vmm_mem_add(&vm, 0, RAM_BASE, RAM_SIZE, 0) ||
	    !vmm_mem_add(&vm, 1, RO_BASE, RO_SIZE, KVM_MEM_READONLY) ||
	    vmm_load(&vm, RAM_BASE, code, sizeof(code))) {
		bad(&st.other_bad, "memory: %s", strerror(errno));
		goto out_vm;
	}
	memset(vmm_gpa_to_hva(&vm, RO_BASE), 0xa5, RO_SIZE);

	for (i = 0; i < nr; i++) {
		unsigned int x;

		/* the same features for all vCPUs of a VM, POWER_OFF aside */
		feat = psci ? 1U << KVM_ARM_VCPU_PSCI_0_2 : 0;
		if (aa32)
			feat |= 1U << KVM_ARM_VCPU_EL1_32BIT;
		else if (pauth)
			feat |= 1U << KVM_ARM_VCPU_PTRAUTH_ADDRESS |
				1U << KVM_ARM_VCPU_PTRAUTH_GENERIC;
		if (i && rn(2))
			feat |= 1U << KVM_ARM_VCPU_POWER_OFF;
		rc = vmm_simple_vcpu(&vm, &vcpus[i], i, feat, RAM_BASE +
				     VECTORS_SIZE +
				     4 * rn((RAM_SIZE - VECTORS_SIZE) / 4 - 64));
		if (rc) {
			bad(&st.other_bad, "vCPU %u: %s", i, strerror(-rc));
			nr = i;
			break;
		}
		load_reg_list(&vcpus[i]);
		for (x = 0; x < 31; x++)
			vmm_set64(&vcpus[i], VMM_REG_X(x), rnd_value());
		vmm_set64(&vcpus[i], VMM_REG_VBAR_EL1, RAM_BASE);
		vmm_set64(&vcpus[i], VMM_REG_SP_EL1, RAM_BASE + rn(RAM_SIZE));
		if (aa32 && rn(3) == 0)		/* Thumb */
			vmm_set64(&vcpus[i], VMM_REG_PSTATE, 0x1f3);
		if (!rn(4))
			vmm_set64(&vcpus[i], VMM_REG_PSTATE,
				  rn(2) ? rnd() : (rnd() & 0x3df));
	}

	/* Doorbells: a few ioeventfds in the MMIO window, where offered */
	nr_ev = ioeventfd_ok ? rn(4) : 0;
	for (i = 0; i < nr_ev; i++) {
		static const uint32_t lens[] = { 0, 1, 2, 4, 8 };
		struct kvm_ioeventfd a = {
			.addr = VMM_MMIO_BASE + 8 * rn(16),
			.len = rn(2) ? 0 : lens[rn(ARRAY_SIZE(lens))],
		};

		evfd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		a.fd = evfd[i];
		if (a.len && !rn(4)) {
			a.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
			a.datamatch = rn(4);
		}
		if (evfd[i] >= 0 && ioctl(vm.fd, KVM_IOEVENTFD, &a) &&
		    errno != EEXIST)
			bad(&st.other_bad, "KVM_IOEVENTFD: %s", strerror(errno));
	}

	for (r = 0; r < RUNS; r++) {
		for (i = 0; i < nr; i++) {
			if (!live[i])
				continue;
			if (!rn(4))
				poke_vcpu(&vm, &vcpus[i]);
			live[i] = run_once(&vcpus[i]);
		}
	}
	for (i = 0; i < nr; i++)
		vmm_vcpu_destroy(&vcpus[i]);
out_vm:
	vmm_vm_destroy(&vm);
	for (i = 0; i < nr_ev; i++) {
		uint64_t n;

		if (evfd[i] < 0)
			continue;
		if (read(evfd[i], &n, sizeof(n)) == sizeof(n))
			st.doorbells += n;
		close(evfd[i]);
	}
}

int main(void)
{
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	const char *s = getenv("MODKVM_FUZZ_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 0) : 1, t0;
	int fds0, fds1;
	unsigned int i;

	tap_init();
	aa32_ok = vmm_sys_check_cap(KVM_CAP_ARM_EL1_32BIT) > 0;
	ioeventfd_ok = vmm_sys_check_cap(KVM_CAP_IOEVENTFD) > 0;
	pauth_ok = vmm_sys_check_cap(KVM_CAP_ARM_PTRAUTH_ADDRESS) > 0 &&
		   vmm_sys_check_cap(KVM_CAP_ARM_PTRAUTH_GENERIC) > 0;
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	tap_diag("seed %llu (MODKVM_FUZZ_SEED)", (unsigned long long)seed);
	fds0 = vmm_count_fds();

	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: KVM_RUN ends */
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = vmm_now_ns();
	for (i = 0; i < ROUNDS; i++) {
		round_();
		if (vmm_now_ns() - t0 > TIME_LIMIT_S * 1000000000ULL)
			break;
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);

	tap_diag("%lu VMs (%lu AArch32, %lu with pointer auth), %lu KVM_RUNs: %lu MMIO reads, %lu MMIO writes, %lu system events, %lu EINTR, %lu ENOSYS; %lu ioeventfd signals; %lu register writes; %lu alarms; %.1f s",
		 st.vms, st.aa32_vms, st.pauth_vms, st.runs, st.mmio_r, st.mmio_w, st.sysev, st.eintr,
		 st.enosys, st.doorbells, st.reg_sets, (unsigned long)alarms,
		 (vmm_now_ns() - t0) / 1e9);
	tap_check(st.vms >= 20 && st.runs >= 500,
		  "the fuzzer ran (>= 20 VMs, >= 500 KVM_RUNs)",
		  "%lu VMs, %lu runs", st.vms, st.runs);
	tap_check(st.mmio_r && st.mmio_w && st.eintr && st.enosys,
		  "it reached MMIO reads and writes, aborts with no syndrome and waits",
		  "a kind of exit never happened");
	TAP_EQ(st.bad_run, 0, "every KVM_RUN ended as api.rst documents");
	TAP_EQ(st.reg_bad, 0, "every SET_ONE_REG gave 0 or a documented error");
	TAP_EQ(st.get_bad, 0, "the PC stayed readable after every run");
	TAP_EQ(st.other_bad, 0, "VM, vCPU, memory and event ioctls behaved");
	fds1 = vmm_count_fds();
	TAP_EQ(fds1, fds0, "no file descriptor left behind");
	free(reg_ids);
	return tap_done();
}
