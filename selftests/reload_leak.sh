#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 50 load/use/unload cycles leave no leak: no slab cache grows by one
# object per cycle, and MemFree and vmalloc usage come back.
. ./lib/tap.sh
KO=${KO:-./modkvm.ko}
N=${RELOADS:-50}
# MODKVM_ARGS: module parameters for insmod

cycle() {
	# shellcheck disable=SC2086
	insmod "$KO" ${MODKVM_ARGS:-} || return 1
	./dev_ioctl >/dev/null || { rmmod modkvm; return 1; }
	rmmod modkvm
}

# The same steps with a module that does nothing (dev_ioctl then finds no
# /dev/kvm, but the process is created and reaped all the same).
control_cycle() {
	insmod ./control.ko || return 1
	./dev_ioctl >/dev/null 2>&1
	rmmod control
}

# Exact counts need the caches' debugging (slub_debug=U: each object
# allocated and freed on its slab, none parked in per-CPU slabs, whose
# objects all count as in use); without it a count moves by whole slabs
# with whatever else runs.
if [ "$(cat /sys/kernel/slab/kmalloc-128/store_user 2>/dev/null)" = 1 ]; then
	acct="exact counts: slub_debug=U" shrink=0
else
	acct="counts by whole slabs: no slub_debug" shrink=1
fi

