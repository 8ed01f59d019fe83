// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: stage-2 faults and the MMU notifier.
 *
 * Pages are mapped on demand: a stage-2 fault inside a memslot looks the
 * page up in the VMM's address space (get_user_pages), maps it, and drops
 * the page reference again. What keeps the mapping honest afterwards is
 * the MMU notifier: whenever the host unmaps, migrates, swaps, merges
 * (KSM) or splits (THP) that memory, invalidate_range_start removes the
 * stage-2 entries first, and a fault that raced with it sees mmu_seq move
 * and retries.
 *
 * A fault outside every memslot, or a write to a read-only slot, is MMIO.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <asm/cacheflush.h>
#include <asm/esr.h>

#include "modkvm.h"
#include "el2_regs.h"
#include "stage2.h"

static bool block_mappings = true;
module_param(block_mappings, bool, 0644);
MODULE_PARM_DESC(block_mappings, "map 2 MiB stage-2 blocks over huge pages");

/* ---- cache maintenance ---- */

static void modkvm_clean_inval_poc(void *va, size_t size)
{
	u64 line = 4U << ((read_sysreg(ctr_el0) >> 16) & 0xf);	/* DminLine */
	unsigned long p = (unsigned long)va & ~(line - 1);
	unsigned long end = (unsigned long)va + size;

	for (; p < end; p += line)
		asm volatile("dc civac, %0" : : "r"(p) : "memory");
	dsb(ish);
}

/*
 * A page the guest may see with its caches off must be clean to the point
 * of coherency; one it may execute must not leave stale instructions.
 */
static void modkvm_prepare_page(struct page *page, u64 size)
{
	void *va = page_address(page);

	modkvm_clean_inval_poc(va, size);
	caches_clean_inval_pou((unsigned long)va, (unsigned long)va + size);
}

/*
 * May the 2 MiB block around @gfn be mapped at once? Only if the whole
 * block lies in the slot and guest and host addresses agree modulo 2 MiB.
 */
static bool modkvm_block_fits(const struct modkvm_memslot *s, u64 gfn)
{
	u64 npg = MODKVM_S2_BLOCK_SIZE >> PAGE_SHIFT;
	u64 first = gfn & ~(npg - 1);

	return first >= s->base_gfn && first + npg <= s->base_gfn + s->npages &&
	       !((s->hva - (s->base_gfn << PAGE_SHIFT)) &
		 (MODKVM_S2_BLOCK_SIZE - 1));
}

/*
 * Is @hva's 2 MiB block backed by one naturally aligned 2 MiB compound
 * page (THP or hugetlbfs), mapped whole and in order by the VMM? Asked of
 * the VMM's own page tables through get_user_pages, so a huge page that
 * is only partly mapped there is never mapped whole into the guest.
 */
