// SPDX-License-Identifier: GPL-2.0
/*
 * The ITS (KVM_DEV_TYPE_ARM_VGIC_ITS, devices/arm-vgic-its.rst) and LPIs:
 * the device's attributes and their errors; then a guest (lib/
 * vgic_guest.h's, driven by its STORE/LOAD commands) that programs its
 * redistributor's LPI tables (GICR_PROPBASER, PENDBASER, EnableLPIs) and
 * the ITS (GITS_CBASER, BASER0/1, CTLR, CWRITER) through MMIO, the
 * commands and the LPI configuration table written into its memory by the
 * test (as a guest's driver writes them before moving GITS_CWRITER): MAPD,
 * MAPC, MAPTI, MAPI, SYNC, INT, INV, CLEAR, MOVI, MOVALL, DISCARD. The host's MSIs then arrive
 * as the LPIs the tables say, with the right INTID: KVM_SIGNAL_MSI (with
 * KVM_MSI_VALID_DEVID) and an irqfd on an MSI route; an LPI disabled in
 * the configuration table stays pending until an INV sees it enabled;
 * an unmapped event is dropped (KVM_SIGNAL_MSI 0); the tables saved in
 * guest memory (ABI REV0) and restored into a reset ITS, pending state
 * too; a guest's bad commands and queue are ignored. Then a two-level
 * device table (GITS_BASER0.Indirect): DeviceIDs in two level-2 pages
 * mapped and their MSIs delivered, MAPD through a level-1 entry not Valid
 * or outside guest memory ignored, the DTEs saved into the level-2 pages
 * and restored from them; and a guest's own write to GITS_TRANSLATER,
 * which carries no DeviceID, ignored (as on the in-kernel KVM).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "lib/vgic_guest.h"

#define ITS_BASE	0x08080000ULL	/* QEMU virt's */
#define ITS_TRANSLATER	(ITS_BASE + 0x10040)
#define ADDR_UNDEF	(~0ULL)

#define GITS_CTLR	0x0000
#define GITS_IIDR	0x0004
#define GITS_TYPER	0x0008
#define GITS_CBASER	0x0080
#define GITS_CWRITER	0x0088
#define GITS_CREADR	0x0090
#define GITS_BASER(n)	(0x0100 + 8 * (n))
#define GICR_CTLR	0x0000
#define GICR_PROPBASER	0x0070
#define GICR_PENDBASER	0x0078

/* guest memory for the tables, in the test's RAM */
#define CMDQ		(VMM_RAM_BASE + 0x100000)	/* 4 KiB */
#define PROP		(VMM_RAM_BASE + 0x110000)	/* 8 KiB: 14 ID bits */
#define PEND		(VMM_RAM_BASE + 0x120000)	/* 64 KiB aligned */
#define DEVTAB		(VMM_RAM_BASE + 0x130000)
#define COLLTAB		(VMM_RAM_BASE + 0x140000)
#define ITT		(VMM_RAM_BASE + 0x150000)
#define PEND1		(VMM_RAM_BASE + 0x1a0000)	/* vCPU 1's */
#define L1TAB		(VMM_RAM_BASE + 0x180000)	/* 64 KiB pages */
#define L2A		(VMM_RAM_BASE + 0x190000)	/* DeviceIDs 0-8191 */
#define L2B		(VMM_RAM_BASE + 0x1b0000)	/* 8192-16383 */
#define ITT2		(VMM_RAM_BASE + 0x1c0000)
#define ITT3		(VMM_RAM_BASE + 0x1c0100)
#define OUTSIDE		0x7000000000ULL			/* no memory */
#define PROP_IDBITS	13				/* 14 bits - 1 */
#define GIC_REDIST1	(GIC_REDIST + 0x20000)

#define LPI_A		8197	/* device 5, event 3, MAPTI */
#define LPI_B		8200	/* device 6, event 8200, MAPI */
#define LPI_C		8201	/* two-level: device 8199, event 1 */
#define LPI_D		8202	/* two-level: device 0, event 3 */
#define DEV_C		8199	/* in the second level-2 page */
#define DEV_A		5
#define DEV_B		6
#define ICID		3

static int msi(struct vmm_vm *vm, uint64_t addr, uint32_t data,
	       uint32_t devid, uint32_t flags)
{
	struct kvm_msi m = {
		.address_lo = (uint32_t)addr, .address_hi = addr >> 32,
		.data = data, .devid = devid, .flags = flags,
	};
	int rc = ioctl(vm->fd, KVM_SIGNAL_MSI, &m);

	return rc < 0 ? -errno : rc;
}

static int its_create(struct vmm_vm *vm)
{
	return vgic_create(vm, KVM_DEV_TYPE_ARM_VGIC_ITS, false);
}

/* ------------------------------------------------ the device's errors */

