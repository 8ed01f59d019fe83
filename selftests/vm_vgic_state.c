// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel GICv3's state as userspace saves and restores it
 * (devices/arm-vgic-v3.rst): DIST_REGS, REDIST_REGS, CPU_SYSREGS and
 * LEVEL_INFO written in one VM, read back, written into a second VM and
 * read back from it; the pending latch versus the line level; KVM_IRQ_LINE
 * for SPIs and PPIs, level and edge, and its errors; a VM destroyed with
 * interrupts pending.
 */
#include <unistd.h>

#include "lib/vgic.h"

#define DREGS	KVM_DEV_ARM_VGIC_GRP_DIST_REGS
#define RREGS	KVM_DEV_ARM_VGIC_GRP_REDIST_REGS
#define SYSREGS	KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS
#define LEVEL	KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO
#define LINE(vcpu, intid) (VCPU_ATTR(vcpu) | \
	((uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL << \
	 KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT) | (intid))

struct saved {
	uint32_t group, offset;
	uint64_t attr_vcpu;
	uint64_t val;
	bool wide;
	const char *what;
};

/* what a VMM saves, with values a guest could have left there */
static struct saved state[] = {
	{ DREGS, GICD_CTLR, 0, 0x52, false, "GICD_CTLR EnableGrp1, ARE, DS" },
	{ DREGS, GICD_ISENABLER + 4, 0, 0x0000ff0f, false, "GICD_ISENABLER1" },
	{ DREGS, GICD_ISPENDR + 4, 0, 0x00a00001, false, "GICD_ISPENDR1 (latch)" },
	{ DREGS, GICD_ISACTIVER + 4, 0, 0x00000100, false, "GICD_ISACTIVER1" },
	{ DREGS, GICD_IPRIORITYR + 32, 0, 0xa0806040, false, "GICD_IPRIORITYR8" },
	{ DREGS, GICD_ICFGR + 8, 0, 0x000a0002, false, "GICD_ICFGR2" },
	{ DREGS, GICD_IROUTER + 8 * 33, 0, 0x1, false, "GICD_IROUTER33 (vCPU 1)" },
	{ RREGS, GICR_WAKER, 1, 0, false, "GICR_WAKER awake" },
	{ RREGS, GICR_SGI + 0x100, 1, 0x0800ffff, false, "GICR_ISENABLER0" },
	{ RREGS, GICR_SGI + 0x200, 1, 0x00000006, false, "GICR_ISPENDR0" },
	{ RREGS, GICR_SGI + 0x400 + 24, 1, 0x88000000, false, "GICR_IPRIORITYR6" },
	{ SYSREGS, ICC_PMR, 1, 0xf0, true, "ICC_PMR_EL1" },
	{ SYSREGS, ICC_BPR1, 1, 0x4, true, "ICC_BPR1_EL1" },
	{ SYSREGS, ICC_IGRPEN1, 1, 0x1, true, "ICC_IGRPEN1_EL1" },
	{ SYSREGS, ICC_AP1R0, 1, 0x1, true, "ICC_AP1R0_EL1" },
	{ LEVEL, 32, 1, 0x00000400, false, "LEVEL_INFO SPIs 32-63" },
	{ LEVEL, 0, 1, 0x08000000, false, "LEVEL_INFO PPIs of vCPU 1" },
};

static int put(int fd, const struct saved *s, uint64_t v)
{
	uint64_t attr = VCPU_ATTR(s->attr_vcpu) | s->offset;

	if (s->group == LEVEL)
		attr = LINE(s->attr_vcpu, s->offset);
	if (s->wide)
		return vgic_set64(fd, s->group, attr, v);
	return vgic_set32(fd, s->group, attr, v);
}

static uint64_t get(int fd, const struct saved *s)
{
	uint64_t attr = VCPU_ATTR(s->attr_vcpu) | s->offset;

	if (s->group == LEVEL)
		attr = LINE(s->attr_vcpu, s->offset);
	return s->wide ? vgic_get64(fd, s->group, attr) :
			 vgic_get32(fd, s->group, attr);
}

