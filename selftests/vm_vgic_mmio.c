// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel GICv3's frames as a guest sees them: loads and stores to
 * the distributor and to a redistributor (RD and SGI frames) are answered
 * in the kernel, with no exit to userspace, and what the guest wrote is
 * what userspace then reads through DIST_REGS/REDIST_REGS. The guest
 * reports what it read through MMIO stores outside the GIC (exits).
 */
#include "lib/vgic.h"
#include "guest.h"

#define OUT	VMM_MMIO_BASE

GUEST_CODE(gicmmio,
	"	mov64	x20, " GUEST_STR(GIC_DIST) "\n"
	"	mov64	x21, " GUEST_STR(GIC_REDIST) "\n"
	"	mov64	x22, " GUEST_STR(OUT) "\n"
	"	add	x23, x21, #0x10, lsl #12\n"	/* SGI frame */
	"	ldr	w1, [x20, #4]\n"		/* GICD_TYPER */
	"	str	w1, [x22, #0]\n"
	"	ldr	w1, [x21, #8]\n"		/* GICR_TYPER */
	"	str	w1, [x22, #8]\n"
	"	mov	w2, #2\n"
	"	str	w2, [x20]\n"			/* GICD_CTLR G1 */
	"	mov	w2, #0xff00\n"
	"	str	w2, [x20, #0x104]\n"		/* ISENABLER1 */
	"	ldr	w1, [x20, #0x104]\n"
	"	str	w1, [x22, #0x10]\n"
	"	mov	w2, #0xa0\n"
	"	strb	w2, [x20, #0x429]\n"		/* IPRIORITYR byte 41 */
	"	ldr	w1, [x20, #0x428]\n"
	"	str	w1, [x22, #0x18]\n"
	"	str	wzr, [x21, #0x14]\n"		/* GICR_WAKER awake */
	"	ldr	w1, [x21, #0x14]\n"
	"	str	w1, [x22, #0x20]\n"
	"	mov	w2, #0xffff\n"
	"	str	w2, [x23, #0x100]\n"		/* GICR_ISENABLER0 */
	"	ldr	w1, [x23, #0x100]\n"
	"	str	w1, [x22, #0x28]\n"
	"	b	.\n");

static struct {
	uint64_t off, expect, mask;
	const char *what;
} reports[] = {
	{ 0x00, 0x3, 0x1f, "guest reads GICD_TYPER: ITLinesNumber 3" },
	{ 0x08, 0x10, 0xffffff10, "guest reads GICR_TYPER: processor 0, Last" },
	{ 0x10, 0xff00, ~0ULL, "guest reads back ISENABLER1" },
	{ 0x18, 0xa000, 0xff00, "guest reads back a priority byte" },
	{ 0x20, 0x0, 0x6, "guest woke its redistributor (GICR_WAKER)" },
	{ 0x28, 0xffff, 0xffff, "guest reads back GICR_ISENABLER0" },
};

int main(void)
{
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	unsigned int i;
	uint64_t val;
	int fd;

	tap_init();
	if (!vgic_available()) {
		tap_skip("VGIC_V3 frames", "no GICv3 device here");
		return tap_done();
	}
	TAP_REQUIRE(!vmm_simple_vm(&vm, &vcpu, gicmmio_start,
				   GUEST_SIZE(gicmmio), 0),
		    "VM with one vCPU", NULL);
	fd = vgic_setup(&vm, 128);
	TAP_REQUIRE(fd >= 0, "GIC: NR_IRQS 128, INIT, addresses", "got %d", fd);

	for (i = 0; i < ARRAY_SIZE(reports); i++) {
		bool ok = vmm_expect_mmio(&vcpu, OUT + reports[i].off, 4, true,
					  &val);

		if (!tap_check(ok, reports[i].what, "exit: %s",
			       vmm_describe_exit(&vcpu)))
			break;
		tap_check((val & reports[i].mask) == reports[i].expect,
			  reports[i].what, "0x%llx", (unsigned long long)val);
	}
	CHECK_EQ(vgic_get32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_CTLR) & 2, 2,
	       "userspace sees the guest's GICD_CTLR.EnableGrp1");
	CHECK_EQ(vgic_get32(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
			  GICD_ISENABLER + 4), 0xff00,
	       "userspace sees the guest's ISENABLER1");
	CHECK_EQ(vgic_get32(fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			  VCPU_ATTR(0) | (GICR_SGI + 0x100)) & 0xffff, 0xffff,
	       "userspace sees the guest's GICR_ISENABLER0");
	close(fd);
	vmm_vm_destroy(&vm);
	return tap_done();
}
