// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IRQFD and KVM_SET_GSI_ROUTING with the in-kernel GICv3 (api.rst
 * 4.75, 4.52): an eventfd signalled by userspace injects the SPI its GSI
 * is routed to (by default GSI n is SPI 32 + n once the GIC is
 * initialized); with KVM_IRQFD_FLAG_RESAMPLE the line stays asserted
 * until the guest ends the interrupt, then it is lowered and the
 * resamplefd is signalled; a deassigned irqfd injects nothing; a new
 * routing table moves a GSI to another SPI; bad tables, flags and orders
 * get KVM's errors; closing the eventfd, or the VM, with irqfds assigned
 * (and injections in flight) leaves nothing behind. The capabilities:
 * KVM_CAP_IRQFD, _IRQFD_RESAMPLE and _IRQ_ROUTING where the GIC is, 0
 * where it is not; without an ITS, KVM_SIGNAL_MSI fails.
 *
 * The guest is lib/vgic_guest.h's: SPI 41 level-sensitive, the others
 * edge-triggered. Injection through an irqfd is asynchronous, so the
 * checks let the guest poll until the interrupt arrived (bounded), then
 * a few times more to see it was taken only once.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "lib/vgic_guest.h"

#define MAX_ROUTES_MIN	988	/* at least every SPI pin (1020 - 32) */

static int irqfd(struct vmm_vm *vm, int fd, uint32_t gsi, uint32_t flags,
		 int resamplefd)
{
	struct kvm_irqfd a = {
		.fd = fd, .gsi = gsi, .flags = flags, .resamplefd = resamplefd,
	};

	return ioctl(vm->fd, KVM_IRQFD, &a) ? -errno : 0;
}

struct routing {
	struct kvm_irq_routing r;
	struct kvm_irq_routing_entry e[8];
};

static int set_routing(struct vmm_vm *vm, struct kvm_irq_routing *r)
{
	return ioctl(vm->fd, KVM_SET_GSI_ROUTING, r) ? -errno : 0;
}

static struct kvm_irq_routing_entry chip(uint32_t gsi, uint32_t pin)
{
	return (struct kvm_irq_routing_entry) {
		.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = 0, .pin = pin },
	};
}

/* One entry: @e; the result of KVM_SET_GSI_ROUTING */
static int route1(struct vmm_vm *vm, struct kvm_irq_routing_entry e)
{
	struct routing t = { .r.nr = 1, .e[0] = e };

	return set_routing(vm, &t.r);
}

static void kick(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		tap_diag("eventfd write: %s", strerror(errno));
}

/* Is @fd readable within @ms? Consumes its count. */
static bool signalled(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t cnt;

	if (poll(&p, 1, ms) != 1)
		return false;
	return read(fd, &cnt, sizeof(cnt)) == sizeof(cnt);
}

/*
 * Let the guest poll until it took @intid (up to 300 polls), then 3 polls
 * more: what it took is in @s.
 */
static bool wait_taken(struct vmm_vcpu *v, unsigned int intid, struct seen *s)
{
	unsigned int i;

	seen_clear(s);
	s->stop = 20;	/* a line never lowered: do not loop for ever */
	for (i = 0; i < 300 && !s->count[intid]; i++) {
		if (!run_polls(v, 1, CMD_NONE, 0, s) || s->total >= s->stop)
			goto fail;
		if (!s->total)
			usleep(1000);
	}
	if (run_polls(v, 3, CMD_NONE, 0, s) && s->total < s->stop)
		return true;
fail:
	tap_diag("INTID %u: %u polls, taken %u times, %u IRQs in all",
		 intid, i, s->count[intid], s->total);
	return false;
}

/* @efd written: the guest takes @intid, once, and nothing else */
static bool taken_once(struct vmm_vcpu *v, int efd, unsigned int intid,
		       const char *name)
{
	struct seen s;
	bool ok;

	kick(efd);
	ok = wait_taken(v, intid, &s);
	return tap_check(ok && s.count[intid] == 1 && s.total == 1, name,
			 "INTID %u taken %u times, %u IRQs in all", intid,
			 s.count[intid], s.total);
}

/* Nothing taken over 30 polls, 1 ms apart (the injection's chance) */
static bool none_taken(struct vmm_vcpu *v, struct seen *s)
{
	unsigned int i;

	seen_clear(s);
	for (i = 0; i < 30; i++) {
		if (!run_polls(v, 1, CMD_NONE, 0, s))
			return false;
		usleep(1000);
	}
	return !s->total;
}

