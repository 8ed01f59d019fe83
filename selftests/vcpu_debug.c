// SPDX-License-Identifier: GPL-2.0
/*
 * Debug: the guest's own self-hosted debug works (a hardware breakpoint,
 * a watchpoint, BRK and a software step it sets up reach its EL1 vector
 * with the right syndrome; the OS lock blocks its breakpoint), and
 * userspace debugging through KVM_SET_GUEST_DEBUG: single-step gives one
 * KVM_EXIT_DEBUG per instruction (instructions the hypervisor emulates
 * and an HVC it answers included), USE_HW breakpoints and watchpoints and USE_SW_BP exit with
 * their syndrome and address, unknown control bits are refused. A host
 * process's own ptrace hardware breakpoint keeps working across guest
 * runs with the guest's or userspace's debug state loaded.
 */
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/elf.h>
#include <asm/ptrace.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

/* Exception classes (ESR_ELx.EC) */
#define EC_BRK64		0x3c
#define EC_BP_LOW		0x30
#define EC_BP_CUR		0x31
#define EC_SS_LOW		0x32
#define EC_SS_CUR		0x33
#define EC_WP_LOW		0x34
#define EC_WP_CUR		0x35
#define ESR_EC(esr)		(((esr) >> 26) & 0x3f)
#define ESR_WNR			(1u << 6)

/* DBGBCR: BAS 0xf, PMC EL1 (0b01) or EL1+EL0 (0b11), E */
#define BCR_EL1			0x1e3
#define BCR_EL10		0x1e7
/* DBGWCR: BAS 0xff, LSC store (0b10), PAC EL1 or EL1+EL0, E */
#define WCR_ST_EL1		0x1ff3
#define WCR_ST_EL10		0x1ff7

/* MMIO offsets the guest reports at */
#define R_MARK			0x00
#define R_VAL			0x08
#define R_ESR			0x100
#define R_ELR			0x108
#define R_FAR			0x110
#define R_BADVEC		0x118

/*
 * The guest: phases separated by markers (a store of the phase number to
 * R_MARK). Its EL1 sync handler reports ESR, ELR and FAR, skips a BRK
 * and returns with PSTATE.D set, so that the event is not taken again.
 */
