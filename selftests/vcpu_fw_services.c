// SPDX-License-Identifier: GPL-2.0
/*
 * The optional hypercall services and the firmware bitmap registers that
 * choose them (Documentation/virt/kvm/arm/fw-pseudo-registers.rst):
 * KVM_REG_ARM_STD_BMAP (TRNG), KVM_REG_ARM_STD_HYP_BMAP (PV time) and
 * KVM_REG_ARM_VENDOR_HYP_BMAP (KVM's vendor calls, PTP). Their defaults,
 * bad writes (-EINVAL), writes after the VM ran (-EBUSY), that they are
 * VM-wide; the TRNG 1.0 calls (DEN0098), the KVM vendor UID and features,
 * PTP against the counters userspace sees, and NOT_SUPPORTED for every
 * call of a service userspace turned off.
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>

#include "lib/tap.h"
#include "lib/hvc_server.h"
#include "vmm.h"
#include "guest.h"

/* SMCCC function ids (Arm DEN0028, DEN0098, DEN0057; hypercalls.rst) */
#define TRNG_VERSION		0x84000050
#define TRNG_FEATURES		0x84000051
#define TRNG_GET_UUID		0x84000052
#define TRNG_RND32		0x84000053
#define TRNG_RND64		0xc4000053
#define PV_TIME_FEATURES	0xc5000020
#define PV_TIME_ST		0xc5000021
#define VENDOR_KVM_FEATURES	0x86000000
#define VENDOR_KVM_PTP		0x86000001
#define VENDOR_CALL_UID		0x8600ff01
#define TRNG_INVALID_PARAMS	(-2)
#define KVM_PTP_VIRT_COUNTER	0	/* ptp_kvm.rst */
#define KVM_PTP_PHYS_COUNTER	1

#define STD_ALL		(1ULL << KVM_REG_ARM_STD_BIT_TRNG_V1_0)
#define STD_HYP_ALL	(1ULL << KVM_REG_ARM_STD_HYP_BIT_PV_TIME)
#define VENDOR_ALL	((1ULL << KVM_REG_ARM_VENDOR_HYP_BIT_FUNC_FEAT) | \
			 (1ULL << KVM_REG_ARM_VENDOR_HYP_BIT_PTP))

static const uint64_t bmaps[3] = {
	KVM_REG_ARM_STD_BMAP, KVM_REG_ARM_STD_HYP_BMAP,
	KVM_REG_ARM_VENDOR_HYP_BMAP,
};
static const char *const bmap_names[3] = { "STD", "STD_HYP", "VENDOR_HYP" };

static int new_vm(struct vmm_vm *vm, struct vmm_vcpu *vcpu)
{
	return vmm_simple_vm(vm, vcpu, hvc_server_start,
			     GUEST_SIZE(hvc_server),
			     1U << KVM_ARM_VCPU_PSCI_0_2);
}

static void check1(struct vmm_vcpu *vcpu, uint64_t fn, uint64_t a1,
		   int64_t want, const char *name)
{
	int64_t r = hvcs_call1(vcpu, fn, a1);

	tap_check(r == want, name, "x0 = %lld (%#llx), expected %lld",
		  (long long)r, (unsigned long long)r, (long long)want);
}

static bool call(struct vmm_vcpu *vcpu, uint64_t fn, uint64_t a1,
		 uint64_t out[4])
{
	uint64_t in[4] = { fn, a1, 0, 0 };

	return hvcs_run(vcpu, HVCS_HVC, in, out);
}

