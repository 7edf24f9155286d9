/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Native switch target (pmswitch native, native_report.ctx), 64-bit
 * mode at CPL 0, outside VMX operation, on the module's page tables
 * (linear = guest-physical in session memory, the module's pages at
 * 0xffc00000). It records what the forward switch gave it and proves
 * that VMX operation is off, then calls the return routine; pmswitch
 * native prints the registers it returns with:
 *
 *   RAX  CR0                    RSI  GDTR base
 *   RBX  CR3 (the module's)     RDI  IDTR base (after the LIDT back)
 *   RCX  CR4                    R8   TR selector
 *   RDX  IA32_EFER              R9   CS selector
 *   R10  RSP at entry           R11  #UDs taken by the VMREAD (1)
 *
 * VMREAD outside VMX operation raises #UD (SDM 31.3, "VMREAD"). The
 * module's default #UD handler would end the run, so the target copies
 * the IDT in force (mapped at its IDTR base) to a page of its own, points
 * gate 6 at its own handler, which counts the #UD and steps over the
 * 3-byte VMREAD, and loads that copy for the one VMREAD only.
 *
 * Layout, relative to where the image is loaded (0x100000 in the .ctx):
 * code at +0, the IDT copy at +0x1000, descriptor-table scratch at
 * +0x2000. Everything is reached RIP-relative, so the image runs at any
 * address in session memory.
 */
#define NR_IDT		0x1000
#define NR_SCRATCH	0x2000
#define UD_VECTOR	6
#define MSR_EFER	0xc0000080

	.code64
	.text
.Lbase:
	/* First, before anything pushes: the stack pointer we were given. */
	mov	%rsp, %r10

	/* A copy of the IDT in force; 256 16-byte gates (SDM 6.14.1). */
	sidt	.Lbase + NR_SCRATCH(%rip)
	mov	.Lbase + NR_SCRATCH + 2(%rip), %rsi
	lea	.Lbase + NR_IDT(%rip), %rdi
	mov	$512, %ecx
	rep movsq
	/* Gate 6's offset, in its three pieces, becomes .Lud's address. */
	lea	.Lbase + NR_IDT + 16 * UD_VECTOR(%rip), %rdi
	lea	.Lud(%rip), %rax
	mov	%ax, 0(%rdi)
	shr	$16, %rax
	mov	%ax, 6(%rdi)
	shr	$16, %rax
	mov	%eax, 8(%rdi)
	movw	$0xfff, .Lbase + NR_SCRATCH + 16(%rip)
	lea	.Lbase + NR_IDT(%rip), %rax
	mov	%rax, .Lbase + NR_SCRATCH + 18(%rip)
	lidt	.Lbase + NR_SCRATCH + 16(%rip)
	xor	%r11d, %r11d
	vmread	%rax, %rcx		/* 0f 78 c1: #UD unless in VMX operation */
	lidt	.Lbase + NR_SCRATCH(%rip)

	/* What the forward switch loaded (SDM 28.5.1, 28.5.2). */
	mov	$MSR_EFER, %ecx
	rdmsr
	shl	$32, %rdx
	or	%rax, %rdx
	mov	%cr0, %rax
	mov	%cr3, %rbx
	mov	%cr4, %rcx
	sgdt	.Lbase + NR_SCRATCH + 32(%rip)
	mov	.Lbase + NR_SCRATCH + 34(%rip), %rsi
	sidt	.Lbase + NR_SCRATCH + 48(%rip)
	mov	.Lbase + NR_SCRATCH + 50(%rip), %rdi
	str	%r8d			/* bits 31:16 cleared (SDM Vol. 2B, STR) */
	mov	%cs, %r9d

	/*
	 * PMSW_NATIVE_RETURN through memory, so that no register is spent
	 * on its address; the routine saves them all.
	 */
	call	*.Lreturn(%rip)
	hlt

/* #UD from the VMREAD: no error code (SDM 6.15), RIP on top. */
.Lud:
	inc	%r11
	addq	$3, (%rsp)
	iretq

	.balign	8
.Lreturn:
	.quad	0xffc01800		/* PMSW_NATIVE_RETURN */

	.section .note.GNU-stack, "", @progbits
