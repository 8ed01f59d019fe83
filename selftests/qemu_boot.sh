#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Job script (inside the emulated Arm server, `testbed/run --full`): upstream
# QEMU boots a Linux guest on /dev/kvm, and every step is checked.  Prints
# TAP lines ("ok - ..." / "not ok - ..."), the guest console as "| ..."
# lines, and "# guest boot time: X s".
#
# /dev/kvm: if it is missing and ./modkvm.ko exists, the module is loaded.
# Files (relative to the cwd, usually /job): guest/Image (the guest kernel),
# guest/initramfs.cpio.gz (userspace/guest/build), guest/disk.img (empty
# ext4, modified in place).
# Environment (all optional):
#   QB_SMP=2 QB_MEM=512     guest vCPUs and MiB
#   QB_TIMEOUT=600          seconds before QEMU is killed
#   QB_GIC=2                -M virt,gic-version=...
#   QB_IRQCHIP=off          kernel_irqchip=... (off: QEMU's own GIC; "" = QEMU's default)
#   QB_PCI=0                1: the disk and the network as virtio-pci devices,
#                           and the guest must take MSIs through an ITS
#                           (ITS-* lines of its /proc/interrupts that counted)
#   QB_STRACE=auto          1: run QEMU under strace -f (ioctls); auto: if QEMU
#                           fails before the guest's boot marker, run it again
#                           under strace (QB_STRACE_TIMEOUT=120) and print the
#                           ioctl counts, failing calls and the trace's tail;
#                           0: never.  Under strace the guest is far too slow
#                           to boot (with the in-kernel KVM too).
#   QB_VHOST=0              1: a second NIC, virtio-net-pci (MSI-X) on
#                           -netdev tap,vhost=on: tun and vhost_net are loaded
#                           from the guest initramfs (lib/modules/server), QEMU
#                           makes the tap device qbtap0 (10.0.3.1/24 here) and
#                           must hold /dev/vhost-net open with a vhost worker
#                           thread; the guest sends QB_VHOST_MIB (8) MiB over
#                           TCP to netstream (from the initramfs) listening
#                           here; "# vhost-net stream: ... mbps=M" (timed by
#                           the receiver, first byte to end)
#   QB_MODARGS              parameters for insmod modkvm.ko (vgic_v3=1 for
#                           the in-kernel GIC)
#   QB_TOKEN                token written to the disk (default: random)
#   QB_KEEP=/tmp/qemu_boot  where console, stderr and strace files are kept
#   QB_RESET=0              1: drive QEMU's monitor (QMP on a pipe) during a
#                           first boot: "stop" (the guest's tick counter on
#                           the console must stand still), "cont" (it must go
#                           on, its clock not counting the pause), then
#                           "system_reset"; the checks above then apply to
#                           the second boot, which must bring up all vCPUs
#                           again.  QEMU then runs without -no-reboot (which
#                           turns a reset into an exit): a reboot the guest
#                           makes by itself shows as a third boot, and fails.
#   QB_PAUSE=5              seconds the guest stays stopped (QB_RESET=1)
#   QB_EXPECT=boot          refused: QEMU must refuse this machine at start,
#                           with QB_REFUSAL on its stderr (default: "host
#                           does not support in-kernel GICv2 emulation", what
#                           QEMU 7.2 says to gic-version=2 when KVM_CAP_IRQCHIP
#                           is 1 and KVM has no KVM_DEV_TYPE_ARM_VGIC_V2), exit
#                           non-zero within QB_TIMEOUT and boot nothing; no
#                           other check is made
#   QB_REBOOT=0             1: the guest reboots itself once (reboot -f, PSCI
#                           SYSTEM_RESET) before its disk check; QEMU runs
#                           without -no-reboot and must boot it again, with
#                           all vCPUs; the checks then apply to the second
#                           boot.  Not with QB_RESET=1.
if [ -r ./lib/tap.sh ]; then
	. ./lib/tap.sh
else
	tap_failed=0
	ok() { echo "ok - $*"; }
	not_ok() { tap_failed=$((tap_failed + 1)); echo "not ok - $*"; }
	diag() { echo "$*" | sed 's/^/# /'; }
	tap_exit() { [ "$tap_failed" -eq 0 ]; }
	on_modkvm() { grep -q "^modkvm " /proc/modules; }	# as in lib/tap.sh
	reference_cpu() {
		if on_modkvm; then echo host; else echo host,pmu=off; fi
	}
fi

