// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers of the modkvm benchmark programs.  See bench.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench.h"

bool bench_quick;
int bench_reps_override;
volatile int bench_timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	bench_timed_out = 1;
}

void bench_init(int argc, char **argv)
{
	struct sigaction sa;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			bench_quick = true;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			bench_reps_override = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: %s [--quick] [--reps N]\n",
				argv[0]);
			exit(2);
		}
	}
	/* No SA_RESTART: the signal must end a KVM_RUN in progress. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

int bench_reps(int quick, int full)
{
	if (bench_reps_override > 0)
		return bench_reps_override;
	return bench_quick ? quick : full;
}

void bench_deadline_ms(unsigned int ms)
{
	struct itimerval it = {
		.it_value = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 },
	};

	if (ms)
		bench_timed_out = 0;	/* disarming keeps it for messages */
	setitimer(ITIMER_REAL, &it, NULL);
}

void bench_deadline(unsigned int seconds)
{
	bench_deadline_ms(seconds * 1000);
}

int bench_run(struct vmm_vcpu *vcpu)
{
	int rc;

	do {
		rc = vmm_run(vcpu);
	} while (rc == -EINTR && !bench_timed_out);
	return rc;
}

bool bench_mmio(struct vmm_vcpu *vcpu, uint64_t gpa, bool is_write)
{
	bench_run(vcpu);
	return vmm_is_mmio(vcpu, gpa, 8, is_write);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Quantile q of sorted v[0..n-1], linear interpolation between ranks. */
static double quantile(const double *v, int n, double q)
{
	double pos = q * (n - 1);
	int i = (int)pos;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

static const char *num(char *buf, size_t len, double x)
{
	snprintf(buf, len, "%.4g", x);
	return buf;
}

void bench_report(const char *name, const char *unit, double *v, int n)
{
	char m[32], lo[32], hi[32], q1[32], q3[32];

	if (n <= 0) {
		bench_fail(name, "no samples");
		return;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	num(m, sizeof(m), quantile(v, n, 0.5));
	printf("METRIC %s %s %s median=%s min=%s max=%s q1=%s q3=%s n=%d\n",
	       name, m, unit, m, num(lo, sizeof(lo), v[0]),
	       num(hi, sizeof(hi), v[n - 1]),
	       num(q1, sizeof(q1), quantile(v, n, 0.25)),
	       num(q3, sizeof(q3), quantile(v, n, 0.75)), n);
}

/* One line per report: the driver shows it in the table. */
static void report(const char *tag, const char *name, const char *fmt,
		   va_list ap)
{
	char buf[256];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	printf("%s %s %s\n", tag, name, buf);
}

void bench_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("METRIC_ERR", name, fmt, ap);
	va_end(ap);
}

void bench_warn(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("METRIC_WARN", name, fmt, ap);
	va_end(ap);
}

void bench_note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}
