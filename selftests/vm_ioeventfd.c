// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IOEVENTFD (KVM_CAP_IOEVENTFD): a guest store to an address with an
 * ioeventfd adds 1 to the eventfd's counter and does not exit; the guest
 * goes on after it.
 *
 *  - each width (1, 2, 4, 8): only a store of exactly that width at
 *    exactly that address matches; others exit as KVM_EXIT_MMIO;
 *  - datamatch: only the given value matches (two ioeventfds at one
 *    address with different values each get theirs), any other value
 *    exits with its data;
 *  - length 0 (KVM_CAP_IOEVENTFD_ANY_LENGTH): a store of any width;
 *  - a load from such an address still exits as an MMIO read;
 *  - after deassigning, stores exit again;
 *  - a PIO ioeventfd never matches an MMIO store at the same number;
 *  - a vCPU storing while another thread assigns and deassigns: every
 *    store either signals or exits, none is lost or counted twice;
 *  - bad arguments, duplicates, deassigning what is not there;
 *  - the number of ioeventfds is limited;
 *  - a VM destroyed with ioeventfds assigned leaves no file descriptor
 *    and no eventfd behind (an eventfd's id, shown in fdinfo, is only
 *    given out again once the eventfd is freed).
 *
 * Where the in-kernel KVM (the reference) legitimately differs, the check
 * is modkvm's only and the reference's behaviour is printed:
 *  - the limit: modkvm allows 1000 per VM (MMIO and PIO together); KVM
 *    has none (5000 are tried);
 *  - an ioeventfd inside a coalesced MMIO zone (not at its start): modkvm
 *    signals it first (a doorbell must not wait in the ring), KVM gives
 *    the store to whichever device sorts first on its bus (the zone);
 *  - the s390 CCW flag and the undocumented "fast MMIO" flag: modkvm
 *    refuses them (EINVAL), KVM takes them;
 *  - the vCPU statistic ioeventfd_writes is modkvm's.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#define SYNC	VMM_MMIO_BASE			/* never an ioeventfd */
#define ASK	(VMM_MMIO_BASE + 8)		/* read: the host answers */
#define DB	(VMM_MMIO_BASE + 0x1000)	/* the doorbells */
#define DB1	(DB + 0x00)			/* len 1 */
#define DB2	(DB + 0x08)			/* len 2 */
#define DB4	(DB + 0x10)			/* len 4 */
#define DB8	(DB + 0x18)			/* len 8 */
#define DM	(DB + 0x100)			/* len 4, datamatch */
#define ANY	(DB + 0x200)			/* len 0 */
#define CZ	(DB + 0x300)			/* coalesced zone, 0x100 bytes */
#define CZD	(CZ + 0x10)			/* an ioeventfd inside it */
#define PIOA	(DB + 0x400)			/* a PIO ioeventfd's number */
#define LOOP	(DB + 0x500)			/* toggled while the guest stores */
#define VAL	0x1122334455667788ULL
#define DM1	0x1234
#define DM2	0xabcd
#define DMX	0x5555
#define LOOPS	400

