// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny VMM library for arm64 KVM (and modkvm).  See vmm.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

int vmm_open_dev(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	return fd < 0 ? neg_errno() : fd;
}

int vmm_sys_check_cap(long cap)
{
	int fd = vmm_open_dev();
	int rc;

	if (fd < 0)
		return fd;
	rc = ioctl(fd, KVM_CHECK_EXTENSION, cap);
	if (rc < 0)
		rc = neg_errno();
	close(fd);
	return rc;
}

bool vmm_is_modkvm(void)
{
	return access("/sys/module/modkvm", F_OK) == 0;
}

int vmm_vm_create(struct vmm_vm *vm, unsigned long type)
{
	int rc;

	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
	vm->type = type;
	vm->kvm_fd = vmm_open_dev();
	if (vm->kvm_fd < 0)
		return vm->kvm_fd;
	rc = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (rc <= 0) {
		rc = rc < 0 ? neg_errno() : -EINVAL;
		goto fail;
	}
	vm->run_size = rc;
	/*
	 * Registering the VM's MMU notifier gives up with EINTR when a
	 * signal is pending (mm_take_all_locks()), with KVM as with modkvm:
	 * try again, as QEMU does.
	 */
	do {
		vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, type);
	} while (vm->fd < 0 && errno == EINTR);
	if (vm->fd < 0) {
		rc = neg_errno();
		goto fail;
	}
	return 0;
fail:
	close(vm->kvm_fd);
	vm->kvm_fd = -1;
	return rc;
}

void vmm_vm_destroy(struct vmm_vm *vm)
{
	unsigned int i;

	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->fd = vm->kvm_fd = -1;
	/* Only after the VM is gone: it may still map this memory. */
	for (i = 0; i < VMM_MAX_SLOTS; i++) {
		struct vmm_slot *s = &vm->slots[i];

		if (s->owned && s->hva)
			munmap(s->hva, s->size);
		memset(s, 0, sizeof(*s));
	}
}

int vmm_check_cap(struct vmm_vm *vm, long cap)
{
	int rc = ioctl(vm->fd, KVM_CHECK_EXTENSION, cap);

	return rc < 0 ? neg_errno() : rc;
}

int vmm_enable_cap(struct vmm_vm *vm, uint32_t cap, uint64_t arg0)
{
	struct kvm_enable_cap ec = { .cap = cap, .args = { arg0 } };

	return ioctl(vm->fd, KVM_ENABLE_CAP, &ec) < 0 ? neg_errno() : 0;
}

int vmm_set_region(struct vmm_vm *vm, uint32_t slot, uint32_t flags,
		   uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ?
	       neg_errno() : 0;
}

static struct vmm_slot *find_slot(struct vmm_vm *vm, uint32_t slot)
{
	unsigned int i;

	for (i = 0; i < VMM_MAX_SLOTS; i++)
		if (vm->slots[i].used && vm->slots[i].slot == slot)
			return &vm->slots[i];
	return NULL;
}

void *vmm_mem_add(struct vmm_vm *vm, uint32_t slot, uint64_t gpa,
		  uint64_t size, uint32_t flags)
{
	struct vmm_slot *s = NULL;
	unsigned int i;
	void *hva;
	int rc;

	for (i = 0; i < VMM_MAX_SLOTS && !s; i++)
		if (!vm->slots[i].used && !vm->slots[i].hva)
			s = &vm->slots[i];
	if (!s) {
		errno = ENOSPC;
		return NULL;
	}
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (hva == MAP_FAILED)
		return NULL;
	rc = vmm_set_region(vm, slot, flags, gpa, size, hva);
	if (rc) {
		munmap(hva, size);
		errno = -rc;
		return NULL;
	}
	*s = (struct vmm_slot){ .used = true, .slot = slot, .flags = flags,
				.gpa = gpa, .size = size, .hva = hva,
				.owned = true };
	return hva;
}

int vmm_mem_move(struct vmm_vm *vm, uint32_t slot, uint64_t new_gpa)
{
	struct vmm_slot *s = find_slot(vm, slot);
	int rc;

	if (!s)
		return -ENOENT;
	rc = vmm_set_region(vm, slot, s->flags, new_gpa, s->size, s->hva);
	if (!rc)
		s->gpa = new_gpa;
	return rc;
}

