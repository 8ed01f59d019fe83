// SPDX-License-Identifier: GPL-2.0
/*
 * Save and restore of a running VM, as a VMM does for a snapshot or a
 * live migration, without QEMU: a two-vCPU guest with its MMU on is
 * stopped in the middle of its work (vCPU 0 waiting in WFI for its armed
 * virtual timer, vCPU 1 brought up with PSCI CPU_ON and counting), its
 * memory copied while it runs and finished from the dirty log, every
 * register on KVM_GET_REG_LIST read with KVM_GET_ONE_REG, MP_STATE,
 * VCPU_EVENTS and the IRQ line level saved; then a new VM is built from
 * that (in this process and in another one) and must go on where the
 * first one stopped: the counters continue, the timer fires, vCPU 1 runs,
 * the virtual counter carries on from its saved value.
 *
 * The guest's page tables are built by the VMM and are never touched
 * through stage 2 before the guest's first fetch, so every stage-1 walk
 * of a new VM faults at stage 2 first, as a restored Linux guest does;
 * with FEAT_LPA2 they use 52-bit virtual addresses (TCR_EL1.DS, the walk
 * starts at level -1) and with FEAT_HAFDBS the hardware sets the access
 * flag (TCR_EL1.HA), which writes a descriptor during the walk while
 * dirty logging has the table read-only at stage 2.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#define DATA		(VMM_RAM_BASE + 0x80000)	/* counters */
#define PATTERN		(VMM_RAM_BASE + 0x90000)	/* 64 pages */
#define TABLES		(VMM_RAM_BASE + 0x100000)	/* 5 pages */
#define PG		0x1000UL
#define NPAGES		(VMM_RAM_SIZE / PG)

/* DATA layout (byte offsets) */
#define D_COUNT0	0x00	/* vCPU 0's work steps */
#define D_IRQS		0x08	/* timer IRQs vCPU 0 took */
#define D_COUNT1	0x10	/* vCPU 1's loop count */
#define D_MAIR		0x40	/* what vCPU 1 loads to turn its MMU on */
#define D_TCR		0x48
#define D_TTBR0		0x50
#define D_SCTLR		0x58

/* MMIO reports */
#define R_CPU_ON	0x00	/* vCPU 0: PSCI CPU_ON's result */
#define R_STEP0		0x08	/* vCPU 0: its counter, every 8 steps */
#define R_STEP1		0x10	/* vCPU 1: its counter, every 4096 loops */
#define R_SYNC		0x18	/* either: ESR_EL1 of an unexpected exception */

