// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: KVM_GET_ONE_REG, KVM_SET_ONE_REG and KVM_GET_REG_LIST.
 *
 * Offered, and listed by KVM_GET_REG_LIST exactly: the core registers
 * (struct kvm_regs, addressed in 32-bit units; the AArch32 banked SPSRs
 * are loaded for a vCPU whose EL1 is AArch32, whose registers and PC are
 * 32 bits wide, and kept for userspace only otherwise); the guest's
 * EL1/EL0 system registers modkvm keeps, including the emulated debug
 * ones (not OSDLR_EL1 and the claim tags, which the in-kernel KVM does
 * not list either) and the value and control registers of breakpoints and
 * watchpoints 0-15 (the guest reaches, and debug.c arms, the ones
 * ID_AA64DFR0_EL1 advertises); DISR_EL1 and the AArch32 state
 * registers DBGVCR32_EL2, DACR32_EL2, IFSR32_EL2 and FPEXC32_EL2, and
 * TCR2_EL1, PIRE0_EL1 and PIR_EL1, stored for userspace only
 * (sys_regs.c); MPIDR_EL1 (writable); CLIDR_EL1 (writable, cache_id.c);
 * MIDR_EL1,
 * REVIDR_EL1, AIDR_EL1, CTR_EL0, ACTLR_EL1 (0: the guest's
 * accesses are RAZ/WI) and the whole feature ID space (op0 3, op1 0, CRn
 * 0, CRm 1-7), which take, until the VM first runs, any value offering no
 * more than modkvm does field by field, and then only the value they
 * have (id_regs.c; no KVM_ARM_GET_REG_WRITABLE_MASKS), but for the
 * AArch32 feature ID registers on a host without AArch32, which read as
 * 0 and ignore writes, as with KVM;
 * the pointer authentication keys, for a vCPU with the features (the
 * address keys with KVM_ARM_VCPU_PTRAUTH_ADDRESS, the generic key with
 * _GENERIC); the virtual and
 * physical timer registers (writing TIMER_CNT and PTIMER_CNT sets the
 * VM's virtual and physical counter offsets, until
 * KVM_ARM_SET_COUNTER_OFFSET has set both); the firmware
 * pseudo-registers: the PSCI version (settable among
 * 0.2, 1.0 and 1.1 for PSCI_0_2 vCPUs until the VM first runs), the three
 * SMCCC workaround registers (what psci.c answers the guest; a write may
 * claim less protection than offered, never more), and the hypercall
 * service bitmaps (smccc.c: TRNG, PV time, KVM's vendor calls; bits may
 * be cleared until the VM first runs); the CCSIDR values the guest is
 * told, 32 bits each, through the KVM_REG_ARM_DEMUX_ID_CCSIDR ids
 * (cache_id.c). Not offered: SVE registers, AArch32 coprocessor registers
 * and PMU registers. The system registers are those of sys_regs.c's table that
 * userspace reaches, listed in its order, the encoding order. Unknown
 * registers, and system or firmware registers asked for with a size other
 * than 64 bits, give -ENOENT; a core register with the wrong size, or a core
 * offset inside a register, gives -EINVAL; a non-arm64 id -EINVAL; a bad
 * pointer -EFAULT.
 */
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/mutex.h>
#include <uapi/linux/psci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/ptrace.h>

#include "modkvm.h"
#include "sys_regs.h"

#define CORE_ID(off, size)	(KVM_REG_ARM64 | KVM_REG_ARM_CORE | (size) | (off))
#define CORE_OFF(name)		KVM_REG_ARM_CORE_REG(name)
/* Bits of a register id outside arch, size, group and the 16-bit index */
#define ID_STRAY_BITS	(~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK | \
			   KVM_REG_ARM_COPROC_MASK | 0xffffULL))

/* ---- core registers ---- */

/*
 * Where core register @off (32-bit units into struct kvm_regs) lives, and
 * its size; NULL with *size = 0 for an offset that is no register. For an
 * AArch32 vCPU, regs[] are its registers in the AArch64 view (aarch32.c),
 * pstate its CPSR, spsr[] SPSR_svc, abt, und, irq and fiq.
 */
