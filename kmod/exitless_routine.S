/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit-less switch routine page (Documentation/exitless.rst). This is
 * GUEST code: the module never executes it. It is assembled into
 * read-only data, copied into the routine page, and runs at
 * guest-physical (and, through identity paging, linear)
 * PMSW_RESERVED_BASE + PMSW_RESERVED_ROUTINE at CPL 0. It contains no
 * RIP-relative or relocated operand: every address is an immediate, so
 * the bytes are position-fixed by construction, and every part sits at
 * a fixed offset of the page (.org), which pmswitch.h names.
 *
 *   0x000  entry64: called by a 64-bit member,
 *	    mov $target, %edi; mov $0xffc01000, %eax; call *%rax
 *   0x400  post64: IA32_SYSENTER_EIP of a 64-bit member
 *   0x800  entry32: called by a 32-bit paging member,
 *	    mov $target, %edi; mov $0xffc01800, %eax; call *%eax
 *   0xc00  post32: IA32_SYSENTER_EIP of a 32-bit paging member
 *
 * Each entry saves the caller's resume point in its state page, loads
 * the transit CR3, executes VMFUNC 0 with the target's id and then, as
 * the very next instruction, SYSENTER. VMFUNC changes only the EPT
 * pointer (SDM 26.5.6.3); the caller controls everything else the CPU
 * holds at that point: segment bases (compatibility mode, or 32-bit
 * segments with a base), RFLAGS (NT, AC, DF), the stack. SYSENTER
 * discards all of it that the rest of the path could use (SDM 5.8.7,
 * SYSENTER in Vol. 2B): CS and SS become flat with fixed attributes,
 * CPL 0, RIP and RSP come from the IA32_SYSENTER_* MSRs that the module
 * sets for every member and that no member can write (WRMSR exits), and
 * IF, VM and RF are cleared. So after a VMFUNC in this page the target's
 * side always starts at a post label with a state the module chose.
 *
 * Clobbers RAX/EAX, RCX/ECX, RSI/ESI and the flags; every other general
 * register reaches the target as the origin left it (the target must not
 * trust them). The routine writes 8 bytes (64-bit: below the scratch
 * stack in the state page; 32-bit: 12 bytes below the target's ESP, the
 * IRETD frame).
 *
 * Offsets into the state page, struct pmsw_exitless_state (pmswitch.h).
 */
#define ST_BASE		0xffc02000	/* PMSW_RESERVED_BASE + STATE */
#define TRANSIT_ROOT	0xffc04000	/* + PMSW_RESERVED_TRANSIT */
#define TRANSIT32_ROOT	0xffc08000	/* + PMSW_RESERVED_TRANSIT32 */
#define HC_XL_REFUSED	3		/* PMSW_HC_XL_REFUSED */
#define ST_RIP		0
#define ST_CS		8
#define ST_RFLAGS	16
#define ST_RSP		24
#define ST_SS		32
#define ST_CR3		40
#define ST_GDTR		54	/* limit, then base: SGDT/LGDT operand */
#define ST_IDTR		70
#define ST_DS		80
#define ST_ES		88
#define ST_ENTRIES	96
#define ST_EXITS	104

	.section .rodata, "a"
	.balign 4096
	.globl pmsw_xl_routine, pmsw_xl_routine_end, pmsw_xl_offsets
pmsw_xl_routine:
	.code64
entry64:
	/* 1. The origin's resume point, in its own state page. */
	pushfq
	cli
	movl	$ST_BASE, %esi
	popq	ST_RFLAGS(%rsi)
	popq	ST_RIP(%rsi)		/* the return address */
	movq	%rsp, ST_RSP(%rsi)	/* as after RET */
	movw	%cs, ST_CS(%rsi)
	movw	%ss, ST_SS(%rsi)
	movw	%ds, ST_DS(%rsi)
	movw	%es, ST_ES(%rsi)
	sgdt	ST_GDTR(%rsi)
	sidt	ST_IDTR(%rsi)
	movq	%cr3, %rax
	movq	%rax, ST_CR3(%rsi)
	incq	ST_EXITS(%rsi)
	/*
	 * 2. The transit tables: they map only the range, so whatever
	 * runs between here and the target's CR3 is this page.
	 */
	movl	%edi, %ecx
	movl	$TRANSIT_ROOT, %eax
	movq	%rax, %cr3
	/* 3. VMFUNC 0 (EPTP switching) to view %ecx, then SYSENTER. */
	xorl	%eax, %eax
vmfunc64:
	.byte	0x0f, 0x01, 0xd4
	sysenter

	.org	pmsw_xl_routine + 0x400
