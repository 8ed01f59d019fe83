#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# nVHE host (kernel at EL1, Linux's hyp stub at EL2), modkvm loaded
# without parameters (arch/arm64/nvhe.c): EL2 taken from the stub on
# every CPU and checked from EL2 itself (MMU on, the module's vectors,
# per-CPU data read through the EL2 map), an exception at EL2 reported
# from EL1, /dev/kvm registered, EL2 given back and taken again across CPU
# hotplug and CPU PM notifications while guests run, given back on unload
# so that the stub answers again; the deprecated nvhe_el2_test=1 still
# accepted; vgic_v3=1 honoured here as on VHE. (nvhe=0
# refusing: refuse.sh; the KVM ABI selftests: run-all's nvhe suite.)
. ./lib/tap.sh
KO=${KO:-./modkvm.ko}
ncpu=$(grep -c '^processor' /proc/cpuinfo)

dmesg_mark nvhe-load
if insmod "$KO"; then ok "nvhe: loads (no parameter)"
else not_ok "nvhe: loads (no parameter)"; dmesg_modkvm nvhe-load | sed 's/^/# /'; exit 1; fi
dmesg_modkvm nvhe-load >/tmp/nvhe.log
diag "$(cat /tmp/nvhe.log)"
check "nvhe: EL2 taken on all $ncpu CPUs, said in dmesg" \
	grep -q "nVHE host: EL2 taken from the hyp stub (vectors at 0x[0-9a-f]*) on $ncpu CPUs (nvhe=0 to refuse nVHE hosts)" /tmp/nvhe.log
check "nvhe: parameter nvhe reads Y" grep -qx Y /sys/module/modkvm/parameters/nvhe
check "nvhe: no deprecation note without nvhe_el2_test" sh -c "! grep -q deprecated /tmp/nvhe.log"
# Without parameters the in-kernel GICv3 is offered on nVHE as on VHE
# (vgic_v3 defaults to on where the host has the GICv3 interface)
probe=$(./kvm_gic_probe 2>&1)
check "nvhe: default load: in-kernel GICv3 offered ($probe)" \
	test "$probe" = "irqchip=1 device_ctrl=1 vgic_v2=no(ENODEV) vgic_v3=yes"
check "nvhe: default load: dmesg says the in-kernel GICv3 is offered" grep -q "in-kernel GICv3 and ITS offered" /tmp/nvhe.log
# The stub's vectors as EL2 reported them (physical) against the kernel's
# symbol (virtual): KASLR moves the kernel image by a multiple of 2 MiB.
pa=$(sed -n 's/.*vectors at 0x\([0-9a-f]*\)).*/\1/p' /tmp/nvhe.log)
va=$(grep ' __hyp_stub_vectors$' /proc/kallsyms | cut -d' ' -f1)
if [ -n "$pa" ] && [ -n "$va" ] && [ "$va" != 0000000000000000 ] &&
   [ $((0x$pa & 0x1fffff)) -eq $((0x$va & 0x1fffff)) ]; then
	ok "nvhe: the stub's vectors EL2 reported match __hyp_stub_vectors (offset in 2 MiB)"
else
	not_ok "nvhe: the stub's vectors EL2 reported match __hyp_stub_vectors (offset in 2 MiB)"
	diag "reported $pa, kallsyms $va"
fi
check "nvhe: an exception at EL2 is reported from EL1 (ESR, ELR, FAR, SPSR)" \
	grep -q 'EL2 exception on CPU[0-9]* during the fault self-test (expected): ESR 0x[0-9a-f]* (EC 0x25), ELR modkvm .text+0x[0-9a-f]*, FAR 0x1000000000000, SPSR 0x' /tmp/nvhe.log
check "nvhe: /dev/kvm registered" test -c /dev/kvm
check "nvhe: a guest runs (hello-vm)" ./hello-vm

# An exception at EL2 half-way into a guest run (nvhe_inject_fault): the
# host gets its registers back, the run fails, dmesg says what and where.
dmesg_mark nvhe-inject
echo 1 > /sys/module/modkvm/parameters/nvhe_inject_fault
if ./hello-vm >/tmp/nvhe-inject.out 2>&1; then
	not_ok "nvhe: a guest run that faults at EL2 fails"
else
	ok "nvhe: a guest run that faults at EL2 fails"
fi
dmesg_modkvm nvhe-inject >/tmp/nvhe.log
diag "$(cat /tmp/nvhe.log)"
check "nvhe: the EL2 exception is reported with the vCPU (ESR, ELR, FAR, SPSR)" \
	grep -q 'EL2 exception on CPU[0-9]* during the run of vCPU 0 of hello-vm\[[0-9]*\]: ESR 0x[0-9a-f]* (EC 0x25), ELR modkvm .text+0x[0-9a-f]*, FAR 0x1000000000000, SPSR 0x' /tmp/nvhe.log
