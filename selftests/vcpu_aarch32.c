// SPDX-License-Identifier: GPL-2.0
/*
 * A guest whose EL1 is AArch32 (KVM_ARM_VCPU_EL1_32BIT): vCPU widths
 * (all vCPUs of a VM alike, api.rst), the AArch32 reset state and core
 * registers, and two tiny guests, one in A32 and one in T32, that do MMIO
 * writes and reads of each width (zero- and sign-extended), a PSCI call
 * by HVC with the SMC32 convention (and an SMC64 function id, refused
 * from AArch32), read CP15 ID registers (trapped by HCR_EL2.TID3), set
 * CPACR and read MVFR0 with VMRS (the FP and ID traps), hit an undefined
 * instruction and return from their Undefined handler, execute a WFI that
 * fails its condition, a store trapped inside a T32 IT block, and end with
 * PSCI SYSTEM_OFF. Skipped when KVM_CAP_ARM_EL1_32BIT is 0 (the CPU has
 * no AArch32 EL1), after checking that such vCPUs are then refused.
 *
 * The guest code is hand-assembled (the test is built with the AArch64
 * tool chain only); the A32/T32 source is in the comments.
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

/*
 * Offsets 0x00-0x1f: A32 vectors at VBAR; the Undefined handler stores
 * LR_und, SPSR_und and its CPSR at MMIO 0x50/0x54/0x58 and sets r10.
 * a32_main (0x40, entered through the reset vector) and t32_main
 * (aa32_t32_entry) use r4 = MMIO base; the results go to MMIO offsets.
 * MMIO is done from registers that are not banked (the handler copies
 * LR_und to r0 first): the architecture reports the AArch64 view of the
 * register in ESR_EL2.SRT, but QEMU's TCG reports the AArch32 number for
 * data aborts, which the test would otherwise trip over on both KVMs.
 */
