// SPDX-License-Identifier: GPL-2.0
/*
 * modkvm, nVHE hosts (the kernel at EL1, Linux's hyp stub at EL2): taking
 * EL2 from the stub on every CPU, and giving it back.
 *
 * On a kernel at EL1 (hostcheck.c) modkvm takes EL2 on every CPU unless
 * loaded with nvhe=0 (then such a host is refused), checks it with a call
 * into EL2, holds it while loaded (giving it back when a CPU goes offline
 * or through a CPU power state, and taking it again after), runs the
 * world switch there (hyp/nvhe/switch.c, entered through
 * modkvm_call_hyp(), hyp/call.h) and gives EL2 back on unload.
 * nvhe_el2_test, the test-only switch of before, is kept as a deprecated
 * alias of nvhe for scripts that pass it.
 *
 * How EL2 is taken, on each CPU, with interrupts off (Arm ARM: HVC,
 * exception entry to EL2; Linux's stub calls: hyp/nvhe/nvhe_asm.h):
 *  1. HVC with HVC_STUB_HCALL_NR: the stub answers HVC_STUB_ERR to calls
 *     it does not know; anything else (the in-kernel KVM, pKVM, another
 *     hypervisor) answers otherwise and is left alone;
 *  2. the stub's vectors: the kernel does not export __hyp_stub_vectors
 *     to modules (nor kallsyms_lookup_name), so EL2 is asked itself: the
 *     stub's HVC_SOFT_RESTART (a documented call, kept for kexec) runs
 *     __modkvm_nvhe_probe from the init page at EL2, which returns
 *     VBAR_EL2 to EL1 by ERET. It must be 2 KiB aligned RAM and the same
 *     on every CPU, or modkvm refuses to load, saying so in one line;
 *  3. HVC_SET_VECTORS to the init page's vectors, then an HVC with this
 *     CPU's parameters (struct modkvm_nvhe_cpu): the MMU on at EL2, the
 *     module's tables, stack, TPIDR_EL2 and vectors
 *     (hyp/nvhe/init.S);
 *  4. the self-test call (NV_HVC_PING): EL2 answers with its SCTLR_EL2
 *     (MMU and caches on), VBAR_EL2 (the module's vectors at their hyp
 *     VA) and a word of this CPU's data read through the EL2 map;
 *  5. where the GIC has system registers, the virtual CPU interface
 *     (ICH_*_EL2) set to 0 at EL2 (NV_HVC_GIC_CLEAR, hyp/vgic_v3_sr.h).
 * Given back with the stub's own HVC_RESET_VECTORS, which modkvm's
 * vectors honour (as HVC_SOFT_RESTART and HVC_SET_VECTORS), so reboot,
 * kexec and hibernation find the stub again whoever asks; then the stub
 * must answer step 1 again.
 *
 * The EL2 address space (hyp_pgtable.c has the hyp VA scheme):
 *  - main tables: the module's text (read-only, executable) and the rest
 *    of its core memory (read-write, execute-never) at their hyp VAs;
 *    the init page (executable); per CPU two pages of struct
 *    modkvm_nvhe_cpu and a 16 KiB stack, all possible CPUs allocated at
 *    load; each VM and vCPU, mapped when created (nvhe_map_object());
 *  - identity tables: only the init page, at its physical address and at
 *    its hyp VA, used while the MMU goes on or off.
 * MAIR_EL2 index 0 normal write-back memory, TCR_EL2 48-bit VA, 4 KiB
 * granule, walks inner write-back shareable, PS from ID_AA64MMFR0_EL1.
 *
 * An exception EL2 takes itself (hyp/nvhe/host.S) comes back as
 * NV_HVC_EL2_FAULT from the call that was running, and is reported here
 * (ESR, ELR as a module offset, FAR, SPSR, the vCPU); in a guest run EL2
 * has put the host's state back first and the run fails (MODKVM_EXIT_BAD).
 * The load checks that path once (NV_HVC_FAULT_TEST); nvhe_inject_fault
 * makes the next guest run fault half-way into the guest's state.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/cpu_pm.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/jump_label.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/version.h>
#include <linux/vmalloc.h>
#include <asm/barrier.h>
#include <asm/cacheflush.h>
#include <asm/esr.h>
#include <asm/sysreg.h>

#include "modkvm.h"
#include "el2_regs.h"
#include "hyp_pgtable.h"
#include "hyp/nvhe/nvhe_asm.h"
#include "hyp/nvhe/nvhe_cpu.h"

DEFINE_STATIC_KEY_FALSE(modkvm_hyp_nvhe);

static bool nvhe = true;
module_param(nvhe, bool, 0444);
MODULE_PARM_DESC(nvhe,
		 "on a host whose kernel runs at EL1 (nVHE), take EL2 from Linux's hyp stub and run guests there (default Y; N refuses such hosts)");

/* The deprecated alias: the same variable, noted at load when given */
static bool nvhe_el2_test_given;