static void caps_without_gic(void)
{
	struct vmm_vm vm;
	int efd = eventfd(0, 0);

	if (vmm_vm_create(&vm, 0))
		return;
	CHECK_EQ(vmm_check_cap(&vm, KVM_CAP_IRQFD), 0,
		 "no GICv3 device: KVM_CAP_IRQFD is 0");
	CHECK_EQ(vmm_check_cap(&vm, KVM_CAP_IRQFD_RESAMPLE), 0,
		 "... KVM_CAP_IRQFD_RESAMPLE is 0");
	CHECK_EQ(vmm_check_cap(&vm, KVM_CAP_IRQ_ROUTING), 0,
		 "... KVM_CAP_IRQ_ROUTING is 0");
	CHECK_EQ(vmm_check_cap(&vm, KVM_CAP_SIGNAL_MSI), 0,
		 "... KVM_CAP_SIGNAL_MSI is 0");
	tap_check(irqfd(&vm, efd, 0, 0, 0) < 0, "... and KVM_IRQFD fails",
		  "it did not");
	close(efd);
	vmm_vm_destroy(&vm);
}

static void caps(void)
{
	struct kvm_msi msi = { .address_lo = 0x08080040, .data = 1 };
	struct vmm_vm vm;
	long n;
	int gic, rc;

	if (vmm_vm_create(&vm, 0))
		return;
	tap_check(vmm_check_cap(&vm, KVM_CAP_IRQFD) > 0,
		  "KVM_CAP_IRQFD is set", NULL);
	tap_check(vmm_check_cap(&vm, KVM_CAP_IRQFD_RESAMPLE) > 0,
		  "KVM_CAP_IRQFD_RESAMPLE is set", NULL);
	n = vmm_check_cap(&vm, KVM_CAP_IRQ_ROUTING);
	tap_check(n >= MAX_ROUTES_MIN,
		  "KVM_CAP_IRQ_ROUTING: the number of routes, every SPI at least",
		  "%ld", n);
	tap_diag("KVM_CAP_IRQ_ROUTING %ld, KVM_CAP_SIGNAL_MSI %d, KVM_CAP_MSI_DEVID %d",
		 n, vmm_check_cap(&vm, KVM_CAP_SIGNAL_MSI),
		 vmm_check_cap(&vm, KVM_CAP_MSI_DEVID));
	/* a GIC without ITS: no MSI can be delivered */
	gic = vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_V3, false);
	TAP_REQUIRE(gic >= 0, "GICv3 created", "%d", gic);
	rc = ioctl(vm.fd, KVM_SIGNAL_MSI, &msi) ? -errno : 0;
	tap_diag("KVM_SIGNAL_MSI without ITS: %d", rc);
	tap_check(rc < 0, "KVM_SIGNAL_MSI without an ITS fails", "returned %d", rc);
	close(gic);
	vmm_vm_destroy(&vm);
}

