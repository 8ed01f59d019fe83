// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel GICv3 device (devices/arm-vgic-v3.rst): KVM_CREATE_DEVICE
 * with and without KVM_CREATE_DEVICE_TEST, one per VM, the ADDR, NR_IRQS
 * and CTRL groups with their documented errors and order rules, vCPUs
 * created before INIT but not after, and what the first KVM_RUN checks
 * (no redistributor: ENXIO; overlapping frames: EINVAL; no INIT: EBUSY).
 * Skips (after checking the capabilities say 0) where there is no device.
 */
#include "lib/vgic.h"

#define ADDR	KVM_DEV_ARM_VGIC_GRP_ADDR
#define DIST	KVM_VGIC_V3_ADDR_TYPE_DIST
#define REDIST	KVM_VGIC_V3_ADDR_TYPE_REDIST
#define REGION	KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION

/* mov x0, #0x10000000 (VMM_MMIO_BASE); str xzr, [x0]; b . */
static const uint32_t guest_code[] = { 0xd2a20000, 0xf900001f, 0x14000000 };

static int new_vm(struct vmm_vm *vm, struct vmm_vcpu *vcpus, int n)
{
	int i, rc = vmm_vm_create(vm, 0);

	if (rc)
		return rc;
	if (!vmm_mem_add(vm, 0, VMM_RAM_BASE, VMM_RAM_SIZE, 0))
		return -ENOMEM;
	vmm_load(vm, VMM_RAM_BASE, guest_code, sizeof(guest_code));
	for (i = 0; i < n && !rc; i++)
		rc = vmm_simple_vcpu(vm, &vcpus[i], i, 0, VMM_RAM_BASE);
	return rc;
}

