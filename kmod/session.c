// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: guest memory with its EPT, and contexts.
 *
 * Guest memory is one vmalloc block mapped at guest-physical 0 by a
 * 4-level EPT with 4-KiB write-back pages (SDM 29.3.2, 29.3.7); any
 * guest-physical address beyond it has no EPT entry, so an access there
 * is an EPT violation the run reports: the guest never reaches host
 * memory. It is charged to the caller's memory cgroup, and mmap() of the
 * file maps its pages into userspace. A context with a memory view runs
 * on an EPT of its own that maps only its view's ranges, with their
 * permissions (Documentation/switching.rst, "Memory views").
 *
 * A context's state lives in its VMCS once it has run. Updating it first
 * reads the VMCS back (if the guest ran since), checks the new context
 * only against the rules whose inputs changed, and marks only the VMCS
 * fields whose values changed: the next entry writes those alone
 * ([launch-resume], claims 26-29; Documentation/references.rst).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/tsc.h>

#include "abi.h"
#include "caps.h"
#include "check.h"
#include "compat.h"
#include "exitless.h"
#include "native.h"
#include "fpu.h"
#include "probe.h"
#include "refuse.h"
#include "session.h"
#include "vmx_cpu.h"
#include "vmx_ops.h"

/* EPT entry bits (SDM 29.3.2, Tables 29-1..29-6). */
#define EPT_RWX			0x7ULL
#define EPT_MEMTYPE_WB		(6ULL << 3)
/*
 * Ignore the guest's PAT (SDM 29.3.7.2): the memory type is the EPT's
 * alone, so a context cannot map the host's write-back pages as
 * uncacheable or write-combining (aliasing the same page with another
 * type is undefined, SDM Vol. 3A 12.12.4).
 */
#define EPT_IGNORE_PAT		(1ULL << 6)
/* EPTP: write-back paging structures, 4-level walk (SDM 25.6.11). */
#define EPTP_WB_WALK4		(6ULL | (3ULL << 3))
/*
 * Suppress #VE (SDM 26.5.7.1, 29.3.2): with "EPT-violation #VE" on, an
 * EPT violation is convertible to a #VE only if bit 63 is 0 in the entry
 * that caused it: the leaf for a permission violation, or the first
 * not-present entry of the walk, at whatever level. In a present entry
 * that references a table the bit is ignored, and without the control it
 * is ignored everywhere, so contexts without #VE see no difference.
 */
#define EPT_SUPPRESS_VE		(1ULL << 63)

/* The reserved range lies above any session memory (exitless.rst). */
static_assert(PMSW_MAX_MEMORY <= PMSW_RESERVED_BASE);
/* It is two whole 2-MiB page-directory entries of one PDPT entry. */
static_assert(PMSW_RESERVED_SIZE == 2 * SZ_2M &&
	      !(PMSW_RESERVED_BASE & (SZ_2M - 1)) &&
	      (PMSW_RESERVED_BASE >> 30) ==
	      ((PMSW_RESERVED_BASE + PMSW_RESERVED_SIZE - 1) >> 30));

struct ept_page {
	struct list_head node;
	u64 *table;
};

/*
 * Guest memory and its EPT tables: charged to the caller's memory cgroup;
 * a request the machine cannot satisfy fails with ENOMEM instead of
 * waking the OOM killer or logging an allocation-failure warning with a
 * stack trace (userspace chose the size).
 */
#define GFP_GUEST	(GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)

static atomic64_t session_serial = ATOMIC64_INIT(0);

struct pmsw_session *pmsw_session_create(void)
{
	struct pmsw_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return NULL;
	if (!zalloc_cpumask_var(&s->ept_fresh, GFP_KERNEL_ACCOUNT) ||
	    !zalloc_cpumask_var(&s->vpid_fresh, GFP_KERNEL_ACCOUNT)) {
		free_cpumask_var(s->ept_fresh);
		kfree(s);
		return NULL;
	}
	/* Never reused, unlike the address (IBPB between sessions). */
	s->serial = atomic64_inc_return(&session_serial);
	mutex_init(&s->lock);
	xa_init_flags(&s->ctxs, XA_FLAGS_ALLOC | XA_FLAGS_ACCOUNT);
	INIT_LIST_HEAD(&s->ctx_list);
	INIT_LIST_HEAD(&s->ept.pages);
	return s;
}

static u64 *ept_alloc_table(struct pmsw_ept *ept)
{
	struct ept_page *p = kmalloc(sizeof(*p), GFP_GUEST);

	if (!p)
		return NULL;
	p->table = (u64 *)get_zeroed_page(GFP_GUEST);
	if (!p->table) {
		kfree(p);
		return NULL;
	}
	list_add(&p->node, &ept->pages);
	return p->table;
}

static void ept_free(struct pmsw_ept *ept)
{
	struct ept_page *p, *tmp;

	list_for_each_entry_safe(p, tmp, &ept->pages, node) {
		free_page((unsigned long)p->table);
		kfree(p);
	}
	INIT_LIST_HEAD(&ept->pages);
	ept->eptp = 0;
}

/* The next-level table under @entry, allocated on first use. */
static u64 *ept_next(struct pmsw_ept *ept, u64 *entry)
{
	u64 *table;

	/* A not-present entry may hold the suppress-#VE bit alone. */
	if (*entry & EPT_RWX)
		return phys_to_virt(*entry & PAGE_MASK & ~EPT_SUPPRESS_VE);
	table = ept_alloc_table(ept);
	if (table)
		*entry = virt_to_phys(table) | EPT_RWX;
	return table;
}

/*
 * Map guest-physical [@gpa, @gpa + @bytes) to the same offsets of @mem,
 * 4 KiB at a time, with permissions @perm (EPT bits 2:0, which are the
 * PMSW_VIEW_* values). The tables above the leaves allow everything: the
 * leaf alone decides (SDM 29.3.3.2).
 */
static int ept_map(struct pmsw_ept *ept, u64 *pml4, void *mem, u64 gpa,
		   u64 bytes, u64 perm)
{
	u64 *pdpt, *pd, *pt, end = gpa + bytes;

	for (; gpa < end; gpa += PAGE_SIZE) {
		pdpt = ept_next(ept, &pml4[(gpa >> 39) & 511]);
		pd = pdpt ? ept_next(ept, &pdpt[(gpa >> 30) & 511]) : NULL;
		pt = pd ? ept_next(ept, &pd[(gpa >> 21) & 511]) : NULL;
		if (!pt)
			return -ENOMEM;
		pt[(gpa >> 12) & 511] = PFN_PHYS(vmalloc_to_pfn(mem + gpa)) |
					EPT_MEMTYPE_WB | EPT_IGNORE_PAT | perm;
		/* 256 MiB is 64Ki entries: let others run between tables. */
		if (((gpa >> 12) & 511) == 511)
			cond_resched();
	}
	return 0;
}

