#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The modkvm-dkms package on a Debian arm64 userland with dkms, gcc, make,
# udev and the running kernel's headers (testbed userland "dkms"):
# installing it builds modkvm with DKMS for the running kernel, modprobe
# loads that build, udev gives /dev/kvm to group kvm with mode 0660, a
# guest runs (as a member of kvm), modprobe -r unloads it, modinfo
# documents every parameter, and removing the package removes the module.
# usage: bash dkms_install.sh DEB   (as root; prints TAP and the time of each step)
# bash, not busybox sh: the testbed's busybox sh would run its own dpkg,
# modprobe and stat applets instead of the real ones.
. ./lib/tap.sh
deb=$1
kver=$(uname -r)
t_all=$(date +%s)
step() { t_step=$(date +%s); }
took() { diag "$1: $(( $(date +%s) - t_step )) s"; }

if [ ! -d "/lib/modules/$kver/build" ]; then
	not_ok "the running kernel's headers are installed (/lib/modules/$kver/build)"
	exit 1
fi
ok "the running kernel's headers are installed (/lib/modules/$kver/build)"

# udev, as on any Debian host, to apply the package's rule.
/lib/systemd/systemd-udevd --daemon >/tmp/udevd.out 2>&1
udevadm control --ping -t 10 >/dev/null 2>&1
check "udevd runs" pgrep -x systemd-udevd
check "group kvm exists" grep -q '^kvm:' /etc/group

step
if dpkg -i "$deb" >/tmp/dpkg.out 2>&1; then
	ok "dpkg -i $(basename "$deb"): DKMS built and installed modkvm"
else
	not_ok "dpkg -i $(basename "$deb"): DKMS built and installed modkvm"
	diag "$(tail -40 /tmp/dpkg.out)"
	for l in /var/lib/dkms/modkvm/*/build/make.log; do [ -e "$l" ] && diag "$(tail -40 "$l")"; done
	exit 1
fi
took "dpkg -i (DKMS build for $kver)"
# (dpkg's notes on the test userland's packages, unpacked without file lists, left out)
diag "$(grep -v 'files list file for package' /tmp/dpkg.out | grep -iE 'dkms|sign|error|warning' | head -20)"
check "dpkg: modkvm-dkms is installed" sh -c "dpkg-query -W -f='\${Status}' modkvm-dkms | grep -qx 'install ok installed'"
st=$(dkms status modkvm 2>&1)
diag "dkms status: $st"
case $st in
*"modkvm/"*", $kver, "*": installed"*) ok "dkms status: modkvm installed for $kver" ;;
*) not_ok "dkms status: modkvm installed for $kver" ;;
esac
ko=$(modinfo -n modkvm 2>&1)
case $ko in
"/lib/modules/$kver/updates/dkms/modkvm.ko"*) ok "modinfo finds DKMS's build: $ko" ;;
*) not_ok "modinfo finds DKMS's build"; diag "$ko" ;;
esac
vm=$(modinfo -F vermagic modkvm 2>&1)
case $vm in
"$kver "*) ok "its vermagic is the running kernel's" ;;
*) not_ok "its vermagic is the running kernel's"; diag "$vm" ;;
esac
diag "signer: $(modinfo -F signer modkvm 2>/dev/null)"

# Every module_param of the shipped source: in modinfo and in modprobe.d.
src=$(ls -d /usr/src/modkvm-*/ | head -n 1)
params=$(grep -rhoE 'module_param(_named)?\([[:space:]]*[A-Za-z0-9_]+' "$src" |
	sed -E 's/.*\([[:space:]]*//' | sort -u)
if [ -n "$params" ]; then ok "the shipped source has module parameters: $(echo $params)"
else not_ok "the shipped source has module parameters"; fi
mi=$(modinfo -p modkvm 2>&1)
for p in $params; do
	if echo "$mi" | grep -q "^$p:.*[a-z]"; then ok "modinfo -p documents $p"
	else not_ok "modinfo -p documents $p"; diag "$mi"; fi
	check "/lib/modprobe.d/modkvm.conf documents $p" grep -q "^#options modkvm $p=" /lib/modprobe.d/modkvm.conf
done
check "udev rule installed" test -s /lib/udev/rules.d/65-modkvm.rules
check "modkvm-hostcheck installed" test -x /usr/sbin/modkvm-hostcheck
diag "$(modkvm-hostcheck 2>&1)"

step
check "modprobe modkvm" modprobe modkvm
took "modprobe"
udevadm settle -t 30 2>/dev/null
check "/dev/kvm exists" test -c /dev/kvm
perm=$(stat -c '%G %a' /dev/kvm 2>&1)
if [ "$perm" = "kvm 660" ]; then ok "/dev/kvm: group kvm, mode 0660"
else not_ok "/dev/kvm: group kvm, mode 0660"; diag "got: $perm"; fi
rules=$(udevadm test /devices/virtual/misc/kvm 2>&1 | grep -E '65-modkvm.rules' | head -5)
if [ -n "$rules" ]; then ok "udev applies 65-modkvm.rules to /dev/kvm"
else not_ok "udev applies 65-modkvm.rules to /dev/kvm"; fi

# A guest, as root and as a member of group kvm (not root).
sh ./run_progs.sh hello-vm
grep -q '^vmuser:' /etc/passwd || echo 'vmuser:x:1000:1000::/tmp:/bin/sh' >>/etc/passwd
if command -v setpriv >/dev/null; then
	run_as() { setpriv --reuid=1000 --regid=1000 --groups="$1" ./hello-vm; }
else
	run_as() { echo "no setpriv here"; return 1; }
fi
if run_as 36 >/tmp/user.out 2>&1; then ok "a member of group kvm (not root) runs a guest"
else not_ok "a member of group kvm (not root) runs a guest"; diag "$(tail -5 /tmp/user.out)"; fi

step
check "modprobe -r modkvm" modprobe -r modkvm
took "modprobe -r"
check "/dev/kvm gone" test ! -e /dev/kvm
check "modkvm not in /proc/modules" sh -c '! grep -q "^modkvm " /proc/modules'

step
if dpkg -r modkvm-dkms >/tmp/dpkg-r.out 2>&1; then ok "dpkg -r modkvm-dkms"
else not_ok "dpkg -r modkvm-dkms"; diag "$(tail -20 /tmp/dpkg-r.out)"; fi
took "dpkg -r"
check "the module file is gone" test ! -e "/lib/modules/$kver/updates/dkms/modkvm.ko"
check "dkms knows no modkvm" sh -c '[ -z "$(dkms status modkvm 2>/dev/null)" ]'
check "modprobe modkvm now fails" sh -c '! modprobe modkvm 2>/dev/null'
check "udev rule and modprobe.d file gone" sh -c '! test -e /lib/udev/rules.d/65-modkvm.rules && ! test -e /lib/modprobe.d/modkvm.conf'
diag "dkms job: $(( $(date +%s) - t_all )) s in all"
tap_exit