GUEST_CODE(sr,
	/* vCPU 0 starts with its MMU on: identity map, set by the VMM */
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mov64	x21, " GUEST_STR(DATA) "\n"
	"	mov64	x22, " GUEST_STR(PATTERN) "\n"
	"	adr	x1, vectors\n"
	"	msr	vbar_el1, x1\n"
	"	isb\n"
	"	mov64	x0, " GUEST_STR(PSCI_FN64_CPU_ON) "\n"
	"	mov	x1, #1\n"
	"	adr	x2, entry1\n"
	"	mov	x3, #0\n"
	"	hvc	#0\n"
	"	str	x0, [x20, #" GUEST_STR(R_CPU_ON) "]\n"
	"loop0:\n"
	/* the virtual timer, about 2 ms ahead; WFI until its IRQ came */
	"	mrs	x1, cntfrq_el0\n"
	"	lsr	x1, x1, #9\n"
	"	mrs	x2, cntvct_el0\n"
	"	add	x2, x2, x1\n"
	"	msr	cntv_cval_el0, x2\n"
	"	mov	x3, #1\n"			/* ENABLE */
	"	msr	cntv_ctl_el0, x3\n"
	"	isb\n"
	"	ldr	x9, [x21, #" GUEST_STR(D_IRQS) "]\n"
	"1:	wfi\n"
	"	msr	daifclr, #2\n"
	"	isb\n"
	"	msr	daifset, #2\n"
	"	ldr	x10, [x21, #" GUEST_STR(D_IRQS) "]\n"
	"	cmp	x10, x9\n"
	"	b.eq	1b\n"
	/* one step of work: the counter, and one of 64 pattern pages */
	"	ldr	x4, [x21, #" GUEST_STR(D_COUNT0) "]\n"
	"	add	x4, x4, #1\n"
	"	str	x4, [x21, #" GUEST_STR(D_COUNT0) "]\n"
	"	and	x5, x4, #63\n"
	"	add	x5, x22, x5, lsl #12\n"
	"	str	x4, [x5]\n"
	"	tst	x4, #7\n"
	"	b.ne	loop0\n"
	"	str	x4, [x20, #" GUEST_STR(R_STEP0) "]\n"
	"	b	loop0\n"
	/* vCPU 1, from PSCI CPU_ON: MMU off; turn it on as vCPU 0 has it */
	"entry1:\n"
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mov64	x21, " GUEST_STR(DATA) "\n"
	"	ldr	x1, [x21, #" GUEST_STR(D_MAIR) "]\n"
	"	msr	mair_el1, x1\n"
	"	ldr	x1, [x21, #" GUEST_STR(D_TCR) "]\n"
	"	msr	tcr_el1, x1\n"
	"	ldr	x1, [x21, #" GUEST_STR(D_TTBR0) "]\n"
	"	msr	ttbr0_el1, x1\n"
	"	isb\n"
	"	tlbi	vmalle1\n"
	"	dsb	nsh\n"
	"	ldr	x1, [x21, #" GUEST_STR(D_SCTLR) "]\n"
	"	msr	sctlr_el1, x1\n"
	"	isb\n"
	"	adr	x1, vectors\n"
	"	msr	vbar_el1, x1\n"
	"	isb\n"
	"2:	ldr	x4, [x21, #" GUEST_STR(D_COUNT1) "]\n"
	"	add	x4, x4, #1\n"
	"	str	x4, [x21, #" GUEST_STR(D_COUNT1) "]\n"
	"	tst	x4, #0xfff\n"
	"	b.ne	2b\n"
	"	str	x4, [x20, #" GUEST_STR(R_STEP1) "]\n"
	"	b	2b\n"
	"	.balign	2048\n"
	"vectors:\n"
	"	.org	vectors + 0x200\n"	/* synchronous, EL1h: report, stop */
	"	mrs	x1, esr_el1\n"
	"	str	x1, [x20, #" GUEST_STR(R_SYNC) "]\n"
	"	b	.\n"
	"	.org	vectors + 0x280\n"	/* IRQ: the timer; mask and count */
	"	mov	x6, #3\n"			/* ENABLE | IMASK */
	"	msr	cntv_ctl_el0, x6\n"
	"	ldr	x7, [x21, #" GUEST_STR(D_IRQS) "]\n"
	"	add	x7, x7, #1\n"
	"	str	x7, [x21, #" GUEST_STR(D_IRQS) "]\n"
	"	mrs	x6, spsr_el1\n"		/* back with IRQs masked */
	"	orr	x6, x6, #0x80\n"
	"	msr	spsr_el1, x6\n"
	"	eret\n"
	"	.org	vectors + 0x800\n");

/* Stage-1 descriptors (4 KiB granule) */
#define D_VALID		(1ULL << 0)
#define D_TABLE		(1ULL << 1)
#define D_ATTR(i)	((uint64_t)(i) << 2)
#define D_SH_INNER	(3ULL << 8)	/* without TCR_EL1.DS only */
#define D_AF		(1ULL << 10)
#define D_XN		(3ULL << 53)	/* PXN, UXN */

#define TCR_T0SZ(n)	((uint64_t)(n))
#define TCR_WBWA_IS	((1ULL << 8) | (1ULL << 10) | (3ULL << 12))
#define TCR_EPD1	(1ULL << 23)
#define TCR_IPS_48	(5ULL << 32)
#define TCR_HA		(1ULL << 39)
#define TCR_DS		(1ULL << 59)

/* M, C, SA, SA0, I and the RES1 bits 11, 20, 22, 23, 28, 29 */
#define SCTLR_ON	(0x1dULL | (1ULL << 12) | (1ULL << 11) | (1ULL << 20) | \
			 (3ULL << 22) | (3ULL << 28))

#define REG_MMFR0	VMM_SYS_REG(3, 0, 0, 7, 0)
#define REG_MMFR1	VMM_SYS_REG(3, 0, 0, 7, 1)
#define REG_MAIR	VMM_SYS_REG(3, 0, 10, 2, 0)
#define REG_TCR		VMM_SYS_REG(3, 0, 2, 0, 2)
#define REG_TTBR0	VMM_SYS_REG(3, 0, 2, 0, 0)