int vmm_mem_del(struct vmm_vm *vm, uint32_t slot)
{
	struct vmm_slot *s = find_slot(vm, slot);
	int rc;

	if (!s)
		return -ENOENT;
	rc = vmm_set_region(vm, slot, s->flags, s->gpa, 0, s->hva);
	if (!rc)
		s->used = false;	/* keep hva: unmapped at destroy */
	return rc;
}

void *vmm_gpa_to_hva(struct vmm_vm *vm, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < VMM_MAX_SLOTS; i++) {
		struct vmm_slot *s = &vm->slots[i];

		if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size)
			return (char *)s->hva + (gpa - s->gpa);
	}
	return NULL;
}

int vmm_load(struct vmm_vm *vm, uint64_t gpa, const void *src, size_t len)
{
	char *first = vmm_gpa_to_hva(vm, gpa);
	char *last = len ? vmm_gpa_to_hva(vm, gpa + len - 1) : first;

	if (!first || !last || last - first != (ptrdiff_t)(len ? len - 1 : 0))
		return -EFAULT;
	memcpy(first, src, len);
	/*
	 * QEMU 7.2's TCG (the emulated Arm server) was seen running stale
	 * translated code for a guest page reused from an earlier process's
	 * guest, whatever the hypervisor; storing the code again with plain
	 * 8-byte stores makes it retranslate. Harmless on hardware.
	 */
	{
		uintptr_t pg = 4096, a = (uintptr_t)first & ~(pg - 1);
		uintptr_t end = ((uintptr_t)last + pg) & ~(pg - 1);

		/* whole pages: that is what TCG tracks (slots are page sized) */
		for (; a < end; a += 8)
			*(volatile uint64_t *)a = *(volatile uint64_t *)a;
	}
	/* The guest fetches this as instructions: make it visible to them. */
	__builtin___clear_cache(first, first + len);
	return 0;
}

int vmm_vcpu_create(struct vmm_vm *vm, struct vmm_vcpu *vcpu, unsigned int id)
{
	void *run;
	int rc;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0) {
		rc = neg_errno();
		vcpu->fd = -1;
		return rc;
	}
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu->fd, 0);
	if (run == MAP_FAILED) {
		rc = neg_errno();
		close(vcpu->fd);
		vcpu->fd = -1;
		return rc;
	}
	vcpu->run = run;
	vcpu->run_size = vm->run_size;
	return 0;
}

void vmm_vcpu_destroy(struct vmm_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

int vmm_preferred_target(struct vmm_vm *vm, struct kvm_vcpu_init *init)
{
	memset(init, 0, sizeof(*init));
	if (ioctl(vm->fd, KVM_ARM_PREFERRED_TARGET, init) < 0)
		return neg_errno();
	memset(init->features, 0, sizeof(init->features));
	return 0;
}

int vmm_vcpu_init(struct vmm_vcpu *vcpu, uint32_t features)
{
	struct kvm_vcpu_init init;
	int rc = vmm_preferred_target(vcpu->vm, &init);

	if (rc)
		return rc;
	init.features[0] = features;
	return ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init) < 0 ? neg_errno() : 0;
}

int vmm_get_reg(struct vmm_vcpu *vcpu, uint64_t id, void *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };

	return ioctl(vcpu->fd, KVM_GET_ONE_REG, &r) < 0 ? neg_errno() : 0;
}

int vmm_set_reg(struct vmm_vcpu *vcpu, uint64_t id, const void *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };

	return ioctl(vcpu->fd, KVM_SET_ONE_REG, &r) < 0 ? neg_errno() : 0;
}

int vmm_get64(struct vmm_vcpu *vcpu, uint64_t id, uint64_t *val)
{
	uint32_t v32 = 0;
	int rc;

	if (vmm_reg_size(id) == 4) {
		rc = vmm_get_reg(vcpu, id, &v32);
		*val = v32;
		return rc;
	}
	if (vmm_reg_size(id) != 8)
		return -EINVAL;
	return vmm_get_reg(vcpu, id, val);
}

int vmm_set64(struct vmm_vcpu *vcpu, uint64_t id, uint64_t val)
{
	uint32_t v32 = (uint32_t)val;

	if (vmm_reg_size(id) == 4)
		return vmm_set_reg(vcpu, id, &v32);
	if (vmm_reg_size(id) != 8)
		return -EINVAL;
	return vmm_set_reg(vcpu, id, &val);
}