check "nvhe: the host carries on: a guest runs again" ./hello-vm

# CPU hotplug: EL2 given back as CPU1 goes offline, taken again as it
# returns, three times while vm_fuzz runs guests (its vCPU threads move
# between the CPUs), which must still pass.
if [ -e /sys/devices/system/cpu/cpu1/online ]; then
	dmesg_mark nvhe-hotplug
	./vm_fuzz >/tmp/nvhe-fuzz.out 2>&1 &
	fuzz=$!
	off=0 on=0
	for i in 1 2 3; do
		sleep 1
		echo 0 > /sys/devices/system/cpu/cpu1/online &&
			grep -qx 0 /sys/devices/system/cpu/cpu1/online && off=$((off + 1))
		sleep 1
		echo 1 > /sys/devices/system/cpu/cpu1/online &&
			grep -qx 1 /sys/devices/system/cpu/cpu1/online && on=$((on + 1))
	done
	[ $off -eq 3 ] && ok "nvhe: CPU1 offline 3 times with guests running" ||
		not_ok "nvhe: CPU1 offline 3 times with guests running ($off)"
	[ $on -eq 3 ] && ok "nvhe: CPU1 online again 3 times" ||
		not_ok "nvhe: CPU1 online again 3 times ($on)"
	if wait $fuzz && ! grep -q '^not ok' /tmp/nvhe-fuzz.out; then
		ok "nvhe: vm_fuzz passed across the hotplug"
	else
		not_ok "nvhe: vm_fuzz passed across the hotplug"
		grep '^not ok' /tmp/nvhe-fuzz.out | head -5 | sed 's/^/# /'
	fi
	dmesg_modkvm nvhe-hotplug >/tmp/nvhe.log
	diag "$(cat /tmp/nvhe.log)"
	check "nvhe: CPU1 gave EL2 back going offline, each time" \
		test "$(grep -c 'CPU1: EL2 given back to the hyp stub' /tmp/nvhe.log)" -eq 3
	check "nvhe: CPU1 took EL2 again coming online, each time" \
		test "$(grep -c 'CPU1: EL2 taken again' /tmp/nvhe.log)" -eq 3
else
	skip "nvhe: CPU hotplug" "one CPU only"
fi

# CPU power management: a CPU going through a power-down idle state gives
# EL2 back at CPU_PM_ENTER and takes it again at CPU_PM_EXIT (nvhe.c). The
# emulated CPUs have no such state, so control.ko sends the notifications
# by hand, 20 times on each CPU, with interrupts off as idle does, while
# vm_fuzz runs guests, and asks EL2 who holds it between and after. What
# this proves: the notifier's give-back and re-take, and guests carrying
# on; not a real power loss (the re-take is the same full EL2 set-up a CPU
# coming online gets, which the hotplug above does from a reset CPU).
dmesg_mark nvhe-cpupm
./vm_fuzz >/tmp/nvhe-fuzz.out 2>&1 &
fuzz=$!
sleep 1
if insmod ./control.ko cpu_pm_cycles=20 cpu_pm_ask_el2=1; then
	ok "nvhe: cpu_pm: control.ko sent CPU_PM_ENTER/EXIT 20 times on each CPU"
	rmmod control
else
	not_ok "nvhe: cpu_pm: control.ko sent CPU_PM_ENTER/EXIT 20 times on each CPU"
fi
n=$((20 * ncpu))
line=$(dmesg | sed -n "/modkvm-test-marker-nvhe-cpupm/,\$p" | grep 'control: cpu_pm:' | tail -n 1)
diag "$line"
case $line in
*"$n cycles on $ncpu CPUs: EL2 modkvm's before $n, the stub's between $n, modkvm's after $n; cpu_pm_enter failed 0") ok "nvhe: cpu_pm: EL2 the stub's between ENTER and EXIT, modkvm's before and after, each time" ;;
*) not_ok "nvhe: cpu_pm: EL2 the stub's between ENTER and EXIT, modkvm's before and after, each time" ;;
esac
if wait $fuzz && ! grep -q '^not ok' /tmp/nvhe-fuzz.out; then
	ok "nvhe: cpu_pm: vm_fuzz passed across the CPU PM cycles"
else
	not_ok "nvhe: cpu_pm: vm_fuzz passed across the CPU PM cycles"
	grep '^not ok' /tmp/nvhe-fuzz.out | head -5 | sed 's/^/# /'