struct vcpu_snap {
	uint64_t n;
	uint64_t *ids;
	uint8_t (*vals)[16];
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;
};

struct snap {
	struct vcpu_snap v[2];
	bool line;		/* vCPU 0's IRQ line, as the VMM had it */
	uint64_t cnt;		/* the TIMER_CNT the restore writes last */
	uint8_t *mem;
};

/* A VM and what its VMM knows of it */
struct inst {
	struct vmm_vm vm;
	struct vmm_vcpu v[2];
	uint8_t *mem;
	bool line, on1;
	uint64_t reports0, reports1, last0, last1;
	uint64_t sync_esr;
	char why[256];
};

/* What a restored VM did, filled in by whichever process ran it */
struct outcome {
	int built;
	int set_fail, set_errno;
	uint64_t set_bad_id;
	int mismatch;
	uint64_t mismatch_id;
	uint32_t mp1;
	int64_t cnt_delta;
	int ran;
	uint64_t first0, c0, irqs, c1_start, c1, pattern_bad;
	char why[256];
};

static bool use_lpa2, use_ha;
static uint64_t cntfrq;

static void on_alarm(int sig)
{
	(void)sig;
}

/* In the restoring child: say where it crashed, for the parent to report */
static struct outcome *child_out;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	snprintf(child_out->why, sizeof(child_out->why),
		 "the child took SIGSEGV at address %p", si->si_addr);
	_exit(139);
}

static uint64_t rd64(struct inst *in, uint64_t gpa)
{
	return *(volatile uint64_t *)(in->mem + (gpa - VMM_RAM_BASE));
}

static void wr64(uint8_t *mem, uint64_t gpa, uint64_t v)
{
	*(uint64_t *)(mem + (gpa - VMM_RAM_BASE)) = v;
}

/* vCPU 0's IRQ line, and the VMM's record of it */
static int irq_line(struct inst *in, bool level)
{
	int rc = vmm_cpu_irq_line(&in->vm, 0, KVM_ARM_IRQ_CPU_IRQ, level);

	if (!rc)
		in->line = level;
	return rc;
}

/* The VMM's interrupt controller: vCPU 0's IRQ line follows its vtimer. */
static void sync_line(struct inst *in)
{
	bool level = in->v[0].run->s.regs.device_irq_level &
		     KVM_ARM_DEV_EL1_VTIMER;

	if (level != in->line)
		irq_line(in, level);
}

/*
 * The guest's page tables, in its memory: RAM as one normal 2 MiB block,
 * the MMIO window as a device block, identity mapped. Returns TCR_EL1.
 */
static uint64_t build_tables(uint8_t *mem)
{
	uint64_t lm1 = TABLES, l0 = TABLES + PG, l1 = TABLES + 2 * PG;
	uint64_t l2_mmio = TABLES + 3 * PG, l2_ram = TABLES + 4 * PG;
	uint64_t sh = use_lpa2 ? 0 : D_SH_INNER;
	uint64_t tcr = TCR_WBWA_IS | TCR_EPD1 | TCR_IPS_48;
	uint64_t ttbr = l0;

	memset(mem + (TABLES - VMM_RAM_BASE), 0, 5 * PG);
	if (use_lpa2) {
		wr64(mem, lm1, l0 | D_TABLE | D_VALID);
		ttbr = lm1;
		tcr |= TCR_T0SZ(12) | TCR_DS;	/* 52 bits: from level -1 */
	} else {
		tcr |= TCR_T0SZ(16);		/* 48 bits: from level 0 */
	}
	if (use_ha)
		tcr |= TCR_HA;
	wr64(mem, l0, l1 | D_TABLE | D_VALID);
	wr64(mem, l1 + 8 * (VMM_MMIO_BASE >> 30), l2_mmio | D_TABLE | D_VALID);
	wr64(mem, l1 + 8 * (VMM_RAM_BASE >> 30), l2_ram | D_TABLE | D_VALID);
	wr64(mem, l2_mmio + 8 * ((VMM_MMIO_BASE >> 21) & 511),
	     VMM_MMIO_BASE | D_XN | D_AF | D_ATTR(1) | D_VALID);
	/* With FEAT_HAFDBS the walker sets the access flag itself. */
	wr64(mem, l2_ram + 8 * ((VMM_RAM_BASE >> 21) & 511),
	     VMM_RAM_BASE | (use_ha ? 0 : D_AF) | sh | D_ATTR(0) | D_VALID);
	wr64(mem, DATA + D_MAIR, 0x00ff);	/* 0: normal WB, 1: device */
	wr64(mem, DATA + D_TCR, tcr);
	wr64(mem, DATA + D_TTBR0, ttbr);
	wr64(mem, DATA + D_SCTLR, SCTLR_ON);
	return tcr;
}

