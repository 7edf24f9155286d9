// SPDX-License-Identifier: GPL-2.0
/*
 * Exit handlers: what the monitor does after each VM exit, one handler
 * per basic exit reason (SDM Appendix C), looked up in a table. Each
 * returns whether to resume the context, switch to another one or stop
 * the run. Runs with interrupts off and the exiting context's VMCS
 * current.
 *
 * Events are never lost across an exit (SDM 28.2.4, 27.6): an event the
 * CPU was delivering through the guest's IDT when the exit happened
 * (IDT-vectoring information) is injected again on the next entry, as
 * are #DB and #AC, which always exit (CVE-2015-8104, CVE-2015-5307: a
 * guest could otherwise make the CPU redeliver them forever without an
 * instruction boundary, so that no interrupt, NMI or timer ever brings
 * the CPU back) but belong to the context unless it asked to stop on
 * them. An instruction the monitor completes for the guest (VMCALL,
 * CPUID) ends STI/MOV-SS blocking and raises the single-step trap the
 * guest asked for with RFLAGS.TF, as executing it would have.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/msr-index.h>
#include <asm/processor.h>

#include "decode.h"
#include "run.h"
#include "run_int.h"
#include "session.h"
#include "trace.h"
#include "vmx_ops.h"

/* Guest interruptibility state (SDM 25.4.2, Table 25-3). */
#define INTR_STI		(1U << 0)
#define INTR_MOVSS		(1U << 1)
#define INTR_NMI		(1U << 3)
#define RFLAGS_TF		(1ULL << 8)

typedef enum next_step (*exit_handler)(struct run_state *rs,
				       struct pmsw_ctx *ctx, u32 *next);

void pmsw_stop(struct run_state *rs, u32 reason, const char *fmt, ...)
{
	va_list ap;

	rs->run->stop_reason = reason;
	va_start(ap, fmt);
	vsnprintf(rs->run->reason, sizeof(rs->run->reason), fmt, ap);
	va_end(ap);
}

/* Deliver @info (VM-entry interruption-information format) on entry. */
static void inject(struct pmsw_ctx *ctx, u32 info, u32 error_code, u32 len)
{
	struct pmsw_vmcs *v = ctx->vmcs;

	if (info & PMSW_INTR_ERROR_VALID)
		pmsw_vmcs_write32(v, VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE,
				  error_code);
	/* Software interrupts and exceptions need their length (27.6.1.1). */
	if (PMSW_INTR_TYPE(info) >= PMSW_INTR_TYPE_SOFT_INTR)
		pmsw_vmcs_write32(v, VMCS_VM_ENTRY_INSTRUCTION_LEN, len);
	pmsw_vmcs_write32(v, VMCS_VM_ENTRY_INTR_INFO, info | PMSW_INTR_VALID);
}

/*
 * An exit during event delivery: deliver the event again on the next
 * entry. Bit 12 of IDT-vectoring information is undefined, and reserved
 * in the entry field (SDM 25.8.3).
 */
static void reinject_vectoring(struct pmsw_ctx *ctx, struct pmsw_exit *e)
{
	struct pmsw_vmcs *v = ctx->vmcs;
	u32 info, code = 0, len = 0;

	info = pmsw_vmcs_read32(v, VMCS_IDT_VECTORING_INFO_FIELD);
	e->idt_vectoring_info = info;
	if (!(info & PMSW_INTR_VALID))
		return;
	if (info & PMSW_INTR_ERROR_VALID)
		code = pmsw_vmcs_read32(v, VMCS_IDT_VECTORING_ERROR_CODE);
	if (PMSW_INTR_TYPE(info) >= PMSW_INTR_TYPE_SOFT_INTR)
		len = pmsw_vmcs_read32(v, VMCS_VM_EXIT_INSTRUCTION_LEN);
	inject(ctx, info & ~(PMSW_INTR_NMI_UNBLOCK | PMSW_INTR_VALID), code,
	       len);
}

/*
 * A fault in IRET that unblocked virtual NMIs is reported with bit 12 of
 * the exit's interruption information: the IRET did not complete, so the
 * blocking must be set again before re-entry (SDM 28.2.3).
 */
