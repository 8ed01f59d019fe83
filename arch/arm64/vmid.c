// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: VMIDs, recycled by generations.
 *
 * The VMID tags a VM's stage-1 and stage-2 TLB entries (Arm ARM DDI
 * 0487, "Use of ASIDs and VMIDs to reduce TLB maintenance requirements",
 * and VTTBR_EL2.VMID): it is 8 bits, or 16 when
 * ID_AA64MMFR1_EL1.VMIDBits says so and VTCR_EL2.VS selects them. VMID 0
 * stays the host's. An ARMv8.0 CPU often has only 8 bits, 255 VMIDs for
 * guests, so a VM does not own a VMID for its whole life: it holds one
 * for a generation.
 *
 * A VM's s2->vmid is (generation | VMID), 0 before it first runs. The
 * global generation counts in steps of 2^bits, so the low bits of the
 * same u64 are the VMID. A VM's VMID is valid while its generation is
 * the current one. A vCPU makes sure of that on each entry to the guest
 * (modkvm_vmid_update(), interrupts off):
 *
 *  - fast path, no lock: the VM's generation is current and this CPU's
 *    vmid_active is not 0: vmid_active becomes the VM's id by cmpxchg;
 *  - slow path, under vmid_lock: the VM keeps its VMID number if it is
 *    still its own (reserved, see below, or free), else gets a free one;
 *    when none is free the generation rolls over: every VMID but the
 *    reserved ones becomes free, and TLBI ALLE1IS (all VMIDs, stage 1
 *    and 2, broadcast to every PE in the Inner Shareable domain, Arm ARM
 *    "TLB maintenance instructions") followed by DSB ISH drops every
 *    guest TLB entry on every CPU before any VMID is handed out again.
 *
 * A CPU may be running a guest with an old-generation VMID during the
 * rollover, and keep filling its TLB with entries tagged with it after
 * the invalidation. So that no other VM inherits those entries, the
 * rollover keeps, per CPU, the VMID it last entered a guest with
 * (vmid_active, swapped for 0; when that is already 0 because the CPU
 * has not entered a guest since the last rollover, it may still be in
 * that same guest, so its previous reservation stays): those VMIDs are
 * not freed in the new generation, and the VM that had one keeps it when
 * it next enters. The race with a CPU's fast path is closed by the
 * cmpxchg: either it wrote vmid_active before the rollover swapped it,
 * and the rollover reserves that VMID, or it fails on the 0 and takes
 * the slow path, under the lock, after the rollover. Two vCPUs of one VM
 * on two CPUs both find the VM's VMID current, or serialize on the lock,
 * where the second finds it updated by the first.
 *
 * This needs more VMIDs than CPUs (plus the host's 0): checked at load.
 * Instruction caches are not invalidated at a rollover: the one policy
 * whose lines were tagged with the VMID, VPIPT, is no longer part of the
 * architecture, and modkvm does not handle it.
 *
 * Stage-2 changes invalidate by the VM's VMID as it is when the flush is
 * made (modkvm_vmid_for_flush()): the table update, a full barrier, then
 * the read of the VMID, against the VMID's update, a full barrier, then
 * the walks of the guest that uses it. Either the flush sees the new VMID,
 * or the guest's walks see the new tables. An old-generation VMID that is
 * flushed may be another VM's by now: that costs it a refill, no more.
 *
 * Locks: vmid_lock is a raw spinlock taken with interrupts off (at guest
 * entry, preemption is off too); it nests inside nothing of modkvm's and
 * takes nothing else.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/barrier.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "el2_regs.h"

#define MMFR1_VMIDBITS	GENMASK_ULL(7, 4)
#define MODKVM_VMID_MAX_BITS	16

/*
 * For testing recycling on CPUs with 16-bit VMIDs: use only this many
 * bits (VTCR_EL2.VS clear when 8 or fewer). 0: what the CPU has. Read at
 * load; reads back as the width in use. Given, it also turns on the
 * check that no VMID has two holders (vmid_owner below).
 */
static unsigned int vmid_bits;
module_param(vmid_bits, uint, 0444);
MODULE_PARM_DESC(vmid_bits,
		 "VMID width to use, for testing VMID recycling, with a check that no VMID has two holders (0: the CPU's, 8 or 16, and no check; clamped to it, and to enough VMIDs for every CPU)");

static DEFINE_RAW_SPINLOCK(vmid_lock);
static unsigned long vmid_map[BITS_TO_LONGS(1 << MODKVM_VMID_MAX_BITS)];
static atomic64_t vmid_generation;
static unsigned long vmid_next;		/* where the search for a free one goes on */
static DEFINE_PER_CPU(atomic64_t, vmid_active);
static DEFINE_PER_CPU(u64, vmid_reserved);

/*
 * With vmid_bits given (testing), the VM holding each VMID in this
 * generation is recorded, and a VMID found with a second live holder is
 * a kernel warning. The emulated server's TLB (QEMU TCG's) is flushed on
 * every VTTBR_EL2 change, so a VMID shared by two VMs would otherwise go
 * unnoticed there. Under vmid_lock.
 */
static struct modkvm_s2 **vmid_owner;
/*
 * And what each CPU entered a guest with last (written by that CPU at
 * entry, read under vmid_lock), which it may still be in:
 * its VMID may not go to another VM (the rollover's reservations).
 */
struct vmid_running {
	const struct modkvm_s2 *s2;
	u16 vmid;
};
static DEFINE_PER_CPU(struct vmid_running, vmid_running);

static inline u64 vmid_count(void)
{
	return 1ULL << vmid_bits;
}

static inline u16 vmid_of(u64 id)
{
	return id & (vmid_count() - 1);
}

static inline bool vmid_current(u64 id)
{
	return !((id ^ atomic64_read(&vmid_generation)) >> vmid_bits);
}

/* The width the CPU has (ID_AA64MMFR1_EL1.VMIDBits: 0b0010 is 16 bits) */
static unsigned int vmid_hw_bits(void)
{
	return FIELD_GET(MMFR1_VMIDBITS,
			 read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1)) == 2 ?
	       16 : 8;
}

