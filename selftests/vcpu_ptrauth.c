// SPDX-License-Identifier: GPL-2.0
/*
 * Pointer authentication (KVM_ARM_VCPU_PTRAUTH_ADDRESS and _GENERIC).
 *
 * Without the features: the guest's ID registers show none of it, its
 * PAC instructions that are enabled (PACGA always; PACIA and AUTIA once
 * SCTLR_EL1.EnIA is set) and its key register accesses UNDEF, a disabled
 * HINT-space one (PACIASP with EnIA clear) is a NOP, and the keys are
 * no registers for ONE_REG.
 *
 * With them (both, as api.rst asks when both capabilities are offered;
 * one alone is EINVAL): the ID fields are there, the guest starts with
 * the keys ONE_REG shows (not the host's), sets its own with MSR, and
 * signs and authenticates with all five keys; every result stays the same
 * over many exits to the VMM, while the VMM thread moves between CPUs,
 * yields, and shares its CPU with a thread that uses pointer
 * authentication with its own keys; the VMM thread's own keys survive
 * each KVM_RUN. The keys are vCPU state for ONE_REG: the same keys set
 * by userspace in two VMs give the same PACs, other keys other PACs.
 * (The algorithm may be IMPLEMENTATION DEFINED, so nothing here computes
 * a PAC in userspace to compare with.)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#ifndef HWCAP_PACA
#define HWCAP_PACA	(1UL << 30)
#endif
#ifndef HWCAP_PACG
#define HWCAP_PACG	(1UL << 31)
#endif

#define FEAT_ADDR	(1U << KVM_ARM_VCPU_PTRAUTH_ADDRESS)
#define FEAT_GEN	(1U << KVM_ARM_VCPU_PTRAUTH_GENERIC)
#define FEAT_PSCI	(1U << KVM_ARM_VCPU_PSCI_0_2)

#define ITERATIONS	40

/* SCTLR_EL1.EnIA, EnIB, EnDA, EnDB */
#define SCTLR_ENIA	(1UL << 31)
#define SCTLR_ENKEYS	"((1 << 31) | (1 << 30) | (1 << 27) | (1 << 13))"

/* The pointer and modifier signed, and the keys the guest sets */
#define PTR		0x0000123456789a40
#define MOD		0x5a5a00000000c3c3
/* (C and assembler alike: no overflow of a signed 64-bit for i < 10) */
#define GKEY(i)		(0x0123456789abcdef * ((i) + 3) ^ ((i) << 8))
#define SETKEY(i, reg)	"	mov64	x1, " GUEST_STR(GKEY(i)) "\n"	\
			"	msr	" reg ", x1\n"

/* Exception-probe bits (x25 while probing), set in x24 when one traps */
#define P_MRS_KEY	(1 << 0)
#define P_MSR_KEY	(1 << 1)
#define P_PACGA		(1 << 2)
#define P_PACIA		(1 << 3)
#define P_AUTIA		(1 << 4)
#define P_PACIASP_OFF	(1 << 5)	/* EnIA clear: a NOP */
#define P_PAUTH_RUN	(1 << 6)	/* anything in the pauth part */

/*
 * x19: the VM has pointer authentication; x21: set the keys with MSR.
 * MMIO writes (8 bytes at VMM_MMIO_BASE + off):
 *   0x00 ID_AA64ISAR1_EL1, 0x08 ID_AA64ISAR2_EL1
 *   without: 0x10 probes that trapped, 0x18 ... with an EC other than 0,
 *            0x20 x30 after PACIASP with EnIA clear
 *   with:    0x100 + 8 * i the ten keys as the guest first reads them,
 *            then forever: 0x200 PACIA, 0x208 AUTIA of it, 0x210 PACIB,
 *            0x218 PACDA, 0x220 PACDB, 0x228 PACGA, 0x230 exceptions
 */
