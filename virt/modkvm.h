/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm core: the objects (VM, vCPU, memslot) and what the
 * architecture-independent files share.
 *
 * Locking, outermost first:
 *   vcpu->mutex   one ioctl at a time on a vCPU (KVM_RUN holds it)
 *   vm->lock      memslot changes, vCPU creation
 *   vm->mmu_lock  (spinlock) the stage-2 tables and the invalidation count
 *   vm->coalesced.lock (spinlock) coalesced MMIO ring appends
 * The I/O buses (vm->buses, io_bus.c: ioeventfds, coalesced MMIO zones)
 * are changed under vm->lock and read under vm->srcu. The GSI routing
 * table is replaced under vm->lock and read under RCU (irq_routing.c);
 * irqfds have locks of their own, inside vm->lock (irqfd.c).
 */
#ifndef MODKVM_H
#define MODKVM_H

#include <linux/eventfd.h>
#include <linux/kvm.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/signal_types.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <linux/version.h>
#include <linux/wait.h>

#include "arch.h"
#include "io_bus.h"
#include "stage2.h"

#define MODKVM_API_VERSION	12	/* KVM_GET_API_VERSION, fixed by the ABI */
#define MODKVM_MAX_VCPUS	512
#define MODKVM_MAX_MEMSLOTS	512
#define MODKVM_DEFAULT_IPA_BITS	40	/* KVM_CREATE_VM type 0 */
#define MODKVM_MAX_COALESCED_ZONES	256
#define MODKVM_MAX_IOEVENTFDS	1000	/* per VM, MMIO and PIO (ioeventfd.c) */
#define MODKVM_MAX_IRQ_ROUTES	4096	/* GSIs, KVM_CAP_IRQ_ROUTING (irq_routing.c) */
/* vCPU mmap: the kvm_run page, then the coalesced MMIO ring page */
#define MODKVM_VCPU_MMAP_PAGES	(KVM_COALESCED_MMIO_PAGE_OFFSET + 1)

/*
 * The SMCCC filter (smccc_filter.c): sorted, non-overlapping ranges of
 * function IDs with an action each. Changed under vm->lock until a vCPU
 * has run, then fixed and read without a lock.
 */
struct modkvm_smccc_range;
struct modkvm_irq_routing;
struct modkvm_vgic;
struct modkvm_vgic_cpu;
struct modkvm_smccc_filter {
	struct modkvm_smccc_range *ranges;
	unsigned int nr;		/* ranges in use */
	unsigned int size;		/* ranges allocated */
};

struct modkvm_memslot {
	u16 id;
	u32 flags;		/* KVM_MEM_* */
	u64 base_gfn;
	u64 npages;
	unsigned long hva;	/* userspace_addr */
	unsigned long *dirty;	/* KVM_MEM_LOG_DIRTY_PAGES bitmap, or NULL */
};

/* Coalesced MMIO (coalesced_mmio.c): its ring; the zones are on the bus */
struct modkvm_coalesced {
	spinlock_t lock;
	unsigned int nr_zones;		/* under vm->lock */
	struct kvm_coalesced_mmio_ring *ring;	/* one page */
};

struct modkvm_vm {
	refcount_t users;	/* the VM fd and each vCPU fd */
	struct mm_struct *mm;	/* of the creator; guest memory lives there */
	struct mutex lock;

	struct modkvm_memslot *slots[MODKVM_MAX_MEMSLOTS];

	/* Stage 2: tables, sizes and the MMU notifier's bookkeeping */
	spinlock_t mmu_lock;
	struct modkvm_s2 s2;
	struct mmu_notifier mn;
	bool mn_registered;
	unsigned long mmu_seq;		/* bumped by every invalidation */
	long mmu_invalidating;		/* invalidations in progress */

	struct modkvm_vcpu *vcpus[MODKVM_MAX_VCPUS];
	int nr_vcpus;
	unsigned int last_boosted;	/* directed yield: vcpu_yield.c */

