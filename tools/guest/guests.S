/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest programs of the pmswitch selftests. They are data to the test
 * binary: copied into guest memory and run as contexts. Conventions:
 * %edi/%rdi points at the results area, %esi holds the id of the other
 * context, %ecx a count. Hypercall: VMCALL with the function in %eax
 * (1 switch to context %ebx, 2 stop with code %ebx).
 */
#define HC_SWITCH	1
#define HC_STOP		2

#define GUEST(name)	.globl guest_##name, guest_##name##_end; guest_##name:
#define END(name)	guest_##name##_end:

	.section .rodata.guests, "a"

/* ---- 16-bit real mode ---- */
	.code16
/* Switch to context %esi. */
GUEST(switch16)
	mov	$HC_SWITCH, %eax
	mov	%esi, %ebx
	vmcall
	hlt
END(switch16)

/* ---- 32-bit protected mode, with or without paging ---- */
	.code32
GUEST(switch32)
	mov	$HC_SWITCH, %eax
	mov	%esi, %ebx
	vmcall
	hlt
END(switch32)

/* Store what the CPU says about this environment, then stop. */
GUEST(report32)
#include "../pmswitch/examples/report32.S"
END(report32)

/* Switch to %esi, %ecx times, then stop; continued, again %edx times. */
GUEST(ping32)
1:	mov	$HC_SWITCH, %eax
	mov	%esi, %ebx
	vmcall
	dec	%ecx
	jnz	1b
	mov	$HC_STOP, %eax
	mov	$0x600d, %ebx
	vmcall
	mov	%edx, %ecx
	jmp	1b
END(ping32)

/* Switch back to %esi, forever. */
GUEST(pong32)
1:	mov	$HC_SWITCH, %eax
	mov	%esi, %ebx
	vmcall
	jmp	1b
END(pong32)

/* Stop, count how often it was continued in %edx. */
GUEST(stopper32)
1:	mov	$HC_STOP, %eax
	mov	$7, %ebx
	vmcall
	inc	%edx
	jmp	1b
END(stopper32)

GUEST(hlt32)
	hlt
	jmp	guest_hlt32
END(hlt32)

/* Write far beyond guest memory (no paging: linear = guest-physical). */
GUEST(wild_write32)
	movl	$0x1234, 0x40000000
	hlt
END(wild_write32)

GUEST(rdmsr32)
	mov	$0x10, %ecx		/* IA32_TIME_STAMP_COUNTER */
	rdmsr
	hlt
END(rdmsr32)

GUEST(wrmsr32)
	mov	$0xc0000082, %ecx	/* IA32_LSTAR */
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	hlt
END(wrmsr32)

GUEST(outb32)
	mov	$0x80, %dx
	mov	$0x42, %al
	out	%al, %dx
	hlt
END(outb32)

/* #UD through an IDT with limit 0: #GP, #DF, triple fault. */
GUEST(ud32)
	ud2
END(ud32)

/* Set CR4.PGE: exits when the context's CR4 mask owns PGE. */
GUEST(cr4_pge32)
	mov	%cr4, %eax
	or	$0x80, %eax
	mov	%eax, %cr4
	hlt
END(cr4_pge32)

GUEST(loop32)
1:	jmp	1b
END(loop32)

/* CPUID leaves 0x40000000 and 1 into the results area, then stop. */
GUEST(cpuid32)
	mov	$0x40000000, %eax
	cpuid
	mov	%eax, 0(%edi)
	mov	%ebx, 4(%edi)
	mov	%ecx, 8(%edi)
	mov	%edx, 12(%edi)
	mov	$1, %eax
	cpuid
	mov	%ecx, 16(%edi)
	mov	$HC_STOP, %eax
	mov	$0x600d, %ebx
	vmcall
	hlt
END(cpuid32)