static void *core_reg(struct modkvm_vcpu *vcpu, u64 off, unsigned int *size)
{
	struct modkvm_arch_vcpu *a = &vcpu->arch;

	*size = 8;
	if (off < CORE_OFF(regs.sp) && !(off & 1))
		return &a->gp.x[off / 2];
	if (off >= CORE_OFF(fp_regs.vregs[0]) &&
	    off < CORE_OFF(fp_regs.fpsr)) {
		u64 n = off - CORE_OFF(fp_regs.vregs[0]);

		if (n & 3)
			goto bad;
		*size = 16;
		return &a->fp.vregs[n / 4];
	}
	switch (off) {
	case CORE_OFF(regs.sp):
		return &a->gp.sp_el0;
	case CORE_OFF(regs.pc):
		return &a->gp.pc;
	case CORE_OFF(regs.pstate):
		return &a->gp.pstate;
	case CORE_OFF(sp_el1):
		return &a->sys[SR_SP_EL1];
	case CORE_OFF(elr_el1):
		return &a->sys[SR_ELR_EL1];
	case CORE_OFF(spsr[KVM_SPSR_EL1]):
		return &a->sys[SR_SPSR_EL1];
	case CORE_OFF(spsr[KVM_SPSR_ABT]):
	case CORE_OFF(spsr[KVM_SPSR_UND]):
	case CORE_OFF(spsr[KVM_SPSR_IRQ]):
	case CORE_OFF(spsr[KVM_SPSR_FIQ]):
		return &a->spsr_aa32[(off - CORE_OFF(spsr[KVM_SPSR_ABT])) / 2];
	case CORE_OFF(fp_regs.fpsr):
		*size = 4;
		return &a->fp.fpsr;
	case CORE_OFF(fp_regs.fpcr):
		*size = 4;
		return &a->fp.fpcr;
	}
bad:
	*size = 0;
	return NULL;
}

/*
 * A VM's vCPUs run their EL1 either in AArch64 (EL0t, EL1t, EL1h: no
 * AArch32 EL0 is offered) or in AArch32 (a mode other than hyp/monitor).
 */
static bool valid_pstate(struct modkvm_vcpu *vcpu, u64 v)
{
	if (modkvm_el1_is_32bit(&vcpu->arch))
		return modkvm_aa32_valid_mode(v);
	if (v & PSR_MODE32_BIT)
		return false;
	switch (v & PSR_MODE_MASK) {
	case PSR_MODE_EL0t:
	case PSR_MODE_EL1t:
	case PSR_MODE_EL1h:
		return true;
	}
	return false;
}

static int core_access(struct modkvm_vcpu *vcpu, const struct kvm_one_reg *reg,
		       bool set)
{
	void __user *uaddr = u64_to_user_ptr(reg->addr);
	u64 off = reg->id & 0xffff;
	u8 buf[16] = { 0 };
	unsigned int size;
	void *p;

	if (off >= sizeof(struct kvm_regs) / sizeof(u32))
		return -ENOENT;
	p = core_reg(vcpu, off, &size);
	if (!size) {
		/* An offset into a register is invalid; padding is no register */
		if (off < CORE_OFF(spsr[KVM_NR_SPSR - 1]) + 2 ||
		    (off >= CORE_OFF(fp_regs.vregs[0]) &&
		     off < CORE_OFF(fp_regs.fpsr)))
			return -EINVAL;
		return -ENOENT;
	}
	if (KVM_REG_SIZE(reg->id) != size)
		return -EINVAL;

	if (!set)
		return copy_to_user(uaddr, p, size) ? -EFAULT : 0;
	if (copy_from_user(buf, uaddr, size))
		return -EFAULT;
	if (off == CORE_OFF(regs.pstate)) {
		u64 v;

		memcpy(&v, buf, sizeof(v));
		if (!valid_pstate(vcpu, v))
			return -EINVAL;
	}
	memcpy(p, buf, size);
	/* An AArch32 vCPU has 32-bit registers and PC: the rest is zero. */
	if (modkvm_el1_is_32bit(&vcpu->arch) &&
	    (off < CORE_OFF(regs.sp) || off == CORE_OFF(regs.pc)))
		*(u64 *)p = (u32)*(u64 *)p;
	return 0;
}

/* ---- firmware pseudo-registers ---- */

static const u64 fw_regs[] = {
	KVM_REG_ARM_PSCI_VERSION,
	KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1,
	KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2,
	KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3,
#ifdef KVM_REG_ARM_FW_FEAT_BMAP
	KVM_REG_ARM_STD_BMAP,
	KVM_REG_ARM_STD_HYP_BMAP,
	KVM_REG_ARM_VENDOR_HYP_BMAP,
#endif
};

static bool fw_reg_known(u64 id)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fw_regs); i++)
		if (fw_regs[i] == id)
			return true;
	return false;
}

