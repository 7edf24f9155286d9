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

/*
 * The native switch (native.c, Documentation/native.rst).
 *
 * int pmsw_native_enter(u64 *krsp)
 *
 * The forward VMCS is current and prepared but for GUEST_RSP: this
 * kernel continues as its guest on this very stack, at pmsw_native_guest,
 * whose VMCALL exits into the target. The RSP goes to *@krsp too (the
 * state page), from where the return routine writes it into the return
 * VMCS's HOST_RSP: the way back arrives at pmsw_native_back on this
 * stack. Returns 0 after the round trip, 1 if VMLAUNCH failed (VMfail),
 * 2 if it faulted.
 */
#define F_GUEST_RSP	0x681c

SYM_FUNC_START(pmsw_native_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	mov	%rsp, (%rdi)
	mov	$F_GUEST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lnative_fail
	UNWIND_HINT_SAVE
.Lnative_launch:
	vmlaunch
	jmp	.Lnative_fail
	_ASM_EXTABLE(.Lnative_launch, .Lnative_fault)

SYM_INNER_LABEL(pmsw_native_back, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ANNOTATE_NOENDBR
	/*
	 * The target ran natively at CPL 0: as after any VM exit, refill
	 * the RSB, restore SPEC_CTRL and clear branch history before the
	 * host's first unbalanced RET (see __pmsw_vmenter).
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE
	call	pmsw_spec_ctrl_restore_host
	CLEAR_BRANCH_HISTORY_VMEXIT
	xor	%eax, %eax
	jmp	.Lnative_out
.Lnative_fault:
	mov	$2, %eax
	jmp	.Lnative_out
.Lnative_fail:
	mov	$1, %eax
.Lnative_out:
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(pmsw_native_enter)

/*
 * The forward VMCS's guest RIP: this kernel, in VMX non-root operation
 * for one instruction. Its VMCALL exits unconditionally (SDM 26.1.2) and
 * the exit loads the target. Reached by VM entry only.
 */
SYM_CODE_START(pmsw_native_guest)
	PMSW_UNWIND_HINT_NO_FRAME
	ANNOTATE_NOENDBR
	vmcall
	ud2
SYM_CODE_END(pmsw_native_guest)

/*
 * The native code page. TARGET-SIDE code, never executed in place:
 * native.c copies it into the page the target sees at PMSW_RESERVED_BASE
 * + PMSW_NATIVE_CODE, with the state page (native_layout.h) right after
 * it, which every access below reaches RIP-relative. It runs at CPL 0 in
 * 64-bit mode on the module's page tables.
 */
#include "native_layout.h"

#define NATIVE_STACK	0xffc06000	/* PMSW_RESERVED_BASE + PMSW_NATIVE_STACK */
#define F_EXIT_REASON	0x4402
#define F_HOST_RSP	0x6c14

	.section .rodata, "a"
	.balign 4096
	.globl pmsw_native_code, pmsw_native_code_end
pmsw_native_code:
	.set	nst, pmsw_native_code + 0x1000	/* the state page */

/*
 * NC_TRAMPOLINE, the forward VMCS's HOST_RIP: the VM exit has loaded the
 * target (SDM 28.5), still in VMX root operation. Record the exit, leave
 * VMX operation (the claims' "VMXOFF at the host entry point"), give the
 * target its own descriptor-table limits (the exit set 0xffff), CR4
 * without VMXE, its CR2, RFLAGS and registers, and jump to its entry.
 */
	mov	$F_EXIT_REASON, %eax
	vmread	%rax, nst + NS_FWD_EXIT(%rip)
	vmxoff
	lgdt	nst + NS_GDTR + 6(%rip)
	lidt	nst + NS_IDTR + 6(%rip)
	mov	nst + NS_TARGET_CR4(%rip), %rax
	mov	%rax, %cr4
	/* CR2 is not in the host-state area: the target's, not the kernel's. */
	mov	nst + NS_TARGET_CR2(%rip), %rax
	mov	%rax, %cr2
	/* An NMI that caused the exit leaves NMIs blocked: IRET unblocks. */
	cmpw	$0, nst + NS_FWD_EXIT(%rip)
	jne	1f
	mov	%ss, %eax
	push	%rax
	lea	8(%rsp), %rax
	push	%rax
	pushf
	mov	%cs, %eax
	push	%rax
	lea	1f(%rip), %rax
	push	%rax
	iretq
1:	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, nst + NS_TSC_TARGET(%rip)
	push	nst + NS_RFLAGS(%rip)
	popf
	mov	nst + NS_GPR + 8 * 1(%rip), %rcx
	mov	nst + NS_GPR + 8 * 2(%rip), %rdx
	mov	nst + NS_GPR + 8 * 3(%rip), %rbx
	mov	nst + NS_GPR + 8 * 5(%rip), %rbp
	mov	nst + NS_GPR + 8 * 6(%rip), %rsi
	mov	nst + NS_GPR + 8 * 7(%rip), %rdi
	mov	nst + NS_GPR + 8 * 8(%rip), %r8
	mov	nst + NS_GPR + 8 * 9(%rip), %r9
	mov	nst + NS_GPR + 8 * 10(%rip), %r10
	mov	nst + NS_GPR + 8 * 11(%rip), %r11
	mov	nst + NS_GPR + 8 * 12(%rip), %r12
	mov	nst + NS_GPR + 8 * 13(%rip), %r13
	mov	nst + NS_GPR + 8 * 14(%rip), %r14
	mov	nst + NS_GPR + 8 * 15(%rip), %r15
	mov	nst + NS_GPR(%rip), %rax
	jmp	*nst + NS_RIP(%rip)

.macro save_gprs
	mov	%rax, nst + NS_GPR(%rip)
	mov	%rcx, nst + NS_GPR + 8 * 1(%rip)
	mov	%rdx, nst + NS_GPR + 8 * 2(%rip)
	mov	%rbx, nst + NS_GPR + 8 * 3(%rip)
	mov	%rbp, nst + NS_GPR + 8 * 5(%rip)
	mov	%rsi, nst + NS_GPR + 8 * 6(%rip)
	mov	%rdi, nst + NS_GPR + 8 * 7(%rip)
	mov	%r8, nst + NS_GPR + 8 * 8(%rip)
	mov	%r9, nst + NS_GPR + 8 * 9(%rip)
	mov	%r10, nst + NS_GPR + 8 * 10(%rip)
	mov	%r11, nst + NS_GPR + 8 * 11(%rip)
	mov	%r12, nst + NS_GPR + 8 * 12(%rip)
	mov	%r13, nst + NS_GPR + 8 * 13(%rip)
	mov	%r14, nst + NS_GPR + 8 * 14(%rip)
	mov	%r15, nst + NS_GPR + 8 * 15(%rip)
.endm

/*
 * NC_RETURN, PMSW_NATIVE_RETURN: called by the target. Its registers,
 * RIP (the return address), RSP (as after RET) and RFLAGS go to the
 * state page; then the common way back.
 */
	.org	pmsw_native_code + NC_RETURN
	cli
	cmpq	$0, nst + NS_IN_RETURN(%rip)
	jne	.Lnative_home
	save_gprs
	pop	%rax
	mov	%rax, nst + NS_RIP(%rip)
	mov	%rsp, nst + NS_RSP(%rip)
	pushf
	pop	nst + NS_RFLAGS(%rip)
	movq	$1, nst + NS_REASON(%rip)	/* PMSW_NATIVE_RETURNED */
	jmp	.Lnative_home

/* NC_STUBS: vector n at +16n; the CPU pushes an error code for some. */
.macro stub vec
	.org	pmsw_native_code + NC_STUBS + 16 * \vec
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || \
	    (\vec == 21) || (\vec == 29) || (\vec == 30)
	pushq	$\vec
	.else
	pushq	$0
	pushq	$\vec
	.endif
	jmp	.Lnative_exception
.endm
	.irp	v, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, \
		16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	stub	\v
	.endr
	/* NC_STUB_OTHER: INT n from 32 on (interrupts are off). */
	.org	pmsw_native_code + NC_STUB_OTHER
	pushq	$0
	pushq	$256
	jmp	.Lnative_exception

/*
 * A default handler: vector, error code, then the CPU's frame (RIP, CS,
 * RFLAGS, RSP, SS; SDM 6.14.2). On the way back already (an NMI from the
 * watchdog, most likely), only count it and start the way back again.
 */
.Lnative_exception:
	cmpq	$2, (%rsp)
	jne	2f
	incq	nst + NS_NMIS(%rip)
2:	cmpq	$0, nst + NS_IN_RETURN(%rip)
	jne	.Lnative_home
	save_gprs
	pop	nst + NS_VECTOR(%rip)
	pop	nst + NS_ERROR(%rip)
	pop	nst + NS_RIP(%rip)
	pop	%rax
	pop	nst + NS_RFLAGS(%rip)
	pop	nst + NS_RSP(%rip)
	movq	$2, nst + NS_REASON(%rip)	/* PMSW_NATIVE_EXCEPTION */

/*
 * The way home: the target's control registers to the state page, then
 * the module's environment, VMXON, VMPTRLD of the return VMCS and
 * VMLAUNCH; its VMCALL exits into the kernel (pmsw_native_back).
 */
.Lnative_home:
	cmpq	$0, nst + NS_IN_RETURN(%rip)
	jne	3f
	movq	$1, nst + NS_IN_RETURN(%rip)
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, nst + NS_TSC_RETURN(%rip)
	mov	%cr0, %rax
	mov	%rax, nst + NS_CR0(%rip)
	mov	%cr3, %rax
	mov	%rax, nst + NS_CR3(%rip)
	mov	%cr4, %rax
	mov	%rax, nst + NS_CR4(%rip)
	mov	%cr2, %rax
	mov	%rax, nst + NS_CR2(%rip)
3:	mov	nst + NS_MOD_CR4(%rip), %rax
	mov	%rax, %cr4
	mov	nst + NS_MOD_CR0(%rip), %rax
	mov	%rax, %cr0
	mov	nst + NS_MOD_CR3(%rip), %rax
	mov	%rax, %cr3
	lgdt	nst + NS_MOD_GDTR + 6(%rip)
	lidt	nst + NS_MOD_IDTR + 6(%rip)
	mov	$NATIVE_STACK, %esp
	vmxon	nst + NS_VMXON_PHYS(%rip)
	jnbe	4f
	/* Already in VMX operation (the target's own VMXON): once more. */
	vmxoff
	vmxon	nst + NS_VMXON_PHYS(%rip)
	movq	$NF_VMXON, nst + NS_FAIL(%rip)
	jbe	5f
4:	vmptrld	nst + NS_VMCS_PHYS(%rip)
	movq	$NF_VMPTRLD, nst + NS_FAIL(%rip)
	jbe	5f
	mov	$F_HOST_RSP, %eax
	vmwrite	nst + NS_KRSP(%rip), %rax
	vmlaunch
	movq	$NF_VMLAUNCH, nst + NS_FAIL(%rip)
	/*
	 * No way back: the return VMCS is the module's own, checked before
	 * the switch, so this is a bug. Wait for NMIs, which retry.
	 */
5:	hlt
	jmp	5b

/* NC_VMCALL, the return VMCS's guest RIP: exits into the kernel. */
	.org	pmsw_native_code + NC_VMCALL
	vmcall
	ud2
pmsw_native_code_end:
