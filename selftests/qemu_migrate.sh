#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Job script (inside the emulated Arm server, `testbed/run --full`): a
# running guest under upstream QEMU is rebuilt from its saved state in a
# new QEMU, a new process and a new VM, and must go on where it was:
#   1. save and restore: QEMU's monitor stops the guest and migrates it to
#      a file ("migrate exec:cat > FILE"); a second QEMU started with
#      -incoming from that file continues it ("cont");
#   2. live migration: that restored guest (its console counter ticking,
#      a loop rewriting 8 MiB of its memory) moves on to a third QEMU over
#      TCP on 127.0.0.1 while it runs; the destination goes on by itself.
#   3. live migration of a guest with a virtio disk and network whose
#      memory is mostly in use: memtouch (userspace/guest/memtouch.c)
#      rewrites three quarters of its free memory with a checkable pattern
#      while it runs; after the migration a "go" on its serial line has it
#      check every page of that pattern, read back the file it wrote to its
#      disk before and use the network again (DHCP, ping, HTTP to a
#      guestfwd peer);
#   4. the same with postcopy (userfaultfd on the destination): the guest
#      runs there while its memory still arrives (QM_POSTCOPY=0 leaves it
#      out).
# Each time its tick counter must continue on the new QEMU's console
# from the number after the last one the old QEMU printed, and keep going.
# Prints TAP ("ok - ..." / "not ok - ..."), and the migration's total
# time, downtime and transferred RAM as "# ..." lines.
#
# /dev/kvm: if it is missing and ./modkvm.ko exists, the module is loaded.
# Files: guest/Image, guest/initramfs.cpio.gz (userspace/guest/build),
# guest/disk.img (empty ext4), lib/tap.sh (the job dir that userspace/demo
# --make-job makes has them).
# Environment: QM_SMP=2 QM_MEM=256 QM_TIMEOUT=240 (seconds per wait),
# QM_GIC="gic-version=2,kernel_irqchip=off" (QEMU's GIC; "gic-version=3,its=off"
# puts the GICv3 in the kernel: modkvm loaded with vgic_v3=1 beforehand),
# QM_KEEP=/tmp/qemu_migrate (consoles, monitor logs, the state file),
# QM_POSTCOPY=1, QM_PCI=0 (1: the migrated disk and network are virtio-pci
# devices, their MSI-X through the GIC's ITS).
. ./lib/tap.sh
. ./lib/guest.sh

SMP=${QM_SMP:-2}
MEM=${QM_MEM:-256}
TMO=${QM_TIMEOUT:-240}
KEEP=${QM_KEEP:-/tmp/qemu_migrate}
PORT=4444
POSTCOPY=${QM_POSTCOPY:-1}
GIC=${QM_GIC:-gic-version=2,kernel_irqchip=off}
VDEV=device
[ "${QM_PCI:-0}" = 1 ] && VDEV=pci
rm -rf "$KEEP"
mkdir -p "$KEEP"
# (each step with the server's uptime: where a suite's minutes go)
progress() { echo "# qemu_migrate: $* (at $(cut -d' ' -f1 /proc/uptime) s)"; }

need_dev_kvm "$KEEP"
command -v qemu-system-aarch64 >/dev/null || { not_ok "qemu-system-aarch64 is installed (testbed --full)"; exit 1; }

