// SPDX-License-Identifier: GPL-2.0
/*
 * Coalesced MMIO (KVM_CAP_COALESCED_MMIO): stores into a registered zone
 * go to the ring page of the vCPU mmap without an exit, in order, with
 * their address, length and data; loads in a zone, stores partly outside
 * it and stores that find the ring full still exit (nothing is lost);
 * indexes userspace corrupted make the store exit or land inside the
 * ring; unregistering stops coalescing; vCPUs share one ring; bad zones
 * are refused.
 *
 * The ring has KVM_COALESCED_MMIO_MAX entries for the host's page size,
 * one of which always stays free: full when (last + 1) % max == first.
 */
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#define SYNC	VMM_MMIO_BASE			/* never coalesced */
#define ASK	(VMM_MMIO_BASE + 8)		/* read: the host answers */
#define ZONE	(VMM_MMIO_BASE + 0x1000)	/* coalesced, 0x100 bytes */
#define ZSIZE	0x100
#define ZONE2	(VMM_MMIO_BASE + 0x2000)	/* coalesced, 4 bytes */
#define VAL	0xf7e6d5c4b3a29181
#define EXTRA	10	/* stores after the one that found the ring full */

GUEST_CODE(cmmio,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mov64	x21, " GUEST_STR(ZONE) "\n"
	"	mov64	x22, " GUEST_STR(ZONE2) "\n"
	"	mov64	x1, " GUEST_STR(VAL) "\n"
	/* A: stores of each size into the zone, then a sync */
	"	strb	w1, [x21, #0x01]\n"
	"	strh	w1, [x21, #0x02]\n"
	"	str	w1, [x21, #0x04]\n"
	"	str	x1, [x21, #0x08]\n"
	"	str	xzr, [x21, #0x10]\n"
	"	mov	x2, #0x30\n"
	"	str	x1, [x21, x2]\n"
	"	str	x1, [x21, #0xf8]\n"
	"	str	w1, [x20]\n"
	/* B: a load in the zone exits; report what it got */
	"	ldr	x3, [x21, #0x18]\n"
	"	str	x3, [x20]\n"
	/* C: x4 (asked) stores of 0, 1, 2... to one register of the zone */
	"	ldr	x4, [x20, #8]\n"
	"	mov	x2, #0\n"
	"1:	str	x2, [x21, #0x20]\n"
	"	add	x2, x2, #1\n"
	"	cmp	x2, x4\n"
	"	b.ne	1b\n"
	"	str	x2, [x20]\n"
	/* D: with corrupted ring indexes */
	"	str	x1, [x21, #0x28]\n"
	"	str	x1, [x21, #0x30]\n"
	"	str	xzr, [x20]\n"
	/* E: a 4-byte zone: a 4-byte store fits, an 8-byte one does not */
	"	str	w1, [x22]\n"
	"	str	x1, [x22]\n"
	/* F: after the zone is unregistered */
	"	str	x1, [x21, #0x40]\n"
	"	b	.\n");

/* Multi-vCPU: x0 = vCPU index; MP_N stores of (index << 32 | i) */
#define MP_VCPUS	2
#define MP_N		60
GUEST_CODE(mp,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mov64	x21, " GUEST_STR(ZONE) "\n"
	"	lsl	x5, x0, #3\n"
	"	mov	x2, #0\n"
	"1:	orr	x3, x2, x0, lsl #32\n"
	"	str	x3, [x21, x5]\n"
	"	add	x2, x2, #1\n"
	"	cmp	x2, #" GUEST_STR(MP_N) "\n"
	"	b.ne	1b\n"
	"	str	x0, [x20]\n"
	"	b	.\n");

static long page_size;
static uint32_t ring_max;	/* KVM_COALESCED_MMIO_MAX of the host */

static int zone_ioctl(struct vmm_vm *vm, unsigned long ioctl_nr, uint64_t addr,
		      uint32_t size, uint32_t pio)
{
	struct kvm_coalesced_mmio_zone z = { .addr = addr, .size = size };

	z.pio = pio;
	return ioctl(vm->fd, ioctl_nr, &z) < 0 ? -errno : 0;
}

