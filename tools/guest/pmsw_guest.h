/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building guest environments for the selftests: a guest memory layout,
 * one GDT, identity page tables for each paging mode, and a context
 * builder per mode. Guest programs come from guests.S.
 *
 * Guest-physical layout (GUEST_MEM bytes):
 *   0x01000 GDT          0x02000 IDT (zero: any exception escalates)
 *   0x03000 results      0x04000 TSS
 *   0x10000 origin code  0x20000 target code  0x28000 third code
 *   0x30000 32-bit page directory (4-MiB pages)
 *   0x31000 PAE PDPT     0x32000 PAE page directory (2-MiB pages)
 *   0x34000 PML4         0x35000 PDPT   0x36000 page directory
 *   0x80000, 0x90000, 0xa0000 stacks
 */
#ifndef PMSW_GUEST_H
#define PMSW_GUEST_H

#include <stdint.h>
#include <sys/mman.h>

#include "pmsw_util.h"

#define GUEST_MEM	(4u << 20)
#define GPA_GDT		0x1000
#define GPA_IDT		0x2000
#define GPA_RESULTS	0x3000
#define GPA_TSS		0x4000
#define GPA_ORIGIN	0x10000
#define GPA_TARGET	0x20000
#define GPA_THIRD	0x28000
#define GPA_PD32	0x30000
#define GPA_PDPT_PAE	0x31000
#define GPA_PD_PAE	0x32000
#define GPA_PML4	0x34000
#define GPA_PDPT64	0x35000
#define GPA_PD64	0x36000

/* GDT selectors. */
#define SEL_CODE32	0x08
#define SEL_DATA	0x10
#define SEL_CODE64	0x18
#define SEL_TSS		0x20

/* Access rights (VMCS format) of those descriptors. */
#define AR_CODE32	0xc09b
#define AR_DATA		0xc093
#define AR_CODE64	0xa09b
#define AR_TSS_BUSY	0x008b
#define AR_REAL_CODE	0x009b
#define AR_REAL_DATA	0x0093

#define CR0_PE		0x1ULL
#define CR0_ET		0x10ULL
#define CR0_PG		0x80000000ULL
#define CR4_PSE		0x10ULL
#define CR4_PAE		0x20ULL
#define EFER_LME	0x100ULL
#define EFER_LMA	0x400ULL

enum guest_mode { FLAT32, PAGING32, PAE, LONG64, REAL16 };

static const char *const mode_names[] = {
	"32-bit flat", "32-bit paging", "PAE", "64-bit", "real mode",
};

#define DECLARE_GUEST(name) \
	extern const uint8_t guest_##name[], guest_##name##_end[]

DECLARE_GUEST(switch16);
DECLARE_GUEST(switch32);
DECLARE_GUEST(switch64);
DECLARE_GUEST(report32);
DECLARE_GUEST(report64);
DECLARE_GUEST(ping32);
DECLARE_GUEST(pong32);
DECLARE_GUEST(stopper32);
DECLARE_GUEST(hlt32);
DECLARE_GUEST(wild_write32);
DECLARE_GUEST(rdmsr32);
DECLARE_GUEST(wrmsr32);
DECLARE_GUEST(outb32);
DECLARE_GUEST(ud32);
DECLARE_GUEST(loop32);
DECLARE_GUEST(cr4_pge32);
DECLARE_GUEST(vmcall_loop32);
DECLARE_GUEST(stop_loop32);
DECLARE_GUEST(out_loop32);
DECLARE_GUEST(cpuid32);
DECLARE_GUEST(views32);
DECLARE_GUEST(ve32);
DECLARE_GUEST(ve32_handler);
DECLARE_GUEST(xl_member64);
DECLARE_GUEST(xl_attack64);
DECLARE_GUEST(xl_marker64);
DECLARE_GUEST(xl_member32);
DECLARE_GUEST(native_report64);
DECLARE_GUEST(native_divide64);
DECLARE_GUEST(native_unmapped64);
DECLARE_GUEST(native_loop64);

