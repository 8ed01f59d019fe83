/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP output for modkvm's own selftests (kselftest style).
 *
 * Each check prints "ok N - name" or "not ok N - name" with the reason
 * on a "# " line; tap_done() prints the plan and returns the exit status
 * kselftest expects (0 all passed, 1 a failure, 4 all skipped).
 */
#ifndef MODKVM_TAP_H
#define MODKVM_TAP_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed, tap_skipped;

static inline void tap_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
}

static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/*
 * Count an event in *counter, for checks made on the counts at the end.
 * With @fmt it is a problem: the first 8 problems (of all counters) are
 * shown as "# problem N: ..." lines. Safe from several threads.
 */
static inline void tap_count(unsigned long *counter, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void tap_count(unsigned long *counter, const char *fmt, ...)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static unsigned int shown;
	char msg[256];
	va_list ap;

	pthread_mutex_lock(&lock);
	(*counter)++;
	if (fmt && shown < 8) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		tap_diag("problem %u: %s", ++shown, msg);
	}
	pthread_mutex_unlock(&lock);
}

/* Report one check; returns its result so callers can stop early. */
static inline int tap_check(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - %s\n", ok ? "" : "not ", tap_n, name);
	if (!ok) {
		tap_failed++;
		if (fmt) {
			printf("# ");
			va_start(ap, fmt);
			vprintf(fmt, ap);
			va_end(ap);
			printf("\n");
		}
	}
	return ok;
}

static inline void tap_skip(const char *name, const char *why)
{
	tap_n++;
	tap_skipped++;
	printf("ok %d - %s # SKIP %s\n", tap_n, name, why);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		return 1;
	return tap_n && tap_skipped == tap_n ? 4 : 0;
}

/* "expected rc -1 with errno E": the common shape of a bad-argument check */
#define TAP_ERRNO(rc, err, name)					\
	tap_check((rc) == -1 && errno == (err), name,			\
		  "expected -1/%s, got %ld/%s", strerror(err),		\
		  (long)(rc), (rc) == -1 ? strerror(errno) : "no error")

/* "expected the -errno result -E" (helpers returning -errno, vmm.h) */
#define TAP_NEG(rc, err, name)						\
	tap_check((rc) == -(err), name, "expected -%s, got %ld%s%s",	\
		  strerror(err), (long)(rc), (rc) < 0 ? " " : "",	\
		  (rc) < 0 ? strerror(-(rc)) : "")

/* A check the rest of the program depends on: stop the program if it fails. */
#define TAP_REQUIRE(ok, name, ...)					\
	do {								\
		if (!tap_check((ok), name, __VA_ARGS__))		\
			exit(tap_done());				\
	} while (0)

#define TAP_EQ(got, want, name)						\
	tap_check((long)(got) == (long)(want), name,			\
		  "expected %ld, got %ld (errno %s)", (long)(want),	\
		  (long)(got), strerror(errno))

#endif /* MODKVM_TAP_H */