# Without exact counts, every cache is shrunk first (SLUB keeps freed
# objects in per-CPU slabs), so that the counts are of objects closer to
# really in use. With them, not: each of those writes opens a sysfs
# file, whose objects are freed later (seen with slub_debug=U: kmalloc-96
# or -128 moving by about one object per cache, some 170, from one look
# to the next, kernfs_fop_open's), and would be the noise itself.
# Objects freed after an RCU grace period (closed files on 6.1, where filp
# is not yet SLAB_TYPESAFE_BY_RCU, and kfree_rcu()'s kmalloc objects) can
# take seconds on a loaded server: wait (up to 15 s) until no cache's
# count of objects in use moves by more than 8 between two looks a second
# apart (some always move a little: the looks' own processes, the
# kernel's workers), far below the verdict's step of $N objects.
active() { awk 'NR > 2 { print $1, $2 }' /proc/slabinfo; }
settle() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	active >/tmp/slab.prev
	_k=0 _moving=
	while [ $_k -lt 15 ]; do
		sleep 1
		if [ "$shrink" = 1 ]; then
			for f in /sys/kernel/slab/*/shrink; do echo 1 > "$f" 2>/dev/null; done
		fi
		active >/tmp/slab.now
		_moving=$(awk 'NR == FNR { c[$1] = $2; next }
			{ d = $2 - c[$1]; if (d > 8 || d < -8) printf "%s %+d ", $1, d }' \
			/tmp/slab.prev /tmp/slab.now)
		mv /tmp/slab.now /tmp/slab.prev
		[ -z "$_moving" ] && break
		_k=$((_k + 1))
	done
	[ -z "$_moving" ] || diag "slab counts still moving after 15 s: $_moving"
}
# name, active objects, object size, objects per slab
slab() { awk 'NR > 2 { print $1, $2, $4, $5 }' /proc/slabinfo | sort; }
# Free memory: MemFree plus the pages parked on the per-CPU free lists
# (zoneinfo "count:", 4 KiB pages), which MemFree leaves out and which
# swing by MiBs from one moment to the next.
_memfree() {
	awk '/^MemFree:/ { print $2 }' /proc/meminfo
	awk '$1 == "count:" { n += $2 } END { print n * 4 }' /proc/zoneinfo
}
memfree() { _memfree | awk '{ s += $1 } END { print s }'; }
# Not counted: thread stacks (VMAP_STACK, "kernel_clone"): a worker the
# kernel starts meanwhile is not ours (seen: +80 KiB in one run); and
# areas already freed but not yet purged ("unpurged").
vmalloc_kb() {
	awk '!/ kernel_clone|unpurged/ { s += $2 }
		END { print int(s / 1024) }' /proc/vmallocinfo
}

# Warm up caches first so one-off allocations do not look like leaks.
for i in 1 2 3; do
	cycle || { not_ok "warm-up load/unload cycle $i"; exit 1; }
	control_cycle || { not_ok "control module loads"; exit 1; }
done

# What $N loads of a module that does nothing leave behind.
settle
slab > /tmp/slab.c0
i=0
while [ $i -lt "$N" ]; do i=$((i + 1)); control_cycle; done
settle
slab > /tmp/slab.c1

slab > /tmp/slab.before
mf0=$(memfree)
vm0=$(vmalloc_kb)
fails=0
i=0
while [ $i -lt "$N" ]; do
	i=$((i + 1))
	cycle || { fails=$((fails + 1)); diag "cycle $i failed"; }
done
settle
slab > /tmp/slab.mid
while [ $i -lt $((2 * N)) ]; do
	i=$((i + 1))
	cycle || { fails=$((fails + 1)); diag "cycle $i failed"; }
done
[ $fails -eq 0 ] && ok "$((2 * N)) load/ioctl/unload cycles" || not_ok "$((2 * N)) load/ioctl/unload cycles ($fails failed)"
settle
slab > /tmp/slab.after
mf1=$(memfree)
vm1=$(vmalloc_kb)

# Growth per cache of each of two modkvm batches of $N cycles beyond the
# control batch. Even after shrinking, a cache's count moves by whole
# slabs with unrelated activity (seen: kmalloc-8 by 512, proc_inode_cache
# by 39 to 51, both ways), so a cache is reported when BOTH batches grew
# it by at least one object per cycle, more than two slabs and 16 KiB: a
# leak grows with every batch, noise does not.
leaky() {	# leaky BEFORE AFTER: caches grown beyond the control run
	awk -v n="$N" '
		FILENAME == ARGV[1] { c0[$1] = $2; next }
		FILENAME == ARGV[2] { c1[$1] = $2; next }
		FILENAME == ARGV[3] { m0[$1] = $2; next }
		{ d = ($2 - m0[$1]) - (c1[$1] - c0[$1])
		  if (d >= n && d > 2 * $4 && d * $3 >= 16384)
			printf "%s +%d objects (%d bytes)\n", $1, d, d * $3 }' \
		/tmp/slab.c0 /tmp/slab.c1 "$1" "$2"
}
leaky /tmp/slab.before /tmp/slab.mid >/tmp/leak.1
leaky /tmp/slab.mid /tmp/slab.after >/tmp/leak.2
grown=$(awk 'NR == FNR { first[$1] = $0; next } $1 in first { printf "%s / %s; ", first[$1], $0 }' \
	/tmp/leak.1 /tmp/leak.2)
if [ -z "$grown" ]; then ok "no slab cache grew by a leak's worth beyond a no-op module's, twice ($acct)"
else
	not_ok "no slab cache grew by a leak's worth beyond a no-op module's, twice ($acct)"
	diag "grown: $grown"
	# Who holds the objects: with slub_debug=U the cache lists its live
	# objects by allocating call site, most first.
	for c in $(awk 'NR == FNR { first[$1] = 1; next } $1 in first { print $1 }' /tmp/leak.1 /tmp/leak.2); do
		t=/sys/kernel/debug/slab/$c/alloc_traces
		[ -r "$t" ] && diag "$c's live objects by call site: $(awk '/^ *[0-9]+ / { print; if (++k == 4) exit }' "$t" | tr -s ' \n' ' ')"
	done
fi
once=$(awk 'NR == FNR { a[$1] = $0; next } { b[$1] = $0 }
	END { for (c in a) if (!(c in b)) printf "%s; ", a[c]
	      for (c in b) if (!(c in a)) printf "%s; ", b[c] }' /tmp/leak.1 /tmp/leak.2)
[ -z "$once" ] || diag "grew in one batch only (noise): $once"

drop=$((mf0 - mf1))
diag "free (MemFree + per-CPU lists) before ${mf0} kB, after ${mf1} kB (drop ${drop} kB); vmalloc ${vm0} -> ${vm1} kB"
if [ $drop -lt 1024 ]; then ok "free memory (with per-CPU lists) drop under 1 MiB after $((2 * N)) cycles"
else not_ok "free memory (with per-CPU lists) drop under 1 MiB after $((2 * N)) cycles"; fi
if [ $((vm1 - vm0)) -lt 64 ]; then ok "vmalloc usage back within 64 KiB"
else not_ok "vmalloc usage back within 64 KiB"; fi
tap_exit