#define LOAD_GUEST(mem, gpa, name) \
	memcpy((mem) + (gpa), guest_##name, guest_##name##_end - guest_##name)

/* An open session with GUEST_MEM bytes of memory mapped at @mem. */
struct session {
	int fd;
	uint8_t *mem;
};

static inline void put_desc(uint8_t *mem, unsigned int sel, uint32_t base,
			    uint32_t limit, uint16_t ar)
{
	uint64_t d = (limit & 0xffffULL) | ((uint64_t)(base & 0xffffff) << 16) |
		     ((uint64_t)(ar & 0xff) << 40) |
		     ((uint64_t)((limit >> 16) & 0xf) << 48) |
		     ((uint64_t)((ar >> 12) & 0xf) << 52) |
		     ((uint64_t)(base >> 24) << 56);

	memcpy(mem + GPA_GDT + sel, &d, 8);
}

/* GDT and identity page tables for every mode, shared by all contexts. */
static inline void build_tables(uint8_t *mem)
{
	uint32_t *pd32 = (uint32_t *)(mem + GPA_PD32);
	uint64_t *pdpt_pae = (uint64_t *)(mem + GPA_PDPT_PAE);
	uint64_t *pd_pae = (uint64_t *)(mem + GPA_PD_PAE);
	uint64_t *pml4 = (uint64_t *)(mem + GPA_PML4);
	uint64_t *pdpt64 = (uint64_t *)(mem + GPA_PDPT64);
	uint64_t *pd64 = (uint64_t *)(mem + GPA_PD64);

	put_desc(mem, SEL_CODE32, 0, 0xfffff, AR_CODE32);
	put_desc(mem, SEL_DATA, 0, 0xfffff, AR_DATA);
	put_desc(mem, SEL_CODE64, 0, 0xfffff, AR_CODE64);
	put_desc(mem, SEL_TSS, GPA_TSS, 0x67, AR_TSS_BUSY);

	pd32[0] = 0x83;				/* 4 MiB, P, RW, PS */
	pdpt_pae[0] = GPA_PD_PAE | 1;		/* PAE PDPTEs: P only */
	pd_pae[0] = 0x83;			/* 2 MiB pages */
	pd_pae[1] = 0x200083;
	pml4[0] = GPA_PDPT64 | 3;
	pdpt64[0] = GPA_PD64 | 3;
	pd64[0] = 0x83;
	pd64[1] = 0x200083;
}

/*
 * Can this machine switch (the device, VMX on every CPU, EPT)? Fills
 * @snap when not NULL. False means the caller skips.
 */
static inline bool pmsw_can_switch(struct pmsw_snapshot *snap)
{
	struct pmsw_snapshot local;
	int fd = open(PMSW_DEV, O_RDWR);
	bool ok;

	if (!snap)
		snap = &local;
	if (fd < 0)
		return false;
	ok = !pmsw_get_info(fd, snap) && pmsw_vmx_usable(snap) &&
	     (snap->info.features & PMSW_FEAT_EPT);
	close(fd);
	return ok;
}

/*
 * In a kselftest whose fixture set @ready from pmsw_can_switch(): skip
 * the test, with the reason, where nothing could switch.
 */
#define PMSW_NEED_SWITCHING()						\
	do {								\
		if (!self->ready)					\
			SKIP(return, "needs pmswitch.ko and VT-x with EPT"); \
	} while (0)

static inline int session_open(struct session *s)
{
	struct pmsw_memory m = { .size = sizeof(m), .bytes = GUEST_MEM };

	s->mem = MAP_FAILED;
	s->fd = open(PMSW_DEV, O_RDWR);
	if (s->fd < 0)
		return -1;
	if (ioctl(s->fd, PMSW_IOC_SET_MEMORY, &m))
		return -1;
	s->mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_SHARED,
		      s->fd, 0);
	if (s->mem == MAP_FAILED)
		return -1;
	build_tables(s->mem);
	return 0;
}

static inline void session_close(struct session *s)
{
	if (s->mem != MAP_FAILED)
		munmap(s->mem, GUEST_MEM);
	if (s->fd >= 0)
		close(s->fd);
}

static inline void set_seg(struct pmsw_context *c, int i, uint32_t sel,
			   uint64_t base, uint32_t limit, uint32_t ar)
{
	c->seg[i].selector = sel;
	c->seg[i].base = base;
	c->seg[i].limit = limit;
	c->seg[i].ar = ar;
}