int vmm_cpu_irq_line(struct vmm_vm *vm, unsigned int idx, unsigned int line,
		     int level)
{
	struct kvm_irq_level irq = {
		.irq = (KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT) |
		       (idx << KVM_ARM_IRQ_VCPU_SHIFT) | line,
		.level = level,
	};

	return ioctl(vm->fd, KVM_IRQ_LINE, &irq) ? neg_errno() : 0;
}

int vmm_run(struct vmm_vcpu *vcpu)
{
	int rc = ioctl(vcpu->fd, KVM_RUN, 0);

	vcpu->last_rc = rc < 0 ? neg_errno() : (int)vcpu->run->exit_reason;
	return vcpu->last_rc;
}

const char *vmm_exit_name(int reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO",
		[KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG",
		[KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_ARM_NISV] = "ARM_NISV",
	};

	if (reason >= 0 && reason < (int)ARRAY_SIZE(names) &&
	    names[reason])
		return names[reason];
	return "?";
}

bool vmm_is_mmio(struct vmm_vcpu *vcpu, uint64_t gpa, uint32_t len,
		 bool is_write)
{
	struct kvm_run *run = vcpu->run;

	return vcpu->last_rc == KVM_EXIT_MMIO &&
	       run->exit_reason == KVM_EXIT_MMIO &&
	       run->mmio.phys_addr == gpa && run->mmio.len == len &&
	       !!run->mmio.is_write == is_write;
}

uint64_t vmm_mmio_data(struct vmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint64_t v = 0;
	uint32_t i;

	for (i = 0; i < run->mmio.len && i < 8; i++)
		v |= (uint64_t)run->mmio.data[i] << (8 * i);
	return v;
}

void vmm_mmio_reply(struct vmm_vcpu *vcpu, uint64_t val)
{
	struct kvm_run *run = vcpu->run;
	uint32_t i;

	for (i = 0; i < run->mmio.len && i < 8; i++)
		run->mmio.data[i] = (uint8_t)(val >> (8 * i));
}

const char *vmm_describe_exit(struct vmm_vcpu *vcpu)
{
	static __thread char buf[160];
	struct kvm_run *run = vcpu->run;
	int rc = vcpu->last_rc;

	if (rc < 0) {
		snprintf(buf, sizeof(buf), "KVM_RUN failed: %s", strerror(-rc));
		return buf;
	}
	switch (rc) {
	case KVM_EXIT_MMIO:
		snprintf(buf, sizeof(buf),
			 "exit MMIO %s at 0x%llx len %u data 0x%llx",
			 run->mmio.is_write ? "write" : "read",
			 (unsigned long long)run->mmio.phys_addr,
			 run->mmio.len,
			 (unsigned long long)vmm_mmio_data(vcpu));
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		snprintf(buf, sizeof(buf), "exit SYSTEM_EVENT type %u",
			 run->system_event.type);
		break;
	case KVM_EXIT_ARM_NISV:
		snprintf(buf, sizeof(buf),
			 "exit ARM_NISV esr_iss 0x%llx fault_ipa 0x%llx",
			 (unsigned long long)run->arm_nisv.esr_iss,
			 (unsigned long long)run->arm_nisv.fault_ipa);
		break;
	default:
		snprintf(buf, sizeof(buf), "exit %s (%d)", vmm_exit_name(rc),
			 rc);
	}
	return buf;
}

bool vmm_expect_mmio(struct vmm_vcpu *vcpu, uint64_t gpa, uint32_t len,
		     bool is_write, uint64_t *val)
{
	vmm_run(vcpu);
	if (!vmm_is_mmio(vcpu, gpa, len, is_write))
		return false;
	if (is_write)
		*val = vmm_mmio_data(vcpu);
	else
		vmm_mmio_reply(vcpu, *val);
	return true;
}

