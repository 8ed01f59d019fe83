// SPDX-License-Identifier: GPL-2.0
/*
 * 200 VMs created and destroyed, each with 2 vCPUs, a 1 MiB memslot and a
 * short run on each vCPU, their fds closed in varying orders: afterwards
 * free memory and slab usage are where they were (no per-VM leak) and the
 * process has no fd left over.
 */
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

/* Each vCPU reports its MPIDR_EL1 affinity with one MMIO write. */
GUEST_CODE(once,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mrs	x1, mpidr_el1\n"
	"	and	x1, x1, #0xff\n"
	"	str	x1, [x20]\n"
	"	b	.\n");

#define ITERATIONS	200
#define WARMUP		10
#define MEM_SIZE	0x100000UL
#define NR_VCPUS	2
#define LIMIT_KB	2048
/* Half a page per VM: a 4 KiB page leaked per VM would be 800 KiB. */
#define PER_VM_KB	(ITERATIONS * 2)

enum order {
	VCPUS_FIRST,		/* vCPU fds, VM fd, then memory */
	VM_FIRST,		/* VM fd, then vCPU fds */
	STATS_LAST,		/* stats fds held until everything else is gone */
	MEMORY_FIRST,		/* memory unmapped under the live VM; the
				 * kvm_run mappings, which keep the vCPU
				 * files open, go last
				 */
	NR_ORDERS
};

static const char *const order_names[] = {
	"vCPU fds first", "VM fd first", "stats fds last", "memory first",
};

static int failures[NR_ORDERS];

struct box {
	struct vmm_vm vm;
	struct vmm_vcpu vcpu[NR_VCPUS];
	void *mem;
	int stats[2];
};

static void close_vm(struct box *b)
{
	close(b->vm.fd);
	close(b->vm.kvm_fd);
}

static void close_vcpu(struct vmm_vcpu *c, bool unmap)
{
	if (unmap)
		munmap(c->run, c->run_size);
	close(c->fd);
}

/*
 * Copy the guest code with plain 8-byte stores over the whole page: the
 * emulated server's TCG (QEMU 7.2) can keep executing a stale translation
 * of an earlier guest's code from a reused page when the code is written
 * with memcpy.
 */
static void load_code(void *mem)
{
	volatile uint64_t *p = mem;
	const uint64_t *src = (const void *)once_start;
	unsigned int i;

	for (i = 0; i < 4096 / 8; i++)
		p[i] = i < (GUEST_SIZE(once) + 7) / 8 ? src[i] : 0;
	__builtin___clear_cache((char *)mem, (char *)mem + 4096);
}

