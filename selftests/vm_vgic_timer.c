// SPDX-License-Identifier: GPL-2.0
/*
 * The timers with the in-kernel GICv3: KVM_ARM_VCPU_TIMER_CTRL's PPI
 * numbers (devices/vcpu.rst: defaults 27 and 30, per VM, PPIs only, not
 * after a vCPU ran, not two timers on one PPI) and the virtual timer's
 * output reaching the GIC as its PPI's level, with no exit to userspace
 * and kvm_run's device_irq_level left alone.
 */
#include "lib/vgic.h"
#include "guest.h"

#define OUT	VMM_MMIO_BASE
#define TIMER	KVM_ARM_VCPU_TIMER_CTRL
#define VT	KVM_ARM_VCPU_TIMER_IRQ_VTIMER
#define PT	KVM_ARM_VCPU_TIMER_IRQ_PTIMER

/* fire the virtual timer now, wait for ISTATUS, report CNTV_CTL_EL0 */
GUEST_CODE(vtimer,
	"	mov64	x22, " GUEST_STR(OUT) "\n"
	"	mrs	x1, cntvct_el0\n"
	"	msr	cntv_cval_el0, x1\n"
	"	mov	x2, #1\n"
	"	msr	cntv_ctl_el0, x2\n"
	"	isb\n"
	"1:	mrs	x3, cntv_ctl_el0\n"
	"	tbz	x3, #2, 1b\n"
	"	str	x3, [x22]\n"
	"	b	.\n");

static int vcpu_timer(struct vmm_vcpu *v, unsigned long req, uint64_t attr,
		      int *irq)
{
	struct kvm_device_attr a = {
		.group = TIMER, .attr = attr, .addr = (uintptr_t)irq,
	};

	return ioctl(v->fd, req, &a) ? -errno : 0;
}

static int set_ppi(struct vmm_vcpu *v, uint64_t attr, int irq)
{
	return vcpu_timer(v, KVM_SET_DEVICE_ATTR, attr, &irq);
}

static int get_ppi(struct vmm_vcpu *v, uint64_t attr)
{
	int irq = -1;

	vcpu_timer(v, KVM_GET_DEVICE_ATTR, attr, &irq);
	return irq;
}

int main(void)
{
	struct vmm_vcpu v[2];
	struct vmm_vm vm;
	uint64_t val = 0, lv = 0;
	int fd;

	tap_init();
	if (!vgic_available()) {
		tap_skip("VGIC_V3 timers", "no GICv3 device here");
		return tap_done();
	}

	/* without the GIC, the numbers cannot be set */
	TAP_REQUIRE(!vmm_simple_vm(&vm, &v[0], vtimer_start,
				   GUEST_SIZE(vtimer), 0), "VM without a GIC", NULL);
	CHECK_EQ(vcpu_timer(&v[0], KVM_HAS_DEVICE_ATTR, VT, NULL), 0,
		 "HAS TIMER_IRQ_VTIMER");
	CHECK_NEG(set_ppi(&v[0], VT, 26), EINVAL,
		  "TIMER_IRQ_VTIMER set without a GIC: EINVAL");
	vmm_vcpu_destroy(&v[0]);
	vmm_vm_destroy(&vm);

	TAP_REQUIRE(!vmm_simple_vm(&vm, &v[0], vtimer_start,
				   GUEST_SIZE(vtimer), 0), "VM", NULL);
	TAP_REQUIRE(!vmm_simple_vcpu(&vm, &v[1], 1, 0, VMM_RAM_BASE),
		    "second vCPU", NULL);
	fd = vgic_setup(&vm, 64);
	TAP_REQUIRE(fd >= 0, "GIC", "got %d", fd);
	CHECK_EQ(vcpu_timer(&v[0], KVM_HAS_DEVICE_ATTR, PT, NULL), 0,
		 "HAS TIMER_IRQ_PTIMER");
	CHECK_NEG(vcpu_timer(&v[0], KVM_HAS_DEVICE_ATTR, 99, NULL), ENXIO,
		  "HAS an unknown timer: ENXIO");
	CHECK_EQ(get_ppi(&v[1], VT), 27, "virtual timer PPI: 27 by default");
	CHECK_EQ(get_ppi(&v[1], PT), 30, "physical timer PPI: 30 by default");
	CHECK_EQ(set_ppi(&v[0], VT, 26), 0, "virtual timer PPI set to 26 on vCPU 0");
	CHECK_EQ(get_ppi(&v[1], VT), 26, "... vCPU 1 has it too");
	CHECK_NEG(set_ppi(&v[0], VT, 15), EINVAL, "an SGI: EINVAL");
	CHECK_NEG(set_ppi(&v[0], VT, 32), EINVAL, "an SPI: EINVAL");
	CHECK_EQ(set_ppi(&v[1], VT, 27), 0, "back to 27, on vCPU 1");

	CHECK_EQ(vmm_expect_mmio(&v[0], OUT, 8, true, &val), 1,
		 "the guest saw its virtual timer fire, no exit on the way");
	CHECK_EQ(val & 5, 5, "CNTV_CTL_EL0: enabled, ISTATUS");
	vgic_get(fd, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
		 VCPU_ATTR(0) | 0 /* LINE_LEVEL, INTIDs 0-31 */, &lv);
	CHECK_EQ((lv >> 27) & 1, 1, "PPI 27 of vCPU 0 is high in the GIC");
	CHECK_EQ(v[0].run->s.regs.device_irq_level & 1, 0,
		 "kvm_run's device_irq_level left alone");
	CHECK_NEG(set_ppi(&v[0], PT, 29), EBUSY,
		  "PPI set after a vCPU ran: EBUSY");
	close(fd);
	vmm_vcpu_destroy(&v[0]);
	vmm_vcpu_destroy(&v[1]);
	vmm_vm_destroy(&vm);

	/* both timers on one PPI */
	TAP_REQUIRE(!vmm_simple_vm(&vm, &v[0], vtimer_start,
				   GUEST_SIZE(vtimer), 0), "VM", NULL);
	fd = vgic_setup(&vm, 64);
	CHECK_EQ(set_ppi(&v[0], PT, 27), 0, "physical timer PPI set to 27");
	CHECK_NEG(vmm_run(&v[0]), EINVAL,
		  "KVM_RUN with both timers on PPI 27: EINVAL");
	close(fd);
	vmm_vcpu_destroy(&v[0]);
	vmm_vm_destroy(&vm);
	return tap_done();
}
