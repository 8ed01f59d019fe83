// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel vGICv3: its state, its life and the injection of
 * interrupts into it (see vgic.h for the layout and the locks).
 *
 * Life: created by KVM_CREATE_DEVICE (vgic_dev.c) with no interrupt state;
 * KVM_DEV_ARM_VGIC_CTRL_INIT allocates the state of every interrupt (the
 * number of SPIs from NR_IRQS, 224 if it was not set) and of each vCPU's
 * redistributor, after which no vCPU may be created; the first KVM_RUN
 * checks the frames' addresses and puts them on the MMIO bus
 * (modkvm_vgic_first_run()). Everything goes with the VM.
 *
 * Redistributors are handed out in vCPU creation order, filling the
 * regions in index order (the legacy single region holds them all), so
 * the redistributor of a vCPU follows from its creation index at any time
 * and nothing has to be recorded when vCPUs or regions are added.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "vgic.h"

/*
 * On by default wherever the host can have it (the GICv3 CPU interface
 * with its virtualization part, and the maintenance interrupt described:
 * modkvm_arch_vgic_v3_supported()), as the in-kernel KVM offers its GIC:
 * KVM_CAP_IRQCHIP 1 and QEMU's default machine takes the in-kernel GICv3.
 * vgic_v3=0 keeps the userspace-GIC-only path (KVM_CAP_IRQCHIP 0,
 * KVM_CREATE_DEVICE -ENODEV): QEMU then models a GICv2 itself.
 */
static bool vgic_v3 = true;
module_param(vgic_v3, bool, 0444);
MODULE_PARM_DESC(vgic_v3, "in-kernel GICv3 (KVM_DEV_TYPE_ARM_VGIC_V3) and ITS where the host has the GICv3 virtualization interface (default on; 0: userspace GIC only)");

bool modkvm_vgic_v3_available(void)
{
	return vgic_v3 && modkvm_arch_vgic_v3_supported();
}

/* At load: which GIC path this load serves is said, once */
void modkvm_vgic_load_note(void)
{
	if (!vgic_v3)
		pr_info("vgic_v3=0: no in-kernel GIC (KVM_CAP_IRQCHIP 0); QEMU models the GIC itself\n");
	else if (!modkvm_arch_vgic_v3_supported())
		pr_notice("vgic_v3=1 not honoured: the in-kernel GICv3 needs the GIC's system register interface (GICv3) at EL1 and EL2 and its maintenance interrupt in the device tree; no in-kernel GIC (KVM_CAP_IRQCHIP 0, KVM_CREATE_DEVICE -ENODEV)\n");
	else
		pr_info("in-kernel GICv3 and ITS offered (KVM_CAP_IRQCHIP 1; vgic_v3=0 turns them off)\n");
}

static void vgic_irq_reset(struct vgic_irq *irq, u32 intid,
			   struct modkvm_vcpu *vcpu)
{
	*irq = (struct vgic_irq) {
		.intid = intid,
		/* Group 1, as a non-secure OS expects with DS = 1 */
		.group1 = true,
		/*
		 * SGIs are edge-triggered, always; SPIs reset edge-triggered
		 * too (IMPLEMENTATION DEFINED, IHI 0069 12.9.9: KVM's choice,
		 * which VMMs restoring state may rely on); PPIs level.
		 */
		.edge = intid < VGIC_NR_SGIS || intid >= VGIC_NR_PRIVATE,
		.vcpu = vcpu,
	};
}

int modkvm_vgic_v3_create(struct modkvm_vm *vm, void **priv)
{
	struct modkvm_vgic *vgic;

	lockdep_assert_held(&vm->lock);
	if (vm->vgic)
		return -EEXIST;
	/* a vCPU that ran had no GIC: one may not appear under it */
	if (vm->ran)
		return -EBUSY;
	vgic = kzalloc(sizeof(*vgic), GFP_KERNEL_ACCOUNT);
	if (!vgic)
		return -ENOMEM;
	vgic->vm = vm;
	spin_lock_init(&vgic->lock);
	vgic->dist_base = VGIC_ADDR_UNDEF;
	mutex_init(&vgic->lpi_lock);
	xa_init_flags(&vgic->lpis, XA_FLAGS_LOCK_IRQ);
	*priv = vgic;
	/* KVM_IRQ_LINE reads it without vm->lock */
	smp_store_release(&vm->vgic, vgic);
	return 0;
}

