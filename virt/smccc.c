// SPDX-License-Identifier: GPL-2.0
/*
 * The optional SMCCC services a guest may be offered, and the firmware
 * bitmap pseudo-registers through which userspace chooses them
 * (Documentation/virt/kvm/arm/fw-pseudo-registers.rst):
 *
 *   KVM_REG_ARM_STD_BMAP         bit 0: TRNG 1.0 (trng.c)
 *   KVM_REG_ARM_STD_HYP_BMAP     bit 0: PV time (pvtime.c), only where the
 *                                host kernel accounts run delays
 *   KVM_REG_ARM_VENDOR_HYP_BMAP  bit 0: the KVM vendor service itself
 *                                (Call UID and KVM_FEATURES), bit 1: PTP
 *                                (ptp.c)
 *
 * A new VM starts with every service modkvm implements enabled; userspace
 * may clear bits (setting an unknown bit is -EINVAL) until a vCPU of the
 * VM first runs, then writes other than the current value get -EBUSY. A
 * service that is off answers all its calls with NOT_SUPPORTED, as one
 * that does not exist. psci.c hands over every fast call that is neither
 * an architecture call nor PSCI.
 */
#include <linux/arm-smccc.h>
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/mutex.h>

#include "modkvm.h"

#define STD_TRNG	BIT_ULL(KVM_REG_ARM_STD_BIT_TRNG_V1_0)
#define STD_HYP_PVTIME	BIT_ULL(KVM_REG_ARM_STD_HYP_BIT_PV_TIME)
#define VENDOR_FEAT	BIT_ULL(KVM_REG_ARM_VENDOR_HYP_BIT_FUNC_FEAT)
#define VENDOR_PTP	BIT_ULL(KVM_REG_ARM_VENDOR_HYP_BIT_PTP)

/* TRNG owns the Standard Secure service function numbers 0x50-0x5f */
#define TRNG_FN_FIRST	0x50
#define TRNG_FN_LAST	0x5f

/* Every bit modkvm can offer in bitmap register @id */
static u64 fw_bmap_limit(u64 id)
{
	switch (id) {
	case KVM_REG_ARM_STD_BMAP:
		return STD_TRNG;
	case KVM_REG_ARM_STD_HYP_BMAP:
		return modkvm_pvtime_available() ? STD_HYP_PVTIME : 0;
	case KVM_REG_ARM_VENDOR_HYP_BMAP:
		return VENDOR_FEAT | VENDOR_PTP;
	}
	return 0;
}

static u64 *fw_bmap(struct modkvm_vm *vm, u64 id)
{
	switch (id) {
	case KVM_REG_ARM_STD_BMAP:
		return &vm->fw_bmap.std;
	case KVM_REG_ARM_STD_HYP_BMAP:
		return &vm->fw_bmap.std_hyp;
	default:	/* KVM_REG_ARM_VENDOR_HYP_BMAP, checked by regs.c */
		return &vm->fw_bmap.vendor_hyp;
	}
}

void modkvm_smccc_vm_init(struct modkvm_vm *vm)
{
	vm->fw_bmap.std = fw_bmap_limit(KVM_REG_ARM_STD_BMAP);
	vm->fw_bmap.std_hyp = fw_bmap_limit(KVM_REG_ARM_STD_HYP_BMAP);
	vm->fw_bmap.vendor_hyp = fw_bmap_limit(KVM_REG_ARM_VENDOR_HYP_BMAP);
}

u64 modkvm_fw_bmap_get(struct modkvm_vm *vm, u64 id)
{
	return READ_ONCE(*fw_bmap(vm, id));
}

int modkvm_fw_bmap_set(struct modkvm_vm *vm, u64 id, u64 val)
{
	u64 *bmap = fw_bmap(vm, id);
	int ret = 0;

	if (val & ~fw_bmap_limit(id))
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (val != *bmap && vm->ran) {
		ret = -EBUSY;
	} else {
		WRITE_ONCE(*bmap, val);
		modkvm_smccc_fast_update(vm);	/* PV time's ARCH_FEATURES */
	}
	mutex_unlock(&vm->lock);
	return ret;
}