fi
check "nvhe: cpu_pm: a guest runs after them" ./hello-vm
if dmesg_modkvm nvhe-cpupm | grep -q -e 'not taken' -e 'failed' -e 'call refused'; then
	not_ok "nvhe: cpu_pm: no EL2 error"; diag "$(dmesg_modkvm nvhe-cpupm)"
else ok "nvhe: cpu_pm: no EL2 error"; fi

# kexec's way out, the stub's HVC_SOFT_RESTART, made to modkvm's vectors
# (control.ko soft_restart=1, each CPU): EL2 given back, then the entry
# run at EL2 as the stub would (it returns VBAR_EL2: the stub's vectors),
# then CPU PM notifications make modkvm take EL2 again.
dmesg_mark nvhe-softrestart
if insmod ./control.ko soft_restart=1; then
	ok "nvhe: soft_restart: control.ko made HVC_SOFT_RESTART on every CPU"
	rmmod control
else
	not_ok "nvhe: soft_restart: control.ko made HVC_SOFT_RESTART on every CPU"
fi
line=$(dmesg | sed -n "/modkvm-test-marker-nvhe-softrestart/,\$p" | grep 'control: soft_restart:' | tail -n 1)
diag "$line"
vbar=$(echo "$line" | sed -n 's/.*VBAR_EL2 \(0x[0-9a-f]*\) from the entry.*/\1/p')
if [ -n "$pa" ] && [ -n "$vbar" ] && [ $((vbar)) -eq $((0x$pa)) ]; then
	ok "nvhe: soft_restart: the entry ran at EL2 with the stub's vectors back ($vbar)"
else
	not_ok "nvhe: soft_restart: the entry ran at EL2 with the stub's vectors back (${vbar:-none}, stub 0x$pa)"
fi
case $line in
*"$ncpu CPUs: VBAR_EL2 $vbar from the entry (the same on $ncpu), the stub's after it $ncpu, modkvm's after CPU PM $ncpu") ok "nvhe: soft_restart: on every CPU, the stub's after it, modkvm's again after CPU PM" ;;
*) not_ok "nvhe: soft_restart: on every CPU, the stub's after it, modkvm's again after CPU PM" ;;
esac
check "nvhe: soft_restart: a guest runs after it" ./hello-vm

dmesg_mark nvhe-unload
check "nvhe: unloads" rmmod modkvm
# Given back: the stub answers again on every CPU (else nvhe.c says so),
# which a second load also needs.
check "nvhe: loads again with the deprecated nvhe_el2_test=1 (the stub answers after unload)" insmod "$KO" nvhe_el2_test=1
check "nvhe: nvhe_el2_test=1 is noted as deprecated" sh -c "dmesg | sed -n '/modkvm-test-marker-nvhe-unload/,\$p' | grep -q 'modkvm: nvhe_el2_test is deprecated: nVHE hosts are served by default (nvhe=0 refuses them)'"
check "nvhe: nvhe_el2_test and nvhe read Y" sh -c 'grep -qx Y /sys/module/modkvm/parameters/nvhe_el2_test && grep -qx Y /sys/module/modkvm/parameters/nvhe'
check "nvhe: unloads again" rmmod modkvm

# The in-kernel vGICv3 on nVHE too (ICH_VTR_EL2 read at EL2 at load, the
# virtual CPU interface switched by hyp/nvhe/switch.c): vgic_v3=1 is
# honoured, without the "not honoured" line, and the device is offered
# (its tests: run-all's nvhe suite, as the vhe suite runs them).
dmesg_mark nvhe-vgic
check "nvhe: loads with vgic_v3=1" insmod "$KO" vgic_v3=1
probe=$(./kvm_gic_probe 2>&1)
diag "vgic_v3=1: $probe"
check "nvhe: vgic_v3=1: KVM_CAP_IRQCHIP 1, KVM_CAP_DEVICE_CTRL 1, VGIC_V3 device yes (no VGIC_V2)" \
	test "$probe" = "irqchip=1 device_ctrl=1 vgic_v2=no(ENODEV) vgic_v3=yes"
check "nvhe: vgic_v3=1: honoured (no 'not honoured' line)" sh -c "! dmesg | sed -n '/modkvm-test-marker-nvhe-vgic/,\$p' | grep -q 'vgic_v3=1 not honoured'"
check "nvhe: vgic_v3=1: a guest runs" ./hello-vm
check "nvhe: unloads (vgic_v3=1)" rmmod modkvm
dmesg_modkvm nvhe-unload >/tmp/nvhe.log
if grep -q -e 'does not answer' -e 'failed' -e 'refusing' /tmp/nvhe.log; then
	not_ok "nvhe: no EL2 error at unload or reload"; diag "$(cat /tmp/nvhe.log)"
else ok "nvhe: no EL2 error at unload or reload"; fi
tap_exit
