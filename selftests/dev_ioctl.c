// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/kvm and its system ioctls, good and bad arguments.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "lib/tap.h"

/*
 * Capabilities modkvm does not implement (yet): must answer 0.
 * (KVM_CAP_ARM_EL1_32BIT and KVM_CAP_ARM_PTRAUTH_* depend on the CPU:
 * vcpu_aarch32 and vcpu_ptrauth check them.)
 */
static const struct { int cap; const char *name; } absent_caps[] = {
	{ KVM_CAP_COALESCED_PIO, "COALESCED_PIO" },
	{ KVM_CAP_ARM_PMU_V3, "ARM_PMU_V3" },
	{ KVM_CAP_DIRTY_LOG_RING, "DIRTY_LOG_RING" },
	{ KVM_CAP_ARM_MTE, "ARM_MTE" },
	{ KVM_CAP_ARM_SVE, "ARM_SVE" },
	{ KVM_CAP_ARM_INJECT_SERROR_ESR, "ARM_INJECT_SERROR_ESR" },
};

/*
 * Capabilities of the in-kernel GIC: 1 with modkvm's vgic_v3 on (its
 * default; the testbed's host has a GICv3), 0 with vgic_v3=0.
 */
static const struct { int cap; const char *name; } gic_caps[] = {
	{ KVM_CAP_IRQCHIP, "IRQCHIP" },
	{ KVM_CAP_IRQFD, "IRQFD" },
};

/* vgic_v3 as loaded: 1 (Y), 0 (N), -1 not modkvm or unreadable */
static int vgic_v3_param(void)
{
	char c = 0;
	int fd = open("/sys/module/modkvm/parameters/vgic_v3", O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == 'Y' ? 1 : c == 'N' ? 0 : -1;
}

/* Capabilities the VHE core implements: must answer non-zero. */
static const struct { int cap; const char *name; } present_caps[] = {
	{ KVM_CAP_USER_MEMORY, "USER_MEMORY" },
	{ KVM_CAP_ONE_REG, "ONE_REG" },
	{ KVM_CAP_ARM_PSCI_0_2, "ARM_PSCI_0_2" },
	{ KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
	{ KVM_CAP_SYNC_MMU, "SYNC_MMU" },
	{ KVM_CAP_READONLY_MEM, "READONLY_MEM" },
	{ KVM_CAP_ARM_USER_IRQ, "ARM_USER_IRQ" },
	{ KVM_CAP_NR_MEMSLOTS, "NR_MEMSLOTS" },
	{ KVM_CAP_MAX_VCPUS, "MAX_VCPUS" },
	{ KVM_CAP_NR_VCPUS, "NR_VCPUS" },
	{ KVM_CAP_COALESCED_MMIO, "COALESCED_MMIO" },
	{ KVM_CAP_IOEVENTFD, "IOEVENTFD" },
	{ KVM_CAP_IOEVENTFD_ANY_LENGTH, "IOEVENTFD_ANY_LENGTH" },
	{ KVM_CAP_ARM_INJECT_EXT_DABT, "ARM_INJECT_EXT_DABT" },
	{ KVM_CAP_SET_GUEST_DEBUG, "SET_GUEST_DEBUG" },
	{ KVM_CAP_GUEST_DEBUG_HW_BPS, "GUEST_DEBUG_HW_BPS" },
	{ KVM_CAP_GUEST_DEBUG_HW_WPS, "GUEST_DEBUG_HW_WPS" },
};

int main(void)
{
	struct stat st;
	unsigned int i;
	long rc;
	int fd, fd2;

	tap_init();

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (!tap_check(fd >= 0, "open /dev/kvm", "open: %s", strerror(errno)))
		return tap_done();

	rc = fstat(fd, &st);
	tap_check(rc == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 10 &&
		  minor(st.st_rdev) == 232, "/dev/kvm is misc char device 10:232",
		  "mode %o rdev %u:%u", st.st_mode, major(st.st_rdev),
		  minor(st.st_rdev));
	tap_check((st.st_mode & 07777) == 0660, "/dev/kvm mode is 0660",
		  "mode is %o", st.st_mode & 07777);

	TAP_EQ(ioctl(fd, KVM_GET_API_VERSION, 0), 12, "KVM_GET_API_VERSION is 12");
	rc = ioctl(fd, KVM_GET_API_VERSION, 1);
	TAP_ERRNO(rc, EINVAL, "KVM_GET_API_VERSION with an argument: EINVAL");

	TAP_EQ(ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0),
	       (KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * sysconf(_SC_PAGESIZE),
	       "KVM_GET_VCPU_MMAP_SIZE: kvm_run and the coalesced MMIO ring");
	rc = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 1);
	TAP_ERRNO(rc, EINVAL, "KVM_GET_VCPU_MMAP_SIZE with an argument: EINVAL");

	for (i = 0; i < sizeof(absent_caps) / sizeof(absent_caps[0]); i++) {
		char name[80];

		snprintf(name, sizeof(name),
			 "KVM_CHECK_EXTENSION(%s) is 0 (not implemented)",
			 absent_caps[i].name);
		TAP_EQ(ioctl(fd, KVM_CHECK_EXTENSION, absent_caps[i].cap), 0, name);
	}
	rc = vgic_v3_param();
	for (i = 0; rc >= 0 && i < sizeof(gic_caps) / sizeof(gic_caps[0]); i++) {
		char name[80];

		snprintf(name, sizeof(name),
			 "KVM_CHECK_EXTENSION(%s) is %ld (vgic_v3=%ld)",
			 gic_caps[i].name, rc, rc);
		TAP_EQ(ioctl(fd, KVM_CHECK_EXTENSION, gic_caps[i].cap), rc, name);
	}
	for (i = 0; i < sizeof(present_caps) / sizeof(present_caps[0]); i++) {
		char name[80];

		snprintf(name, sizeof(name), "KVM_CHECK_EXTENSION(%s) > 0",
			 present_caps[i].name);
		rc = ioctl(fd, KVM_CHECK_EXTENSION, present_caps[i].cap);
		tap_check(rc > 0, name, "got %ld", rc);
	}
	rc = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	tap_check(rc >= 32 && rc <= 52, "KVM_CHECK_EXTENSION(ARM_VM_IPA_SIZE) in 32..52",
		  "got %ld", rc);
	TAP_EQ(ioctl(fd, KVM_CHECK_EXTENSION, 0x7fffffffUL), 0,
	       "KVM_CHECK_EXTENSION of an unknown capability is 0");
	TAP_EQ(ioctl(fd, KVM_CHECK_EXTENSION, -1L), 0,
	       "KVM_CHECK_EXTENSION(-1) is 0");

	rc = ioctl(fd, _IO(KVMIO, 0xef));
	TAP_ERRNO(rc, EINVAL, "unknown KVM ioctl: EINVAL");
	rc = ioctl(fd, TCGETS, &st);
	TAP_ERRNO(rc, EINVAL, "non-KVM ioctl: EINVAL (as KVM)");

	fd2 = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	tap_check(fd2 >= 0 && ioctl(fd2, KVM_GET_API_VERSION, 0) == 12,
		  "a second open works independently", "%s", strerror(errno));
	if (fd2 >= 0)
		close(fd2);

	tap_check(close(fd) == 0, "close /dev/kvm", "%s", strerror(errno));
	return tap_done();
}