static void errors(void)
{
	struct vmm_vcpu vc;
	struct vmm_vm vm;
	int gic, its, its2;
	uint64_t v;

	TAP_REQUIRE(!vmm_vm_create(&vm, 0), "VM created", NULL);
	TAP_REQUIRE(vmm_mem_add(&vm, 0, VMM_RAM_BASE, VMM_RAM_SIZE, 0) != NULL, "RAM",
		    NULL);
	TAP_REQUIRE(!vmm_simple_vcpu(&vm, &vc, 0, 0, VMM_RAM_BASE), "vCPU 0", NULL);
	CHECK_EQ(vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_ITS, true), 0,
		 "KVM_CREATE_DEVICE_TEST of an ITS: 0");
	gic = vgic_setup(&vm, 128);
	TAP_REQUIRE(gic >= 0, "GICv3 created and initialized", "%d", gic);
	its = its_create(&vm);
	TAP_REQUIRE(its >= 0, "ITS created", "%d", its);
	CHECK_EQ(vmm_check_cap(&vm, KVM_CAP_MSI_DEVID), 1,
		 "KVM_CAP_MSI_DEVID of a VM with an ITS: 1");
	CHECK_EQ(vmm_check_cap(&vm, KVM_CAP_SIGNAL_MSI), 1, "KVM_CAP_SIGNAL_MSI: 1");

	/* ADDR */
	CHECK_EQ(vgic_has(its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE), 0,
		 "HAS ADDR ITS");
	CHECK_NEG(vgic_has(its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST),
		  ENXIO, "HAS ADDR DIST on the ITS: ENXIO");
	v = 0;
	CHECK_EQ(vgic_get(its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &v), 0,
		 "GET ADDR before it is set");
	TAP_EQ(v, ADDR_UNDEF, "... is undefined (all ones)");
	CHECK_NEG(vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST,
			     ITS_BASE), ENODEV, "SET ADDR of another type: ENODEV");
	CHECK_NEG(vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE,
			     ITS_BASE + 0x1000), EINVAL, "SET ADDR not 64 KiB aligned: EINVAL");
	CHECK_NEG(vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE,
			     1ULL << 52), E2BIG, "SET ADDR beyond the IPA space: E2BIG");
	CHECK_NEG(vgic_set(its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE,
			   (void *)8), EFAULT, "SET ADDR from a bad pointer: EFAULT");
	CHECK_NEG(vgic_get(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CTLR, &v), ENXIO,
		  "ITS_REGS before ADDR: ENXIO");
	CHECK_EQ(vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE,
			    ITS_BASE), 0, "SET ADDR");
	CHECK_NEG(vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE,
			     ITS_BASE), EEXIST, "SET ADDR again: EEXIST");
	TAP_EQ(vgic_get64(its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE),
	       ITS_BASE, "GET ADDR: the base");

	/* CTRL */
	CHECK_EQ(vgic_has(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT), 0,
		 "HAS CTRL INIT");
	CHECK_EQ(vgic_has(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET), 0,
		 "HAS CTRL RESET");
	CHECK_NEG(vgic_has(its, KVM_DEV_ARM_VGIC_GRP_CTRL, 99), ENXIO,
		  "HAS CTRL 99: ENXIO");
	CHECK_EQ(vgic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL),
		 0, "CTRL INIT");
	CHECK_EQ(vgic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, 99, NULL), 0,
		 "SET CTRL 99: 0 (KVM ignores an unknown control)");
	CHECK_EQ(vgic_has(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES), 0,
		 "HAS CTRL SAVE_TABLES");
	CHECK_EQ(vgic_has(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_RESTORE_TABLES), 0,
		 "HAS CTRL RESTORE_TABLES");

	/* ITS_REGS */
	CHECK_EQ(vgic_has(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CBASER), 0,
		 "HAS ITS_REGS GITS_CBASER");
	CHECK_NEG(vgic_get(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_TYPER + 4, &v),
		  EINVAL, "ITS_REGS half a 64-bit register: EINVAL");
	CHECK_NEG(vgic_get(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x40, &v), ENXIO,
		  "ITS_REGS at a reserved offset: ENXIO");
	v = vgic_get64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_TYPER);
	tap_diag("GITS_TYPER %#llx, GITS_IIDR %#x", (unsigned long long)v,
		 vgic_get32(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_IIDR));
	tap_check((v & 1) && ((v >> 4) & 0xf) == 7,
		  "GITS_TYPER: Physical, 8-byte ITT entries", "%#llx",
		  (unsigned long long)v);
	v = vgic_get64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_BASER(0));
	TAP_EQ((v >> 56) & 7, 1, "GITS_BASER0: the Device table");
	v = vgic_get64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_BASER(1));
	TAP_EQ((v >> 56) & 7, 4, "GITS_BASER1: the Collection table");
	CHECK_EQ(vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CBASER,
			    (1ULL << 63) | CMDQ), 0, "SET GITS_CBASER");
	/* cacheability and shareability are the ITS's choice */
	TAP_EQ(vgic_get64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CBASER) &
	       ((1ULL << 63) | 0xffffffffff000ULL), (1ULL << 63) | CMDQ,
	       "... read back: Valid and the address");
	CHECK_EQ(vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CREADR, 0x40), 0,
		 "SET GITS_CREADR (restore)");
	TAP_EQ(vgic_get64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CREADR), 0x40,
	       "... read back");

	/* MSIs, the ITS disabled */
	CHECK_NEG(msi(&vm, ITS_TRANSLATER, 0, 0, 0), EINVAL,
		  "KVM_SIGNAL_MSI without KVM_MSI_VALID_DEVID: EINVAL");
	CHECK_NEG(msi(&vm, 0x1000, 0, 0, KVM_MSI_VALID_DEVID), EINVAL,
		  "KVM_SIGNAL_MSI to no ITS's address: EINVAL");
	CHECK_NEG(msi(&vm, ITS_TRANSLATER, 0, 0, KVM_MSI_VALID_DEVID), EBUSY,
		  "KVM_SIGNAL_MSI with the ITS disabled: EBUSY");

	/* a second ITS */
	its2 = its_create(&vm);
	tap_check(its2 >= 0, "a second ITS", "%d", its2);
	CHECK_NEG(vgic_set64(its2, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CBASER, 0),
		  ENXIO, "its ITS_REGS before its ADDR: ENXIO");
	close(its2);
	close(its);
	close(gic);
	vmm_vcpu_destroy(&vc);
	vmm_vm_destroy(&vm);
}