/* A leaf for the host page @page: write-back, as guest memory's. */
static u64 ept_leaf(void *page, u64 perm)
{
	return virt_to_phys(page) | EPT_MEMTYPE_WB | EPT_IGNORE_PAT | perm |
	       EPT_SUPPRESS_VE;
}

/*
 * The reserved range in an EPT (Documentation/switching.rst, "The
 * reserved range"): the info page read-only, @ve_page (if any) read/write
 * at PMSW_RESERVED_VE_INFO; for an exit-less member (@xl_state) the
 * session's routine page read and execute, its own state page
 * read/write and the session's transit tables read-only
 * (exitless.rst); nothing else. Every entry of the range, the
 * not-present ones included, suppresses #VE: a violation there (a write
 * to the info page, a touch of an unmapped page) always exits, so the
 * monitor's pages never become a fault a context handles itself.
 */
static int ept_map_reserved(struct pmsw_ept *ept, u64 *pml4,
			    struct pmsw_session *s, void *ve_page,
			    void *xl_state)
{
	u64 gpa = PMSW_RESERVED_BASE, *pdpt, *pd, *pt;
	unsigned int i;

	pdpt = ept_next(ept, &pml4[(gpa >> 39) & 511]);
	pd = pdpt ? ept_next(ept, &pdpt[(gpa >> 30) & 511]) : NULL;
	pt = pd ? ept_next(ept, &pd[(gpa >> 21) & 511]) : NULL;
	if (!pt)
		return -ENOMEM;
	/* The second 2 MiB: no table, a not-present entry. */
	pd[((gpa + SZ_2M) >> 21) & 511] = EPT_SUPPRESS_VE;
	for (i = 0; i < 512; i++)
		pt[i] = EPT_SUPPRESS_VE;
	pt[PMSW_RESERVED_INFO >> PAGE_SHIFT] = ept_leaf(s->info_page,
						       PMSW_VIEW_R);
	if (ve_page)
		pt[PMSW_RESERVED_VE_INFO >> PAGE_SHIFT] =
			ept_leaf(ve_page, PMSW_VIEW_R | PMSW_VIEW_W);
	if (!xl_state)
		return 0;
	pt[PMSW_RESERVED_ROUTINE >> PAGE_SHIFT] =
		ept_leaf(s->xl_routine, PMSW_VIEW_R | PMSW_VIEW_X);
	pt[PMSW_RESERVED_STATE >> PAGE_SHIFT] =
		ept_leaf(xl_state, PMSW_VIEW_R | PMSW_VIEW_W);
	for (i = 0; i < ARRAY_SIZE(s->xl_transit); i++)
		pt[(pmsw_xl_transit_gpa(i) - PMSW_RESERVED_BASE) >> PAGE_SHIFT] =
			ept_leaf(s->xl_transit[i], PMSW_VIEW_R);
	return 0;
}

/* The session's EPT: guest-physical [0, @bytes) to @mem, RWX. */
static int ept_build(struct pmsw_session *s, void *mem, u64 bytes)
{
	u64 *pml4 = ept_alloc_table(&s->ept);
	int err;

	if (!pml4)
		return -ENOMEM;
	err = ept_map(&s->ept, pml4, mem, 0, bytes, EPT_RWX);
	if (!err)
		err = ept_map_reserved(&s->ept, pml4, s, NULL, NULL);
	if (!err)
		s->ept.eptp = virt_to_phys(pml4) | EPTP_WB_WALK4;
	return err;
}

/* The info page's fixed words; the features follow with the caps. */
static struct pmsw_reserved_info *info_page_alloc(void)
{
	struct pmsw_reserved_info *info = (void *)get_zeroed_page(GFP_GUEST);

	if (!info)
		return NULL;
	info->magic = PMSW_RESERVED_MAGIC;
	info->version = PMSW_RESERVED_VERSION;
	info->size = PMSW_RESERVED_SIZE;
	info->info = PMSW_RESERVED_INFO;
	info->routine = PMSW_RESERVED_ROUTINE;
	info->state = PMSW_RESERVED_STATE;
	info->ve_info = PMSW_RESERVED_VE_INFO;
	info->routine32 = PMSW_XL_ENTRY32 - PMSW_RESERVED_BASE;
	info->transit = PMSW_RESERVED_TRANSIT;
	info->transit32 = PMSW_RESERVED_TRANSIT32;
	return info;
}

static void view_free(struct pmsw_ept *view)
{
	if (view) {
		ept_free(view);
		kfree(view);
	}
}

/*
 * An EPT for @c's memory view, built from the session's memory (fixed
 * since SET_MEMORY, which comes before any context) with the ranges the
 * checks accepted (rules 800-809): in bounds, aligned, disjoint. A #VE
 * context needs an EPT of its own for its #VE page (@ve_page) even
 * without a view: then all memory, RWX, as the session's. NULL in *@out
 * when @c has neither. The not-present entries of session memory keep
 * bit 63 clear: outside the reserved range, a #VE context's violations
 * are convertible.
 */
static int view_build(struct pmsw_session *s, const struct pmsw_context *c,
		      struct pmsw_ctx *ctx, struct pmsw_ept **out)
{
	const struct pmsw_view_range all = {
		.bytes = s->mem_bytes, .perm = PMSW_VIEW_RWX,
	};
	const struct pmsw_view_range *r = c->nr_view_ranges ? c->view : &all;
	unsigned int i, n = c->nr_view_ranges ?: 1;
	void *ve_page = ctx->ve_page, *xl_state = ctx->xl_state;
	struct pmsw_ept *view;
	u64 *pml4;
	int err = 0;

