// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64 VHE: TLB invalidation for a guest's VMID, or for all.
 *
 * The EL1&0 stage-1 and stage-2 TLB instructions act on the translation
 * regime the PE is in for EL1&0 and on the VMID in VTTBR_EL2 (Arm ARM,
 * "TLB maintenance instructions", TLBI IPAS2E1IS and TLBI VMALLS12E1IS).
 * A VHE host runs with HCR_EL2.E2H and TGE set, where EL1&0 is the host's
 * own EL2&0 regime, so for the few instructions it takes TGE is cleared
 * and the guest's VMID put in VTTBR_EL2, and both are put back after. An
 * nVHE host runs with TGE clear already and needs only the VMID.
 *
 * Called through modkvm_call_hyp() (hyp/call.h) with interrupts disabled.
 */
#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/sysreg.h>

#include "el2_regs.h"
#include "hyp/call.h"

struct vhe_tlb_ctxt {
	u64 hcr, vttbr;
};

static __always_inline void vhe_guest_regime_enter(struct vhe_tlb_ctxt *c,
						   u16 vmid)
{
	c->vttbr = read_sysreg(vttbr_el2);
	c->hcr = read_sysreg(hcr_el2);
	write_sysreg((u64)vmid << MK_VTTBR_VMID_SHIFT, vttbr_el2);
	write_sysreg(c->hcr & ~MK_HCR_TGE, hcr_el2);
	isb();
}

/* Wait for the invalidation to complete everywhere, then undo the above */
static __always_inline void vhe_guest_regime_exit(const struct vhe_tlb_ctxt *c)
{
	dsb(ish);
	isb();
	write_sysreg(c->hcr, hcr_el2);
	write_sysreg(c->vttbr, vttbr_el2);
	isb();
}

void __modkvm_hyp_tlb_flush_ipa(u16 vmid, u64 ipa)
{
	struct vhe_tlb_ctxt c;

	vhe_guest_regime_enter(&c, vmid);
	/*
	 * Drop the stage-2 entry, then the combined stage-1+2 entries that
	 * may have been built from it (the guest's stage-1 VA is unknown).
	 */
	asm volatile("tlbi ipas2e1is, %0" : : "r"(ipa >> 12));
	dsb(ish);
	asm volatile("tlbi vmalle1is");
	vhe_guest_regime_exit(&c);
}

void __modkvm_hyp_tlb_flush_vmid(u16 vmid)
{
	struct vhe_tlb_ctxt c;

	vhe_guest_regime_enter(&c, vmid);
	asm volatile("tlbi vmalls12e1is");
	vhe_guest_regime_exit(&c);
}

/*
 * Every guest's entries, all VMIDs, stage 1 and stage 2, on every PE in
 * the Inner Shareable domain (TLBI ALLE1IS: it names the EL1&0 regime
 * itself, so neither TGE nor the VMID in VTTBR_EL2 matters), complete
 * when the DSB is: the VMID allocator's new generation (vmid.c).
 */
void __modkvm_hyp_tlb_flush_all(void)
{
	dsb(ishst);
	asm volatile("tlbi alle1is");
	dsb(ish);
	isb();
}