# qemu_start NAME [QEMU-ARGS...]: a guest whose console goes to NAME.con
# and whose human monitor is a pipe chardev: commands to NAME.in (kept
# open on a file descriptor by the caller), answers in NAME.log.
# GUEST (default: a busy ticking guest) is the guest's own options; with
# SERIAL_IN=1 the serial line is a pipe chardev too, its input NAME.ser.in
# (stuck_diag's poke uses it).
GUEST="modkvm.ticks=1 modkvm.busy=1"
SERIAL_IN=1
qemu_start() {
	_n=$1
	shift
	mkfifo "$KEEP/$_n.in" "$KEEP/$_n.out"
	if [ "$SERIAL_IN" = 1 ]; then
		mkfifo "$KEEP/$_n.ser.in" "$KEEP/$_n.ser.out"
		set -- -chardev "pipe,id=ser,path=$KEEP/$_n.ser" -serial chardev:ser "$@"
	else
		set -- -serial "file:$KEEP/$_n.con" "$@"
	fi
	qemu-system-aarch64 -M "virt,$GIC" -cpu "$(reference_cpu)" -accel kvm -name "$_n,debug-threads=on" \
		-smp "$SMP" -m "$MEM" -nodefaults -display none -no-reboot \
		-chardev "pipe,id=mon,path=$KEEP/$_n" -mon chardev=mon,mode=readline \
		-kernel guest/Image -initrd guest/initramfs.cpio.gz \
		-append "console=ttyAMA0 rdinit=/init panic=-1 modkvm.token=migrate $GUEST" \
		"$@" 2>"$KEEP/$_n.err" &
	eval "pid_$_n=\$!"
	cat "$KEEP/$_n.out" >"$KEEP/$_n.log" &
	if [ "$SERIAL_IN" = 1 ]; then cat "$KEEP/$_n.ser.out" >"$KEEP/$_n.con" & fi
}
pid_of() { eval "echo \$pid_$1"; }
# thread_cpu NAME: the CPU time QEMU has used so far, in clock ticks:
# "VCPUS ALL", its vCPU threads' (named "CPU n/KVM" with debug-threads=on)
# and the whole process's, threads that have ended included (proc(5):
# utime and stime are the 12th and 13th fields after the name in
# parentheses, in /proc/PID/stat and /proc/PID/task/TID/stat)
thread_cpu() {
	{ cat /proc/"$(pid_of "$1")"/stat; cat /proc/"$(pid_of "$1")"/task/*/stat; } 2>/dev/null | awk '{
		n = $0; sub(/^[0-9]+ \(/, "", n); sub(/\) [^)]*$/, "", n)
		r = $0; sub(/^.*\) /, "", r); split(r, f, " "); t = f[12] + f[13]
		if (NR == 1) a = t; else if (n ~ /^CPU /) v += t
	} END { print v + 0, a + 0 }'
}
# cpu_used BEFORE AFTER: what thread_cpu's two answers say was used, in s
cpu_used() {
	echo "$1 $2" | awk -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" '{
		printf "%.2f s in its vCPU threads, %.2f s in the others (the migration thread among them)",
			($3 - $1) / hz, ($4 - $3 - $2 + $1) / hz }'
}
# vm_stats NAME: the exit and wake-up counters of QEMU's VM, as the
# hypervisor's debugfs shows them (kvm/PID-FD/; the same names on modkvm
# and the in-kernel KVM): whether its vCPUs still exit or wake at all
vm_stats() {
	for _n in exits halt_wakeup signal_exits mmio_exit_user mmio_exits; do
		for _f in /sys/kernel/debug/kvm/"$(pid_of "$1")"-*/"$_n"; do
			[ -r "$_f" ] && printf '%s=%s ' "$_n" "$(cat "$_f")"
		done
	done
}
# vcpu_state NAME: where each vCPU thread of QEMU waits (its kernel
# stack's top frames) and, on modkvm, each vCPU's interrupt lines, timers
# and wake-up timer (debugfs kvm/PID-FD/vcpus): why a sleeping vCPU is not
# woken. Read before anything kicks the vCPUs.
vcpu_state() {
	for _t in /proc/"$(pid_of "$1")"/task/*; do
		case $(cat "$_t/comm" 2>/dev/null) in "CPU "*) ;; *) continue ;; esac
		printf '%s: %s | ' "$(cat "$_t/comm")" \
			"$(head -n 4 "$_t/stack" 2>/dev/null | sed 's/^\[<[0-9a-f]*>\] //' | tr '\n' ' ')"
	done
	for _f in /sys/kernel/debug/kvm/"$(pid_of "$1")"-*/vcpus; do
		[ -r "$_f" ] && tr '\n' '|' <"$_f"
	done
}
# mon FD COMMAND: one monitor command
mon() { echo "$2" >&"$1"; }
# The tick numbers a console shows: first and last ("- -" if none)
ticks() { guest_ticks "$KEEP/$1.con"; }
last_tick() { set -- $(ticks "$1"); echo "$2"; }
first_tick() { set -- $(ticks "$1"); echo "$1"; }
ticked() { _l=$(last_tick "$1"); [ "$_l" != - ] && [ "$_l" -ge "$2" ]; }
alive() { kill -0 "$(pid_of "$1")" 2>/dev/null; }
# The monitor log with the line editor's echo taken out
monlog() { tr -d '\r' <"$KEEP/$1.log" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g'; }
mig_status() { monlog "$1" | sed -n 's/^Migration status: *//p' | tail -n 1; }
mig_done() {
	mon "$2" "info migrate"
	sleep 0.5
	case $(mig_status "$1") in completed | failed | cancelled) return 0 ;; esac
	return 1
}
mig_field() { monlog "$1" | sed -n "s/^$2: *//p" | tail -n 1; }
run_state() { monlog "$1" | sed -n 's/^VM status: *//p' | tail -n 1; }
status_is() {
	mon "$2" "info status"
	sleep 0.5
	[ "$(run_state "$1")" = "$3" ]
}
quit_qemu() {	# NAME FD
	mon "$2" quit 2>/dev/null
	wait_for 30 sh -c "! kill -0 $(pid_of "$1") 2>/dev/null" || kill -9 "$(pid_of "$1")" 2>/dev/null
}
# stuck_diag NAME: where a guest that does not go on is: QEMU's run state
# now, the CPU time of its vCPU threads over 2 s (a guest spinning or
# storming with interrupts, or asleep), each vCPU's PC, its stderr and the
# console's last lines; first, before anything kicks the vCPUs, where
# their threads wait and modkvm's view of their timers. The monitor's
# descriptor is found by its pipe.
stuck_diag() {
	_state=$(vcpu_state "$1")
	diag "vCPU threads and state: $_state"
	# modkvm's view: is it userspace's turn? No vCPU has an interrupt
	# line raised, every timer level has been told and one fires.
	_turn=$(echo "$_state" | tr '|' '\n' | awk '/^vcpu[0-9]/ {
		n++; for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		if (v["irq_lines"] != "0x0" || v["levels"] != v["reported"]) bad++
		if (v["levels"] != "0x0") firing++
	} END { print (n && !bad && firing) ? "userspace" : (n ? "kernel" : "unknown") }')
	_fd=$(for f in /proc/$$/fd/*; do
		[ "$(readlink "$f")" = "$KEEP/$1.in" ] && echo "${f##*/}"; done | head -n 1)
	if [ -n "$_fd" ]; then
		status_is "$1" "$_fd" running
		mon "$_fd" "info registers -a"
		sleep 1
	fi
	_c0=$(thread_cpu "$1")
	_s0=$(vm_stats "$1")
	sleep 2
	_c1=$(thread_cpu "$1")
	_s1=$(vm_stats "$1")
	diag "new QEMU: run state now $(run_state "$1"); over 2 s $(cpu_used "$_c0" "$_c1"); alive: $(alive "$1" && echo yes || echo no)"
	diag "its VM's counters (debugfs kvm/PID-FD), then 2 s later: ${_s0:-none}; ${_s1:-none}"
	diag "vCPU PCs: $(monlog "$1" | grep -oE '^ ?PC=[0-9a-f]+' | tail -n "$SMP" | tr -d ' ' | tr '\n' ' ')"
	diag "new QEMU's stderr: $(cat "$KEEP/$1.err")"
	diag "its console's last lines: $(tail -n 3 "$KEEP/$1.con" | tr '\n' '|')"
	# Then a change of one of QEMU's GIC inputs: a character on the
	# serial line (the PL011's receive interrupt, an SPI) has QEMU's GIC
	# recompute and signal the vCPUs' interrupt lines again. A guest
	# that goes on after it was waiting for a line QEMU thought raised;
	# one that does not lost more than that.
	# QEMU's lost line (see goes_on): it went on once QEMU's GIC
	# signalled its lines again, and, on modkvm, it was waiting for
	# userspace (on the in-kernel KVM, the reference, nothing says more)
	stuck_qemu_line=0
	if [ -p "$KEEP/$1.ser.in" ]; then
		_lt=$(last_tick "$1")
		[ "$_lt" = - ] && _lt=0
		echo 1<>"$KEEP/$1.ser.in"
		if wait_for 30 ticked "$1" $((_lt + 2)); then
			diag "after a GIC input change (a character on the serial line) it went on: ticks $(ticks "$1") (first last)"
			case $_turn in
			userspace) stuck_qemu_line=1 ;;
			unknown) on_modkvm || stuck_qemu_line=1 ;;
			esac
		else
			diag "after a GIC input change (a character on the serial line) still no tick in 30 s"
		fi
	fi
}
# goes_on OLD NEW WHAT: the counter goes on on NEW's console after OLD's.
#
# QEMU's GIC (kernel_irqchip=off) drives each vCPU's interrupt line with
# KVM_IRQ_LINE when its own state changes, and does not drive it again
# after loading a saved state (QEMU 7.2: no post-load update in its GICv2
# model, and the CPU's migrated line state is not given to the kernel).
# A guest stopped after its GIC raised a vCPU's line and before the vCPU
# took the interrupt (the timer's tick, most often) resumes with that
# interrupt pending in QEMU and the line low in the kernel: its vCPUs
# sleep in WFI until some other input of the GIC changes. That is QEMU's,
# the same on the in-kernel KVM; it is reported as a known gap (TODO)
# only when it is shown: the guest goes on at a character on the serial
# line (an SPI, which has QEMU's GIC drive its lines again) and, on
# modkvm, debugfs' vcpus showed the kernel waiting for userspace (no line
# raised, every timer level told). Anything else fails.
goes_on() {
	_last=$(last_tick "$1")
	if ! wait_for "$TMO" ticked "$2" $((_last + 10)); then
		stuck_diag "$2" >"$KEEP/$2.stuck"
		# shellcheck disable=SC2034 # tap_todo: lib/tap.sh's not_ok
		if [ $stuck_qemu_line = 1 ]; then
			tap_todo="QEMU's GIC does not drive the vCPUs' interrupt lines again after loading a state (QEMU's; also on the in-kernel KVM)"
		fi
		not_ok "$3: the guest goes on in the new QEMU"
		# shellcheck disable=SC2034
		tap_todo=
		diag "last tick before: $_last; after: $(ticks "$2") (first last)"
		cat "$KEEP/$2.stuck"
		[ $stuck_qemu_line = 1 ] || return 1
	else
		ok "$3: the guest goes on in the new QEMU (ticks $_last -> $(last_tick "$2"))"
	fi
	# a line the guest was writing when it stopped ends on NEW's console
	{ guest_partial "$KEEP/$1.con"; cat "$KEEP/$2.con"; } >"$KEEP/$2.joined"
	_first=$(guest_ticks "$KEEP/$2.joined" | cut -d' ' -f1)
	if [ "$_first" -le $((_last + 1)) ]; then
		ok "$3: its counter continues from where it was (first tick after: $_first)"
	else
		not_ok "$3: its counter continues from where it was"
		diag "last tick in the old QEMU $_last, first in the new one $_first"
	fi
}

