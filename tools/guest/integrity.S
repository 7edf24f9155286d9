/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest programs of the host-integrity selftests (integrity_test.c). Like
 * guests.S they are data to the test binary, copied into guest memory and
 * run as contexts; every one is position-independent.
 *
 * Conventions: %edi/%rdi points at the results area and every program and
 * interrupt handler keeps it; %esi holds another context's id or an
 * address; %ebx the stop code. Hypercall: VMCALL with the function in
 * %eax (1 switch to context %ebx, 2 stop with code %ebx). A handler named
 * *_h32 is entered through a 32-bit interrupt gate (integrity_guest.h
 * lists vector and gate); results offsets are named in integrity_test.c.
 */
#define HC_SWITCH	1
#define HC_STOP		2
#define SEL_CODE64	0x18		/* pmsw_guest.h's 64-bit code segment */
#define RFLAGS_TF	0x100
#define CR0_PG		0x80000000
#define CR4_PKE		0x400000

#define GUEST(name)	.globl guest_##name, guest_##name##_end; guest_##name:
#define END(name)	guest_##name##_end:
/* A label inside a program, for the expected addresses. */
#define MARK(name)	.globl guest_##name; guest_##name:

/* Stop the run with @code. */
#define STOP(code)	mov $HC_STOP, %eax; mov $code, %ebx; vmcall

	.section .rodata.guests, "a"

/* ---- 32-bit protected mode ---- */
	.code32

/* Stops with 0xbad1: a context that must never be entered. */
GUEST(trap32)
	STOP(0xbad1)
	hlt
END(trap32)

/*
 * Ring 3 with CR0.AM=1 and EFLAGS.AC=1: a misaligned load raises #AC
 * (SDM Vol. 3A 6.15, interrupt 17). The #AC handler decides what follows.
 */
GUEST(ac32)
	lea	1(%edi), %ebx
MARK(ac32_fault)
	mov	(%ebx), %eax
	mov	$0xbad, %ebx		/* the handler did not stop the run */
	int	$0x80
	ud2
END(ac32)

/* #AC: record error code, EIP and CS of the fault, stop with 17. */
GUEST(ac_stop_h32)
	mov	(%esp), %eax
	mov	%eax, 0(%edi)
	mov	4(%esp), %eax
	mov	%eax, 4(%edi)
	mov	8(%esp), %eax
	mov	%eax, 8(%edi)
	STOP(17)
	hlt
END(ac_stop_h32)

/* #AC: count it and return to the faulting load, which faults again. */
GUEST(ac_retry_h32)
	incl	16(%edi)
	add	$4, %esp		/* error code */
	iret
END(ac_retry_h32)

/* INT 0x80 (a DPL-3 gate): ring 3's way to stop the run with %ebx. */
GUEST(int80_stop_h32)
	mov	$HC_STOP, %eax
	vmcall
	iret
END(int80_stop_h32)

/*
 * Single-step seven instructions: the trap comes after each instruction
 * that starts with TF=1, not after the POPF that sets it (SDM Vol. 3A
 * 18.3.1.4), so the traps report step32_traced + 1 ... step32_untraced.
 */
GUEST(step32)
	pushf
	orl	$RFLAGS_TF, (%esp)
	popf
MARK(step32_traced)
	nop
	nop
	nop
	nop
	pushf
	andl	$~RFLAGS_TF, (%esp)
	popf
MARK(step32_untraced)
	STOP(0x600d)
	hlt
END(step32)

/* Single-step a jump to itself: a #DB after every instruction, forever. */
GUEST(step_loop32)
	pushf
	orl	$RFLAGS_TF, (%esp)
	popf
1:	jmp	1b
END(step_loop32)

/*
 * #DB: count the trap at 0(%edi), keep the first 16 return EIPs from
 * 4(%edi) on, and return; IRET restores TF from the saved EFLAGS.
 */
