// SPDX-License-Identifier: GPL-2.0
/*
 * The SMCCC filter (KVM_ARM_VM_SMCCC_CTRL / KVM_ARM_VM_SMCCC_FILTER on
 * the VM fd, devices/vm.rst): the attribute exists; bad filters are
 * refused (pad, no functions, wrapping, unknown action: EINVAL; the Arm
 * Architecture Calls ranges and overlaps: EEXIST; a bad pointer: EFAULT);
 * each action works for HVC and SMC (HANDLE: the in-kernel answer, DENY:
 * NOT_SUPPORTED, FWD_TO_USER: KVM_EXIT_HYPERCALL with the function ID,
 * the SMC flag and PC past the call, userspace's x0..x3 reach the guest);
 * calls outside the filter keep working; no change once a vCPU has run
 * (EBUSY). On modkvm the filter is bounded: past 4096 ranges, ENOMEM.
 */
#include <sys/ioctl.h>

#include "lib/tap.h"
#include "lib/hvc_server.h"
#include "vmm.h"
#include "guest.h"

/* UAPI of Linux 6.4 on, for older userspace headers */
#ifndef KVM_ARM_VM_SMCCC_CTRL
#define KVM_ARM_VM_SMCCC_CTRL		0
#define KVM_ARM_VM_SMCCC_FILTER		0
enum kvm_smccc_filter_action {
	KVM_SMCCC_FILTER_HANDLE = 0,
	KVM_SMCCC_FILTER_DENY,
	KVM_SMCCC_FILTER_FWD_TO_USER,
};
struct kvm_smccc_filter {
	__u32 base;
	__u32 nr_functions;
	__u8 action;
	__u8 pad[15];
};
#define KVM_HYPERCALL_EXIT_SMC		(1U << 0)
#define KVM_HYPERCALL_EXIT_16BIT	(1U << 1)
#endif

/* hypercall.flags (6.4 on) is where older headers have longmode + pad */
static uint64_t hypercall_flags(const struct kvm_run *run)
{
	uint64_t flags;

	memcpy(&flags, &run->hypercall.ret + 1, sizeof(flags));
	return flags;
}

#define PSCI_FN_CPU_SUSPEND		0x84000001
#define VENDOR_HYP_FN(n)		(0x86000000 + (n))
#define SIP_FN64(n)			(0xc2000000 + (n))

#define GPA(sym)	(VMM_RAM_BASE + (uint64_t)((sym) - hvc_server_start))

#define HVC	HVCS_HVC
#define SMC	HVCS_SMC

static struct vmm_vcpu vcpu;

static int set_filter_raw(struct vmm_vm *vm, const struct kvm_smccc_filter *f)
{
	struct kvm_device_attr attr = {
		.group = KVM_ARM_VM_SMCCC_CTRL,
		.attr = KVM_ARM_VM_SMCCC_FILTER,
		.addr = (uint64_t)(unsigned long)f,
	};

	return ioctl(vm->fd, KVM_SET_DEVICE_ATTR, &attr);
}

static int set_filter(struct vmm_vm *vm, uint32_t base, uint32_t nr,
		      uint8_t action)
{
	struct kvm_smccc_filter f = {
		.base = base, .nr_functions = nr, .action = action,
	};

	return set_filter_raw(vm, &f);
}

static int has_attr(struct vmm_vm *vm, uint32_t group, uint64_t attr)
{
	struct kvm_device_attr a = { .group = group, .attr = attr };

	return ioctl(vm->fd, KVM_HAS_DEVICE_ATTR, &a);
}

/* Start the guest's call of fn (x1..x3 = a1..a3); the next exit is ours. */
static bool feed(int conduit, uint64_t fn, uint64_t a1, uint64_t a2,
		 uint64_t a3)
{
	uint64_t in[5] = { fn, a1, a2, a3, conduit };
	unsigned int i;

	for (i = 0; i < 5; i++)
		if (!vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 8 * i, 8, false,
				     &in[i]))
			return false;
	/* completes the last load, makes the call: the exit after it */
	vmm_run(&vcpu);
	return true;
}

