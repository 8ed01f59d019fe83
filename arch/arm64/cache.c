// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: cache maintenance on guest memory, by physical address
 * through the kernel's linear map. The stage-2 walker (virt/stage2.c)
 * asks for it as memory becomes visible to the guest, or executable;
 * virt/mmu.c for all of the guest's memory when the guest cleans its
 * caches by set/way.
 */
#include <linux/mm.h>
#include <asm/cacheflush.h>

#include "modkvm.h"

/* Clean and invalidate @pa..+@size to the point of coherency */
void modkvm_dcache_clean_inval(phys_addr_t pa, u64 size)
{
	u64 line = 4U << ((read_sysreg(ctr_el0) >> 16) & 0xf);	/* DminLine */
	unsigned long va = (unsigned long)phys_to_virt(pa);
	unsigned long p = va & ~(line - 1);
	unsigned long end = va + size;

	for (; p < end; p += line)
		asm volatile("dc civac, %0" : : "r"(p) : "memory");
	dsb(ish);
}

/* Called by the stage-2 walker, under vm->mmu_lock: nothing sleeps. */
void modkvm_s2_prepare_new(phys_addr_t pa, u64 size)
{
	modkvm_dcache_clean_inval(pa, size);
}

void modkvm_s2_prepare_exec(phys_addr_t pa, u64 size)
{
	unsigned long va = (unsigned long)phys_to_virt(pa);

	caches_clean_inval_pou(va, va + size);
}
