// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop and the exit handlers.
 *
 * A run enters a context and keeps going until something stops it. When
 * the running context executes VMCALL with PMSW_HC_SWITCH, the monitor
 * makes the target's VMCS current (VMPTRLD) and enters it: CR0, CR3, CR4,
 * GDTR, IDTR, segments, stack and entry point are all loaded by that one
 * VM entry (seeds 000/001), so the processor is never half-switched.
 * Every entry is typed (seed 004): VMLAUNCH while the VMCS's launch
 * state is clear, VMRESUME once it is launched and current on this CPU.
 *
 * Entries run in blocks with preemption and interrupts off. Inside a
 * block a switch costs two VMREADs, the RIP advance, a VMPTRLD and the
 * entry; interrupts are off only for that short path, because any host
 * interrupt that arrives while a guest runs makes it exit (external-
 * interrupt exiting) and ends the block, as do the preemption timer,
 * need_resched(), a signal or a full record buffer. Between blocks the
 * host's state is put back (SDM 28.5), records are copied out and the
 * host may schedule. Exits are handled while the VMCS is still current
 * on this CPU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "caps.h"
#include "decode.h"
#include "run.h"
#include "session.h"
#include "vmx_ops.h"


#define EXIT_REASON_FAILED_ENTRY	(1U << 31)
#define INTR_INFO_VECTOR(i)		((i) & 0xff)
#define INTR_INFO_TYPE(i)		(((i) >> 8) & 7)
#define INTR_INFO_ERROR_VALID		(1U << 11)
#define INTR_TYPE_NMI			2
/* L0-L3 and G0-G3: a breakpoint of the host's is armed (SDM 18.2.4). */
#define DR7_BREAKPOINT_ENABLES		0xffUL

/* Host state the VMCS must carry, as it is on the CPU a run is on. */
struct host_state {
	int cpu;
	struct desc_ptr gdt;
	struct desc_ptr idt;
	u64 cr0, cr3, cr4;
	u64 fs_base, gs_base, tr_base;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 pat, efer;
};

/* State of one PMSW_IOC_RUN. */
struct run_state {
	struct pmsw_session *s;
	struct pmsw_run *run;
	struct pmsw_transition __user *records;
	struct host_state host;
	u64 last_exit_tsc;
	u64 kernel_gs_base;
	u16 ds, es, fs_sel, gs_sel, ldt_sel;
	u32 from;
	/* The exit that ended the last entry. */
	struct pmsw_exit exit;
	int enter_ret;
	/* Host state saved at the start of a block, put back at its end. */
	unsigned long dr7;
	u64 debugctl;
	bool ran_64bit;
	/* Generation of the current block: VMCSs prepared in it carry it. */
	u32 gen;
	/* Transitions of the current block, copied out at its end. */
	unsigned int nr_buf;
	struct pmsw_transition buf[32];
};

/* What to do after an exit. */
enum next_step { NEXT_RESUME, NEXT_SWITCH, NEXT_STOP };