static void restore_nmi_blocking(struct pmsw_ctx *ctx, u32 intr_info)
{
	u32 intr;

	if (!(intr_info & PMSW_INTR_NMI_UNBLOCK) ||
	    PMSW_INTR_VECTOR(intr_info) == 8)	/* not after #DF */
		return;
	intr = pmsw_vmcs_read32(ctx->vmcs, VMCS_GUEST_INTERRUPTIBILITY_INFO);
	pmsw_vmcs_write32(ctx->vmcs, VMCS_GUEST_INTERRUPTIBILITY_INFO,
			  intr | INTR_NMI);
}

static enum next_step exception_stop(struct run_state *rs,
				     struct pmsw_ctx *ctx)
{
	const struct pmsw_exit *e = &rs->exit;
	u32 vector = PMSW_INTR_VECTOR(e->intr_info);

	if (e->intr_info & PMSW_INTR_ERROR_VALID)
		pmsw_stop(rs, PMSW_STOP_EXIT, "context %u: exception %u (%s), error code %#x",
			  ctx->id, vector, pmsw_exception_name(vector),
			  e->intr_error_code);
	else
		pmsw_stop(rs, PMSW_STOP_EXIT, "context %u: exception %u (%s)",
			  ctx->id, vector, pmsw_exception_name(vector));
	return NEXT_STOP;
}

/*
 * Exceptions and NMIs. NMIs were handed to the host already (enter.c),
 * machine checks go to the host's handler; #DB and #AC go back to the
 * context's IDT unless its own bitmap asked to stop on them.
 */
static enum next_step handle_exception_nmi(struct run_state *rs,
					   struct pmsw_ctx *ctx, u32 *next)
{
	struct pmsw_exit *e = &rs->exit;
	struct pmsw_vmcs *v = ctx->vmcs;
	u32 vector = PMSW_INTR_VECTOR(e->intr_info);
	u32 type = PMSW_INTR_TYPE(e->intr_info);

	if (type == PMSW_INTR_TYPE_NMI)
		return NEXT_RESUME;
	if (vector == PMSW_EXC_MC && type == PMSW_INTR_TYPE_HW_EXC) {
		pmsw_machine_check();
		/* Let the host act on it (e.g. SIGBUS) before going on. */
		rs->end_block = true;
		reinject_vectoring(ctx, e);
		return NEXT_RESUME;
	}
	if (e->intr_info & PMSW_INTR_ERROR_VALID)
		e->intr_error_code = pmsw_vmcs_read32(v, VMCS_VM_EXIT_INTR_ERROR_CODE);
	e->qualification = pmsw_vmcs_readl(v, VMCS_EXIT_QUALIFICATION);
	if (ctx->cur.exception_bitmap & BIT(vector))
		return exception_stop(rs, ctx);
	if (vector != PMSW_EXC_DB && vector != PMSW_EXC_AC)
		return exception_stop(rs, ctx);	/* not ours to exit on */

	restore_nmi_blocking(ctx, e->intr_info);
	/* Exit during delivery of another event: that event comes first. */
	reinject_vectoring(ctx, e);
	if (e->idt_vectoring_info & PMSW_INTR_VALID)
		return NEXT_RESUME;
	inject(ctx, e->intr_info & ~(PMSW_INTR_NMI_UNBLOCK | PMSW_INTR_VALID),
	       e->intr_error_code, type == PMSW_INTR_TYPE_PRIV_SW_EXC ?
	       pmsw_vmcs_read32(v, VMCS_VM_EXIT_INSTRUCTION_LEN) : 0);
	return NEXT_RESUME;
}

/* Interrupts and the preemption timer: the host runs, then we resume. */
static enum next_step handle_host_event(struct run_state *rs,
					struct pmsw_ctx *ctx, u32 *next)
{
	if ((rs->exit.reason & 0xffff) == PMSW_EXIT_EXTERNAL_INTERRUPT)
		reinject_vectoring(ctx, &rs->exit);
	rs->end_block = true;
	return NEXT_RESUME;
}

/*
 * Complete an instruction for the guest: advance RIP, end STI/MOV-SS
 * blocking (it lasts one instruction, SDM 25.4.2) and raise the
 * single-step trap that RFLAGS.TF asks for after it (SDM Vol. 3B 18.3.1.4).
 * Returns false when the trap stops the run (the context's bitmap).
 */
