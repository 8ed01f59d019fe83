#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Loaded by name, the way an installed module is (modprobe, not insmod),
# on a host whose in-kernel KVM owns EL2: the load fails and dmesg has
# modkvm's one line saying why.
# usage: modprobe_refuse.sh      (modkvm.ko in cwd; the in-kernel KVM on)
. ./lib/tap.sh
dir=/lib/modules/$(uname -r)
mkdir -p "$dir/extra"
cp ./modkvm.ko "$dir/extra/"
depmod -a 2>/dev/null || echo "extra/modkvm.ko:" >"$dir/modules.dep"

dmesg_mark modprobe
if modprobe modkvm 2>/tmp/modprobe.err; then
	not_ok "modprobe modkvm: refused while the in-kernel KVM owns EL2"
	rmmod modkvm
else
	ok "modprobe modkvm: refused while the in-kernel KVM owns EL2"
fi
diag "modprobe: $(cat /tmp/modprobe.err)"
# One line per load attempt; busybox's modprobe makes two (finit_module,
# then init_module with the file read into memory): the same line twice.
lines=$(dmesg_modkvm modprobe | grep -v -e 'taints kernel' -e 'module verification failed' |
	sed 's/^\[[^]]*\] *//' | sort -u)
if [ "$(echo "$lines" | grep -c .)" -eq 1 ] &&
   echo "$lines" | grep -q 'refusing to load: .*the in-kernel KVM owns EL2'; then
	ok "modprobe modkvm: dmesg has the one line saying why"
	diag "$lines"
else
	not_ok "modprobe modkvm: dmesg has the one line saying why"
	diag "$lines"
fi
check "modprobe modkvm: nothing left loaded" sh -c '! grep -q "^modkvm " /proc/modules'
rm -f "$dir/extra/modkvm.ko"
tap_exit
