// SPDX-License-Identifier: GPL-2.0
/*
 * A timer that fires while KVM_RUN is held up before the guest's entry is
 * told to the VMM before the guest runs an instruction.
 *
 * KVM_RUN may wait between its look at the timers and the entry: the
 * thread may be preempted, or fault on the stolen-time record it writes
 * into guest memory. A timer that starts firing meanwhile must still be
 * seen before the entry (with the VMM's own interrupt controller: a
 * KVM_EXIT_INTR with the new level in device_irq_level, api.rst
 * KVM_CAP_ARM_USER_IRQ), as the in-kernel KVM looks again with interrupts
 * off just before it enters. Entered with the old level, the guest would
 * run on, its interrupt not there, until the next exit: the upstream
 * arch_timer selftest found its deadline passed that way.
 *
 * The wait is made certain here: the record's page is missing behind
 * userfaultfd, whose handler answers the hypervisor's fault only after
 * the physical timer (armed through ONE_REG) has fired. The guest counts
 * in x1 from its first instruction: x1 must still be 0 and the PC the
 * entry's when KVM_RUN comes back.
 *
 * This checks the contract more than it catches the old fault: modkvm
 * without the second look also re-arms the physical timer's hrtimer for
 * at once on entry, and on a quiet emulated server that interrupt is
 * taken before the guest's first instruction (the module of before
 * passed here). It is under load that the guest ran on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#define ST_BASE		0x50000000UL	/* slot 1: the stolen-time record */
#define ST_SIZE		0x10000UL
#define ST_SLOT		1

#define CNT_CTL_ENABLE	1
/*
 * The timer fires this long after it is set, the fault is answered this
 * long after it came: under emulation KVM_RUN may itself take tens of
 * milliseconds to reach the record (the thread preempted on its way).
 */
#define TIMER_MS	100
#define HOLD_MS		300

GUEST_CODE(counter,
	"	mov	x1, #0\n"
	"1:	add	x1, x1, #1\n"
	"	b	1b\n");

struct holder {
	int uffd;
	void *area;
	uint64_t fault_ns;	/* when the first fault came; 0 if none */
	uint64_t answer_ns;	/* when it was answered */
	int faults;
	volatile int stop;
};

