# SPDX-License-Identifier: GPL-2.0
#
# modkvm top-level Makefile.
#
#   make            build modkvm.ko (KDIR=<kernel build dir> to override)
#   make check      run the test suite in the emulated Arm server
#                   (MODKVM_SUITES="vhe nvhe" a subset; MODKVM_JOBS=1 one at a time)
#   make check-virt virt/ holds no arm64 code (also part of make check)
#   make demo       the main job: emulated Arm server, modkvm, a guest
#   make bench      modkvm vs the in-kernel KVM (QUICK=1 for a short run, MODE=nvhe on nVHE)
#   make W=1 / C=1  extra warnings / sparse, as for any kernel module
#   make deb / rpm  the DKMS packages, into dist/ (userspace/mkpkg)

TESTBED := $(CURDIR)/selftests/testbed

# modkvm's version, the one place it is kept: the .deb, the .rpm and their
# dkms.conf take it from here (make version prints it).
VERSION := 0.1.0

# KDIR: from the command line or the environment; else, on an arm64 host,
# the running kernel's build dir; else left empty and the recipes that
# build ask selftests/testbed/kdir for Debian's arm64 6.12 headers (fetched
# into $(MODKVM_CACHE) the first time, then cached). Nothing is looked up
# while parsing: `make help` or `make check` never fetch a kernel here.
ifeq ($(origin KDIR),undefined)
ifeq ($(shell uname -m),aarch64)
KDIR := /lib/modules/$(shell uname -r)/build
endif
endif

# Shell snippet: set $$kdir, fetching the arm64 headers if need be, or say
# in one line why not and what to do.
define find_kdir
kdir='$(KDIR)'; \
if [ -z "$$kdir" ]; then \
	kdir=$$($(TESTBED)/kdir --cached 6.12 2>/dev/null) || { \
	echo "make: no KDIR given: fetching Debian's arm64 6.12 kernel headers (selftests/testbed/kdir 6.12)" >&2; \
	kdir=$$($(TESTBED)/kdir 6.12) || { \
	echo "make: could not get the arm64 kernel headers (the reason is above): run selftests/testbed/prepare as root, or set KDIR=<kernel build dir>" >&2; \
	exit 1; }; }; \
fi; \
[ -e "$$kdir/Makefile" ] || { \
	echo "make: KDIR=$$kdir is not a kernel build dir (no Makefile there): install the headers (apt install linux-headers-$$(uname -r)) or set KDIR=<kernel build dir>" >&2; \
	exit 1; }
endef

.PHONY: all modules clean check check-virt demo bench help version deb rpm

all: modules

modules:
	@$(find_kdir); \
	echo "$(MAKE) -C $$kdir M=$(CURDIR) modules"; \
	$(MAKE) -C "$$kdir" M=$(CURDIR) modules

# Without a KDIR at hand (none given, none cached), clean by name.
clean:
	@kdir='$(KDIR)'; \
	[ -n "$$kdir" ] || kdir=$$($(TESTBED)/kdir --cached 6.12 2>/dev/null) || kdir=; \
	if [ -n "$$kdir" ] && [ -e "$$kdir/Makefile" ]; then \
		$(MAKE) -C "$$kdir" M=$(CURDIR) clean; \
	else \
		echo "make clean: no KDIR: removing the build outputs by name"; \
		find . -path ./selftests -prune -o \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
			-o -name '*.mod.c' -o -name '.*.cmd' \) -type f -print0 | xargs -0r rm -f; \
		rm -f modules.order Module.symvers; \
	fi
	$(MAKE) -C selftests clean

check:
	@$(CURDIR)/selftests/run-all

check-virt:
	@$(CURDIR)/selftests/check-virt-arch-free

demo:
	@$(CURDIR)/userspace/demo

bench:
	@$(CURDIR)/userspace/bench/run $(if $(MODE),--mode $(MODE)) $(if $(QUICK),--quick) $(BENCH_ARGS)

version:
	@echo $(VERSION)

deb rpm:
	@$(CURDIR)/userspace/mkpkg $@ $(CURDIR)/dist

help:
	@sed -n '3,12p' Makefile
