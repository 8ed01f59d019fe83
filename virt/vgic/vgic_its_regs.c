// SPDX-License-Identifier: GPL-2.0
/*
 * The ITS's registers (IHI 0069 12.19), for the guest through its frame
 * on the MMIO bus (two 64 KiB frames: control, then GITS_TRANSLATER) and
 * for userspace through KVM_DEV_ARM_VGIC_GRP_ITS_REGS (vgic_its_dev.c).
 *
 *   GITS_CTLR     Enabled; Quiescent reads 1 (commands run to the end
 *                 within the write that asks for them). Enabling with no
 *                 valid GITS_CBASER is ignored (UNPREDICTABLE, 12.19.1)
 *   GITS_IIDR     ITS_IIDR; userspace may write back only that value
 *   GITS_TYPER    Physical, 8-byte ITT entries, 16 EventID and DeviceID
 *                 bits, 16 collection ID bits (CIL 0), PTA 0 (targets are
 *                 processor numbers), no collections held in the ITS
 *                 (HCC 0): as KVM's
 *   GITS_CBASER   the command queue; written only while disabled, and
 *                 then GITS_CREADR and GITS_CWRITER are reset to 0
 *   GITS_CWRITER  a write past the queue's end is ignored; the guest's
 *                 runs the commands up to it (vgic_its_cmd.c)
 *   GITS_CREADR   read-only to the guest; userspace restores it
 *   GITS_BASER<n> 0: Device table, flat or two-level (Indirect), 1:
 *                 Collection table, flat (Indirect RAZ/WI); 8-byte
 *                 entries, 64 KiB pages (Page_Size fixed, as KVM's); 2-7
 *                 RAZ/WI. Kept for the guest (the translations are in the
 *                 kernel: vgic_its.h; vgic_its_table.c reads the tables'
 *                 layout); written only while disabled
 *   GITS_PIDR2    GICv3
 *   GITS_TRANSLATER  a guest's own write has no DeviceID: ignored
 * 64-bit registers take 32- and 64-bit accesses, the others 32-bit;
 * anything else, like a reserved offset, is RAZ/WI for the guest.
 */
#include <linux/bitfield.h>
#include <linux/kernel.h>
#include <linux/sizes.h>

#include "vgic_its.h"

#define GITS_CTLR		0x0000
#define GITS_IIDR		0x0004
#define GITS_TYPER		0x0008
#define GITS_CBASER		0x0080
#define GITS_CWRITER		0x0088
#define GITS_CREADR		0x0090
#define GITS_BASER		0x0100
#define GITS_PIDR2		0xffe8

#define CTLR_ENABLED		BIT(0)
#define CTLR_QUIESCENT		BIT(31)
#define TYPER_PHYSICAL		BIT_ULL(0)
#define TYPER_ITT_ENTRY_SIZE	GENMASK_ULL(7, 4)
#define TYPER_IDBITS		GENMASK_ULL(12, 8)
#define TYPER_DEVBITS		GENMASK_ULL(17, 13)
#define CBASER_VALID		BIT_ULL(63)
#define CBASER_MASK		(CBASER_VALID | GENMASK_ULL(61, 59) | \
				 GENMASK_ULL(55, 53) | GENMASK_ULL(51, 12) | \
				 GENMASK_ULL(11, 10) | GENMASK_ULL(7, 0))
#define CWRITER_OFFSET		GENMASK_ULL(19, 5)
#define BASER_TYPE		GENMASK_ULL(58, 56)
#define BASER_ENTRY_SIZE	GENMASK_ULL(52, 48)
#define BASER_INDIRECT		BIT_ULL(62)
#define BASER_PAGE_SIZE		GENMASK_ULL(9, 8)
#define BASER_PAGE_64K		2
#define BASER_MASK		(BIT_ULL(63) | GENMASK_ULL(61, 59) | \
				 GENMASK_ULL(55, 53) | GENMASK_ULL(47, 12) | \
				 GENMASK_ULL(11, 0))
#define BASER_TYPE_DEVICE	1
#define BASER_TYPE_COLLECTION	4
#define ITS_PIDR2		0x3b

static u64 its_typer(void)
{
	return TYPER_PHYSICAL |
	       FIELD_PREP(TYPER_ITT_ENTRY_SIZE, ITS_ITE_SIZE - 1) |
	       FIELD_PREP(TYPER_IDBITS, ITS_EVENTID_BITS - 1) |
	       FIELD_PREP(TYPER_DEVBITS, ITS_DEVID_BITS - 1);
}

/* The read-only fields of BASER<n>: its table's type and entry size */
static u64 baser_ro(unsigned int n)
{
	u64 type = n == 0 ? BASER_TYPE_DEVICE : BASER_TYPE_COLLECTION;

	return FIELD_PREP(BASER_TYPE, type) |
	       FIELD_PREP(BASER_ENTRY_SIZE, ITS_ENTRY_SIZE - 1) |
	       FIELD_PREP(BASER_PAGE_SIZE, BASER_PAGE_64K);
}

/* Registers at reset (12.19: Enabled 0, the bases invalid) */
void vgic_its_regs_reset(struct vgic_its *its)
{
	unsigned int i;

	its->enabled = false;
	its->cbaser = 0;
	its->creadr = 0;
	its->cwriter = 0;
	for (i = 0; i < ITS_NR_BASER; i++)
		its->baser[i] = i < 2 ? baser_ro(i) : 0;
}

