// SPDX-License-Identifier: GPL-2.0
/*
 * HVC/SMC calls from the guest: PSCI and the SMCCC architecture calls.
 *
 * A VM whose vCPUs were created with KVM_ARM_VCPU_PSCI_0_2 gets PSCI 1.1
 * (Arm DEN0022) unless userspace lowered KVM_REG_ARM_PSCI_VERSION to 0.2
 * or 1.0; otherwise it gets KVM's PSCI 0.1, which has no fixed function
 * IDs: KVM_PSCI_FN_CPU_SUSPEND/OFF/ON/MIGRATE from <asm/kvm.h> (userspace
 * puts them in the guest's device tree). Emulated: PSCI_VERSION,
 * PSCI_FEATURES, CPU_SUSPEND (as WFI: PSCI lets a suspend return as if
 * woken at once, so no power state is really entered), CPU_OFF, CPU_ON,
 * AFFINITY_INFO (level 0 only), MIGRATE_INFO_TYPE (no Trusted OS, so
 * MIGRATE and MIGRATE_INFO_UP_CPU are NOT_SUPPORTED), SYSTEM_OFF,
 * SYSTEM_RESET and SYSTEM_RESET2 (as KVM_EXIT_SYSTEM_EVENT exits),
 * SYSTEM_SUSPEND once userspace enables KVM_CAP_ARM_SYSTEM_SUSPEND (an
 * exit for userspace to carry out). Not offered: CPU_FREEZE,
 * CPU_DEFAULT_SUSPEND, NODE_HW_STATE, SET_SUSPEND_MODE, the
 * statistics calls and MEM_PROTECT. SMCCC 1.1 (DEN0028): SMCCC_VERSION,
 * SMCCC_ARCH_FEATURES and ARCH_WORKAROUND_1/2/3, answered from what the
 * guest's ID registers say about the CPU (see modkvm_fw_workaround_state(),
 * which the firmware pseudo-registers in regs.c report too). The other
 * fast calls go to smccc.c (TRNG, PV time, KVM's vendor calls, as the
 * firmware bitmap registers allow); no yielding calls: NOT_SUPPORTED (-1).
 * Userspace's SMCCC filter (smccc_filter.c) is applied to every call
 * before any of this. The calls that only ask a question (SMCCC_VERSION,
 * SMCCC_ARCH_FEATURES, PSCI_VERSION, MIGRATE_INFO_TYPE, PSCI_FEATURES)
 * are answered by smccc_query(), here and, in advance, for the world
 * switch, which answers them from a table in the VM without leaving the
 * guest's context (modkvm_smccc_fast_update(), hyp/smccc_fast.h).
 * A guest in AArch32 uses the SMC32/HVC32 calls, with 32-bit arguments
 * and results in R0-R3; the 64-bit function IDs answer NOT_SUPPORTED
 * there (SMCCC), and a CPU_ON entry point's bit 0 selects T32 for a VM
 * whose EL1 is AArch32.
 *
 * Power state of another vCPU is changed under vm->lock; the run loop
 * (vcpu.c) reads power_off and pending_reset locklessly and consumes a
 * pending CPU_ON after reading reset_pc/reset_ctx behind a barrier.
 */
#include <linux/arm-smccc.h>
#include <linux/build_bug.h>
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/mutex.h>
#include <uapi/linux/psci.h>

#include "modkvm.h"
#include "modkvm_trace.h"

#define PSCI_V0_1	PSCI_VERSION(0, 1)
#define PSCI_V0_2	PSCI_VERSION(0, 2)
#define PSCI_V1_0	PSCI_VERSION(1, 0)
#define PSCI_V1_1	PSCI_VERSION(1, 1)

int modkvm_psci_version(struct modkvm_vm *vm)
{
	u32 v = READ_ONCE(vm->arch.psci_version);

	return v ? v : PSCI_V0_1;
}

