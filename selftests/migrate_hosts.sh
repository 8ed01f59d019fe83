#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Job script for the two servers of `testbed/run --pair --userland libvirt`:
# libvirt live migrates a busy guest from one emulated Arm host to the other
# over the link between them, and it goes on there.
#   - each server brings up its end of the link (10.0.9.1 on server a,
#     10.0.9.2 on b) and starts its own libvirtd, listening on TCP with no
#     authentication (libvirt's tcp transport: the testbed has no ssh server
#     or keys, and the link reaches nothing but the other server); each then
#     waits for the other's libvirtd to answer over the link;
#   - server a defines and starts the guest (lib/libvirt.sh's domain: no GIC
#     element), which checks its disk and network, fills three quarters of
#     its memory with memtouch's pattern and ticks a counter while memtouch
#     keeps rewriting it;
#   - `virsh migrate --live --copy-storage-all` moves it to server b (its
#     disk copied through b's NBD server); its migration time, downtime and
#     the data moved (virsh domjobinfo --completed) are printed;
#   - server b sees it running, its counter going on from the tick after the
#     last one server a printed (a tells b that number over the link:
#     nc on TCP port 7001) and no new boot;
#   - with MH_HOPS=2 server b then sends it back the same way, and a checks
#     it goes on again;
#   - the last host sends "go" on the guest's console (its pseudo-terminal),
#     and the guest checks every page of memtouch's pattern, reads back the
#     file it wrote to its disk before, and uses the network again (DHCP,
#     ping of user-mode networking's gateway), then powers off.
# Each job ends when its part is done; a host whose peer has gone (its job
# failed and its server powered off) stops waiting for it.  Prints TAP, its
# test names starting "server a: " or "server b: ".
#
# /dev/kvm: if it is missing and ./modkvm.ko exists, the module is loaded.
# Files: guest/Image, guest/initramfs.cpio.gz (userspace/guest/build),
# guest/disk.img (empty ext4), lib/*.sh.
# Environment: MH_SMP=2 MH_MEM=256 (MiB) MH_TIMEOUT=600 (seconds per wait)
# MH_HOPS=1 MH_KEEP=/tmp/migrate_hosts MH_MIGRATE_OPTS (more virsh migrate
# options).
. ./lib/tap.sh
. ./lib/libvirt.sh
. ./lib/guest.sh
. ./lib/pair.sh

SMP=${MH_SMP:-2}
MEM=${MH_MEM:-256}
TMO=${MH_TIMEOUT:-600}
HOPS=${MH_HOPS:-1}
KEEP=${MH_KEEP:-/tmp/migrate_hosts}
DOM=modkvm-mh
CON=/var/log/libvirt/qemu/$DOM-serial.log
IMG=/var/lib/libvirt/images/$DOM.img
PORT=7001
rm -rf "$KEEP"
mkdir -p "$KEEP"
T0=$(date +%s)
progress() { echo "# migrate_hosts $pair_side: [$(($(date +%s) - T0)) s] $*"; }
step_t=0
step() { step_t=$(date +%s); progress "$*"; }
took() { echo "$(($(date +%s) - step_t)) s"; }

