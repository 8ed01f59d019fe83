// SPDX-License-Identifier: GPL-2.0
/*
 * memtouch: a guest program (static, in the demo guest's initramfs) that
 * keeps most of the guest's memory busy with a pattern that can be checked,
 * so that a live migration has to copy pages that change while it copies,
 * and anything it loses or mixes up is seen.
 *
 *   memtouch MIB [CHUNK_KIB [PERIOD_MS]]
 *
 * Fills MIB MiB with a pattern; then, for ever, rewrites CHUNK_KIB KiB
 * (default 1024) every PERIOD_MS ms (default 100), going round the whole
 * area: each page is first checked against what was last written to it,
 * then written again with its generation number one higher.  Every word of
 * a page depends on the page's index, the word's index and the page's
 * generation, so a page that is stale (an old copy), moved (another page's
 * copy) or torn (partly copied) does not match.  The generations are kept
 * in the guest's memory as well: they migrate too.
 *
 * Prints (to stdout, the guest console):
 *   @G MEM start mib=<n> pages=<n>                 once filled
 *   @G MEM round <n> writes=<pages written>        each time round the area
 *   @G MEM bad page=<p> word=<w> got=<x> want=<y>  a mismatch (the first 10)
 * and on SIGUSR1 checks every page once more and prints
 *   @G MEM ok|bad rounds=<n> writes=<n> bad=<n> checked=<pages>
 * then exits (0 if no page ever mismatched).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define WORDS (PAGE / sizeof(uint64_t))

static volatile sig_atomic_t stop;
static unsigned long nbad;

static void on_usr1(int sig)
{
	(void)sig;
	stop = 1;
}

static inline uint64_t word_of(uint64_t page, uint64_t w, uint64_t gen)
{
	uint64_t x = (page << 20 | w) ^ (gen * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return x;
}

static void fill(uint64_t *p, uint64_t page, uint64_t gen)
{
	for (uint64_t w = 0; w < WORDS; w++)
		p[w] = word_of(page, w, gen);
}

static int check(const uint64_t *p, uint64_t page, uint64_t gen)
{
	for (uint64_t w = 0; w < WORDS; w++) {
		if (p[w] == word_of(page, w, gen))
			continue;
		if (nbad++ < 10)
			printf("@G MEM bad page=%llu word=%llu got=%#llx want=%#llx gen=%llu\n",
			       (unsigned long long)page, (unsigned long long)w,
			       (unsigned long long)p[w],
			       (unsigned long long)word_of(page, w, gen),
			       (unsigned long long)gen);
		fflush(stdout);
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	unsigned long mib, chunk_kib = 1024, period_ms = 100;
	unsigned long npages, chunk, next = 0, rounds = 0, writes = 0, i;
	struct timespec ts;
	uint64_t *gen;
	char *mem;

	if (argc < 2) {
		fprintf(stderr, "usage: memtouch MIB [CHUNK_KIB [PERIOD_MS]]\n");
		return 2;
	}
	mib = strtoul(argv[1], NULL, 0);
	if (argc > 2)
		chunk_kib = strtoul(argv[2], NULL, 0);
	if (argc > 3)
		period_ms = strtoul(argv[3], NULL, 0);
	npages = mib * (1024 * 1024 / PAGE);
	chunk = chunk_kib * 1024 / PAGE;
	if (!npages || !chunk) {
		fprintf(stderr, "memtouch: nothing to do\n");
		return 2;
	}
	mem = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	gen = calloc(npages, sizeof(*gen));
	if (mem == MAP_FAILED || !gen) {
		perror("memtouch: mmap");
		return 1;
	}
	signal(SIGUSR1, on_usr1);
	for (i = 0; i < npages; i++)
		fill((uint64_t *)(mem + i * PAGE), i, 0);
	printf("@G MEM start mib=%lu pages=%lu\n", mib, npages);
	fflush(stdout);

	ts.tv_sec = period_ms / 1000;
	ts.tv_nsec = (period_ms % 1000) * 1000000L;
	while (!stop) {
		for (i = 0; i < chunk && !stop; i++) {
			uint64_t *p = (uint64_t *)(mem + next * PAGE);

			check(p, next, gen[next]);
			fill(p, next, ++gen[next]);
			writes++;
			if (++next == npages) {
				next = 0;
				rounds++;
				printf("@G MEM round %lu writes=%lu\n", rounds, writes);
				fflush(stdout);
			}
		}
		nanosleep(&ts, NULL);
	}
	for (i = 0; i < npages; i++)
		check((uint64_t *)(mem + i * PAGE), i, gen[i]);
	printf("@G MEM %s rounds=%lu writes=%lu bad=%lu checked=%lu\n",
	       nbad ? "bad" : "ok", rounds, writes, nbad, npages);
	fflush(stdout);
	return nbad ? 1 : 0;
}