	struct {
		u64 remote_tlb_flush;
		u64 memslot_changes;
	} stat;
	/*
	 * A vCPU has run: firmware regs and the SMCCC filter are fixed. Set
	 * under vm->lock with a release (see modkvm_vm_mark_ran()).
	 */
	bool ran;

	/* unusable: every ioctl but close gets -EIO (see vm.c) */
	bool dead;
	bool nisv_to_user;		/* KVM_CAP_ARM_NISV_TO_USER enabled */
	bool system_suspend;		/* KVM_CAP_ARM_SYSTEM_SUSPEND enabled */
	struct modkvm_smccc_filter smccc_filter;
	u64 dirty_log_flags;		/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 */
	u64 cntvoff;			/* guest virtual counter offset */
	u64 cntpoff;			/* guest physical counter offset */
	/* KVM_ARM_SET_COUNTER_OFFSET used: the counters' ONE_REG writes WI */
	bool counter_offset_set;

	/* the in-kernel GICv3, or NULL (vgic/); set once, under @lock */
	struct modkvm_vgic *vgic;

	/* GSI routing (irq_routing.c): replaced under @lock, read under RCU */
	struct modkvm_irq_routing __rcu *irq_routing;
	/* irqfds (irqfd.c, which documents their locks) */
	struct modkvm_irqfds {
		spinlock_t lock;
		struct list_head list;		/* every active irqfd */
		struct list_head resamplers;	/* those with a resamplefd, RCU */
		struct workqueue_struct *wq;	/* from the first, under @lock */
	} irqfds;

	struct modkvm_coalesced coalesced;
	unsigned int nr_ioeventfds;	/* under vm->lock (ioeventfd.c) */
	/* in-kernel devices by address (io_bus.c), read under @srcu */
	struct modkvm_io_bus __rcu *buses[MODKVM_NR_BUSES];
	struct srcu_struct srcu;

	/* optional hypercall services offered: KVM_REG_ARM_*_BMAP (smccc.c) */
	struct {
		u64 std;		/* KVM_REG_ARM_STD_BMAP */
		u64 std_hyp;		/* KVM_REG_ARM_STD_HYP_BMAP */
		u64 vendor_hyp;		/* KVM_REG_ARM_VENDOR_HYP_BMAP */
	} fw_bmap;
	/*
	 * KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1..3 as offered to this VM,
	 * fixed when it is created (psci.c)
	 */
	u64 fw_workaround[3];
	/*
	 * The SMCCC queries the world switch answers (hyp/smccc_fast.h):
	 * recomputed under vm->lock by modkvm_smccc_fast_update() whenever
	 * what they depend on changes
	 */
	struct modkvm_smccc_fast smccc_fast;

	struct modkvm_arch_vm arch;
};

enum modkvm_vcpu_mode {
	MODKVM_OUTSIDE_GUEST,
	MODKVM_IN_GUEST,
};

struct modkvm_vcpu {
	struct modkvm_vm *vm;
	unsigned int id;		/* from KVM_CREATE_VCPU */
	unsigned int idx;		/* creation order */
	struct kvm_run *run;		/* one page, mmap'ed by userspace */
	struct mutex mutex;

	/* Set under vcpu->mutex; read by kicks from other threads. */
	int cpu;			/* physical CPU while loaded, or -1 */
	int mode;			/* enum modkvm_vcpu_mode */
	wait_queue_head_t wq;		/* WFI, power off */
	bool woken;			/* set by modkvm_vcpu_wake() */
	struct pid __rcu *pid;		/* KVM_RUN's thread: vcpu_yield.c */

	bool initialized;		/* KVM_ARM_VCPU_INIT done */
	bool ran_since_init;		/* entered the run loop since INIT */
	bool power_off;
	bool suspended;			/* KVM_MP_STATE_SUSPENDED */
	bool pending_reset;		/* PSCI CPU_ON asked for a reset */
	u64 reset_pc, reset_ctx;

	/* interrupt lines from KVM_IRQ_LINE, bit 0 IRQ, bit 1 FIQ */
	unsigned long irq_lines;
	/* its redistributor and CPU interface (vgic/), from the vGIC's INIT */
	struct modkvm_vgic_cpu *vgic;

