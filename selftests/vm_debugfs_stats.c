// SPDX-License-Identifier: GPL-2.0
/*
 * The statistics in debugfs, where kvm_stat reads them from the in-kernel
 * KVM: a directory kvm/<pid>-<vm fd> per VM with one file per counter of
 * the binary stats (KVM_GET_STATS_FD), each reading as the same decimal
 * value; kvm/<name> the sum over every VM; the directory gone with the VM.
 * On modkvm also its own kvm/<pid>-<vm fd>/vcpus: a line per vCPU with
 * its interrupt lines and timers.
 */
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#define DEBUGFS_KVM	"/sys/kernel/debug/kvm"

/* One MMIO write per KVM_RUN, for ever. */
GUEST_CODE(writes,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mov	x1, #0\n"
	"1:	str	x1, [x20]\n"
	"	add	x1, x1, #1\n"
	"	b	1b\n");

#define MMIO_EXITS	10

static bool read_file_u64(const char *path, uint64_t *v)
{
	unsigned long long x;
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%llu", &x) == 1;
	fclose(f);
	*v = x;
	return ok;
}

/*
 * Every single-value counter of a binary stats fd against the file of
 * that name in dir. Returns how many were compared; *bad how many differ.
 */
static int compare(int stats_fd, const char *dir, const char *what, int *bad)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	char path[512];
	uint64_t bin, dbg;
	int n = 0;
	size_t dsz;
	uint32_t i;

	if (pread(stats_fd, &h, sizeof(h), 0) != sizeof(h))
		return 0;
	dsz = sizeof(*d) + h.name_size;
	d = malloc(dsz);
	for (i = 0; d && i < h.num_desc; i++) {
		if (pread(stats_fd, d, dsz, h.desc_offset + i * dsz) != (ssize_t)dsz)
			break;
		if (d->size != 1 || !memchr(d->name, 0, h.name_size))
			continue;	/* histograms: debugfs has no form for them */
		snprintf(path, sizeof(path), "%s/%s", dir, d->name);
		if (pread(stats_fd, &bin, 8, h.data_offset + d->offset) != 8 ||
		    !read_file_u64(path, &dbg)) {
			tap_diag("%s %s: no value in %s", what, d->name, path);
			(*bad)++;
		} else if (bin != dbg) {
			tap_diag("%s %s: binary %llu, debugfs %llu", what, d->name,
				 (unsigned long long)bin, (unsigned long long)dbg);
			(*bad)++;
		}
		n++;
	}
	free(d);
	return n;
}

/*
 * modkvm's vcpus file, the vCPU stopped in userspace after an MMIO exit:
 * one line, for vCPU 0, its IRQ line low (nothing raised it) and the
 * guest's virtual timer as KVM_GET_ONE_REG reads its CTL.
 */
static void check_vcpus(const char *path, struct vmm_vcpu *vcpu)
{
	unsigned long long ctl = ~0ULL, ctl_reg = 0;
	char line[1024], first[1024] = "";
	const char *p;
	int lines = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		tap_check(false, "vcpus: a line per vCPU with its lines and timers",
			  "%s: %s", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (!lines++)
			memcpy(first, line, sizeof(first));
	fclose(f);
	p = strstr(first, " cntv_ctl=");
	if (p)
		ctl = strtoull(p + strlen(" cntv_ctl="), NULL, 0);
	if (vmm_get_reg(vcpu, KVM_REG_ARM_TIMER_CTL, &ctl_reg))
		ctl_reg = ~1ULL;
	tap_check(lines == 1 && !strncmp(first, "vcpu0 ", 6) &&
		  strstr(first, " irq_lines=0x0 ") && ctl == ctl_reg,
		  "vcpus: a line per vCPU with its lines and timers",
		  "%d lines, the first: %.300s (CNTV_CTL by ONE_REG %#llx)",
		  lines, first, ctl_reg);
}

int main(void)
{
	uint64_t per_vm, total, v;
	struct vmm_vcpu vcpu;
	char dir[128], path[192];
	struct vmm_vm vm;
	struct stat st;
	int vfd, cfd, rc, i, n, bad;
	bool ok;

	tap_init();
	if (stat(DEBUGFS_KVM, &st)) {
		tap_skip("debugfs kvm/", "no " DEBUGFS_KVM " (debugfs not mounted?)");
		return tap_done();
	}
	rc = vmm_simple_vm(&vm, &vcpu, writes_start, GUEST_SIZE(writes),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	snprintf(dir, sizeof(dir), DEBUGFS_KVM "/%d-%d", getpid(), vm.fd);
	TAP_REQUIRE(!stat(dir, &st) && S_ISDIR(st.st_mode),
		    "debugfs has kvm/<pid>-<vm fd> for the VM", "%s: %s", dir,
		    strerror(errno));

	for (i = 0, ok = true; ok && i < MMIO_EXITS; i++)
		ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE, 8, true, &v);
	TAP_REQUIRE(ok, "guest made 10 MMIO exits", "exit %d: %s", i,
		    vmm_describe_exit(&vcpu));

	snprintf(path, sizeof(path), "%s/exits", dir);
	tap_check(read_file_u64(path, &per_vm) && per_vm >= MMIO_EXITS,
		  "the VM's exits file counts them", "%s: %llu", path,
		  (unsigned long long)per_vm);
	tap_check(read_file_u64(DEBUGFS_KVM "/exits", &total) && total >= per_vm,
		  "kvm/exits, the sum over VMs, includes them", "%llu < %llu",
		  (unsigned long long)total, (unsigned long long)per_vm);

	vfd = ioctl(vm.fd, KVM_GET_STATS_FD, NULL);
	cfd = ioctl(vcpu.fd, KVM_GET_STATS_FD, NULL);
	TAP_REQUIRE(vfd >= 0 && cfd >= 0, "KVM_GET_STATS_FD on the VM and vCPU",
		    "%s", strerror(errno));
	bad = 0;
	n = compare(vfd, dir, "VM", &bad);
	n += compare(cfd, dir, "vCPU", &bad);
	tap_check(n > 0 && !bad, "every counter of the binary stats has a "
		  "debugfs file reading the same value", "%d of %d differ or "
		  "are missing", bad, n);
	tap_diag("%d counters compared", n);
	close(vfd);
	close(cfd);

	snprintf(path, sizeof(path), "%s/vcpus", dir);
	if (vmm_is_modkvm())
		check_vcpus(path, &vcpu);
	else
		tap_skip("vcpus: a line per vCPU with its lines and timers",
			 "kvm/<pid>-<fd>/vcpus is modkvm's");

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	tap_check(stat(dir, &st) && errno == ENOENT,
		  "the VM's directory is gone with the VM", "%s still there", dir);
	return tap_done();
}
