// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: VM set-up, KVM_ARM_VCPU_INIT and vCPU reset.
 *
 * A guest runs at AArch64 EL1 under an HCR_EL2 that routes physical
 * interrupts to the host (FMO/IMO/AMO, so the virtual lines are ours),
 * traps WFI/WFE, SMC, the feature ID registers (TID3), implementation
 * defined registers, ACTLR_EL1, set/way maintenance and LORegions, and
 * (with RAS) error records and external aborts. There is no TGE and no
 * nested virtualization. Only the generic v8 target and the POWER_OFF,
 * PSCI_0_2, EL1_32BIT and pointer authentication features exist:
 * EL1_32BIT where every CPU has AArch32 at EL1 (the VM's EL1 is then
 * AArch32, HCR_EL2.RW clear); PTRAUTH_ADDRESS and PTRAUTH_GENERIC where
 * the system as a whole has both kinds with one algorithm, and then, as
 * api.rst asks when both capabilities are there, both or neither (a VM
 * with them runs with HCR_EL2.API and APK set, its keys switched by
 * hyp/entry.S; without them API/APK stay clear, so the guest's PAC
 * instructions and key register accesses trap and get UNDEF). PMU, SVE
 * and EL2 are refused, and all vCPUs of a VM must ask for the same
 * features (POWER_OFF apart), so all have the same width. A reset gives
 * the state api.rst and the Arm ARM define for a warm reset into EL1h
 * (AArch32: SVC): registers zero, D/A/I/F masked, MMU and caches off, the
 * OS lock set; the pointer authentication keys, UNKNOWN after a reset in
 * the architecture, are zero (never anything of the host's); the MPIDR
 * (Aff0 = creation index % 16, Aff1 = index / 16) survives resets once
 * set, as a CPU's identity does. The system registers get the reset
 * values of sys_regs.c's table.
 */
#include <linux/bitfield.h>
#include <linux/kvm.h>
#include <linux/mutex.h>
#include <uapi/linux/psci.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/cputype.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "el2_regs.h"
#include "sys_regs.h"

/* Feature fields that decide which HCR_EL2 trap bits exist */
#define PFR0_RAS		GENMASK_ULL(31, 28)
#define PFR0_GIC		GENMASK_ULL(27, 24)
#define MMFR1_LO		GENMASK_ULL(19, 16)
#define MMFR2_EVT		GENMASK_ULL(59, 56)

#define FEAT(f)			BIT_ULL(KVM_ARM_VCPU_##f)

static u64 known_features(void)
{
	u64 m = FEAT(POWER_OFF) | FEAT(EL1_32BIT) | FEAT(PSCI_0_2) |
		FEAT(PMU_V3) | FEAT(SVE) | FEAT(PTRAUTH_ADDRESS) |
		FEAT(PTRAUTH_GENERIC);

#ifdef KVM_ARM_VCPU_HAS_EL2
	m |= FEAT(HAS_EL2);
#endif
	return m;
}

#define FEAT_PTRAUTH		(FEAT(PTRAUTH_ADDRESS) | FEAT(PTRAUTH_GENERIC))

/*
 * Address and generic authentication on every CPU, each kind with one
 * algorithm the whole system shares (the kernel's system-wide
 * capabilities; they are off with CONFIG_ARM64_PTR_AUTH=n or
 * arm64.nopauth): KVM_CAP_ARM_PTRAUTH_ADDRESS and _GENERIC.
 */
bool modkvm_arch_ptrauth_supported(void)
{
	return system_has_full_ptr_auth();
}

static u64 supported_features(void)
{
	u64 m = FEAT(POWER_OFF) | FEAT(PSCI_0_2);

	if (modkvm_arch_el1_32bit_supported())
		m |= FEAT(EL1_32BIT);
	if (modkvm_arch_ptrauth_supported())
		m |= FEAT_PTRAUTH;
	return m;
}

int modkvm_arch_vm_init(struct modkvm_vm *vm, unsigned long type)
{
	u64 pfr0 = read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1);
	u64 mmfr1 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1);
	u64 hcr;

	/* type (the IPA size) is checked and used by vm.c */
	hcr = MK_HCR_VM | MK_HCR_SWIO | MK_HCR_FMO | MK_HCR_IMO | MK_HCR_AMO |
	      MK_HCR_FB | MK_HCR_BSU_IS | MK_HCR_TWI | MK_HCR_TWE |
	      MK_HCR_TID3 | MK_HCR_TSC | MK_HCR_TIDCP | MK_HCR_TACR |
	      MK_HCR_TSW | MK_HCR_RW | MK_HCR_E2H;
	/* TERR/TEA and TLOR are RES0 without FEAT_RAS and FEAT_LOR */
	if (FIELD_GET(PFR0_RAS, pfr0))
		hcr |= MK_HCR_TERR | MK_HCR_TEA;
	if (FIELD_GET(MMFR1_LO, mmfr1))
		hcr |= MK_HCR_TLOR;
	/*
	 * The cache ID registers are the guest's own (cache_id.c): TID4
	 * traps them alone (FEAT_EVT), TID2 CTR_EL0 as well
	 */
	hcr |= FIELD_GET(MMFR2_EVT, read_sanitised_ftr_reg(SYS_ID_AA64MMFR2_EL1)) ?
	       MK_HCR_TID4 : MK_HCR_TID2;

	/* Read by stage2.c for every leaf: fixed before there is any */
	vm->s2.fwb = modkvm_s2fwb_usable();
	if (vm->s2.fwb)
		hcr |= MK_HCR_FWB;
	vm->arch.hcr = hcr;

	/*
	 * No GIC system register interface for the guest: its ID_AA64PFR0_EL1
	 * says so (id_regs.c), but on a host with one (and SRE on at EL2, as
	 * Linux sets it) the guest would reach the virtual CPU interface's
	 * registers. ICH_HCR_EL2 traps all of them (sys_regs.c makes them
	 * UNDEF), with the virtual interface itself left disabled.
	 * ICC_SRE_EL1 is not trapped; it reads with SRE set.
	 */
	vm->arch.ich_hcr = 0;
	vm->arch.user_gic = 0;
	vm->arch.id_lowered = 0;
	if (FIELD_GET(PFR0_GIC, pfr0) &&
	    ((modkvm_host_nvhe() ? modkvm_nvhe_icc_sre_el2() :
	      read_sysreg_s(SYS_ICC_SRE_EL2)) & MK_ICC_SRE_EL2_SRE)) {
		vm->arch.ich_hcr = MK_ICH_HCR_TC | MK_ICH_HCR_TALL0 |
				   MK_ICH_HCR_TALL1;
		/* until the first run: see modkvm_user_id_reg() */
		vm->arch.user_gic = 1;
	}

	vm->arch.midr = read_cpuid_id();
	vm->arch.psci_version = PSCI_VERSION(0, 1);
	vm->arch.vcpu_features = 0;
	vm->arch.vcpu_features_set = false;
	vm->arch.el1_32bit = false;
	vm->arch.ptrauth = false;
	/* nVHE: the VM where the world switch at EL2 reads it */
	return modkvm_nvhe_map_vm(vm);
}