/* After feed(): the call returned to the guest; its x0..x3. */
static bool results(uint64_t out[4])
{
	unsigned int i;

	if (!vmm_is_mmio(&vcpu, VMM_MMIO_BASE + 0x28, 8, true))
		return false;
	out[0] = vmm_mmio_data(&vcpu);
	for (i = 1; i < 4; i++)
		if (!vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x28 + 8 * i, 8,
				     true, &out[i]))
			return false;
	return true;
}

static void check_call(int conduit, uint64_t fn, uint64_t a1, int64_t want,
		       const char *name)
{
	uint64_t out[4] = { 0x7777 };
	bool ok = feed(conduit, fn, a1, 0, 0) && results(out);

	tap_check(ok && (int64_t)out[0] == want, name,
		  "%s x0 = %lld, expected %lld",
		  ok ? "returned" : vmm_describe_exit(&vcpu),
		  (long long)out[0], (long long)want);
}

/* A forwarded call: the exit, then userspace's answer reaches the guest. */
static void check_forward(int conduit, uint64_t x0, const char *name)
{
	uint64_t pc = 0, x1 = 0, x2 = 0, x3 = 0, out[4] = { 0 };
	struct kvm_run *run = vcpu.run;
	char buf[128];
	bool ok;

	ok = feed(conduit, x0, 0x1111, 0x2222, 0x3333);
	tap_check(ok && vcpu.last_rc == KVM_EXIT_HYPERCALL, name, "%s",
		  vmm_describe_exit(&vcpu));
	if (!ok || vcpu.last_rc != KVM_EXIT_HYPERCALL)
		return;
	snprintf(buf, sizeof(buf), "... nr = function ID %#x",
		 (uint32_t)x0);
	TAP_EQ(run->hypercall.nr, (uint32_t)x0, buf);
	tap_check(hypercall_flags(run) ==
		  (conduit == SMC ? KVM_HYPERCALL_EXIT_SMC : 0),
		  conduit == SMC ? "... flags: KVM_HYPERCALL_EXIT_SMC" :
				   "... flags: 0 (HVC, 32-bit instruction)",
		  "flags %#llx", (unsigned long long)hypercall_flags(run));
	vmm_get64(&vcpu, VMM_REG_PC, &pc);
	TAP_EQ(pc, GPA(conduit == SMC ? hvc_server_smc : hvc_server_hvc) + 4,
	       "... PC past the call");
	vmm_get64(&vcpu, VMM_REG_X(1), &x1);
	vmm_get64(&vcpu, VMM_REG_X(2), &x2);
	vmm_get64(&vcpu, VMM_REG_X(3), &x3);
	tap_check(x1 == 0x1111 && x2 == 0x2222 && x3 == 0x3333,
		  "... arguments readable in x1..x3", "x1 %#llx x2 %#llx x3 %#llx",
		  (unsigned long long)x1, (unsigned long long)x2,
		  (unsigned long long)x3);

	vmm_set64(&vcpu, VMM_REG_X(0), 0xabcd);
	vmm_set64(&vcpu, VMM_REG_X(1), 0x1);
	vmm_set64(&vcpu, VMM_REG_X(2), 0x2);
	vmm_set64(&vcpu, VMM_REG_X(3), 0x3);
	vmm_run(&vcpu);
	ok = results(out);
	tap_check(ok && out[0] == 0xabcd && out[1] == 1 && out[2] == 2 &&
		  out[3] == 3, "... userspace's results reach the guest",
		  "%s: %#llx %#llx %#llx %#llx",
		  ok ? "returned" : vmm_describe_exit(&vcpu),
		  (unsigned long long)out[0], (unsigned long long)out[1],
		  (unsigned long long)out[2], (unsigned long long)out[3]);
}

static int new_vm(struct vmm_vm *vm)
{
	return vmm_simple_vm(vm, &vcpu, hvc_server_start, GUEST_SIZE(hvc_server),
			     1U << KVM_ARM_VCPU_PSCI_0_2);
}