	bool sigmask_active;
	sigset_t sigmask;

	/* MMIO load waiting for userspace's data (see mmio.c) */
	struct {
		bool pending;
		bool sign_extend;
		bool sixty_four;	/* Xt rather than Wt */
		u8 rt;
		u8 len;
		/*
		 * Until the next KVM_RUN, the access of the last MMIO or
		 * NISV exit may be answered with an external abort
		 * (KVM_SET_VCPU_EVENTS ext_dabt_pending): where its
		 * instruction is, and the address it used.
		 */
		bool abortable;
		u64 insn_pc, insn_pstate, far;
	} mmio;

	/* PV time: the stolen-time record in guest memory (pvtime.c) */
	struct modkvm_pvtime {
		u64 ipa;		/* MODKVM_PVTIME_NO_IPA until set */
		u64 steal;		/* ns reported so far */
		u64 last_delay;		/* run_delay of @task at the last update */
		/* the thread that last ran the vCPU: compared, never followed */
		const void *task;
		bool pending;		/* write at the next entry */
		bool whole;		/* revision and attributes too */
	} pvtime;

	struct {
		u64 exits;
		u64 fast_exits;		/* answered inside the world switch */
		u64 halt_wakeup;
		u64 signal_exits;
		u64 mmio_exits;		/* MMIO aborts, whatever completes them */
		u64 ioeventfd_writes;	/* MMIO stores that signalled an ioeventfd */
		u64 hvc_exits;
		u64 wfe_exits;
		u64 s2_faults;
		u64 s2_block_maps;
	} stat;

	/* stage-2 table pages for the next fault, used under vcpu->mutex */
	struct modkvm_pgcache pgcache;

	struct modkvm_arch_vcpu arch;
};

/* arch: host checks and EL2 set-up, at load and for CPUs coming online */
int modkvm_arch_init(void);
void modkvm_arch_exit(void);
/* once /dev/kvm is ours: what the host needs only when modkvm is in use */
void modkvm_arch_start(void);
void modkvm_arch_stop(void);

/* dev.c: the /dev/kvm misc device */
int modkvm_dev_register(void);
void modkvm_dev_unregister(void);

/* device.c: KVM_CREATE_DEVICE */
int modkvm_create_device(struct modkvm_vm *vm,
			 struct kvm_create_device __user *argp);

/*
 * vgic/: the in-kernel GICv3. modkvm_vgic_inject() is the one entry point
 * for an interrupt's input, whatever drives it.
 */
bool modkvm_vgic_v3_available(void);
void modkvm_vgic_load_note(void);
int modkvm_vgic_v3_create(struct modkvm_vm *vm, void **priv);
long modkvm_vgic_v3_ioctl(struct modkvm_vm *vm, void *priv, unsigned int ioctl,
			  const struct kvm_device_attr *attr);
int modkvm_vgic_inject(struct modkvm_vm *vm, struct modkvm_vcpu *vcpu,
		       u32 intid, bool level);
bool modkvm_vgic_initialized(struct modkvm_vm *vm);
/* vgic/vgic_its_*.c: the ITS (KVM_DEV_TYPE_ARM_VGIC_ITS) and MSIs */
int modkvm_vgic_its_create(struct modkvm_vm *vm, void **priv);
long modkvm_vgic_its_ioctl(struct modkvm_vm *vm, void *priv,
			   unsigned int ioctl, const struct kvm_device_attr *attr);
int modkvm_vgic_inject_msi(struct modkvm_vm *vm, const struct kvm_msi *msi);
bool modkvm_vgic_has_its(struct modkvm_vm *vm);
int modkvm_vgic_irq_line(struct modkvm_vm *vm, u32 type,
			 struct modkvm_vcpu *vcpu, u32 num, bool level);
int modkvm_vgic_vcpu_precreate(struct modkvm_vm *vm);
long modkvm_vgic_timer_attr(struct modkvm_vcpu *vcpu, unsigned int ioctl,
			    u64 attr, int __user *uaddr);
