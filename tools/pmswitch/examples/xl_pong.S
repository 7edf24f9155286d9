/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit-less pong (context 1, 64-bit, its block at 0x200000, xl_member.h):
 * switches straight back to ping (context 0) through the routine,
 * forever. It starts at its entry point on ping's first switch and
 * afterwards continues after its own call; it never exits to the monitor
 * unless it arrives in a wrong environment (stop code 0xbad).
 */
#define XL_BASE		0x200000
#include "xl_member.h"

	.code64
	.text
1:	call	xl_arrived
	XL_SWITCH_TO 0
	jmp	1b

	XL_ARRIVED_FN
	XL_TABLES
	.section .note.GNU-stack, "", @progbits
