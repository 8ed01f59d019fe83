// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CREATE_VM machine types (IPA size), KVM_CHECK_EXTENSION on the VM
 * fd, the vCPU and memslot limits, and KVM_CREATE_VCPU ids.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"

/* Capabilities the VHE core must offer (on /dev/kvm and on the VM fd). */
static const struct { long cap; const char *name; } needed_caps[] = {
	{ KVM_CAP_USER_MEMORY, "USER_MEMORY" },
	{ KVM_CAP_CHECK_EXTENSION_VM, "CHECK_EXTENSION_VM" },
	{ KVM_CAP_ONE_REG, "ONE_REG" },
	{ KVM_CAP_ARM_PSCI, "ARM_PSCI" },
	{ KVM_CAP_ARM_PSCI_0_2, "ARM_PSCI_0_2" },
	{ KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
	{ KVM_CAP_READONLY_MEM, "READONLY_MEM" },
	{ KVM_CAP_MP_STATE, "MP_STATE" },
	{ KVM_CAP_VCPU_EVENTS, "VCPU_EVENTS" },
	{ KVM_CAP_ARM_USER_IRQ, "ARM_USER_IRQ" },
	{ KVM_CAP_ARM_VM_IPA_SIZE, "ARM_VM_IPA_SIZE" },
	{ KVM_CAP_NR_VCPUS, "NR_VCPUS" },
	{ KVM_CAP_MAX_VCPUS, "MAX_VCPUS" },
	{ KVM_CAP_MAX_VCPU_ID, "MAX_VCPU_ID" },
	{ KVM_CAP_NR_MEMSLOTS, "NR_MEMSLOTS" },
};

static int create_vm(int kvm, unsigned long type)
{
	return ioctl(kvm, KVM_CREATE_VM, type);
}

/* Try a 2 MiB memslot at gpa in a VM of the given IPA size: 0 or -errno. */
static int slot_at(int kvm, unsigned int ipa_bits, uint64_t gpa, void *mem)
{
	struct kvm_userspace_memory_region r = {
		.slot = 0, .guest_phys_addr = gpa, .memory_size = 0x200000,
		.userspace_addr = (uintptr_t)mem,
	};
	int vm = create_vm(kvm, KVM_VM_TYPE_ARM_IPA_SIZE(ipa_bits));
	int rc;

	if (vm < 0)
		return -errno;
	rc = ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
	close(vm);
	return rc;
}

int main(void)
{
	long sysval, vmval, ipa_limit, nr, max, max_id, slots;
	unsigned int i, n, bad_n;
	int kvm, vm, fd, fd2, rc;
	void *mem;

	tap_init();

	kvm = vmm_open_dev();
	TAP_REQUIRE(kvm >= 0, "open /dev/kvm", "%s", strerror(-kvm));

	vm = create_vm(kvm, 0);
	TAP_REQUIRE(vm >= 0, "KVM_CREATE_VM type 0", "%s", strerror(errno));
	rc = fcntl(vm, F_GETFD);
	tap_check(rc >= 0 && (rc & FD_CLOEXEC), "VM fd is close-on-exec",
		  "F_GETFD %d", rc);

	/* Every capability the tests rely on, identical on both fds. */
	for (i = 0; i < ARRAY_SIZE(needed_caps); i++) {
		char name[64];

		sysval = ioctl(kvm, KVM_CHECK_EXTENSION, needed_caps[i].cap);
		vmval = ioctl(vm, KVM_CHECK_EXTENSION, needed_caps[i].cap);
		snprintf(name, sizeof(name), "KVM_CAP_%s on /dev/kvm and VM fd",
			 needed_caps[i].name);
		tap_check(sysval > 0 && vmval == sysval, name,
			  "/dev/kvm %ld, VM fd %ld", sysval, vmval);
	}
	TAP_EQ(ioctl(vm, KVM_CHECK_EXTENSION, 0x7fffffffL), 0,
	       "unknown capability is 0 on the VM fd");
	TAP_EQ(ioctl(vm, KVM_CHECK_EXTENSION, -1L), 0,
	       "capability -1 is 0 on the VM fd");

	nr = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	max = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	max_id = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	slots = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	tap_diag("NR_VCPUS %ld MAX_VCPUS %ld MAX_VCPU_ID %ld NR_MEMSLOTS %ld",
		 nr, max, max_id, slots);
	tap_check(nr > 0 && max > 0 && nr <= max, "0 < NR_VCPUS <= MAX_VCPUS",
		  "NR_VCPUS %ld MAX_VCPUS %ld", nr, max);
	tap_check(max_id >= max, "MAX_VCPU_ID >= MAX_VCPUS",
		  "MAX_VCPU_ID %ld MAX_VCPUS %ld", max_id, max);
	tap_check(slots >= 32 && slots <= 32768, "NR_MEMSLOTS in [32, 32768]",
		  "NR_MEMSLOTS %ld", slots);

	/* vCPU ids */
	fd = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	tap_check(fd >= 0, "KVM_CREATE_VCPU id 0", "%s", strerror(errno));
	rc = fcntl(fd, F_GETFD);
	tap_check(rc >= 0 && (rc & FD_CLOEXEC), "vCPU fd is close-on-exec",
		  "F_GETFD %d", rc);
	fd2 = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	TAP_ERRNO(fd2, EEXIST, "KVM_CREATE_VCPU duplicate id 0: EEXIST");
	fd2 = ioctl(vm, KVM_CREATE_VCPU, (unsigned long)max_id);
	TAP_ERRNO(fd2, EINVAL, "KVM_CREATE_VCPU id MAX_VCPU_ID: EINVAL");
	fd2 = ioctl(vm, KVM_CREATE_VCPU, 0xffffffffUL);
	TAP_ERRNO(fd2, EINVAL, "KVM_CREATE_VCPU id 0xffffffff: EINVAL");

	/* The advertised maximum is real: MAX_VCPUS vCPUs, then no more. */
	for (n = 1; n < (unsigned long)max; n++) {
		fd2 = ioctl(vm, KVM_CREATE_VCPU, (unsigned long)n);
		if (fd2 < 0)
			break;
	}
	tap_check(n == (unsigned long)max, "MAX_VCPUS vCPUs can be created",
		  "vCPU %u: %s", n, strerror(errno));
	if (max_id > max) {
		fd2 = ioctl(vm, KVM_CREATE_VCPU, (unsigned long)max);
		TAP_ERRNO(fd2, EINVAL,
			  "KVM_CREATE_VCPU beyond MAX_VCPUS vCPUs: EINVAL");
	}
	close(vm);	/* closes nothing else: the vCPU fds keep it alive */

	/* IPA sizes */
	ipa_limit = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	tap_diag("IPA size limit %ld", ipa_limit);
	TAP_REQUIRE(ipa_limit >= 32 && ipa_limit <= 52,
		    "KVM_CAP_ARM_VM_IPA_SIZE in [32, 52]", "%ld", ipa_limit);
	bad_n = 0;
	for (n = 32; n <= ipa_limit; n++) {
		vm = create_vm(kvm, KVM_VM_TYPE_ARM_IPA_SIZE(n));
		if (vm < 0 && !bad_n)
			bad_n = n;
		if (vm >= 0)
			close(vm);
	}
	tap_check(!bad_n, "KVM_CREATE_VM with every IPA size 32..limit",
		  "IPA size %u: %s", bad_n, strerror(errno));
	vm = create_vm(kvm, KVM_VM_TYPE_ARM_IPA_SIZE(31));
	TAP_ERRNO(vm, EINVAL, "KVM_CREATE_VM IPA size 31: EINVAL");
	vm = create_vm(kvm, KVM_VM_TYPE_ARM_IPA_SIZE(1));
	TAP_ERRNO(vm, EINVAL, "KVM_CREATE_VM IPA size 1: EINVAL");
	vm = create_vm(kvm, KVM_VM_TYPE_ARM_IPA_SIZE(ipa_limit + 1));
	TAP_ERRNO(vm, EINVAL, "KVM_CREATE_VM IPA size limit+1: EINVAL");
	vm = create_vm(kvm, KVM_VM_TYPE_ARM_IPA_SIZE(0xff));
	TAP_ERRNO(vm, EINVAL, "KVM_CREATE_VM IPA size 255: EINVAL");
	vm = create_vm(kvm, 0x100 | KVM_VM_TYPE_ARM_IPA_SIZE(40));
	TAP_ERRNO(vm, EINVAL, "KVM_CREATE_VM unknown type bit 8: EINVAL");
	vm = create_vm(kvm, 1UL << 31);
	TAP_ERRNO(vm, EINVAL, "KVM_CREATE_VM unknown type bit 31: EINVAL");

	/* The IPA size bounds the guest physical space memslots may use. */
	mem = mmap(NULL, 0x200000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TAP_REQUIRE(mem != MAP_FAILED, "mmap 2 MiB", "%s", strerror(errno));
	TAP_EQ(slot_at(kvm, 32, (1UL << 32) - 0x200000, mem), 0,
	       "IPA 32: memslot ending at 4 GiB");
	rc = slot_at(kvm, 32, 1UL << 32, mem);
	TAP_NEG(rc, EFAULT, "IPA 32: memslot at 4 GiB: EFAULT");
	rc = slot_at(kvm, 32, (1UL << 32) - 0x100000, mem);
	TAP_NEG(rc, EFAULT, "IPA 32: memslot crossing 4 GiB: EFAULT");
	vm = create_vm(kvm, 0);
	if (vm >= 0) {
		struct kvm_userspace_memory_region r = {
			.memory_size = 0x200000,
			.userspace_addr = (uintptr_t)mem,
		};

		r.guest_phys_addr = (1UL << 40) - 0x200000;
		TAP_EQ(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0,
		       "type 0 (40 bits): memslot ending at 1 TiB");
		r.slot = 1;
		r.guest_phys_addr = 1UL << 40;
		rc = ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
		TAP_ERRNO(rc, EFAULT, "type 0 (40 bits): memslot at 1 TiB: EFAULT");
		close(vm);
	}
	if (ipa_limit > 40)
		TAP_EQ(slot_at(kvm, ipa_limit, (1UL << ipa_limit) - 0x200000,
			       mem), 0, "IPA limit: memslot ending at the top");

	close(kvm);
	return tap_done();
}
