// SPDX-License-Identifier: GPL-2.0
/*
 * netstream: one TCP stream, timed, for the vhost-net check and the
 * vhost_net_mbps benchmark (selftests/qemu_boot.sh QB_VHOST=1).
 *
 *   netstream recv PORT SECONDS   accept one connection within SECONDS,
 *                                 read it to its end, answer with the byte
 *                                 count, print "bytes=N secs=S mbps=M"
 *                                 (timed from the first byte to the end)
 *   netstream send IP PORT MIB    connect, send MIB MiB, shut the sending
 *                                 side, read the receiver's count, print
 *                                 "bytes=N secs=S mbps=M got=COUNT" (timed
 *                                 from connect to the receiver's answer)
 *
 * Exit status 0 on success; 1 with a message on stderr.  Built static into
 * the guest initramfs (userspace/guest/build); the emulated server runs the
 * same binary, taken from that initramfs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	(64 * 1024)

static char buf[CHUNK];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	fprintf(stderr, "netstream: %s: %s\n", what, strerror(errno));
	return 1;
}

static void result(unsigned long long bytes, double secs, const char *more)
{
	printf("bytes=%llu secs=%.3f mbps=%.1f%s\n", bytes, secs,
	       secs > 0 ? bytes * 8 / secs / 1e6 : 0.0, more);
}

static int recv_one(int port, int secs)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	unsigned long long bytes = 0;
	struct pollfd p;
	double t0 = 0;
	char ans[32];
	int one = 1, s, c, len;
	ssize_t n;

	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
		return fail("bind/listen");
	p.fd = s;
	p.events = POLLIN;
	if (poll(&p, 1, secs * 1000) != 1) {
		fprintf(stderr, "netstream: no connection within %d s\n", secs);
		return 1;
	}
	c = accept(s, NULL, NULL);
	if (c < 0)
		return fail("accept");
	while ((n = read(c, buf, sizeof(buf))) > 0) {
		if (!bytes)
			t0 = now();
		bytes += n;
	}
	if (n < 0)
		return fail("read");
	len = snprintf(ans, sizeof(ans), "%llu\n", bytes);
	if (write(c, ans, len) != len)
		return fail("write the count");
	result(bytes, bytes ? now() - t0 : 0, "");
	close(c);
	close(s);
	return 0;
}

static int send_one(const char *ip, int port, int mib)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	unsigned long long bytes = 0, want = (unsigned long long)mib << 20;
	char ans[64], more[80];
	double t0;
	ssize_t n;
	int s, len = 0;

	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		fprintf(stderr, "netstream: bad address %s\n", ip);
		return 1;
	}
	memset(buf, 0x5a, sizeof(buf));
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket");
	t0 = now();
	if (connect(s, (struct sockaddr *)&a, sizeof(a)))
		return fail("connect");
	while (bytes < want) {
		n = write(s, buf, want - bytes < CHUNK ? want - bytes : CHUNK);
		if (n <= 0)
			return fail("write");
		bytes += n;
	}
	if (shutdown(s, SHUT_WR))
		return fail("shutdown");
	while (len < (int)sizeof(ans) - 1 &&
	       (n = read(s, ans + len, sizeof(ans) - 1 - len)) > 0)
		len += n;
	ans[len] = 0;
	snprintf(more, sizeof(more), " got=%llu", strtoull(ans, NULL, 10));
	result(bytes, now() - t0, more);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "recv"))
		return recv_one(atoi(argv[2]), atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "send"))
		return send_one(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: netstream recv PORT SECONDS | send IP PORT MIB\n");
	return 2;
}
