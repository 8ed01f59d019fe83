#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Job script (inside the emulated Arm server, `testbed/run --userland
# libvirt`): libvirt runs a guest on /dev/kvm from the XML a user writes
# (type kvm, machine virt, host-passthrough CPU, direct kernel boot, a
# virtio disk and network, no GIC element), through its whole life:
#   - libvirtd started by hand (no systemd), virsh talking to it;
#   - `virsh capabilities` offers KVM for aarch64, and `virsh
#     domcapabilities --virttype kvm` says what the kernel itself offers
#     for the GIC (asked of /dev/kvm by ./kvm_gic_probe);
#   - define; start; the console shows the guest (its serial log and
#     `virsh console` on a pseudo-terminal), which checks its disk and
#     network and then ticks a counter;
#   - dominfo and domstats figures are sane;
#   - suspend (the counter stands still) and resume (it goes on);
#   - reset: a second boot;
#   - shutdown: the guest takes the power key (QEMU's system_powerdown on a
#     device tree machine: gpio-keys) and powers off;
#   - start again; save to a file (the domain is then off) and restore: the
#     counter goes on from where it was; shutdown again;
#   - destroy (the domain running); undefine.
# What libvirt chose (GIC version, -machine, -cpu) is printed as "# ..."
# lines, and the time of each step.  Prints TAP.
#
# /dev/kvm: if it is missing and ./modkvm.ko exists, the module is loaded.
# Files: guest/Image, guest/initramfs.cpio.gz (userspace/guest/build),
# guest/disk.img (empty ext4), kvm_gic_probe, lib/tap.sh.
# Environment: LV_SMP=2 LV_MEM=256 (MiB) LV_TIMEOUT=300 (seconds per wait),
# LV_KEEP=/tmp/libvirt (XML, consoles, logs).
. ./lib/tap.sh
. ./lib/libvirt.sh
. ./lib/guest.sh

SMP=${LV_SMP:-2}
MEM=${LV_MEM:-256}
TMO=${LV_TIMEOUT:-300}
KEEP=${LV_KEEP:-/tmp/libvirt}
DOM=modkvm-lv
CON=/var/log/libvirt/qemu/$DOM-serial.log
QLOG=/var/log/libvirt/qemu/$DOM.log
IMG=/var/lib/libvirt/images/$DOM.img
URI=qemu:///system
rm -rf "$KEEP"
mkdir -p "$KEEP"
T0=$(date +%s)
progress() { echo "# libvirt: [$(($(date +%s) - T0)) s] $*"; }
v() { virsh -c "$URI" "$@"; }

need_dev_kvm "$KEEP"
for c in libvirtd virsh qemu-system-aarch64; do
	command -v $c >/dev/null || { not_ok "$c is installed (testbed --userland libvirt)"; exit 1; }
done

# The console log from line $1 on (default: all)
con_from() { tail -n +"${1:-1}" "$CON" 2>/dev/null | tr -d '\r'; }
con_lines() { wc -l <"$CON" 2>/dev/null || echo 0; }
# Ticks on the console from line $1 on: first and last ("- -" if none)
ticks() { guest_ticks "$CON" "$1"; }
last_tick() { set -- $(ticks "${1:-1}"); echo "$2"; }
first_tick() { set -- $(ticks "${1:-1}"); echo "$1"; }
ticked() {	# ticked FROM-LINE N: a tick >= N since FROM-LINE
	_l=$(last_tick "$1")
	[ "$_l" != - ] && [ "$_l" -ge "$2" ]
}
boots() { con_from | grep -c "^@G BOOT $TOKEN " || true; }
booted_n() { [ "$(boots)" -ge "$1" ]; }
state_is() { [ "$(v domstate "$DOM" 2>/dev/null | head -n 1)" = "$1" ]; }
step_t=0
step() { step_t=$(date +%s); progress "$*"; }
took() { echo "$(($(date +%s) - step_t)) s"; }