static void inst_free(struct inst *in)
{
	if (in->v[1].fd > 0)
		vmm_vcpu_destroy(&in->v[1]);
	if (in->v[0].fd > 0)
		vmm_vcpu_destroy(&in->v[0]);
	if (in->vm.fd > 0)
		vmm_vm_destroy(&in->vm);
	memset(in, 0, sizeof(*in));
}

/* VM, RAM (dirty logged if @log), vCPU 0 and vCPU 1 (powered off) */
static int inst_create(struct inst *in, bool log)
{
	uint32_t psci = 1U << KVM_ARM_VCPU_PSCI_0_2;
	int rc;

	memset(in, 0, sizeof(*in));
	rc = vmm_vm_create(&in->vm, 0);
	if (rc)
		return rc;
	in->mem = vmm_mem_add(&in->vm, 0, VMM_RAM_BASE, VMM_RAM_SIZE,
			      log ? KVM_MEM_LOG_DIRTY_PAGES : 0);
	if (!in->mem)
		return -errno;
	rc = vmm_vcpu_create(&in->vm, &in->v[0], 0);
	if (!rc)
		rc = vmm_vcpu_init(&in->v[0], psci);
	if (!rc)
		rc = vmm_vcpu_create(&in->vm, &in->v[1], 1);
	if (!rc)
		rc = vmm_vcpu_init(&in->v[1],
				   psci | 1U << KVM_ARM_VCPU_POWER_OFF);
	return rc;
}

/* A new VM with the guest at its first instruction, MMU on */
static int inst_fresh(struct inst *in)
{
	struct vmm_vcpu *v = &in->v[0];
	uint64_t tcr;
	int rc = inst_create(in, true);

	if (rc)
		return rc;
	rc = vmm_load(&in->vm, VMM_RAM_BASE, sr_start, GUEST_SIZE(sr));
	if (rc)
		return rc;
	tcr = build_tables(in->mem);
	rc = vmm_set64(v, VMM_REG_PC, VMM_RAM_BASE);
	if (!rc)
		rc = vmm_set64(v, VMM_REG_SP_EL1, VMM_RAM_BASE + VMM_RAM_SIZE);
	if (!rc)
		rc = vmm_set64(v, REG_MAIR, rd64(in, DATA + D_MAIR));
	if (!rc)
		rc = vmm_set64(v, REG_TCR, tcr);
	if (!rc)
		rc = vmm_set64(v, REG_TTBR0, rd64(in, DATA + D_TTBR0));
	if (!rc)
		rc = vmm_set64(v, VMM_REG_SCTLR_EL1, SCTLR_ON);
	return rc;
}

/*
 * Run vCPU @i until it reports (an MMIO store) and handle the report.
 * Returns the report's offset, or -1 with in->why set.
 */
static int run_to_report(struct inst *in, int i, uint64_t deadline)
{
	struct vmm_vcpu *v = &in->v[i];
	uint64_t off, val;
	int rc;

	for (;;) {
		alarm(2);
		rc = vmm_run(v);
		alarm(0);
		if (i == 0)
			sync_line(in);
		if (rc == -EINTR) {
			if (vmm_now_ns() > deadline) {
				uint64_t pc = 0, ctl = 0;

				vmm_get64(v, VMM_REG_PC, &pc);
				vmm_get64(&in->v[0], KVM_REG_ARM_TIMER_CTL, &ctl);
				snprintf(in->why, sizeof(in->why),
					 "vCPU %d made no report in time: PC %#llx, steps %llu, IRQs %llu, vCPU 1 count %llu, timer CTL %#llx, IRQ line %d",
					 i, (unsigned long long)pc,
					 (unsigned long long)rd64(in, DATA + D_COUNT0),
					 (unsigned long long)rd64(in, DATA + D_IRQS),
					 (unsigned long long)rd64(in, DATA + D_COUNT1),
					 (unsigned long long)ctl, in->line);
				return -1;
			}
			continue;
		}
		if (rc != KVM_EXIT_MMIO || !v->run->mmio.is_write ||
		    v->run->mmio.len != 8 ||
		    v->run->mmio.phys_addr - VMM_MMIO_BASE > R_SYNC) {
			snprintf(in->why, sizeof(in->why), "vCPU %d: %s", i,
				 vmm_describe_exit(v));
			return -1;
		}
		off = v->run->mmio.phys_addr - VMM_MMIO_BASE;
		val = vmm_mmio_data(v);
		switch (off) {
		case R_CPU_ON:
			in->on1 = val == 0;
			break;
		case R_STEP0:
			in->reports0++;
			in->last0 = val;
			break;
		case R_STEP1:
			in->reports1++;
			in->last1 = val;
			break;
		default:
			in->sync_esr = val;
			snprintf(in->why, sizeof(in->why),
				 "vCPU %d took an exception, ESR_EL1 %#llx", i,
				 (unsigned long long)val);
			return -1;
		}
		return (int)off;
	}
}

