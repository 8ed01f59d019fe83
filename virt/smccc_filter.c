// SPDX-License-Identifier: GPL-2.0
/*
 * The SMCCC filter: KVM_ARM_VM_SMCCC_CTRL / KVM_ARM_VM_SMCCC_FILTER on the
 * VM fd (Documentation/virt/kvm/devices/vm.rst). Userspace lists ranges of
 * SMCCC function IDs with an action for the guest's HVC and SMC calls in
 * them: HANDLE (modkvm's own emulation, the default for IDs in no range),
 * DENY (NOT_SUPPORTED in x0) or FWD_TO_USER (a KVM_EXIT_HYPERCALL exit).
 *
 * Ranges are kept in one sorted array of disjoint [first, last] intervals,
 * neighbours with the same action merged, so a guest's call costs a binary
 * search (and nothing at all while the filter is empty). The array grows
 * by doubling up to MODKVM_SMCCC_FILTER_MAX ranges, past which the
 * attribute fails with ENOMEM; it is changed under vm->lock and only until
 * a vCPU has run (EBUSY after), so the run loop reads it without a lock.
 *
 * Rejected: a nonzero pad, no functions, a range that wraps (it may end
 * with function 0xffffffff, no further) or an unknown action (EINVAL), and a
 * range that meets one already set or the Arm Architecture Calls ranges
 * 0x80000000-0x8000ffff and 0xc0000000-0xc000ffff (EEXIST).
 *
 * The filter needs the 6.4 UAPI; built against older headers, the
 * attribute does not exist (ENXIO) and every call is handled.
 */
#include <linux/build_bug.h>
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "modkvm.h"

#define MODKVM_SMCCC_FILTER_MIN	16
#define MODKVM_SMCCC_FILTER_MAX	4096

struct modkvm_smccc_range {
	u32 first;
	u32 last;		/* inclusive */
	u8 action;		/* enum modkvm_smccc_action */
};

void modkvm_smccc_filter_free(struct modkvm_vm *vm)
{
	kvfree(vm->smccc_filter.ranges);
	vm->smccc_filter.ranges = NULL;
	vm->smccc_filter.nr = 0;
	vm->smccc_filter.size = 0;
}

#ifdef KVM_ARM_VM_SMCCC_CTRL

static_assert((int)MODKVM_SMCCC_HANDLE == (int)KVM_SMCCC_FILTER_HANDLE);
static_assert((int)MODKVM_SMCCC_DENY == (int)KVM_SMCCC_FILTER_DENY);
static_assert((int)MODKVM_SMCCC_FWD_TO_USER == (int)KVM_SMCCC_FILTER_FWD_TO_USER);