static void test_registers(bool steal)
{
	uint64_t want[3] = { STD_ALL, steal ? STD_HYP_ALL : 0, VENDOR_ALL };
	uint64_t bad[3] = { 1ULL << 1, 1ULL << 1, 1ULL << 2 };
	struct vmm_vcpu vcpu, vcpu1;
	struct vmm_vm vm;
	uint64_t v;
	char name[96];
	int i, rc;

	rc = new_vm(&vm, &vcpu);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	rc = vmm_simple_vcpu(&vm, &vcpu1, 1, 1U << KVM_ARM_VCPU_PSCI_0_2,
			     VMM_RAM_BASE);
	TAP_REQUIRE(!rc, "second vCPU", "%s", strerror(-rc));

	for (i = 0; i < 3; i++) {
		v = ~0ULL;
		rc = vmm_get64(&vcpu, bmaps[i], &v);
		snprintf(name, sizeof(name),
			 "%s_BMAP defaults to every service (%#llx)",
			 bmap_names[i], (unsigned long long)want[i]);
		tap_check(!rc && v == want[i], name, "rc %d value %#llx", rc,
			  (unsigned long long)v);

		snprintf(name, sizeof(name), "%s_BMAP: unknown bit -> EINVAL",
			 bmap_names[i]);
		TAP_NEG(vmm_set64(&vcpu, bmaps[i], want[i] | bad[i]), EINVAL,
			name);
		snprintf(name, sizeof(name), "%s_BMAP: bit 63 -> EINVAL",
			 bmap_names[i]);
		TAP_NEG(vmm_set64(&vcpu, bmaps[i], 1ULL << 63), EINVAL, name);

		snprintf(name, sizeof(name), "%s_BMAP cleared on vCPU 0",
			 bmap_names[i]);
		TAP_EQ(vmm_set64(&vcpu, bmaps[i], 0), 0, name);
		v = ~0ULL;
		rc = vmm_get64(&vcpu1, bmaps[i], &v);
		snprintf(name, sizeof(name), "... reads 0 on vCPU 1 (VM-wide)");
		tap_check(!rc && v == 0, name, "rc %d value %#llx", rc,
			  (unsigned long long)v);
	}
	/* Set again before the first run: allowed */
	TAP_EQ(vmm_set64(&vcpu1, KVM_REG_ARM_VENDOR_HYP_BMAP, VENDOR_ALL), 0,
	       "VENDOR_HYP_BMAP set back to all before the VM runs");
	TAP_EQ(vmm_set64(&vcpu1, KVM_REG_ARM_VENDOR_HYP_BMAP, 0), 0,
	       "... and cleared again");

	/* Every call of a disabled service: NOT_SUPPORTED */
	check1(&vcpu, TRNG_VERSION, 0, -1, "TRNG off: TRNG_VERSION -1");
	check1(&vcpu, TRNG_FEATURES, TRNG_RND64, -1,
	       "TRNG off: TRNG_FEATURES -1");
	check1(&vcpu, TRNG_GET_UUID, 0, -1, "TRNG off: TRNG_GET_UUID -1");
	check1(&vcpu, TRNG_RND32, 32, -1, "TRNG off: TRNG_RND32 -1");
	check1(&vcpu, TRNG_RND64, 64, -1, "TRNG off: TRNG_RND64 -1");
	check1(&vcpu, SMCCC_FN_ARCH_FEATURES, PV_TIME_FEATURES, -1,
	       "PV time off: SMCCC_ARCH_FEATURES(PV_TIME_FEATURES) -1");
	check1(&vcpu, PV_TIME_FEATURES, PV_TIME_ST, -1,
	       "PV time off: PV_TIME_FEATURES -1");
	check1(&vcpu, PV_TIME_ST, 0, -1, "PV time off: PV_TIME_ST -1");
	check1(&vcpu, VENDOR_CALL_UID, 0, -1, "vendor off: Call UID -1");
	check1(&vcpu, VENDOR_KVM_FEATURES, 0, -1,
	       "vendor off: KVM_FEATURES -1");
	check1(&vcpu, VENDOR_KVM_PTP, KVM_PTP_VIRT_COUNTER, -1,
	       "vendor off: PTP -1");

	/* The VM has run: no more changes, the same value is fine */
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name),
			 "%s_BMAP: change after the VM ran -> EBUSY",
			 bmap_names[i]);
		if (want[i])
			TAP_NEG(vmm_set64(&vcpu1, bmaps[i], want[i]), EBUSY,
				name);
		snprintf(name, sizeof(name),
			 "%s_BMAP: its own value after the VM ran -> 0",
			 bmap_names[i]);
		TAP_EQ(vmm_set64(&vcpu1, bmaps[i], 0), 0, name);
		snprintf(name, sizeof(name),
			 "%s_BMAP: unknown bit after the VM ran -> EINVAL",
			 bmap_names[i]);
		TAP_NEG(vmm_set64(&vcpu1, bmaps[i], bad[i]), EINVAL, name);
	}
	v = ~0ULL;
	tap_check(!vmm_get64(&vcpu, KVM_REG_ARM_STD_BMAP, &v) && v == 0,
		  "STD_BMAP still 0", "value %#llx", (unsigned long long)v);

	vmm_vcpu_destroy(&vcpu1);
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
}

