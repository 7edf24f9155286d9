// SPDX-License-Identifier: GPL-2.0
/*
 * VPID correctness: with VPID a context's TLB entries survive VM exits
 * and entries (SDM 29.1, 29.4.3.3), so each context must still see its
 * own mappings after switches, after the host changed its paging through
 * CONTEXT_SET, and after the guest changed a PTE and invalidated it
 * itself. The tests hold with or without VPID (the CPU may lack it);
 * what they catch is a VPID shared, reused or not flushed.
 *
 * Where they can fail: on hardware, a missing INVVPID or a VPID shared
 * by two contexts makes a context read the other page. Bochs 2.7 keeps
 * no translation across VM entries and exits: a module built to skip
 * every INVVPID, or to give all contexts VPID 1, passed these tests
 * there too. Under Bochs they still catch a VMCS whose VPID is 0 with
 * the control on (VM-entry failure, SDM 27.2.1.1), an INVVPID that
 * fails (the module warns, and the test job fails on any WARNING), and
 * any mix-up of page tables by the monitor.
 * Needs pmswitch.ko and VT-x with EPT; skips otherwise.
 */
#include "kselftest_harness.h"
#include "pmsw_guest.h"

#define MAX_T		1200
#define ROUNDS		500

/* Linear address every context reads, mapped by a 4-KiB PTE (PD[1]). */
#define VA_DATA		0x400000u

/* Per context: page directory and page table, 32-bit paging with PSE. */
#define GPA_PD(i)	(0x100000u + (i) * 0x2000u)
#define GPA_PT(i)	(GPA_PD(i) + 0x1000u)
#define GPA_PD_ALT	0x108000u	/* a second root for context 0 */
#define GPA_PT_ALT	0x109000u
#define GPA_DATA(i)	(0x110000u + (i) * 0x1000u)
#define GPA_DATA_NEW	0x118000u

#define VAL(i)		(0x5a000000u + (i))
#define VAL_NEW		0xc0ffee00u

#define STOP_OK		0x600d
#define STOP_BAD	0xbad

/* Stack tops; the guest reads its remap request from the stack. */
#define STACK(i)	(0x80000u + (i) * 0x10000u - 16)

/*
 * The guest: read VA_DATA and compare with EDI (stop 0xbad on a
 * mismatch, EAX holding what it read), switch to ESI, ECX rounds, then
 * stop 0x600d; when continued, reload ECX from EDX and, if EBP is not 0,
 * store [ESP] into the PTE at EBP, take [ESP+4] as the new expected
 * value, and invalidate by INVLPG or, if [ESP+8] is not 0, by a MOV to
 * CR3 (SDM 4.10.4.1); then go on.
 */
asm(".pushsection .rodata\n"
    ".code32\n"
    ".globl guest_vpid32, guest_vpid32_end\n"
    "guest_vpid32:\n"
    "1:	mov	0x400000, %eax\n"
    "	cmp	%edi, %eax\n"
    "	jne	3f\n"
    "	mov	$1, %eax\n"
    "	mov	%esi, %ebx\n"
    "	vmcall\n"
    "	dec	%ecx\n"
    "	jnz	1b\n"
    "	mov	$2, %eax\n"
    "	mov	$0x600d, %ebx\n"
    "	vmcall\n"
    "	mov	%edx, %ecx\n"
    "	test	%ebp, %ebp\n"
    "	jz	1b\n"
    "	mov	(%esp), %eax\n"
    "	mov	%eax, (%ebp)\n"
    "	mov	4(%esp), %edi\n"
    "	xor	%ebp, %ebp\n"
    "	cmpl	$0, 8(%esp)\n"
    "	jne	2f\n"
    "	invlpg	0x400000\n"
    "	jmp	1b\n"
    "2:	mov	%cr3, %eax\n"
    "	mov	%eax, %cr3\n"
    "	jmp	1b\n"
    "3:	mov	%eax, %ebp\n"
    "	mov	$2, %eax\n"
    "	mov	$0xbad, %ebx\n"
    "	vmcall\n"
    "	jmp	3b\n"
    "guest_vpid32_end:\n"
    ".code64\n"
    ".popsection\n");
DECLARE_GUEST(vpid32);

