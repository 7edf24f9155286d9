/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmswitch's tracepoints (Documentation/tracing.rst): runs, VM entries
 * and exits, switches, VMX on and off. Each is a static key that is off
 * until its event is enabled in tracefs, so a disabled event costs one
 * NOP at its site; everything an event records is read in TP_fast_assign
 * (or behind trace_*_enabled()), which runs only when it is enabled.
 *
 * The hot ones take only pointers the caller holds in registers anyway:
 * a value loaded for an argument would be loaded before the static key's
 * NOP, on every switch, enabled or not.
 *
 * Where they are called (like KVM's trace_kvm_entry/trace_kvm_exit): in
 * the run loop and the exit handlers, never in the noinstr path of
 * enter.c and vmenter.S. An exit event follows pmsw_enter_exit(), after
 * the VM exit has loaded the host's CR3, CR4, RSP, GS base and segments
 * from the VMCS (SDM 28.5) and an NMI that caused the exit has been
 * handed to the host.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pmswitch

#if !defined(PMSW_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define PMSW_TRACE_H

#include <linux/smp.h>
#include <linux/tracepoint.h>
#include <linux/types.h>
#include <linux/pmswitch.h>

#include "run.h"
#include "run_int.h"
#include "session.h"
#include "vmx_ops.h"

#ifndef PMSW_TRACE_CONSTANTS
#define PMSW_TRACE_CONSTANTS
/* The two ways a switch happens (switching.rst, exitless.rst). */
#define PMSW_TRACE_SWITCH_VMCALL	0	/* PMSW_HC_SWITCH: exit, entry */
#define PMSW_TRACE_SWITCH_EXITLESS	1	/* VMFUNC + routine, no exit */

/* Exit-less switches not yet seen by the module (trace.c). */
u64 pmsw_trace_xl_unseen(const struct pmsw_session *s);
#endif

/* Basic exit reasons (SDM Vol. 3D, Appendix C), for the text output. */
#define pmsw_trace_exit_reasons						\
	{ 0, "EXCEPTION_NMI" }, { 1, "EXTERNAL_INTERRUPT" },		\
	{ 2, "TRIPLE_FAULT" }, { 3, "INIT" }, { 4, "SIPI" },		\
	{ 5, "IO_SMI" }, { 6, "OTHER_SMI" }, { 7, "INTERRUPT_WINDOW" },	\
	{ 8, "NMI_WINDOW" }, { 9, "TASK_SWITCH" }, { 10, "CPUID" },	\
	{ 11, "GETSEC" }, { 12, "HLT" }, { 13, "INVD" },		\
	{ 14, "INVLPG" }, { 15, "RDPMC" }, { 16, "RDTSC" },		\
	{ 17, "RSM" }, { 18, "VMCALL" }, { 19, "VMCLEAR" },		\
	{ 20, "VMLAUNCH" }, { 21, "VMPTRLD" }, { 22, "VMPTRST" },	\
	{ 23, "VMREAD" }, { 24, "VMRESUME" }, { 25, "VMWRITE" },	\
	{ 26, "VMXOFF" }, { 27, "VMXON" }, { 28, "CR_ACCESS" },		\
	{ 29, "DR_ACCESS" }, { 30, "IO" }, { 31, "RDMSR" },		\
	{ 32, "WRMSR" }, { 33, "INVALID_GUEST_STATE" },			\
	{ 34, "MSR_LOADING" }, { 36, "MWAIT" }, { 37, "MTF" },		\
	{ 39, "MONITOR" }, { 40, "PAUSE" }, { 41, "MCE_DURING_ENTRY" },	\
	{ 43, "TPR_BELOW_THRESHOLD" }, { 44, "APIC_ACCESS" },		\
	{ 45, "EOI_INDUCED" }, { 46, "GDTR_IDTR" }, { 47, "LDTR_TR" },	\
	{ 48, "EPT_VIOLATION" }, { 49, "EPT_MISCONFIG" },		\
	{ 50, "INVEPT" }, { 51, "RDTSCP" }, { 52, "PREEMPTION_TIMER" },	\
	{ 53, "INVVPID" }, { 54, "WBINVD" }, { 55, "XSETBV" },		\
	{ 56, "APIC_WRITE" }, { 57, "RDRAND" }, { 58, "INVPCID" },	\
	{ 59, "VMFUNC" }, { 60, "ENCLS" }, { 61, "RDSEED" },		\
	{ 62, "PML_FULL" }, { 63, "XSAVES" }, { 64, "XRSTORS" },	\
	{ 66, "SPP" }, { 67, "UMWAIT" }, { 68, "TPAUSE" },		\
	{ 69, "LOADIWKEY" }

#define pmsw_trace_stop_reasons						\
	{ 0, "NONE" },							\
	{ PMSW_STOP_HYPERCALL, "HYPERCALL" }, { PMSW_STOP_HLT, "HLT" },	\
	{ PMSW_STOP_EXIT, "EXIT" },					\
	{ PMSW_STOP_ENTRY_FAILED, "ENTRY_FAILED" },			\
	{ PMSW_STOP_LIMIT, "LIMIT" }, { PMSW_STOP_SIGNAL, "SIGNAL" }

TRACE_EVENT(pmsw_run_start,
	TP_PROTO(const struct pmsw_session *s, const struct pmsw_run *run),
	TP_ARGS(s, run),

	TP_STRUCT__entry(
		__field(u64, session)
		__field(u32, ctx)
		__field(u32, max_transitions)
	),

	TP_fast_assign(
		__entry->session = s->serial;
		__entry->ctx = run->context;
		__entry->max_transitions = run->max_transitions;
	),

	TP_printk("session %llu ctx %u max_transitions %u",
		  __entry->session, __entry->ctx, __entry->max_transitions)
);

TRACE_EVENT(pmsw_run_stop,
	TP_PROTO(const struct pmsw_session *s, const struct pmsw_run *run,
		 long err),
	TP_ARGS(s, run, err),

	TP_STRUCT__entry(
		__field(u64, session)
		__field(u32, reason)
		__field(u32, ctx)
		__field(u32, transitions)
		__field(u64, code)
		__field(int, err)
	),

	TP_fast_assign(
		__entry->session = s->serial;
		__entry->reason = run->stop_reason;
		__entry->ctx = run->stop_context;
		__entry->transitions = run->total_transitions;
		__entry->code = run->stop_code;
		__entry->err = err;
	),

	TP_printk("session %llu reason %s ctx %u transitions %u code %#llx err %d",
		  __entry->session,
		  __print_symbolic(__entry->reason, pmsw_trace_stop_reasons),
		  __entry->ctx, __entry->transitions, __entry->code,
		  __entry->err)
);

/*
 * Just before the VM entry, interrupts off, the VMCS ready: VMRESUME if
 * it is launched (and current here), else VMLAUNCH, as enter_once() does.
 */
TRACE_EVENT(pmsw_entry,
	TP_PROTO(const struct run_state *rs, const struct pmsw_ctx *ctx),
	TP_ARGS(rs, ctx),

	TP_STRUCT__entry(
		__field(u64, session)
		__field(u32, ctx)
		__field(u32, type)
	),

	TP_fast_assign(
		__entry->session = rs->s->serial;
		__entry->ctx = ctx->id;
		__entry->type = ctx->vmcs->launched ? PMSW_ENTRY_RESUME :
						      PMSW_ENTRY_LAUNCH;
	),

	TP_printk("session %llu ctx %u %s", __entry->session, __entry->ctx,
		  __print_symbolic(__entry->type,
				   { PMSW_ENTRY_LAUNCH, "LAUNCH" },
				   { PMSW_ENTRY_RESUME, "RESUME" }))
);

/*
 * After the VM exit, before its handler; not after a VMfail (no exit
 * happened; the run stops with ENTRY_FAILED). The context entered is in
 * the transition record being filled (transition(), run.c), @running is
 * the one the CPU ran at the exit (an exit-less member may have
 * switched, pmsw_xl_track()). The VMCS is still current, so the
 * qualification is one VMREAD (SDM 28.2.1).
 */
TRACE_EVENT_CONDITION(pmsw_exit,
	TP_PROTO(const struct run_state *rs, const struct pmsw_ctx *running),
	TP_ARGS(rs, running),
	TP_CONDITION(!rs->enter_ret),

	TP_STRUCT__entry(
		__field(u64, session)
		__field(u32, ctx)
		__field(u32, running)
		__field(u32, reason)
		__field(u64, qualification)
	),

	TP_fast_assign(
		__entry->session = rs->s->serial;
		__entry->ctx = rs->buf[rs->nr_buf - 1].to;
		__entry->running = running->id;
		__entry->reason = rs->exit.reason;
		__entry->qualification = pmsw_vmreadl(VMCS_EXIT_QUALIFICATION);
	),

	TP_printk("session %llu ctx %u running %u reason %s%s qual %#llx",
		  __entry->session, __entry->ctx, __entry->running,
		  __print_symbolic(__entry->reason & 0xffff,
				   pmsw_trace_exit_reasons),
		  __entry->reason & PMSW_EXIT_FAILED_ENTRY ?
		  " (entry failed)" : "", __entry->qualification)
);

/*
 * A switch: by PMSW_HC_SWITCH (one per event), or the @count exit-less
 * switches the members' state pages counted since the last exit, which
 * took the CPU from @from (entered) to context @to (running at the exit).
 */
TRACE_EVENT_CONDITION(pmsw_switch,
	TP_PROTO(const struct run_state *rs, const struct pmsw_ctx *from,
		 u32 to, u32 kind, u64 count),
	TP_ARGS(rs, from, to, kind, count),
	TP_CONDITION(count),

	TP_STRUCT__entry(
		__field(u64, session)
		__field(u32, from)
		__field(u32, to)
		__field(u32, kind)
		__field(u64, count)
	),

	TP_fast_assign(
		__entry->session = rs->s->serial;
		__entry->from = from->id;
		__entry->to = to;
		__entry->kind = kind;
		__entry->count = count;
	),

	TP_printk("session %llu %u -> %u %s count %llu", __entry->session,
		  __entry->from, __entry->to,
		  __print_symbolic(__entry->kind,
				   { PMSW_TRACE_SWITCH_VMCALL, "VMCALL" },
				   { PMSW_TRACE_SWITCH_EXITLESS, "EXITLESS" }),
		  __entry->count)
);

/* VMXON (@on, @err its outcome or why it was refused) or VMXOFF. */
TRACE_EVENT(pmsw_vmx,
	TP_PROTO(bool on, int err),
	TP_ARGS(on, err),

	TP_STRUCT__entry(
		__field(int, cpu)
		__field(bool, on)
		__field(int, err)
	),

	TP_fast_assign(
		__entry->cpu = raw_smp_processor_id();
		__entry->on = on;
		__entry->err = err;
	),

	TP_printk("cpu %d %s err %d", __entry->cpu,
		  __entry->on ? "VMXON" : "VMXOFF", __entry->err)
);

/*
 * A native switch (native.rst) that went and came back: its CPU, how it
 * ended, and the forward and return switches' TSC ticks. Recorded after
 * the round trip, with the kernel's state back.
 */
TRACE_EVENT(pmsw_native,
	TP_PROTO(const struct pmsw_native *o),
	TP_ARGS(o),

	TP_STRUCT__entry(
		__field(u32, cpu)
		__field(u32, stop_reason)
		__field(u32, vector)
		__field(u32, forward_exit)
		__field(u64, forward_ticks)
		__field(u64, return_ticks)
	),

	TP_fast_assign(
		__entry->cpu = o->cpu;
		__entry->stop_reason = o->stop_reason;
		__entry->vector = o->vector;
		__entry->forward_exit = o->forward_exit;
		__entry->forward_ticks = o->forward_ticks;
		__entry->return_ticks = o->return_ticks;
	),

	TP_printk("cpu %u %s vector %u forward exit %u forward %llu return %llu ticks",
		  __entry->cpu,
		  __print_symbolic(__entry->stop_reason,
				   { PMSW_NATIVE_RETURNED, "RETURNED" },
				   { PMSW_NATIVE_EXCEPTION, "EXCEPTION" },
				   { PMSW_NATIVE_LIMIT, "LIMIT" },
				   { PMSW_NATIVE_NMI, "NMI" }),
		  __entry->vector, __entry->forward_exit,
		  __entry->forward_ticks, __entry->return_ticks)
);

#endif /* PMSW_TRACE_H */

/* Out of the kernel tree: define_trace.h finds this file by -I$(src)/kmod. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
