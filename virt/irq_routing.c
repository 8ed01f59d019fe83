// SPDX-License-Identifier: GPL-2.0
/*
 * GSI routing (KVM_SET_GSI_ROUTING, KVM_CAP_IRQ_ROUTING; api.rst 4.52):
 * the table that says which interrupt of the in-kernel GIC a GSI is. On
 * arm64 it applies to irqfds only (KVM_IRQ_LINE names its INTIDs
 * directly). The one irqchip is the vGIC's distributor: route "irqchip 0,
 * pin p" is SPI 32 + p, p below 988 (INTIDs 32-1019, IHI 0069 2.2.1).
 *
 * When the GIC is initialized, its SPIs get the identity routing (GSI p
 * is pin p), as VMMs that never set a table expect; a table set
 * afterwards replaces it whole, and one set before is replaced by it.
 *
 * MSI routes are accepted and kept (flags: KVM_MSI_VALID_DEVID at most);
 * an irqfd on such a GSI sends the MSI to the VM's ITS
 * (vgic/vgic_its_dev.c), which translates it to an LPI; on a VM without
 * an ITS it injects nothing, as on a GSI with no route (api.rst:
 * "support restricted to GICv3 ITS in-kernel emulation"), as KVM does.
 * The other architectures' route types are refused.
 *
 * Checks: more than MODKVM_MAX_IRQ_ROUTES entries or table flags -EINVAL;
 * the entries unreadable -EFAULT; then each entry: GSI at or above
 * MODKVM_MAX_IRQ_ROUTES, flags (but an MSI's KVM_MSI_VALID_DEVID), an
 * irqchip other than 0, a pin of 988 or more, a GSI routed twice, another
 * type: -EINVAL.
 *
 * Locking: a table is never changed once published. A new one replaces
 * it under vm->lock (rcu_replace_pointer) and the old one is freed after
 * an RCU grace period (synchronize_rcu()); readers (irqfd injection, the
 * resampling check at an EOI, in atomic context) look a GSI up under
 * rcu_read_lock().
 */
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "modkvm.h"

#define IRQCHIP_NR_PINS		(1020 - 32)	/* SPIs 32-1019 */
#define SPI_BASE		32

struct modkvm_irq_route {
	u32 type;		/* KVM_IRQ_ROUTING_*, 0: no route */
	u32 intid;		/* IRQCHIP: the SPI */
	/* MSI, kept for an ITS: its flags and message */
	u32 flags;
	struct kvm_irq_routing_msi msi;
};

struct modkvm_irq_routing {
	u32 nr;			/* GSIs 0 to nr - 1 */
	struct modkvm_irq_route r[];
};

static struct modkvm_irq_routing *routing_alloc(u32 nr)
{
	struct modkvm_irq_routing *t;

	t = kvzalloc(struct_size(t, r, nr), GFP_KERNEL_ACCOUNT);
	if (t)
		t->nr = nr;
	return t;
}

/* Under vm->lock: @t replaces the table; the old one, to be retired */
static struct modkvm_irq_routing *routing_publish(struct modkvm_vm *vm,
						  struct modkvm_irq_routing *t)
{
	lockdep_assert_held(&vm->lock);
	return rcu_replace_pointer(vm->irq_routing, t,
				   lockdep_is_held(&vm->lock));
}

/*
 * Free a table once no reader can see it. Waited for rather than left to
 * call_rcu(), so that nothing of the module's runs after its unload.
 */
static void routing_retire(struct modkvm_irq_routing *old)
{
	if (!old)
		return;
	synchronize_rcu();
	kvfree(old);
}

/* Under rcu_read_lock(): the INTID @gsi is routed to, 0 if none */
u32 modkvm_irq_route(struct modkvm_vm *vm, u32 gsi)
{
	struct modkvm_irq_routing *t = rcu_dereference(vm->irq_routing);

	if (!t || gsi >= t->nr || t->r[gsi].type != KVM_IRQ_ROUTING_IRQCHIP)
		return 0;	/* an MSI: modkvm_irq_route_msi() */
	return t->r[gsi].intid;
}

