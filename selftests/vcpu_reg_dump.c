// SPDX-License-Identifier: GPL-2.0
/*
 * The register set a VMM migrates: KVM_GET_REG_LIST of a fresh vCPU as
 * QEMU's -cpu host would create it (PSCI 0.2, and pointer authentication
 * where both kinds are offered), every register on it read with
 * KVM_GET_ONE_REG and written back unchanged with KVM_SET_ONE_REG. Each
 * id and value is printed as a diagnostic line "# regdump ID VALUE" (hex;
 * 128-bit registers as two 64-bit halves, high first) so that run-all can
 * compare the dumps of modkvm and of the in-kernel KVM
 * (selftests/reg_dump_compare): QEMU moves a guest between them by these
 * ids and values.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/tap.h"
#include "vmm.h"

static struct vmm_vm vm;
static struct vmm_vcpu vcpu;

static struct kvm_reg_list *reg_list(void)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;

	if (ioctl(vcpu.fd, KVM_GET_REG_LIST, &probe) == 0 || errno != E2BIG)
		return NULL;
	list = calloc(1, sizeof(*list) + probe.n * sizeof(list->reg[0]));
	if (!list)
		return NULL;
	list->n = probe.n;
	if (ioctl(vcpu.fd, KVM_GET_REG_LIST, list)) {
		free(list);
		return NULL;
	}
	return list;
}

int main(void)
{
	uint32_t features = 1U << KVM_ARM_VCPU_PSCI_0_2;
	unsigned int i, bad_get = 0, bad_set = 0;
	struct kvm_reg_list *list;
	uint64_t val[2];

	tap_init();
	TAP_REQUIRE(!vmm_vm_create(&vm, 0), "create a VM", NULL);
	if (vmm_check_cap(&vm, KVM_CAP_ARM_PTRAUTH_ADDRESS) > 0 &&
	    vmm_check_cap(&vm, KVM_CAP_ARM_PTRAUTH_GENERIC) > 0)
		features |= 1U << KVM_ARM_VCPU_PTRAUTH_ADDRESS |
			    1U << KVM_ARM_VCPU_PTRAUTH_GENERIC;
	tap_diag("regdump features %#x (PMU_V3 cap %d, SVE cap %d: not asked for)",
		 features, vmm_check_cap(&vm, KVM_CAP_ARM_PMU_V3),
		 vmm_check_cap(&vm, KVM_CAP_ARM_SVE));
	TAP_REQUIRE(!vmm_vcpu_create(&vm, &vcpu, 0) &&
		    !vmm_vcpu_init(&vcpu, features),
		    "create and init a vCPU (PSCI 0.2, ptrauth if offered)", NULL);

	list = reg_list();
	TAP_REQUIRE(list && list->n, "KVM_GET_REG_LIST", "errno %s",
		    strerror(errno));
	for (i = 0; i < list->n; i++) {
		uint64_t id = list->reg[i];
		size_t size = vmm_reg_size(id);
		int rc;

		memset(val, 0, sizeof(val));
		if (size > sizeof(val) || vmm_get_reg(&vcpu, id, val)) {
			tap_diag("regdump-fail get %#llx", (unsigned long long)id);
			bad_get++;
			continue;
		}
		if (size == 16)
			tap_diag("regdump %#llx %#llx:%016llx",
				 (unsigned long long)id,
				 (unsigned long long)val[1],
				 (unsigned long long)val[0]);
		else
			tap_diag("regdump %#llx %#llx", (unsigned long long)id,
				 (unsigned long long)(size == 4 ?
						      (uint32_t)val[0] : val[0]));
		rc = vmm_set_reg(&vcpu, id, val);
		if (rc) {
			tap_diag("regdump-fail set %#llx: %s",
				 (unsigned long long)id, strerror(-rc));
			bad_set++;
		}
	}
	tap_check(!bad_get, "every listed register reads",
		  "%u do not", bad_get);
	tap_check(!bad_set, "every listed register takes back its own value",
		  "%u do not", bad_set);
	tap_diag("regdump count %u", list->n);
	free(list);
	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