# boot_ticking NAME FD CHECK: a new ticking guest, its monitor on FD;
# CHECK (the TAP line's text) says whether it boots and ticks; false if not
boot_ticking() {
	qemu_start "$1"
	eval "exec $2<>\"\$KEEP/$1.in\""
	if ! wait_for "$TMO" ticked "$1" 10; then
		not_ok "$3"
		diag "$(cat "$KEEP/$1.err"; tail -n 5 "$KEEP/$1.con")"
		return 1
	fi
	ok "$3 (tick $(last_tick "$1"))"
}

# ------------------------------------------------------------ 1. save, restore
progress "save/restore: starting the guest"
if ! boot_ticking A 5 "save/restore: the guest boots and ticks"; then
	quit_qemu A 5
	exit 1
fi
mon 5 stop
sleep 1
mon 5 "migrate \"exec:cat > $KEEP/state\""
if wait_for "$TMO" mig_done A 5 && [ "$(mig_status A)" = completed ]; then
	ok "save/restore: QEMU saved the stopped guest to a file ($(du -k "$KEEP/state" | cut -f1) KiB)"
else
	not_ok "save/restore: QEMU saved the stopped guest to a file"
	diag "migration status: $(mig_status A)"
fi
quit_qemu A 5
exec 5>&-
qemu_start B -incoming "exec:cat $KEEP/state"
exec 6<>"$KEEP/B.in"
if wait_for "$TMO" status_is B 6 paused; then
	ok "save/restore: a new QEMU loaded the state (paused)"