GUEST(db_record_h32)
	push	%eax
	push	%ecx
	mov	0(%edi), %ecx
	cmp	$16, %ecx
	jae	1f
	mov	8(%esp), %eax
	mov	%eax, 4(%edi,%ecx,4)
1:	inc	%ecx
	mov	%ecx, 0(%edi)
	pop	%ecx
	pop	%eax
	iret
END(db_record_h32)

/* Load from %esi, an address the page tables do not map: #PF. */
GUEST(pf32)
	mov	(%esi), %eax
	STOP(0xbad)
	hlt
END(pf32)

/*
 * #PF: CR2 at once (0), the error code (4); then wait until the host has
 * run three more batches of a thread that takes page faults of its own
 * (the count at 16 is the test's), at most %ecx rounds; CR2 again (8) and
 * the rounds left (12). Only a CR2 kept per context still holds the fault.
 */
GUEST(pf_wait_h32)
	mov	%cr2, %eax
	mov	%eax, 0(%edi)
	mov	(%esp), %eax
	mov	%eax, 4(%edi)
	mov	16(%edi), %edx
	add	$3, %edx
1:	cmp	%edx, 16(%edi)
	jae	2f
	dec	%ecx
	jnz	1b
2:	mov	%ecx, 12(%edi)
	mov	%cr2, %eax
	mov	%eax, 8(%edi)
	STOP(0x600d)
	hlt
END(pf_wait_h32)

/* CR2 as the context finds it at its first instruction. */
GUEST(cr2_read32)
	mov	%cr2, %eax
	mov	%eax, 0(%edi)
	STOP(0x600d)
	hlt
END(cr2_read32)

/*
 * x87/SSE state per context (CR4.OSFXSR=1): store XMM0, MXCSR and FCW as
 * found (0, 16, 20), load this context's own from 64, 80 and 84, let
 * context %esi run, then store them again (32, 48, 52) and stop.
 */
GUEST(fpu32)
	movdqu	%xmm0, 0(%edi)
	stmxcsr	16(%edi)
	fnstcw	20(%edi)
	movdqu	64(%edi), %xmm0
	ldmxcsr	80(%edi)
	fldcw	84(%edi)
	mov	$HC_SWITCH, %eax
	mov	%esi, %ebx
	vmcall
	movdqu	%xmm0, 32(%edi)
	stmxcsr	48(%edi)
	fnstcw	52(%edi)
	STOP(0x600d)
	hlt
END(fpu32)

/*
 * Ring 3: SWITCH to %esi and STOP, each answer stored (0, 4); then stop
 * for real from ring 0 through INT 0x80.
 */
GUEST(ring3_hc32)
	mov	$HC_SWITCH, %eax
	mov	%esi, %ebx
	vmcall
	mov	%eax, 0(%edi)
	mov	$HC_STOP, %eax
	mov	$0xbad, %ebx
	vmcall
	mov	%eax, 4(%edi)
	mov	$0x600d, %ebx
	int	$0x80
	ud2
END(ring3_hc32)

/*
 * A switch target that is launched and ready: the first run stops at
 * once (code 1), launching its VMCS; every later arrival counts itself at
 * 0x100(%edi) and switches back to %esi.
 */
GUEST(ready32)
	STOP(1)
1:	incl	0x100(%edi)
	mov	$HC_SWITCH, %eax
	mov	%esi, %ebx
	vmcall
	jmp	1b
END(ready32)

/*
 * SWITCH with the id in RBX as the context was created: EBX is the id,
 * the upper half of RBX is not (outside 64-bit mode it does not count).
 * RAX after the switch back at 0.
 */
GUEST(hc_upper32)
	mov	$HC_SWITCH, %eax
	vmcall
	mov	%eax, 0(%edi)
	STOP(0x600d)
	hlt
END(hc_upper32)

/*
 * SWITCH to %esi single-stepping: the monitor completes the VMCALL and
 * owes the #DB after it, which must reach this context when it runs
 * again, at step_switch32_after.
 */