/* A context of @mode entering at guest-physical @entry with stack @stack. */
static inline void make_context(struct pmsw_context *c, enum guest_mode mode,
				uint64_t entry, uint64_t stack)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->rip = entry;
	c->rsp = stack;
	c->rflags = 0x2;
	c->cr0 = CR0_PE | CR0_ET;
	c->pat = 0x0007040600070406ULL;
	c->dr7 = 0x400;
	c->gdtr.base = GPA_GDT;
	c->gdtr.limit = 0x3f;
	c->idtr.base = GPA_IDT;
	c->idtr.limit = 0x7ff;
	for (i = 0; i < PMSW_NR_SEGS; i++)
		set_seg(c, i, SEL_DATA, 0, 0xffffffff, AR_DATA);
	set_seg(c, PMSW_SEG_CS, SEL_CODE32, 0, 0xffffffff, AR_CODE32);
	set_seg(c, PMSW_SEG_LDTR, 0, 0, 0, PMSW_AR_UNUSABLE);
	set_seg(c, PMSW_SEG_TR, SEL_TSS, GPA_TSS, 0x67, AR_TSS_BUSY);

	switch (mode) {
	case FLAT32:
		break;
	case PAGING32:
		c->cr0 |= CR0_PG;
		c->cr4 = CR4_PSE;
		c->cr3 = GPA_PD32;
		break;
	case PAE:
		c->cr0 |= CR0_PG;
		c->cr4 = CR4_PAE;
		c->cr3 = GPA_PDPT_PAE;
		break;
	case LONG64:
		c->cr0 |= CR0_PG;
		c->cr4 = CR4_PAE;
		c->cr3 = GPA_PML4;
		c->efer = EFER_LME | EFER_LMA;
		set_seg(c, PMSW_SEG_CS, SEL_CODE64, 0, 0xffffffff, AR_CODE64);
		break;
	case REAL16:
		/* CS:IP = (entry >> 4):0, every other segment based at 0. */
		c->cr0 = CR0_ET;
		c->rip = 0;
		c->rsp = stack & 0xffff;
		c->gdtr.limit = 0xffff;
		c->idtr.base = 0;
		c->idtr.limit = 0x3ff;
		for (i = 0; i < PMSW_NR_SEGS; i++)
			set_seg(c, i, 0, 0, 0xffff, AR_REAL_DATA);
		set_seg(c, PMSW_SEG_CS, entry >> 4, entry & ~0xfULL, 0xffff,
			AR_REAL_CODE);
		set_seg(c, PMSW_SEG_LDTR, 0, 0, 0, PMSW_AR_UNUSABLE);
		set_seg(c, PMSW_SEG_TR, 0, 0, 0xffff, AR_TSS_BUSY);
		break;
	}
}

/* Create a context; its id, or -1 with errno (and @op's report). */
static inline int context_create(int fd, struct pmsw_context *c,
				 struct pmsw_context_op *op)
{
	memset(op, 0, sizeof(*op));
	op->size = sizeof(*op);
	op->context = (uint64_t)(unsigned long)c;
	if (ioctl(fd, PMSW_IOC_CONTEXT_CREATE, op))
		return -1;
	return op->id;
}

static inline int context_get(int fd, int id, struct pmsw_context *c)
{
	struct pmsw_context_op op = {
		.size = sizeof(op), .id = id,
		.context = (uint64_t)(unsigned long)c,
	};

	return ioctl(fd, PMSW_IOC_CONTEXT_GET, &op);
}

static inline int context_set(int fd, int id, struct pmsw_context *c,
			      struct pmsw_context_op *op)
{
	memset(op, 0, sizeof(*op));
	op->size = sizeof(*op);
	op->id = id;
	op->context = (uint64_t)(unsigned long)c;
	return ioctl(fd, PMSW_IOC_CONTEXT_SET, op);
}

/*
 * Contexts 0 (ping32, 32-bit flat) and 1 (pong32 in @pong_mode): 0
 * switches to 1 and back @rounds times, then stops with code 0x600d
 * (continued, again @rounds times). 0, or -1 with errno.
 */
static inline int pingpong_create(struct session *s, enum guest_mode pong_mode,
				  unsigned int rounds)
{
	struct pmsw_context_op op;
	struct pmsw_context a, b;

	LOAD_GUEST(s->mem, GPA_ORIGIN, ping32);
	LOAD_GUEST(s->mem, GPA_TARGET, pong32);
	make_context(&a, FLAT32, GPA_ORIGIN, 0x80000);
	make_context(&b, pong_mode, GPA_TARGET, 0x90000);
	a.gpr[PMSW_RSI] = 1;
	a.gpr[PMSW_RCX] = rounds;
	a.gpr[PMSW_RDX] = rounds;
	if (context_create(s->fd, &a, &op) != 0 ||
	    context_create(s->fd, &b, &op) != 1)
		return -1;
	return 0;
}

/* Entries that moved from one context to another. */
static inline unsigned int count_switches(const struct pmsw_transition *t,
					  unsigned int n)
{
	unsigned int i, sw = 0;

	for (i = 1; i < n; i++)
		sw += t[i].from != t[i].to;
	return sw;
}

/* Run from context @id, recording up to @n transitions at @t. */
static inline int run(int fd, int id, struct pmsw_run *r,
		      struct pmsw_transition *t, unsigned int n)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->context = id;
	r->transitions = (uint64_t)(unsigned long)t;
	r->nr_transitions = n;
	return ioctl(fd, PMSW_IOC_RUN, r);
}

#endif /* PMSW_GUEST_H */