SMP=${QB_SMP:-2}
MEM=${QB_MEM:-512}
TMO=${QB_TIMEOUT:-600}
GIC=${QB_GIC:-2}
PCI=${QB_PCI:-0}
IRQCHIP=${QB_IRQCHIP-off}
STRACE=${QB_STRACE:-auto}
KEEP=${QB_KEEP:-/tmp/qemu_boot}
RESET=${QB_RESET:-0}
PAUSE=${QB_PAUSE:-5}
REBOOT=${QB_REBOOT:-0}
EXPECT=${QB_EXPECT:-boot}
REFUSAL=${QB_REFUSAL:-host does not support in-kernel GICv2 emulation}
KERNEL=${QB_KERNEL:-guest/Image}
INITRD=${QB_INITRD:-guest/initramfs.cpio.gz}
DISK=${QB_DISK:-guest/disk.img}
TOKEN=${QB_TOKEN:-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')}
mkdir -p "$KEEP"
cr=$(printf '\r')

up() { cut -d' ' -f1 /proc/uptime; }
dt() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
progress() { echo "# qemu_boot: $*"; }

# ------------------------------------------------------------ /dev/kvm
if [ ! -e /dev/kvm ] && [ -e ./modkvm.ko ]; then
	progress "loading modkvm.ko"
	# shellcheck disable=SC2086
	insmod ./modkvm.ko ${QB_MODARGS:-} 2>"$KEEP/insmod.err" || diag "insmod: $(cat "$KEEP/insmod.err")"
fi
if [ -c /dev/kvm ]; then
	if on_modkvm; then who="modkvm"
	else who="the in-kernel KVM"; fi
	ok "/dev/kvm is there ($who)"
else
	not_ok "/dev/kvm is there"
	diag "$(dmesg | tail -n 10)"
	exit 1
fi
for f in "$KERNEL" "$INITRD" "$DISK"; do
	[ -s "$f" ] || { not_ok "guest file $f is there"; exit 1; }
done
command -v qemu-system-aarch64 >/dev/null || { not_ok "qemu-system-aarch64 is installed (testbed --full)"; exit 1; }

# ------------------------------------------------------------ network peer
# QEMU's guestfwd hands each TCP connection to 10.0.2.100:80 to this script
# (stdin/stdout = the connection): one HTTP/1.0 answer carrying a token.
NETTOKEN=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$KEEP/netsrv.sh" <<EOF
#!/bin/sh
while IFS= read -r l; do
	l=\${l%"$cr"}
	[ -z "\$l" ] && break
done
body="modkvm-net=$NETTOKEN"
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s\n' \$((\${#body} + 1)) "\$body"
echo served >>"$KEEP/netsrv.log"
EOF
chmod +x "$KEEP/netsrv.sh"

machine="virt,gic-version=$GIC"
[ -n "$IRQCHIP" ] && machine="$machine,kernel_irqchip=$IRQCHIP"
# QB_RESET=1: QMP on a pipe chardev ($KEEP/qmp.in and .out, FIFOs), the
# guest ticks on its console until it gets "go" on its serial line, and a
# reset is not turned into an exit.
if [ "$RESET" = 1 ] && [ "$REBOOT" = 1 ]; then
	echo "qemu_boot: QB_RESET=1 and QB_REBOOT=1 do not go together" >&2
	exit 2
elif [ "$RESET" = 1 ]; then
	set -- -chardev "pipe,id=qmp,path=$KEEP/qmp" -mon chardev=qmp,mode=control
	extra="modkvm.ticks=1"
elif [ "$REBOOT" = 1 ]; then
	set --
	extra="modkvm.reboot=1"
else
	set -- -no-reboot
	extra=""
fi
# The guest runs in an emulated server (TCG) which shares the host's 2
# cores with another one during make check: its vCPU can be starved for
# 20 s of wall time, which is all the soft-lockup watchdog allows by
# default (2 x watchdog_thresh). watchdog_thresh=60 (the most it takes)
# still reports a CPU stuck for 2 minutes, and the check below still
# fails on any BUG: line.
vdev=device
if [ "$PCI" = 1 ]; then
	vdev=pci
	extra="${extra:+$extra }modkvm.msi=1"
fi
# virtio-net-pci: no option ROM (the guest boots without firmware)
rom=; [ "$vdev" = pci ] && rom=,romfile=
# QB_VHOST=1: the server's side of the stream NIC (vhost_setup)
VHOST=${QB_VHOST:-0}
if [ "$VHOST" = 1 ]; then
	set -- "$@" -netdev tap,id=n1,ifname=qbtap0,script=no,downscript=no,vhost=on \
		-device virtio-net-pci,netdev=n1,mac=52:54:00:00:0b:02,romfile=
	extra="${extra:+$extra }modkvm.stream=${QB_VHOST_MIB:-8}"
fi
set -- qemu-system-aarch64 -M "$machine" -cpu "$(reference_cpu)" -accel kvm -smp "$SMP" -m "$MEM" \
	-nographic "$@" -pidfile "$KEEP/qemu.pid" \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=ttyAMA0 rdinit=/init panic=-1 watchdog_thresh=60 modkvm.token=$TOKEN${extra:+ $extra}" \
	-drive "file=$DISK,if=none,id=d0,format=raw" -device virtio-blk-$vdev,drive=d0 \
	-netdev "user,id=n0,guestfwd=tcp:10.0.2.100:80-cmd:/bin/sh $KEEP/netsrv.sh" \
	-device "virtio-net-$vdev,netdev=n0$rom"
progress "QEMU: $*"

# ------------------------------------------------------------ QB_RESET=1
# The monitor side, in the background while run_qemu reads the console:
# QMP commands go to fd 5 (qmp.in), answers and events arrive in qmp.log,
# the guest's serial input is fd 4.  Results are "ok NAME", "not_ok NAME"
# and "diag TEXT" lines in ctl.tap, turned into TAP after QEMU has exited.
res() { echo "$*" >>"$KEEP/ctl.tap"; }
alive() { kill -0 "$qpid" 2>/dev/null; }
# wait_for SECONDS CMD...: until CMD succeeds (polled); 1 on timeout or if QEMU is gone
wait_for() {
	_end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		alive && [ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.2
	done
}
# Boot markers so far, ticks since the last one, and the uptime of tick
# number $1 (of the last boot), as "BOOTS TICKS UPTIME".
tick_state() {
	awk -v b="@G BOOT $TOKEN " -v want="${1:--1}" '
		index($0, b) == 1 { boots++; n = 0; up = "-" }
		/^@G TICK / { if ($3 + 0 == want) { up = $4; sub(/^up=/, "", up) } n++ }
		END { print boots + 0, n + 0, (up == "" ? "-" : up) }' "$KEEP/console"
}
# ts [N]: tick_state into ts_boots, ts_ticks, ts_up
ts() {
	read -r ts_boots ts_ticks ts_up <<EOF
$(tick_state "$@")
EOF
}
# ticking BOOTS N: boot number BOOTS has printed at least N ticks
ticking() {
	ts
	[ "$ts_boots" -eq "$1" ] && [ "$ts_ticks" -ge "$2" ]
}
qmp_n=0
qmp_got() {
	qmp_reply=$(grep -m 1 "\"id\": *\"$1\"" "$KEEP/qmp.log")
	[ -n "$qmp_reply" ]
}
# qmp COMMAND: sends it, waits up to 30 s for its answer (in qmp_reply)
qmp() {
	qmp_n=$((qmp_n + 1))
	qmp_reply=""
	printf '{"execute": "%s", "id": "c%d"}\n' "$1" "$qmp_n" >&5
	wait_for 30 qmp_got "c$qmp_n"
}
qmp_ok() { qmp "$1" && case $qmp_reply in *'"return"'*) true ;; *) false ;; esac; }
# qmp_status: the run state, in qmp_st (not in a subshell: qmp_n counts)
qmp_status() {
	qmp_st=""
	qmp query-status || return 1
	qmp_st=$(echo "$qmp_reply" | sed -n 's/.*"status": *"\([a-z-]*\)".*/\1/p')
}
qmp_event() { grep -q "\"event\": *\"$1\"" "$KEEP/qmp.log"; }

