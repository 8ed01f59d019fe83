// SPDX-License-Identifier: GPL-2.0
/*
 * The vGICv3 distributor (GICD_*, IHI 0069 12.9): one 64 KiB frame on the
 * VM's MMIO bus, the same registers for userspace (DIST_REGS).
 *
 * This distributor has a single security state and affinity routing
 * always on: GICD_CTLR.DS and ARE read as one, only EnableGrp0 and
 * EnableGrp1 are writable. GICD_TYPER: LPIs and 16 INTID bits when the VM
 * has an ITS (else 10), no message-based SPIs, No1N (IROUTER.IRM is
 * RAZ/WI). The legacy registers
 * that affinity routing retires (ITARGETSR, SGIR, CPENDSGIR, SPENDSGIR)
 * and every reserved offset are RAZ/WI for the guest and unknown
 * (-ENXIO) to userspace. Accesses: 32 bits; IPRIORITYR also bytes,
 * IROUTER also 64 bits; any other width is RAZ/WI. The guest reaches
 * these through vgic_mmio.c.
 */
#include <linux/kernel.h>

#include "vgic.h"

#define GICD_CTLR		0x0000
#define GICD_TYPER		0x0004
#define GICD_IIDR		0x0008
#define GICD_TYPER2		0x000c
#define GICD_STATUSR		0x0010
#define GICD_IROUTER		0x6000
#define GICD_IROUTER_END	0x7fe0		/* INTIDs up to 1019 */
#define GICD_PIDR2		0xffe8

#define CTLR_ENABLE_G0		BIT(0)
#define CTLR_ENABLE_G1		BIT(1)
#define CTLR_ARE		BIT(4)
#define CTLR_DS			BIT(6)
#define TYPER_IDBITS(n)		(((n) - 1) << 19)
#define TYPER_LPIS		BIT(17)
#define TYPER_NO1N		BIT(25)
/* ArchRev 3 (GICv3) in [7:4], Arm's JEP106 bits in [3:0] */
#define VGIC_PIDR2		0x3b
#define IROUTER_AFF_MASK	(GENMASK_ULL(39, 32) | GENMASK_ULL(23, 0))

static int irouter_access(struct modkvm_vgic *vgic, u32 off,
			  unsigned int len, u64 *val, bool write)
{
	u32 intid = (off - GICD_IROUTER) / 8;
	unsigned int shift = (off & 4) * 8;
	struct vgic_irq *irq;
	u64 mask;

	if (len == 8 && (off & 4))
		return 0;		/* misaligned: RAZ/WI */
	irq = intid >= VGIC_NR_PRIVATE ? vgic_get_irq(vgic, NULL, intid) : NULL;
	if (!irq) {
		*val = write ? *val : 0;
		return 0;
	}
	mask = len == 8 ? ~0ULL : 0xffffffffULL << shift;
	if (write) {
		irq->route = (irq->route & ~mask) |
			     ((*val << shift) & mask & IROUTER_AFF_MASK);
		vgic_kick(vgic, irq);
	} else {
		*val = (irq->route & mask) >> shift;
	}
	return 0;
}

/*
 * A distributor register access at @off of @len bytes, under vgic->lock.
 * 0 if done (reserved offsets are RAZ/WI for the guest), -ENXIO for a
 * register userspace may not access, -EINVAL for a value it may not set.
 */
int vgic_dist_access(struct modkvm_vgic *vgic, u32 off, unsigned int len,
		     u64 *val, bool write, enum vgic_who who)
{
	enum vgic_irq_reg reg;
	u32 byte_off;

	lockdep_assert_held(&vgic->lock);
	if (off >= GICD_IROUTER && off < GICD_IROUTER_END &&
	    (len == 4 || len == 8))
		return irouter_access(vgic, off, len, val, write);
	if (vgic_irq_reg(off, &reg, &byte_off)) {
		u32 intid = vgic_irq_reg_intid(reg, byte_off);

		if (len != 4 && !(len == 1 && reg == VGIC_IPRIORITYR))
			goto raz_wi;
		if (write)
			vgic_irq_reg_write(vgic, NULL, reg, intid, len, *val,
					   who);
		else
			*val = vgic_irq_reg_read(vgic, NULL, reg, intid, len,
						 who);
		return 0;
	}
	if (len != 4)
		goto raz_wi;

	switch (off) {
	case GICD_CTLR:
		if (write)
			vgic->ctlr = *val & (CTLR_ENABLE_G0 | CTLR_ENABLE_G1);
		else
			*val = vgic->ctlr | CTLR_ARE | CTLR_DS;
		return 0;
	case GICD_TYPER:
		if (!write)
			*val = TYPER_NO1N | (max(vgic->nr_irqs, 32U) / 32 - 1) |
			       (vgic->has_its ? TYPER_LPIS |
				TYPER_IDBITS(VGIC_LPI_ID_BITS) :
				TYPER_IDBITS(10));
		return 0;
	case GICD_IIDR:
		if (!write)
			*val = VGIC_IIDR;
		else if (who == VGIC_USER && *val != VGIC_IIDR)
			return -EINVAL;	/* another implementation's */
		return 0;
	case GICD_TYPER2:
		if (!write)
			*val = 0;
		return 0;
	case GICD_STATUSR:
		/* the guest sees no error; userspace restores what it saved */
		if (who == VGIC_USER && write)
			vgic->statusr = *val & GENMASK(3, 0);
		else if (!write)
			*val = who == VGIC_USER ? vgic->statusr : 0;
		return 0;
	case GICD_PIDR2:
		if (!write)
			*val = VGIC_PIDR2;
		return 0;
	}
raz_wi:
	if (who == VGIC_USER)
		return -ENXIO;
	if (!write)
		*val = 0;
	return 0;
}
