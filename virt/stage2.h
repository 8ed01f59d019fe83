/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The LPAE stage-2 walker (stage2.c), shared by both Arm flavours.
 */
#ifndef MODKVM_STAGE2_H
#define MODKVM_STAGE2_H

#include <linux/types.h>

struct modkvm_s2;

#define MODKVM_S2_R	BIT(0)
#define MODKVM_S2_W	BIT(1)
#define MODKVM_S2_X	BIT(2)

/* Tables for one fault, allocated before the MMU lock is taken */
struct modkvm_pgcache {
	int n;
	void *pages[4];
};

int modkvm_pgcache_topup(struct modkvm_pgcache *c);
void modkvm_pgcache_free(struct modkvm_pgcache *c);

#define MODKVM_S2_BLOCK_SIZE	(1UL << 21)	/* a level-2 block, 4 KiB granule */

/* New memory is prepared by the arch's modkvm_s2_prepare_*() (arch.h) */
int modkvm_s2_map(struct modkvm_s2 *s2, u64 ipa, phys_addr_t pa, u64 size,
		  unsigned int prot, struct modkvm_pgcache *c);
void modkvm_s2_unmap(struct modkvm_s2 *s2, u64 ipa, u64 size);
u64 modkvm_s2_wrprotect(struct modkvm_s2 *s2, u64 ipa, u64 size);
void modkvm_s2_for_each_page(struct modkvm_s2 *s2,
			     void (*fn)(phys_addr_t pa, void *arg), void *arg);
void modkvm_s2_free_tables(struct modkvm_s2 *s2);

#endif /* MODKVM_STAGE2_H */
