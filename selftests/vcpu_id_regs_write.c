// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_ONE_REG of the feature ID registers, as api.rst and
 * Documentation/virt/kvm/arm/vcpu-features.rst describe it: before the
 * first KVM_RUN userspace may lower a field (what the guest is then
 * told), never raise one above what the hypervisor offers (EINVAL);
 * once the VM has run the value is fixed: writing it again is fine, any
 * other value EBUSY. Checked for a field of ID_AA64ISAR0_EL1 and of
 * ID_AA64PFR0_EL1, with what the guest itself reads, and for the CCSIDR
 * and CLIDR_EL1 values a migrated guest brings along.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#define REG_ISAR0	VMM_SYS_REG(3, 0, 0, 6, 0)
#define REG_PFR0	VMM_SYS_REG(3, 0, 0, 4, 0)
#define REG_CLIDR	VMM_SYS_REG(3, 1, 0, 0, 1)
#define REG_CCSIDR(i)	(KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_DEMUX | \
			 KVM_REG_ARM_DEMUX_ID_CCSIDR | (i))

/* The guest reports the two ID registers, CLIDR_EL1 and CCSIDR of L1 D */
GUEST_CODE(idregs,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mrs	x1, id_aa64isar0_el1\n"
	"	str	x1, [x20, #0x00]\n"
	"	mrs	x1, id_aa64pfr0_el1\n"
	"	str	x1, [x20, #0x08]\n"
	"	mrs	x1, clidr_el1\n"
	"	str	x1, [x20, #0x10]\n"
	"	msr	csselr_el1, xzr\n"
	"	isb\n"
	"	mrs	x1, ccsidr_el1\n"
	"	str	x1, [x20, #0x18]\n"
	"	b	.\n");

static uint64_t field(uint64_t v, unsigned int sh)
{
	return (v >> sh) & 0xf;
}

static uint64_t with_field(uint64_t v, unsigned int sh, uint64_t f)
{
	return (v & ~(0xfULL << sh)) | (f << sh);
}

/*
 * A 4-bit field at one of @shifts that is non-zero (@nonzero) or zero;
 * -1 if none
 */
static int find_field(uint64_t v, const unsigned int *shifts, unsigned int n,
		      bool nonzero)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if ((field(v, shifts[i]) != 0) == nonzero)
			return shifts[i];
	return -1;
}