GUEST_CODE(dbg,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	adr	x0, dbg_vectors\n"
	"	msr	vbar_el1, x0\n"
	"	msr	oslar_el1, xzr\n"
	"	isb\n"
	/* 1: a breakpoint of the guest's own */
	"	adr	x0, dbg_g_bp\n"
	"	msr	dbgbvr0_el1, x0\n"
	"	mov	x1, #" GUEST_STR(BCR_EL1) "\n"
	"	msr	dbgbcr0_el1, x1\n"
	"	mov	x2, #0xa000\n"			/* MDSCR KDE, MDE */
	"	msr	mdscr_el1, x2\n"
	"	isb\n"
	"	msr	daifclr, #8\n"
	"	isb\n"
	".globl dbg_g_bp\n"
	"dbg_g_bp:\n"
	"	nop\n"
	"	msr	dbgbcr0_el1, xzr\n"
	"	mov	x3, #1\n"
	"	str	x3, [x20, #" GUEST_STR(R_MARK) "]\n"
	/* 2: a watchpoint of its own, on a store */
	"	adr	x0, dbg_wp_data\n"
	"	msr	dbgwvr0_el1, x0\n"
	"	mov	x1, #" GUEST_STR(WCR_ST_EL1) "\n"
	"	msr	dbgwcr0_el1, x1\n"
	"	isb\n"
	"	msr	daifclr, #8\n"
	"	isb\n"
	"	mov	x4, #0x5a\n"
	".globl dbg_g_wp\n"
	"dbg_g_wp:\n"
	"	str	x4, [x0]\n"
	"	msr	dbgwcr0_el1, xzr\n"
	"	ldr	x5, [x0]\n"
	"	str	x5, [x20, #" GUEST_STR(R_VAL) "]\n"
	"	mov	x3, #2\n"
	"	str	x3, [x20, #" GUEST_STR(R_MARK) "]\n"
	/* 3: BRK */
	".globl dbg_g_brk\n"
	"dbg_g_brk:\n"
	"	brk	#0x77\n"
	"	mov	x3, #3\n"
	"	str	x3, [x20, #" GUEST_STR(R_MARK) "]\n"
	/* 4: one software step of its own, started by ERET with SPSR.SS */
	"	mov	x2, #0x2001\n"			/* MDSCR KDE, SS */
	"	msr	mdscr_el1, x2\n"
	"	isb\n"
	"	adr	x0, dbg_g_ss\n"
	"	msr	elr_el1, x0\n"
	"	mov64	x1, 0x2001c5\n"			/* EL1h, SS, A I F */
	"	msr	spsr_el1, x1\n"
	"	eret\n"
	".globl dbg_g_ss\n"
	"dbg_g_ss:\n"
	"	add	x6, x6, #1\n"
	"	add	x6, x6, #1\n"
	"	msr	mdscr_el1, xzr\n"
	"	mov	x3, #4\n"
	"	str	x3, [x20, #" GUEST_STR(R_MARK) "]\n"
	/* 5: the OS lock blocks its breakpoint */
	"	mov	x1, #1\n"
	"	msr	oslar_el1, x1\n"
	"	isb\n"
	"	adr	x0, dbg_g_bp2\n"
	"	msr	dbgbvr0_el1, x0\n"
	"	mov	x1, #" GUEST_STR(BCR_EL1) "\n"
	"	msr	dbgbcr0_el1, x1\n"
	"	mov	x2, #0xa000\n"
	"	msr	mdscr_el1, x2\n"
	"	isb\n"
	"	msr	daifclr, #8\n"
	"	isb\n"
	"dbg_g_bp2:\n"
	"	nop\n"
	"	msr	daifset, #8\n"
	"	msr	dbgbcr0_el1, xzr\n"
	"	msr	mdscr_el1, xzr\n"
	"	msr	oslar_el1, xzr\n"
	"	mrs	x7, oslsr_el1\n"
	"	str	x7, [x20, #" GUEST_STR(R_VAL) "]\n"
	"	mov	x3, #5\n"
	"	str	x3, [x20, #" GUEST_STR(R_MARK) "]\n"
	/* 6: userspace single-steps from here to dbg_u_ss_end */
	"	mov	x3, #6\n"
	"	str	x3, [x20, #" GUEST_STR(R_MARK) "]\n"
	".globl dbg_u_ss\n"
	"dbg_u_ss:\n"
	"	nop\n"
	"	add	x1, x1, #4\n"
	"	msr	dbgbvr0_el1, x1\n"		/* emulated by the hypervisor */
	"	mrs	x2, dbgbvr0_el1\n"
	"	movz	x0, #0\n"
	"	movk	x0, #0x8400, lsl #16\n"	/* PSCI_VERSION */
	"	hvc	#0\n"				/* answered by the hypervisor */
	"	nop\n"
	".globl dbg_u_ss_end\n"
	"dbg_u_ss_end:\n"
	"	mov	x3, #7\n"
	"	str	x3, [x20, #" GUEST_STR(R_MARK) "]\n"
	/* 8: userspace's hardware breakpoint and watchpoint (D is masked) */
	"	mov	x3, #8\n"
	"	str	x3, [x20, #" GUEST_STR(R_MARK) "]\n"
	".globl dbg_u_bp\n"
	"dbg_u_bp:\n"
	"	nop\n"
	"	adr	x0, dbg_wp_data\n"
	".globl dbg_u_wp\n"
	"dbg_u_wp:\n"
	"	str	x3, [x0]\n"
	"	mov	x3, #9\n"
	"	str	x3, [x20, #" GUEST_STR(R_MARK) "]\n"
	/* 10: BRK with USE_SW_BP exits to userspace */
	"	mov	x3, #10\n"
	"	str	x3, [x20, #" GUEST_STR(R_MARK) "]\n"
	".globl dbg_u_brk\n"
	"dbg_u_brk:\n"
	"	brk	#0x1234\n"
	"	mov	x3, #11\n"
	"	str	x3, [x20, #" GUEST_STR(R_MARK) "]\n"
	/* 12: BRK while userspace debugs without USE_SW_BP */
	".globl dbg_u_brk2\n"
	"dbg_u_brk2:\n"
	"	brk	#0x55\n"
	"	mov	x3, #12\n"
	"	str	x3, [x20, #" GUEST_STR(R_MARK) "]\n"
	"	b	.\n"
	"	.balign	8\n"
	".globl dbg_wp_data\n"
	"dbg_wp_data:\n"
	"	.quad	0\n"
	"	.balign	2048\n"
	"dbg_vectors:\n"
	"	.irp	off, 0x000, 0x080, 0x100, 0x180\n"
	"	.org	dbg_vectors + \\off\n"
	"	mov	x13, #\\off\n"
	"	str	x13, [x20, #" GUEST_STR(R_BADVEC) "]\n"
	"	b	.\n"
	"	.endr\n"
	"	.org	dbg_vectors + 0x200\n"
	"	mrs	x10, esr_el1\n"
	"	mrs	x11, elr_el1\n"
	"	mrs	x12, far_el1\n"
	"	str	x10, [x20, #" GUEST_STR(R_ESR) "]\n"
	"	str	x11, [x20, #" GUEST_STR(R_ELR) "]\n"
	"	str	x12, [x20, #" GUEST_STR(R_FAR) "]\n"
	"	lsr	x13, x10, #26\n"
	"	cmp	x13, #" GUEST_STR(EC_BRK64) "\n"
	"	b.ne	1f\n"
	"	add	x11, x11, #4\n"
	"	msr	elr_el1, x11\n"
	"1:	mrs	x14, spsr_el1\n"
	"	orr	x14, x14, #(1 << 9)\n"
	"	msr	spsr_el1, x14\n"
	"	eret\n"
	"	.irp	off, 0x280, 0x300, 0x380, 0x400, 0x480, 0x500, 0x580, 0x600, 0x680, 0x700, 0x780\n"
	"	.org	dbg_vectors + \\off\n"
	"	mov	x13, #\\off\n"
	"	str	x13, [x20, #" GUEST_STR(R_BADVEC) "]\n"
	"	b	.\n"
	"	.endr\n"
	"	.org	dbg_vectors + 0x800\n");