static int nvhe_el2_test_set(const char *val, const struct kernel_param *kp)
{
	nvhe_el2_test_given = true;
	return param_set_bool(val, kp);
}

static const struct kernel_param_ops nvhe_el2_test_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = nvhe_el2_test_set,
	.get = param_get_bool,
};
module_param_cb(nvhe_el2_test, &nvhe_el2_test_ops, &nvhe, 0444);
MODULE_PARM_DESC(nvhe_el2_test, "deprecated alias of nvhe (nVHE hosts are served by default)");

static bool nvhe_inject_fault;
module_param(nvhe_inject_fault, bool, 0644);
MODULE_PARM_DESC(nvhe_inject_fault,
		 "nVHE, testing only: the next guest run takes an exception at EL2 half-way into the guest's state, to check that the host gets its state back and the run fails");

/* hyp/nvhe/init.S and host.S */
extern char __modkvm_nvhe_init_start[], __modkvm_nvhe_init_end[];
extern char __modkvm_nvhe_teardown[], __modkvm_nvhe_probe[];
extern char __modkvm_nvhe_vectors[];

#define NVHE_STACK_ORDER	2	/* 16 KiB of EL2 stack per CPU */
#define NVHE_DATA_ORDER		1	/* struct modkvm_nvhe_cpu */
#define NVHE_MAGIC		0x4d4f444b564d3221ULL	/* "MODKVM2!" */

static_assert(offsetof(struct modkvm_nvhe_cpu, mair) == NV_MAIR);
static_assert(offsetof(struct modkvm_nvhe_cpu, tcr) == NV_TCR);
static_assert(offsetof(struct modkvm_nvhe_cpu, idmap_ttbr) == NV_IDMAP_TTBR);
static_assert(offsetof(struct modkvm_nvhe_cpu, main_ttbr) == NV_MAIN_TTBR);
static_assert(offsetof(struct modkvm_nvhe_cpu, delta) == NV_DELTA);
static_assert(offsetof(struct modkvm_nvhe_cpu, stack) == NV_STACK);
static_assert(offsetof(struct modkvm_nvhe_cpu, vectors) == NV_VECTORS);
static_assert(offsetof(struct modkvm_nvhe_cpu, self) == NV_SELF);
static_assert(offsetof(struct modkvm_nvhe_cpu, stub_vectors) == NV_STUB_VECTORS);
static_assert(offsetof(struct modkvm_nvhe_cpu, stub_sctlr) == NV_STUB_SCTLR);
static_assert(offsetof(struct modkvm_nvhe_cpu, teardown) == NV_TEARDOWN);
static_assert(offsetof(struct modkvm_nvhe_cpu, magic) == NV_MAGIC);
static_assert(offsetof(struct modkvm_nvhe_cpu, host_elr) == NV_HOST_ELR);
static_assert(offsetof(struct modkvm_nvhe_cpu, host_spsr) == NV_HOST_SPSR);
static_assert(offsetof(struct modkvm_nvhe_cpu, fault_esr) == NV_FAULT_ESR);
static_assert(offsetof(struct modkvm_nvhe_cpu, fault_elr) == NV_FAULT_ELR);
static_assert(offsetof(struct modkvm_nvhe_cpu, fault_far) == NV_FAULT_FAR);
static_assert(offsetof(struct modkvm_nvhe_cpu, fault_spsr) == NV_FAULT_SPSR);
static_assert(offsetof(struct modkvm_nvhe_cpu, fault_count) == NV_FAULT_COUNT);
static_assert(offsetof(struct modkvm_nvhe_cpu, host_gprs) == NV_HOST_GPRS);
static_assert(offsetof(struct modkvm_nvhe_cpu, run_stage) == NV_RUN_STAGE);
static_assert(offsetof(struct modkvm_nvhe_cpu, run_vcpu) == NV_RUN_VCPU);
static_assert(offsetof(struct modkvm_nvhe_cpu, host) == NV_CPU_SIZE);
static_assert(sizeof(struct modkvm_nvhe_cpu) <= PAGE_SIZE << NVHE_DATA_ORDER);