monitor_ctl() {
	if ! wait_for "$TMO" ticking 1 5; then
		res "not_ok QMP: guest ticks on its console (first boot)"
		res "diag no 5 tick lines from the first boot; tick state: $(tick_state)"
		return
	fi
	if ! grep -q '"QMP"' "$KEEP/qmp.log" || ! qmp_ok qmp_capabilities; then
		res "not_ok QMP: greeting and qmp_capabilities"
		res "diag QMP said: $(head -c 300 "$KEEP/qmp.log")"
		qmp quit
		return
	fi

	# (a) stop: the vCPUs leave KVM_RUN and stay out; cont: they go on.
	progress "guest ticking: QMP stop for ${PAUSE}s"
	if qmp_ok stop && qmp_status && [ "$qmp_st" = paused ] && qmp_event STOP; then
		res "ok QMP stop: VM paused (query-status paused, STOP event)"
	else
		res "not_ok QMP stop: VM paused (query-status paused, STOP event)"
		res "diag last QMP answer: $qmp_reply"
	fi
	w_stop=$(up)
	sleep 1		# console lines already on their way
	ts
	t_a=$ts_ticks
	sleep "$PAUSE"
	ts
	t_b=$ts_ticks
	if [ "$t_a" = "$t_b" ]; then
		res "ok guest made no progress while stopped (tick counter at $t_b for ${PAUSE}s)"
	else
		res "not_ok guest made no progress while stopped"
		res "diag ticks went on from $t_a to $t_b while the VM was stopped"
	fi
	progress "QMP cont"
	w_cont=$(up)
	if qmp_ok cont && qmp_status && [ "$qmp_st" = running ] && qmp_event RESUME; then
		res "ok QMP cont: VM running again (query-status running, RESUME event)"
	else
		res "not_ok QMP cont: VM running again (query-status running, RESUME event)"
		res "diag last QMP answer: $qmp_reply"
	fi
	if wait_for 60 ticking 1 $((t_b + 5)); then
		ts $((t_b - 1))
		u1=$ts_up
		ts "$t_b"
		u2=$ts_up
		res "ok guest makes progress again after cont (ticks $t_b -> $ts_ticks)"
		# QEMU saves the virtual counter (KVM_REG_ARM_TIMER_CNT) at stop
		# and writes it back at cont: the guest's clock skips the pause.
		# The last tick before it and the first after it are at least
		# the pause apart in real time (from stop's answer to cont): a
		# guest clock that counted the pause shows no less.  A stopped
		# one shows about a tick period (0.2 s and the loop's own time,
		# which is long on a loaded machine).
		wall=$(dt "$w_stop" "$w_cont")
		gap=$(awk -v a="$u1" -v b="$u2" 'BEGIN { printf "%.2f", b - a }')
		per=$(awk -v a="$(tick_state 0 | cut -d' ' -f3)" -v b="$u1" -v n="$((t_b - 1))" \
			'BEGIN { if (n > 0) printf "%.2f", (b - a) / n; else print "-" }')
		if awk -v g="$gap" -v w="$wall" 'BEGIN { exit !(g >= 0 && g < w) }'; then
			res "ok guest clock stood still while stopped (uptime +$gap s between ticks across a $wall s pause; tick period $per s)"
		else
			res "not_ok guest clock stood still while stopped"
			res "diag guest uptime $u1 -> $u2 (+$gap s) across a $wall s pause (tick period $per s)"
		fi
	else
		res "not_ok guest makes progress again after cont"
		res "diag tick state (boots, ticks, -): $(tick_state)"
		qmp quit
		return
	fi

	# (b) system_reset: KVM_ARM_VCPU_INIT again on every vCPU, registers
	# written back, secondaries off until the new kernel's PSCI CPU_ON.
	ts
	progress "QMP system_reset (guest at tick $ts_ticks)"
	up >"$KEEP/t_reset"
	if qmp_ok system_reset && wait_for 10 qmp_event RESET &&
		grep '"event": *"RESET"' "$KEEP/qmp.log" | grep -q '"guest": *false'; then
		res "ok QMP system_reset accepted (RESET event, not guest-initiated)"
	else
		res "not_ok QMP system_reset accepted (RESET event, not guest-initiated)"
		res "diag system_reset answer: $qmp_reply; events: $(grep -o '"event": *"[A-Z_]*"' "$KEEP/qmp.log" | tr '\n' ' ')"
	fi
	if wait_for "$TMO" ticking 2 2; then
		res "ok guest booted a second time after system_reset and ticks"
		printf 'go\n' >&4
		progress "second boot ticking: sent \"go\" on its serial line"
	else
		res "not_ok guest booted a second time after system_reset and ticks"
		res "diag tick state (boots, ticks, -): $(tick_state)"
		qmp quit
	fi
}

