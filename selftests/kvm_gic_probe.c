// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_gic_probe: what /dev/kvm offers for the guest's interrupt controller,
 * asked of the kernel itself (not of QEMU or libvirt), so that a job can
 * tell whether `virsh domcapabilities` says the truth about it.
 *
 * Prints one line:
 *   irqchip=<KVM_CAP_IRQCHIP> device_ctrl=<KVM_CAP_DEVICE_CTRL> vgic_v2=yes|no(E) vgic_v3=yes|no(E)
 * where vgic_vN says whether KVM_CREATE_DEVICE with KVM_CREATE_DEVICE_TEST
 * accepts KVM_DEV_TYPE_ARM_VGIC_VN on a new VM (api.rst, 4.80), and if
 * not with which error E (ENODEV, or the errno's number). Exit status
 * 0, or 1 if /dev/kvm or KVM_CREATE_VM fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

static const char *device_test(int vm, __u32 type)
{
	struct kvm_create_device cd = { .type = type, .flags = KVM_CREATE_DEVICE_TEST };
	static char buf[2][24];
	static int n;
	char *b = buf[n++ & 1];

	if (ioctl(vm, KVM_CREATE_DEVICE, &cd) == 0)
		return "yes";
	if (errno == ENODEV)
		return "no(ENODEV)";
	snprintf(b, sizeof(buf[0]), "no(%d)", errno);
	return b;
}

int main(void)
{
	int kvm, vm, irqchip, devctl;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm_gic_probe: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	irqchip = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP);
	devctl = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fprintf(stderr, "kvm_gic_probe: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	printf("irqchip=%d device_ctrl=%d vgic_v2=%s vgic_v3=%s\n", irqchip, devctl,
	       device_test(vm, KVM_DEV_TYPE_ARM_VGIC_V2),
	       device_test(vm, KVM_DEV_TYPE_ARM_VGIC_V3));
	close(vm);
	close(kvm);
	return 0;
}
