// SPDX-License-Identifier: GPL-2.0
/*
 * A module that does nothing: reload_leak.sh loads and unloads it as many
 * times as modkvm, so that what the kernel's module loader itself leaves
 * behind in the slab caches is not blamed on modkvm.
 *
 * With cpu_pm_cycles=N (nvhe_el2.sh; default 0: nothing) it also drives
 * the kernel's CPU power management notifications by hand, which the
 * emulated server never sends (its CPUs have no idle state that powers
 * them down): on each online CPU, N times, from a task bound to it with
 * interrupts off, as the idle task would, cpu_pm_enter() then
 * cpu_pm_exit(). With cpu_pm_ask_el2=1, on an nVHE host (kernel at EL1
 * booted with the hyp stub: an HVC is UNDEFINED otherwise), it asks EL2
 * with modkvm's self-test call who holds it before, between and after,
 * and prints one line that nvhe_el2.sh checks:
 *   control: cpu_pm: C cycles on P CPUs: EL2 modkvm's before B, the
 *   stub's between S, modkvm's after A; cpu_pm_enter failed F
 * Only the notifications are exercised: the CPU does not really lose
 * power, so EL2's registers are not really lost in between.
 *
 * With soft_restart=1 (nVHE, modkvm loaded; nvhe_el2.sh) it makes the
 * hyp stub's HVC_SOFT_RESTART call, which kexec makes, on each online
 * CPU: modkvm's vectors must give EL2 back and then do what the stub
 * does, run the given entry at EL2 with the MMU off. The entry is two
 * instructions in a page of this module, MRS X0, VBAR_EL2 and ERET, so
 * EL1 gets the vectors EL2 had by then (the stub's). Then CPU_PM_ENTER
 * and EXIT make modkvm take EL2 again (its notifier gives back what the
 * stub already holds). One line:
 *   control: soft_restart: P CPUs: VBAR_EL2 V from the entry (the same
 *   on S), the stub's after it T, modkvm's after CPU PM M
 */
#include <linux/cpu.h>
#include <linux/cpu_pm.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/smp.h>
#include <asm/cacheflush.h>
#include <asm/sysreg.h>

static unsigned int cpu_pm_cycles;
module_param(cpu_pm_cycles, uint, 0444);
MODULE_PARM_DESC(cpu_pm_cycles,
		 "testing: CPU_PM_ENTER/EXIT cycles to drive on each online CPU at load (default 0: none)");

static bool cpu_pm_ask_el2;
module_param(cpu_pm_ask_el2, bool, 0444);
MODULE_PARM_DESC(cpu_pm_ask_el2,
		 "testing: with cpu_pm_cycles, ask EL2 by HVC who holds it (only for a kernel at EL1 booted with Linux's hyp stub at EL2; default 0)");

static bool soft_restart;
module_param(soft_restart, bool, 0444);
MODULE_PARM_DESC(soft_restart,
		 "testing, nVHE with modkvm loaded: the hyp stub's HVC_SOFT_RESTART on each online CPU, then CPU_PM_ENTER/EXIT (default 0)");

/* modkvm's EL2 self-test call (arch/arm64/hyp/nvhe/nvhe_asm.h): NV_HVC_PING */
#define MODKVM_HVC_PING	0x4d4b0001UL
#define STUB_ERR	0xbadca11UL	/* what the hyp stub answers to it */

enum { EL2_MODKVM, EL2_STUB, EL2_OTHER };

static atomic_t n_cycles, n_before, n_between, n_after, n_fail;

/* Who answers an HVC at EL2 on this CPU (interrupts off) */
static int el2_owner(void)
{
	register unsigned long x0 asm("x0") = MODKVM_HVC_PING;

	/* modkvm's EL2 may change X0-X17 (hyp/nvhe/host.S) */
	asm volatile("hvc #0"
		     : "+r"(x0)
		     :
		     : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9",
		       "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17",
		       "memory");
	if (!x0)
		return EL2_MODKVM;
	return x0 == STUB_ERR ? EL2_STUB : EL2_OTHER;
}