/* Until vCPU 0 made @n more step reports (and vCPU 1 one each time) */
static bool drive(struct inst *in, unsigned int n)
{
	uint64_t deadline = vmm_now_ns() + 20000000000ULL;
	uint64_t want = in->reports0 + n;
	int r;

	while (in->reports0 < want) {
		r = run_to_report(in, 0, deadline);
		if (r < 0)
			return false;
		if (r == R_CPU_ON && !in->on1) {
			snprintf(in->why, sizeof(in->why), "PSCI CPU_ON failed");
			return false;
		}
		if (in->on1 && run_to_report(in, 1, deadline) < 0)
			return false;
	}
	return true;
}

/* Finish an MMIO exit in the kernel without running the guest further */
static int complete_exit(struct vmm_vcpu *v)
{
	int rc;

	v->run->immediate_exit = 1;
	rc = vmm_run(v);
	v->run->immediate_exit = 0;
	return rc == -EINTR ? 0 : -EIO;
}

/*
 * Stop vCPU 0 while it waits in WFI for its armed timer: a signal a few
 * milliseconds into KVM_RUN, as a VMM's pause kicks its vCPU threads.
 * Returns false, with in->why, if it never was caught there.
 */
static bool catch_in_wfi(struct inst *in)
{
	struct itimerval kick = { .it_value = { .tv_usec = 3000 } };
	struct itimerval off = { 0 };
	uint64_t ctl = 0, pc = 0;
	int tries, rc = 0;

	for (tries = 0; tries < 200; tries++) {
		setitimer(ITIMER_REAL, &kick, NULL);
		rc = vmm_run(&in->v[0]);
		setitimer(ITIMER_REAL, &off, NULL);
		sync_line(in);
		if (rc == KVM_EXIT_MMIO &&
		    in->v[0].run->mmio.phys_addr == VMM_MMIO_BASE + R_STEP0)
			continue;	/* a report: the next run completes it */
		if (rc != -EINTR)
			break;
		if (!vmm_get64(&in->v[0], KVM_REG_ARM_TIMER_CTL, &ctl) &&
		    (ctl & 3) == 1)
			return true;
	}
	vmm_get64(&in->v[0], VMM_REG_PC, &pc);
	snprintf(in->why, sizeof(in->why),
		 "%d tries; the last run: %s, timer CTL %#llx, PC %#llx",
		 tries, rc < 0 ? strerror(-rc) : vmm_describe_exit(&in->v[0]),
		 (unsigned long long)ctl, (unsigned long long)pc);
	return false;
}

static int save_vcpu(struct vmm_vcpu *v, struct vcpu_snap *s)
{
	struct kvm_reg_list head = { .n = 0 }, *list;
	uint64_t i;

	if (ioctl(v->fd, KVM_GET_REG_LIST, &head) == 0 || errno != E2BIG)
		return -EINVAL;
	list = calloc(1, sizeof(*list) + head.n * sizeof(uint64_t));
	s->ids = calloc(head.n, sizeof(*s->ids));
	s->vals = calloc(head.n, sizeof(*s->vals));
	if (!list || !s->ids || !s->vals)
		return -ENOMEM;
	list->n = head.n;
	if (ioctl(v->fd, KVM_GET_REG_LIST, list))
		return -errno;
	s->n = list->n;
	for (i = 0; i < s->n; i++) {
		s->ids[i] = list->reg[i];
		if (vmm_reg_size(s->ids[i]) > 16 ||
		    vmm_get_reg(v, s->ids[i], s->vals[i]))
			return -EIO;
	}
	free(list);
	if (ioctl(v->fd, KVM_GET_MP_STATE, &s->mp) ||
	    ioctl(v->fd, KVM_GET_VCPU_EVENTS, &s->ev))
		return -errno;
	return 0;
}