else
	not_ok "save/restore: a new QEMU loaded the state"
	diag "run state: $(run_state B); $(cat "$KEEP/B.err")"
fi
mon 6 cont
if wait_for 60 status_is B 6 running; then
	ok "save/restore: cont: the new QEMU runs"
else
	not_ok "save/restore: cont: the new QEMU runs"
	diag "run state: $(run_state B); $(monlog B | tail -n 3 | tr '\n' '|')"
fi
# ------------------------------------------------------------ 2. live migration
# The restored guest goes on to a third QEMU, live, over TCP: a guest that
# came from a file moves once more (and the suite boots one guest less).
# If it did not go on, a new guest is booted for this part.
if goes_on A B "save/restore"; then
	LSRC=B
	exec 7<&6
else
	quit_qemu B 6
	LSRC=C
	progress "live migration: starting a new source guest"
	if ! boot_ticking C 7 "live migration: the source guest boots and ticks"; then
		quit_qemu C 7
		LSRC=
	fi
fi
exec 6>&-
if [ -n "$LSRC" ]; then
	progress "live migration: from $LSRC to a new QEMU"
	qemu_start D -incoming "tcp:127.0.0.1:$PORT"
	exec 8<>"$KEEP/D.in"
	# its monitor answers once QEMU is up, its listening socket open
	wait_for 60 status_is D 8 "paused (inmigrate)" ||
		diag "the destination is not waiting: $(run_state D); $(cat "$KEEP/D.err")"
	mon 7 "migrate -d tcp:127.0.0.1:$PORT"
	if wait_for "$TMO" mig_done "$LSRC" 7 && [ "$(mig_status "$LSRC")" = completed ]; then
		ok "live migration: completed while the guest ran"
		diag "live migration: total time $(mig_field "$LSRC" 'total time'), downtime $(mig_field "$LSRC" downtime), transferred RAM $(mig_field "$LSRC" 'transferred ram')"
	else
		not_ok "live migration: completed while the guest ran"
		diag "migration status: $(mig_status "$LSRC"); $(cat "$KEEP/$LSRC.err" "$KEEP/D.err")"
	fi
	if wait_for 60 status_is D 8 running; then
		ok "live migration: the destination runs"
	else
		not_ok "live migration: the destination runs"
		diag "run state: $(run_state D)"
	fi
	goes_on "$LSRC" D "live migration"
	quit_qemu "$LSRC" 7
	quit_qemu D 8
	exec 8>&-
