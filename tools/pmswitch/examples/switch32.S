/* SPDX-License-Identifier: GPL-2.0 */
/* Origin, 32-bit protected mode: switch to context 1, then stop. */
	.code32
	.text
	mov	$1, %eax	/* PMSW_HC_SWITCH */
	mov	$1, %ebx	/* to the target */
	vmcall
	mov	$2, %eax	/* PMSW_HC_STOP, reached if switched back */
	xor	%ebx, %ebx
	vmcall
	hlt
	.section .note.GNU-stack, "", @progbits
