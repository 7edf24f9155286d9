/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target, 32-bit protected mode: store what the CPU says about this
 * environment at %edi (SGDT, SIDT, CR0, CR3, CR4, selectors, ESP), then
 * stop the run with code 0x600d.
 */
	.code32
	.text
	sgdt	0(%edi)
	sidt	16(%edi)
	mov	%cr0, %eax
	mov	%eax, 32(%edi)
	mov	%cr3, %eax
	mov	%eax, 40(%edi)
	mov	%cr4, %eax
	mov	%eax, 48(%edi)
	mov	%cs, 56(%edi)
	mov	%ss, 58(%edi)
	str	68(%edi)
	mov	%esp, 72(%edi)
	mov	$2, %eax	/* PMSW_HC_STOP */
	mov	$0x600d, %ebx
	vmcall
	hlt
	.section .note.GNU-stack, "", @progbits
