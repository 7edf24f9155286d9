/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM entry and VM exit: the only place pmswitch executes VMLAUNCH and
 * VMRESUME, and the host RIP of every VMCS. Also the hand-off of an NMI
 * that caused a VM exit to the kernel's NMI handler.
 *
 * int __pmsw_vmenter(struct pmsw_vmcs *vmcs, u64 *regs, unsigned int flags)
 *
 * @vmcs is the current VMCS (already VMPTRLDed); @regs the guest's
 * general registers, 16 slots in x86 encoding order (RAX=0 ... R15=15,
 * slot 4 unused: RSP lives in the VMCS); @flags: PMSW_VMENTER_RESUME
 * selects VMRESUME, else VMLAUNCH (SDM 31.3: VMLAUNCH needs launch state
 * "clear", VMRESUME "launched").
 *
 * Returns 0 after a VM exit, with the guest registers stored to @regs;
 * 1 if the instruction failed (VMfailInvalid/VMfailValid: nothing ran,
 * the VM-instruction error field says why, SDM 31.4); 2 if it faulted.
 *
 * Before entering, pmsw_vmcs_set_host_rsp(vmcs, rsp) records the stack
 * pointer the exit will come back with (it VMWRITEs HOST_RSP only when it
 * changed). HOST_RIP is pmsw_vmexit. A VM exit loads the host state of
 * the VMCS (SDM 28.5) and arrives at pmsw_vmexit with RSP = HOST_RSP and
 * every general register still holding the guest's values; the only
 * value on the stack it needs is @regs, saved right below HOST_RSP.
 *
 * Speculative-execution hygiene follows the running kernel's choices
 * (its X86_FEATURE_* bits are set by mitigations=): VERW before entry
 * where it clears CPU buffers, the return stack buffer refilled and
 * IA32_SPEC_CTRL rewritten before the first unbalanced RET after the
 * exit, and the branch history cleared where BHI needs it on VM exit.
 *
 * Everything here is in .noinstr.text: no tracing or probing between the
 * VM exit and the hand-off of an NMI that caused it.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#include "compat.h"

#define GPR(n)	((n) * 8)
#define R_AX	GPR(0)
#define R_CX	GPR(1)
#define R_DX	GPR(2)
#define R_BX	GPR(3)
#define R_BP	GPR(5)
#define R_SI	GPR(6)
#define R_DI	GPR(7)
#define R_8	GPR(8)
#define R_9	GPR(9)
#define R_10	GPR(10)
#define R_11	GPR(11)
#define R_12	GPR(12)
#define R_13	GPR(13)
#define R_14	GPR(14)
#define R_15	GPR(15)

/* Bit of @flags (run.h, PMSW_VMENTER_RESUME). */
#define RESUME_BIT	0

.section .noinstr.text, "ax"

SYM_FUNC_START(__pmsw_vmenter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	/* @regs stays at the top of the stack: HOST_RSP points at it. */
	push	%rsi
	/* @flags must survive the call below: keep it in callee-saved %ebx. */
	mov	%edx, %ebx

	/* pmsw_vmcs_set_host_rsp(vmcs, rsp): %rdi is already @vmcs. */
	mov	%rsp, %rsi
	call	pmsw_vmcs_set_host_rsp

	/*
	 * CF selects the instruction; it must be taken before VERW below,
	 * which changes ZF only, and survives the MOVs.
	 */
	bt	$RESUME_BIT, %ebx
	mov	(%rsp), %rax
	mov	R_CX(%rax), %rcx
	mov	R_DX(%rax), %rdx
	mov	R_BX(%rax), %rbx
	mov	R_BP(%rax), %rbp
	mov	R_SI(%rax), %rsi
	mov	R_DI(%rax), %rdi
	mov	R_8(%rax), %r8
	mov	R_9(%rax), %r9
	mov	R_10(%rax), %r10
	mov	R_11(%rax), %r11
	mov	R_12(%rax), %r12
	mov	R_13(%rax), %r13
	mov	R_14(%rax), %r14
	mov	R_15(%rax), %r15
	mov	R_AX(%rax), %rax

	/*
	 * Clear CPU buffers (MDS, TAA, MMIO stale data, RFDS, TSA) as the
	 * last thing before the guest runs, where the kernel asked for it
	 * for user space or for guests.
	 */
	ALTERNATIVE_2 "jmp .Lskip_verw", "", X86_FEATURE_CLEAR_CPU_BUF, \
		      "", X86_FEATURE_CLEAR_CPU_BUF_VM
	verw	x86_verw_sel(%rip)
.Lskip_verw:

	/* The exit comes back with this stack: tell the unwinder. */
	UNWIND_HINT_SAVE
	jnc	.Llaunch
.Lresume:
	vmresume
	jmp	.Lfail
.Llaunch:
	vmlaunch
	jmp	.Lfail

	_ASM_EXTABLE(.Lresume, .Lfault)
	_ASM_EXTABLE(.Llaunch, .Lfault)

SYM_INNER_LABEL(pmsw_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ANNOTATE_NOENDBR
	/* Store the guest's registers; only %rax is needed to find @regs. */
	push	%rax
	mov	8(%rsp), %rax
	pop	R_AX(%rax)
	mov	%rcx, R_CX(%rax)
	mov	%rdx, R_DX(%rax)
	mov	%rbx, R_BX(%rax)
	mov	%rbp, R_BP(%rax)
	mov	%rsi, R_SI(%rax)
	mov	%rdi, R_DI(%rax)
	mov	%r8, R_8(%rax)
	mov	%r9, R_9(%rax)
	mov	%r10, R_10(%rax)
	mov	%r11, R_11(%rax)
	mov	%r12, R_12(%rax)
	mov	%r13, R_13(%rax)
	mov	%r14, R_14(%rax)
	mov	%r15, R_15(%rax)
	xor	%ebx, %ebx
	jmp	.Lafter_exit

.Lfault:
	mov	$2, %ebx
	jmp	.Lafter_exit
.Lfail:
	mov	$1, %ebx

.Lafter_exit:
	/* Leave no guest value in a register the host may speculate on. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%ebp, %ebp
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d

	/*
	 * The guest may have filled the return stack buffer with its own
	 * targets: overwrite it (or, with eIBRS, retire one CALL: the
	 * post-barrier RSB prediction) before the host's first unbalanced
	 * RET.
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	/* IA32_SPEC_CTRL back to the host's before anything returns. */
	call	pmsw_spec_ctrl_restore_host

	/* Branch history the guest trained must not steer the host (BHI). */
	CLEAR_BRANCH_HISTORY_VMEXIT

	mov	%ebx, %eax
	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__pmsw_vmenter)

/*
 * void pmsw_do_nmi_irqoff(void)
 *
 * An NMI that caused a VM exit has been taken by the CPU but not
 * delivered (SDM 28.2.2): call the kernel's NMI entry with the stack
 * frame an NMI delivered here would have pushed (SDM Vol. 3A 6.14.2:
 * 16-byte aligned, then SS, RSP, RFLAGS, CS), so that its IRET returns
 * here and unblocks NMIs.
 */
SYM_FUNC_START(pmsw_do_nmi_irqoff)
	push	%rbp
	mov	%rsp, %rbp
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	call	PMSW_NMI_ENTRY
	/* The IRET restored RSP already; objtool wants to see it undone. */
	leave
	RET
SYM_FUNC_END(pmsw_do_nmi_irqoff)