/* Under rcu_read_lock(): the MSI @gsi is routed to, false if none */
bool modkvm_irq_route_msi(struct modkvm_vm *vm, u32 gsi, struct kvm_msi *msi)
{
	struct modkvm_irq_routing *t = rcu_dereference(vm->irq_routing);
	const struct modkvm_irq_route *r;

	if (!t || gsi >= t->nr || t->r[gsi].type != KVM_IRQ_ROUTING_MSI)
		return false;
	r = &t->r[gsi];
	*msi = (struct kvm_msi) {
		.address_lo = r->msi.address_lo,
		.address_hi = r->msi.address_hi,
		.data = r->msi.data,
		.flags = r->flags,
		.devid = r->msi.devid,
	};
	return true;
}

static int check_entry(const struct kvm_irq_routing_entry *e)
{
	if (e->gsi >= MODKVM_MAX_IRQ_ROUTES)
		return -EINVAL;
	switch (e->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (e->flags || e->u.irqchip.irqchip != 0 ||
		    e->u.irqchip.pin >= IRQCHIP_NR_PINS)
			return -EINVAL;
		return 0;
	case KVM_IRQ_ROUTING_MSI:
		return e->flags & ~KVM_MSI_VALID_DEVID ? -EINVAL : 0;
	}
	return -EINVAL;		/* not an arm64 route type */
}

int modkvm_set_gsi_routing(struct modkvm_vm *vm,
			   struct kvm_irq_routing __user *argp)
{
	struct kvm_irq_routing_entry *e = NULL;
	struct modkvm_irq_routing *t;
	struct kvm_irq_routing r;
	u32 i, nr = 0;
	int ret = 0;

	if (!modkvm_vgic_v3_available())
		return -EINVAL;		/* KVM_CAP_IRQ_ROUTING is 0 */
	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	if (r.nr > MODKVM_MAX_IRQ_ROUTES || r.flags)
		return -EINVAL;
	if (r.nr) {
		e = vmemdup_user(argp->entries, array_size(r.nr, sizeof(*e)));
		if (IS_ERR(e))
			return PTR_ERR(e);
	}
	for (i = 0; i < r.nr && !ret; i++) {
		ret = check_entry(&e[i]);
		nr = max(nr, e[i].gsi + 1);
	}
	if (ret)
		goto out;
	t = routing_alloc(nr);
	ret = -ENOMEM;
	if (!t)
		goto out;
	ret = 0;
	for (i = 0; i < r.nr; i++) {
		struct modkvm_irq_route *rt = &t->r[e[i].gsi];

		if (rt->type) {
			ret = -EINVAL;	/* one route per GSI: one irqchip */
			kvfree(t);
			goto out;
		}
		rt->type = e[i].type;
		if (rt->type == KVM_IRQ_ROUTING_IRQCHIP) {
			rt->intid = SPI_BASE + e[i].u.irqchip.pin;
		} else {
			rt->flags = e[i].flags;
			rt->msi = e[i].u.msi;
		}
	}
	mutex_lock(&vm->lock);
	t = routing_publish(vm, t);
	mutex_unlock(&vm->lock);
	routing_retire(t);
out:
	kvfree(e);
	return ret;
}

/*
 * The GIC's INIT, under vm->lock: GSI p is SPI 32 + p for each of its
 * @nr_spis SPIs, whatever table there was.
 */
int modkvm_irq_routing_default(struct modkvm_vm *vm, u32 nr_spis)
{
	struct modkvm_irq_routing *t = routing_alloc(nr_spis);
	u32 i;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < nr_spis; i++)
		t->r[i] = (struct modkvm_irq_route) {
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.intid = SPI_BASE + i,
		};
	routing_retire(routing_publish(vm, t));
	return 0;
}

/* VM destruction: no reader is left */
void modkvm_irq_routing_free(struct modkvm_vm *vm)
{
	kvfree(rcu_dereference_protected(vm->irq_routing, true));
	RCU_INIT_POINTER(vm->irq_routing, NULL);
}

/*
 * KVM_SIGNAL_MSI (api.rst 4.71): -EINVAL without an in-kernel GIC or
 * with unknown flags, then the ITS's answer (vgic/vgic_its_dev.c): -ENODEV
 * without one, 1 if delivered, 0 if the guest's tables dropped it.
 */
int modkvm_signal_msi(struct modkvm_vm *vm, struct kvm_msi __user *argp)
{
	struct kvm_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (!smp_load_acquire(&vm->vgic) || (msi.flags & ~KVM_MSI_VALID_DEVID))
		return -EINVAL;
	return modkvm_vgic_inject_msi(vm, &msi);
}