/* ------------------------------------------------------- the guest */

static struct machine m;
static unsigned int cur;	/* the vCPU the guest commands go to */
static unsigned int cmds;	/* commands written into the queue */
/* what the guest took since the last taken_once() or none_taken() */
static struct seen acc;

/* The guest runs @cmd (ARG @addr, VAL @val); VAL after it into *@out */
static bool guest_cmd(uint64_t cmd, uint64_t addr, uint64_t val, uint64_t *out)
{
	acc.val = val;
	/* the command, its ARG and VAL, done by the next poll */
	if (!run_polls(&m.v[cur], 2, cmd, addr, &acc))
		return false;
	if (out)
		*out = acc.val;
	return true;
}

static bool store32(uint64_t addr, uint32_t val)
{
	return guest_cmd(CMD_STORE32, addr, val, NULL);
}

static bool store64(uint64_t addr, uint64_t val)
{
	return guest_cmd(CMD_STORE64, addr, val, NULL);
}

/* Queue a command (IHI 0069 6.3), little-endian doublewords */
static void queue(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
	uint64_t *q = vmm_gpa_to_hva(&m.vm, CMDQ + (cmds % 128) * 32);

	q[0] = d0;
	q[1] = d1;
	q[2] = d2;
	q[3] = d3;
	cmds++;
}

/* The guest hands the queued commands over; all consumed? */
static bool go(void)
{
	uint64_t rd = ~0ULL;

	if (store64(ITS_BASE + GITS_CWRITER, (cmds % 128) * 32) &&
	    guest_cmd(CMD_LOAD64, ITS_BASE + GITS_CREADR, 0, &rd) &&
	    rd == (cmds % 128) * 32)
		return true;
	tap_diag("GITS_CREADR %#llx, %u commands", (unsigned long long)rd, cmds);
	return false;
}

static uint8_t *prop(uint32_t intid)
{
	return (uint8_t *)vmm_gpa_to_hva(&m.vm, PROP) + intid - 8192;
}

/* The guest took @intid (up to 300 polls more), once, and nothing else */
static void taken_once(unsigned int intid, const char *name)
{
	unsigned int i;
	bool ok = true;

	acc.stop = 20;
	for (i = 0; i < 300 && ok && !acc.count[intid & 1023]; i++) {
		ok = run_polls(&m.v[cur], 1, CMD_NONE, 0, &acc) &&
		     acc.total < acc.stop;
		if (!acc.total)
			usleep(1000);
	}
	ok = ok && run_polls(&m.v[cur], 3, CMD_NONE, 0, &acc);
	tap_check(ok && acc.total == 1 && acc.last == intid, name,
		  "%u IRQs, the last INTID %llu", acc.total,
		  (unsigned long long)acc.last);
	seen_clear(&acc);
}

/* Nothing taken over 20 polls, 1 ms apart */
static void none_taken(const char *name)
{
	unsigned int i;
	bool ok = true;

	for (i = 0; i < 20 && ok; i++) {
		ok = run_polls(&m.v[cur], 1, CMD_NONE, 0, &acc);
		usleep(1000);
	}
	tap_check(ok && !acc.total, name, "%u IRQs, the last INTID %llu",
		  acc.total, (unsigned long long)acc.last);
	seen_clear(&acc);
}

#define MSI_A()	msi(&m.vm, ITS_TRANSLATER, 3, DEV_A, KVM_MSI_VALID_DEVID)

/*
 * A guest's mistakes: commands that name what does not exist or is out of
 * range are ignored (IHI 0069 6.3), a queue outside its memory is not
 * read; the ITS works on once set up right again.
 */
