// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of the in-kernel vGICv3 (virt/vgic/): what the hardware
 * offers it, and the list registers as virt/vgic/ fills and reads them.
 *
 * A GICv3 guest needs the host's GICv3 CPU interface with its
 * virtualization part (ICH_*_EL2): ID_AA64PFR0_EL1.GIC says the system
 * register interface is implemented (DDI 0487 D19.2.64: 1 for GICv3 and
 * GICv4, 3 for GICv4.1); with it, EL2 has the ICH_* registers (IHI 0069
 * 12.4). A GICv2-only host has 0 and gets -ENODEV for the device.
 *
 * The maintenance interrupt (IHI 0069 3.3.3 and 12.5.6 ICH_MISR_EL2) is a
 * PPI the firmware names: the "interrupts" property of the GIC's device
 * tree node (devicetree bindings, arm,gic-v3.yaml). The kernel keeps it
 * for its built-in KVM and does not export it, so it is looked up here.
 * It only matters as a reason to leave the guest: while the guest runs,
 * HCR_EL2.IMO sends every physical IRQ to EL2, which is an exit, and the
 * run loop then re-reads the list registers (virt/vgic/vgic_lr.c). The
 * handler has nothing left to do: the switch clears ICH_HCR_EL2 before
 * the host's interrupts are unmasked, which deasserts the (level)
 * maintenance interrupt, so it never stays pending at the host. The same
 * request serves an nVHE host: the PPI is an ordinary interrupt of the
 * host's GIC driver, taken by the kernel at EL1 (the host's HCR_EL2 has
 * IMO clear, so its IRQs are not routed to EL2: Arm ARM, HCR_EL2.IMO), and
 * while a guest runs it exits to EL2 like any other IRQ
 * (the guest vectors of hyp/entry.S, shared).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <asm/cpufeature.h>
#include <asm/virt.h>
#include <asm/sysreg.h>
#include <linux/bitfield.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/mutex.h>
#include <linux/of.h>
#include <linux/of_irq.h>
#include <linux/percpu.h>
#include <linux/string.h>

#include "modkvm.h"
#include "el2_regs.h"

#define PFR0_GIC	GENMASK_ULL(27, 24)

/*
 * VHE and nVHE hosts alike: both world switches switch the virtual CPU
 * interface (hyp/vgic_v3_sr.h). A VHE host reads the ICH_* and ICC_*_EL2
 * registers itself, at EL2; on an nVHE host the kernel runs at EL1, where
 * they are UNDEFINED (IHI 0069 12.4), so nvhe.c reads ICC_SRE_EL2 and
 * ICH_VTR_EL2 at EL2 once, at load. The virtual interface needs
 * ICC_SRE_EL2.SRE (12.7.6), which Linux sets at boot where the system
 * registers work.
 */
/*
 * The maintenance interrupt is named by the GIC's device tree node (see
 * above); a host without it (ACPI, for now) is offered no vGIC at all
 * rather than one whose first KVM_RUN fails. Looked up once.
 */
static bool maint_described(void)
{
	static int described = -1;
	struct device_node *np;
	int d = READ_ONCE(described);

	if (d >= 0)
		return d;
	np = of_find_compatible_node(NULL, NULL, "arm,gic-v3");
	d = np && of_find_property(np, "interrupts", NULL);
	of_node_put(np);
	WRITE_ONCE(described, d);
	return d;
}

bool modkvm_arch_vgic_v3_supported(void)
{
	if (!FIELD_GET(PFR0_GIC, read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1)))
		return false;
	if (!maint_described())
		return false;
	if (modkvm_host_nvhe())
		return modkvm_nvhe_icc_sre_el2() & MK_ICC_SRE_EL2_SRE;
	return is_kernel_in_hyp_mode();
}

/* ICH_VTR_EL2: read here on VHE, at EL2 at load on nVHE (nvhe.c) */
static u64 ich_vtr(void)
{
	if (modkvm_host_nvhe())
		return modkvm_nvhe_ich_vtr_el2();
	return read_sysreg_s(SYS_ICH_VTR_EL2);
}

