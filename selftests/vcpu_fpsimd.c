// SPDX-License-Identifier: GPL-2.0
/*
 * FP/SIMD state survives host context switches: the guest loads v0-v31
 * and FPCR with patterns, then exits to the VMM many times while the VMM
 * thread migrates between CPUs, yields, and shares its CPU with a thread
 * that thrashes the FP registers.  The guest's registers stay intact
 * (checked through ONE_REG and by the guest itself), and so do the VMM
 * thread's own registers across each KVM_RUN.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#define PAT_GPA		(VMM_RAM_BASE + 0x10000)
#define ITERATIONS	200
#define GUEST_FPCR	0x03c00000	/* AHP, DN, FZ, round towards zero */

GUEST_CODE(fp,
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	mov	x1, #(3 << 20)\n"		/* CPACR_EL1.FPEN */
	"	msr	cpacr_el1, x1\n"
	"	isb\n"
	"	mov64	x2, " GUEST_STR(PAT_GPA) "\n"
	"	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	ldr	q\\n, [x2, #(16 * \\n)]\n"
	"	.endr\n"
	"	mov64	x3, " GUEST_STR(GUEST_FPCR) "\n"
	"	msr	fpcr, x3\n"
	"	mov	x21, #" GUEST_STR(ITERATIONS) "\n"
	"1:	str	x21, [x20]\n"
	"	subs	x21, x21, #1\n"
	"	b.ne	1b\n"
	/* Compare every register with the pattern in memory. */
	"	mov	x9, #0\n"
	"	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	mov	x4, v\\n\\().d[0]\n"
	"	ldr	x5, [x2, #(16 * \\n)]\n"
	"	mov	x6, v\\n\\().d[1]\n"
	"	ldr	x7, [x2, #(16 * \\n + 8)]\n"
	"	eor	x4, x4, x5\n"
	"	eor	x6, x6, x7\n"
	"	orr	x4, x4, x6\n"
	"	cmp	x4, #0\n"
	"	cset	x4, ne\n"
	"	orr	x9, x9, x4, lsl #\\n\n"
	"	.endr\n"
	"	str	x9, [x20, #8]\n"
	"	mrs	x4, fpcr\n"
	"	str	x4, [x20, #0x10]\n"
	"	b	.\n");

static int stop;

/* Keeps the FP/SIMD registers of its CPU busy with other values. */
static void *thrash(void *arg)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		asm volatile(
			"	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
			"	movi	v\\n\\().16b, #0xa5\n"
			"	.endr\n"
			"	msr	fpcr, %0\n"
			: : "r"(0x00400000UL) /* round towards +inf */
			: "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8",
			  "v9", "v10", "v11", "v12", "v13", "v14", "v15",
			  "v16", "v17", "v18", "v19", "v20", "v21", "v22",
			  "v23", "v24", "v25", "v26", "v27", "v28", "v29",
			  "v30", "v31", "memory");
		sched_yield();
	}
	return NULL;
}

/*
 * KVM_RUN with all of the caller's v0-v31 holding the values in "in";
 * what they hold afterwards goes to "out".  Returns the raw syscall result.
 */
static long run_keep_fp(int fd, const __uint128_t *in, __uint128_t *out)
{
	register long x0 asm("x0") = fd;
	register long x1 asm("x1") = KVM_RUN;
	register long x2 asm("x2") = 0;
	register long x8 asm("x8") = __NR_ioctl;
	register const __uint128_t *x9 asm("x9") = in;
	register __uint128_t *x10 asm("x10") = out;

	asm volatile(
		"	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
		"	ldr	q\\n, [x9, #(16 * \\n)]\n"
		"	.endr\n"
		"	svc	#0\n"
		"	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
		"	str	q\\n, [x10, #(16 * \\n)]\n"
		"	.endr\n"
		: "+r"(x0)
		: "r"(x1), "r"(x2), "r"(x8), "r"(x9), "r"(x10)
		: "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9",
		  "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17",
		  "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25",
		  "v26", "v27", "v28", "v29", "v30", "v31", "memory");
	return x0;
}

