/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny VMM library for arm64 KVM (and modkvm): enough to create a VM,
 * give it memory, create and initialise vCPUs, run raw guest code and
 * answer its MMIO exits.  Used by modkvm's selftests and benchmarks.
 *
 * Conventions: functions returning int give 0 (or a non-negative result)
 * on success and -errno on failure; nothing here exits the process.
 */
#ifndef MODKVM_VMM_H
#define MODKVM_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define VMM_MAX_SLOTS	32

/* UAPI of Linux 6.4 on, for older userspace headers */
#ifndef KVM_ARM_SET_COUNTER_OFFSET
#define KVM_CAP_COUNTER_OFFSET		227
struct kvm_arm_counter_offset {
	__u64 counter_offset;
	__u64 reserved;
};
#define KVM_ARM_SET_COUNTER_OFFSET	_IOW(KVMIO, 0xb5, \
					     struct kvm_arm_counter_offset)
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

struct vmm_slot {
	bool used;
	uint32_t slot;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	void *hva;
	bool owned;		/* hva was mmap'd by the library */
};

struct vmm_vm {
	int kvm_fd;		/* /dev/kvm */
	int fd;			/* the VM */
	unsigned long type;
	size_t run_size;	/* KVM_GET_VCPU_MMAP_SIZE */
	struct vmm_slot slots[VMM_MAX_SLOTS];
};

struct vmm_vcpu {
	struct vmm_vm *vm;
	int fd;
	unsigned int id;
	struct kvm_run *run;
	size_t run_size;
	int last_rc;		/* result of the last vmm_run() */
};

/* ------------------------------------------------------------ registers */

/* Core registers: offsets into struct kvm_regs, counted in 32-bit words. */
#define VMM_CORE_REG(field, size)					\
	(KVM_REG_ARM64 | (size) | KVM_REG_ARM_CORE |			\
	 (offsetof(struct kvm_regs, field) / sizeof(uint32_t)))
#define VMM_REG_X(n)	VMM_CORE_REG(regs.regs[n], KVM_REG_SIZE_U64)
#define VMM_REG_SP	VMM_CORE_REG(regs.sp, KVM_REG_SIZE_U64)
#define VMM_REG_PC	VMM_CORE_REG(regs.pc, KVM_REG_SIZE_U64)
#define VMM_REG_PSTATE	VMM_CORE_REG(regs.pstate, KVM_REG_SIZE_U64)
#define VMM_REG_SP_EL1	VMM_CORE_REG(sp_el1, KVM_REG_SIZE_U64)
#define VMM_REG_ELR_EL1	VMM_CORE_REG(elr_el1, KVM_REG_SIZE_U64)
#define VMM_REG_SPSR(n)	VMM_CORE_REG(spsr[n], KVM_REG_SIZE_U64)
#define VMM_REG_V(n)	VMM_CORE_REG(fp_regs.vregs[n], KVM_REG_SIZE_U128)
#define VMM_REG_FPSR	VMM_CORE_REG(fp_regs.fpsr, KVM_REG_SIZE_U32)
#define VMM_REG_FPCR	VMM_CORE_REG(fp_regs.fpcr, KVM_REG_SIZE_U32)

/* System registers by encoding (op0, op1, CRn, CRm, op2). */
#define VMM_SYS_REG(op0, op1, crn, crm, op2)				\
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG |	\
	 ((uint64_t)(op0) << KVM_REG_ARM64_SYSREG_OP0_SHIFT) |		\
	 ((uint64_t)(op1) << KVM_REG_ARM64_SYSREG_OP1_SHIFT) |		\
	 ((uint64_t)(crn) << KVM_REG_ARM64_SYSREG_CRN_SHIFT) |		\
	 ((uint64_t)(crm) << KVM_REG_ARM64_SYSREG_CRM_SHIFT) |		\
	 ((uint64_t)(op2) << KVM_REG_ARM64_SYSREG_OP2_SHIFT))