extern const unsigned char dbg_g_bp[], dbg_g_wp[], dbg_g_brk[], dbg_g_ss[];
extern const unsigned char dbg_u_ss[], dbg_u_ss_end[], dbg_u_bp[], dbg_u_wp[];
extern const unsigned char dbg_u_brk[], dbg_u_brk2[], dbg_wp_data[];

/* A small guest for the host breakpoint check: its own breakpoint armed */
GUEST_CODE(hostbp,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	msr	oslar_el1, xzr\n"
	"	mov	x1, #" GUEST_STR(BCR_EL1) "\n"
	"	msr	dbgbcr0_el1, x1\n"		/* at address 0: never hit */
	"	mov	x1, #" GUEST_STR(WCR_ST_EL1) "\n"
	"	msr	dbgwcr0_el1, x1\n"
	"	mov	x2, #0xa000\n"
	"	msr	mdscr_el1, x2\n"
	"	isb\n"
	"1:	str	x2, [x20]\n"
	"	b	1b\n");

/* What the host process runs between guest runs, under a ptrace breakpoint */
extern void dbg_host_target(void);
asm(".text\n"
    ".globl dbg_host_target\n"
    ".type dbg_host_target, %function\n"
    "dbg_host_target:\n"
    "	nop\n"
    "	ret\n"
    ".size dbg_host_target, . - dbg_host_target\n");

static struct vmm_vm vm;
static struct vmm_vcpu vcpu;

static uint64_t gaddr(const unsigned char *sym)
{
	return VMM_RAM_BASE + (uint64_t)(sym - dbg_start);
}

/* Run to the next MMIO write; false (and a diagnostic) on anything else */
static bool next_write(uint64_t *off, uint64_t *val)
{
	int rc = vmm_run(&vcpu);

	if (rc != KVM_EXIT_MMIO || !vcpu.run->mmio.is_write) {
		tap_diag("unexpected: %s", vmm_describe_exit(&vcpu));
		return false;
	}
	*off = vcpu.run->mmio.phys_addr - VMM_MMIO_BASE;
	*val = vmm_mmio_data(&vcpu);
	if (*off == R_BADVEC)
		tap_diag("guest took an unexpected exception, vector 0x%llx",
			 (unsigned long long)*val);
	return true;
}