/* The documented errors, and the order rules */
static void errors(void)
{
	struct routing t = { .r.nr = 1 };
	struct kvm_irq_routing *big;
	struct vmm_vm vm;
	struct vmm_vcpu v;
	int efd = eventfd(0, 0), efd2 = eventfd(0, 0), gic, rc;
	long max;

	TAP_REQUIRE(!vmm_simple_vm(&vm, &v, gicguest_start,
				   GUEST_SIZE(gicguest), 0), "VM", NULL);
	max = vmm_check_cap(&vm, KVM_CAP_IRQ_ROUTING);

	rc = irqfd(&vm, efd, 0, 0, 0);
	tap_diag("KVM_IRQFD before the GIC exists: %d", rc);
	CHECK_NEG(rc, EAGAIN, "KVM_IRQFD before the GIC exists: EAGAIN");
	gic = vgic_create(&vm, KVM_DEV_TYPE_ARM_VGIC_V3, false);
	TAP_REQUIRE(gic >= 0, "GICv3 created", "%d", gic);
	rc = irqfd(&vm, efd, 0, 0, 0);
	tap_diag("KVM_IRQFD before the GIC's INIT: %d", rc);
	CHECK_NEG(rc, EAGAIN, "... and before its INIT: EAGAIN");
	rc = vgic_set(gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	TAP_REQUIRE(!rc, "GIC INIT", "%d", rc);

	CHECK_NEG(irqfd(&vm, efd, 0, 1u << 2, 0), EINVAL,
		  "KVM_IRQFD with an unknown flag: EINVAL");
	CHECK_NEG(irqfd(&vm, -1, 0, 0, 0), EBADF, "KVM_IRQFD on fd -1: EBADF");
	CHECK_NEG(irqfd(&vm, 0, 0, 0, 0), EINVAL,
		  "KVM_IRQFD on an fd that is no eventfd: EINVAL");
	CHECK_NEG(irqfd(&vm, efd, 0, KVM_IRQFD_FLAG_RESAMPLE, -1), EBADF,
		  "KVM_IRQFD_FLAG_RESAMPLE with resamplefd -1: EBADF");
	CHECK_EQ(irqfd(&vm, efd, 5, 0, 0), 0, "KVM_IRQFD GSI 5: assigned");
	CHECK_NEG(irqfd(&vm, efd, 6, 0, 0), EBUSY,
		  "the same eventfd again, even on another GSI: EBUSY");
	rc = irqfd(&vm, efd, 6, KVM_IRQFD_FLAG_DEASSIGN, 0);
	tap_diag("deassigning an irqfd with the wrong GSI: %d", rc);
	CHECK_EQ(irqfd(&vm, efd, 5, KVM_IRQFD_FLAG_DEASSIGN, 0), 0,
		 "KVM_IRQFD_FLAG_DEASSIGN: 0");
	CHECK_EQ(irqfd(&vm, efd, 5, 0, 0), 0, "... after which it may be assigned again");
	CHECK_EQ(irqfd(&vm, efd, 5, KVM_IRQFD_FLAG_DEASSIGN, 0), 0,
		 "... and deassigned");
	CHECK_EQ(irqfd(&vm, efd, 4000, 0, 0), 0,
		 "KVM_IRQFD on a GSI with no route: assigned (it injects nothing)");
	CHECK_EQ(irqfd(&vm, efd, 4000, KVM_IRQFD_FLAG_DEASSIGN, 0), 0, "... deassigned");
	CHECK_EQ(irqfd(&vm, efd, 7, KVM_IRQFD_FLAG_RESAMPLE, efd2), 0,
		 "KVM_IRQFD_FLAG_RESAMPLE: assigned");
	CHECK_EQ(irqfd(&vm, efd, 7, KVM_IRQFD_FLAG_DEASSIGN, 0), 0,
		 "... deassigned without the flag");

	/* routing tables */
	t.e[0] = chip(0, 0);
	CHECK_EQ(set_routing(&vm, &t.r), 0, "KVM_SET_GSI_ROUTING, one irqchip route: 0");
	t.r.flags = 1;
	CHECK_NEG(set_routing(&vm, &t.r), EINVAL, "... with flags: EINVAL");
	t.r.flags = 0;
	CHECK_NEG(route1(&vm, chip(0, 988)), EINVAL, "... pin 988 (INTID 1020): EINVAL");
	CHECK_EQ(route1(&vm, chip(0, 987)), 0, "... pin 987 (INTID 1019): 0");
	t.e[0] = chip(0, 1);
	t.e[0].u.irqchip.irqchip = 1;
	CHECK_NEG(set_routing(&vm, &t.r), EINVAL, "... irqchip 1: EINVAL");
	t.e[0] = chip(max, 1);
	CHECK_NEG(set_routing(&vm, &t.r), EINVAL,
		  "... a GSI of KVM_CAP_IRQ_ROUTING or above: EINVAL");
	t.e[0] = chip(max - 1, 1);
	CHECK_EQ(set_routing(&vm, &t.r), 0, "... the last GSI: 0");
	t.e[0] = chip(1, 1);
	t.e[0].flags = 1;
	CHECK_NEG(set_routing(&vm, &t.r), EINVAL, "... an irqchip route with flags: EINVAL");
	t.e[0] = chip(1, 1);
	t.e[0].type = 99;
	CHECK_NEG(set_routing(&vm, &t.r), EINVAL, "... an unknown route type: EINVAL");
	t.r.nr = 2;
	t.e[0] = chip(3, 1);
	t.e[1] = chip(3, 2);
	CHECK_NEG(set_routing(&vm, &t.r), EINVAL, "... a GSI routed twice: EINVAL");
	t.e[1] = chip(4, 1);
	CHECK_EQ(set_routing(&vm, &t.r), 0, "... two GSIs to one pin: 0");
	t.e[1] = (struct kvm_irq_routing_entry) {
		.gsi = 5, .type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = 0x08080040, .data = 1 },
	};
	CHECK_EQ(set_routing(&vm, &t.r), 0,
		 "... an MSI route, even without an ITS: 0 (as KVM)");
	t.e[1].flags = 2;
	CHECK_NEG(set_routing(&vm, &t.r), EINVAL,
		  "... an MSI route with flags other than KVM_MSI_VALID_DEVID: EINVAL");
	t.e[1].flags = 0;
	big = calloc(1, sizeof(*big) + (max + 1) * sizeof(big->entries[0]));
	if (big) {
		big->nr = max + 1;
		CHECK_NEG(set_routing(&vm, big), EINVAL,
			  "KVM_SET_GSI_ROUTING with more entries than KVM_CAP_IRQ_ROUTING: EINVAL");
		free(big);
	}
	t.r.nr = 0;
	CHECK_EQ(set_routing(&vm, &t.r), 0, "KVM_SET_GSI_ROUTING with no entries: 0");
	CHECK_NEG(ioctl(vm.fd, KVM_SET_GSI_ROUTING, (void *)8) ? -errno : 0, EFAULT,
		  "KVM_SET_GSI_ROUTING from a bad address: EFAULT");

	close(gic);
	close(efd);
	close(efd2);
	vmm_vcpu_destroy(&v);
	vmm_vm_destroy(&vm);
}

static void delivery(void)
{
	struct machine m;
	struct seen s;
	int efd = eventfd(0, 0), rfd = eventfd(0, EFD_NONBLOCK), efd2 = eventfd(0, 0);
	int lfd = eventfd(0, 0);

	TAP_REQUIRE(machine_up(&m, 1), "guest with its GIC on", NULL);

	/* the default routing: GSI 8 is SPI 40 (edge) */
	CHECK_EQ(irqfd(&m.vm, efd, 8, 0, 0), 0, "irqfd on GSI 8");
	taken_once(&m.v[0], efd, 40,
		   "eventfd written: SPI 40 (GSI 8, default route) taken once by the guest");
	taken_once(&m.v[0], efd, 40, "... and again at the next write");
	CHECK_EQ(irqfd(&m.vm, efd, 8, KVM_IRQFD_FLAG_DEASSIGN, 0), 0, "irqfd deassigned");
	kick(efd);
	tap_check(none_taken(&m.v[0], &s),
		  "... the eventfd written after it: nothing taken", "%u IRQs, SPI 40 %u times",
		  s.total, s.count[40]);
	signalled(efd, 0);	/* its count read: none at its next assignment */

	/*
	 * resample: SPI 41 (level), GSI 9, a fresh eventfd (@efd's count,
	 * written after its deassignment, would inject at once)
	 */
	CHECK_EQ(irqfd(&m.vm, lfd, 9, KVM_IRQFD_FLAG_RESAMPLE, rfd), 0,
		 "irqfd on GSI 9 with a resamplefd");
	tap_check(!signalled(rfd, 0), "the resamplefd is quiet before any interrupt", NULL);
	taken_once(&m.v[0], lfd, 41,
		   "level SPI 41 asserted through the irqfd: taken once, then lowered at its EOI");
	tap_check(signalled(rfd, 2000), "the resamplefd is signalled after the guest's EOI",
		  NULL);
	taken_once(&m.v[0], lfd, 41, "asserted again: taken once more");
	tap_check(signalled(rfd, 2000), "... and the resamplefd signalled again", NULL);
	CHECK_EQ(irqfd(&m.vm, lfd, 9, KVM_IRQFD_FLAG_DEASSIGN, 0), 0,
		 "resampling irqfd deassigned");

	/* routing: GSI 8 moved to SPI 52 */
	CHECK_EQ(route1(&m.vm, chip(8, 20)), 0, "GSI 8 routed to pin 20 (SPI 52)");
	CHECK_EQ(irqfd(&m.vm, efd, 8, 0, 0), 0, "irqfd on GSI 8");
	taken_once(&m.v[0], efd, 52, "eventfd written: SPI 52 taken, not 40");
	CHECK_EQ(irqfd(&m.vm, efd2, 9, 0, 0), 0, "irqfd on GSI 9, now without a route");
	kick(efd2);
	tap_check(none_taken(&m.v[0], &s), "... written: nothing taken",
		  "%u IRQs", s.total);
	CHECK_EQ(route1(&m.vm, chip(9, 21)), 0,
		 "GSI 9 routed to pin 21 (SPI 53), an assigned irqfd's GSI");
	taken_once(&m.v[0], efd2, 53,
		   "... written: SPI 53 taken (the new table applies at once)");

	/* the eventfd closed while assigned: the irqfd goes with it */
	close(efd2);
	close(efd);
	tap_check(none_taken(&m.v[0], &s), "eventfds closed while assigned: the guest runs on",
		  "%u IRQs", s.total);
	close(rfd);
	close(lfd);
	machine_down(&m, 1);
}