void modkvm_vgic_timer_levels(struct modkvm_vcpu *vcpu, u32 levels, u32 old);
int modkvm_vgic_first_run(struct modkvm_vcpu *vcpu);
void modkvm_vgic_flush(struct modkvm_vcpu *vcpu);
void modkvm_vgic_sync(struct modkvm_vcpu *vcpu);
bool modkvm_vgic_has_pending(struct modkvm_vcpu *vcpu);
void modkvm_vgic_destroy(struct modkvm_vm *vm);

/* caps.c: answers to KVM_CHECK_EXTENSION, for /dev/kvm and a VM fd */
long modkvm_check_extension(struct modkvm_vm *vm, unsigned long cap);
int modkvm_vm_enable_cap(struct modkvm_vm *vm, const struct kvm_enable_cap *cap);

/* vm.c */
int modkvm_create_vm(unsigned long type);
void modkvm_vm_put(struct modkvm_vm *vm);
void modkvm_vm_mark_ran(struct modkvm_vm *vm);

/* vcpu.c */
int modkvm_create_vcpu(struct modkvm_vm *vm, unsigned long id);
void modkvm_vcpu_free(struct modkvm_vcpu *vcpu);
void modkvm_vcpu_kick(struct modkvm_vcpu *vcpu);
void modkvm_vcpu_wake(struct modkvm_vcpu *vcpu);
void modkvm_vcpu_set_pid(struct modkvm_vcpu *vcpu);
void modkvm_vcpu_put_pid(struct modkvm_vcpu *vcpu);
void modkvm_vcpu_on_spin(struct modkvm_vcpu *me);
int modkvm_vcpu_block(struct modkvm_vcpu *vcpu);

/* memslot.c */
int modkvm_set_memory_region(struct modkvm_vm *vm,
			     const struct kvm_userspace_memory_region *mem);
struct modkvm_memslot *modkvm_gfn_to_slot(struct modkvm_vm *vm, u64 gfn);
void modkvm_free_memslots(struct modkvm_vm *vm);
int modkvm_read_guest(struct modkvm_vm *vm, u64 gpa, void *buf,
		      unsigned long len);
int modkvm_write_guest(struct modkvm_vm *vm, u64 gpa, const void *buf,
		       unsigned long len);

/* stats_debugfs.c: the counters in debugfs kvm/, as kvm_stat reads them */
void modkvm_debugfs_init(void);
void modkvm_debugfs_exit(void);
void modkvm_debugfs_vm_add(struct modkvm_vm *vm, int fd);
void modkvm_debugfs_vm_remove(struct modkvm_vm *vm);

/* stats.c: KVM_GET_STATS_FD */
int modkvm_vm_stats_fd(struct modkvm_vm *vm);
int modkvm_vcpu_stats_fd(struct modkvm_vcpu *vcpu);
unsigned int modkvm_stat_count(void);
const char *modkvm_stat_name(unsigned int i);
u64 modkvm_stat_value(struct modkvm_vm *vm, unsigned int i);

/* dirty.c */
long modkvm_dirty_log_caps(void);
int modkvm_enable_manual_protect(struct modkvm_vm *vm, u64 flags);
int modkvm_get_dirty_log(struct modkvm_vm *vm, struct kvm_dirty_log *log);
int modkvm_clear_dirty_log(struct modkvm_vm *vm, struct kvm_clear_dirty_log *log);

/*
 * A stage-2 fault of the guest (a data or instruction abort), as the arch
 * decoded it from its syndrome (arch/arm64/abort.c) for mmu.c and mmio.c.
 */
enum modkvm_fault_kind {
	MODKVM_FAULT_TRANSLATION,	/* nothing mapped, at any level */
	MODKVM_FAULT_ACCESS_FLAG,
	MODKVM_FAULT_PERMISSION,
	MODKVM_FAULT_OTHER,		/* external abort...: the guest's */
};

