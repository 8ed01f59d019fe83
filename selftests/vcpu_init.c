// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_ARM_PREFERRED_TARGET and KVM_ARM_VCPU_INIT: targets, feature bits,
 * the reset state, KVM_RUN before KVM_ARM_VCPU_INIT, and a reset after a
 * run (as a VMM reboots its guest: new code in memory, INIT, run).
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

/* Store 0x1234 to the MMIO window, then spin. */
GUEST_CODE(store_one,
	"mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"mov64	x1, 0x1234\n"
	"str	x1, [x20]\n"
	"b	.\n");

/* The "rebooted" guest: another value, to the next doubleword. */
GUEST_CODE(store_two,
	"mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"mov64	x1, 0x5678\n"
	"str	x1, [x20, #8]\n"
	"b	.\n");

static int vcpu_init_raw(struct vmm_vcpu *vcpu, uint32_t target,
			 uint32_t f0, uint32_t f1)
{
	struct kvm_vcpu_init init = { .target = target };

	init.features[0] = f0;
	init.features[1] = f1;
	return ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init);
}

int main(void)
{
	const uint32_t psci = 1U << KVM_ARM_VCPU_PSCI_0_2;
	const uint32_t off = 1U << KVM_ARM_VCPU_POWER_OFF;
	struct vmm_vcpu v0, v1, v2;
	struct kvm_vcpu_init pref;
	struct kvm_mp_state mp;
	struct vmm_vm vm;
	uint64_t val, mpidr0, mpidr1, faults0 = 0, faults1 = 0;
	int sfd = -1;
	unsigned int i;
	bool zero;
	int rc;

	tap_init();

	rc = vmm_vm_create(&vm, 0);
	TAP_REQUIRE(!rc, "create VM", "%s", strerror(-rc));
	if (!vmm_mem_add(&vm, 0, VMM_RAM_BASE, VMM_RAM_SIZE, 0) ||
	    vmm_load(&vm, VMM_RAM_BASE, store_one_start, GUEST_SIZE(store_one)))
		TAP_REQUIRE(0, "guest memory", "%s", strerror(errno));

	/* KVM_ARM_PREFERRED_TARGET */
	memset(&pref, 0xa5, sizeof(pref));
	rc = ioctl(vm.fd, KVM_ARM_PREFERRED_TARGET, &pref);
	TAP_REQUIRE(rc == 0, "KVM_ARM_PREFERRED_TARGET", "%s", strerror(errno));
	TAP_EQ(pref.target, KVM_ARM_TARGET_GENERIC_V8,
	       "preferred target is KVM_ARM_TARGET_GENERIC_V8");
	zero = true;
	for (i = 0; i < 7; i++)
		zero &= pref.features[i] == 0;
	tap_check(zero, "preferred target recommends no features",
		  "features %x %x", pref.features[0], pref.features[1]);

	for (i = 0; i < 3; i++) {
		struct vmm_vcpu *v = i == 0 ? &v0 : i == 1 ? &v1 : &v2;

		rc = vmm_vcpu_create(&vm, v, i);
		TAP_REQUIRE(!rc, "create vCPU", "vCPU %u: %s", i, strerror(-rc));
	}

	/* Before KVM_ARM_VCPU_INIT */
	rc = vmm_run(&v0);
	TAP_NEG(rc, ENOEXEC, "KVM_RUN before KVM_ARM_VCPU_INIT: ENOEXEC");
	rc = vmm_get64(&v0, VMM_REG_PC, &val);
	TAP_NEG(rc, ENOEXEC, "KVM_GET_ONE_REG before KVM_ARM_VCPU_INIT: ENOEXEC");

	/* Bad targets and feature bits leave the vCPU uninitialised. */
	rc = vcpu_init_raw(&v0, pref.target + 1000, psci, 0);
	TAP_ERRNO(rc, EINVAL, "KVM_ARM_VCPU_INIT unknown target: EINVAL");
	rc = vcpu_init_raw(&v0, pref.target, psci | (1U << 31), 0);
	TAP_ERRNO(rc, ENOENT, "KVM_ARM_VCPU_INIT unknown feature bit 31: ENOENT");
	rc = vcpu_init_raw(&v0, pref.target, psci, 1);
	TAP_ERRNO(rc, ENOENT, "KVM_ARM_VCPU_INIT features[1] bit 0: ENOENT");
	rc = vmm_run(&v0);
	TAP_NEG(rc, ENOEXEC, "KVM_RUN after failed KVM_ARM_VCPU_INIT: ENOEXEC");

	/* PSCI 0.2 */
	rc = vcpu_init_raw(&v0, pref.target, psci, 0);
	TAP_REQUIRE(rc == 0, "KVM_ARM_VCPU_INIT with PSCI_0_2", "%s",
		    strerror(errno));

	/* The reset state */
	rc = vmm_get64(&v0, VMM_REG_PSTATE, &val);
	tap_check(!rc && val == VMM_PSTATE_RESET,
		  "reset PSTATE is EL1h with DAIF masked", "rc %d pstate %#llx",
		  rc, (unsigned long long)val);
	rc = vmm_get64(&v0, VMM_REG_PC, &val);
	tap_check(!rc && val == 0, "reset PC is 0", "rc %d pc %#llx", rc,
		  (unsigned long long)val);
	zero = true;
	for (i = 0; i < 31; i++) {
		rc = vmm_get64(&v0, VMM_REG_X(i), &val);
		zero &= !rc && val == 0;
	}
	tap_check(zero, "reset x0..x30 are 0", NULL);
	rc = vmm_get64(&v0, VMM_REG_SCTLR_EL1, &val);
	tap_check(!rc && !(val & 1) && !(val & (1 << 2)) && !(val & (1 << 12)),
		  "reset SCTLR_EL1 has MMU and caches off", "rc %d sctlr %#llx",
		  rc, (unsigned long long)val);
	rc = vmm_get64(&v0, VMM_REG_MPIDR_EL1, &mpidr0);
	tap_check(!rc && (mpidr0 & (1UL << 31)), "MPIDR_EL1 readable, bit 31 set",
		  "rc %d mpidr %#llx", rc, (unsigned long long)mpidr0);

	/* A second INIT resets the registers. */
	vmm_set64(&v0, VMM_REG_X(0), 0x55);
	vmm_set64(&v0, VMM_REG_PC, 0x1000);
	rc = vcpu_init_raw(&v0, pref.target, psci, 0);
	tap_check(rc == 0, "KVM_ARM_VCPU_INIT again with the same features",
		  "%s", strerror(errno));
	vmm_get64(&v0, VMM_REG_X(0), &val);
	TAP_EQ(val, 0, "second KVM_ARM_VCPU_INIT reset x0");
	vmm_get64(&v0, VMM_REG_PC, &val);
	TAP_EQ(val, 0, "second KVM_ARM_VCPU_INIT reset PC");
	rc = vcpu_init_raw(&v0, pref.target, 0, 0);
	TAP_ERRNO(rc, EINVAL, "KVM_ARM_VCPU_INIT again with other features: EINVAL");

	/* POWER_OFF: the vCPU starts stopped. */
	rc = vcpu_init_raw(&v1, pref.target, psci | off, 0);
	tap_check(rc == 0, "KVM_ARM_VCPU_INIT with PSCI_0_2 | POWER_OFF", "%s",
		  strerror(errno));
	rc = ioctl(v1.fd, KVM_GET_MP_STATE, &mp);
	tap_check(rc == 0 && mp.mp_state == KVM_MP_STATE_STOPPED,
		  "POWER_OFF vCPU is KVM_MP_STATE_STOPPED", "rc %d state %u",
		  rc, mp.mp_state);
	rc = ioctl(v0.fd, KVM_GET_MP_STATE, &mp);
	tap_check(rc == 0 && mp.mp_state == KVM_MP_STATE_RUNNABLE,
		  "vCPU without POWER_OFF is KVM_MP_STATE_RUNNABLE",
		  "rc %d state %u", rc, mp.mp_state);
	rc = vmm_get64(&v1, VMM_REG_MPIDR_EL1, &mpidr1);
	tap_check(!rc && mpidr1 != mpidr0, "vCPUs have distinct MPIDR_EL1",
		  "%#llx and %#llx", (unsigned long long)mpidr0,
		  (unsigned long long)mpidr1);

	/* All vCPUs of a VM share one feature set (POWER_OFF aside). */
	rc = vcpu_init_raw(&v2, pref.target, 0, 0);
	TAP_ERRNO(rc, EINVAL,
		  "KVM_ARM_VCPU_INIT with other features than the VM's: EINVAL");

	/* The initialised vCPU runs guest code. */
	vmm_set64(&v0, VMM_REG_PC, VMM_RAM_BASE);
	rc = vmm_run(&v0);
	tap_check(vmm_is_mmio(&v0, VMM_MMIO_BASE, 8, true) &&
		  vmm_mmio_data(&v0) == 0x1234,
		  "KVM_RUN after KVM_ARM_VCPU_INIT runs the guest", "%s",
		  vmm_describe_exit(&v0));

	/*
	 * A reset after running, as a VMM reboots its guest: it writes the
	 * new boot code over the old and initialises the vCPU again. The
	 * guest's registers are back at their reset values, and it runs
	 * the new code, not what it ran before. The new guest starts with
	 * its caches off, so on hardware it must not see what the VMM's
	 * cacheable stores left in the caches only: modkvm takes the whole
	 * stage 2 down at such a reset and cleans each page as it is faulted
	 * in again (the in-kernel KVM may use FWB instead: modkvm's
	 * statistic only).
	 */
	if (vmm_is_modkvm()) {
		sfd = ioctl(v0.fd, KVM_GET_STATS_FD, NULL);
		if (sfd < 0 || vmm_stat(sfd, "s2_faults", &faults0))
			tap_diag("no vCPU statistic s2_faults: %s", strerror(errno));
	}
	if (vmm_load(&vm, VMM_RAM_BASE, store_two_start, GUEST_SIZE(store_two)))
		TAP_REQUIRE(0, "new guest code", "%s", strerror(errno));
	rc = vcpu_init_raw(&v0, pref.target, psci, 0);
	tap_check(rc == 0, "KVM_ARM_VCPU_INIT after KVM_RUN (a reset)", "%s",
		  strerror(errno));
	rc = vmm_get64(&v0, VMM_REG_X(20), &val);
	tap_check(!rc && val == 0, "reset after a run: x20 the guest set is 0",
		  "rc %d x20 %#llx", rc, (unsigned long long)val);
	rc = vmm_get64(&v0, VMM_REG_PC, &val);
	tap_check(!rc && val == 0, "reset after a run: PC is 0",
		  "rc %d pc %#llx", rc, (unsigned long long)val);
	vmm_set64(&v0, VMM_REG_PC, VMM_RAM_BASE);
	rc = vmm_run(&v0);
	tap_check(vmm_is_mmio(&v0, VMM_MMIO_BASE + 8, 8, true) &&
		  vmm_mmio_data(&v0) == 0x5678,
		  "after the reset the guest runs the code now in its memory",
		  "%s", vmm_describe_exit(&v0));
	if (sfd >= 0) {
		rc = vmm_stat(sfd, "s2_faults", &faults1);
		tap_check(!rc && faults1 > faults0,
			  "the reset took stage 2 down: the code page faulted in again",
			  "rc %d s2_faults %llu before, %llu after", rc,
			  (unsigned long long)faults0, (unsigned long long)faults1);
		close(sfd);
	} else {
		tap_skip("the reset took stage 2 down: the code page faulted in again",
			 "s2_faults is modkvm's statistic");
	}

	vmm_vcpu_destroy(&v2);
	vmm_vcpu_destroy(&v1);
	vmm_vcpu_destroy(&v0);
	vmm_vm_destroy(&vm);
	return tap_done();
}