static DEFINE_MUTEX(maint_lock);
static int maint_irq;		/* Linux IRQ number, 0: not requested */
static int maint_err;		/* why not, once tried */
static DEFINE_PER_CPU(u8, maint_dev);

static irqreturn_t maint_handler(int irq, void *dev)
{
	return IRQ_HANDLED;	/* the exit it caused was the point */
}

static void maint_enable(void *unused)
{
	enable_percpu_irq(maint_irq, IRQ_TYPE_NONE);
}

static void maint_disable(void *unused)
{
	disable_percpu_irq(maint_irq);
}

/* The maintenance interrupt from the device tree, requested once */
static int maint_request(void)
{
	struct device_node *np;
	int irq, ret;

	mutex_lock(&maint_lock);
	if (maint_irq || maint_err)
		goto out;
	np = of_find_compatible_node(NULL, NULL, "arm,gic-v3");
	irq = np ? irq_of_parse_and_map(np, 0) : 0;
	of_node_put(np);
	if (!irq) {
		pr_warn("no GICv3 maintenance interrupt in the device tree: no in-kernel vGIC\n");
		maint_err = -ENODEV;
		goto out;
	}
	ret = request_percpu_irq(irq, maint_handler, "modkvm-vgic-maint",
				 &maint_dev);
	if (ret) {
		pr_warn("maintenance interrupt %d: request failed (%d)\n",
			irq, ret);
		maint_err = ret;
		goto out;
	}
	maint_irq = irq;
	on_each_cpu(maint_enable, NULL, 1);
out:
	mutex_unlock(&maint_lock);
	return maint_err;
}

void modkvm_arch_vgic_exit(void)
{
	if (!maint_irq)
		return;
	on_each_cpu(maint_disable, NULL, 1);
	free_percpu_irq(maint_irq, &maint_dev);
	maint_irq = 0;
}

/* ICH_VTR_EL2.ListRegs + 1 list registers (IHI 0069 12.5.11) */
unsigned int modkvm_arch_vgic_nr_lr(void)
{
	u64 vtr = ich_vtr();

	return min_t(unsigned int, FIELD_GET(MK_ICH_VTR_LISTREGS, vtr) + 1,
		     MODKVM_VGIC_MAX_LR);
}

/* ICH_AP*R<n>_EL2 implemented: 1 for 5 priority bits, 2 for 6, 4 for 7 */
static unsigned int nr_apr(void)
{
	return MK_ICH_VTR_NR_APR(ich_vtr());
}

/*
 * The VM's first run with the vGIC (under vm->lock): its vCPUs get the
 * virtual CPU interface instead of ICH_HCR_EL2's traps, and the guest
 * sees ID_AA64PFR0_EL1.GIC = 1.
 */
int modkvm_arch_vgic_enable(struct modkvm_vm *vm)
{
	unsigned int i, apr = nr_apr();
	int ret = maint_request();

	if (ret)
		return ret;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct modkvm_vgic_v3_cpu *c = &vm->vcpus[i]->arch.vgic;

		c->nr_apr = apr;
		c->on = true;
	}
	WRITE_ONCE(vm->arch.user_gic, 1);
	vm->arch.vgic = true;
	return 0;
}

void modkvm_arch_vgic_set_lr(struct modkvm_vcpu *vcpu, unsigned int i,
			     const struct modkvm_vgic_lr *lr)
{
	u64 v = FIELD_PREP(MK_ICH_LR_VINTID, lr->intid) |
		FIELD_PREP(MK_ICH_LR_PRIO, lr->priority);

	if (lr->group1)
		v |= MK_ICH_LR_GROUP1;
	if (lr->pending)
		v |= MK_ICH_LR_PENDING;
	if (lr->active)
		v |= MK_ICH_LR_ACTIVE;
	if (lr->eoi)
		v |= MK_ICH_LR_EOI;
	vcpu->arch.vgic.lr[i] = v;
}