static bool offered(const u64 *bmap, u64 bit)
{
	return READ_ONCE(*bmap) & bit;
}

static void set_ret(struct modkvm_vcpu *vcpu, u64 x0, u64 x1, u64 x2, u64 x3)
{
	modkvm_set_reg(&vcpu->arch, 0, x0);
	modkvm_set_reg(&vcpu->arch, 1, x1);
	modkvm_set_reg(&vcpu->arch, 2, x2);
	modkvm_set_reg(&vcpu->arch, 3, x3);
}

/* Vendor Specific Hypervisor Service calls: KVM's (hypercalls.rst) */
static void vendor_hyp_call(struct modkvm_vcpu *vcpu, u32 fn)
{
	struct modkvm_vm *vm = vcpu->vm;
	u64 funcs;

	switch (fn) {
	case ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID:
		if (!offered(&vm->fw_bmap.vendor_hyp, VENDOR_FEAT))
			break;
		/* the KVM UID: modkvm's calls are KVM's ABI */
		set_ret(vcpu, ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_0,
			ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_1,
			ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_2,
			ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_3);
		return;
	case ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID:
		if (!offered(&vm->fw_bmap.vendor_hyp, VENDOR_FEAT))
			break;
		funcs = BIT(ARM_SMCCC_KVM_FUNC_FEATURES);
		if (offered(&vm->fw_bmap.vendor_hyp, VENDOR_PTP))
			funcs |= BIT(ARM_SMCCC_KVM_FUNC_PTP);
		set_ret(vcpu, funcs, 0, 0, 0);
		return;
	case ARM_SMCCC_VENDOR_HYP_KVM_PTP_FUNC_ID:
		if (!offered(&vm->fw_bmap.vendor_hyp, VENDOR_PTP))
			break;
		modkvm_ptp_call(vcpu);
		return;
	}
	modkvm_set_reg(&vcpu->arch, 0, (u64)SMCCC_RET_NOT_SUPPORTED);
}

/* A fast call other than the architecture calls and PSCI: always 1 */
int modkvm_smccc_service_call(struct modkvm_vcpu *vcpu, u32 fn)
{
	struct modkvm_vm *vm = vcpu->vm;
	long ret = SMCCC_RET_NOT_SUPPORTED;

	switch (ARM_SMCCC_OWNER_NUM(fn)) {
	case ARM_SMCCC_OWNER_STANDARD:
		if (ARM_SMCCC_FUNC_NUM(fn) >= TRNG_FN_FIRST &&
		    ARM_SMCCC_FUNC_NUM(fn) <= TRNG_FN_LAST &&
		    offered(&vm->fw_bmap.std, STD_TRNG)) {
			modkvm_trng_call(vcpu, fn);
			return 1;
		}
		break;
	case ARM_SMCCC_OWNER_STANDARD_HYP:
		if (offered(&vm->fw_bmap.std_hyp, STD_HYP_PVTIME))
			ret = modkvm_pvtime_call(vcpu, fn);
		break;
	case ARM_SMCCC_OWNER_VENDOR_HYP:
		vendor_hyp_call(vcpu, fn);
		return 1;
	}
	modkvm_set_reg(&vcpu->arch, 0, (u64)ret);
	return 1;
}

/*
 * SMCCC_ARCH_FEATURES for a function of these services: only PV time is
 * discovered this way (TRNG has TRNG_VERSION/FEATURES, the vendor service
 * its Call UID).
 */
long modkvm_smccc_service_feature(struct modkvm_vm *vm, u32 fn)
{
	if (fn == ARM_SMCCC_HV_PV_TIME_FEATURES &&
	    offered(&vm->fw_bmap.std_hyp, STD_HYP_PVTIME))
		return SMCCC_RET_SUCCESS;
	return SMCCC_RET_NOT_SUPPORTED;
}