/*
 * What the guest is told about the Spectre workarounds, as the
 * KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_n values: the arch knows whether the
 * CPU is affected (modkvm_arch_fw_workaround()).
 *
 * Each VM's answers are fixed when it is created, so that the calls, their
 * SMCCC_ARCH_FEATURES answers (also given inside the world switch:
 * modkvm_smccc_fast_update()) and the firmware registers agree for its
 * whole life, even if a CPU brought up later lowers the system's ID fields.
 */
void modkvm_fw_workaround_init(struct modkvm_vm *vm)
{
	unsigned int n;

	for (n = 1; n <= ARRAY_SIZE(vm->fw_workaround); n++)
		vm->fw_workaround[n - 1] = modkvm_arch_fw_workaround(n);
}

u64 modkvm_fw_workaround_state(const struct modkvm_vm *vm, unsigned int n)
{
	return vm->fw_workaround[n - 1];
}

static void set_ret(struct modkvm_vcpu *vcpu, long val)
{
	modkvm_set_reg(&vcpu->arch, 0, (u64)val);
}

/* Argument n (1..3) of an SMCCC call: 32-bit calls use Wn only. */
static u64 smccc_arg(struct modkvm_vcpu *vcpu, u32 fn, unsigned int n)
{
	u64 v = modkvm_get_reg(&vcpu->arch, n);

	return ARM_SMCCC_IS_64(fn) ? v : lower_32_bits(v);
}

/* ---- SMCCC architecture calls (owner 0) ---- */

static long smccc_wa_features(struct modkvm_vm *vm, unsigned int n)
{
	u64 state = modkvm_fw_workaround_state(vm, n);

	/* WORKAROUND_1/3 use the same encoding: 2 = not required */
	if (n != 2 &&
	    state == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED)
		return SMCCC_ARCH_WORKAROUND_RET_UNAFFECTED;
	return SMCCC_RET_NOT_SUPPORTED;
}

static long smccc_wa_call(struct modkvm_vm *vm, unsigned int n)
{
	/* Nothing to do on a CPU that is not affected */
	return smccc_wa_features(vm, n) == SMCCC_RET_NOT_SUPPORTED ?
	       SMCCC_RET_NOT_SUPPORTED : SMCCC_RET_SUCCESS;
}

static long smccc_arch_features(struct modkvm_vm *vm, u32 feature)
{
	switch (feature) {
	case ARM_SMCCC_VERSION_FUNC_ID:
	case ARM_SMCCC_ARCH_FEATURES_FUNC_ID:
		return SMCCC_RET_SUCCESS;
	case ARM_SMCCC_ARCH_WORKAROUND_1:
		return smccc_wa_features(vm, 1);
	case ARM_SMCCC_ARCH_WORKAROUND_2:
		return smccc_wa_features(vm, 2);
	case ARM_SMCCC_ARCH_WORKAROUND_3:
		return smccc_wa_features(vm, 3);
	default:	/* PV time is discovered here too (smccc.c) */
		return modkvm_smccc_service_feature(vm, feature);
	}
}

/* The architecture calls but the queries (smccc_query()) */
static long smccc_arch_call(struct modkvm_vcpu *vcpu, u32 fn)
{
	switch (fn) {
	case ARM_SMCCC_ARCH_WORKAROUND_1:
		return smccc_wa_call(vcpu->vm, 1);
	case ARM_SMCCC_ARCH_WORKAROUND_2:
		return smccc_wa_call(vcpu->vm, 2);
	case ARM_SMCCC_ARCH_WORKAROUND_3:
		return smccc_wa_call(vcpu->vm, 3);
	default:
		return SMCCC_RET_NOT_SUPPORTED;
	}
}

/* ---- PSCI ---- */

static struct modkvm_vcpu *vcpu_by_mpidr(struct modkvm_vm *vm, u64 mpidr)
{
	/* Pairs with the release that publishes a new vCPU (vcpu.c) */
	int i, n = smp_load_acquire(&vm->nr_vcpus);

