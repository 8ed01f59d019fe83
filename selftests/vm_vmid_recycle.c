// SPDX-License-Identifier: GPL-2.0
/*
 * 1000 VMs open at once, each with one vCPU: more than a CPU with 8-bit
 * VMIDs has (255), so on such a CPU (or modkvm loaded with vmid_bits=8)
 * VMIDs must be recycled. Every guest reads the same IPA, which holds a
 * value of its own VM, and reports it with an MMIO write; every vCPU is
 * run, then all again in other orders: scattered, then in reverse, each
 * time from two threads at once. Each must see its own value, the one
 * its VMM wrote for that pass: a stale TLB entry of another VM's stage 2
 * would show that VM's. (On the emulated server QEMU flushes its TLB on
 * every VTTBR_EL2 change, so there only modkvm's own check, with
 * vmid_bits given, catches a VMID handed to two VMs.)
 * Everything is closed after, leaving no fd behind. Times are reported.
 *
 * usage: vm_vmid_recycle [NR_VMS]	(default 1000)
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#define NR_VMS		1000
#define MEM_SIZE	0x10000UL	/* 64 KiB of RAM per VM */
#define DATA		0x1000UL	/* the IPA (from RAM's base) every guest reads */
#define FDS_PER_VM	3		/* /dev/kvm, the VM, its vCPU */

/* Read the value, report it, again on each run. */
GUEST_CODE(report,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mov64	x21, " GUEST_STR(VMM_RAM_BASE + DATA) "\n"
	"1:	ldr	x1, [x21]\n"
	"	str	x1, [x20]\n"
	"	b	1b\n");

struct box {
	struct vmm_vm vm;
	struct vmm_vcpu vcpu;
	volatile uint64_t *data;	/* the guest's DATA page, host side */
};

static struct box *boxes;
static unsigned int nr_vms;
static unsigned long wrong[3];

/* Each VM's value in each pass: never another VM's, never another pass's */
static uint64_t value(unsigned int i, unsigned int pass)
{
	return 0x5600000000000000ULL | ((uint64_t)pass << 32) | (i + 1);
}

static void run_one(unsigned int i, unsigned int pass)
{
	struct box *b = &boxes[i];
	uint64_t want = value(i, pass), got = 0;

	*b->data = want;
	if (!vmm_expect_mmio(&b->vcpu, VMM_MMIO_BASE, 8, true, &got))
		tap_count(&wrong[pass], "pass %u, VM %u: %s", pass, i,
			  vmm_describe_exit(&b->vcpu));
	else if (got != want)
		tap_count(&wrong[pass], "pass %u, VM %u read %#llx, not %#llx%s",
			  pass, i, (unsigned long long)got,
			  (unsigned long long)want,
			  (got >> 56) == 0x56 && (uint32_t)got - 1 < nr_vms &&
			  (uint32_t)got - 1 != i ? " (another VM's)" : "");
}

#define NR_THREADS	2
#define NR_PASSES	3

/*
 * Each thread runs the vCPUs of every other VM, in all passes: the
 * in-kernel KVM waits for an RCU grace period when KVM_RUN comes from
 * another thread than the last (the vCPU's pid changes), which costs
 * ~20 ms a run on the emulated server; a vCPU keeps its thread here.
 */
struct runner {
	unsigned int first;
	pthread_t t;
};

static pthread_barrier_t pass_start, pass_end;

/* Pass 0 in creation order, 1 scattered (a stride prime to nr_vms), 2 reverse */
static unsigned int pass_order(unsigned int pass, unsigned int k)
{
	switch (pass) {
	case 0:
		return k;
	case 1:
		return (unsigned int)(((uint64_t)k * 617 + 11) % nr_vms);
	default:
		return nr_vms - 1 - k;
	}
}

static void *runner(void *arg)
{
	struct runner *r = arg;
	unsigned int pass, k, i;

	for (pass = 0; pass < NR_PASSES; pass++) {
		pthread_barrier_wait(&pass_start);
		for (k = 0; k < nr_vms; k++) {
			i = pass_order(pass, k);
			if (i % NR_THREADS == r->first)
				run_one(i, pass);
		}
		pthread_barrier_wait(&pass_end);
	}
	return NULL;
}

