// SPDX-License-Identifier: GPL-2.0
/*
 * The native switch (Documentation/native.rst): the flow of the
 * protected-mode switching patents' claims with the running kernel as
 * the origin. On the calling CPU the module prepares two VMCSs:
 *
 * - forward: guest state = this kernel as it runs now, guest RIP at a
 *   VMCALL (pmsw_native_guest); host state = the target (its CR0, CR4,
 *   EFER, selectors, bases, RSP; CR3 = page tables the module builds;
 *   RIP = the trampoline in the native code page);
 * - return: guest state = the module's own small 64-bit environment in
 *   the reserved range, guest RIP at a VMCALL; host state = this kernel
 *   (RIP = pmsw_native_back).
 *
 * VMLAUNCH of the forward VMCS runs the kernel as a guest for one
 * instruction, its VMCALL exits, and the exit loads the whole target at
 * once (SDM 28.5). The trampoline executes VMXOFF and starts the target
 * outside VMX operation. The target returns by calling the return
 * routine, which executes VMXON, VMPTRLD of the return VMCS and
 * VMLAUNCH; its VMCALL exits and the exit loads the kernel at once.
 * The default handlers of the module's IDT take the same way back with
 * the vector as the stop reason. Another CPU bounds the run: after the
 * limit it sends NMIs, which the module's IDT turns into a return.
 *
 * A native target runs at CPL 0 outside VMX operation: it can do
 * anything the kernel can. Hence root only, off by default, and the
 * plain statement of the limits in native.rst.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/delay.h>
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/apic.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/nmi.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "caps.h"
#include "compat.h"
#include "native.h"
#include "native_check.h"
#include "native_layout.h"
#include "probe.h"
#include "refuse.h"
#include "run.h"
#include "session.h"
#include "trace.h"
#include "vmcs.h"
#include "vmx_cpu.h"
#include "vmx_ops.h"

static bool allow_native;
module_param(allow_native, bool, 0600);
MODULE_PARM_DESC(allow_native,
		 "allow PMSW_IOC_NATIVE: CAP_SYS_ADMIN may run a target natively at CPL 0 (default: refused)");

static unsigned int native_max_us = 100000;
module_param(native_max_us, uint, 0600);
MODULE_PARM_DESC(native_max_us,
		 "longest run-time limit of a native target in microseconds (default 100000)");

#define DEFAULT_LIMIT_US	10000
/* After the limit, the watchdog NMI is repeated this often until back. */
#define WATCH_REPEAT_NS		(1000 * NSEC_PER_USEC)

/* The module's pages in the target's space: offset, how many pages. */
#define NPAGES		7	/* 0x1000-0x7fff: code .. IST stack */
#define PG_CODE		0	/* PMSW_NATIVE_CODE */
#define PG_STATE	1
#define PG_IDT		2
#define PG_GDT		3	/* GDT at 0, TSS at 0x800 */
#define PG_STACK	4	/* the return path's stack, top PMSW_NATIVE_STACK */
#define PG_IST		5	/* #DF, NMI, #MC stack */
#define PG_SPARE	6

#define NATIVE_VA(off)	(PMSW_RESERVED_BASE + (off))
#define IST_TOP		NATIVE_VA(0x7000)

/* Guest paging-entry bits (SDM 4.5): present, writable, accessed, dirty. */
#define PTE_P		0x1ULL
#define PTE_RW		0x2ULL
#define PTE_A		0x20ULL
#define PTE_D		0x40ULL
#define PTE_TABLE	(PTE_P | PTE_RW | PTE_A)
#define PTE_LEAF	(PTE_P | PTE_RW | PTE_A | PTE_D)

/*
 * A session's native world, built at its first native switch and kept
 * until the session closes (its memory never changes once set): the
 * target's page tables, host pages not mapped in the target's space,
 * and the module's pages, whose contents each switch writes afresh (a
 * target may have changed them).
 */
struct pmsw_native_world {
	struct page **tables;
	unsigned int nr_tables, max_tables;
	u64 *pml4;
	void *page[NPAGES];
};

/* Everything one native switch needs. */
struct native {
	struct pmsw_session *s;
	/* This CPU's VMX capabilities (the same on every CPU, vmx_cpu.c). */
	struct pmsw_vmx_caps caps;
	struct pmsw_context target;
	struct pmsw_native *out;
	/* The session's world (pml4 and pages: copies of its pointers). */
	struct pmsw_native_world *w;
	u64 *pml4;
	void *page[NPAGES];
	struct pmsw_vmcs *fwd, *back;
	/* The watchdog on another CPU. */
	struct hrtimer timer;
	int cpu, watch_cpu;
	u32 limit_us;
	bool done, fired;
	/* Watchdog NMIs sent, and those this kernel took for itself. */
	atomic_t sent, claimed;
	/* Host state the VM exits do not restore (SDM 28.5), saved here. */
	struct desc_ptr gdt, idt;
	u16 ds, es, fs_sel, gs_sel, ldt_sel;
	u64 msr[5], tsc_aux;
	unsigned long dr[8], cr8;
	u64 debugctl, xcr0;
	u32 pkru;
	u32 back_exit;
	u64 tsc_back;
};

static const u32 saved_msrs[] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
};

static void *st(struct native *n, unsigned int off)
{
	return n->page[PG_STATE] + off;
}

static u64 *st64(struct native *n, unsigned int off)
{
	return st(n, off);
}

/* ---- the target's page tables ------------------------------------ */

static u64 *table_alloc(struct pmsw_native_world *w)
{
	struct page *p;

	if (w->nr_tables == w->max_tables)
		return NULL;
	p = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!p)
		return NULL;
	w->tables[w->nr_tables++] = p;
	return page_address(p);
}

/* The next-level table of @e, allocated on first use. */
static u64 *table_next(struct pmsw_native_world *w, u64 *e)
{
	u64 *t;

	if (*e)
		return phys_to_virt(*e & PAGE_MASK & ((1ULL << 52) - 1));
	t = table_alloc(w);
	if (t)
		*e = virt_to_phys(t) | PTE_TABLE;
	return t;
}