void modkvm_arch_vgic_get_lr(struct modkvm_vcpu *vcpu, unsigned int i,
			     struct modkvm_vgic_lr *lr)
{
	u64 v = vcpu->arch.vgic.lr[i];

	lr->intid = FIELD_GET(MK_ICH_LR_VINTID, v);
	lr->priority = FIELD_GET(MK_ICH_LR_PRIO, v);
	lr->group1 = v & MK_ICH_LR_GROUP1;
	lr->pending = v & MK_ICH_LR_PENDING;
	lr->active = v & MK_ICH_LR_ACTIVE;
	lr->eoi = v & MK_ICH_LR_EOI;
}

/*
 * @n list registers filled for the next entry; @more: some interrupt did
 * not fit, so the guest must exit once it has taken those (NPIE: a
 * maintenance interrupt when no list register is pending, 12.5.4).
 *
 * @withdrawable: one of them is listed pending on an input the guest can
 * lower with no exit (its virtual timer: virt/vgic/vgic_lr.c). A guest
 * with IRQs unmasked takes it as soon as it is entered; one with IRQs
 * masked (PSTATE.I, the same bit 7 in AArch32) may turn its timer off
 * first, and must then not be given it. For that entry ICH_HCR_EL2.TALL1
 * (12.5.4) traps its Group 1 CPU interface registers, ICC_IAR1_EL1 among
 * them: its acknowledge exits first, the run loop samples the timer
 * again and rebuilds the list registers, and the instruction is retried
 * without the trap (modkvm_arch_vgic_resample_trap()). One exit per such
 * interrupt, none for a guest that had IRQs unmasked. Nor after a WFI or
 * WFE trap: the guest waited for an interrupt (Linux idles with IRQs
 * masked) and the level was sampled when it woke, so every timer wake-up
 * from idle would pay the exit for a guest that takes the interrupt at
 * once. Not for an AArch32 EL1, whose CP15 ICC accesses are not emulated
 * (cp15.c).
 */
void modkvm_arch_vgic_set_used(struct modkvm_vcpu *vcpu, unsigned int n,
			       bool more, bool withdrawable)
{
	struct modkvm_vgic_v3_cpu *c = &vcpu->arch.vgic;
	const struct modkvm_exit_info *e = &vcpu->arch.exit;

	c->used = n;
	c->hcr = MK_ICH_HCR_EN | (more ? MK_ICH_HCR_NPIE : 0);
	if (withdrawable && !c->resampled && (vcpu->arch.gp.pstate & PSR_I_BIT) &&
	    !(e->code == MODKVM_EXIT_SYNC && ESR_ELx_EC(e->esr) == ESR_ELx_EC_WFx) &&
	    !vcpu->vm->arch.el1_32bit)
		c->hcr |= MK_ICH_HCR_TALL1;
	c->resampled = false;
}

/*
 * The Group 1 CPU interface registers ICH_HCR_EL2.TALL1 traps (IHI 0069
 * 12.5.4): ICC_IAR1_EL1, ICC_EOIR1_EL1, ICC_HPPIR1_EL1, ICC_BPR1_EL1,
 * ICC_IGRPEN1_EL1 and ICC_AP1R<n>_EL1. With the vGIC only set_used() sets
 * it, so a trap of one of them is that: nothing to emulate; the
 * instruction is retried (true: the PC is left as it is) once the run
 * loop has sampled the levels again, and the next entry is without it.
 */
bool modkvm_arch_vgic_resample_trap(struct modkvm_vcpu *vcpu, u32 enc)
{
	struct modkvm_vgic_v3_cpu *c = &vcpu->arch.vgic;

	if (!c->on)
		return false;
	switch (enc) {
	case sys_reg(3, 0, 12, 12, 0):	/* ICC_IAR1_EL1 */
	case sys_reg(3, 0, 12, 12, 1):	/* ICC_EOIR1_EL1 */
	case sys_reg(3, 0, 12, 12, 2):	/* ICC_HPPIR1_EL1 */
	case sys_reg(3, 0, 12, 12, 3):	/* ICC_BPR1_EL1 */
	case sys_reg(3, 0, 12, 12, 7):	/* ICC_IGRPEN1_EL1 */
	case sys_reg(3, 0, 12, 9, 0):	/* ICC_AP1R0_EL1 .. */
	case sys_reg(3, 0, 12, 9, 1):
	case sys_reg(3, 0, 12, 9, 2):
	case sys_reg(3, 0, 12, 9, 3):	/* .. ICC_AP1R3_EL1 */
		c->resampled = true;
		return true;
	}
	return false;
}