static void bad_filters(struct vmm_vm *vm)
{
	struct kvm_smccc_filter f = {
		.base = PSCI_FN_VERSION, .nr_functions = 1,
		.action = KVM_SMCCC_FILTER_DENY,
	};
	int rc;

	f.pad[14] = 1;
	rc = set_filter_raw(vm, &f);
	TAP_ERRNO(rc, EINVAL, "nonzero pad: EINVAL");
	rc = set_filter(vm, PSCI_FN_VERSION, 0, KVM_SMCCC_FILTER_DENY);
	TAP_ERRNO(rc, EINVAL, "no functions: EINVAL");
	rc = set_filter(vm, ~0U, ~0U, KVM_SMCCC_FILTER_DENY);
	TAP_ERRNO(rc, EINVAL, "a range that wraps: EINVAL");
	rc = set_filter(vm, 0xffffff00U, 0x101, KVM_SMCCC_FILTER_DENY);
	TAP_ERRNO(rc, EINVAL, "a range that wraps by one: EINVAL");
	rc = set_filter(vm, PSCI_FN_VERSION, 1, 3);
	TAP_ERRNO(rc, EINVAL, "action 3: EINVAL");
	rc = set_filter(vm, PSCI_FN_VERSION, 1, 0xff);
	TAP_ERRNO(rc, EINVAL, "action 255: EINVAL");
	rc = set_filter(vm, SMCCC_FN_ARCH_WORKAROUND_1, 1,
			KVM_SMCCC_FILTER_DENY);
	TAP_ERRNO(rc, EEXIST, "an SMC32 Arm Architecture Call: EEXIST");
	rc = set_filter(vm, 0xc0000000U, 1, KVM_SMCCC_FILTER_FWD_TO_USER);
	TAP_ERRNO(rc, EEXIST, "an SMC64 Arm Architecture Call: EEXIST");
	rc = set_filter(vm, 0x7ffffff0U, 0x11, KVM_SMCCC_FILTER_DENY);
	TAP_ERRNO(rc, EEXIST, "a range ending in the reserved one: EEXIST");
	rc = set_filter(vm, 0xc000ffffU, 2, KVM_SMCCC_FILTER_HANDLE);
	TAP_ERRNO(rc, EEXIST, "a range starting in the reserved one: EEXIST");
	rc = set_filter(vm, 0x70000000U, 0x20000000U, KVM_SMCCC_FILTER_DENY);
	TAP_ERRNO(rc, EEXIST, "a range around the reserved one: EEXIST");
	rc = set_filter_raw(vm, (void *)8);
	TAP_ERRNO(rc, EFAULT, "a bad pointer: EFAULT");
	{
		struct kvm_device_attr a = {
			.group = KVM_ARM_VM_SMCCC_CTRL, .attr = 1,
			.addr = (uint64_t)(unsigned long)&f,
		};

		f.pad[14] = 0;
		rc = ioctl(vm->fd, KVM_SET_DEVICE_ATTR, &a);
		TAP_ERRNO(rc, ENXIO, "KVM_SET_DEVICE_ATTR, unknown attribute: ENXIO");
		a.group = 1;
		a.attr = KVM_ARM_VM_SMCCC_FILTER;
		rc = ioctl(vm->fd, KVM_SET_DEVICE_ATTR, &a);
		TAP_ERRNO(rc, ENXIO, "KVM_SET_DEVICE_ATTR, unknown group: ENXIO");
	}

	/* Ranges next to the reserved ones are fine, overlaps are not. */
	TAP_EQ(set_filter(vm, 0x7fffff00U, 0x100, KVM_SMCCC_FILTER_DENY), 0,
	       "a range just below 0x80000000");
	TAP_EQ(set_filter(vm, 0x80010000U, 0x10, KVM_SMCCC_FILTER_DENY), 0,
	       "a range just above 0x8000ffff");
	TAP_EQ(set_filter(vm, 0xffffff00U, 0x100, KVM_SMCCC_FILTER_DENY), 0,
	       "a range up to 0xffffffff");
	rc = set_filter(vm, 0xffffffffU, 1, KVM_SMCCC_FILTER_DENY);
	TAP_ERRNO(rc, EEXIST, "0xffffffff again: EEXIST");
	TAP_EQ(set_filter(vm, PSCI_FN_VERSION, 1, KVM_SMCCC_FILTER_DENY), 0,
	       "PSCI_VERSION: DENY");
	rc = set_filter(vm, PSCI_FN_VERSION, 1, KVM_SMCCC_FILTER_DENY);
	TAP_ERRNO(rc, EEXIST, "the same range again: EEXIST");
	rc = set_filter(vm, PSCI_FN_VERSION - 4, 5, KVM_SMCCC_FILTER_HANDLE);
	TAP_ERRNO(rc, EEXIST, "a range overlapping its start: EEXIST");
	rc = set_filter(vm, PSCI_FN_VERSION, 8, KVM_SMCCC_FILTER_FWD_TO_USER);
	TAP_ERRNO(rc, EEXIST, "a range overlapping its end: EEXIST");
	TAP_EQ(set_filter(vm, PSCI_FN_CPU_SUSPEND, 1, KVM_SMCCC_FILTER_DENY), 0,
	       "the next function, same action (adjacent)");
	rc = set_filter(vm, PSCI_FN_VERSION, 2, KVM_SMCCC_FILTER_DENY);
	TAP_ERRNO(rc, EEXIST, "both adjacent ones as one range: EEXIST");
}

