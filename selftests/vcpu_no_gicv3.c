// SPDX-License-Identifier: GPL-2.0
/*
 * A VM without an in-kernel GICv3 (modkvm never has one) has no GIC
 * system register interface: the guest reads ID_AA64PFR0_EL1.GIC as 0
 * and every ICC_*_EL1 access it makes is UNDEFINED (an exception with EC
 * 0, "unknown"), whatever the host's GIC is. ICC_SRE_EL1 may not trap
 * (the architecture lets EL2 leave it reachable): then it must read with
 * SRE set, as a GIC without legacy support has it.
 *
 * What userspace sees of the same field through KVM_{GET,SET}_ONE_REG
 * follows the ID register rules (Documentation/virt/kvm/arm/
 * vcpu-features.rst): before the first KVM_RUN the VM's register shows
 * the most the host offers (GIC = 1 on a host with a GICv3 system
 * register interface) and may be lowered; the first run fixes it to what
 * the VM got, 0, and from then on it cannot change.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

/*
 * x25 holds the bit of the access under way; the vectors
 * (GUEST_PROBE_VECTORS) collect it in x24 if it trapped and in x27 unless
 * EC was 0, and skip the instruction.
 */
#define ACC(n, insn)	"	mov	x25, #(1 << " #n ")\n" "	" insn "\n"

#define ICC_ACCESSES							\
	ACC(0,  "mrs	x0, S3_0_C4_C6_0")	/* ICC_PMR_EL1 */	\
	ACC(1,  "msr	S3_0_C4_C6_0, xzr")				\
	ACC(2,  "mrs	x0, S3_0_C12_C8_0")	/* ICC_IAR0_EL1 */	\
	ACC(3,  "msr	S3_0_C12_C8_1, xzr")	/* ICC_EOIR0_EL1 */	\
	ACC(4,  "mrs	x0, S3_0_C12_C8_2")	/* ICC_HPPIR0_EL1 */	\
	ACC(5,  "mrs	x0, S3_0_C12_C8_3")	/* ICC_BPR0_EL1 */	\
	ACC(6,  "msr	S3_0_C12_C8_3, xzr")				\
	ACC(7,  "mrs	x0, S3_0_C12_C8_4")	/* ICC_AP0R0_EL1 */	\
	ACC(8,  "msr	S3_0_C12_C8_4, xzr")				\
	ACC(9,  "mrs	x0, S3_0_C12_C9_0")	/* ICC_AP1R0_EL1 */	\
	ACC(10, "msr	S3_0_C12_C9_0, xzr")				\
	ACC(11, "msr	S3_0_C12_C11_1, xzr")	/* ICC_DIR_EL1 */	\
	ACC(12, "mrs	x0, S3_0_C12_C11_3")	/* ICC_RPR_EL1 */	\
	ACC(13, "msr	S3_0_C12_C11_5, xzr")	/* ICC_SGI1R_EL1 */	\
	ACC(14, "msr	S3_0_C12_C11_6, xzr")	/* ICC_ASGI1R_EL1 */	\
	ACC(15, "msr	S3_0_C12_C11_7, xzr")	/* ICC_SGI0R_EL1 */	\
	ACC(16, "mrs	x0, S3_0_C12_C12_0")	/* ICC_IAR1_EL1 */	\
	ACC(17, "msr	S3_0_C12_C12_1, xzr")	/* ICC_EOIR1_EL1 */	\
	ACC(18, "mrs	x0, S3_0_C12_C12_2")	/* ICC_HPPIR1_EL1 */	\
	ACC(19, "mrs	x0, S3_0_C12_C12_3")	/* ICC_BPR1_EL1 */	\
	ACC(20, "msr	S3_0_C12_C12_3, xzr")				\
	ACC(21, "mrs	x0, S3_0_C12_C12_4")	/* ICC_CTLR_EL1 */	\
	ACC(22, "msr	S3_0_C12_C12_4, xzr")				\
	ACC(23, "mrs	x0, S3_0_C12_C12_6")	/* ICC_IGRPEN0_EL1 */	\
	ACC(24, "msr	S3_0_C12_C12_6, xzr")				\
	ACC(25, "mrs	x0, S3_0_C12_C12_7")	/* ICC_IGRPEN1_EL1 */	\
	ACC(26, "msr	S3_0_C12_C12_7, xzr")