static long slab_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

struct writer {
	int efd;
	volatile bool stop;
	volatile unsigned long writes;
};

static void *writer(void *arg)
{
	struct writer *w = arg;

	while (!w->stop) {
		kick(w->efd);
		w->writes++;
	}
	return NULL;
}

/*
 * irqfds dropped every way: closing the eventfd, deassigning, destroying
 * the VM with some assigned, one of them written to without pause by
 * another thread meanwhile. 4000 of them would leave megabytes of kernel
 * memory behind if they were leaked.
 */
static void teardown(void)
{
	struct writer w = { 0 };
	struct vmm_vm vm;
	struct vmm_vcpu v;
	long before, after;
	unsigned int i, j, bad = 0;
	int gic, efd, rfd;
	pthread_t t;

	before = slab_kb();
	for (j = 0; j < 20; j++) {
		if (vmm_simple_vm(&vm, &v, gicguest_start, GUEST_SIZE(gicguest), 0)) {
			tap_check(0, "VM for the irqfds", NULL);
			return;
		}
		gic = vgic_setup(&vm, 128);
		if (gic < 0) {
			tap_check(0, "GIC for the irqfds", "%d", gic);
			return;
		}
		for (i = 0; i < 200; i++) {
			efd = eventfd(0, 0);
			rfd = eventfd(0, 0);
			bad += !!irqfd(&vm, efd, i % 64, i & 1 ? KVM_IRQFD_FLAG_RESAMPLE : 0, rfd);
			kick(efd);
			if (i & 2)
				bad += !!irqfd(&vm, efd, i % 64, KVM_IRQFD_FLAG_DEASSIGN, 0);
			close(efd);
			close(rfd);
		}
		/* some left assigned, being written, when the VM goes */
		for (i = 0; i < 8; i++) {
			efd = eventfd(0, 0);
			bad += !!irqfd(&vm, efd, i, 0, 0);
			kick(efd);
			if (i & 1)
				close(efd);
		}
		w = (struct writer) { .efd = eventfd(0, 0) };
		bad += !!irqfd(&vm, w.efd, 9, 0, 0);
		if (pthread_create(&t, NULL, writer, &w)) {
			tap_check(0, "writer thread", NULL);
			return;
		}
		/*
		 * the VM goes while the writer writes: wait for its first
		 * write (a loaded host may not run it for a while; 5 s at most)
		 */
		for (i = 0; i < 5000 && !w.writes; i++)
			usleep(1000);
		close(gic);
		vmm_vcpu_destroy(&v);
		vmm_vm_destroy(&vm);	/* the last fd: the VM goes */
		usleep(10000);
		w.stop = true;
		pthread_join(t, NULL);
		close(w.efd);
		bad += !w.writes;
	}
	tap_check(!bad, "4000 irqfds assigned, written, closed or deassigned, 180 left to the VM's end, 20 written meanwhile",
		  "%u failed", bad);
	sleep(1);
	after = slab_kb();
	tap_diag("unreclaimable slab: %ld kB before, %ld kB after", before, after);
	tap_check(before > 0 && after - before < 1024,
		  "... and less than 1 MiB of unreclaimable slab left behind",
		  "%ld kB more", after - before);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);	/* what ran, if it is killed */
	tap_init();
	if (!vgic_available()) {
		caps_without_gic();
		tap_skip("irqfd and GSI routing", "no GICv3 device here");
		return tap_done();
	}
	caps();
	errors();
	delivery();
	teardown();
	return tap_done();
}