/* Map linear @va to host-physical @pa, 4 KiB, read/write. */
static int map_page(struct pmsw_native_world *w, u64 va, u64 pa)
{
	u64 *pdpt, *pd, *pt;

	pdpt = table_next(w, &w->pml4[(va >> 39) & 511]);
	pd = pdpt ? table_next(w, &pdpt[(va >> 30) & 511]) : NULL;
	pt = pd ? table_next(w, &pd[(va >> 21) & 511]) : NULL;
	if (!pt)
		return -ENOMEM;
	pt[(va >> 12) & 511] = pa | PTE_LEAF;
	return 0;
}

/*
 * Session memory at linear = guest-physical, and the module's pages at
 * PMSW_NATIVE_CODE.. in the reserved range; nothing else.
 */
static int build_tables(struct pmsw_session *s, struct pmsw_native_world *w)
{
	u64 bytes = s->mem_bytes, gpa;
	unsigned int i;
	int err;

	/* One PT per 2 MiB, a PD per GiB, the PDPT, the PML4, the range. */
	w->max_tables = (bytes >> 21) + (bytes >> 30) + 8;
	w->tables = kcalloc(w->max_tables, sizeof(*w->tables), GFP_KERNEL);
	if (!w->tables)
		return -ENOMEM;
	w->pml4 = table_alloc(w);
	if (!w->pml4)
		return -ENOMEM;
	for (gpa = 0; gpa < bytes; gpa += PAGE_SIZE) {
		err = map_page(w, gpa, PFN_PHYS(vmalloc_to_pfn(s->mem + gpa)));
		if (err)
			return err;
	}
	for (i = 0; i < NPAGES; i++) {
		err = map_page(w, NATIVE_VA(PMSW_NATIVE_CODE) + i * PAGE_SIZE,
			       virt_to_phys(w->page[i]));
		if (err)
			return err;
	}
	return 0;
}

static void world_free(struct pmsw_native_world *w)
{
	unsigned int i;

	if (!w)
		return;
	for (i = 0; i < w->nr_tables; i++)
		__free_page(w->tables[i]);
	kfree(w->tables);
	for (i = 0; i < NPAGES; i++)
		free_page((unsigned long)w->page[i]);
	kfree(w);
}

static struct pmsw_native_world *world_build(struct pmsw_session *s)
{
	struct pmsw_native_world *w = kzalloc(sizeof(*w), GFP_KERNEL);
	unsigned int i;

	if (!w)
		return NULL;
	for (i = 0; i < NPAGES; i++) {
		w->page[i] = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!w->page[i])
			goto fail;
	}
	if (!build_tables(s, w))
		return w;
fail:
	world_free(w);
	return NULL;
}

/* The session is going away: its native world with it. */
void pmsw_native_free_session(struct pmsw_session *s)
{
	world_free(s->native);
	s->native = NULL;
}

/* ---- the module's GDT, TSS and IDT for the target ---------------- */

/* A 64-bit interrupt gate (SDM 6.14.1) to the code page at @off. */
static void set_gate(u64 *idt, unsigned int vec, unsigned int off,
		     unsigned int ist)
{
	u64 va = NATIVE_VA(PMSW_NATIVE_CODE) + off;

	idt[2 * vec] = (va & 0xffff) | ((u64)PMSW_NATIVE_SEL_CODE << 16) |
		       ((u64)ist << 32) | (0x8eULL << 40) |
		       (((va >> 16) & 0xffff) << 48);
	idt[2 * vec + 1] = va >> 32;
}

static void build_tables_of_target(struct native *n)
{
	u64 *gdt = n->page[PG_GDT], *idt = n->page[PG_IDT];
	u64 tss = NATIVE_VA(PMSW_NATIVE_TSS);
	u8 *t = n->page[PG_GDT] + 0x800;
	unsigned int v;

	/* Code 64-bit, data, and a busy 64-bit TSS (SDM 3.4.5, 8.2.3). */
	gdt[1] = 0x00af9b000000ffffULL;
	gdt[2] = 0x00cf93000000ffffULL;
	gdt[3] = 0x67 | ((tss & 0xffffff) << 16) | (0x8bULL << 40) |
		 ((tss >> 24 & 0xff) << 56);
	gdt[4] = tss >> 32;
	/* TSS: RSP0 and IST1 (+4, +36), no I/O bitmap (base past limit). */
	*(u64 *)(t + 4) = NATIVE_VA(PMSW_NATIVE_STACK);
	*(u64 *)(t + 36) = IST_TOP;
	*(u16 *)(t + 102) = 0x68;
	for (v = 0; v < 256; v++)
		set_gate(idt, v, v < 32 ? NC_STUBS + 16 * v : NC_STUB_OTHER,
			 v == 2 || v == 8 || v == 18 ? 1 : 0);
}

/* ---- VMCS contents ------------------------------------------------ */

static u32 ctls(u32 want, u64 cap)
{
	u32 out = 0;

	/* Only required bits are asked for; the CPUs we run on have them. */
	if (pmsw_adjust_ctls(want, 0, cap, &out))
		return 0;
	return out;
}