/*
 * Timing loop, the same program under pmswitch and KVM: %ecx times, the
 * TSC around one VMCALL with a function nobody implements (both monitors
 * answer -ENOSYS in the kernel and resume the caller), the deltas stored
 * at %edi; then OUT to port 0x80 ends the run (an exit to userspace).
 */
GUEST(vmcall_loop32)
1:	rdtsc
	mov	%eax, %esi
	mov	$0xfff0, %eax
	vmcall
	rdtsc
	sub	%esi, %eax
	mov	%eax, (%edi)
	add	$4, %edi
	dec	%ecx
	jnz	1b
	out	%al, $0x80
	hlt
END(vmcall_loop32)

/* One exit to userspace per iteration: pmswitch's STOP hypercall. */
GUEST(stop_loop32)
1:	mov	$HC_STOP, %eax
	vmcall
	jmp	1b
END(stop_loop32)

/* One exit to userspace per iteration: an OUT, for KVM. */
GUEST(out_loop32)
1:	out	%al, $0x80
	jmp	1b
END(out_loop32)

/*
 * Memory views (views_test): %ecx rounds of writing %edx + %ecx to the
 * own data word at %edi, reading it back, counting at 4(%edi) and
 * switching to %esi; after each switch the word must still hold the
 * value (the other context cannot reach it). Then touch %ebp if it is
 * not 0: bit 0 set writes there, bit 1 set jumps there, neither reads.
 * Stops with 0x600d, or 0xbad when a word changed.
 */
GUEST(views32)
1:	lea	(%edx,%ecx), %eax
	mov	%eax, (%edi)
	cmp	(%edi), %eax
	jne	3f
	incl	4(%edi)
	mov	$HC_SWITCH, %eax
	mov	%esi, %ebx
	vmcall
	lea	(%edx,%ecx), %eax
	cmp	(%edi), %eax
	jne	3f
	dec	%ecx
	jnz	1b
	test	%ebp, %ebp
	jz	2f
	test	$1, %ebp
	jnz	4f
	test	$2, %ebp
	jnz	5f
	mov	(%ebp), %eax
	jmp	2f
4:	and	$~1, %ebp
	movl	$0x5a5a5a5a, (%ebp)
	jmp	2f
5:	and	$~2, %ebp
	jmp	*%ebp
2:	mov	$HC_STOP, %eax
	mov	$0x600d, %ebx
	vmcall
	hlt
3:	mov	$HC_STOP, %eax
	mov	$0xbad, %ebx
	vmcall
	hlt
END(views32)

/*
 * #VE (ve_test), 32-bit paging with the reserved range mapped at its own
 * linear address. First CPUID leaf 0x40000001 and three words of the
 * info page to 0x100(%edi); then read at %ebp, write at %esi, and stop
 * with 0x600d. Vector 20 goes to guest_ve32_handler, which appends the
 * #VE information (40 bytes) to the records at 0x10(%edi) + n * 0x30,
 * counts them at 0(%edi), clears the busy word if %ebx is not 0, and
 * points %ebp at scratch (0x400(%edi)) so that the access, retried after
 * IRET, succeeds.
 */
#define VE_INFO		0xffc03000
#define RESERVED_INFO	0xffc00000
GUEST(ve32)
	push	%ebx
	mov	$0x40000001, %eax
	cpuid
	mov	%eax, 0x100(%edi)
	mov	%ebx, 0x104(%edi)
	mov	%ecx, 0x108(%edi)
	mov	%edx, 0x10c(%edi)
	pop	%ebx
	mov	RESERVED_INFO, %eax		/* magic */
	mov	%eax, 0x110(%edi)
	mov	RESERVED_INFO + 8, %eax		/* features */
	mov	%eax, 0x114(%edi)
	mov	RESERVED_INFO + 28, %eax	/* #VE page offset */
	mov	%eax, 0x118(%edi)
	mov	(%ebp), %eax
	mov	%esi, %ebp
	movl	$0x5a5a5a5a, (%ebp)
	mov	$HC_STOP, %eax
	mov	$0x600d, %ebx
	vmcall
	hlt
