/*
 * fastboot-stub.S: replaces the bzImage decompressor (see mkfastboot.py).
 *
 * The boot loader puts the protected-mode part of the bzImage (this stub
 * followed by the flat, already uncompressed kernel image) somewhere in
 * memory, normally 0x100000, and the real-mode setup code jumps here in
 * 32-bit flat protected mode, paging off, interrupts off, ESI = boot_params.
 *
 * The stub moves the flat image to the kernel's physical load address,
 * zeroes the part of the image that was trimmed off the file (all zero
 * bytes: bss and friends), identity-maps the first 4 GiB with 2 MiB pages,
 * switches to 64-bit mode and jumps to the kernel's own 64-bit entry
 * (startup_64) with RSI = boot_params, which is exactly the state the
 * real decompressor leaves behind with KASLR off.
 *
 * The numbers come from mkfastboot.py through `as --defsym`:
 *   FLAT_OFF  offset of the flat image from the start of this stub
 *   COPY_LEN  bytes of flat image in the file (multiple of 4)
 *   DEST      physical load address (lowest PT_LOAD p_paddr)
 *   ZERO_LEN  bytes to zero after the copied part (multiple of 4)
 *   PT        physical address of 6 pages for page tables (after the image)
 *   ENTRY     physical entry point (ELF e_entry)
 *
 * The code is position independent: it finds its own address first, so it
 * does not matter where the loader put it, as long as that is not inside
 * the area the kernel is moved to (checked; it halts with a message).
 */

	.text
	.code32
	.globl	_start
_start:
	cli
	cld
	/*
	 * Find where we run.  The loader's stack is not guaranteed, so borrow
	 * the 4-byte scratch field of boot_params (offset 0x1e4) as the stack
	 * for one call/pop, as the kernel's own decompressor does.
	 */
	leal	0x1e8(%esi), %esp
	call	1f
1:	popl	%ebp
	subl	$(1b - _start), %ebp		/* ebp = our load address */
	leal	(stack_top - _start)(%ebp), %esp
	movl	%esi, %ebx			/* keep boot_params in ebx */

	/*
	 * Refuse to run if the stub itself lies in [DEST, PT + 6 pages): the
	 * copy or the page tables would overwrite the running code.
	 */
	movl	%ebp, %eax
	cmpl	$(PT + 6 * 4096), %eax
	jae	load_ok
	addl	$FLAT_OFF, %eax
	cmpl	$DEST, %eax
	jbe	load_ok
	leal	(msg_bad_load - _start)(%ebp), %esi
	jmp	die
load_ok:

	/*
	 * Move the flat image to DEST.  The two ranges usually overlap (the
	 * image is larger than DEST - 0x100000), so copy backwards when the
	 * destination lies above the source, like memmove().
	 */
	leal	FLAT_OFF(%ebp), %esi
	movl	$DEST, %edi
	movl	$(COPY_LEN / 4), %ecx
	cmpl	%edi, %esi
	jae	copy_fwd
	leal	(COPY_LEN - 4)(%esi), %esi
	leal	(COPY_LEN - 4)(%edi), %edi
	std
	rep movsl
	cld
	jmp	copied
copy_fwd:
	rep movsl
copied:

	/* The trimmed zero tail (bss, brk, ...), then the page-table pages. */
	xorl	%eax, %eax
	movl	$(DEST + COPY_LEN), %edi
	movl	$(ZERO_LEN / 4), %ecx
	rep stosl
	movl	$PT, %edi
	movl	$(6 * 4096 / 4), %ecx
	rep stosl

	/*
	 * Page tables at PT: PML4, PDPT, 4 page directories.  PML4[0] -> PDPT,
	 * PDPT[0..3] -> PD0..PD3, PDn[i] -> 2 MiB page, identity, writable.
	 */
	movl	$PT, %edi
	leal	0x1003(%edi), %eax
	movl	%eax, (%edi)
	leal	0x1000(%edi), %edx
	leal	0x2003(%edi), %eax
	movl	$4, %ecx
2:	movl	%eax, (%edx)
	addl	$0x1000, %eax
	addl	$8, %edx
	loop	2b
	leal	0x2000(%edi), %edx
	movl	$0x83, %eax			/* present, writable, 2 MiB page */
	movl	$2048, %ecx
3:	movl	%eax, (%edx)
	addl	$0x200000, %eax
	addl	$8, %edx
	loop	3b

	/* Long mode: PAE, CR3, EFER.LME, then paging on. */
	movl	%cr4, %eax
	orl	$0x20, %eax			/* CR4.PAE */
	movl	%eax, %cr4
	movl	%edi, %cr3
	movl	$0xc0000080, %ecx		/* IA32_EFER */
	rdmsr
	orl	$0x100, %eax			/* LME */
	wrmsr

	/* Our GDT has a 64-bit code segment; its base must be absolute. */
	leal	(gdt - _start)(%ebp), %eax
	movl	%eax, (gdt_desc + 2 - _start)(%ebp)
	lgdt	(gdt_desc - _start)(%ebp)

	movl	%cr0, %eax
	orl	$0x80000001, %eax		/* PG | PE */
	movl	%eax, %cr0

	/* Far return into the 64-bit code segment (selector 0x10). */
	leal	(long_mode - _start)(%ebp), %eax
	pushl	$0x10
	pushl	%eax
	lret

	.code64
long_mode:
	movl	$0x18, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%ebx, %esi			/* RSI = boot_params (zero-extended) */
	movabsq	$ENTRY, %rax
	xorl	%ebx, %ebx
	xorl	%ebp, %ebp
	xorl	%edi, %edi
	jmp	*%rax

	/* Print the NUL-terminated string at ESI on COM1 and halt forever. */
	.code32
die:
	movb	(%esi), %cl
	testb	%cl, %cl
	jz	5f
	movw	$0x3fd, %dx			/* line status register */
4:	inb	%dx, %al
	testb	$0x20, %al			/* transmitter holding reg empty */
	jz	4b
	movw	$0x3f8, %dx
	movb	%cl, %al
	outb	%al, %dx
	incl	%esi
	jmp	die
5:	hlt
	jmp	5b

msg_bad_load:
	.asciz	"fastboot stub: loaded inside the kernel's target area, halting\r\n"

	.balign	8
gdt:
	.quad	0
	.quad	0
	.quad	0x00af9a000000ffff		/* 0x10: 64-bit code, ring 0 */
	.quad	0x00cf92000000ffff		/* 0x18: flat 4 GiB data */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	0				/* base, filled in at run time */

	.balign	16
	.fill	256, 1, 0			/* stack for the far return */
stack_top:
