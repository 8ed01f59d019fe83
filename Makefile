# SPDX-License-Identifier: GPL-2.0
#
# modkvm top-level Makefile.
#
#   make            build modkvm.ko (KDIR=<kernel build dir> to override)
#   make check      run the test suite in the emulated Arm server
#   make demo       the main job: emulated Arm server, modkvm, a guest
#   make bench      modkvm vs the in-kernel KVM (QUICK=1 for a short run)
#   make W=1 / C=1  extra warnings / sparse, as for any kernel module

TESTBED := $(CURDIR)/selftests/testbed

ifeq ($(shell uname -m),aarch64)
KDIR ?= /lib/modules/$(shell uname -r)/build
else
KDIR ?= $(shell $(TESTBED)/kdir 6.12)
endif

.PHONY: all modules clean check demo bench help

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no KDIR: set KDIR=<kernel build dir>" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C selftests clean

check:
	@$(CURDIR)/selftests/run-all

demo:
	@$(CURDIR)/userspace/demo

bench:
	@$(CURDIR)/userspace/bench/run $(if $(QUICK),--quick) $(BENCH_ARGS)

help:
	@sed -n '3,10p' Makefile