void modkvm_arch_preferred_target(struct kvm_vcpu_init *init)
{
	memset(init, 0, sizeof(*init));
	init->target = KVM_ARM_TARGET_GENERIC_V8;
}

void modkvm_arch_vcpu_reset(struct modkvm_vcpu *vcpu)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;

	memset(&a->gp, 0, sizeof(a->gp));
	/* the core registers kept in sys[]; the table resets the rest */
	a->sys[SR_SP_EL1] = 0;
	a->sys[SR_ELR_EL1] = 0;
	a->sys[SR_SPSR_EL1] = 0;
	modkvm_sys_regs_reset(vcpu);
	if (modkvm_el1_is_32bit(a))
		modkvm_aa32_reset(a, a->reset_be);
	else
		a->gp.pstate = PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT |
			       PSR_I_BIT | PSR_F_BIT;

	memset(&a->fp, 0, sizeof(a->fp));
	memset(a->spsr_aa32, 0, sizeof(a->spsr_aa32));
	a->hcr = vcpu->vm->arch.hcr;
	a->serror_pending = false;
	a->reset_be = false;
	vcpu->mmio.pending = false;
	vcpu->mmio.abortable = false;
}

int modkvm_arch_vcpu_init(struct modkvm_vcpu *vcpu,
			  const struct kvm_vcpu_init *init)
{
	struct modkvm_vm *vm = vcpu->vm;
	u64 features = init->features[0];
	unsigned int i;
	int ret;

	if (init->target != KVM_ARM_TARGET_GENERIC_V8)
		return -EINVAL;
	for (i = 1; i < ARRAY_SIZE(init->features); i++)
		if (init->features[i])
			return -ENOENT;
	if (features & ~known_features())
		return -ENOENT;
	if (features & ~supported_features())
		return -EINVAL;
	/* Both capabilities are offered: both features or neither */
	if ((features & FEAT_PTRAUTH) && (features & FEAT_PTRAUTH) != FEAT_PTRAUTH)
		return -EINVAL;
	/* A second INIT must ask for what the first did (power state apart) */
	if (vcpu->initialized &&
	    ((features ^ vcpu->arch.features) & ~FEAT(POWER_OFF)))
		return -EINVAL;
	/* nVHE: the vCPU where the world switch at EL2 reads it */
	ret = modkvm_nvhe_map_vcpu(vcpu);
	if (ret)
		return ret;

	mutex_lock(&vm->lock);
	if (vm->arch.vcpu_features_set) {
		if ((features & ~FEAT(POWER_OFF)) != vm->arch.vcpu_features) {
			mutex_unlock(&vm->lock);
			return -EINVAL;
		}
	} else {
		/* The first vCPU fixes the VM's features and PSCI version. */
		vm->arch.vcpu_features = features & ~FEAT(POWER_OFF);
		vm->arch.vcpu_features_set = true;
		/* No vCPU of the VM has run: none was initialized before. */
		if (features & FEAT(EL1_32BIT)) {
			vm->arch.el1_32bit = true;
			vm->arch.hcr &= ~MK_HCR_RW;
		}
		if (features & FEAT_PTRAUTH) {
			vm->arch.ptrauth = true;
			vm->arch.hcr |= MK_HCR_API | MK_HCR_APK;
		}
		WRITE_ONCE(vm->arch.psci_version,
			   (features & FEAT(PSCI_0_2)) ? PSCI_VERSION(1, 1) :
							 PSCI_VERSION(0, 1));
		modkvm_smccc_fast_update(vm);
	}
	vcpu->arch.target = init->target;
	vcpu->arch.features = features;
	vcpu->arch.reset_be = false;
	modkvm_arch_vcpu_reset(vcpu);
	WRITE_ONCE(vcpu->pending_reset, false);
	WRITE_ONCE(vcpu->power_off, !!(features & FEAT(POWER_OFF)));
	mutex_unlock(&vm->lock);
	return 0;
}
