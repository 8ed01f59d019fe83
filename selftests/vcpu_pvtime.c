// SPDX-License-Identifier: GPL-2.0
/*
 * Stolen time (PV time, Arm DEN0057) and the vCPU device attributes
 * (Documentation/virt/kvm/devices/vcpu.rst): KVM_ARM_VCPU_PVTIME_IPA with
 * good and bad addresses, once only, kept across KVM_ARM_VCPU_INIT; the
 * other groups; PV_TIME_FEATURES / PV_TIME_ST from the guest; the record
 * in guest memory (revision and attributes 0, stolen time that covers the
 * time the vCPU thread waited for a CPU, as /proc's schedstat counts it)
 * and its page in the dirty log.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/tap.h"
#include "lib/hvc_server.h"
#include "vmm.h"
#include "guest.h"

#define PV_TIME_FEATURES	0xc5000020
#define PV_TIME_ST		0xc5000021

#define ST_BASE		0x50000000UL	/* slot 1: the stolen-time records */
#define ST_SIZE		0x10000UL
#define ST_SLOT		1

/* ~0.1 s of waiting for the CPU is enough to see under emulation */
#define STEAL_NS	100000000LL

static int attr_ioctl(struct vmm_vcpu *vcpu, unsigned long req, uint32_t group,
		      uint64_t attr, void *addr)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uint64_t)(uintptr_t)addr,
	};

	return ioctl(vcpu->fd, req, &a);
}

static int set_ipa(struct vmm_vcpu *vcpu, uint64_t ipa)
{
	return attr_ioctl(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
			  KVM_ARM_VCPU_PVTIME_IPA, &ipa);
}

static int get_ipa(struct vmm_vcpu *vcpu, uint64_t *ipa)
{
	return attr_ioctl(vcpu, KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
			  KVM_ARM_VCPU_PVTIME_IPA, ipa);
}

/* This thread's run delay (ns waiting on a runqueue), from schedstat */
static long long run_delay(void)
{
	unsigned long long exec, delay = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/schedstat",
		 (long)syscall(SYS_gettid));
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%llu %llu", &exec, &delay) != 2)
		delay = 0;
	fclose(f);
	return (long long)delay;
}

static volatile int spin_stop;

static void *spinner(void *arg)
{
	(void)arg;
	while (!spin_stop)
		;
	return NULL;
}

static void pin_to_cpu0(pthread_attr_t *attr)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (attr)
		pthread_attr_setaffinity_np(attr, sizeof(set), &set);
}

/* Make this thread wait for its CPU for at least STEAL_NS. */
static long long steal_some(void)
{
	pthread_attr_t attr;
	pthread_t t;
	long long d0 = run_delay(), d;
	int i;

	pthread_attr_init(&attr);
	pin_to_cpu0(&attr);
	spin_stop = 0;
	if (pthread_create(&t, &attr, spinner, NULL))
		return -1;
	for (i = 0; i < 100000; i++) {
		sched_yield();
		d = run_delay();
		if (d - d0 >= STEAL_NS)
			break;
	}
	spin_stop = 1;
	pthread_join(t, NULL);
	return run_delay() - d0;
}

static void test_groups(struct vmm_vcpu *vcpu)
{
	uint64_t val = 0;
	int irq = 0, rc, hv, hp, gv, sv;

	TAP_EQ(attr_ioctl(vcpu, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
			  KVM_ARM_VCPU_PVTIME_IPA, NULL), 0,
	       "HAS_DEVICE_ATTR(PVTIME_CTRL, PVTIME_IPA) = 0");
	rc = attr_ioctl(vcpu, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL, 1,
			NULL);
	TAP_ERRNO(rc, ENXIO, "HAS_DEVICE_ATTR(PVTIME_CTRL, unknown attr)");
	rc = attr_ioctl(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL, 1,
			&val);
	TAP_ERRNO(rc, ENXIO, "SET_DEVICE_ATTR(PVTIME_CTRL, unknown attr)");
	rc = attr_ioctl(vcpu, KVM_HAS_DEVICE_ATTR, 0x7f, 0, NULL);
	TAP_ERRNO(rc, ENXIO, "HAS_DEVICE_ATTR(unknown group)");
	rc = attr_ioctl(vcpu, KVM_GET_DEVICE_ATTR, 0x7f, 0, &val);
	TAP_ERRNO(rc, ENXIO, "GET_DEVICE_ATTR(unknown group)");
	rc = attr_ioctl(vcpu, KVM_SET_DEVICE_ATTR, 0x7f, 0, &val);
	TAP_ERRNO(rc, ENXIO, "SET_DEVICE_ATTR(unknown group)");
	rc = attr_ioctl(vcpu, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_CTRL,
			KVM_ARM_VCPU_PMU_V3_IRQ, NULL);
	TAP_ERRNO(rc, ENXIO, "HAS_DEVICE_ATTR(PMU_V3_CTRL) without a PMU");
	rc = ioctl(vcpu->fd, KVM_HAS_DEVICE_ATTR, (void *)8);
	TAP_ERRNO(rc, EFAULT, "HAS_DEVICE_ATTR with a bad pointer");

	/*
	 * The timer PPIs with the VMM's own interrupt controller: the
	 * attributes may be absent (ENXIO); a number reported must be a PPI;
	 * setting one cannot work without an in-kernel GIC.
	 */
	hv = attr_ioctl(vcpu, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL,
			KVM_ARM_VCPU_TIMER_IRQ_VTIMER, NULL);
	hp = attr_ioctl(vcpu, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL,
			KVM_ARM_VCPU_TIMER_IRQ_PTIMER, NULL);
	tap_check((hv == 0 || errno == ENXIO) && hv == hp,
		  "TIMER_CTRL: both timer attributes or none", "vtimer %d ptimer %d",
		  hv, hp);
	gv = attr_ioctl(vcpu, KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL,
			KVM_ARM_VCPU_TIMER_IRQ_VTIMER, &irq);
	tap_check(hv ? gv == -1 && errno == ENXIO :
		       gv == 0 && irq >= 16 && irq < 32,
		  "TIMER_CTRL GET: ENXIO, or a PPI", "rc %d irq %d", gv, irq);
	tap_diag("TIMER_CTRL: HAS %d, GET %d (irq %d)", hv, gv, irq);
	irq = 27;
	sv = attr_ioctl(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL,
			KVM_ARM_VCPU_TIMER_IRQ_VTIMER, &irq);
	tap_check(sv == -1 && (errno == ENXIO || errno == EINVAL),
		  "TIMER_CTRL SET fails without an in-kernel GIC",
		  "rc %d errno %s", sv, strerror(errno));
}