int modkvm_vmid_init(void)
{
	unsigned int hw = vmid_hw_bits(), want = vmid_bits ?: hw, min = 1;
	bool testing = vmid_bits;
	int cpu;

	/* one VMID per CPU's reservation, the host's 0, and one to hand out */
	while ((1U << min) < num_possible_cpus() + 2)
		min++;
	if (min > hw) {
		pr_err("refusing to load: %u-bit VMIDs are too few for %u CPUs\n",
		       hw, num_possible_cpus());
		return -ENODEV;
	}
	vmid_bits = clamp(want, min, hw);
	if (vmid_bits != want)
		pr_warn("vmid_bits=%u: using %u (the CPU has %u, %u CPUs need at least %u)\n",
			want, vmid_bits, hw, num_possible_cpus(), min);

	if (testing) {
		vmid_owner = kvcalloc(vmid_count(), sizeof(*vmid_owner),
				      GFP_KERNEL);
		if (!vmid_owner)
			return -ENOMEM;
	}
	bitmap_zero(vmid_map, vmid_count());
	__set_bit(0, vmid_map);			/* the host's */
	vmid_next = 1;
	atomic64_set(&vmid_generation, vmid_count());	/* generation 1 */
	for_each_possible_cpu(cpu) {
		atomic64_set(per_cpu_ptr(&vmid_active, cpu), 0);
		per_cpu(vmid_reserved, cpu) = 0;
	}
	return 0;
}

void modkvm_vmid_exit(void)
{
	kvfree(vmid_owner);
	vmid_owner = NULL;
}

/*
 * @s2, which had @old, holds @id now: nobody else may hold it (see
 * vmid_owner). A VMID it left is no longer recorded as its own, so that
 * no entry outlives the VM.
 */
static void vmid_check_owner(struct modkvm_s2 *s2, u64 old, u64 id)
{
	struct modkvm_s2 *o;
	u64 oid;
	int cpu;

	if (!vmid_owner)
		return;
	if (vmid_owner[vmid_of(old)] == s2)
		vmid_owner[vmid_of(old)] = NULL;
	o = vmid_owner[vmid_of(id)];
	if (o && o != s2) {
		oid = atomic64_read(&o->vmid);
		WARN(oid == id, "modkvm: VMID %u of generation %llu held by two VMs\n",
		     vmid_of(id), id >> vmid_bits);
	}
	vmid_owner[vmid_of(id)] = s2;
	for_each_possible_cpu(cpu) {
		const struct vmid_running *r = per_cpu_ptr(&vmid_running, cpu);
		const struct modkvm_s2 *rs2 = READ_ONCE(r->s2);
		u16 v;

		smp_rmb();
		v = READ_ONCE(r->vmid);
		smp_rmb();
		/* a CPU changing it now is in its fast path: not a pair */
		if (!rs2 || rs2 != READ_ONCE(r->s2))
			continue;
		WARN(rs2 != s2 && v == vmid_of(id),
		     "modkvm: VMID %u handed to a VM while CPU%d may be in another VM's guest with it\n",
		     vmid_of(id), cpu);
	}
}

/* Testing: what this CPU enters the guest with (vmid_running) */
static void vmid_note_running(const struct modkvm_s2 *s2, u64 id)
{
	struct vmid_running *r = this_cpu_ptr(&vmid_running);

	/* read in the opposite order by vmid_check_owner() */
	WRITE_ONCE(r->s2, NULL);
	smp_wmb();
	WRITE_ONCE(r->vmid, vmid_of(id));
	smp_wmb();
	WRITE_ONCE(r->s2, s2);
}

unsigned int modkvm_vmid_width(void)
{
	return vmid_bits;
}

/* VTCR_EL2.VS: 16-bit VMIDs when more than 8 bits are used */
u64 modkvm_vmid_vtcr(void)
{
	return vmid_bits > 8 ? MK_VTCR_VS : 0;
}

/*
 * A new generation: free every VMID but the CPUs' reserved ones, and
 * drop every guest TLB entry everywhere. Under vmid_lock, interrupts off.
 */