static bool expect_write(uint64_t want_off, uint64_t *val)
{
	uint64_t off;

	if (!next_write(&off, val))
		return false;
	if (off != want_off) {
		tap_diag("MMIO write at +0x%llx (0x%llx), expected +0x%llx",
			 (unsigned long long)off, (unsigned long long)*val,
			 (unsigned long long)want_off);
		return false;
	}
	return true;
}

static bool expect_mark(uint64_t n)
{
	uint64_t v;

	if (!expect_write(R_MARK, &v))
		return false;
	if (v != n) {
		tap_diag("marker %llu, expected %llu", (unsigned long long)v,
			 (unsigned long long)n);
		return false;
	}
	return true;
}

/* The guest's handler reports an exception: EC and ELR as expected? */
static bool expect_guest_exc(unsigned int ec, uint64_t elr, uint64_t *esr,
			     uint64_t *far)
{
	uint64_t got_elr;

	if (!expect_write(R_ESR, esr) || !expect_write(R_ELR, &got_elr) ||
	    !expect_write(R_FAR, far))
		return false;
	if (ESR_EC(*esr) != ec || got_elr != elr) {
		tap_diag("guest exception ESR 0x%llx ELR 0x%llx, expected EC 0x%x at 0x%llx",
			 (unsigned long long)*esr, (unsigned long long)got_elr,
			 ec, (unsigned long long)elr);
		return false;
	}
	return true;
}

static int set_debug(int fd, uint32_t control, const struct kvm_guest_debug_arch *arch)
{
	struct kvm_guest_debug dbg;

	memset(&dbg, 0, sizeof(dbg));
	dbg.control = control;
	if (arch)
		dbg.arch = *arch;
	return ioctl(fd, KVM_SET_GUEST_DEBUG, &dbg);
}

static uint64_t guest_pc(void)
{
	uint64_t pc = 0;

	vmm_get64(&vcpu, VMM_REG_PC, &pc);
	return pc;
}

/* A KVM_EXIT_DEBUG with exception class @ec at @pc (0: any pc) */
static bool expect_debug_exit(unsigned int ec, uint64_t pc)
{
	int rc = vmm_run(&vcpu);
	struct kvm_debug_exit_arch *d = &vcpu.run->debug.arch;

	if (rc != KVM_EXIT_DEBUG) {
		tap_diag("expected KVM_EXIT_DEBUG, got %s", vmm_describe_exit(&vcpu));
		return false;
	}
	if (ESR_EC(d->hsr) != ec || (pc && guest_pc() != pc)) {
		tap_diag("debug exit hsr 0x%x pc 0x%llx, expected EC 0x%x at 0x%llx",
			 d->hsr, (unsigned long long)guest_pc(), ec,
			 (unsigned long long)pc);
		return false;
	}
	return true;
}

static void caps(void)
{
	int bps = vmm_check_cap(&vm, KVM_CAP_GUEST_DEBUG_HW_BPS);
	int wps = vmm_check_cap(&vm, KVM_CAP_GUEST_DEBUG_HW_WPS);
	uint64_t dfr0 = 0;

	tap_check(vmm_check_cap(&vm, KVM_CAP_SET_GUEST_DEBUG) > 0,
		  "KVM_CAP_SET_GUEST_DEBUG", NULL);
	vmm_get64(&vcpu, VMM_SYS_REG(3, 0, 0, 5, 0), &dfr0);
	tap_diag("ID_AA64DFR0_EL1 0x%llx, HW_BPS %d, HW_WPS %d",
		 (unsigned long long)dfr0, bps, wps);
	tap_check((dfr0 & 0xf) >= 6, "ID_AA64DFR0_EL1: Armv8 debug", NULL);
	tap_check(bps >= 2 && bps == (int)((dfr0 >> 12) & 0xf) + 1,
		  "KVM_CAP_GUEST_DEBUG_HW_BPS: the breakpoints the guest sees",
		  "%d vs DFR0 0x%llx", bps, (unsigned long long)dfr0);
	tap_check(wps >= 2 && wps == (int)((dfr0 >> 20) & 0xf) + 1,
		  "KVM_CAP_GUEST_DEBUG_HW_WPS: the watchpoints the guest sees",
		  "%d vs DFR0 0x%llx", wps, (unsigned long long)dfr0);
}

