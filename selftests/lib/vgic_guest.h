/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest with the in-kernel GICv3 on, for the tests of interrupts into
 * a guest (vm_vgic_irq, vm_irqfd): it turns on its CPU interface
 * (ICC_SRE_EL1, ICC_PMR_EL1, ICC_IGRPEN1_EL1), the distributor and its
 * redistributor through MMIO, and takes IRQs at VBAR_EL1 + 0x280,
 * acknowledging with ICC_IAR1_EL1 and ending them with ICC_EOIR1_EL1; it
 * reports each INTID it took to userspace (TOOK), and polls userspace
 * with an MMIO read of CMD between interrupts. SPI 41 is level-sensitive,
 * the other SPIs edge-triggered (machine_up()).
 */
#ifndef MODKVM_SELFTEST_VGIC_GUEST_H
#define MODKVM_SELFTEST_VGIC_GUEST_H

#include "lib/vgic.h"
#include "guest.h"

#define OUT	VMM_MMIO_BASE			/* 8: "ready" */
#define TOOK	(VMM_MMIO_BASE + 8)		/* 8: INTID taken */
#define CMD	(VMM_MMIO_BASE + 16)		/* 8: poll */
#define ARG	(VMM_MMIO_BASE + 24)		/* 8: SGI1R value, ticks */
#define REPORT	(VMM_MMIO_BASE + 32)		/* 8: IRQs taken quietly */
#define VAL	(VMM_MMIO_BASE + 40)		/* 8: a value stored, loaded */

#define TICKS_PER_S	62500000ULL	/* the testbed's CNTFRQ_EL0 */

/* CMD_STORE32/64: VAL stored at the address ARG; CMD_LOAD32/64: loaded into VAL */
enum {
	CMD_NONE, CMD_TIMER, CMD_SGI, CMD_WFI, CMD_QUIET, CMD_STORE32,
	CMD_STORE64, CMD_LOAD64, CMD_LOAD32, CMD_WITHDRAW, CMD_MASKED_TIMER
};

/*
 * ICC registers by encoding (IHI 0069 12.2): SRE S3_0_C12_C12_5, PMR
 * S3_0_C4_C6_0, IGRPEN1 S3_0_C12_C12_7, IAR1 S3_0_C12_C12_0, EOIR1
 * S3_0_C12_C12_1, SGI1R S3_0_C12_C11_5. Its labels are prefixed: they
 * are symbols of the test's own object, where "poll" or "sleep" would
 * take the place of the C library's functions of that name.
 */
