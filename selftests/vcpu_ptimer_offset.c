// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's physical counter offset: KVM_SET_ONE_REG of
 * KVM_REG_ARM_PTIMER_CNT moves the physical counter the guest reads
 * (CNTPCT_EL0) and the one its EL1 physical timer compares CVAL with,
 * and leaves the virtual counter alone; with the offset 0, reading
 * CNTPCT_EL0 costs no exits. KVM_ARM_SET_COUNTER_OFFSET, where
 * KVM_CAP_COUNTER_OFFSET says it exists, sets both counters' offset and
 * makes later ONE_REG writes of the counters be ignored (api.rst 4.138).
 * The same on the in-kernel KVM.
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#define READS		1000
/* the offset counter ahead; not a multiple of 2^32, as TVAL is 32 bits */
#define AHEAD		((1ULL << 40) | (1ULL << 31))
#define CNT_CTL_ISTATUS	4

GUEST_CODE(ptoff,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	/* offset 0 (the VMM's choice): READS reads of CNTPCT_EL0 */
	"	str	xzr, [x20, #0x00]\n"
	"	mov	x3, #" GUEST_STR(READS) "\n"
	"1:	isb\n"
	"	mrs	x1, cntpct_el0\n"
	"	subs	x3, x3, #1\n"
	"	b.ne	1b\n"
	"	str	x1, [x20, #0x08]\n"
	/* the VMM has set the offset: both counters */
	"	isb\n"
	"	mrs	x1, cntpct_el0\n"
	"	str	x1, [x20, #0x10]\n"
	"	isb\n"
	"	mrs	x1, cntvct_el0\n"
	"	str	x1, [x20, #0x18]\n"
	/* the physical timer, armed for 1/8 s from now by CVAL */
	"	mrs	x4, cntfrq_el0\n"
	"	lsr	x4, x4, #3\n"
	"	isb\n"
	"	mrs	x1, cntpct_el0\n"
	"	add	x5, x1, x4\n"
	"	msr	cntp_cval_el0, x5\n"
	"	mov	x3, #1\n"			/* ENABLE */
	"	msr	cntp_ctl_el0, x3\n"
	"	isb\n"
	"	mrs	x1, cntp_tval_el0\n"
	"	str	x1, [x20, #0x20]\n"
	"	str	x5, [x20, #0x28]\n"
	/* WFI until it fires (a WFI may also end early) */
	"2:	wfi\n"
	"	mrs	x3, cntp_ctl_el0\n"
	"	tbz	x3, #2, 2b\n"
	"	isb\n"
	"	mrs	x1, cntpct_el0\n"
	"	str	x1, [x20, #0x30]\n"
	"	str	x3, [x20, #0x38]\n"
	"	mov	x3, #3\n"			/* ENABLE | IMASK */
	"	msr	cntp_ctl_el0, x3\n"
	"	isb\n"
	"	str	xzr, [x20, #0x40]\n"
	"	b	.\n");

static struct vmm_vcpu vcpu;
static struct vmm_vm vm;

static void on_alarm(int sig)
{
	(void)sig;
}

static uint64_t get(uint64_t id)
{
	uint64_t v = 0;

	if (vmm_get64(&vcpu, id, &v))
		tap_diag("GET %#llx failed", (unsigned long long)id);
	return v;
}

/* Run until an MMIO write at @off; -EINTR (timer levels) runs on. */
static bool run_to(uint64_t off, uint64_t *val, unsigned int secs,
		   bool *ptimer_seen)
{
	uint64_t end = vmm_now_ns() + secs * 1000000000ULL;
	int rc;

	for (;;) {
		alarm(secs);
		rc = vmm_run(&vcpu);
		alarm(0);
		if (ptimer_seen && (vcpu.run->s.regs.device_irq_level &
				    KVM_ARM_DEV_EL1_PTIMER))
			*ptimer_seen = true;
		if (rc != -EINTR || vmm_now_ns() > end)
			break;
	}
	if (!vmm_is_mmio(&vcpu, VMM_MMIO_BASE + off, 8, true))
		return false;
	*val = vmm_mmio_data(&vcpu);
	return true;
}

