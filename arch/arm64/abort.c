// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: a guest's data or instruction abort taken to EL2 (EC
 * 0x24 or 0x20), decoded from ESR_EL2, FAR_EL2 and HPFAR_EL2 into a
 * struct modkvm_abort for virt/mmu.c, which maps the memory, hands the
 * access to the MMIO emulation (virt/mmio.c) or gives the fault back to
 * the guest.
 */
#include <linux/mm.h>
#include <asm/esr.h>

#include "modkvm.h"
#include "el2_regs.h"

/* Fault status codes (ESR_ELx.{D,I}FSC) with FEAT_LPA2's level -1 */
#define FSC_TRANS_LM1		0x2b	/* translation fault, level -1 */

/*
 * The fault status code (Arm ARM, ISS encoding for an exception from a
 * Data or Instruction Abort): a translation fault at levels 0 to 3
 * (0b0001LL) or, with FEAT_LPA2, at level -1 (0b101011), an access flag
 * fault (0b0010LL), a permission fault (0b0011LL); anything else (an
 * external abort, an address size fault...) the guest's to handle.
 * Level -1 is seen, whatever the level of our own stage 2: QEMU's TCG
 * reports with it the stage-2 fault on the walk of a guest with 52-bit
 * virtual addresses on 4 KiB pages (TCR_EL1.DS), whose walk starts at
 * level -1; a VM restored from a snapshot, whose stage 2 starts empty,
 * takes that fault first.
 */
static u8 fault_kind(u64 esr)
{
	u64 fsc = esr & ESR_ELx_FSC;

	if ((fsc & ~3ULL) == 0x04 || fsc == FSC_TRANS_LM1)
		return MODKVM_FAULT_TRANSLATION;
	if ((fsc & ~3ULL) == 0x08)
		return MODKVM_FAULT_ACCESS_FLAG;
	if ((fsc & ~3ULL) == 0x0c)
		return MODKVM_FAULT_PERMISSION;
	return MODKVM_FAULT_OTHER;
}

/*
 * Does the guest need write permission at stage 2? A stage-2 permission
 * fault on its stage-1 walk means the walker had to write a descriptor
 * (the hardware access flag or dirty state updates, TCR_EL1.HA and HD),
 * whether the walk was for a load, a store or an instruction fetch; any
 * other fault on the walk is a read. Otherwise only a data abort on a
 * store is, not a cache maintenance operation.
 */
static bool abort_is_write(u64 esr, bool iabt, u8 kind)
{
	if (esr & ESR_ELx_S1PTW)
		return kind == MODKVM_FAULT_PERMISSION;
	return !iabt && (esr & ESR_ELx_WNR) && !(esr & ESR_ELx_CM);
}

/*
 * The access itself, for MMIO: with a valid instruction syndrome (ISV)
 * one register of 1 to 8 bytes, no writeback; without one, the raw ISS
 * for KVM_EXIT_ARM_NISV.
 */
static void decode_access(u64 esr, struct modkvm_abort *ab)
{
	ab->is_cache_op = esr & ESR_ELx_CM;
	ab->iss = esr & ESR_ELx_ISS_MASK;
	ab->has_syndrome = esr & ESR_ELx_ISV;
	if (!ab->has_syndrome)
		return;
	ab->len = 1U << ((esr & ESR_ELx_SAS) >> ESR_ELx_SAS_SHIFT);
	ab->rt = (esr & ESR_ELx_SRT_MASK) >> ESR_ELx_SRT_SHIFT;
	ab->store = esr & ESR_ELx_WNR;
	ab->sign_extend = esr & ESR_ELx_SSE;
	ab->sixty_four = esr & ESR_ELx_SF;
}

int modkvm_handle_abort(struct modkvm_vcpu *vcpu)
{
	const struct modkvm_exit_info *exit = &vcpu->arch.exit;
	struct modkvm_abort ab = { };
	u64 esr = exit->esr;

	if (exit->hpfar == MODKVM_HPFAR_INVALID)
		return 1;	/* the guest changed its tables meanwhile */

	ab.ipa = ((exit->hpfar & MK_HPFAR_FIPA_MASK) << 8) |
		 (exit->far & ~PAGE_MASK);
	ab.far = exit->far;
	ab.kind = fault_kind(esr);
	ab.is_exec = ESR_ELx_EC(esr) == ESR_ELx_EC_IABT_LOW;
	ab.on_s1_walk = esr & ESR_ELx_S1PTW;
	ab.is_write = abort_is_write(esr, ab.is_exec, ab.kind);
	decode_access(esr, &ab);
	return modkvm_handle_guest_abort(vcpu, &ab);
}
