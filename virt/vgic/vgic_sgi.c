// SPDX-License-Identifier: GPL-2.0
/*
 * SGIs between the vCPUs of a VM with the in-kernel vGICv3: the guest
 * writes ICC_SGI1R_EL1 (or ASGI1R, SGI0R), which traps (HCR_EL2.IMO,
 * FMO); the arch side decodes it (sys_regs.c) and this raises the SGI in
 * each target's redistributor (IHI 0069 2.3.2 and 12.2.22): the vCPUs
 * with the affinity given, or with IRM every vCPU but the sender. An SGI
 * whose group at the target is not the one the register raises is not
 * forwarded (12.2.22, GICD_CTLR.DS = 1).
 */
#include "vgic.h"

static bool sgi_targets(const struct modkvm_vgic_sgi *sgi,
			struct modkvm_vcpu *self, struct modkvm_vcpu *v)
{
	u64 mpidr = vgic_vcpu_mpidr(v);
	unsigned int aff0 = mpidr & 0xff;

	if (sgi->all_but_self)
		return v != self;
	if ((mpidr & ~0xffULL) != sgi->aff)
		return false;
	return aff0 >= sgi->aff0_base && aff0 < sgi->aff0_base + 16U &&
	       (sgi->targets & BIT(aff0 - sgi->aff0_base));
}

void modkvm_vgic_send_sgi(struct modkvm_vcpu *vcpu,
			  const struct modkvm_vgic_sgi *sgi)
{
	struct modkvm_vm *vm = vcpu->vm;
	struct modkvm_vgic *vgic = READ_ONCE(vm->vgic);
	unsigned int i, n = smp_load_acquire(&vm->nr_vcpus);
	unsigned long flags;

	if (!vgic || !smp_load_acquire(&vgic->ready))
		return;
	spin_lock_irqsave(&vgic->lock, flags);
	for (i = 0; i < n; i++) {
		struct modkvm_vcpu *v = vm->vcpus[i];
		struct vgic_irq *irq;

		if (!v->vgic || !sgi_targets(sgi, vcpu, v))
			continue;
		irq = &v->vgic->priv[sgi->intid];
		if (irq->group1 != sgi->group1)
			continue;
		irq->latch = true;
		vgic_kick(vgic, irq);
	}
	spin_unlock_irqrestore(&vgic->lock, flags);
	vgic_kick_flush(vgic);
}