/*
 * DEN0098 asks for 1..96 (RND32) or 1..192 (RND64) bits: 0 is
 * INVALID_PARAMETERS, as modkvm (and Arm's Trusted Firmware) answer. The
 * in-kernel KVM returns SUCCESS with no bits instead.
 */
static void rnd_zero_bits(struct vmm_vcpu *vcpu, uint64_t fn, const char *what)
{
	uint64_t o[4] = { 0x7777 };
	char name[80];
	bool ok = call(vcpu, fn, 0, o);

	snprintf(name, sizeof(name), "%s(0 bits) = INVALID_PARAMETERS", what);
	if (vmm_is_modkvm()) {
		tap_check(ok && (int64_t)o[0] == TRNG_INVALID_PARAMS, name,
			  "x0 = %lld", (long long)o[0]);
		return;
	}
	tap_check(ok && ((int64_t)o[0] == TRNG_INVALID_PARAMS ||
			 (o[0] == 0 && !(o[1] | o[2] | o[3]))),
		  name, "x0 = %lld", (long long)o[0]);
	tap_diag("in-kernel KVM: %s(0 bits) returns %lld", what,
		 (long long)o[0]);
}

static void test_trng(struct vmm_vcpu *vcpu)
{
	static const uint64_t fns[] = {
		TRNG_VERSION, TRNG_FEATURES, TRNG_GET_UUID, TRNG_RND32,
		TRNG_RND64,
	};
	uint64_t o[4], o2[4];
	unsigned int i;
	int64_t r;
	bool ok;

	r = hvcs_call1(vcpu, TRNG_VERSION, 0);
	tap_check(r >= 0x10000 && r < 0x20000, "TRNG_VERSION is 1.x",
		  "x0 = %#llx", (long long)r);
	ok = true;
	for (i = 0; i < ARRAY_SIZE(fns); i++)
		ok &= hvcs_call1(vcpu, TRNG_FEATURES, fns[i]) == 0;
	tap_check(ok, "TRNG_FEATURES: the five TRNG calls are SUCCESS", NULL);
	check1(vcpu, TRNG_FEATURES, 0x84000054, -1,
	       "TRNG_FEATURES(unknown TRNG id) = -1");
	check1(vcpu, TRNG_FEATURES, VENDOR_KVM_PTP, -1,
	       "TRNG_FEATURES(a vendor call) = -1");
	check1(vcpu, SMCCC_FN_ARCH_FEATURES, TRNG_RND64, -1,
	       "SMCCC_ARCH_FEATURES(TRNG_RND64) = -1 (TRNG has its own)");
	check1(vcpu, 0xc4000050, 0, -1, "TRNG_VERSION by SMC64 id = -1");

	ok = call(vcpu, TRNG_GET_UUID, 0, o);
	tap_check(ok && (uint32_t)o[0] != 0xffffffffu && !(o[0] >> 32) &&
		  (o[0] | o[1] | o[2] | o[3]),
		  "TRNG_GET_UUID: a UUID in w0..w3",
		  "%#llx %#llx %#llx %#llx", (unsigned long long)o[0],
		  (unsigned long long)o[1], (unsigned long long)o[2],
		  (unsigned long long)o[3]);

	rnd_zero_bits(vcpu, TRNG_RND32, "TRNG_RND32");
	check1(vcpu, TRNG_RND32, 97, TRNG_INVALID_PARAMS,
	       "TRNG_RND32(97 bits) = INVALID_PARAMETERS");
	rnd_zero_bits(vcpu, TRNG_RND64, "TRNG_RND64");
	check1(vcpu, TRNG_RND64, 193, TRNG_INVALID_PARAMS,
	       "TRNG_RND64(193 bits) = INVALID_PARAMETERS");

	ok = call(vcpu, TRNG_RND32, 96, o) && call(vcpu, TRNG_RND32, 96, o2);
	tap_check(ok && o[0] == 0 && o2[0] == 0 &&
		  !((o[1] | o[2] | o[3]) >> 32) &&
		  (o[1] != o2[1] || o[2] != o2[2] || o[3] != o2[3]),
		  "TRNG_RND32(96): 32-bit words, two calls differ",
		  "x0 %lld, %#llx %#llx %#llx", (long long)o[0],
		  (unsigned long long)o[1], (unsigned long long)o[2],
		  (unsigned long long)o[3]);
	ok = call(vcpu, TRNG_RND32, 8, o);
	tap_check(ok && o[0] == 0 && o[1] == 0 && o[2] == 0 && o[3] < 256,
		  "TRNG_RND32(8): 8 bits at the bottom of w3",
		  "%#llx %#llx %#llx", (unsigned long long)o[1],
		  (unsigned long long)o[2], (unsigned long long)o[3]);
	ok = call(vcpu, TRNG_RND64, 192, o) && call(vcpu, TRNG_RND64, 192, o2);
	tap_check(ok && o[0] == 0 && o2[0] == 0 &&
		  (o[1] != o2[1] || o[2] != o2[2] || o[3] != o2[3]),
		  "TRNG_RND64(192): two calls differ", "x0 %lld",
		  (long long)o[0]);
	ok = call(vcpu, TRNG_RND64, 70, o);
	tap_check(ok && o[0] == 0 && o[1] == 0 && o[2] < 64,
		  "TRNG_RND64(70): 64 bits in x3, 6 at the bottom of x2",
		  "%#llx %#llx %#llx", (unsigned long long)o[1],
		  (unsigned long long)o[2], (unsigned long long)o[3]);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void test_ptp(struct vmm_vcpu *vcpu, uint64_t counter, uint64_t reg,
		     const char *what)
{
	uint64_t before = 0, after = 0, t0, t1, o[4], ns, cnt;
	char name[96];
	bool ok;

	t0 = realtime_ns();
	vmm_get64(vcpu, reg, &before);
	ok = call(vcpu, VENDOR_KVM_PTP, counter, o);
	vmm_get64(vcpu, reg, &after);
	t1 = realtime_ns();
	ns = o[0] << 32 | (uint32_t)o[1];
	cnt = o[2] << 32 | (uint32_t)o[3];
	snprintf(name, sizeof(name), "PTP(%s): 32-bit halves", what);
	tap_check(ok && !((o[0] | o[1] | o[2] | o[3]) >> 32), name,
		  "%#llx %#llx %#llx %#llx", (unsigned long long)o[0],
		  (unsigned long long)o[1], (unsigned long long)o[2],
		  (unsigned long long)o[3]);
	snprintf(name, sizeof(name),
		 "PTP(%s): wall clock within the call (ns since the epoch)",
		 what);
	tap_check(ns >= t0 - 1000000000ULL && ns <= t1 + 1000000000ULL, name,
		  "%llu not in [%llu, %llu]", (unsigned long long)ns,
		  (unsigned long long)t0, (unsigned long long)t1);
	snprintf(name, sizeof(name),
		 "PTP(%s): counter between the ONE_REG reads around it", what);
	tap_check(cnt >= before && cnt <= after, name,
		  "%llu not in [%llu, %llu]", (unsigned long long)cnt,
		  (unsigned long long)before, (unsigned long long)after);
}

static void test_enabled(void)
{
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	uint64_t o[4];
	int rc;
	bool ok;

	rc = new_vm(&vm, &vcpu);
	TAP_REQUIRE(!rc, "VM with the default services", "%s", strerror(-rc));
	/* A virtual counter far from the physical one, both offset */
	vmm_set64(&vcpu, KVM_REG_ARM_TIMER_CNT, 1ULL << 40);
	vmm_set64(&vcpu, KVM_REG_ARM_PTIMER_CNT, 1ULL << 41);

	test_trng(&vcpu);

	ok = call(&vcpu, VENDOR_CALL_UID, 0, o);
	tap_check(ok && o[0] == 0xb66fb428 && o[1] == 0xe911c52e &&
		  o[2] == 0x564bcaa9 && o[3] == 0x743a004d,
		  "vendor Call UID: KVM's 28b46fb6-2ec5-11e9-a9ca-4b564d003a74",
		  "%#llx %#llx %#llx %#llx", (unsigned long long)o[0],
		  (unsigned long long)o[1], (unsigned long long)o[2],
		  (unsigned long long)o[3]);
	ok = call(&vcpu, VENDOR_KVM_FEATURES, 0, o);
	tap_check(ok && o[0] == 3 && !o[1] && !o[2] && !o[3],
		  "KVM_FEATURES: FEATURES and PTP", "%#llx %#llx %#llx %#llx",
		  (unsigned long long)o[0], (unsigned long long)o[1],
		  (unsigned long long)o[2], (unsigned long long)o[3]);
	test_ptp(&vcpu, KVM_PTP_VIRT_COUNTER, KVM_REG_ARM_TIMER_CNT, "virtual");
	test_ptp(&vcpu, KVM_PTP_PHYS_COUNTER, KVM_REG_ARM_PTIMER_CNT,
		 "physical");
	check1(&vcpu, VENDOR_KVM_PTP, 2, -1, "PTP(unknown counter) = -1");
	check1(&vcpu, 0x86000002, 0, -1, "unknown vendor call = -1");

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);

	/* Only the vendor service itself, without PTP */
	rc = new_vm(&vm, &vcpu);
	TAP_REQUIRE(!rc, "VM without PTP", "%s", strerror(-rc));
	TAP_EQ(vmm_set64(&vcpu, KVM_REG_ARM_VENDOR_HYP_BMAP,
			 1ULL << KVM_REG_ARM_VENDOR_HYP_BIT_FUNC_FEAT), 0,
	       "VENDOR_HYP_BMAP = FUNC_FEAT only");
	ok = call(&vcpu, VENDOR_KVM_FEATURES, 0, o);
	tap_check(ok && o[0] == 1, "KVM_FEATURES without PTP: bit 0 only",
		  "x0 %#llx", (unsigned long long)o[0]);
	check1(&vcpu, VENDOR_KVM_PTP, KVM_PTP_VIRT_COUNTER, -1,
	       "PTP turned off = -1");
	ok = call(&vcpu, VENDOR_CALL_UID, 0, o);
	tap_check(ok && o[0] == 0xb66fb428, "Call UID still answered",
		  "x0 %#llx", (unsigned long long)o[0]);
	check1(&vcpu, TRNG_VERSION, 0, 0x10000, "TRNG still on: version 1.0");
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
}

int main(void)
{
	int steal, ptp;

	tap_init();
	steal = vmm_sys_check_cap(KVM_CAP_STEAL_TIME);
	ptp = vmm_sys_check_cap(KVM_CAP_PTP_KVM);
	tap_check(ptp > 0, "KVM_CAP_PTP_KVM", "got %d", ptp);
	tap_diag("KVM_CAP_STEAL_TIME %d", steal);

	test_registers(steal > 0);
	test_enabled();
	return tap_done();
}