# ------------------------------------------------------------ QB_VHOST=1
# Before QEMU: the modules and the receiver from the guest initramfs. While
# it runs (vhost_side, in the background): the tap device's address, what
# QEMU holds open, and netstream's result in $KEEP/stream.
vhost_setup() {
	rm -rf "$KEEP/vh"
	mkdir -p "$KEEP/vh"
	(cd "$KEEP/vh" && gzip -dc "$OLDPWD/$INITRD" | cpio -id 'lib/modules/server/*' bin/netstream 2>/dev/null)
	for m in $(cat "$KEEP/vh/lib/modules/server/load-order" 2>/dev/null); do
		[ -d "/sys/module/$m" ] || insmod "$KEEP/vh/lib/modules/server/$m.ko" 2>>"$KEEP/vh/insmod.err"
	done
	if [ -c /dev/vhost-net ] && [ -c /dev/net/tun ] && [ -x "$KEEP/vh/bin/netstream" ]; then
		ok "vhost-net: /dev/vhost-net and /dev/net/tun here (modules $(tr '\n' ' ' <"$KEEP/vh/lib/modules/server/load-order"))"
	else
		not_ok "vhost-net: /dev/vhost-net and /dev/net/tun here"
		diag "$(cat "$KEEP/vh/insmod.err" 2>/dev/null); $(ls -l /dev/vhost-net /dev/net/tun "$KEEP/vh/bin/netstream" 2>&1)"
	fi
}
vhost_side() {
	rm -f "$KEEP/stream" "$KEEP/stream.err" "$KEEP/vhost.fds"
	"$KEEP/vh/bin/netstream" recv 5201 "$TMO" >"$KEEP/stream" 2>"$KEEP/stream.err" &
	echo $! >"$KEEP/vh/netstream.pid"
	_i=0
	until ip link show qbtap0 >/dev/null 2>&1 || [ $_i -ge "$TMO" ]; do sleep 0.5; _i=$((_i + 1)); done
	ip addr add 10.0.3.1/24 dev qbtap0 && ip link set qbtap0 up
	# What QEMU holds while the stream lasts: /dev/vhost-net fds, and the
	# vhost worker (a thread of QEMU's since 6.4, a kernel thread before),
	# named vhost-<QEMU's pid>; the most seen.
	_f=0 _w=0
	while kill -0 "$(cat "$KEEP/vh/netstream.pid")" 2>/dev/null; do
		_q=$(cat "$KEEP/qemu.pid" 2>/dev/null)
		if [ -n "$_q" ]; then
			_n=$(ls -l "/proc/$_q/fd" 2>/dev/null | grep -c vhost-net)
			[ "$_n" -gt "$_f" ] && _f=$_n
			_n=$(cat /proc/[0-9]*/comm "/proc/$_q/task/"*/comm 2>/dev/null | grep -c "^vhost-$_q\$")
			[ "$_n" -gt "$_w" ] && _w=$_n
			printf 'fds: %s\nworkers: %s\n' "$_f" "$_w" >"$KEEP/vhost.fds"
		fi
		sleep 1
	done
}