static void bad_args(void)
{
	static const uint32_t bad[] = { 1u << 31, 1u << 18, 1u << 4,
					0x00010000u << 3 };
	unsigned int i;
	bool ok = true;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int rc = set_debug(vcpu.fd, KVM_GUESTDBG_ENABLE | bad[i], NULL);

		if (rc != -1 || errno != EINVAL) {
			tap_diag("control 0x%x: rc %d errno %s", bad[i], rc,
				 strerror(errno));
			ok = false;
		}
	}
	tap_check(ok, "KVM_SET_GUEST_DEBUG: unknown control bits -> EINVAL",
		  NULL);
	TAP_ERRNO(ioctl(vcpu.fd, KVM_SET_GUEST_DEBUG, (void *)8), EFAULT,
		  "KVM_SET_GUEST_DEBUG: bad pointer -> EFAULT");
	TAP_EQ(set_debug(vcpu.fd, 0, NULL), 0, "KVM_SET_GUEST_DEBUG: off");
}

static void guest_own(void)
{
	uint64_t esr, far, v;
	bool ok;

	ok = expect_guest_exc(EC_BP_CUR, gaddr(dbg_g_bp), &esr, &far) &&
	     expect_mark(1);
	tap_check(ok, "guest breakpoint: its own EL1 takes it", NULL);

	ok = expect_guest_exc(EC_WP_CUR, gaddr(dbg_g_wp), &esr, &far);
	tap_check(ok && (esr & ESR_WNR) && far >= gaddr(dbg_wp_data) &&
		  far < gaddr(dbg_wp_data) + 8,
		  "guest watchpoint: its own EL1 takes it, FAR and WnR",
		  "ESR 0x%llx FAR 0x%llx", (unsigned long long)esr,
		  (unsigned long long)far);
	ok = expect_write(R_VAL, &v) && v == 0x5a && expect_mark(2);
	tap_check(ok, "guest watchpoint: the store completes after it", NULL);

	ok = expect_guest_exc(EC_BRK64, gaddr(dbg_g_brk), &esr, &far) &&
	     (esr & 0xffff) == 0x77 && expect_mark(3);
	tap_check(ok, "guest BRK: its own EL1 takes it with the comment", NULL);

	ok = expect_guest_exc(EC_SS_CUR, gaddr(dbg_g_ss) + 4, &esr, &far) &&
	     expect_mark(4);
	tap_check(ok, "guest software step: one instruction, then its EL1",
		  NULL);

	ok = expect_write(R_VAL, &v) && expect_mark(5);
	tap_check(ok, "guest OS lock blocks its breakpoint", NULL);
	tap_check(ok && (v & 2) == 0, "OSLSR_EL1.OSLK clear after OSLAR 0",
		  "OSLSR 0x%llx", (unsigned long long)v);
}

static void user_single_step(void)
{
	uint64_t pcs[32], begin = gaddr(dbg_u_ss), end = gaddr(dbg_u_ss_end);
	unsigned int n = 0, i;
	bool ok = true, flags_ok = true;

	if (!expect_mark(6)) {
		tap_check(0, "userspace single-step", "guest not at marker 6");
		return;
	}
	TAP_EQ(set_debug(vcpu.fd, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
			 NULL), 0, "KVM_SET_GUEST_DEBUG: single-step");
	while (n < ARRAY_SIZE(pcs)) {
		if (!expect_debug_exit(EC_SS_LOW, 0)) {
			ok = false;
			break;
		}
		if (!(vcpu.run->flags & KVM_DEBUG_ARCH_HSR_HIGH_VALID))
			flags_ok = false;
		pcs[n++] = guest_pc();
		if (pcs[n - 1] == end)
			break;
	}
	/* The first stop is at or just after the start, then one by one */
	if (ok && (n < 5 || (pcs[0] != begin && pcs[0] != begin + 4) ||
		   pcs[n - 1] != end))
		ok = false;
	for (i = 1; ok && i < n; i++)
		if (pcs[i] != pcs[i - 1] + 4)
			ok = false;
	if (!ok)
		for (i = 0; i < n; i++)
			tap_diag("step %u: pc 0x%llx (start 0x%llx)", i,
				 (unsigned long long)pcs[i],
				 (unsigned long long)begin);
	tap_check(ok, "single-step: one KVM_EXIT_DEBUG per instruction, emulated ones and HVC included",
		  NULL);
	tap_check(flags_ok, "single-step: KVM_DEBUG_ARCH_HSR_HIGH_VALID set",
		  NULL);
	TAP_EQ(set_debug(vcpu.fd, KVM_GUESTDBG_ENABLE, NULL), 0,
	       "KVM_SET_GUEST_DEBUG: single-step off");
	tap_check(expect_mark(7), "after single-step: the guest runs on", NULL);
}