GUEST_CODE(gicguest,
	"	adr	x0, gg_vectors\n"
	"	msr	vbar_el1, x0\n"
	"	mrs	x0, s3_0_c12_c12_5\n"
	"	orr	x0, x0, #1\n"
	"	msr	s3_0_c12_c12_5, x0\n"
	"	isb\n"
	"	mov	x0, #0xff\n"
	"	msr	s3_0_c4_c6_0, x0\n"
	"	mov	x0, #1\n"
	"	msr	s3_0_c12_c12_7, x0\n"
	"	isb\n"
	"	mov64	x20, " GUEST_STR(GIC_DIST) "\n"
	"	mov64	x21, " GUEST_STR(GIC_REDIST) "\n"
	"	mrs	x0, mpidr_el1\n"
	"	and	x0, x0, #0xff\n"
	"	lsl	x0, x0, #17\n"
	"	add	x21, x21, x0\n"
	"	mov	w1, #0x12\n"		/* GICD_CTLR: ARE, EnableGrp1 */
	"	str	w1, [x20]\n"
	"	str	wzr, [x21, #0x14]\n"	/* GICR_WAKER: awake */
	"	mov	w1, #-1\n"
	"	str	w1, [x20, #0x104]\n"	/* GICD_ISENABLER1, 2 */
	"	str	w1, [x20, #0x108]\n"
	"	add	x22, x21, #0x10000\n"
	"	str	w1, [x22, #0x100]\n"	/* GICR_ISENABLER0 */
	"	mov64	x23, " GUEST_STR(OUT) "\n"
	"	str	xzr, [x23]\n"
	"	msr	daifclr, #2\n"
	"gg_poll:	ldr	x2, [x23, #16]\n"
	"	cmp	x2, #1\n"
	"	b.eq	gg_timer\n"
	"	cmp	x2, #2\n"
	"	b.eq	gg_sgi\n"
	"	cmp	x2, #3\n"
	"	b.eq	gg_sleep\n"
	"	cmp	x2, #4\n"
	"	b.eq	gg_quiet\n"
	"	cmp	x2, #5\n"
	"	b.eq	gg_store32\n"
	"	cmp	x2, #6\n"
	"	b.eq	gg_store64\n"
	"	cmp	x2, #7\n"
	"	b.eq	gg_load64\n"
	"	cmp	x2, #8\n"
	"	b.eq	gg_load32\n"
	"	cmp	x2, #9\n"
	"	b.eq	gg_withdraw\n"
	"	cmp	x2, #10\n"
	"	b.eq	gg_withdraw\n"
	"	b	gg_poll\n"
	/*
	 * IRQs masked, the virtual timer fires (CVAL 0 is past) and an exit
	 * (the store to OUT) shows it high; then (CMD_WITHDRAW) the guest
	 * turns it off, no exit, and unmasks: the level-sensitive PPI must
	 * not be taken (IHI 0069 4.1.1: its pending state follows its input
	 * while not active). CMD_MASKED_TIMER leaves it on: taken.
	 */
	"gg_withdraw:	msr	daifset, #2\n"
	"	msr	cntv_cval_el0, xzr\n"
	"	mov	x3, #1\n"
	"	msr	cntv_ctl_el0, x3\n"
	"	isb\n"
	"	str	xzr, [x23]\n"
	"	cmp	x2, #10\n"
	"	b.eq	3f\n"
	"	msr	cntv_ctl_el0, xzr\n"
	"3:	isb\n"
	"	msr	daifclr, #2\n"
	"	isb\n"
	"	b	gg_poll\n"
	"gg_store32:	ldr	x6, [x23, #24]\n"
	"	ldr	x7, [x23, #40]\n"
	"	str	w7, [x6]\n"
	"	b	gg_poll\n"
	"gg_store64:	ldr	x6, [x23, #24]\n"
	"	ldr	x7, [x23, #40]\n"
	"	str	x7, [x6]\n"
	"	b	gg_poll\n"
	"gg_load64:	ldr	x6, [x23, #24]\n"
	"	ldr	x7, [x6]\n"
	"	str	x7, [x23, #40]\n"
	"	b	gg_poll\n"
	"gg_load32:	ldr	x6, [x23, #24]\n"
	"	ldr	w7, [x6]\n"
	"	str	x7, [x23, #40]\n"
	"	b	gg_poll\n"
	"gg_timer:	mrs	x3, cntvct_el0\n"
	"	add	x3, x3, #0x1000\n"
	"	msr	cntv_cval_el0, x3\n"
	"	mov	x3, #1\n"
	"	msr	cntv_ctl_el0, x3\n"
	"	isb\n"
	"	b	gg_poll\n"
	"gg_sgi:	ldr	x3, [x23, #24]\n"
	"	msr	s3_0_c12_c11_5, x3\n"
	"	isb\n"
	"	b	gg_poll\n"
	"gg_sleep:	msr	daifset, #2\n"	/* WFI wakes on the IRQ, masked or not */
	"	ldr	x2, [x23, #16]\n"	/* a poll with IRQs masked */
	"	wfi\n"
	"	msr	daifclr, #2\n"
	"	isb\n"
	"	b	gg_poll\n"
	/* take IRQs for ARG ticks with no exit of ours, count them */
	"gg_quiet:	mov	x24, #0\n"
	"	mov	x26, #1\n"
	"	ldr	x3, [x23, #24]\n"
	"	mrs	x28, cntvct_el0\n"
	"	mov	x27, x28\n"
	"	mov	w5, #-1\n"		/* not x1: the handler's */
	"	str	w5, [x20, #0x104]\n"	/* GICD_ISENABLER1, 2 */
	"	str	w5, [x20, #0x108]\n"
	"	mrs	x4, cntvct_el0\n"
	"	add	x3, x3, x4\n"
	"2:	mrs	x4, cntvct_el0\n"
	"	cmp	x4, x3\n"
	"	b.lo	2b\n"
	"	mov	x26, #0\n"
	"	sub	x27, x27, x28\n"	/* ticks until the last IRQ */
	"	orr	x24, x24, x27, lsl #16\n"
	"	str	x24, [x23, #32]\n"
	"	b	gg_poll\n"
	"	.balign	2048\n"
	"gg_vectors:\n"
	"	.org	gg_vectors + 0x280\n"	/* IRQ, current EL, SP_ELx */
	"	mrs	x1, s3_0_c12_c12_0\n"
	"	cbz	x26, 3f\n"
	"	add	x24, x24, #1\n"
	"	mrs	x27, cntvct_el0\n"
	"	b	1f\n"
	"3:	str	x1, [x23, #8]\n"
	"	cmp	x1, #27\n"
	"	b.ne	1f\n"
	"	msr	cntv_ctl_el0, xzr\n"	/* the timer's line low */
	"	isb\n"
	"1:	msr	s3_0_c12_c12_1, x1\n"
	"	isb\n"
	"	eret\n"
	"	.org	gg_vectors + 0x800\n");