	for (i = 0; i < n; i++) {
		struct modkvm_vcpu *v = READ_ONCE(vm->vcpus[i]);

		if (modkvm_vcpu_affinity(&v->arch) == mpidr)
			return v;
	}
	return NULL;
}

static long psci_cpu_on(struct modkvm_vcpu *vcpu, u64 target, u64 entry,
			u64 ctx, bool v0_1)
{
	struct modkvm_vm *vm = vcpu->vm;
	struct modkvm_vcpu *t;
	long ret;

	if (target & ~MODKVM_MPIDR_AFF_MASK)
		return PSCI_RET_INVALID_PARAMS;
	t = vcpu_by_mpidr(vm, target);
	if (!t)
		return PSCI_RET_INVALID_PARAMS;
	/*
	 * Any entry point is taken, as by KVM: INVALID_ADDRESS is for ranges
	 * known to be unavailable, and there is no such range here; a
	 * misaligned one is the guest's to fault on (PC alignment fault).
	 */

	mutex_lock(&vm->lock);
	if (!READ_ONCE(t->power_off)) {
		/* On, or on its way since an earlier CPU_ON: either way on */
		ret = v0_1 ? PSCI_RET_INVALID_PARAMS : PSCI_RET_ALREADY_ON;
	} else {
		t->reset_pc = entry;
		t->reset_ctx = ctx;
		/* The new CPU starts with the caller's data endianness. */
		modkvm_inherit_el1_endianness(&t->arch, &vcpu->arch);
		smp_wmb();	/* pairs with the smp_rmb() in vcpu.c */
		WRITE_ONCE(t->pending_reset, true);
		WRITE_ONCE(t->power_off, false);
		ret = PSCI_RET_SUCCESS;
	}
	mutex_unlock(&vm->lock);

	if (ret == PSCI_RET_SUCCESS)
		modkvm_vcpu_wake(t);
	return ret;
}

static int psci_cpu_off(struct modkvm_vcpu *vcpu)
{
	struct modkvm_vm *vm = vcpu->vm;

	mutex_lock(&vm->lock);
	WRITE_ONCE(vcpu->power_off, true);
	mutex_unlock(&vm->lock);
	return 1;	/* the run loop parks it until CPU_ON */
}

static long psci_affinity_info(struct modkvm_vcpu *vcpu, u64 target,
			       u64 level)
{
	struct modkvm_vcpu *t;

	if (level != 0 || (target & ~MODKVM_MPIDR_AFF_MASK))
		return PSCI_RET_INVALID_PARAMS;
	t = vcpu_by_mpidr(vcpu->vm, target);
	if (!t)
		return PSCI_RET_INVALID_PARAMS;
	if (READ_ONCE(t->power_off))
		return PSCI_0_2_AFFINITY_LEVEL_OFF;
	return PSCI_0_2_AFFINITY_LEVEL_ON;
}

/*
 * SYSTEM_OFF/RESET: every vCPU stops (userspace resets them with
 * KVM_ARM_VCPU_INIT or KVM_SET_MP_STATE if it goes on), and this one
 * returns to userspace with the event.
 */
static int psci_system_event(struct modkvm_vcpu *vcpu, u32 type, u64 flags)
{
	struct modkvm_vm *vm = vcpu->vm;
	struct kvm_run *run = vcpu->run;
	int i, n;

	mutex_lock(&vm->lock);
	n = vm->nr_vcpus;
	for (i = 0; i < n; i++) {
		WRITE_ONCE(vm->vcpus[i]->pending_reset, false);
		WRITE_ONCE(vm->vcpus[i]->power_off, true);
	}
	mutex_unlock(&vm->lock);
	for (i = 0; i < n; i++)
		if (vm->vcpus[i] != vcpu)
			modkvm_vcpu_kick(vm->vcpus[i]);

	memset(&run->system_event, 0, sizeof(run->system_event));
	run->system_event.type = type;
	run->system_event.ndata = 1;
	run->system_event.data[0] = flags;
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	return 0;
}