#define MMFR0_PARANGE		GENMASK_ULL(3, 0)
#define PFR0_GIC		GENMASK_ULL(27, 24)
#define PARANGE_48		5


struct nvhe_pcpu {
	struct modkvm_nvhe_cpu *data;	/* a page of its own */
	void *stack;
	bool held;			/* EL2 is modkvm's on this CPU */
	bool pm_given;			/* given back for a CPU PM state */
};

static DEFINE_PER_CPU(struct nvhe_pcpu, nvhe_pcpu);

static struct {
	struct page *init_page;
	phys_addr_t init_pa;
	u64 init_hyp;
	struct modkvm_hyp_pgt main, idmap;
	phys_addr_t stub_vectors;
	int hp_state;			/* cpuhp, or 0 */
	bool pm_registered;		/* nvhe_cpu_pm is registered */
	bool loaded;			/* every CPU done: say what hotplug does */
	struct mutex map_lock;		/* changes to nv.main after load */
	u64 icc_sre_el2;		/* as EL2 reads it; 0 without GICv3's */
	u64 ich_vtr_el2;		/* the same; 0 unless ICC_SRE_EL2.SRE */
	bool gic_sysregs;		/* ID_AA64PFR0_EL1.GIC: ICC_SRE_EL2 there */
} nv = {
	.map_lock = __MUTEX_INITIALIZER(nv.map_lock),
};

/* Is EL2 modkvm's on this CPU? (Preemption off.) */
static bool nvhe_cpu_held(void)
{
	if (likely(this_cpu_ptr(&nvhe_pcpu)->held))
		return true;
	pr_err_ratelimited("CPU%u: EL2 is not modkvm's (it could not be taken again after a CPU power state): call refused\n",
			   smp_processor_id());
	return false;
}

struct nvhe_ret {
	u64 a0, a1, a2, a3;
};

/* An HVC to EL2; modkvm's EL2 code uses X0-X17 (hyp/nvhe/host.S) */
static struct nvhe_ret nvhe_hvc(u64 a0, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 asm("x0") = a0;
	register u64 x1 asm("x1") = a1;
	register u64 x2 asm("x2") = a2;
	register u64 x3 asm("x3") = a3;

	asm volatile("hvc #0"
		     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
		     :
		     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
		       "x13", "x14", "x15", "x16", "x17", "memory");
	return (struct nvhe_ret){ x0, x1, x2, x3 };
}

bool modkvm_nvhe_enabled(void)
{
	return nvhe;
}

static u64 init_page_offset(const char *sym)
{
	return sym - __modkvm_nvhe_init_start;
}

/* Where the module's text lies, for a readable EL2 report */
static void nvhe_module_text(unsigned long *base, unsigned long *size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	*base = (unsigned long)THIS_MODULE->mem[MOD_TEXT].base;
	*size = THIS_MODULE->mem[MOD_TEXT].size;
#else
	*base = (unsigned long)THIS_MODULE->core_layout.base;
	*size = THIS_MODULE->core_layout.text_size;
#endif
}

/*
 * Report an exception EL2 took itself, from the record hyp/nvhe/host.S
 * left. Its ELR is a hyp VA: shown as an offset in the module's text
 * when it is one (addr2line on modkvm.ko's .text), else as is.
 */
static void nvhe_report_fault(unsigned int cpu, const char *during)
{
	struct modkvm_nvhe_cpu *c = per_cpu(nvhe_pcpu, cpu).data;
	unsigned long base, size;
	u64 elr = c->fault_elr;

	nvhe_module_text(&base, &size);
	if (elr >= modkvm_hyp_va((void *)base) &&
	    elr < modkvm_hyp_va((void *)base) + size)
		pr_err("EL2 exception on CPU%u during %s: ESR %#llx (EC %#llx), ELR modkvm .text+%#llx, FAR %#llx, SPSR %#llx\n",
		       cpu, during, c->fault_esr, ESR_ELx_EC(c->fault_esr),
		       elr - modkvm_hyp_va((void *)base), c->fault_far,
		       c->fault_spsr);
	else
		pr_err("EL2 exception on CPU%u during %s: ESR %#llx (EC %#llx), ELR %#llx (hyp VA), FAR %#llx, SPSR %#llx\n",
		       cpu, during, c->fault_esr, ESR_ELx_EC(c->fault_esr),
		       elr, c->fault_far, c->fault_spsr);
}

