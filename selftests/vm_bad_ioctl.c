// SPDX-License-Identifier: GPL-2.0
/*
 * Bad ioctl arguments on the VM and vCPU fds: unknown ioctls, ioctls of
 * the other fd type, NULL and unmapped pointers, and use of the fds from
 * another process.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"

#define BAD_PTR	((void *)1)

static struct vmm_vm vm;
static struct vmm_vcpu vcpu;
static char *unmapped;		/* a page with nothing mapped */

static void vm_fd(void)
{
	struct termios tio;
	long rc;

	rc = ioctl(vm.fd, _IO(KVMIO, 0xfe), 0);
	TAP_ERRNO(rc, EINVAL, "VM fd: unknown KVM ioctl: EINVAL");
	rc = ioctl(vm.fd, TCGETS, &tio);
	TAP_ERRNO(rc, EINVAL, "VM fd: TCGETS: EINVAL");
	rc = ioctl(vm.fd, KVM_RUN, 0);
	TAP_ERRNO(rc, EINVAL, "VM fd: KVM_RUN: EINVAL");
	rc = ioctl(vm.fd, KVM_CREATE_VM, 0);
	TAP_ERRNO(rc, EINVAL, "VM fd: KVM_CREATE_VM: EINVAL");
	rc = ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_SET_USER_MEMORY_REGION(NULL): EFAULT");
	rc = ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, unmapped);
	TAP_ERRNO(rc, EFAULT, "KVM_SET_USER_MEMORY_REGION(unmapped): EFAULT");
	rc = ioctl(vm.fd, KVM_ARM_PREFERRED_TARGET, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_ARM_PREFERRED_TARGET(NULL): EFAULT");
	rc = ioctl(vm.fd, KVM_ARM_PREFERRED_TARGET, unmapped);
	TAP_ERRNO(rc, EFAULT, "KVM_ARM_PREFERRED_TARGET(unmapped): EFAULT");
	rc = ioctl(vm.fd, KVM_IRQ_LINE, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_IRQ_LINE(NULL): EFAULT");
	rc = ioctl(vm.fd, KVM_ENABLE_CAP, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_ENABLE_CAP(NULL): EFAULT");
	rc = vmm_enable_cap(&vm, 0x7fffffff, 0);
	TAP_NEG(rc, EINVAL, "KVM_ENABLE_CAP unknown capability: EINVAL");
}

static void vcpu_fd(void)
{
	struct kvm_one_reg reg;
	struct kvm_reg_list *list;
	struct termios tio;
	uint64_t id;
	long rc;

	rc = ioctl(vcpu.fd, _IO(KVMIO, 0xfe), 0);
	TAP_ERRNO(rc, EINVAL, "vCPU fd: unknown KVM ioctl: EINVAL");
	rc = ioctl(vcpu.fd, TCGETS, &tio);
	TAP_ERRNO(rc, EINVAL, "vCPU fd: TCGETS: EINVAL");
	rc = ioctl(vcpu.fd, KVM_CREATE_VCPU, 1);
	TAP_ERRNO(rc, EINVAL, "vCPU fd: KVM_CREATE_VCPU: EINVAL");
	rc = ioctl(vcpu.fd, KVM_SET_USER_MEMORY_REGION, NULL);
	TAP_ERRNO(rc, EINVAL, "vCPU fd: KVM_SET_USER_MEMORY_REGION: EINVAL");
	rc = ioctl(vcpu.fd, KVM_RUN, 1);
	TAP_ERRNO(rc, EINVAL, "KVM_RUN with an argument: EINVAL");

	rc = ioctl(vcpu.fd, KVM_ARM_VCPU_INIT, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_ARM_VCPU_INIT(NULL): EFAULT");
	rc = ioctl(vcpu.fd, KVM_ARM_VCPU_INIT, unmapped);
	TAP_ERRNO(rc, EFAULT, "KVM_ARM_VCPU_INIT(unmapped): EFAULT");
	rc = ioctl(vcpu.fd, KVM_GET_ONE_REG, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_GET_ONE_REG(NULL): EFAULT");
	rc = ioctl(vcpu.fd, KVM_SET_ONE_REG, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_SET_ONE_REG(NULL): EFAULT");

	reg.addr = 0;
	reg.id = VMM_REG_PC;
	rc = ioctl(vcpu.fd, KVM_GET_ONE_REG, &reg);
	TAP_ERRNO(rc, EFAULT, "GET core register to NULL: EFAULT");
	rc = ioctl(vcpu.fd, KVM_SET_ONE_REG, &reg);
	TAP_ERRNO(rc, EFAULT, "SET core register from NULL: EFAULT");
	reg.addr = (uintptr_t)unmapped;
	rc = ioctl(vcpu.fd, KVM_GET_ONE_REG, &reg);
	TAP_ERRNO(rc, EFAULT, "GET core register to unmapped memory: EFAULT");
	reg.id = VMM_REG_V(3);
	rc = ioctl(vcpu.fd, KVM_SET_ONE_REG, &reg);
	TAP_ERRNO(rc, EFAULT, "SET v3 from unmapped memory: EFAULT");
	reg.id = VMM_REG_SCTLR_EL1;
	rc = ioctl(vcpu.fd, KVM_GET_ONE_REG, &reg);
	TAP_ERRNO(rc, EFAULT, "GET system register to unmapped memory: EFAULT");
	rc = ioctl(vcpu.fd, KVM_SET_ONE_REG, &reg);
	TAP_ERRNO(rc, EFAULT, "SET system register from unmapped memory: EFAULT");
	reg.id = KVM_REG_ARM_PSCI_VERSION;
	rc = ioctl(vcpu.fd, KVM_GET_ONE_REG, &reg);
	TAP_ERRNO(rc, EFAULT, "GET firmware register to unmapped memory: EFAULT");
	/* The value must not have changed through the failed SETs. */
	vmm_get64(&vcpu, VMM_REG_PC, &id);
	TAP_EQ(id, 0, "PC untouched by the failed SET");

	rc = ioctl(vcpu.fd, KVM_GET_REG_LIST, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_GET_REG_LIST(NULL): EFAULT");
	/* Room claimed for 1000 registers, but the array runs into a hole. */
	list = (struct kvm_reg_list *)(unmapped - 16);
	list->n = 1000;
	rc = ioctl(vcpu.fd, KVM_GET_REG_LIST, list);
	TAP_ERRNO(rc, EFAULT, "KVM_GET_REG_LIST into unmapped memory: EFAULT");

	rc = ioctl(vcpu.fd, KVM_GET_MP_STATE, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_GET_MP_STATE(NULL): EFAULT");
	rc = ioctl(vcpu.fd, KVM_SET_MP_STATE, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_SET_MP_STATE(NULL): EFAULT");
	rc = ioctl(vcpu.fd, KVM_GET_VCPU_EVENTS, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_GET_VCPU_EVENTS(NULL): EFAULT");
	rc = ioctl(vcpu.fd, KVM_SET_VCPU_EVENTS, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_SET_VCPU_EVENTS(NULL): EFAULT");
	rc = ioctl(vcpu.fd, KVM_SET_SIGNAL_MASK, BAD_PTR);
	TAP_ERRNO(rc, EFAULT, "KVM_SET_SIGNAL_MASK(bad pointer): EFAULT");
}

/* A child process may not drive the parent's VM or vCPU. */
static void other_process(void)
{
	struct kvm_mp_state mp;
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int bad = 0;

		if (ioctl(vcpu.fd, KVM_RUN, 0) != -1 || errno != EIO)
			bad |= 1;
		if (ioctl(vcpu.fd, KVM_GET_MP_STATE, &mp) != -1 || errno != EIO)
			bad |= 2;
		if (ioctl(vm.fd, KVM_CREATE_VCPU, 3) != -1 || errno != EIO)
			bad |= 4;
		if (ioctl(vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) != -1 ||
		    errno != EIO)
			bad |= 8;
		_exit(bad);
	}
	tap_check(pid > 0 && waitpid(pid, &status, 0) == pid &&
		  WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "a forked child's vCPU and VM ioctls fail with EIO",
		  "child status %#x (bit 0 KVM_RUN, 1 GET_MP_STATE, 2 CREATE_VCPU, 3 CHECK_EXTENSION)",
		  status);
	TAP_EQ(ioctl(vcpu.fd, KVM_GET_MP_STATE, &mp), 0,
	       "the parent still can use them");
}

int main(void)
{
	char *pages;
	int rc;

	tap_init();
	rc = vmm_vm_create(&vm, 0);
	TAP_REQUIRE(!rc, "create VM", "%s", strerror(-rc));
	rc = vmm_vcpu_create(&vm, &vcpu, 0);
	if (!rc)
		rc = vmm_vcpu_init(&vcpu, 1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "create vCPU", "%s", strerror(-rc));
	pages = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TAP_REQUIRE(pages != MAP_FAILED, "mmap", "%s", strerror(errno));
	munmap(pages + 4096, 4096);
	unmapped = pages + 4096;

	vm_fd();
	vcpu_fd();
	other_process();

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