static uint64_t exits(int sfd)
{
	uint64_t v = 0;

	if (sfd >= 0)
		vmm_stat(sfd, "exits", &v);
	return v;
}

static void counters(int sfd)
{
	uint64_t v, e0, p0, p1, v0, v1, want, got;
	bool ok;

	ok = run_to(0x00, &v, 10, NULL);
	TAP_REQUIRE(ok, "guest started", "%s", vmm_describe_exit(&vcpu));
	e0 = exits(sfd);
	ok = run_to(0x08, &v, 10, NULL);
	tap_check(ok, "guest read CNTPCT_EL0 " GUEST_STR(READS) " times",
		  "%s", vmm_describe_exit(&vcpu));
	if (sfd >= 0) {
		tap_diag("offset 0: %llu exits for %d reads",
			 (unsigned long long)(exits(sfd) - e0), READS);
		tap_check(exits(sfd) - e0 < READS / 10,
			  "offset 0: reading CNTPCT_EL0 does not exit",
			  "%llu exits", (unsigned long long)(exits(sfd) - e0));
	} else {
		tap_skip("offset 0: reading CNTPCT_EL0 does not exit",
			 "no vCPU stats");
	}

	want = get(KVM_REG_ARM_PTIMER_CNT) + AHEAD;
	TAP_EQ(vmm_set64(&vcpu, KVM_REG_ARM_PTIMER_CNT, want), 0,
	       "SET_ONE_REG PTIMER_CNT, 2^40 + 2^31 ahead");
	got = get(KVM_REG_ARM_PTIMER_CNT);
	tap_check(got >= want && got - want < AHEAD / 2,
		  "GET_ONE_REG PTIMER_CNT gives the offset counter",
		  "set %#llx, got %#llx", (unsigned long long)want,
		  (unsigned long long)got);
	p0 = get(KVM_REG_ARM_PTIMER_CNT);
	v0 = get(KVM_REG_ARM_TIMER_CNT);
	e0 = exits(sfd);
	ok = run_to(0x10, &v, 10, NULL);
	p1 = get(KVM_REG_ARM_PTIMER_CNT);
	tap_check(ok && v >= p0 && v <= p1,
		  "the guest's CNTPCT_EL0 is the offset counter",
		  "%#llx not in [%#llx, %#llx]: %s", (unsigned long long)v,
		  (unsigned long long)p0, (unsigned long long)p1,
		  ok ? "" : vmm_describe_exit(&vcpu));
	tap_diag("offset set: %llu exits for one read",
		 (unsigned long long)(exits(sfd) - e0));
	ok = run_to(0x18, &v, 10, NULL);
	v1 = get(KVM_REG_ARM_TIMER_CNT);
	tap_check(ok && v >= v0 && v <= v1,
		  "its CNTVCT_EL0 is not moved by the physical offset",
		  "%#llx not in [%#llx, %#llx]", (unsigned long long)v,
		  (unsigned long long)v0, (unsigned long long)v1);
}