static void user_hw(void)
{
	struct kvm_guest_debug_arch arch;
	bool ok;

	if (!expect_mark(8)) {
		tap_check(0, "userspace hardware breakpoint", "no marker 8");
		return;
	}
	memset(&arch, 0, sizeof(arch));
	arch.dbg_bcr[0] = BCR_EL10;
	arch.dbg_bvr[0] = gaddr(dbg_u_bp);
	arch.dbg_wcr[0] = WCR_ST_EL10;
	arch.dbg_wvr[0] = gaddr(dbg_wp_data);
	TAP_EQ(set_debug(vcpu.fd, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW,
			 &arch), 0, "KVM_SET_GUEST_DEBUG: USE_HW");
	tap_check(expect_debug_exit(EC_BP_LOW, gaddr(dbg_u_bp)),
		  "USE_HW breakpoint: KVM_EXIT_DEBUG at its address", NULL);

	arch.dbg_bcr[0] = 0;
	set_debug(vcpu.fd, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW, &arch);
	ok = expect_debug_exit(EC_WP_LOW, gaddr(dbg_u_wp));
	tap_check(ok && vcpu.run->debug.arch.far >= gaddr(dbg_wp_data) &&
		  vcpu.run->debug.arch.far < gaddr(dbg_wp_data) + 8 &&
		  (vcpu.run->debug.arch.hsr & ESR_WNR),
		  "USE_HW watchpoint: KVM_EXIT_DEBUG with far and WnR",
		  "far 0x%llx hsr 0x%x",
		  (unsigned long long)vcpu.run->debug.arch.far,
		  vcpu.run->debug.arch.hsr);
	set_debug(vcpu.fd, 0, NULL);
	tap_check(expect_mark(9), "USE_HW off: the guest runs on", NULL);
}

static void user_sw_bp(void)
{
	uint64_t esr, far;
	bool ok;

	if (!expect_mark(10)) {
		tap_check(0, "USE_SW_BP", "no marker 10");
		return;
	}
	TAP_EQ(set_debug(vcpu.fd, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP,
			 NULL), 0, "KVM_SET_GUEST_DEBUG: USE_SW_BP");
	ok = expect_debug_exit(EC_BRK64, gaddr(dbg_u_brk));
	tap_check(ok && (vcpu.run->debug.arch.hsr & 0xffff) == 0x1234,
		  "USE_SW_BP: BRK exits with its syndrome", NULL);
	vmm_set64(&vcpu, VMM_REG_PC, gaddr(dbg_u_brk) + 4);
	set_debug(vcpu.fd, 0, NULL);
	tap_check(expect_mark(11), "USE_SW_BP off: the guest runs on", NULL);

	/*
	 * Debugging without USE_SW_BP: a BRK is the guest's (api.rst: only
	 * USE_SW_BP keeps it from "running off into the normal guest
	 * vector"). The in-kernel KVM reports it to userspace instead.
	 */
	set_debug(vcpu.fd, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW, NULL);
	if (vmm_is_modkvm()) {
		ok = expect_guest_exc(EC_BRK64, gaddr(dbg_u_brk2), &esr, &far) &&
		     (esr & 0xffff) == 0x55;
		tap_check(ok, "USE_HW without USE_SW_BP: the guest takes its BRK",
			  NULL);
	} else {
		ok = expect_debug_exit(EC_BRK64, gaddr(dbg_u_brk2));
		tap_skip("USE_HW without USE_SW_BP: the guest takes its BRK",
			 "the in-kernel KVM exits to userspace");
		vmm_set64(&vcpu, VMM_REG_PC, gaddr(dbg_u_brk2) + 4);
	}
	set_debug(vcpu.fd, 0, NULL);
	tap_check(expect_mark(12), "and runs on", NULL);
}