#define NR_ACC		27
#define ALL_ACC		((1U << NR_ACC) - 1)

static const char *const acc_name[NR_ACC] = {
	"read ICC_PMR_EL1", "write ICC_PMR_EL1", "read ICC_IAR0_EL1",
	"write ICC_EOIR0_EL1", "read ICC_HPPIR0_EL1", "read ICC_BPR0_EL1",
	"write ICC_BPR0_EL1", "read ICC_AP0R0_EL1", "write ICC_AP0R0_EL1",
	"read ICC_AP1R0_EL1", "write ICC_AP1R0_EL1", "write ICC_DIR_EL1",
	"read ICC_RPR_EL1", "write ICC_SGI1R_EL1", "write ICC_ASGI1R_EL1",
	"write ICC_SGI0R_EL1", "read ICC_IAR1_EL1", "write ICC_EOIR1_EL1",
	"read ICC_HPPIR1_EL1", "read ICC_BPR1_EL1", "write ICC_BPR1_EL1",
	"read ICC_CTLR_EL1", "write ICC_CTLR_EL1", "read ICC_IGRPEN0_EL1",
	"write ICC_IGRPEN0_EL1", "read ICC_IGRPEN1_EL1",
	"write ICC_IGRPEN1_EL1",
};

GUEST_CODE(icc,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	adr	x1, vectors\n"
	"	msr	vbar_el1, x1\n"
	"	isb\n"
	"	mrs	x1, id_aa64pfr0_el1\n"
	"	str	x1, [x20, #0x00]\n"
	"	mov	x24, #0\n"
	"	mov	x27, #0\n"
	ICC_ACCESSES
	"	str	x24, [x20, #0x08]\n"
	"	str	x27, [x20, #0x10]\n"
	/* ICC_SRE_EL1: write 0, then read it back */
	"	mov	x24, #0\n"
	"	mov	x27, #0\n"
	"	mov	x25, #1\n"
	"	msr	S3_0_C12_C12_5, xzr\n"
	"	isb\n"
	"	mov	x25, #2\n"
	"	mov	x0, #0\n"
	"	mrs	x0, S3_0_C12_C12_5\n"
	"	str	x24, [x20, #0x18]\n"
	"	str	x27, [x20, #0x20]\n"
	"	str	x0, [x20, #0x28]\n"
	"	b	.\n"
	GUEST_PROBE_VECTORS);

#define REG_AA64PFR0	VMM_SYS_REG(3, 0, 0, 4, 0)
#define PFR0_GIC(v)	(((v) >> 24) & 0xf)
#define PFR0_WITH_GIC(v, g)	(((v) & ~(0xfULL << 24)) | ((uint64_t)(g) << 24))

/* Does the host have a GICv3 (and so its system register interface)? */
static bool host_gicv3(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "GICv3") != NULL;
	fclose(f);
	return found;
}

/* The userspace view of ID_AA64PFR0_EL1.GIC before the first run. */
static uint64_t check_user_gic_before_run(struct vmm_vcpu *vcpu)
{
	unsigned int max = host_gicv3() ? 1 : 0;
	uint64_t pfr0 = 0, v = 0;

	TAP_EQ(vmm_get64(vcpu, REG_AA64PFR0, &pfr0), 0,
	       "before the run: GET ID_AA64PFR0_EL1");
	TAP_EQ(PFR0_GIC(pfr0), max,
	       "before the run: GIC shows what the host offers");
	tap_check(vmm_set64(vcpu, REG_AA64PFR0, PFR0_WITH_GIC(pfr0, 2)) < 0,
		  "before the run: GIC cannot be raised above that", NULL);
	TAP_EQ(vmm_set64(vcpu, REG_AA64PFR0, PFR0_WITH_GIC(pfr0, 0)), 0,
	       "before the run: GIC can be lowered to 0");
	vmm_get64(vcpu, REG_AA64PFR0, &v);
	TAP_EQ(v, PFR0_WITH_GIC(pfr0, 0), "before the run: and reads 0");
	TAP_EQ(vmm_set64(vcpu, REG_AA64PFR0, pfr0), 0,
	       "before the run: and can be set back");
	vmm_get64(vcpu, REG_AA64PFR0, &v);
	TAP_EQ(v, pfr0, "before the run: and reads as at first");
	return pfr0;
}

