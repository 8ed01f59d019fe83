// SPDX-License-Identifier: GPL-2.0
/*
 * Host memory that the hypervisor uses per vCPU and per VM:
 *
 *   mem_per_vcpu_kb / slab_per_vcpu_kb
 *       one VM (with its memslot) exists; then 100 vCPUs are created, each
 *       KVM_ARM_VCPU_INIT'ed, its kvm_run mmap'ed and run once to an MMIO
 *       exit.  Delta / 100.  The VM itself is in the baseline.
 *   mem_per_vm_kb / slab_per_vm_kb
 *       20 VMs, each with a 64 KiB memslot (4 KiB pages, only the code
 *       page touched) and one vCPU run once to an MMIO exit.  Delta / 20:
 *       the VM, its stage 2, its memslot bookkeeping and one vCPU.
 *
 * "mem" is the drop in free memory: MemFree plus the pages parked on the
 * per-CPU free lists (/proc/zoneinfo "count:"), after flushing the per-CPU
 * vmstat counters (/proc/sys/vm/stat_refresh) and dropping clean caches.
 * "slab" is the growth of sum(active_objs * objsize) over /proc/slabinfo,
 * a part of "mem".  Both include what this VMM's own process needs for
 * the objects (file descriptors, the kvm_run mapping's page tables).
 * Repeated (5 times, 3 with --quick) with everything torn down between.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "guest.h"

#define NR_VCPUS	100
#define NR_VMS		20
#define RAM_SIZE	0x10000UL

GUEST_CODE(idle,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	str	xzr, [x20]\n"
	"	b	.\n");

static char err[256];

static void write_proc(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0)
			(void)0;	/* best effort */
		close(fd);
	}
}

static long meminfo_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* Pages on the per-CPU free lists, in kB. */
static long pcp_kb(void)
{
	char line[256];
	long pages = 0, c;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &c) == 1)
			pages += c;
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static long slab_kb(void)
{
	char line[512], name[128];
	unsigned long active, num, size;
	double bytes = 0;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %lu %lu %lu", name, &active, &num,
			   &size) == 4)
			bytes += (double)active * size;
	fclose(f);
	return (long)(bytes / 1024);
}

struct snap {
	long free_kb, slab_kb;
};

static void settle(struct snap *s)
{
	usleep(300000);		/* RCU-deferred frees of earlier rounds */
	sync();
	write_proc("/proc/sys/vm/drop_caches", "3");
	write_proc("/proc/sys/vm/stat_refresh", "1");
	s->free_kb = meminfo_kb("MemFree") + pcp_kb();
	s->slab_kb = slab_kb();
}

struct tiny_vm {
	struct vmm_vm vm;
	void *ram;
	bool made;
};

/* A VM with a 64 KiB memslot in 4 KiB pages holding the guest code. */
static int tiny_vm_create(struct tiny_vm *t)
{
	int rc;

	memset(t, 0, sizeof(*t));
	rc = vmm_vm_create(&t->vm, 0);
	if (rc)
		return rc;
	t->made = true;
	t->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->ram == MAP_FAILED) {
		t->ram = NULL;
		return -errno;
	}
	madvise(t->ram, RAM_SIZE, MADV_NOHUGEPAGE);
	memcpy(t->ram, idle_start, GUEST_SIZE(idle));
	__builtin___clear_cache((char *)t->ram,
				(char *)t->ram + GUEST_SIZE(idle));
	return vmm_set_region(&t->vm, 0, 0, VMM_RAM_BASE, RAM_SIZE, t->ram);
}

static void tiny_vm_destroy(struct tiny_vm *t)
{
	if (t->made)
		vmm_vm_destroy(&t->vm);
	if (t->ram)
		munmap(t->ram, RAM_SIZE);
	t->made = false;
	t->ram = NULL;
}

/* Create vCPU id (its kvm_run mmap'ed) and initialise it. */
static int setup_vcpu(struct vmm_vm *vm, struct vmm_vcpu *vcpu,
		      unsigned int id)
{
	int rc = vmm_vcpu_create(vm, vcpu, id);

	if (rc) {
		snprintf(err, sizeof(err), "KVM_CREATE_VCPU %u: %s", id,
			 strerror(-rc));
		return rc;
	}
	rc = vmm_vcpu_init(vcpu, 1U << KVM_ARM_VCPU_PSCI_0_2);
	if (!rc)
		rc = vmm_set64(vcpu, VMM_REG_PC, VMM_RAM_BASE);
	if (rc)
		snprintf(err, sizeof(err), "vCPU %u init: %s", id,
			 strerror(-rc));
	return rc;
}