static u64 fw_get(struct modkvm_vcpu *vcpu, u64 id)
{
	switch (id) {
	case KVM_REG_ARM_PSCI_VERSION:
		return modkvm_psci_version(vcpu->vm);
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1:
		return modkvm_fw_workaround_state(vcpu->vm, 1);
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2:
		return modkvm_fw_workaround_state(vcpu->vm, 2);
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3:
		return modkvm_fw_workaround_state(vcpu->vm, 3);
	default:	/* the service bitmaps (smccc.c) */
		return modkvm_fw_bmap_get(vcpu->vm, id);
	}
}

static int set_psci_version(struct modkvm_vcpu *vcpu, u64 val)
{
	struct modkvm_vm *vm = vcpu->vm;
	int ret = 0;

	if (val == (u64)modkvm_psci_version(vm))
		return 0;
	if (!(vcpu->arch.features & BIT_ULL(KVM_ARM_VCPU_PSCI_0_2)))
		return -EINVAL;		/* PSCI 0.1 is all such a VM has */
	if (val != PSCI_VERSION(0, 2) && val != PSCI_VERSION(1, 0) &&
	    val != PSCI_VERSION(1, 1))
		return -EINVAL;

	mutex_lock(&vm->lock);
	if (vm->ran) {
		ret = -EBUSY;
	} else {
		WRITE_ONCE(vm->arch.psci_version, (u32)val);
		modkvm_smccc_fast_update(vm);
	}
	mutex_unlock(&vm->lock);
	return ret;
}

/*
 * A workaround register may be restored with what this host offers or
 * with less (userspace migrating from a host that offered less), never
 * with more.
 */
static int set_workaround(struct modkvm_vm *vm, unsigned int n, u64 val)
{
	u64 ours = modkvm_fw_workaround_state(vm, n);

	if (n == 2)
		return val == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL ||
		       val == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_UNKNOWN ?
		       0 : -EINVAL;
	/* WORKAROUND_1 and _3 share their encoding */
	if (val == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_AVAIL || val == ours)
		return 0;
	if (val == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_AVAIL &&
	    ours == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED)
		return 0;	/* the call is accepted, as a no-op */
	return -EINVAL;
}

static int fw_set(struct modkvm_vcpu *vcpu, u64 id, u64 val)
{
	switch (id) {
	case KVM_REG_ARM_PSCI_VERSION:
		return set_psci_version(vcpu, val);
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1:
		return set_workaround(vcpu->vm, 1, val);
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2:
		return set_workaround(vcpu->vm, 2, val);
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3:
		return set_workaround(vcpu->vm, 3, val);
	default:	/* the service bitmaps (smccc.c) */
		return modkvm_fw_bmap_set(vcpu->vm, id, val);
	}
}

/* ---- the ioctls ---- */

/*
 * A 64-bit register id other than core: classify; 0 if known, with *@sr
 * the descriptor of a system register (NULL for a firmware one)
 */