GUEST_CODE(aa32,
	"	.word	0xea00000e\n"	/* 000: b 0x40 <a32_main> */
	"	.word	0xea000005\n"	/* 004: b 0x20 <und_handler> */
	"	.word	0xeafffffe\n"	/* 008: b 0x8 <vectors+0x8> */
	"	.word	0xeafffffe\n"	/* 00c: b 0xc <vectors+0xc> */
	"	.word	0xeafffffe\n"	/* 010: b 0x10 <vectors+0x10> */
	"	.word	0xeafffffe\n"	/* 014: b 0x14 <vectors+0x14> */
	"	.word	0xeafffffe\n"	/* 018: b 0x18 <vectors+0x18> */
	"	.word	0xeafffffe\n"	/* 01c: b 0x1c <vectors+0x1c> */
	"	.word	0xe3a0a001\n"	/* 020: mov r10, #1 */
	"	.word	0xe1a0000e\n"	/* 024: mov r0, lr */
	"	.word	0xe5840050\n"	/* 028: str r0, [r4, #80] */
	"	.word	0xe14fb000\n"	/* 02c: mrs r11, spsr */
	"	.word	0xe584b054\n"	/* 030: str r11, [r4, #84] */
	"	.word	0xe10fb000\n"	/* 034: mrs r11, apsr */
	"	.word	0xe584b058\n"	/* 038: str r11, [r4, #88] */
	"	.word	0xe1b0f00e\n"	/* 03c: movs pc, lr */
	"	.word	0xe3a04201\n"	/* 040: mov r4, #268435456 */
	"	.word	0xe24f004c\n"	/* 044: sub r0, pc, #76 */
	"	.word	0xee0c0f10\n"	/* 048: mcr p15, #0, r0, c12, c0, #0 */
	"	.word	0xf57ff06f\n"	/* 04c: isb sy */
	"	.word	0xe3041411\n"	/* 050: movw r1, #17425 */
	"	.word	0xe3431322\n"	/* 054: movt r1, #13090 */
	"	.word	0xe5c41000\n"	/* 058: strb r1, [r4] */
	"	.word	0xe1c410b2\n"	/* 05c: strh r1, [r4, #2] */
	"	.word	0xe5841004\n"	/* 060: str r1, [r4, #4] */
	"	.word	0xe5d45010\n"	/* 064: ldrb r5, [r4, #16] */
	"	.word	0xe1d461f2\n"	/* 068: ldrsh r6, [r4, #18] */
	"	.word	0xe5947014\n"	/* 06c: ldr r7, [r4, #20] */
	"	.word	0xe1d481d8\n"	/* 070: ldrsb r8, [r4, #24] */
	"	.word	0xe5845020\n"	/* 074: str r5, [r4, #32] */
	"	.word	0xe5846024\n"	/* 078: str r6, [r4, #36] */
	"	.word	0xe5847028\n"	/* 07c: str r7, [r4, #40] */
	"	.word	0xe584802c\n"	/* 080: str r8, [r4, #44] */
	"	.word	0xe3000000\n"	/* 084: movw r0, #0 */
	"	.word	0xe3480400\n"	/* 088: movt r0, #33792 */
	"	.word	0xe1400070\n"	/* 08c: hvc #0 */
	"	.word	0xe5840030\n"	/* 090: str r0, [r4, #48] */
	"	.word	0xe3000004\n"	/* 094: movw r0, #4 */
	"	.word	0xe34c0400\n"	/* 098: movt r0, #50176 */
	"	.word	0xe1400070\n"	/* 09c: hvc #0 */
	"	.word	0xe5840034\n"	/* 0a0: str r0, [r4, #52] */
	"	.word	0xee100f11\n"	/* 0a4: mrc p15, #0, r0, c0, c1, #0 */
	"	.word	0xe5840038\n"	/* 0a8: str r0, [r4, #56] */
	"	.word	0xee100f12\n"	/* 0ac: mrc p15, #0, r0, c0, c2, #0 */
	"	.word	0xe584003c\n"	/* 0b0: str r0, [r4, #60] */
	"	.word	0xe3a0060f\n"	/* 0b4: mov r0, #15728640 */
	"	.word	0xee010f50\n"	/* 0b8: mcr p15, #0, r0, c1, c0, #2 */
	"	.word	0xf57ff06f\n"	/* 0bc: isb sy */
	"	.word	0xee110f50\n"	/* 0c0: mrc p15, #0, r0, c1, c0, #2 */
	"	.word	0xe5840040\n"	/* 0c4: str r0, [r4, #64] */
	"	.word	0xe3a00101\n"	/* 0c8: mov r0, #1073741824 */
	"	.word	0xeee80a10\n"	/* 0cc: vmsr fpexc, r0 */
	"	.word	0xeef70a10\n"	/* 0d0: vmrs r0, mvfr0 */
	"	.word	0xe5840044\n"	/* 0d4: str r0, [r4, #68] */
	"	.word	0xe3a0a000\n"	/* 0d8: mov r10, #0 */
	"	.word	0xe7f000f0\n"	/* 0dc: udf #0 */
	"	.word	0xe584a048\n"	/* 0e0: str r10, [r4, #72] */
	"	.word	0xe1500000\n"	/* 0e4: cmp r0, r0 */
	"	.word	0x1320f003\n"	/* 0e8: wfine */
	"	.word	0xe320f002\n"	/* 0ec: wfe */
	"	.word	0xe584a04c\n"	/* 0f0: str r10, [r4, #76] */
	"	.word	0xe3000008\n"	/* 0f4: movw r0, #8 */
	"	.word	0xe3480400\n"	/* 0f8: movt r0, #33792 */
	"	.word	0xe1400070\n"	/* 0fc: hvc #0 */
	"	.word	0xeafffffe\n"	/* 100: b 0x100 <a32_main+0xc0> */
	".globl aa32_t32_entry\n"
	"aa32_t32_entry:\n"
	"	.hword	0xf04f, 0x5480\n"	/* 104: mov.w r4, #268435456 */
	"	.hword	0xf244, 0x4111\n"	/* 108: movw r1, #17425 */
	"	.hword	0xf2c3, 0x3122\n"	/* 10c: movt r1, #13090 */
	"	.hword	0x8061\n"	/* 110: strh r1, [r4, #2] */
	"	.hword	0xf8c4, 0x1004\n"	/* 112: str.w r1, [r4, #4] */
	"	.hword	0x7c25\n"	/* 116: ldrb r5, [r4, #16] */
	"	.hword	0xf8d4, 0x7014\n"	/* 118: ldr.w r7, [r4, #20] */
	"	.hword	0x6225\n"	/* 11c: str r5, [r4, #32] */
	"	.hword	0x62a7\n"	/* 11e: str r7, [r4, #40] */
	"	.hword	0x4280\n"	/* 120: cmp r0, r0 */
	"	.hword	0xbf0c\n"	/* 122: ite eq */
	"	.hword	0x6661\n"	/* 124: streq r1, [r4, #100] */
	"	.hword	0x66a1\n"	/* 126: strne r1, [r4, #104] */
	"	.hword	0x66e1\n"	/* 128: str r1, [r4, #108] */
	"	.hword	0xf240, 0x0000\n"	/* 12a: movw r0, #0 */
	"	.hword	0xf2c8, 0x4000\n"	/* 12e: movt r0, #33792 */
	"	.hword	0xf7e0, 0x8000\n"	/* 132: hvc.w #0 */
	"	.hword	0x6320\n"	/* 136: str r0, [r4, #48] */
	"	.hword	0xee10, 0x0f11\n"	/* 138: mrc p15, #0, r0, c0, c1, #0 */
	"	.hword	0x63a0\n"	/* 13c: str r0, [r4, #56] */
	"	.hword	0x2200\n"	/* 13e: movs r2, #0 */
	"	.hword	0xf04f, 0x0a00\n"	/* 140: mov.w r10, #0 */
	"	.hword	0xde00\n"	/* 144: udf #0 */
	"	.hword	0xf8c4, 0xa048\n"	/* 146: str.w r10, [r4, #72] */
	"	.hword	0xf240, 0x0008\n"	/* 14a: movw r0, #8 */
	"	.hword	0xf2c8, 0x4000\n"	/* 14e: movt r0, #33792 */
	"	.hword	0xf7e0, 0x8000\n"	/* 152: hvc.w #0 */
	"	.hword	0xe7fe\n"	/* 156: b 0x156 <t32_main+0x52> */

	);