static bool skip_instruction(struct run_state *rs, struct pmsw_ctx *ctx)
{
	struct pmsw_vmcs *v = ctx->vmcs;
	unsigned long rip = pmsw_vmreadl(VMCS_GUEST_RIP);
	u32 len = pmsw_vmread32(VMCS_VM_EXIT_INSTRUCTION_LEN);
	u32 intr = pmsw_vmread32(VMCS_GUEST_INTERRUPTIBILITY_INFO);
	unsigned long rflags = pmsw_vmreadl(VMCS_GUEST_RFLAGS);

	/* The four VMREADs above, counted at once. */
	v->counters->vmreads += 4;
	this_cpu_add(pmsw_global_counters.vmreads, 4);
	rs->exit.instruction_len = len;
	pmsw_vmcs_writel(v, VMCS_GUEST_RIP, rip + len);
	if (intr & (INTR_STI | INTR_MOVSS))
		pmsw_vmcs_write32(v, VMCS_GUEST_INTERRUPTIBILITY_INFO,
				  intr & ~(INTR_STI | INTR_MOVSS));
	if (!(rflags & RFLAGS_TF))
		return true;
	if (ctx->cur.exception_bitmap & BIT(PMSW_EXC_DB)) {
		rs->exit.intr_info = PMSW_INTR_VALID |
				     (PMSW_INTR_TYPE_HW_EXC << 8) | PMSW_EXC_DB;
		pmsw_stop(rs, PMSW_STOP_EXIT, "context %u: exception 1 (#DB): single-step after an instruction the monitor completed",
			  ctx->id);
		return false;
	}
	inject(ctx, (PMSW_INTR_TYPE_HW_EXC << 8) | PMSW_EXC_DB, 0, 0);
	return true;
}

/*
 * CPUID: the host's leaves with VMX and SMX hidden and the hypervisor bit
 * set, leaf 0x40000000 reporting "pmswitch" ([guest-mode]'s feature report
 * to the guest) and the highest pmswitch leaf, and leaf 0x40000001 the
 * reserved range: base, size and the features offered there (the info
 * page's copy, set before any context ran).
 */
static enum next_step handle_cpuid(struct run_state *rs, struct pmsw_ctx *ctx,
				   u32 *next)
{
	u32 leaf = ctx->regs[PMSW_RAX], sub = ctx->regs[PMSW_RCX];
	u32 a = 0, b = 0, c = 0, d = 0;

	if ((leaf & 0xffffff00) == 0x40000000) {
		if (leaf == 0x40000000) {
			a = PMSW_CPUID_RESERVED;
			memcpy(&b, "pmsw", 4);
			memcpy(&c, "itch", 4);
		} else if (leaf == PMSW_CPUID_RESERVED) {
			a = PMSW_RESERVED_BASE;
			b = PMSW_RESERVED_SIZE;
			c = rs->s->info_page->features;
		}
	} else {
		cpuid_count(leaf, sub, &a, &b, &c, &d);
		if (leaf == 1) {
			c &= ~(BIT(5) | BIT(6));	/* VMX, SMX */
			c |= BIT(31);			/* hypervisor present */
		}
	}
	ctx->regs[PMSW_RAX] = a;
	ctx->regs[PMSW_RBX] = b;
	ctx->regs[PMSW_RCX] = c;
	ctx->regs[PMSW_RDX] = d;
	return skip_instruction(rs, ctx) ? NEXT_RESUME : NEXT_STOP;
}

/* Is the context in 64-bit mode (IA-32e mode and CS.L, SDM 2.2)? */
static bool in_64bit_mode(struct pmsw_ctx *ctx)
{
	/* EFER.LME cannot change (WRMSR exits): without it, never. */
	if (!(ctx->cur.efer & EFER_LME))
		return false;
	return (pmsw_vmcs_read64(ctx->vmcs, VMCS_GUEST_IA32_EFER) & EFER_LMA) &&
	       (pmsw_vmcs_read32(ctx->vmcs, VMCS_GUEST_CS_AR_BYTES) & PMSW_AR_L);
}

/*
 * Hypercalls, from CPL 0 only (CPL is SS.DPL, SDM 5.5): anything less
 * privileged in the context gets -EPERM. The operands are as wide as the
 * CPU mode at the VMCALL: outside 64-bit mode the upper halves are
 * whatever the context left there.
 */
