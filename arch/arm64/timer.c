// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, arm64: the guest's generic timers.
 *
 * The guest owns its EL1 virtual timer: it is in the hardware while the
 * guest runs (hyp/) and silenced while the host runs. Its physical
 * timer is emulated (sys_regs.c keeps CTL/CVAL), against the VM's
 * physical counter: the host's less vm->cntpoff. This file computes the
 * output level of both, which userspace's interrupt controller gets in
 * kvm_run->s.regs.device_irq_level (or the vGIC its PPIs), when a vCPU in
 * WFI must wake, and keeps a host hrtimer armed for the physical timer
 * while it is armed (modkvm_ptimer_sync()): the host's timer interrupt is
 * what makes a running guest exit in time for it, as the virtual timer's
 * own PPI does for that one (vtimer_irq.c).
 */
#include <linux/hrtimer.h>
#include <linux/kvm.h>
#include <linux/math64.h>
#include <linux/seq_file.h>
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
	if (timer_fires(sys[SR_CNTP_CTL_EL0], sys[SR_CNTP_CVAL_EL0],
			now - READ_ONCE(vcpu->vm->cntpoff)))
		levels |= KVM_ARM_DEV_EL1_PTIMER;
	return levels;
}

/*
 * Ticks until a timer that is armed and not yet firing fires; @now is the
 * count of the timer's own counter (the guest's view).
 */
static void timer_earliest(u64 ctl, u64 cval, u64 now, u64 *best)
{
	if ((ctl & (MK_CNT_CTL_ENABLE | MK_CNT_CTL_IMASK)) == MK_CNT_CTL_ENABLE &&
	    cval > now)
		*best = min(*best, cval - now);
}

/*
 * Nanoseconds for @ticks of the counter, at least 1; 0 for none (U64_MAX).
 * More than a day is a day: a CVAL years away (2^63 and more, as guests
 * and tests may set) would not fit in a ktime, and an hrtimer that fires
 * early only has its wait taken again.
 */
static u64 ticks_to_ns(u64 ticks)
{
	u64 freq = read_sysreg(cntfrq_el0);

	if (ticks == U64_MAX || !freq)
		return 0;
	ticks = min(ticks, freq * 86400);
	return max_t(u64, mul_u64_u64_div_u64(ticks, NSEC_PER_SEC, freq), 1);
}

static u64 ptimer_ticks(const struct modkvm_vcpu *vcpu, u64 now)
{
	const u64 *sys = vcpu->arch.sys;
	u64 best = U64_MAX;

	timer_earliest(sys[SR_CNTP_CTL_EL0], sys[SR_CNTP_CVAL_EL0],
		       now - READ_ONCE(vcpu->vm->cntpoff), &best);
	return best;
}

/*
 * Nanoseconds until the next timer of the vCPU starts firing; 0 if none
 * will. A timer already firing is not counted: its level is known to
 * userspace, and the interrupt controller's line is what wakes the vCPU.
 */
u64 modkvm_timer_next_ns(struct modkvm_vcpu *vcpu)
{
	const u64 *sys = vcpu->arch.sys;
	u64 now = modkvm_cntpct(), best = ptimer_ticks(vcpu, now);

	timer_earliest(sys[SR_CNTV_CTL_EL0], sys[SR_CNTV_CVAL_EL0],
		       now - READ_ONCE(vcpu->vm->cntvoff), &best);
	return ticks_to_ns(best);
}

static enum hrtimer_restart modkvm_timer_expired(struct hrtimer *t)
{
	struct modkvm_vcpu *vcpu = container_of(t, struct modkvm_vcpu,
						arch.timer.wake);

	modkvm_vcpu_wake(vcpu);
	return HRTIMER_NORESTART;
}

/*
 * The physical timer's hrtimer. It is pinned to the CPU the vCPU last
 * entered the guest on (modkvm_ptimer_sync() moves it with the vCPU), so
 * if the guest is running when it expires, the host's timer interrupt has
 * already made it exit; left is to wake a vCPU sleeping in WFI. The run
 * loop then sees the new level.
 */
static enum hrtimer_restart modkvm_ptimer_expired(struct hrtimer *t)
{
	struct modkvm_vcpu *vcpu = container_of(t, struct modkvm_vcpu,
						arch.timer.ptimer);