static void test_ipa_attr(struct vmm_vcpu *vcpu)
{
	uint64_t ipa = 0;
	int rc;

	rc = get_ipa(vcpu, &ipa);
	tap_check(rc == 0 && ipa == ~0ULL, "PVTIME_IPA reads all ones unset",
		  "rc %d ipa %#llx", rc, (unsigned long long)ipa);
	rc = attr_ioctl(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
			KVM_ARM_VCPU_PVTIME_IPA, NULL);
	TAP_ERRNO(rc, EFAULT, "PVTIME_IPA from a NULL pointer: EFAULT");
	TAP_ERRNO(set_ipa(vcpu, ST_BASE + 1), EINVAL,
		  "PVTIME_IPA not 64-byte aligned (+1): EINVAL");
	TAP_ERRNO(set_ipa(vcpu, ST_BASE + 32), EINVAL,
		  "PVTIME_IPA not 64-byte aligned (+32): EINVAL");
	TAP_ERRNO(set_ipa(vcpu, 0x60000000), EINVAL,
		  "PVTIME_IPA outside every memslot: EINVAL");
	TAP_ERRNO(set_ipa(vcpu, 1ULL << 52), EINVAL,
		  "PVTIME_IPA beyond the IPA space: EINVAL");
	TAP_EQ(set_ipa(vcpu, ST_BASE), 0, "PVTIME_IPA set");
	rc = get_ipa(vcpu, &ipa);
	tap_check(rc == 0 && ipa == ST_BASE, "PVTIME_IPA reads it back",
		  "rc %d ipa %#llx", rc, (unsigned long long)ipa);
	TAP_ERRNO(set_ipa(vcpu, ST_BASE), EEXIST,
		  "PVTIME_IPA set again, same address: EEXIST");
	TAP_ERRNO(set_ipa(vcpu, ST_BASE + 0x100), EEXIST,
		  "PVTIME_IPA set again, another address: EEXIST");
}

static void test_calls(struct vmm_vcpu *vcpu, struct vmm_vcpu *other)
{
	int64_t r;

	r = hvcs_call1(vcpu, SMCCC_FN_ARCH_FEATURES, PV_TIME_FEATURES);
	TAP_EQ(r, 0, "SMCCC_ARCH_FEATURES(PV_TIME_FEATURES) = 0");
	r = hvcs_call1(vcpu, PV_TIME_FEATURES, PV_TIME_FEATURES);
	TAP_EQ(r, 0, "PV_TIME_FEATURES(PV_TIME_FEATURES) = 0");
	r = hvcs_call1(vcpu, PV_TIME_FEATURES, PV_TIME_ST);
	TAP_EQ(r, 0, "PV_TIME_FEATURES(PV_TIME_ST) = 0");
	r = hvcs_call1(vcpu, PV_TIME_FEATURES, 0xc5000022);
	TAP_EQ(r, -1, "PV_TIME_FEATURES(unknown) = -1");
	r = hvcs_call1(vcpu, PV_TIME_ST, 0);
	TAP_EQ(r, ST_BASE, "PV_TIME_ST returns the address");
	r = hvcs_call1(vcpu, 0x85000021, 0);
	TAP_EQ(r, -1, "PV_TIME_ST by its 32-bit id = -1");

	r = hvcs_call1(other, PV_TIME_ST, 0);
	TAP_EQ(r, -1, "vCPU without an address: PV_TIME_ST = -1");
	r = hvcs_call1(other, PV_TIME_FEATURES, PV_TIME_ST);
	TAP_EQ(r, -1, "vCPU without an address: PV_TIME_FEATURES(ST) = -1");
	r = hvcs_call1(other, SMCCC_FN_ARCH_FEATURES, PV_TIME_FEATURES);
	tap_diag("vCPU without an address: ARCH_FEATURES(PV_TIME_FEATURES) %lld, "
		 "PV_TIME_FEATURES(FEATURES) %lld", (long long)r,
		 (long long)hvcs_call1(other, PV_TIME_FEATURES,
				       PV_TIME_FEATURES));
}