END(ve32)

GUEST(ve32_handler)
	push	%ecx
	push	%esi
	push	%edi
	mov	(%edi), %ecx
	incl	(%edi)
	imul	$0x30, %ecx, %ecx
	lea	0x10(%edi,%ecx), %edi
	mov	$VE_INFO, %esi
	mov	$10, %ecx
	cld
	rep movsl
	pop	%edi
	pop	%esi
	pop	%ecx
	test	%ebx, %ebx
	jz	1f
	movl	$0, VE_INFO + 4
1:	lea	0x400(%edi), %ebp
	iret
END(ve32_handler)

/* ---- 64-bit mode ---- */
	.code64
GUEST(switch64)
	mov	$HC_SWITCH, %eax
	mov	%esi, %ebx
	vmcall
	hlt
END(switch64)

GUEST(report64)
#include "../pmswitch/examples/report64.S"
END(report64)

/*
 * Exit-less group members (exitless_test.c). Registers do not survive
 * the switch routine (the other member runs in between, and a member
 * may be started by it at its entry point with the other's registers),
 * so each finds its data page from its own code's address (the page
 * 0x6000 after it, layout XL_* in exitless_test.c) and keeps nothing in
 * registers across a switch. At entry and after every return from the
 * routine: check CR3, GDTR, IDTR and RSP against the expected values,
 * count, and switch to the id at XL_OTHER until the remaining count is
 * 0; then stop with the member's stop code. A mismatch stops with 0xbad.
 * The TSC at the first check and at the stop go to XL_TSC0 and XL_TSC1;
 * at each check, the entries, exits and id of its state page to
 * XL_ENTRIES, XL_EXITS and XL_ID.
 */
#define XL_ROUTINE	0xffc01000
#define XL_DATA		0x6000
GUEST(xl_member64)
.Lxl_member:
	lea	.Lxl_member + XL_DATA(%rip), %r12
	cmpq	$0, 120(%r12)		/* TSC at the first check */
	jne	4f
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, 120(%r12)
4:	mov	%cr3, %rax
	cmp	0(%r12), %rax
	jne	9f
	sub	$16, %rsp
	sgdt	6(%rsp)
	movzwl	6(%rsp), %eax
	cmp	16(%r12), %rax
	jne	8f
	mov	8(%rsp), %rax
	cmp	8(%r12), %rax
	jne	8f
	sidt	6(%rsp)
	movzwl	6(%rsp), %eax
	cmp	32(%r12), %rax
	jne	8f
	mov	8(%rsp), %rax
	cmp	24(%r12), %rax
	jne	8f
	add	$16, %rsp
	cmp	40(%r12), %rsp
	jb	9f
	cmp	48(%r12), %rsp
	ja	9f
	incq	56(%r12)
	mov	$0xffc02000, %eax	/* its state page: the routine's counts */
	mov	96(%rax), %rcx
	mov	%rcx, 136(%r12)
	mov	104(%rax), %rcx
	mov	%rcx, 144(%r12)
	mov	112(%rax), %rcx
	mov	%rcx, 152(%r12)
	decq	80(%r12)
	jz	3f
	mov	64(%r12), %edi
	mov	$XL_ROUTINE, %eax
	call	*%rax
	jmp	.Lxl_member
3:	rdtsc				/* TSC at the stop */
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, 128(%r12)
	mov	$HC_STOP, %eax
	mov	96(%r12), %rbx
	vmcall
	hlt
8:	add	$16, %rsp
9:	mov	$HC_STOP, %eax
	mov	$0xbad, %ebx
	vmcall
	hlt
END(xl_member64)