	*out = NULL;
	if (!c->nr_view_ranges && !(c->flags & PMSW_CONTEXT_F_VE))
		return 0;
	if (!(c->flags & PMSW_CONTEXT_F_VE))
		ve_page = NULL;
	if (!(c->flags & PMSW_CONTEXT_F_EXITLESS))
		xl_state = NULL;
	view = kzalloc(sizeof(*view), GFP_GUEST);
	if (!view)
		return -ENOMEM;
	INIT_LIST_HEAD(&view->pages);
	pml4 = ept_alloc_table(view);
	if (!pml4)
		err = -ENOMEM;
	for (i = 0; !err && i < n; i++)
		err = ept_map(view, pml4, s->mem, r[i].gpa, r[i].bytes,
			      r[i].perm);
	if (!err)
		err = ept_map_reserved(view, pml4, s, ve_page, xl_state);
	if (err) {
		view_free(view);
		return err;
	}
	view->eptp = virt_to_phys(pml4) | EPTP_WB_WALK4;
	*out = view;
	return 0;
}

/*
 * Before the first entry of a block on @cpu, interrupts off: a new EPT's
 * tables may sit where a freed one's were, with the same EPTP, and the
 * CPU may still cache translations of the old one (SDM 29.4.3.1). Every
 * EPT of the session is invalidated on a CPU once after the last one was
 * built (CONTEXT_CREATE/SET clear the mask; no run is in progress then).
 * One mask for all keeps the run path short; the price is an INVEPT of
 * unchanged EPTs after a view changed, which is rare.
 */
void pmsw_session_ept_fresh(struct pmsw_session *s, int cpu)
{
	struct pmsw_ctx *ctx;

	if (cpumask_test_cpu(cpu, s->ept_fresh))
		return;
	pmsw_invept(s->invept_type, s->ept.eptp);
	/* A global INVEPT flushes the views' EPTs too (SDM 31.3). */
	if (s->invept_type == PMSW_INVEPT_SINGLE) {
		list_for_each_entry(ctx, &s->ctx_list, node)
			if (ctx->view)
				pmsw_invept(s->invept_type, ctx->view->eptp);
	}
	cpumask_set_cpu(cpu, s->ept_fresh);
}

/*
 * VPIDs of the whole module: 0 is the host's (SDM 29.1), so 1..65535.
 * Unique across sessions, so a VPID's translations belong to one context
 * (or one exit-less group) at a time and only a reused VPID can carry
 * another's.
 */
static DEFINE_IDA(vpid_ida);
#define PMSW_VPID_MAX	0xffff
/* pmsw_invvpid_type() answers with the instruction's type numbers. */
static_assert(PMSW_INVVPID_SINGLE == 1 && PMSW_INVVPID_ALL == 2);

/* A free VPID into @vpid if the session uses VPID; 0 or an errno. */
static int vpid_alloc(struct pmsw_session *s, u16 *vpid, const char *cmd)
{
	int id;

	if (!s->invvpid_type || *vpid)
		return 0;
	id = ida_alloc_range(&vpid_ida, 1, PMSW_VPID_MAX, GFP_KERNEL);
	if (id == -ENOSPC)
		return pmsw_refuse(-ENOSPC, cmd, "all 65535 VPIDs are in use");
	if (id < 0)
		return id;
	*vpid = id;
	return 0;
}

static void vpid_free(u16 vpid)
{
	if (vpid)
		ida_free(&vpid_ida, vpid);
}

/*
 * Before the first entry of a block on @cpu, interrupts off: VM entries
 * and exits with VPID enabled keep the guest's linear and combined
 * mappings (SDM 29.4.3.2), so they must be invalidated where the CPU may
 * hold wrong ones: a context was created (its VPID may be a reused one,
 * still tagging a destroyed context's translations) or set (its CR0,
 * CR3, CR4, EFER or the page tables behind them may be new, and loading
 * CR3 by VM entry flushes nothing). The mask is cleared for every
 * CONTEXT_CREATE/SET of the session, which no run overlaps; like the EPT
 * mask, one flush of every VPID of the session keeps the run path short.
 */
/*
 * The type was checked against IA32_VMX_EPT_VPID_CAP and the VPID is not
 * 0: a failure is a pmswitch bug, and a stale TLB would follow (SDM 31.3).
 */
static void vpid_flush(unsigned long type, u16 vpid)
{
	WARN_ON_ONCE(pmsw_invvpid(type, vpid) != PMSW_VMX_OK);
}

void pmsw_session_vpid_fresh(struct pmsw_session *s, int cpu)
{
	struct pmsw_ctx *ctx;

	if (!s->invvpid_type || cpumask_test_cpu(cpu, s->vpid_fresh))
		return;
	if (s->invvpid_type == PMSW_INVVPID_ALL) {
		vpid_flush(PMSW_INVVPID_ALL, 0);
	} else {
		list_for_each_entry(ctx, &s->ctx_list, node)
			if (ctx->vpid)
				vpid_flush(PMSW_INVVPID_SINGLE, ctx->vpid);
		if (s->xl_vpid)
			vpid_flush(PMSW_INVVPID_SINGLE, s->xl_vpid);
	}
	cpumask_set_cpu(cpu, s->vpid_fresh);
}

/*
 * The session's guest memory, or NULL before SET_MEMORY. No lock: the
 * memory is published once, after @mem_bytes and the EPT are in place
 * (pairs with the smp_store_release() in set_memory_locked()), and is
 * freed only with the session, which outlives every ioctl and mapping.
 */
static void *session_mem(struct pmsw_session *s, u64 *bytes)
{
	void *mem = smp_load_acquire(&s->mem);

	*bytes = mem ? s->mem_bytes : 0;
	return mem;
}

/*
 * Take @s->lock for a command that changes what a run uses (contexts,
 * memory): refused while a run is in progress, at once, since the run
 * reads them without the lock.
 */
static int session_lock_not_running(struct pmsw_session *s, const char *cmd)
{
	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	if (s->running) {
		mutex_unlock(&s->lock);
		return pmsw_refuse(-EBUSY, cmd, "a run is in progress on this session");
	}
	return 0;
}

/* @cmd may change contexts, memory or the exit-less group: a new cmd_gen. */
static int session_lock_idle(struct pmsw_session *s, const char *cmd)
{
	int err = session_lock_not_running(s, cmd);

	if (!err)
		WRITE_ONCE(s->cmd_gen, s->cmd_gen + 1);
	return err;
}

int pmsw_session_run_begin(struct pmsw_session *s)
{
	int err = session_lock_not_running(s, "RUN");

	if (err)
		return err;
	s->running = true;
	mutex_unlock(&s->lock);
	return 0;
}

/* The lock orders the run's writes before the next command's reads. */
void pmsw_session_run_end(struct pmsw_session *s)
{
	mutex_lock(&s->lock);
	s->running = false;
	mutex_unlock(&s->lock);
}