/* every value of state[] reads back from @fd */
static void check_state(int fd, const char *fmt)
{
	char name[96];
	unsigned int i;
	uint64_t got;

	for (i = 0; i < ARRAY_SIZE(state); i++) {
		got = get(fd, &state[i]);
		snprintf(name, sizeof(name), fmt, state[i].what);
		tap_check(got == state[i].val, name, "0x%llx, not 0x%llx",
			  (unsigned long long)got,
			  (unsigned long long)state[i].val);
	}
}

static int two_vcpu_vm(struct vmm_vm *vm, struct vmm_vcpu *v)
{
	if (vmm_vm_create(vm, 0))
		return -1;
	if (vmm_vcpu_create(vm, &v[0], 0) || vmm_vcpu_create(vm, &v[1], 1))
		return -1;
	if (vmm_vcpu_init(&v[0], 0) || vmm_vcpu_init(&v[1], 0))
		return -1;
	return 0;
}

static void round_trip(void)
{
	struct vmm_vcpu a[2], b[2];
	struct vmm_vm va, vb;
	uint64_t ctlr, sre, got;
	char name[96];
	unsigned int i;
	int fa, fb;

	TAP_REQUIRE(!two_vcpu_vm(&va, a), "VM A with 2 vCPUs", NULL);
	fa = vgic_setup(&va, 128);
	TAP_REQUIRE(fa >= 0, "VM A: GIC created, NR_IRQS 128, INIT, addresses",
		    "got %d", fa);
	CHECK_EQ(vgic_get32(fa, DREGS, GICD_TYPER) & 0x1f, 3,
	       "GICD_TYPER.ITLinesNumber: 128 interrupts");
	CHECK_EQ(vgic_get32(fa, DREGS, GICD_CTLR) & 0x50, 0x50,
	       "GICD_CTLR: ARE and DS set");
	{
		uint32_t iidr = vgic_get32(fa, DREGS, GICD_IIDR);

		CHECK_EQ(vgic_set32(fa, DREGS, GICD_IIDR, iidr), 0,
		       "GICD_IIDR written back as read");
		CHECK_NEG(vgic_set32(fa, DREGS, GICD_IIDR, iidr ^ 0x01000000),
			EINVAL, "GICD_IIDR of another product: EINVAL");
	}
	CHECK_EQ(vgic_get32(fa, RREGS, VCPU_ATTR(1) | GICR_TYPER), 0x110,
	       "GICR_TYPER of vCPU 1: processor 1, Last");
	CHECK_EQ(vgic_get32(fa, RREGS, VCPU_ATTR(0) | GICR_TYPER), 0x0,
	       "GICR_TYPER of vCPU 0: processor 0");
	CHECK_EQ(vgic_get32(fa, RREGS, VCPU_ATTR(0) | (GICR_TYPER + 4)), 0x0,
	       "GICR_TYPER[63:32] of vCPU 0: affinity 0");
	CHECK_EQ(vgic_get32(fa, RREGS, VCPU_ATTR(1) | (GICR_TYPER + 4)), 0x1,
	       "GICR_TYPER[63:32] of vCPU 1: affinity 0.0.0.1");
	sre = vgic_get64(fa, SYSREGS, VCPU_ATTR(0) | ICC_SRE);
	CHECK_EQ(sre & 1, 1, "ICC_SRE_EL1.SRE reads 1");
	CHECK_NEG(vgic_set64(fa, SYSREGS, VCPU_ATTR(0) | ICC_SRE, 0), EINVAL,
		"ICC_SRE_EL1 without SRE: EINVAL");
	/* ENOENT: what the in-kernel KVM answers, not the doc's ENXIO */
	CHECK_NEG(vgic_get(fa, SYSREGS, VCPU_ATTR(0) | ICC(3, 0, 12, 12, 0),
			 &got), ENOENT, "CPU_SYSREGS ICC_IAR1_EL1: ENOENT");
	CHECK_NEG(vgic_get(fa, SYSREGS, VCPU_ATTR(9) | ICC_PMR, &got), EINVAL,
		"CPU_SYSREGS of no vCPU: EINVAL");
	CHECK_NEG(vgic_get(fa, LEVEL, LINE(0, 33), &got), EINVAL,
		"LEVEL_INFO at INTID 33: EINVAL");
	CHECK_NEG(vgic_get(fa, LEVEL, VCPU_ATTR(0) | (1 << 10) | 32, &got),
		EINVAL, "LEVEL_INFO of an unknown kind: EINVAL");

	ctlr = vgic_get64(fa, SYSREGS, VCPU_ATTR(1) | ICC_CTLR);
	for (i = 0; i < ARRAY_SIZE(state); i++) {
		snprintf(name, sizeof(name), "A: %s written", state[i].what);
		CHECK_EQ(put(fa, &state[i], state[i].val), 0, name);
	}
	CHECK_EQ(vgic_set64(fa, SYSREGS, VCPU_ATTR(1) | ICC_CTLR, ctlr | 2), 0,
	       "A: ICC_CTLR_EL1 EOImode written");
	check_state(fa, "A: %s reads back");

	/* restore into B, as a migration would */
	TAP_REQUIRE(!two_vcpu_vm(&vb, b), "VM B with 2 vCPUs", NULL);
	fb = vgic_setup(&vb, 128);
	TAP_REQUIRE(fb >= 0, "VM B: GIC", "got %d", fb);
	for (i = 0; i < ARRAY_SIZE(state); i++)
		put(fb, &state[i], get(fa, &state[i]));
	vgic_set64(fb, SYSREGS, VCPU_ATTR(1) | ICC_CTLR,
		   vgic_get64(fa, SYSREGS, VCPU_ATTR(1) | ICC_CTLR));
	check_state(fb, "B: %s restored");
	CHECK_EQ(vgic_get64(fb, SYSREGS, VCPU_ATTR(1) | ICC_CTLR),
	       vgic_get64(fa, SYSREGS, VCPU_ATTR(1) | ICC_CTLR),
	       "B: ICC_CTLR_EL1 restored");

	close(fa);
	close(fb);
	for (i = 0; i < 2; i++) {
		vmm_vcpu_destroy(&a[i]);
		vmm_vcpu_destroy(&b[i]);
	}
	vmm_vm_destroy(&va);
	vmm_vm_destroy(&vb);
}

