// SPDX-License-Identifier: GPL-2.0
/*
 * Memslots: KVM_SET_USER_MEMORY_REGION.
 *
 * A slot maps a range of guest physical pages onto the creator's
 * anonymous or file-backed memory. The slot table changes under vm->lock
 * and, for readers in the fault path, under vm->mmu_lock; every change
 * bumps mmu_seq so a fault racing with it retries, and the stage-2
 * mappings of a slot that goes away or moves are removed before the slot
 * is freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "modkvm.h"

#define MODKVM_MEM_FLAGS	(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)

/* Caller holds vm->mmu_lock (or vm->lock with no fault possible). */
struct modkvm_memslot *modkvm_gfn_to_slot(struct modkvm_vm *vm, u64 gfn)
{
	int i;

	for (i = 0; i < MODKVM_MAX_MEMSLOTS; i++) {
		struct modkvm_memslot *s = vm->slots[i];

		if (s && gfn >= s->base_gfn && gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

static bool modkvm_slot_overlaps(struct modkvm_vm *vm, u16 id, u64 gfn,
				 u64 npages)
{
	int i;

	for (i = 0; i < MODKVM_MAX_MEMSLOTS; i++) {
		struct modkvm_memslot *s = vm->slots[i];

		if (s && i != id && gfn < s->base_gfn + s->npages &&
		    s->base_gfn < gfn + npages)
			return true;
	}
	return false;
}

static void modkvm_slot_free(struct modkvm_memslot *s)
{
	if (s) {
		kvfree(s->dirty);
		kfree(s);
	}
}

/* Swap the table entry and drop the old slot's stage-2 mappings. */
static void modkvm_slot_replace(struct modkvm_vm *vm, u16 id,
				struct modkvm_memslot *new)
{
	struct modkvm_memslot *old = vm->slots[id];

	spin_lock(&vm->mmu_lock);
	vm->slots[id] = new;
	vm->mmu_seq++;
	vm->stat.memslot_changes++;
	spin_unlock(&vm->mmu_lock);
	if (old)
		modkvm_unmap_gfn_range(vm, old->base_gfn, old->npages);
	modkvm_slot_free(old);
}

int modkvm_set_memory_region(struct modkvm_vm *vm,
			     const struct kvm_userspace_memory_region *mem)
{
	u16 id = mem->slot & 0xffff;
	struct modkvm_memslot *old, *new;
	u64 gfn, npages;
	int ret = 0;

	if ((mem->slot >> 16) || id >= MODKVM_MAX_MEMSLOTS)
		return -EINVAL;	/* one address space on arm64 */
	if (mem->flags & ~MODKVM_MEM_FLAGS)
		return -EINVAL;
	if (!PAGE_ALIGNED(mem->memory_size) ||
	    !PAGE_ALIGNED(mem->guest_phys_addr) ||
	    !PAGE_ALIGNED(mem->userspace_addr))
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if (mem->memory_size &&
	    (mem->userspace_addr + mem->memory_size < mem->userspace_addr ||
	     !access_ok((void __user *)(unsigned long)mem->userspace_addr,
			mem->memory_size)))
		return -EINVAL;

	gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	npages = mem->memory_size >> PAGE_SHIFT;

	mutex_lock(&vm->lock);
	old = vm->slots[id];

	if (!npages) {				/* delete */
		if (!old)
			ret = -EINVAL;
		else
			modkvm_slot_replace(vm, id, NULL);
		goto out;
	}

	if ((mem->guest_phys_addr + mem->memory_size - 1) >> vm->s2.ipa_bits) {
		ret = -EFAULT;			/* beyond the VM's IPA space */
		goto out;
	}

	if (old) {
		/* Only the address (move) and dirty logging may change. */
		if (old->npages != npages || old->hva != mem->userspace_addr ||
		    (old->flags ^ mem->flags) & KVM_MEM_READONLY) {
			ret = -EINVAL;
			goto out;
		}
		if (old->base_gfn == gfn && old->flags == mem->flags)
			goto out;		/* nothing changes */
	}
	if (modkvm_slot_overlaps(vm, id, gfn, npages)) {
		ret = -EEXIST;
		goto out;
	}

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new) {
		ret = -ENOMEM;
		goto out;
	}
	new->id = id;
	new->flags = mem->flags;
	new->base_gfn = gfn;
	new->npages = npages;
	new->hva = mem->userspace_addr;
	if (new->flags & KVM_MEM_LOG_DIRTY_PAGES) {
		new->dirty = kvzalloc(BITS_TO_LONGS(npages) * sizeof(long),
				      GFP_KERNEL_ACCOUNT);
		if (!new->dirty) {
			kfree(new);
			ret = -ENOMEM;
			goto out;
		}
		if (vm->dirty_log_flags & KVM_DIRTY_LOG_INITIALLY_SET)
			bitmap_set(new->dirty, 0, npages);
	}
	modkvm_slot_replace(vm, id, new);
out:
	mutex_unlock(&vm->lock);
	return ret;
}

void modkvm_free_memslots(struct modkvm_vm *vm)
{
	int i;

	for (i = 0; i < MODKVM_MAX_MEMSLOTS; i++) {
		modkvm_slot_free(vm->slots[i]);
		vm->slots[i] = NULL;
	}
}

/*
 * Guest memory seen by the kernel's own devices (the vGIC's LPI tables,
 * the ITS command queue): @len bytes at @gpa through the VMM's mapping of
 * the memslots. From the VMM's process only (a vCPU or an ioctl).
 * -EFAULT if a byte is outside the memslots (or, to write, in a
 * read-only one) or its page cannot be had. Writes mark dirty pages.
 */
static int modkvm_guest_rw(struct modkvm_vm *vm, u64 gpa, void *buf,
			   unsigned long len, bool write)
{
	while (len) {
		unsigned long n = min_t(unsigned long, len,
					PAGE_SIZE - offset_in_page(gpa));
		struct modkvm_memslot *slot;
		u64 gfn = gpa >> PAGE_SHIFT;
		unsigned long hva = 0;

		if (current->mm != vm->mm)
			return -EFAULT;
		spin_lock(&vm->mmu_lock);
		slot = modkvm_gfn_to_slot(vm, gfn);
		if (slot && !(write && (slot->flags & KVM_MEM_READONLY)))
			hva = slot->hva + ((gfn - slot->base_gfn) << PAGE_SHIFT) +
			      offset_in_page(gpa);
		spin_unlock(&vm->mmu_lock);
		if (!hva)
			return -EFAULT;
		if (write ? copy_to_user((void __user *)hva, buf, n) :
			    copy_from_user(buf, (const void __user *)hva, n))
			return -EFAULT;
		if (write) {
			spin_lock(&vm->mmu_lock);
			slot = modkvm_gfn_to_slot(vm, gfn);
			if (slot && slot->dirty)
				set_bit(gfn - slot->base_gfn, slot->dirty);
			spin_unlock(&vm->mmu_lock);
		}
		gpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int modkvm_read_guest(struct modkvm_vm *vm, u64 gpa, void *buf,
		      unsigned long len)
{
	return modkvm_guest_rw(vm, gpa, buf, len, false);
}

int modkvm_write_guest(struct modkvm_vm *vm, u64 gpa, const void *buf,
		       unsigned long len)
{
	return modkvm_guest_rw(vm, gpa, (void *)buf, len, true);
}
