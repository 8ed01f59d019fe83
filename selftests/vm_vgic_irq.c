// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts reaching a guest through the in-kernel GICv3: the guest
 * turns on its CPU interface (ICC_SRE_EL1, ICC_PMR_EL1, ICC_IGRPEN1_EL1),
 * the distributor and its redistributor through MMIO, and takes IRQs at
 * VBAR_EL1 + 0x280, acknowledging with ICC_IAR1_EL1 and ending them with
 * ICC_EOIR1_EL1; it reports each INTID it took to userspace. Checked: an
 * edge SPI is taken once, a level SPI again after its EOI while its line
 * stays high and never once the line is low, the virtual timer's PPI
 * (also raised while the guest has IRQs masked: taken once unmasked, but
 * not if the guest turned the timer off first),
 * more pending SPIs than the CPU has list registers all taken once each,
 * an SGI (ICC_SGI1R_EL1) from one vCPU to another, and a vCPU in WFI
 * with IRQs masked woken by an SGI, or not sleeping with one pending,
 * and the guest's CPU interface state read and written by userspace
 * through CPU_SYSREGS.
 *
 * The guest polls userspace with an MMIO read of CMD between interrupts;
 * every interrupt the hypervisor has for it is taken before the next
 * poll returns... at the latest the poll after (a level interrupt comes
 * back after its EOI, seen at the next exit), so the checks count what
 * arrived over a few polls.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "lib/vgic_guest.h"

static void spis(void)
{
	struct machine m;
	struct seen s;
	unsigned int i, missing, twice;
	uint64_t us, pfr0;
	bool ok;

	TAP_REQUIRE(machine_up(&m, 1),
		    "guest with its GIC CPU interface, distributor and redistributor on", NULL);
	pfr0 = 0;
	vmm_get64(&m.v[0], ARM64_SYS_REG(3, 0, 0, 4, 0), &pfr0);
	CHECK_EQ((pfr0 >> 24) & 0xf, 1, "ID_AA64PFR0_EL1.GIC is 1 in a VM with the GIC");
	CHECK_EQ(vmm_set64(&m.v[0], ARM64_SYS_REG(3, 0, 0, 4, 0), pfr0), 0,
	       "... and may be written back unchanged after the first run");

	/* edge: one rising edge, taken once */
	seen_clear(&s);
	irq_line(&m.vm, KVM_ARM_IRQ_TYPE_SPI, 0, 40, 1);
	irq_line(&m.vm, KVM_ARM_IRQ_TYPE_SPI, 0, 40, 0);
	ok = run_polls(&m.v[0], 3, CMD_NONE, 0, &s);
	tap_check(ok && s.count[40] == 1 && s.total == 1,
		  "edge SPI 40 by KVM_IRQ_LINE: taken once by the guest",
		  "taken %u times, %u IRQs in all", s.count[40], s.total);

	/*
	 * level: taken again after each EOI while the line stays high (the
	 * guest never gets back to its poll: stop at the third); lowered
	 * while the guest is in its handler, it is not taken again
	 */
	seen_clear(&s);
	s.stop = 3;
	irq_line(&m.vm, KVM_ARM_IRQ_TYPE_SPI, 0, 41, 1);
	ok = run_polls(&m.v[0], 4, CMD_NONE, 0, &s);
	tap_check(ok && s.count[41] == 3 && s.total == 3,
		  "level SPI 41 held high: taken again after each EOI",
		  "taken %u times, %u IRQs in all", s.count[41], s.total);
	irq_line(&m.vm, KVM_ARM_IRQ_TYPE_SPI, 0, 41, 0);
	seen_clear(&s);
	ok = run_polls(&m.v[0], 3, CMD_NONE, 0, &s);
	tap_check(ok && s.total == 0,
		  "level SPI 41 lowered before its EOI: not taken again",
		  "%u IRQs", s.total);

	/* more pending than any CPU's list registers (at most 16) */
	seen_clear(&s);
	for (i = 0; i < 40; i++) {
		irq_line(&m.vm, KVM_ARM_IRQ_TYPE_SPI, 0, 42 + i, 1);
		irq_line(&m.vm, KVM_ARM_IRQ_TYPE_SPI, 0, 42 + i, 0);
	}
	ok = run_polls(&m.v[0], 6, CMD_NONE, 0, &s);
	for (i = missing = twice = 0; i < 40; i++) {
		missing += !s.count[42 + i];
		twice += s.count[42 + i] > 1;
	}
	tap_check(ok && !missing && !twice && s.total == 40,
		  "40 edge SPIs pending at once: each taken exactly once",
		  "%u missing, %u twice, %u IRQs in all", missing, twice, s.total);

	/*
	 * the same, disabled while raised, then enabled by the guest, which
	 * takes them for 100 ms without causing an exit, and reports when
	 * it took the last. With list registers refilled only at the
	 * enabling exits and at host timer ticks (HZ 250 at most), a CPU
	 * with 4 list registers (the testbed's) would need 8 ticks, 28 ms
	 * or more; much less means the guest left for the rest by itself
	 * (the maintenance interrupt)
	 */
	seen_clear(&s);
	vgic_set32(m.gic, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_ICENABLER + 4, ~0u);
	vgic_set32(m.gic, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_ICENABLER + 8, ~0u);
	for (i = 0; i < 40; i++) {
		irq_line(&m.vm, KVM_ARM_IRQ_TYPE_SPI, 0, 42 + i, 1);
		irq_line(&m.vm, KVM_ARM_IRQ_TYPE_SPI, 0, 42 + i, 0);
	}
	ok = run_polls(&m.v[0], 2, CMD_QUIET, TICKS_PER_S / 10, &s);
	us = (s.report >> 16) * 1000000 / TICKS_PER_S;
	tap_check(ok && (s.report & 0xffff) == 40 && !s.total,
		  "40 edge SPIs taken by a guest that does not exit",
		  "%llu taken", (unsigned long long)(s.report & 0xffff));
	tap_diag("the 40th taken %llu us after the guest enabled them",
		 (unsigned long long)us);
	tap_check(us < 20000, "... within 20 ms: not waiting for host ticks",
		  "%llu us", (unsigned long long)us);

	/* the virtual timer's PPI */
	seen_clear(&s);
	ok = run_polls(&m.v[0], 1, CMD_TIMER, 0, &s);
	for (i = 0; ok && i < 200 && !s.count[27]; i++)
		ok = run_polls(&m.v[0], 1, CMD_NONE, 0, &s);
	tap_check(ok && s.count[27] == 1 && s.total == 1,
		  "virtual timer PPI 27 taken by the guest",
		  "taken %u times, %u IRQs in all", s.count[27], s.total);

	/*
	 * its line raised with the guest's IRQs masked and seen by an exit,
	 * lowered by the guest, no exit, IRQs unmasked: not taken, as on a
	 * GIC. The in-kernel KVM gives it (it stays in the list register
	 * until the next exit): there the result is only printed.
	 */
	seen_clear(&s);
	ok = run_polls(&m.v[0], 3, CMD_WITHDRAW, 0, &s);
	if (vmm_is_modkvm())
		tap_check(ok && !s.count[27],
			  "virtual timer PPI 27 turned off by the guest with IRQs masked, after an exit saw it high: not taken",
			  "taken %u times (1023: %u)", s.count[27], s.count[1023]);
	else
		tap_diag("the in-kernel KVM: a virtual timer PPI the guest turned off with IRQs masked was taken %u times (1023: %u)",
			 s.count[27], s.count[1023]);
	/* ... and left on: taken once */
	seen_clear(&s);
	ok = run_polls(&m.v[0], 3, CMD_MASKED_TIMER, 0, &s);
	tap_check(ok && s.count[27] == 1 && s.total == 1,
		  "virtual timer PPI 27 raised while the guest's IRQs are masked, left on: taken once they are unmasked",
		  "taken %u times, %u IRQs in all", s.count[27], s.total);

	machine_down(&m, 1);
}