/* Each action, by HVC and by SMC, in a VM that has not run yet. */
static void actions(void)
{
	struct vmm_vm vm;
	int conduit, rc;

	for (conduit = HVC; conduit <= SMC; conduit++) {
		const char *c = conduit == SMC ? "SMC" : "HVC";
		char name[128];

		rc = new_vm(&vm);
		TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
		rc = set_filter(&vm, PSCI_FN_VERSION, 1, KVM_SMCCC_FILTER_DENY);
		rc = rc ? rc : set_filter(&vm, PSCI_FN_FEATURES, 1,
					  KVM_SMCCC_FILTER_HANDLE);
		rc = rc ? rc : set_filter(&vm, VENDOR_HYP_FN(0), 0x10000,
					  KVM_SMCCC_FILTER_FWD_TO_USER);
		rc = rc ? rc : set_filter(&vm, SIP_FN64(0x10), 1,
					  KVM_SMCCC_FILTER_FWD_TO_USER);
		rc = rc ? rc : set_filter(&vm, PSCI_FN_SYSTEM_RESET, 1,
					  KVM_SMCCC_FILTER_FWD_TO_USER);
		TAP_REQUIRE(!rc, "filter: DENY, HANDLE and FWD_TO_USER ranges",
			    "%s", strerror(errno));

#define NAME(what)	(snprintf(name, sizeof(name), "%s " what, c), name)
		check_call(conduit, PSCI_FN_VERSION, 0, SMCCC_RET_NOT_SUPPORTED,
			   NAME("DENY: PSCI_VERSION = NOT_SUPPORTED"));
		check_call(conduit, PSCI_FN_FEATURES, PSCI_FN64_CPU_ON, 0,
			   NAME("HANDLE: PSCI_FEATURES answered in the kernel"));
		check_call(conduit, 0x84000006, 0, 2,
			   NAME("outside: MIGRATE_INFO_TYPE still answered"));
		check_call(conduit, SMCCC_FN_VERSION, 0, 0x10001,
			   NAME("outside: SMCCC_VERSION still answered"));
		check_forward(conduit, VENDOR_HYP_FN(1),
			      NAME("FWD_TO_USER: vendor hyp call 0x86000001 exits"
				   " KVM_EXIT_HYPERCALL"));
		check_forward(conduit, 0xffffffff00000000ULL | SIP_FN64(0x10),
			      NAME("FWD_TO_USER: SiP64 call, x0[63:32] set"));
		check_forward(conduit, PSCI_FN_SYSTEM_RESET,
			      NAME("FWD_TO_USER: PSCI SYSTEM_RESET forwarded"));
		check_call(conduit, SIP_FN64(0x11), 0, SMCCC_RET_NOT_SUPPORTED,
			   NAME("next to a forwarded one: SiP64 0x11 NOT_SUPPORTED"));

		NAME("after the guest ran, KVM_SET_DEVICE_ATTR: EBUSY");
		rc = set_filter(&vm, SIP_FN64(0x20), 1, KVM_SMCCC_FILTER_DENY);
#undef NAME
		TAP_ERRNO(rc, EBUSY, name);
		vmm_vcpu_destroy(&vcpu);
		vmm_vm_destroy(&vm);
	}
}