# run_qemu TIMEOUT STRACE(0|1): boots once; sets qrc, t_start, t_marker, timed_out
run_qemu() {
	_tmo=$1 _st=$2
	shift 2
	rm -f "$KEEP/qemu.pid" "$KEEP/timedout" "$KEEP/console" "$KEEP/netsrv.log" "$KEEP/fifo" \
		"$KEEP/ctl.tap" "$KEEP/qmp.in" "$KEEP/qmp.out" "$KEEP/qmp.log" "$KEEP/serial.in" "$KEEP/t_reset"
	mkfifo "$KEEP/fifo"
	: >"$KEEP/console"
	t_start=$(up) t_marker="" t_marker2="" nboot=0
	_in=/dev/null
	if [ "$RESET" = 1 ]; then
		# QEMU opens the pipe chardev's FIFOs read-write; so do we, so
		# that no open blocks whoever starts first.
		mkfifo "$KEEP/qmp.in" "$KEEP/qmp.out" "$KEEP/serial.in"
		: >"$KEEP/qmp.log"
		exec 5<>"$KEEP/qmp.in" 4<>"$KEEP/serial.in"
		cat "$KEEP/qmp.out" >>"$KEEP/qmp.log" &
		catpid=$!
		[ "$_st" = 1 ] || _in=$KEEP/serial.in
	fi
	if [ "$_st" = 1 ]; then
		strace -f -tt -e trace=ioctl,exit_group -o "$KEEP/strace" "$@" <"$_in" >"$KEEP/fifo" 2>"$KEEP/qemu.err" &
	else
		"$@" <"$_in" >"$KEEP/fifo" 2>"$KEEP/qemu.err" &
	fi
	qpid=$!
	# Watchdog: QEMU exits 0 on SIGTERM, so a timeout is flagged in a file.
	(
		sleep "$_tmo"
		touch "$KEEP/timedout"
		for sig in TERM KILL; do
			[ -s "$KEEP/qemu.pid" ] && kill -$sig "$(cat "$KEEP/qemu.pid")"
			kill -$sig "$qpid"
			sleep 5
		done
	) >/dev/null 2>&1 &
	wpid=$!
	ctlpid=""
	vhpid=""
	if [ "$VHOST" = 1 ]; then
		vhost_side </dev/null &
		vhpid=$!
	fi
	if [ "$RESET" = 1 ] && [ "$_st" = 0 ]; then
		monitor_ctl </dev/null &
		ctlpid=$!
	fi
	while IFS= read -r line; do
		line=${line%"$cr"}
		echo "$line" >>"$KEEP/console"
		case $line in
		"@G TICK "*)	# one in 25 (5 s) on the output
			_n=${line#@G TICK }
			_n=${_n%% *}
			[ $((_n % 25)) = 0 ] && echo "| $line" ;;
		*) echo "| $line" ;;
		esac
		case $line in
		"@G BOOT $TOKEN "*)
			nboot=$((nboot + 1))
			if [ $nboot = 1 ]; then
				t_marker=$(up)
				progress "guest boot marker after $(dt "$t_start" "$t_marker") s (QEMU start -> guest /init)"
			else
				t_marker2=$(up)
				progress "guest boot marker #$nboot after $(dt "$(cat "$KEEP/t_reset" 2>/dev/null || echo "$t_start")" "$t_marker2") s ($([ "$REBOOT" = 1 ] && echo "guest's reboot" || echo system_reset) -> guest /init)"
			fi ;;
		"@G REBOOT "*)
			up >"$KEEP/t_reset" ;;
		esac
	done <"$KEEP/fifo"
	wait "$qpid"
	qrc=$?
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	if [ -n "$ctlpid" ]; then
		kill "$ctlpid" 2>/dev/null
		wait "$ctlpid" 2>/dev/null
	fi
	if [ -n "$vhpid" ]; then
		kill "$(cat "$KEEP/vh/netstream.pid" 2>/dev/null)" "$vhpid" 2>/dev/null
		wait "$vhpid" 2>/dev/null
	fi
	if [ "$RESET" = 1 ]; then
		kill "$catpid" 2>/dev/null
		wait "$catpid" 2>/dev/null
		exec 4>&- 5>&-
	fi
	t_end=$(up)
	timed_out=0
	[ -e "$KEEP/timedout" ] && timed_out=1
	progress "QEMU exited with status $qrc after $(dt "$t_start" "$t_end") s$([ $timed_out = 1 ] && echo " (killed: timeout ${_tmo}s)")"
	touch "$KEEP/console"
}