/*
 * Allocate, map and publish @bytes of guest memory; @s->lock held. Not
 * vmalloc_user(): it takes no GFP flags. __vmalloc() with our own flags
 * leaves the area without VM_USERMAP, so pmsw_session_mmap() inserts the
 * pages itself instead of remap_vmalloc_range().
 */
static DEFINE_MUTEX(guest_alloc_lock);

/*
 * Guest memory is kernel memory that cannot be swapped or reclaimed.
 * Asked for more than the machine can spare, __GFP_RETRY_MAYFAIL drains
 * free memory to the minimum watermark before it fails, and any other
 * task's allocation in that window (even the caller's own other thread)
 * wakes the OOM killer: the fuzzer saw that on 6.12 with 210 MiB asked on
 * a machine with 158 MiB available. So a request must leave a reserve of
 * what the kernel counts as available (free pages above the watermarks
 * plus reclaimable caches): an eighth of RAM, at least 16 MiB. One
 * allocation at a time, so that concurrent requests see each other.
 */
static void *guest_memory_alloc(u64 bytes)
{
	unsigned long reserve = max_t(unsigned long, totalram_pages() / 8,
				      SZ_16M >> PAGE_SHIFT);
	void *mem = NULL;

	mutex_lock(&guest_alloc_lock);
	if ((bytes >> PAGE_SHIFT) + reserve <= si_mem_available())
		mem = __vmalloc(bytes, GFP_GUEST | __GFP_ZERO);
	mutex_unlock(&guest_alloc_lock);
	return mem;
}

static int set_memory_locked(struct pmsw_session *s, u64 bytes)
{
	void *mem;
	int err;

	if (s->mem)
		return pmsw_refuse(-EBUSY, "SET_MEMORY", "this session already has memory");
	mem = guest_memory_alloc(bytes);
	if (!mem)
		return pmsw_refuse(-ENOMEM, "SET_MEMORY", "not enough memory for the guest (it must leave 1/8 of RAM available)");
	s->info_page = info_page_alloc();
	err = s->info_page ? ept_build(s, mem, bytes) : -ENOMEM;
	if (err) {
		ept_free(&s->ept);
		free_page((unsigned long)s->info_page);
		s->info_page = NULL;
		vfree(mem);
		return pmsw_refuse(err, "SET_MEMORY", "not enough memory for the EPT");
	}
	s->mem_bytes = bytes;
	smp_store_release(&s->mem, mem);
	return 0;
}

long pmsw_session_set_memory(struct pmsw_session *s, void __user *uarg)
{
	struct pmsw_memory m;
	long err;

	if (copy_from_user(&m, uarg, sizeof(m)))
		return pmsw_refuse(-EFAULT, "SET_MEMORY", "argument not readable");
	if (m.size != sizeof(m) || m.flags || m.reserved[0] || m.reserved[1])
		return pmsw_refuse(-EINVAL, "SET_MEMORY", "bad size, flags or reserved fields");
	if (!m.bytes || m.bytes % PAGE_SIZE || m.bytes > PMSW_MAX_MEMORY)
		return pmsw_refuse(-EINVAL, "SET_MEMORY", "bytes must be a multiple of 4096 in 4096..PMSW_MAX_MEMORY");

	err = session_lock_idle(s, "SET_MEMORY");
	if (err)
		return err;
	err = set_memory_locked(s, m.bytes);
	mutex_unlock(&s->lock);
	return err;
}

/*
 * No session lock: the copy may fault on the caller's pages, which needs
 * the mmap lock, and an mmap() of this file holds that lock (mmap takes
 * no session lock either). The guest may run meanwhile; guest memory is
 * shared with it as it is through mmap().
 */
long pmsw_session_memory_rw(struct pmsw_session *s, void __user *uarg)
{
	struct pmsw_memory_rw rw;
	void __user *buf;
	unsigned long left;
	u64 bytes;
	void *mem;

	if (copy_from_user(&rw, uarg, sizeof(rw)))
		return pmsw_refuse(-EFAULT, "MEMORY_RW", "argument not readable");
	if (rw.size != sizeof(rw) || (rw.flags & ~PMSW_MEM_WRITE) ||
	    rw.reserved[0] || rw.reserved[1])
		return pmsw_refuse(-EINVAL, "MEMORY_RW", "bad size, flags or reserved fields");
	mem = session_mem(s, &bytes);
	if (!mem || rw.gpa > bytes || rw.len > bytes - rw.gpa)
		return pmsw_refuse(-EINVAL, "MEMORY_RW", "range outside guest memory");

	buf = u64_to_user_ptr(rw.buf);
	if (rw.flags & PMSW_MEM_WRITE)
		left = copy_from_user(mem + rw.gpa, buf, rw.len);
	else
		left = copy_to_user(buf, mem + rw.gpa, rw.len);
	return left ? pmsw_refuse(-EFAULT, "MEMORY_RW", "buffer not accessible") : 0;
}

/*
 * Map guest memory from page @vma->vm_pgoff on: every page is inserted
 * now, so the mapping never faults into the module. Called with the mmap
 * lock held for writing and no session lock. Only shared mappings: a
 * private one would copy pages on write, and the guest would not see
 * the writes.
 */
int pmsw_session_mmap(struct pmsw_session *s, struct vm_area_struct *vma)
{
	unsigned long i, pages = vma_pages(vma), first = vma->vm_pgoff;
	u64 bytes;
	void *mem = session_mem(s, &bytes);
	int err;

	if (!mem)
		return pmsw_refuse(-ENODEV, "mmap", "no guest memory: PMSW_IOC_SET_MEMORY first");
	if (!(vma->vm_flags & VM_SHARED))
		return pmsw_refuse(-EINVAL, "mmap", "MAP_PRIVATE refused: guest memory is mapped MAP_SHARED only");
	if (first > bytes >> PAGE_SHIFT || pages > (bytes >> PAGE_SHIFT) - first)
		return pmsw_refuse(-EINVAL, "mmap", "range beyond the guest memory");

	/* The size is fixed (no mremap growth), and not in core dumps. */
	pmsw_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	for (i = 0; i < pages; i++) {
		err = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE,
				     vmalloc_to_page(mem + (first + i) * PAGE_SIZE));
		if (err)
			return err;
	}
	return 0;
}

/*
 * Put @ctx (NULL: none) at @id in the lookup table; @s->lock held, no
 * run in progress. Allocates the id's page if @ctx needs it.
 */
