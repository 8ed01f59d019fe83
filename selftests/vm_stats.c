// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_STATS_FD on a VM and on a vCPU: the binary format of api.rst
 * (header, id string, descriptors, data), a cumulative exit counter that
 * counts the guest's MMIO exits, a read-only fd, and an fd that outlives
 * the VM and vCPU fds it came from.
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

/* The documented maxima (api.rst 4.133), independent of the headers */
#define TYPE_MAX	4	/* KVM_STATS_TYPE_LOG_HIST */
#define UNIT_MAX	4	/* KVM_STATS_UNIT_BOOLEAN */
#define BASE_MAX	1	/* KVM_STATS_BASE_POW2 */
#define FILE_MAX	(1 << 20)

/* One MMIO write per KVM_RUN, for ever. */
GUEST_CODE(exits,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mov	x1, #0\n"
	"1:	str	x1, [x20]\n"
	"	add	x1, x1, #1\n"
	"	b	1b\n");

#define MMIO_EXITS	20

struct stats {
	const char *what;	/* "VM" or "vCPU" */
	int fd;
	char *buf;		/* the whole file */
	size_t size;
	struct kvm_stats_header h;
	size_t dsz;		/* descriptor + name */
	size_t data_size;
};

static struct kvm_stats_desc *desc(struct stats *s, uint32_t i)
{
	return (void *)(s->buf + s->h.desc_offset + i * s->dsz);
}

/* Read the whole file with read(2) from offset 0 up to EOF. */
static bool read_all(struct stats *s)
{
	ssize_t n;

	s->buf = calloc(1, FILE_MAX);
	s->size = 0;
	if (!s->buf)
		return false;
	while (s->size < FILE_MAX) {
		n = read(s->fd, s->buf + s->size, FILE_MAX - s->size);
		if (n < 0) {
			tap_diag("read: %s", strerror(errno));
			return false;
		}
		if (!n)
			break;
		s->size += n;
	}
	return s->size > sizeof(s->h) && s->size < FILE_MAX;
}

struct block {
	const char *name;
	uint64_t start, end;
};

static void check_layout(struct stats *s)
{
	struct kvm_stats_header *h = &s->h;
	struct block b[4];
	char name[96];
	unsigned int i, j;
	bool ok;

	snprintf(name, sizeof(name), "%s: header flags 0, name_size and "
		 "num_desc > 0", s->what);
	tap_check(h->flags == 0 && h->name_size > 0 && h->num_desc > 0, name,
		  "flags %#x name_size %u num_desc %u", h->flags,
		  h->name_size, h->num_desc);
	snprintf(name, sizeof(name), "%s: block offsets are multiples of 8",
		 s->what);
	tap_check(!(h->id_offset % 8) && !(h->desc_offset % 8) &&
		  !(h->data_offset % 8), name, "id %u desc %u data %u",
		  h->id_offset, h->desc_offset, h->data_offset);

	b[0] = (struct block){ "header", 0, sizeof(*h) };
	b[1] = (struct block){ "id", h->id_offset,
			       (uint64_t)h->id_offset + h->name_size };
	b[2] = (struct block){ "descriptors", h->desc_offset,
			       h->desc_offset + (uint64_t)h->num_desc * s->dsz };
	b[3] = (struct block){ "data", h->data_offset,
			       (uint64_t)h->data_offset + s->data_size };
	ok = true;
	for (i = 0; i < 4; i++)
		if (b[i].end > s->size) {
			tap_diag("%s block [%llu, %llu) beyond the file (%zu)",
				 b[i].name, (unsigned long long)b[i].start,
				 (unsigned long long)b[i].end, s->size);
			ok = false;
		}
	snprintf(name, sizeof(name), "%s: all blocks within the file (%zu "
		 "bytes)", s->what, s->size);
	tap_check(ok, name, NULL);
	ok = true;
	for (i = 0; i < 4; i++)
		for (j = i + 1; j < 4; j++)
			if (b[i].start < b[j].end && b[j].start < b[i].end) {
				tap_diag("%s and %s blocks overlap", b[i].name,
					 b[j].name);
				ok = false;
			}
	snprintf(name, sizeof(name), "%s: blocks do not overlap", s->what);
	tap_check(ok, name, NULL);
}