GUEST_CODE(pa,
	"	.arch	armv8.3-a\n"
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	adr	x1, vectors\n"
	"	msr	vbar_el1, x1\n"
	"	isb\n"
	"	mov	x24, #0\n"
	"	mov	x27, #0\n"
	"	mrs	x1, id_aa64isar1_el1\n"
	"	str	x1, [x20, #0x00]\n"
	"	mrs	x1, S3_0_C0_C6_2\n"		/* ID_AA64ISAR2_EL1 */
	"	str	x1, [x20, #0x08]\n"
	"	cbnz	x19, with\n"
	/* without: each probe that traps sets its bit */
	"	mov64	x2, " GUEST_STR(PTR) "\n"
	"	mov64	x3, " GUEST_STR(MOD) "\n"
	"	mov	x25, #" GUEST_STR(P_MRS_KEY) "\n"
	"	mrs	x1, S3_0_C2_C1_0\n"		/* APIAKEYLO_EL1 */
	"	mov	x25, #" GUEST_STR(P_MSR_KEY) "\n"
	"	msr	S3_0_C2_C3_1, x2\n"		/* APGAKEYHI_EL1 */
	"	isb\n"
	"	mov	x25, #" GUEST_STR(P_PACGA) "\n"
	"	pacga	x1, x2, x3\n"
	"	mov	x25, #" GUEST_STR(P_PACIASP_OFF) "\n"
	"	mov	x28, x30\n"
	"	mov	x30, x2\n"
	"	paciasp\n"
	"	eor	x26, x30, x2\n"
	"	mov	x30, x28\n"
	"	mrs	x1, sctlr_el1\n"
	"	orr	x1, x1, #(1 << 31)\n"
	"	msr	sctlr_el1, x1\n"
	"	isb\n"
	"	mov	x25, #" GUEST_STR(P_PACIA) "\n"
	"	mov	x1, x2\n"
	"	pacia	x1, x3\n"
	"	mov	x25, #" GUEST_STR(P_AUTIA) "\n"
	"	autia	x1, x3\n"
	"	str	x24, [x20, #0x10]\n"
	"	str	x27, [x20, #0x18]\n"
	"	str	x26, [x20, #0x20]\n"
	"	b	.\n"
	/* with */
	"with:\n"
	"	mov	x25, #" GUEST_STR(P_PAUTH_RUN) "\n"
	"	mrs	x1, S3_0_C2_C1_0\n"
	"	str	x1, [x20, #0x100]\n"
	"	mrs	x1, S3_0_C2_C1_1\n"
	"	str	x1, [x20, #0x108]\n"
	"	mrs	x1, S3_0_C2_C1_2\n"
	"	str	x1, [x20, #0x110]\n"
	"	mrs	x1, S3_0_C2_C1_3\n"
	"	str	x1, [x20, #0x118]\n"
	"	mrs	x1, S3_0_C2_C2_0\n"
	"	str	x1, [x20, #0x120]\n"
	"	mrs	x1, S3_0_C2_C2_1\n"
	"	str	x1, [x20, #0x128]\n"
	"	mrs	x1, S3_0_C2_C2_2\n"
	"	str	x1, [x20, #0x130]\n"
	"	mrs	x1, S3_0_C2_C2_3\n"
	"	str	x1, [x20, #0x138]\n"
	"	mrs	x1, S3_0_C2_C3_0\n"
	"	str	x1, [x20, #0x140]\n"
	"	mrs	x1, S3_0_C2_C3_1\n"
	"	str	x1, [x20, #0x148]\n"
	"	mrs	x1, sctlr_el1\n"
	"	mov64	x2, " SCTLR_ENKEYS "\n"
	"	orr	x1, x1, x2\n"
	"	msr	sctlr_el1, x1\n"
	"	isb\n"
	"	cbz	x21, 2f\n"
	SETKEY(0, "S3_0_C2_C1_0") SETKEY(1, "S3_0_C2_C1_1")
	SETKEY(2, "S3_0_C2_C1_2") SETKEY(3, "S3_0_C2_C1_3")
	SETKEY(4, "S3_0_C2_C2_0") SETKEY(5, "S3_0_C2_C2_1")
	SETKEY(6, "S3_0_C2_C2_2") SETKEY(7, "S3_0_C2_C2_3")
	SETKEY(8, "S3_0_C2_C3_0") SETKEY(9, "S3_0_C2_C3_1")
	"	isb\n"
	"2:	mov64	x2, " GUEST_STR(PTR) "\n"
	"	mov64	x3, " GUEST_STR(MOD) "\n"
	"	mov	x4, x2\n"
	"	pacia	x4, x3\n"
	"	str	x4, [x20, #0x200]\n"
	"	autia	x4, x3\n"
	"	str	x4, [x20, #0x208]\n"
	"	mov	x4, x2\n"
	"	pacib	x4, x3\n"
	"	str	x4, [x20, #0x210]\n"
	"	mov	x4, x2\n"
	"	pacda	x4, x3\n"
	"	str	x4, [x20, #0x218]\n"
	"	mov	x4, x2\n"
	"	pacdb	x4, x3\n"
	"	str	x4, [x20, #0x220]\n"
	"	pacga	x4, x2, x3\n"
	"	str	x4, [x20, #0x228]\n"
	"	str	x24, [x20, #0x230]\n"
	"	b	2b\n"
	GUEST_PROBE_VECTORS);