/*
 * Attacks of one member, chosen by XL_ATTACK in its data page. 1:
 * VMFUNC 0 with the index at XL_ARG, from its own code and with its own
 * CR3. 2: jump to the address at XL_ARG (inside the routine). 3: set
 * RFLAGS.NT, then call the routine properly with the id at XL_ARG. 4:
 * SYSENTER from its own code. Each start counts in XL_RUNS; the second
 * start stops with code 2; an attack that returns stops with 0x5afe.
 */
GUEST(xl_attack64)
.Lxl_attack:
	lea	.Lxl_attack + XL_DATA(%rip), %r12
	incq	72(%r12)
	cmpq	$2, 72(%r12)
	je	2f
	cmpq	$1, 104(%r12)
	jne	1f
	mov	112(%r12), %rcx
	xor	%eax, %eax
	.byte	0x0f, 0x01, 0xd4	/* vmfunc */
	jmp	3f
1:	cmpq	$3, 104(%r12)
	jne	5f
	pushfq				/* 3: NT set, then a proper call */
	orq	$0x4000, (%rsp)
	popfq
	mov	112(%r12), %rdi
	mov	$XL_ROUTINE, %eax
	call	*%rax
	jmp	3f
5:	cmpq	$4, 104(%r12)
	jne	6f
	sysenter			/* 4: SYSENTER from its own code */
	jmp	3f
6:	mov	112(%r12), %rax
	jmp	*%rax
2:	mov	$HC_STOP, %eax
	mov	$2, %ebx
	vmcall
	hlt
3:	mov	$HC_STOP, %eax
	mov	$0x5afe, %ebx
	vmcall
	hlt
END(xl_attack64)

/* The other member's code: if it ever runs, it writes its marker. */
GUEST(xl_marker64)
.Lxl_marker:
	lea	.Lxl_marker + XL_DATA(%rip), %rdi
	movq	$0x6d61726b, 88(%rdi)
	mov	$HC_STOP, %eax
	mov	$0x6d, %ebx
	vmcall
	hlt
END(xl_marker64)

/*
 * xl_member64 for 32-bit paging members (exitless_test.c): the same
 * checks and data page, found from the code's address by CALL/POP; it
 * calls the routine's 32-bit entry. 64-bit counters are kept with
 * ADD/ADC; the remaining count's low half is enough.
 */
#define XL_ROUTINE32	0xffc01800
	.code32
GUEST(xl_member32)
.Lxl_m32:
	call	1f
1:	pop	%ebx
	lea	(.Lxl_m32 - 1b + XL_DATA)(%ebx), %ebx
	mov	120(%ebx), %eax
	or	124(%ebx), %eax
	jnz	4f
	rdtsc
	mov	%eax, 120(%ebx)
	mov	%edx, 124(%ebx)
4:	mov	%cr3, %eax
	cmp	0(%ebx), %eax
	jne	9f
	sub	$16, %esp
	sgdt	6(%esp)
	movzwl	6(%esp), %eax
	cmp	16(%ebx), %eax
	jne	8f
	mov	8(%esp), %eax
	cmp	8(%ebx), %eax
	jne	8f
	sidt	6(%esp)
	movzwl	6(%esp), %eax
	cmp	32(%ebx), %eax
	jne	8f
	mov	8(%esp), %eax
	cmp	24(%ebx), %eax
	jne	8f
	add	$16, %esp
	cmp	40(%ebx), %esp
	jb	9f
	cmp	48(%ebx), %esp
	ja	9f
	addl	$1, 56(%ebx)
	adcl	$0, 60(%ebx)
	mov	$0xffc02000, %eax	/* its state page: the routine's counts */
	mov	96(%eax), %ecx
	mov	%ecx, 136(%ebx)
	mov	104(%eax), %ecx
	mov	%ecx, 144(%ebx)
	mov	112(%eax), %ecx
	mov	%ecx, 152(%ebx)
	subl	$1, 80(%ebx)
	jz	3f
	mov	64(%ebx), %edi
	mov	$XL_ROUTINE32, %eax
	call	*%eax
	jmp	.Lxl_m32