static int control_cpu_pm_cycle(void *unused)
{
	bool ask = cpu_pm_ask_el2 && read_sysreg(CurrentEL) == CurrentEL_EL1;
	int ret;

	local_irq_disable();
	if (ask && el2_owner() == EL2_MODKVM)
		atomic_inc(&n_before);
	ret = cpu_pm_enter();
	if (!ret) {
		if (ask && el2_owner() == EL2_STUB)
			atomic_inc(&n_between);
		cpu_pm_exit();
	}
	if (ask && el2_owner() == EL2_MODKVM)
		atomic_inc(&n_after);
	local_irq_enable();
	if (ret)
		atomic_inc(&n_fail);
	else
		atomic_inc(&n_cycles);
	return ret;
}

#define HVC_SOFT_RESTART	1	/* the hyp stub's (asm/virt.h) */
#define A64_MRS_X0_VBAR_EL2	0xd53cc000	/* Arm ARM: MRS, VBAR_EL2 */
#define A64_ERET		0xd69f03e0

static phys_addr_t sr_entry;
static unsigned long sr_vbar;
static atomic_t sr_cpus, sr_same, sr_stub, sr_modkvm;

static int control_soft_restart(void *unused)
{
	register unsigned long x0 asm("x0") = HVC_SOFT_RESTART;
	register unsigned long x1 asm("x1") = sr_entry;
	register unsigned long x2 asm("x2") = 0;
	register unsigned long x3 asm("x3") = 0;
	register unsigned long x4 asm("x4") = 0;

	if (read_sysreg(CurrentEL) != CurrentEL_EL1)
		return -ENODEV;
	local_irq_disable();
	asm volatile("hvc #0"
		     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4)
		     :
		     : "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
		       "x13", "x14", "x15", "x16", "x17", "memory");
	if (atomic_inc_return(&sr_cpus) == 1)
		sr_vbar = x0;
	if (x0 == READ_ONCE(sr_vbar))
		atomic_inc(&sr_same);
	if (el2_owner() == EL2_STUB)
		atomic_inc(&sr_stub);
	if (!cpu_pm_enter())
		cpu_pm_exit();
	if (el2_owner() == EL2_MODKVM)
		atomic_inc(&sr_modkvm);
	local_irq_enable();
	return 0;
}

static void control_soft_restart_all(void)
{
	unsigned int cpu;
	u32 *code;

	code = (u32 *)__get_free_page(GFP_KERNEL);
	if (!code) {
		pr_err("control: soft_restart: no memory\n");
		return;
	}
	code[0] = A64_MRS_X0_VBAR_EL2;
	code[1] = A64_ERET;
	/* EL2 fetches it with its MMU off: to the point of coherency */
	asm volatile("dc civac, %0\n\tdsb sy" : : "r"(code) : "memory");
	caches_clean_inval_pou((unsigned long)code, (unsigned long)code + 8);
	sr_entry = virt_to_phys(code);
	cpus_read_lock();
	for_each_online_cpu(cpu)
		smp_call_on_cpu(cpu, control_soft_restart, NULL, false);
	pr_info("control: soft_restart: %u CPUs: VBAR_EL2 %#lx from the entry (the same on %d), the stub's after it %d, modkvm's after CPU PM %d\n",
		num_online_cpus(), sr_vbar, atomic_read(&sr_same),
		atomic_read(&sr_stub), atomic_read(&sr_modkvm));
	cpus_read_unlock();
	free_page((unsigned long)code);
}

static int __init control_init(void)
{
	unsigned int cpu, i;

	if (soft_restart)
		control_soft_restart_all();
	if (!cpu_pm_cycles)
		return 0;
	cpus_read_lock();
	for_each_online_cpu(cpu)
		for (i = 0; i < cpu_pm_cycles; i++)
			smp_call_on_cpu(cpu, control_cpu_pm_cycle, NULL, false);
	pr_info("control: cpu_pm: %d cycles on %u CPUs: EL2 modkvm's before %d, the stub's between %d, modkvm's after %d; cpu_pm_enter failed %d\n",
		atomic_read(&n_cycles), num_online_cpus(), atomic_read(&n_before),
		atomic_read(&n_between), atomic_read(&n_after),
		atomic_read(&n_fail));
	cpus_read_unlock();
	return 0;
}

static void __exit control_exit(void)
{
}

module_init(control_init);
module_exit(control_exit);
MODULE_DESCRIPTION("modkvm selftests: control module for the leak check, and CPU PM notifications for nvhe_el2.sh");
MODULE_LICENSE("GPL");