#define REG_ISAR1	VMM_SYS_REG(3, 0, 0, 6, 1)
#define REG_ISAR2	VMM_SYS_REG(3, 0, 0, 6, 2)
#define REG_KEY(i)	VMM_SYS_REG(3, 0, 2, 1 + (i) / 4, (i) % 4)
#define NKEYS		10

/* APA, API, APA3 (address); GPA, GPI, GPA3 (generic) */
#define ISAR1_ADDR	((0xfULL << 4) | (0xfULL << 8))
#define ISAR1_GEN	((0xfULL << 24) | (0xfULL << 28))
#define ISAR2_ADDR	(0xfULL << 12)
#define ISAR2_GEN	(0xfULL << 8)

enum { R_PACIA, R_AUTIA, R_PACIB, R_PACDA, R_PACDB, R_PACGA, R_EXC, NRES };

static bool have_pacg;

/* PACGA with the calling thread's own (user) generic key */
static uint64_t user_pacga(uint64_t a, uint64_t b)
{
	uint64_t r = 0;

	if (have_pacg)
		asm volatile(".arch armv8.3-a\n pacga %0, %1, %2"
			     : "=r"(r) : "r"(a), "r"(b));
	return r;
}

/* One round of the guest's loop: the NRES values it writes. */
static bool read_round(struct vmm_vcpu *vcpu, uint64_t *res)
{
	unsigned int i;

	for (i = 0; i < NRES; i++)
		if (!vmm_expect_mmio(vcpu, VMM_MMIO_BASE + 0x200 + 8 * i, 8,
				     true, &res[i]))
			return false;
	return true;
}

static int stop;

/* Uses PACGA with its own key on CPU 0, and checks it stays the same. */
static void *pac_user(void *arg)
{
	uint64_t ref = user_pacga(PTR, MOD), *bad = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (user_pacga(PTR, MOD) != ref)
			(*bad)++;
		sched_yield();
	}
	return NULL;
}