/* ICC_SGI1R_EL1 (IHI 0069 12.2.22): INTID [27:24], TargetList [15:0] */
#define SGI1R(intid, targets)	(((uint64_t)(intid) << 24) | (targets))

struct bg_poll {
	struct vmm_vcpu *v;
	struct seen s;
	bool ok;
};

static void *bg_poll(void *arg)
{
	struct bg_poll *b = arg;

	b->ok = run_polls(b->v, 1, CMD_NONE, 0, &b->s);
	return NULL;
}

/* vCPU 1 in WFI with SGI @intid from vCPU 0: after it sleeps or before */
static bool wfi(struct machine *m, unsigned int intid, bool asleep)
{
	struct bg_poll b = { .v = &m->v[1] };
	struct timespec until;
	struct seen s;
	pthread_t t;
	bool ok;

	seen_clear(&s);
	/* the WFI command, and the poll just before its WFI */
	ok = run_polls(&m->v[1], 2, CMD_WFI, 0, &s);
	if (!asleep)
		ok &= run_polls(&m->v[0], 2, CMD_SGI, SGI1R(intid, 1u << 1), &s);
	if (pthread_create(&t, NULL, bg_poll, &b))
		return false;
	if (asleep) {
		usleep(300000);
		ok &= run_polls(&m->v[0], 2, CMD_SGI, SGI1R(intid, 1u << 1), &s);
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	if (pthread_timedjoin_np(t, NULL, &until)) {
		tap_check(0, "vCPU 1 in WFI wakes for an SGI from vCPU 0",
			  "SGI %u %s its WFI: still in KVM_RUN after 10 s",
			  intid, asleep ? "after" : "before");
		exit(tap_done());
	}
	tap_check(ok && b.ok && b.s.count[intid] == 1 && b.s.total == 1 &&
		  !s.total, asleep ?
		  "vCPU 1 in WFI wakes for SGI 6 from vCPU 0 and takes it" :
		  "vCPU 1 does not sleep in WFI with SGI 7 pending, takes it",
		  "taken %u times, %u IRQs in all", b.s.count[intid], b.s.total);
	return true;
}

/*
 * The CPU interface state the guest programmed is what CPU_SYSREGS reads
 * (the guest set PMR 0xff and IGRPEN1 1; PMR holds as many of the
 * top bits as priority bits are implemented: IHI 0069 4.8), and what userspace writes there
 * is what the guest's interface uses: PMR 0 holds back an SPI the guest
 * takes as soon as PMR is opened again (a restored VM's interface).
 */
static void cpu_interface(void)
{
	struct machine m;
	struct seen s;
	bool ok;

	TAP_REQUIRE(machine_up(&m, 1),
		    "guest with its GIC CPU interface on, for CPU_SYSREGS", NULL);
	/* 0xff as far as priority bits are implemented (5 at least) */
	CHECK_EQ(vgic_get64(m.gic, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
			    VCPU_ATTR(0) | ICC_PMR) & ~7ULL, 0xf8,
		 "CPU_SYSREGS ICC_PMR_EL1 reads what the guest wrote (0xff, to the implemented bits)");
	CHECK_EQ(vgic_get64(m.gic, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
			    VCPU_ATTR(0) | ICC_IGRPEN1), 1,
		 "CPU_SYSREGS ICC_IGRPEN1_EL1 reads what the guest wrote (1)");

	CHECK_EQ(vgic_set64(m.gic, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
			    VCPU_ATTR(0) | ICC_PMR, 0), 0,
		 "CPU_SYSREGS ICC_PMR_EL1 set to 0 (every priority masked)");
	seen_clear(&s);
	irq_line(&m.vm, KVM_ARM_IRQ_TYPE_SPI, 0, 40, 1);
	irq_line(&m.vm, KVM_ARM_IRQ_TYPE_SPI, 0, 40, 0);
	ok = run_polls(&m.v[0], 3, CMD_NONE, 0, &s);
	tap_check(ok && s.total == 0,
		  "with ICC_PMR_EL1 0 from userspace, a pending SPI is held back",
		  "%u IRQs taken", s.total);
	CHECK_EQ(vgic_set64(m.gic, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
			    VCPU_ATTR(0) | ICC_PMR, 0xff), 0,
		 "CPU_SYSREGS ICC_PMR_EL1 set back to 0xff");
	seen_clear(&s);
	ok = run_polls(&m.v[0], 3, CMD_NONE, 0, &s);
	tap_check(ok && s.count[40] == 1 && s.total == 1,
		  "... and the guest then takes the SPI, once",
		  "taken %u times, %u IRQs in all", s.count[40], s.total);
	machine_down(&m, 1);
}

static void sgis(void)
{
	struct machine m;
	struct seen s;
	bool ok;

	TAP_REQUIRE(machine_up(&m, 2), "two vCPUs with their GIC on", NULL);

	/* vCPU 0 sends SGI 5 to vCPU 1, which is not running */
	seen_clear(&s);
	ok = run_polls(&m.v[0], 2, CMD_SGI, SGI1R(5, 1u << 1), &s);
	tap_check(ok && !s.total, "ICC_SGI1R_EL1 to vCPU 1: the sender takes nothing",
		  "%u IRQs", s.total);
	seen_clear(&s);
	ok = run_polls(&m.v[1], 2, CMD_NONE, 0, &s);
	tap_check(ok && s.count[5] == 1 && s.total == 1,
		  "SGI 5 from vCPU 0 taken by vCPU 1",
		  "taken %u times, %u IRQs in all", s.count[5], s.total);

	/*
	 * vCPU 1, IRQs masked, goes into WFI on a thread: woken by SGI 6
	 * raised while it sleeps; and not sleeping at all for SGI 7, raised
	 * before its WFI (that one is in a list register by then, so the
	 * WFI completes without trapping, as HCR_EL2.TWI allows: the
	 * hypervisor's own check for a pending interrupt before it sleeps,
	 * which closes the race with an interrupt raised between the WFI's
	 * exit and the sleep, is not reached by this test)
	 */
	TAP_REQUIRE(wfi(&m, 6, true), "thread", NULL);
	TAP_REQUIRE(wfi(&m, 7, false), "thread", NULL);

	machine_down(&m, 2);
}

int main(void)
{
	tap_init();
	if (!vgic_available()) {
		tap_skip("interrupts into the guest", "no GICv3 device here");
		return tap_done();
	}
	spis();
	cpu_interface();
	sgis();
	return tap_done();
}
