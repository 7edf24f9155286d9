/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target, 64-bit mode: store what the CPU says about this
 * environment at %rdi (SGDT, SIDT, CR0, CR3, CR4, selectors, RSP), then
 * stop the run with code 0x600d.
 */
	.code64
	.text
	sgdt	0(%rdi)
	sidt	16(%rdi)
	mov	%cr0, %rax
	mov	%rax, 32(%rdi)
	mov	%cr3, %rax
	mov	%rax, 40(%rdi)
	mov	%cr4, %rax
	mov	%rax, 48(%rdi)
	mov	%cs, 56(%rdi)
	mov	%ss, 58(%rdi)
	str	68(%rdi)
	mov	%rsp, 72(%rdi)
	mov	$2, %eax	/* PMSW_HC_STOP */
	mov	$0x600d, %ebx
	vmcall
	hlt
	.section .note.GNU-stack, "", @progbits