static void irq_lines(void)
{
	struct vmm_vcpu v[2];
	struct vmm_vm vm;
	uint64_t lv = 0;
	int fd;

	TAP_REQUIRE(!two_vcpu_vm(&vm, v), "VM with 2 vCPUs", NULL);
	fd = vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_V3, false);
	CHECK_NEG(irq_line(&vm, KVM_ARM_IRQ_TYPE_SPI, 0, 40, 1), EBUSY,
		"KVM_IRQ_LINE before INIT: EBUSY");
	vgic_set32(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, 64);
	vgic_set(fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT,
		 NULL);

	CHECK_NEG(irq_line(&vm, KVM_ARM_IRQ_TYPE_CPU, 0, 0, 1), ENXIO,
		"KVM_IRQ_LINE to a CPU input with the GIC: ENXIO");
	CHECK_NEG(irq_line(&vm, KVM_ARM_IRQ_TYPE_SPI, 0, 31, 1), EINVAL,
		"SPI 31: EINVAL");
	CHECK_NEG(irq_line(&vm, KVM_ARM_IRQ_TYPE_SPI, 0, 64, 1), EINVAL,
		"SPI 64 of 64 interrupts: EINVAL");
	CHECK_NEG(irq_line(&vm, KVM_ARM_IRQ_TYPE_PPI, 0, 15, 1), EINVAL,
		"PPI 15 (an SGI): EINVAL");
	CHECK_NEG(irq_line(&vm, KVM_ARM_IRQ_TYPE_PPI, 5, 27, 1), EINVAL,
		"PPI of vCPU 5 that does not exist: EINVAL");

	CHECK_EQ(vgic_get32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_ICFGR + 8),
	       0xaaaaaaaa, "SPIs reset edge-triggered (ICFGR2)");
	vgic_set32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_ICFGR + 8, 0);
	/* level-sensitive SPI 40 */
	CHECK_EQ(irq_line(&vm, KVM_ARM_IRQ_TYPE_SPI, 0, 40, 1), 0, "SPI 40 high");
	vgic_get(fd, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, LINE(0, 32), &lv);
	CHECK_EQ(lv & 0xffffffff, 1u << 8, "LEVEL_INFO: line 40 high");
	CHECK_EQ(vgic_get32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_ISPENDR + 4),
	       0, "ISPENDR (the latch): 0 for a level held high");
	CHECK_EQ(irq_line(&vm, KVM_ARM_IRQ_TYPE_SPI, 0, 40, 0), 0, "SPI 40 low");
	vgic_get(fd, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, LINE(0, 32), &lv);
	CHECK_EQ(lv & 0xffffffff, 0, "LEVEL_INFO: line 40 low");

	/* edge-triggered SPI 41: ICFGR2 field 9 = 0b10 */
	vgic_set32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_ICFGR + 8, 2u << 18);
	CHECK_EQ(irq_line(&vm, KVM_ARM_IRQ_TYPE_SPI, 0, 41, 1), 0,
	       "SPI 41 (edge) raised");
	irq_line(&vm, KVM_ARM_IRQ_TYPE_SPI, 0, 41, 0);
	CHECK_EQ(vgic_get32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_ISPENDR + 4),
	       1u << 9, "the edge is latched pending after the line drops");

	/* PPI 27 of vCPU 1 only */
	CHECK_EQ(irq_line(&vm, KVM_ARM_IRQ_TYPE_PPI, 1, 27, 1), 0,
	       "PPI 27 of vCPU 1 high");
	vgic_get(fd, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, LINE(1, 0), &lv);
	CHECK_EQ(lv & 0xffffffff, 1u << 27, "LEVEL_INFO of vCPU 1: PPI 27");
	vgic_get(fd, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, LINE(0, 0), &lv);
	CHECK_EQ(lv & 0xffffffff, 0, "LEVEL_INFO of vCPU 0: nothing");

	/* destroyed with SPIs and a PPI pending */
	irq_line(&vm, KVM_ARM_IRQ_TYPE_SPI, 0, 40, 1);
	close(fd);
	vmm_vcpu_destroy(&v[0]);
	vmm_vcpu_destroy(&v[1]);
	vmm_vm_destroy(&vm);
	tap_check(1, "VM destroyed with interrupts pending", NULL);
}