fi
exec 7>&-

# ------------------------------------------------------------ 3, 4. a full guest
# QEMU's guestfwd hands each TCP connection to 10.0.2.100:80 to this
# script: one HTTP/1.0 answer with a body the guest reports.
cat >"$KEEP/netsrv.sh" <<'EOF'
#!/bin/sh
while IFS= read -r l; do l=${l%"$(printf '\r')"}; [ -z "$l" ] && break; done
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nmodkvm-net=migrated\n'
EOF
GUEST="modkvm.early=1 modkvm.ticks=1 modkvm.memtouch=1"
SERIAL_IN=1
con() { tr -d '\r' <"$KEEP/$1.con" 2>/dev/null; }
has() { con "$1" | grep -q "$2"; }
filled_and_ticking() { has "$1" '^@G MEM start' && ticked "$1" 10; }
# quit_pair SRC DST: full_migration's two QEMUs ended, their monitors'
# descriptors (3, 4) closed
quit_pair() {
	quit_qemu "$1" 3
	quit_qemu "$2" 4
	exec 3>&- 4>&-
}
# full_migration WHAT SRC DST POSTCOPY: monitors on file descriptors 3, 4
full_migration() {
	_w=$1 _s=$2 _d=$3 _pc=$4
	progress "$_w: starting the source and the destination"
	cp guest/disk.img "$KEEP/disk.img"
	_dev="-drive file=$KEEP/disk.img,if=none,id=d0,format=raw -device virtio-blk-$VDEV,drive=d0"
	_dev="$_dev -device virtio-net-$VDEV,netdev=n0"
	[ "$VDEV" = pci ] && _dev="$_dev,romfile="
	_net="user,id=n0,guestfwd=tcp:10.0.2.100:80-cmd:/bin/sh $KEEP/netsrv.sh"
	# shellcheck disable=SC2086
	qemu_start "$_s" $_dev -netdev "$_net"
	exec 3<>"$KEEP/$_s.in"
	# shellcheck disable=SC2086
	qemu_start "$_d" $_dev -netdev "$_net" -incoming "tcp:127.0.0.1:$PORT"
	exec 4<>"$KEEP/$_d.in"
	# (memtouch says "start" once it has filled its area, the ticks go
	# on meanwhile)
	if ! wait_for "$TMO" filled_and_ticking "$_s"; then
		not_ok "$_w: the source guest boots, checks its disk and network, fills its memory, ticks"
		diag "$(cat "$KEEP/$_s.err"; tail -n 5 "$KEEP/$_s.con")"
		quit_pair "$_s" "$_d"
		return 1
	fi
	ok "$_w: the source guest boots, $(con "$_s" | grep -m1 '^@G MEM start' | cut -c4-), ticks"
	diag "$_w: before: $(con "$_s" | grep -E '^@G (DISK|NET)' | tr '\n' ' ')"
	if [ "$_pc" = 1 ]; then
		mon 3 "migrate_set_capability postcopy-ram on"
		mon 4 "migrate_set_capability postcopy-ram on"
	fi
	mon 3 "migrate_set_parameter max-bandwidth 1G"
	_cpu0=$(thread_cpu "$_s")
	mon 3 "migrate -d tcp:127.0.0.1:$PORT"
	if [ "$_pc" = 1 ]; then
		# a first pass of precopy, then the guest moves and its
		# remaining memory follows on demand
		sleep 3
		mon 3 "migrate_start_postcopy"
	fi
	if wait_for "$TMO" mig_done "$_s" 3 && [ "$(mig_status "$_s")" = completed ]; then
		ok "$_w: completed while the guest ran"
		diag "$_w: the source QEMU used $(cpu_used "$_cpu0" "$(thread_cpu "$_s")") meanwhile"
		diag "$_w: total time $(mig_field "$_s" 'total time'), downtime $(mig_field "$_s" downtime), transferred RAM $(mig_field "$_s" 'transferred ram'), throughput $(mig_field "$_s" throughput), dirty sync count $(mig_field "$_s" 'dirty sync count')$([ "$_pc" = 1 ] && echo ", postcopy requests $(mig_field "$_s" 'postcopy request count')")"
	else
		not_ok "$_w: completed while the guest ran"
		diag "migration status: $(mig_status "$_s"); $(cat "$KEEP/$_s.err" "$KEEP/$_d.err")"
		monlog "$_s" | grep -iE 'error|fail' | tail -n 3 | while read -r l; do diag "source monitor: $l"; done
	fi
	if wait_for 60 status_is "$_d" 4 running; then
		ok "$_w: the destination runs"
	else
		not_ok "$_w: the destination runs"
		diag "run state: $(run_state "$_d")"
	fi
	if ! goes_on "$_s" "$_d" "$_w"; then
		diag "$_w: the new QEMU is $(alive "$_d" && echo alive || echo gone); $(cat "$KEEP/$_d.err")"
		quit_pair "$_s" "$_d"
		return 1
	fi
	# The checks, in the destination. (Opened read-write: a FIFO opened
	# for writing alone would wait for ever for a QEMU that is gone.)
	echo go 1<>"$KEEP/$_d.ser.in"
	wait_for "$TMO" has "$_d" '^@G POWEROFF' || diag "$_w: no poweroff: $(tail -n 3 "$KEEP/$_d.con")"
	guest_checks_after "$_w" "$KEEP/$_d.con" '*dhcp=10.*ping=ok http=modkvm-net=migrated*'
	quit_pair "$_s" "$_d"
}
# On the in-kernel KVM (the reference, with QEMU's userspace GIC) a
# destination sometimes stops its guest's clock a tick or two after a
# migration of the busy guest, live or postcopy (3 runs in about 12 here;
# modkvm has not done so). The reference's first try is therefore a TODO
# when it fails, and a second try counts (reference_retry, lib/tap.sh);
# modkvm gets one try.
# migrate_try TRY WHAT POSTCOPY SRC DST SRC2 DST2
migrate_try() {
	if [ "$1" = 1 ]; then
		full_migration "$2" "$4" "$5" "$3"
	else
		full_migration "$2, second try" "$6" "$7" "$3"
	fi
}
migrate_once() {
	reference_retry "the reference failed a first try; a second one follows" migrate_try "$@"
}
migrate_once "live migration, disk, network, busy memory" 0 E F K L
[ "$POSTCOPY" = 1 ] && migrate_once "postcopy migration" 1 G H I J
progress "done"
tap_exit