static bool record_dirty(struct vmm_vm *vm)
{
	uint64_t bits[ST_SIZE / 4096 / 64 + 1] = { 0 };
	struct kvm_dirty_log log = { .slot = ST_SLOT, .dirty_bitmap = bits };

	if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log))
		return false;
	return bits[0] & 1;
}

static void test_record(struct vmm_vm *vm, struct vmm_vcpu *vcpu)
{
	uint64_t w0 = ~0ULL, s1 = 0, s2 = 0;
	long long d1, stolen;
	bool ok;

	ok = hvcs_load(vcpu, ST_BASE, &w0);
	tap_check(ok && w0 == 0, "record: revision 0, attributes 0",
		  "word 0 = %#llx", (unsigned long long)w0);
	ok = hvcs_load(vcpu, ST_BASE + 8, &s1);
	d1 = run_delay();
	tap_check(ok && (long long)s1 >= 0 && (long long)s1 <= d1,
		  "record: stolen time <= the thread's run delay",
		  "stolen %llu, run delay %lld", (unsigned long long)s1, d1);

	record_dirty(vm);	/* clears the log */
	stolen = steal_some();
	TAP_REQUIRE(stolen >= STEAL_NS, "the vCPU thread waited for its CPU",
		    "run delay grew by %lld ns", stolen);
	ok = hvcs_load(vcpu, ST_BASE + 8, &s2);
	tap_check(ok && (long long)(s2 - s1) >= stolen,
		  "record: stolen time grew by at least the run delay",
		  "stolen %llu -> %llu (+%lld), run delay +%lld",
		  (unsigned long long)s1, (unsigned long long)s2,
		  (long long)(s2 - s1), stolen);
	tap_diag("stolen +%lld ns, run delay +%lld ns", (long long)(s2 - s1),
		 stolen);
	tap_check(record_dirty(vm), "the record's page is in the dirty log",
		  NULL);
}

int main(void)
{
	struct vmm_vcpu vcpu, other;
	struct vmm_vm vm;
	uint64_t ipa = 0;
	void *st;
	int rc;

	tap_init();
	pin_to_cpu0(NULL);
	TAP_EQ(vmm_sys_check_cap(KVM_CAP_VCPU_ATTRIBUTES) > 0, 1,
	       "KVM_CAP_VCPU_ATTRIBUTES");
	rc = vmm_simple_vm(&vm, &vcpu, hvc_server_start,
			   GUEST_SIZE(hvc_server), 1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	rc = vmm_simple_vcpu(&vm, &other, 1, 1U << KVM_ARM_VCPU_PSCI_0_2,
			     VMM_RAM_BASE);
	TAP_REQUIRE(!rc, "second vCPU", "%s", strerror(-rc));

	test_groups(&vcpu);
	if (vmm_check_cap(&vm, KVM_CAP_STEAL_TIME) <= 0) {
		tap_skip("stolen time", "no KVM_CAP_STEAL_TIME");
		return tap_done();
	}
	TAP_EQ(vmm_check_cap(&vm, KVM_CAP_STEAL_TIME), 1, "KVM_CAP_STEAL_TIME");

	st = vmm_mem_add(&vm, ST_SLOT, ST_BASE, ST_SIZE,
			 KVM_MEM_LOG_DIRTY_PAGES);
	TAP_REQUIRE(st != NULL, "memslot for the records", "%s",
		    strerror(errno));
	memset(st, 0xff, ST_SIZE);

	test_ipa_attr(&vcpu);
	test_calls(&vcpu, &other);
	test_record(&vm, &vcpu);

	/* A vCPU reset keeps the address */
	TAP_EQ(vmm_vcpu_init(&vcpu, 1U << KVM_ARM_VCPU_PSCI_0_2), 0,
	       "KVM_ARM_VCPU_INIT again");
	rc = get_ipa(&vcpu, &ipa);
	tap_check(rc == 0 && ipa == ST_BASE, "... PVTIME_IPA is kept",
		  "rc %d ipa %#llx", rc, (unsigned long long)ipa);
	TAP_ERRNO(set_ipa(&vcpu, ST_BASE + 0x40), EEXIST,
		  "... and cannot be set again");

	vmm_vcpu_destroy(&other);
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
