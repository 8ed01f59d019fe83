#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# modkvm refuses to load on a host it cannot serve: -ENODEV, exactly one
# clear line in dmesg, nothing left registered.
# usage: refuse.sh CASE PATTERN [MODULE-PARAMETERS]
. ./lib/tap.sh
KO=${KO:-./modkvm.ko}
what=$1
pattern=$2
params=${3:-}

had_kvm=no
[ -e /dev/kvm ] && had_kvm=yes

dmesg_mark "$what"
if ./modload "$KO" "$params" >/tmp/insmod.err; then
	not_ok "$what: load refused"
	rmmod modkvm
	exit 1
fi
ok "$what: load refused"
check "$what: finit_module error is ENODEV" grep -qx ENODEV /tmp/insmod.err

# The kernel's own notes on loading an unsigned out-of-tree module are not ours.
lines=$(dmesg_modkvm "$what" | grep -v -e 'taints kernel' -e 'module verification failed')
n=$(echo "$lines" | grep -c .)
if [ "$n" -eq 1 ]; then ok "$what: exactly one modkvm line in dmesg"
else not_ok "$what: exactly one modkvm line in dmesg"; diag "$lines"; fi
diag "dmesg: $lines"
if echo "$lines" | grep -q "refusing to load: .*$pattern"; then ok "$what: dmesg says why"
else not_ok "$what: dmesg says why ($pattern)"; fi

check "$what: modkvm not in /proc/modules" sh -c "! grep -q '^modkvm ' /proc/modules"
if [ $had_kvm = yes ]; then
	check "$what: /dev/kvm still there (the in-kernel one)" test -c /dev/kvm
else
	check "$what: no /dev/kvm left behind" test ! -e /dev/kvm
fi
tap_exit