/* Controls of both VMCSs: a 64-bit guest, a 64-bit host (SDM 27.2.1). */
static void write_controls(struct pmsw_vmcs *v, const struct pmsw_vmx_caps *c)
{
	pmsw_vmcs_write32(v, VMCS_PIN_BASED_VM_EXEC_CONTROL,
			  ctls(PMSW_PIN_NMI_EXITING, c->pinbased_ctls));
	pmsw_vmcs_write32(v, VMCS_CPU_BASED_VM_EXEC_CONTROL,
			  ctls(0, c->procbased_ctls));
	pmsw_vmcs_write32(v, VMCS_VM_EXIT_CONTROLS,
			  ctls(PMSW_EXIT_HOST_ADDR_SPACE_SIZE |
			       PMSW_EXIT_LOAD_PAT | PMSW_EXIT_LOAD_EFER,
			       c->exit_ctls));
	pmsw_vmcs_write32(v, VMCS_VM_ENTRY_CONTROLS,
			  ctls(PMSW_ENTRY_IA32E_MODE | PMSW_ENTRY_LOAD_PAT |
			       PMSW_ENTRY_LOAD_EFER | PMSW_ENTRY_LOAD_DEBUG,
			       c->entry_ctls));
	pmsw_vmcs_write32(v, VMCS_EXCEPTION_BITMAP, 0);
	pmsw_vmcs_write32(v, VMCS_CR3_TARGET_COUNT, 0);
	pmsw_vmcs_write32(v, VMCS_VM_EXIT_MSR_STORE_COUNT, 0);
	pmsw_vmcs_write32(v, VMCS_VM_EXIT_MSR_LOAD_COUNT, 0);
	pmsw_vmcs_write32(v, VMCS_VM_ENTRY_MSR_LOAD_COUNT, 0);
	pmsw_vmcs_write32(v, VMCS_VM_ENTRY_INTR_INFO, 0);
	pmsw_vmcs_write64(v, VMCS_VMCS_LINK_POINTER, ~0ULL);
	pmsw_vmcs_write32(v, VMCS_GUEST_INTERRUPTIBILITY_INFO, 0);
	pmsw_vmcs_write32(v, VMCS_GUEST_ACTIVITY_STATE, 0);
	pmsw_vmcs_writel(v, VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	pmsw_vmcs_writel(v, VMCS_CR0_GUEST_HOST_MASK, 0);
	pmsw_vmcs_writel(v, VMCS_CR4_GUEST_HOST_MASK, 0);
}

static void guest_seg(struct pmsw_vmcs *v, unsigned int seg, u16 sel,
		      u64 base, u32 limit, u32 ar)
{
	/* Guest segment fields are in ES, CS, SS, DS, FS, GS, LDTR, TR order. */
	pmsw_vmcs_write16(v, VMCS_GUEST_ES_SELECTOR + 2 * seg, sel);
	pmsw_vmcs_writel(v, VMCS_GUEST_ES_BASE + 2 * seg, base);
	pmsw_vmcs_write32(v, VMCS_GUEST_ES_LIMIT + 2 * seg, limit);
	pmsw_vmcs_write32(v, VMCS_GUEST_ES_AR_BYTES + 2 * seg, ar);
}

/* Access rights of a GDT descriptor in the VMCS format (SDM 25.4.1). */
static u32 desc_ar(const struct desc_struct *d)
{
	return d->type | d->s << 4 | d->dpl << 5 | d->p << 7 | d->avl << 12 |
	       d->l << 13 | d->d << 14 | d->g << 15;
}

/*
 * A live selector of this kernel as guest state: null is unusable
 * (SDM 25.4.1, bit 16), else its descriptor in the current GDT.
 */
static void guest_live_seg(struct pmsw_vmcs *v, unsigned int seg, u16 sel,
			   u64 base)
{
	struct desc_struct *gdt = get_current_gdt_ro(), *d;
	u32 limit;

	if (!(sel & ~3)) {
		guest_seg(v, seg, sel, base, 0, PMSW_AR_UNUSABLE);
		return;
	}
	d = &gdt[sel >> 3];
	limit = get_desc_limit(d);
	if (d->g)
		limit = (limit << 12) | 0xfff;
	if (!d->s)	/* 16-byte system descriptor: base 63:32 follows */
		base = get_desc_base(d) | ((u64)((u32 *)d)[2] << 32);
	guest_seg(v, seg, sel, base, limit, desc_ar(d));
}

/* The forward VMCS's guest: this kernel, as it runs now on this CPU. */
static void forward_guest(struct native *n)
{
	struct pmsw_vmcs *v = n->fwd;
	u16 tr;
	u64 val;

	pmsw_vmcs_writel(v, VMCS_GUEST_CR0, read_cr0());
	pmsw_vmcs_writel(v, VMCS_GUEST_CR3, __read_cr3());
	pmsw_vmcs_writel(v, VMCS_GUEST_CR4, __read_cr4());
	pmsw_vmcs_writel(v, VMCS_GUEST_DR7, n->dr[7]);
	pmsw_vmcs_write64(v, VMCS_GUEST_IA32_DEBUGCTL, n->debugctl);
	rdmsrl(MSR_EFER, val);
	pmsw_vmcs_write64(v, VMCS_GUEST_IA32_EFER, val);
	rdmsrl(MSR_IA32_CR_PAT, val);
	pmsw_vmcs_write64(v, VMCS_GUEST_IA32_PAT, val);
	rdmsrl(MSR_IA32_SYSENTER_CS, val);
	pmsw_vmcs_write32(v, VMCS_GUEST_SYSENTER_CS, val);
	rdmsrl(MSR_IA32_SYSENTER_ESP, val);
	pmsw_vmcs_writel(v, VMCS_GUEST_SYSENTER_ESP, val);
	rdmsrl(MSR_IA32_SYSENTER_EIP, val);
	pmsw_vmcs_writel(v, VMCS_GUEST_SYSENTER_EIP, val);
	pmsw_vmcs_writel(v, VMCS_GUEST_RIP, (unsigned long)pmsw_native_guest);
	pmsw_vmcs_writel(v, VMCS_GUEST_RFLAGS, native_save_fl());
	/* GUEST_RSP: pmsw_native_enter, which knows it. */

	guest_live_seg(v, PMSW_SEG_CS, __KERNEL_CS, 0);
	guest_live_seg(v, PMSW_SEG_SS, __KERNEL_DS, 0);
	guest_live_seg(v, PMSW_SEG_DS, n->ds, 0);
	guest_live_seg(v, PMSW_SEG_ES, n->es, 0);
	rdmsrl(MSR_FS_BASE, val);
	guest_live_seg(v, PMSW_SEG_FS, n->fs_sel, val);
	rdmsrl(MSR_GS_BASE, val);
	guest_live_seg(v, PMSW_SEG_GS, n->gs_sel, val);
	guest_live_seg(v, PMSW_SEG_LDTR, n->ldt_sel, 0);
	asm volatile("str %0" : "=rm" (tr));
	guest_live_seg(v, PMSW_SEG_TR, tr,
		       (unsigned long)&get_cpu_entry_area(n->cpu)->tss.x86_tss);
	pmsw_vmcs_writel(v, VMCS_GUEST_GDTR_BASE, n->gdt.address);
	pmsw_vmcs_write32(v, VMCS_GUEST_GDTR_LIMIT, n->gdt.size);
	pmsw_vmcs_writel(v, VMCS_GUEST_IDTR_BASE, n->idt.address);
	pmsw_vmcs_write32(v, VMCS_GUEST_IDTR_LIMIT, n->idt.size);
}

/* The forward VMCS's host: the target (SDM 27.2.2, 27.2.3, 28.5). */
static void forward_host(struct native *n)
{
	const struct pmsw_context *c = &n->target;
	struct pmsw_vmcs *v = n->fwd;

	pmsw_vmcs_writel(v, VMCS_HOST_CR0, c->cr0);
	pmsw_vmcs_writel(v, VMCS_HOST_CR3, virt_to_phys(n->pml4));
	pmsw_vmcs_writel(v, VMCS_HOST_CR4, c->cr4 | X86_CR4_VMXE);
	pmsw_vmcs_writel(v, VMCS_HOST_RSP, c->rsp);
	pmsw_vmcs_writel(v, VMCS_HOST_RIP,
			 NATIVE_VA(PMSW_NATIVE_CODE) + NC_TRAMPOLINE);
	pmsw_vmcs_write16(v, VMCS_HOST_CS_SELECTOR, c->seg[PMSW_SEG_CS].selector);
	pmsw_vmcs_write16(v, VMCS_HOST_SS_SELECTOR, c->seg[PMSW_SEG_SS].selector);
	pmsw_vmcs_write16(v, VMCS_HOST_DS_SELECTOR, c->seg[PMSW_SEG_DS].selector);
	pmsw_vmcs_write16(v, VMCS_HOST_ES_SELECTOR, c->seg[PMSW_SEG_ES].selector);
	pmsw_vmcs_write16(v, VMCS_HOST_FS_SELECTOR, c->seg[PMSW_SEG_FS].selector);
	pmsw_vmcs_write16(v, VMCS_HOST_GS_SELECTOR, c->seg[PMSW_SEG_GS].selector);
	pmsw_vmcs_write16(v, VMCS_HOST_TR_SELECTOR, c->seg[PMSW_SEG_TR].selector);
	pmsw_vmcs_writel(v, VMCS_HOST_FS_BASE, c->seg[PMSW_SEG_FS].base);
	pmsw_vmcs_writel(v, VMCS_HOST_GS_BASE, c->seg[PMSW_SEG_GS].base);
	pmsw_vmcs_writel(v, VMCS_HOST_TR_BASE, c->seg[PMSW_SEG_TR].base);
	pmsw_vmcs_writel(v, VMCS_HOST_GDTR_BASE, c->gdtr.base);
	pmsw_vmcs_writel(v, VMCS_HOST_IDTR_BASE, c->idtr.base);
	pmsw_vmcs_write32(v, VMCS_HOST_IA32_SYSENTER_CS, c->sysenter_cs);
	pmsw_vmcs_writel(v, VMCS_HOST_IA32_SYSENTER_ESP, c->sysenter_esp);
	pmsw_vmcs_writel(v, VMCS_HOST_IA32_SYSENTER_EIP, c->sysenter_eip);
	pmsw_vmcs_write64(v, VMCS_HOST_IA32_PAT, c->pat);
	pmsw_vmcs_write64(v, VMCS_HOST_IA32_EFER, c->efer);
}

/* The return VMCS's guest: the module's environment, at its VMCALL. */
static void back_guest(struct native *n)
{
	struct pmsw_vmcs *v = n->back;
	u64 pat;

	pmsw_vmcs_writel(v, VMCS_GUEST_CR0, *st64(n, NS_MOD_CR0));
	pmsw_vmcs_writel(v, VMCS_GUEST_CR3, *st64(n, NS_MOD_CR3));
	pmsw_vmcs_writel(v, VMCS_GUEST_CR4, *st64(n, NS_MOD_CR4));
	pmsw_vmcs_writel(v, VMCS_GUEST_DR7, 0x400);
	pmsw_vmcs_write64(v, VMCS_GUEST_IA32_DEBUGCTL, 0);
	pmsw_vmcs_write64(v, VMCS_GUEST_IA32_EFER, EFER_LME | EFER_LMA);
	rdmsrl(MSR_IA32_CR_PAT, pat);
	pmsw_vmcs_write64(v, VMCS_GUEST_IA32_PAT, pat);
	pmsw_vmcs_write32(v, VMCS_GUEST_SYSENTER_CS, 0);
	pmsw_vmcs_writel(v, VMCS_GUEST_SYSENTER_ESP, 0);
	pmsw_vmcs_writel(v, VMCS_GUEST_SYSENTER_EIP, 0);
	pmsw_vmcs_writel(v, VMCS_GUEST_RIP,
			 NATIVE_VA(PMSW_NATIVE_CODE) + NC_VMCALL);
	pmsw_vmcs_writel(v, VMCS_GUEST_RSP, NATIVE_VA(PMSW_NATIVE_STACK));
	pmsw_vmcs_writel(v, VMCS_GUEST_RFLAGS, 0x2);
	guest_seg(v, PMSW_SEG_CS, PMSW_NATIVE_SEL_CODE, 0, 0xffffffff, 0xa09b);
	guest_seg(v, PMSW_SEG_SS, PMSW_NATIVE_SEL_DATA, 0, 0xffffffff, 0xc093);
	guest_seg(v, PMSW_SEG_DS, PMSW_NATIVE_SEL_DATA, 0, 0xffffffff, 0xc093);
	guest_seg(v, PMSW_SEG_ES, PMSW_NATIVE_SEL_DATA, 0, 0xffffffff, 0xc093);
	guest_seg(v, PMSW_SEG_FS, 0, 0, 0, PMSW_AR_UNUSABLE);
	guest_seg(v, PMSW_SEG_GS, 0, 0, 0, PMSW_AR_UNUSABLE);
	guest_seg(v, PMSW_SEG_LDTR, 0, 0, 0, PMSW_AR_UNUSABLE);
	guest_seg(v, PMSW_SEG_TR, PMSW_NATIVE_SEL_TSS,
		  NATIVE_VA(PMSW_NATIVE_TSS), 0x67, 0x8b);
	pmsw_vmcs_writel(v, VMCS_GUEST_GDTR_BASE, NATIVE_VA(PMSW_NATIVE_GDT));
	pmsw_vmcs_write32(v, VMCS_GUEST_GDTR_LIMIT, 0x27);
	pmsw_vmcs_writel(v, VMCS_GUEST_IDTR_BASE, NATIVE_VA(PMSW_NATIVE_IDT));
	pmsw_vmcs_write32(v, VMCS_GUEST_IDTR_LIMIT, 0xfff);
}

/* The return VMCS's host: this kernel, back at pmsw_native_back. */
static void back_host(struct native *n)
{
	struct pmsw_vmcs *v = n->back;
	u64 val;

	pmsw_vmcs_writel(v, VMCS_HOST_CR0, read_cr0());
	pmsw_vmcs_writel(v, VMCS_HOST_CR3, __read_cr3());
	pmsw_vmcs_writel(v, VMCS_HOST_CR4, __read_cr4());
	/* The return routine writes it: pmsw_native_enter()'s RSP. */
	pmsw_vmcs_writel(v, VMCS_HOST_RSP, 0);
	pmsw_vmcs_writel(v, VMCS_HOST_RIP, (unsigned long)pmsw_native_back);
	pmsw_vmcs_write16(v, VMCS_HOST_CS_SELECTOR, __KERNEL_CS);
	pmsw_vmcs_write16(v, VMCS_HOST_SS_SELECTOR, __KERNEL_DS);
	pmsw_vmcs_write16(v, VMCS_HOST_DS_SELECTOR, 0);
	pmsw_vmcs_write16(v, VMCS_HOST_ES_SELECTOR, 0);
	pmsw_vmcs_write16(v, VMCS_HOST_FS_SELECTOR, 0);
	pmsw_vmcs_write16(v, VMCS_HOST_GS_SELECTOR, 0);
	pmsw_vmcs_write16(v, VMCS_HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	rdmsrl(MSR_FS_BASE, val);
	pmsw_vmcs_writel(v, VMCS_HOST_FS_BASE, val);
	rdmsrl(MSR_GS_BASE, val);
	pmsw_vmcs_writel(v, VMCS_HOST_GS_BASE, val);
	pmsw_vmcs_writel(v, VMCS_HOST_TR_BASE,
			 (unsigned long)&get_cpu_entry_area(n->cpu)->tss.x86_tss);
	pmsw_vmcs_writel(v, VMCS_HOST_GDTR_BASE, n->gdt.address);
	pmsw_vmcs_writel(v, VMCS_HOST_IDTR_BASE, n->idt.address);
	rdmsrl(MSR_IA32_SYSENTER_CS, val);
	pmsw_vmcs_write32(v, VMCS_HOST_IA32_SYSENTER_CS, val);
	rdmsrl(MSR_IA32_SYSENTER_ESP, val);
	pmsw_vmcs_writel(v, VMCS_HOST_IA32_SYSENTER_ESP, val);
	rdmsrl(MSR_IA32_SYSENTER_EIP, val);
	pmsw_vmcs_writel(v, VMCS_HOST_IA32_SYSENTER_EIP, val);
	rdmsrl(MSR_IA32_CR_PAT, val);
	pmsw_vmcs_write64(v, VMCS_HOST_IA32_PAT, val);
	rdmsrl(MSR_EFER, val);
	pmsw_vmcs_write64(v, VMCS_HOST_IA32_EFER, val);
}

/* ---- the state page ----------------------------------------------- */

static void put_dt(struct native *n, unsigned int off, u64 base, u16 limit)
{
	*(u16 *)st(n, off + 6) = limit;
	*st64(n, off + 8) = base;
}

static void fill_state(struct native *n)
{
	const struct pmsw_context *c = &n->target;
	const struct pmsw_vmx_caps *caps = &n->caps;
	u64 cr4 = X86_CR4_PAE | X86_CR4_VMXE;

	memcpy(st(n, NS_GPR), c->gpr, sizeof(c->gpr));
	*st64(n, NS_RIP) = c->rip;
	*st64(n, NS_RFLAGS) = c->rflags;
	*st64(n, NS_TARGET_CR4) = c->cr4;
	*st64(n, NS_TARGET_CR2) = c->cr2;
	*st64(n, NS_VMXON_PHYS) = pmsw_vmx_this_cpu_vmxon_phys();
	*st64(n, NS_VMCS_PHYS) = n->back->phys;
	/* The return path: this kernel's CR0, a minimal CR4 (27.3.1.1). */
	*st64(n, NS_MOD_CR0) = read_cr0() | caps->cr0_fixed0;
	*st64(n, NS_MOD_CR4) = (cr4 | caps->cr4_fixed0) & caps->cr4_fixed1;
	*st64(n, NS_MOD_CR3) = virt_to_phys(n->pml4);
	put_dt(n, NS_GDTR, c->gdtr.base, c->gdtr.limit);
	put_dt(n, NS_IDTR, c->idtr.base, c->idtr.limit);
	put_dt(n, NS_MOD_GDTR, NATIVE_VA(PMSW_NATIVE_GDT), 0x27);
	put_dt(n, NS_MOD_IDTR, NATIVE_VA(PMSW_NATIVE_IDT), 0xfff);
	memcpy(n->page[PG_CODE], pmsw_native_code,
	       pmsw_native_code_end - pmsw_native_code);
}

/* ---- the watchdog ------------------------------------------------- */

static enum hrtimer_restart watch_fire(struct hrtimer *t)
{
	struct native *n = container_of(t, struct native, timer);

	if (READ_ONCE(n->done))
		return HRTIMER_NORESTART;
	WRITE_ONCE(n->fired, true);
	/* Delivered through the target's IDT: the module's returns. */
	atomic_inc(&n->sent);
	apic->send_IPI(n->cpu, NMI_VECTOR);
	hrtimer_forward_now(t, ns_to_ktime(WATCH_REPEAT_NS));
	return HRTIMER_RESTART;
}

/* The native switch running on each CPU, for the NMI handler below. */
static DEFINE_PER_CPU(struct native *, native_here);

/*
 * A watchdog NMI can arrive after the target has returned (the timer
 * fired while the return path ran): it is ours, not an unknown NMI.
 * Claim as many as were sent and not taken by the module's IDT.
 */
static int native_nmi(unsigned int type, struct pt_regs *regs)
{
	struct native *n = this_cpu_read(native_here);
	int taken;

	if (!n)
		return NMI_DONE;
	taken = READ_ONCE(*(u64 *)(n->page[PG_STATE] + NS_NMIS)) +
		atomic_read(&n->claimed);
	if (atomic_read(&n->sent) <= taken)
		return NMI_DONE;
	atomic_inc(&n->claimed);
	return NMI_HANDLED;
}

static void watch_arm(void *arg)
{
	struct native *n = arg;

	hrtimer_start(&n->timer, ns_to_ktime((u64)n->limit_us * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

/* ---- the switch itself ------------------------------------------- */

/* What the VM exits change or the target may have changed (SDM 28.5). */
static void save_host(struct native *n)
{
	unsigned int i;

	native_store_gdt(&n->gdt);
	store_idt(&n->idt);
	savesegment(ds, n->ds);
	savesegment(es, n->es);
	savesegment(fs, n->fs_sel);
	savesegment(gs, n->gs_sel);
	asm volatile("sldt %0" : "=rm" (n->ldt_sel));
	for (i = 0; i < ARRAY_SIZE(saved_msrs); i++)
		rdmsrl(saved_msrs[i], n->msr[i]);
	/* The CPU number RDTSCP and RDPID give user space (vgetcpu). */
	if (boot_cpu_has(X86_FEATURE_RDTSCP) || boot_cpu_has(X86_FEATURE_RDPID))
		rdmsrl(MSR_TSC_AUX, n->tsc_aux);
	for (i = 0; i < 8; i++)
		if (i != 4 && i != 5)
			get_debugreg(n->dr[i], i);
	asm volatile("mov %%cr8, %0" : "=r" (n->cr8));
	n->debugctl = get_debugctlmsr();
	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		n->xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	if (cpu_feature_enabled(X86_FEATURE_OSPKE))
		n->pkru = rdpkru();
}

static void restore_host(struct native *n)
{
	unsigned int i;
	u64 fs_base, kgs;

	native_load_gdt(&n->gdt);
	load_idt(&n->idt);
	invalidate_tss_limit();
	for (i = 0; i < ARRAY_SIZE(saved_msrs); i++)
		wrmsrl(saved_msrs[i], n->msr[i]);
	if (boot_cpu_has(X86_FEATURE_RDTSCP) || boot_cpu_has(X86_FEATURE_RDPID))
		wrmsrl(MSR_TSC_AUX, n->tsc_aux);
	for (i = 0; i < 8; i++)
		if (i != 4 && i != 5)
			set_debugreg(n->dr[i], i);
	asm volatile("mov %0, %%cr8" : : "r" (n->cr8));
	update_debugctlmsr(n->debugctl);
	if (boot_cpu_has(X86_FEATURE_OSXSAVE) &&
	    xgetbv(XCR_XFEATURE_ENABLED_MASK) != n->xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, n->xcr0);
	if (cpu_feature_enabled(X86_FEATURE_OSPKE) && rdpkru() != n->pkru)
		wrpkru(n->pkru);
	/* VM exits load null DS/ES/FS/GS/LDTR selectors (SDM 28.5.2). */
	if (n->ds | n->es) {
		loadsegment(ds, n->ds);
		loadsegment(es, n->es);
	}
	if (n->ldt_sel)
		asm volatile("lldt %0" : : "rm" (n->ldt_sel));
	if (n->fs_sel || n->gs_sel) {
		rdmsrl(MSR_FS_BASE, fs_base);
		kgs = n->msr[4];
		if (n->fs_sel)
			loadsegment(fs, n->fs_sel);
		wrmsrl(MSR_FS_BASE, fs_base);
		if (n->gs_sel)
			load_gs_index(n->gs_sel);
		wrmsrl(MSR_KERNEL_GS_BASE, kgs);
	}
	/* The target ran at CPL 0: its branches must not steer ours. */
	indirect_branch_prediction_barrier();
}

/*
 * Prepare both VMCSs and go, on this CPU with interrupts off. Returns 0
 * after the round trip, else the forward VMLAUNCH failed and the target
 * never ran (@why says how).
 */
static int native_go(struct native *n, const char **why)
{
	int ret;

	/* The target's VMXOFF would lose what is cached of these (25.11.1). */
	pmsw_vmcs_clear_this_cpu();
	if (pmsw_vmcs_load(n->back)) {
		*why = "VMPTRLD of the return VMCS failed";
		return -EIO;
	}
	write_controls(n->back, &n->caps);
	back_guest(n);
	back_host(n);
	/* Clear (launch state, data in memory) for the return's VMLAUNCH. */
	pmsw_vmcs_clear_here(n->back);
	if (pmsw_vmcs_load(n->fwd)) {
		*why = "VMPTRLD of the forward VMCS failed";
		return -EIO;
	}
	write_controls(n->fwd, &n->caps);
	forward_guest(n);
	forward_host(n);
	if (pmsw_vmx_insn_failed_take(&(unsigned long){ 0 })) {
		*why = "a VMWRITE failed";
		return -EIO;
	}
	*st64(n, NS_TSC_LAUNCH) = rdtsc_ordered();
	ret = pmsw_native_enter(st64(n, NS_KRSP));
	if (ret) {
		*why = ret == 1 ? "VMLAUNCH of the forward VMCS failed (VM-instruction error in the log)" :
				  "VMLAUNCH of the forward VMCS faulted";
		if (ret == 1)
			pr_warn_ratelimited("native: VMLAUNCH failed, VM-instruction error %u\n",
					    pmsw_vmread32(VMCS_VM_INSTRUCTION_ERROR));
		pmsw_vmcs_clear_here(n->fwd);
		return -EIO;
	}
	/* Back in VMX root operation, the return VMCS current. */
	n->tsc_back = rdtsc_ordered();
	n->back_exit = pmsw_vmread32(VMCS_VM_EXIT_REASON);
	restore_host(n);
	if ((n->back_exit & 0xffff) == PMSW_EXIT_EXCEPTION_NMI)
		pmsw_do_nmi_irqoff();
	/*
	 * A machine check the target took went to the module's IDT: give it
	 * to the kernel's handler, interrupts off, as KVM does after a VM
	 * exit by #MC (user-mode CS: the machine check may kill the task).
	 */
	if (*st64(n, NS_REASON) == PMSW_NATIVE_EXCEPTION &&
	    *st64(n, NS_VECTOR) == 18)
		do_machine_check(&(struct pt_regs){ .cs = 3, .flags = X86_EFLAGS_IF });
	/*
	 * The target's VMXOFF dropped the forward VMCS from the CPU, whose
	 * bookkeeping still has it current here; the return routine made
	 * the return VMCS current behind the bookkeeping's back. VMCLEAR
	 * both, so that neither is active when freed (SDM 25.11.1).
	 */
	pmsw_vmcs_clear_here(n->fwd);
	WARN_ON_ONCE(pmsw_vmclear(n->back->phys) != PMSW_VMX_OK);
	return 0;
}

static void report(struct native *n)
{
	struct pmsw_native *o = n->out;
	u64 reason = *st64(n, NS_REASON), vec = *st64(n, NS_VECTOR);

	memcpy(o->gpr, st(n, NS_GPR), sizeof(o->gpr));
	o->gpr[4] = 0;
	o->rip = *st64(n, NS_RIP);
	o->rsp = *st64(n, NS_RSP);
	o->rflags = *st64(n, NS_RFLAGS);
	o->cr0 = *st64(n, NS_CR0);
	o->cr3 = *st64(n, NS_CR3);
	o->cr4 = *st64(n, NS_CR4);
	o->cr2 = *st64(n, NS_CR2);
	o->error_code = *st64(n, NS_ERROR);
	o->forward_exit = *st64(n, NS_FWD_EXIT) & 0xffff;
	o->forward_ticks = *st64(n, NS_TSC_TARGET) - *st64(n, NS_TSC_LAUNCH);
	o->target_ticks = *st64(n, NS_TSC_RETURN) - *st64(n, NS_TSC_TARGET);
	o->return_ticks = n->tsc_back - *st64(n, NS_TSC_RETURN);
	o->cpu = n->cpu;
	o->vector = vec;
	if (reason == PMSW_NATIVE_EXCEPTION && vec == 2)
		reason = n->fired ? PMSW_NATIVE_LIMIT : PMSW_NATIVE_NMI;
	o->stop_reason = reason;
	switch (reason) {
	case PMSW_NATIVE_RETURNED:
		snprintf(o->reason, sizeof(o->reason),
			 "the target returned on CPU %d", n->cpu);
		break;
	case PMSW_NATIVE_LIMIT:
		snprintf(o->reason, sizeof(o->reason),
			 "the run-time limit (%u us) ended the target on CPU %d",
			 n->limit_us, n->cpu);
		break;
	case PMSW_NATIVE_NMI:
		snprintf(o->reason, sizeof(o->reason),
			 "an NMI ended the target on CPU %d", n->cpu);
		break;
	default:
		snprintf(o->reason, sizeof(o->reason),
			 "exception %llu (error code %#llx) at %#llx ended the target on CPU %d",
			 vec, o->error_code, o->rip, n->cpu);
	}
}

/* Another online CPU, to bound the run; -1 if there is none. */
static int pick_watch_cpu(int cpu)
{
	unsigned int w = cpumask_any_but(cpu_online_mask, cpu);

	return w < nr_cpu_ids ? w : -1;
}

static int switch_on_this_cpu(struct native *n, const char **why)
{
	unsigned long flags;
	int err;

	n->cpu = smp_processor_id();
	n->watch_cpu = pick_watch_cpu(n->cpu);
	if (n->watch_cpu < 0) {
		*why = "no other online CPU to bound the target's run time (the watchdog NMI comes from another CPU)";
		return -EOPNOTSUPP;
	}
	if (!pmsw_vmx_this_cpu_on()) {
		*why = "this CPU is not in VMX operation";
		return -EIO;
	}
	fill_state(n);
	this_cpu_write(native_here, n);
	/* IRQs on for the IPI; preemption stays off (kernel_fpu_begin). */
	smp_call_function_single(n->watch_cpu, watch_arm, n, 1);
	local_irq_save(flags);
	save_host(n);
	err = native_go(n, why);
	local_irq_restore(flags);
	WRITE_ONCE(n->done, true);
	hrtimer_cancel(&n->timer);
	/* Let a watchdog NMI still on its way land in native_nmi(). */
	udelay(10);
	this_cpu_write(native_here, NULL);
	/* An NMI meant for this kernel went to the target: raise it again. */
	if (!err && ((*st64(n, NS_REASON) == PMSW_NATIVE_EXCEPTION &&
		      *st64(n, NS_VECTOR) == 2 && !n->fired) ||
		     (*st64(n, NS_FWD_EXIT) & 0xffff) == PMSW_EXIT_EXCEPTION_NMI))
		apic->send_IPI(n->cpu, NMI_VECTOR);
	return err;
}

/*
 * The session's world (built on first use; the session is held by
 * pmsw_session_run_begin()), its module pages reset, and two VMCSs.
 */
static int native_alloc(struct native *n)
{
	struct pmsw_session *s = n->s;
	unsigned int i;

	if (!s->native)
		s->native = world_build(s);
	if (!s->native)
		return -ENOMEM;
	n->w = s->native;
	n->pml4 = n->w->pml4;
	for (i = 0; i < NPAGES; i++)
		n->page[i] = n->w->page[i];
	/* What a previous target may have left in them. */
	memset(n->page[PG_STATE], 0, PAGE_SIZE);
	memset(n->page[PG_IDT], 0, PAGE_SIZE);
	memset(n->page[PG_GDT], 0, PAGE_SIZE);
	n->fwd = pmsw_vmcs_alloc(&s->counters);
	n->back = pmsw_vmcs_alloc(&s->counters);
	if (!n->fwd || !n->back)
		return -ENOMEM;
	build_tables_of_target(n);
	return 0;
}

static void native_free(struct native *n)
{
	if (n->fwd)
		pmsw_vmcs_free(n->fwd);
	if (n->back)
		pmsw_vmcs_free(n->back);
}

/* A refusal: logged, and in @o->reason for the caller. */
static int refuse(struct pmsw_native *o, int err, const char *why)
{
	if (!o->reason[0])
		strscpy(o->reason, why, sizeof(o->reason));
	return pmsw_refuse(err, "NATIVE", why);
}

/* The argument and the target, checked; 0 or a refusal in @o->reason. */
static int native_args(struct pmsw_session *s, struct native *n)
{
	struct pmsw_native *o = n->out;
	struct pmsw_native_env env = { .caps = &n->caps };
	struct pmsw_violation v;

	pmsw_read_caps(&n->caps);
	if (o->size != sizeof(*o) || o->flags || o->reserved)
		return refuse(o, -EINVAL, "bad size, flags or reserved field");
	if (!READ_ONCE(allow_native))
		return refuse(n->out, -EPERM, "native switches need the module parameter allow_native=1");
	if (!capable(CAP_SYS_ADMIN))
		return refuse(n->out, -EPERM, "native switches need CAP_SYS_ADMIN");
	if (pmsw_kernel_uses_fred())
		return refuse(n->out, -EOPNOTSUPP, "not with FRED: the return path restores an IDT");
	if (copy_from_user(&n->target, u64_to_user_ptr(o->context),
			   sizeof(n->target)))
		return refuse(n->out, -EFAULT, "target context not readable");
	if (n->target.size != sizeof(n->target))
		return refuse(n->out, -EINVAL, "target context: bad size");
	env.mem_bytes = s->mem_bytes;
	if (pmsw_native_check(&n->target, &env, &v, 1)) {
		/* The rule's number and section lead; its text may be cut. */
		snprintf(o->reason, sizeof(o->reason), "rule %u (%.12s, value %#llx): %.80s",
			 v.rule, v.section, v.value, v.text);
		return refuse(o, -EINVAL, o->reason);
	}
	n->limit_us = o->limit_us ? o->limit_us : DEFAULT_LIMIT_US;
	if (n->limit_us > READ_ONCE(native_max_us))
		return refuse(n->out, -EINVAL, "limit_us is above the module parameter native_max_us");
	return 0;
}

long pmsw_native(struct pmsw_session *s, void __user *uarg)
{
	const char *why = NULL;
	struct native *n;
	long err;

	n = kzalloc(sizeof(*n), GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	n->s = s;
	n->out = kzalloc(sizeof(*n->out), GFP_KERNEL);
	hrtimer_init(&n->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	n->timer.function = watch_fire;
	err = -ENOMEM;
	if (!n->out)
		goto out;
	err = -EFAULT;
	if (copy_from_user(n->out, uarg, sizeof(*n->out)))
		goto out;
	memset(n->out->reason, 0, sizeof(n->out->reason));
	err = pmsw_session_run_begin(s);
	if (err)
		goto out;
	err = s->mem ? native_args(s, n) :
		       refuse(n->out, -EINVAL, "no session memory: SET_MEMORY first");
	if (!err)
		err = pmsw_vmx_get();
	if (err)
		goto end;
	err = native_alloc(n);
	if (!err) {
		cpus_read_lock();
		kernel_fpu_begin();
		err = switch_on_this_cpu(n, &why);
		kernel_fpu_end();
		cpus_read_unlock();
		if (err)
			err = refuse(n->out, err, why);
		else
			report(n);
		if (!err)
			trace_pmsw_native(n->out);
	}
	native_free(n);
	pmsw_vmx_put();
end:
	pmsw_session_run_end(s);
	/* The result, or the refusal's reason (not after a fault). */
	if (err != -EFAULT && copy_to_user(uarg, n->out, sizeof(*n->out)))
		err = -EFAULT;
out:
	kfree(n->out);
	kfree(n);
	return err;
}

int pmsw_native_init(void)
{
	return register_nmi_handler(NMI_LOCAL, native_nmi, 0, "pmsw_native");
}

void pmsw_native_exit(void)
{
	unregister_nmi_handler(NMI_LOCAL, "pmsw_native");
}
