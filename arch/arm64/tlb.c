// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: what stage 2 needs from the CPU: the IPA size the host
 * supports, VTCR_EL2 for a VM, and TLB invalidation by VMID. The VMIDs
 * themselves are handed out at guest entry (vmid.c).
 *
 * TLB maintenance for a guest is done at EL2 (hyp/vhe/tlbi.c), called
 * with interrupts off for the few instructions it takes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <asm/barrier.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "el2_regs.h"

#define MMFR0_PARANGE	GENMASK_ULL(3, 0)
#define MMFR2_FWB	GENMASK_ULL(43, 40)
#define MODKVM_MAX_IPA	48	/* 48-bit output addresses, no LPA2 */

static unsigned int modkvm_parange_bits(unsigned int parange)
{
	static const u8 bits[] = { 32, 36, 40, 42, 44, 48, 52 };

	return parange < ARRAY_SIZE(bits) ? bits[parange] : 48;
}

static bool s2fwb = true;
module_param(s2fwb, bool, 0644);
MODULE_PARM_DESC(s2fwb,
		 "use FEAT_S2FWB (stage-2 forced write-back) if all CPUs have it; read at VM creation");

/*
 * Stage-2 forced write-back: every CPU has FEAT_S2FWB (the sanitised
 * ID_AA64MMFR2_EL1) and the s2fwb parameter allows it.
 */
bool modkvm_s2fwb_usable(void)
{
	return READ_ONCE(s2fwb) &&
	       FIELD_GET(MMFR2_FWB,
			 read_sanitised_ftr_reg(SYS_ID_AA64MMFR2_EL1)) >= 1;
}

unsigned int modkvm_host_ipa_limit(void)
{
	unsigned int pa = modkvm_parange_bits(FIELD_GET(MMFR0_PARANGE,
					read_sysreg(id_aa64mmfr0_el1)));

	return min(pa, MODKVM_MAX_IPA);
}

static void count_flush(struct modkvm_s2 *s2)
{
	container_of(s2, struct modkvm_vm, s2)->stat.remote_tlb_flush++;
}

/*
 * The invalidation itself runs at EL2: hyp/vhe/tlbi.c. A VM that never
 * ran has no VMID and nothing in any TLB.
 */
void modkvm_tlb_flush_ipa(struct modkvm_s2 *s2, u64 ipa)
{
	unsigned long flags;
	u16 vmid = modkvm_vmid_for_flush(s2);

	if (!vmid)
		return;
	count_flush(s2);
	local_irq_save(flags);
	modkvm_call_hyp(tlb_flush_ipa, vmid, ipa);
	local_irq_restore(flags);
}

void modkvm_tlb_flush_vmid(struct modkvm_s2 *s2)
{
	unsigned long flags;
	u16 vmid = modkvm_vmid_for_flush(s2);

	if (!vmid)
		return;
	count_flush(s2);
	local_irq_save(flags);
	modkvm_call_hyp(tlb_flush_vmid, vmid);
	local_irq_restore(flags);
}

/*
 * The first lookup level for an IPA size, with up to 16 concatenated
 * tables there rather than one more level (Arm ARM, VTCR_EL2.SL0 rules
 * for the 4 KiB granule).
 */
static void modkvm_s2_geometry(unsigned int ipa_bits, unsigned int *level,
			       unsigned int *order)
{
	if (ipa_bits <= 39) {
		*level = 1;
		*order = 0;
	} else if (ipa_bits <= 43) {
		*level = 1;
		*order = ipa_bits - 39;
	} else {
		*level = 0;
		*order = 0;
	}
}

int modkvm_arch_s2_init(struct modkvm_s2 *s2, unsigned int ipa_bits)
{
	unsigned int parange = FIELD_GET(MMFR0_PARANGE,
					 read_sysreg(id_aa64mmfr0_el1));

	modkvm_s2_geometry(ipa_bits, &s2->start_level, &s2->pgd_order);
	s2->ipa_bits = ipa_bits;
	s2->pgd = (void *)__get_free_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO,
					   s2->pgd_order);
	if (!s2->pgd)
		return -ENOMEM;

	/*
	 * The world switch does no address translation: VTTBR_EL2's value
	 * is kept here, its VMID set at guest entry (vmid.c).
	 */
	atomic64_set(&s2->vmid, 0);
	s2->vttbr = virt_to_phys(s2->pgd);

	/* SL0 for 4 KiB pages: 0 = level 2, 1 = level 1, 2 = level 0 */
	s2->vtcr = MK_VTCR_T0SZ(64 - ipa_bits) | MK_VTCR_SL0(2 - s2->start_level) |
		   MK_VTCR_IRGN0_WBWA | MK_VTCR_ORGN0_WBWA | MK_VTCR_SH0_INNER |
		   MK_VTCR_TG0_4K | MK_VTCR_PS(min(parange, 5U)) | MK_VTCR_RES1;
	s2->vtcr |= modkvm_vmid_vtcr();
	return 0;
}

void modkvm_arch_s2_free(struct modkvm_s2 *s2)
{
	if (!s2->pgd)
		return;
	/* No stale translation of this VMID may survive its reuse. */
	modkvm_vmid_free(s2);
	free_pages((unsigned long)s2->pgd, s2->pgd_order);
	s2->pgd = NULL;
}
