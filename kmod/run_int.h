/* SPDX-License-Identifier: GPL-2.0 */
/* State of one PMSW_IOC_RUN, shared by run.c and exits.c. */
#ifndef PMSW_RUN_INT_H
#define PMSW_RUN_INT_H

#include <linux/types.h>
#include <asm/desc_defs.h>
#include <linux/pmswitch.h>

struct pmsw_ctx;
struct pmsw_session;

/* Host state the VMCS host area carries, as it is on the run's CPU. */
struct host_state {
	int cpu;
	struct desc_ptr gdt;
	struct desc_ptr idt;
	u64 cr0;
	/* Read at every block: the kernel may change them in between. */
	u64 cr3, cr4;
	/* Read at every run: the calling thread's. */
	u64 fs_base;
	u64 gs_base, tr_base;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 pat, efer;
};

/* What the VMCSs of generation @gen were prepared with (update_gen()). */
struct prepared_key {
	int cpu;
	u64 cr3, cr4, fs_base;
	u32 cmd_gen;
};

/* The SYSCALL MSRs and IA32_KERNEL_GS_BASE, in struct pmsw_context order. */
#define NR_CTX_MSRS	5

/*
 * One per session (pmsw_session.run_state), reused by each run: per-run
 * fields are set when a run starts, the block's when a block starts;
 * @host (per CPU), @gen and @prepared carry over from run to run.
 */
struct run_state {
	struct pmsw_session *s;
	/* Points at @arg; exits.c writes the stop reason through it. */
	struct pmsw_run *run;
	struct pmsw_run arg;
	struct host_state host;
	/* Per run. */
	struct pmsw_transition __user *records;
	/* TSC at the last exit, and when the block must end. */
	u64 last_exit_tsc, block_deadline;
	u16 ds, es, fs_sel, gs_sel, ldt_sel;
	u32 from;
	/* The exit that ended the last entry, and how the entry went. */
	struct pmsw_exit exit;
	int enter_ret;
	/* An exit handler asks to give the CPU back to the host now. */
	bool end_block;
	/*
	 * @exit holds more than the reason and instruction length: clear
	 * it before the next entry.
	 */
	bool exit_used;
	/*
	 * The switch path chose the next context: its VMCS is launched,
	 * prepared in this generation and has no changed field.
	 */
	bool ready;
	/* Records are kept: room is left at @records (next_record()). */
	bool recording;

	/* Host state saved at the start of a block, put back at its end. */
	unsigned long dr6, dr7;
	u64 debugctl;
	u64 kernel_gs_base;
	u32 pkru;
	u64 host_msrs[NR_CTX_MSRS - 1];
	bool host_msrs_saved;
	/* The context whose SYSCALL MSRs and KERNEL_GS_BASE are loaded. */
	struct pmsw_ctx *msr_owner;
	/* The context entered last in this block (L1D flush, enter.c). */
	struct pmsw_ctx *last_entered;
	/* The context whose FPU state is in the registers. */
	struct pmsw_ctx *fpu_owner;
	u64 fpu_mask;

	/* Generation of the current block: VMCSs prepared in it carry it. */
	u32 gen;
	struct prepared_key prepared;
	/*
	 * Transitions of the current block, copied out at its end to
	 * records[@buf_first...]; @scratch takes them when none are kept.
	 */
	unsigned int nr_buf;
	u32 buf_first;
	struct pmsw_transition buf[32];
	struct pmsw_transition scratch;
};

/* What to do after an exit. */
enum next_step { NEXT_RESUME, NEXT_SWITCH, NEXT_STOP };

enum next_step pmsw_handle_exit(struct run_state *rs, struct pmsw_ctx *ctx,
				u32 *next);
void pmsw_stop_hypercall(struct run_state *rs, u32 id, u64 code);
__printf(3, 4) void pmsw_stop(struct run_state *rs, u32 reason,
			      const char *fmt, ...);

#endif /* PMSW_RUN_INT_H */