static void test_without(void)
{
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	uint64_t v, isar1 = 0, isar2 = 0;
	struct kvm_reg_list *list;
	unsigned int i, found = 0;
	int rc;

	rc = vmm_simple_vm(&vm, &vcpu, pa_start, GUEST_SIZE(pa), FEAT_PSCI);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	vmm_set64(&vcpu, VMM_REG_X(19), 0);

	tap_check(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE, 8, true, &isar1) &&
		  vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 8, 8, true, &isar2),
		  "without: the guest reads its ID registers", "%s",
		  vmm_describe_exit(&vcpu));
	tap_check(!(isar1 & (ISAR1_ADDR | ISAR1_GEN)) &&
		  !(isar2 & (ISAR2_ADDR | ISAR2_GEN)),
		  "without: no APA/API/GPA/GPI/APA3/GPA3 in the guest's view",
		  "ISAR1 %#lx ISAR2 %#lx", isar1, isar2);
	v = 0;
	tap_check(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x10, 8, true, &v) &&
		  v == (P_MRS_KEY | P_MSR_KEY | P_PACGA | P_PACIA | P_AUTIA),
		  "without: key MRS/MSR, PACGA, PACIA and AUTIA (EnIA set) trap in the guest, PACIASP (EnIA clear) does not",
		  "probes trapped %#lx (%s)", v, vmm_describe_exit(&vcpu));
	v = ~0UL;
	tap_check(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x18, 8, true, &v) &&
		  v == 0, "without: ... all as UNDEF (EC 0)",
		  "probes with another EC %#lx", v);
	v = ~0UL;
	tap_check(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x20, 8, true, &v) &&
		  v == 0, "without: PACIASP with EnIA clear leaves LR alone",
		  "x30 changed by %#lx", v);

	tap_check(vmm_get64(&vcpu, REG_KEY(0), &v) == -ENOENT &&
		  vmm_get64(&vcpu, REG_KEY(9), &v) == -ENOENT &&
		  vmm_set64(&vcpu, REG_KEY(0), 1) == -ENOENT,
		  "without: the key registers are no ONE_REG registers", NULL);
	list = calloc(1, sizeof(*list) + 4096 * sizeof(uint64_t));
	list->n = 4096;
	rc = ioctl(vcpu.fd, KVM_GET_REG_LIST, list);
	for (i = 0; !rc && i < list->n; i++)
		if ((list->reg[i] & ~0xffffULL) == (REG_KEY(0) & ~0xffffULL) &&
		    (list->reg[i] & 0xffff) >= (REG_KEY(0) & 0xffff) &&
		    (list->reg[i] & 0xffff) <= (REG_KEY(9) & 0xffff))
			found++;
	tap_check(!rc && !found, "without: KVM_GET_REG_LIST lists no key",
		  "rc %d, %u keys", rc, found);
	free(list);
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
}

static void test_init_one(void)
{
	static const uint32_t one[] = { FEAT_ADDR, FEAT_GEN };
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	unsigned int i;
	int rc;

	for (i = 0; i < 2; i++) {
		rc = vmm_vm_create(&vm, 0);
		TAP_REQUIRE(!rc, "VM", "%s", strerror(-rc));
		rc = vmm_vcpu_create(&vm, &vcpu, 0);
		TAP_REQUIRE(!rc, "vCPU", "%s", strerror(-rc));
		TAP_NEG(vmm_vcpu_init(&vcpu, FEAT_PSCI | one[i]), EINVAL,
			i ? "KVM_ARM_VCPU_INIT with PTRAUTH_GENERIC alone: EINVAL" :
			    "KVM_ARM_VCPU_INIT with PTRAUTH_ADDRESS alone: EINVAL");
		/* the refused INIT fixed nothing: both now work */
		tap_check(!vmm_vcpu_init(&vcpu, FEAT_PSCI | FEAT_ADDR | FEAT_GEN),
			  "... and then with both: accepted", NULL);
		vmm_vcpu_destroy(&vcpu);
		vmm_vm_destroy(&vm);
	}
}

static int ptrauth_vm(struct vmm_vm *vm, struct vmm_vcpu *vcpu, bool set_keys)
{
	int rc = vmm_simple_vm(vm, vcpu, pa_start, GUEST_SIZE(pa),
			       FEAT_PSCI | FEAT_ADDR | FEAT_GEN);

	if (!rc)
		rc = vmm_set64(vcpu, VMM_REG_X(19), 1);
	if (!rc)
		rc = vmm_set64(vcpu, VMM_REG_X(21), set_keys);
	return rc;
}