static bool parse(struct stats *s)
{
	struct kvm_stats_header *h = &s->h;
	struct kvm_stats_desc *d;
	uint64_t end;
	char name[96];
	uint32_t i, j;
	bool ok;
	char *id;

	snprintf(name, sizeof(name), "%s: stats file reads to EOF", s->what);
	if (!tap_check(read_all(s), name, "%zu bytes", s->size))
		return false;
	memcpy(h, s->buf, sizeof(*h));
	tap_diag("%s stats: %zu bytes, %u descriptors, name_size %u", s->what,
		 s->size, h->num_desc, h->name_size);
	s->dsz = sizeof(struct kvm_stats_desc) + h->name_size;
	/* Plausibility before walking anything */
	if (!h->name_size || h->name_size > 4096 || !h->num_desc ||
	    h->desc_offset + (uint64_t)h->num_desc * s->dsz > s->size ||
	    (uint64_t)h->id_offset + h->name_size > s->size) {
		check_layout(s);
		return false;
	}
	s->data_size = 0;
	for (i = 0; i < h->num_desc; i++) {
		d = desc(s, i);
		end = d->offset + (uint64_t)d->size * 8;
		if (end > s->data_size)
			s->data_size = end;
	}
	check_layout(s);

	id = s->buf + h->id_offset;
	snprintf(name, sizeof(name), "%s: id string non-empty, NUL-terminated",
		 s->what);
	tap_check(id[0] && memchr(id, 0, h->name_size), name, NULL);
	if (memchr(id, 0, h->name_size))
		tap_diag("%s id \"%s\"", s->what, id);

	ok = true;
	for (i = 0; i < h->num_desc; i++) {
		uint32_t f;

		d = desc(s, i);
		f = d->flags;
		if (!memchr(d->name, 0, h->name_size) || !d->name[0]) {
			tap_diag("descriptor %u: name empty or not terminated", i);
			ok = false;
			continue;
		}
		if ((f & KVM_STATS_TYPE_MASK) >> KVM_STATS_TYPE_SHIFT > TYPE_MAX ||
		    (f & KVM_STATS_UNIT_MASK) >> KVM_STATS_UNIT_SHIFT > UNIT_MAX ||
		    (f & KVM_STATS_BASE_MASK) >> KVM_STATS_BASE_SHIFT > BASE_MAX ||
		    d->size < 1) {
			tap_diag("%s: flags %#x size %u", d->name, f, d->size);
			ok = false;
		}
		for (j = 0; j < i; j++)
			if (!strncmp(desc(s, j)->name, d->name, h->name_size)) {
				tap_diag("%s: name used twice", d->name);
				ok = false;
			}
	}
	snprintf(name, sizeof(name), "%s: descriptors valid (type, unit, base, "
		 "size, unique terminated names)", s->what);
	tap_check(ok, name, NULL);
	return true;
}

/* Index of a descriptor by name, or -1 */
static int find(struct stats *s, const char *n)
{
	uint32_t i;

	for (i = 0; i < s->h.num_desc; i++)
		if (!strncmp(desc(s, i)->name, n, s->h.name_size))
			return i;
	return -1;
}

/* A u64 value of descriptor i, read with pread. */
static bool value(struct stats *s, int i, uint64_t *v)
{
	return pread(s->fd, v, 8, s->h.data_offset + desc(s, i)->offset) == 8;
}