/* One VM's life; returns false (with a diagnostic) if something failed. */
static bool one_vm(int iter, enum order order)
{
	struct box b;
	uint64_t v;
	bool ok = true;
	int i, rc;

	memset(&b, 0, sizeof(b));
	b.stats[0] = b.stats[1] = -1;
	rc = vmm_vm_create(&b.vm, 0);
	if (rc) {
		tap_diag("iteration %d: create VM: %s", iter, strerror(-rc));
		return false;
	}
	b.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rc = b.mem == MAP_FAILED ? -errno :
	     vmm_set_region(&b.vm, 0, 0, VMM_RAM_BASE, MEM_SIZE, b.mem);
	if (!rc)
		load_code(b.mem);
	for (i = 0; i < NR_VCPUS && !rc; i++) {
		struct vmm_vcpu *c = &b.vcpu[i];

		rc = vmm_vcpu_create(&b.vm, c, i);
		if (!rc)
			rc = vmm_vcpu_init(c, 1U << KVM_ARM_VCPU_PSCI_0_2);
		if (!rc)
			rc = vmm_set64(c, VMM_REG_PC, VMM_RAM_BASE);
		if (!rc)
			rc = vmm_set64(c, VMM_REG_SP_EL1, VMM_RAM_BASE +
				       MEM_SIZE - i * 0x1000UL);
	}
	if (rc) {
		tap_diag("iteration %d: setup: %s", iter, strerror(-rc));
		ok = false;
	}
	for (i = 0; i < NR_VCPUS && ok; i++) {
		if (!vmm_expect_mmio(&b.vcpu[i], VMM_MMIO_BASE, 8, true, &v) ||
		    v != (uint64_t)i) {
			tap_diag("iteration %d: vCPU %d: %s", iter, i,
				 vmm_describe_exit(&b.vcpu[i]));
			ok = false;
		}
	}
	if (ok && order == STATS_LAST) {
		b.stats[0] = ioctl(b.vm.fd, KVM_GET_STATS_FD, NULL);
		b.stats[1] = ioctl(b.vcpu[1].fd, KVM_GET_STATS_FD, NULL);
		if (b.stats[0] < 0 || b.stats[1] < 0) {
			tap_diag("iteration %d: KVM_GET_STATS_FD: %s", iter,
				 strerror(errno));
			ok = false;
		}
	}

	/* Tear down; fds that were never opened are -1 (close fails). */
	switch (order) {
	case VCPUS_FIRST:
		close_vcpu(&b.vcpu[0], true);
		close_vcpu(&b.vcpu[1], true);
		close_vm(&b);
		munmap(b.mem, MEM_SIZE);
		break;
	case VM_FIRST:
		close_vm(&b);
		close_vcpu(&b.vcpu[1], true);
		close_vcpu(&b.vcpu[0], true);
		munmap(b.mem, MEM_SIZE);
		break;
	case STATS_LAST:
		close_vcpu(&b.vcpu[0], false);
		close_vm(&b);
		close_vcpu(&b.vcpu[1], true);
		munmap(b.mem, MEM_SIZE);
		if (b.vcpu[0].run)
			munmap(b.vcpu[0].run, b.vcpu[0].run_size);
		if (b.stats[1] >= 0 && pread(b.stats[1], &v, 8, 0) != 8) {
			tap_diag("iteration %d: stats fd after close: %s",
				 iter, strerror(errno));
			ok = false;
		}
		close(b.stats[1]);
		close(b.stats[0]);
		break;
	default:
		munmap(b.mem, MEM_SIZE);
		close_vcpu(&b.vcpu[1], false);
		close_vm(&b);
		close_vcpu(&b.vcpu[0], false);
		for (i = 0; i < NR_VCPUS; i++)
			if (b.vcpu[i].run)
				munmap(b.vcpu[i].run, b.vcpu[i].run_size);
		break;
	}
	return ok;
}

static long meminfo_kb(const char *key)
{
	char line[128];
	long kb = -1;
	size_t len = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':') {
			kb = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* Sum over /proc/slabinfo of active_objs * objsize, in KiB. */
static long slab_kb(void)
{
	char line[512], name[64];
	unsigned long active, total, size;
	unsigned long long sum = 0;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lu %lu %lu", name, &active, &total,
			   &size) == 4)
			sum += (unsigned long long)active * size;
	fclose(f);
	return sum / 1024;
}

/* Pages on the per-CPU free lists (/proc/zoneinfo "count:"), in KiB. */
static long pcp_kb(void)
{
	char line[256];
	long n, sum = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &n) == 1)
			sum += n;
	fclose(f);
	return sum * (sysconf(_SC_PAGESIZE) / 1024);
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(s, f);
		fclose(f);
	}
}

/*
 * Let deferred frees (per-CPU slabs, per-CPU vmstat deltas) drain so that
 * the numbers are of memory really in use.
 */
static void settle(void)
{
	char path[300];
	struct dirent *e;
	DIR *d;

	write_file("/proc/sys/vm/drop_caches", "3");
	d = opendir("/sys/kernel/slab");
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 e->d_name);
		write_file(path, "1");
	}
	if (d)
		closedir(d);
	write_file("/proc/sys/vm/stat_refresh", "1");
}