/* Index of the first range that ends at or after fn (nr if none). */
static unsigned int range_index(const struct modkvm_smccc_filter *f, u32 fn)
{
	unsigned int lo = 0, hi = f->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (f->ranges[mid].last < fn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

u8 __modkvm_smccc_filter_action(struct modkvm_vm *vm, u32 fn)
{
	const struct modkvm_smccc_filter *f = &vm->smccc_filter;
	unsigned int i = range_index(f, fn);

	if (i < f->nr && f->ranges[i].first <= fn)
		return f->ranges[i].action;
	return MODKVM_SMCCC_HANDLE;
}

/* The Arm Architecture Calls (SMCCC owner 0), fast SMC32 and SMC64 */
static bool is_reserved(u32 first, u32 last)
{
	static const u32 reserved[][2] = {
		{ 0x80000000, 0x8000ffff },
		{ 0xc0000000, 0xc000ffff },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reserved); i++)
		if (first <= reserved[i][1] && last >= reserved[i][0])
			return true;
	return false;
}

static int filter_grow(struct modkvm_smccc_filter *f)
{
	unsigned int size = f->size ? f->size * 2 : MODKVM_SMCCC_FILTER_MIN;
	struct modkvm_smccc_range *r;

	if (f->size >= MODKVM_SMCCC_FILTER_MAX)
		return -ENOMEM;
	r = kvmalloc_array(size, sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	if (f->nr)
		memcpy(r, f->ranges, f->nr * sizeof(*r));
	kvfree(f->ranges);
	f->ranges = r;
	f->size = size;
	return 0;
}

/* Add [first, last] with action; under vm->lock. */
static int filter_insert(struct modkvm_smccc_filter *f, u32 first, u32 last,
			 u8 action)
{
	unsigned int i = range_index(f, first);
	struct modkvm_smccc_range *prev, *next;
	int ret;

	if (i < f->nr && f->ranges[i].first <= last)
		return -EEXIST;

	/* Merge with a neighbour that touches it and does the same. */
	prev = i > 0 ? &f->ranges[i - 1] : NULL;
	next = i < f->nr ? &f->ranges[i] : NULL;
	if (prev && (prev->action != action || prev->last + 1 != first))
		prev = NULL;
	if (next && (next->action != action || last + 1 != next->first))
		next = NULL;
	if (prev && next) {
		prev->last = next->last;
		memmove(next, next + 1, (f->nr - i - 1) * sizeof(*next));
		f->nr--;
		return 0;
	}
	if (prev) {
		prev->last = last;
		return 0;
	}
	if (next) {
		next->first = first;
		return 0;
	}

	if (f->nr == f->size) {
		ret = filter_grow(f);
		if (ret)
			return ret;
	}
	memmove(&f->ranges[i + 1], &f->ranges[i],
		(f->nr - i) * sizeof(*f->ranges));
	f->ranges[i] = (struct modkvm_smccc_range) {
		.first = first, .last = last, .action = action,
	};
	f->nr++;
	return 0;
}

static int filter_set(struct modkvm_vm *vm, const struct kvm_smccc_filter *uf)
{
	u32 last;
	int ret;

	if (memchr_inv(uf->pad, 0, sizeof(uf->pad)) || !uf->nr_functions ||
	    uf->action > KVM_SMCCC_FILTER_FWD_TO_USER)
		return -EINVAL;
	/* [base, base + nr_functions) may end at 2^32 but not go past it */
	if (check_add_overflow(uf->base, uf->nr_functions - 1, &last))
		return -EINVAL;
	if (is_reserved(uf->base, last))
		return -EEXIST;

	mutex_lock(&vm->lock);
	if (vm->ran) {
		ret = -EBUSY;
	} else {
		ret = filter_insert(&vm->smccc_filter, uf->base, last,
				    uf->action);
		/* A denied or forwarded query is not answered in advance */
		if (!ret)
			modkvm_smccc_fast_update(vm);
	}
	mutex_unlock(&vm->lock);
	return ret;
}

int modkvm_smccc_filter_has_attr(struct modkvm_vm *vm,
				 const struct kvm_device_attr *attr)
{
	if (attr->group == KVM_ARM_VM_SMCCC_CTRL &&
	    attr->attr == KVM_ARM_VM_SMCCC_FILTER)
		return 0;
	return -ENXIO;
}

int modkvm_smccc_filter_set_attr(struct modkvm_vm *vm,
				 const struct kvm_device_attr *attr)
{
	struct kvm_smccc_filter uf;

	if (modkvm_smccc_filter_has_attr(vm, attr))
		return -ENXIO;
	if (copy_from_user(&uf, u64_to_user_ptr(attr->addr), sizeof(uf)))
		return -EFAULT;
	return filter_set(vm, &uf);
}

/*
 * KVM_EXIT_HYPERCALL for a forwarded call: the function ID and the
 * conduit; userspace reads the arguments and writes the results with
 * KVM_{GET,SET}_ONE_REG. The PC is already past the HVC or SMC.
 */
int modkvm_smccc_forward(struct modkvm_vcpu *vcpu, u32 fn)
{
	struct kvm_run *run = vcpu->run;

	memset(&run->hypercall, 0, sizeof(run->hypercall));
	run->hypercall.nr = fn;
	if (modkvm_smccc_by_smc(&vcpu->arch))
		run->hypercall.flags = KVM_HYPERCALL_EXIT_SMC;
	run->exit_reason = KVM_EXIT_HYPERCALL;
	return 0;
}

#else /* !KVM_ARM_VM_SMCCC_CTRL: UAPI older than 6.4 */

u8 __modkvm_smccc_filter_action(struct modkvm_vm *vm, u32 fn)
{
	return MODKVM_SMCCC_HANDLE;
}

int modkvm_smccc_filter_has_attr(struct modkvm_vm *vm,
				 const struct kvm_device_attr *attr)
{
	return -ENXIO;
}

int modkvm_smccc_filter_set_attr(struct modkvm_vm *vm,
				 const struct kvm_device_attr *attr)
{
	return -ENXIO;
}

int modkvm_smccc_forward(struct modkvm_vcpu *vcpu, u32 fn)
{
	return -EINVAL;		/* no filter, so never forwarded */
}

#endif