static int ctx_tab_set(struct pmsw_session *s, u32 id, struct pmsw_ctx *ctx)
{
	struct pmsw_ctx ***page = &s->ctx_tab[id >> PMSW_CTX_TAB_SHIFT];

	if (!*page) {
		if (!ctx)
			return 0;
		*page = kcalloc(PMSW_CTX_TAB_IDS, sizeof(**page),
				GFP_KERNEL_ACCOUNT);
		if (!*page)
			return -ENOMEM;
	}
	(*page)[id & (PMSW_CTX_TAB_IDS - 1)] = ctx;
	return 0;
}

static u64 vmcs_read_cb(void *arg, unsigned int enc)
{
	PMSW_COUNT((struct pmsw_vmcs *)arg, vmreads);
	return pmsw_vmread(enc);
}

static void ctx_env(struct pmsw_session *s, const struct pmsw_context *c,
		    struct pmsw_check_env *env);

/*
 * Bring @ctx->cur up to date with the VMCS after the guest ran: VMPTRLD
 * it here (VMCLEAR on another CPU first if needed) and read it back.
 */
int pmsw_ctx_refresh(struct pmsw_session *s, struct pmsw_ctx *ctx)
{
	int err;

	if (!ctx->stale)
		return 0;
	for (;;) {
		preempt_disable();
		err = pmsw_vmcs_load(ctx->vmcs);
		if (err != -EAGAIN)
			break;
		preempt_enable();
		pmsw_vmcs_clear(ctx->vmcs);
	}
	if (!err) {
		pmsw_ctx_from_vmcs(&ctx->cur, vmcs_read_cb, ctx->vmcs);
		ctx->cur.size = sizeof(ctx->cur);
		/*
		 * The context may have entered or left IA-32e mode by itself;
		 * the VM exit stored EFER.LMA in the entry control (SDM 28.2).
		 */
		ctx_env(s, &ctx->cur, &ctx->env);
		ctx->stale = false;
	}
	preempt_enable();
	return err;
}

/* Read the four PAE PDPTEs at CR3 from guest memory (SDM 4.4.1). */
static void load_pdptes(struct pmsw_session *s, struct pmsw_context *c)
{
	bool pae = (c->cr0 & X86_CR0_PG) && (c->cr4 & X86_CR4_PAE) &&
		   !(c->efer & EFER_LMA);
	u64 base = c->cr3 & 0xffffffe0ULL;
	unsigned int i;

	for (i = 0; i < 4; i++)
		c->pdpte[i] = pae && base + 32 <= s->mem_bytes ?
			      ((u64 *)(s->mem + base))[i] : 0;
}

static void ctx_env(struct pmsw_session *s, const struct pmsw_context *c,
		    struct pmsw_check_env *env)
{
	*env = s->base_env;
	if (c->efer & EFER_LMA)
		env->entry |= PMSW_ENTRY_IA32E_MODE;
	/* Rule 810 refuses the flag where the CPU lacks the control. */
	if (c->flags & PMSW_CONTEXT_F_VE)
		env->proc2 |= PMSW_PROC2_EPT_VE;
	pmsw_xl_env(c, env);
}

/*
 * Test hook of issue "verification at scale": contexts may ask the CPU to
 * judge them instead of the software checks (PMSW_CONTEXT_F_CPU_CHECKS).
 */
static bool allow_cpu_checks;
module_param(allow_cpu_checks, bool, 0600);
MODULE_PARM_DESC(allow_cpu_checks,
		 "let contexts with PMSW_CONTEXT_F_CPU_CHECKS skip the software VM-entry checks (default: refused)");

/* Only an administrator, and only where the module allows it. */
static int cpu_checks_allowed(const struct pmsw_context *next, const char *cmd)
{
	if (!(next->flags & PMSW_CONTEXT_F_CPU_CHECKS))
		return 0;
	if (!READ_ONCE(allow_cpu_checks))
		return pmsw_refuse(-EPERM, cmd, "PMSW_CONTEXT_F_CPU_CHECKS needs the module parameter allow_cpu_checks=1");
	if (!capable(CAP_SYS_ADMIN))
		return pmsw_refuse(-EPERM, cmd, "PMSW_CONTEXT_F_CPU_CHECKS needs CAP_SYS_ADMIN");
	return 0;
}

/*
 * Replace @ctx's view EPT with @view; @s->lock held and no run in
 * progress, so no CPU is in VMX non-root operation with the old one, and
 * the next block on each CPU invalidates the new one first.
 */
static void ctx_set_view(struct pmsw_session *s, struct pmsw_ctx *ctx,
			 struct pmsw_ept *view)
{
	view_free(ctx->view);
	ctx->view = view;
	if (view)
		cpumask_clear(s->ept_fresh);
}

/*
 * The #VE information page of a context that asks for #VE: zeroed, so
 * the busy word is 0 and the first #VE can be delivered (SDM 26.5.7.2).
 * Kept when the flag goes, so that the guest finds its last information
 * again if it comes back.
 */
static int ctx_ve_page(struct pmsw_ctx *ctx, const struct pmsw_context *next)
{
	if (!(next->flags & PMSW_CONTEXT_F_VE) || ctx->ve_page)
		return 0;
	ctx->ve_page = (void *)get_zeroed_page(GFP_GUEST);
	if (!ctx->ve_page)
		return -ENOMEM;
	ctx->ve_phys = virt_to_phys(ctx->ve_page);
	return 0;
}

/*
 * Check @next against the rules that read the parts that changed from
 * @ctx->cur; on success mark the VMCS fields whose values change.
 */
static int ctx_update(struct pmsw_session *s, struct pmsw_ctx *ctx,
		      struct pmsw_context *next, __u64 parts,
		      struct pmsw_context_op *op)
{
	struct pmsw_ctx_fields *old;
	struct pmsw_ept *view = NULL;
	struct pmsw_check_env env;
	unsigned int i, n;
	bool new_ept;
	int err;

