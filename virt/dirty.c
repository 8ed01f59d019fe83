// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty page logging: KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG, the
 * groundwork of live migration.
 *
 * A slot with KVM_MEM_LOG_DIRTY_PAGES maps pages read-only on a read
 * fault; the first write faults again, sets the page's bit and maps it
 * writable (mmu.c). Re-arming a page write-protects its stage-2 entry:
 * the page stays mapped, reads go on without a fault, and the next write
 * faults and is seen again. The stale writable TLB entries of a whole
 * harvest go in one VMID-wide flush before the ioctl returns, so a write
 * made after it returns is always logged (and one made before it is in
 * memory when userspace copies the page).
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "modkvm.h"
#include "stage2.h"

#define MODKVM_DIRTY_LOG_FLAGS	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | \
				 KVM_DIRTY_LOG_INITIALLY_SET)

long modkvm_dirty_log_caps(void)
{
	return MODKVM_DIRTY_LOG_FLAGS;
}

int modkvm_enable_manual_protect(struct modkvm_vm *vm, u64 flags)
{
	if (flags & ~MODKVM_DIRTY_LOG_FLAGS)
		return -EINVAL;
	if (flags == KVM_DIRTY_LOG_INITIALLY_SET)
		return -EINVAL;	/* depends on MANUAL_PROTECT_ENABLE */
	vm->dirty_log_flags = flags;
	return 0;
}

/*
 * Clear the bits of @mask in word @w of the slot's log and write-protect
 * those pages; returns how many stage-2 entries changed. The caller holds
 * vm->mmu_lock and ends the batch with modkvm_rearm_flush().
 */
static u64 modkvm_rearm(struct modkvm_vm *vm, struct modkvm_memslot *s,
			u64 w, unsigned long mask)
{
	u64 gfn = s->base_gfn + w * BITS_PER_LONG, changed = 0;
	unsigned long bit;

	s->dirty[w] &= ~mask;
	for_each_set_bit(bit, &mask, BITS_PER_LONG)
		changed += modkvm_s2_wrprotect(&vm->s2, (gfn + bit) << PAGE_SHIFT,
					       PAGE_SIZE);
	return changed;
}

/* The descriptors visible, then the writable TLB entries dropped at once */
static void modkvm_rearm_flush(struct modkvm_vm *vm, u64 changed)
{
	if (!changed)
		return;
	modkvm_s2_sync();
	modkvm_tlb_flush_vmid(&vm->s2);
}

static struct modkvm_memslot *modkvm_logged_slot(struct modkvm_vm *vm, u32 id)
{
	struct modkvm_memslot *s;

	if ((id >> 16) || (id & 0xffff) >= MODKVM_MAX_MEMSLOTS)
		return NULL;
	s = vm->slots[id & 0xffff];
	return s && s->dirty ? s : NULL;
}

int modkvm_get_dirty_log(struct modkvm_vm *vm, struct kvm_dirty_log *log)
{
	bool manual = vm->dirty_log_flags & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	struct modkvm_memslot *s;
	unsigned long *copy;
	size_t bytes;
	u64 w, changed = 0;
	int ret = 0;

	mutex_lock(&vm->lock);
	s = modkvm_logged_slot(vm, log->slot);
	if (!s) {
		ret = -ENOENT;
		goto out;
	}
	bytes = BITS_TO_LONGS(s->npages) * sizeof(long);
	copy = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!copy) {
		ret = -ENOMEM;
		goto out;
	}
	spin_lock(&vm->mmu_lock);
	for (w = 0; w < BITS_TO_LONGS(s->npages); w++) {
		copy[w] = s->dirty[w];
		if (!manual && copy[w])
			changed += modkvm_rearm(vm, s, w, copy[w]);
	}
	modkvm_rearm_flush(vm, changed);
	spin_unlock(&vm->mmu_lock);
	if (copy_to_user(log->dirty_bitmap, copy, bytes))
		ret = -EFAULT;
	kvfree(copy);
out:
	mutex_unlock(&vm->lock);
	return ret;
}

int modkvm_clear_dirty_log(struct modkvm_vm *vm, struct kvm_clear_dirty_log *log)
{
	struct modkvm_memslot *s;
	unsigned long *bits;
	size_t bytes;
	u64 w, first, changed = 0;
	int ret = 0;

	if (log->first_page & 63)
		return -EINVAL;
	mutex_lock(&vm->lock);
	s = modkvm_logged_slot(vm, log->slot);
	if (!s) {
		ret = -ENOENT;
		goto out;
	}
	if (log->first_page > s->npages ||
	    log->num_pages > s->npages - log->first_page ||
	    ((log->num_pages & 63) &&
	     log->first_page + log->num_pages != s->npages)) {
		ret = -EINVAL;
		goto out;
	}
	if (!log->num_pages)
		goto out;
	bytes = BITS_TO_LONGS(log->num_pages) * sizeof(long);
	bits = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!bits) {
		ret = -ENOMEM;
		goto out;
	}
	if (copy_from_user(bits, log->dirty_bitmap, bytes)) {
		ret = -EFAULT;
		goto free;
	}
	/* Bits past num_pages in the last word are ignored. */
	if (log->num_pages % BITS_PER_LONG)
		bits[bytes / sizeof(long) - 1] &=
			BITMAP_LAST_WORD_MASK(log->num_pages);
	first = log->first_page / BITS_PER_LONG;
	spin_lock(&vm->mmu_lock);
	for (w = 0; w < bytes / sizeof(long); w++) {
		unsigned long mask = bits[w] & s->dirty[first + w];

		if (mask)
			changed += modkvm_rearm(vm, s, first + w, mask);
	}
	modkvm_rearm_flush(vm, changed);
	spin_unlock(&vm->mmu_lock);
free:
	kvfree(bits);
out:
	mutex_unlock(&vm->lock);
	return ret;
}