FIXTURE(vpid) {
	struct session s;
	struct pmsw_snapshot snap;
	struct pmsw_run r;
	struct pmsw_transition t[MAX_T];
	struct pmsw_context_op op;
	bool ready;
};

FIXTURE_SETUP(vpid)
{
	self->s.fd = -1;
	self->s.mem = MAP_FAILED;
	self->ready = pmsw_can_switch(&self->snap);
	if (self->ready)
		ASSERT_EQ(0, session_open(&self->s));
}

FIXTURE_TEARDOWN(vpid)
{
	session_close(&self->s);
}

#define NEED_SWITCHING()						\
	do {								\
		PMSW_NEED_SWITCHING();					\
		TH_LOG("VPID %s", self->snap.info.features & PMSW_FEAT_VPID ? \
		       "offered by the CPU" : "not offered: tested without"); \
	} while (0)

static void put32(uint8_t *mem, uint32_t gpa, uint32_t v)
{
	memcpy(mem + gpa, &v, sizeof(v));
}

/* Root @pd whose PD[1] points at @pt, whose PTE 0 maps @data. */
static void map_data(uint8_t *mem, uint32_t pd, uint32_t pt, uint32_t data)
{
	put32(mem, pd, 0x83);			/* 4 MiB identity: P, RW, PS */
	put32(mem, pd + 4, pt | 3);
	put32(mem, pt, data | 3);
}

/*
 * Contexts 0 and 1, each with its own page tables mapping VA_DATA to its
 * own page (page i, or page !i with @swap) holding that page's value,
 * switching to each other; 0 stops every ROUNDS rounds. Each reads its
 * value before every switch.
 */
static int make_pair(struct session *s, struct pmsw_context_op *op,
		     int swap)
{
	struct pmsw_context c;
	int i;

	LOAD_GUEST(s->mem, GPA_ORIGIN, vpid32);
	for (i = 0; i < 2; i++) {
		map_data(s->mem, GPA_PD(i), GPA_PT(i), GPA_DATA(i ^ swap));
		put32(s->mem, GPA_DATA(i), VAL(i));
		make_context(&c, PAGING32, GPA_ORIGIN, STACK(i));
		c.cr3 = GPA_PD(i);
		c.gpr[PMSW_RSI] = !i;
		c.gpr[PMSW_RDI] = VAL(i ^ swap);
		c.gpr[PMSW_RCX] = i ? 0x7fffffff : ROUNDS;
		c.gpr[PMSW_RDX] = i ? 0x7fffffff : ROUNDS;
		if (context_create(s->fd, &c, op) != i)
			return -1;
	}
	put32(s->mem, GPA_DATA_NEW, VAL_NEW);
	return 0;
}

/* Run from context 0 until it stops; the stop code, or -1. */
static long run_round(struct __test_metadata *_metadata,
		      FIXTURE_DATA(vpid) *self)
{
	struct pmsw_context c;

	if (run(self->s.fd, 0, &self->r, self->t, MAX_T))
		return -1;
	TH_LOG("run: %s", self->r.reason);
	if (self->r.stop_reason != PMSW_STOP_HYPERCALL)
		return -1;
	if (self->r.stop_code == STOP_BAD &&
	    !context_get(self->s.fd, self->r.stop_context, &c))
		TH_LOG("context %u read %#llx at %#x, expected %#llx",
		       self->r.stop_context, (unsigned long long)c.gpr[PMSW_RBP],
		       VA_DATA, (unsigned long long)c.gpr[PMSW_RDI]);
	EXPECT_EQ(2 * ROUNDS, count_switches(self->t, self->r.nr_transitions));
	return self->r.stop_code;
}

TEST_F(vpid, each_context_reads_its_own_page_over_1000_switches)
{
	NEED_SWITCHING();
	ASSERT_EQ(0, make_pair(&self->s, &self->op, 0));
	EXPECT_EQ(STOP_OK, run_round(_metadata, self));
	/* Again, with every translation now cached (or not) by both. */
	EXPECT_EQ(STOP_OK, run_round(_metadata, self));
}

/* Context 0 with @c's state and the new expected value. */
static int set_ctx0(FIXTURE_DATA(vpid) *self, struct pmsw_context *c)
{
	c->gpr[PMSW_RDI] = VAL_NEW;
	return context_set(self->s.fd, 0, c, &self->op);
}

