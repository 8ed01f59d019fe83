// SPDX-License-Identifier: GPL-2.0
/*
 * Host checks for arm64: may modkvm take EL2 on this machine?
 *
 * Each CPU is asked, on itself, at which exception level the kernel runs
 * and whether EL2 exists at all. modkvm needs every CPU to agree, and (for
 * either a VHE host (the kernel itself at EL2 with HCR_EL2.E2H set) or an
 * nVHE host (kernel at EL1, Linux's hyp stub at EL2), where nvhe.c takes
 * EL2 from the stub and runs the world switch there, unless loaded with
 * nvhe=0. CPUs brought online later are checked the same way and kept
 * offline if they differ.
 *
 * Whether the in-kernel KVM already owns EL2 is decided when /dev/kvm is
 * registered (see dev.c): it registers that device when it initializes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "sys_regs.h"

/* Fields of the ID registers, from the Arm ARM (DDI 0487). */
#define ID_PFR0_EL2_FIELD	GENMASK_ULL(11, 8)	/* ID_AA64PFR0_EL1.EL2 */
#define ID_MMFR1_VH_FIELD	GENMASK_ULL(11, 8)	/* ID_AA64MMFR1_EL1.VH */
#define HCR_E2H_BIT		BIT_ULL(34)

struct cpu_el {
	u8 el;		/* exception level the kernel runs at */
	u8 el2;		/* EL2 implemented (ID_AA64PFR0_EL1.EL2 != 0) */
	u8 vh;		/* VHE implemented (ID_AA64MMFR1_EL1.VH != 0) */
	u8 e2h;		/* HCR_EL2.E2H, only meaningful at EL2 */
};

static DEFINE_PER_CPU(struct cpu_el, modkvm_cpu_el);
static struct cpu_el modkvm_boot_el;
static enum cpuhp_state modkvm_hp_state;

static void modkvm_read_cpu_el(void *unused)
{
	struct cpu_el *e = this_cpu_ptr(&modkvm_cpu_el);

	e->el = (read_sysreg(CurrentEL) >> 2) & 3;
	e->el2 = FIELD_GET(ID_PFR0_EL2_FIELD, read_sysreg(id_aa64pfr0_el1)) != 0;
	e->vh = FIELD_GET(ID_MMFR1_VH_FIELD, read_sysreg(id_aa64mmfr1_el1)) != 0;
	e->e2h = e->el == 2 && (read_sysreg(hcr_el2) & HCR_E2H_BIT);
}

static bool cpu_el_same(const struct cpu_el *a, const struct cpu_el *b)
{
	return a->el == b->el && a->el2 == b->el2 && a->vh == b->vh &&
	       a->e2h == b->e2h;
}

/* Why this CPU cannot host modkvm, or NULL if it can. */
static const char *cpu_el_refusal(const struct cpu_el *e)
{
	if (!e->el2)
		return "the CPU has no EL2 (virtualization extensions absent or disabled by firmware/emulator)";
	if (e->el != 2 && modkvm_nvhe_enabled())
		return NULL;	/* nvhe.c */
	if (e->el != 2)
		return "the kernel runs at EL1 (nVHE host) and nvhe=0 was given: load without it to take EL2 from the hyp stub";
	if (!e->e2h)
		return "the kernel runs at EL2 without HCR_EL2.E2H (not a VHE host)";
	return NULL;
}

static int modkvm_cpu_online(unsigned int cpu)
{
	struct cpu_el *e = this_cpu_ptr(&modkvm_cpu_el);

	modkvm_read_cpu_el(NULL);
	if (!cpu_el_same(e, &modkvm_boot_el)) {
		pr_err("CPU%u differs from the boot CPUs (kernel at EL%u, EL2 %s): keeping it offline\n",
		       cpu, e->el, e->el2 ? "present" : "absent");
		return -EINVAL;
	}
	return 0;
}

int modkvm_arch_init(void)
{
	const char *why;
	unsigned int cpu, first;
	int ret;

	/* A system register table the lookups would get wrong is a bug */
	ret = modkvm_sys_regs_init();
	if (ret) {
		pr_err("refusing to load: the system register table is inconsistent (see above)\n");
		return ret;
	}

	cpus_read_lock();
	on_each_cpu(modkvm_read_cpu_el, NULL, 1);
	first = cpumask_first(cpu_online_mask);
	modkvm_boot_el = *per_cpu_ptr(&modkvm_cpu_el, first);
	for_each_online_cpu(cpu) {
		const struct cpu_el *e = per_cpu_ptr(&modkvm_cpu_el, cpu);

		if (!cpu_el_same(e, &modkvm_boot_el)) {
			cpus_read_unlock();
			pr_err("refusing to load: CPUs disagree: CPU%u runs the kernel at EL%u (EL2 %s), CPU%u at EL%u (EL2 %s)\n",
			       first, modkvm_boot_el.el,
			       modkvm_boot_el.el2 ? "present" : "absent",
			       cpu, e->el, e->el2 ? "present" : "absent");
			return -ENODEV;
		}
	}
	cpus_read_unlock();

	why = cpu_el_refusal(&modkvm_boot_el);
	if (why) {
		pr_err("refusing to load: %s\n", why);
		return -ENODEV;
	}

	ret = modkvm_vmid_init();
	if (ret)
		return ret;

	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "modkvm:online",
					modkvm_cpu_online, NULL);
	if (ret < 0) {
		modkvm_vmid_exit();
		return ret;
	}
	modkvm_hp_state = ret;
	if (modkvm_boot_el.el != 2) {
		ret = modkvm_nvhe_init();
		if (ret) {
			cpuhp_remove_state_nocalls(modkvm_hp_state);
			modkvm_vmid_exit();
			return ret;
		}
	}
	return 0;
}

void modkvm_arch_exit(void)
{
	if (modkvm_boot_el.el != 2)
		modkvm_nvhe_exit();
	cpuhp_remove_state_nocalls(modkvm_hp_state);
	modkvm_arch_vgic_exit();
	modkvm_vmid_exit();
}

/* Only once modkvm is sure to own EL2: the guest timer's interrupt. */
/* Once /dev/kvm is ours: a refused load prints only its refusal. */
void modkvm_arch_start(void)
{
	pr_info("%s host: guest IPA up to %u bits, %u-bit VMIDs, stage-2 forced write-back %s\n",
		modkvm_boot_el.el == 2 ? "VHE" : "nVHE", modkvm_host_ipa_limit(),
		modkvm_vmid_width(),
		modkvm_s2fwb_usable() ? "on" : "off");
	modkvm_vtimer_irq_init();
}

void modkvm_arch_stop(void)
{
	modkvm_vtimer_irq_exit();
}