int vmm_simple_vcpu(struct vmm_vm *vm, struct vmm_vcpu *vcpu, unsigned int id,
		    uint32_t features, uint64_t entry)
{
	int rc = vmm_vcpu_create(vm, vcpu, id);

	if (rc)
		return rc;
	rc = vmm_vcpu_init(vcpu, features);
	if (!rc)
		rc = vmm_set64(vcpu, VMM_REG_PC, entry);
	/* Each vCPU gets its own 64 KiB stack below the top of RAM. */
	if (!rc)
		rc = vmm_set64(vcpu, VMM_REG_SP_EL1, VMM_RAM_BASE +
			       VMM_RAM_SIZE - (uint64_t)id * 0x10000);
	if (rc)
		vmm_vcpu_destroy(vcpu);
	return rc;
}

int vmm_simple_vm(struct vmm_vm *vm, struct vmm_vcpu *vcpu,
		  const void *code, size_t len, uint32_t features)
{
	int rc = vmm_vm_create(vm, 0);

	if (rc)
		return rc;
	if (!vmm_mem_add(vm, 0, VMM_RAM_BASE, VMM_RAM_SIZE, 0)) {
		rc = neg_errno();
		goto fail;
	}
	rc = vmm_load(vm, VMM_RAM_BASE, code, len);
	if (!rc && vcpu)
		rc = vmm_simple_vcpu(vm, vcpu, 0, features, VMM_RAM_BASE);
	if (!rc)
		return 0;
fail:
	vmm_vm_destroy(vm);
	return rc;
}

uint64_t vmm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* AnonHugePages (kB) of the mappings overlapping [start, start + len). */
long vmm_anon_huge_kb(void *start, size_t len)
{
	uintptr_t s = (uintptr_t)start, e = s + len, lo, hi;
	bool in = false;
	char line[512];
	long kb, sum = 0;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = lo < e && hi > s;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			sum += kb;
	}
	fclose(f);
	return sum;
}

/* modkvm's module reference count, or -1 (not loaded: the in-kernel KVM) */
long vmm_module_refcnt(void)
{
	FILE *f = fopen("/sys/module/modkvm/refcnt", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* Open file descriptors of this process, or -1. */
int vmm_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* not the one opendir() holds */
}

int vmm_stat(int stats_fd, const char *name, uint64_t *val)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	size_t dsz;
	uint32_t i;
	int rc = -ENOENT;

	if (pread(stats_fd, &h, sizeof(h), 0) != sizeof(h))
		return -EIO;
	dsz = sizeof(*d) + h.name_size;
	d = malloc(dsz);
	if (!d)
		return -ENOMEM;
	for (i = 0; i < h.num_desc; i++) {
		if (pread(stats_fd, d, dsz, h.desc_offset + i * dsz) != (ssize_t)dsz) {
			rc = -EIO;
			break;
		}
		if (strncmp(d->name, name, h.name_size))
			continue;
		rc = pread(stats_fd, val, 8, h.data_offset + d->offset) == 8 ?
		     0 : -EIO;
		break;
	}
	free(d);
	return rc;
}

static struct vmm_vcpu *bg_kick_vcpu;

static void bg_kick(int sig)
{
	(void)sig;
	bg_kick_vcpu->run->immediate_exit = 1;
}

static void *bg_run(void *arg)
{
	struct vmm_bg_run *b = arg;

	b->rc = vmm_run(b->vcpu);
	__atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

int vmm_bg_run_start(struct vmm_bg_run *b, struct vmm_vcpu *vcpu)
{
	struct sigaction sa = { .sa_handler = bg_kick };

	b->vcpu = vcpu;
	b->done = 0;
	b->rc = 0;
	bg_kick_vcpu = vcpu;
	if (sigaction(SIGUSR1, &sa, NULL))
		return -errno;
	return -pthread_create(&b->thread, NULL, bg_run, b);
}

bool vmm_bg_run_done(struct vmm_bg_run *b)
{
	return __atomic_load_n(&b->done, __ATOMIC_SEQ_CST);
}

bool vmm_bg_run_wait(struct vmm_bg_run *b, unsigned int ms, bool kick)
{
	unsigned int t;

	for (t = 0; t < ms && !vmm_bg_run_done(b); t += 20) {
		if (kick)
			pthread_kill(b->thread, SIGUSR1);
		usleep(20000);
	}
	return vmm_bg_run_done(b);
}

int vmm_bg_run_join(struct vmm_bg_run *b)
{
	pthread_join(b->thread, NULL);
	b->vcpu->run->immediate_exit = 0;
	return b->rc;
}