struct modkvm_abort {
	u64 ipa;		/* the faulting IPA, page offset included */
	u64 far;		/* the guest's virtual address */
	u8 kind;		/* enum modkvm_fault_kind */
	bool is_exec;		/* an instruction fetch */
	/*
	 * Stage 2 must grant write: a store, or a permission fault on the
	 * guest's stage-1 walk (the walker writes its access flag and dirty
	 * state); never a cache maintenance operation.
	 */
	bool is_write;
	bool on_s1_walk;	/* taken on the guest's stage-1 table walk */
	bool is_cache_op;	/* cache maintenance by VA */
	/* the access, for MMIO: one register, 1-8 bytes, no writeback */
	bool has_syndrome;	/* the fields below are valid */
	bool store;
	bool sign_extend;
	bool sixty_four;	/* a 64-bit register (Xt rather than Wt) */
	u8 len;			/* bytes */
	u8 rt;			/* the register, for modkvm_get/set_reg() */
	u64 iss;		/* the raw syndrome, for KVM_EXIT_ARM_NISV */
};

/* mmu.c: stage-2 faults and the MMU notifier */
int modkvm_mmu_init(struct modkvm_vm *vm, unsigned int ipa_bits);
void modkvm_mmu_destroy(struct modkvm_vm *vm);
int modkvm_handle_guest_abort(struct modkvm_vcpu *vcpu,
			      const struct modkvm_abort *ab);
void modkvm_unmap_gfn_range(struct modkvm_vm *vm, u64 gfn, u64 npages);
/* a vCPU was reset after running: fault all guest memory in again */
void modkvm_mmu_reset(struct modkvm_vm *vm);
/* set/way cache maintenance by the guest: clean+invalidate its memory */
void modkvm_flush_guest_dcache(struct modkvm_vm *vm);

/*
 * Exit handlers return: 1 to go back into the guest, 0 to return to
 * userspace with run->exit_reason filled in, or a negative errno that
 * KVM_RUN returns.
 */

/* mmio.c */
int modkvm_mmio_exit(struct modkvm_vcpu *vcpu, const struct modkvm_abort *ab);
void modkvm_mmio_complete(struct modkvm_vcpu *vcpu);
int modkvm_mmio_abort(struct modkvm_vcpu *vcpu);

/* coalesced_mmio.c */
int modkvm_coalesced_init(struct modkvm_vm *vm);
void modkvm_coalesced_destroy(struct modkvm_vm *vm);
struct page *modkvm_coalesced_ring_page(struct modkvm_vm *vm);
int modkvm_coalesced_register(struct modkvm_vm *vm,
			      const struct kvm_coalesced_mmio_zone *zone);
int modkvm_coalesced_unregister(struct modkvm_vm *vm,
				const struct kvm_coalesced_mmio_zone *zone);

/* irq_routing.c: KVM_SET_GSI_ROUTING */
int modkvm_set_gsi_routing(struct modkvm_vm *vm,
			   struct kvm_irq_routing __user *argp);
int modkvm_irq_routing_default(struct modkvm_vm *vm, u32 nr_spis);
bool modkvm_irq_route_msi(struct modkvm_vm *vm, u32 gsi, struct kvm_msi *msi);
u32 modkvm_irq_route(struct modkvm_vm *vm, u32 gsi);
int modkvm_signal_msi(struct modkvm_vm *vm, struct kvm_msi __user *argp);
void modkvm_irq_routing_free(struct modkvm_vm *vm);

/* irqfd.c: KVM_IRQFD */
void modkvm_irqfd_vm_init(struct modkvm_vm *vm);
int modkvm_irqfd(struct modkvm_vm *vm, const struct kvm_irqfd *args);
bool modkvm_irqfd_resample(struct modkvm_vm *vm, u32 intid);
void modkvm_irqfd_destroy(struct modkvm_vm *vm);

/* Signal an eventfd once (its API changed in 6.8) */
static inline void modkvm_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* ioeventfd.c: KVM_IOEVENTFD */
int modkvm_ioeventfd(struct modkvm_vm *vm, const struct kvm_ioeventfd *args);
void modkvm_ioeventfd_destroy(struct modkvm_vm *vm);

