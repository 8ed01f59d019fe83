/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the modkvm benchmark programs: options, a bounded
 * KVM_RUN, statistics and the lines the driver (userspace/bench/run)
 * collects:
 *
 *   METRIC <name> <median> <unit> median=<m> min=<v> max=<v> q1=<v> q3=<v> n=<n>
 *   METRIC_ERR <name> <reason>
 *   METRIC_WARN <name> <text>       (the value stands, with this caveat)
 *   # <anything>                    (notes, shown in the raw output only)
 */
#ifndef MODKVM_BENCH_H
#define MODKVM_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm.h"

extern bool bench_quick;		/* --quick: fewer repetitions */
extern int bench_reps_override;		/* --reps N, 0 if not given */
extern volatile int bench_timed_out;	/* the deadline's SIGALRM came */

/* Parse --quick / --reps N; install the deadline's signal handler. */
void bench_init(int argc, char **argv);
/* Repetitions: the --reps override, else quick or full. */
int bench_reps(int quick, int full);
/*
 * Arm the deadline: after seconds a SIGALRM interrupts whatever KVM_RUN
 * is in progress (it returns -EINTR) and bench_timed_out is set.  0 disarms
 * (and leaves bench_timed_out as it is).
 */
void bench_deadline(unsigned int seconds);
void bench_deadline_ms(unsigned int ms);

/*
 * KVM_RUN until an exit other than KVM_EXIT_INTR (those are retried), or
 * the deadline.  Returns vmm_run()'s result (-EINTR after the deadline).
 */
int bench_run(struct vmm_vcpu *vcpu);
/* bench_run(), then: is it an MMIO access at gpa (8 bytes) of that kind? */
bool bench_mmio(struct vmm_vcpu *vcpu, uint64_t gpa, bool is_write);

/* Report a metric from n samples (sorted in place). */
void bench_report(const char *name, const char *unit, double *v, int n);
/* Report that a metric could not be measured. */
void bench_fail(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A caveat about a reported metric (shown next to its value). */
void bench_warn(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A note ("# ..." line). */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Counter ticks to nanoseconds at freq Hz. */
static inline double bench_ticks_ns(uint64_t ticks, uint64_t freq)
{
	return (double)ticks * 1e9 / (double)freq;
}

/* The EL0 view of the counter frequency (the same register the guest reads). */
static inline uint64_t bench_cntfrq(void)
{
	uint64_t f;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
}

#endif /* MODKVM_BENCH_H */