static uint64_t host_fpcr(void)
{
	uint64_t v;

	asm volatile("mrs %0, fpcr" : "=r"(v));
	return v;
}

int main(void)
{
	__uint128_t pat[32], host_in[32], host_out[32], q;
	uint64_t v, fpcr0;
	unsigned int i, n, ncpus, bad_onereg = 0, bad_host = 0, bad_fpcr = 0;
	unsigned int bad_exit = 0, exits = 0;
	struct vmm_vcpu vcpu;
	struct vmm_vm vm;
	cpu_set_t set;
	pthread_t t;
	long rc;

	tap_init();
	rc = vmm_simple_vm(&vm, &vcpu, fp_start, GUEST_SIZE(fp),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "simple VM", "%s", strerror(-rc));
	for (i = 0; i < 32; i++) {
		pat[i] = ((__uint128_t)(0x1111111111111111ULL * (i % 15 + 1) ^
					(uint64_t)i << 56) << 64) |
			 (0x0123456789abcdefULL + i * 0x1000000010001ULL);
		host_in[i] = ~pat[i] ^ ((__uint128_t)i << 100);
	}
	vmm_load(&vm, PAT_GPA, pat, sizeof(pat));

	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	tap_diag("%u CPUs online", ncpus);
	pthread_create(&t, NULL, thrash, NULL);
	fpcr0 = host_fpcr();

	for (n = 0; n < ITERATIONS + 2; n++) {
		rc = run_keep_fp(vcpu.fd, host_in, host_out);
		vcpu.last_rc = rc < 0 ? (int)rc : (int)vcpu.run->exit_reason;
		if (memcmp(host_in, host_out, sizeof(host_in)))
			bad_host++;
		if (host_fpcr() != fpcr0)
			bad_fpcr++;
		if (!vmm_is_mmio(&vcpu, VMM_MMIO_BASE, 8, true))
			break;
		exits++;
		if (vmm_mmio_data(&vcpu) != ITERATIONS - n)
			bad_exit++;
		/* Move around: another CPU, or the thrasher's, and yield. */
		CPU_ZERO(&set);
		CPU_SET(n % (ncpus ?: 1), &set);
		sched_setaffinity(0, sizeof(set), &set);
		sched_yield();
		if (n % 10 == 0 && n > 0) {
			for (i = 0; i < 32; i++) {
				q = 0;
				if (vmm_get_reg(&vcpu, VMM_REG_V(i), &q) ||
				    q != pat[i])
					bad_onereg++;
			}
			v = 0;
			vmm_get64(&vcpu, VMM_REG_FPCR, &v);
			if (v != GUEST_FPCR)
				bad_onereg++;
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);

	TAP_EQ(exits, ITERATIONS, "the guest exited once per iteration");
	TAP_EQ(bad_exit, 0, "... with its loop counter intact");
	TAP_EQ(bad_onereg, 0, "ONE_REG shows the guest's v0-v31 and FPCR every time");
	TAP_EQ(bad_host, 0, "the VMM thread's v0-v31 survive every KVM_RUN");
	TAP_EQ(bad_fpcr, 0, "the VMM thread's FPCR survives every KVM_RUN");
	tap_check(vmm_is_mmio(&vcpu, VMM_MMIO_BASE + 8, 8, true) &&
		  vmm_mmio_data(&vcpu) == 0,
		  "the guest finds v0-v31 intact", "%s (mask of bad registers)",
		  vmm_describe_exit(&vcpu));
	v = 0;
	tap_check(vmm_expect_mmio(&vcpu, VMM_MMIO_BASE + 0x10, 8, true, &v) &&
		  v == GUEST_FPCR, "the guest finds its FPCR intact", "%s",
		  vmm_describe_exit(&vcpu));

	vmm_vcpu_destroy(&vcpu);
	vmm_vm_destroy(&vm);
	return tap_done();
}