/* The command queue's size in bytes */
static u64 queue_size(const struct vgic_its *its)
{
	return ((its->cbaser & GENMASK_ULL(7, 0)) + 1) * SZ_4K;
}

/* A 64-bit register @reg, @len bytes at @off; @mask: what may be written */
static void reg64(u64 *reg, u32 off, unsigned int len, u64 *val, bool write,
		  u64 mask)
{
	unsigned int shift = (off & 4) * 8;
	u64 m = len == 8 ? ~0ULL : 0xffffffffULL << shift;

	if (!write)
		*val = (*reg & m) >> shift;
	else
		*reg = (*reg & ~(m & mask)) | ((*val << shift) & m & mask);
}

static int reg64_access(struct vgic_its *its, u32 off, unsigned int len,
			u64 *val, bool write, enum vgic_who who)
{
	u32 reg = off & ~7U;
	u64 v;

	switch (reg) {
	case GITS_TYPER:
		v = its_typer();
		reg64(&v, off, len, val, false, 0);
		return 0;
	case GITS_CBASER:
		reg64(&its->cbaser, off, len, val, write && !its->enabled,
		      CBASER_MASK);
		if (write && !its->enabled) {
			its->creadr = 0;
			its->cwriter = 0;
		}
		return 0;
	case GITS_CWRITER:
		v = its->cwriter;
		reg64(&v, off, len, val, write, CWRITER_OFFSET | BIT(0));
		if (!write)
			return 0;
		if ((v & CWRITER_OFFSET) >= queue_size(its))
			return 0;	/* past the queue: ignored */
		its->cwriter = v;
		if (who == VGIC_GUEST)
			vgic_its_process_queue(its);
		return 0;
	case GITS_CREADR:
		v = its->creadr;
		reg64(&v, off, len, val, write && who == VGIC_USER,
		      CWRITER_OFFSET);
		if (write && who == VGIC_USER &&
		    (v & CWRITER_OFFSET) < queue_size(its))
			its->creadr = v;
		return 0;
	}
	if (reg >= GITS_BASER && reg < GITS_BASER + 8 * ITS_NR_BASER) {
		unsigned int n = (reg - GITS_BASER) / 8;

		if (n >= 2) {		/* no table: RAZ/WI */
			v = 0;
			reg64(&v, off, len, val, false, 0);
			return 0;
		}
		/* only the Device table may be two-level */
		reg64(&its->baser[n], off, len, val, write && !its->enabled,
		      (BASER_MASK | (n ? 0 : BASER_INDIRECT)) &
		      ~BASER_PAGE_SIZE);
		return 0;
	}
	return -ENXIO;
}

/*
 * A register access, under its->lock: 0 if done, -ENXIO if there is no
 * such register (or not of that width), -EINVAL for a value userspace may
 * not write.
 */
int vgic_its_reg_access(struct vgic_its *its, u32 off, unsigned int len,
			u64 *val, bool write, enum vgic_who who)
{
	lockdep_assert_held(&its->lock);
	if (off >= GITS_TYPER && off < GITS_BASER + 8 * ITS_NR_BASER &&
	    (len == 8 || len == 4))
		return reg64_access(its, off, len, val, write, who);
	if (len != 4)
		return -ENXIO;
	switch (off) {
	case GITS_CTLR:
		if (!write) {
			*val = (its->enabled ? CTLR_ENABLED : 0) |
			       CTLR_QUIESCENT;
			return 0;
		}
		if (!(*val & CTLR_ENABLED)) {
			its->enabled = false;
		} else if (!its->enabled && (its->cbaser & CBASER_VALID)) {
			its->enabled = true;
			vgic_its_process_queue(its);
		}
		return 0;
	case GITS_IIDR:
		if (!write)
			*val = ITS_IIDR;
		else if (who == VGIC_USER && *val != ITS_IIDR)
			return -EINVAL;	/* another implementation, or ABI */
		return 0;
	case GITS_PIDR2:
		if (!write)
			*val = ITS_PIDR2;
		return 0;
	}
	return -ENXIO;
}

/* ------------------------------------------------ the frame on the bus */

static bool its_rw(struct modkvm_io_dev *dev, u64 addr, unsigned int len,
		   u8 *rdata, const u8 *wdata)
{
	struct vgic_its *its = container_of(dev, struct vgic_its, frame);
	u64 off = addr - dev->first, val = 0;

	if (wdata)
		val = modkvm_io_le_get(wdata, len);
	if (!(addr & (len - 1)) && addr + len - 1 <= dev->last &&
	    off < SZ_64K) {
		mutex_lock(&its->lock);
		if (vgic_its_reg_access(its, off, len, &val, !!wdata,
					VGIC_GUEST))
			val = 0;		/* RAZ/WI */
		mutex_unlock(&its->lock);
	} else {
		val = 0;	/* the translation frame: nothing to read */
	}
	if (rdata)
		modkvm_io_le_put(rdata, len, val);
	return true;
}

static bool its_read(struct modkvm_vcpu *vcpu, struct modkvm_io_dev *dev,
		     u64 addr, unsigned int len, u8 *data)
{
	return its_rw(dev, addr, len, data, NULL);
}

static bool its_write(struct modkvm_vcpu *vcpu, struct modkvm_io_dev *dev,
		      u64 addr, unsigned int len, const u8 *data)
{
	return its_rw(dev, addr, len, NULL, data);
}

/* No destroy: the frame is part of the ITS, freed with it */
const struct modkvm_io_ops vgic_its_frame_ops = {
	.read = its_read,
	.write = its_write,
};