static void bad_guest(void)
{
	uint64_t v = 0;

	queue(0x0a | (uint64_t)DEV_A << 32, 4 | 100ULL << 32, ICID, 0);	/* MAPTI to INTID 100 */
	queue(0x0a | (uint64_t)DEV_A << 32, 40 | (uint64_t)LPI_A << 32, ICID, 0);	/* event 40 >= 32 */
	queue(0x0a | 99ULL << 32, 3 | (uint64_t)LPI_A << 32, ICID, 0);	/* device 99 unmapped */
	queue(0x09, 0, (1ULL << 63) | (7ULL << 16) | 9, 0);	/* MAPC to no vCPU 7 */
	queue(0x08 | 8ULL << 32, 31, (1ULL << 63) | ITT, 0);	/* MAPD 32 event bits */
	queue(0xff, ~0ULL, ~0ULL, ~0ULL);			/* no such command */
	queue(0x01 | (uint64_t)DEV_A << 32, 4, 9, 0);		/* MOVI of nothing */
	queue(0x0d, 0, 9, 0);					/* INVALL, unmapped ICID */
	tap_check(go(), "bad commands: every one consumed (ignored)", NULL);
	CHECK_EQ(msi(&m.vm, ITS_TRANSLATER, 4, DEV_A, KVM_MSI_VALID_DEVID), 0,
		 "... MAPTI to a non-LPI INTID made no translation");
	CHECK_EQ(msi(&m.vm, ITS_TRANSLATER, 40, DEV_A, KVM_MSI_VALID_DEVID), 0,
		 "... nor MAPTI of an event beyond the device's");
	CHECK_EQ(msi(&m.vm, ITS_TRANSLATER, 3, 99, KVM_MSI_VALID_DEVID), 0,
		 "... nor MAPTI on an unmapped device");
	none_taken("... nothing taken");
	tap_check(store64(ITS_BASE + GITS_CWRITER, 0x10000) &&
		  guest_cmd(CMD_LOAD64, ITS_BASE + GITS_CWRITER, 0, &v),
		  "guest writes GITS_CWRITER past the queue's end", NULL);
	TAP_EQ(v, (cmds % 128) * 32, "... ignored");

	/* the queue moved out of the guest's memory */
	tap_check(store32(ITS_BASE + GITS_CTLR, 0) &&
		  store64(ITS_BASE + GITS_CBASER, (1ULL << 63) | 0x7000000000ULL) &&
		  store32(ITS_BASE + GITS_CTLR, 1) &&
		  store64(ITS_BASE + GITS_CWRITER, 64) &&
		  guest_cmd(CMD_LOAD64, ITS_BASE + GITS_CREADR, 0, &v),
		  "a queue outside guest memory: 2 commands handed over", NULL);
	tap_diag("GITS_CREADR then %#llx", (unsigned long long)v);
	/* set up right again: CBASER resets CREADR and CWRITER */
	cmds = 0;
	queue(0x0a | (uint64_t)DEV_A << 32, 3 | (uint64_t)LPI_A << 32, ICID, 0);
	TAP_REQUIRE(store32(ITS_BASE + GITS_CTLR, 0) &&
		    store64(ITS_BASE + GITS_CBASER, (1ULL << 63) | CMDQ) &&
		    store32(ITS_BASE + GITS_CTLR, 1) && go(),
		    "queue back in guest memory, MAPTI device 5 event 3 again", NULL);
	CHECK_EQ(MSI_A(), 1, "KVM_SIGNAL_MSI device 5 event 3: delivered");
	taken_once(LPI_A, "... the guest takes LPI 8197, once");
}

static uint64_t guest_u64(uint64_t gpa)
{
	return *(uint64_t *)vmm_gpa_to_hva(&m.vm, gpa);
}

/*
 * Save and restore (arm-vgic-its.rst): the pending table and the ITS's
 * tables in guest memory in the ABI REV0 layout, a reset ITS, then its
 * registers and tables restored in the documented order; a pending LPI
 * stays pending across.
 */
static void save_restore(int its)
{
	uint64_t q = (cmds % 128) * 32, v;
	uint8_t pend;

	*prop(LPI_A) = 0xa0;
	queue(0x0c | (uint64_t)DEV_A << 32, 3, 0, 0);
	TAP_REQUIRE(go(), "LPI 8197 disabled, INV", NULL);
	q = (cmds % 128) * 32;
	CHECK_EQ(MSI_A(), 1, "KVM_SIGNAL_MSI to it: pending");
	CHECK_EQ(vgic_set(m.gic, KVM_DEV_ARM_VGIC_GRP_CTRL,
			  KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, NULL), 0,
		 "GIC SAVE_PENDING_TABLES");
	pend = *(uint8_t *)vmm_gpa_to_hva(&m.vm, PEND + LPI_A / 8);
	tap_check(pend & (1 << (LPI_A % 8)), "... LPI 8197's bit set in the pending table",
		  "byte %#x", pend);
	CHECK_EQ(vgic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES,
			  NULL), 0, "ITS SAVE_TABLES");
	TAP_EQ(guest_u64(DEVTAB + DEV_A * 8),
	       (1ULL << 63) | (1ULL << 49) | (ITT >> 8) << 5 | 4,
	       "... device 5's entry: valid, next 1, its ITT, 5 EventID bits");
	TAP_EQ(guest_u64(DEVTAB + DEV_B * 8),
	       (1ULL << 63) | ((ITT + 0x10000) >> 8) << 5 | 13,
	       "... device 6's entry: valid, the last, its ITT, 14 bits");
	TAP_EQ(guest_u64(ITT + 3 * 8), (uint64_t)LPI_A << 16 | ICID,
	       "... device 5's ITE 3: LPI 8197, collection 3, the last");
	TAP_EQ(guest_u64(ITT + 0x10000 + LPI_B * 8), (uint64_t)LPI_B << 16 | ICID,
	       "... device 6's ITE 8200: LPI 8200, collection 3");
	TAP_EQ(guest_u64(COLLTAB), (1ULL << 63) | ICID,
	       "... collection table: collection 3 on processor 0");
	TAP_EQ(guest_u64(COLLTAB + 8), 0, "... then an invalid entry");

	CHECK_EQ(vgic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET,
			  NULL), 0, "ITS RESET");
	TAP_EQ(vgic_get64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CTLR) & 1, 0,
	       "... GITS_CTLR.Enabled 0");
	TAP_EQ(vgic_get64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_BASER(0)) >> 63, 0,
	       "... GITS_BASER0 not valid");
	CHECK_NEG(MSI_A(), EBUSY, "... KVM_SIGNAL_MSI: EBUSY");

	v = vgic_get64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_BASER(0));
	TAP_REQUIRE(!vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CBASER,
				(1ULL << 63) | CMDQ) &&
		    !vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_BASER(0),
				v | (1ULL << 63) | DEVTAB) &&
		    !vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_BASER(1),
				vgic_get64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
					   GITS_BASER(1)) | (1ULL << 63) | COLLTAB) &&
		    !vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CREADR, q) &&
		    !vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CWRITER, q),
		    "ITS_REGS restored: CBASER, BASER0, BASER1, CREADR, CWRITER", NULL);
	CHECK_EQ(vgic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_RESTORE_TABLES,
			  NULL), 0, "ITS RESTORE_TABLES");
	CHECK_EQ(vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CTLR, 1), 0,
		 "GITS_CTLR restored: enabled");
	none_taken("... LPI 8197, pending but disabled, not taken");
	*prop(LPI_A) = 0xa0 | 1;
	queue(0x0c | (uint64_t)DEV_A << 32, 3, 0, 0);
	TAP_REQUIRE(go(), "LPI 8197 enabled, INV", NULL);
	taken_once(LPI_A, "... its pending state restored: LPI 8197 taken, once");
	CHECK_EQ(msi(&m.vm, ITS_TRANSLATER, LPI_B, DEV_B, KVM_MSI_VALID_DEVID), 1,
		 "KVM_SIGNAL_MSI device 6 event 8200 after the restore: delivered");
	taken_once(LPI_B, "... the guest takes LPI 8200, once");
}