extern const unsigned char aa32_t32_entry[];
#define T32_OFF		((uint64_t)(aa32_t32_entry - aa32_start))
#define A32_UDF		0xdc	/* offsets of the two UDFs */
#define T32_UDF		0x144

#define EL1_32BIT	(1U << KVM_ARM_VCPU_EL1_32BIT)
#define PSCI_0_2	(1U << KVM_ARM_VCPU_PSCI_0_2)

/* CPSR */
#define CPSR_MODE	0x1fUL
#define MODE_SVC	0x13UL
#define MODE_UND	0x1bUL
#define MODE_HYP	0x1aUL
#define CPSR_T		(1UL << 5)
#define CPSR_AIF	(7UL << 6)
#define CPSR_I		(1UL << 7)

/* SCTLR: M, C, I, V, EE, TE */
#define SCTLR_OFF_BITS	((1UL << 0) | (1UL << 2) | (1UL << 12) | \
			 (1UL << 13) | (1UL << 25) | (1UL << 30))

#define REG_ID_PFR0	VMM_SYS_REG(3, 0, 0, 1, 0)
#define REG_ID_ISAR0	VMM_SYS_REG(3, 0, 0, 2, 0)
#define REG_MVFR0	VMM_SYS_REG(3, 0, 0, 3, 0)
#define REG_AA64PFR0	VMM_SYS_REG(3, 0, 0, 4, 0)

#define MMIO(off)	(VMM_MMIO_BASE + (off))

static bool kvm_quirk;		/* the reference is the in-kernel KVM */

static void on_alarm(int sig)
{
	(void)sig;	/* KVM_RUN returns EINTR: a stuck guest fails, not hangs */
}