# ------------------------------------------------------------ libvirtd
step "starting libvirtd"
lv_daemon_up "$KEEP" "$DOM" "libvirtd runs and virsh talks to it"

# ------------------------------------------------------------ capabilities
step "virsh capabilities, domcapabilities --virttype kvm"
v capabilities >"$KEEP/caps.xml" 2>&1
# The aarch64 guest block must offer a domain of type kvm.
if awk '/<guest>/ { g = 1; a = 0 } g && /<arch name=.aarch64.>/ { a = 1 }
	g && a && /<domain type=.kvm./ { k = 1 } /<\/guest>/ { g = 0 } END { exit !k }' "$KEEP/caps.xml"; then
	ok "virsh capabilities: aarch64 guests with domain type kvm"
else
	not_ok "virsh capabilities: aarch64 guests with domain type kvm"
	diag "$(grep -E 'arch name|domain type' "$KEEP/caps.xml")"
fi
v domcapabilities --virttype kvm --arch aarch64 --machine virt >"$KEEP/domcaps.xml" 2>&1
if grep -q '<domain>kvm</domain>' "$KEEP/domcaps.xml" &&
	grep -q "<mode name='host-passthrough' supported='yes'" "$KEEP/domcaps.xml"; then
	ok "virsh domcapabilities: domain kvm, host-passthrough CPU supported ($(took))"
else
	not_ok "virsh domcapabilities: domain kvm, host-passthrough CPU supported"
	diag "$(head -n 30 "$KEEP/domcaps.xml")"
