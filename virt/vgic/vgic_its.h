/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtual ITS (KVM_DEV_TYPE_ARM_VGIC_ITS, devices/arm-vgic-its.rst):
 * an Interrupt Translation Service (IHI 0069 chapter 6) turning a
 * device's message (DeviceID, EventID) into an LPI of a redistributor.
 *
 * Files, one concern each:
 *   vgic_its_dev.c    the device: creation, its attributes, its life
 *   vgic_its_regs.c   the GITS_* registers (guest MMIO and ITS_REGS)
 *   vgic_its_cmd.c    the command queue and its commands (IHI 0069 6.3)
 *   vgic_its_xlate.c  the translation tables and MSI delivery
 *   vgic_its_save.c   the tables saved to and restored from guest memory
 *   vgic_its_table.c  where GITS_BASER<n> places them (flat, two-level)
 *
 * The device, collection and interrupt translation tables are kept in
 * the kernel (xarrays here), not in the guest memory that GITS_BASER<n>
 * and MAPD's ITT address name: the architecture lets an ITS hold them
 * where it likes (IHI 0069 6.2: their format is IMPLEMENTATION DEFINED);
 * that memory is used only to save and restore them (vgic_its_save.c).
 *
 * Locking: vm->lock, then its->lock (a mutex: commands read guest
 * memory and allocate), then vgic->lpi_lock, then vgic->lock (vgic.h).
 */
#ifndef MODKVM_VGIC_ITS_H
#define MODKVM_VGIC_ITS_H

#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/xarray.h>

#include "vgic.h"

#define ITS_FRAME_SIZE		0x20000		/* control + translation */
#define ITS_NR_BASER		8
#define ITS_DEVID_BITS		16		/* GITS_TYPER.Devbits + 1 */
#define ITS_EVENTID_BITS	16		/* GITS_TYPER.IDbits + 1 */
#define ITS_ICID_BITS		16		/* GITS_TYPER.CIL 0 */
#define ITS_ITE_SIZE		8		/* GITS_TYPER.ITT_entry_size */
#define ITS_ENTRY_SIZE		8		/* BASER<n>.Entry_Size */
#define ITS_PAGE_SIZE		SZ_64K		/* BASER<n>.Page_Size */
#define ITS_L2_ENTRIES		(ITS_PAGE_SIZE / ITS_ENTRY_SIZE)
#define ITS_CMD_SIZE		32

/* GITS_IIDR: Arm's JEP106 code, KVM-compatible product 0x4b, ABI REV0 */
#define ITS_IIDR		((0x4bU << 24) | 0x43bU)

/* A mapped device (MAPD): its ITT, kept here */
struct its_device {
	u32 event_bits;		/* MAPD Size + 1 */
	u64 itt;		/* the ITT address the guest gave */
	struct xarray ites;	/* EventID -> struct its_ite */
};

/* An interrupt translation entry (MAPTI/MAPI) */
struct its_ite {
	u16 icid;
	struct vgic_irq *irq;	/* its LPI, a reference (vgic_lpi_get) */
};

struct vgic_its {
	struct modkvm_vgic *vgic;
	struct mutex lock;

	u64 base;		/* KVM_VGIC_ITS_ADDR_TYPE, under vm->lock */
	struct modkvm_io_dev frame;	/* on the bus once @base is set */

	/* the registers (vgic_its_regs.c), under @lock */
	bool enabled;		/* GITS_CTLR.Enabled */
	u64 cbaser, cwriter, creadr;
	u64 baser[ITS_NR_BASER];

	/* the tables (vgic_its_xlate.c), under @lock */
	struct xarray devices;		/* DeviceID -> struct its_device */
	struct xarray collections;	/* ICID -> xa_mk_value(vCPU id) */
};

/* vgic_its_regs.c */
int vgic_its_reg_access(struct vgic_its *its, u32 off, unsigned int len,
			u64 *val, bool write, enum vgic_who who);
void vgic_its_regs_reset(struct vgic_its *its);
extern const struct modkvm_io_ops vgic_its_frame_ops;

/* vgic_its_cmd.c */
void vgic_its_process_queue(struct vgic_its *its);

/* vgic_its_xlate.c: under its->lock */
int vgic_its_mapd(struct vgic_its *its, u32 devid, bool valid, u32 size,
		  u64 itt);
int vgic_its_mapc(struct vgic_its *its, u16 icid, bool valid, u32 target);
int vgic_its_mapti(struct vgic_its *its, u32 devid, u32 eventid,
		   u32 intid, u16 icid);
int vgic_its_discard(struct vgic_its *its, u32 devid, u32 eventid);
int vgic_its_movi(struct vgic_its *its, u32 devid, u32 eventid, u16 icid);
int vgic_its_movall(struct vgic_its *its, u32 from, u32 to);
int vgic_its_inv(struct vgic_its *its, u32 devid, u32 eventid);
int vgic_its_invall(struct vgic_its *its, u16 icid);
int vgic_its_set_pending(struct vgic_its *its, u32 devid, u32 eventid,
			 bool pending);
int vgic_its_translate(struct vgic_its *its, u32 devid, u32 eventid);
void vgic_its_free_tables(struct vgic_its *its);

/* vgic_its_table.c: its->lock held */
bool vgic_its_table(const struct vgic_its *its, unsigned int n, u64 *pa,
		    u64 *size, bool *indirect);
int vgic_its_get_entry(struct vgic_its *its, u64 gpa, u64 *v);
bool vgic_its_l2_page(u64 l1, u64 *page);
int vgic_its_entry_gpa(struct vgic_its *its, unsigned int n, u32 id,
		       u64 *gpa);

/* vgic_its_save.c: every vCPU stopped, its->lock held */
int vgic_its_save_tables(struct vgic_its *its);
int vgic_its_restore_tables(struct vgic_its *its);

#endif /* MODKVM_VGIC_ITS_H */
