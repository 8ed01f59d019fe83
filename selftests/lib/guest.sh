# SPDX-License-Identifier: GPL-2.0
# What the demo guest (userspace/guest/init) prints on its console, read by
# the jobs that run it under QEMU or libvirt (busybox sh; with lib/tap.sh).

# guest_ticks FILE [FROM-LINE]: the first and last tick number on the
# console log FILE (from line FROM-LINE on), "- -" if none. A last line
# with no newline yet is not counted: the guest may have been stopped
# (saved, migrated) in the middle of it, "@G TICK 1" of "@G TICK 12", and
# the rest is then on the next QEMU's console (guest_partial).
guest_ticks() {
	tail -n +"${2:-1}" "$1" 2>/dev/null | tr -d '\r' |
		awk -v cut="$(guest_partial "$1" | wc -c)" '
		function tick() { n = t; if (f == "") f = n }
		/^@G TICK / { if (t != "") tick(); t = $3; next }
		{ if (t != "") tick(); t = "" }
		END { if (t != "" && cut == 0) tick()
		      print (f == "" ? "-" : f), (n == "" ? "-" : n) }'
}

# guest_partial FILE: the last line of the console log FILE if it has no
# newline yet (nothing otherwise)
guest_partial() {
	[ -n "$(tail -c 1 "$1" 2>/dev/null)" ] && tail -n 1 "$1"
}

# guest_checks_after WHAT FILE NET-PATTERN: after a "go", the guest's
# checks on what it had before, as its console log FILE shows them: the
# pattern memtouch kept in its memory, the file written to its disk at boot,
# and the network ("@G NET ..." matching the case pattern NET-PATTERN)
guest_checks_after() {
	_mem=$(tr -d '\r' <"$2" | grep -E '^@G MEM (ok|bad) ' | tail -n 1)
	case $_mem in
	"@G MEM ok "*) ok "$1: the pattern in the guest's memory is intact (${_mem#@G MEM ok })" ;;
	*) not_ok "$1: the pattern in the guest's memory is intact"
	   diag "$(tr -d '\r' <"$2" | grep '^@G MEM' | tail -n 5)" ;;
	esac
	if tr -d '\r' <"$2" | grep -q '^@G DISK again ok'; then
		ok "$1: the file the guest wrote to its disk before reads back"
	else
		not_ok "$1: the file the guest wrote to its disk before reads back"
		diag "$(tr -d '\r' <"$2" | grep '^@G DISK')"
	fi
	_net=$(tr -d '\r' <"$2" | grep '^@G NET ' | tail -n 1)
	# shellcheck disable=SC2254
	case $_net in
	$3) ok "$1: the network works (${_net#@G NET })" ;;
	*) not_ok "$1: the network works ($3)"; diag "guest: ${_net:-nothing}" ;;
	esac
}