	load_pdptes(s, next);
	ctx_env(s, next, &env);
	n = pmsw_check_context(next, &env, parts, &op->violation, 1);
	op->nr_violations = n;
	/* Execute-only pages, #VE: the context is fine, the CPU lacks them. */
	if (n)
		return op->violation.rule == PMSW_RULE_VIEW_EXEC_ONLY ||
		       op->violation.rule == PMSW_RULE_VE_UNSUPPORTED ||
		       op->violation.rule == PMSW_RULE_XL_UNSUPPORTED ?
		       -EOPNOTSUPP : -EINVAL;
	err = pmsw_xl_group_check(s, ctx, next, op);
	if (!err && (next->flags & PMSW_CONTEXT_F_EXITLESS))
		err = vpid_alloc(s, &s->xl_vpid, "CONTEXT_CREATE/SET");
	if (err)
		return err;
	pmsw_xl_sysenter(next);
	new_ept = (parts & PMSW_CP_VIEW) ||
		  ((next->flags ^ ctx->cur.flags) &
		   (PMSW_CONTEXT_F_VE | PMSW_CONTEXT_F_EXITLESS));
	if (new_ept) {
		err = ctx_ve_page(ctx, next);
		if (!err)
			err = pmsw_xl_alloc(s, ctx, next);
		if (!err)
			err = view_build(s, next, ctx, &view);
		if (err)
			return err;
	}

	if (parts == PMSW_CP_ALL) {
		pmsw_ctx_fields(next, &env, &ctx->fields);
		memcpy(ctx->dirty, ctx->fields.set, sizeof(ctx->dirty));
	} else {
		old = kmalloc(sizeof(*old), GFP_KERNEL);
		if (!old) {
			view_free(view);
			return -ENOMEM;
		}
		/* @cur may have been read back since @fields was computed. */
		pmsw_ctx_fields(&ctx->cur, &ctx->env, old);
		pmsw_ctx_fields(next, &env, &ctx->fields);
		for (i = 0; i < PMSW_VMCS_NR_FIELDS; i++)
			if (pmsw_field_test(ctx->fields.set, i) &&
			    old->val[i] != ctx->fields.val[i])
				pmsw_field_set(ctx->dirty, i);
		kfree(old);
	}

	ctx->cur = *next;
	ctx->env = env;
	memcpy(ctx->regs, next->gpr, sizeof(ctx->regs));
	if (new_ept)
		ctx_set_view(s, ctx, view);
	pmsw_xl_fill_state(ctx);
	cpumask_clear(s->vpid_fresh);
	return 0;
}

static int copy_op(struct pmsw_context_op *op, void __user *uarg,
		   const char *cmd)
{
	if (copy_from_user(op, uarg, sizeof(*op)))
		return pmsw_refuse(-EFAULT, cmd, "argument not readable");
	if (op->size != sizeof(*op) || op->flags || op->reserved[0] ||
	    op->reserved[1])
		return pmsw_refuse(-EINVAL, cmd, "struct pmsw_context_op: bad size, flags or reserved fields");
	return 0;
}

static int copy_ctx_in(struct pmsw_context *c, const struct pmsw_context_op *op,
		       const char *cmd)
{
	if (copy_from_user(c, u64_to_user_ptr(op->context), sizeof(*c)))
		return pmsw_refuse(-EFAULT, cmd, "context not readable");
	return 0;
}

/* Report @op back; the violation goes to the log too. */
static long finish_op(struct pmsw_context_op *op, void __user *uarg,
		      long err, const char *cmd)
{
	if (op->nr_violations)
		pr_info_ratelimited("%s: context breaks %u rule(s), first: %s %s (SDM %s), value %#llx\n",
				    cmd, op->nr_violations,
				    (op->violation.field ?
				     pmsw_vmcs_field_name(op->violation.field) :
				     NULL) ?: "context",
				    op->violation.text, op->violation.section,
				    op->violation.value);
	if (copy_to_user(uarg, op, sizeof(*op)))
		return -EFAULT;
	return err;
}

/* The reserved range's features (PMSW_RF_*) on a CPU with @caps. */
static u32 reserved_features(const struct pmsw_vmx_caps *caps)
{
	u32 f = PMSW_RF_VIEWS;

	if (pmsw_decode_features(caps) & PMSW_FEAT_EPT_VE)
		f |= PMSW_RF_VE;
	if (pmsw_decode_features(caps) & PMSW_FEAT_EPTP_SWITCHING)
		f |= PMSW_RF_EXITLESS;
	return f;
}

/* The controls a session's contexts use, folded against the CPU's caps. */
static int session_setup_controls(struct pmsw_session *s)
{
	const char *why;
	int err;

	pmsw_read_caps(&s->caps);
	err = pmsw_derive_env(&s->caps, boot_cpu_data.x86_phys_bits,
			      &s->base_env, &why);
	if (err)
		return pmsw_refuse(err, "CONTEXT_CREATE", why);
	s->base_env.sgx = boot_cpu_has(X86_FEATURE_SGX);
	/* Before any context exists, so before a guest can read it. */
	s->info_page->features = reserved_features(&s->caps);
	/* Fixed since SET_MEMORY, which CONTEXT_CREATE requires. */
	s->base_env.mem_bytes = s->mem_bytes;
	/* About 1 ms: the timer counts TSC >> IA32_VMX_MISC[4:0] (SDM A.6). */
	s->preemption_ticks = max_t(u32, 1, tsc_khz >> (s->caps.misc & 0x1f));

	/* INVEPT and the type to use (SDM A.10: bits 20, 25, 26). */
	if (!(s->caps.ept_vpid_cap & BIT_ULL(20)))
		return pmsw_refuse(-EOPNOTSUPP, "CONTEXT_CREATE", "the CPU lacks INVEPT (IA32_VMX_EPT_VPID_CAP[20])");
	if (s->caps.ept_vpid_cap & BIT_ULL(25))
		s->invept_type = PMSW_INVEPT_SINGLE;
	else if (s->caps.ept_vpid_cap & BIT_ULL(26))
		s->invept_type = PMSW_INVEPT_GLOBAL;
	else
		return pmsw_refuse(-EOPNOTSUPP, "CONTEXT_CREATE", "the CPU offers no INVEPT type (IA32_VMX_EPT_VPID_CAP[26:25])");

	/*
	 * VPID where the CPU can also invalidate it (SDM 29.1, A.10);
	 * without, every VM entry and exit flushes the guest's TLB.
	 */
	s->invvpid_type = pmsw_invvpid_type(&s->caps);
	if (s->invvpid_type)
		s->base_env.proc2 |= PMSW_PROC2_VPID;

	/*
	 * With FRED the kernel's NMI entry differs and pmswitch does not
	 * know it yet: refuse rather than deliver NMIs the wrong way.
	 */
	if (pmsw_kernel_uses_fred())
		return pmsw_refuse(-EOPNOTSUPP, "CONTEXT_CREATE", "the kernel uses FRED, which pmswitch does not support yet");
	return 0;
}

