// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64 nVHE: TLB invalidation for a guest's VMID, at EL2.
 *
 * The host runs with HCR_EL2.TGE clear, so only VTTBR_EL2's VMID changes
 * for the few instructions (Arm ARM, TLBI IPAS2E1IS, VMALLE1IS,
 * VMALLS12E1IS: they act on the current VMID), and the host's is put
 * back: its own EL1 TLB entries are tagged with it (hyp/nvhe/switch.c).
 *
 * Entered by an HVC (hyp/nvhe/host.S) with interrupts masked.
 */
#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/sysreg.h>

#include "el2_regs.h"

void __modkvm_nvhe_tlb_flush_ipa(u16 vmid, u64 ipa);
void __modkvm_nvhe_tlb_flush_vmid(u16 vmid);

static __always_inline u64 nvhe_vmid_enter(u16 vmid)
{
	u64 vttbr = read_sysreg(vttbr_el2);

	write_sysreg((u64)vmid << MK_VTTBR_VMID_SHIFT, vttbr_el2);
	isb();
	return vttbr;
}

static __always_inline void nvhe_vmid_exit(u64 vttbr)
{
	dsb(ish);
	isb();
	write_sysreg(vttbr, vttbr_el2);
	isb();
}

void __modkvm_nvhe_tlb_flush_ipa(u16 vmid, u64 ipa)
{
	u64 vttbr = nvhe_vmid_enter(vmid);

	asm volatile("tlbi ipas2e1is, %0" : : "r"(ipa >> 12));
	dsb(ish);
	asm volatile("tlbi vmalle1is");
	nvhe_vmid_exit(vttbr);
}

void __modkvm_nvhe_tlb_flush_vmid(u16 vmid)
{
	u64 vttbr = nvhe_vmid_enter(vmid);

	asm volatile("tlbi vmalls12e1is");
	nvhe_vmid_exit(vttbr);
}