static int reg_zone(struct vmm_vm *vm, uint64_t addr, uint32_t size)
{
	return zone_ioctl(vm, KVM_REGISTER_COALESCED_MMIO, addr, size, 0);
}

static int unreg_zone(struct vmm_vm *vm, uint64_t addr, uint32_t size)
{
	return zone_ioctl(vm, KVM_UNREGISTER_COALESCED_MMIO, addr, size, 0);
}

static struct kvm_coalesced_mmio_ring *ring_of(struct vmm_vcpu *vcpu)
{
	return (void *)((char *)vcpu->run +
			KVM_COALESCED_MMIO_PAGE_OFFSET * page_size);
}

static uint32_t ring_count(struct kvm_coalesced_mmio_ring *r)
{
	return (__atomic_load_n(&r->last, __ATOMIC_ACQUIRE) + ring_max -
		r->first) % ring_max;
}

static void ring_reset(struct kvm_coalesced_mmio_ring *r, uint32_t at)
{
	r->first = at;
	r->last = at;
}

static uint64_t entry_data(const struct kvm_coalesced_mmio *e)
{
	uint64_t v = 0;
	uint32_t i;

	for (i = 0; i < e->len && i < 8; i++)
		v |= (uint64_t)e->data[i] << (8 * i);
	return v;
}

/* Entry n (from first) is a store of len bytes of data at gpa? */
static bool entry_is(struct kvm_coalesced_mmio_ring *r, uint32_t n,
		     uint64_t gpa, uint32_t len, uint64_t data, char *why,
		     size_t whylen)
{
	const struct kvm_coalesced_mmio *e =
		&r->coalesced_mmio[(r->first + n) % ring_max];

	if (e->phys_addr == gpa && e->len == len && !e->pio &&
	    entry_data(e) == data)
		return true;
	snprintf(why, whylen,
		 "entry %u: gpa 0x%llx len %u pio %u data 0x%llx, expected gpa 0x%llx len %u data 0x%llx",
		 n, (unsigned long long)e->phys_addr, e->len, e->pio,
		 (unsigned long long)entry_data(e), (unsigned long long)gpa,
		 len, (unsigned long long)data);
	return false;
}