static void create_rules(void)
{
	struct vmm_vcpu vcpus[2];
	struct vmm_vm vm;
	int fd;

	TAP_REQUIRE(!new_vm(&vm, vcpus, 2), "VM with 2 vCPUs", NULL);
	CHECK_NEG(vgic_create(&vm, 0xffff, true), ENODEV,
		"an unknown device type: ENODEV (test)");
	CHECK_NEG(vgic_create(&vm, 0xffff, false), ENODEV,
		"an unknown device type: ENODEV");
	fd = vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_V3, false);
	TAP_REQUIRE(fd >= 0, "KVM_CREATE_DEVICE VGIC_V3 after the vCPUs",
		    "got %d", fd);
	CHECK_NEG(vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_V3, false), EEXIST,
		"a second VGIC_V3: EEXIST");
	CHECK_EQ(vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_V3, true), 0,
	       "KVM_CREATE_DEVICE_TEST still 0 with one there");

	CHECK_EQ(vgic_has(fd, ADDR, DIST), 0, "HAS ADDR DIST");
	CHECK_EQ(vgic_has(fd, ADDR, REDIST), 0, "HAS ADDR REDIST");
	CHECK_EQ(vgic_has(fd, ADDR, REGION), 0, "HAS ADDR REDIST_REGION");
	CHECK_NEG(vgic_has(fd, ADDR, -1ULL), ENXIO, "HAS ADDR -1: ENXIO");
	CHECK_EQ(vgic_has(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0), 0, "HAS NR_IRQS");
	CHECK_EQ(vgic_has(fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			KVM_DEV_ARM_VGIC_CTRL_INIT), 0, "HAS CTRL INIT");
	CHECK_EQ(vgic_has(fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES), 0,
	       "HAS CTRL SAVE_PENDING_TABLES");
	CHECK_NEG(vgic_has(fd, 99, 0), ENXIO, "HAS of an unknown group: ENXIO");
	CHECK_EQ(vgic_has(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_CTLR), 0,
	       "HAS DIST_REGS GICD_CTLR");
	CHECK_NEG(vgic_has(fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			 VCPU_ATTR(7) | GICR_TYPER), EINVAL,
		"HAS REDIST_REGS of a vCPU that does not exist: EINVAL");
	CHECK_EQ(vgic_has(fd, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
			VCPU_ATTR(1) | ICC_PMR), 0, "HAS CPU_SYSREGS ICC_PMR_EL1");

	/* NR_IRQS: 64..1024 in 32s, once */
	CHECK_NEG(vgic_set32(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, 32), EINVAL,
		"NR_IRQS 32: EINVAL");
	CHECK_NEG(vgic_set32(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, 1056), EINVAL,
		"NR_IRQS 1056: EINVAL");
	CHECK_NEG(vgic_set32(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, 100), EINVAL,
		"NR_IRQS 100: EINVAL");
	CHECK_EQ(vgic_set32(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, 128), 0,
	       "NR_IRQS 128");
	CHECK_NEG(vgic_set32(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, 256), EBUSY,
		"NR_IRQS again: EBUSY");
	CHECK_EQ(vgic_get32(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0), 128,
	       "NR_IRQS reads 128");
	CHECK_NEG(vgic_get(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, NULL), EFAULT,
		"NR_IRQS into NULL: EFAULT");

	/* registers before INIT */
	CHECK_NEG(vgic_get(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_CTLR,
			 &(uint32_t){ 0 }), EBUSY, "DIST_REGS before INIT: EBUSY");
	CHECK_NEG(vgic_get(fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			 VCPU_ATTR(5) | GICR_TYPER, &(uint32_t){ 0 }), EINVAL,
		"REDIST_REGS of no vCPU: EINVAL");

	/* ADDR */
	CHECK_EQ(vgic_get64(fd, ADDR, DIST), -1ULL, "DIST unset reads ~0");
	CHECK_NEG(vgic_set64(fd, ADDR, DIST, GIC_DIST + 0x1000), EINVAL,
		"DIST misaligned: EINVAL");
	CHECK_NEG(vgic_set64(fd, ADDR, DIST, 1ULL << 40), E2BIG,
		"DIST beyond the IPA space: E2BIG");
	CHECK_NEG(vgic_set64(fd, ADDR, REDIST, (1ULL << 40) - 0x10000), E2BIG,
		"REDIST half beyond the IPA space: E2BIG");
	CHECK_EQ(vgic_set64(fd, ADDR, REDIST, GIC_REDIST), 0, "REDIST set");
	CHECK_NEG(vgic_set64(fd, ADDR, REDIST, 0x100000), EEXIST,
		"REDIST again: EEXIST");
	CHECK_NEG(vgic_set64(fd, ADDR, REGION, RR(2, 0x200000, 0, 0)), EINVAL,
		"REDIST_REGION after REDIST: EINVAL");
	CHECK_EQ(vgic_get64(fd, ADDR, REDIST), GIC_REDIST, "REDIST reads back");

	CHECK_EQ(vgic_set(fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			KVM_DEV_ARM_VGIC_CTRL_INIT, NULL), 0, "CTRL INIT");
	CHECK_EQ(vgic_set(fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			KVM_DEV_ARM_VGIC_CTRL_INIT, NULL), 0, "CTRL INIT again: 0");
	{
		struct vmm_vcpu late;

		CHECK_NEG(vmm_vcpu_create(&vm, &late, 2), EBUSY,
			"KVM_CREATE_VCPU after INIT: EBUSY");
	}
	CHECK_EQ(vgic_set64(fd, ADDR, DIST, GIC_DIST), 0, "DIST set after INIT");
	CHECK_NEG(vgic_set64(fd, ADDR, DIST, GIC_DIST), EEXIST,
		"DIST again: EEXIST");
	CHECK_EQ(vgic_set(fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, NULL), 0,
	       "SAVE_PENDING_TABLES with no LPIs");
	close(fd);
	vmm_vm_destroy(&vm);
}