/* CLEAR: a pending LPI's pending state goes */
static void clear(void)
{
	*prop(LPI_B) = 0xa0;
	queue(0x0c | (uint64_t)DEV_B << 32, LPI_B, 0, 0);
	TAP_REQUIRE(go(), "LPI 8200 disabled, INV", NULL);
	CHECK_EQ(msi(&m.vm, ITS_TRANSLATER, LPI_B, DEV_B, KVM_MSI_VALID_DEVID), 1,
		 "KVM_SIGNAL_MSI to it: pending");
	queue(0x04 | (uint64_t)DEV_B << 32, LPI_B, 0, 0);
	*prop(LPI_B) = 0xa0 | 1;
	queue(0x0c | (uint64_t)DEV_B << 32, LPI_B, 0, 0);
	TAP_REQUIRE(go(), "CLEAR device 6 event 8200, LPI 8200 enabled, INV", NULL);
	none_taken("... not taken: CLEAR removed its pending state");
	CHECK_EQ(msi(&m.vm, ITS_TRANSLATER, LPI_B, DEV_B, KVM_MSI_VALID_DEVID), 1,
		 "KVM_SIGNAL_MSI to it again: delivered");
	taken_once(LPI_B, "... taken, once");
}

/* MOVI, MOVALL: LPI 8197 to vCPU 1 (collection 4), then all back to 0 */
static void move(void)
{
	cur = 1;
	TAP_REQUIRE(store64(GIC_REDIST1 + GICR_PROPBASER, PROP | PROP_IDBITS) &&
		    store64(GIC_REDIST1 + GICR_PENDBASER, PEND1) &&
		    store32(GIC_REDIST1 + GICR_CTLR, 1),
		    "vCPU 1 sets its PROPBASER, PENDBASER, EnableLPIs", NULL);
	cur = 0;
	queue(0x09, 0, (1ULL << 63) | (1ULL << 16) | 4, 0);
	queue(0x01 | (uint64_t)DEV_A << 32, 3, 4, 0);
	queue(0x05, 0, 1ULL << 16, 0);
	TAP_REQUIRE(go(), "MAPC collection 4 to processor 1, MOVI device 5 event 3 to it, SYNC",
		    NULL);
	CHECK_EQ(MSI_A(), 1, "KVM_SIGNAL_MSI device 5 event 3: delivered");
	none_taken("... not taken by vCPU 0");
	cur = 1;
	taken_once(LPI_A, "... LPI 8197 taken by vCPU 1, once");
	cur = 0;
	queue(0x0e, 0, 1ULL << 16, 0);
	TAP_REQUIRE(go(), "MOVALL processor 1 to processor 0", NULL);
	CHECK_EQ(MSI_A(), 1, "KVM_SIGNAL_MSI device 5 event 3: delivered");
	taken_once(LPI_A, "... LPI 8197 taken by vCPU 0 again, once");
	cur = 1;
	none_taken("... not by vCPU 1");
	cur = 0;
}

static uint64_t *guest_p64(uint64_t gpa)
{
	return vmm_gpa_to_hva(&m.vm, gpa);
}

/* ITS_REGS as a VMM restores them, before RESTORE_TABLES */
static bool restore_regs(int its, uint64_t q)
{
	return !vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CBASER,
			   (1ULL << 63) | CMDQ) &&
	       !vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_BASER(0),
			   (3ULL << 62) | L1TAB) &&
	       !vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_BASER(1),
			   vgic_get64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
				      GITS_BASER(1)) | (1ULL << 63) | COLLTAB) &&
	       !vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CREADR, q) &&
	       !vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CWRITER, q);
}

#define MSI_C()	msi(&m.vm, ITS_TRANSLATER, 1, DEV_C, KVM_MSI_VALID_DEVID)

/*
 * A two-level device table (IHI 0069 12.19.1, GITS_BASER.Indirect):
 * level-1 entries 0 and 1 Valid (DeviceIDs 0-8191 and 8192-16383 in
 * their 64 KiB level-2 pages), 2 not Valid, 3 naming a page outside guest
 * memory. The ITS reset first, the guest sets it up again.
 */