pair_link_up "$KEEP"
tap_prefix="server $pair_side: "
peer_side=b
[ "$pair_side" = a ] || peer_side=a
v() { virsh -c qemu:///system "$@"; }
vp() { virsh -c "qemu+tcp://$pair_peer/system" "$@"; }
need_dev_kvm "$KEEP"
for c in libvirtd virsh qemu-system-aarch64 nc; do
	command -v $c >/dev/null || { not_ok "$c is installed (testbed --userland libvirt)"; exit 1; }
done
{
	echo "10.0.9.1 modkvm-a"
	echo "10.0.9.2 modkvm-b"
} >>/etc/hosts

# ------------------------------------------------------------ libvirtd
step "starting libvirtd, listening on TCP"
# Its own host UUID: there is no SMBIOS to take one from, and libvirt
# refuses to migrate between two hosts with the same.
uuid=$(cat /proc/sys/kernel/random/uuid)
LV_CONF_EXTRA="listen_tcp = 1
listen_tls = 0
auth_tcp = \"none\"
host_uuid = \"$uuid\""
lv_daemon_up "$KEEP" "$DOM" "libvirtd runs, listening on TCP" --listen
step "waiting for the other server's libvirtd"
peer_up() { vp version >"$KEEP/peer.version" 2>&1; }
if wait_for "$TMO" peer_up; then
	ok "the other server's libvirtd answers over the link ($(took))"
else
	not_ok "the other server's libvirtd answers over the link"
	diag "$(cat "$KEEP/peer.version")"
	exit 1
fi
# A disk of the same size at the same path: --copy-storage-all copies the
# guest's disk into it
cp guest/disk.img "$IMG"

# The console log of this host's QEMU, from line $1 on
con_from() { tail -n +"${1:-1}" "$CON" 2>/dev/null | tr -d '\r'; }
has() { con_from | grep -q "$1"; }
last_tick() { set -- $(guest_ticks "$CON"); echo "$2"; }
first_tick() { set -- $(guest_ticks "$CON"); echo "$1"; }
ticked() { _l=$(last_tick); [ "$_l" != - ] && [ "$_l" -ge "$1" ]; }
state_is() { [ "$(v domstate "$DOM" 2>/dev/null | head -n 1)" = "$1" ]; }

# send_guest: live migrate the running guest to the other server, tell it
# the last tick seen here
send_guest() {
	step "live migration to server $peer_side (virsh migrate --live --copy-storage-all)"
	# shellcheck disable=SC2086
	timeout -k 10 "$TMO" virsh -c qemu:///system migrate --live --copy-storage-all --persistent \
		--verbose ${MH_MIGRATE_OPTS:-} "$DOM" "qemu+tcp://$pair_peer/system" "tcp://$pair_peer" \
		>"$KEEP/migrate.out" 2>&1 &
	_mpid=$!
	# how it goes, every 30 s
	_n=0
	while kill -0 $_mpid 2>/dev/null; do
		sleep 1
		_n=$((_n + 1))
		[ $((_n % 30)) = 0 ] || continue
		progress "migrating: $(v domjobinfo "$DOM" 2>/dev/null | grep -E '^(Data processed|Data remaining|Memory bandwidth|Dirty rate|Iteration|File remaining)' | tr -s ' ' | tr '\n' ';')"
	done
	if wait $_mpid; then
		ok "virsh migrate --live --copy-storage-all to server $peer_side completed ($(took))"
	else
		not_ok "virsh migrate --live --copy-storage-all to server $peer_side completed"
		diag "$(tr '\r' '\n' <"$KEEP/migrate.out" | tail -n 5)"
		diag "$(grep -iE 'error|fail' "$KEEP/libvirtd.log" | tail -n 5)"
		diag "$(tail -n 5 "/var/log/libvirt/qemu/$DOM.log")"
		return 1
	fi
	if state_is "shut off" && [ "$(vp domstate "$DOM" 2>/dev/null | head -n 1)" = running ]; then
		ok "the guest runs on server $peer_side, off here"
	else
		not_ok "the guest runs on server $peer_side, off here"
		diag "here: $(v domstate "$DOM" 2>&1); there: $(vp domstate "$DOM" 2>&1)"
	fi
	v domjobinfo --completed "$DOM" >"$KEEP/jobinfo" 2>&1
	diag "$(grep -E '^(Time elapsed|Total downtime|Downtime|Data processed|Data total|Memory processed|Memory bandwidth|File processed|Dirty rate|Iteration|Postcopy)' "$KEEP/jobinfo")"
	_ms() { sed -n "s/^$1: *\\([0-9]*\\) *ms.*/\\1/p" "$KEEP/jobinfo"; }
	if [ -n "$(_ms 'Time elapsed')" ]; then
		echo "# migration $pair_side->$peer_side: total $(_ms 'Time elapsed') ms, downtime $(_ms 'Total downtime') ms, data $(sed -n 's/^Data processed: *//p' "$KEEP/jobinfo")"
	fi
	# the last tick before, for the other side (one connection), and the
	# console's last line if the guest was stopped in the middle of it
	# (its rest then comes out there, "CK 12" of "@G TICK 12")
	{ echo "last_tick=$(last_tick)"; echo "partial=$(guest_partial "$CON" | tr -d '\r')"; } >"$KEEP/handoff"
	timeout -k 5 "$TMO" nc -l -p "$PORT" <"$KEEP/handoff" >/dev/null 2>&1
}

# receive_guest: the guest arrives from the other server and goes on; 1 if
# it did not come (the other side says why)
peer_gone=0
arrived_or_peer_gone() {
	state_is running && return 0
	vp version >/dev/null 2>&1 && return 1
	peer_gone=1
}
receive_guest() {
	step "waiting for the guest from server $peer_side"
	_from=$(($( { wc -l <"$CON"; } 2>/dev/null || echo 0) + 1))
	wait_for "$TMO" arrived_or_peer_gone
	if ! state_is running; then
		diag "no guest came from server $peer_side ($([ $peer_gone = 1 ] && echo "it is gone" || echo "timeout")): $(v domstate "$DOM" 2>&1)"
		# what the incoming QEMU and libvirtd here said
		diag "$(grep -v '^-\|^[A-Z_]*=\|^ *-' "/var/log/libvirt/qemu/$DOM.log" 2>/dev/null | tail -n 12)"
		diag "$(grep -iE 'error' "$KEEP/libvirtd.log" | tail -n 6)"
		return 1
	fi
	ok "the guest from server $peer_side runs here ($(took))"
	_last=""
	get_last() {
		nc "$pair_peer" "$PORT" </dev/null >"$KEEP/handoff.in" 2>/dev/null
		_last=$(sed -n 's/^last_tick=//p' "$KEEP/handoff.in")
		[ -n "$_last" ]
	}
	wait_for 60 get_last || diag "server $peer_side did not say its last tick"
	_last=${_last:--}
	_partial=$(sed -n 's/^partial=//p' "$KEEP/handoff.in" 2>/dev/null)
	if [ "$_last" != - ] && wait_for "$TMO" ticked $((_last + 10)); then
		{ printf '%s' "$_partial"; con_from "$_from"; } >"$KEEP/arrived.log"
		set -- $(guest_ticks "$KEEP/arrived.log")
		if [ "$1" -le $((_last + 1)) ] && [ "$1" -ge "$_last" ]; then
			ok "its counter goes on from where it was (tick $_last there, then $1..$2 here)"
		else
			not_ok "its counter goes on from where it was"
			diag "last tick on server $peer_side $_last (then '$_partial'), here $1..$2: $(head -n 3 "$KEEP/arrived.log" | tr '\n' '|')"
		fi
	else
		not_ok "its counter goes on here"
		diag "last tick on server $peer_side $_last; here: $(guest_ticks "$CON" "$_from"); $(con_from "$_from" | tail -n 3)"
	fi
	if con_from "$_from" | grep -q '^@G BOOT '; then
		not_ok "no new boot here"
	else
		ok "no new boot here"
	fi
}

# check_guest: "go" on its console; the guest checks what it had before
check_guest() {
	step "go: the guest checks its memory, disk and network"
	pty=$(v ttyconsole "$DOM" 2>/dev/null)
	_pids=""
	if [ -c "$pty" ]; then
		# QEMU reads its end of the terminal only while this end is open
		# (it looks once a second): keep it open, read what the guest
		# writes there, and say "go" until the guest powers off.
		stty -F "$pty" raw -echo 2>/dev/null
		cat "$pty" >"$KEEP/pty.out" 2>&1 &
		_pids=$!
		(while :; do echo go; sleep 5; done) >"$pty" &
		_pids="$_pids $!"
	else
		not_ok "virsh ttyconsole names the console's terminal"
		diag "got '$pty'"
	fi
	if wait_for "$TMO" has '^@G POWEROFF'; then
		ok "the guest ran its checks and powered off ($(took))"
	else
		not_ok "the guest ran its checks and powered off"
		diag "$(tail -n 5 "$CON")"
	fi
	# shellcheck disable=SC2086
	kill $_pids 2>/dev/null
	guest_checks_after "after the migration" "$CON" '*dhcp=10.*ping=ok*'
}

# ------------------------------------------------------------ the guest
if [ "$pair_side" = a ]; then
	step "define, start the guest"
	TOKEN=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
	# The GIC libvirt picks with no GIC element is the host's: an
	# in-kernel GICv3 on the in-kernel KVM, QEMU's own GICv2 on modkvm
	# (no in-kernel GIC by default).  A guest cannot change GIC on the
	# way, so between two such hosts it has QEMU's own GICv2 on both.
	gic_of() { "$@" domcapabilities --virttype kvm --arch aarch64 --machine virt 2>/dev/null |
		grep -c "<gic supported='yes'"; }
	if [ "$(gic_of v)" != "$(gic_of vp)" ]; then
		LV_USER_GIC=1
		diag "one host has an in-kernel GIC, the other not: the guest gets QEMU's own GICv2 on both (<gic version='2'/>, -machine kernel_irqchip=off)"
	fi
	# The same pair, one host on the in-kernel KVM and one on modkvm:
	# QEMU's -cpu host takes SVE and the PMU where KVM offers them, which
	# modkvm does not, and a guest cannot lose them on the way: it gets
	# neither on both.
	if [ "${LV_USER_GIC:-0}" = 1 ]; then
		LV_NO_SVE_PMU=1
		diag "a mixed pair: the guest's CPU has no SVE and no PMU on both (<feature policy='disable' name='sve'/>, <pmu state='off'/>)"
	fi
	lv_domain_xml "$DOM" "$MEM" "$SMP" "$IMG" "$CON" \
		"console=ttyAMA0 rdinit=/init panic=-1 modkvm.token=$TOKEN modkvm.early=1 modkvm.ticks=1 modkvm.memtouch=1" \
		>"$KEEP/$DOM.xml"
	rm -f "$CON"
	if v define "$KEEP/$DOM.xml" >"$KEEP/define.out" 2>&1 && v start "$DOM" >"$KEEP/start.out" 2>&1; then
		ok "define and start the guest ($([ "${LV_USER_GIC:-0}" = 1 ] && echo "QEMU's own GICv2" || echo "no GIC element in its XML"); $(took))"
	else
		not_ok "define and start the guest"
		diag "$(cat "$KEEP/define.out" "$KEEP/start.out"; tail -n 10 "/var/log/libvirt/qemu/$DOM.log")"
		exit 1
	fi
	filled_and_ticking() { has '^@G MEM start' && ticked 10; }
	if wait_for "$TMO" filled_and_ticking; then
		ok "the guest boots, $(con_from | grep -m1 '^@G MEM start' | cut -c4-), ticks ($(took))"
		diag "before: $(con_from | grep -E '^@G (DISK|NET)' | tr '\n' ' ')"
	else
		not_ok "the guest boots, checks its disk and network, fills its memory, ticks"
		diag "$(tail -n 10 "$CON")"
		exit 1
	fi
fi
# Hop n (from 0) goes from a to b when n is even, back from b to a when odd.
hop=0
while [ $hop -lt "$HOPS" ]; do
	sender=a
	[ $((hop % 2)) = 0 ] || sender=b
	if [ "$pair_side" = "$sender" ]; then
		send_guest || exit 1
	else
		receive_guest || exit 1
	fi
	hop=$((hop + 1))
done
# The host where the guest is at the end has it check everything.
last=b
[ $((HOPS % 2)) = 1 ] || last=a
if [ "$pair_side" = "$last" ]; then
	check_guest
fi
progress "done"
tap_exit
