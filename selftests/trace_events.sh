#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# modkvm's trace events (virt/modkvm_trace.h), as tracefs, perf and
# trace-cmd see them: all five are listed; with them on, hello-vm (MMIO,
# stage-2 faults, PSCI SYSTEM_OFF) and vcpu_wfi (KVM_IRQ_LINE) record each,
# exits with their reasons; with them off, a guest records nothing.
# usage: trace_events.sh    (modkvm loaded; hello-vm and vcpu_wfi in cwd)
. ./lib/tap.sh
T=/sys/kernel/tracing
[ -d $T/events ] || T=/sys/kernel/debug/tracing
events="modkvm_exit modkvm_mmio modkvm_s2_fault modkvm_irq_line modkvm_psci"

if [ ! -d $T/events/modkvm ]; then
	not_ok "trace: tracefs lists the modkvm events"
	exit 1
fi
ok "trace: tracefs lists the modkvm events"
for e in $events; do
	check "trace: event $e has a format" grep -q "^name: $e\$" $T/events/modkvm/$e/format
done

echo 0 >$T/tracing_on
echo >$T/trace
echo 1 >$T/events/modkvm/enable
echo 1 >$T/tracing_on
./hello-vm >/dev/null 2>&1
./vcpu_wfi >/dev/null 2>&1
echo 0 >$T/tracing_on
echo 0 >$T/events/modkvm/enable
cp $T/trace /tmp/modkvm.trace
for e in $events; do
	n=$(grep -c " $e: " /tmp/modkvm.trace)
	if [ "$n" -gt 0 ]; then ok "trace: guests recorded $e ($n)"
	else not_ok "trace: guests recorded $e"; fi
done
diag "exits by reason: $(grep -o ' modkvm_exit: .*reason [a-z_0-9]*' /tmp/modkvm.trace |
	sed 's/.*reason //' | sort | uniq -c | awk '{ printf "%s %s, ", $2, $1 }')"
check "trace: hello-vm's UART write is an MMIO write event" \
	grep -qE ' modkvm_mmio: vcpu 0 write gpa 0x[0-9a-f]+ len 1' /tmp/modkvm.trace
check "trace: its PSCI SYSTEM_OFF (0x84000008) is a psci event" \
	grep -q ' modkvm_psci: vcpu 0 function 0x84000008' /tmp/modkvm.trace
check "trace: exits have reasons (hvc and dabt seen)" \
	sh -c "grep -q 'modkvm_exit: .*reason hvc' /tmp/modkvm.trace && grep -q 'modkvm_exit: .*reason dabt' /tmp/modkvm.trace"
diag "$(grep -m3 ' modkvm_' /tmp/modkvm.trace)"

echo >$T/trace
echo 1 >$T/tracing_on
./hello-vm >/dev/null 2>&1
echo 0 >$T/tracing_on
n=$(grep -c ' modkvm_' $T/trace)
if [ "$n" -eq 0 ]; then ok "trace: with the events off a guest records nothing"
else not_ok "trace: with the events off a guest records nothing ($n lines)"; fi
echo 1 >$T/tracing_on
tap_exit