static void two_level(int its)
{
	uint64_t v = 0, q;

	CHECK_EQ(vgic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET,
			  NULL), 0, "ITS RESET, for a two-level device table");
	memset(guest_p64(L1TAB), 0, 0x10000);
	memset(guest_p64(L2A), 0, 0x10000);
	memset(guest_p64(L2B), 0, 0x10000);
	memset(guest_p64(ITT), 0, 32 * 8);
	memset(guest_p64(ITT2), 0, 0x200);
	guest_p64(L1TAB)[0] = (1ULL << 63) | L2A;
	guest_p64(L1TAB)[1] = (1ULL << 63) | L2B;
	guest_p64(L1TAB)[2] = L2B;		/* not Valid */
	guest_p64(L1TAB)[3] = (1ULL << 63) | OUTSIDE;
	*prop(LPI_C) = 0xa0 | 1;
	*prop(LPI_D) = 0xa0 | 1;
	cmds = 0;
	TAP_REQUIRE(store64(ITS_BASE + GITS_CBASER, (1ULL << 63) | CMDQ) &&
		    store64(ITS_BASE + GITS_BASER(0), (3ULL << 62) | L1TAB) &&
		    store64(ITS_BASE + GITS_BASER(1), (1ULL << 63) | COLLTAB) &&
		    store32(ITS_BASE + GITS_CTLR, 1) &&
		    guest_cmd(CMD_LOAD64, ITS_BASE + GITS_BASER(0), 0, &v),
		    "guest sets GITS_CBASER, BASER0 Valid and Indirect, BASER1, CTLR", NULL);
	TAP_EQ(v >> 62, 3, "GITS_BASER0 reads back Valid and Indirect");
	TAP_EQ((v >> 8) & 3, 2, "... Page_Size 64 KiB");

	queue(0x08, 4, (1ULL << 63) | ITT3, 0);
	queue(0x08 | (uint64_t)DEV_A << 32, 4, (1ULL << 63) | ITT, 0);
	queue(0x08 | (uint64_t)DEV_C << 32, 4, (1ULL << 63) | ITT2, 0);
	queue(0x08 | 16385ULL << 32, 4, (1ULL << 63) | ITT2, 0);
	queue(0x08 | 24577ULL << 32, 4, (1ULL << 63) | ITT2, 0);
	queue(0x09, 0, (1ULL << 63) | ICID, 0);
	queue(0x0a, 3 | (uint64_t)LPI_D << 32, ICID, 0);
	queue(0x0a | (uint64_t)DEV_A << 32, 3 | (uint64_t)LPI_A << 32, ICID, 0);
	queue(0x0a | (uint64_t)DEV_C << 32, 1 | (uint64_t)LPI_C << 32, ICID, 0);
	queue(0x0a | 16385ULL << 32, 0 | (uint64_t)LPI_C << 32, ICID, 0);
	queue(0x0a | 24577ULL << 32, 0 | (uint64_t)LPI_C << 32, ICID, 0);
	queue(0x05, 0, 0, 0);
	TAP_REQUIRE(go(), "MAPD devices 0, 5, 8199, 16385, 24577, MAPC, MAPTI each, SYNC",
		    NULL);
	CHECK_EQ(MSI_A(), 1, "KVM_SIGNAL_MSI device 5 (level-2 page 0): delivered");
	taken_once(LPI_A, "... the guest takes LPI 8197, once");
	CHECK_EQ(MSI_C(), 1, "KVM_SIGNAL_MSI device 8199 (level-2 page 1): delivered");
	taken_once(LPI_C, "... the guest takes LPI 8201, once");
	CHECK_EQ(msi(&m.vm, ITS_TRANSLATER, 0, 16385, KVM_MSI_VALID_DEVID), 0,
		 "device 16385, level-1 entry not Valid: MAPD ignored, MSI dropped");
	CHECK_EQ(msi(&m.vm, ITS_TRANSLATER, 0, 24577, KVM_MSI_VALID_DEVID), 0,
		 "device 24577, level-2 page outside guest memory: MAPD ignored, MSI dropped");
	none_taken("... nothing taken");

	/* saved into the level-2 pages */
	q = (cmds % 128) * 32;
	CHECK_EQ(vgic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES,
			  NULL), 0, "ITS SAVE_TABLES, two-level");
	TAP_EQ(guest_u64(L2A), (1ULL << 63) | (5ULL << 49) | (ITT3 >> 8) << 5 | 4,
	       "... device 0's DTE in page 0: valid, next 5, its ITT");
	TAP_EQ(guest_u64(L2A + DEV_A * 8),
	       (1ULL << 63) | ((uint64_t)(DEV_C - DEV_A) << 49) | (ITT >> 8) << 5 | 4,
	       "... device 5's: next 8194 (into page 1)");
	TAP_EQ(guest_u64(L2B + (DEV_C - 8192) * 8), (1ULL << 63) | (ITT2 >> 8) << 5 | 4,
	       "... device 8199's in page 1: valid, the last");
	TAP_EQ(guest_u64(ITT2 + 8), (uint64_t)LPI_C << 16 | ICID,
	       "... device 8199's ITE 1: LPI 8201");
	tap_check(guest_u64(L1TAB) == ((1ULL << 63) | L2A) &&
		  guest_u64(L1TAB + 8) == ((1ULL << 63) | L2B) &&
		  guest_u64(L1TAB + 16) == L2B,
		  "... the level-1 entries left as the guest wrote them", NULL);

	/* restored from them */
	TAP_REQUIRE(!vgic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET,
			      NULL) && restore_regs(its, q),
		    "ITS RESET, ITS_REGS restored (BASER0 two-level)", NULL);
	/* level-1 entry 1, before the last DTE, made to name no memory */
	guest_p64(L1TAB)[1] = (1ULL << 63) | OUTSIDE;
	CHECK_NEG(vgic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_RESTORE_TABLES,
			   NULL), EFAULT,
		  "RESTORE_TABLES, a Valid level-1 entry outside guest memory: EFAULT");
	guest_p64(L1TAB)[1] = (1ULL << 63) | L2B;
	/* no LPI pending in the pending table (save_restore() left one) */
	memset((uint8_t *)vmm_gpa_to_hva(&m.vm, PEND) + 8192 / 8, 0, 8192 / 8);
	TAP_REQUIRE(!vgic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET,
			      NULL) && restore_regs(its, q),
		    "that entry put back; ITS RESET, ITS_REGS restored again", NULL);
	CHECK_EQ(vgic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_RESTORE_TABLES,
			  NULL), 0, "ITS RESTORE_TABLES, two-level");
	CHECK_EQ(vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CTLR, 1), 0,
		 "GITS_CTLR restored: enabled");
	CHECK_EQ(MSI_C(), 1, "KVM_SIGNAL_MSI device 8199 after the restore: delivered");
	taken_once(LPI_C, "... the guest takes LPI 8201, once");
	CHECK_EQ(MSI_A(), 1, "KVM_SIGNAL_MSI device 5 after the restore: delivered");
	taken_once(LPI_A, "... the guest takes LPI 8197, once");

	/* the guest's own write: EventID 3, which restored device 0 maps */
	TAP_REQUIRE(store32(ITS_TRANSLATER, 3),
		    "guest writes EventID 3 to GITS_TRANSLATER itself", NULL);
	none_taken("... ignored: no LPI (a CPU's write carries no DeviceID)");
	TAP_REQUIRE(guest_cmd(CMD_LOAD32, ITS_TRANSLATER, 0, &v),
		    "guest reads GITS_TRANSLATER", NULL);
	TAP_EQ(v, 0, "... 0 (write-only)");
	CHECK_EQ(msi(&m.vm, ITS_TRANSLATER, 3, 0, KVM_MSI_VALID_DEVID), 1,
		 "KVM_SIGNAL_MSI device 0 event 3: delivered");
	taken_once(LPI_D, "... the guest takes LPI 8202, once");
}