/*
 * SYSTEM_SUSPEND, when userspace asked for it: userspace carries it out,
 * checks included (other CPUs off, a valid entry point: api.rst leaves it
 * all to userspace), so the call exits with the vCPU as it is: x0 the
 * function ID, x1/x2 the entry point and context ID (for the 32-bit call
 * only their low halves, as SMC32 arguments are), PC past the call.
 */
static int psci_system_suspend(struct modkvm_vcpu *vcpu, u32 fn)
{
	struct kvm_run *run = vcpu->run;
	unsigned int i;

	for (i = 1; i <= 3; i++)
		modkvm_set_reg(&vcpu->arch, i, smccc_arg(vcpu, fn, i));
	memset(&run->system_event, 0, sizeof(run->system_event));
	run->system_event.type = KVM_SYSTEM_EVENT_SUSPEND;
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	return 0;
}

static bool psci_is_suspend(u32 fn)
{
	return fn == PSCI_1_0_FN_SYSTEM_SUSPEND ||
	       fn == PSCI_1_0_FN64_SYSTEM_SUSPEND;
}

/* Is PSCI function @fn part of PSCI version @ver as modkvm offers it? */
static bool psci_fn_offered(u32 fn, u32 ver)
{
	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION:
	case PSCI_0_2_FN_CPU_SUSPEND:
	case PSCI_0_2_FN64_CPU_SUSPEND:
	case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
	case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_0_2_FN_SYSTEM_RESET:
		return ver >= PSCI_V0_2;
	case PSCI_1_0_FN_PSCI_FEATURES:
		return ver >= PSCI_V1_0;
	case PSCI_1_1_FN_SYSTEM_RESET2:
	case PSCI_1_1_FN64_SYSTEM_RESET2:
		return ver >= PSCI_V1_1;
	default:
		return false;
	}
}

static long psci_features(struct modkvm_vm *vm, u32 feature, u32 ver)
{
	if (feature == ARM_SMCCC_VERSION_FUNC_ID)
		return PSCI_RET_SUCCESS;
	if (psci_is_suspend(feature))
		return ver >= PSCI_V1_0 && READ_ONCE(vm->system_suspend) ?
		       PSCI_RET_SUCCESS : PSCI_RET_NOT_SUPPORTED;
	/*
	 * For CPU_SUSPEND the answer is its flags: 0 = original power_state
	 * format, platform-coordinated mode only.
	 */
	return psci_fn_offered(feature, ver) ? PSCI_RET_SUCCESS :
					       PSCI_RET_NOT_SUPPORTED;
}

static int psci_reset2(struct modkvm_vcpu *vcpu, u32 fn)
{
	u32 type = smccc_arg(vcpu, fn, 1);

	/* Architectural types: only SYSTEM_WARM_RESET; vendor types pass */
	if (!(type & PSCI_1_1_RESET_TYPE_VENDOR_START) &&
	    type != PSCI_1_1_RESET_TYPE_SYSTEM_WARM_RESET) {
		set_ret(vcpu, PSCI_RET_INVALID_PARAMS);
		return 1;
	}
	return psci_system_event(vcpu, KVM_SYSTEM_EVENT_RESET,
				 KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2);
}