static uint64_t reg(struct vmm_vcpu *vcpu, uint64_t id)
{
	uint64_t v = ~0ULL;

	vmm_get64(vcpu, id, &v);
	return v;
}

/* Run until an MMIO write at @off of @len bytes; its data, or ~0 */
static uint64_t wr(struct vmm_vcpu *vcpu, uint64_t off, uint32_t len)
{
	uint64_t v;
	bool ok;

	alarm(20);
	ok = vmm_expect_mmio(vcpu, MMIO(off), len, true, &v);
	alarm(0);
	if (!ok) {
		tap_diag("waiting for a %u-byte write at %#llx: %s", len,
			 (unsigned long long)off, vmm_describe_exit(vcpu));
		return ~0ULL;
	}
	return v;
}

/* The next exit is a @len-byte MMIO write at @off of @want */
static void expect_wr(struct vmm_vcpu *vcpu, uint64_t off, uint32_t len,
		      uint64_t want, const char *name)
{
	uint64_t v = wr(vcpu, off, len);

	TAP_EQ(v, want, name);
}

static bool rd(struct vmm_vcpu *vcpu, uint64_t off, uint32_t len,
	       uint64_t val)
{
	bool ok;

	alarm(20);
	ok = vmm_expect_mmio(vcpu, MMIO(off), len, false, &val);
	alarm(0);
	if (ok)
		return true;
	tap_diag("waiting for a %u-byte read at %#llx: %s", len,
		 (unsigned long long)off, vmm_describe_exit(vcpu));
	return false;
}

static int init(struct vmm_vm *vm, struct vmm_vcpu *vcpu, unsigned int id,
		uint32_t features)
{
	int rc = vmm_vcpu_create(vm, vcpu, id);

	return rc ? rc : vmm_vcpu_init(vcpu, features);
}

/* Mixed widths in a VM, in both orders, and a width change on re-init */
static void widths(void)
{
	struct vmm_vcpu v0, v1;
	struct vmm_vm vm;
	int rc;

	if (vmm_vm_create(&vm, 0) == 0) {
		rc = init(&vm, &v0, 0, PSCI_0_2);
		TAP_EQ(rc, 0, "64-bit vCPU 0");
		rc = init(&vm, &v1, 1, PSCI_0_2 | EL1_32BIT);
		TAP_NEG(rc, EINVAL, "then a 32-bit vCPU 1 in the same VM: EINVAL");
		rc = vmm_vcpu_init(&v1, PSCI_0_2);
		TAP_EQ(rc, 0, "... which may still be a 64-bit one");
		vmm_vm_destroy(&vm);
	}
	if (vmm_vm_create(&vm, 0) == 0) {
		rc = init(&vm, &v0, 0, PSCI_0_2 | EL1_32BIT);
		TAP_EQ(rc, 0, "32-bit vCPU 0");
		rc = init(&vm, &v1, 1, PSCI_0_2);
		TAP_NEG(rc, EINVAL, "then a 64-bit vCPU 1 in the same VM: EINVAL");
		rc = vmm_vcpu_init(&v1, PSCI_0_2 | EL1_32BIT);
		TAP_EQ(rc, 0, "... which may still be a 32-bit one");
		rc = vmm_vcpu_init(&v0, PSCI_0_2);
		TAP_NEG(rc, EINVAL, "re-init of vCPU 0 as 64-bit: EINVAL");
		rc = vmm_vcpu_init(&v0, PSCI_0_2 | EL1_32BIT);
		TAP_EQ(rc, 0, "re-init of vCPU 0 as 32-bit");
		vmm_vm_destroy(&vm);
	}
}