static void delivery(void)
{
	int its, efd = eventfd(0, 0);
	uint64_t v = 0;
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} rt = { .r.nr = 1 };

	TAP_REQUIRE(machine_create(&m, 2), "guest VM with its GIC, 2 vCPUs", NULL);
	its = its_create(&m.vm);
	TAP_REQUIRE(its >= 0, "ITS created before the guest runs", "%d", its);
	TAP_REQUIRE(!vgic_set64(its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE,
				ITS_BASE) &&
		    !vgic_set(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT,
			      NULL), "ITS placed and initialized", NULL);
	TAP_REQUIRE(machine_start(&m, 2), "guest up", NULL);
	seen_clear(&acc);

	/* what the guest sees */
	TAP_REQUIRE(guest_cmd(CMD_LOAD32, GIC_DIST + GICD_TYPER, 0, &v),
		    "guest reads GICD_TYPER", NULL);
	tap_check((v & (1 << 17)) && ((v >> 19) & 0x1f) >= 13,
		  "GICD_TYPER: LPIs, at least 14 INTID bits", "%#llx",
		  (unsigned long long)v);
	TAP_REQUIRE(guest_cmd(CMD_LOAD64, GIC_REDIST + GICR_TYPER, 0, &v),
		    "guest reads GICR_TYPER", NULL);
	TAP_EQ(v & 1, 1, "GICR_TYPER.PLPIS");

	/* the LPI tables, the redistributor's LPIs on */
	memset(prop(8192), 0, 1 << 13);
	*prop(LPI_A) = 0xa0 | 1;
	*prop(LPI_B) = 0xa0 | 1;
	TAP_REQUIRE(store64(GIC_REDIST + GICR_PROPBASER, PROP | PROP_IDBITS) &&
		    store64(GIC_REDIST + GICR_PENDBASER, PEND) &&
		    store32(GIC_REDIST + GICR_CTLR, 1),
		    "guest sets PROPBASER, PENDBASER, EnableLPIs", NULL);
	TAP_REQUIRE(guest_cmd(CMD_LOAD32, GIC_REDIST + GICR_CTLR, 0, &v), "GICR_CTLR", NULL);
	TAP_EQ(v & 1, 1, "GICR_CTLR.EnableLPIs reads 1");

	/* the ITS: queue, tables, on */
	TAP_REQUIRE(store64(ITS_BASE + GITS_CBASER, (1ULL << 63) | CMDQ) &&
		    store64(ITS_BASE + GITS_BASER(0), (1ULL << 63) | DEVTAB) &&
		    store64(ITS_BASE + GITS_BASER(1), (1ULL << 63) | COLLTAB) &&
		    store32(ITS_BASE + GITS_CTLR, 1),
		    "guest sets GITS_CBASER, BASER0, BASER1, CTLR.Enabled", NULL);
	TAP_REQUIRE(guest_cmd(CMD_LOAD32, ITS_BASE + GITS_CTLR, 0, &v), "GITS_CTLR", NULL);
	TAP_EQ(v & 1, 1, "GITS_CTLR.Enabled reads 1");

	/* MAPD A (32 events), MAPD B (2^14), MAPC, MAPTI, MAPI, SYNC */
	queue(0x08 | (uint64_t)DEV_A << 32, 4, (1ULL << 63) | ITT, 0);
	queue(0x08 | (uint64_t)DEV_B << 32, 13, (1ULL << 63) | (ITT + 0x10000), 0);
	queue(0x09, 0, (1ULL << 63) | (0ULL << 16) | ICID, 0);
	queue(0x0a | (uint64_t)DEV_A << 32, 3 | (uint64_t)LPI_A << 32, ICID, 0);
	queue(0x0b | (uint64_t)DEV_B << 32, LPI_B, ICID, 0);
	queue(0x05, 0, 0, 0);
	TAP_REQUIRE(store64(ITS_BASE + GITS_CWRITER, cmds * 32),
		    "guest moves GITS_CWRITER over MAPD, MAPD, MAPC, MAPTI, MAPI, SYNC", NULL);
	TAP_REQUIRE(guest_cmd(CMD_LOAD64, ITS_BASE + GITS_CREADR, 0, &v), "GITS_CREADR", NULL);
	TAP_EQ(v, cmds * 32, "GITS_CREADR: every command consumed");

	/* MSIs */
	CHECK_EQ(MSI_A(), 1, "KVM_SIGNAL_MSI device 5 event 3: delivered (1)");
	taken_once(LPI_A, "... the guest takes LPI 8197 (MAPTI), once");
	CHECK_EQ(msi(&m.vm, ITS_TRANSLATER, LPI_B, DEV_B, KVM_MSI_VALID_DEVID), 1,
		 "KVM_SIGNAL_MSI device 6 event 8200: delivered");
	taken_once(LPI_B, "... the guest takes LPI 8200 (MAPI), once");
	CHECK_EQ(msi(&m.vm, ITS_TRANSLATER, 4, DEV_A, KVM_MSI_VALID_DEVID), 0,
		 "KVM_SIGNAL_MSI of an unmapped event: dropped (0)");
	CHECK_EQ(msi(&m.vm, ITS_TRANSLATER, 3, 7, KVM_MSI_VALID_DEVID), 0,
		 "KVM_SIGNAL_MSI of an unmapped device: dropped (0)");
	none_taken("... nothing taken");

	/* irqfd on an MSI route */
	rt.e[0] = (struct kvm_irq_routing_entry) {
		.gsi = 3, .type = KVM_IRQ_ROUTING_MSI, .flags = KVM_MSI_VALID_DEVID,
		.u.msi = { .address_lo = (uint32_t)ITS_TRANSLATER,
			   .address_hi = ITS_TRANSLATER >> 32, .data = 3,
			   .devid = DEV_A },
	};
	CHECK_EQ(ioctl(m.vm.fd, KVM_SET_GSI_ROUTING, &rt.r) ? -errno : 0, 0,
		 "GSI 3: an MSI route to device 5 event 3");
	CHECK_EQ(ioctl(m.vm.fd, KVM_IRQFD, &(struct kvm_irqfd){ .fd = efd, .gsi = 3 }) ?
		 -errno : 0, 0, "irqfd on GSI 3");
	{
		uint64_t one = 1;

		tap_check(write(efd, &one, 8) == 8, "eventfd written", NULL);
	}
	taken_once(LPI_A, "... the guest takes LPI 8197, once");

	/* INT, through the queue */
	queue(0x03 | (uint64_t)DEV_B << 32, LPI_B, 0, 0);
	TAP_REQUIRE(go(), "guest queues INT device 6 event 8200", NULL);
	taken_once(LPI_B, "... the guest takes LPI 8200, once");

	/* configuration: disabled, pending kept, INV enables */
	*prop(LPI_A) = 0xa0;
	queue(0x0c | (uint64_t)DEV_A << 32, 3, 0, 0);
	TAP_REQUIRE(go(), "LPI 8197 disabled in the table, INV", NULL);
	CHECK_EQ(MSI_A(), 1, "KVM_SIGNAL_MSI to the disabled LPI: 1 (made pending)");
	none_taken("... not taken while disabled");
	*prop(LPI_A) = 0xa0 | 1;
	queue(0x0c | (uint64_t)DEV_A << 32, 3, 0, 0);
	TAP_REQUIRE(go(), "LPI 8197 enabled in the table, INV", NULL);
	taken_once(LPI_A, "... the pending LPI 8197 taken, once");

	save_restore(its);
	clear();
	move();

	/* DISCARD */
	queue(0x0f | (uint64_t)DEV_A << 32, 3, 0, 0);
	TAP_REQUIRE(go(), "DISCARD device 5 event 3", NULL);
	CHECK_EQ(MSI_A(), 0, "KVM_SIGNAL_MSI to the discarded event: dropped (0)");
	none_taken("... nothing taken");

	bad_guest();
	two_level(its);
	close(efd);
	close(its);
	machine_down(&m, 2);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_init();
	if (!vgic_available()) {
		tap_skip("ITS", "no GICv3 device here");
		return tap_done();
	}
	errors();
	delivery();
	return tap_done();
}