static void read_host_state(struct host_state *h, int cpu)
{
	h->cpu = cpu;
	native_store_gdt(&h->gdt);
	store_idt(&h->idt);
	h->cr0 = read_cr0();
	h->cr3 = __read_cr3();
	h->cr4 = cr4_read_shadow();
	rdmsrl(MSR_FS_BASE, h->fs_base);
	rdmsrl(MSR_GS_BASE, h->gs_base);
	h->tr_base = (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss;
	rdmsrl(MSR_IA32_SYSENTER_CS, h->sysenter_cs);
	rdmsrl(MSR_IA32_SYSENTER_ESP, h->sysenter_esp);
	rdmsrl(MSR_IA32_SYSENTER_EIP, h->sysenter_eip);
	rdmsrl(MSR_IA32_CR_PAT, h->pat);
	rdmsrl(MSR_EFER, h->efer);
}

/*
 * Controls, host state and constant guest fields, through the field
 * cache: after the first entry on a CPU these are all elided.
 */
static void write_static_fields(struct pmsw_session *s, struct pmsw_ctx *ctx,
				const struct host_state *h)
{
	struct pmsw_vmcs *v = ctx->vmcs;

	pmsw_vmcs_write(v, VF_PIN_BASED_VM_EXEC_CONTROL, ctx->env.pin);
	pmsw_vmcs_write(v, VF_CPU_BASED_VM_EXEC_CONTROL, ctx->env.proc);
	pmsw_vmcs_write(v, VF_SECONDARY_VM_EXEC_CONTROL, ctx->env.proc2);
	pmsw_vmcs_write(v, VF_VM_EXIT_CONTROLS, ctx->env.exit);
	pmsw_vmcs_write(v, VF_EPT_POINTER, s->eptp);
	pmsw_vmcs_write(v, VF_VM_ENTRY_INTR_INFO, 0);
	pmsw_vmcs_write(v, VF_CR3_TARGET_COUNT, 0);
	pmsw_vmcs_write(v, VF_VM_EXIT_MSR_STORE_COUNT, 0);
	pmsw_vmcs_write(v, VF_VM_EXIT_MSR_LOAD_COUNT, 0);
	pmsw_vmcs_write(v, VF_VM_ENTRY_MSR_LOAD_COUNT, 0);
	pmsw_vmcs_write(v, VF_PAGE_FAULT_ERROR_CODE_MASK, 0);
	pmsw_vmcs_write(v, VF_PAGE_FAULT_ERROR_CODE_MATCH, 0);
	if (ctx->env.pin & PMSW_PIN_PREEMPTION_TIMER)
		pmsw_vmcs_write(v, VF_VMX_PREEMPTION_TIMER_VALUE,
				s->preemption_ticks);

	/* Host state (SDM 27.2.3): selectors with RPL 0 and TI 0. */
	pmsw_vmcs_write(v, VF_HOST_CS_SELECTOR, __KERNEL_CS);
	pmsw_vmcs_write(v, VF_HOST_SS_SELECTOR, __KERNEL_DS);
	pmsw_vmcs_write(v, VF_HOST_DS_SELECTOR, 0);
	pmsw_vmcs_write(v, VF_HOST_ES_SELECTOR, 0);
	pmsw_vmcs_write(v, VF_HOST_FS_SELECTOR, 0);
	pmsw_vmcs_write(v, VF_HOST_GS_SELECTOR, 0);
	pmsw_vmcs_write(v, VF_HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	pmsw_vmcs_write(v, VF_HOST_RIP, (unsigned long)pmsw_vmexit);
	pmsw_vmcs_write(v, VF_HOST_CR0, h->cr0);
	pmsw_vmcs_write(v, VF_HOST_CR3, h->cr3);
	pmsw_vmcs_write(v, VF_HOST_CR4, h->cr4);
	pmsw_vmcs_write(v, VF_HOST_FS_BASE, h->fs_base);
	pmsw_vmcs_write(v, VF_HOST_GS_BASE, h->gs_base);
	pmsw_vmcs_write(v, VF_HOST_TR_BASE, h->tr_base);
	pmsw_vmcs_write(v, VF_HOST_GDTR_BASE, h->gdt.address);
	pmsw_vmcs_write(v, VF_HOST_IDTR_BASE, h->idt.address);
	pmsw_vmcs_write(v, VF_HOST_IA32_SYSENTER_CS, h->sysenter_cs);
	pmsw_vmcs_write(v, VF_HOST_IA32_SYSENTER_ESP, h->sysenter_esp);
	pmsw_vmcs_write(v, VF_HOST_IA32_SYSENTER_EIP, h->sysenter_eip);
	pmsw_vmcs_write(v, VF_HOST_IA32_PAT, h->pat);
	pmsw_vmcs_write(v, VF_HOST_IA32_EFER, h->efer);
}

/* The context fields changed since the last entry, and only those. */
static void write_dirty_fields(struct pmsw_ctx *ctx)
{
	struct pmsw_ctx_fields *f = &ctx->fields;
	unsigned int i;

	for (i = 0; i < PMSW_VMCS_NR_FIELDS; i++) {
		if (!pmsw_field_test(ctx->dirty, i))
			continue;
		pmsw_vmcs_write(ctx->vmcs, i, f->val[i]);
	}
	memset(ctx->dirty, 0, sizeof(ctx->dirty));
}

/*
 * Put back what a VM exit changes of the host beyond the VMCS host-state
 * area (SDM 28.5): GDTR and IDTR limits are set to 0xffff, the TR limit
 * to 0x67, LDTR is made unusable, IA32_DEBUGCTL is cleared and DR7 set to
 * 0x400. IA32_KERNEL_GS_BASE is not in the VMCS at all but a 64-bit
 * guest can change it with SWAPGS. Interrupts off.
 */
static void restore_host(struct run_state *rs)
{
	native_load_gdt(&rs->host.gdt);
	load_idt(&rs->host.idt);
	invalidate_tss_limit();
	/* SWAPGS exists only in 64-bit mode. */
	if (rs->ran_64bit)
		wrmsrl(MSR_KERNEL_GS_BASE, rs->kernel_gs_base);
	if (rs->debugctl)
		update_debugctlmsr(rs->debugctl);
	if (rs->dr7 & DR7_BREAKPOINT_ENABLES)
		set_debugreg(rs->dr7, 7);
}

/*
 * Read what the exit's handler needs and no more: every VMREAD is on the
 * path back into the guest. Exits that stop the run read the rest later
 * (read_exit_details()).
 */
static void read_exit(struct pmsw_vmcs *v, struct pmsw_exit *e)
{
	memset(e, 0, sizeof(*e));
	e->reason = pmsw_vmcs_read(v, VMCS_VM_EXIT_REASON);
	switch (e->reason & 0xffff) {
	case PMSW_EXIT_EXTERNAL_INTERRUPT:
	case PMSW_EXIT_PREEMPTION_TIMER:
		break;
	case PMSW_EXIT_VMCALL:
	case PMSW_EXIT_CPUID:
	case PMSW_EXIT_HLT:
		e->instruction_len = pmsw_vmcs_read(v, VMCS_VM_EXIT_INSTRUCTION_LEN);
		break;
	case PMSW_EXIT_EXCEPTION_NMI:
		e->intr_info = pmsw_vmcs_read(v, VMCS_VM_EXIT_INTR_INFO);
		fallthrough;
	default:
		e->qualification = pmsw_vmcs_read(v, VMCS_EXIT_QUALIFICATION);
	}
}

/* The rest of an exit that stops the run, for the report. */
static void read_exit_details(struct pmsw_vmcs *v, struct pmsw_exit *e)
{
	switch (e->reason & 0xffff) {
	case PMSW_EXIT_EXCEPTION_NMI:
		e->intr_error_code = pmsw_vmcs_read(v, VMCS_VM_EXIT_INTR_ERROR_CODE);
		break;
	case PMSW_EXIT_EPT_VIOLATION:
	case PMSW_EXIT_EPT_MISCONFIG:
		e->guest_physical = pmsw_vmcs_read(v, VMCS_GUEST_PHYSICAL_ADDRESS);
		e->guest_linear = pmsw_vmcs_read(v, VMCS_GUEST_LINEAR_ADDRESS);
		break;
	}
	if (!e->instruction_len)
		e->instruction_len = pmsw_vmcs_read(v, VMCS_VM_EXIT_INSTRUCTION_LEN);
	e->idt_vectoring_info = pmsw_vmcs_read(v, VMCS_IDT_VECTORING_INFO_FIELD);
}

/* Guest-state fields a VM exit may change (SDM 28.3), computed once. */
static __u64 exit_changed[PMSW_FIELD_WORDS];

/*
 * Make @ctx's VMCS ready for an entry in this block: controls and host
 * state once per block (through the cache: after the first entry on a
 * CPU they are all elided), the context's changed fields always.
 */
static void prepare_entry(struct run_state *rs, struct pmsw_ctx *ctx,
			  struct pmsw_transition *t)
{
	struct pmsw_vmcs *v = ctx->vmcs;
	u32 ctx_writes;

	v->writes = 0;
	v->elided = 0;
	if (v->prepared_gen != rs->gen) {
		write_static_fields(rs->s, ctx, &rs->host);
		v->prepared_gen = rs->gen;
	}
	ctx_writes = v->writes;
	if (ctx->dirty[0] | ctx->dirty[1])
		write_dirty_fields(ctx);
	t->vmwrites_context = v->writes - ctx_writes;
	t->type = v->launched ? PMSW_ENTRY_RESUME : PMSW_ENTRY_LAUNCH;
	if (ctx->env.entry & PMSW_ENTRY_IA32E_MODE)
		rs->ran_64bit = true;
}

/*
 * One VM entry into @ctx and the exit that ends it: this CPU, preemption
 * and interrupts off, @ctx's VMCS current. Fills @t.
 */
static void enter_once(struct run_state *rs, struct pmsw_ctx *ctx,
		       struct pmsw_transition *t)
{
	struct pmsw_vmcs *v = ctx->vmcs;
	int ret;

	prepare_entry(rs, ctx, t);
	t->ticks = rdtsc() - rs->last_exit_tsc;
	ret = pmsw_vmenter(v, ctx->regs, v->launched);
	rs->last_exit_tsc = rdtsc();
	rs->enter_ret = ret;

	/* The count includes HOST_RSP, written from vmenter.S. */
	t->vmwrites = v->writes;
	t->vmwrites_elided = v->elided;
	if (ret) {
		memset(&rs->exit, 0, sizeof(rs->exit));
		if (ret == 1)
			rs->exit.vm_instruction_error =
				pmsw_vmcs_read(v, VMCS_VM_INSTRUCTION_ERROR);
		t->exit_reason = EXIT_REASON_FAILED_ENTRY;
		return;
	}

	read_exit(v, &rs->exit);
	/* An NMI that exited belongs to the host: deliver it now. */
	if ((rs->exit.reason & 0xffff) == PMSW_EXIT_EXCEPTION_NMI &&
	    INTR_INFO_TYPE(rs->exit.intr_info) == INTR_TYPE_NMI)
		asm volatile("int $2");

	/* An entry that failed its checks (bit 31) did not launch. */
	if (!(rs->exit.reason & EXIT_REASON_FAILED_ENTRY))
		v->launched = true;
	if (t->type == PMSW_ENTRY_LAUNCH)
		PMSW_COUNT(v, launches);
	else
		PMSW_COUNT(v, resumes);
	pmsw_vmcs_forget(v, (unsigned long *)exit_changed);
	ctx->stale = true;
	t->exit_reason = rs->exit.reason;
	t->exit_qualification = rs->exit.qualification;
	rs->s->exits[(rs->exit.reason & 0xffff) % PMSW_NR_EXIT_REASONS]++;
	this_cpu_inc(pmsw_global_exits[(rs->exit.reason & 0xffff) %
				       PMSW_NR_EXIT_REASONS]);
}

static __printf(3, 4) void stop(struct run_state *rs, u32 reason,
				const char *fmt, ...)
{
	va_list ap;

	rs->run->stop_reason = reason;
	va_start(ap, fmt);
	vsnprintf(rs->run->reason, sizeof(rs->run->reason), fmt, ap);
	va_end(ap);
}

static void skip_instruction(struct pmsw_ctx *ctx, const struct pmsw_exit *e)
{
	u64 rip = pmsw_vmcs_read(ctx->vmcs, VMCS_GUEST_RIP);

	pmsw_vmcs_write(ctx->vmcs, VF_GUEST_RIP, rip + e->instruction_len);
}

/*
 * CPUID: the host's leaves with VMX and SMX hidden and the hypervisor bit
 * set, and leaf 0x40000000 reporting "pmswitch" (seed 002's feature
 * report to the guest).
 */
static void handle_cpuid(struct pmsw_ctx *ctx)
{
	u32 leaf = ctx->regs[PMSW_RAX], sub = ctx->regs[PMSW_RCX];
	u32 a = 0, b = 0, c = 0, d = 0;

	if ((leaf & 0xffffff00) == 0x40000000) {
		if (leaf == 0x40000000) {
			a = 0x40000000;
			memcpy(&b, "pmsw", 4);
			memcpy(&c, "itch", 4);
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
}

static enum next_step handle_vmcall(struct run_state *rs, struct pmsw_ctx *ctx,
				    u32 *next)
{
	u64 func = ctx->regs[PMSW_RAX], arg = ctx->regs[PMSW_RBX];

	/* 32-bit and 16-bit callers leave garbage in the upper halves. */
	if (!(ctx->env.entry & PMSW_ENTRY_IA32E_MODE)) {
		func = (u32)func;
		arg = (u32)arg;
	}
	switch (func) {
	case PMSW_HC_SWITCH:
		if (!pmsw_session_ctx(rs->s, arg)) {
			ctx->regs[PMSW_RAX] = -ENOENT;
			return NEXT_RESUME;
		}
		ctx->regs[PMSW_RAX] = 0;
		*next = arg;
		return NEXT_SWITCH;
	case PMSW_HC_STOP:
		ctx->regs[PMSW_RAX] = 0;
		rs->run->stop_code = arg;
		stop(rs, PMSW_STOP_HYPERCALL, "context %u stopped the run (code %llu)",
		     ctx->id, arg);
		return NEXT_STOP;
	default:
		ctx->regs[PMSW_RAX] = -ENOSYS;
		return NEXT_RESUME;
	}
}

static enum next_step stop_on_exit(struct run_state *rs, struct pmsw_ctx *ctx)
{
	const struct pmsw_exit *e = &rs->exit;
	u32 vector = INTR_INFO_VECTOR(e->intr_info);
	char buf[112];

	read_exit_details(ctx->vmcs, &rs->exit);
	switch (e->reason & 0xffff) {
	case PMSW_EXIT_EXCEPTION_NMI:
		if (e->intr_info & INTR_INFO_ERROR_VALID)
			stop(rs, PMSW_STOP_EXIT, "context %u: exception %u (%s), error code %#x",
			     ctx->id, vector, pmsw_exception_name(vector),
			     e->intr_error_code);
		else
			stop(rs, PMSW_STOP_EXIT, "context %u: exception %u (%s)",
			     ctx->id, vector, pmsw_exception_name(vector));
		break;
	case PMSW_EXIT_EPT_VIOLATION:
		pmsw_describe_ept_violation(buf, sizeof(buf), e->qualification,
					    e->guest_physical, rs->s->mem_bytes);
		stop(rs, PMSW_STOP_EXIT, "context %u: %s", ctx->id, buf);
		break;
	case PMSW_EXIT_IO:
		stop(rs, PMSW_STOP_EXIT, "context %u: I/O %s port %#llx refused",
		     ctx->id, e->qualification & 8 ? "read from" : "write to",
		     e->qualification >> 16);
		break;
	case PMSW_EXIT_RDMSR:
	case PMSW_EXIT_WRMSR:
		stop(rs, PMSW_STOP_EXIT, "context %u: %s of MSR %#llx refused",
		     ctx->id, pmsw_exit_reason_name(e->reason),
		     ctx->regs[PMSW_RCX] & 0xffffffff);
		break;
	case PMSW_EXIT_CR_ACCESS:
		stop(rs, PMSW_STOP_EXIT, "context %u: MOV %s CR%llu trapped by the guest/host mask",
		     ctx->id, (e->qualification >> 4) & 3 ? "from" : "to",
		     e->qualification & 15);
		break;
	default:
		stop(rs, PMSW_STOP_EXIT, "context %u: %s (exit reason %u, qualification %#llx)",
		     ctx->id, pmsw_exit_reason_name(e->reason), e->reason & 0xffff,
		     e->qualification);
	}
	return NEXT_STOP;
}

/* Decide what follows the exit that ended the last entry into @ctx. */
static enum next_step handle_exit(struct run_state *rs, struct pmsw_ctx *ctx,
				  u32 *next)
{
	const struct pmsw_exit *e = &rs->exit;

	if (rs->enter_ret) {
		stop(rs, PMSW_STOP_ENTRY_FAILED, rs->enter_ret == 1 ?
		     "context %u: VM entry failed: %s (VM-instruction error %u)" :
		     "context %u: VM entry faulted: VMX operation lost",
		     ctx->id,
		     pmsw_vm_instruction_error_name(e->vm_instruction_error),
		     e->vm_instruction_error);
		return NEXT_STOP;
	}
	if (e->reason & EXIT_REASON_FAILED_ENTRY) {
		stop(rs, PMSW_STOP_ENTRY_FAILED, "context %u: %s: %s",
		     ctx->id, pmsw_exit_reason_name(e->reason),
		     (e->reason & 0xffff) == PMSW_EXIT_INVALID_GUEST_STATE ?
		     pmsw_entry_failure_name(e->qualification) : "see the SDM, 27.8");
		return NEXT_STOP;
	}

	switch (e->reason & 0xffff) {
	case PMSW_EXIT_EXTERNAL_INTERRUPT:
	case PMSW_EXIT_PREEMPTION_TIMER:
		return NEXT_RESUME;
	case PMSW_EXIT_EXCEPTION_NMI:
		if (INTR_INFO_TYPE(e->intr_info) == INTR_TYPE_NMI)
			return NEXT_RESUME;
		return stop_on_exit(rs, ctx);
	case PMSW_EXIT_CPUID:
		handle_cpuid(ctx);
		skip_instruction(ctx, e);
		return NEXT_RESUME;
	case PMSW_EXIT_VMCALL:
		skip_instruction(ctx, e);
		return handle_vmcall(rs, ctx, next);
	case PMSW_EXIT_HLT:
		skip_instruction(ctx, e);
		stop(rs, PMSW_STOP_HLT, "context %u executed HLT", ctx->id);
		return NEXT_STOP;
	case PMSW_EXIT_TRIPLE_FAULT:
		stop(rs, PMSW_STOP_EXIT, "context %u: triple fault (shutdown)",
		     ctx->id);
		return NEXT_STOP;
	default:
		return stop_on_exit(rs, ctx);
	}
}

static int run_validate(struct pmsw_session *s, struct pmsw_run *run,
			const char **why)
{
	if (run->size != sizeof(*run))
		*why = "struct pmsw_run: size is not sizeof(struct pmsw_run)";
	else if (run->flags)
		*why = "struct pmsw_run: unknown flags";
	else if (run->reserved[0] || run->reserved[1])
		*why = "struct pmsw_run: reserved fields must be 0";
	else if (!pmsw_session_ctx(s, run->context))
		*why = "struct pmsw_run: no context with this id";
	else
		return 0;
	return -EINVAL;
}

/* Load @ctx's VMCS here with preemption off (VMCLEAR elsewhere first). */
static int load_vmcs(struct pmsw_ctx *ctx)
{
	int err;

	for (;;) {
		preempt_disable();
		err = pmsw_vmcs_load(ctx->vmcs);
		if (err != -EAGAIN)
			return err;
		preempt_enable();
		pmsw_vmcs_clear(ctx->vmcs);
	}
}

/*
 * Start a block of entries on this CPU: preemption is off (load_vmcs()),
 * FPU registers are the guests' to clobber, interrupts go off.
 */
static void block_begin(struct run_state *rs)
{
	struct pmsw_session *s = rs->s;
	int cpu = smp_processor_id();

	if (rs->host.cpu != cpu)
		read_host_state(&rs->host, cpu);
	/*
	 * Unique in the session: a VMCS prepared in another block, on
	 * whatever CPU, is prepared again (the cache elides what holds).
	 */
	rs->gen = ++s->block_gen;
	rs->ran_64bit = false;
	kernel_fpu_begin();
	get_debugreg(rs->dr7, 7);
	rs->debugctl = get_debugctlmsr();
	local_irq_disable();
	/* Translations of a freed EPT may linger with the same EPTP. */
	if (!cpumask_test_cpu(cpu, s->ept_fresh)) {
		pmsw_invept_single(s->eptp);
		cpumask_set_cpu(cpu, s->ept_fresh);
	}
}

/* End a block: host state back, interrupts on, records to userspace. */
static int block_end(struct run_state *rs)
{
	struct pmsw_run *run = rs->run;
	unsigned int i, idx;

	restore_host(rs);
	local_irq_enable();
	kernel_fpu_end();
	preempt_enable();

	for (i = 0; i < rs->nr_buf; i++) {
		idx = run->total_transitions - rs->nr_buf + i;
		if (idx < run->nr_transitions &&
		    copy_to_user(&rs->records[idx], &rs->buf[i], sizeof(rs->buf[i])))
			return -EFAULT;
	}
	rs->nr_buf = 0;
	return 0;
}

/* Reasons to leave the interrupts-off block (not the run). */
static bool block_must_end(struct run_state *rs)
{
	switch (rs->exit.reason & 0xffff) {
	case PMSW_EXIT_EXTERNAL_INTERRUPT:	/* the host takes it */
	case PMSW_EXIT_PREEMPTION_TIMER:
		return true;
	}
	return rs->nr_buf == ARRAY_SIZE(rs->buf) || need_resched() ||
	       signal_pending(current);
}

/*
 * The run: blocks of entries with interrupts off, where a switch costs a
 * VMPTRLD and a VM entry and nothing that could wait, separated by the
 * points where the host gets the CPU back (interrupts, rescheduling,
 * signals, copying records out).
 */
static long run_loop(struct run_state *rs)
{
	struct pmsw_run *run = rs->run;
	struct pmsw_ctx *ctx = pmsw_session_ctx(rs->s, run->context);
	struct pmsw_transition *t;
	enum next_step step = NEXT_RESUME;
	u32 next = 0;
	int err;

	while (step != NEXT_STOP) {
		if (run->max_transitions &&
		    run->total_transitions >= run->max_transitions) {
			stop(rs, PMSW_STOP_LIMIT, "%u transitions done",
			     run->total_transitions);
			break;
		}
		if (signal_pending(current)) {
			stop(rs, PMSW_STOP_SIGNAL, "interrupted by a signal; run context %u again to continue",
			     ctx->id);
			run->stop_context = ctx->id;
			return -EINTR;
		}
		cond_resched();

		err = load_vmcs(ctx);
		if (err) {
			preempt_enable();
			stop(rs, PMSW_STOP_ENTRY_FAILED, "VMPTRLD of context %u failed",
			     ctx->id);
			return err;
		}
		block_begin(rs);
		for (;;) {
			t = &rs->buf[rs->nr_buf++];
			memset(t, 0, sizeof(*t));
			t->from = rs->from;
			t->to = ctx->id;
			enter_once(rs, ctx, t);
			step = handle_exit(rs, ctx, &next);
			run->total_transitions++;
			rs->from = ctx->id;
			run->stop_context = ctx->id;
			if (step == NEXT_STOP)
				break;
			if (step == NEXT_SWITCH) {
				ctx = pmsw_session_ctx(rs->s, next);
				/* Active on another CPU: clear it outside. */
				if (pmsw_vmcs_load(ctx->vmcs))
					break;
			}
			if (block_must_end(rs) || (run->max_transitions &&
			    run->total_transitions >= run->max_transitions))
				break;
		}
		err = block_end(rs);
		if (err)
			return err;
	}
	return 0;
}

void pmsw_run_init(void)
{
	pmsw_exit_changed_fields(exit_changed);
}

long pmsw_run(struct pmsw_session *s, void __user *uarg)
{
	struct run_state rs = { .s = s, .from = ~0U, .host.cpu = -1 };
	struct pmsw_run *run;
	const char *why;
	long err;

	run = kzalloc(sizeof(*run), GFP_KERNEL);
	if (!run)
		return -ENOMEM;
	if (copy_from_user(run, uarg, sizeof(*run))) {
		err = -EFAULT;
		goto out;
	}
	err = run_validate(s, run, &why);
	if (err) {
		pr_info_ratelimited("RUN: %s (errno %d)\n", why, EINVAL);
		goto out;
	}
	rs.run = run;
	rs.records = u64_to_user_ptr(run->transitions);
	run->total_transitions = 0;
	run->stop_reason = 0;
	run->stop_code = 0;
	memset(&run->exit, 0, sizeof(run->exit));
	memset(run->reason, 0, sizeof(run->reason));

	/* What a VM exit does not restore, kept for the whole run. */
	savesegment(ds, rs.ds);
	savesegment(es, rs.es);
	savesegment(fs, rs.fs_sel);
	savesegment(gs, rs.gs_sel);
	rs.ldt_sel = 0;
	asm volatile("sldt %0" : "=rm" (rs.ldt_sel));
	rdmsrl(MSR_KERNEL_GS_BASE, rs.kernel_gs_base);
	rs.last_exit_tsc = rdtsc();

	err = run_loop(&rs);

	/* VM exits load null DS/ES/FS/GS/LDTR selectors (SDM 28.5.2). */
	if (rs.ds | rs.es) {
		loadsegment(ds, rs.ds);
		loadsegment(es, rs.es);
	}
	if (rs.ldt_sel)
		asm volatile("lldt %0" : : "rm" (rs.ldt_sel));
	if (rs.fs_sel || rs.gs_sel) {
		u64 fs_base;

		rdmsrl(MSR_FS_BASE, fs_base);
		if (rs.fs_sel)
			loadsegment(fs, rs.fs_sel);
		wrmsrl(MSR_FS_BASE, fs_base);
		if (rs.gs_sel)
			load_gs_index(rs.gs_sel);
		wrmsrl(MSR_KERNEL_GS_BASE, rs.kernel_gs_base);
	}

	run->exit = rs.exit;
	run->nr_transitions = min(run->nr_transitions, run->total_transitions);
	if (copy_to_user(uarg, run, sizeof(*run)))
		err = -EFAULT;
out:
	kfree(run);
	return err;
}