/* KVM_DEV_ARM_VGIC_CTRL_INIT: under vm->lock with every vCPU stopped */
int vgic_init(struct modkvm_vgic *vgic)
{
	struct modkvm_vm *vm = vgic->vm;
	struct modkvm_vgic_cpu **cpus;
	struct vgic_irq *spis;
	unsigned int i, j, nr;

	if (vgic->initialized)
		return 0;
	if (!vgic->nr_irqs)
		vgic->nr_irqs = VGIC_DEFAULT_IRQS;
	nr = vgic->nr_irqs - VGIC_NR_PRIVATE;
	spis = kvcalloc(nr, sizeof(*spis), GFP_KERNEL_ACCOUNT);
	cpus = kcalloc(max(vm->nr_vcpus, 1), sizeof(*cpus), GFP_KERNEL);
	if (!spis || !cpus)
		goto nomem;
	for (i = 0; i < vm->nr_vcpus; i++) {
		cpus[i] = kzalloc(sizeof(*cpus[i]), GFP_KERNEL_ACCOUNT);
		if (!cpus[i])
			goto nomem;
	}
	/* GSI n is SPI 32 + n until userspace sets a table (irq_routing.c) */
	if (modkvm_irq_routing_default(vm, nr))
		goto nomem;
	for (i = 0; i < nr; i++)
		vgic_irq_reset(&spis[i], VGIC_NR_PRIVATE + i, NULL);
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct modkvm_vcpu *vcpu = vm->vcpus[i];

		for (j = 0; j < VGIC_NR_PRIVATE; j++)
			vgic_irq_reset(&cpus[i]->priv[j], j, vcpu);
		cpus[i]->sleep = true;	/* GICR_WAKER resets asleep */
		vcpu->vgic = cpus[i];
		vgic_icc_reset(vcpu);
	}
	kfree(cpus);
	spin_lock_irq(&vgic->lock);
	vgic->spis = spis;
	spin_unlock_irq(&vgic->lock);
	/* KVM_IRQ_LINE sees the state before it sees it initialized */
	smp_store_release(&vgic->initialized, true);
	return 0;

nomem:
	for (i = 0; cpus && i < vm->nr_vcpus; i++)
		kfree(cpus[i]);
	kfree(cpus);
	kvfree(spis);
	return -ENOMEM;
}

unsigned int vgic_nr_spis(const struct modkvm_vgic *vgic)
{
	return vgic->nr_irqs - VGIC_NR_PRIVATE;
}

/* The state of @intid: a private one of @vcpu, or an SPI; NULL if none */
struct vgic_irq *vgic_get_irq(struct modkvm_vgic *vgic,
			      struct modkvm_vcpu *vcpu, u32 intid)
{
	if (intid < VGIC_NR_PRIVATE)
		return vcpu && vcpu->vgic ? &vcpu->vgic->priv[intid] : NULL;
	if (!vgic->spis || intid >= vgic->nr_irqs)
		return NULL;
	return &vgic->spis[intid - VGIC_NR_PRIVATE];
}

/* A vCPU's affinity as GICD_IROUTER and GICR_TYPER[63:32] lay it out */
u64 vgic_vcpu_mpidr(struct modkvm_vcpu *vcpu)
{
	u64 aff = modkvm_vcpu_affinity(&vcpu->arch);

	return (aff & GENMASK_ULL(23, 0)) | ((aff >> 32) & 0xff) << 32;
}

/* The vCPU with affinity @mpidr (IROUTER layout, IRM ignored), or NULL */
struct modkvm_vcpu *vgic_vcpu_by_mpidr(struct modkvm_vm *vm, u64 mpidr)
{
	unsigned int i, n = smp_load_acquire(&vm->nr_vcpus);

