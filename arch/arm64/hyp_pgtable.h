/* SPDX-License-Identifier: GPL-2.0 */
/* modkvm, nVHE: the EL2 page tables (hyp_pgtable.c) */
#ifndef MODKVM_HYP_PGTABLE_H
#define MODKVM_HYP_PGTABLE_H

#include <linux/bits.h>
#include <linux/types.h>

/* A hyp VA: a kernel address with bits 63:48 cleared (hyp_pgtable.c) */
#define MODKVM_HYP_VA_MASK	GENMASK_ULL(47, 0)

/* MAIR_EL2 attribute indexes: normal write-back memory, device */
#define MODKVM_HYP_MAIR_MEM	0
#define MODKVM_HYP_MAIR_DEV	1
#define MODKVM_HYP_MAIR		(0xffULL | (0x04ULL << 8))

enum modkvm_hyp_prot { MODKVM_HYP_RX, MODKVM_HYP_RO, MODKVM_HYP_RW };

struct modkvm_hyp_pgt {
	u64 *root;		/* level 0, kernel address */
};

u64 modkvm_hyp_va(const void *kva);
int modkvm_hyp_pgt_init(struct modkvm_hyp_pgt *p);
int modkvm_hyp_map_page(struct modkvm_hyp_pgt *p, u64 va, phys_addr_t pa,
			enum modkvm_hyp_prot prot);
int modkvm_hyp_map_kernel(struct modkvm_hyp_pgt *p, const void *kva,
			  size_t size, enum modkvm_hyp_prot prot);
void modkvm_hyp_unmap_kernel(struct modkvm_hyp_pgt *p, const void *kva,
			     size_t size);
void modkvm_hyp_pgt_clean(struct modkvm_hyp_pgt *p);
void modkvm_hyp_pgt_free(struct modkvm_hyp_pgt *p);
phys_addr_t modkvm_hyp_pgt_root(const struct modkvm_hyp_pgt *p);

#endif /* MODKVM_HYP_PGTABLE_H */
