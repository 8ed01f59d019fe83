#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 50 load/use/unload cycles leave no leak: no slab cache grows by one
# object per cycle, and MemFree and vmalloc usage come back.
. ./lib/tap.sh
KO=${KO:-./modkvm.ko}
N=${RELOADS:-50}

cycle() {
	insmod "$KO" || return 1
	./dev_ioctl >/dev/null || { rmmod modkvm; return 1; }
	rmmod modkvm
}

slab() { awk 'NR > 2 { print $1, $2 }' /proc/slabinfo | sort; }
memfree() { awk '/^MemFree:/ { print $2 }' /proc/meminfo; }
vmalloc_kb() { awk '{ s += $2 } END { print int(s / 1024) }' /proc/vmallocinfo; }
settle() { sync; echo 3 > /proc/sys/vm/drop_caches; sleep 1; }

# Warm up caches first so one-off allocations do not look like leaks.
for i in 1 2 3; do cycle || { not_ok "warm-up load/unload cycle $i"; exit 1; }; done
settle
slab > /tmp/slab.before
mf0=$(memfree)
vm0=$(vmalloc_kb)

fails=0
i=0
while [ $i -lt "$N" ]; do
	i=$((i + 1))
	cycle || { fails=$((fails + 1)); diag "cycle $i failed"; }
done
[ $fails -eq 0 ] && ok "$N load/ioctl/unload cycles" || not_ok "$N load/ioctl/unload cycles ($fails failed)"

settle
slab > /tmp/slab.after
mf1=$(memfree)
vm1=$(vmalloc_kb)

grown=$(awk -v n="$N" 'NR == FNR { before[$1] = $2; next }
	$2 - before[$1] >= n { printf "%s +%d; ", $1, $2 - before[$1] }' \
	/tmp/slab.before /tmp/slab.after)
if [ -z "$grown" ]; then ok "no slab cache grew by >= $N objects"
else not_ok "no slab cache grew by >= $N objects"; diag "grown: $grown"; fi

drop=$((mf0 - mf1))
diag "MemFree before ${mf0} kB, after ${mf1} kB (drop ${drop} kB); vmalloc ${vm0} -> ${vm1} kB"
if [ $drop -lt 1024 ]; then ok "MemFree drop under 1 MiB after $N cycles"
else not_ok "MemFree drop under 1 MiB after $N cycles"; fi
if [ $((vm1 - vm0)) -lt 64 ]; then ok "vmalloc usage back within 64 KiB"
else not_ok "vmalloc usage back within 64 KiB"; fi
tap_exit
