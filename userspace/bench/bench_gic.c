// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts through the hypervisor's in-kernel GICv3 (KVM_DEV_TYPE_ARM_VGIC_V3,
 * created with the device API as QEMU does: create, NR_IRQS, CTRL INIT,
 * then the distributor and redistributor addresses):
 *
 * ipi_rtt_us       two vCPUs; vCPU 0 reads CNTVCT_EL0, sends SGI 1 to vCPU 1
 *                  with ICC_SGI1R_EL1 and waits in WFI; vCPU 1, waiting in
 *                  WFI, takes it and answers with SGI 2 to vCPU 0 from its
 *                  handler; vCPU 0's handler notes the answer and vCPU 0
 *                  reads CNTVCT_EL0 again.  One round trip per sample, each
 *                  reported with one MMIO write (outside the timed span).
 * irqfd_inject_us  one vCPU waiting in WFI; the host writes an eventfd
 *                  assigned with KVM_IRQFD to GSI 8 (SPI 40, edge, the
 *                  default routing after INIT) and reads CNTVCT_EL0 just
 *                  before the write; the guest's IRQ handler reads
 *                  CNTVCT_EL0 first thing.  The VM's counter offset is set
 *                  to 0 with KVM_ARM_SET_COUNTER_OFFSET before any vCPU
 *                  exists, so both read the same count (checked: the
 *                  guest's count at start lies between two host reads).
 *
 * The guest's ICC registers by encoding (IHI 0069, 12.2): ICC_SRE_EL1
 * S3_0_C12_C12_5, ICC_PMR_EL1 S3_0_C4_C6_0, ICC_IGRPEN1_EL1 S3_0_C12_C12_7,
 * ICC_IAR1_EL1 S3_0_C12_C12_0, ICC_EOIR1_EL1 S3_0_C12_C12_1, ICC_SGI1R_EL1
 * S3_0_C12_C11_5 (INTID in [27:24], TargetList in [15:0]).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"
#include "guest.h"

/* where QEMU's virt machine puts the frames */
#define GIC_DIST	0x08000000UL
#define GIC_REDIST	0x080a0000UL

#define R_READY		(VMM_MMIO_BASE + 0x00)	/* w: CNTVCT_EL0 at start */
#define R_MODE		(VMM_MMIO_BASE + 0x08)	/* r: MODE_* */
#define R_SAMPLE	(VMM_MMIO_BASE + 0x10)	/* w: ticks of one round trip */
#define R_IRQ		(VMM_MMIO_BASE + 0x18)	/* w: CNTVCT_EL0 in the handler */
#define R_SYNC		(VMM_MMIO_BASE + 0x20)	/* w: ESR of an exception */
#define R_LEG		(VMM_MMIO_BASE + 0x28)	/* w: ticks vCPU 0 -> vCPU 1 */
/* vCPU 1's handler stores its CNTVCT_EL0 here for vCPU 0 (shared RAM) */
#define LEG_TIME	(VMM_RAM_BASE + 0x100000)

#define MODE_IPI	0	/* vCPU 0 pings, vCPU 1 answers */
#define MODE_WAIT	1	/* WFI loop; SPIs reported from the handler */

#define IRQFD_GSI	8
#define IRQFD_SPI	(32 + IRQFD_GSI)
#define WARMUP		5

/*
 * Both vCPUs run this.  Registers: x20 distributor, x21 own redistributor,
 * x22 own index (MPIDR_EL1.Aff0), x24 the MMIO window, x19 the "answer
 * came" flag; the handler uses x9-x11 only.
 */
GUEST_CODE(gicb,
	"	adr	x1, gb_vectors\n"
	"	msr	vbar_el1, x1\n"
	"	mrs	x1, s3_0_c12_c12_5\n"	/* ICC_SRE_EL1.SRE */
	"	orr	x1, x1, #1\n"
	"	msr	s3_0_c12_c12_5, x1\n"
	"	isb\n"
	"	mov	x1, #0xff\n"		/* ICC_PMR_EL1: all priorities */
	"	msr	s3_0_c4_c6_0, x1\n"
	"	mov	x1, #1\n"		/* ICC_IGRPEN1_EL1 */
	"	msr	s3_0_c12_c12_7, x1\n"
	"	isb\n"
	"	mov64	x20, " GUEST_STR(GIC_DIST) "\n"
	"	mov64	x21, " GUEST_STR(GIC_REDIST) "\n"
	"	mov64	x24, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mrs	x22, mpidr_el1\n"
	"	and	x22, x22, #0xff\n"
	"	lsl	x1, x22, #17\n"		/* 128 KiB per redistributor */
	"	add	x21, x21, x1\n"
	"	mov	w1, #0x12\n"		/* GICD_CTLR: ARE, EnableGrp1 */
	"	str	w1, [x20]\n"
	"	str	wzr, [x21, #0x14]\n"	/* GICR_WAKER: awake */
	"	mov	w1, #0xaaaaaaaa\n"	/* GICD_ICFGR2: SPIs 32-47 edge */
	"	str	w1, [x20, #0xc08]\n"
	"	mov	w1, #-1\n"
	"	str	w1, [x20, #0x104]\n"	/* GICD_ISENABLER1: SPIs 32-63 */
	"	add	x1, x21, #0x10000\n"
	"	mov	w2, #-1\n"
	"	str	w2, [x1, #0x100]\n"	/* GICR_ISENABLER0: SGIs, PPIs */
	"	isb\n"
	"	mrs	x1, cntvct_el0\n"
	"	str	x1, [x24, #0x00]\n"	/* ready */
	"	ldr	x25, [x24, #0x08]\n"	/* mode */
	"	cbnz	x25, gb_wait\n"
	"	cbnz	x22, gb_wait\n"		/* vCPU 1 answers from its handler */
	/* vCPU 0: SGI 1 to vCPU 1 (TargetList bit 1), wait for SGI 2 */
	"gb_ping:	mov	x19, #0\n"
	"	mov64	x3, 0x01000002\n"
	"	isb\n"
	"	mrs	x2, cntvct_el0\n"
	"	msr	s3_0_c12_c11_5, x3\n"
	"	isb\n"
	"1:	msr	daifset, #2\n"
	"	cbnz	x19, 2f\n"
	"	wfi\n"			/* wakes on a masked IRQ too */
	"	msr	daifclr, #2\n"
	"	isb\n"
	"	b	1b\n"
	"2:	isb\n"
	"	mrs	x4, cntvct_el0\n"
	"	mov64	x5, " GUEST_STR(LEG_TIME) "\n"
	"	ldr	x5, [x5]\n"
	"	sub	x5, x5, x2\n"
	"	sub	x4, x4, x2\n"
	"	str	x5, [x24, #0x28]\n"
	"	str	x4, [x24, #0x10]\n"
	"	b	gb_ping\n"
	/* IRQs taken after each WFI */
	"gb_wait:	msr	daifset, #2\n"
	"	wfi\n"
	"	msr	daifclr, #2\n"
	"	isb\n"
	"	b	gb_wait\n"
	"	.balign	2048\n"
	"gb_vectors:\n"
	"	.org	gb_vectors + 0x200\n"	/* synchronous, EL1, SP_EL1 */
	"	mrs	x9, esr_el1\n"
	"	str	x9, [x24, #0x20]\n"
	"	b	.\n"
	"	.org	gb_vectors + 0x280\n"	/* IRQ, EL1, SP_EL1 */
	"	mrs	x10, cntvct_el0\n"
	"	mrs	x9, s3_0_c12_c12_0\n"	/* ICC_IAR1_EL1 */
	"	cmp	x9, #1\n"
	"	b.ne	3f\n"
	"	mov64	x11, " GUEST_STR(LEG_TIME) "\n"
	"	str	x10, [x11]\n"
	"	mov64	x11, 0x02000001\n"	/* SGI 2 back to vCPU 0 */
	"	msr	s3_0_c12_c11_5, x11\n"
	"	isb\n"
	"	b	5f\n"
	"3:	cmp	x9, #2\n"
	"	b.ne	4f\n"
	"	mov	x19, #1\n"
	"	b	5f\n"
	"4:	cmp	x9, #" GUEST_STR(IRQFD_SPI) "\n"
	"	b.ne	6f\n"
	"	str	x10, [x24, #0x18]\n"
	"5:	msr	s3_0_c12_c12_1, x9\n"	/* ICC_EOIR1_EL1 */
	"	isb\n"
	"6:	eret\n"
	"	.org	gb_vectors + 0x800\n");

struct gicvm {
	struct vmm_vm vm;
	struct vmm_vcpu v[2];
	unsigned int nr;
	int gic;
	uint64_t start[2];	/* each vCPU's CNTVCT_EL0 at its start */
};

static inline uint64_t host_cntvct(void)
{
	uint64_t c;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(c) :: "memory");
	return c;
}