/* Run up to the guest's loop: ID registers and the keys it first reads */
static bool run_prologue(struct vmm_vcpu *vcpu, uint64_t *isar, uint64_t *keys)
{
	unsigned int i;

	if (!vmm_expect_mmio(vcpu, VMM_MMIO_BASE, 8, true, &isar[0]) ||
	    !vmm_expect_mmio(vcpu, VMM_MMIO_BASE + 8, 8, true, &isar[1]))
		return false;
	for (i = 0; i < NKEYS; i++)
		if (!vmm_expect_mmio(vcpu, VMM_MMIO_BASE + 0x100 + 8 * i, 8,
				     true, &keys[i]))
			return false;
	return true;
}

static void test_with(void)
{
	uint64_t isar[2], user_isar[2] = { 0, 0 }, keys[NKEYS], reset[NKEYS];
	uint64_t ref[NRES], res[NRES], v, host_ref, user_bad = 0;
	unsigned int i, n, ncpus, rounds = 0, bad_rounds = 0, bad_onereg = 0;
	unsigned int bad_host = 0, found = 0;
	struct kvm_reg_list *list;
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	cpu_set_t set;
	pthread_t t;
	int rc;

	rc = ptrauth_vm(&vm, &vcpu, true);
	TAP_REQUIRE(!rc, "VM with both pointer authentication features", "%s",
		    strerror(-rc));

	list = calloc(1, sizeof(*list) + 4096 * sizeof(uint64_t));
	list->n = 4096;
	rc = ioctl(vcpu.fd, KVM_GET_REG_LIST, list);
	for (i = 0; !rc && i < list->n; i++)
		for (n = 0; n < NKEYS; n++)
			found += list->reg[i] == REG_KEY(n);
	tap_check(!rc && found == NKEYS,
		  "with: KVM_GET_REG_LIST lists the ten key registers",
		  "rc %d, %u keys", rc, found);
	free(list);
	for (i = 0; i < NKEYS; i++)
		if (vmm_get64(&vcpu, REG_KEY(i), &reset[i]))
			break;
	tap_check(i == NKEYS, "with: KVM_GET_ONE_REG reads the keys", NULL);
	vmm_get64(&vcpu, REG_ISAR1, &user_isar[0]);
	vmm_get64(&vcpu, REG_ISAR2, &user_isar[1]);

	TAP_REQUIRE(run_prologue(&vcpu, isar, keys), "with: guest prologue",
		    "%s", vmm_describe_exit(&vcpu));
	tap_check(((isar[0] & ISAR1_ADDR) || (isar[1] & ISAR2_ADDR)) &&
		  ((isar[0] & ISAR1_GEN) || (isar[1] & ISAR2_GEN)),
		  "with: the guest sees address and generic authentication",
		  "ISAR1 %#lx ISAR2 %#lx", isar[0], isar[1]);
	tap_diag("guest ID_AA64ISAR1_EL1 %#lx ID_AA64ISAR2_EL1 %#lx",
		 isar[0], isar[1]);
	tap_check(isar[0] == user_isar[0] && isar[1] == user_isar[1],
		  "with: ... as KVM_GET_ONE_REG shows them",
		  "user ISAR1 %#lx ISAR2 %#lx", user_isar[0], user_isar[1]);
	tap_diag("reset keys: APIAKEYLO %#lx APGAKEYHI %#lx", reset[0], reset[9]);
	tap_check(!memcmp(keys, reset, sizeof(keys)),
		  "with: a new vCPU starts with the keys ONE_REG shows",
		  "guest APIAKEYLO %#lx, ONE_REG %#lx", keys[0], reset[0]);

	have_pacg = getauxval(AT_HWCAP) & HWCAP_PACG;
	host_ref = user_pacga(PTR, MOD);
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (have_pacg)
		pthread_create(&t, NULL, pac_user, &user_bad);

	for (n = 0; n < ITERATIONS; n++) {
		if (!read_round(&vcpu, n ? res : ref))
			break;
		if (user_pacga(PTR, MOD) != host_ref)
			bad_host++;
		rounds++;
		if (n && memcmp(res, ref, sizeof(res)))
			bad_rounds++;
		if (n % 8 == 1) {
			for (i = 0; i < NKEYS; i++)
				if (vmm_get64(&vcpu, REG_KEY(i), &v) ||
				    v != (uint64_t)GKEY(i))
					bad_onereg++;
		}
		CPU_ZERO(&set);
		CPU_SET(n % (ncpus ?: 1), &set);
		sched_setaffinity(0, sizeof(set), &set);
		sched_yield();
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	if (have_pacg)
		pthread_join(t, NULL);

	tap_check(rounds == ITERATIONS, "with: the guest loops, exiting to the VMM",
		  "%u rounds: %s", rounds, vmm_describe_exit(&vcpu));
	tap_diag("PACIA %#lx PACIB %#lx PACDA %#lx PACDB %#lx PACGA %#lx",
		 ref[R_PACIA], ref[R_PACIB], ref[R_PACDA], ref[R_PACDB],
		 ref[R_PACGA]);
	tap_check(ref[R_EXC] == 0, "with: no PAC instruction or key access traps in the guest",
		  "exceptions %#lx", ref[R_EXC]);
	tap_check(ref[R_PACIA] != PTR && ref[R_AUTIA] == PTR,
		  "with: PACIA signs, AUTIA authenticates", "PACIA %#lx AUTIA %#lx",
		  ref[R_PACIA], ref[R_AUTIA]);
	tap_check(ref[R_PACIB] != PTR && ref[R_PACDA] != PTR &&
		  ref[R_PACDB] != PTR && ref[R_PACGA] != 0 &&
		  ref[R_PACIA] != ref[R_PACIB] && ref[R_PACDA] != ref[R_PACDB],
		  "with: PACIB, PACDA, PACDB, PACGA sign, each key its own PAC",
		  NULL);
	tap_check(bad_rounds == 0,
		  "with: every result stays the same over exits, migrations and yields",
		  "%u rounds differ", bad_rounds);
	tap_check(bad_onereg == 0,
		  "with: KVM_GET_ONE_REG shows the keys the guest set", "%u wrong",
		  bad_onereg);
	if (have_pacg) {
		tap_check(bad_host == 0,
			  "with: the VMM thread's own generic key survives KVM_RUN",
			  "%u changes", bad_host);
		tap_check(user_bad == 0,
			  "with: so does that of a thread sharing its CPU",
			  "%lu changes", user_bad);
		tap_check(host_ref != ref[R_PACGA],
			  "with: the guest's PACGA is not the VMM thread's",
			  NULL);
	} else {
		tap_skip("with: host keys survive KVM_RUN", "no HWCAP_PACG");
	}
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
}

/* The keys from userspace: same keys, same PACs; other keys, other PACs */
static void test_onereg(void)
{
	uint64_t isar[2], keys[NKEYS], ra[NRES], rb[NRES], rc2[NRES];
	struct vmm_vcpu a, b;
	struct vmm_vm va, vb;
	unsigned int i, bad = 0;
	uint64_t v;
	int rc;

	rc = ptrauth_vm(&va, &a, false);
	TAP_REQUIRE(!rc, "VM A", "%s", strerror(-rc));
	rc = ptrauth_vm(&vb, &b, false);
	TAP_REQUIRE(!rc, "VM B", "%s", strerror(-rc));
	for (i = 0; i < NKEYS; i++) {
		v = 0xfedcba9876543210ULL ^ (i * 0x1111111111111111ULL);
		if (vmm_set64(&a, REG_KEY(i), v) || vmm_set64(&b, REG_KEY(i), v))
			bad++;
		if (vmm_get64(&b, REG_KEY(i), &keys[i]) || keys[i] != v)
			bad++;
	}
	tap_check(!bad, "ONE_REG: the keys set read back", NULL);
	TAP_REQUIRE(run_prologue(&a, isar, keys),
		    "VM A prologue", "%s", vmm_describe_exit(&a));
	tap_check(keys[0] == 0xfedcba9876543210ULL &&
		  keys[9] == (0xfedcba9876543210ULL ^ (9 * 0x1111111111111111ULL)),
		  "ONE_REG: the guest reads the keys userspace set", NULL);
	TAP_REQUIRE(run_prologue(&b, isar, keys), "VM B prologue", "%s",
		    vmm_describe_exit(&b));
	TAP_REQUIRE(read_round(&a, ra) && read_round(&b, rb), "a round each",
		    "%s / %s", vmm_describe_exit(&a), vmm_describe_exit(&b));
	tap_check(!memcmp(ra, rb, sizeof(ra)),
		  "ONE_REG: the same keys in two VMs give the same five PACs",
		  "PACGA %#lx / %#lx, PACIA %#lx / %#lx", ra[R_PACGA],
		  rb[R_PACGA], ra[R_PACIA], rb[R_PACIA]);

	/* B, stopped at an MMIO exit, gets other keys */
	for (i = 0; i < NKEYS; i++)
		vmm_set64(&b, REG_KEY(i), GKEY(i));
	TAP_REQUIRE(read_round(&b, rc2), "a round with other keys", "%s",
		    vmm_describe_exit(&b));
	tap_check(rc2[R_PACIA] != ra[R_PACIA] && rc2[R_PACIB] != ra[R_PACIB] &&
		  rc2[R_PACDA] != ra[R_PACDA] && rc2[R_PACDB] != ra[R_PACDB] &&
		  rc2[R_PACGA] != ra[R_PACGA] && rc2[R_AUTIA] == PTR,
		  "ONE_REG: other keys set between exits give other PACs (and AUTIA still works)",
		  "PACGA %#lx / %#lx", rc2[R_PACGA], ra[R_PACGA]);
	/* ... and the first ones back, the first PACs back */
	for (i = 0; i < NKEYS; i++)
		vmm_set64(&b, REG_KEY(i),
			  0xfedcba9876543210ULL ^ (i * 0x1111111111111111ULL));
	TAP_REQUIRE(read_round(&b, rb), "a round with the first keys", "%s",
		    vmm_describe_exit(&b));
	tap_check(!memcmp(ra, rb, sizeof(ra)),
		  "ONE_REG: the first keys again, the first PACs again", NULL);
	vmm_vcpu_destroy(&a);
	vmm_vcpu_destroy(&b);
	vmm_vm_destroy(&va);
	vmm_vm_destroy(&vb);
}

int main(void)
{
	int addr, gen, host;

	tap_init();
	addr = vmm_sys_check_cap(KVM_CAP_ARM_PTRAUTH_ADDRESS);
	gen = vmm_sys_check_cap(KVM_CAP_ARM_PTRAUTH_GENERIC);
	tap_diag("KVM_CAP_ARM_PTRAUTH_ADDRESS %d, _GENERIC %d", addr, gen);
	/* Both kinds on every CPU is also what gives userspace both hwcaps */
	host = (getauxval(AT_HWCAP) & (HWCAP_PACA | HWCAP_PACG)) ==
	       (HWCAP_PACA | HWCAP_PACG);
	tap_check(addr == host && gen == host,
		  "the capabilities are offered exactly when the host has both kinds (HWCAP_PACA, HWCAP_PACG)",
		  "caps %d/%d, hwcaps %d", addr, gen, host);

	test_without();
	if (addr <= 0 || gen <= 0) {
		tap_skip("pointer authentication in the guest",
			 "KVM_CAP_ARM_PTRAUTH_ADDRESS/GENERIC not both offered");
		return tap_done();
	}
	test_init_one();
	test_with();
	test_onereg();
	return tap_done();
}