unsigned int modkvm_arch_vgic_used(struct modkvm_vcpu *vcpu)
{
	return vcpu->arch.vgic.used;
}

#define VMCR_FIELDS	(MK_ICH_VMCR_ENG0 | MK_ICH_VMCR_ENG1 | MK_ICH_VMCR_CBPR | \
			 MK_ICH_VMCR_EOIM | MK_ICH_VMCR_BPR1 | MK_ICH_VMCR_BPR0 | \
			 MK_ICH_VMCR_PMR)
#define ICC_CTLR_CBPR	BIT_ULL(0)
#define ICC_CTLR_EOIMODE	BIT_ULL(1)

/*
 * The guest's CPU interface registers live in ICH_VMCR_EL2 and the active
 * priority registers while it runs (the switch saves them at every exit,
 * hyp/vgic_v3_sr.h): CPU_SYSREGS reads and writes them there, with the
 * vCPU stopped (the caller holds every vCPU's mutex).
 */
void modkvm_arch_vgic_get_icc(struct modkvm_vcpu *vcpu,
			      struct modkvm_vgic_icc *icc)
{
	const struct modkvm_vgic_v3_cpu *c = &vcpu->arch.vgic;
	u64 vmcr = c->vmcr;

	icc->pmr = FIELD_GET(MK_ICH_VMCR_PMR, vmcr);
	icc->bpr0 = FIELD_GET(MK_ICH_VMCR_BPR0, vmcr);
	icc->bpr1 = FIELD_GET(MK_ICH_VMCR_BPR1, vmcr);
	icc->igrpen0 = !!(vmcr & MK_ICH_VMCR_ENG0);
	icc->igrpen1 = !!(vmcr & MK_ICH_VMCR_ENG1);
	icc->ctlr = (vmcr & MK_ICH_VMCR_CBPR ? ICC_CTLR_CBPR : 0) |
		    (vmcr & MK_ICH_VMCR_EOIM ? ICC_CTLR_EOIMODE : 0);
	memcpy(icc->ap0r, c->ap0r, sizeof(icc->ap0r));
	memcpy(icc->ap1r, c->ap1r, sizeof(icc->ap1r));
}

void modkvm_arch_vgic_set_icc(struct modkvm_vcpu *vcpu,
			      const struct modkvm_vgic_icc *icc)
{
	struct modkvm_vgic_v3_cpu *c = &vcpu->arch.vgic;
	u64 vmcr = c->vmcr & ~VMCR_FIELDS;

	vmcr |= FIELD_PREP(MK_ICH_VMCR_PMR, icc->pmr) |
		FIELD_PREP(MK_ICH_VMCR_BPR0, icc->bpr0) |
		FIELD_PREP(MK_ICH_VMCR_BPR1, icc->bpr1);
	if (icc->igrpen0)
		vmcr |= MK_ICH_VMCR_ENG0;
	if (icc->igrpen1)
		vmcr |= MK_ICH_VMCR_ENG1;
	if (icc->ctlr & ICC_CTLR_CBPR)
		vmcr |= MK_ICH_VMCR_CBPR;
	if (icc->ctlr & ICC_CTLR_EOIMODE)
		vmcr |= MK_ICH_VMCR_EOIM;
	c->vmcr = vmcr;
	memcpy(c->ap0r, icc->ap0r, sizeof(c->ap0r));
	memcpy(c->ap1r, icc->ap1r, sizeof(c->ap1r));
}
