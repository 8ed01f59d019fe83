/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, arm64: the descriptor of a system register, and what the rest
 * of arch/arm64 asks of the table of them (sys_regs.c).
 */
#ifndef MODKVM_SYS_REGS_H
#define MODKVM_SYS_REGS_H

#include <linux/bits.h>
#include <linux/types.h>

struct modkvm_vcpu;
struct modkvm_sys_reg;

/* One access by the guest that trapped to us (EC 0x18, or via cp15.c) */
struct modkvm_sys_access {
	u32 enc;	/* sys_reg() form, as esr_sys64_to_sysreg() gives */
	bool read;
	u64 val;	/* written value in, read value out */
};

/* modkvm_sys_reg.flags */
#define MODKVM_SR_USER		BIT(0)	/* KVM_{GET,SET}_ONE_REG, REG_LIST */
#define MODKVM_SR_TRAP		BIT(1)	/* a trapped access is emulated */

/* What modkvm_sys_reg.visibility() may hide for one vCPU */
#define MODKVM_SR_HIDE_USER	BIT(0)	/* not listed, ONE_REG -ENOENT */
#define MODKVM_SR_HIDE_GUEST	BIT(1)	/* a trapped access UNDEFs */
#define MODKVM_SR_HIDE		(MODKVM_SR_HIDE_USER | MODKVM_SR_HIDE_GUEST)

/*
 * A system register the guest or userspace can reach. Only @name and
 * @enc are required; everything else has a default:
 *  - @stored: its value lives in vcpu->arch.sys[@slot] (enum
 *    modkvm_sysreg); a write, by the guest or by userspace, keeps the
 *    bits of @mask; it is reset to @reset_val, or by @reset;
 *  - @flags MODKVM_SR_TRAP: a trapped access is emulated, by @access or,
 *    without one, as a plain stored register (a read gives the stored
 *    value, a write stores it under @mask); without the flag a trapped
 *    access UNDEFs. @access returns false to UNDEF.
 *  - @flags MODKVM_SR_USER: userspace reaches it by KVM_{GET,SET}_ONE_REG
 *    (64 bits) and KVM_GET_REG_LIST lists it; @get_user and @set_user,
 *    or the stored value under @mask;
 *  - @visibility: what of the above is hidden for a given vCPU
 *    (MODKVM_SR_HIDE_*); nothing without it.
 */
struct modkvm_sys_reg {
	const char *name;
	u32 enc;		/* sys_reg(op0, op1, CRn, CRm, op2) */
	bool stored;
	u16 slot;		/* enum modkvm_sysreg, if @stored */
	u64 mask;
	u64 reset_val;
	unsigned int flags;
	bool (*access)(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
		       const struct modkvm_sys_reg *r);
	void (*reset)(struct modkvm_vcpu *vcpu, const struct modkvm_sys_reg *r);
	int (*get_user)(struct modkvm_vcpu *vcpu,
			const struct modkvm_sys_reg *r, u64 *val);
	int (*set_user)(struct modkvm_vcpu *vcpu,
			const struct modkvm_sys_reg *r, u64 val);
	unsigned int (*visibility)(const struct modkvm_vcpu *vcpu,
				   const struct modkvm_sys_reg *r);
};

/* At module load: the table is sorted, has no duplicates, covers sys[] */
int modkvm_sys_regs_init(void);

/* KVM_{GET,SET}_ONE_REG of system register @id (any size) */
const struct modkvm_sys_reg *modkvm_sys_reg_user_find(struct modkvm_vcpu *vcpu,
						      u64 id);
int modkvm_sys_reg_get_user(struct modkvm_vcpu *vcpu,
			    const struct modkvm_sys_reg *r, u64 *val);
int modkvm_sys_reg_set_user(struct modkvm_vcpu *vcpu,
			    const struct modkvm_sys_reg *r, u64 val);

/* KVM_GET_REG_LIST: the ids, in encoding order; how many (@ids may be NULL) */
unsigned int modkvm_sys_reg_user_ids(struct modkvm_vcpu *vcpu, u64 *ids);

/* The cache hierarchy the guest is told (cache_id.c) */
void modkvm_cache_id_reset(struct modkvm_vcpu *vcpu,
			   const struct modkvm_sys_reg *r);
int modkvm_clidr_set_user(struct modkvm_vcpu *vcpu,
			  const struct modkvm_sys_reg *r, u64 val);
bool modkvm_trap_ccsidr(struct modkvm_vcpu *vcpu, struct modkvm_sys_access *p,
			const struct modkvm_sys_reg *r);
/* KVM_REG_ARM_DEMUX_ID_CCSIDR: how many ids (@ids filled if not NULL) */
unsigned int modkvm_ccsidr_user_ids(u64 *ids);
int modkvm_ccsidr_get_user(struct modkvm_vcpu *vcpu, u64 id, u32 *val);
int modkvm_ccsidr_set_user(struct modkvm_vcpu *vcpu, u64 id, u32 val);

/* Every register stored in sys[] to its reset value */
void modkvm_sys_regs_reset(struct modkvm_vcpu *vcpu);

#endif /* MODKVM_SYS_REGS_H */
