#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# On a VHE host with the in-kernel KVM off: modkvm loads, registers
# /dev/kvm, answers it, and unloads leaving nothing behind.
. ./lib/tap.sh
KO=${KO:-./modkvm.ko}

dmesg_mark load
if insmod "$KO" 2>/tmp/insmod.err; then ok "insmod modkvm.ko on a VHE host"
else not_ok "insmod modkvm.ko on a VHE host"; diag "$(cat /tmp/insmod.err)"; diag "$(dmesg | tail -5)"; exit 1; fi

lines=$(dmesg_modkvm load)
case "$lines" in
*"ready: /dev/kvm registered"*) ok "dmesg says modkvm is ready" ;;
*) not_ok "dmesg says modkvm is ready"; diag "$lines" ;;
esac
# Stage-2 forced write-back is used exactly when the kernel found it on
# every CPU (its own "CPU features" line).
if dmesg | grep -q 'CPU features: detected: Stage-2 Force Write-Back'; then fwb=on; else fwb=off; fi
case "$lines" in
*"stage-2 forced write-back $fwb"*) ok "dmesg: stage-2 forced write-back $fwb, as the kernel detected" ;;
*) not_ok "dmesg: stage-2 forced write-back $fwb, as the kernel detected"; diag "$lines" ;;
esac
check "/dev/kvm exists after load" test -c /dev/kvm
check "modkvm listed in /proc/modules" grep -q '^modkvm ' /proc/modules

./dev_ioctl

# A held /dev/kvm keeps the module in place.
exec 3</dev/kvm
if rmmod modkvm 2>/dev/null; then not_ok "rmmod refused while /dev/kvm is open"
else ok "rmmod refused while /dev/kvm is open"; fi
exec 3<&-

check "rmmod modkvm" rmmod modkvm
check "/dev/kvm gone after unload" test ! -e /dev/kvm
check "load again after unload" insmod "$KO"
check "rmmod again" rmmod modkvm
tap_exit
