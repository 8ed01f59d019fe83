// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET/SET_MP_STATE (RUNNABLE, STOPPED) and KVM_GET/SET_VCPU_EVENTS
 * (a pending SError, and an external data abort for an MMIO access): the
 * state round trips and the guest sees its effect.
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#define SERROR_ISS	0x1234

GUEST_CODE(events,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	adr	x1, vectors\n"
	"	msr	vbar_el1, x1\n"
	"	isb\n"
	"	str	xzr, [x20, #0x00]\n"	/* ready */
	"	msr	daifclr, #4\n"		/* take a pending SError */
	"	isb\n"
	"	str	xzr, [x20, #0x08]\n"
	"	ldr	x1, [x20, #0x10]\n"	/* may get an external abort */
	"	str	xzr, [x20, #0x18]\n"
	"	mov	x2, #0x5a\n"
	"	str	x2, [x20, #0x30]\n"	/* may get an external abort */
	"	str	xzr, [x20, #0x38]\n"
	"	b	.\n"
	"	.balign	2048\n"
	"vectors:\n"
	"	.org	vectors + 0x200\n"	/* synchronous, EL1 with SP_EL1 */
	"	mrs	x1, esr_el1\n"
	"	str	x1, [x20, #0x40]\n"
	"	mrs	x1, far_el1\n"
	"	str	x1, [x20, #0x48]\n"
	"	mrs	x1, elr_el1\n"
	"	add	x1, x1, #4\n"
	"	msr	elr_el1, x1\n"
	"	eret\n"
	"	.org	vectors + 0x380\n"	/* SError, EL1 with SP_EL1 */
	"	mrs	x1, esr_el1\n"
	"	str	x1, [x20, #0x20]\n"
	"	eret\n"
	"	.org	vectors + 0x800\n");

static struct vmm_vcpu vcpu;
static int set_mp(uint32_t state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	return ioctl(vcpu.fd, KVM_SET_MP_STATE, &mp);
}

static uint32_t get_mp(void)
{
	struct kvm_mp_state mp = { .mp_state = 0xdead };

	ioctl(vcpu.fd, KVM_GET_MP_STATE, &mp);
	return mp.mp_state;
}

static void mp_state(void)
{
	struct vmm_bg_run bg;

	TAP_EQ(get_mp(), KVM_MP_STATE_RUNNABLE, "initial MP state RUNNABLE");
	TAP_ERRNO(set_mp(KVM_MP_STATE_HALTED), EINVAL,
		  "SET_MP_STATE HALTED (x86 only): EINVAL");
	TAP_ERRNO(set_mp(KVM_MP_STATE_UNINITIALIZED), EINVAL,
		  "SET_MP_STATE UNINITIALIZED (x86 only): EINVAL");
	TAP_ERRNO(set_mp(0x7fffffff), EINVAL, "SET_MP_STATE 0x7fffffff: EINVAL");
	TAP_EQ(get_mp(), KVM_MP_STATE_RUNNABLE, "refused states left it alone");
	TAP_EQ(set_mp(KVM_MP_STATE_STOPPED), 0, "SET_MP_STATE STOPPED");
	TAP_EQ(get_mp(), KVM_MP_STATE_STOPPED, "GET_MP_STATE reads STOPPED");

	/* A stopped vCPU does not run: KVM_RUN waits (for a signal). */
	vmm_bg_run_start(&bg, &vcpu);
	usleep(200000);
	tap_check(!vmm_bg_run_done(&bg),
		  "KVM_RUN of a stopped vCPU does not run the guest",
		  "it returned: %s", vmm_describe_exit(&vcpu));
	if (!tap_check(vmm_bg_run_wait(&bg, 5000, true),
		       "a signal gets it out", "still in KVM_RUN"))
		exit(tap_done());
	TAP_NEG(vmm_bg_run_join(&bg), EINTR, "... with EINTR");
	TAP_EQ(get_mp(), KVM_MP_STATE_STOPPED, "still STOPPED");

	TAP_EQ(set_mp(KVM_MP_STATE_RUNNABLE), 0, "SET_MP_STATE RUNNABLE");
	TAP_EQ(get_mp(), KVM_MP_STATE_RUNNABLE, "GET_MP_STATE reads RUNNABLE");
}

/*
 * After an injected external abort on the guest's MMIO @access at @addr:
 * its handler reports ESR (0x40) and FAR (0x48), and the guest goes on
 * with its next MMIO store, at @next. Returns the ESR.
 */