static int psci_call(struct modkvm_vcpu *vcpu, u32 fn, u32 ver)
{
	u64 a1 = smccc_arg(vcpu, fn, 1), a2 = smccc_arg(vcpu, fn, 2);
	u64 a3 = smccc_arg(vcpu, fn, 3);
	long ret;

	if (psci_is_suspend(fn) && ver >= PSCI_V1_0 &&
	    READ_ONCE(vcpu->vm->system_suspend))
		return psci_system_suspend(vcpu, fn);
	if (!psci_fn_offered(fn, ver)) {
		set_ret(vcpu, PSCI_RET_NOT_SUPPORTED);
		return 1;
	}

	switch (fn) {
	case PSCI_0_2_FN_CPU_SUSPEND:
	case PSCI_0_2_FN64_CPU_SUSPEND:
		set_ret(vcpu, PSCI_RET_SUCCESS);
		return modkvm_vcpu_block(vcpu);
	case PSCI_0_2_FN_CPU_OFF:
		return psci_cpu_off(vcpu);
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
		ret = psci_cpu_on(vcpu, a1, a2, a3, false);
		break;
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
		ret = psci_affinity_info(vcpu, a1, a2);
		break;
	case PSCI_0_2_FN_SYSTEM_OFF:
		return psci_system_event(vcpu, KVM_SYSTEM_EVENT_SHUTDOWN, 0);
	case PSCI_0_2_FN_SYSTEM_RESET:
		return psci_system_event(vcpu, KVM_SYSTEM_EVENT_RESET, 0);
	case PSCI_1_1_FN_SYSTEM_RESET2:
	case PSCI_1_1_FN64_SYSTEM_RESET2:
		return psci_reset2(vcpu, fn);
	default:	/* the queries: smccc_query() */
		ret = PSCI_RET_NOT_SUPPORTED;
	}
	set_ret(vcpu, ret);
	return 1;
}

/*
 * Calls that only ask a question, whose answer depends on the VM alone
 * and on W1 (all are SMC32/HVC32 Fast Calls): no lock, no sleep, no
 * other vCPU, no userspace. The world switch answers them from a table
 * computed from here in advance (modkvm_smccc_fast_update()).
 */
static bool smccc_is_query(u32 fn)
{
	switch (fn) {
	case ARM_SMCCC_VERSION_FUNC_ID:
	case ARM_SMCCC_ARCH_FEATURES_FUNC_ID:
	case PSCI_0_2_FN_PSCI_VERSION:
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
	case PSCI_1_0_FN_PSCI_FEATURES:
		return true;
	}
	return false;
}

/*
 * The answer to query @fn with argument @arg (W1) for a guest of @vm, as
 * modkvm_smccc_call() gives it to a call the SMCCC filter lets through.
 * Before PSCI 0.2 the PSCI IDs are no calls at all: NOT_SUPPORTED, as
 * for any other unknown Standard Secure Service call.
 */
static long smccc_query(struct modkvm_vm *vm, u32 fn, u32 arg)
{
	u32 ver = modkvm_psci_version(vm);

	switch (fn) {
	case ARM_SMCCC_VERSION_FUNC_ID:
		return ARM_SMCCC_VERSION_1_1;
	case ARM_SMCCC_ARCH_FEATURES_FUNC_ID:
		return smccc_arch_features(vm, arg);
	}
	if (ver < PSCI_V0_2)
		return SMCCC_RET_NOT_SUPPORTED;
	if (!psci_fn_offered(fn, ver))
		return PSCI_RET_NOT_SUPPORTED;
	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION:
		return ver;
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
		return PSCI_0_2_TOS_MP;		/* no Trusted OS to migrate */
	default:	/* PSCI_1_0_FN_PSCI_FEATURES */
		return psci_features(vm, arg, ver);
	}
}

/* PSCI 0.1 with KVM's function IDs: 64-bit arguments, no context ID */
static int psci_0_1_call(struct modkvm_vcpu *vcpu, u32 fn)
{
	u64 a1 = modkvm_get_reg(&vcpu->arch, 1);
	u64 a2 = modkvm_get_reg(&vcpu->arch, 2);

	switch (fn) {
	case KVM_PSCI_FN_CPU_SUSPEND:
		set_ret(vcpu, PSCI_RET_SUCCESS);
		return modkvm_vcpu_block(vcpu);
	case KVM_PSCI_FN_CPU_OFF:
		return psci_cpu_off(vcpu);
	case KVM_PSCI_FN_CPU_ON:
		set_ret(vcpu, psci_cpu_on(vcpu, a1, a2, 0, true));
		return 1;
	default:	/* KVM_PSCI_FN_MIGRATE */
		set_ret(vcpu, PSCI_RET_NOT_SUPPORTED);
		return 1;
	}
}

