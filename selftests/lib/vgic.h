/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the in-kernel GICv3 tests (vm_vgic_*): the device and its
 * attributes, the VMM's view of KVM_DEV_TYPE_ARM_VGIC_V3.
 */
#ifndef MODKVM_SELFTEST_VGIC_H
#define MODKVM_SELFTEST_VGIC_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "lib/tap.h"
#include "vmm.h"

/*
 * TAP_EQ and TAP_NEG use their first argument more than once: these
 * evaluate an ioctl exactly once.
 */
#define CHECK_EQ(expr, want, name)					\
	({ long v_ = (long)(expr); TAP_EQ(v_, want, name); })
#define CHECK_NEG(expr, err, name)					\
	({ long v_ = (long)(expr); TAP_NEG(v_, err, name); })

/* the frames where QEMU's virt machine puts them */
#define GIC_DIST	0x08000000ULL
#define GIC_REDIST	0x080a0000ULL

#define GICD_CTLR	0x0000
#define GICD_TYPER	0x0004
#define GICD_IIDR	0x0008
#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER	0x0180
#define GICD_ISPENDR	0x0200
#define GICD_ISACTIVER	0x0300
#define GICD_IPRIORITYR	0x0400
#define GICD_ICFGR	0x0c00
#define GICD_IROUTER	0x6000
#define GICR_TYPER	0x0008
#define GICR_WAKER	0x0014
#define GICR_SGI	0x10000

/* CPU_SYSREGS attribute of an ICC register: op0..op2 */
#define ICC(op0, op1, crn, crm, op2) \
	(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))
#define ICC_PMR		ICC(3, 0, 4, 6, 0)
#define ICC_BPR1	ICC(3, 0, 12, 12, 3)
#define ICC_CTLR	ICC(3, 0, 12, 12, 4)
#define ICC_SRE		ICC(3, 0, 12, 12, 5)
#define ICC_IGRPEN1	ICC(3, 0, 12, 12, 7)
#define ICC_AP1R0	ICC(3, 0, 12, 9, 0)

/* the mpidr field of an attribute, for vCPU id @n (default MPIDR) */
#define VCPU_ATTR(n)	((uint64_t)(n) << 32)

#define RR(count, base, flags, index) \
	(((uint64_t)(count) << 52) | (base) | ((uint64_t)(flags) << 12) | (index))

static inline int vgic_create(struct vmm_vm *vm, uint32_t type, bool test)
{
	struct kvm_create_device cd = {
		.type = type,
		.flags = test ? KVM_CREATE_DEVICE_TEST : 0,
	};

	if (ioctl(vm->fd, KVM_CREATE_DEVICE, &cd))
		return -errno;
	return test ? 0 : (int)cd.fd;
}

static inline int vgic_attr(int fd, unsigned long req, uint32_t group,
			    uint64_t attr, void *val)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)val,
	};

	return ioctl(fd, req, &a) ? -errno : 0;
}

#define vgic_set(fd, g, a, v)	vgic_attr(fd, KVM_SET_DEVICE_ATTR, g, a, v)
#define vgic_get(fd, g, a, v)	vgic_attr(fd, KVM_GET_DEVICE_ATTR, g, a, v)
#define vgic_has(fd, g, a)	vgic_attr(fd, KVM_HAS_DEVICE_ATTR, g, a, NULL)

static inline int vgic_set64(int fd, uint32_t g, uint64_t a, uint64_t v)
{
	return vgic_set(fd, g, a, &v);
}

static inline int vgic_set32(int fd, uint32_t g, uint64_t a, uint32_t v)
{
	return vgic_set(fd, g, a, &v);
}

static inline uint32_t vgic_get32(int fd, uint32_t g, uint64_t a)
{
	uint32_t v = 0xdeadbeef;

	vgic_get(fd, g, a, &v);
	return v;
}

static inline uint64_t vgic_get64(int fd, uint32_t g, uint64_t a)
{
	uint64_t v = 0xdeadbeef;

	vgic_get(fd, g, a, &v);
	return v;
}

/* create, NR_IRQS, INIT, addresses: QEMU's order; the fd or -errno */
static inline int vgic_setup(struct vmm_vm *vm, uint32_t nr_irqs)
{
	int fd = vgic_create(vm, KVM_DEV_TYPE_ARM_VGIC_V3, false), rc;

	if (fd < 0)
		return fd;
	rc = vgic_set32(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, nr_irqs);
	if (!rc)
		rc = vgic_set(fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			      KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	if (!rc)
		rc = vgic_set64(fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				KVM_VGIC_V3_ADDR_TYPE_DIST, GIC_DIST);
	if (!rc)
		rc = vgic_set64(fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				KVM_VGIC_V3_ADDR_TYPE_REDIST, GIC_REDIST);
	return rc ? rc : fd;
}

static inline int irq_line(struct vmm_vm *vm, uint32_t type, uint32_t vcpu,
			   uint32_t num, int level)
{
	struct kvm_irq_level l = {
		.irq = (type << KVM_ARM_IRQ_TYPE_SHIFT) |
		       (vcpu << KVM_ARM_IRQ_VCPU_SHIFT) | num,
		.level = level,
	};

	return ioctl(vm->fd, KVM_IRQ_LINE, &l) ? -errno : 0;
}

/*
 * Is the device there? If not, the capabilities must say so too (checked
 * here) and the caller skips the rest.
 */
static inline bool vgic_available(void)
{
	struct vmm_vm vm;
	int rc, irqchip, ctrl;

	if (vmm_vm_create(&vm, 0))
		return false;
	rc = vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_V3, true);
	irqchip = vmm_check_cap(&vm, KVM_CAP_IRQCHIP);
	ctrl = vmm_check_cap(&vm, KVM_CAP_DEVICE_CTRL);
	vmm_vm_destroy(&vm);
	if (rc == -ENODEV) {
		tap_check(!irqchip, "no GICv3 device: KVM_CAP_IRQCHIP is 0",
			  "it is %d", irqchip);
		return false;
	}
	tap_check(!rc, "KVM_CREATE_DEVICE_TEST for VGIC_V3: 0", "got %d", rc);
	tap_check(irqchip > 0 && ctrl > 0,
		  "KVM_CAP_IRQCHIP and KVM_CAP_DEVICE_CTRL set",
		  "%d and %d", irqchip, ctrl);
	return !rc;
}

#endif /* MODKVM_SELFTEST_VGIC_H */
