// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: the host side of the guest's virtual timer interrupt.
 *
 * The guest's EL1 virtual timer is in the hardware while it runs; when it
 * fires, its PPI must make the guest exit at once, so that userspace's
 * interrupt controller learns of it without waiting for the host's next
 * tick. modkvm takes that PPI (it is free: with kvm-arm.mode=none nothing
 * else uses it), from the device tree's "arm,armv8-timer" node or ACPI's
 * GTDT. The handler has little to do: the exit itself is the point, and
 * the switch silences the timer before the host runs.
 *
 * While userspace has been told the timer is firing and the guest has not
 * yet dealt with it, the PPI is kept disabled on the CPU, or the guest
 * would exit again at every entry.
 *
 * Without the PPI, timer expiries while the guest runs are still noticed
 * at the host's next interrupt.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/cpuhotplug.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/of.h>
#include <linux/of_irq.h>
#include <linux/percpu.h>
#include <asm/sysreg.h>

#include "modkvm.h"

static int vtimer_irq;			/* 0: none */
static enum cpuhp_state vtimer_hp;
static DEFINE_PER_CPU(u8, vtimer_dev);	/* dev_id for the per-CPU IRQ */
static DEFINE_PER_CPU(bool, vtimer_enabled);

/*
 * The EL1 virtual timer, which only guests use: from the VHE host at EL2
 * through CNTV_CTL_EL02, from the nVHE host at EL1 by its own name.
 */
static void modkvm_vtimer_off(void)
{
	if (modkvm_host_nvhe())
		write_sysreg(0, cntv_ctl_el0);
	else
		write_sysreg_s(0, SYS_CNTV_CTL_EL02);
}

static irqreturn_t modkvm_vtimer_handler(int irq, void *dev)
{
	/* Only the host runs here: the guest's timer is already saved. */
	modkvm_vtimer_off();
	return IRQ_HANDLED;
}

static int modkvm_vtimer_irq_from_dt(void)
{
	struct device_node *np;
	int irq;

	np = of_find_compatible_node(NULL, NULL, "arm,armv8-timer");
	if (!np)
		return 0;
	irq = irq_of_parse_and_map(np, 2);	/* secure, phys, virt, hyp */
	of_node_put(np);
	return irq;
}

static int modkvm_vtimer_irq_from_acpi(void)
{
#ifdef CONFIG_ACPI
	struct acpi_table_header *hdr;
	struct acpi_table_gtdt *gtdt;
	int irq = 0, trigger, polarity;

	if (acpi_disabled || ACPI_FAILURE(acpi_get_table(ACPI_SIG_GTDT, 0, &hdr)))
		return 0;
	gtdt = container_of(hdr, struct acpi_table_gtdt, header);
	if (gtdt->virtual_timer_interrupt) {
		trigger = gtdt->virtual_timer_flags & ACPI_GTDT_INTERRUPT_MODE ?
			  ACPI_EDGE_SENSITIVE : ACPI_LEVEL_SENSITIVE;
		polarity = gtdt->virtual_timer_flags & ACPI_GTDT_INTERRUPT_POLARITY ?
			   ACPI_ACTIVE_LOW : ACPI_ACTIVE_HIGH;
		irq = acpi_register_gsi(NULL, gtdt->virtual_timer_interrupt,
					trigger, polarity);
	}
	acpi_put_table(hdr);
	return irq > 0 ? irq : 0;
#else
	return 0;
#endif
}

static int modkvm_vtimer_cpu_up(unsigned int cpu)
{
	modkvm_vtimer_off();	/* nothing pending from before */
	enable_percpu_irq(vtimer_irq, IRQ_TYPE_NONE);
	this_cpu_write(vtimer_enabled, true);
	return 0;
}

static int modkvm_vtimer_cpu_down(unsigned int cpu)
{
	disable_percpu_irq(vtimer_irq);
	this_cpu_write(vtimer_enabled, false);
	return 0;
}

/*
 * Before entering the guest (interrupts off): the PPI on this CPU is
 * enabled unless userspace has been told the virtual timer is firing.
 */
void modkvm_vtimer_irq_sync(struct modkvm_vcpu *vcpu)
{
	bool want = !(vcpu->arch.timer.reported & KVM_ARM_DEV_EL1_VTIMER);

	if (!vtimer_irq || __this_cpu_read(vtimer_enabled) == want)
		return;
	if (want)
		enable_percpu_irq(vtimer_irq, IRQ_TYPE_NONE);
	else
		disable_percpu_irq(vtimer_irq);
	__this_cpu_write(vtimer_enabled, want);
}

void modkvm_vtimer_irq_init(void)
{
	int irq, ret;

	irq = modkvm_vtimer_irq_from_dt();
	if (!irq)
		irq = modkvm_vtimer_irq_from_acpi();
	if (!irq) {
		pr_info("no virtual timer interrupt found: guest timer expiries are seen at the host's next interrupt\n");
		return;
	}
	ret = __request_percpu_irq(irq, modkvm_vtimer_handler, 0,
				   "modkvm-vtimer", &vtimer_dev);
	if (ret) {
		pr_info("virtual timer interrupt %d unavailable (%d): guest timer expiries are seen at the host's next interrupt\n",
			irq, ret);
		return;
	}
	vtimer_irq = irq;
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "modkvm:vtimer",
				modkvm_vtimer_cpu_up, modkvm_vtimer_cpu_down);
	if (ret < 0) {
		free_percpu_irq(irq, &vtimer_dev);
		vtimer_irq = 0;
		return;
	}
	vtimer_hp = ret;
}

void modkvm_vtimer_irq_exit(void)
{
	if (!vtimer_irq)
		return;
	cpuhp_remove_state(vtimer_hp);
	free_percpu_irq(vtimer_irq, &vtimer_dev);
	vtimer_irq = 0;
}