static bool modkvm_backed_by_block(unsigned long hva, struct page *page,
				   bool writable)
{
	unsigned int npg = MODKVM_S2_BLOCK_SIZE >> PAGE_SHIFT, i;
	unsigned long start = hva & ~(MODKVM_S2_BLOCK_SIZE - 1);
	struct page *head = compound_head(page), **pages;
	bool ok;
	int n;

	if (compound_order(head) != ilog2(npg) ||
	    !IS_ALIGNED(page_to_phys(head), MODKVM_S2_BLOCK_SIZE))
		return false;
	pages = kmalloc_array(npg, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return false;
	n = get_user_pages_fast(start, npg, writable ? FOLL_WRITE : 0, pages);
	ok = n == npg;
	for (i = 0; i < max(n, 0); i++) {
		ok &= pages[i] == head + i;
		put_page(pages[i]);
	}
	kfree(pages);
	return ok;
}

static void modkvm_flush_one(phys_addr_t pa, void *arg)
{
	modkvm_clean_inval_poc(phys_to_virt(pa), PAGE_SIZE);
}

void modkvm_flush_guest_dcache(struct modkvm_vm *vm)
{
	spin_lock(&vm->mmu_lock);
	modkvm_s2_for_each_page(&vm->s2, modkvm_flush_one, NULL);
	spin_unlock(&vm->mmu_lock);
}

/* ---- faults ---- */

void modkvm_unmap_gfn_range(struct modkvm_vm *vm, u64 gfn, u64 npages)
{
	spin_lock(&vm->mmu_lock);
	modkvm_s2_unmap(&vm->s2, gfn << PAGE_SHIFT, npages << PAGE_SHIFT);
	spin_unlock(&vm->mmu_lock);
}

static bool esr_is_translation_or_perm(u64 esr)
{
	u64 fsc = esr & ESR_ELx_FSC;

	/* translation, access flag, permission fault, at any level */
	return (fsc & ~3ULL) == 0x04 || (fsc & ~3ULL) == 0x08 ||
	       (fsc & ~3ULL) == 0x0c;
}

int modkvm_handle_guest_abort(struct modkvm_vcpu *vcpu)
{
	struct modkvm_vm *vm = vcpu->vm;
	u64 esr = vcpu->arch.exit.esr;
	bool iabt = ESR_ELx_EC(esr) == ESR_ELx_EC_IABT_LOW;
	bool s1ptw = !iabt && (esr & ESR_ELx_S1PTW);
	bool write = !iabt && !s1ptw && (esr & ESR_ELx_WNR) &&
		     !(esr & ESR_ELx_CM);
	u64 ipa = ((vcpu->arch.exit.hpfar & MK_HPFAR_FIPA_MASK) << 8) |
		  (vcpu->arch.exit.far & ~PAGE_MASK);
	u64 gfn = ipa >> PAGE_SHIFT;
	struct modkvm_pgcache cache = { 0 };
	struct modkvm_memslot *slot;
	unsigned long hva, seq;
	unsigned int prot;
	struct page *page;
	bool writable, logging, block = false;
	u64 size = PAGE_SIZE;
	int ret;

	if (vcpu->arch.exit.hpfar == MODKVM_HPFAR_INVALID)
		return 1;	/* the guest changed its tables meanwhile */
	if (!esr_is_translation_or_perm(esr)) {
		/* e.g. a synchronous external abort: the guest's to handle */
		if (iabt)
			modkvm_inject_pabt(vcpu, vcpu->arch.exit.far);
		else
			modkvm_inject_dabt(vcpu, vcpu->arch.exit.far);
		return 1;
	}

	/* Beyond the VM's IPA space: an address size fault, the guest's. */
	if (ipa >> vm->s2.ipa_bits) {
		if (iabt)
			modkvm_inject_pabt(vcpu, vcpu->arch.exit.far);
		else
			modkvm_inject_dabt(vcpu, vcpu->arch.exit.far);
		return 1;
	}

	spin_lock(&vm->mmu_lock);
	seq = vm->mmu_seq;
	slot = modkvm_gfn_to_slot(vm, gfn);
	if (slot) {
		hva = slot->hva + ((gfn - slot->base_gfn) << PAGE_SHIFT);
		writable = !(slot->flags & KVM_MEM_READONLY);
		logging = slot->dirty;
		block = READ_ONCE(block_mappings) && !logging &&
			modkvm_block_fits(slot, gfn);
	}
	spin_unlock(&vm->mmu_lock);

	if (!slot || (write && !writable)) {
		if (iabt) {
			modkvm_inject_pabt(vcpu, vcpu->arch.exit.far);
			return 1;
		}
		if (s1ptw) {	/* the guest's page tables are not in RAM */
			modkvm_inject_dabt(vcpu, vcpu->arch.exit.far);
			return 1;
		}
		vcpu->stat.mmio_exits++;
		return modkvm_mmio_exit(vcpu, ipa);
	}

	vcpu->stat.s2_faults++;
	/* Order the mmu_seq read before looking the page up. */
	smp_rmb();

	/*
	 * Map writable on the first touch unless dirty logging wants to see
	 * the first write; memory userspace mapped read-only stays so.
	 */
	ret = 0;
	if (writable && (write || !logging))
		ret = get_user_pages_fast(hva, 1, FOLL_WRITE, &page);
	if (ret != 1) {
		if (write)
			return -EFAULT;
		writable = false;
		ret = get_user_pages_fast(hva, 1, 0, &page);
		if (ret != 1)
			return -EFAULT;
	}

	prot = MODKVM_S2_R | MODKVM_S2_X | (writable ? MODKVM_S2_W : 0);
	if (block && modkvm_backed_by_block(hva, page, writable)) {
		size = MODKVM_S2_BLOCK_SIZE;
		page = compound_head(page);
	}
	modkvm_prepare_page(page, size);

	ret = modkvm_pgcache_topup(&cache);
	if (ret)
		goto out;

	spin_lock(&vm->mmu_lock);
	if (vm->mmu_invalidating || vm->mmu_seq != seq) {
		spin_unlock(&vm->mmu_lock);
		goto out;	/* raced with an invalidation: fault again */
	}
	ret = modkvm_s2_map(&vm->s2, ipa & ~(size - 1), page_to_phys(page),
			    size, prot, &cache);
	if (ret == -EAGAIN)
		ret = 0;
	else if (!ret && size != PAGE_SIZE)
		vcpu->stat.s2_block_maps++;
	if (!ret && writable && logging)
		set_bit(gfn - slot->base_gfn, slot->dirty);
	spin_unlock(&vm->mmu_lock);
	if (writable)
		set_page_dirty_lock(page);
out:
	put_page(page);
	modkvm_pgcache_free(&cache);
	return ret ? ret : 1;
}

/* ---- MMU notifier ---- */

static struct modkvm_vm *mn_to_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct modkvm_vm, mn);
}