/* Reset state and core registers of a 32-bit vCPU (and a 64-bit one) */
static void core_regs(void)
{
	struct vmm_vcpu v, w;
	struct vmm_vm vm, vm64;
	uint64_t pfr0;
	int rc;

	if (vmm_vm_create(&vm, 0) || init(&vm, &v, 0, PSCI_0_2 | EL1_32BIT)) {
		tap_check(0, "32-bit VM and vCPU", NULL);
		return;
	}
	TAP_EQ(reg(&v, VMM_REG_PSTATE), 0x10 | MODE_SVC | CPSR_AIF,
	       "reset: CPSR is SVC with A, I and F set");
	TAP_EQ(reg(&v, VMM_REG_PC), 0, "reset: PC 0");
	tap_check(!(reg(&v, VMM_REG_SCTLR_EL1) & SCTLR_OFF_BITS),
		  "reset: SCTLR has MMU, caches, high vectors, EE and TE off",
		  "SCTLR %#llx", (unsigned long long)reg(&v, VMM_REG_SCTLR_EL1));
	pfr0 = reg(&v, REG_AA64PFR0);
	TAP_EQ(pfr0 & 0xff, 0x22, "ID_AA64PFR0_EL1: AArch32 at EL0 and EL1");
	tap_check(reg(&v, REG_ID_PFR0) & 0xf, "ID_PFR0: A32 implemented",
		  "ID_PFR0 %#llx", (unsigned long long)reg(&v, REG_ID_PFR0));

	rc = vmm_set64(&v, VMM_REG_PSTATE, 0x5 | CPSR_AIF);
	TAP_NEG(rc, EINVAL, "CPSR: an AArch64 mode (EL1h) is refused");
	rc = vmm_set64(&v, VMM_REG_PSTATE, MODE_HYP | CPSR_AIF);
	TAP_NEG(rc, EINVAL, "CPSR: hyp mode is refused");
	rc = vmm_set64(&v, VMM_REG_PSTATE, MODE_UND | CPSR_AIF | CPSR_T);
	TAP_EQ(rc, 0, "CPSR: und mode, T32");
	TAP_EQ(reg(&v, VMM_REG_PSTATE), MODE_UND | CPSR_AIF | CPSR_T,
	       "... reads back");
	rc = vmm_set64(&v, VMM_REG_X(0), 0x123456789aULL);
	TAP_EQ(rc == 0 ? reg(&v, VMM_REG_X(0)) : ~0ULL, 0x3456789a,
	       "R0 is 32 bits wide");
	rc = vmm_set64(&v, VMM_REG_SPSR(KVM_SPSR_UND), MODE_SVC | CPSR_AIF);
	TAP_EQ(rc == 0 ? reg(&v, VMM_REG_SPSR(KVM_SPSR_UND)) : ~0ULL,
	       MODE_SVC | CPSR_AIF, "SPSR_und is spsr[KVM_SPSR_UND]");
	vmm_vcpu_destroy(&v);
	vmm_vm_destroy(&vm);

	if (vmm_vm_create(&vm64, 0) || init(&vm64, &w, 0, PSCI_0_2)) {
		tap_check(0, "64-bit VM and vCPU", NULL);
		return;
	}
	rc = vmm_set64(&w, VMM_REG_PSTATE, MODE_SVC | CPSR_AIF);
	TAP_NEG(rc, EINVAL, "64-bit vCPU: an AArch32 SVC CPSR is refused");
	vmm_vcpu_destroy(&w);
	vmm_vm_destroy(&vm64);
}

/* After the Undefined handler ran: what it saw, and ONE_REG's view */
static void check_undef(struct vmm_vcpu *vcpu, const char *isa,
			uint64_t udf, bool t32)
{
	uint64_t lr, spsr, cpsr, done, want_lr = udf + (t32 ? 2 : 4);
	char name[96];

	lr = wr(vcpu, 0x50, 4);
	spsr = wr(vcpu, 0x54, 4);
	cpsr = wr(vcpu, 0x58, 4);
	done = wr(vcpu, 0x48, 4);
	snprintf(name, sizeof(name), "%s UDF: LR_und is the UDF + %d", isa,
		 t32 ? 2 : 4);
	TAP_EQ(lr, want_lr, name);
	snprintf(name, sizeof(name), "%s UDF: SPSR_und is the SVC %s CPSR",
		 isa, isa);
	tap_check((spsr & CPSR_MODE) == MODE_SVC &&
		  !!(spsr & CPSR_T) == t32, name, "SPSR %#llx",
		  (unsigned long long)spsr);
	snprintf(name, sizeof(name),
		 "%s UDF: the handler runs in und mode, A32, IRQs masked", isa);
	tap_check((cpsr & CPSR_MODE) == MODE_UND && !(cpsr & CPSR_T) &&
		  (cpsr & CPSR_I), name, "CPSR %#llx",
		  (unsigned long long)cpsr);
	snprintf(name, sizeof(name), "%s UDF: back after MOVS PC, LR", isa);
	TAP_EQ(done, 1, name);
	snprintf(name, sizeof(name), "%s UDF: ONE_REG X22 is LR_und", isa);
	TAP_EQ(reg(vcpu, VMM_REG_X(22)), want_lr, name);
	snprintf(name, sizeof(name),
		 "%s UDF: ONE_REG spsr[KVM_SPSR_UND] is SPSR_und", isa);
	TAP_EQ(reg(vcpu, VMM_REG_SPSR(KVM_SPSR_UND)), spsr, name);
}