/*
 * Free memory and slab usage once they hold still.  Free memory is
 * MemFree plus the pages parked on the per-CPU free lists, which MemFree
 * does not count (their number varies with the recent free traffic).
 * Bounded: at most 15 rounds of 200 ms.
 */
static void measure(long *free_kb, long *slab)
{
	long f = -1, prev = -1, mf = -1, pcp = 0;
	int i;

	for (i = 0; i < 15; i++) {
		settle();
		usleep(200000);
		mf = meminfo_kb("MemFree");
		pcp = pcp_kb();
		f = mf + pcp;
		if (prev >= 0 && labs(f - prev) < 64)
			break;
		prev = f;
	}
	*free_kb = f;
	*slab = slab_kb();
	tap_diag("MemFree %ld kB + per-CPU lists %ld kB, after %d rounds",
		 mf, pcp, i + (i < 15));
}

int main(void)
{
	long free0, free1, slab0, slab1, dfree, dslab;
	int fds0, fds1, i, bad = 0, try;
	long ref0;
	uint64_t t0, t;
	char name[80];

	tap_init();
	fds0 = vmm_count_fds();
	ref0 = vmm_module_refcnt();

	t0 = vmm_now_ns();
	for (i = 0; i < WARMUP; i++)
		if (!one_vm(i, i % NR_ORDERS))
			bad++;
	TAP_REQUIRE(!bad, "10 warm-up VMs", "%d failed", bad);

	measure(&free0, &slab0);
	TAP_REQUIRE(free0 > 0 && slab0 > 0,
		    "read MemFree, /proc/zoneinfo and /proc/slabinfo",
		    "MemFree %ld slab %ld", free0, slab0);

	t = vmm_now_ns();
	for (i = 0; i < ITERATIONS; i++)
		if (!one_vm(WARMUP + i, i % NR_ORDERS))
			failures[i % NR_ORDERS]++;
	t = vmm_now_ns() - t;
	tap_diag("%d VMs in %llu ms (%llu us each)", ITERATIONS,
		 (unsigned long long)t / 1000000,
		 (unsigned long long)t / 1000 / ITERATIONS);
	for (i = 0; i < NR_ORDERS; i++) {
		snprintf(name, sizeof(name), "%d VMs closed %s",
			 ITERATIONS / NR_ORDERS, order_names[i]);
		tap_check(!failures[i], name, "%d failed", failures[i]);
	}

	/* Deferred frees may take a moment: retry a few times (bounded). */
	for (try = 0; try < 3; try++) {
		measure(&free1, &slab1);
		dfree = free0 - free1;
		dslab = slab1 - slab0;
		tap_diag("free %ld -> %ld kB (%+ld used), slab %ld -> %ld kB "
			 "(%+ld)", free0, free1, dfree, slab0, slab1, dslab);
		if (dfree < PER_VM_KB && dslab < PER_VM_KB)
			break;
	}
	tap_check(dfree < LIMIT_KB, "free memory dropped by less than 2 MiB",
		  "%ld kB less free after %d VMs", dfree, ITERATIONS);
	tap_check(dslab < LIMIT_KB, "slab usage grew by less than 2 MiB",
		  "%ld kB more in slabs after %d VMs", dslab, ITERATIONS);
	tap_check(dfree < PER_VM_KB && dslab < PER_VM_KB,
		  "and by less than 2 KiB per VM (one leaked page per VM is 800 kB)",
		  "%ld kB less free, %ld kB more in slabs", dfree, dslab);
	fds1 = vmm_count_fds();
	TAP_EQ(fds1, fds0, "fd count back to the start");
	if (ref0 >= 0)
		TAP_EQ(vmm_module_refcnt(), ref0, "modkvm refcnt back to the start");
	tap_diag("total %llu ms", (unsigned long long)(vmm_now_ns() - t0) /
		 1000000);
	return tap_done();
}
