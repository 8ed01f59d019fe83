// SPDX-License-Identifier: GPL-2.0
/*
 * The vGICv3 redistributors (GICR_*, IHI 0069 12.10, 12.11): for each
 * vCPU an RD frame and an SGI frame (64 KiB each), laid out in the
 * redistributor regions (the guest reaches them through vgic_mmio.c).
 *
 * RD frame: GICR_CTLR (EnableLPIs when the VM has an ITS, else RAZ/WI;
 * it can be cleared again: lpis_disable()), IIDR, TYPER
 * (Processor_Number is the vCPU id, Last marks a redistributor no other
 * follows, Affinity its MPIDR, PLPIS with an ITS), STATUSR (RAZ/WI to the
 * guest, userspace restores it), WAKER (ProcessorSleep writable,
 * ChildrenAsleep follows it at once: IHI 0069 12.11.46), PROPBASER and
 * PENDBASER (for the LPIs: vgic_lpi.c; writes ignored once EnableLPIs is
 * set, where the architecture leaves them UNPREDICTABLE), PIDR2.
 * SGI frame: the per-interrupt registers of SGIs and PPIs (vgic_regs.c).
 * Widths as for the distributor: 32 bits, IPRIORITYR bytes, the 64-bit
 * registers (TYPER, PROPBASER, PENDBASER) 64 bits too.
 */
#include <linux/kernel.h>

#include "vgic.h"

#define GICR_CTLR		0x0000
#define GICR_IIDR		0x0004
#define GICR_TYPER		0x0008
#define GICR_STATUSR		0x0010
#define GICR_WAKER		0x0014
#define GICR_PROPBASER		0x0070
#define GICR_PENDBASER		0x0078
#define GICR_PIDR2		0xffe8

#define WAKER_PROCESSOR_SLEEP	BIT(1)
#define WAKER_CHILDREN_ASLEEP	BIT(2)
#define CTLR_ENABLE_LPIS	BIT(0)
#define TYPER_PLPIS		BIT(0)
#define TYPER_LAST		BIT(4)
#define TYPER_PROC_NUM(n)	((u64)(n) << 8)
#define VGIC_PIDR2		0x3b

/*
 * EnableLPIs written 0 (IHI 0069 12.11.2 leaves clearing it IMPLEMENTATION
 * DEFINED; the in-kernel KVM allows it): QEMU's system reset restores
 * GICR_CTLR 0 before the guest boots again and sets up new LPI tables,
 * and a kernel started by kexec turns LPIs off first. The vCPU's pending
 * LPIs are dropped (an active one stays listed until its EOI); the
 * translations are the ITS's and stay. Under vgic->lock.
 */
static void lpis_disable(struct modkvm_vgic_cpu *c)
{
	struct vgic_lpi *lpi, *next;

	c->lpis_enabled = false;
	list_for_each_entry_safe(lpi, next, &c->lpis, node) {
		lpi->irq.latch = false;
		vgic_lpi_relist(&lpi->irq);
	}
}

/* GICR_TYPER (IHI 0069 12.11.38) */
static u64 rdist_typer(struct modkvm_vgic *vgic, struct modkvm_vcpu *vcpu)
{
	u64 mpidr = vgic_vcpu_mpidr(vcpu), base, typer;
	bool last = false;

	typer = TYPER_PROC_NUM(vcpu->id);
	/* Affinity [63:32]: Aff3.Aff2.Aff1.Aff0 */
	typer |= ((mpidr >> 32) & 0xff) << 56 | (mpidr & 0xffffff) << 32;
	if (!vgic_rdist_base(vgic, vcpu, &base, &last) && last)
		typer |= TYPER_LAST;
	if (vgic->has_its)
		typer |= TYPER_PLPIS;
	return typer;
}

/* A 64-bit register @reg accessed at @off, 4 or 8 bytes */
static void reg64(u64 *reg, u32 off, unsigned int len, u64 *val, bool write,
		  bool ro)
{
	unsigned int shift = (off & 4) * 8;
	u64 mask = len == 8 ? ~0ULL : 0xffffffffULL << shift;

	if (!write)
		*val = (*reg & mask) >> shift;
	else if (!ro)
		*reg = (*reg & ~mask) | ((*val << shift) & mask);
}