/* Run a vCPU once, to its MMIO exit. */
static int run_vcpu(struct vmm_vcpu *vcpu)
{
	bench_deadline(30);
	if (!bench_mmio(vcpu, VMM_MMIO_BASE, true)) {
		bench_deadline(0);
		snprintf(err, sizeof(err), "vCPU %u: %s", vcpu->id,
			 vmm_describe_exit(vcpu));
		return -EIO;
	}
	bench_deadline(0);
	return 0;
}

static int per_vcpu(double *mem, double *slab)
{
	static struct vmm_vcpu vcpus[NR_VCPUS];
	struct tiny_vm t;
	struct snap a, b;
	int i, n = 0, rc;

	rc = tiny_vm_create(&t);
	if (rc) {
		snprintf(err, sizeof(err), "VM: %s", strerror(-rc));
		goto out;
	}
	settle(&a);
	/*
	 * All vCPUs are created before any runs: modkvm refuses
	 * KVM_CREATE_VCPU (EBUSY) once a vCPU of the VM has run.
	 */
	for (n = 0; n < NR_VCPUS; n++) {
		rc = setup_vcpu(&t.vm, &vcpus[n], n);
		if (rc) {
			if (vcpus[n].fd >= 0)
				n++;	/* created: destroy it below */
			goto out;
		}
	}
	for (i = 0; i < NR_VCPUS; i++) {
		rc = run_vcpu(&vcpus[i]);
		if (rc)
			goto out;
	}
	settle(&b);
	*mem = (double)(a.free_kb - b.free_kb) / NR_VCPUS;
	*slab = (double)(b.slab_kb - a.slab_kb) / NR_VCPUS;
out:
	for (i = 0; i < n; i++)
		vmm_vcpu_destroy(&vcpus[i]);
	tiny_vm_destroy(&t);
	return rc;
}

static int per_vm(double *mem, double *slab)
{
	static struct tiny_vm vms[NR_VMS];
	static struct vmm_vcpu vcpus[NR_VMS];
	struct snap a, b;
	int i, n, rc = 0;

	memset(vcpus, 0, sizeof(vcpus));
	for (i = 0; i < NR_VMS; i++)
		vcpus[i].fd = -1;
	settle(&a);
	for (n = 0; n < NR_VMS; n++) {
		rc = tiny_vm_create(&vms[n]);
		if (rc) {
			snprintf(err, sizeof(err), "VM %d: %s", n,
				 strerror(-rc));
			n++;
			goto out;
		}
		rc = setup_vcpu(&vms[n].vm, &vcpus[n], 0);
		if (!rc)
			rc = run_vcpu(&vcpus[n]);
		if (rc) {
			n++;
			goto out;
		}
	}
	settle(&b);
	*mem = (double)(a.free_kb - b.free_kb) / NR_VMS;
	*slab = (double)(b.slab_kb - a.slab_kb) / NR_VMS;
out:
	for (i = 0; i < n; i++) {
		if (vcpus[i].fd >= 0)
			vmm_vcpu_destroy(&vcpus[i]);
		tiny_vm_destroy(&vms[i]);
	}
	return rc;
}

int main(int argc, char **argv)
{
	int reps, i;
	double mem[16], slab[16];

	bench_init(argc, argv);
	reps = bench_reps(3, 5);
	if (reps > (int)ARRAY_SIZE(mem))
		reps = ARRAY_SIZE(mem);
	if (slab_kb() < 0)
		bench_note("no /proc/slabinfo: slab deltas will be wrong (not root?)");

	for (i = 0; i < reps; i++)
		if (per_vcpu(&mem[i], &slab[i]))
			break;
	if (i < reps) {
		bench_fail("mem_per_vcpu_kb", "%s", err);
		bench_fail("slab_per_vcpu_kb", "%s", err);
	} else {
		bench_note("per vCPU: %d rounds of 1 VM + %d vCPUs", reps,
			   NR_VCPUS);
		bench_report("mem_per_vcpu_kb", "KiB", mem, reps);
		bench_report("slab_per_vcpu_kb", "KiB", slab, reps);
	}

	for (i = 0; i < reps; i++)
		if (per_vm(&mem[i], &slab[i]))
			break;
	if (i < reps) {
		bench_fail("mem_per_vm_kb", "%s", err);
		bench_fail("slab_per_vm_kb", "%s", err);
	} else {
		bench_note("per VM: %d rounds of %d VMs with 1 vCPU each",
			   reps, NR_VMS);
		bench_report("mem_per_vm_kb", "KiB", mem, reps);
		bench_report("slab_per_vm_kb", "KiB", slab, reps);
	}
	return 0;
}
