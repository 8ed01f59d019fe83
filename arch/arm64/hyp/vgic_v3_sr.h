/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm, EL2: the guest's GICv3 virtual CPU interface in and out of the
 * hardware, for both world switches (hyp/vhe/switch.c, hyp/nvhe/switch.c):
 * one call each way, hyp_vgic_v3_load() before entry and hyp_vgic_v3_save()
 * after exit. __always_inline and free of kernel calls (see
 * hyp/smccc_fast.h). Both take the vCPU and its VM as the caller reaches
 * them: on nVHE at their hyp VAs (the vCPU's vGIC state is part of the
 * vCPU, mapped at EL2 with it), so nothing here follows a kernel pointer.
 *
 * What is switched (IHI 0069 12.5): ICH_LR<n>_EL2 (only the ones filled
 * for this entry; the others stay 0 while the host runs, so they are
 * invalid), ICH_VMCR_EL2 (the guest's PMR, BPRs, group enables, EOImode),
 * ICH_AP0R<n>_EL2 and ICH_AP1R<n>_EL2 (its active priorities: as many as
 * ICH_VTR_EL2.PRIbits implies, 12.5.1), and ICH_HCR_EL2, which enables
 * the interface (En) for the guest and is 0 while the host runs, so that
 * no maintenance interrupt is left asserted at the host (12.5.4: it is
 * a level signal of ICH_MISR_EL2, which is 0 while En is 0).
 *
 * A VM without the vGIC only gets ICH_HCR_EL2's traps (vm->arch.ich_hcr,
 * reset.c), as before.
 */
#ifndef MODKVM_HYP_VGIC_V3_SR_H
#define MODKVM_HYP_VGIC_V3_SR_H

#include <linux/compiler.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "el2_regs.h"

/* ICH_LR<n>_EL2: op0 3, op1 4, CRn 12, CRm 12 + n / 8, op2 n % 8 */
#define HYP_ICH_LR(n)	sys_reg(3, 4, 12, 12 + ((n) >> 3), (n) & 7)
#define HYP_ICH_AP0R(n)	sys_reg(3, 4, 12, 8, (n))
#define HYP_ICH_AP1R(n)	sys_reg(3, 4, 12, 9, (n))

#define __HYP_LR_CASE(n, op)						\
	case n:								\
		op(n);							\
		break;
#define __HYP_LR_SWITCH(i, op)						\
	switch (i) {							\
	__HYP_LR_CASE(0, op) __HYP_LR_CASE(1, op)			\
	__HYP_LR_CASE(2, op) __HYP_LR_CASE(3, op)			\
	__HYP_LR_CASE(4, op) __HYP_LR_CASE(5, op)			\
	__HYP_LR_CASE(6, op) __HYP_LR_CASE(7, op)			\
	__HYP_LR_CASE(8, op) __HYP_LR_CASE(9, op)			\
	__HYP_LR_CASE(10, op) __HYP_LR_CASE(11, op)			\
	__HYP_LR_CASE(12, op) __HYP_LR_CASE(13, op)			\
	__HYP_LR_CASE(14, op) __HYP_LR_CASE(15, op)			\
	}

static __always_inline void hyp_vgic_v3_load(const struct modkvm_vcpu *vcpu,
					     const struct modkvm_vm *vm)
{
	const struct modkvm_vgic_v3_cpu *c = &vcpu->arch.vgic;
	unsigned int i;

	if (!c->on) {
		if (vm->arch.ich_hcr)
			write_sysreg_s(vm->arch.ich_hcr, SYS_ICH_HCR_EL2);
		return;
	}
	/*
	 * the guest's EL1 uses the system register interface (12.7.4); on
	 * nVHE this is also the host's own ICC_SRE_EL1, which Linux runs with
	 * SRE set too (hyp/nvhe/switch.c puts the host's value back)
	 */
	write_sysreg_s(MK_ICC_SRE_EL2_SRE, SYS_ICC_SRE_EL1);
	write_sysreg_s(c->vmcr, SYS_ICH_VMCR_EL2);
#define __HYP_AP_LOAD(n)						\
	do {								\
		write_sysreg_s(c->ap0r[n], HYP_ICH_AP0R(n));		\
		write_sysreg_s(c->ap1r[n], HYP_ICH_AP1R(n));		\
	} while (0)
	switch (c->nr_apr) {
	case 4:
		__HYP_AP_LOAD(3);
		__HYP_AP_LOAD(2);
		fallthrough;
	case 2:
		__HYP_AP_LOAD(1);
		fallthrough;
	default:
		__HYP_AP_LOAD(0);
	}
#define __HYP_LR_LOAD(n)	write_sysreg_s(c->lr[n], HYP_ICH_LR(n))
	for (i = 0; i < c->used; i++)
		__HYP_LR_SWITCH(i, __HYP_LR_LOAD)
	write_sysreg_s(c->hcr, SYS_ICH_HCR_EL2);
}