static void ptimer(int user_irq)
{
	uint64_t tval, cval, cnt, ctl, t0, wall;
	bool ok, seen = false;

	ok = run_to(0x20, &tval, 10, NULL);
	TAP_REQUIRE(ok, "guest armed its physical timer", "%s",
		    vmm_describe_exit(&vcpu));
	ok = run_to(0x28, &cval, 10, NULL);
	TAP_REQUIRE(ok, "guest reported CNTP_CVAL_EL0", "%s",
		    vmm_describe_exit(&vcpu));
	t0 = vmm_now_ns();
	tap_diag("CVAL %#llx, TVAL %#llx", (unsigned long long)cval,
		 (unsigned long long)tval);
	tap_check((uint32_t)tval > 0 && (uint32_t)tval < 0x80000000U,
		  "CNTP_TVAL_EL0 counts down to CVAL on the offset counter",
		  "TVAL %#llx", (unsigned long long)tval);
	TAP_EQ(get(KVM_REG_ARM_PTIMER_CVAL), cval,
	       "GET_ONE_REG PTIMER_CVAL is the guest's CVAL");
	tap_check(!(get(KVM_REG_ARM_PTIMER_CTL) & CNT_CTL_ISTATUS),
		  "PTIMER_CTL: not yet firing", NULL);

	ok = run_to(0x30, &cnt, 5, &seen);
	wall = vmm_now_ns() - t0;
	if (!tap_check(ok, "the physical timer fires at the offset CVAL",
		       "%s after %llu ms", vmm_describe_exit(&vcpu),
		       (unsigned long long)wall / 1000000))
		return;
	tap_diag("fired after %llu ms", (unsigned long long)wall / 1000000);
	tap_check(cnt >= cval, "the guest's CNTPCT_EL0 then is past CVAL",
		  "%#llx < %#llx", (unsigned long long)cnt,
		  (unsigned long long)cval);
	tap_check(wall >= 60000000ULL, "not before its time (1/8 s)",
		  "%llu ms", (unsigned long long)wall / 1000000);
	ok = run_to(0x38, &ctl, 5, &seen);
	tap_check(ok && (ctl & CNT_CTL_ISTATUS),
		  "CNTP_CTL_EL0.ISTATUS is set", "ctl %#llx",
		  (unsigned long long)ctl);
	if (user_irq)
		tap_check(seen, "device_irq_level showed the physical timer high",
			  "%#llx", (unsigned long long)
			  vcpu.run->s.regs.device_irq_level);
	else
		tap_skip("device_irq_level", "KVM_CAP_ARM_USER_IRQ is 0");
	ok = run_to(0x40, &ctl, 5, NULL);
	tap_check(ok, "guest masked its physical timer", "%s",
		  vmm_describe_exit(&vcpu));
}

/* Both counters within a minute of the offset the VMM set */
static void counters_from_offset(const char *name)
{
	uint64_t p = get(KVM_REG_ARM_PTIMER_CNT), v = get(KVM_REG_ARM_TIMER_CNT);
	uint64_t freq;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	tap_check(p < 60 * freq && v < 60 * freq, name,
		  "physical %#llx, virtual %#llx", (unsigned long long)p,
		  (unsigned long long)v);
}

static void counter_offset(void)
{
	struct kvm_arm_counter_offset off = { .reserved = 1 };
	uint64_t host;

	if (vmm_check_cap(&vm, KVM_CAP_COUNTER_OFFSET) <= 0) {
		tap_skip("KVM_ARM_SET_COUNTER_OFFSET",
			 "KVM_CAP_COUNTER_OFFSET is 0");
		return;
	}
	TAP_ERRNO(ioctl(vm.fd, KVM_ARM_SET_COUNTER_OFFSET, &off), EINVAL,
		  "KVM_ARM_SET_COUNTER_OFFSET with reserved set: EINVAL");
	/* the host's count, which Linux lets its EL0 read (CNTVOFF 0) */
	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(host));
	off.reserved = 0;
	off.counter_offset = host;
	TAP_EQ(ioctl(vm.fd, KVM_ARM_SET_COUNTER_OFFSET, &off), 0,
	       "KVM_ARM_SET_COUNTER_OFFSET");
	counters_from_offset("both counters count from the offset");
	TAP_EQ(vmm_set64(&vcpu, KVM_REG_ARM_PTIMER_CNT, AHEAD), 0,
	       "a later PTIMER_CNT write succeeds");
	TAP_EQ(vmm_set64(&vcpu, KVM_REG_ARM_TIMER_CNT, AHEAD), 0,
	       "a later TIMER_CNT write succeeds");
	counters_from_offset("... and both are ignored");
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int rc, user_irq, sfd;

	tap_init();
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: KVM_RUN ends */
	rc = vmm_simple_vm(&vm, &vcpu, ptoff_start, GUEST_SIZE(ptoff),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	user_irq = vmm_check_cap(&vm, KVM_CAP_ARM_USER_IRQ);
	sfd = ioctl(vcpu.fd, KVM_GET_STATS_FD, NULL);

	counters(sfd);
	ptimer(user_irq > 0);
	counter_offset();

	if (sfd >= 0)
		close(sfd);
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
