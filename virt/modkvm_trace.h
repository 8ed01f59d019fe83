/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modkvm's trace events, system "modkvm": what an operator watches in a
 * running hypervisor with tracefs (events/modkvm/), `perf stat -e
 * 'modkvm:*'` or `trace-cmd record -e modkvm`. Each costs a patched-out
 * branch while disabled. The event's pid is the vCPU thread's, so events
 * tell VMs apart by the VMM process they come from.
 *
 *   modkvm_exit       every return from the guest, with its reason (the
 *                     arch's name for it) and the syndrome and PC
 *   modkvm_mmio       an access outside memory that userspace handles
 *   modkvm_s2_fault   a stage-2 fault on guest memory, mapped on demand
 *   modkvm_irq_line   KVM_IRQ_LINE changing a vCPU's IRQ or FIQ input
 *   modkvm_psci       a PSCI call from the guest
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM modkvm

#if !defined(MODKVM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define MODKVM_TRACE_H

#include <linux/tracepoint.h>

#define MODKVM_TRACE_REASON_LEN	12

TRACE_EVENT(modkvm_exit,
	TP_PROTO(unsigned int vcpu, const char *reason, u64 syndrome, u64 pc),
	TP_ARGS(vcpu, reason, syndrome, pc),
	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__array(char, reason, MODKVM_TRACE_REASON_LEN)
		__field(u64, syndrome)
		__field(u64, pc)
	),
	TP_fast_assign(
		__entry->vcpu = vcpu;
		strscpy(__entry->reason, reason, MODKVM_TRACE_REASON_LEN);
		__entry->syndrome = syndrome;
		__entry->pc = pc;
	),
	TP_printk("vcpu %u reason %s syndrome %#llx pc %#llx",
		  __entry->vcpu, __entry->reason, __entry->syndrome, __entry->pc)
);

TRACE_EVENT(modkvm_mmio,
	TP_PROTO(unsigned int vcpu, bool write, u64 gpa, unsigned int len),
	TP_ARGS(vcpu, write, gpa, len),
	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(bool, write)
		__field(u64, gpa)
		__field(unsigned int, len)
	),
	TP_fast_assign(
		__entry->vcpu = vcpu;
		__entry->write = write;
		__entry->gpa = gpa;
		__entry->len = len;
	),
	TP_printk("vcpu %u %s gpa %#llx len %u", __entry->vcpu,
		  __entry->write ? "write" : "read", __entry->gpa, __entry->len)
);

TRACE_EVENT(modkvm_s2_fault,
	TP_PROTO(unsigned int vcpu, u64 gpa, bool write, bool exec),
	TP_ARGS(vcpu, gpa, write, exec),
	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(u64, gpa)
		__field(bool, write)
		__field(bool, exec)
	),
	TP_fast_assign(
		__entry->vcpu = vcpu;
		__entry->gpa = gpa;
		__entry->write = write;
		__entry->exec = exec;
	),
	TP_printk("vcpu %u gpa %#llx %s", __entry->vcpu, __entry->gpa,
		  __entry->exec ? "exec" : __entry->write ? "write" : "read")
);

TRACE_EVENT(modkvm_irq_line,
	TP_PROTO(unsigned int vcpu, unsigned int line, bool level),
	TP_ARGS(vcpu, line, level),
	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(unsigned int, line)
		__field(bool, level)
	),
	TP_fast_assign(
		__entry->vcpu = vcpu;
		__entry->line = line;
		__entry->level = level;
	),
	TP_printk("vcpu %u line %u level %u", __entry->vcpu, __entry->line,
		  __entry->level)
);

TRACE_EVENT(modkvm_psci,
	TP_PROTO(unsigned int vcpu, u32 function),
	TP_ARGS(vcpu, function),
	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(u32, function)
	),
	TP_fast_assign(
		__entry->vcpu = vcpu;
		__entry->function = function;
	),
	TP_printk("vcpu %u function %#x", __entry->vcpu, __entry->function)
);

#endif /* MODKVM_TRACE_H */

/* Outside the guard: define_trace.h reads this file again from here. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE modkvm_trace
#include <trace/define_trace.h>
