/* SPDX-License-Identifier: GPL-2.0 */
/* Origin, 32-bit: switch to context 1 %ecx times, then stop. */
	.code32
	.text
1:	mov	$1, %eax	/* PMSW_HC_SWITCH */
	mov	$1, %ebx
	vmcall
	dec	%ecx
	jnz	1b
	mov	$2, %eax	/* PMSW_HC_STOP */
	mov	%edx, %ecx	/* continued: another round of %edx */
	mov	$0x600d, %ebx
	vmcall
	jmp	1b
	.section .note.GNU-stack, "", @progbits