/*
 * smccc_filter.c: KVM_ARM_VM_SMCCC_CTRL. The action for a guest's call,
 * with the values of the UAPI's KVM_SMCCC_FILTER_* (6.4 on).
 */
enum modkvm_smccc_action {
	MODKVM_SMCCC_HANDLE,		/* modkvm's own emulation */
	MODKVM_SMCCC_DENY,		/* NOT_SUPPORTED */
	MODKVM_SMCCC_FWD_TO_USER,	/* KVM_EXIT_HYPERCALL */
};

int modkvm_smccc_filter_has_attr(struct modkvm_vm *vm,
				 const struct kvm_device_attr *attr);
int modkvm_smccc_filter_set_attr(struct modkvm_vm *vm,
				 const struct kvm_device_attr *attr);
void modkvm_smccc_filter_free(struct modkvm_vm *vm);
u8 __modkvm_smccc_filter_action(struct modkvm_vm *vm, u32 fn);
int modkvm_smccc_forward(struct modkvm_vcpu *vcpu, u32 fn);

static inline u8 modkvm_smccc_filter_action(struct modkvm_vm *vm, u32 fn)
{
	if (likely(!vm->smccc_filter.nr))
		return MODKVM_SMCCC_HANDLE;
	return __modkvm_smccc_filter_action(vm, fn);
}

/* psci.c: HVC/SMC calls (PSCI, SMCCC) */
int modkvm_smccc_call(struct modkvm_vcpu *vcpu);
void modkvm_smccc_fast_init(struct modkvm_vm *vm);
void modkvm_smccc_fast_update(struct modkvm_vm *vm);
int modkvm_psci_version(struct modkvm_vm *vm);
void modkvm_fw_workaround_init(struct modkvm_vm *vm);
/* KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_<n> value the guests of @vm are offered */
u64 modkvm_fw_workaround_state(const struct modkvm_vm *vm, unsigned int n);

/*
 * smccc.c: the optional services (TRNG, PV time, KVM vendor calls), the
 * firmware bitmap registers that enable them
 */
void modkvm_smccc_vm_init(struct modkvm_vm *vm);
int modkvm_smccc_service_call(struct modkvm_vcpu *vcpu, u32 fn);
long modkvm_smccc_service_feature(struct modkvm_vm *vm, u32 fn);
u64 modkvm_fw_bmap_get(struct modkvm_vm *vm, u64 id);
int modkvm_fw_bmap_set(struct modkvm_vm *vm, u64 id, u64 val);

/* trng.c: Arm TRNG firmware interface 1.0 (DEN0098) */
void modkvm_trng_call(struct modkvm_vcpu *vcpu, u32 fn);

/* ptp.c: KVM's PTP vendor call: host wall clock with a counter value */
void modkvm_ptp_call(struct modkvm_vcpu *vcpu);
/* counter_offset.c: KVM_ARM_SET_COUNTER_OFFSET (6.4+ headers) */
int modkvm_set_counter_offset(struct modkvm_vm *vm, void __user *argp);

/* pvtime.c: PV time stolen-time accounting (DEN0057) */
#define MODKVM_PVTIME_NO_IPA	(~0ULL)
bool modkvm_pvtime_available(void);
void modkvm_pvtime_vcpu_init(struct modkvm_vcpu *vcpu);
long modkvm_pvtime_call(struct modkvm_vcpu *vcpu, u32 fn);
void modkvm_pvtime_update(struct modkvm_vcpu *vcpu);
int modkvm_pvtime_has_attr(struct modkvm_vcpu *vcpu, u64 attr);
int modkvm_pvtime_get_attr(struct modkvm_vcpu *vcpu, u64 attr,
			   u64 __user *uaddr);
int modkvm_pvtime_set_attr(struct modkvm_vcpu *vcpu, u64 attr,
			   u64 __user *uaddr);

#endif /* MODKVM_H */