static int rd_frame(struct modkvm_vgic *vgic, struct modkvm_vcpu *vcpu,
		    u32 off, unsigned int len, u64 *val, bool write,
		    enum vgic_who who)
{
	/* before INIT (KVM_HAS_DEVICE_ATTR): reads of nothing, no writes */
	static struct modkvm_vgic_cpu none;
	struct modkvm_vgic_cpu *c = vcpu->vgic ? vcpu->vgic : &none;
	u64 typer;

	if (!vcpu->vgic && write)
		return 0;

	switch (off & ~7U) {
	case GICR_TYPER:
		typer = rdist_typer(vgic, vcpu);
		reg64(&typer, off, len, val, write, true);
		return 0;
	/* userspace restores them in any order with GICR_CTLR */
	case GICR_PROPBASER:
		reg64(&c->propbaser, off, len, val, write,
		      c->lpis_enabled && who == VGIC_GUEST);
		return 0;
	case GICR_PENDBASER:
		reg64(&c->pendbaser, off, len, val, write,
		      c->lpis_enabled && who == VGIC_GUEST);
		return 0;
	}
	if (len != 4)
		return -ENXIO;
	switch (off) {
	case GICR_CTLR:
		if (!write) {
			*val = c->lpis_enabled ? CTLR_ENABLE_LPIS : 0;
		} else if (vgic->has_its && (*val & CTLR_ENABLE_LPIS) &&
			   !c->lpis_enabled) {
			c->lpis_enabled = true;
			/* read by vgic_lpi_props_sync(), outside vgic->lock */
			WRITE_ONCE(vgic->lpi_props_stale, true);
		} else if (!(*val & CTLR_ENABLE_LPIS) && c->lpis_enabled) {
			lpis_disable(c);
		}
		return 0;
	case GICR_IIDR:
		if (!write)
			*val = VGIC_IIDR;
		return 0;
	case GICR_STATUSR:
		if (who == VGIC_USER && write)
			c->statusr = *val & GENMASK(3, 0);
		else if (!write)
			*val = who == VGIC_USER ? c->statusr : 0;
		return 0;
	case GICR_WAKER:
		if (write)
			c->sleep = *val & WAKER_PROCESSOR_SLEEP;
		else
			*val = c->sleep ? WAKER_PROCESSOR_SLEEP |
					  WAKER_CHILDREN_ASLEEP : 0;
		return 0;
	case GICR_PIDR2:
		if (!write)
			*val = VGIC_PIDR2;
		return 0;
	}
	return -ENXIO;
}

/*
 * A redistributor register access, @off from the RD frame's base (the SGI
 * frame at +64 KiB), under vgic->lock. 0 if done, -ENXIO for an offset
 * that is no register (RAZ/WI for the guest).
 */
int vgic_rdist_access(struct modkvm_vgic *vgic, struct modkvm_vcpu *vcpu,
		      u32 off, unsigned int len, u64 *val, bool write,
		      enum vgic_who who)
{
	enum vgic_irq_reg reg;
	u32 byte_off;
	int ret = -ENXIO;

	lockdep_assert_held(&vgic->lock);
	if (off < VGIC_SGI_FRAME) {
		ret = rd_frame(vgic, vcpu, off, len, val, write, who);
	} else if (vgic_irq_reg(off - VGIC_SGI_FRAME, &reg, &byte_off) &&
		   byte_off < (reg == VGIC_IPRIORITYR ? 32 :
			       reg == VGIC_ICFGR || reg == VGIC_NSACR ? 8 : 4) &&
		   (len == 4 || (len == 1 && reg == VGIC_IPRIORITYR))) {
		u32 intid = vgic_irq_reg_intid(reg, byte_off);

		if (write)
			vgic_irq_reg_write(vgic, vcpu, reg, intid, len, *val,
					   who);
		else
			*val = vgic_irq_reg_read(vgic, vcpu, reg, intid, len,
						 who);
		ret = 0;
	}
	if (ret && who == VGIC_GUEST) {
		if (!write)
			*val = 0;
		ret = 0;
	}
	return ret;
}