	mpidr &= GENMASK_ULL(39, 32) | GENMASK_ULL(23, 0);
	for (i = 0; i < n; i++)
		if (vgic_vcpu_mpidr(vm->vcpus[i]) == mpidr)
			return vm->vcpus[i];
	return NULL;
}

/* Where an SPI goes (IHI 0069 5.5.1): the vCPU its IROUTER names */
struct modkvm_vcpu *vgic_spi_target(struct modkvm_vgic *vgic,
				    const struct vgic_irq *irq)
{
	return vgic_vcpu_by_mpidr(vgic->vm, irq->route);
}

/*
 * @irq changed (under vgic->lock): if it can now be signalled, its vCPU
 * must look at its interrupts again. Only noted here: a kick may send an
 * IPI, which needs interrupts on, so vgic_kick_flush() sends them once the
 * lock is dropped.
 */
void vgic_kick(struct modkvm_vgic *vgic, struct vgic_irq *irq)
{
	struct modkvm_vcpu *vcpu;

	lockdep_assert_held(&vgic->lock);
	if (!irq->enabled || !vgic_irq_pending(irq) || irq->active)
		return;
	vcpu = irq->vcpu ? irq->vcpu : vgic_spi_target(vgic, irq);
	if (vcpu && vcpu->vgic) {
		vcpu->vgic->kick = true;
		vgic->kick = true;
	}
}

/* After dropping vgic->lock: kick the vCPUs vgic_kick() noted */
void vgic_kick_flush(struct modkvm_vgic *vgic)
{
	struct modkvm_vm *vm = vgic->vm;
	unsigned int i, n;

	if (!READ_ONCE(vgic->kick))
		return;
	WRITE_ONCE(vgic->kick, false);
	n = smp_load_acquire(&vm->nr_vcpus);
	for (i = 0; i < n; i++) {
		struct modkvm_vgic_cpu *c = READ_ONCE(vm->vcpus[i]->vgic);

		if (c && xchg(&c->kick, false))
			modkvm_vcpu_kick(vm->vcpus[i]);
	}
}

/* Slots (redistributors) of the regions before region @r */
unsigned int vgic_slots_before(const struct modkvm_vgic *vgic,
				 unsigned int r)
{
	unsigned int i, n = 0;

	for (i = 0; i < r; i++)
		n += vgic->regions[i].count;
	return n;
}

/* The base of redistributor @slot, or VGIC_ADDR_UNDEF if it has none */
static u64 slot_base(const struct modkvm_vgic *vgic, unsigned int slot)
{
	unsigned int r;

	for (r = 0; r < vgic->nr_regions; r++) {
		const struct vgic_rdist_region *rg = &vgic->regions[r];

		if (!rg->count || slot < rg->count)
			return rg->base + (u64)slot * VGIC_RDIST_SIZE;
		slot -= rg->count;
	}
	return VGIC_ADDR_UNDEF;
}

/*
 * The redistributor of @vcpu: its base, and whether it is the last of a
 * contiguous run (GICR_TYPER.Last, IHI 0069 12.11.38: no redistributor of
 * a vCPU follows it). -ENXIO if no region holds it yet.
 */
int vgic_rdist_base(struct modkvm_vgic *vgic, struct modkvm_vcpu *vcpu,
		    u64 *base, bool *last)
{
	unsigned int n = READ_ONCE(vgic->vm->nr_vcpus), slot;
	u64 b = slot_base(vgic, vcpu->idx);

	if (b == VGIC_ADDR_UNDEF)
		return -ENXIO;
	*base = b;
	*last = true;
	for (slot = 0; slot < n; slot++)
		if (slot_base(vgic, slot) == b + VGIC_RDIST_SIZE)
			*last = false;
	return 0;
}

static bool overlap(u64 a, u64 asize, u64 b, u64 bsize)
{
	return a < b + bsize && b < a + asize;
}