/* Unmap the guest pages backed by [start, end) of the VMM's memory. */
static void modkvm_unmap_hva_range(struct modkvm_vm *vm, unsigned long start,
				   unsigned long end)
{
	int i;

	for (i = 0; i < MODKVM_MAX_MEMSLOTS; i++) {
		struct modkvm_memslot *s = vm->slots[i];
		unsigned long s_end, from, to;

		if (!s)
			continue;
		s_end = s->hva + (s->npages << PAGE_SHIFT);
		from = max(start, s->hva);
		to = min(end, s_end);
		if (from >= to)
			continue;
		modkvm_s2_unmap(&vm->s2,
				(s->base_gfn << PAGE_SHIFT) + (from - s->hva),
				to - from);
	}
}

static int modkvm_mn_invalidate_start(struct mmu_notifier *mn,
				      const struct mmu_notifier_range *range)
{
	struct modkvm_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidating++;
	vm->mmu_seq++;
	modkvm_unmap_hva_range(vm, range->start, range->end);
	spin_unlock(&vm->mmu_lock);
	return 0;
}

static void modkvm_mn_invalidate_end(struct mmu_notifier *mn,
				     const struct mmu_notifier_range *range)
{
	struct modkvm_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	vm->mmu_invalidating--;
	spin_unlock(&vm->mmu_lock);
}

static void modkvm_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct modkvm_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	modkvm_s2_unmap(&vm->s2, 0, 1ULL << vm->s2.ipa_bits);
	spin_unlock(&vm->mmu_lock);
}

static const struct mmu_notifier_ops modkvm_mn_ops = {
	.invalidate_range_start	= modkvm_mn_invalidate_start,
	.invalidate_range_end	= modkvm_mn_invalidate_end,
	.release		= modkvm_mn_release,
};

int modkvm_mmu_init(struct modkvm_vm *vm, unsigned int ipa_bits)
{
	int ret;

	ret = modkvm_arch_s2_init(&vm->s2, ipa_bits);
	if (ret)
		return ret;
	vm->mn.ops = &modkvm_mn_ops;
	ret = mmu_notifier_register(&vm->mn, vm->mm);
	if (ret)
		return ret;
	vm->mn_registered = true;
	return 0;
}

void modkvm_mmu_destroy(struct modkvm_vm *vm)
{
	if (vm->mn_registered)
		mmu_notifier_unregister(&vm->mn, vm->mm);
	modkvm_s2_free_tables(&vm->s2);
	modkvm_arch_s2_free(&vm->s2);
}
