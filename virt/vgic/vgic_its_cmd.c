// SPDX-License-Identifier: GPL-2.0
/*
 * The ITS command queue (IHI 0069 6.3, 12.19.2-12.19.4): a ring of
 * 32-byte commands in guest memory at GITS_CBASER, which the guest fills
 * and hands over by moving GITS_CWRITER; the ITS reads from GITS_CREADR
 * on. Here the commands run to the end within the register write that
 * hands them over (GITS_CWRITER, or GITS_CTLR.Enabled), under its->lock,
 * so GITS_CTLR.Quiescent is always 1 and SYNC has nothing to wait for.
 *
 * Commands (DW = 64-bit doubleword of the command, 5.3 of IHI 0069's
 * command descriptions): MAPD, MAPC, MAPTI, MAPI, MOVI, MOVALL, DISCARD,
 * INV, INVALL, INT, CLEAR, SYNC. A command error (an unmapped device or
 * collection, an ID out of range) ignores the command and goes on to the
 * next, as the architecture allows (6.3: no SEIS, so no report). An
 * unknown command (the GICv4 ones among them) is ignored too. A command
 * the kernel cannot read (the queue outside guest memory) stalls the ITS
 * (GITS_CREADR.Stalled) at it, until GITS_CWRITER is written again.
 */
#include <linux/bitfield.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/sizes.h>

#include "vgic_its.h"

#define CMD_MOVI	0x01
#define CMD_INT		0x03
#define CMD_CLEAR	0x04
#define CMD_SYNC	0x05
#define CMD_MAPD	0x08
#define CMD_MAPC	0x09
#define CMD_MAPTI	0x0a
#define CMD_MAPI	0x0b
#define CMD_INV		0x0c
#define CMD_INVALL	0x0d
#define CMD_MOVALL	0x0e
#define CMD_DISCARD	0x0f

#define CBASER_PA	GENMASK_ULL(51, 12)
#define CREADR_STALLED	BIT_ULL(0)
#define QUEUE_OFFSET	GENMASK_ULL(19, 5)

/* The fields of a command (IHI 0069 6.3) */
#define DW0_CMD		GENMASK_ULL(7, 0)
#define DW0_DEVID	GENMASK_ULL(63, 32)
#define DW1_EVENTID	GENMASK_ULL(31, 0)
#define DW1_PINTID	GENMASK_ULL(63, 32)
#define DW1_SIZE	GENMASK_ULL(4, 0)
#define DW2_ICID	GENMASK_ULL(15, 0)
#define DW2_RDBASE	GENMASK_ULL(51, 16)
#define DW2_ITT		GENMASK_ULL(51, 8)
#define DW2_VALID	BIT_ULL(63)
#define DW3_RDBASE	GENMASK_ULL(51, 16)

/* One command; <0 if the kernel failed it (out of memory: go on too) */
static int run(struct vgic_its *its, const u64 *dw)
{
	u32 devid = FIELD_GET(DW0_DEVID, dw[0]);
	u32 eventid = FIELD_GET(DW1_EVENTID, dw[1]);
	u16 icid = FIELD_GET(DW2_ICID, dw[2]);

	switch (FIELD_GET(DW0_CMD, dw[0])) {
	case CMD_MAPD:
		return vgic_its_mapd(its, devid, dw[2] & DW2_VALID,
				     FIELD_GET(DW1_SIZE, dw[1]),
				     dw[2] & DW2_ITT);
	case CMD_MAPC:
		return vgic_its_mapc(its, icid, dw[2] & DW2_VALID,
				     FIELD_GET(DW2_RDBASE, dw[2]));
	case CMD_MAPTI:
		return vgic_its_mapti(its, devid, eventid,
				      FIELD_GET(DW1_PINTID, dw[1]), icid);
	case CMD_MAPI:
		return vgic_its_mapti(its, devid, eventid, eventid, icid);
	case CMD_MOVI:
		return vgic_its_movi(its, devid, eventid, icid);
	case CMD_MOVALL:
		return vgic_its_movall(its, FIELD_GET(DW2_RDBASE, dw[2]),
				       FIELD_GET(DW3_RDBASE, dw[3]));
	case CMD_DISCARD:
		return vgic_its_discard(its, devid, eventid);
	case CMD_INV:
		return vgic_its_inv(its, devid, eventid);
	case CMD_INVALL:
		return vgic_its_invall(its, icid);
	case CMD_INT:
		return vgic_its_set_pending(its, devid, eventid, true);
	case CMD_CLEAR:
		return vgic_its_set_pending(its, devid, eventid, false);
	case CMD_SYNC:		/* every earlier command is done already */
		return 0;
	}
	return 1;		/* not a command of this ITS: ignored */
}

/* Under its->lock: run the commands from GITS_CREADR to GITS_CWRITER */
void vgic_its_process_queue(struct vgic_its *its)
{
	u64 base = its->cbaser & CBASER_PA;
	u64 size = ((its->cbaser & GENMASK_ULL(7, 0)) + 1) * SZ_4K;
	u64 rd = its->creadr & QUEUE_OFFSET;
	u64 wr = its->cwriter & QUEUE_OFFSET;

	lockdep_assert_held(&its->lock);
	if (!its->enabled || wr >= size || rd >= size)
		return;
	while (rd != wr) {
		__le64 cmd[ITS_CMD_SIZE / 8];
		u64 dw[ITS_CMD_SIZE / 8];
		unsigned int i;

		if (modkvm_read_guest(its->vgic->vm, base + rd, cmd,
				      sizeof(cmd))) {
			its->creadr = rd | CREADR_STALLED;
			return;
		}
		for (i = 0; i < ARRAY_SIZE(dw); i++)
			dw[i] = le64_to_cpu(cmd[i]);
		run(its, dw);
		cond_resched();	/* up to 32768 commands in a queue */
		rd = (rd + ITS_CMD_SIZE) % size;
		its->creadr = rd;
	}
}
