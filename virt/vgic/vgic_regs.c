// SPDX-License-Identifier: GPL-2.0
/*
 * The vGIC registers that hold one field per interrupt, in the
 * distributor (SPIs, GICD_*) and in each redistributor's SGI frame (SGIs
 * and PPIs, GICR_*0), at the same offsets in both (IHI 0069 12.9, 12.10):
 *   IGROUPR, ISENABLER, ICENABLER, ISPENDR, ICPENDR, ISACTIVER, ICACTIVER,
 *   IGRPMODR  1 bit per interrupt
 *   ICFGR, NSACR  2 bits          IPRIORITYR  8 bits (byte accessible)
 * With a single security state (GICD_CTLR.DS = 1) IGRPMODR and NSACR are
 * RAZ/WI. Priorities keep their top 5 bits (32 levels), as many as the
 * virtual CPU interface is assumed to implement. SGIs are always
 * edge-triggered (ICFGR0 reads 0xaaaaaaaa and ignores writes).
 *
 * Userspace (the DIST_REGS/REDIST_REGS attributes) sees the same
 * registers but for the pending ones, as arm-vgic-v3.rst has it: ISPENDR
 * reads and writes the pending latch itself (not ORed with the line
 * level) and ICPENDR is RAZ/WI.
 */
#include <linux/kernel.h>

#include "vgic.h"

#define VGIC_PRIO_MASK	0xf8

static const struct {
	u16 off, size;
	u8 bits;
} regs[] = {
	[VGIC_IGROUPR]		= { 0x080, 0x80, 1 },
	[VGIC_ISENABLER]	= { 0x100, 0x80, 1 },
	[VGIC_ICENABLER]	= { 0x180, 0x80, 1 },
	[VGIC_ISPENDR]		= { 0x200, 0x80, 1 },
	[VGIC_ICPENDR]		= { 0x280, 0x80, 1 },
	[VGIC_ISACTIVER]	= { 0x300, 0x80, 1 },
	[VGIC_ICACTIVER]	= { 0x380, 0x80, 1 },
	[VGIC_IPRIORITYR]	= { 0x400, 0x400, 8 },
	[VGIC_ICFGR]		= { 0xc00, 0x100, 2 },
	[VGIC_IGRPMODR]		= { 0xd00, 0x80, 1 },
	[VGIC_NSACR]		= { 0xe00, 0x100, 2 },
};

/* Is @off in one of these registers? Which, and its byte offset in it */
bool vgic_irq_reg(u32 off, enum vgic_irq_reg *reg, u32 *byte_off)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		if (off >= regs[i].off && off < regs[i].off + regs[i].size) {
			*reg = i;
			*byte_off = off - regs[i].off;
			return true;
		}
	}
	return false;
}

/* The first interrupt whose field is at byte @byte_off of @reg */
u32 vgic_irq_reg_intid(enum vgic_irq_reg reg, u32 byte_off)
{
	return byte_off * 8 / regs[reg].bits;
}

/* One interrupt's field of @reg */
static u32 field_read(const struct vgic_irq *irq, enum vgic_irq_reg reg,
		      enum vgic_who who)
{
	switch (reg) {
	case VGIC_IGROUPR:
		return irq->group1;
	case VGIC_ISENABLER:
	case VGIC_ICENABLER:
		return irq->enabled;
	case VGIC_ISPENDR:
		return who == VGIC_USER ? irq->latch : vgic_irq_pending(irq);
	case VGIC_ICPENDR:
		return who == VGIC_USER ? 0 : vgic_irq_pending(irq);
	case VGIC_ISACTIVER:
	case VGIC_ICACTIVER:
		return irq->active;
	case VGIC_IPRIORITYR:
		return irq->priority;
	case VGIC_ICFGR:
		return irq->edge ? 2 : 0;
	default:			/* IGRPMODR, NSACR */
		return 0;
	}
}

static void field_write(struct vgic_irq *irq, enum vgic_irq_reg reg,
			u32 v, enum vgic_who who)
{
	switch (reg) {
	case VGIC_IGROUPR:
		irq->group1 = v;
		break;
	case VGIC_ISENABLER:
		if (v)
			irq->enabled = true;
		break;
	case VGIC_ICENABLER:
		if (v)
			irq->enabled = false;
		break;
	case VGIC_ISPENDR:
		if (who == VGIC_USER)
			irq->latch = v;
		else if (v)
			irq->latch = true;
		break;
	case VGIC_ICPENDR:
		if (who == VGIC_GUEST && v)
			irq->latch = false;
		break;
	case VGIC_ISACTIVER:
		if (v)
			irq->active = true;
		break;
	case VGIC_ICACTIVER:
		if (v)
			irq->active = false;
		break;
	case VGIC_IPRIORITYR:
		irq->priority = v & VGIC_PRIO_MASK;
		break;
	case VGIC_ICFGR:
		if (irq->intid >= VGIC_NR_SGIS)
			irq->edge = v & 2;
		break;
	default:			/* IGRPMODR, NSACR: WI */
		break;
	}
}

/*
 * The fields of @bytes bytes of @reg from interrupt @intid on, under
 * vgic->lock. @vcpu: the redistributor's (intid < 32), else NULL for the
 * distributor, where private interrupts are RAZ/WI (affinity routing,
 * IHI 0069 12.9). Interrupts that do not exist read as zero.
 */
u32 vgic_irq_reg_read(struct modkvm_vgic *vgic, struct modkvm_vcpu *vcpu,
		      enum vgic_irq_reg reg, u32 intid, unsigned int bytes,
		      enum vgic_who who)
{
	unsigned int bits = regs[reg].bits, n = bytes * 8 / bits, i;
	u32 val = 0;

	for (i = 0; i < n; i++) {
		struct vgic_irq *irq;

		if (!vcpu && intid + i < VGIC_NR_PRIVATE)
			continue;
		irq = vgic_get_irq(vgic, vcpu, intid + i);
		if (irq)
			val |= field_read(irq, reg, who) << (i * bits);
	}
	return val;
}

void vgic_irq_reg_write(struct modkvm_vgic *vgic, struct modkvm_vcpu *vcpu,
			enum vgic_irq_reg reg, u32 intid, unsigned int bytes,
			u32 val, enum vgic_who who)
{
	unsigned int bits = regs[reg].bits, n = bytes * 8 / bits, i;
	u32 mask = bits == 32 ? ~0U : (1U << bits) - 1;

	for (i = 0; i < n; i++) {
		struct vgic_irq *irq;

		if (!vcpu && intid + i < VGIC_NR_PRIVATE)
			continue;
		irq = vgic_get_irq(vgic, vcpu, intid + i);
		if (!irq)
			continue;
		field_write(irq, reg, (val >> (i * bits)) & mask, who);
		vgic_kick(vgic, irq);
	}
}