/* A call into EL2 on this CPU (hyp/call.h); an EL2 fault is reported */
u64 modkvm_nvhe_call(u64 fn, u64 a1, u64 a2)
{
	struct nvhe_ret r = { .a0 = NV_HVC_EL2_FAULT };

	preempt_disable();
	if (nvhe_cpu_held()) {
		r = nvhe_hvc(fn, a1, a2, 0);
		if (r.a0 == NV_HVC_EL2_FAULT)
			nvhe_report_fault(smp_processor_id(), "a call into EL2");
	}
	preempt_enable();
	return r.a0;
}

/*
 * One trip into the guest (hyp/nvhe/switch.c). An exception EL2 took
 * itself meanwhile is reported and fails the run as MODKVM_EXIT_BAD does
 * on VHE (exit.c).
 */
int modkvm_nvhe_vcpu_run(struct modkvm_vcpu *vcpu)
{
	struct nvhe_ret r;
	char what[64];

	if (unlikely(READ_ONCE(nvhe_inject_fault))) {
		WRITE_ONCE(nvhe_inject_fault, false);
		this_cpu_ptr(&nvhe_pcpu)->data->inject_fault = 1;
	}
	if (unlikely(!nvhe_cpu_held())) {
		vcpu->arch.exit.code = MODKVM_EXIT_BAD;
		return MODKVM_EXIT_BAD;
	}
	r = nvhe_hvc(NV_HVC_VCPU_RUN, modkvm_hyp_va(vcpu), 0, 0);
	if (r.a0 != NV_HVC_EL2_FAULT)
		return r.a0;
	snprintf(what, sizeof(what), "the run of vCPU %u of %s[%d]", vcpu->id,
		 current->comm, task_pid_nr(current));
	nvhe_report_fault(smp_processor_id(), what);
	vcpu->arch.exit.code = MODKVM_EXIT_BAD;
	return MODKVM_EXIT_BAD;
}

/*
 * What EL2 reaches of a VM or vCPU, mapped at its hyp VA before its first
 * run. Linear-map memory keeps its mapping for good (its hyp VA always
 * names the same page, and slab pages are shared between objects, so it
 * is never unmapped); memory from vmalloc (a large VM) is mapped again if
 * its hyp VA held an earlier allocation: unmapped, EL2's TLBs invalidated
 * on every CPU, mapped anew.
 */
static int nvhe_map_object(const void *kva, size_t size)
{
	int ret;

	mutex_lock(&nv.map_lock);
	ret = modkvm_hyp_map_kernel(&nv.main, kva, size, MODKVM_HYP_RW);
	if (ret == -EEXIST && is_vmalloc_addr(kva)) {
		modkvm_hyp_unmap_kernel(&nv.main, kva, size);
		modkvm_nvhe_call(NV_HVC_TLB_FLUSH_HYP, 0, 0);
		ret = modkvm_hyp_map_kernel(&nv.main, kva, size, MODKVM_HYP_RW);
	}
	dsb(ishst);
	mutex_unlock(&nv.map_lock);
	return ret;
}

int modkvm_nvhe_map_vm(struct modkvm_vm *vm)
{
	if (!static_branch_unlikely(&modkvm_hyp_nvhe))
		return 0;
	return nvhe_map_object(vm, sizeof(*vm));
}

int modkvm_nvhe_map_vcpu(struct modkvm_vcpu *vcpu)
{
	if (!static_branch_unlikely(&modkvm_hyp_nvhe))
		return 0;
	return nvhe_map_object(vcpu, sizeof(*vcpu));
}

/* ICC_SRE_EL2 (reset.c), which the host at EL1 cannot read itself */
u64 modkvm_nvhe_icc_sre_el2(void)
{
	return nv.icc_sre_el2;
}

/* ICH_VTR_EL2 (vgic_v3.c: list registers, priority bits), the same */
u64 modkvm_nvhe_ich_vtr_el2(void)
{
	return nv.ich_vtr_el2;
}