static void region_rules(void)
{
	struct vmm_vcpu vcpus[4];
	struct vmm_vm vm;
	uint64_t v;
	int fd;

	TAP_REQUIRE(!new_vm(&vm, vcpus, 4), "VM with 4 vCPUs", NULL);
	fd = vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_V3, false);
	TAP_REQUIRE(fd >= 0, "device", "got %d", fd);
	CHECK_NEG(vgic_set64(fd, ADDR, REGION, RR(2, 0x200000, 1, 0)), EINVAL,
		"region with flags: EINVAL");
	CHECK_NEG(vgic_set64(fd, ADDR, REGION, RR(0, 0x200000, 0, 0)), EINVAL,
		"region with count 0: EINVAL");
	CHECK_NEG(vgic_set64(fd, ADDR, REGION, RR(2, 0x200000, 0, 1)), EINVAL,
		"first region with index 1: EINVAL");
	CHECK_EQ(vgic_set64(fd, ADDR, REGION, RR(2, 0x200000, 0, 0)), 0,
	       "region 0: 2 redistributors at 0x200000");
	CHECK_NEG(vgic_set64(fd, ADDR, REGION, RR(1, 0x210000, 0, 1)), EINVAL,
		"region 1 overlapping region 0: EINVAL");
	CHECK_NEG(vgic_set64(fd, ADDR, REGION, RR(1, 1ULL << 40, 0, 1)), E2BIG,
		"region beyond the IPA space: E2BIG");
	CHECK_NEG(vgic_set64(fd, ADDR, REDIST, 0x400000), EINVAL,
		"REDIST after REDIST_REGION: EINVAL");
	v = RR(0, 0, 0, 0);
	CHECK_EQ(vgic_get(fd, ADDR, REGION, &v), 0, "region 0 read");
	CHECK_EQ(v, RR(2, 0x200000, 0, 0), "region 0 reads count, base, index");
	v = RR(0, 0, 0, 1);
	CHECK_NEG(vgic_get(fd, ADDR, REGION, &v), ENOENT,
		"region 1 read before it exists: ENOENT");
	CHECK_EQ(vgic_set64(fd, ADDR, DIST, 0x300000), 0, "DIST at 0x300000");
	CHECK_NEG(vgic_set64(fd, ADDR, REGION, RR(2, 0x2e0000, 0, 1)), EINVAL,
		"region 1 over the distributor: EINVAL");
	CHECK_EQ(vgic_set(fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			KVM_DEV_ARM_VGIC_CTRL_INIT, NULL), 0, "INIT");
	/* GICR_TYPER: Last for the second of region 0 only once it is full */
	CHECK_EQ(vgic_get32(fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			  VCPU_ATTR(1) | GICR_TYPER), 0x110,
	       "vCPU 1: processor 1, Last (end of region 0)");
	CHECK_EQ(vgic_get32(fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			  VCPU_ATTR(2) | GICR_TYPER), 0x200,
	       "vCPU 2: processor 2, no region: not Last");
	CHECK_EQ(vgic_set64(fd, ADDR, REGION, RR(2, 0x240000, 0, 1)), 0,
	       "region 1 right after region 0");
	CHECK_EQ(vgic_get32(fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			  VCPU_ATTR(1) | GICR_TYPER), 0x100,
	       "vCPU 1 not Last: region 1 follows");
	CHECK_EQ(vgic_get32(fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			  VCPU_ATTR(3) | GICR_TYPER), 0x310, "vCPU 3 Last");
	CHECK_EQ(vmm_run(&vcpus[3]), KVM_EXIT_MMIO,
	       "KVM_RUN with every redistributor placed: runs");
	CHECK_EQ(vmm_is_mmio(&vcpus[3], VMM_MMIO_BASE, 8, true), 1,
	       "... to the guest's MMIO store");
	close(fd);
	vmm_vm_destroy(&vm);
}