GUEST_CODE(ioev,
	"	mov64	x20, " GUEST_STR(SYNC) "\n"
	"	mov64	x21, " GUEST_STR(DB) "\n"
	"	mov64	x1, " GUEST_STR(VAL) "\n"
	/* A: each width once, then the 8-byte one twice more */
	"	strb	w1, [x21, #0x00]\n"
	"	strh	w1, [x21, #0x08]\n"
	"	str	w1, [x21, #0x10]\n"
	"	str	x1, [x21, #0x18]\n"
	"	str	x1, [x21, #0x18]\n"
	"	str	x1, [x21, #0x18]\n"
	"	mov	x2, #1\n"
	"	str	x2, [x20]\n"
	/* B: the wrong width, or the wrong address */
	"	str	w1, [x21, #0x18]\n"
	"	strb	w1, [x21, #0x10]\n"
	"	str	w1, [x21, #0x14]\n"
	/* C: datamatch */
	"	mov	w3, #" GUEST_STR(DM1) "\n"
	"	str	w3, [x21, #0x100]\n"
	"	mov	w3, #" GUEST_STR(DM2) "\n"
	"	str	w3, [x21, #0x100]\n"
	"	mov	w3, #" GUEST_STR(DMX) "\n"
	"	str	w3, [x21, #0x100]\n"
	"	mov	x2, #2\n"
	"	str	x2, [x20]\n"
	/* D: any length */
	"	strb	w1, [x21, #0x200]\n"
	"	strh	w1, [x21, #0x200]\n"
	"	str	w1, [x21, #0x200]\n"
	"	str	x1, [x21, #0x200]\n"
	"	str	w1, [x21, #0x204]\n"
	"	mov	x2, #3\n"
	"	str	x2, [x20]\n"
	/* E: a load of a doorbell; report what it got */
	"	ldr	w4, [x21, #0x10]\n"
	"	str	x4, [x20]\n"
	/* F: after DB4 is deassigned */
	"	str	w1, [x21, #0x10]\n"
	"	str	x1, [x21, #0x18]\n"
	"	mov	x2, #5\n"
	"	str	x2, [x20]\n"
	/* G: an ioeventfd inside a coalesced zone, and a store beside it */
	"	str	w1, [x21, #0x310]\n"
	"	str	w1, [x21, #0x308]\n"
	"	mov	x2, #6\n"
	"	str	x2, [x20]\n"
	/* H: the number of a PIO ioeventfd, as MMIO */
	"	str	w1, [x21, #0x400]\n"
	/* I: x5 (asked) stores of 0, 1, 2... to LOOP */
	"	ldr	x5, [x20, #8]\n"
	"	mov	x6, #0\n"
	"1:	str	w6, [x21, #0x500]\n"
	"	add	x6, x6, #1\n"
	"	cmp	x6, x5\n"
	"	b.ne	1b\n"
	"	mov	x2, #7\n"
	"	str	x2, [x20]\n"
	"	b	.\n");

static bool is_modkvm;

static int ioev(struct vmm_vm *vm, uint64_t addr, uint32_t len, int fd,
		uint32_t flags, uint64_t datamatch)
{
	struct kvm_ioeventfd a = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
		.flags = flags,
	};

	return ioctl(vm->fd, KVM_IOEVENTFD, &a) < 0 ? -errno : 0;
}

static int assign(struct vmm_vm *vm, uint64_t addr, uint32_t len, int fd)
{
	return ioev(vm, addr, len, fd, 0, 0);
}

static int deassign(struct vmm_vm *vm, uint64_t addr, uint32_t len, int fd)
{
	return ioev(vm, addr, len, fd, KVM_IOEVENTFD_FLAG_DEASSIGN, 0);
}

static int new_efd(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/* The eventfd's counter (0 if nothing was signalled); reading clears it. */
static uint64_t efd_take(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* The eventfd-id line of an eventfd's fdinfo, or -1. */
static int efd_id(int fd)
{
	char path[64], line[128];
	int id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "eventfd-id: %d", &id) == 1)
			break;
	fclose(f);
	return id;
}

static void caps(void)
{
	struct vmm_vm vm;
	long rc;

	rc = vmm_sys_check_cap(KVM_CAP_IOEVENTFD);
	TAP_REQUIRE(rc > 0, "KVM_CHECK_EXTENSION(IOEVENTFD) is non-zero",
		    "got %ld", rc);
	rc = vmm_vm_create(&vm, 0);
	TAP_REQUIRE(!rc, "create a VM", "%s", strerror(-rc));
	TAP_EQ(vmm_check_cap(&vm, KVM_CAP_IOEVENTFD) > 0, 1,
	       "VM KVM_CHECK_EXTENSION(IOEVENTFD) too");
	rc = vmm_check_cap(&vm, KVM_CAP_IOEVENTFD_ANY_LENGTH);
	TAP_EQ(rc, 1, "KVM_CAP_IOEVENTFD_ANY_LENGTH is 1");
	rc = vmm_check_cap(&vm, KVM_CAP_IOEVENTFD_NO_LENGTH);
	if (is_modkvm)
		TAP_EQ(rc, 0, "KVM_CAP_IOEVENTFD_NO_LENGTH (x86's, not in api.rst) is 0");
	else
		tap_diag("in-kernel KVM: KVM_CAP_IOEVENTFD_NO_LENGTH is %ld", rc);
	vmm_vm_destroy(&vm);
}