/* After the run: the field is 0 and fixed, the rest unchanged. */
static void check_user_gic_after_run(struct vmm_vcpu *vcpu, uint64_t before,
				     uint64_t guest)
{
	uint64_t pfr0 = ~0ULL;

	TAP_EQ(vmm_get64(vcpu, REG_AA64PFR0, &pfr0), 0,
	       "after the run: GET ID_AA64PFR0_EL1");
	TAP_EQ(pfr0, guest, "after the run: userspace reads what the guest reads");
	TAP_EQ(pfr0, PFR0_WITH_GIC(before, 0),
	       "after the run: only GIC changed, to 0");
	TAP_EQ(vmm_set64(vcpu, REG_AA64PFR0, pfr0), 0,
	       "after the run: the same value can be written");
	if (PFR0_GIC(before))
		tap_check(vmm_set64(vcpu, REG_AA64PFR0, before) < 0,
			  "after the run: GIC cannot be set again", NULL);
}

int main(void)
{
	uint64_t pfr0 = ~0ULL, trapped = 0, bad = 0, sre_trapped = 0;
	uint64_t sre_bad = 0, sre = 0, before;
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	unsigned int i;
	int rc;

	tap_init();
	rc = vmm_simple_vm(&vm, &vcpu, icc_start, GUEST_SIZE(icc), 0);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	before = check_user_gic_before_run(&vcpu);

	TAP_REQUIRE(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE, 8, true, &pfr0),
		    "the guest reads ID_AA64PFR0_EL1", "%s",
		    vmm_describe_exit(&vcpu));
	TAP_EQ((pfr0 >> 24) & 0xf, 0, "guest ID_AA64PFR0_EL1.GIC = 0");
	check_user_gic_after_run(&vcpu, before, pfr0);

	TAP_REQUIRE(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x08, 8, true,
				    &trapped) &&
		    vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x10, 8, true, &bad),
		    "the guest makes its ICC_* accesses", "%s",
		    vmm_describe_exit(&vcpu));
	for (i = 0; i < NR_ACC; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s: UNDEFINED", acc_name[i]);
		tap_check((trapped >> i) & 1 && !((bad >> i) & 1), name,
			  (trapped >> i) & 1 ? "an exception, but not EC 0" :
					       "no exception");
	}
	TAP_EQ(trapped & ~(uint64_t)ALL_ACC, 0, "no other exception");

	TAP_REQUIRE(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x18, 8, true,
				    &sre_trapped) &&
		    vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x20, 8, true,
				    &sre_bad) &&
		    vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x28, 8, true, &sre),
		    "the guest accesses ICC_SRE_EL1", "%s",
		    vmm_describe_exit(&vcpu));
	tap_diag("ICC_SRE_EL1: write %s, read %s (%#llx)",
		 sre_trapped & 1 ? "UNDEF" : "not trapped",
		 sre_trapped & 2 ? "UNDEF" : "not trapped",
		 (unsigned long long)sre);
	TAP_EQ(sre_bad, 0, "ICC_SRE_EL1: any exception is an UNDEF");
	tap_check((sre_trapped & 2) || (sre & 1),
		  "ICC_SRE_EL1: UNDEF, or it reads with SRE set", "read %#llx",
		  (unsigned long long)sre);

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