/* Is EL2 Linux's hyp stub, and where are its vectors? Interrupts off. */
static int nvhe_probe_stub(phys_addr_t *vectors)
{
	struct nvhe_ret r;

	r = nvhe_hvc(NV_HVC_STUB_HCALL_NR, 0, 0, 0);
	if (r.a0 != NV_HVC_STUB_ERR)
		return -EBUSY;
	r = nvhe_hvc(NV_HVC_SOFT_RESTART,
		     nv.init_pa + init_page_offset(__modkvm_nvhe_probe), 0, 0);
	*vectors = r.a0;
	if (!r.a0 || r.a0 & (SZ_2K - 1) || !pfn_valid(PHYS_PFN(r.a0)))
		return -ENOENT;
	return 0;
}

static void nvhe_fill_params(unsigned int cpu, struct modkvm_nvhe_cpu *c,
			     void *stack)
{
	u64 parange = FIELD_GET(MMFR0_PARANGE, read_sysreg(id_aa64mmfr0_el1));

	c->mair = MODKVM_HYP_MAIR;
	c->tcr = MK_TCR_EL2_RES1 | MK_TCR_T0SZ(48) | MK_TCR_IRGN0_WBWA |
		 MK_TCR_ORGN0_WBWA | MK_TCR_SH0_INNER |
		 MK_TCR_PS(min_t(u64, parange, PARANGE_48));
	c->idmap_ttbr = modkvm_hyp_pgt_root(&nv.idmap);
	c->main_ttbr = modkvm_hyp_pgt_root(&nv.main);
	c->delta = nv.init_hyp - nv.init_pa;
	c->stack = modkvm_hyp_va(stack) + (PAGE_SIZE << NVHE_STACK_ORDER);
	c->vectors = modkvm_hyp_va(__modkvm_nvhe_vectors);
	c->self = modkvm_hyp_va(c);
	c->stub_vectors = nv.stub_vectors;
	c->teardown = nv.init_hyp + init_page_offset(__modkvm_nvhe_teardown);
	c->magic = NVHE_MAGIC ^ cpu;
	modkvm_dcache_clean_inval(virt_to_phys(c), sizeof(*c));
}

/* Give EL2 back to the stub on this CPU (interrupts off) */
static int nvhe_give_back_this_cpu(void)
{
	struct nvhe_pcpu *pc = this_cpu_ptr(&nvhe_pcpu);
	struct nvhe_ret r;

	if (!pc->held)
		return 0;
	r = nvhe_hvc(NV_HVC_RESET_VECTORS, 0, 0, 0);
	pc->held = false;
	if (r.a0 || nvhe_hvc(NV_HVC_STUB_HCALL_NR, 0, 0, 0).a0 != NV_HVC_STUB_ERR) {
		pr_err("CPU%u: the hyp stub does not answer after EL2 was given back (%#llx)\n",
		       smp_processor_id(), r.a0);
		return -EIO;
	}
	return 0;
}

/*
 * Take EL2 on this CPU, interrupts off: from the stub, all of EL2's state
 * set anew (hyp/nvhe/init.S), as on a CPU just out of reset. Only failures
 * are printed.
 */
static int nvhe_take_this_cpu(void)
{
	struct nvhe_pcpu *pc = this_cpu_ptr(&nvhe_pcpu);
	struct modkvm_nvhe_cpu *c = pc->data;
	unsigned int cpu = smp_processor_id();
	phys_addr_t stub;
	struct nvhe_ret r;
	int ret;

	ret = nvhe_probe_stub(&stub);
	if (ret || stub != nv.stub_vectors) {
		pr_err("CPU%u: EL2 is not Linux's hyp stub with its vectors at %pa (%d): not taken\n",
		       cpu, &nv.stub_vectors, ret);
		return -EBUSY;
	}
	nvhe_fill_params(cpu, c, pc->stack);
	r = nvhe_hvc(NV_HVC_SET_VECTORS, nv.init_pa, 0, 0);
	if (!r.a0)
		r = nvhe_hvc(virt_to_phys(c), 0, 0, 0);
	if (r.a0) {
		/* the init vectors only answer the init call: give them back */
		pr_err("CPU%u: EL2 init failed (%#llx)\n", cpu, r.a0);
		return -EIO;
	}
	pc->held = true;
	r = nvhe_hvc(NV_HVC_PING, 0, 0, 0);
	if (r.a0 || !(r.a1 & MK_SCTLR_EL2_M) || r.a2 != c->magic || r.a3 != c->vectors) {
		if (r.a0 == NV_HVC_EL2_FAULT)
			nvhe_report_fault(cpu, "the self-test");
		nvhe_give_back_this_cpu();
		pr_err("CPU%u: EL2 self-test failed: %#llx, SCTLR_EL2 %#llx, VBAR_EL2 %#llx\n",
		       cpu, r.a0, r.a1, r.a3);
		return -EIO;
	}
	/* No stale list register from before (hyp/vgic_v3_sr.h) */
	if (nv.gic_sysregs) {
		r = nvhe_hvc(NV_HVC_GIC_CLEAR, 0, 0, 0);
		if (r.a0) {
			if (r.a0 == NV_HVC_EL2_FAULT)
				nvhe_report_fault(cpu, "clearing the GIC's list registers");
			nvhe_give_back_this_cpu();
			pr_err("CPU%u: the GIC's virtual interface could not be reset at EL2 (%#llx)\n",
			       cpu, r.a0);
			return -EIO;
		}
	}
	return 0;
}