static void bad_args(void)
{
	struct vmm_vm vm;
	int e1, e2, nul;
	long rc;

	rc = vmm_vm_create(&vm, 0);
	TAP_REQUIRE(!rc, "create a VM", "%s", strerror(-rc));
	e1 = new_efd();
	e2 = new_efd();
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	TAP_REQUIRE(e1 >= 0 && e2 >= 0 && nul >= 0, "eventfds", "%s",
		    strerror(errno));

	rc = ioctl(vm.fd, KVM_IOEVENTFD, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_IOEVENTFD(NULL): EFAULT");
	TAP_NEG(ioev(&vm, DB4, 4, e1, 1U << 5, 0), EINVAL,
		"an unknown flag (bit 5): EINVAL");
	TAP_NEG(ioev(&vm, DB4, 4, e1, 1U << 31, 0), EINVAL,
		"an unknown flag (bit 31): EINVAL");
	TAP_NEG(assign(&vm, DB4, 3, e1), EINVAL, "length 3: EINVAL");
	TAP_NEG(assign(&vm, DB4, 16, e1), EINVAL, "length 16: EINVAL");
	TAP_NEG(ioev(&vm, DB4, 0, e1, KVM_IOEVENTFD_FLAG_DATAMATCH, 1), EINVAL,
		"length 0 with datamatch: EINVAL");
	TAP_NEG(assign(&vm, -2ULL, 4, e1), EINVAL,
		"a range wrapping around the address space: EINVAL");
	TAP_NEG(assign(&vm, DB4, 4, -1), EBADF, "fd -1: EBADF");
	TAP_NEG(assign(&vm, DB4, 4, nul), EINVAL, "not an eventfd: EINVAL");
	TAP_NEG(deassign(&vm, DB4, 4, e1), ENOENT,
		"deassign what was never assigned: ENOENT");
	TAP_NEG(deassign(&vm, DB4, 4, -1), EBADF, "deassign fd -1: EBADF");

	if (is_modkvm) {
		TAP_NEG(ioev(&vm, DB4, 4, e1, KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY, 0),
			EINVAL, "the virtio-ccw flag (s390 only): EINVAL");
		TAP_NEG(ioev(&vm, DB4, 4, e1, 1U << 4, 0), EINVAL,
			"bit 4 (fast MMIO, not in api.rst): EINVAL");
	} else {
		rc = ioev(&vm, DB + 0x800, 4, e1, KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY, 0);
		tap_diag("in-kernel KVM: the virtio-ccw flag gives %s", strerror(-rc));
		rc = ioev(&vm, DB + 0x808, 4, e1, 1U << 4, 0);
		tap_diag("in-kernel KVM: flag bit 4 gives %s", strerror(-rc));
	}

	/* Duplicates: anything some store could match together with another */
	TAP_EQ(assign(&vm, DB4, 4, e1), 0, "assign addr len 4");
	TAP_NEG(assign(&vm, DB4, 4, e1), EEXIST, "the same again: EEXIST");
	TAP_NEG(assign(&vm, DB4, 4, e2), EEXIST,
		"the same with another eventfd: EEXIST");
	TAP_NEG(ioev(&vm, DB4, 4, e2, KVM_IOEVENTFD_FLAG_DATAMATCH, 7), EEXIST,
		"with datamatch where one without is: EEXIST");
	TAP_NEG(assign(&vm, DB4, 0, e2), EEXIST,
		"length 0 where length 4 is: EEXIST");
	TAP_EQ(assign(&vm, DB4, 8, e2), 0,
	       "length 8 at the same address (no store matches both)");
	TAP_EQ(assign(&vm, DB4 + 2, 2, e2), 0,
	       "length 2 at another address inside the first");
	TAP_EQ(ioev(&vm, DB4, 4, e1, KVM_IOEVENTFD_FLAG_PIO, 0), 0,
	       "a PIO ioeventfd with the same number (another space)");
	TAP_EQ(ioev(&vm, DM, 4, e1, KVM_IOEVENTFD_FLAG_DATAMATCH, 1), 0,
	       "datamatch 1");
	TAP_EQ(ioev(&vm, DM, 4, e1, KVM_IOEVENTFD_FLAG_DATAMATCH, 2), 0,
	       "datamatch 2 at the same address");
	TAP_NEG(ioev(&vm, DM, 4, e2, KVM_IOEVENTFD_FLAG_DATAMATCH, 1), EEXIST,
		"datamatch 1 again: EEXIST");
	TAP_NEG(assign(&vm, DM, 4, e2), EEXIST,
		"without datamatch where datamatch ones are: EEXIST");
	TAP_EQ(assign(&vm, ANY, 0, e1), 0, "length 0");
	TAP_NEG(assign(&vm, ANY, 2, e2), EEXIST,
		"length 2 where length 0 is: EEXIST");

	/* Deassign must match exactly */
	TAP_NEG(deassign(&vm, DB4, 4, e2), ENOENT,
		"deassign with another eventfd: ENOENT");
	TAP_NEG(deassign(&vm, DB4, 2, e1), ENOENT,
		"deassign with another length: ENOENT");
	TAP_NEG(ioev(&vm, DB4, 4, e1, KVM_IOEVENTFD_FLAG_DEASSIGN |
		     KVM_IOEVENTFD_FLAG_DATAMATCH, 0), ENOENT,
		"deassign with datamatch where there is none: ENOENT");
	TAP_NEG(ioev(&vm, DM, 4, e1, KVM_IOEVENTFD_FLAG_DEASSIGN |
		     KVM_IOEVENTFD_FLAG_DATAMATCH, 3), ENOENT,
		"deassign with another datamatch value: ENOENT");
	TAP_EQ(ioev(&vm, DM, 4, e1, KVM_IOEVENTFD_FLAG_DEASSIGN |
		    KVM_IOEVENTFD_FLAG_DATAMATCH, 2), 0,
	       "deassign datamatch 2");
	TAP_EQ(deassign(&vm, DB4, 4, e1), 0, "deassign addr len 4");
	TAP_NEG(deassign(&vm, DB4, 4, e1), ENOENT, "... twice: ENOENT");
	TAP_EQ(ioev(&vm, DB4, 4, e1, KVM_IOEVENTFD_FLAG_DEASSIGN |
		    KVM_IOEVENTFD_FLAG_PIO, 0), 0,
	       "the PIO one is still there: deassign it");
	TAP_EQ(assign(&vm, DB4, 4, e2), 0, "assign addr len 4 again");

	close(nul);
	/* Closed while assigned: the VM keeps what it needs until it goes. */
	close(e1);
	close(e2);
	vmm_vm_destroy(&vm);
}

/* As many as the hypervisor takes, all with one eventfd. */
static void limit(void)
{
	struct vmm_vm vm;
	int efd, n, rc = 0;

	rc = vmm_vm_create(&vm, 0);
	TAP_REQUIRE(!rc, "create a VM", "%s", strerror(-rc));
	efd = new_efd();
	for (n = 0; n < 5000; n++) {
		rc = assign(&vm, 0x100000000ULL + 8ULL * n, 4, efd);
		if (rc)
			break;
	}
	if (is_modkvm) {
		tap_check(rc == -ENOSPC && n == 1000,
			  "modkvm takes 1000 ioeventfds per VM, then ENOSPC",
			  "%d assigned, then %s", n, strerror(-rc));
		TAP_NEG(ioev(&vm, 0x1000, 1, efd, KVM_IOEVENTFD_FLAG_PIO, 0),
			ENOSPC, "PIO ones count against the same limit: ENOSPC");
	} else {
		tap_diag("in-kernel KVM: %d ioeventfds accepted%s%s", n,
			 rc ? ", then " : " (stopped trying)",
			 rc ? strerror(-rc) : "");
	}
	if (n > 0) {
		TAP_EQ(deassign(&vm, 0x100000000ULL, 4, efd), 0,
		       "deassign one of them");
		TAP_EQ(assign(&vm, 0x100000000ULL + 4, 4, efd), 0,
		       "... then another fits");
	}
	close(efd);
	vmm_vm_destroy(&vm);
}

/* Leaks: file descriptors, and eventfds whose reference the VM kept */
#define LEAK_N	64
static void leaks(void)
{
	int efd[LEAK_N], id[LEAK_N], fds0, fds1, i, j, rc, found, extra;
	int more[LEAK_N + 256];
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;

	fds0 = vmm_count_fds();
	rc = vmm_simple_vm(&vm, &vcpu, ioev_start, GUEST_SIZE(ioev),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	rc = 0;
	for (i = 0; i < LEAK_N && !rc; i++) {
		efd[i] = new_efd();
		id[i] = efd_id(efd[i]);
		rc = efd[i] < 0 || id[i] < 0 ? -EIO :
		     assign(&vm, DB + 8ULL * i, 8, efd[i]);
		if (!rc && i % 2)	/* half of them closed by userspace */
			close(efd[i]);
	}
	TAP_REQUIRE(!rc, "64 eventfds (ids from fdinfo) assigned", "%s",
		    strerror(-rc));
	for (i = 0; i < LEAK_N; i += 2)
		close(efd[i]);
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	fds1 = vmm_count_fds();
	TAP_EQ(fds1, fds0, "VM destroyed with ioeventfds: no fd left behind");

	/*
	 * eventfd ids come from an IDA, lowest free first: once the VM has
	 * dropped its references, every id above is free again and new
	 * eventfds get them back; a leaked reference keeps its id taken.
	 * (Ids lower than ours freed meanwhile are taken first: hence the
	 * margin.)
	 */
	found = 0;
	for (extra = 0; extra < (int)ARRAY_SIZE(more); extra++) {
		more[extra] = new_efd();
		j = efd_id(more[extra]);
		if (more[extra] < 0 || j < 0)
			break;
		for (i = 0; i < LEAK_N; i++)
			if (id[i] == j)
				found++;
		if (found == LEAK_N)
			break;
	}
	tap_check(found == LEAK_N,
		  "... and every eventfd it held was freed (its id given out again)",
		  "%d of %d ids given out again in %d new eventfds", found,
		  LEAK_N, extra + 1);
	for (i = 0; i <= extra && i < (int)ARRAY_SIZE(more); i++)
		if (more[i] >= 0)
			close(more[i]);
}

/* Phase I: a thread assigns and deassigns LOOP while the guest stores */
struct toggler {
	struct vmm_vm *vm;
	int efd;
	volatile int stop;
	int toggles, errors;
};

static void *toggle(void *arg)
{
	struct toggler *t = arg;

	while (!t->stop) {
		if (assign(t->vm, LOOP, 4, t->efd))
			t->errors++;
		usleep(200);
		if (deassign(t->vm, LOOP, 4, t->efd))
			t->errors++;
		t->toggles++;
		usleep(200);
	}
	return NULL;
}

static void guest(void)
{
	int e1, e2, e4, e8, edm1, edm2, eany, ecz, epio, eloop;
	struct kvm_coalesced_mmio_ring *ring;
	struct toggler tg = { 0 };
	uint64_t val, signals = 0, n, stat0, stat1, t0;
	uint32_t exits;
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	pthread_t thr;
	int rc, sfd;
	bool ok;

	rc = vmm_simple_vm(&vm, &vcpu, ioev_start, GUEST_SIZE(ioev),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	e1 = new_efd(); e2 = new_efd(); e4 = new_efd(); e8 = new_efd();
	edm1 = new_efd(); edm2 = new_efd(); eany = new_efd(); ecz = new_efd();
	epio = new_efd(); eloop = new_efd();
	TAP_REQUIRE(eloop >= 0, "eventfds", "%s", strerror(errno));
	rc = assign(&vm, DB1, 1, e1);
	rc = rc ?: assign(&vm, DB2, 2, e2);
	rc = rc ?: assign(&vm, DB4, 4, e4);
	rc = rc ?: assign(&vm, DB8, 8, e8);
	rc = rc ?: ioev(&vm, DM, 4, edm1, KVM_IOEVENTFD_FLAG_DATAMATCH, DM1);
	rc = rc ?: ioev(&vm, DM, 4, edm2, KVM_IOEVENTFD_FLAG_DATAMATCH, DM2);
	rc = rc ?: assign(&vm, ANY, 0, eany);
	rc = rc ?: assign(&vm, CZD, 4, ecz);
	rc = rc ?: ioev(&vm, PIOA, 4, epio, KVM_IOEVENTFD_FLAG_PIO, 0);
	TAP_REQUIRE(!rc, "assign the ioeventfds", "%s", strerror(-rc));
	{
		struct kvm_coalesced_mmio_zone z = { .addr = CZ, .size = 0x100 };

		rc = ioctl(vm.fd, KVM_REGISTER_COALESCED_MMIO, &z);
		TAP_REQUIRE(!rc, "a coalesced zone around one ioeventfd", "%s",
			    strerror(errno));
	}
	ring = (void *)((char *)vcpu.run +
			KVM_COALESCED_MMIO_PAGE_OFFSET * sysconf(_SC_PAGESIZE));
	sfd = ioctl(vcpu.fd, KVM_GET_STATS_FD, NULL);
	stat0 = 0;
	if (is_modkvm)
		TAP_EQ(sfd >= 0 && !vmm_stat(sfd, "ioeventfd_writes", &stat0) &&
		       stat0 == 0, 1, "vCPU statistic ioeventfd_writes starts at 0");

	/* A */
	ok = vmm_expect_mmio(&vcpu, SYNC, 8, true, &val);
	tap_check(ok && val == 1,
		  "stores to the doorbells do not exit: the next exit is the sync",
		  "%s", vmm_describe_exit(&vcpu));
	n = efd_take(e1);
	TAP_EQ(n, 1, "1-byte store signalled its eventfd once");
	signals += n;
	n = efd_take(e2);
	TAP_EQ(n, 1, "2-byte store signalled its eventfd once");
	signals += n;
	n = efd_take(e4);
	TAP_EQ(n, 1, "4-byte store signalled its eventfd once");
	signals += n;
	n = efd_take(e8);
	TAP_EQ(n, 3, "three 8-byte stores: counter 3");
	signals += n;

	/* B */
	ok = vmm_expect_mmio(&vcpu, DB8, 4, true, &val);
	tap_check(ok && val == (uint32_t)VAL,
		  "a 4-byte store to a len-8 doorbell exits with its data", "%s",
		  vmm_describe_exit(&vcpu));
	ok = vmm_expect_mmio(&vcpu, DB4, 1, true, &val);
	tap_check(ok && val == (uint8_t)VAL,
		  "a 1-byte store to a len-4 doorbell exits", "%s",
		  vmm_describe_exit(&vcpu));
	ok = vmm_expect_mmio(&vcpu, DB4 + 4, 4, true, &val);
	tap_check(ok, "a store just beside a doorbell exits", "%s",
		  vmm_describe_exit(&vcpu));

	/* C */
	ok = vmm_expect_mmio(&vcpu, DM, 4, true, &val);
	tap_check(ok && val == DMX,
		  "datamatch: the two matching values do not exit, another one does with its data",
		  "%s", vmm_describe_exit(&vcpu));
	ok = vmm_expect_mmio(&vcpu, SYNC, 8, true, &val) && val == 2;
	tap_check(ok, "sync 2", "%s", vmm_describe_exit(&vcpu));
	n = efd_take(edm1);
	TAP_EQ(n, 1, "datamatch 0x1234: signalled once");
	signals += n;
	n = efd_take(edm2);
	TAP_EQ(n, 1, "datamatch 0xabcd (same address): signalled once");
	signals += n;

	/* D */
	ok = vmm_expect_mmio(&vcpu, ANY + 4, 4, true, &val);
	tap_check(ok, "length 0: stores of 1, 2, 4, 8 bytes do not exit, one 4 bytes further does",
		  "%s", vmm_describe_exit(&vcpu));
	ok = vmm_expect_mmio(&vcpu, SYNC, 8, true, &val) && val == 3;
	tap_check(ok, "sync 3", "%s", vmm_describe_exit(&vcpu));
	n = efd_take(eany);
	TAP_EQ(n, 4, "length 0: signalled by each of the 4 stores");
	signals += n;

	/* E */
	val = 0x87654321;
	ok = vmm_expect_mmio(&vcpu, DB4, 4, false, &val);
	tap_check(ok, "a load of a doorbell exits as an MMIO read", "%s",
		  vmm_describe_exit(&vcpu));
	ok = vmm_expect_mmio(&vcpu, SYNC, 8, true, &val);
	tap_check(ok && val == 0x87654321, "... and gets the data userspace gave",
		  "%s, 0x%llx", vmm_describe_exit(&vcpu), (unsigned long long)val);
	TAP_EQ(efd_take(e4), 0, "... and signals nothing");

	/* F */
	TAP_EQ(deassign(&vm, DB4, 4, e4), 0, "deassign the len-4 doorbell");
	ok = vmm_expect_mmio(&vcpu, DB4, 4, true, &val);
	tap_check(ok && val == (uint32_t)VAL, "... a store to it exits again",
		  "%s", vmm_describe_exit(&vcpu));
	ok = vmm_expect_mmio(&vcpu, SYNC, 8, true, &val) && val == 5;
	tap_check(ok, "... while the len-8 one still does not", "%s",
		  vmm_describe_exit(&vcpu));
	TAP_EQ(efd_take(e4), 0, "... the deassigned eventfd was not signalled");
	n = efd_take(e8);
	TAP_EQ(n, 1, "... the other one was");
	signals += n;

	/* G: the guest's two stores, and whatever exits they make, to sync 6 */
	exits = 0;
	for (;;) {
		vmm_run(&vcpu);
		if (vcpu.run->exit_reason != KVM_EXIT_MMIO ||
		    vmm_is_mmio(&vcpu, SYNC, 8, true) || ++exits > 2)
			break;
	}
	ok = vmm_is_mmio(&vcpu, SYNC, 8, true) && vmm_mmio_data(&vcpu) == 6;
	TAP_REQUIRE(ok, "sync 6", "%s", vmm_describe_exit(&vcpu));
	n = efd_take(ecz);
	signals += n;
	if (is_modkvm) {
		TAP_EQ(exits, 0, "stores in a coalesced zone do not exit");
		TAP_EQ(n, 1, "the ioeventfd inside the zone was signalled (first)");
		tap_check(ring->last - ring->first == 1 &&
			  ring->coalesced_mmio[ring->first].phys_addr == CZ + 8,
			  "... the store beside it went to the ring, it did not",
			  "ring first %u last %u", ring->first, ring->last);
	} else {
		tap_diag("in-kernel KVM: an ioeventfd inside a coalesced zone signalled %llu time(s); the ring has %u entries, %u store(s) exited",
			 (unsigned long long)n, ring->last - ring->first, exits);
	}

	/* H */
	ok = vmm_expect_mmio(&vcpu, PIOA, 4, true, &val);
	tap_check(ok, "a PIO ioeventfd does not match an MMIO store at its number",
		  "%s", vmm_describe_exit(&vcpu));
	TAP_EQ(efd_take(epio), 0, "... and is not signalled");

	/* I */
	tg.vm = &vm;
	tg.efd = eloop;
	TAP_REQUIRE(!pthread_create(&thr, NULL, toggle, &tg),
		    "a thread toggles an ioeventfd", NULL);
	val = LOOPS;
	t0 = vmm_now_ns();
	ok = vmm_expect_mmio(&vcpu, ASK, 8, false, &val);
	exits = 0;
	while (ok) {
		vmm_run(&vcpu);
		if (vmm_is_mmio(&vcpu, LOOP, 4, true)) {
			exits++;
			continue;
		}
		ok = vmm_is_mmio(&vcpu, SYNC, 8, true) && vmm_mmio_data(&vcpu) == 7;
		break;
	}
	t0 = vmm_now_ns() - t0;
	tg.stop = 1;
	pthread_join(thr, NULL);
	n = efd_take(eloop);
	signals += n;
	tap_check(ok && n + exits == LOOPS && !tg.errors,
		  "stores while another thread assigns and deassigns: each signals or exits",
		  "%s; %llu signalled + %u exits, %d toggles, %d ioctl errors",
		  vmm_describe_exit(&vcpu), (unsigned long long)n, exits,
		  tg.toggles, tg.errors);
	tap_diag("%d toggles in %llu ms: %llu stores signalled, %u exited",
		 tg.toggles, (unsigned long long)(t0 / 1000000),
		 (unsigned long long)n, exits);

	if (is_modkvm) {
		stat1 = 0;
		vmm_stat(sfd, "ioeventfd_writes", &stat1);
		tap_check(stat1 - stat0 == signals,
			  "ioeventfd_writes counts every signalled store",
			  "stat %llu, signals %llu", (unsigned long long)stat1,
			  (unsigned long long)signals);
	}
	if (sfd >= 0)
		close(sfd);
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	close(e1); close(e2); close(e4); close(e8); close(edm1); close(edm2);
	close(eany); close(ecz); close(epio); close(eloop);
}

int main(void)
{
	tap_init();
	is_modkvm = vmm_is_modkvm();
	if (!is_modkvm)
		tap_diag("not modkvm: the in-kernel KVM; modkvm-only checks are skipped");

	caps();
	bad_args();
	limit();
	guest();
	leaks();
	return tap_done();
}