/* Timer registers read back otherwise: the counter moves, ISTATUS too */
static bool volatile_reg(uint64_t id)
{
	return id == KVM_REG_ARM_TIMER_CNT || id == KVM_REG_ARM_PTIMER_CNT ||
	       id == KVM_REG_ARM_TIMER_CTL || id == KVM_REG_ARM_PTIMER_CTL;
}

/* QEMU's order: registers, then MP_STATE and VCPU_EVENTS */
static void restore_vcpu(struct vmm_vcpu *v, const struct vcpu_snap *s,
			 struct outcome *o)
{
	uint8_t back[16];
	uint64_t i;

	for (i = 0; i < s->n; i++) {
		if (vmm_set_reg(v, s->ids[i], s->vals[i])) {
			if (!o->set_fail++) {
				o->set_bad_id = s->ids[i];
				o->set_errno = errno;
			}
		}
	}
	for (i = 0; i < s->n; i++) {
		if (volatile_reg(s->ids[i]))
			continue;
		if (vmm_get_reg(v, s->ids[i], back) ||
		    memcmp(back, s->vals[i], vmm_reg_size(s->ids[i]))) {
			if (!o->mismatch++)
				o->mismatch_id = s->ids[i];
		}
	}
	if (ioctl(v->fd, KVM_SET_MP_STATE, &s->mp) ||
	    ioctl(v->fd, KVM_SET_VCPU_EVENTS, &s->ev)) {
		if (!o->set_fail++) {
			o->set_bad_id = 0;
			o->set_errno = errno;
		}
	}
}

/* Build a VM from @s and run it; what happened goes to @o. */
static void restore_and_run(const struct snap *s, struct outcome *o)
{
	struct kvm_mp_state mp = { 0 };
	struct inst in;
	uint64_t cnt, c0_saved, c1_saved, irqs_saved, p, v;
	int i, rc;

	memset(o, 0, sizeof(*o));
	rc = inst_create(&in, false);
	if (rc) {
		snprintf(o->why, sizeof(o->why), "VM: %s", strerror(-rc));
		goto out;
	}
	o->built = 1;
	memcpy(in.mem, s->mem, VMM_RAM_SIZE);
	for (i = 0; i < 2; i++)
		restore_vcpu(&in.v[i], &s->v[i], o);
	if (s->line && irq_line(&in, true))
		o->set_fail++;
	if (!ioctl(in.v[1].fd, KVM_GET_MP_STATE, &mp))
		o->mp1 = mp.mp_state;
	if (!vmm_get64(&in.v[0], KVM_REG_ARM_TIMER_CNT, &cnt))
		o->cnt_delta = (int64_t)(cnt - s->cnt);

	c0_saved = rd64(&in, DATA + D_COUNT0);
	c1_saved = rd64(&in, DATA + D_COUNT1);
	irqs_saved = rd64(&in, DATA + D_IRQS);
	in.on1 = mp.mp_state == KVM_MP_STATE_RUNNABLE;
	o->c1_start = c1_saved;
	if (!drive(&in, 1)) {
		snprintf(o->why, sizeof(o->why), "%s", in.why);
		goto out;
	}
	o->first0 = in.last0 - c0_saved;
	if (!drive(&in, 3)) {
		snprintf(o->why, sizeof(o->why), "%s", in.why);
		goto out;
	}
	o->ran = 1;
	o->c0 = rd64(&in, DATA + D_COUNT0) - c0_saved;
	o->irqs = rd64(&in, DATA + D_IRQS) - irqs_saved;
	o->c1 = rd64(&in, DATA + D_COUNT1);
	/* each pattern page holds 0 or a step count that chose it */
	for (p = 0; p < 64; p++) {
		v = rd64(&in, PATTERN + p * PG);
		if (v && (v & 63) != p)
			o->pattern_bad++;
	}
out:
	inst_free(&in);
}

