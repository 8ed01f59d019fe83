// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: the guest's generic timers.
 *
 * The guest owns its EL1 virtual timer: it is in the hardware while the
 * guest runs (hyp/) and silenced while the host runs. Its physical
 * timer is emulated (sys_regs.c keeps CTL/CVAL). This file computes the
 * output level of both, which userspace's interrupt controller gets in
 * kvm_run->s.regs.device_irq_level, and when a vCPU in WFI must wake.
 */
#include <linux/hrtimer.h>
#include <linux/kvm.h>
#include <linux/math64.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "el2_regs.h"

static bool timer_fires(u64 ctl, u64 cval, u64 now)
{
	return (ctl & MK_CNT_CTL_ENABLE) && !(ctl & MK_CNT_CTL_IMASK) && now >= cval;
}

static u64 modkvm_cntpct(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

u32 modkvm_timer_levels(struct modkvm_vcpu *vcpu)
{
	const u64 *sys = vcpu->arch.sys;
	u64 now = modkvm_cntpct();
	u32 levels = 0;

	if (timer_fires(sys[SR_CNTV_CTL_EL0], sys[SR_CNTV_CVAL_EL0],
			now - vcpu->vm->cntvoff))
		levels |= KVM_ARM_DEV_EL1_VTIMER;
	if (timer_fires(sys[SR_CNTP_CTL_EL0], sys[SR_CNTP_CVAL_EL0], now))
		levels |= KVM_ARM_DEV_EL1_PTIMER;
	return levels;
}

/* Ticks until a timer that is armed and not yet firing fires. */
static void timer_earliest(u64 ctl, u64 cval, u64 now, u64 *best)
{
	if ((ctl & (MK_CNT_CTL_ENABLE | MK_CNT_CTL_IMASK)) == MK_CNT_CTL_ENABLE &&
	    cval > now)
		*best = min(*best, cval - now);
}

/*
 * Nanoseconds until the next timer of the vCPU starts firing; 0 if none
 * will. A timer already firing is not counted: its level is known to
 * userspace, and the interrupt controller's line is what wakes the vCPU.
 */
u64 modkvm_timer_next_ns(struct modkvm_vcpu *vcpu)
{
	const u64 *sys = vcpu->arch.sys;
	u64 now = modkvm_cntpct(), best = U64_MAX, freq;

	timer_earliest(sys[SR_CNTV_CTL_EL0],
		       sys[SR_CNTV_CVAL_EL0] + vcpu->vm->cntvoff, now, &best);
	timer_earliest(sys[SR_CNTP_CTL_EL0], sys[SR_CNTP_CVAL_EL0], now, &best);
	if (best == U64_MAX)
		return 0;
	freq = read_sysreg(cntfrq_el0);
	if (!freq)
		return 0;
	/* ticks * 1e9 / freq without overflow for any sensible delta */
	return max_t(u64, mul_u64_u64_div_u64(best, NSEC_PER_SEC, freq), 1);
}

static enum hrtimer_restart modkvm_timer_expired(struct hrtimer *t)
{
	struct modkvm_vcpu *vcpu = container_of(t, struct modkvm_vcpu,
						arch.timer.wake);

	modkvm_vcpu_wake(vcpu);
	return HRTIMER_NORESTART;
}

void modkvm_timer_init(struct modkvm_vcpu *vcpu)
{
	hrtimer_init(&vcpu->arch.timer.wake, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	vcpu->arch.timer.wake.function = modkvm_timer_expired;
}
