// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_ONE_REG / KVM_SET_ONE_REG / KVM_GET_REG_LIST: core registers
 * round trip and reach the guest, the register list is complete and
 * every register on it can be read and written back, bad ids and sizes
 * are refused, and the PSCI firmware pseudo-register.
 */
#include <sys/ioctl.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

/* Report registers the VMM set through MMIO stores, then set some. */
GUEST_CODE(regs,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	str	x5, [x20, #0x00]\n"
	"	mov	x1, sp\n"
	"	str	x1, [x20, #0x08]\n"
	"	mrs	x1, nzcv\n"
	"	str	x1, [x20, #0x10]\n"
	"	mrs	x1, elr_el1\n"
	"	str	x1, [x20, #0x18]\n"
	"	mrs	x1, spsr_el1\n"
	"	str	x1, [x20, #0x20]\n"
	"	fmov	x1, d7\n"
	"	str	x1, [x20, #0x28]\n"
	"	mov	x1, v7.d[1]\n"
	"	str	x1, [x20, #0x30]\n"
	"	mrs	x1, fpcr\n"
	"	str	x1, [x20, #0x38]\n"
	"	mov64	x6, 0x6666555544443333\n"
	"	mov64	x1, 0x0f0e0d0c0b0a0908\n"
	"	fmov	d9, x1\n"
	"	mov64	x1, 0x1f1e1d1c1b1a1918\n"
	"	mov	v9.d[1], x1\n"
	"	msr	nzcv, xzr\n"
	"	str	xzr, [x20, #0x40]\n"
	"	b	.\n");

static uint64_t pattern(unsigned int i)
{
	return 0x0101010101010101ULL * (i + 1) ^ 0x8040201008040201ULL;
}

static struct vmm_vcpu vcpu;

static int one_reg(unsigned long ioc, uint64_t id, void *addr)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)addr };

	return ioctl(vcpu.fd, ioc, &r);
}

static void core_round_trip(void)
{
	uint64_t v, got;
	__uint128_t q, qgot;
	uint32_t w, wgot;
	unsigned int i;
	bool ok = true;

	for (i = 0; i < 31; i++) {
		v = pattern(i);
		ok &= !vmm_set_reg(&vcpu, VMM_REG_X(i), &v) &&
		      !vmm_get_reg(&vcpu, VMM_REG_X(i), &got) && got == v;
	}
	tap_check(ok, "x0..x30 round trip", NULL);

	{
		static const struct { uint64_t id; const char *name; } r64[] = {
			{ VMM_REG_SP, "sp" }, { VMM_REG_PC, "pc" },
			{ VMM_REG_SP_EL1, "sp_el1" },
			{ VMM_REG_ELR_EL1, "elr_el1" },
			{ VMM_REG_SPSR(0), "spsr[0]" },
			{ VMM_REG_SPSR(1), "spsr[1]" },
			{ VMM_REG_SPSR(2), "spsr[2]" },
			{ VMM_REG_SPSR(3), "spsr[3]" },
			{ VMM_REG_SPSR(4), "spsr[4]" },
		};
		char name[64];

		for (i = 0; i < ARRAY_SIZE(r64); i++) {
			v = pattern(40 + i) & ~0xfULL;
			got = 0;
			snprintf(name, sizeof(name), "%s round trip",
				 r64[i].name);
			tap_check(!vmm_set_reg(&vcpu, r64[i].id, &v) &&
				  !vmm_get_reg(&vcpu, r64[i].id, &got) &&
				  got == v, name, "wrote %#llx read %#llx",
				  (unsigned long long)v,
				  (unsigned long long)got);
		}
	}

	v = 0xf0000000 | VMM_PSTATE_RESET;	/* NZCV set */
	tap_check(!vmm_set_reg(&vcpu, VMM_REG_PSTATE, &v) &&
		  !vmm_get_reg(&vcpu, VMM_REG_PSTATE, &got) && got == v,
		  "pstate round trip", "read %#llx", (unsigned long long)got);
	v = 0x3c9;	/* EL2h */
	TAP_NEG(vmm_set_reg(&vcpu, VMM_REG_PSTATE, &v), EINVAL,
		"pstate EL2h: EINVAL");
	v = 0x3cd;	/* EL3h */
	TAP_NEG(vmm_set_reg(&vcpu, VMM_REG_PSTATE, &v), EINVAL,
		"pstate EL3h: EINVAL");
	v = 0x1d3;	/* AArch32 SVC, without EL1_32BIT */
	TAP_NEG(vmm_set_reg(&vcpu, VMM_REG_PSTATE, &v), EINVAL,
		"pstate AArch32 SVC on a 64-bit vCPU: EINVAL");
	vmm_get_reg(&vcpu, VMM_REG_PSTATE, &got);
	TAP_EQ(got, 0xf0000000 | VMM_PSTATE_RESET, "refused pstate left it alone");

	ok = true;
	for (i = 0; i < 32; i++) {
		q = ((__uint128_t)pattern(i + 64) << 64) | pattern(i + 96);
		qgot = 0;
		ok &= !vmm_set_reg(&vcpu, VMM_REG_V(i), &q) &&
		      !vmm_get_reg(&vcpu, VMM_REG_V(i), &qgot) && qgot == q;
	}
	tap_check(ok, "v0..v31 (128 bits) round trip", NULL);

	w = 0x0800009f;		/* QC and the cumulative exception flags */
	tap_check(!vmm_set_reg(&vcpu, VMM_REG_FPSR, &w) &&
		  !vmm_get_reg(&vcpu, VMM_REG_FPSR, &wgot) && wgot == w,
		  "fpsr round trip", "read %#x", wgot);
	w = 0x03c00000;		/* AHP, DN, FZ, RMode=RZ */
	tap_check(!vmm_set_reg(&vcpu, VMM_REG_FPCR, &w) &&
		  !vmm_get_reg(&vcpu, VMM_REG_FPCR, &wgot) && wgot == w,
		  "fpcr round trip", "read %#x", wgot);
}