int main(void)
{
	struct stats vms = { .what = "VM" }, cpus = { .what = "vCPU" };
	struct kvm_stats_header h2;
	uint64_t before, after, later, v, data[2];
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	int fds0, refcnt0, cap, rc, i, ex;
	char *chunked, *again;
	size_t off;
	ssize_t n;
	bool ok;

	tap_init();
	fds0 = vmm_count_fds();
	refcnt0 = vmm_module_refcnt();

	cap = vmm_sys_check_cap(KVM_CAP_BINARY_STATS_FD);
	TAP_REQUIRE(cap > 0, "KVM_CAP_BINARY_STATS_FD > 0", "%d", cap);
	rc = vmm_simple_vm(&vm, &vcpu, exits_start, GUEST_SIZE(exits),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	vms.fd = ioctl(vm.fd, KVM_GET_STATS_FD, NULL);
	TAP_REQUIRE(vms.fd >= 0, "KVM_GET_STATS_FD on the VM", "%s",
		    strerror(errno));
	cpus.fd = ioctl(vcpu.fd, KVM_GET_STATS_FD, NULL);
	TAP_REQUIRE(cpus.fd >= 0, "KVM_GET_STATS_FD on the vCPU", "%s",
		    strerror(errno));

	TAP_REQUIRE(parse(&vms), "VM stats parse", NULL);
	TAP_REQUIRE(parse(&cpus), "vCPU stats parse", NULL);
	tap_check(strcmp(vms.buf + vms.h.id_offset,
			 cpus.buf + cpus.h.id_offset),
		  "VM and vCPU files have different ids", NULL);

	/* pread of the data block gives what read(2) gave (nothing ran) */
	again = malloc(cpus.data_size);
	n = again ? pread(cpus.fd, again, cpus.data_size,
			  cpus.h.data_offset) : -1;
	tap_check(n == (ssize_t)cpus.data_size &&
		  !memcmp(again, cpus.buf + cpus.h.data_offset, n),
		  "pread at data_offset reads the data block",
		  "%zd of %zu bytes%s", n, cpus.data_size,
		  n == (ssize_t)cpus.data_size ? ", different values" : "");
	free(again);
	/* Reads in odd-sized pieces see the same bytes. */
	chunked = calloc(1, cpus.size);
	for (off = 0, n = 1; chunked && off < cpus.size && n > 0; off += n)
		n = pread(cpus.fd, chunked + off, 7, off);
	tap_check(chunked && off == cpus.size &&
		  !memcmp(chunked, cpus.buf, cpus.size),
		  "reading 7 bytes at a time gives the same file",
		  "%zu of %zu bytes", off, cpus.size);
	free(chunked);
	n = pread(cpus.fd, data, 8, cpus.size);
	TAP_EQ(n, 0, "pread at the end of the file returns 0");

	/* A cumulative exit counter */
	ex = find(&cpus, "exits");
	if (ex < 0)
		for (i = 0; i < (int)cpus.h.num_desc && ex < 0; i++)
			if (strstr(desc(&cpus, i)->name, "exit"))
				ex = i;
	if (!tap_check(ex >= 0, "vCPU has an exit counter", NULL))
		exit(tap_done());
	tap_diag("exit counter: %s", desc(&cpus, ex)->name);
	TAP_EQ(desc(&cpus, ex)->flags & KVM_STATS_TYPE_MASK,
	       KVM_STATS_TYPE_CUMULATIVE, "the exit counter is cumulative");
	ok = value(&cpus, ex, &before);
	for (i = 0; ok && i < MMIO_EXITS; i++)
		ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE, 8, true, &v) &&
		     v == (uint64_t)i;
	tap_check(ok, "guest made 20 MMIO exits", "exit %d: %s, value %llu",
		  i, vmm_describe_exit(&vcpu), (unsigned long long)v);
	ok = value(&cpus, ex, &after);
	tap_check(ok && after >= before + MMIO_EXITS,
		  "the exit counter grew by at least 20",
		  "%llu before, %llu after", (unsigned long long)before,
		  (unsigned long long)after);

	/* Read-only */
	n = write(cpus.fd, data, 8);
	tap_check(n < 0, "write to the vCPU stats fd fails", "returned %zd", n);
	n = pwrite(vms.fd, data, 8, vms.h.data_offset);
	tap_check(n < 0, "pwrite to the VM stats fd fails", "returned %zd", n);
	ok = value(&cpus, ex, &later);
	tap_check(ok && later == after, "the counter is unchanged by them",
		  "%llu", (unsigned long long)later);

	/* The stats fds outlive the VM and vCPU fds. */
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	n = pread(cpus.fd, &h2, sizeof(h2), 0);
	tap_check(n == sizeof(h2) && !memcmp(&h2, &cpus.h, sizeof(h2)),
		  "vCPU stats header readable after closing the VM and vCPU",
		  "%zd", n);
	ok = value(&cpus, ex, &later);
	tap_check(ok && later >= after,
		  "vCPU exit counter readable after closing them",
		  "%s %llu", ok ? "value" : strerror(errno),
		  (unsigned long long)later);
	n = pread(vms.fd, vms.buf, vms.size, 0);
	tap_check(n == (ssize_t)vms.size,
		  "VM stats file readable after closing them", "%zd: %s", n,
		  n < 0 ? strerror(errno) : "short");
	close(cpus.fd);
	close(vms.fd);
	free(cpus.buf);
	free(vms.buf);

	/* Nothing stuck: counts are back and a new VM works. */
	TAP_EQ(vmm_count_fds(), fds0, "fd count back to the start");
	if (refcnt0 >= 0)
		TAP_EQ(vmm_module_refcnt(), refcnt0, "modkvm refcnt back to the start");
	rc = vmm_simple_vm(&vm, &vcpu, exits_start, GUEST_SIZE(exits),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	ok = !rc && vmm_expect_mmio(&vcpu, VMM_MMIO_BASE, 8, true, &v);
	tap_check(ok, "a new VM runs afterwards", "%s",
		  rc ? strerror(-rc) : vmm_describe_exit(&vcpu));
	if (!rc) {
		cpus.fd = ioctl(vcpu.fd, KVM_GET_STATS_FD, NULL);
		ok = cpus.fd >= 0 &&
		     pread(cpus.fd, &h2, sizeof(h2), 0) == sizeof(h2);
		tap_check(ok, "and gives a stats fd", "%s", strerror(errno));
		if (cpus.fd >= 0)
			close(cpus.fd);
		vmm_vcpu_destroy(&vcpu);
		vmm_vm_destroy(&vm);
	}
	return tap_done();
}