static uint64_t expect_ext_abort(const char *access, uint64_t addr,
				 uint64_t next)
{
	uint64_t esr = 0, far = 0, v;
	char name[96];
	bool ok;

	ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x40, 8, true, &esr);
	snprintf(name, sizeof(name),
		 "guest takes a synchronous external abort on the %s", access);
	tap_check(ok && (esr >> 26) == 0x25 && (esr & 0x3f) == 0x10, name,
		  "%s (ESR %#llx)", vmm_describe_exit(&vcpu),
		  (unsigned long long)esr);
	ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x48, 8, true, &far);
	snprintf(name, sizeof(name), "... at the %s's address", access);
	tap_check(ok && far == addr, name, "FAR %#llx",
		  (unsigned long long)far);
	ok = vmm_expect_mmio(&vcpu, next, 8, true, &v);
	snprintf(name, sizeof(name), "... and the guest carries on after the %s",
		 access);
	tap_check(ok, name, "%s", vmm_describe_exit(&vcpu));
	return esr;
}

static void vcpu_events(bool has_esr_cap, bool ext_dabt_cap)
{
	struct kvm_vcpu_events ev, got;
	uint64_t v, esr;
	bool ok;
	int rc;

	memset(&got, 0xff, sizeof(got));
	rc = ioctl(vcpu.fd, KVM_GET_VCPU_EVENTS, &got);
	tap_check(rc == 0 && !got.exception.serror_pending &&
		  !got.exception.ext_dabt_pending,
		  "GET_VCPU_EVENTS: nothing pending", "rc %d pending %u",
		  rc, got.exception.serror_pending);
	tap_check(!!got.exception.serror_has_esr == has_esr_cap,
		  "serror_has_esr reflects KVM_CAP_ARM_INJECT_SERROR_ESR",
		  "has_esr %u", got.exception.serror_has_esr);

	memset(&ev, 0, sizeof(ev));
	ev.exception.serror_pending = 1;
	ev.exception.serror_has_esr = 1;
	/*
	 * api.rst says only the low 24 bits may be set; the ISS field is
	 * bits [24:0] and the in-kernel KVM accepts bit 24 too.
	 */
	ev.exception.serror_esr = 1ULL << 25;
	rc = ioctl(vcpu.fd, KVM_SET_VCPU_EVENTS, &ev);
	TAP_ERRNO(rc, EINVAL, "SET_VCPU_EVENTS with ESR bit 25 (above ISS): EINVAL");
	ev.exception.serror_esr = 1ULL << 63;
	rc = ioctl(vcpu.fd, KVM_SET_VCPU_EVENTS, &ev);
	TAP_ERRNO(rc, EINVAL, "SET_VCPU_EVENTS with ESR bit 63: EINVAL");
	if (!has_esr_cap) {
		ev.exception.serror_esr = SERROR_ISS;
		rc = ioctl(vcpu.fd, KVM_SET_VCPU_EVENTS, &ev);
		TAP_ERRNO(rc, EINVAL, "SET_VCPU_EVENTS has_esr without the cap: EINVAL");
	}
	memset(&ev, 0, sizeof(ev));
	ev.exception.serror_pending = 1;
	ev.reserved[3] = 1;
	rc = ioctl(vcpu.fd, KVM_SET_VCPU_EVENTS, &ev);
	TAP_ERRNO(rc, EINVAL, "SET_VCPU_EVENTS with reserved bits: EINVAL");
	memset(&ev, 0, sizeof(ev));
	ev.exception.serror_pending = 1;
	ev.exception.pad[0] = 1;
	rc = ioctl(vcpu.fd, KVM_SET_VCPU_EVENTS, &ev);
	TAP_ERRNO(rc, EINVAL, "SET_VCPU_EVENTS with padding bits: EINVAL");
	rc = ioctl(vcpu.fd, KVM_GET_VCPU_EVENTS, &got);
	tap_check(rc == 0 && !got.exception.serror_pending,
		  "refused SETs made nothing pending", NULL);

	/* Run to "ready" (VBAR set), then make an SError pending. */
	ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE, 8, true, &v);
	TAP_REQUIRE(ok, "guest ready", "%s", vmm_describe_exit(&vcpu));
	memset(&ev, 0, sizeof(ev));
	ev.exception.serror_pending = 1;
	if (has_esr_cap) {
		ev.exception.serror_has_esr = 1;
		ev.exception.serror_esr = SERROR_ISS;
	}
	rc = ioctl(vcpu.fd, KVM_SET_VCPU_EVENTS, &ev);
	TAP_EQ(rc, 0, "SET_VCPU_EVENTS serror_pending");
	memset(&got, 0, sizeof(got));
	rc = ioctl(vcpu.fd, KVM_GET_VCPU_EVENTS, &got);
	tap_check(rc == 0 && got.exception.serror_pending == 1,
		  "GET_VCPU_EVENTS: SError pending", "rc %d pending %u", rc,
		  got.exception.serror_pending);
	if (has_esr_cap)
		tap_check(got.exception.serror_has_esr &&
			  got.exception.serror_esr == SERROR_ISS,
			  "GET_VCPU_EVENTS: the ESR round trips", "esr %#llx",
			  (unsigned long long)got.exception.serror_esr);
	rc = ioctl(vcpu.fd, KVM_SET_VCPU_EVENTS, &got);
	TAP_EQ(rc, 0, "SET_VCPU_EVENTS with what GET returned");

	/* The guest unmasks SError and takes it. */
	ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x20, 8, true, &esr);
	tap_check(ok && (esr >> 26) == 0x2f, "guest takes the SError (EC 0x2f)",
		  "%s", vmm_describe_exit(&vcpu));
	if (has_esr_cap)
		TAP_EQ(esr & 0xffffff, SERROR_ISS, "... with the ISS the VMM set");
	ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x08, 8, true, &v);
	tap_check(ok, "guest returns from the SError handler", "%s",
		  vmm_describe_exit(&vcpu));
	rc = ioctl(vcpu.fd, KVM_GET_VCPU_EVENTS, &got);
	tap_check(rc == 0 && !got.exception.serror_pending,
		  "GET_VCPU_EVENTS: no longer pending", NULL);

	/* An external abort for an MMIO read the VMM cannot handle. */
	vmm_run(&vcpu);
	ok = vmm_is_mmio(&vcpu, VMM_MMIO_BASE + 0x10, 8, false);
	tap_check(ok, "guest reads MMIO", "%s", vmm_describe_exit(&vcpu));
	if (!ext_dabt_cap) {
		tap_skip("external data abort injection",
			 "no KVM_CAP_ARM_INJECT_EXT_DABT");
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.exception.ext_dabt_pending = 1;
	rc = ioctl(vcpu.fd, KVM_SET_VCPU_EVENTS, &ev);
	TAP_EQ(rc, 0, "SET_VCPU_EVENTS ext_dabt_pending after the MMIO exit");
	expect_ext_abort("load", VMM_MMIO_BASE + 0x10, VMM_MMIO_BASE + 0x18);

	/* The same for an MMIO store the VMM cannot take. */
	vmm_run(&vcpu);
	ok = vmm_is_mmio(&vcpu, VMM_MMIO_BASE + 0x30, 8, true) &&
	     vmm_mmio_data(&vcpu) == 0x5a;
	tap_check(ok, "guest stores to MMIO", "%s", vmm_describe_exit(&vcpu));
	rc = ioctl(vcpu.fd, KVM_SET_VCPU_EVENTS, &ev);
	TAP_EQ(rc, 0, "SET_VCPU_EVENTS ext_dabt_pending after the store");
	/* api.rst: a programming error but after an MMIO or NISV exit */
	if (vmm_is_modkvm()) {
		rc = ioctl(vcpu.fd, KVM_SET_VCPU_EVENTS, &ev);
		TAP_ERRNO(rc, EINVAL,
			  "the same exit answered twice: EINVAL (modkvm)");
	} else {
		tap_skip("the same exit answered twice",
			 "the in-kernel KVM does not check");
	}
	esr = expect_ext_abort("store", VMM_MMIO_BASE + 0x30,
			       VMM_MMIO_BASE + 0x38);
	/* The Arm ARM's WnR for an abort caused by a write */
	if (vmm_is_modkvm())
		tap_check(esr & (1U << 6), "... which says it was a write (WnR)",
			  "ESR %#llx", (unsigned long long)esr);
	else
		tap_skip("... which says it was a write (WnR)",
			 "the in-kernel KVM leaves WnR clear");
}

int main(void)
{
	struct vmm_vm vm;
	int rc;

	tap_init();
	rc = vmm_simple_vm(&vm, &vcpu, events_start, GUEST_SIZE(events),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));

	mp_state();
	vcpu_events(vmm_check_cap(&vm, KVM_CAP_ARM_INJECT_SERROR_ESR) > 0,
		    vmm_check_cap(&vm, KVM_CAP_ARM_INJECT_EXT_DABT) > 0);

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