int main(void)
{
	/*
	 * ISAR0: AES, SHA1, SHA2, CRC32, Atomic, TME (to raise: hidden by
	 * both), RDM, SHA3, SM3, SM4, DP
	 */
	static const unsigned int isar0_f[] = { 4, 8, 12, 16, 20, 24, 28, 32,
						36, 40, 44 };
	/* PFR0 unsigned fields of no consequence to the hypervisor: DIT, CSV3 */
	static const unsigned int pfr0_f[] = { 48, 60 };
	uint64_t isar0, pfr0, low_isar0, low_pfr0, v = 0, guest;
	int lo, hi, pf, rc;
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	uint32_t ccsidr, c32 = 0;

	tap_init();
	rc = vmm_simple_vm(&vm, &vcpu, idregs_start, GUEST_SIZE(idregs),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	TAP_REQUIRE(!vmm_get64(&vcpu, REG_ISAR0, &isar0) &&
		    !vmm_get64(&vcpu, REG_PFR0, &pfr0),
		    "GET ID_AA64ISAR0_EL1 and ID_AA64PFR0_EL1", NULL);
	tap_diag("ISAR0 %#llx PFR0 %#llx", (unsigned long long)isar0,
		 (unsigned long long)pfr0);

	lo = find_field(isar0, isar0_f, ARRAY_SIZE(isar0_f), true);
	hi = find_field(isar0, isar0_f, ARRAY_SIZE(isar0_f), false);
	pf = find_field(pfr0, pfr0_f, ARRAY_SIZE(pfr0_f), true);
	TAP_REQUIRE(lo >= 0, "the CPU has an ISAR0 field to lower", NULL);
	if (pf < 0)
		tap_skip("PFR0 fields", "neither DIT nor CSV3 to lower on this CPU");

	/* raising: a field above what is offered */
	if (hi >= 0)
		TAP_NEG(vmm_set64(&vcpu, REG_ISAR0, with_field(isar0, hi, 1)),
			EINVAL, "ISAR0: raising a field from 0 to 1: EINVAL");
	else
		tap_skip("ISAR0: raising a field from 0", "no field is 0");
	if (field(isar0, lo) < 0xf)
		TAP_NEG(vmm_set64(&vcpu, REG_ISAR0,
				  with_field(isar0, lo, field(isar0, lo) + 1)),
			EINVAL, "ISAR0: raising a field above the host's: EINVAL");
	if (pf >= 0)
		TAP_NEG(vmm_set64(&vcpu, REG_PFR0,
				  with_field(pfr0, pf, field(pfr0, pf) + 1)),
			EINVAL, "PFR0: raising a field above the host's: EINVAL");
	vmm_get64(&vcpu, REG_ISAR0, &v);
	TAP_EQ(v, isar0, "ISAR0: a refused write changed nothing");

	/* lowering */
	low_isar0 = with_field(isar0, lo, field(isar0, lo) - 1);
	low_pfr0 = pf >= 0 ? with_field(pfr0, pf, 0) : pfr0;
	TAP_EQ(vmm_set64(&vcpu, REG_ISAR0, low_isar0), 0,
	       "ISAR0: lowering a field before the first run");
	TAP_EQ(vmm_set64(&vcpu, REG_PFR0, low_pfr0), 0,
	       pf >= 0 ? "PFR0: lowering a field before the first run" :
			 "PFR0: its own value is taken before the first run");
	vmm_get64(&vcpu, REG_ISAR0, &v);
	TAP_EQ(v, low_isar0, "ISAR0: reads the lowered value");
	vmm_get64(&vcpu, REG_PFR0, &v);
	TAP_EQ(v, low_pfr0, "PFR0: reads the lowered value");

	/* the cache hierarchy: a CCSIDR with a smaller line, then a larger */
	TAP_REQUIRE(!vmm_get_reg(&vcpu, REG_CCSIDR(0), &ccsidr),
		    "GET the CCSIDR of level 1 data (KVM_REG_ARM_DEMUX)", NULL);
	if (ccsidr & 7) {
		c32 = (ccsidr & ~7U) | ((ccsidr & 7) - 1);
		TAP_NEG(vmm_set_reg(&vcpu, REG_CCSIDR(0), &c32), EINVAL,
			"CCSIDR: a line smaller than the host's: EINVAL");
	}
	c32 = (ccsidr & ~7U) | 6;	/* 1 KiB lines */
	TAP_EQ(vmm_set_reg(&vcpu, REG_CCSIDR(0), &c32), 0,
	       "CCSIDR: a larger line is taken");
	TAP_NEG(vmm_set_reg(&vcpu, REG_CCSIDR(0) + 14, &c32), ENOENT,
		"CCSIDR: index 14: ENOENT");

	/* the guest is told the lowered values */
	TAP_REQUIRE(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE, 8, true, &guest),
		    "the guest reads ID_AA64ISAR0_EL1", "%s",
		    vmm_describe_exit(&vcpu));
	TAP_EQ(guest, low_isar0, "the guest reads the lowered ISAR0");
	TAP_REQUIRE(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 8, 8, true, &guest),
		    "the guest reads ID_AA64PFR0_EL1", "%s",
		    vmm_describe_exit(&vcpu));
	if (pf >= 0)
		tap_check(field(guest, pf) == 0,
			  "the guest reads the lowered PFR0 field", "read %#llx",
			  (unsigned long long)guest);
	TAP_REQUIRE(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x10, 8, true, &guest),
		    "the guest reads CLIDR_EL1", "%s", vmm_describe_exit(&vcpu));
	vmm_get64(&vcpu, REG_CLIDR, &v);
	TAP_EQ(guest, v, "the guest reads CLIDR_EL1 as userspace does");
	TAP_REQUIRE(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x18, 8, true, &guest),
		    "the guest reads CCSIDR_EL1", "%s", vmm_describe_exit(&vcpu));
	TAP_EQ(guest, c32, "the guest reads the CCSIDR value userspace set");

	/* after the run: fixed */
	TAP_EQ(vmm_set64(&vcpu, REG_ISAR0, low_isar0), 0,
	       "ISAR0 after the run: the same value is taken");
	TAP_NEG(vmm_set64(&vcpu, REG_ISAR0, isar0), EBUSY,
		"ISAR0 after the run: another value: EBUSY");
	vmm_get64(&vcpu, REG_ISAR0, &v);
	TAP_EQ(v, low_isar0, "ISAR0 after the run: unchanged");

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