TEST_F(vpid, host_rewrites_a_pte_then_context_set_sees_the_new_page)
{
	struct pmsw_context c;

	NEED_SWITCHING();
	ASSERT_EQ(0, make_pair(&self->s, &self->op, 0));
	ASSERT_EQ(STOP_OK, run_round(_metadata, self));
	/* Same CR3: only the PTE behind it changes, through the mapping. */
	put32(self->s.mem, GPA_PT(0), GPA_DATA_NEW | 3);
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	ASSERT_EQ(0, set_ctx0(self, &c));
	EXPECT_EQ(STOP_OK, run_round(_metadata, self));
	/* Context 1 kept its page. */
	ASSERT_EQ(0, context_get(self->s.fd, 1, &c));
	EXPECT_EQ(VAL(1), c.gpr[PMSW_RDI]);
}

TEST_F(vpid, host_sets_a_new_cr3_and_the_next_entry_uses_it)
{
	struct pmsw_context c;

	NEED_SWITCHING();
	ASSERT_EQ(0, make_pair(&self->s, &self->op, 0));
	ASSERT_EQ(STOP_OK, run_round(_metadata, self));
	map_data(self->s.mem, GPA_PD_ALT, GPA_PT_ALT, GPA_DATA_NEW);
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	c.cr3 = GPA_PD_ALT;
	ASSERT_EQ(0, set_ctx0(self, &c));
	EXPECT_EQ(STOP_OK, run_round(_metadata, self));
	/* And back to the first root, whose PTE did not change. */
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	c.cr3 = GPA_PD(0);
	c.gpr[PMSW_RDI] = VAL(0);
	ASSERT_EQ(0, context_set(self->s.fd, 0, &c, &self->op));
	EXPECT_EQ(STOP_OK, run_round(_metadata, self));
}

/*
 * The guest remaps VA_DATA itself after its first stop and invalidates
 * with INVLPG (@mov_cr3 false) or a MOV to CR3; no CONTEXT_SET between.
 */
static void guest_remaps(struct __test_metadata *_metadata,
			 FIXTURE_DATA(vpid) *self, bool mov_cr3)
{
	struct pmsw_context c;

	ASSERT_EQ(0, make_pair(&self->s, &self->op, 0));
	put32(self->s.mem, STACK(0), GPA_DATA_NEW | 3);
	put32(self->s.mem, STACK(0) + 4, VAL_NEW);
	put32(self->s.mem, STACK(0) + 8, mov_cr3);
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	c.gpr[PMSW_RBP] = GPA_PT(0);
	ASSERT_EQ(0, context_set(self->s.fd, 0, &c, &self->op));
	ASSERT_EQ(STOP_OK, run_round(_metadata, self));
	EXPECT_EQ(STOP_OK, run_round(_metadata, self));
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	EXPECT_EQ(VAL_NEW, c.gpr[PMSW_RDI]);
	EXPECT_EQ(0, c.gpr[PMSW_RBP]);
}

TEST_F(vpid, guest_rewrites_its_pte_and_invlpg)
{
	NEED_SWITCHING();
	guest_remaps(_metadata, self, false);
}

TEST_F(vpid, guest_rewrites_its_pte_and_reloads_cr3)
{
	NEED_SWITCHING();
	guest_remaps(_metadata, self, true);
}

/* Destroyed contexts' VPIDs are reused: the new ones see their own pages. */
TEST_F(vpid, contexts_created_after_destroy_see_their_own_pages)
{
	struct pmsw_context_op op = { .size = sizeof(op) };
	int i;

	NEED_SWITCHING();
	ASSERT_EQ(0, make_pair(&self->s, &self->op, 0));
	ASSERT_EQ(STOP_OK, run_round(_metadata, self));
	for (i = 0; i < 2; i++) {
		op.id = i;
		ASSERT_EQ(0, ioctl(self->s.fd, PMSW_IOC_CONTEXT_DESTROY, &op));
	}
	/*
	 * Same roots, same EPT, the lowest free VPIDs again: only the PTEs
	 * differ, so a translation left by the old context reads the other
	 * page's value.
	 */
	ASSERT_EQ(0, make_pair(&self->s, &self->op, 1));
	EXPECT_EQ(STOP_OK, run_round(_metadata, self));
}

TEST_HARNESS_MAIN