/* Take EL2 on this CPU (cpuhp: runs on it) */
static int nvhe_take_cpu(unsigned int cpu)
{
	unsigned long flags;
	int ret;

	local_irq_save(flags);
	ret = nvhe_take_this_cpu();
	local_irq_restore(flags);
	if (!ret && nv.loaded)
		pr_info("CPU%u: EL2 taken again\n", cpu);
	return ret;
}

/* cpuhp teardown, on the CPU going offline (and on unload) */
static int nvhe_give_cpu(unsigned int cpu)
{
	unsigned long flags;

	int ret;

	local_irq_save(flags);
	ret = nvhe_give_back_this_cpu();
	local_irq_restore(flags);
	if (nv.loaded && !ret)
		pr_info("CPU%u: EL2 given back to the hyp stub\n", cpu);
	return 0;
}

/*
 * CPU power management (cpu_pm, kernel/cpu_pm.c): a CPU entering an idle
 * or suspend state that may power it down (PSCI CPU_SUSPEND with a power-
 * down state) loses EL2's registers, and the kernel's resume path puts
 * the hyp stub's vectors back (Arm ARM: the PE's warm reset leaves EL2's
 * system registers UNKNOWN). As for hotplug, EL2 is given back to the stub
 * before (CPU_PM_ENTER) and taken anew after (CPU_PM_EXIT, or
 * CPU_PM_ENTER_FAILED when the state was not entered), whether or not the
 * state lost anything: taking it sets every EL2 register modkvm relies on.
 * No vCPU can be in a run meanwhile: this is the idle task (or the
 * suspend path) on that CPU, with interrupts off. Nothing is printed
 * unless taking EL2 again fails; then the CPU keeps the stub, and guest
 * runs and EL2 calls on it fail (nvhe_cpu_held()) instead of calling the
 * stub. CPU_CLUSTER_PM_ENTER/EXIT come after (before) every CPU of the
 * cluster had its own CPU_PM_ENTER (EXIT): EL2 is per CPU, nothing more
 * to do.
 */