static void check_outcome(const char *where, const struct outcome *o,
			  uint64_t c0_saved)
{
	uint64_t next8 = ((c0_saved / 8) + 1) * 8 - c0_saved;

	if (!tap_check(o->built, where, "%s", o->why))
		return;
	tap_check(o->set_fail == 0, "every saved register, MP_STATE and VCPU_EVENTS restored",
		  "%d failed; the first: id %#llx (%s)", o->set_fail,
		  (unsigned long long)o->set_bad_id, strerror(o->set_errno));
	tap_check(o->mismatch == 0, "every register reads back as restored",
		  "%d differ; the first: id %#llx", o->mismatch,
		  (unsigned long long)o->mismatch_id);
	TAP_EQ(o->mp1, KVM_MP_STATE_RUNNABLE,
	       "vCPU 1 is on again (MP_STATE RUNNABLE, though created powered off)");
	tap_check(o->cnt_delta >= 0 && (uint64_t)o->cnt_delta < cntfrq,
		  "the virtual counter carries on from its saved value",
		  "TIMER_CNT %+lld ticks from the saved one",
		  (long long)o->cnt_delta);
	if (!tap_check(o->ran, "the restored guest runs: both vCPUs report", "%s",
		       o->why))
		return;
	tap_check(o->first0 == next8,
		  "vCPU 0's counter goes on where it stopped",
		  "first report %llu steps after the saved count, expected %llu",
		  (unsigned long long)o->first0, (unsigned long long)next8);
	tap_check(o->irqs >= 4, "its virtual timer fires after the restore",
		  "%llu IRQs", (unsigned long long)o->irqs);
	tap_check(o->c1 > o->c1_start, "vCPU 1 goes on counting",
		  "%llu -> %llu", (unsigned long long)o->c1_start,
		  (unsigned long long)o->c1);
	TAP_EQ(o->pattern_bad, 0, "the guest's memory is as it left it");
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct sigaction segv = { .sa_sigaction = on_segv,
				  .sa_flags = SA_SIGINFO };
	struct kvm_dirty_log log = { .slot = 0 };
	struct outcome *shared;
	static uint64_t bitmap[NPAGES / 64];
	struct snap s = { 0 };
	struct inst src;
	uint64_t mmfr0, mmfr1, c0_saved, p, lost = 0, copied = 0;
	int rc, i, status;
	pid_t pid;

	tap_init();
	sigaction(SIGALRM, &sa, NULL);
	asm volatile("mrs %0, cntfrq_el0" : "=r"(cntfrq));
	if (vmm_sys_check_cap(KVM_CAP_ARM_USER_IRQ) <= 0) {
		tap_skip("save and restore", "KVM_CAP_ARM_USER_IRQ is 0");
		return tap_done();
	}

	/* Probe the CPU the guest sees on a throwaway VM. */
	rc = inst_create(&src, false);
	TAP_REQUIRE(!rc, "VM with two vCPUs", "%s", strerror(-rc));
	rc = vmm_get64(&src.v[0], REG_MMFR0, &mmfr0) ||
	     vmm_get64(&src.v[0], REG_MMFR1, &mmfr1);
	TAP_REQUIRE(!rc, "ID_AA64MMFR0/1_EL1 readable", NULL);
	inst_free(&src);
	use_lpa2 = ((mmfr0 >> 28) & 0xf) == 1;	/* TGran4: 52-bit */
	use_ha = (mmfr1 & 0xf) >= 1;		/* HAFDBS */
	/*
	 * The in-kernel KVM (6.12) takes a stage-2 permission fault on an
	 * instruction fetch's stage-1 walk for a read, so under dirty
	 * logging a hardware access flag update on the walk faults forever:
	 * the reference never runs the guest's first instruction.
	 */
	if (use_ha && !vmm_is_modkvm()) {
		tap_diag("in-kernel KVM: no TCR_EL1.HA (its walks that set the access flag under dirty logging never complete)");
		use_ha = false;
	}
	tap_diag("guest stage 1: %s, access flag by %s",
		 use_lpa2 ? "52-bit VAs (LPA2), walk from level -1" :
			    "48-bit VAs, walk from level 0",
		 use_ha ? "the hardware (TCR_EL1.HA)" : "the tables");

	/* The source: dirty logged from its first instruction */
	rc = inst_fresh(&src);
	TAP_REQUIRE(!rc, "source VM: tables, MMU on at the first instruction",
		    "%s", strerror(-rc));
	if (!tap_check(drive(&src, 4),
		       "the source guest runs with its MMU on: timer, WFI, vCPU 1 on",
		       "%s", src.why))
		return tap_done();
	tap_check(src.on1, "PSCI CPU_ON brought vCPU 1 up", NULL);

	/* Pre-copy while it runs, then the dirty pages once it is stopped */
	s.mem = malloc(VMM_RAM_SIZE);
	log.dirty_bitmap = bitmap;
	TAP_REQUIRE(s.mem && !ioctl(src.vm.fd, KVM_GET_DIRTY_LOG, &log),
		    "KVM_GET_DIRTY_LOG before the copy", "%s", strerror(errno));
	memcpy(s.mem, src.mem, VMM_RAM_SIZE);
	tap_check(drive(&src, 2), "the source goes on during the copy", "%s",
		  src.why);
	TAP_REQUIRE(catch_in_wfi(&src),
		    "vCPU 0 stopped in WFI with its virtual timer armed",
		    "%s", src.why);
	TAP_REQUIRE(complete_exit(&src.v[1]) == 0,
		    "vCPU 1's last MMIO completed before the save", NULL);
	TAP_REQUIRE(!ioctl(src.vm.fd, KVM_GET_DIRTY_LOG, &log),
		    "KVM_GET_DIRTY_LOG after the stop", "%s", strerror(errno));
	for (p = 0; p < NPAGES; p++) {
		if (bitmap[p / 64] & (1ULL << (p % 64))) {
			memcpy(s.mem + p * PG, src.mem + p * PG, PG);
			copied++;
		} else if (memcmp(s.mem + p * PG, src.mem + p * PG, PG)) {
			lost++;
		}
	}
	tap_diag("pre-copy: %llu of %lu pages dirty again by the stop",
		 (unsigned long long)copied, NPAGES);
	TAP_EQ(lost, 0, "every page the guest wrote during the copy was logged dirty");

	for (i = 0; i < 2; i++) {
		rc = save_vcpu(&src.v[i], &s.v[i]);
		if (!tap_check(!rc, i ? "vCPU 1 saved: every listed register, MP_STATE, VCPU_EVENTS" :
				    "vCPU 0 saved: every listed register, MP_STATE, VCPU_EVENTS",
			       "%s", strerror(-rc)))
			return tap_done();
	}
	tap_diag("%llu registers per vCPU; IRQ line %s at the save",
		 (unsigned long long)s.v[0].n, src.line ? "high" : "low");
	TAP_EQ(s.v[1].mp.mp_state, KVM_MP_STATE_RUNNABLE,
	       "vCPU 1 is RUNNABLE at the save");
	s.line = src.line;
	/*
	 * The virtual counter is the VM's, and each vCPU's list has it:
	 * the restore writes vCPU 1's last, so the new VM's counter starts
	 * there.
	 */
	for (p = 0; p < s.v[1].n; p++)
		if (s.v[1].ids[p] == KVM_REG_ARM_TIMER_CNT)
			memcpy(&s.cnt, s.v[1].vals[p], sizeof(s.cnt));
	c0_saved = rd64(&src, DATA + D_COUNT0);
	tap_diag("saved at step %llu, %llu timer IRQs, vCPU 1 at %llu",
		 (unsigned long long)c0_saved,
		 (unsigned long long)rd64(&src, DATA + D_IRQS),
		 (unsigned long long)rd64(&src, DATA + D_COUNT1));

	/* A new VM in this process, the source still there (paused) */
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TAP_REQUIRE(shared != MAP_FAILED, "shared memory", NULL);
	restore_and_run(&s, shared);
	check_outcome("restored in the same process, beside the paused source",
		      shared, c0_saved);
	inst_free(&src);

	/* And in another process, the source gone */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		child_out = shared;
		sigaction(SIGSEGV, &segv, NULL);
		restore_and_run(&s, shared);
		_exit(0);
	}
	TAP_REQUIRE(pid > 0, "fork", "%s", strerror(errno));
	waitpid(pid, &status, 0);
	tap_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the other process ended cleanly", "status %#x: %s", status,
		  shared->why);
	check_outcome("restored in another process", shared, c0_saved);
	return tap_done();
}