/* After a first KVM_RUN that failed on the GIC, the VM is dead: EIO */
static void check_dead(struct vmm_vm *vm, struct vmm_vcpu *vcpu, int fd,
		       const char *what)
{
	char name[128];

	snprintf(name, sizeof(name), "%s: then the VM is dead (VM ioctl EIO)",
		 what);
	CHECK_NEG(vmm_check_cap(vm, KVM_CAP_IRQCHIP), EIO, name);
	snprintf(name, sizeof(name), "%s: ... vCPU ioctl EIO", what);
	CHECK_NEG(vmm_run(vcpu), EIO, name);
	snprintf(name, sizeof(name), "%s: ... device ioctl EIO", what);
	CHECK_NEG(vgic_has(fd, ADDR, DIST), EIO, name);
}

static void run_rules(void)
{
	struct vmm_vcpu vcpus[4];
	struct vmm_vm vm;
	int fd, i;

	/* INIT, but no distributor address */
	TAP_REQUIRE(!new_vm(&vm, vcpus, 2), "VM with 2 vCPUs", NULL);
	fd = vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_V3, false);
	vgic_set64(fd, ADDR, REDIST, GIC_REDIST);
	vgic_set(fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT,
		 NULL);
	CHECK_NEG(vmm_run(&vcpus[0]), ENXIO,
		"KVM_RUN without a DIST address: ENXIO");
	check_dead(&vm, &vcpus[1], fd, "no DIST");
	close(fd);
	for (i = 0; i < 2; i++)
		vmm_vcpu_destroy(&vcpus[i]);
	vmm_vm_destroy(&vm);

	/* a region of 2 redistributors for 4 vCPUs */
	TAP_REQUIRE(!new_vm(&vm, vcpus, 4), "VM with 4 vCPUs", NULL);
	fd = vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_V3, false);
	vgic_set64(fd, ADDR, DIST, GIC_DIST);
	vgic_set64(fd, ADDR, REGION, RR(2, 0x200000, 0, 0));
	vgic_set(fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT,
		 NULL);
	CHECK_NEG(vmm_run(&vcpus[3]), ENXIO,
		"KVM_RUN with 2 redistributors for 4 vCPUs: ENXIO");
	close(fd);
	for (i = 0; i < 4; i++)
		vmm_vcpu_destroy(&vcpus[i]);
	vmm_vm_destroy(&vm);

	/* addresses but no INIT */
	TAP_REQUIRE(!new_vm(&vm, vcpus, 2), "VM with 2 vCPUs", NULL);
	fd = vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_V3, false);
	vgic_set64(fd, ADDR, DIST, GIC_DIST);
	vgic_set64(fd, ADDR, REDIST, GIC_REDIST);
	CHECK_NEG(vmm_run(&vcpus[1]), EBUSY, "KVM_RUN before INIT: EBUSY");
	close(fd);
	vmm_vm_destroy(&vm);

	/* overlapping distributor and redistributors */
	TAP_REQUIRE(!new_vm(&vm, vcpus, 2), "VM with 2 vCPUs", NULL);
	fd = vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_V3, false);
	vgic_set64(fd, ADDR, REDIST, 0);
	vgic_set64(fd, ADDR, DIST, 0x30000);
	CHECK_NEG(vmm_run(&vcpus[0]), EINVAL,
		"KVM_RUN with DIST inside the redistributors: EINVAL");
	close(fd);
	vmm_vm_destroy(&vm);

	/* a device, vCPUs created after it, then INIT */
	TAP_REQUIRE(!vmm_vm_create(&vm, 0), "VM", NULL);
	fd = vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_V3, false);
	TAP_REQUIRE(fd >= 0, "device before any vCPU", "got %d", fd);
	CHECK_EQ(vmm_vcpu_create(&vm, &vcpus[0], 0), 0,
	       "KVM_CREATE_VCPU after the device, before INIT");
	vmm_vcpu_destroy(&vcpus[0]);
	close(fd);
	vmm_vm_destroy(&vm);
}

int main(void)
{
	tap_init();
	if (!vgic_available()) {
		tap_skip("VGIC_V3 device", "not offered here");
		return tap_done();
	}
	create_rules();
	region_rules();
	run_rules();
	return tap_done();
}