static enum next_step handle_vmcall(struct run_state *rs, struct pmsw_ctx *ctx,
				    u32 *next)
{
	u64 func = ctx->regs[PMSW_RAX], arg = ctx->regs[PMSW_RBX];
	u32 ss_ar = pmsw_vmcs_read32(ctx->vmcs, VMCS_GUEST_SS_AR_BYTES);

	if (!skip_instruction(rs, ctx))
		return NEXT_STOP;
	if (PMSW_AR_DPL(ss_ar)) {
		ctx->regs[PMSW_RAX] = -EPERM;
		return NEXT_RESUME;
	}
	if (!in_64bit_mode(ctx)) {
		func = (u32)func;
		arg = (u32)arg;
	}
	switch (func) {
	case PMSW_HC_SWITCH:
		if (arg > U32_MAX || !pmsw_session_ctx(rs->s, arg)) {
			ctx->regs[PMSW_RAX] = -ENOENT;
			return NEXT_RESUME;
		}
		ctx->regs[PMSW_RAX] = 0;
		*next = arg;
		trace_pmsw_switch(rs, ctx, arg, PMSW_TRACE_SWITCH_VMCALL, 1);
		return NEXT_SWITCH;
	case PMSW_HC_STOP:
		ctx->regs[PMSW_RAX] = 0;
		rs->run->stop_code = arg;
		pmsw_stop_hypercall(rs, ctx->id, arg);
		return NEXT_STOP;
	case PMSW_HC_XL_REFUSED:
		/* exitless_routine.S: SYSENTER outside the routine's path. */
		pmsw_stop(rs, PMSW_STOP_EXIT, "context %u: the exit-less routine refused a SYSENTER that did not come through its VMFUNC (CR3 is not the transit root)",
			  ctx->id);
		return NEXT_STOP;
	default:
		ctx->regs[PMSW_RAX] = -ENOSYS;
		return NEXT_RESUME;
	}
}

static enum next_step handle_hlt(struct run_state *rs, struct pmsw_ctx *ctx,
				 u32 *next)
{
	if (skip_instruction(rs, ctx))
		pmsw_stop(rs, PMSW_STOP_HLT, "context %u executed HLT", ctx->id);
	return NEXT_STOP;
}

static enum next_step handle_triple_fault(struct run_state *rs,
					  struct pmsw_ctx *ctx, u32 *next)
{
	pmsw_stop(rs, PMSW_STOP_EXIT, "context %u: triple fault (shutdown)",
		  ctx->id);
	return NEXT_STOP;
}

static enum next_step handle_machine_check_entry(struct run_state *rs,
						 struct pmsw_ctx *ctx,
						 u32 *next)
{
	pmsw_machine_check();
	pmsw_stop(rs, PMSW_STOP_ENTRY_FAILED,
		  "context %u: machine check during VM entry (handled by the host)",
		  ctx->id);
	return NEXT_STOP;
}

/* Everything else stops the run with a report of the exit. */
static enum next_step stop_on_exit(struct run_state *rs, struct pmsw_ctx *ctx,
				   u32 *next)
{
	struct pmsw_exit *e = &rs->exit;
	struct pmsw_vmcs *v = ctx->vmcs;
	char buf[112];

	e->qualification = pmsw_vmcs_readl(v, VMCS_EXIT_QUALIFICATION);
	switch (e->reason & 0xffff) {
	case PMSW_EXIT_EPT_VIOLATION:
	case PMSW_EXIT_EPT_MISCONFIG:
		e->guest_physical = pmsw_vmcs_read64(v, VMCS_GUEST_PHYSICAL_ADDRESS);
		e->guest_linear = pmsw_vmcs_readl(v, VMCS_GUEST_LINEAR_ADDRESS);
		/* Continuing the run delivers the interrupted event. */
		reinject_vectoring(ctx, e);
		pmsw_describe_ept_violation(buf, sizeof(buf), e->qualification,
					    e->guest_physical, rs->s->mem_bytes);
		pmsw_stop(rs, PMSW_STOP_EXIT, "context %u: %s", ctx->id, buf);
		break;
	case PMSW_EXIT_IO:
		pmsw_stop(rs, PMSW_STOP_EXIT, "context %u: I/O %s port %#llx refused",
			  ctx->id, e->qualification & 8 ? "read from" : "write to",
			  e->qualification >> 16);
		break;
	case PMSW_EXIT_RDMSR:
	case PMSW_EXIT_WRMSR:
		pmsw_stop(rs, PMSW_STOP_EXIT, "context %u: %s of MSR %#llx refused",
			  ctx->id, pmsw_exit_reason_name(e->reason),
			  ctx->regs[PMSW_RCX] & 0xffffffff);
		break;
	case PMSW_EXIT_VMFUNC:
		/* EAX not 0, or an EPTP-list entry that is not a member's. */
		pmsw_stop(rs, PMSW_STOP_EXIT, "context %u: VMFUNC %llu with EPTP index %llu not in the session's list",
			  ctx->id, ctx->regs[PMSW_RAX] & 0xffffffff,
			  ctx->regs[PMSW_RCX] & 0xffffffff);
		break;
	case PMSW_EXIT_CR_ACCESS:
		/* Access type 0 (MOV to CR) of CR3: CR3-load exiting (25.6.7). */
		if ((e->qualification & 0x3f) == 3) {
			pmsw_stop(rs, PMSW_STOP_EXIT, "context %u: MOV to CR3 of a value not in the exit-less group's CR3-target list",
				  ctx->id);
			break;
		}
		pmsw_stop(rs, PMSW_STOP_EXIT, "context %u: MOV %s CR%llu trapped by the guest/host mask",
			  ctx->id, (e->qualification >> 4) & 3 ? "from" : "to",
			  e->qualification & 15);
		break;
	default:
		pmsw_stop(rs, PMSW_STOP_EXIT, "context %u: %s (exit reason %u, qualification %#llx)",
			  ctx->id, pmsw_exit_reason_name(e->reason),
			  e->reason & 0xffff, e->qualification);
	}
	return NEXT_STOP;
}