/* The size region @rg covers once every vCPU exists */
static u64 region_size(const struct modkvm_vgic *vgic,
		       const struct vgic_rdist_region *rg)
{
	u64 n = rg->count ? rg->count : vgic->vm->nr_vcpus;

	return n * VGIC_RDIST_SIZE;
}

/* Frames inside the IPA space and apart from each other (-EINVAL) */
static int check_frames(struct modkvm_vgic *vgic)
{
	u64 limit = 1ULL << vgic->vm->s2.ipa_bits;
	unsigned int i, j;

	if (vgic->dist_base + VGIC_DIST_SIZE > limit)
		return -EINVAL;
	for (i = 0; i < vgic->nr_regions; i++) {
		const struct vgic_rdist_region *a = &vgic->regions[i];
		u64 size = region_size(vgic, a);

		if (a->base + size > limit || a->base + size < a->base)
			return -EINVAL;
		if (overlap(a->base, size, vgic->dist_base, VGIC_DIST_SIZE))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (overlap(a->base, size, vgic->regions[j].base,
				    region_size(vgic, &vgic->regions[j])))
				return -EINVAL;
	}
	return 0;
}

static void unregister_frames(struct modkvm_vgic *vgic)
{
	struct modkvm_vm *vm = vgic->vm;
	unsigned int i;

	modkvm_io_bus_unregister(vm, MODKVM_MMIO_BUS, &vgic->dist_frame.dev);
	for (i = 0; i < vgic->nr_regions; i++)
		modkvm_io_bus_unregister(vm, MODKVM_MMIO_BUS,
					 &vgic->regions[i].frame.dev);
}

/*
 * The first KVM_RUN of a VM with the vGIC (any vCPU): every vCPU needs a
 * redistributor (-ENXIO), the distributor an address (-ENXIO), the frames
 * must fit and not overlap (-EINVAL), and the vGIC must have been
 * initialized (-EBUSY), in that order, as arm-vgic-v3.rst's users expect.
 * Then the frames go on the MMIO bus and the configuration is fixed. If
 * not, the VM is dead (vm->dead), as with KVM.
 */
static int vgic_map(struct modkvm_vgic *vgic)
{
	struct modkvm_vm *vm = vgic->vm;
	unsigned int i;
	u64 base;
	bool last;
	int ret;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (vgic_rdist_base(vgic, vm->vcpus[i], &base, &last))
			return -ENXIO;
	if (vgic->dist_base == VGIC_ADDR_UNDEF)
		return -ENXIO;
	ret = check_frames(vgic);
	if (!ret)
		ret = vgic_timer_check(vgic);
	if (ret)
		return ret;
	if (!vgic->initialized)
		return -EBUSY;

	vgic->dist_frame = (struct vgic_frame) {
		.dev.first = vgic->dist_base,
		.dev.last = vgic->dist_base + VGIC_DIST_SIZE - 1,
		.dev.ops = &vgic_frame_ops,
		.vgic = vgic,
		.is_dist = true,
	};
	ret = modkvm_io_bus_register(vm, MODKVM_MMIO_BUS,
				     &vgic->dist_frame.dev);
	for (i = 0; !ret && i < vgic->nr_regions; i++) {
		struct vgic_rdist_region *rg = &vgic->regions[i];

		rg->frame = (struct vgic_frame) {
			.dev.first = rg->base,
			.dev.last = rg->base + region_size(vgic, rg) - 1,
			.dev.ops = &vgic_frame_ops,
			.vgic = vgic,
			.region = i,
		};
		ret = modkvm_io_bus_register(vm, MODKVM_MMIO_BUS,
					     &rg->frame.dev);
	}
	if (!ret)
		ret = modkvm_arch_vgic_enable(vm);
	if (ret) {
		unregister_frames(vgic);
		return ret;
	}
	vgic->nr_lr = modkvm_arch_vgic_nr_lr();
	smp_store_release(&vgic->ready, true);
	return 0;
}