static void caps(void)
{
	struct vmm_vm vm;
	long rc, pio;
	int kvm;

	rc = vmm_sys_check_cap(KVM_CAP_COALESCED_MMIO);
	TAP_REQUIRE(rc == KVM_COALESCED_MMIO_PAGE_OFFSET,
		    "KVM_CHECK_EXTENSION(COALESCED_MMIO) is KVM_COALESCED_MMIO_PAGE_OFFSET",
		    "got %ld", rc);
	rc = vmm_vm_create(&vm, 0);
	TAP_REQUIRE(!rc, "create a VM", "%s", strerror(-rc));
	rc = vmm_check_cap(&vm, KVM_CAP_COALESCED_MMIO);
	TAP_EQ(rc, KVM_COALESCED_MMIO_PAGE_OFFSET,
	       "VM KVM_CHECK_EXTENSION(COALESCED_MMIO) is the page offset too");
	kvm = vmm_open_dev();
	rc = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	close(kvm);
	tap_check(rc >= (KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * page_size,
		  "KVM_GET_VCPU_MMAP_SIZE covers the ring page", "got %ld", rc);
	pio = vmm_check_cap(&vm, KVM_CAP_COALESCED_PIO);
	if (vmm_is_modkvm())
		TAP_EQ(pio, 0, "KVM_CAP_COALESCED_PIO is 0 (no port I/O on arm64)");
	else
		tap_diag("in-kernel KVM: KVM_CAP_COALESCED_PIO is %ld", pio);
	vmm_vm_destroy(&vm);
}

/* Bad arguments; the hypervisor's limit on the number of zones. */
static void bad_args(void)
{
	struct kvm_coalesced_mmio_zone z = { .addr = ZONE, .size = 8 };
	struct vmm_vm vm;
	long rc, pio;
	int n;

	rc = vmm_vm_create(&vm, 0);
	TAP_REQUIRE(!rc, "create a VM", "%s", strerror(-rc));
	pio = vmm_check_cap(&vm, KVM_CAP_COALESCED_PIO);

	rc = ioctl(vm.fd, KVM_REGISTER_COALESCED_MMIO, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_REGISTER_COALESCED_MMIO(NULL): EFAULT");
	rc = ioctl(vm.fd, KVM_UNREGISTER_COALESCED_MMIO, NULL);
	TAP_ERRNO(rc, EFAULT, "KVM_UNREGISTER_COALESCED_MMIO(NULL): EFAULT");
	z.pio = 2;
	rc = ioctl(vm.fd, KVM_REGISTER_COALESCED_MMIO, &z);
	TAP_ERRNO(rc, EINVAL, "register with pio = 2: EINVAL");
	rc = ioctl(vm.fd, KVM_UNREGISTER_COALESCED_MMIO, &z);
	TAP_ERRNO(rc, EINVAL, "unregister with pio = 2: EINVAL");
	if (!pio) {
		TAP_NEG(zone_ioctl(&vm, KVM_REGISTER_COALESCED_MMIO, ZONE, 8, 1),
			EINVAL, "without KVM_CAP_COALESCED_PIO, a PIO zone: EINVAL");
	}

	TAP_EQ(unreg_zone(&vm, ZONE, 8), 0,
	       "unregistering a zone never registered succeeds");
	TAP_EQ(reg_zone(&vm, ZONE, ZSIZE), 0, "register a zone");

	/*
	 * modkvm refuses empty, wrapping and overlapping zones; the in-kernel
	 * KVM takes them (they are harmless there, but mean nothing).
	 */
	if (vmm_is_modkvm()) {
		TAP_NEG(reg_zone(&vm, ZONE2, 0), EINVAL, "an empty zone: EINVAL");
		TAP_NEG(reg_zone(&vm, -8ULL, 16), EINVAL,
			"a zone wrapping around: EINVAL");
		TAP_EQ(reg_zone(&vm, -8ULL, 8), 0,
		       "a zone at the very end of the address space");
		TAP_NEG(reg_zone(&vm, ZONE, ZSIZE), EEXIST,
			"the same zone again: EEXIST");
		TAP_NEG(reg_zone(&vm, ZONE + ZSIZE - 1, 8), EEXIST,
			"a zone overlapping the end of another: EEXIST");
		TAP_NEG(reg_zone(&vm, ZONE - 4, 8), EEXIST,
			"a zone overlapping the start of another: EEXIST");
		TAP_NEG(reg_zone(&vm, ZONE - 0x100, 0x400), EEXIST,
			"a zone containing another: EEXIST");
		TAP_NEG(reg_zone(&vm, ZONE + 8, 8), EEXIST,
			"a zone inside another: EEXIST");
		TAP_EQ(reg_zone(&vm, ZONE + ZSIZE, 8), 0,
		       "a zone right after another");
		TAP_EQ(reg_zone(&vm, ZONE - 8, 8), 0,
		       "a zone right before another");
		TAP_NEG(zone_ioctl(&vm, KVM_UNREGISTER_COALESCED_MMIO, ZONE, 0, 0),
			EINVAL, "unregister an empty range: EINVAL");
	} else {
		tap_diag("in-kernel KVM: empty, wrapping and overlapping zones are accepted there; not checked");
	}

	/* Unregistering a range removes the zone(s) containing it. */
	TAP_EQ(unreg_zone(&vm, ZONE + 0x10, 8), 0,
	       "unregister a range inside a zone");
	TAP_EQ(reg_zone(&vm, ZONE, ZSIZE), 0,
	       "... the zone is gone: it can be registered again");
	vmm_vm_destroy(&vm);

	/* A bounded number of zones: ENOSPC, not unbounded kernel memory. */
	rc = vmm_vm_create(&vm, 0);
	TAP_REQUIRE(!rc, "create a VM", "%s", strerror(-rc));
	rc = 0;
	for (n = 0; n < 4096; n++) {
		rc = reg_zone(&vm, 0x100000000ULL + 16ULL * n, 8);
		if (rc)
			break;
	}
	tap_check(rc == -ENOSPC && n > 0,
		  "zones are limited: ENOSPC once too many",
		  "%d zones registered, then %s", n, strerror(-rc));
	tap_diag("%d zones accepted", n);
	if (n > 0) {
		TAP_EQ(unreg_zone(&vm, 0x100000000ULL, 8), 0,
		       "unregister one of them");
		TAP_EQ(reg_zone(&vm, 0x100000000ULL + 8, 8), 0,
		       "... then another zone fits");
	}
	/* The VM goes with all its zones registered: they must not leak. */
	vmm_vm_destroy(&vm);
}

/* Everything a single vCPU does with one zone (guest code cmmio). */
static void single(void)
{
	struct kvm_coalesced_mmio_ring *ring, *ring2;
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	unsigned char *bytes;
	uint32_t i, start, total;
	char why[200];
	uint64_t val;
	void *alone;
	bool ok;
	int rc;

	rc = vmm_simple_vm(&vm, &vcpu, cmmio_start, GUEST_SIZE(cmmio),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	ring = ring_of(&vcpu);
	TAP_REQUIRE(ring->first == 0 && ring->last == 0,
		    "the ring starts empty", "first %u last %u", ring->first,
		    ring->last);

	/* The ring page mapped on its own is the same page. */
	alone = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     vcpu.fd, KVM_COALESCED_MMIO_PAGE_OFFSET * page_size);
	ok = alone != MAP_FAILED;
	if (ok) {
		ring2 = alone;
		ring->first = 0x1234;
		ok = ring2->first == 0x1234;
		ring2->last = 0x5678;
		ok = ok && ring->last == 0x5678;
		munmap(alone, page_size);
	}
	tap_check(ok, "mmap of the ring page alone shares it", "%s",
		  alone == MAP_FAILED ? strerror(errno) : "contents differ");
	ring_reset(ring, 0);

	TAP_REQUIRE(reg_zone(&vm, ZONE, ZSIZE) == 0, "register the zone",
		    "%s", strerror(errno));
	TAP_REQUIRE(reg_zone(&vm, ZONE2, 4) == 0, "register a 4-byte zone",
		    "%s", strerror(errno));

	/* A */
	ok = vmm_expect_mmio(&vcpu, SYNC, 4, true, &val);
	tap_check(ok && val == (uint32_t)VAL,
		  "stores in the zone do not exit: the next exit is the sync",
		  "%s", vmm_describe_exit(&vcpu));
	tap_check(ring->first == 0 && ring_count(ring) == 7,
		  "7 stores are in the ring", "first %u last %u", ring->first,
		  ring->last);
	{
		static const struct { uint32_t off, len; uint64_t data; } a[] = {
			{ 0x01, 1, VAL & 0xff }, { 0x02, 2, VAL & 0xffff },
			{ 0x04, 4, VAL & 0xffffffff }, { 0x08, 8, VAL },
			{ 0x10, 8, 0 }, { 0x30, 8, VAL }, { 0xf8, 8, VAL },
		};

		ok = true;
		for (i = 0; i < ARRAY_SIZE(a) && ok; i++)
			ok = entry_is(ring, i, ZONE + a[i].off, a[i].len,
				      a[i].data, why, sizeof(why));
		tap_check(ok, "ring entries: address, length, data, in order",
			  "%s", why);
	}

	/* B */
	ring_reset(ring, 3);
	val = 0x1122334455667788;
	ok = vmm_expect_mmio(&vcpu, ZONE + 0x18, 8, false, &val);
	tap_check(ok, "a load in the zone exits", "%s",
		  vmm_describe_exit(&vcpu));
	ok = vmm_expect_mmio(&vcpu, SYNC, 8, true, &val);
	tap_check(ok && val == 0x1122334455667788,
		  "... and gets the data userspace gave", "%s",
		  vmm_describe_exit(&vcpu));
	tap_check(ring->first == 3 && ring->last == 3,
		  "... and nothing went to the ring", "first %u last %u",
		  ring->first, ring->last);

	/* C: start near the end of the ring so that it wraps */
	start = ring_max - 3;
	ring_reset(ring, start);
	total = ring_max + EXTRA;
	val = total;
	ok = vmm_expect_mmio(&vcpu, ASK, 8, false, &val);
	TAP_REQUIRE(ok, "the guest asks how many stores to make", "%s",
		    vmm_describe_exit(&vcpu));
	ok = vmm_expect_mmio(&vcpu, ZONE + 0x20, 8, true, &val);
	tap_check(ok && val == ring_max - 1,
		  "a store that finds the ring full exits with its data",
		  "%s (expected data %u)", vmm_describe_exit(&vcpu),
		  ring_max - 1);
	tap_check(ring->first == start &&
		  (ring->last + 1) % ring_max == ring->first,
		  "the ring holds max - 1 entries (one stays free)",
		  "first %u last %u max %u", ring->first, ring->last, ring_max);
	ok = true;
	for (i = 0; i < ring_max - 1 && ok; i++)
		ok = entry_is(ring, i, ZONE + 0x20, 8, i, why, sizeof(why));
	tap_check(ok, "... stores 0 .. max - 2, in order, across the wrap",
		  "%s", why);
	ring->first = ring->last;	/* userspace consumed them */
	start = ring->first;
	ok = vmm_expect_mmio(&vcpu, SYNC, 8, true, &val);
	tap_check(ok && val == total, "the guest goes on after the exit",
		  "%s", vmm_describe_exit(&vcpu));
	ok = ring_count(ring) == EXTRA;
	for (i = 0; i < EXTRA && ok; i++)
		ok = entry_is(ring, i, ZONE + 0x20, 8, ring_max + i, why,
			      sizeof(why));
	tap_check(ok, "... its later stores are in the ring: nothing lost",
		  "count %u; %s", ring_count(ring), ok ? "" : why);

	/* D: corrupted indexes never make the kernel write outside the ring */
	bytes = (unsigned char *)ring;
	memset(bytes, 0xa5, page_size);
	ring->first = 5;
	ring->last = 0x80000000;
	ok = vmm_expect_mmio(&vcpu, ZONE + 0x28, 8, true, &val);
	tap_check(ok && val == VAL,
		  "last out of range: the store exits with its data", "%s",
		  vmm_describe_exit(&vcpu));
	ok = ring->first == 5 && ring->last == 0x80000000;
	for (i = 8; i < page_size && ok; i++)
		ok = bytes[i] == 0xa5;
	tap_check(ok, "... and the ring page is untouched", "first %u last %u, byte %u",
		  ring->first, ring->last, i - 1);
	ring->first = 0x7fffffff;
	ring->last = 0;
	ok = vmm_expect_mmio(&vcpu, SYNC, 8, true, &val);
	tap_check(ok, "first out of range: the store does not exit", "%s",
		  vmm_describe_exit(&vcpu));
	ok = ring->last == 1 && ring->first == 0x7fffffff &&
	     ring->coalesced_mmio[0].phys_addr == ZONE + 0x30 &&
	     ring->coalesced_mmio[0].len == 8 &&
	     entry_data(&ring->coalesced_mmio[0]) == VAL;
	for (i = 8 + sizeof(struct kvm_coalesced_mmio); i < page_size && ok; i++)
		ok = bytes[i] == 0xa5;
	tap_check(ok, "... it went to entry 0 (last), nothing else written",
		  "first %#x last %u, checked up to byte %u", ring->first,
		  ring->last, i);

	/* E */
	ring_reset(ring, 0);
	ok = vmm_expect_mmio(&vcpu, ZONE2, 8, true, &val);
	tap_check(ok && val == VAL,
		  "a store only partly in a zone exits", "%s",
		  vmm_describe_exit(&vcpu));
	tap_check(ring_count(ring) == 1 &&
		  entry_is(ring, 0, ZONE2, 4, VAL & 0xffffffff, why, sizeof(why)),
		  "... the store filling the 4-byte zone was coalesced",
		  "count %u %s", ring_count(ring), why);

	/* F */
	ring_reset(ring, 0);
	TAP_EQ(unreg_zone(&vm, ZONE, ZSIZE), 0, "unregister the zone");
	ok = vmm_expect_mmio(&vcpu, ZONE + 0x40, 8, true, &val);
	tap_check(ok && val == VAL && ring_count(ring) == 0,
		  "after unregistering, a store in the old zone exits", "%s, ring count %u",
		  vmm_describe_exit(&vcpu), ring_count(ring));

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
}

static struct vmm_vcpu mp_vcpus[MP_VCPUS];

static void *mp_thread(void *arg)
{
	struct vmm_vcpu *vcpu = arg;
	uint64_t val;

	if (!vmm_expect_mmio(vcpu, SYNC, 8, true, &val) || val != vcpu->id)
		return (void *)1;
	return NULL;
}

/* vCPUs appending at the same time all land in the one ring. */
static void multi(void)
{
	struct kvm_coalesced_mmio_ring *ring;
	uint32_t next[MP_VCPUS] = { 0 };
	pthread_t t[MP_VCPUS];
	bool ok = true;
	struct vmm_vm vm;
	char why[200] = "";
	void *res;
	uint32_t i, n;
	int rc;

	rc = vmm_simple_vm(&vm, &mp_vcpus[0], mp_start, GUEST_SIZE(mp),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	for (i = 1; i < MP_VCPUS && !rc; i++)
		rc = vmm_simple_vcpu(&vm, &mp_vcpus[i], i,
				     1U << KVM_ARM_VCPU_PSCI_0_2, VMM_RAM_BASE);
	for (i = 0; i < MP_VCPUS && !rc; i++)
		rc = vmm_set64(&mp_vcpus[i], VMM_REG_X(0), i);
	TAP_REQUIRE(!rc, "vCPUs", "%s", strerror(-rc));
	TAP_REQUIRE(reg_zone(&vm, ZONE, ZSIZE) == 0, "register the zone",
		    "%s", strerror(errno));

	for (i = 0; i < MP_VCPUS; i++)
		pthread_create(&t[i], NULL, mp_thread, &mp_vcpus[i]);
	for (i = 0; i < MP_VCPUS; i++) {
		pthread_join(t[i], &res);
		if (res)
			ok = false;
	}
	tap_check(ok, "vCPUs storing into the zone at once only exit at the sync",
		  NULL);

	ring = ring_of(&mp_vcpus[MP_VCPUS - 1]);
	n = ring_count(ring);
	tap_check(ring->first == 0 && n == MP_VCPUS * MP_N,
		  "one ring holds every vCPU's stores", "first %u count %u",
		  ring->first, n);
	ok = true;
	for (i = 0; i < n && ok; i++) {
		const struct kvm_coalesced_mmio *e =
			&ring->coalesced_mmio[(ring->first + i) % ring_max];
		uint64_t d = entry_data(e);
		uint32_t id = d >> 32;

		ok = id < MP_VCPUS && e->len == 8 &&
		     e->phys_addr == ZONE + 8 * id &&
		     (uint32_t)d == next[id]++;
		if (!ok)
			snprintf(why, sizeof(why),
				 "entry %u: gpa 0x%llx len %u data 0x%llx",
				 i, (unsigned long long)e->phys_addr, e->len,
				 (unsigned long long)d);
	}
	tap_check(ok, "... each vCPU's in its order, none torn or lost", "%s",
		  why);
	tap_check(!memcmp(ring_of(&mp_vcpus[0]), ring, page_size),
		  "every vCPU's mmap shows the same ring", NULL);

	for (i = 0; i < MP_VCPUS; i++)
		vmm_vcpu_destroy(&mp_vcpus[i]);
	vmm_vm_destroy(&vm);
}

int main(void)
{
	tap_init();
	page_size = sysconf(_SC_PAGESIZE);
	ring_max = (page_size - sizeof(struct kvm_coalesced_mmio_ring)) /
		   sizeof(struct kvm_coalesced_mmio);
	tap_diag("page size %ld: %u ring entries", page_size, ring_max);

	caps();
	bad_args();
	single();
	multi();
	return tap_done();
}
