# SPDX-License-Identifier: GPL-2.0
# TAP helpers for modkvm's shell selftests (busybox sh inside the Arm host).
# Numbering is left to the caller (run-all renumbers every line).

tap_failed=0

# tap_prefix (default empty) starts every test's name, e.g. "server a: "
ok() { echo "ok - ${tap_prefix:-}$*"; }
# tap_todo (default empty): while set, a failure is "not ok ... # TODO
# $tap_todo" (run-all lists it, counted as skipped) and counted in tap_todos
# instead: for a try that is made again, counted, when it fails
tap_todos=0
not_ok() {
	if [ -n "${tap_todo:-}" ]; then
		tap_todos=$((tap_todos + 1))
		echo "not ok - ${tap_prefix:-}$* # TODO $tap_todo"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok - ${tap_prefix:-}$*"
	fi
}
skip() { echo "ok - ${tap_prefix:-}$1 # SKIP $2"; }
diag() { echo "$*" | sed 's/^/# /'; }

# check NAME CMD...: run CMD, ok if it exits 0, else not ok with its output
check() {
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		ok "$_name"
	else
		not_ok "$_name"
		[ -n "$_out" ] && diag "$_out"
	fi
}

# modkvm's own lines in the kernel log since the marker was set
dmesg_modkvm() { dmesg | sed -n "/modkvm-test-marker-$1/,\$p" | grep 'modkvm: ' || true; }
dmesg_mark() { echo "modkvm-test-marker-$1" > /dev/kmsg; }

# on_modkvm: modkvm is the loaded hypervisor (else the in-kernel KVM, the
# reference, or none)
on_modkvm() { grep -q "^modkvm " /proc/modules; }

# reference_retry WHY CMD ARGS...: runs "CMD 1 ARGS..." (CMD prints TAP).
# On modkvm that is all. On the reference, whose own flakes under TCG are
# not ours to fail on, its failures are "# TODO $WHY" and, if it had any,
# "CMD 2 ARGS..." runs next, counted.
reference_retry() {
	_rr_why=$1 _rr_cmd=$2
	shift 2
	if on_modkvm; then
		"$_rr_cmd" 1 "$@"
		return
	fi
	_rr_t=$tap_todos
	tap_todo=$_rr_why
	"$_rr_cmd" 1 "$@"
	tap_todo=
	[ "$tap_todos" -eq "$_rr_t" ] || "$_rr_cmd" 2 "$@"
}

# wait_for SECONDS CMD...: poll CMD every 0.5 s; 1 on timeout
wait_for() {
	_end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.5
	done
}

# need_dev_kvm DIR: /dev/kvm, from ./modkvm.ko if it is not there yet (insmod's
# errors kept in DIR); ok naming who answers it (also left in $who), else not
# ok and the job stops.
need_dev_kvm() {
	if [ ! -e /dev/kvm ] && [ -e ./modkvm.ko ]; then
		insmod ./modkvm.ko 2>"$1/insmod.err" || diag "insmod: $(cat "$1/insmod.err")"
	fi
	if [ -c /dev/kvm ]; then
		if on_modkvm; then who="modkvm"; else who="the in-kernel KVM"; fi
		ok "/dev/kvm is there ($who)"
	else
		not_ok "/dev/kvm is there"
		exit 1
	fi
}

tap_exit() { [ "$tap_failed" -eq 0 ]; }

# QEMU's -cpu for a guest: "host", and on the in-kernel KVM (the
# reference) "host,pmu=off": modkvm offers no PMU, and the reference kernel
# (Debian 6.12.118 in the emulated server) crashed in perf while
# scheduling its vPMU's events (a WARNING in ctx_sched_in, then a NULL
# dereference in perf_ctx_sched_task_cb; seen twice, once in
# vpmu_counter_access on nVHE, once under libvirt in migrate-hosts-kvm)
reference_cpu() {
	if on_modkvm; then echo host; else echo host,pmu=off; fi
}