struct seen {
	unsigned int count[1024];
	unsigned int total;
	unsigned int stop;	/* if not 0: return after this many IRQs */
	uint64_t report;	/* REPORT's value */
	uint64_t last;		/* the last INTID taken, whole */
	uint64_t val;		/* VAL: to store (read by the guest), loaded */
};

/*
 * Run @v until it has polled @polls times (the first poll answered with
 * @cmd), counting the INTIDs it took. False, with a reason, on anything
 * else.
 */
static bool run_polls(struct vmm_vcpu *v, unsigned int polls, uint64_t cmd,
		      uint64_t arg, struct seen *s)
{
	unsigned int guard = 0;

	while (polls && guard++ < 10000) {
		if (vmm_run(v) != KVM_EXIT_MMIO) {
			tap_diag("vCPU: %s", vmm_describe_exit(v));
			return false;
		}
		if (vmm_is_mmio(v, TOOK, 8, true)) {
			s->last = vmm_mmio_data(v);
			s->count[s->last & 1023]++;
			if (++s->total == s->stop)
				return true;
		} else if (vmm_is_mmio(v, CMD, 8, false)) {
			vmm_mmio_reply(v, cmd);
			cmd = CMD_NONE;
			polls--;
		} else if (vmm_is_mmio(v, REPORT, 8, true)) {
			s->report = vmm_mmio_data(v);
		} else if (vmm_is_mmio(v, ARG, 8, false)) {
			vmm_mmio_reply(v, arg);
		} else if (vmm_is_mmio(v, VAL, 8, false)) {
			vmm_mmio_reply(v, s->val);
		} else if (vmm_is_mmio(v, VAL, 8, true)) {
			s->val = vmm_mmio_data(v);
		} else if (!vmm_is_mmio(v, OUT, 8, true)) {
			tap_diag("vCPU: %s", vmm_describe_exit(v));
			return false;
		}
	}
	return !polls;
}

static void seen_clear(struct seen *s)
{
	memset(s, 0, sizeof(*s));
}

struct machine {
	struct vmm_vm vm;
	struct vmm_vcpu v[2];
	int gic;
};

/* The VM, @nr vCPUs and the GIC, none run yet */
static bool machine_create(struct machine *m, unsigned int nr)
{
	unsigned int i;

	if (vmm_simple_vm(&m->vm, &m->v[0], gicguest_start,
			  GUEST_SIZE(gicguest), 0))
		return false;
	for (i = 1; i < nr; i++)
		if (vmm_simple_vcpu(&m->vm, &m->v[i], i, 0, VMM_RAM_BASE))
			return false;
	m->gic = vgic_setup(&m->vm, 128);
	if (m->gic < 0) {
		tap_diag("vgic_setup: %d", m->gic);
		return false;
	}
	/* SPI 41 level-sensitive (GICD_ICFGR2: SPIs 32-47, 2 bits each) */
	vgic_set32(m->gic, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_ICFGR + 8,
		   0xaaa2aaaa);
	return true;
}

/* Each vCPU of a machine_create()d one run to its first poll */
static bool machine_start(struct machine *m, unsigned int nr)
{
	struct seen s;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		seen_clear(&s);
		if (!run_polls(&m->v[i], 1, CMD_NONE, 0, &s) || s.total)
			return false;
	}
	return true;
}

static inline bool machine_up(struct machine *m, unsigned int nr)
{
	return machine_create(m, nr) && machine_start(m, nr);
}

static void machine_down(struct machine *m, unsigned int nr)
{
	unsigned int i;

	close(m->gic);
	for (i = 0; i < nr; i++)
		vmm_vcpu_destroy(&m->v[i]);
	vmm_vm_destroy(&m->vm);
}

#endif /* MODKVM_SELFTEST_VGIC_GUEST_H */