int modkvm_smccc_call(struct modkvm_vcpu *vcpu)
{
	u32 fn = lower_32_bits(modkvm_get_reg(&vcpu->arch, 0));
	u32 ver = modkvm_psci_version(vcpu->vm);

	switch (modkvm_smccc_filter_action(vcpu->vm, fn)) {
	case MODKVM_SMCCC_DENY:
		set_ret(vcpu, SMCCC_RET_NOT_SUPPORTED);
		return 1;
	case MODKVM_SMCCC_FWD_TO_USER:
		return modkvm_smccc_forward(vcpu, fn);
	}

	if (ver == PSCI_V0_1 && fn >= KVM_PSCI_FN_CPU_SUSPEND &&
	    fn <= KVM_PSCI_FN_MIGRATE) {
		trace_modkvm_psci(vcpu->id, fn);
		return psci_0_1_call(vcpu, fn);
	}

	/* no yielding services; no SMC64/HVC64 calls from AArch32 */
	if (!ARM_SMCCC_IS_FAST_CALL(fn) ||
	    (ARM_SMCCC_IS_64(fn) && modkvm_in_aarch32(&vcpu->arch))) {
		set_ret(vcpu, SMCCC_RET_NOT_SUPPORTED);
		return 1;
	}

	if (smccc_is_query(fn)) {
		set_ret(vcpu, smccc_query(vcpu->vm, fn, smccc_arg(vcpu, fn, 1)));
		return 1;
	}

	switch (ARM_SMCCC_OWNER_NUM(fn)) {
	case ARM_SMCCC_OWNER_ARCH:
		set_ret(vcpu, smccc_arch_call(vcpu, fn));
		return 1;
	case ARM_SMCCC_OWNER_STANDARD:
		/* PSCI is function numbers 0x00-0x1f */
		if (ver >= PSCI_V0_2 && ARM_SMCCC_FUNC_NUM(fn) <= 0x1f) {
			trace_modkvm_psci(vcpu->id, fn);
			return psci_call(vcpu, fn, ver);
		}
		break;
	}
	/* TRNG, PV time, KVM's vendor calls, or NOT_SUPPORTED */
	return modkvm_smccc_service_call(vcpu, fn);
}

/*
 * The keys of the table the world switch answers the queries from
 * (hyp/smccc_fast.h), in the order it searches them: each query, the two
 * FEATURES calls first with every function ID that smccc_arch_features()
 * and psci_features() know, then with any other, which they all answer
 * NOT_SUPPORTED. A function ID they learn must be added here.
 */
#define FAST_ANY(f)		{ .fn = (f), .any_arg = true }
#define FAST_ARG(f, a)		{ .fn = (f), .arg = (a) }
#define ARCH_FEAT(a)		FAST_ARG(ARM_SMCCC_ARCH_FEATURES_FUNC_ID, (a))
#define PSCI_FEAT(a)		FAST_ARG(PSCI_1_0_FN_PSCI_FEATURES, (a))

