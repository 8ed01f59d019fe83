/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest that makes SMCCC calls (or loads) on the host's behalf, for the
 * tests of the hypercall services: it reads an operation from the MMIO
 * window, carries it out and writes x0..x3 back, forever.
 *
 *   window + 0x00..0x18   x0..x3 in (function id, arguments)
 *   window + 0x20         operation: HVCS_HVC, HVCS_SMC, or HVCS_LOAD
 *                         (x0 = the 64-bit word at guest address x1)
 *   window + 0x28..0x40   x0..x3 out
 *
 * Use from a test: the guest code is hvc_server_start..hvc_server_end
 * (vmm_simple_vm()); hvcs_call() runs one operation. hvc_server_hvc and
 * hvc_server_smc are the two calls, for tests that look at the PC.
 */
#ifndef MODKVM_HVC_SERVER_H
#define MODKVM_HVC_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "tap.h"
#include "vmm.h"
#include "guest.h"

#define HVCS_HVC	0
#define HVCS_SMC	1
#define HVCS_LOAD	2

GUEST_CODE(hvc_server,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"1:	ldr	x0, [x20, #0x00]\n"
	"	ldr	x1, [x20, #0x08]\n"
	"	ldr	x2, [x20, #0x10]\n"
	"	ldr	x3, [x20, #0x18]\n"
	"	ldr	x9, [x20, #0x20]\n"
	"	cmp	x9, #1\n"
	"	b.eq	2f\n"
	"	b.hi	3f\n"
	"	.globl	hvc_server_hvc\n"
	"hvc_server_hvc:\n"
	"	hvc	#0\n"
	"	b	4f\n"
	"	.globl	hvc_server_smc\n"
	"hvc_server_smc:\n"
	"2:	smc	#0\n"
	"	b	4f\n"
	"3:	ldr	x0, [x1]\n"
	"4:	str	x0, [x20, #0x28]\n"
	"	str	x1, [x20, #0x30]\n"
	"	str	x2, [x20, #0x38]\n"
	"	str	x3, [x20, #0x40]\n"
	"	b	1b\n");

extern const unsigned char hvc_server_hvc[], hvc_server_smc[];

/*
 * Run operation @op with x0..x3 = @in on @vcpu, results in @out; false
 * (with a diagnostic) if the guest exits otherwise.
 */
static inline bool hvcs_run(struct vmm_vcpu *vcpu, int op, const uint64_t in[4],
			    uint64_t out[4])
{
	uint64_t v;
	unsigned int i;

	for (i = 0; i < 5; i++) {
		v = i < 4 ? in[i] : (uint64_t)op;
		if (!vmm_expect_mmio(vcpu, VMM_MMIO_BASE + 8 * i, 8, false, &v))
			goto bad;
	}
	for (i = 0; i < 4; i++)
		if (!vmm_expect_mmio(vcpu, VMM_MMIO_BASE + 0x28 + 8 * i, 8,
				     true, &out[i]))
			goto bad;
	return true;
bad:
	tap_diag("guest operation %d on %#llx: %s", op,
		 (unsigned long long)in[0], vmm_describe_exit(vcpu));
	return false;
}

/* An HVC call with one argument: x0 back (0x7777 if the guest failed) */
static inline int64_t hvcs_call1(struct vmm_vcpu *vcpu, uint64_t fn,
				 uint64_t a1)
{
	uint64_t in[4] = { fn, a1, 0, 0 }, out[4] = { 0x7777 };

	if (!hvcs_run(vcpu, HVCS_HVC, in, out))
		return 0x7777;
	return (int64_t)out[0];
}

/* The 64-bit word at guest physical address @gpa, as the guest reads it */
static inline bool hvcs_load(struct vmm_vcpu *vcpu, uint64_t gpa,
			     uint64_t *val)
{
	uint64_t in[4] = { 0, gpa, 0, 0 }, out[4];

	if (!hvcs_run(vcpu, HVCS_LOAD, in, out))
		return false;
	*val = out[0];
	return true;
}

#endif /* MODKVM_HVC_SERVER_H */
