#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run TAP-printing test programs, one after the other, and pass their
# results on prefixed with the program's name. A program that dies or
# times out without reporting a failure is reported failed here.
# usage: run_progs.sh [-t SECONDS] [-s SUFFIX] PROG...   (or -l FILE)
# SUFFIX follows the program's name in its results (a second run of the
# same program under other conditions).
. ./lib/tap.sh
tmo=120
sfx=
if [ "$1" = -t ]; then tmo=$2; shift 2; fi
if [ "$1" = -s ]; then sfx=$2; shift 2; fi
if [ "$1" = -l ]; then
	set -- $(sed -e 's/#.*//' "$2")
fi

for p in "$@"; do
	out=/tmp/prog.$p.out
	timeout "$tmo" "./$p" >"$out" 2>&1
	rc=$?
	# TAP lines get the program name; everything else becomes diagnostics.
	awk -v p="$p$sfx" '
		/^not ok/ { sub(/^not ok( [0-9]+)?( -)? ?/, ""); print "not ok - " p ": " $0; bad++; tap++; next }
		/^ok/ { sub(/^ok( [0-9]+)?( -)? ?/, ""); print "ok - " p ": " $0; tap++; next }
		/^1\.\.|^TAP version/ { next }
		/^#/ { print; next }
		{ print "# " $0 }
		END { exit bad ? 1 : tap ? 0 : 2 }' "$out"
	reported=$?
	case $reported.$rc in
	2.0) ok "$p$sfx" ;;			# not a TAP program: its status
	2.*) not_ok "$p$sfx: exited with status $rc" ;;
	0.0|0.4|1.*) ;;
	*) not_ok "$p$sfx: exited with status $rc without reporting a failure" ;;
	esac
done
tap_exit