/* Many ranges: lookups still right; on modkvm the number is bounded. */
static void many_ranges(void)
{
	struct vmm_vm vm;
	int rc = 0, n;

	rc = new_vm(&vm);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	/* 0x82000000 + 2k: alternately DENY and FWD (no merging) */
	for (n = 0; n < 1000 && !rc; n++)
		rc = set_filter(&vm, 0x82000000U + 2 * n, 1,
				n & 1 ? KVM_SMCCC_FILTER_FWD_TO_USER :
					KVM_SMCCC_FILTER_DENY);
	TAP_EQ(rc, 0, "1000 ranges");
	check_call(HVC, 0x82000000U + 2 * 500, 0, SMCCC_RET_NOT_SUPPORTED,
		   "range 500: DENY");
	check_forward(HVC, 0x82000000U + 2 * 501, "range 501: FWD_TO_USER");
	check_call(HVC, 0x82000000U + 2 * 501 + 1, 0, SMCCC_RET_NOT_SUPPORTED,
		   "between ranges: not handled (SiP): NOT_SUPPORTED");
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);

	if (!vmm_is_modkvm()) {
		tap_skip("at most 4096 ranges", "the in-kernel KVM has no bound");
		return;
	}
	rc = new_vm(&vm);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	rc = 0;
	for (n = 0; n < 4096 && !rc; n++)
		rc = set_filter(&vm, 0x82000000U + 2 * n, 1,
				KVM_SMCCC_FILTER_DENY);
	TAP_EQ(rc, 0, "4096 ranges");
	rc = set_filter(&vm, 0x82000000U + 2 * n, 1, KVM_SMCCC_FILTER_DENY);
	TAP_ERRNO(rc, ENOMEM, "the 4097th: ENOMEM");
	TAP_EQ(set_filter(&vm, 0x82000000U + 2 * 4095 + 1, 1,
			  KVM_SMCCC_FILTER_DENY), 0,
	       "one that merges with its neighbour still fits");
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
}

int main(void)
{
	struct vmm_vm vm;
	int rc;

	tap_init();
	rc = vmm_vm_create(&vm, 0);
	TAP_REQUIRE(!rc, "VM", "%s", strerror(-rc));
	rc = has_attr(&vm, KVM_ARM_VM_SMCCC_CTRL, KVM_ARM_VM_SMCCC_FILTER);
	if (rc) {
		tap_skip("KVM_ARM_VM_SMCCC_FILTER", strerror(errno));
		vmm_vm_destroy(&vm);
		return tap_done();
	}
	tap_check(1, "KVM_HAS_DEVICE_ATTR(SMCCC_CTRL, SMCCC_FILTER) on the VM",
		  NULL);
	rc = has_attr(&vm, KVM_ARM_VM_SMCCC_CTRL, 1);
	TAP_ERRNO(rc, ENXIO, "KVM_HAS_DEVICE_ATTR, unknown attribute: ENXIO");
	rc = has_attr(&vm, 0x1234, 0);
	TAP_ERRNO(rc, ENXIO, "KVM_HAS_DEVICE_ATTR, unknown group: ENXIO");
	vmm_vm_destroy(&vm);

	rc = new_vm(&vm);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	bad_filters(&vm);
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);

	actions();
	many_ranges();
	return tap_done();
}