/*
 * A process with a ptrace hardware breakpoint runs a guest that has its
 * own breakpoint armed (and then one under userspace single-step): after
 * each guest run the process's breakpoint still fires.
 */
#define HOST_ROUNDS	20

static void child_run(void)
{
	struct vmm_vm cvm;
	struct vmm_vcpu cvcpu;
	unsigned int i;

	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(10);
	raise(SIGSTOP);
	if (vmm_simple_vm(&cvm, &cvcpu, hostbp_start, GUEST_SIZE(hostbp),
			  1U << KVM_ARM_VCPU_PSCI_0_2))
		_exit(11);
	for (i = 0; i < HOST_ROUNDS; i++) {
		if (i & 1)
			set_debug(cvcpu.fd, KVM_GUESTDBG_ENABLE |
				  KVM_GUESTDBG_SINGLESTEP, NULL);
		vmm_run(&cvcpu);
		set_debug(cvcpu.fd, 0, NULL);
		dbg_host_target();
	}
	_exit(0);
}

static bool regset(pid_t pid, int type, void *buf, size_t len, bool set)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return ptrace(set ? PTRACE_SETREGSET : PTRACE_GETREGSET, pid,
		      (void *)(long)type, &iov) == 0;
}

static void host_breakpoint(void)
{
	struct user_hwdebug_state hw;
	struct user_pt_regs regs;
	unsigned int hits = 0;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		tap_check(0, "host ptrace breakpoint", "fork: %s",
			  strerror(errno));
		return;
	}
	if (!pid)
		child_run();

	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		tap_check(0, "host ptrace breakpoint", "child did not stop");
		return;
	}
	memset(&hw, 0, sizeof(hw));
	hw.dbg_regs[0].addr = (uintptr_t)dbg_host_target;
	hw.dbg_regs[0].ctrl = 0x1e5;	/* BAS 0xf, EL0, enabled */
	if (!regset(pid, NT_ARM_HW_BREAK, &hw,
		    offsetof(struct user_hwdebug_state, dbg_regs[1]), true)) {
		tap_skip("host ptrace breakpoint", "NT_ARM_HW_BREAK refused");
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return;
	}
	for (;;) {
		ptrace(PTRACE_CONT, pid, NULL, NULL);
		if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			break;
		if (WSTOPSIG(status) != SIGTRAP ||
		    !regset(pid, NT_PRSTATUS, &regs, sizeof(regs), false) ||
		    regs.pc != (uintptr_t)dbg_host_target) {
			tap_diag("child stopped by signal %d", WSTOPSIG(status));
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		hits++;
		regs.pc += 4;			/* over the nop */
		regset(pid, NT_PRSTATUS, &regs, sizeof(regs), true);
	}
	tap_check(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		  hits == HOST_ROUNDS,
		  "host ptrace breakpoint fires after every guest run",
		  "%u of %u hits, child status 0x%x", hits, HOST_ROUNDS,
		  status);
}

int main(void)
{
	int rc;

	tap_init();
	rc = vmm_simple_vm(&vm, &vcpu, dbg_start, GUEST_SIZE(dbg),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	caps();
	bad_args();
	guest_own();
	user_single_step();
	user_hw();
	user_sw_bp();
	vmm_vm_destroy(&vm);
	/*
	 * Only against modkvm: on the in-kernel KVM of the reference kernel
	 * (6.12.117 under QEMU TCG) this has once ended in a perf WARNING in
	 * ctx_sched_in and a NULL dereference on the ptrace stop, taking the
	 * reference run down with it.
	 */
	if (vmm_is_modkvm())
		host_breakpoint();
	else
		tap_skip("host ptrace breakpoint",
			 "crashed the reference kernel once (perf, ptrace stop)");
	return tap_done();
}