int modkvm_vgic_first_run(struct modkvm_vcpu *vcpu)
{
	struct modkvm_vgic *vgic = READ_ONCE(vcpu->vm->vgic);
	int ret = 0;

	if (!vgic || smp_load_acquire(&vgic->ready))
		return 0;
	mutex_lock(&vcpu->vm->lock);
	if (!vgic->ready)
		ret = vgic_map(vgic);
	/* as KVM: a VM whose GIC cannot be mapped is dead */
	if (ret)
		WRITE_ONCE(vcpu->vm->dead, true);
	mutex_unlock(&vcpu->vm->lock);
	return ret;
}

/* KVM_IRQFD may be assigned: the GIC is initialized */
bool modkvm_vgic_initialized(struct modkvm_vm *vm)
{
	struct modkvm_vgic *vgic = smp_load_acquire(&vm->vgic);

	return vgic && smp_load_acquire(&vgic->initialized);
}

/* KVM_CREATE_VCPU: none after INIT (the state is sized by then) */
int modkvm_vgic_vcpu_precreate(struct modkvm_vm *vm)
{
	lockdep_assert_held(&vm->lock);
	return vm->vgic && vm->vgic->initialized ? -EBUSY : 0;
}

/*
 * An interrupt's input changed: @level for a level-sensitive one, an edge
 * (when @level) for an edge-triggered one (IHI 0069 4.1.2). The entry
 * point for every source: KVM_IRQ_LINE, the timers, irqfds, later the
 * ITS. @vcpu names the target of a private interrupt.
 */
int modkvm_vgic_inject(struct modkvm_vm *vm, struct modkvm_vcpu *vcpu,
		       u32 intid, bool level)
{
	struct modkvm_vgic *vgic = smp_load_acquire(&vm->vgic);
	struct vgic_irq *irq;
	unsigned long flags;

	if (!vgic || !smp_load_acquire(&vgic->initialized))
		return -EBUSY;
	spin_lock_irqsave(&vgic->lock, flags);
	irq = vgic_get_irq(vgic, vcpu, intid);
	if (!irq) {
		spin_unlock_irqrestore(&vgic->lock, flags);
		return -EINVAL;
	}
	if (!irq->edge)
		irq->level = level;
	else if (level)
		irq->latch = true;
	vgic_kick(vgic, irq);
	spin_unlock_irqrestore(&vgic->lock, flags);
	vgic_kick_flush(vgic);
	return 0;
}

/* KVM_IRQ_LINE with the in-kernel GIC (api.rst): SPIs and PPIs */
int modkvm_vgic_irq_line(struct modkvm_vm *vm, u32 type,
			 struct modkvm_vcpu *vcpu, u32 num, bool level)
{
	switch (type) {
	case KVM_ARM_IRQ_TYPE_CPU:
		return -ENXIO;	/* the GIC drives the CPU's inputs */
	case KVM_ARM_IRQ_TYPE_PPI:
		if (!vcpu || num < VGIC_NR_SGIS || num >= VGIC_NR_PRIVATE)
			return -EINVAL;
		return modkvm_vgic_inject(vm, vcpu, num, level);
	case KVM_ARM_IRQ_TYPE_SPI:
		if (num < VGIC_NR_PRIVATE)
			return -EINVAL;
		return modkvm_vgic_inject(vm, NULL, num, level);
	}
	return -EINVAL;
}

/* VM destruction: the frames are gone with the bus, no vCPU runs */
void modkvm_vgic_destroy(struct modkvm_vm *vm)
{
	struct modkvm_vgic *vgic = vm->vgic;
	unsigned int i;

	if (!vgic)
		return;
	for (i = 0; i < vm->nr_vcpus; i++) {
		kfree(vm->vcpus[i]->vgic);
		vm->vcpus[i]->vgic = NULL;
	}
	vgic_its_destroy_all(vgic);
	vgic_lpi_destroy(vgic);
	kvfree(vgic->spis);
	kfree(vgic->regions);
	kfree(vgic);
	vm->vgic = NULL;
}