static void check_off(struct vmm_vcpu *vcpu, const char *isa)
{
	char name[64];
	int rc;

	alarm(20);
	rc = vmm_run(vcpu);
	alarm(0);

	snprintf(name, sizeof(name), "%s PSCI SYSTEM_OFF", isa);
	tap_check(rc == KVM_EXIT_SYSTEM_EVENT &&
		  vcpu->run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN,
		  name, "%s", vmm_describe_exit(vcpu));
}

static void a32_guest(void)
{
	uint64_t base = VMM_RAM_BASE, v, psci = 0;
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	int rc;

	rc = vmm_simple_vm(&vm, &vcpu, aa32_start, GUEST_SIZE(aa32),
			   PSCI_0_2 | EL1_32BIT);
	if (!tap_check(!rc, "A32 guest VM", "%s", strerror(-rc)))
		return;

	expect_wr(&vcpu, 0x00, 1, 0x11, "A32 STRB: 1-byte MMIO write");
	expect_wr(&vcpu, 0x02, 2, 0x4411, "A32 STRH: 2-byte MMIO write");
	expect_wr(&vcpu, 0x04, 4, 0x33224411, "A32 STR: 4-byte MMIO write");
	tap_check(rd(&vcpu, 0x10, 1, 0x81) && rd(&vcpu, 0x12, 2, 0x8002) &&
		  rd(&vcpu, 0x14, 4, 0x12345678) && rd(&vcpu, 0x18, 1, 0x80),
		  "A32 LDRB, LDRSH, LDR, LDRSB: MMIO reads", NULL);
	expect_wr(&vcpu, 0x20, 4, 0x81, "A32 LDRB zero-extends");
	/*
	 * The in-kernel KVM drops the sign extension of MMIO loads (the
	 * quirk vcpu_mmio describes); modkvm follows the architecture.
	 */
	expect_wr(&vcpu, 0x24, 4, kvm_quirk ? 0x8002 : 0xffff8002,
		  "A32 LDRSH sign-extends (KVM: its quirk)");
	expect_wr(&vcpu, 0x28, 4, 0x12345678, "A32 LDR");
	expect_wr(&vcpu, 0x2c, 4, kvm_quirk ? 0x80 : 0xffffff80,
		  "A32 LDRSB sign-extends (KVM: its quirk)");

	vmm_get64(&vcpu, KVM_REG_ARM_PSCI_VERSION, &psci);
	expect_wr(&vcpu, 0x30, 4, psci,
	       "A32 HVC PSCI_VERSION (SMC32) = KVM_REG_ARM_PSCI_VERSION");
	expect_wr(&vcpu, 0x34, 4, 0xffffffff,
	       "A32 HVC AFFINITY_INFO (SMC64 id): NOT_SUPPORTED");
	v = wr(&vcpu, 0x38, 4);
	TAP_EQ(v, reg(&vcpu, REG_ID_PFR0), "A32 MRC ID_PFR0 = ONE_REG");
	v = wr(&vcpu, 0x3c, 4);
	TAP_EQ(v, reg(&vcpu, REG_ID_ISAR0), "A32 MRC ID_ISAR0 = ONE_REG");
	v = wr(&vcpu, 0x40, 4);
	TAP_EQ(v & 0x300000, 0x300000, "A32 CPACR: cp10 full access");
	v = wr(&vcpu, 0x44, 4);
	TAP_EQ(v, reg(&vcpu, REG_MVFR0), "A32 VMRS MVFR0 = ONE_REG");

	check_undef(&vcpu, "A32", base + A32_UDF, false);
	expect_wr(&vcpu, 0x4c, 4, 1,
	       "A32 WFI failing its condition, WFE: the guest goes on");
	check_off(&vcpu, "A32");
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
}

