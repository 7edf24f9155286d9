/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target, 32-bit protected mode: store what the CPU says about this
 * environment at %edi (SGDT at +0, SIDT +16, CR0 +32, CR3 +40, CR4 +48,
 * CS SS DS ES FS GS TR LDTR selectors from +56, ESP +72), then stop the
 * run with code 0x600d. Also linked into the selftests (tools/guest).
 */
	.code32
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
	mov	%ds, 60(%edi)
	mov	%es, 62(%edi)
	mov	%fs, 64(%edi)
	mov	%gs, 66(%edi)
	str	68(%edi)
	sldt	70(%edi)
	mov	%esp, 72(%edi)
	mov	$2, %eax	/* PMSW_HC_STOP */
	mov	$0x600d, %ebx
	vmcall
	hlt