static __always_inline void hyp_vgic_v3_save(struct modkvm_vcpu *vcpu,
					     const struct modkvm_vm *vm)
{
	struct modkvm_vgic_v3_cpu *c = &vcpu->arch.vgic;
	unsigned int i;

	if (!c->on) {
		if (vm->arch.ich_hcr)
			write_sysreg_s(0, SYS_ICH_HCR_EL2);
		return;
	}
	/* first: the interface off, no maintenance interrupt at the host */
	write_sysreg_s(0, SYS_ICH_HCR_EL2);
	c->vmcr = read_sysreg_s(SYS_ICH_VMCR_EL2);
#define __HYP_AP_SAVE(n)						\
	do {								\
		c->ap0r[n] = read_sysreg_s(HYP_ICH_AP0R(n));		\
		c->ap1r[n] = read_sysreg_s(HYP_ICH_AP1R(n));		\
	} while (0)
	switch (c->nr_apr) {
	case 4:
		__HYP_AP_SAVE(3);
		__HYP_AP_SAVE(2);
		fallthrough;
	case 2:
		__HYP_AP_SAVE(1);
		fallthrough;
	default:
		__HYP_AP_SAVE(0);
	}
#define __HYP_LR_SAVE(n)						\
	do {								\
		c->lr[n] = read_sysreg_s(HYP_ICH_LR(n));		\
		write_sysreg_s(0, HYP_ICH_LR(n));			\
	} while (0)
	for (i = 0; i < c->used; i++)
		__HYP_LR_SWITCH(i, __HYP_LR_SAVE)
}

/*
 * ICH_HCR_EL2, every list register and every active priority register
 * the CPU has set to 0, when a CPU's EL2 is set up (nVHE: on taking it
 * from the hyp stub, also after CPU hotplug or a CPU power state). No
 * reset of the PE gives them known values (IHI 0069: their reset values
 * are architecturally UNKNOWN), and an entry loads only the list
 * registers it filled: the others must be invalid already. The caller
 * has checked that the system registers are there (ICC_SRE_EL2.SRE).
 */
static __always_inline void hyp_vgic_v3_clear(void)
{
	u64 vtr = read_sysreg_s(SYS_ICH_VTR_EL2);
	unsigned int i, nr_lr = (vtr & MK_ICH_VTR_LISTREGS) + 1;

	write_sysreg_s(0, SYS_ICH_HCR_EL2);
	write_sysreg_s(0, SYS_ICH_VMCR_EL2);
#define __HYP_AP_CLEAR(n)						\
	do {								\
		write_sysreg_s(0, HYP_ICH_AP0R(n));			\
		write_sysreg_s(0, HYP_ICH_AP1R(n));			\
	} while (0)
	switch (MK_ICH_VTR_NR_APR(vtr)) {
	case 4:
		__HYP_AP_CLEAR(3);
		__HYP_AP_CLEAR(2);
		fallthrough;
	case 2:
		__HYP_AP_CLEAR(1);
		fallthrough;
	default:
		__HYP_AP_CLEAR(0);
	}
#define __HYP_LR_CLEAR(n)	write_sysreg_s(0, HYP_ICH_LR(n))
	for (i = 0; i < nr_lr && i < 16; i++)
		__HYP_LR_SWITCH(i, __HYP_LR_CLEAR)
}

#endif /* MODKVM_HYP_VGIC_V3_SR_H */