static int nvhe_cpu_pm_notify(struct notifier_block *nb, unsigned long action,
			      void *unused)
{
	struct nvhe_pcpu *pc = this_cpu_ptr(&nvhe_pcpu);

	switch (action) {
	case CPU_PM_ENTER:
		if (pc->held) {
			nvhe_give_back_this_cpu();
			pc->pm_given = true;
		}
		break;
	case CPU_PM_ENTER_FAILED:
	case CPU_PM_EXIT:
		if (pc->pm_given) {
			pc->pm_given = false;
			nvhe_take_this_cpu();
		}
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block nvhe_cpu_pm = {
	.notifier_call = nvhe_cpu_pm_notify,
};

/* The EL2 fault path once, on this CPU: an access EL2 cannot map */
static int nvhe_check_fault_report(void)
{
	struct modkvm_nvhe_cpu *c;
	unsigned long flags;
	struct nvhe_ret r;
	unsigned int cpu;
	u64 bad = BIT_ULL(48);		/* beyond any 48-bit hyp VA */

	cpu = get_cpu();
	c = per_cpu(nvhe_pcpu, cpu).data;
	local_irq_save(flags);
	r = nvhe_hvc(NV_HVC_FAULT_TEST, bad, 0, 0);
	local_irq_restore(flags);
	put_cpu();
	if (r.a0 != NV_HVC_EL2_FAULT ||
	    ESR_ELx_EC(c->fault_esr) != ESR_ELx_EC_DABT_CUR || c->fault_far != bad) {
		pr_err("EL2 self-test: a fault at EL2 was not reported (%#llx, ESR %#llx)\n",
		       r.a0, c->fault_esr);
		return -EIO;
	}
	nvhe_report_fault(cpu, "the fault self-test (expected)");
	c->fault_count = 0;
	return 0;
}

static void nvhe_free(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct nvhe_pcpu *pc = per_cpu_ptr(&nvhe_pcpu, cpu);

		free_pages((unsigned long)pc->data, NVHE_DATA_ORDER);
		free_pages((unsigned long)pc->stack, NVHE_STACK_ORDER);
		pc->data = NULL;
		pc->stack = NULL;
	}
	modkvm_hyp_pgt_free(&nv.main);
	modkvm_hyp_pgt_free(&nv.idmap);
	if (nv.init_page)
		__free_page(nv.init_page);
	nv.init_page = NULL;
}

/* The module's core memory at its hyp VAs: text executable, the rest not */
static int nvhe_map_module(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	static const struct { enum mod_mem_type t; enum modkvm_hyp_prot p; } m[] = {
		{ MOD_TEXT, MODKVM_HYP_RX }, { MOD_RODATA, MODKVM_HYP_RO },
		{ MOD_RO_AFTER_INIT, MODKVM_HYP_RW }, { MOD_DATA, MODKVM_HYP_RW },
	};
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(m); i++) {
		const struct module_memory *mm = &THIS_MODULE->mem[m[i].t];

		if (!mm->size)
			continue;
		ret = modkvm_hyp_map_kernel(&nv.main, mm->base, mm->size, m[i].p);
		if (ret)
			return ret;
	}
	return 0;
#else
	const struct module_layout *l = &THIS_MODULE->core_layout;
	int ret;

	ret = modkvm_hyp_map_kernel(&nv.main, l->base, l->text_size,
				    MODKVM_HYP_RX);
	if (!ret)
		ret = modkvm_hyp_map_kernel(&nv.main, l->base + l->text_size,
					    l->size - l->text_size,
					    MODKVM_HYP_RW);
	return ret;
#endif
}

static int nvhe_build(void)
{
	size_t code = __modkvm_nvhe_init_end - __modkvm_nvhe_init_start;
	void *init;
	unsigned int cpu;
	int ret;

	if (code > PAGE_SIZE)
		return -E2BIG;
	nv.init_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!nv.init_page)
		return -ENOMEM;
	init = page_address(nv.init_page);
	memcpy(init, __modkvm_nvhe_init_start, code);
	caches_clean_inval_pou((unsigned long)init, (unsigned long)init + PAGE_SIZE);
	nv.init_pa = page_to_phys(nv.init_page);
	nv.init_hyp = modkvm_hyp_va(init);
	if (nv.init_pa & ~MODKVM_HYP_VA_MASK)
		return -ERANGE;
	modkvm_dcache_clean_inval(nv.init_pa, PAGE_SIZE);

	ret = modkvm_hyp_pgt_init(&nv.idmap);
	if (!ret)
		ret = modkvm_hyp_pgt_init(&nv.main);
	if (!ret)
		ret = modkvm_hyp_map_page(&nv.idmap, nv.init_pa, nv.init_pa,
					  MODKVM_HYP_RX);
	if (!ret)
		ret = modkvm_hyp_map_page(&nv.idmap, nv.init_hyp, nv.init_pa,
					  MODKVM_HYP_RX);
	if (!ret)
		ret = modkvm_hyp_map_page(&nv.main, nv.init_hyp, nv.init_pa,
					  MODKVM_HYP_RX);
	if (!ret)
		ret = nvhe_map_module();
	if (ret)
		return ret;
	for_each_possible_cpu(cpu) {
		struct nvhe_pcpu *pc = per_cpu_ptr(&nvhe_pcpu, cpu);

		pc->data = (void *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
						    NVHE_DATA_ORDER);
		pc->stack = (void *)__get_free_pages(GFP_KERNEL, NVHE_STACK_ORDER);
		if (!pc->data || !pc->stack)
			return -ENOMEM;
		ret = modkvm_hyp_map_kernel(&nv.main, pc->data,
					    PAGE_SIZE << NVHE_DATA_ORDER,
					    MODKVM_HYP_RW);
		if (!ret)
			ret = modkvm_hyp_map_kernel(&nv.main, pc->stack,
						    PAGE_SIZE << NVHE_STACK_ORDER,
						    MODKVM_HYP_RW);
		if (ret)
			return ret;
	}
	modkvm_hyp_pgt_clean(&nv.idmap);
	modkvm_hyp_pgt_clean(&nv.main);
	return 0;
}

