#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# On a VHE host with the in-kernel KVM off: modkvm loads, registers
# /dev/kvm, answers it, and unloads leaving nothing behind. Loaded without
# parameters it offers the in-kernel GICv3 where the host's GIC is a GICv3
# (the kernel's GICv3 driver probed it), as the in-kernel KVM does;
# vgic_v3=0 is the userspace-GIC-only path.
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

# gic_path WHAT EXPECTED-PROBE DMESG-LINE MARK
gic_path() {
	probe=$(./kvm_gic_probe 2>&1)
	if [ "$probe" = "$2" ]; then ok "$1: $probe"
	else not_ok "$1"; diag "kvm_gic_probe: $probe; wanted: $2"; fi
	lines=$(dmesg_modkvm "$4")
	case "$lines" in
	*"$3"*) ok "$1: dmesg says \"$3\"" ;;
	*) not_ok "$1: dmesg says \"$3\""; diag "$lines" ;;
	esac
}
if dmesg | grep -q 'GICv3: CPU0: found redistributor'; then
	gic_path "default load on a GICv3 host: the in-kernel GICv3 offered (KVM_CAP_IRQCHIP, DEVICE_CTRL 1; VGIC_V3 yes, no VGIC_V2)" \
		"irqchip=1 device_ctrl=1 vgic_v2=no(ENODEV) vgic_v3=yes" "in-kernel GICv3 and ITS offered" load
	check "default load: parameter vgic_v3 reads Y" grep -qx Y /sys/module/modkvm/parameters/vgic_v3
else
	gic_path "default load on a host without a GICv3: no in-kernel GIC" \
		"irqchip=0 device_ctrl=0 vgic_v2=no(ENODEV) vgic_v3=no(ENODEV)" "vgic_v3=1 not honoured" load
fi

./dev_ioctl

# A held /dev/kvm keeps the module in place.
exec 3</dev/kvm
if rmmod modkvm 2>/dev/null; then not_ok "rmmod refused while /dev/kvm is open"
else ok "rmmod refused while /dev/kvm is open"; fi
exec 3<&-

check "rmmod modkvm" rmmod modkvm
check "/dev/kvm gone after unload" test ! -e /dev/kvm
dmesg_mark vgic0
check "load again after unload, with vgic_v3=0" insmod "$KO" vgic_v3=0
gic_path "vgic_v3=0: no in-kernel GIC (KVM_CAP_IRQCHIP 0), the userspace-GIC-only path" \
	"irqchip=0 device_ctrl=0 vgic_v2=no(ENODEV) vgic_v3=no(ENODEV)" "vgic_v3=0: no in-kernel GIC" vgic0
check "rmmod again" rmmod modkvm
tap_exit
