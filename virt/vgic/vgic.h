/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel virtual GICv3 (KVM_DEV_TYPE_ARM_VGIC_V3): its software
 * side, shared by the files of virt/vgic/. Architecture facts cite the GIC
 * architecture specification, IHI 0069 (GICv3 and GICv4), by section.
 *
 * What is here: the distributor and the redistributors as the guest sees
 * them through MMIO (on the VM's MMIO bus), the state of every interrupt
 * (SGIs and PPIs per vCPU, SPIs per VM), injection from userspace
 * (KVM_IRQ_LINE) and the device ABI of devices/arm-vgic-v3.rst. The CPU
 * interface the guest uses (ICC_* registers) is the hardware's virtual
 * one, fed by the arch code from the state kept here; CPU_SYSREGS reads
 * and writes its registers where the arch keeps them for the guest
 * (modkvm_arch_vgic_get_icc/set_icc, in their ICC_*_EL1 form).
 *
 * Locking, outermost first (see also modkvm.h):
 *   vcpu->mutex   of every vCPU (trylock, -EBUSY) for attribute accesses
 *                 that need the guest stopped: register groups, INIT
 *   vm->lock      the device's configuration (addresses, NR_IRQS, INIT)
 *   its->lock     (mutex) one ITS's registers, command queue and tables
 *                 (vgic_its.h)
 *   vgic->lpi_lock (mutex) which LPIs exist (vgic->lpis: added, freed,
 *                 their properties read from guest memory: vgic_lpi.c)
 *   vgic->lock    (spinlock, interrupts off) the state of every interrupt
 *                 and the distributor's registers, each vCPU's list of
 *                 its LPIs that are pending or active (vgic_lpi.c);
 *                 inside it, at an EOI,
 *                 a resampling irqfd's resamplefd is signalled (irqfd.c)
 * The configuration is fixed once the VM has run (vgic->ready), so the
 * exit path reads it without vm->lock.
 */
#ifndef MODKVM_VGIC_H
#define MODKVM_VGIC_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "modkvm.h"

#define VGIC_NR_SGIS		16
#define VGIC_NR_PRIVATE		32	/* SGIs and PPIs (IHI 0069 2.2.1) */
#define VGIC_MIN_IRQS		64	/* NR_IRQS attribute range */
#define VGIC_MAX_IRQS		1024
#define VGIC_DEFAULT_IRQS	256	/* no NR_IRQS before INIT */
#define VGIC_ADDR_UNDEF		(~0ULL)
#define VGIC_LPI_BASE		8192	/* IHI 0069 2.2.1 */
#define VGIC_LPI_ID_BITS	16	/* GICD_TYPER.IDbits with an ITS */
#define VGIC_MAX_ITS		16

#define VGIC_DIST_SIZE		0x10000		/* one 64 KiB frame */
#define VGIC_RDIST_SIZE		0x20000		/* RD and SGI frames */
#define VGIC_SGI_FRAME		0x10000

/* GICD_IIDR / GICR_IIDR (IHI 0069 12.9.16): Arm's JEP106 code 0x43B */
#define VGIC_IIDR		((0x4bU << 24) | (3U << 12) | 0x43bU)

struct modkvm_vgic;
struct vgic_its;

/* One interrupt (IHI 0069 4.1: its state machine; 12.9: its registers) */
struct vgic_irq {
	u32 intid;
	u8 priority;		/* IPRIORITYR, all 8 bits kept */
	bool group1;		/* IGROUPR */
	bool enabled;		/* ISENABLER/ICENABLER */
	bool edge;		/* ICFGR: edge-triggered (SGIs always) */
	bool latch;		/* pending latch: an edge, or ISPENDR */
	bool level;		/* input line level (level-sensitive) */
	bool active;		/* ISACTIVER/ICACTIVER */
	u64 route;		/* SPIs: GICD_IROUTER (affinity, IRM) */
	struct modkvm_vcpu *vcpu;	/* private: its own vCPU */
};

/* Pending: the latch, or a level-sensitive input held high (IHI 0069 4.1.2) */
static inline bool vgic_irq_pending(const struct vgic_irq *irq)
{
	return irq->latch || (!irq->edge && irq->level);
}

/* A vCPU's redistributor and CPU interface */
struct modkvm_vgic_cpu {
	struct vgic_irq priv[VGIC_NR_PRIVATE];
	bool kick;		/* to be kicked: vgic_kick() */
	bool sleep;		/* GICR_WAKER.ProcessorSleep */
	u32 statusr;		/* GICR_STATUSR, as userspace set it */
	u64 propbaser, pendbaser;
	bool lpis_enabled;	/* GICR_CTLR.EnableLPIs */
	/* its LPIs pending or active, under vgic->lock (vgic_lpi.c) */
	struct list_head lpis;
};

/* A frame on the MMIO bus: the distributor, or a redistributor region */
struct vgic_frame {
	struct modkvm_io_dev dev;
	struct modkvm_vgic *vgic;
	unsigned int region;	/* its index, for a redistributor region */
	bool is_dist;
};

/* A redistributor region: KVM_VGIC_V3_ADDR_TYPE_REDIST(_REGION) */
struct vgic_rdist_region {
	u64 base;
	u32 count;		/* redistributors; 0: the legacy one, unbounded */
	struct vgic_frame frame;	/* on the bus once the VM runs */
};

struct modkvm_vgic {
	struct modkvm_vm *vm;
	spinlock_t lock;

	/* configuration, under vm->lock; fixed once @ready */
	bool initialized;	/* KVM_DEV_ARM_VGIC_CTRL_INIT done */
	bool ready;		/* frames on the MMIO bus: the VM ran */
	unsigned int nr_irqs;	/* NR_IRQS, 0 until set or INIT */
	u64 dist_base;
	bool legacy;		/* KVM_VGIC_V3_ADDR_TYPE_REDIST used */
	struct vgic_rdist_region *regions;	/* by index */
	unsigned int nr_regions;

	/* distributor state, under @lock */
	bool kick;		/* some vCPU's kick is noted */
	u32 ctlr;		/* GICD_CTLR: EnableGrp0/1 */
	u32 statusr;
	struct vgic_irq *spis;	/* nr_irqs - 32 of them, from INIT */

	struct vgic_frame dist_frame;

	unsigned int nr_lr;	/* list registers, fixed when @ready */

	/* KVM_ARM_VCPU_TIMER_IRQ_VTIMER, _PTIMER; 0: the default (vgic_timer.c) */
	u32 timer_ppi[2];

	/*
	 * LPIs (vgic_lpi.c) and the ITSes that map them (vgic_its.h).
	 * @has_its is set under vm->lock before the VM runs, and fixed then;
	 * @its[] grows under vm->lock, published by @nr_its (release).
	 */
	bool has_its;
	struct mutex lpi_lock;
	struct xarray lpis;	/* INTID -> struct vgic_lpi */
	bool lpi_props_stale;	/* an EnableLPIs write: reread them */
	struct vgic_its *its[VGIC_MAX_ITS];
	unsigned int nr_its;
};

/* An LPI: its state, and how many ITS translations name it */
struct vgic_lpi {
	struct vgic_irq irq;	/* irq.vcpu: its collection's target */
	unsigned int refs;	/* under vgic->lpi_lock */
	/* on @listed's list of LPIs to deliver, under vgic->lock */
	struct list_head node;
	struct modkvm_vgic_cpu *listed;
};

/* vgic.c: the state, its life and injection */
int vgic_init(struct modkvm_vgic *vgic);
unsigned int vgic_nr_spis(const struct modkvm_vgic *vgic);
struct vgic_irq *vgic_get_irq(struct modkvm_vgic *vgic,
			      struct modkvm_vcpu *vcpu, u32 intid);
struct modkvm_vcpu *vgic_vcpu_by_mpidr(struct modkvm_vm *vm, u64 mpidr);
u64 vgic_vcpu_mpidr(struct modkvm_vcpu *vcpu);
struct modkvm_vcpu *vgic_spi_target(struct modkvm_vgic *vgic,
				    const struct vgic_irq *irq);
void vgic_kick(struct modkvm_vgic *vgic, struct vgic_irq *irq);
void vgic_kick_flush(struct modkvm_vgic *vgic);
unsigned int vgic_slots_before(const struct modkvm_vgic *vgic,
			       unsigned int r);
int vgic_rdist_base(struct modkvm_vgic *vgic, struct modkvm_vcpu *vcpu,
		    u64 *base, bool *last);

/* vgic_regs.c: the registers with one or more fields per interrupt */
enum vgic_irq_reg {
	VGIC_IGROUPR, VGIC_ISENABLER, VGIC_ICENABLER, VGIC_ISPENDR,
	VGIC_ICPENDR, VGIC_ISACTIVER, VGIC_ICACTIVER, VGIC_IPRIORITYR,
	VGIC_ICFGR, VGIC_IGRPMODR, VGIC_NSACR,
};
/* who accesses: the guest, or userspace through the device attributes */
enum vgic_who { VGIC_GUEST, VGIC_USER };
bool vgic_irq_reg(u32 off, enum vgic_irq_reg *reg, u32 *first_byte);
u32 vgic_irq_reg_read(struct modkvm_vgic *vgic, struct modkvm_vcpu *vcpu,
		      enum vgic_irq_reg reg, u32 intid, unsigned int bytes,
		      enum vgic_who who);
void vgic_irq_reg_write(struct modkvm_vgic *vgic, struct modkvm_vcpu *vcpu,
			enum vgic_irq_reg reg, u32 intid, unsigned int bytes,
			u32 val, enum vgic_who who);
u32 vgic_irq_reg_intid(enum vgic_irq_reg reg, u32 byte_off);

/* Register accesses, guest or user: 0 done, -ENXIO no such register */
int vgic_dist_access(struct modkvm_vgic *vgic, u32 off, unsigned int len,
		     u64 *val, bool write, enum vgic_who who);
int vgic_rdist_access(struct modkvm_vgic *vgic, struct modkvm_vcpu *vcpu,
		      u32 off, unsigned int len, u64 *val, bool write,
		      enum vgic_who who);

/* vgic_mmio.c: the frames on the MMIO bus */
extern const struct modkvm_io_ops vgic_frame_ops;

/* vgic_dev.c: vm->lock held; every vCPU's mutex, or -EBUSY */
int vgic_lock_all_vcpus(struct modkvm_vm *vm);
void vgic_unlock_all_vcpus(struct modkvm_vm *vm);

/* vgic_lpi.c: LPIs (IHI 0069 5.1) */
struct vgic_irq *vgic_lpi_get(struct modkvm_vgic *vgic, u32 intid);
void vgic_lpi_put(struct modkvm_vgic *vgic, struct vgic_irq *irq);
struct vgic_irq *vgic_lpi_lookup(struct modkvm_vgic *vgic, u32 intid);
void vgic_lpi_read_props(struct modkvm_vgic *vgic, struct vgic_irq *irq);
void vgic_lpi_read_all_props(struct modkvm_vgic *vgic,
			     struct modkvm_vcpu *vcpu);
void vgic_lpi_set_target(struct modkvm_vgic *vgic, struct vgic_irq *irq,
			 struct modkvm_vcpu *vcpu);
void vgic_lpi_relist(struct vgic_irq *irq);
void vgic_lpi_relist_all(struct modkvm_vgic *vgic);
int vgic_lpi_save_pending(struct modkvm_vgic *vgic);
void vgic_lpi_destroy(struct modkvm_vgic *vgic);
void vgic_lpi_props_sync(struct modkvm_vgic *vgic);

/* vgic_its_dev.c */
void vgic_its_destroy_all(struct modkvm_vgic *vgic);

/* vgic_timer.c */
int vgic_timer_check(struct modkvm_vgic *vgic);
/* the PPI of timer @t: 0 the EL1 virtual timer, 1 the physical one */
u32 vgic_timer_ppi(const struct modkvm_vgic *vgic, unsigned int t);

/* vgic_sysregs.c: KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS */
int vgic_icc_access(struct modkvm_vcpu *vcpu, u32 instr, u64 *val,
		    bool write);
void vgic_icc_reset(struct modkvm_vcpu *vcpu);

#endif /* MODKVM_VGIC_H */