static void t32_guest(void)
{
	uint64_t base = VMM_RAM_BASE, v, psci = 0;
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	int rc;

	rc = vmm_simple_vm(&vm, &vcpu, aa32_start, GUEST_SIZE(aa32),
			   PSCI_0_2 | EL1_32BIT);
	if (!rc)
		rc = vmm_set64(&vcpu, VMM_REG_PC, base + T32_OFF);
	if (!rc)
		rc = vmm_set64(&vcpu, VMM_REG_PSTATE,
			       0x10 | MODE_SVC | CPSR_AIF | CPSR_T);
	if (!rc)
		rc = vmm_set64(&vcpu, VMM_REG_VBAR_EL1, base);
	if (!tap_check(!rc, "T32 guest VM", "%s", strerror(-rc)))
		return;

	expect_wr(&vcpu, 0x02, 2, 0x4411, "T32 16-bit STRH: MMIO write");
	expect_wr(&vcpu, 0x04, 4, 0x33224411, "T32 32-bit STR.W: MMIO write");
	tap_check(rd(&vcpu, 0x10, 1, 0x7f) && rd(&vcpu, 0x14, 4, 0xcafe1234),
		  "T32 16-bit LDRB, 32-bit LDR.W: MMIO reads", NULL);
	expect_wr(&vcpu, 0x20, 4, 0x7f, "T32 LDRB result");
	expect_wr(&vcpu, 0x28, 4, 0xcafe1234, "T32 LDR.W result");
	expect_wr(&vcpu, 0x64, 4, 0x33224411,
	       "T32 STREQ in an IT block: MMIO write");
	expect_wr(&vcpu, 0x6c, 4, 0x33224411,
	       "... then STRNE skipped and the block over (ITSTATE advanced)");
	vmm_get64(&vcpu, KVM_REG_ARM_PSCI_VERSION, &psci);
	expect_wr(&vcpu, 0x30, 4, psci, "T32 HVC PSCI_VERSION (SMC32)");
	v = wr(&vcpu, 0x38, 4);
	TAP_EQ(v, reg(&vcpu, REG_ID_PFR0), "T32 MRC ID_PFR0 = ONE_REG");
	check_undef(&vcpu, "T32", base + T32_UDF, true);
	check_off(&vcpu, "T32");
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	int cap, rc;

	tap_init();
	sigaction(SIGALRM, &sa, NULL);
	cap = vmm_sys_check_cap(KVM_CAP_ARM_EL1_32BIT);
	if (cap <= 0) {
		/* Then such vCPUs must be refused, not half-made. */
		rc = vmm_vm_create(&vm, 0);
		TAP_REQUIRE(!rc, "VM", "%s", strerror(-rc));
		rc = init(&vm, &vcpu, 0, PSCI_0_2 | EL1_32BIT);
		TAP_NEG(rc, EINVAL,
			"no KVM_CAP_ARM_EL1_32BIT: a 32-bit vCPU is refused");
		vmm_vm_destroy(&vm);
		tap_skip("AArch32 EL1 guests",
			 "no KVM_CAP_ARM_EL1_32BIT (no AArch32 at EL1)");
		return tap_done();
	}
	tap_diag("KVM_CAP_ARM_EL1_32BIT = %d", cap);
	kvm_quirk = !vmm_is_modkvm();
	widths();
	core_regs();
	a32_guest();
	t32_guest();
	return tap_done();
}
