// SPDX-License-Identifier: GPL-2.0
/*
 * hello-vm: the smallest VMM that shows a guest running on /dev/kvm.
 *
 * The guest (a few AArch64 instructions, MMU off) writes a greeting one
 * byte at a time to a UART-like MMIO register, then asks PSCI for
 * SYSTEM_OFF. The VMM prints the bytes and exits 0 on the shutdown event.
 * It speaks only the KVM ABI, so it runs on modkvm and on the in-kernel KVM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#define GUEST_RAM	0x40000000UL
#define RAM_SIZE	0x10000UL
#define UART_TX		0x09000000UL

/* x1 = UART, x2 = message; loop: ldrb w3, [x2], #1; cbz; strb w3, [x1] */
asm(".pushsection .rodata\n"
    ".global hello_guest, hello_guest_end\n"
    ".balign 4\n"
    "hello_guest:\n"
    "	movz	x1, #0x0900, lsl #16\n"
    "	adr	x2, 2f\n"
    "1:	ldrb	w3, [x2], #1\n"
    "	cbz	w3, 3f\n"
    "	strb	w3, [x1]\n"
    "	b	1b\n"
    "3:	movz	x0, #0x0008\n"		/* PSCI SYSTEM_OFF 0x84000008 */
    "	movk	x0, #0x8400, lsl #16\n"
    "	hvc	#0\n"
    "	b	.\n"
    "2:	.asciz	\"Hello from a guest on /dev/kvm\\n\"\n"
    ".balign 4\n"
    "hello_guest_end:\n"
    ".popsection\n");
extern const char hello_guest[], hello_guest_end[];

static void die(const char *what)
{
	fprintf(stderr, "hello-vm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void set_reg(int vcpu, uint64_t id, uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	if (ioctl(vcpu, KVM_SET_ONE_REG, &reg))
		die("KVM_SET_ONE_REG");
}

int main(void)
{
	struct kvm_userspace_memory_region mem;
	struct kvm_vcpu_init init;
	struct kvm_run *run;
	int kvm, vm, vcpu;
	long mmap_size;
	void *ram;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("open /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");

	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap");
	memcpy(ram, hello_guest, hello_guest_end - hello_guest);
	mem = (struct kvm_userspace_memory_region) {
		.slot = 0, .guest_phys_addr = GUEST_RAM,
		.memory_size = RAM_SIZE, .userspace_addr = (uintptr_t)ram,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mem))
		die("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init))
		die("KVM_ARM_PREFERRED_TARGET");
	init.features[0] |= 1 << KVM_ARM_VCPU_PSCI_0_2;
	if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init))
		die("KVM_ARM_VCPU_INIT");
	set_reg(vcpu, KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
		KVM_REG_ARM_CORE_REG(regs.pc), GUEST_RAM);

	mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (long)sizeof(*run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");

	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) && errno != EINTR)
			die("KVM_RUN");
		switch (run->exit_reason) {
		case KVM_EXIT_MMIO:
			if (run->mmio.phys_addr == UART_TX && run->mmio.is_write)
				putchar(run->mmio.data[0]);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			fflush(stdout);
			if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
				printf("hello-vm: guest powered off\n");
				return 0;
			}
			fprintf(stderr, "hello-vm: system event %u\n",
				run->system_event.type);
			return 1;
		case KVM_EXIT_INTR:
			break;
		default:
			fprintf(stderr, "hello-vm: unexpected exit %u\n",
				run->exit_reason);
			return 1;
		}
	}
}
