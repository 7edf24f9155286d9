/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target, 64-bit mode: store what the CPU says about this
 * environment at %rdi (SGDT at +0, SIDT +16, CR0 +32, CR3 +40, CR4 +48,
 * CS SS DS ES FS GS TR LDTR selectors from +56, RSP +72), then stop the
 * run with code 0x600d. Also linked into the selftests (tools/guest).
 */
	.code64
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
	mov	%ds, 60(%rdi)
	mov	%es, 62(%rdi)
	mov	%fs, 64(%rdi)
	mov	%gs, 66(%rdi)
	str	68(%rdi)
	sldt	70(%rdi)
	mov	%rsp, 72(%rdi)
	mov	$2, %eax	/* PMSW_HC_STOP */
	mov	$0x600d, %ebx
	vmcall
	hlt