static int u64_reg_lookup(struct modkvm_vcpu *vcpu, u64 id,
			  const struct modkvm_sys_reg **sr)
{
	u64 id64 = (id & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U64;

	*sr = NULL;
	switch (id & KVM_REG_ARM_COPROC_MASK) {
	case KVM_REG_ARM64_SYSREG:
		*sr = modkvm_sys_reg_user_find(vcpu, id64);
		if (!*sr)
			return -ENOENT;
		break;
	case KVM_REG_ARM_FW:
#ifdef KVM_REG_ARM_FW_FEAT_BMAP
	case KVM_REG_ARM_FW_FEAT_BMAP:
#endif
		if (!fw_reg_known(id64))
			return -ENOENT;
		break;
	default:
		return -ENOENT;
	}
	/* As with KVM: a system or firmware register of another size is none */
	return (id & KVM_REG_SIZE_MASK) == KVM_REG_SIZE_U64 ? 0 : -ENOENT;
}

static int one_reg_check(const struct kvm_one_reg *reg)
{
	if ((reg->id & KVM_REG_ARCH_MASK) != KVM_REG_ARM64)
		return -EINVAL;
	if (reg->id & ID_STRAY_BITS)
		return -ENOENT;
	return 0;
}

int modkvm_get_one_reg(struct modkvm_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	u64 __user *uaddr = u64_to_user_ptr(reg->addr);
	const struct modkvm_sys_reg *sr;
	u64 val = 0;
	int ret;

	ret = one_reg_check(reg);
	if (ret)
		return ret;
	if ((reg->id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_CORE)
		return core_access(vcpu, reg, false);
	if ((reg->id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_DEMUX) {
		u32 v32;

		ret = modkvm_ccsidr_get_user(vcpu, reg->id, &v32);
		if (ret)
			return ret;
		return put_user(v32, (u32 __user *)uaddr) ? -EFAULT : 0;
	}
	ret = u64_reg_lookup(vcpu, reg->id, &sr);
	if (ret)
		return ret;

	if (sr)
		ret = modkvm_sys_reg_get_user(vcpu, sr, &val);
	else
		val = fw_get(vcpu, reg->id);
	if (ret)
		return ret;
	return put_user(val, uaddr) ? -EFAULT : 0;
}

int modkvm_set_one_reg(struct modkvm_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	u64 __user *uaddr = u64_to_user_ptr(reg->addr);
	const struct modkvm_sys_reg *sr;
	u64 val;
	int ret;

	ret = one_reg_check(reg);
	if (ret)
		return ret;
	if ((reg->id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_CORE)
		return core_access(vcpu, reg, true);
	if ((reg->id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_DEMUX) {
		u32 v32;

		ret = modkvm_ccsidr_get_user(vcpu, reg->id, &v32);
		if (ret)
			return ret;
		if (get_user(v32, (u32 __user *)uaddr))
			return -EFAULT;
		return modkvm_ccsidr_set_user(vcpu, reg->id, v32);
	}
	ret = u64_reg_lookup(vcpu, reg->id, &sr);
	if (ret)
		return ret;
	if (get_user(val, uaddr))
		return -EFAULT;

	if (sr)
		return modkvm_sys_reg_set_user(vcpu, sr, val);
	return fw_set(vcpu, reg->id, val);
}

/*
 * Every register id: the core registers, the system registers (sorted by
 * encoding) and the firmware registers; returns how many (ids filled if
 * @ids)
 */
static unsigned int walk_reg_ids(struct modkvm_vcpu *vcpu, u64 *ids)
{
	unsigned int n = 0, i;
	u64 off;

#define ADD(x)	do { if (ids) ids[n] = (x); n++; } while (0)
	for (i = 0; i < 31; i++)
		ADD(CORE_ID(CORE_OFF(regs.regs[i]), KVM_REG_SIZE_U64));
	ADD(CORE_ID(CORE_OFF(regs.sp), KVM_REG_SIZE_U64));
	ADD(CORE_ID(CORE_OFF(regs.pc), KVM_REG_SIZE_U64));
	ADD(CORE_ID(CORE_OFF(regs.pstate), KVM_REG_SIZE_U64));
	ADD(CORE_ID(CORE_OFF(sp_el1), KVM_REG_SIZE_U64));
	ADD(CORE_ID(CORE_OFF(elr_el1), KVM_REG_SIZE_U64));
	for (i = 0; i < KVM_NR_SPSR; i++)
		ADD(CORE_ID(CORE_OFF(spsr[i]), KVM_REG_SIZE_U64));
	for (i = 0; i < 32; i++) {
		off = CORE_OFF(fp_regs.vregs[0]) + i * 4;
		ADD(CORE_ID(off, KVM_REG_SIZE_U128));
	}
	ADD(CORE_ID(CORE_OFF(fp_regs.fpsr), KVM_REG_SIZE_U32));
	ADD(CORE_ID(CORE_OFF(fp_regs.fpcr), KVM_REG_SIZE_U32));

	/* the CCSIDR values (cache_id.c) */
	n += modkvm_ccsidr_user_ids(ids ? ids + n : NULL);
	/* the system registers, in encoding order: the table's */
	n += modkvm_sys_reg_user_ids(vcpu, ids ? ids + n : NULL);
	for (i = 0; i < ARRAY_SIZE(fw_regs); i++)
		ADD(fw_regs[i]);
#undef ADD
	return n;
}

int modkvm_get_reg_list(struct modkvm_vcpu *vcpu,
			struct kvm_reg_list __user *user)
{
	unsigned int total = walk_reg_ids(vcpu, NULL);
	u64 n, *ids;
	int ret = 0;

	if (get_user(n, &user->n))
		return -EFAULT;
	if (put_user((u64)total, &user->n))
		return -EFAULT;
	if (n < total)
		return -E2BIG;

	ids = kmalloc_array(total, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	walk_reg_ids(vcpu, ids);
	if (copy_to_user(user->reg, ids, total * sizeof(*ids)))
		ret = -EFAULT;
	kfree(ids);
	return ret;
}