/* b . */
static const uint32_t spin[] = { 0x14000000 };

/*
 * Interrupts raised while the target vCPU runs in the guest on another
 * CPU: it is kicked (an IPI) from KVM_IRQ_LINE, and the host log must stay
 * clean (the testbed fails a run with a WARNING).
 */
static void irq_while_running(void)
{
	struct vmm_bg_run bg;
	struct vmm_vcpu v;
	struct vmm_vm vm;
	int fd, i, bad = 0;

	TAP_REQUIRE(!vmm_simple_vm(&vm, &v, spin, sizeof(spin), 0),
		    "VM with a spinning vCPU", NULL);
	fd = vgic_setup(&vm, 64);
	TAP_REQUIRE(fd >= 0, "GIC", "got %d", fd);
	vgic_set32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_ISENABLER + 4, ~0u);
	vgic_set32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_CTLR, 0x2);
	TAP_REQUIRE(!vmm_bg_run_start(&bg, &v), "vCPU running in a thread", NULL);
	usleep(200000);
	for (i = 0; i < 200; i++) {
		bad |= irq_line(&vm, KVM_ARM_IRQ_TYPE_SPI, 0, 40, 1);
		bad |= irq_line(&vm, KVM_ARM_IRQ_TYPE_SPI, 0, 41, i & 1);
	}
	CHECK_EQ(bad, 0, "400 KVM_IRQ_LINE while the vCPU runs");
	vmm_bg_run_wait(&bg, 5000, true);
	vmm_bg_run_join(&bg);
	close(fd);
	vmm_vcpu_destroy(&v);
	vmm_vm_destroy(&vm);
}

int main(void)
{
	int fds;

	tap_init();
	if (!vgic_available()) {
		tap_skip("VGIC_V3 state", "no GICv3 device here");
		return tap_done();
	}
	fds = vmm_count_fds();
	round_trip();
	irq_lines();
	irq_while_running();
	CHECK_EQ(vmm_count_fds(), fds, "no file descriptor left behind");
	return tap_done();
}
