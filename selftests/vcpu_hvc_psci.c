// SPDX-License-Identifier: GPL-2.0
/*
 * SMCCC calls from the guest, by HVC and by SMC: PSCI_VERSION,
 * PSCI_FEATURES, SMCCC_VERSION, SMCCC_ARCH_FEATURES, unknown function
 * ids, and PSCI SYSTEM_OFF / SYSTEM_RESET as KVM_EXIT_SYSTEM_EVENT; the
 * queries give the same answers by HVC and by SMC in each configuration
 * that changes one.
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

/*
 * Call server: read function id, x1..x3 and the conduit (0 HVC, 1 SMC)
 * from the MMIO window, make the call, store x0 and x1 back; repeat.
 */
GUEST_CODE(caller,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"1:	ldr	x0, [x20, #0x00]\n"
	"	ldr	x1, [x20, #0x08]\n"
	"	ldr	x2, [x20, #0x10]\n"
	"	ldr	x3, [x20, #0x18]\n"
	"	ldr	x9, [x20, #0x20]\n"
	"	mov64	x10, 0x1010101010101010\n"
	"	cbnz	x9, 2f\n"
	"	hvc	#0\n"
	"	b	3f\n"
	"2:	smc	#0\n"
	"3:	str	x0, [x20, #0x28]\n"
	"	str	x10, [x20, #0x30]\n"
	"	b	1b\n");

#define HVC	0
#define SMC	1

static struct vmm_vcpu vcpu;

/* Make the guest call fn; false (and a diagnostic) on an unexpected exit. */
static bool call(int conduit, uint64_t fn, uint64_t a1, uint64_t a2,
		 uint64_t a3, int64_t *ret)
{
	uint64_t in[5] = { fn, a1, a2, a3, conduit }, out, x10;
	unsigned int i;

	for (i = 0; i < 5; i++)
		if (!vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 8 * i, 8, false,
				     &in[i]))
			goto bad;
	if (!vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x28, 8, true, &out))
		goto bad;
	*ret = (int64_t)out;
	if (!vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x30, 8, true, &x10))
		goto bad;
	if (x10 != 0x1010101010101010ULL) {
		tap_diag("call %#llx clobbered x10: %#llx",
			 (unsigned long long)fn, (unsigned long long)x10);
		return false;
	}
	return true;
bad:
	if (vcpu.last_rc != KVM_EXIT_SYSTEM_EVENT)
		tap_diag("call %#llx: %s", (unsigned long long)fn,
			 vmm_describe_exit(&vcpu));
	return false;
}

static void check_call(int conduit, uint64_t fn, uint64_t a1, int64_t want,
		       const char *name)
{
	int64_t r = 0x7777;

	tap_check(call(conduit, fn, a1, 0, 0, &r) && r == want, name,
		  "x0 = %lld, expected %lld", (long long)r, (long long)want);
}

static int new_vm(struct vmm_vm *vm)
{
	return vmm_simple_vm(vm, &vcpu, caller_start, GUEST_SIZE(caller),
			     1U << KVM_ARM_VCPU_PSCI_0_2);
}

/*
 * SMCCC_ARCH_FEATURES for a workaround must agree with the firmware
 * pseudo-register the VMM sees: AVAIL -> 0 (call it), NOT_AVAIL /
 * UNKNOWN -> -1 (not supported), NOT_REQUIRED -> 1 for WORKAROUND_1 and
 * _3 ("this PE is unaffected") but -2 (NOT_REQUIRED) for WORKAROUND_2.
 */
static void workaround(uint64_t fn, uint64_t regid, const char *name)
{
	char buf[96];
	uint64_t reg = ~0ULL;
	int64_t r = 0x7777, want;

	vmm_get64(&vcpu, regid, &reg);
	if (regid == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2) {
		reg &= ~(uint64_t)KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_ENABLED;
		want = reg == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_AVAIL ? 0 :
		       reg == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_REQUIRED ?
		       SMCCC_RET_NOT_REQUIRED : SMCCC_RET_NOT_SUPPORTED;
	} else {
		want = reg == 1 ? 0 : reg == 2 ? 1 : SMCCC_RET_NOT_SUPPORTED;
	}
	snprintf(buf, sizeof(buf),
		 "SMCCC_ARCH_FEATURES(%s) agrees with its firmware register",
		 name);
	tap_check(call(HVC, SMCCC_FN_ARCH_FEATURES, fn, 0, 0, &r) && r == want,
		  buf, "x0 = %lld, register %llu", (long long)r,
		  (unsigned long long)reg);
	tap_diag("%s: register %llu, ARCH_FEATURES %lld", name,
		 (unsigned long long)reg, (long long)r);
}

