// SPDX-License-Identifier: GPL-2.0
/*
 * modload: load a module with exactly one finit_module() call and print
 * the errno name on failure (busybox insmod retries with init_module,
 * which would make the module's refusal appear twice in dmesg).
 *
 * usage: modload FILE.ko [PARAMS]   exit 0 loaded, 1 refused (prints
 *   "E<name>"); PARAMS: the module parameters, one string ("a=1 b=2")
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: modload FILE.ko [PARAMS]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	if (syscall(SYS_finit_module, fd, argc == 3 ? argv[2] : "", 0)) {
		printf("%s\n", errno == ENODEV ? "ENODEV" :
		       errno == EEXIST ? "EEXIST" : strerror(errno));
		return 1;
	}
	return 0;
}