static void vmid_rollover(void)
{
	u64 id;
	int cpu;

	atomic64_add(vmid_count(), &vmid_generation);
	bitmap_zero(vmid_map, vmid_count());
	__set_bit(0, vmid_map);
	for_each_possible_cpu(cpu) {
		id = atomic64_xchg(per_cpu_ptr(&vmid_active, cpu), 0);
		if (!id)
			id = per_cpu(vmid_reserved, cpu);
		per_cpu(vmid_reserved, cpu) = id;
		__set_bit(vmid_of(id), vmid_map);
	}
	vmid_next = 1;
	modkvm_call_hyp(tlb_flush_all);
}

/*
 * Is @old reserved by a CPU? Then its VM keeps that VMID: the
 * reservations move to @id, the same VMID in this generation.
 */
static bool vmid_keep_reserved(u64 old, u64 id)
{
	bool found = false;
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(vmid_reserved, cpu) == old) {
			per_cpu(vmid_reserved, cpu) = id;
			found = true;
		}
	}
	return found;
}

/* A VMID of the current generation for a VM that had @old; under vmid_lock */
static u64 vmid_new(u64 old)
{
	u64 gen = atomic64_read(&vmid_generation);
	unsigned long v;

	if (old) {
		u64 id = gen | vmid_of(old);

		if (vmid_keep_reserved(old, id))
			return id;
		/* its number, if nobody has it in this generation */
		if (!__test_and_set_bit(vmid_of(old), vmid_map))
			return id;
	}
	v = find_next_zero_bit(vmid_map, vmid_count(), vmid_next);
	if (v == vmid_count())		/* one freed below the hint? */
		v = find_next_zero_bit(vmid_map, vmid_count(), 1);
	if (v == vmid_count()) {
		vmid_rollover();
		gen = atomic64_read(&vmid_generation);
		v = find_next_zero_bit(vmid_map, vmid_count(), 1);
	}
	/* there are more VMIDs than reservations: modkvm_vmid_init() */
	__set_bit(v, vmid_map);
	vmid_next = v + 1;
	return gen | v;
}

/*
 * On entry to the guest, interrupts off: make the VM's VMID valid on this
 * CPU and VTTBR_EL2's value (s2->vttbr) carry it.
 */
void modkvm_vmid_update(struct modkvm_vcpu *vcpu)
{
	struct modkvm_s2 *s2 = &vcpu->vm->s2;
	atomic64_t *active = this_cpu_ptr(&vmid_active);
	u64 id = atomic64_read_acquire(&s2->vmid), cur = atomic64_read(active);
	u64 old;

	if (cur && vmid_current(id) &&
	    atomic64_cmpxchg_relaxed(active, cur, id) == cur) {
		if (unlikely(vmid_owner))
			vmid_note_running(s2, id);
		return;
	}

	raw_spin_lock(&vmid_lock);
	old = atomic64_read(&s2->vmid);
	id = old;
	if (!vmid_current(id)) {
		id = vmid_new(old);
		WRITE_ONCE(s2->vttbr, virt_to_phys(s2->pgd) |
			   ((u64)vmid_of(id) << MK_VTTBR_VMID_SHIFT));
		atomic64_set_release(&s2->vmid, id);
	}
	vmid_check_owner(s2, old, id);
	if (vmid_owner)
		vmid_note_running(s2, id);
	atomic64_set(active, id);
	raw_spin_unlock(&vmid_lock);
	/*
	 * The new VMID is visible before the guest walks the tables with it:
	 * pairs with the barrier in modkvm_vmid_for_flush().
	 */
	smp_mb();
}

/*
 * The VMID a stage-2 change must invalidate, after that change is written
 * (and made visible to the walkers); 0: the VM never ran, so nothing of
 * it can be in a TLB.
 */
u16 modkvm_vmid_for_flush(struct modkvm_s2 *s2)
{
	smp_mb();	/* pairs with modkvm_vmid_update()'s */
	return vmid_of(atomic64_read(&s2->vmid));
}

/*
 * The VM is going away, no vCPU of it runs: drop its TLB entries and,
 * when its VMID is of this generation, hand the VMID back.
 */
void modkvm_vmid_free(struct modkvm_s2 *s2)
{
	unsigned long flags;
	u64 id;

	modkvm_tlb_flush_vmid(s2);
	id = atomic64_read(&s2->vmid);
	if (!id)
		return;
	raw_spin_lock_irqsave(&vmid_lock, flags);
	/*
	 * A CPU's reservation of it may stay behind: it is then the next
	 * holder's, as no TLB entry of this VM survived the flush above.
	 */
	if (vmid_current(id))
		__clear_bit(vmid_of(id), vmid_map);
	if (vmid_owner) {
		int cpu;

		if (vmid_owner[vmid_of(id)] == s2)
			vmid_owner[vmid_of(id)] = NULL;
		for_each_possible_cpu(cpu)
			if (per_cpu(vmid_running.s2, cpu) == s2)
				WRITE_ONCE(per_cpu(vmid_running.s2, cpu), NULL);
	}
	raw_spin_unlock_irqrestore(&vmid_lock, flags);
	atomic64_set(&s2->vmid, 0);
}