guest() { sed -n "s/^@G $1 //p" "$KEEP/console" | head -n 1; }
# The CPUS reports (one per boot), cut to "online=... nproc=N": a kernel
# message may land on the console right behind the guest's line.
guest_cpus() {
	sed -n 's/^@G CPUS \(online=[0-9,-]* nproc=[0-9]*\).*/\1/p' "$KEEP/console"
}

if [ "$EXPECT" = refused ]; then
	# QEMU stops while it builds the machine (virt's GIC choice): no
	# guest, no strace re-run
	run_qemu "$TMO" 0 "$@"
	if [ "$timed_out" = 0 ] && [ "$qrc" != 0 ] && [ -z "$t_marker" ] &&
		grep -qF "$REFUSAL" "$KEEP/qemu.err"; then
		ok "QEMU -M $machine refused at start (exit $qrc): \"$REFUSAL\""
	else
		not_ok "QEMU -M $machine refused at start: \"$REFUSAL\""
		diag "QEMU exit status $qrc, timeout $timed_out, boot marker ${t_marker:-none}"
		diag "QEMU stderr: $(head -c 600 "$KEEP/qemu.err")"
	fi
	tap_exit
	exit
fi
[ "$VHOST" = 1 ] && vhost_setup
if [ "$STRACE" = 1 ]; then run_qemu "$TMO" 1 "$@"; else run_qemu "$TMO" 0 "$@"; fi

# ------------------------------------------------------------ verdicts
if [ -s "$KEEP/qemu.err" ]; then
	diag "QEMU stderr:"
	diag "$(head -n 30 "$KEEP/qemu.err")"
fi
if [ -n "$t_marker" ]; then
	ok "guest booted: /init ran (boot marker seen)"
	echo "# guest boot time: $(dt "$t_start" "$t_marker") s"
else
	not_ok "guest booted: /init ran (boot marker seen)"
	echo "# guest boot time: - s"
fi