/* Answer the first fault HOLD_MS late, any later one at once */
static void *hold_faults(void *arg)
{
	struct holder *h = arg;
	struct pollfd p = { .fd = h->uffd, .events = POLLIN };
	struct uffd_msg msg;
	struct uffdio_zeropage z;

	while (!h->stop) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		if (read(h->uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		if (!h->faults++) {
			h->fault_ns = vmm_now_ns();
			while (vmm_now_ns() - h->fault_ns < HOLD_MS * 1000000ULL)
				usleep(5000);
			h->answer_ns = vmm_now_ns();
		}
		memset(&z, 0, sizeof(z));
		z.range.start = msg.arg.pagefault.address & ~4095ULL;
		z.range.len = 4096;
		ioctl(h->uffd, UFFDIO_ZEROPAGE, &z);
	}
	return NULL;
}

static int uffd_setup(struct holder *h)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	h->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (h->uffd < 0)
		return -errno;
	if (ioctl(h->uffd, UFFDIO_API, &api))
		return -errno;
	h->area = mmap(NULL, ST_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h->area == MAP_FAILED)
		return -errno;
	reg.range.start = (uint64_t)(uintptr_t)h->area;
	reg.range.len = ST_SIZE;
	if (ioctl(h->uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	return 0;
}

static int set_pvtime_ipa(struct vmm_vcpu *vcpu, uint64_t ipa)
{
	struct kvm_device_attr a = {
		.group = KVM_ARM_VCPU_PVTIME_CTRL,
		.attr = KVM_ARM_VCPU_PVTIME_IPA,
		.addr = (uint64_t)(uintptr_t)&ipa,
	};

	return ioctl(vcpu->fd, KVM_SET_DEVICE_ATTR, &a);
}

static uint64_t cntfrq(void)
{
	uint64_t f;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
}

int main(void)
{
	struct holder h = { .uffd = -1 };
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	uint64_t cnt = 0, x1 = ~0ULL, pc = 0, t0, t1;
	pthread_t thr;
	int rc;

	tap_init();
	rc = vmm_simple_vm(&vm, &vcpu, counter_start, GUEST_SIZE(counter),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	if (vmm_check_cap(&vm, KVM_CAP_STEAL_TIME) <= 0) {
		tap_skip("timer fired before the entry", "no KVM_CAP_STEAL_TIME");
		return tap_done();
	}
	rc = uffd_setup(&h);
	TAP_REQUIRE(!rc, "userfaultfd on the record's memory", "%s",
		    strerror(-rc));
	TAP_EQ(vmm_set_region(&vm, ST_SLOT, 0, ST_BASE, ST_SIZE, h.area), 0,
	       "memslot for the stolen-time record (its pages missing)");
	TAP_EQ(set_pvtime_ipa(&vcpu, ST_BASE), 0, "PVTIME_IPA set");

	/* The physical timer: enabled, unmasked, TIMER_MS from now */
	TAP_EQ(vmm_get64(&vcpu, KVM_REG_ARM_PTIMER_CNT, &cnt), 0,
	       "ONE_REG: the physical counter");
	TAP_EQ(vmm_set64(&vcpu, KVM_REG_ARM_PTIMER_CVAL,
			 cnt + cntfrq() * TIMER_MS / 1000), 0,
	       "ONE_REG: the physical timer's CVAL, " GUEST_STR(TIMER_MS) " ms ahead");
	TAP_EQ(vmm_set64(&vcpu, KVM_REG_ARM_PTIMER_CTL, CNT_CTL_ENABLE), 0,
	       "ONE_REG: the physical timer enabled");

	TAP_REQUIRE(!pthread_create(&thr, NULL, hold_faults, &h),
		    "fault handler thread", NULL);
	t0 = vmm_now_ns();
	rc = vmm_run(&vcpu);
	t1 = vmm_now_ns();
	h.stop = 1;
	pthread_join(thr, NULL);

	vmm_get64(&vcpu, VMM_REG_X(1), &x1);
	vmm_get64(&vcpu, VMM_REG_PC, &pc);
	tap_diag("KVM_RUN: %s after %llu ms; the record's fault %llu ms in, answered %llu ms in; %d fault(s)",
		 rc < 0 ? strerror(-rc) : vmm_exit_name(rc),
		 (unsigned long long)(t1 - t0) / 1000000,
		 h.fault_ns ? (unsigned long long)(h.fault_ns - t0) / 1000000 : 0ULL,
		 h.answer_ns ? (unsigned long long)(h.answer_ns - t0) / 1000000 : 0ULL,
		 h.faults);
	tap_diag("after KVM_RUN: exit_reason %u, device_irq_level %#llx, x1 %llu, pc %#llx",
		 vcpu.run->exit_reason,
		 (unsigned long long)vcpu.run->s.regs.device_irq_level,
		 (unsigned long long)x1, (unsigned long long)pc);
	if (!h.faults || h.fault_ns - t0 >= TIMER_MS * 1000000ULL) {
		/* the wait before the entry did not happen as planned */
		tap_skip("timer fired before the entry",
			 h.faults ? "the record's fault came after the timer fired" :
				    "the timer fired before KVM_RUN reached the record (the thread held up before it)");
		return tap_done();
	}
	tap_check(rc == -EINTR || rc == KVM_EXIT_INTR,
		  "KVM_RUN ends with KVM_EXIT_INTR (the timer's level changed)",
		  "%s", rc < 0 ? strerror(-rc) : vmm_exit_name(rc));
	tap_check(vcpu.run->exit_reason == KVM_EXIT_INTR &&
		  (vcpu.run->s.regs.device_irq_level & KVM_ARM_DEV_EL1_PTIMER),
		  "the physical timer's level is in device_irq_level",
		  "exit_reason %u, device_irq_level %#llx",
		  vcpu.run->exit_reason,
		  (unsigned long long)vcpu.run->s.regs.device_irq_level);
	tap_check(x1 == 0 && pc == VMM_RAM_BASE,
		  "the guest ran no instruction before the VMM was told",
		  "x1 = %llu, pc = %#llx", (unsigned long long)x1,
		  (unsigned long long)pc);

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	close(h.uffd);
	munmap(h.area, ST_SIZE);
	return tap_done();
}