#define VMM_REG_MPIDR_EL1	VMM_SYS_REG(3, 0, 0, 0, 5)
#define VMM_REG_SCTLR_EL1	VMM_SYS_REG(3, 0, 1, 0, 0)
#define VMM_REG_CPACR_EL1	VMM_SYS_REG(3, 0, 1, 0, 2)
#define VMM_REG_VBAR_EL1	VMM_SYS_REG(3, 0, 12, 0, 0)

/* Size in bytes encoded in a register id. */
static inline size_t vmm_reg_size(uint64_t id)
{
	return (size_t)1 << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

/* PSTATE values */
#define VMM_PSTATE_EL1H		0x5
#define VMM_PSTATE_DAIF		(0xfUL << 6)
#define VMM_PSTATE_RESET	(VMM_PSTATE_EL1H | VMM_PSTATE_DAIF)

/* ------------------------------------------------------------- system */

/* Open /dev/kvm (O_RDWR | O_CLOEXEC); returns the fd or -errno. */
int vmm_open_dev(void);
/* KVM_CHECK_EXTENSION on /dev/kvm; returns the value or -errno. */
int vmm_sys_check_cap(long cap);
/*
 * Is /dev/kvm provided by modkvm (rather than the in-kernel KVM)?  Only
 * for the few places where the in-kernel KVM, the reference, is known to
 * deviate from the architecture or api.rst.
 */
bool vmm_is_modkvm(void);

/* host-side facts for tests and benchmarks */
long vmm_anon_huge_kb(void *start, size_t len);
long vmm_module_refcnt(void);
/* A statistic by name from a KVM_GET_STATS_FD fd: 0, -ENOENT or -errno. */
int vmm_stat(int stats_fd, const char *name, uint64_t *val);

/* ------------------------------------------------------------------ VM */

/* Create a VM of the given machine type (0, KVM_VM_TYPE_ARM_IPA_SIZE(n)). */
int vmm_vm_create(struct vmm_vm *vm, unsigned long type);
/* Close the VM and unmap the memory the library allocated for it. */
void vmm_vm_destroy(struct vmm_vm *vm);
/* KVM_CHECK_EXTENSION on the VM fd; returns the value or -errno. */
int vmm_check_cap(struct vmm_vm *vm, long cap);
/* KVM_ENABLE_CAP on the VM fd. */
int vmm_enable_cap(struct vmm_vm *vm, uint32_t cap, uint64_t arg0);

/* Raw KVM_SET_USER_MEMORY_REGION (no bookkeeping). */
int vmm_set_region(struct vmm_vm *vm, uint32_t slot, uint32_t flags,
		   uint64_t gpa, uint64_t size, void *hva);
/*
 * Add a memslot backed by fresh anonymous memory (zeroed); returns the
 * host address or NULL with errno set.
 */
void *vmm_mem_add(struct vmm_vm *vm, uint32_t slot, uint64_t gpa,
		  uint64_t size, uint32_t flags);
/* Move a slot added by vmm_mem_add to a new guest physical address. */
int vmm_mem_move(struct vmm_vm *vm, uint32_t slot, uint64_t new_gpa);
/* Delete a slot added by vmm_mem_add (the memory stays mapped). */
int vmm_mem_del(struct vmm_vm *vm, uint32_t slot);
/* Host address of guest physical address gpa, or NULL if in no slot. */
void *vmm_gpa_to_hva(struct vmm_vm *vm, uint64_t gpa);
/* Copy len bytes into guest memory at gpa (must lie inside one slot). */
int vmm_load(struct vmm_vm *vm, uint64_t gpa, const void *src, size_t len);

/* --------------------------------------------------------------- vCPU */

/* KVM_CREATE_VCPU and mmap of its kvm_run page. */
int vmm_vcpu_create(struct vmm_vm *vm, struct vmm_vcpu *vcpu, unsigned int id);
void vmm_vcpu_destroy(struct vmm_vcpu *vcpu);
/* KVM_ARM_PREFERRED_TARGET into *init (features cleared). */
int vmm_preferred_target(struct vmm_vm *vm, struct kvm_vcpu_init *init);
/* KVM_ARM_VCPU_INIT with the preferred target and features[0] = features. */
int vmm_vcpu_init(struct vmm_vcpu *vcpu, uint32_t features);

int vmm_get_reg(struct vmm_vcpu *vcpu, uint64_t id, void *val);
int vmm_set_reg(struct vmm_vcpu *vcpu, uint64_t id, const void *val);
/* 64-bit (or 32-bit, zero extended) register access. */
int vmm_get64(struct vmm_vcpu *vcpu, uint64_t id, uint64_t *val);
int vmm_set64(struct vmm_vcpu *vcpu, uint64_t id, uint64_t val);

/*
 * KVM_IRQ_LINE for vCPU @idx's own IRQ or FIQ input (KVM_ARM_IRQ_CPU_IRQ
 * or _FIQ), the userspace interrupt controller's output: 0 or -errno.
 */
int vmm_cpu_irq_line(struct vmm_vm *vm, unsigned int idx, unsigned int line,
		     int level);

/* KVM_RUN: the exit reason (>= 0) or -errno. */
int vmm_run(struct vmm_vcpu *vcpu);
/* Name of an exit reason, for messages. */
const char *vmm_exit_name(int reason);

/* ---------------------------------------------------------------- MMIO */

/* Is the last exit an MMIO exit at gpa of len bytes, write or read? */
bool vmm_is_mmio(struct vmm_vcpu *vcpu, uint64_t gpa, uint32_t len,
		 bool is_write);
/* The data of an MMIO write exit, as a little-endian value of len bytes. */
uint64_t vmm_mmio_data(struct vmm_vcpu *vcpu);
/* Answer an MMIO read exit with val (its low len bytes, little endian). */
void vmm_mmio_reply(struct vmm_vcpu *vcpu, uint64_t val);
/* One-line description of the last vmm_run() result, for messages. */
const char *vmm_describe_exit(struct vmm_vcpu *vcpu);

/* ------------------------------------------------- the simple machine */

/*
 * The layout most tests use: RAM in slot 0 at VMM_RAM_BASE, guest code
 * copied to its start, and an MMIO window at VMM_MMIO_BASE with nothing
 * behind it.  The guest starts at EL1h with the MMU off, SP_EL1 at the
 * top of RAM.
 */
#define VMM_RAM_BASE	0x40000000UL
#define VMM_RAM_SIZE	0x200000UL
#define VMM_MMIO_BASE	0x10000000UL

int vmm_simple_vm(struct vmm_vm *vm, struct vmm_vcpu *vcpu,
		  const void *code, size_t len, uint32_t features);
/* Set up an extra vCPU on a simple VM, starting at entry (a gpa). */
int vmm_simple_vcpu(struct vmm_vm *vm, struct vmm_vcpu *vcpu, unsigned int id,
		    uint32_t features, uint64_t entry);

/*
 * Run the vCPU once and check that it exits with an MMIO access at gpa
 * of len bytes in the given direction.  For a write the data is stored in
 * *val, a read is answered with *val.  Returns false on any other exit
 * (vmm_describe_exit() tells which).
 */
bool vmm_expect_mmio(struct vmm_vcpu *vcpu, uint64_t gpa, uint32_t len,
		     bool is_write, uint64_t *val);

/* Monotonic time in nanoseconds. */
uint64_t vmm_now_ns(void);

int vmm_count_fds(void);

/*
 * KVM_RUN on a thread of its own, for tests of a vCPU that waits inside
 * KVM_RUN (stopped, suspended, powered off). A kick is SIGUSR1, whose
 * handler sets the vCPU's immediate_exit as QEMU-like VMMs do. One
 * background run at a time.
 */
struct vmm_bg_run {
	struct vmm_vcpu *vcpu;
	pthread_t thread;
	int done;
	int rc;			/* vmm_run()'s result, once done */
};

int vmm_bg_run_start(struct vmm_bg_run *b, struct vmm_vcpu *vcpu);
bool vmm_bg_run_done(struct vmm_bg_run *b);
/* Up to @ms for KVM_RUN to return, in 20 ms steps, kicking each step if @kick */
bool vmm_bg_run_wait(struct vmm_bg_run *b, unsigned int ms, bool kick);
/* Join the thread (it must be done), clear immediate_exit; its result */
int vmm_bg_run_join(struct vmm_bg_run *b);

#endif /* MODKVM_VMM_H */