fi
# The GIC versions libvirt offers for kvm are those the kernel has (an
# in-kernel GIC): compare with what /dev/kvm itself answers.
probe=$(./kvm_gic_probe 2>&1)
diag "/dev/kvm ($who): $probe"
want=""
case $probe in *vgic_v2=yes*) want="$want 2" ;; esac
case $probe in *vgic_v3=yes*) want="$want 3" ;; esac
want=${want# }
gic=$(awk '/<gic supported=/ { g = 1; if ($0 ~ /supported=.no./) { print "no"; exit } }
	g && /<value>/ { gsub(/.*<value>|<\/value>.*/, ""); v = v (v == "" ? "" : " ") $0 }
	g && /<\/gic>/ { print v; exit }' "$KEEP/domcaps.xml")
diag "domcapabilities: $(awk '/<gic / { g = 1 } g { print } g && /<\/gic>|<gic .*\/>/ { exit }' "$KEEP/domcaps.xml" | tr -s ' \n' ' ')"
if [ -z "$want" ] && [ "$gic" = no ]; then
	ok "domcapabilities: <gic supported='no'/>, as the kernel has no in-kernel GIC"
elif [ -n "$want" ] && [ "$gic" = "$want" ]; then
	ok "domcapabilities: GIC versions '$gic', those the kernel offers"
else
	not_ok "domcapabilities: the GIC versions are those the kernel offers"
	diag "kernel: '${want:-none}', domcapabilities: '$gic'"
fi

# ------------------------------------------------------------ define
step "define"
TOKEN=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
cp guest/disk.img "$IMG"
lv_domain_xml "$DOM" "$MEM" "$SMP" "$IMG" "$CON" \
	"console=ttyAMA0 rdinit=/init panic=-1 modkvm.token=$TOKEN modkvm.early=1 modkvm.ticks=1 modkvm.powerkey=1" \
	>"$KEEP/$DOM.xml"
rm -f "$CON"
if v define "$KEEP/$DOM.xml" >"$KEEP/define.out" 2>&1; then
	ok "define: the domain XML has no GIC element"
else
	not_ok "define"
	diag "$(cat "$KEEP/define.out")"
	exit 1
fi
v dumpxml --inactive "$DOM" >"$KEEP/defined.xml" 2>&1
diag "libvirt chose at define: $(grep -E '<gic|<type arch' "$KEEP/defined.xml" | tr -s ' \n' ' ')"

# ------------------------------------------------------------ start, console
step "start"
if v start "$DOM" >"$KEEP/start.out" 2>&1; then
	ok "start ($(took))"
else
	not_ok "start"
	diag "$(cat "$KEEP/start.out"; tail -n 20 "$QLOG")"
	exit 1
fi
v dumpxml "$DOM" >"$KEEP/live.xml" 2>&1
diag "libvirt chose at start: $(grep -E '<gic' "$KEEP/live.xml" | tr -s ' \n' ' ')"
diag "QEMU: $(grep -o -- '-machine [^ ]*' "$QLOG" | tail -n 1) $(grep -o -- '-accel [^ ]*' "$QLOG" | tail -n 1) $(grep -o -- '-cpu [^ ]*' "$QLOG" | tail -n 1)"
if wait_for "$TMO" ticked 1 5; then
	ok "the console shows the guest: booted (token $TOKEN), ticking ($(took))"
else
	not_ok "the console shows the guest, booted and ticking"
	diag "$(tail -n 20 "$CON"; tail -n 10 "$QLOG")"
	exit 1
fi
con_from | grep -E '^@G (CPUS|DISK|NET|POWERKEY)' >"$KEEP/checks"
diag "$(cat "$KEEP/checks")"
if grep -q "^@G CPUS .*nproc=$SMP" "$KEEP/checks"; then ok "the guest has $SMP CPUs"; else not_ok "the guest has $SMP CPUs"; fi
if grep -q '^@G DISK ok' "$KEEP/checks"; then
	ok "the guest wrote its token to the virtio disk"
else
	not_ok "the guest wrote its token to the virtio disk"
fi
if grep -q '^@G NET dhcp=[0-9]' "$KEEP/checks"; then
	ok "the guest got a DHCP lease on the virtio network"
else
	not_ok "the guest got a DHCP lease on the virtio network"
fi
if grep -q '^@G POWERKEY fail' "$KEEP/checks"; then
	not_ok "the guest watches its power key"
fi
# The console's pseudo-terminal, where `virsh console` attaches (virsh
# itself wants a terminal of its own, which a job has not): the ticks show.
pty=$(v ttyconsole "$DOM" 2>/dev/null)
if [ -c "$pty" ]; then
	timeout -k 2 5 cat "$pty" >"$KEEP/pty.out" 2>&1
	if tr -d '\r' <"$KEEP/pty.out" | grep -q '^@G TICK '; then
		ok "the console's terminal ($pty, virsh ttyconsole) shows the guest's counter"
	else
		not_ok "the console's terminal (virsh ttyconsole) shows the guest's counter"
		diag "$pty: $(tail -c 300 "$KEEP/pty.out")"
	fi
else
	not_ok "virsh ttyconsole names the console's terminal"
	diag "got '$pty'"
fi

# ------------------------------------------------------------ dominfo, domstats
v dominfo "$DOM" >"$KEEP/dominfo" 2>&1
v domstats "$DOM" >"$KEEP/domstats" 2>&1
diag "$(tr -s ' ' <"$KEEP/dominfo" | grep -E '^(State|CPU\(s\)|CPU time|Max memory|Used memory):')"
field() { sed -n "s/^$1: *//p" "$KEEP/dominfo"; }
dstat() { sed -n "s/^ *$1=//p" "$KEEP/domstats"; }
cputime=$(field 'CPU time' | sed 's/s$//')
if [ "$(field State)" = running ] && [ "$(field 'CPU(s)')" = "$SMP" ] &&
	[ "$(field 'Max memory')" = "$((MEM * 1024)) KiB" ] &&
	awk -v t="$cputime" 'BEGIN { exit !(t > 0) }'; then
	ok "dominfo: running, $SMP CPUs, $MEM MiB, CPU time ${cputime}s"
else
	not_ok "dominfo: running, $SMP CPUs, $MEM MiB, CPU time > 0"
	diag "$(cat "$KEEP/dominfo")"
fi
diag "domstats: $(grep -E 'state.state|cpu.time|vcpu.current|balloon.maximum|block.count|net.count|block.0.path|block.0.wr.reqs|vcpu.0.exits.sum' "$KEEP/domstats" | tr -s ' \n' ' ')"
if [ "$(dstat state.state)" = 1 ] && [ "$(dstat vcpu.current)" = "$SMP" ] &&
	[ "$(dstat block.count)" = 1 ] && [ "$(dstat net.count)" = 1 ] &&
	[ "$(dstat block.0.path)" = "$IMG" ] && [ "$(dstat vcpu.0.state)" = 1 ] &&
	[ "$(dstat cpu.time)" -gt 0 ] 2>/dev/null && [ "$(dstat block.0.wr.reqs)" -gt 0 ] 2>/dev/null; then
	ok "domstats: running, $SMP vCPUs running, one NIC, one disk that was written, CPU time"
else
	not_ok "domstats: running, $SMP vCPUs running, one NIC, one disk that was written, CPU time"
	diag "$(cat "$KEEP/domstats")"
fi

# ------------------------------------------------------------ suspend, resume
step "suspend/resume"
v suspend "$DOM" >"$KEEP/suspend.out" 2>&1
sleep 1
t1=$(last_tick)
sleep 5
t2=$(last_tick)
if state_is paused && [ "$t1" = "$t2" ]; then
	ok "suspend: paused, the counter stands still (tick $t1 for 5 s)"
else
	not_ok "suspend: paused, the counter stands still"
	diag "state $(v domstate "$DOM"); ticks $t1 then $t2; $(cat "$KEEP/suspend.out")"
fi
v resume "$DOM" >"$KEEP/resume.out" 2>&1
if state_is running && wait_for "$TMO" ticked 1 $((t2 + 5)); then
	ok "resume: running, the counter goes on (tick $t2 -> $(last_tick); $(took))"
else
	not_ok "resume: running, the counter goes on"
	diag "state $(v domstate "$DOM"); last tick $(last_tick); $(cat "$KEEP/resume.out")"
fi

# ------------------------------------------------------------ reset
step "reset"
# the console from the second boot marker on
boot2() { con_from | grep -n "^@G BOOT $TOKEN " | sed -n '2s/:.*//p'; }
if v reset "$DOM" >"$KEEP/reset.out" 2>&1 && wait_for "$TMO" booted_n 2 &&
	from=$(boot2) && wait_for "$TMO" ticked "$from" 5 && [ "$(first_tick "$from")" = 0 ]; then
	ok "reset: a second boot, its counter from 0 again ($(took))"
else
	not_ok "reset: a second boot"
	diag "$(cat "$KEEP/reset.out"); boots $(boots); $(tail -n 5 "$CON")"
fi

# shutdown_check WHAT FILE: virsh shutdown (the power key); the guest must
# power off within $TMO s (virsh's output kept in $KEEP/FILE.out).
# On the in-kernel KVM (the reference, its own GIC) a guest that goes on
# ticking has missed the power key after a reset or a restore, in 3 of
# about 6 loaded runs on 2026-12-07: there a first miss is a TODO and a
# second press counts (reference_retry, lib/tap.sh). modkvm gets one press.
shutdown_press() {	# shutdown_press TRY WHAT FILE
	v shutdown "$DOM" >>"$KEEP/$3.out" 2>&1
	if wait_for "$TMO" state_is "shut off"; then
		ok "$2: the guest took the power key and powered off$([ "$1" = 1 ] || echo ", second press") ($(took))"
	else
		not_ok "$2: the guest took the power key and powered off"
		diag "$(cat "$KEEP/$3.out"); state $(v domstate "$DOM"); $(tail -n 5 "$CON")"
	fi
}
shutdown_check() {
	: >"$KEEP/$2.out"
	reference_retry "the reference missed the power key; a second press follows" \
		shutdown_press "$1" "$2"
}

# ------------------------------------------------------------ shutdown
step "shutdown"
shutdown_check shutdown shutdown
if grep -q '^@G POWERKEY uptime=' "$CON"; then
	ok "shutdown: the guest saw the power key"
else
	not_ok "shutdown: the guest saw the power key"
fi

# ------------------------------------------------------------ start again
step "start again"
if v start "$DOM" >"$KEEP/start2.out" 2>&1 && wait_for "$TMO" booted_n 3 &&
	from=$(con_from | grep -n "^@G BOOT $TOKEN " | sed -n '3s/:.*//p') &&
	wait_for "$TMO" ticked "$from" 5; then
	ok "start again: a third boot, ticking ($(took))"
else
	not_ok "start again: a third boot, ticking"
	diag "$(cat "$KEEP/start2.out"); boots $(boots); $(tail -n 5 "$CON")"
fi

# ------------------------------------------------------------ save, restore
step "save/restore"
if v save "$DOM" "$KEEP/$DOM.save" >"$KEEP/save.out" 2>&1 && state_is "shut off"; then
	ok "save: the domain is saved to a file ($(du -k "$KEEP/$DOM.save" | cut -f1) KiB) and off ($(took))"
else
	not_ok "save: the domain is saved to a file and off"
	diag "$(cat "$KEEP/save.out"); state $(v domstate "$DOM")"
fi
before=$(last_tick)
from=$(($(con_lines) + 1))
step "restore"
if v restore "$KEEP/$DOM.save" >"$KEEP/restore.out" 2>&1 && state_is running; then
	ok "restore: running again ($(took))"
else
	not_ok "restore: running again"
	diag "$(cat "$KEEP/restore.out"); $(tail -n 10 "$QLOG")"
fi
if wait_for "$TMO" ticked "$from" $((before + 10)); then
	first=$(first_tick "$from")
	if [ "$first" -le $((before + 1)) ] && [ "$first" -ge "$before" ]; then
		ok "restore: the counter goes on from where it was (tick $before, then $first..$(last_tick "$from"))"
	else
		not_ok "restore: the counter goes on from where it was"
		diag "last tick saved $before, first after restore $first"
	fi
else
	not_ok "restore: the guest goes on"
	diag "last tick saved $before; since: $(ticks "$from"); $(tail -n 5 "$CON")"
fi
if [ "$(boots)" = 3 ]; then ok "restore: no new boot"; else not_ok "restore: no new boot ($(boots) boots, 3 before)"; fi

# ------------------------------------------------------------ shutdown after restore
step "shutdown after restore"
shutdown_check "shutdown after restore" shutdown2

# ------------------------------------------------------------ destroy, undefine
step "destroy"
state_is running || v start "$DOM" >"$KEEP/start3.out" 2>&1
if state_is running &&
	qpid=$(cat "/run/libvirt/qemu/$DOM.pid") && kill -0 "$qpid" &&
	v destroy "$DOM" >"$KEEP/destroy.out" 2>&1 && state_is "shut off" &&
	! kill -0 "$qpid" 2>/dev/null; then
	ok "destroy a running domain: off, its QEMU gone ($(took))"
else
	not_ok "destroy a running domain: off, its QEMU gone"
	diag "$(cat "$KEEP/start3.out" "$KEEP/destroy.out" 2>&1); state $(v domstate "$DOM")"
fi
if v undefine "$DOM" >"$KEEP/undefine.out" 2>&1 && ! v list --all --name | grep -qx "$DOM"; then
	ok "undefine: the domain is gone"
else
	not_ok "undefine: the domain is gone"
	diag "$(cat "$KEEP/undefine.out")"
fi
if [ -s "$KEEP/libvirtd.log" ]; then
	diag "libvirtd's errors and warnings: $(wc -l <"$KEEP/libvirtd.log") lines; the first:"
	diag "$(head -n 5 "$KEEP/libvirtd.log")"
fi
progress "done"
tap_exit