cpus=$(guest_cpus | head -n 1)
if [ "$SMP" -eq 1 ]; then want_online=0; else want_online="0-$((SMP - 1))"; fi
if [ "$cpus" = "online=$want_online nproc=$SMP" ]; then ok "guest has $SMP CPUs online ($cpus)"
else not_ok "guest has $SMP CPUs online"; diag "guest said: ${cpus:-nothing}"; fi

# The second boot (QB_RESET=1, QB_REBOOT=1): its time, exactly two boots
# (check named $1), and all vCPUs online again after $2.
second_boot() {
	[ -n "$t_marker2" ] && [ -s "$KEEP/t_reset" ] &&
		echo "# guest reboot time: $(dt "$(cat "$KEEP/t_reset")" "$t_marker2") s"
	if [ "$nboot" = 2 ]; then ok "$1"
	else not_ok "$1"; diag "boot markers: $nboot"; fi
	cpus2=$(guest_cpus | sed -n 2p)
	if [ "$cpus2" = "online=$want_online nproc=$SMP" ]; then
		ok "after $2: guest has $SMP CPUs online again ($cpus2)"
	else
		not_ok "after $2: guest has $SMP CPUs online again"
		diag "second boot said: ${cpus2:-nothing}"
	fi
}

if [ "$RESET" = 1 ]; then
	if [ -s "$KEEP/ctl.tap" ]; then
		while IFS= read -r l; do
			case $l in
			"ok "*) ok "${l#ok }" ;;
			"not_ok "*) not_ok "${l#not_ok }" ;;
			"diag "*) diag "${l#diag }" ;;
			esac
		done <"$KEEP/ctl.tap"
	else
		not_ok "QMP: the monitor side ran"
	fi
	second_boot "guest booted exactly twice (no reboot of its own)" system_reset
fi

if [ "$REBOOT" = 1 ]; then
	nreboot=$(grep -c '^@G REBOOT ' "$KEEP/console")
	if [ "$nreboot" = 1 ]; then ok "guest rebooted itself once (reboot -f: PSCI SYSTEM_RESET)"
	else not_ok "guest rebooted itself once (reboot -f: PSCI SYSTEM_RESET)"; diag "REBOOT markers: $nreboot"; fi
	second_boot "QEMU reset the machine: the guest booted a second time, and only then" \
		"the guest's reboot"
fi

disk=$(guest DISK)
if [ "$disk" = ok ]; then ok "guest wrote a file to ext4 on virtio-blk"
else not_ok "guest wrote a file to ext4 on virtio-blk"; diag "guest said: ${disk:-nothing}"; fi

got=$(debugfs -R 'cat /token.txt' "$DISK" 2>/dev/null)
if [ "$got" = "modkvm-demo token=$TOKEN" ]; then ok "disk content verified outside the guest (debugfs: $got)"
else not_ok "disk content verified outside the guest"; diag "debugfs cat /token.txt: ${got:-nothing}"; fi
if [ "$disk" != ok ]; then echo "ok - ext4 image is clean after the guest (e2fsck -fn) # SKIP the guest did not write it"
elif e2fsck -fn "$DISK" >"$KEEP/e2fsck.out" 2>&1; then ok "ext4 image is clean after the guest (e2fsck -fn)"
else not_ok "ext4 image is clean after the guest (e2fsck -fn)"; diag "$(tail -n 8 "$KEEP/e2fsck.out")"; fi

if [ "$PCI" = 1 ]; then
	msi=$(guest MSI)
	case $msi in
	"its="[1-9]*) ok "virtio-pci devices interrupt through the ITS (MSI-X): ${msi%% *} vectors took interrupts" ;;
	*) not_ok "virtio-pci devices interrupt through the ITS (MSI-X)"; diag "guest said: ${msi:-nothing}" ;;
	esac
fi

