// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel vGICv3's interrupts into the hardware's list registers
 * and back (IHI 0069 4.8: the virtual CPU interface serves the guest's
 * acknowledge, priority drop and deactivation from the list registers).
 *
 * The state in vgic.h stays the truth. Before every entry, with
 * interrupts off and after the last check for work, modkvm_vgic_flush()
 * picks this vCPU's interrupts that the guest must see: every active one
 * (its EOI must find it), then the pending, enabled ones of an enabled
 * group, by priority (lowest value first) and INTID, as many as there
 * are list registers. After the exit, still with interrupts off,
 * modkvm_vgic_sync() reads them back: what the guest acknowledged is no
 * longer pending, what it deactivated no longer active. An edge moves
 * from the pending latch into the list register and back if it was not
 * taken; a level-sensitive interrupt stays pending as long as its input
 * is high (taken again after its EOI, not while it is active), and its
 * list register asks for a maintenance interrupt on EOI
 * (ICH_LR_EL2.EOI) so that the guest exits and the level is sampled
 * again (and an irqfd resampling it told: irqfd.c). If more interrupts
 * wait than there are list registers, the guest exits as soon as it has
 * taken the ones it has (the arch side's set_used(more)). Nothing
 * survives in the list registers between two entries, so the vCPU may
 * run on another physical CPU next time.
 *
 * One input falls with no exit: the EL1 virtual timer's, which the guest
 * programs in the hardware. Listed pending while the guest has IRQs
 * masked, it could be taken after the guest turned the timer off, where a
 * GIC would have withdrawn it (IHI 0069 4.1.1: a level-sensitive
 * interrupt is pending while its input is asserted). set_used(withdrawable)
 * tells the arch side, which then has the guest's acknowledge exit first
 * (vgic_v3.c) so that the level is sampled again.
 *
 * LPIs (vgic_lpi.c) are picked like the others, once their redistributor
 * has them enabled (GICR_CTLR.EnableLPIs), from the vCPU's list of its
 * LPIs that are pending or active: never a walk of every mapped LPI.
 *
 * Both run under vgic->lock (vgic.h), taken with interrupts already off.
 */
#include <linux/kernel.h>

#include "vgic.h"

/* The group of @irq is enabled at the distributor (GICD_CTLR, DS = 1) */
static bool group_enabled(const struct modkvm_vgic *vgic,
			  const struct vgic_irq *irq)
{
	return vgic->ctlr & (irq->group1 ? 0x2 : 0x1);
}

static bool wanted(const struct modkvm_vgic *vgic, const struct vgic_irq *irq)
{
	return irq->active || (irq->enabled && vgic_irq_pending(irq) &&
			       group_enabled(vgic, irq));
}

/* Lower first: active before pending, then priority, then INTID */
static u32 order(const struct vgic_irq *irq)
{
	return (irq->active ? 0 : 1U << 31) | (u32)irq->priority << 16 |
	       (irq->intid & 0xffff);
}

struct lr_pick {
	struct vgic_irq *irq[MODKVM_VGIC_MAX_LR];
	unsigned int n, max;
	bool more;
};

/* Keep @irq among the best @p->max, sorted by order() */
static void pick(struct lr_pick *p, struct vgic_irq *irq)
{
	u32 key = order(irq);
	unsigned int i;

	if (p->n == p->max) {
		p->more = true;
		if (!p->max || key >= order(p->irq[p->n - 1]))
			return;
		p->n--;
	}
	for (i = p->n; i > 0 && order(p->irq[i - 1]) > key; i--)
		p->irq[i] = p->irq[i - 1];
	p->irq[i] = irq;
	p->n++;
}

void modkvm_vgic_flush(struct modkvm_vcpu *vcpu)
{
	struct modkvm_vgic *vgic = vcpu->vm->vgic;
	struct modkvm_vgic_cpu *cpu = vcpu->vgic;
	struct lr_pick p = { .max = 0 };
	bool withdrawable = false;
	unsigned int i;
	u32 vtimer;

	if (!vgic || !cpu || !smp_load_acquire(&vgic->ready))
		return;
	p.max = vgic->nr_lr;
	vtimer = vgic_timer_ppi(vgic, 0);
	spin_lock(&vgic->lock);
	for (i = 0; i < VGIC_NR_PRIVATE; i++)
		if (wanted(vgic, &cpu->priv[i]))
			pick(&p, &cpu->priv[i]);
	for (i = 0; vgic->spis && i < vgic_nr_spis(vgic); i++) {
		struct vgic_irq *irq = &vgic->spis[i];

		if (wanted(vgic, irq) && vgic_spi_target(vgic, irq) == vcpu)
			pick(&p, irq);
	}
	if (cpu->lpis_enabled) {
		struct vgic_lpi *lpi;

		list_for_each_entry(lpi, &cpu->lpis, node)
			if (wanted(vgic, &lpi->irq))
				pick(&p, &lpi->irq);
	}
	for (i = 0; i < p.n; i++) {
		struct vgic_irq *irq = p.irq[i];
		struct modkvm_vgic_lr lr = {
			.intid = irq->intid,
			.priority = irq->priority,
			.group1 = irq->group1,
			.pending = vgic_irq_pending(irq) && irq->enabled &&
				   group_enabled(vgic, irq) &&
				   (irq->edge || !irq->active),
			.active = irq->active,
			.eoi = !irq->edge,
		};

		/*
		 * A level-sensitive interrupt goes in active or pending, not
		 * both: the guest may lower its line without an exit (a timer
		 * it turns off) before its EOI, whose maintenance interrupt
		 * (.eoi) makes the level be sampled again. An edge is in the
		 * list register now (sync puts it back if not taken).
		 */
		if (irq->edge && lr.pending)
			irq->latch = false;
		if (lr.pending && !irq->edge && irq->intid == vtimer)
			withdrawable = true;
		if (irq->intid >= VGIC_LPI_BASE)
			vgic_lpi_relist(irq);
		modkvm_arch_vgic_set_lr(vcpu, i, &lr);
	}
	modkvm_arch_vgic_set_used(vcpu, p.n, p.more, withdrawable);
	spin_unlock(&vgic->lock);
}

void modkvm_vgic_sync(struct modkvm_vcpu *vcpu)
{
	struct modkvm_vgic *vgic = vcpu->vm->vgic;
	unsigned int i, n;

	if (!vgic || !vcpu->vgic)
		return;
	n = modkvm_arch_vgic_used(vcpu);
	if (!n)
		return;
	spin_lock(&vgic->lock);
	for (i = 0; i < n; i++) {
		struct modkvm_vgic_lr lr;
		struct vgic_irq *irq;

		modkvm_arch_vgic_get_lr(vcpu, i, &lr);
		irq = lr.intid >= VGIC_LPI_BASE ?
		      vgic_lpi_lookup(vgic, lr.intid) :
		      vgic_get_irq(vgic, vcpu, lr.intid);
		if (!irq)
			continue;
		if (irq->edge) {
			if (lr.pending)
				irq->latch = true;
		} else if (!lr.pending) {
			irq->latch = false;	/* taken: ISPENDR's latch too */
			/*
			 * Neither pending nor active: the guest deactivated
			 * it. An irqfd resampling it is told, and the line
			 * it held asserted goes low (api.rst, KVM_IRQFD).
			 */
			if (!lr.active &&
			    modkvm_irqfd_resample(vcpu->vm, irq->intid))
				irq->level = false;
		}
		irq->active = lr.active;
		if (irq->intid >= VGIC_LPI_BASE)
			vgic_lpi_relist(irq);
	}
	modkvm_arch_vgic_set_used(vcpu, 0, false, false);
	spin_unlock(&vgic->lock);
}

/* Does @vcpu have an interrupt the guest could take (WFI wakes)? */
bool modkvm_vgic_has_pending(struct modkvm_vcpu *vcpu)
{
	struct modkvm_vgic *vgic = READ_ONCE(vcpu->vm->vgic);
	struct modkvm_vgic_cpu *cpu = READ_ONCE(vcpu->vgic);
	unsigned long flags;
	bool ret = false;
	unsigned int i;

	if (!vgic || !cpu || !smp_load_acquire(&vgic->ready))
		return false;
	spin_lock_irqsave(&vgic->lock, flags);
	for (i = 0; !ret && i < VGIC_NR_PRIVATE; i++)
		ret = !cpu->priv[i].active && wanted(vgic, &cpu->priv[i]);
	for (i = 0; !ret && vgic->spis && i < vgic_nr_spis(vgic); i++) {
		struct vgic_irq *irq = &vgic->spis[i];

		ret = !irq->active && wanted(vgic, irq) &&
		      vgic_spi_target(vgic, irq) == vcpu;
	}
	if (!ret && cpu->lpis_enabled) {
		struct vgic_lpi *lpi;

		list_for_each_entry(lpi, &cpu->lpis, node) {
			ret = !lpi->irq.active && wanted(vgic, &lpi->irq);
			if (ret)
				break;
		}
	}
	spin_unlock_irqrestore(&vgic->lock, flags);
	return ret;
}