	modkvm_vcpu_wake(vcpu);
	return HRTIMER_NORESTART;
}

/*
 * Before each entry, interrupts off: the physical timer's hrtimer armed
 * on this CPU for when the guest's physical timer starts firing, if it is
 * armed (enabled, unmasked) and its level is not already known. Re-armed
 * only when CVAL, the offset or the CPU changed or it has expired early
 * (rounding): a guest that does not use its physical timer, as Linux
 * does not, pays one test of its CTL.
 */
void modkvm_ptimer_sync(struct modkvm_vcpu *vcpu)
{
	struct modkvm_timer *t = &vcpu->arch.timer;
	const u64 *sys = vcpu->arch.sys;
	u64 ticks, cval = sys[SR_CNTP_CVAL_EL0];
	u64 off = READ_ONCE(vcpu->vm->cntpoff);
	int cpu = smp_processor_id();

	if ((sys[SR_CNTP_CTL_EL0] & (MK_CNT_CTL_ENABLE | MK_CNT_CTL_IMASK)) !=
	    MK_CNT_CTL_ENABLE || (t->reported & KVM_ARM_DEV_EL1_PTIMER)) {
		if (t->ptimer_armed) {
			hrtimer_try_to_cancel(&t->ptimer);
			t->ptimer_armed = false;
		}
		return;
	}
	if (t->ptimer_armed && t->ptimer_cval == cval && t->ptimer_off == off &&
	    t->ptimer_cpu == cpu && hrtimer_is_queued(&t->ptimer))
		return;
	ticks = ptimer_ticks(vcpu, modkvm_cntpct());
	if (ticks == U64_MAX)		/* firing now: the next exit sees it */
		ticks = 0;
	hrtimer_start(&t->ptimer, ns_to_ktime(ticks_to_ns(ticks)),
		      HRTIMER_MODE_REL_PINNED);
	t->ptimer_armed = true;
	t->ptimer_cval = cval;
	t->ptimer_off = off;
	t->ptimer_cpu = cpu;
}

/*
 * The timers' part of debugfs' vcpus line (stats_debugfs.c): each timer's
 * CTL and CVAL, its counter as the guest reads it now, the levels now and
 * those userspace (or the vGIC) was told, and the nanoseconds left on the
 * WFI wake-up timer (-1: not armed).
 */
void modkvm_timer_show(struct seq_file *m, struct modkvm_vcpu *vcpu)
{
	const u64 *sys = vcpu->arch.sys;
	struct modkvm_timer *t = &vcpu->arch.timer;
	u64 now = modkvm_cntpct();

	seq_printf(m, " cntv_ctl=%#llx cntv_cval=%#llx cntvct=%#llx cntp_ctl=%#llx cntp_cval=%#llx cntpct=%#llx levels=%#x reported=%#x wake_ns=%lld ptimer_ns=%lld",
		   READ_ONCE(sys[SR_CNTV_CTL_EL0]), READ_ONCE(sys[SR_CNTV_CVAL_EL0]),
		   now - READ_ONCE(vcpu->vm->cntvoff),
		   READ_ONCE(sys[SR_CNTP_CTL_EL0]), READ_ONCE(sys[SR_CNTP_CVAL_EL0]),
		   now - READ_ONCE(vcpu->vm->cntpoff),
		   modkvm_timer_levels(vcpu), READ_ONCE(t->reported),
		   hrtimer_active(&t->wake) ?
			ktime_to_ns(hrtimer_get_remaining(&t->wake)) : -1LL,
		   hrtimer_active(&t->ptimer) ?
			ktime_to_ns(hrtimer_get_remaining(&t->ptimer)) : -1LL);
}

void modkvm_timer_init(struct modkvm_vcpu *vcpu)
{
	hrtimer_init(&vcpu->arch.timer.wake, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	vcpu->arch.timer.wake.function = modkvm_timer_expired;
	hrtimer_init(&vcpu->arch.timer.ptimer, CLOCK_MONOTONIC,
		     HRTIMER_MODE_REL_PINNED);
	vcpu->arch.timer.ptimer.function = modkvm_ptimer_expired;
}

void modkvm_timer_destroy(struct modkvm_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->arch.timer.wake);
	hrtimer_cancel(&vcpu->arch.timer.ptimer);
}