static int dev_attr(int fd, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)val,
	};

	return ioctl(fd, KVM_SET_DEVICE_ATTR, &a) ? -errno : 0;
}

/* The GICv3 in QEMU's order: create, NR_IRQS, INIT, addresses */
static int gic_create(struct gicvm *g, char *err, size_t len)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GIC_DIST, redist = GIC_REDIST;
	uint32_t nr_irqs = 128;
	int rc;

	if (ioctl(g->vm.fd, KVM_CREATE_DEVICE, &cd)) {
		snprintf(err, len, "KVM_CREATE_DEVICE VGIC_V3: %s%s",
			 strerror(errno), errno == ENODEV ?
			 " (modkvm: loaded without vgic_v3=1?)" : "");
		return -1;
	}
	g->gic = cd.fd;
	rc = dev_attr(g->gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
	if (!rc)
		rc = dev_attr(g->gic, KVM_DEV_ARM_VGIC_GRP_CTRL,
			      KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	if (!rc)
		rc = dev_attr(g->gic, KVM_DEV_ARM_VGIC_GRP_ADDR,
			      KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	if (!rc)
		rc = dev_attr(g->gic, KVM_DEV_ARM_VGIC_GRP_ADDR,
			      KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	if (rc) {
		snprintf(err, len, "GICv3 set-up: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

static void gicvm_destroy(struct gicvm *g)
{
	unsigned int i;

	if (g->gic >= 0)
		close(g->gic);
	for (i = 0; i < g->nr; i++)
		vmm_vcpu_destroy(&g->v[i]);
	vmm_vm_destroy(&g->vm);
}

/*
 * A VM of @nr vCPUs with the GIC, its counter offset 0, each vCPU run to
 * its ready report and given @mode; 0 or -1 with a reason in err.
 */
static int gicvm_create(struct gicvm *g, unsigned int nr, uint64_t mode,
			char *err, size_t len)
{
	struct kvm_arm_counter_offset off = { 0 };
	uint64_t before, after;
	unsigned int i;
	int rc;

	memset(g, 0, sizeof(*g));
	g->gic = -1;
	rc = vmm_vm_create(&g->vm, 0);
	if (rc) {
		snprintf(err, len, "KVM_CREATE_VM: %s", strerror(-rc));
		return -1;
	}
	/* before any vCPU exists, so that none is running */
	if (ioctl(g->vm.fd, KVM_ARM_SET_COUNTER_OFFSET, &off)) {
		snprintf(err, len, "KVM_ARM_SET_COUNTER_OFFSET 0: %s",
			 strerror(errno));
		vmm_vm_destroy(&g->vm);
		return -1;
	}
	if (!vmm_mem_add(&g->vm, 0, VMM_RAM_BASE, VMM_RAM_SIZE, 0) ||
	    vmm_load(&g->vm, VMM_RAM_BASE, gicb_start, GUEST_SIZE(gicb))) {
		snprintf(err, len, "guest memory: %s", strerror(errno));
		vmm_vm_destroy(&g->vm);
		return -1;
	}
	for (i = 0; i < nr; i++) {
		rc = vmm_simple_vcpu(&g->vm, &g->v[i], i, 0, VMM_RAM_BASE);
		if (rc) {
			snprintf(err, len, "vCPU %u: %s", i, strerror(-rc));
			gicvm_destroy(g);
			return -1;
		}
		g->nr++;
	}
	if (gic_create(g, err, len)) {
		gicvm_destroy(g);
		return -1;
	}
	for (i = 0; i < nr; i++) {
		before = host_cntvct();
		bench_deadline(30);
		if (bench_mmio(&g->v[i], R_READY, true))
			g->start[i] = vmm_mmio_data(&g->v[i]);
		else
			g->start[i] = 0;
		if (!g->start[i] ||
		    !vmm_expect_mmio(&g->v[i], R_MODE, 8, false, &mode)) {
			bench_deadline(0);
			snprintf(err, len, "vCPU %u start: %s", i,
				 vmm_describe_exit(&g->v[i]));
			gicvm_destroy(g);
			return -1;
		}
		bench_deadline(0);
		after = host_cntvct();
		if (g->start[i] < before || g->start[i] > after) {
			snprintf(err, len,
				 "vCPU %u's counter %llu is not the host's (%llu..%llu) with the offset 0",
				 i, (unsigned long long)g->start[i],
				 (unsigned long long)before,
				 (unsigned long long)after);
			gicvm_destroy(g);
			return -1;
		}
	}
	return 0;
}

/* What an unexpected exit was, for the METRIC_ERR line */
static void describe(struct vmm_vcpu *v, char *err, size_t len)
{
	if (vmm_is_mmio(v, R_SYNC, 8, true))
		snprintf(err, len, "guest took a synchronous exception, ESR 0x%llx",
			 (unsigned long long)vmm_mmio_data(v));
	else
		snprintf(err, len, "unexpected exit: %s%s", vmm_describe_exit(v),
			 bench_timed_out ? " (timed out)" : "");
}

static void block_alarm(int how)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	pthread_sigmask(how, &s, NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* A note: the first leg (vCPU 0's SGI to vCPU 1's handler), its median */
static void leg_note(double *leg, int n)
{
	if (!n)
		return;
	qsort(leg, n, sizeof(*leg), cmp_double);
	bench_note("ipi_rtt_us: first leg (vCPU 0's ICC_SGI1R_EL1 write to vCPU 1's handler) median %.1f us, min %.1f, max %.1f",
		   leg[n / 2], leg[0], leg[n - 1]);
}

static int ipi_rtt(void)
{
	static double v[2000], leg[2000];
	struct vmm_bg_run b;
	struct gicvm g;
	uint64_t freq = bench_cntfrq(), t;
	int reps = bench_reps(50, 300), n = 0, i, rc = 1;
	bool ok;
	char err[240];

	if (reps > (int)ARRAY_SIZE(v))
		reps = ARRAY_SIZE(v);
	if (gicvm_create(&g, 2, MODE_IPI, err, sizeof(err))) {
		bench_fail("ipi_rtt_us", "%s", err);
		return 1;
	}
	/* vCPU 1 answers on a thread of its own, which never takes SIGALRM */
	block_alarm(SIG_BLOCK);
	i = vmm_bg_run_start(&b, &g.v[1]);
	block_alarm(SIG_UNBLOCK);
	if (i) {
		bench_fail("ipi_rtt_us", "thread: %s", strerror(-i));
		gicvm_destroy(&g);
		return 1;
	}
	for (i = 0; i < WARMUP + reps; i++) {
		bench_deadline(10);
		ok = bench_mmio(&g.v[0], R_LEG, true);
		t = ok ? vmm_mmio_data(&g.v[0]) : 0;
		if (!ok || !bench_mmio(&g.v[0], R_SAMPLE, true)) {
			describe(&g.v[0], err, sizeof(err));
			bench_fail("ipi_rtt_us", "round trip %d: %s%s", i, err,
				   vmm_bg_run_done(&b) ?
				   "; vCPU 1 left KVM_RUN" : "");
			goto out;
		}
		if (i >= WARMUP) {
			leg[n] = bench_ticks_ns(t, freq) / 1000.0;
			v[n++] = bench_ticks_ns(vmm_mmio_data(&g.v[0]), freq) / 1000.0;
		}
	}
	bench_deadline(0);
	if (vmm_bg_run_done(&b)) {
		describe(&g.v[1], err, sizeof(err));
		bench_fail("ipi_rtt_us", "vCPU 1 left KVM_RUN: %s", err);
		goto out;
	}
	bench_note("ipi_rtt_us: %d round trips SGI 1 vCPU 0 -> 1, SGI 2 back, both waiting in WFI (CNTFRQ %llu Hz)",
		   n, (unsigned long long)freq);
	bench_report("ipi_rtt_us", "us", v, n);
	leg_note(leg, n);
	rc = 0;
out:
	bench_deadline(0);
	if (!vmm_bg_run_wait(&b, 2000, true))
		bench_note("ipi_rtt_us: vCPU 1 still in KVM_RUN after 2 s of kicks");
	else
		vmm_bg_run_join(&b);
	gicvm_destroy(&g);
	return rc;
}

static int irqfd_inject(void)
{
	static double v[2000];
	struct kvm_irqfd irqfd = { .gsi = IRQFD_GSI };
	struct vmm_bg_run b;
	struct gicvm g;
	uint64_t freq = bench_cntfrq(), one = 1, t0, t1;
	int reps = bench_reps(50, 300), n = 0, i, rc = 1, efd;
	char err[240];

	if (reps > (int)ARRAY_SIZE(v))
		reps = ARRAY_SIZE(v);
	if (gicvm_create(&g, 1, MODE_WAIT, err, sizeof(err))) {
		bench_fail("irqfd_inject_us", "%s", err);
		return 1;
	}
	efd = eventfd(0, EFD_CLOEXEC);
	irqfd.fd = efd;
	if (efd < 0 || ioctl(g.vm.fd, KVM_IRQFD, &irqfd)) {
		bench_fail("irqfd_inject_us", "eventfd, KVM_IRQFD GSI %d: %s",
			   IRQFD_GSI, strerror(errno));
		goto out_vm;
	}
	srand(12345);
	block_alarm(SIG_BLOCK);
	for (i = 0; i < WARMUP + reps; i++) {
		if (vmm_bg_run_start(&b, &g.v[0])) {
			bench_fail("irqfd_inject_us", "thread: %s",
				   strerror(errno));
			goto out;
		}
		/* long enough for the vCPU to be asleep in WFI */
		usleep(2000 + rand() % 2000);
		if (vmm_bg_run_done(&b)) {
			vmm_bg_run_join(&b);
			describe(&g.v[0], err, sizeof(err));
			bench_fail("irqfd_inject_us", "before signal %d: %s",
				   i, err);
			goto out;
		}
		t0 = host_cntvct();
		if (write(efd, &one, sizeof(one)) != sizeof(one)) {
			bench_fail("irqfd_inject_us", "eventfd write: %s",
				   strerror(errno));
			vmm_bg_run_wait(&b, 2000, true);
			vmm_bg_run_join(&b);
			goto out;
		}
		if (!vmm_bg_run_wait(&b, 2000, false)) {
			vmm_bg_run_wait(&b, 2000, true);
			vmm_bg_run_join(&b);
			bench_fail("irqfd_inject_us",
				   "signal %d: no interrupt in the guest within 2 s",
				   i);
			goto out;
		}
		vmm_bg_run_join(&b);
		if (!vmm_is_mmio(&g.v[0], R_IRQ, 8, true)) {
			describe(&g.v[0], err, sizeof(err));
			bench_fail("irqfd_inject_us", "signal %d: %s", i, err);
			goto out;
		}
		t1 = vmm_mmio_data(&g.v[0]);
		if (t1 < t0) {
			bench_fail("irqfd_inject_us",
				   "signal %d: the guest's count %llu is before the host's %llu",
				   i, (unsigned long long)t1,
				   (unsigned long long)t0);
			goto out;
		}
		if (i >= WARMUP)
			v[n++] = bench_ticks_ns(t1 - t0, freq) / 1000.0;
	}
	bench_note("irqfd_inject_us: %d eventfd writes to GSI %d (SPI %d, edge), the vCPU in WFI, host and guest CNTVCT_EL0 with the VM's counter offset 0",
		   n, IRQFD_GSI, IRQFD_SPI);
	bench_report("irqfd_inject_us", "us", v, n);
	rc = 0;
out:
	block_alarm(SIG_UNBLOCK);
	close(efd);
out_vm:
	gicvm_destroy(&g);
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	bench_init(argc, argv);
	rc = ipi_rtt();
	rc |= irqfd_inject();
	return rc;
}