if [ "$VHOST" = 1 ]; then
	st=$(guest STREAM)
	rx=$(cat "$KEEP/stream" 2>/dev/null)
	want=$(( ${QB_VHOST_MIB:-8} * 1048576 ))
	case $st in
	"ok bytes=$want "*" got=$want"*)
		case $rx in
		"bytes=$want "*)
			ok "vhost-net: the guest sent $want bytes over TCP, all received here (${rx##* })"
			echo "# vhost-net stream: $rx (receiver); guest: ${st#ok }" ;;
		*) not_ok "vhost-net: the guest sent $want bytes over TCP, all received here"
			diag "receiver: ${rx:-nothing} $(head -c 200 "$KEEP/stream.err" 2>/dev/null)" ;;
		esac ;;
	*) not_ok "vhost-net: the guest sent $want bytes over TCP, all received here"
		diag "guest said: ${st:-nothing}; receiver: ${rx:-nothing} $(head -c 200 "$KEEP/stream.err" 2>/dev/null)" ;;
	esac
	fds=$(sed -n 's/^fds: //p' "$KEEP/vhost.fds" 2>/dev/null)
	wk=$(sed -n 's/^workers: //p' "$KEEP/vhost.fds" 2>/dev/null)
	if [ "${fds:-0}" -ge 1 ] && [ "${wk:-0}" -ge 1 ]; then
		ok "vhost-net: QEMU holds /dev/vhost-net open ($fds) and its vhost worker runs ($wk)"
	else
		not_ok "vhost-net: QEMU holds /dev/vhost-net open and its vhost worker runs"
		diag "/dev/vhost-net fds: ${fds:-?}, vhost-<pid> threads: ${wk:-?}"
	fi
fi

net=$(guest NET)
case $net in
"dhcp=10.0.2."*) ok "network: DHCP lease from QEMU's user-mode stack (${net%% *})" ;;
*) not_ok "network: DHCP lease from QEMU's user-mode stack"; diag "guest said: ${net:-nothing}" ;;
esac
case $net in
*" http=modkvm-net=$NETTOKEN"*) ok "network: HTTP round trip guest -> 10.0.2.100:80 -> guestfwd command" ;;
*) not_ok "network: HTTP round trip guest -> 10.0.2.100:80 -> guestfwd command"; diag "guest said: ${net:-nothing}" ;;
esac
case $net in
*" ping=ok "*) diag "network: ICMP echo to the gateway 10.0.2.2 answered (informational)" ;;
*) diag "network: ICMP echo to the gateway 10.0.2.2 not answered (informational, not a check)" ;;
esac

if [ $timed_out = 0 ] && [ "$qrc" = 0 ] && [ -n "$(guest POWEROFF)" ] &&
	! grep -qE 'Kernel panic|Oops|BUG:|WARNING: CPU' "$KEEP/console"; then
	ok "guest powered off (PSCI SYSTEM_OFF) and QEMU exited 0"
else
	not_ok "guest powered off (PSCI SYSTEM_OFF) and QEMU exited 0"
	diag "QEMU exit status $qrc, timeout $timed_out, poweroff line: $(guest POWEROFF)"
	diag "$(grep -m 3 -E 'Kernel panic|Oops|BUG:|WARNING: CPU' "$KEEP/console")"
fi

# ------------------------------------------------------------ diagnostics
if [ "$tap_failed" -gt 0 ]; then
	diag "emulated server's kernel log (tail):"
	diag "$(dmesg | tail -n 25)"
	# strace slows KVM_RUN/KVM_IRQ_LINE so much (ptrace stops, in an emulated
	# server) that the guest does not boot under it, with either KVM: the
	# re-run is only for failures before the boot marker (setup, early boot).
	if [ "$STRACE" = auto ] && [ -z "$t_marker" ] && command -v strace >/dev/null; then
		stmo=${QB_STRACE_TIMEOUT:-120}
		[ "$stmo" -gt "$TMO" ] && stmo=$TMO
		progress "failed: running QEMU again under strace (timeout ${stmo}s) to see the failing ioctl"
		run_qemu "$stmo" 1 "$@" >"$KEEP/strace-run.out"
		grep '^# qemu_boot' "$KEEP/strace-run.out"
		diag "QEMU stderr (strace run): $(head -n 10 "$KEEP/qemu.err")"
	fi
fi
if [ -s "$KEEP/strace" ]; then
	diag "strace: ioctl calls by request (count, failed):"
	diag "$(sed -nE 's/.*ioctl\([0-9]+, ([^,]+),.*\) += (-?[0-9]+).*/\1|\2/p; s/.*ioctl\([0-9]+, ([^,<]*[^ ,<]).*<unfinished.*/\1|?/p' "$KEEP/strace" |
		awk -F'|' '{ n[$1]++; if ($2 == -1) f[$1]++ } END { for (k in n) printf "%7d %7d  %s\n", n[k], f[k], k }' | sort -nr)"
	if [ "$tap_failed" -gt 0 ]; then
		diag "strace -f (ioctls), failing calls:"
		diag "$(grep -E '= -1 ' "$KEEP/strace" | grep -v 'EINTR\|EAGAIN' | tail -n 15)"
		diag "strace -f (ioctls), last 30 lines:"
		diag "$(tail -n 30 "$KEEP/strace")"
	fi
fi
tap_exit