/*
 * Take EL2 on every CPU (and on each CPU that comes online later). On
 * failure nothing is held and the reason is the last line printed.
 */
int modkvm_nvhe_init(void)
{
	unsigned long flags;
	int ret;

	ret = nvhe_build();
	if (ret) {
		nvhe_free();
		pr_err("refusing to load: cannot build the EL2 address space (%d)\n", ret);
		return ret;
	}
	local_irq_save(flags);
	ret = nvhe_probe_stub(&nv.stub_vectors);
	local_irq_restore(flags);
	if (ret) {
		nvhe_free();
		if (ret == -EBUSY)
			pr_err("refusing to load: EL2 is not Linux's hyp stub (it does not answer HVC_STUB_ERR to an unknown call): something else owns EL2\n");
		else
			pr_err("refusing to load: cannot find the hyp stub's vectors (HVC_SOFT_RESTART probe answered %pa)\n",
			       &nv.stub_vectors);
		return -ENODEV;
	}
	nv.gic_sysregs = FIELD_GET(PFR0_GIC,
				   read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1));
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "modkvm/nvhe:el2",
				nvhe_take_cpu, nvhe_give_cpu);
	if (ret < 0) {
		nvhe_free();
		pr_err("refusing to load: EL2 could not be taken on every CPU (see above)\n");
		return ret;
	}
	nv.hp_state = ret;
	ret = cpu_pm_register_notifier(&nvhe_cpu_pm);
	if (ret) {
		modkvm_nvhe_exit();
		pr_err("refusing to load: cannot register for CPU power management (%d)\n", ret);
		return ret;
	}
	nv.pm_registered = true;
	ret = nvhe_check_fault_report();
	if (ret) {
		modkvm_nvhe_exit();
		pr_err("refusing to load: EL2 faults are not reported\n");
		return ret;
	}
	/*
	 * The GIC's system register interface at EL2, if the CPU has it: its
	 * settings and the virtual interface's size (list registers, priority
	 * bits), read once on this CPU for all (reset.c, vgic_v3.c)
	 */
	if (nv.gic_sysregs) {
		struct nvhe_ret r;
		unsigned long flags;

		local_irq_save(flags);
		r = nvhe_hvc(NV_HVC_READ_GIC_EL2, 0, 0, 0);
		local_irq_restore(flags);
		if (r.a0 == NV_HVC_EL2_FAULT) {
			nvhe_report_fault(raw_smp_processor_id(),
					  "reading ICC_SRE_EL2 and ICH_VTR_EL2");
			modkvm_nvhe_exit();
			pr_err("refusing to load: ICC_SRE_EL2 cannot be read at EL2\n");
			return -ENODEV;
		}
		nv.icc_sre_el2 = r.a1;
		nv.ich_vtr_el2 = r.a2;
	}
	nv.loaded = true;
	static_branch_enable(&modkvm_hyp_nvhe);
	if (nvhe_el2_test_given)
		pr_info("nvhe_el2_test is deprecated: nVHE hosts are served by default (nvhe=0 refuses them)\n");
	pr_info("nVHE host: EL2 taken from the hyp stub (vectors at %pa) on %u CPUs (nvhe=0 to refuse nVHE hosts)\n",
		&nv.stub_vectors, num_online_cpus());
	return 0;
}

/* Give EL2 back on every CPU and free the EL2 address space */
void modkvm_nvhe_exit(void)
{
	static_branch_disable(&modkvm_hyp_nvhe);
	nv.loaded = false;
	if (nv.pm_registered)
		cpu_pm_unregister_notifier(&nvhe_cpu_pm);
	nv.pm_registered = false;
	if (nv.hp_state > 0)
		cpuhp_remove_state(nv.hp_state);
	nv.hp_state = 0;
	nvhe_free();
}
