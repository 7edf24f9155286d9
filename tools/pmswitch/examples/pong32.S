/* SPDX-License-Identifier: GPL-2.0 */
/* Target, 32-bit: switch back to context 0, forever. */
	.code32
	.text
1:	mov	$1, %eax	/* PMSW_HC_SWITCH */
	xor	%ebx, %ebx
	vmcall
	jmp	1b
	.section .note.GNU-stack, "", @progbits