GUEST(step_switch32)
	pushf
	orl	$RFLAGS_TF, (%esp)
	popf
	mov	$HC_SWITCH, %eax
	mov	%esi, %ebx
	vmcall
MARK(step_switch32_after)
	pushf
	andl	$~RFLAGS_TF, (%esp)
	popf
	STOP(0x600d)
	hlt
END(step_switch32)

/*
 * Set CR4.PKE: pmswitch does not switch PKRU, so it owns the bit and the
 * MOV exits. Without that exit, WRPKRU would change the host's PKRU.
 */
GUEST(cr4_pke32)
	mov	%cr4, %eax
	or	$CR4_PKE, %eax
	mov	%eax, %cr4
	xor	%eax, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	wrpkru
	hlt
END(cr4_pke32)

/*
 * XRSTOR of the PKRU component alone (RFBM = bit 9) from the standard-
 * format area at %esi, which the test filled: it loads PKRU although
 * CR4.PKE=0 (SDM Vol. 1 13.8; a context runs with the host's XCR0).
 */
GUEST(xrstor_pkru32)
	mov	$0x200, %eax
	xor	%edx, %edx
	xrstor	(%esi)
	STOP(0x600d)
	hlt
END(xrstor_pkru32)

/*
 * Entered with EFER.LME=1, CR4.PAE=1 and CR0.PG=0: enable paging (IA-32e
 * mode, compatibility mode, SDM Vol. 3A 10.8.5), far-return into the
 * 64-bit code segment, SWAPGS there, store %gs:0 (0) and count the runs
 * (4); SWITCH to 0x100000000, with 64-bit operands now (RAX at 8); stop.
 */
GUEST(long_mode32)
	mov	%cr0, %eax
	or	$CR0_PG, %eax
	mov	%eax, %cr0
	call	1f
1:	pop	%eax
	add	$(2f - 1b), %eax
	push	$SEL_CODE64
	push	%eax
	lret
	.code64
2:	mov	%edi, %edi		/* upper half undefined after compat mode */
	swapgs
	mov	%gs:0, %eax
	mov	%eax, 0(%rdi)
	incl	4(%rdi)
	mov	$HC_SWITCH, %eax
	movabs	$0x100000000, %rbx
	vmcall
	mov	%rax, 8(%rdi)
	STOP(0x600d)
	hlt
	.code32
END(long_mode32)

/* ---- 64-bit mode ---- */
	.code64

/* %gs:0 before (0) and after (4) SWAPGS, then stop. */
GUEST(swapgs64)
	mov	%gs:0, %eax
	mov	%eax, 0(%rdi)
	swapgs
	mov	%gs:0, %eax
	mov	%eax, 4(%rdi)
	STOP(0x600d)
	hlt
END(swapgs64)

/* SYSCALL with DF and CF set; the LSTAR handler reports and stops. */
GUEST(syscall64)
	std
	stc
	syscall
MARK(syscall64_ret)
	hlt
END(syscall64)

/*
 * The context's LSTAR target: RCX (0) and R11 (8) as SYSCALL left them,
 * RFLAGS after IA32_FMASK (16), CS (24) and SS (28) from IA32_STAR.
 */
GUEST(lstar64)
	mov	%rcx, 0(%rdi)
	mov	%r11, 8(%rdi)
	pushfq
	pop	%rax
	mov	%rax, 16(%rdi)
	mov	%cs, %eax
	mov	%eax, 24(%rdi)
	mov	%ss, %eax
	mov	%eax, 28(%rdi)
	cld
	STOP(0x5c)
	hlt
END(lstar64)

/* SWITCH to 0x100000000: id 0 in 32 bits, no context in 64. RAX at 0. */
GUEST(hc_wide64)
	mov	$HC_SWITCH, %eax
	movabs	$0x100000000, %rbx
	vmcall
	mov	%rax, 0(%rdi)
	STOP(0x600d)
	hlt
END(hc_wide64)

	.section .note.GNU-stack, "", @progbits