/*
 * modkvm answers SMCCC_VERSION, SMCCC_ARCH_FEATURES, PSCI_VERSION,
 * MIGRATE_INFO_TYPE and PSCI_FEATURES by HVC inside the world switch,
 * from answers computed in advance, and by SMC after the full exit: both
 * must agree, for any function ID asked about (only W1 counts). On
 * modkvm each HVC query counts as a fast exit.
 */
static void hvc_equals_smc(const char *what)
{
	static const uint64_t fns[] = {
		SMCCC_FN_VERSION, PSCI_FN_VERSION, 0x84000006,
		SMCCC_FN_ARCH_FEATURES, PSCI_FN_FEATURES,
	};
	static const uint64_t other[] = {
		0, SMCCC_FN_VERSION, SMCCC_FN_ARCH_FEATURES,
		SMCCC_FN_ARCH_WORKAROUND_1, SMCCC_FN_ARCH_WORKAROUND_2,
		SMCCC_FN_ARCH_WORKAROUND_3, 0xc5000020 /* PV_TIME_FEATURES */,
		0x8000ffff, 0xc4000100, 0x100000000ULL | PSCI_FN_VERSION,
		0xffffffff,
	};
	unsigned int f, i, n, calls = 0, bad = 0;
	uint64_t arg, fast0 = 0, fast1 = 0;
	int64_t rh, rs;
	char buf[128];
	int sfd = -1, rc;

	if (vmm_is_modkvm()) {
		sfd = ioctl(vcpu.fd, KVM_GET_STATS_FD, NULL);
		if (sfd >= 0 && vmm_stat(sfd, "fast_exits", &fast0)) {
			close(sfd);
			sfd = -1;
		}
	}

	for (f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
		/* the FEATURES calls: every PSCI function ID and others */
		n = f < 3 ? 1 : 2 * 0x20 + sizeof(other) / sizeof(other[0]);
		for (i = 0; i < n; i++) {
			if (i < 0x20)
				arg = 0x84000000 + i;
			else if (i < 0x40)
				arg = 0xc4000000 + i - 0x20;
			else
				arg = other[i - 0x40];
			rh = rs = 0x7777;
			calls++;
			if (call(HVC, fns[f], arg, 0, 0, &rh) &&
			    call(SMC, fns[f], arg, 0, 0, &rs) && rh == rs)
				continue;
			if (bad++ < 4)
				tap_diag("%#llx(%#llx): HVC %lld, SMC %lld",
					 (unsigned long long)fns[f],
					 (unsigned long long)arg,
					 (long long)rh, (long long)rs);
		}
	}
	snprintf(buf, sizeof(buf), "%s: HVC and SMC answer the queries alike",
		 what);
	tap_check(!bad, buf, "%u of %u differ", bad, calls);
	if (sfd < 0)
		return;
	rc = vmm_stat(sfd, "fast_exits", &fast1);
	close(sfd);
	snprintf(buf, sizeof(buf),
		 "%s: each HVC query answered inside the world switch", what);
	tap_check(!rc && fast1 - fast0 == calls, buf,
		  "rc %d, fast_exits up by %llu for %u calls", rc,
		  (unsigned long long)(fast1 - fast0), calls);
}

int main(void)
{
	struct kvm_mp_state mp;
	struct vmm_vm vm;
	int64_t r = 0, ver;
	uint64_t v = 0;
	int rc;

	tap_init();
	rc = new_vm(&vm);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));

	/* Versions */
	vmm_get64(&vcpu, KVM_REG_ARM_PSCI_VERSION, &v);
	tap_check(call(HVC, PSCI_FN_VERSION, 0, 0, 0, &ver) && ver >= 0x10000 &&
		  ver < 0x20000, "HVC PSCI_VERSION is 1.x", "x0 = %#llx",
		  (long long)ver);
	TAP_EQ(ver, v, "... and equals KVM_REG_ARM_PSCI_VERSION");
	check_call(SMC, PSCI_FN_VERSION, 0, ver, "SMC PSCI_VERSION is the same");
	tap_check(call(HVC, SMCCC_FN_VERSION, 0, 0, 0, &r) && r >= 0x10001 &&
		  r < 0x20000, "SMCCC_VERSION is 1.1 or later", "x0 = %#llx",
		  (long long)r);

	/* PSCI_FEATURES */
	check_call(HVC, PSCI_FN_FEATURES, PSCI_FN_VERSION, 0,
		   "PSCI_FEATURES(PSCI_VERSION) = 0");
	check_call(HVC, PSCI_FN_FEATURES, PSCI_FN64_CPU_ON, 0,
		   "PSCI_FEATURES(CPU_ON) = 0");
	check_call(HVC, PSCI_FN_FEATURES, PSCI_FN_CPU_OFF, 0,
		   "PSCI_FEATURES(CPU_OFF) = 0");
	check_call(HVC, PSCI_FN_FEATURES, PSCI_FN64_AFFINITY_INFO, 0,
		   "PSCI_FEATURES(AFFINITY_INFO) = 0");
	check_call(HVC, PSCI_FN_FEATURES, PSCI_FN_SYSTEM_OFF, 0,
		   "PSCI_FEATURES(SYSTEM_OFF) = 0");
	check_call(HVC, PSCI_FN_FEATURES, PSCI_FN_SYSTEM_RESET, 0,
		   "PSCI_FEATURES(SYSTEM_RESET) = 0");
	check_call(HVC, PSCI_FN_FEATURES, SMCCC_FN_VERSION, 0,
		   "PSCI_FEATURES(SMCCC_VERSION) = 0");
	check_call(HVC, PSCI_FN_FEATURES, 0x8400001f, SMCCC_RET_NOT_SUPPORTED,
		   "PSCI_FEATURES(unknown PSCI function) = NOT_SUPPORTED");
	check_call(HVC, PSCI_FN_FEATURES, 0x82000000, SMCCC_RET_NOT_SUPPORTED,
		   "PSCI_FEATURES(SiP function) = NOT_SUPPORTED");
	check_call(HVC, 0x84000006, 0, 2,
		   "MIGRATE_INFO_TYPE = 2 (no trusted OS to migrate)");

	/* SMCCC_ARCH_FEATURES */
	workaround(SMCCC_FN_ARCH_WORKAROUND_1,
		   KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, "WORKAROUND_1");
	workaround(SMCCC_FN_ARCH_WORKAROUND_2,
		   KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, "WORKAROUND_2");
	workaround(SMCCC_FN_ARCH_WORKAROUND_3,
		   KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3, "WORKAROUND_3");
	check_call(HVC, SMCCC_FN_ARCH_FEATURES, 0x8000ffff,
		   SMCCC_RET_NOT_SUPPORTED,
		   "SMCCC_ARCH_FEATURES(unknown) = NOT_SUPPORTED");

	/* Unknown function ids */
	check_call(HVC, 0x82000000, 0, -1, "HVC SiP call 0: NOT_SUPPORTED");
	check_call(HVC, 0xc3000010, 0, -1, "HVC OEM call: NOT_SUPPORTED");
	check_call(HVC, 0x84000100, 0, -1, "HVC unknown PSCI id: NOT_SUPPORTED");
	check_call(HVC, 0xbf00ff00, 0, -1, "HVC trusted OS call: NOT_SUPPORTED");
	check_call(HVC, 0x04000000, 0, -1, "HVC yielding call: NOT_SUPPORTED");
	check_call(HVC, 0xffffffff, 0, -1, "HVC id 0xffffffff: NOT_SUPPORTED");
	check_call(SMC, 0x82000000, 0, -1, "SMC SiP call 0: NOT_SUPPORTED");
	check_call(SMC, 0x84000100, 0, -1, "SMC unknown PSCI id: NOT_SUPPORTED");

	/* SYSTEM_OFF */
	if (call(HVC, PSCI_FN_SYSTEM_OFF, 0, 0, 0, &r))
		tap_check(0, "SYSTEM_OFF exits", "the call returned %lld",
			  (long long)r);
	tap_check(vcpu.last_rc == KVM_EXIT_SYSTEM_EVENT &&
		  vcpu.run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN,
		  "SYSTEM_OFF: KVM_EXIT_SYSTEM_EVENT SHUTDOWN", "%s",
		  vmm_describe_exit(&vcpu));
	rc = ioctl(vcpu.fd, KVM_GET_MP_STATE, &mp);
	tap_check(rc == 0 && mp.mp_state == KVM_MP_STATE_STOPPED,
		  "... and the vCPU is stopped", "rc %d state %u", rc,
		  mp.mp_state);

	/* Reset the vCPU as a VMM does, then SYSTEM_RESET. */
	rc = vmm_vcpu_init(&vcpu, 1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_EQ(rc, 0, "KVM_ARM_VCPU_INIT after SYSTEM_OFF");
	rc = ioctl(vcpu.fd, KVM_GET_MP_STATE, &mp);
	tap_check(rc == 0 && mp.mp_state == KVM_MP_STATE_RUNNABLE,
		  "... makes the vCPU runnable again", "rc %d state %u", rc,
		  mp.mp_state);
	vmm_set64(&vcpu, VMM_REG_PC, VMM_RAM_BASE);
	check_call(SMC, PSCI_FN_VERSION, 0, ver, "the guest runs again");
	if (call(SMC, PSCI_FN_SYSTEM_RESET, 0, 0, 0, &r))
		tap_check(0, "SYSTEM_RESET exits", "the call returned %lld",
			  (long long)r);
	tap_check(vcpu.last_rc == KVM_EXIT_SYSTEM_EVENT &&
		  vcpu.run->system_event.type == KVM_SYSTEM_EVENT_RESET,
		  "SYSTEM_RESET (by SMC): KVM_EXIT_SYSTEM_EVENT RESET", "%s",
		  vmm_describe_exit(&vcpu));
	tap_check(vcpu.run->system_event.ndata == 0 ||
		  !(vcpu.run->system_event.data[0] &
		    KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2),
		  "... not flagged as SYSTEM_RESET2", "ndata %u data[0] %#llx",
		  vcpu.run->system_event.ndata,
		  (unsigned long long)vcpu.run->system_event.data[0]);
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);

	/* The PSCI version the VMM picks is the one the guest gets. */
	rc = new_vm(&vm);
	TAP_REQUIRE(!rc, "second VM", "%s", strerror(-rc));
	v = 0x2;
	TAP_EQ(vmm_set_reg(&vcpu, KVM_REG_ARM_PSCI_VERSION, &v), 0,
	       "KVM_REG_ARM_PSCI_VERSION set to 0.2");
	check_call(HVC, PSCI_FN_VERSION, 0, 2, "PSCI 0.2 VM: PSCI_VERSION = 0.2");
	check_call(HVC, PSCI_FN_FEATURES, PSCI_FN_VERSION, -1,
		   "PSCI 0.2 VM: PSCI_FEATURES is NOT_SUPPORTED");
	if (call(HVC, PSCI_FN_SYSTEM_RESET, 0, 0, 0, &r))
		tap_check(0, "SYSTEM_RESET exits", "the call returned %lld",
			  (long long)r);
	tap_check(vcpu.last_rc == KVM_EXIT_SYSTEM_EVENT &&
		  vcpu.run->system_event.type == KVM_SYSTEM_EVENT_RESET,
		  "PSCI 0.2 VM: SYSTEM_RESET exits RESET", "%s",
		  vmm_describe_exit(&vcpu));

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);

	/* HVC and SMC alike, in each configuration that changes an answer */
	rc = new_vm(&vm);
	TAP_REQUIRE(!rc, "VM for HVC = SMC", "%s", strerror(-rc));
	hvc_equals_smc("PSCI 1.1");
	if (vmm_sys_check_cap(KVM_CAP_ARM_SYSTEM_SUSPEND) > 0) {
		TAP_EQ(vmm_enable_cap(&vm, KVM_CAP_ARM_SYSTEM_SUSPEND, 0), 0,
		       "KVM_ENABLE_CAP(ARM_SYSTEM_SUSPEND) after the guest ran");
		hvc_equals_smc("PSCI 1.1 with SYSTEM_SUSPEND");
	}
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);

	rc = new_vm(&vm);
	TAP_REQUIRE(!rc, "VM for HVC = SMC", "%s", strerror(-rc));
	v = 0x10000;
	TAP_EQ(vmm_set_reg(&vcpu, KVM_REG_ARM_PSCI_VERSION, &v), 0,
	       "KVM_REG_ARM_PSCI_VERSION set to 1.0");
	v = 0;
	TAP_EQ(vmm_set_reg(&vcpu, KVM_REG_ARM_STD_HYP_BMAP, &v), 0,
	       "KVM_REG_ARM_STD_HYP_BMAP set to 0 (no PV time)");
	hvc_equals_smc("PSCI 1.0, no PV time");
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);

	rc = new_vm(&vm);
	TAP_REQUIRE(!rc, "VM for HVC = SMC", "%s", strerror(-rc));
	v = 0x2;
	TAP_EQ(vmm_set_reg(&vcpu, KVM_REG_ARM_PSCI_VERSION, &v), 0,
	       "KVM_REG_ARM_PSCI_VERSION set to 0.2");
	hvc_equals_smc("PSCI 0.2");
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);

	rc = vmm_simple_vm(&vm, &vcpu, caller_start, GUEST_SIZE(caller), 0);
	TAP_REQUIRE(!rc, "VM of PSCI 0.1 vCPUs", "%s", strerror(-rc));
	hvc_equals_smc("PSCI 0.1");
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