static void bad_ids(void)
{
	uint64_t buf[4] = { 0 };
	uint64_t id;

	id = (VMM_REG_X(0) & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U32;
	TAP_ERRNO(one_reg(KVM_GET_ONE_REG, id, buf), EINVAL,
		  "GET x0 as a 32-bit register: EINVAL");
	TAP_ERRNO(one_reg(KVM_SET_ONE_REG, id, buf), EINVAL,
		  "SET x0 as a 32-bit register: EINVAL");
	id = (VMM_REG_X(0) & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U128;
	TAP_ERRNO(one_reg(KVM_GET_ONE_REG, id, buf), EINVAL,
		  "GET x0 as a 128-bit register: EINVAL");
	id = (VMM_REG_V(0) & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U64;
	TAP_ERRNO(one_reg(KVM_GET_ONE_REG, id, buf), EINVAL,
		  "GET v0 as a 64-bit register: EINVAL");
	id = (VMM_REG_FPSR & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U64;
	TAP_ERRNO(one_reg(KVM_GET_ONE_REG, id, buf), EINVAL,
		  "GET fpsr as a 64-bit register: EINVAL");
	TAP_ERRNO(one_reg(KVM_GET_ONE_REG, VMM_REG_X(0) + 1, buf), EINVAL,
		  "GET a core id in the middle of x0: EINVAL");
	id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
	     (sizeof(struct kvm_regs) / sizeof(uint32_t));
	TAP_ERRNO(one_reg(KVM_GET_ONE_REG, id, buf), ENOENT,
		  "GET a core id past struct kvm_regs: ENOENT");
	id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | (0x7fULL << KVM_REG_ARM_COPROC_SHIFT);
	TAP_ERRNO(one_reg(KVM_GET_ONE_REG, id, buf), ENOENT,
		  "GET unknown register group: ENOENT");
	id = VMM_SYS_REG(3, 7, 15, 15, 7);	/* IMPLEMENTATION DEFINED */
	TAP_ERRNO(one_reg(KVM_GET_ONE_REG, id, buf), ENOENT,
		  "GET unknown system register: ENOENT");
	TAP_ERRNO(one_reg(KVM_SET_ONE_REG, id, buf), ENOENT,
		  "SET unknown system register: ENOENT");
	id = (VMM_REG_SCTLR_EL1 & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U32;
	TAP_ERRNO(one_reg(KVM_GET_ONE_REG, id, buf), ENOENT,
		  "GET SCTLR_EL1 as a 32-bit register: ENOENT");
	id = KVM_REG_ARM_FW_REG(0xfff);
	TAP_ERRNO(one_reg(KVM_GET_ONE_REG, id, buf), ENOENT,
		  "GET unknown firmware register: ENOENT");
	id = (VMM_REG_X(0) & ~KVM_REG_ARCH_MASK) | KVM_REG_X86;
	TAP_ERRNO(one_reg(KVM_GET_ONE_REG, id, buf), EINVAL,
		  "GET an x86 register id: EINVAL");
}

static void reg_list(void)
{
	struct kvm_reg_list head = { .n = 0 }, *list;
	uint8_t val[256], back[256];
	uint64_t n, i, j, bad_get = 0, bad_set = 0, bad_id = 0;
	bool has_pc = false, has_x0 = false, has_v31 = false, has_fpcr = false;
	bool has_psci = false, has_sctlr = false, dup = false;
	int rc;

	rc = ioctl(vcpu.fd, KVM_GET_REG_LIST, &head);
	TAP_ERRNO(rc, E2BIG, "KVM_GET_REG_LIST with n = 0: E2BIG");
	n = head.n;
	tap_diag("%llu registers", (unsigned long long)n);
	if (!tap_check(n >= 31 + 3 + 2 + 5 + 32 + 2, "it reports the count",
		       "n = %llu", (unsigned long long)n))
		return;

	list = calloc(1, sizeof(*list) + (n + 1) * sizeof(uint64_t));
	list->n = n - 1;
	rc = ioctl(vcpu.fd, KVM_GET_REG_LIST, list);
	TAP_ERRNO(rc, E2BIG, "KVM_GET_REG_LIST with n = count - 1: E2BIG");
	TAP_EQ(list->n, n, "E2BIG writes the count back");
	list->n = n + 1;
	rc = ioctl(vcpu.fd, KVM_GET_REG_LIST, list);
	tap_check(rc == 0 && list->n == n, "KVM_GET_REG_LIST with room",
		  "rc %d n %llu", rc, (unsigned long long)list->n);

	for (i = 0; i < n; i++) {
		uint64_t id = list->reg[i];

		has_pc |= id == VMM_REG_PC;
		has_x0 |= id == VMM_REG_X(0);
		has_v31 |= id == VMM_REG_V(31);
		has_fpcr |= id == VMM_REG_FPCR;
		has_psci |= id == KVM_REG_ARM_PSCI_VERSION;
		has_sctlr |= id == VMM_REG_SCTLR_EL1;
		for (j = 0; j < i && !dup; j++)
			dup = list->reg[j] == id;
		if ((id & KVM_REG_ARCH_MASK) != KVM_REG_ARM64 ||
		    vmm_reg_size(id) > sizeof(val)) {
			if (!bad_id++)
				tap_diag("odd id %#llx", (unsigned long long)id);
			continue;
		}
		memset(val, 0, sizeof(val));
		if (vmm_get_reg(&vcpu, id, val)) {
			if (!bad_get++)
				tap_diag("GET %#llx: %s", (unsigned long long)id,
					 strerror(errno));
			continue;
		}
		rc = vmm_set_reg(&vcpu, id, val);
		memset(back, 0, sizeof(back));
		if (!rc)
			rc = vmm_get_reg(&vcpu, id, back);
		/* The counters move on; anything else must not change. */
		if (!rc && (id == KVM_REG_ARM_TIMER_CNT ||
			    id == KVM_REG_ARM_PTIMER_CNT)) {
			uint64_t a, b;

			memcpy(&a, val, 8);
			memcpy(&b, back, 8);
			if (b >= a && b - a < (1ULL << 40))
				continue;
		}
		if (rc || memcmp(val, back, vmm_reg_size(id))) {
			if (!bad_set++)
				tap_diag("SET back %#llx: %s",
					 (unsigned long long)id,
					 rc ? strerror(-rc) : "value changed");
		}
	}
	tap_check(has_pc && has_x0 && has_v31 && has_fpcr,
		  "the list has the core registers", NULL);
	tap_check(has_psci, "the list has KVM_REG_ARM_PSCI_VERSION", NULL);
	tap_check(has_sctlr, "the list has SCTLR_EL1", NULL);
	tap_check(!dup, "the list has no duplicates", NULL);
	tap_check(!bad_id, "every listed id is an arm64 id of sane size",
		  "%llu bad", (unsigned long long)bad_id);
	tap_check(!bad_get, "every listed register is readable",
		  "%llu failed", (unsigned long long)bad_get);
	tap_check(!bad_set, "every listed register takes its value back",
		  "%llu failed", (unsigned long long)bad_set);
	free(list);
}

static void psci_version_reg(void)
{
	uint64_t v = 0, def;

	TAP_EQ(vmm_get_reg(&vcpu, KVM_REG_ARM_PSCI_VERSION, &def), 0,
	       "GET KVM_REG_ARM_PSCI_VERSION");
	tap_check(def >= 0x10000 && def < 0x20000, "PSCI version is 1.x",
		  "%#llx", (unsigned long long)def);
	v = 0x2;
	TAP_EQ(vmm_set_reg(&vcpu, KVM_REG_ARM_PSCI_VERSION, &v), 0,
	       "SET PSCI version 0.2");
	vmm_get_reg(&vcpu, KVM_REG_ARM_PSCI_VERSION, &v);
	TAP_EQ(v, 0x2, "PSCI version reads back 0.2");
	v = 0x10000;
	TAP_EQ(vmm_set_reg(&vcpu, KVM_REG_ARM_PSCI_VERSION, &v), 0,
	       "SET PSCI version 1.0");
	v = 0x1;
	TAP_NEG(vmm_set_reg(&vcpu, KVM_REG_ARM_PSCI_VERSION, &v), EINVAL,
		"SET PSCI version 0.1 on a PSCI 0.2 vCPU: EINVAL");
	v = 0x20000;
	TAP_NEG(vmm_set_reg(&vcpu, KVM_REG_ARM_PSCI_VERSION, &v), EINVAL,
		"SET PSCI version 2.0: EINVAL");
	vmm_set_reg(&vcpu, KVM_REG_ARM_PSCI_VERSION, &def);
	vmm_get_reg(&vcpu, KVM_REG_ARM_PSCI_VERSION, &v);
	TAP_EQ(v, def, "PSCI version restored");

	TAP_EQ(vmm_get_reg(&vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, &v), 0,
	       "GET SMCCC_ARCH_WORKAROUND_1");
	tap_check(v <= KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED,
		  "its value is a defined one", "%llu", (unsigned long long)v);
	TAP_EQ(vmm_set_reg(&vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, &v), 0,
	       "SET it to its own value");
	v = 7;
	TAP_NEG(vmm_set_reg(&vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, &v),
		EINVAL, "SET it to an undefined value: EINVAL");
}

/* The registers set through ONE_REG are what the guest sees, and back. */
static void guest_view(void)
{
	const uint64_t sp = VMM_RAM_BASE + 0x100000;
	__uint128_t q = ((__uint128_t)0x7777666655554444ULL << 64) |
			0x3333222211110000ULL;
	static const struct { uint32_t off; const char *what; } rep[] = {
		{ 0x00, "guest sees x5" }, { 0x08, "guest sees sp_el1" },
		{ 0x10, "guest sees NZCV from pstate" },
		{ 0x18, "guest sees elr_el1" }, { 0x20, "guest sees spsr_el1" },
		{ 0x28, "guest sees v7 low half" },
		{ 0x30, "guest sees v7 high half" },
		{ 0x38, "guest sees fpcr" },
	};
	const uint64_t want[] = {
		0x5555aaaa5555aaaaULL, sp, 0x60000000, 0xffff000012345678ULL,
		0x3c5, 0x3333222211110000ULL, 0x7777666655554444ULL,
		0x00c00000,
	};
	uint64_t v;
	unsigned int i;
	bool ok;

	vmm_set64(&vcpu, VMM_REG_PC, VMM_RAM_BASE);
	vmm_set64(&vcpu, VMM_REG_X(5), want[0]);
	vmm_set64(&vcpu, VMM_REG_SP_EL1, sp);
	vmm_set64(&vcpu, VMM_REG_PSTATE, 0x60000000 | VMM_PSTATE_RESET);
	vmm_set64(&vcpu, VMM_REG_ELR_EL1, want[3]);
	vmm_set64(&vcpu, VMM_REG_SPSR(KVM_SPSR_EL1), want[4]);
	vmm_set_reg(&vcpu, VMM_REG_V(7), &q);
	vmm_set64(&vcpu, VMM_REG_FPCR, want[7]);
	/* FP/SIMD enabled at EL1 through a system register write */
	ok = !vmm_set64(&vcpu, VMM_REG_CPACR_EL1, 3 << 20);
	tap_check(ok, "SET CPACR_EL1.FPEN", NULL);

	for (i = 0; i < ARRAY_SIZE(rep); i++) {
		ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + rep[i].off, 8, true,
				     &v);
		if (!tap_check(ok && v == want[i], rep[i].what,
			       "%s, expected %#llx", vmm_describe_exit(&vcpu),
			       (unsigned long long)want[i]))
			return;
	}
	ok = vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x40, 8, true, &v);
	tap_check(ok, "guest finished", "%s", vmm_describe_exit(&vcpu));
	vmm_get64(&vcpu, VMM_REG_X(6), &v);
	TAP_EQ(v, 0x6666555544443333ULL, "GET x6 as the guest set it");
	q = 0;
	vmm_get_reg(&vcpu, VMM_REG_V(9), &q);
	tap_check(q == (((__uint128_t)0x1f1e1d1c1b1a1918ULL << 64) |
			0x0f0e0d0c0b0a0908ULL),
		  "GET v9 as the guest set it", "%#llx:%#llx",
		  (unsigned long long)(q >> 64), (unsigned long long)q);
	vmm_get64(&vcpu, VMM_REG_PSTATE, &v);
	TAP_EQ(v & 0xf0000000, 0, "GET pstate with the guest's NZCV");
}

int main(void)
{
	struct vmm_vm vm;
	int rc;

	tap_init();

	rc = vmm_simple_vm(&vm, &vcpu, regs_start, GUEST_SIZE(regs),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));

	core_round_trip();
	bad_ids();
	reg_list();
	psci_version_reg();
	guest_view();

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