static const struct modkvm_smccc_fast_entry fast_keys[] = {
	FAST_ANY(ARM_SMCCC_VERSION_FUNC_ID),

	ARCH_FEAT(ARM_SMCCC_VERSION_FUNC_ID),
	ARCH_FEAT(ARM_SMCCC_ARCH_FEATURES_FUNC_ID),
	ARCH_FEAT(ARM_SMCCC_ARCH_WORKAROUND_1),
	ARCH_FEAT(ARM_SMCCC_ARCH_WORKAROUND_2),
	ARCH_FEAT(ARM_SMCCC_ARCH_WORKAROUND_3),
	ARCH_FEAT(ARM_SMCCC_HV_PV_TIME_FEATURES),
	FAST_ANY(ARM_SMCCC_ARCH_FEATURES_FUNC_ID),

	FAST_ANY(PSCI_0_2_FN_PSCI_VERSION),
	FAST_ANY(PSCI_0_2_FN_MIGRATE_INFO_TYPE),

	PSCI_FEAT(ARM_SMCCC_VERSION_FUNC_ID),
	PSCI_FEAT(PSCI_0_2_FN_PSCI_VERSION),
	PSCI_FEAT(PSCI_0_2_FN_CPU_SUSPEND),
	PSCI_FEAT(PSCI_0_2_FN64_CPU_SUSPEND),
	PSCI_FEAT(PSCI_0_2_FN_CPU_OFF),
	PSCI_FEAT(PSCI_0_2_FN_CPU_ON),
	PSCI_FEAT(PSCI_0_2_FN64_CPU_ON),
	PSCI_FEAT(PSCI_0_2_FN_AFFINITY_INFO),
	PSCI_FEAT(PSCI_0_2_FN64_AFFINITY_INFO),
	PSCI_FEAT(PSCI_0_2_FN_MIGRATE_INFO_TYPE),
	PSCI_FEAT(PSCI_0_2_FN_SYSTEM_OFF),
	PSCI_FEAT(PSCI_0_2_FN_SYSTEM_RESET),
	PSCI_FEAT(PSCI_1_0_FN_PSCI_FEATURES),
	PSCI_FEAT(PSCI_1_1_FN_SYSTEM_RESET2),
	PSCI_FEAT(PSCI_1_1_FN64_SYSTEM_RESET2),
	PSCI_FEAT(PSCI_1_0_FN_SYSTEM_SUSPEND),
	PSCI_FEAT(PSCI_1_0_FN64_SYSTEM_SUSPEND),
	FAST_ANY(PSCI_1_0_FN_PSCI_FEATURES),
};

/* A W1 for the FAST_ANY keys: no function ID the FEATURES calls know */
#define FAST_OTHER_ARG		0

static void smccc_fast_answers(struct modkvm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fast_keys); i++) {
		struct modkvm_smccc_fast_entry *e = &vm->smccc_fast.e[i];
		s64 ret;

		switch (modkvm_smccc_filter_action(vm, e->fn)) {
		case MODKVM_SMCCC_DENY:
			ret = SMCCC_RET_NOT_SUPPORTED;
			break;
		case MODKVM_SMCCC_FWD_TO_USER:
			ret = MODKVM_SMCCC_FAST_SLOW;
			break;
		default:
			ret = smccc_query(vm, e->fn, e->any_arg ?
					  FAST_OTHER_ARG : e->arg);
		}
		WRITE_ONCE(e->ret, ret);
	}
}

/* At KVM_CREATE_VM, before anything else can see the VM */
void modkvm_smccc_fast_init(struct modkvm_vm *vm)
{
	unsigned int i;

	BUILD_BUG_ON(ARRAY_SIZE(fast_keys) != MODKVM_SMCCC_FAST_NR);
	for (i = 0; i < ARRAY_SIZE(fast_keys); i++) {
		vm->smccc_fast.e[i].fn = fast_keys[i].fn;
		vm->smccc_fast.e[i].arg = fast_keys[i].arg;
		vm->smccc_fast.e[i].any_arg = fast_keys[i].any_arg;
	}
	smccc_fast_answers(vm);
}

/*
 * Recompute the answers after a change to what they depend on: the PSCI
 * version, the firmware bitmaps, KVM_CAP_ARM_SYSTEM_SUSPEND or the SMCCC
 * filter (the Spectre workaround answers are fixed at creation). Under
 * vm->lock. Only KVM_CAP_ARM_SYSTEM_SUSPEND changes an answer once a vCPU
 * has run, and a vCPU in the guest then sees the old or the new one.
 */
void modkvm_smccc_fast_update(struct modkvm_vm *vm)
{
	lockdep_assert_held(&vm->lock);
	smccc_fast_answers(vm);
}
