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

#include "modkvm.h"
#include "stage2.h"
#include "modkvm_trace.h"

static bool block_mappings = true;
module_param(block_mappings, bool, 0644);
MODULE_PARM_DESC(block_mappings, "map 2 MiB stage-2 blocks over huge pages");

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
 * Is @hva's 2 MiB block mapped by the VMM as one naturally aligned 2 MiB
 * (or larger) leaf of its own page tables (THP or hugetlbfs), the leaf
 * that holds @page? Then that block of physical memory is the VMM's
 * memory in the same order, and one stage-2 block may map it. The walk is
 * lockless, as get_user_pages_fast() walks: interrupts off keep the tables
 * from being freed under us, and anything that changes the mapping after
 * the fault read mmu_seq is caught by the mmu_seq check before mapping.
 */
static bool modkvm_backed_by_block(struct mm_struct *mm, unsigned long hva,
				   struct page *page, bool writable)
{
	unsigned long start = hva & ~(MODKVM_S2_BLOCK_SIZE - 1), flags;
	unsigned long want = page_to_pfn(page) - ((hva - start) >> PAGE_SHIFT);
	pgd_t *pgdp, pgd;
	p4d_t *p4dp, p4d;
	pud_t *pudp, pud;
	pmd_t *pmdp, pmd;
	bool ok = false;

	if (!IS_ALIGNED(want, MODKVM_S2_BLOCK_SIZE >> PAGE_SHIFT))
		return false;

	local_irq_save(flags);
	pgdp = pgd_offset(mm, start);
	pgd = READ_ONCE(*pgdp);
	if (pgd_none(pgd) || pgd_bad(pgd))
		goto out;
	p4dp = p4d_offset_lockless(pgdp, pgd, start);
	p4d = READ_ONCE(*p4dp);
	if (p4d_none(p4d) || p4d_bad(p4d))
		goto out;
	pudp = pud_offset_lockless(p4dp, p4d, start);
	pud = READ_ONCE(*pudp);
	if (pud_none(pud) || !pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		/* a 1 GiB leaf: the 2 MiB inside it are contiguous too */
		ok = (!writable || pud_write(pud)) &&
		     pud_pfn(pud) + ((start & ~PUD_MASK) >> PAGE_SHIFT) == want;
		goto out;
	}
	if (pud_bad(pud))
		goto out;
	pmdp = pmd_offset_lockless(pudp, pud, start);
	pmd = READ_ONCE(*pmdp);	/* one 64-bit load on arm64 */
	ok = pmd_present(pmd) && pmd_leaf(pmd) &&
	     (!writable || pmd_write(pmd)) && pmd_pfn(pmd) == want;
out:
	local_irq_restore(flags);
	return ok;
}

static void modkvm_flush_one(phys_addr_t pa, void *arg)
{
	modkvm_dcache_clean_inval(pa, PAGE_SIZE);
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

/*
 * Userspace resets a vCPU that has run (KVM_ARM_VCPU_INIT again) when it
 * reboots the guest, usually after writing a new boot image into guest
 * memory with its own, cacheable, stores. The new guest starts with its
 * MMU and caches off, and so reads memory past the caches: what is still
 * mapped at stage 2 would show it stale data, and stale instructions
 * where code was replaced. A new stage-2 leaf is cleaned to the point of
 * coherency (modkvm_s2_prepare_new), and the instruction cache is made
 * coherent when it becomes executable (modkvm_s2_prepare_exec); so
 * unmapping everything makes the guest fault it all in again, each page
 * prepared anew. The VMID's TLB entries go with it. With forced
 * write-back at stage 2 (s2.fwb) the data needs no cleaning, but the
 * instruction cache still does, so the unmap stays.
 */
void modkvm_mmu_reset(struct modkvm_vm *vm)
{
	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;		/* a fault in flight on another vCPU retries */
	modkvm_s2_unmap(&vm->s2, 0, 1ULL << vm->s2.ipa_bits);
	spin_unlock(&vm->mmu_lock);
}

/*
 * A stage-2 fault, decoded by the arch (modkvm_handle_abort()): map the
 * page, or hand the access to the MMIO emulation, or give the fault back
 * to the guest. A fault that mapping answers is a translation, access
 * flag or permission fault; anything else is the guest's.
 */
int modkvm_handle_guest_abort(struct modkvm_vcpu *vcpu,
			      const struct modkvm_abort *ab)
{
	struct modkvm_vm *vm = vcpu->vm;
	bool iabt = ab->is_exec;
	bool s1ptw = ab->on_s1_walk;
	bool write = ab->is_write;
	u64 ipa = ab->ipa, far = ab->far;
	u64 gfn = ipa >> PAGE_SHIFT;
	struct modkvm_memslot *slot;
	unsigned long hva, seq;
	unsigned int prot;
	struct page *page;
	bool writable, logging, block = false;
	u64 size = PAGE_SIZE;
	int ret;

	if (ab->kind == MODKVM_FAULT_OTHER) {
		/* e.g. a synchronous external abort: the guest's to handle */
		if (iabt)
			modkvm_inject_pabt(vcpu, far);
		else
			modkvm_inject_dabt(vcpu, far);
		return 1;
	}

	/* Beyond the VM's IPA space: an address size fault, the guest's. */
	if (ipa >> vm->s2.ipa_bits) {
		if (iabt)
			modkvm_inject_pabt(vcpu, far);
		else
			modkvm_inject_dabt(vcpu, far);
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
			modkvm_inject_pabt(vcpu, far);
			return 1;
		}
		if (s1ptw) {	/* the guest's page tables are not in RAM */
			modkvm_inject_dabt(vcpu, far);
			return 1;
		}
		vcpu->stat.mmio_exits++;
		return modkvm_mmio_exit(vcpu, ab);
	}

	vcpu->stat.s2_faults++;
	trace_modkvm_s2_fault(vcpu->id, ipa, write, iabt);
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

	/*
	 * Execute permission only when the guest fetches from it: making
	 * memory executable costs instruction cache maintenance.
	 */
	prot = MODKVM_S2_R | (writable ? MODKVM_S2_W : 0) |
	       (iabt && !s1ptw ? MODKVM_S2_X : 0);
	if (block && modkvm_backed_by_block(vm->mm, hva, page, writable))
		size = MODKVM_S2_BLOCK_SIZE;

	ret = modkvm_pgcache_topup(&vcpu->pgcache);
	if (ret)
		goto out;

	spin_lock(&vm->mmu_lock);
	if (vm->mmu_invalidating || vm->mmu_seq != seq) {
		spin_unlock(&vm->mmu_lock);
		goto out;	/* raced with an invalidation: fault again */
	}
	ret = modkvm_s2_map(&vm->s2, ipa & ~(size - 1),
			    page_to_phys(page) & ~(size - 1), size, prot,
			    &vcpu->pgcache);
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