3:	rdtsc				/* TSC at the stop */
	mov	%eax, 128(%ebx)
	mov	%edx, 132(%ebx)
	mov	$HC_STOP, %eax
	mov	96(%ebx), %ebx
	vmcall
	hlt
8:	add	$16, %esp
9:	mov	$HC_STOP, %eax
	mov	$0xbad, %ebx
	vmcall
	hlt
END(xl_member32)

/*
 * Native switch targets (native_test.c), 64-bit, run outside VMX
 * operation on the module's page tables. Their data page is 0x2000
 * after their code (layout NR_* in native_test.c).
 *
 * native_report64: record what the forward switch loaded (CR0, CR3,
 * CR4, EFER, GDTR, IDTR, TR, CS, SS, DS, RSP, RFLAGS, RDI), then show
 * that VMX operation is off: with a copy of the module's IDT whose #UD
 * gate is its own, VMREAD must raise #UD. Then call the return routine.
 */
#define NATIVE_RETURN	0xffc01800	/* PMSW_NATIVE_RETURN */
#define NR_DATA		0x2000
#define NR_IDT		0x3000
	.code64
GUEST(native_report64)
.Lnr:
	mov	%rsp, .Lnr + NR_DATA + 88(%rip)
	pushf
	pop	.Lnr + NR_DATA + 96(%rip)
	mov	%rdi, .Lnr + NR_DATA + 112(%rip)
	lea	.Lnr + NR_DATA(%rip), %rbx
	mov	%cr0, %rax
	mov	%rax, 0(%rbx)
	mov	%cr3, %rax
	mov	%rax, 8(%rbx)
	mov	%cr4, %rax
	mov	%rax, 16(%rbx)
	mov	$0xc0000080, %ecx
	rdmsr
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, 24(%rbx)
	sgdt	38(%rbx)		/* limit at 38, base at 40 */
	sidt	54(%rbx)		/* limit at 54, base at 56 */
	str	%ax
	movzwl	%ax, %eax
	mov	%rax, 64(%rbx)
	mov	%cs, %eax
	mov	%rax, 72(%rbx)
	mov	%ss, %eax
	mov	%rax, 80(%rbx)
	mov	%ds, %eax
	mov	%rax, 120(%rbx)
	/* A copy of the IDT in force, with its own #UD handler. */
	mov	56(%rbx), %rsi
	lea	.Lnr + NR_IDT(%rip), %rdi
	mov	$512, %ecx
	rep movsq
	lea	.Lnr + NR_IDT(%rip), %rdi
	lea	.Lnr_ud(%rip), %rax
	mov	%ax, 6 * 16(%rdi)
	shr	$16, %rax
	mov	%ax, 6 * 16 + 6(%rdi)
	shr	$16, %rax
	mov	%eax, 6 * 16 + 8(%rdi)
	movw	$0xfff, 128(%rbx)
	mov	%rdi, 130(%rbx)
	lidt	128(%rbx)
	movq	$0, 104(%rbx)
	vmread	%rax, %rcx		/* 0f 78 c1: #UD outside VMX operation */
	lidt	54(%rbx)
	mov	$NATIVE_RETURN, %eax
	call	*%rax
	hlt
.Lnr_ud:
	incq	104(%rbx)
	addq	$3, (%rsp)		/* past the VMREAD */
	iretq
END(native_report64)

/* A divide error (vector 0) at a known place. */
GUEST(native_divide64)
	xor	%ecx, %ecx
	mov	$1, %eax
	xor	%edx, %edx
	div	%ecx
	hlt
END(native_divide64)

/* A read of linear 0x40000000, which the module's tables do not map. */
GUEST(native_unmapped64)
	mov	0x40000000, %rax
	hlt
END(native_unmapped64)

/* Forever, interrupts off: only the run-time limit ends it. */
GUEST(native_loop64)
1:	jmp	1b
END(native_loop64)

	.section .note.GNU-stack, "", @progbits