static void ctx_free(struct pmsw_ctx *ctx)
{
	/* Its translations stay tagged: the next user flushes them first. */
	vpid_free(ctx->vpid);
	view_free(ctx->view);
	free_page((unsigned long)ctx->ve_page);
	free_page((unsigned long)ctx->xl_state);
	pmsw_vmcs_free(ctx->vmcs);
	pmsw_fpu_free(ctx->fpu);
	kfree(ctx);
}

/* The reason below names the number. */
static_assert(PMSW_MAX_CONTEXTS == 4096);

/*
 * The lowest free id into @id, reserved (a NULL entry: lookups and
 * xa_for_each() do not see it) until ctx_create_at() stores the context
 * or the caller erases it; @s->lock held.
 */
static int ctx_id_reserve(struct pmsw_session *s, u32 *id)
{
	int err = xa_alloc(&s->ctxs, id, NULL,
			   XA_LIMIT(0, PMSW_MAX_CONTEXTS - 1),
			   GFP_KERNEL_ACCOUNT);

	/* xa_alloc() says EBUSY when every id in the limit is taken. */
	if (err == -EBUSY)
		return pmsw_refuse(-ENOSPC, "CONTEXT_CREATE", "PMSW_MAX_CONTEXTS (4096) contexts exist");
	return err;
}

/* A new context @id from @next, stored at its reserved id; @s->lock held. */
static int ctx_create_at(struct pmsw_session *s, u32 id,
			 struct pmsw_context *next, struct pmsw_context_op *op)
{
	struct pmsw_ctx *ctx;
	int err;

	/* A refusal of the controls leaves no reference and no flag set. */
	if (!s->ctx_vmx_ref) {
		err = pmsw_vmx_get();
		if (err)
			return err;
		err = session_setup_controls(s);
		if (err) {
			pmsw_vmx_put();
			return err;
		}
		s->ctx_vmx_ref = true;
	}

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->id = id;
	err = vpid_alloc(s, &ctx->vpid, "CONTEXT_CREATE");
	if (err) {
		kfree(ctx);
		return err;
	}
	ctx->vmcs = pmsw_vmcs_alloc(&s->counters);
	ctx->fpu = pmsw_fpu_alloc();
	if (!ctx->vmcs || !ctx->fpu) {
		ctx_free(ctx);
		return -ENOMEM;
	}
	err = ctx_update(s, ctx, next, PMSW_CP_ALL, op);
	if (!err)
		err = ctx_tab_set(s, id, ctx);
	if (!err) {
		err = xa_err(xa_store(&s->ctxs, id, ctx, GFP_KERNEL_ACCOUNT));
		if (err)
			ctx_tab_set(s, id, NULL);
	}
	if (err) {
		ctx_free(ctx);
		return err;
	}
	list_add_tail(&ctx->node, &s->ctx_list);
	pmsw_xl_group_update(s);
	return 0;
}

/* A new context from @next; @s->lock held. Its id, or an errno. */
static long ctx_create_locked(struct pmsw_session *s, struct pmsw_context *next,
			      struct pmsw_context_op *op)
{
	long err;
	u32 id;

	if (!s->mem)
		return pmsw_refuse(-ENODEV, "CONTEXT_CREATE", "no guest memory: PMSW_IOC_SET_MEMORY first");
	err = cpu_checks_allowed(next, "CONTEXT_CREATE");
	if (!err)
		err = ctx_id_reserve(s, &id);
	if (err)
		return err;
	err = ctx_create_at(s, id, next, op);
	if (err) {
		xa_erase(&s->ctxs, id);
		return err;
	}
	return id;
}

/*
 * The CONTEXT_* commands copy their arguments in before taking the
 * session lock and copy the results out after dropping it. @op goes back
 * to userspace on success and when the context breaks a rule.
 */
long pmsw_context_create(struct pmsw_session *s, void __user *uarg)
{
	struct pmsw_context_op op;
	struct pmsw_context next;
	long ret;

	ret = copy_op(&op, uarg, "CONTEXT_CREATE");
	if (!ret)
		ret = copy_ctx_in(&next, &op, "CONTEXT_CREATE");
	if (!ret)
		ret = session_lock_idle(s, "CONTEXT_CREATE");
	if (ret)
		return ret;
	memset(&op.violation, 0, sizeof(op.violation));
	op.nr_violations = 0;
	ret = ctx_create_locked(s, &next, &op);
	mutex_unlock(&s->lock);
	if (ret >= 0) {
		op.id = ret;
		ret = 0;
	} else if (!op.nr_violations) {
		return ret;
	}
	return finish_op(&op, uarg, ret, "CONTEXT_CREATE");
}

/* Replace context @op->id's state with @next; @s->lock held. */
static long ctx_set_locked(struct pmsw_session *s, struct pmsw_context *next,
			   struct pmsw_context_op *op)
{
	struct pmsw_ctx *ctx = pmsw_session_ctx(s, op->id);
	long err;

	if (!ctx)
		return pmsw_refuse(-ENOENT, "CONTEXT_SET", "no context with this id");
	err = pmsw_ctx_refresh(s, ctx);
	if (err)
		return err;
	err = cpu_checks_allowed(next, "CONTEXT_SET");
	if (err)
		return err;
	load_pdptes(s, next);
	/* Who judges changed: the software checks judge everything again. */
	if ((ctx->cur.flags ^ next->flags) & PMSW_CONTEXT_F_CPU_CHECKS)
		err = ctx_update(s, ctx, next, PMSW_CP_ALL, op);
	else
		err = ctx_update(s, ctx, next,
				 pmsw_ctx_changed_parts(&ctx->cur, next), op);
	if (!err)
		pmsw_xl_group_update(s);
	return err;
}

long pmsw_context_set(struct pmsw_session *s, void __user *uarg)
{
	struct pmsw_context_op op;
	struct pmsw_context next;
	long err;

	err = copy_op(&op, uarg, "CONTEXT_SET");
	if (!err)
		err = copy_ctx_in(&next, &op, "CONTEXT_SET");
	if (!err)
		err = session_lock_idle(s, "CONTEXT_SET");
	if (err)
		return err;
	memset(&op.violation, 0, sizeof(op.violation));
	op.nr_violations = 0;
	err = ctx_set_locked(s, &next, &op);
	mutex_unlock(&s->lock);
	if (err && !op.nr_violations)
		return err;
	return finish_op(&op, uarg, err, "CONTEXT_SET");
}