static const exit_handler handlers[PMSW_NR_EXIT_REASONS] = {
	[PMSW_EXIT_EXCEPTION_NMI]	= handle_exception_nmi,
	[PMSW_EXIT_EXTERNAL_INTERRUPT]	= handle_host_event,
	[PMSW_EXIT_TRIPLE_FAULT]	= handle_triple_fault,
	[PMSW_EXIT_CPUID]		= handle_cpuid,
	[PMSW_EXIT_HLT]			= handle_hlt,
	[PMSW_EXIT_VMCALL]		= handle_vmcall,
	[PMSW_EXIT_MCE_DURING_ENTRY]	= handle_machine_check_entry,
	[PMSW_EXIT_PREEMPTION_TIMER]	= handle_host_event,
};

/* A VMfail, or an entry that failed its checks (exit reason bit 31). */
static enum next_step entry_failed(struct run_state *rs, struct pmsw_ctx *ctx)
{
	const struct pmsw_exit *e = &rs->exit;

	if (rs->enter_ret) {
		pmsw_stop(rs, PMSW_STOP_ENTRY_FAILED, rs->enter_ret == 1 ?
			  "context %u: VM entry failed: %s (VM-instruction error %u)" :
			  "context %u: VM entry faulted: VMX operation lost",
			  ctx->id,
			  pmsw_vm_instruction_error_name(e->vm_instruction_error),
			  e->vm_instruction_error);
		return NEXT_STOP;
	}
	rs->exit.qualification = pmsw_vmcs_readl(ctx->vmcs,
						 VMCS_EXIT_QUALIFICATION);
	pmsw_stop(rs, PMSW_STOP_ENTRY_FAILED, "context %u: %s: %s",
		  ctx->id, pmsw_exit_reason_name(e->reason),
		  (e->reason & 0xffff) == PMSW_EXIT_INVALID_GUEST_STATE ?
		  pmsw_entry_failure_name(e->qualification) : "see the SDM, 27.8");
	return NEXT_STOP;
}

/* Decide what follows the exit that ended the last entry into @ctx. */
enum next_step pmsw_handle_exit(struct run_state *rs, struct pmsw_ctx *ctx,
				u32 *next)
{
	u32 reason = rs->exit.reason & 0xffff;

	if (rs->enter_ret || (rs->exit.reason & PMSW_EXIT_FAILED_ENTRY)) {
		if (reason == PMSW_EXIT_MCE_DURING_ENTRY && !rs->enter_ret)
			return handle_machine_check_entry(rs, ctx, next);
		return entry_failed(rs, ctx);
	}
	/* The switch path: a direct call, no indirect branch. */
	if (reason == PMSW_EXIT_VMCALL)
		return handle_vmcall(rs, ctx, next);
	if (reason < ARRAY_SIZE(handlers) && handlers[reason])
		return handlers[reason](rs, ctx, next);
	return stop_on_exit(rs, ctx, next);
}