post64:
	/*
	 * 4. In some view, 64-bit mode (SYSENTER from IA-32e mode always
	 * lands in 64-bit mode), flat CS and SS, RSP = the top of the state
	 * page. Only the routine's own path sets the transit CR3 and
	 * reaches its SYSENTER; a SYSENTER from anywhere else (ring 3 of a
	 * member included) is refused.
	 */
	movq	%cr3, %rax
	movl	$TRANSIT_ROOT, %ecx
	cmpq	%rcx, %rax
	jne	refused64
	/* NT set at IRETQ would be a #GP in the target (SDM 6.14.3). */
	pushq	$2
	popfq
	movl	$ST_BASE, %esi
	lgdt	ST_GDTR(%rsi)
	lidt	ST_IDTR(%rsi)
	movq	ST_CR3(%rsi), %rax
	movq	%rax, %cr3		/* a CR3-target value, or it exits */
	movl	ST_DS(%rsi), %eax
	movl	%eax, %ds
	movl	ST_ES(%rsi), %eax
	movl	%eax, %es
	incq	ST_ENTRIES(%rsi)
	/* CS, RIP, RFLAGS, SS and RSP in one instruction. */
	movq	%rsi, %rsp
	iretq
refused64:
	movl	$HC_XL_REFUSED, %eax
	vmcall
	jmp	refused64

	.org	pmsw_xl_routine + 0x800
	.code32
entry32:
	/*
	 * 1. As entry64. A caller with non-flat DS or SS harms only
	 * itself here: this part runs in its own view.
	 */
	pushfl
	cli
	movl	$ST_BASE, %esi
	popl	ST_RFLAGS(%esi)
	popl	ST_RIP(%esi)
	movl	%esp, ST_RSP(%esi)
	movw	%cs, ST_CS(%esi)
	movw	%ss, ST_SS(%esi)
	movw	%ds, ST_DS(%esi)
	movw	%es, ST_ES(%esi)
	sgdt	ST_GDTR(%esi)
	sidt	ST_IDTR(%esi)
	movl	%cr3, %eax
	movl	%eax, ST_CR3(%esi)
	addl	$1, ST_EXITS(%esi)
	adcl	$0, ST_EXITS + 4(%esi)
	/* 2. The transit tables, 32-bit paging format. */
	movl	%edi, %ecx
	movl	$TRANSIT32_ROOT, %eax
	movl	%eax, %cr3
	/* 3. VMFUNC, then SYSENTER. */
	xorl	%eax, %eax
vmfunc32:
	.byte	0x0f, 0x01, 0xd4
	sysenter

	.org	pmsw_xl_routine + 0xc00
post32:
	/*
	 * 4. Flat CS and SS from SYSENTER; DS and ES still hold whatever
	 * the origin loaded, so the state page is addressed through SS
	 * (and through CS once SS is the target's): never through DS.
	 */
	movl	%cr3, %eax
	cmpl	$TRANSIT32_ROOT, %eax
	jne	refused32
	pushl	$2
	popfl
	movl	$ST_BASE, %esi
	lgdt	%ss:ST_GDTR(%esi)
	lidt	%ss:ST_IDTR(%esi)
	movl	%ss:ST_CR3(%esi), %eax
	movl	%eax, %cr3
	movl	%ss:ST_DS(%esi), %eax
	movl	%eax, %ds
	movl	%ss:ST_ES(%esi), %eax
	movl	%eax, %es
	addl	$1, %ss:ST_ENTRIES(%esi)
	adcl	$0, %ss:ST_ENTRIES + 4(%esi)
	/*
	 * At the same privilege level IRETD pops only EIP, CS and EFLAGS
	 * (SDM IRET, Vol. 2A): load SS:ESP first (MOV SS holds off events
	 * for one instruction), then build the frame on the target's stack.
	 */
	movl	%ss:ST_SS(%esi), %eax
	movl	%ss:ST_RSP(%esi), %ecx
	movl	%eax, %ss
	movl	%ecx, %esp
	pushl	%cs:ST_RFLAGS(%esi)
	pushl	%cs:ST_CS(%esi)
	pushl	%cs:ST_RIP(%esi)
	iretl
refused32:
	movl	$HC_XL_REFUSED, %eax
	vmcall
	jmp	refused32
pmsw_xl_routine_end:

	/* For the module's checks and the host tests (xl_routine_test). */
	.balign 4
pmsw_xl_offsets:
	.long	entry64 - pmsw_xl_routine
	.long	vmfunc64 - pmsw_xl_routine
	.long	post64 - pmsw_xl_routine
	.long	entry32 - pmsw_xl_routine
	.long	vmfunc32 - pmsw_xl_routine
	.long	post32 - pmsw_xl_routine

#ifndef __KERNEL__
	/* Linked into the host tests too: no executable stack there. */
	.section .note.GNU-stack, "", @progbits
#endif