static unsigned int gcd(unsigned int a, unsigned int b)
{
	while (b) {
		unsigned int t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static double ms_since(uint64_t t0)
{
	return (vmm_now_ns() - t0) / 1e6;
}

/* modkvm's VMID width in use (its vmid_bits parameter), or 0 */
static unsigned int modkvm_vmid_width(void)
{
	FILE *f = fopen("/sys/module/modkvm/parameters/vmid_bits", "r");
	unsigned int bits = 0;

	if (f) {
		if (fscanf(f, "%u", &bits) != 1)
			bits = 0;
		fclose(f);
	}
	return bits;
}

int main(int argc, char **argv)
{
	static const char *const pass_names[NR_PASSES] = {
		"every vCPU ran and read its own VM's value",
		"all again, scattered: each its own value",
		"all again in reverse order: each its own value",
	};
	unsigned int i, pass, made = 0, bits;
	struct runner runners[NR_THREADS];
	struct rlimit rl;
	uint64_t t0, t_all;
	int fds0, rc = 0;
	rlim_t need;

	tap_init();
	nr_vms = argc > 1 ? (unsigned int)atoi(argv[1]) : NR_VMS;
	if (!nr_vms || gcd(nr_vms, 617) != 1) {
		fprintf(stderr, "usage: %s [NR_VMS (not a multiple of 617)]\n", argv[0]);
		return 2;
	}
	if (vmm_sys_check_cap(KVM_CAP_USER_MEMORY) < 0) {
		tap_skip("VMID recycling", "no /dev/kvm");
		return tap_done();
	}
	bits = vmm_is_modkvm() ? modkvm_vmid_width() : 0;
	if (bits)
		tap_diag("modkvm uses %u-bit VMIDs: %u for guests, %u VMs", bits,
			 (1U << bits) - 1, nr_vms);

	/* 3 fds per VM: the default limit of 1024 is too few */
	need = (rlim_t)nr_vms * FDS_PER_VM + 64;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < need) {
		rl.rlim_cur = need;
		if (rl.rlim_max < need)
			rl.rlim_max = need;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	TAP_REQUIRE(rl.rlim_cur >= need, "RLIMIT_NOFILE raised for the VMs' fds",
		    "%llu < %llu", (unsigned long long)rl.rlim_cur,
		    (unsigned long long)need);

	boxes = calloc(nr_vms, sizeof(*boxes));
	TAP_REQUIRE(boxes != NULL, "memory for the VMs' bookkeeping", "calloc failed");
	fds0 = vmm_count_fds();

	t_all = t0 = vmm_now_ns();
	for (i = 0; i < nr_vms; i++) {
		struct box *b = &boxes[i];
		void *mem;

		rc = vmm_vm_create(&b->vm, 0);
		if (rc)
			break;
		mem = vmm_mem_add(&b->vm, 0, VMM_RAM_BASE, MEM_SIZE, 0);
		if (!mem) {
			rc = -errno;
			vmm_vm_destroy(&b->vm);
			break;
		}
		rc = vmm_load(&b->vm, VMM_RAM_BASE, report_start,
			      GUEST_SIZE(report));
		if (!rc)
			rc = vmm_simple_vcpu(&b->vm, &b->vcpu, 0, 0, VMM_RAM_BASE);
		if (rc) {
			vmm_vm_destroy(&b->vm);
			break;
		}
		b->data = (volatile uint64_t *)((char *)mem + DATA);
		made++;
	}
	TAP_REQUIRE(made == nr_vms, "VMs created, each with one vCPU, all open at once",
		    "VM %u: %s", made, strerror(-rc));
	tap_diag("%u VMs created in %.0f ms", nr_vms, ms_since(t0));

	pthread_barrier_init(&pass_start, NULL, NR_THREADS + 1);
	pthread_barrier_init(&pass_end, NULL, NR_THREADS + 1);
	for (i = 0, rc = 0; i < NR_THREADS && !rc; i++) {
		runners[i].first = i;
		rc = pthread_create(&runners[i].t, NULL, runner, &runners[i]);
	}
	TAP_REQUIRE(!rc, "threads to run the vCPUs", "pthread_create: %s",
		    strerror(rc));
	for (pass = 0; pass < NR_PASSES; pass++) {
		t0 = vmm_now_ns();
		pthread_barrier_wait(&pass_start);
		pthread_barrier_wait(&pass_end);
		tap_check(!wrong[pass], pass_names[pass], "%lu of %u wrong",
			  wrong[pass], nr_vms);
		tap_diag("pass %u: %.0f ms", pass + 1, ms_since(t0));
	}
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(runners[i].t, NULL);

	t0 = vmm_now_ns();
	for (i = 0; i < nr_vms; i++) {
		vmm_vcpu_destroy(&boxes[i].vcpu);
		vmm_vm_destroy(&boxes[i].vm);
	}
	tap_diag("closed in %.0f ms; %.0f ms in all", ms_since(t0), ms_since(t_all));
	TAP_EQ(vmm_count_fds(), fds0, "every fd closed after");
	free(boxes);
	return tap_done();
}