/* Context @id's state into @out; @s->lock held. */
static long ctx_get_locked(struct pmsw_session *s, u32 id,
			   struct pmsw_context *out)
{
	struct pmsw_ctx *ctx = pmsw_session_ctx(s, id);
	long err;

	if (!ctx)
		return pmsw_refuse(-ENOENT, "CONTEXT_GET", "no context with this id");
	err = pmsw_ctx_refresh(s, ctx);
	if (err)
		return err;
	memcpy(ctx->cur.gpr, ctx->regs, sizeof(ctx->regs));
	*out = ctx->cur;
	return 0;
}

long pmsw_context_get(struct pmsw_session *s, void __user *uarg)
{
	struct pmsw_context_op op;
	struct pmsw_context out;
	long err;

	err = copy_op(&op, uarg, "CONTEXT_GET");
	if (!err)
		err = session_lock_idle(s, "CONTEXT_GET");
	if (err)
		return err;
	err = ctx_get_locked(s, op.id, &out);
	mutex_unlock(&s->lock);
	if (err)
		return err;
	if (copy_to_user(u64_to_user_ptr(op.context), &out, sizeof(out)))
		return pmsw_refuse(-EFAULT, "CONTEXT_GET", "context not writable");
	return 0;
}

/*
 * A member's state page, for the CLI's count of exit-less switches: the
 * page is not in session memory (MEMORY_RW and mmap do not reach it).
 */
long pmsw_xl_state(struct pmsw_session *s, void __user *uarg)
{
	struct pmsw_xl_state_op op;
	struct pmsw_ctx *ctx;
	long err = 0;

	if (copy_from_user(&op, uarg, sizeof(op)))
		return pmsw_refuse(-EFAULT, "XL_STATE", "argument not readable");
	if (op.size != sizeof(op) || op.flags || op.reserved)
		return pmsw_refuse(-EINVAL, "XL_STATE", "bad size, flags or reserved field");
	err = session_lock_idle(s, "XL_STATE");
	if (err)
		return err;
	ctx = pmsw_session_ctx(s, op.id);
	if (!ctx)
		err = pmsw_refuse(-ENOENT, "XL_STATE", "no context with this id");
	else if (!(ctx->cur.flags & PMSW_CONTEXT_F_EXITLESS) || !ctx->xl_state)
		err = pmsw_refuse(-EINVAL, "XL_STATE", "the context is not an exit-less member");
	else
		op.state = *ctx->xl_state;
	mutex_unlock(&s->lock);
	if (err)
		return err;
	if (copy_to_user(uarg, &op, sizeof(op)))
		return pmsw_refuse(-EFAULT, "XL_STATE", "argument not writable");
	return 0;
}

long pmsw_context_destroy(struct pmsw_session *s, void __user *uarg)
{
	struct pmsw_context_op op;
	struct pmsw_ctx *ctx;
	long err;

	err = copy_op(&op, uarg, "CONTEXT_DESTROY");
	if (!err)
		err = session_lock_idle(s, "CONTEXT_DESTROY");
	if (err)
		return err;
	ctx = xa_erase(&s->ctxs, op.id);
	if (ctx) {
		ctx_tab_set(s, op.id, NULL);
		list_del(&ctx->node);
		pmsw_xl_group_update(s);
	}
	mutex_unlock(&s->lock);
	if (!ctx)
		return pmsw_refuse(-ENOENT, "CONTEXT_DESTROY", "no context with this id");
	ctx_free(ctx);
	return 0;
}

static void counters_to_user(struct pmsw_stats *st,
			     const struct pmsw_vmx_counters *c, const u64 *exits)
{
	st->vmwrites = c->vmwrites;
	st->vmwrites_elided = c->vmwrites_elided;
	st->vmreads = c->vmreads;
	st->launches = c->launches;
	st->resumes = c->resumes;
	st->vmclears = c->vmclears;
	st->vmptrlds = c->vmptrlds;
	if (exits)
		memcpy(st->exits, exits, sizeof(st->exits));
}

/*
 * No lock: a run in progress keeps counting. Each counter is one aligned
 * 64-bit word, so a snapshot may fall between two of a run's updates but
 * never holds a torn value.
 */
long pmsw_session_stats(struct pmsw_session *s, void __user *uarg)
{
	struct pmsw_stats st;

	if (copy_from_user(&st, uarg, sizeof(st)))
		return pmsw_refuse(-EFAULT, "STATS", "argument not readable");
	if (st.size != sizeof(st) || (st.flags & ~PMSW_STATS_GLOBAL))
		return pmsw_refuse(-EINVAL, "STATS", "bad size or flags");
	if (st.flags & PMSW_STATS_GLOBAL) {
		struct pmsw_vmx_counters sum = { 0 };
		unsigned int cpu, i;

		memset(st.exits, 0, sizeof(st.exits));
		for_each_possible_cpu(cpu) {
			const struct pmsw_vmx_counters *c =
				per_cpu_ptr(&pmsw_global_counters, cpu);

			sum.vmwrites += c->vmwrites;
			sum.vmwrites_elided += c->vmwrites_elided;
			sum.vmreads += c->vmreads;
			sum.launches += c->launches;
			sum.resumes += c->resumes;
			sum.vmclears += c->vmclears;
			sum.vmptrlds += c->vmptrlds;
			for (i = 0; i < PMSW_NR_EXIT_REASONS; i++)
				st.exits[i] += per_cpu(pmsw_global_exits, cpu)[i];
		}
		counters_to_user(&st, &sum, NULL);
	} else {
		counters_to_user(&st, &s->counters, s->exits);
	}
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

void pmsw_session_destroy(struct pmsw_session *s)
{
	struct pmsw_ctx *ctx;
	unsigned long id;

	xa_for_each(&s->ctxs, id, ctx)
		ctx_free(ctx);
	xa_destroy(&s->ctxs);
	for (id = 0; id < PMSW_CTX_TAB_PAGES; id++)
		kfree(s->ctx_tab[id]);
	if (s->ctx_vmx_ref)
		pmsw_vmx_put();
	if (s->holds_vmx)
		pmsw_vmx_put();
	ept_free(&s->ept);
	free_page((unsigned long)s->info_page);
	pmsw_xl_free_session(s);
	pmsw_native_free_session(s);
	vfree(s->mem);
	vpid_free(s->xl_vpid);
	free_cpumask_var(s->ept_fresh);
	free_cpumask_var(s->vpid_fresh);
	kfree(s->run_state);
	mutex_destroy(&s->lock);
	kfree(s);
}
