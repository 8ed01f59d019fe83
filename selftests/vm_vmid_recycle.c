// SPDX-License-Identifier: GPL-2.0
/*
 * 1000 VMs open at once, each with one vCPU: more than a CPU with 8-bit
 * VMIDs has (255), so on such a CPU (or modkvm loaded with vmid_bits=8)
 * VMIDs must be recycled. Every guest reads the same IPA, which holds a
 * value of its own VM, and reports it with an MMIO write; every vCPU is
 * run, then all again in other orders: from two threads at once, then in
 * reverse. Each must see its own value, the one its VMM wrote for that
 * pass: a stale TLB entry of another VM's stage 2 would show that VM's.
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
static unsigned long wrong[4];

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

struct half {
	unsigned int first, pass;
	pthread_t t;
	bool started;
};

/* Every other VM, in a scattered order (a stride prime to nr_vms) */
static void *run_half(void *arg)
{
	struct half *h = arg;
	unsigned int k;

	for (k = h->first; k < nr_vms; k += 2)
		run_one((unsigned int)(((uint64_t)k * 617 + 11) % nr_vms), h->pass);
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
	unsigned int i, made = 0, bits;
	struct half halves[2];
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

	t0 = vmm_now_ns();
	for (i = 0; i < nr_vms; i++)
		run_one(i, 0);
	tap_check(!wrong[0], "every vCPU ran and read its own VM's value",
		  "%lu of %u wrong", wrong[0], nr_vms);
	tap_diag("pass 1, in creation order: %.0f ms", ms_since(t0));

	t0 = vmm_now_ns();
	for (i = 0; i < 2; i++) {
		halves[i] = (struct half){ .first = i, .pass = 1 };
		halves[i].started = !pthread_create(&halves[i].t, NULL,
						    run_half, &halves[i]);
		if (!halves[i].started)		/* then here, one after the other */
			run_half(&halves[i]);
	}
	for (i = 0; i < 2; i++)
		if (halves[i].started)
			pthread_join(halves[i].t, NULL);
	tap_check(!wrong[1], "all again, scattered, from two threads: each its own value",
		  "%lu of %u wrong", wrong[1], nr_vms);
	tap_diag("pass 2, two threads: %.0f ms", ms_since(t0));

	t0 = vmm_now_ns();
	for (i = nr_vms; i-- > 0;)
		run_one(i, 2);
	tap_check(!wrong[2], "all again in reverse order: each its own value",
		  "%lu of %u wrong", wrong[2], nr_vms);
	tap_diag("pass 3, reverse order: %.0f ms", ms_since(t0));

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
