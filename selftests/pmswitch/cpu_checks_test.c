// SPDX-License-Identifier: GPL-2.0
/*
 * The CPU as the judge of the software VM-entry checks.
 *
 * A context with PMSW_CONTEXT_F_CPU_CHECKS skips the software copy of the
 * SDM's rules: the CPU decides at VM entry. The differential test makes
 * random contexts from a seed (valid contexts of every mode with one to
 * three fields mutated), asks the software checks (kmod/check.c, linked
 * in) and the CPU, and prints every disagreement with the seed, the
 * mutated fields, the software's rule and the CPU's verdict. Cases where
 * the emulated CPU is more lenient than the SDM are listed in
 * Documentation/checks.rst ("Emulator leniencies") and expected here.
 *
 * Environment: PMSW_DIFF_SEED (a number, or "random" for the time;
 * default 0x777, so that CI repeats a run known to finish: some contexts
 * hang or stop the emulator, see crashes_the_emulator()),
 * PMSW_DIFF_CONTEXTS (default 10000), PMSW_DIFF_TRACE (print every
 * context before it is tried, to find one that hangs). Needs pmswitch.ko
 * with the test hook allow_cpu_checks writable (the test sets and
 * restores it).
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <stdint.h>
#include <time.h>

#include "kselftest_harness.h"
#include "pmsw_guest.h"
#include "pmsw_util.h"
#include "check.h"

#define PARAM	"/sys/module/pmswitch/parameters/allow_cpu_checks"
#define NR_T	4

static bool set_param(const char *val)
{
	return pmsw_write_file(PARAM, val);
}

FIXTURE(cpu) {
	struct session s;
	struct pmsw_snapshot snap;
	struct pmsw_check_env env;
	struct pmsw_run r;
	struct pmsw_transition t[NR_T];
	struct pmsw_context_op op;
	bool ready;
};

static unsigned int phys_bits(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0x80000008, &a, &b, &c, &d))
		return 36;
	return a & 0xff;
}

FIXTURE_SETUP(cpu)
{
	const char *why = NULL;

	self->s.fd = -1;
	self->s.mem = MAP_FAILED;
	self->ready = pmsw_can_switch(&self->snap) && set_param("Y");
	if (!self->ready)
		return;
	ASSERT_EQ(0, session_open(&self->s));
	ASSERT_EQ(0, pmsw_derive_env(&self->snap.info.caps, phys_bits(),
				     &self->env, &why)) TH_LOG("%s", why);
	/* Bochs (the test bed's CPUs) has no SGX. */
	self->env.sgx = 0;
}

FIXTURE_TEARDOWN(cpu)
{
	session_close(&self->s);
	set_param("N");
}

#define NEED_CPU()							\
	do {								\
		if (!self->ready)					\
			SKIP(return, "needs pmswitch.ko, VT-x with EPT and the allow_cpu_checks parameter"); \
	} while (0)

/* 64-bit context whose CS has L=1 and D=1: SDM 27.3.1.2 forbids it. */
static void bad_long64(struct pmsw_context *c)
{
	make_context(c, LONG64, GPA_ORIGIN, 0x80000);
	c->seg[PMSW_SEG_CS].ar |= PMSW_AR_DB;
	c->flags = PMSW_CONTEXT_F_CPU_CHECKS;
}

TEST_F(cpu, flag_is_refused_without_the_module_parameter)
{
	struct pmsw_context c;

	NEED_CPU();
	ASSERT_TRUE(set_param("N"));
	bad_long64(&c);
	EXPECT_EQ(-1, context_create(self->s.fd, &c, &self->op));
	EXPECT_EQ(EPERM, errno);
}

TEST_F(cpu, cpu_reports_its_verdict_on_a_context_the_software_refuses)
{
	struct pmsw_context c;
	int id;

	NEED_CPU();
	bad_long64(&c);
	c.flags = 0;
	EXPECT_EQ(-1, context_create(self->s.fd, &c, &self->op));
	EXPECT_EQ(PMSW_RULE_CS_L_D, self->op.violation.rule);

	c.flags = PMSW_CONTEXT_F_CPU_CHECKS;
	id = context_create(self->s.fd, &c, &self->op);
	ASSERT_LE(0, id);
	ASSERT_EQ(0, run(self->s.fd, id, &self->r, self->t, NR_T));
	TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(PMSW_STOP_ENTRY_FAILED, self->r.stop_reason);
	EXPECT_EQ(PMSW_EXIT_INVALID_GUEST_STATE | (1U << 31),
		  self->r.exit.reason);
	EXPECT_NE(NULL, strstr(self->r.reason, "invalid guest state"));
}

TEST_F(cpu, host_rules_still_apply_when_the_cpu_judges)
{
	struct pmsw_context c;

	NEED_CPU();
	make_context(&c, LONG64, GPA_ORIGIN, 0x80000);
	c.flags = PMSW_CONTEXT_F_CPU_CHECKS;
	c.cr4 |= 1ULL << 22;		/* PKE: PKRU is not switched */
	EXPECT_EQ(-1, context_create(self->s.fd, &c, &self->op));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(710, self->op.violation.rule);
}

/* ---- the differential test ---------------------------------------- */

/* xorshift64*: small, seedable, the same sequence everywhere. */
static uint64_t rnd(uint64_t *st)
{
	*st ^= *st >> 12;
	*st ^= *st << 25;
	*st ^= *st >> 27;
	return *st * 0x2545f4914f6cdd1dULL;
}

struct field {
	const char *name;
	size_t off;
	unsigned int size;	/* 4 or 8 */
};

#define F(name, member, sz) { name, offsetof(struct pmsw_context, member), sz }
#define SEGF(i, n)							\
	F(n ".selector", seg[i].selector, 4), F(n ".base", seg[i].base, 8), \
	F(n ".limit", seg[i].limit, 4), F(n ".ar", seg[i].ar, 4)

static const struct field fields[] = {
	F("cr0", cr0, 8), F("cr3", cr3, 8), F("cr4", cr4, 8),
	F("efer", efer, 8), F("rflags", rflags, 8), F("rip", rip, 8),
	F("dr7", dr7, 8), F("pat", pat, 8),
	F("sysenter_cs", sysenter_cs, 8), F("sysenter_esp", sysenter_esp, 8),
	F("sysenter_eip", sysenter_eip, 8),
	F("gdtr.base", gdtr.base, 8), F("gdtr.limit", gdtr.limit, 4),
	F("idtr.base", idtr.base, 8), F("idtr.limit", idtr.limit, 4),
	F("interruptibility", interruptibility, 4),
	SEGF(PMSW_SEG_ES, "es"), SEGF(PMSW_SEG_CS, "cs"),
	SEGF(PMSW_SEG_SS, "ss"), SEGF(PMSW_SEG_DS, "ds"),
	SEGF(PMSW_SEG_FS, "fs"), SEGF(PMSW_SEG_GS, "gs"),
	SEGF(PMSW_SEG_LDTR, "ldtr"), SEGF(PMSW_SEG_TR, "tr"),
};

static uint64_t get_field(const struct pmsw_context *c, const struct field *f)
{
	uint64_t v = 0;

	memcpy(&v, (const char *)c + f->off, f->size);
	return v;
}

static void put_field(struct pmsw_context *c, const struct field *f,
		      uint64_t v)
{
	memcpy((char *)c + f->off, &v, f->size);
}

/* A new value for @old: mostly one or two flipped bits, sometimes wild. */
static uint64_t mutate(uint64_t *st, uint64_t old, unsigned int size)
{
	unsigned int bits = size * 8;
	uint64_t r = rnd(st);

	switch (r % 8) {
	case 0:
		return 0;
	case 1:
		return rnd(st) & (bits == 64 ? ~0ULL : 0xffffffffULL);
	case 2:
		return old ^ (1ULL << ((r >> 8) % bits)) ^
		       (1ULL << ((r >> 16) % bits));
	default:
		return old ^ (1ULL << ((r >> 8) % bits));
	}
}

/* What the module reads from memory at CR3 for PAE paging (SDM 4.4.1). */
static void load_pdptes(const uint8_t *mem, struct pmsw_context *c)
{
	bool pae = (c->cr0 & CR0_PG) && (c->cr4 & CR4_PAE) &&
		   !(c->efer & EFER_LMA);
	uint64_t base = c->cr3 & 0xffffffe0ULL;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		c->pdpte[i] = 0;
		if (pae && base + 32 <= GUEST_MEM)
			memcpy(&c->pdpte[i], mem + base + 8 * i, 8);
	}
}

#define MAX_V	8

/* Rules the software check breaks, the first MAX_V in @v; 0 if none. */
static unsigned int software(const struct pmsw_check_env *base,
			     const struct pmsw_context *c,
			     struct pmsw_violation *v)
{
	struct pmsw_check_env env = *base;

	if (c->efer & EFER_LMA)
		env.entry |= 1U << 9;	/* IA-32e mode guest, as the module */
	return pmsw_check_context(c, &env, PMSW_CP_ALL, v, MAX_V);
}

/*
 * Known emulator leniencies (Documentation/checks.rst, "Emulator
 * leniencies"): SDM rules Bochs 2.7 does not check at VM entry, always
 * or in one situation. The software keeps them.
 */
static bool ss_is_an_ar_rule(unsigned int rule)
{
	switch (rule) {
	case PMSW_RULE_SS_TYPE: case PMSW_RULE_SS_S:
	case PMSW_RULE_SS_DPL_RPL: case PMSW_RULE_SS_DPL_ZERO:
	case PMSW_RULE_SS_P: case PMSW_RULE_SS_AR_11_8:
	case PMSW_RULE_SS_G: case PMSW_RULE_SS_AR_31_17:
		return true;
	}
	return false;
}

static bool lenient(unsigned int rule, const struct pmsw_context *c)
{
	/* 27.3.1.2: CS.DPL = SS.DPL for non-conforming code, never checked. */
	if (rule == PMSW_RULE_CS_DPL_NONCONFORMING)
		return true;
	/* 27.3.1.4: RIP canonical in 64-bit mode, never checked. */
	if (rule == PMSW_RULE_RIP_CANONICAL)
		return true;
	/* 27.3.1.1: IA-32e mode guest with CR0.PG=0 is entered. */
	if (rule == PMSW_RULE_IA32E_WITHOUT_PG)
		return true;
	/* 27.3.1.2: a null SS in IA-32e mode is taken as unusable. */
	return ss_is_an_ar_rule(rule) && (c->efer & EFER_LMA) &&
	       !(c->seg[PMSW_SEG_SS].selector & 0xfffc);
}

/* Every rule the context breaks is one the emulator does not check. */
static bool all_lenient(const struct pmsw_violation *v, unsigned int n,
			const struct pmsw_context *c)
{
	unsigned int i;

	if (n > MAX_V)
		return false;
	for (i = 0; i < n; i++)
		if (!lenient(v[i].rule, c))
			return false;
	return true;
}

/*
 * And the other way round: Bochs refuses a real-mode context (CR0.PE=0,
 * unrestricted guest) whose CS and SS selectors have different RPLs,
 * which the SDM checks only without unrestricted guest (27.3.1.2).
 */
static bool emulator_stricter(const struct pmsw_context *c)
{
	return !(c->cr0 & CR0_PE) &&
	       ((c->seg[PMSW_SEG_CS].selector ^ c->seg[PMSW_SEG_SS].selector) & 3);
}

struct diff_stats {
	unsigned int compared, host_refused, agree, lenient, disagree;
	unsigned int sw_refused, cpu_refused, not_sent;
};

/*
 * Contexts the software refuses that Bochs must not be given: it does
 * not check them at VM entry and then stops the whole emulated machine
 * (">>PANIC<< change_cpu_mode: EFER.LMA is set when CR0.PE=0"). A CPU
 * refuses them (SDM 27.3.1.1: IA-32e mode needs CR0.PG, which needs
 * CR0.PE). Listed in Documentation/checks.rst.
 */
static bool crashes_the_emulator(const struct pmsw_context *c)
{
	return (c->efer & EFER_LMA) && !(c->cr0 & CR0_PE);
}

/*
 * One context: the CPU's verdict is whether the entry went in (any exit
 * without bit 31) or not (VMfail, or exit reason 33/34 with bit 31).
 */
static void judge(struct __test_metadata *_metadata, FIXTURE_DATA(cpu) *self,
		  struct pmsw_context *c, uint64_t seed, unsigned int n,
		  const char *what, struct diff_stats *st)
{
	struct pmsw_violation v[MAX_V] = { 0 };
	unsigned int sw;
	bool cpu_ok;
	int id;

	load_pdptes(self->s.mem, c);
	c->flags = 0;
	sw = software(&self->env, c, v);
	/* ABI and host rules refuse in both modes: nothing to compare. */
	if (sw && !pmsw_rule_mirrors_sdm(v[0].rule)) {
		st->host_refused++;
		return;
	}
	if (sw && crashes_the_emulator(c)) {
		st->not_sent++;
		return;
	}
	c->flags = PMSW_CONTEXT_F_CPU_CHECKS;
	id = context_create(self->s.fd, c, &self->op);
	if (id < 0) {
		st->host_refused++;
		return;
	}
	ASSERT_EQ(0, run(self->s.fd, id, &self->r, self->t, 1)) {
		TH_LOG("seed %#llx #%u: RUN failed: %s", (unsigned long long)seed,
		       n, strerror(errno));
	}
	cpu_ok = self->r.stop_reason != PMSW_STOP_ENTRY_FAILED;
	ASSERT_EQ(0, ioctl(self->s.fd, PMSW_IOC_CONTEXT_DESTROY, &(struct pmsw_context_op){
		.size = sizeof(struct pmsw_context_op), .id = id }));
	st->compared++;
	st->sw_refused += !!sw;
	st->cpu_refused += !cpu_ok;
	if (!!sw != cpu_ok) {
		st->agree++;
		return;
	}
	if ((sw && cpu_ok && all_lenient(v, sw, c)) ||
	    (!sw && !cpu_ok && emulator_stricter(c))) {
		st->lenient++;
		return;
	}
	st->disagree++;
	if (st->disagree <= 40)
		TH_LOG("DISAGREE seed %#llx #%u %s: software %s%u %s (%s); CPU %s: %s",
		       (unsigned long long)seed, n, what,
		       sw ? "rule " : "accepts", sw ? v[0].rule : 0,
		       sw ? v[0].text : "", sw ? v[0].section : "",
		       cpu_ok ? "entered" : "refused", self->r.reason);
}

static const enum guest_mode base_modes[] = {
	FLAT32, PAGING32, PAE, LONG64, REAL16,
};

TEST_F_TIMEOUT(cpu, software_checks_agree_with_the_cpu, 1800)
{
	const char *e = getenv("PMSW_DIFF_SEED");
	uint64_t seed = !e ? 0x777 : !strcmp(e, "random") ? (uint64_t)time(NULL) :
			strtoull(e, NULL, 0);
	unsigned int n, nr = pmsw_expect("PMSW_DIFF_CONTEXTS") > 0 ?
		pmsw_expect("PMSW_DIFF_CONTEXTS") : 10000;
	struct diff_stats st = { 0 };
	uint64_t state = seed * 2654435761ULL + 1;

	NEED_CPU();
	/*
	 * Whatever an entered context executes is HLT, wherever its RIP,
	 * its real-mode vectors or its stack point: it exits at once. Only
	 * the GDT, IDT, TSS and page tables are kept (the IDT is zero: an
	 * exception escalates to a triple fault, also an exit).
	 */
	memset(self->s.mem, 0xf4, GUEST_MEM);
	memset(self->s.mem + GPA_GDT, 0, GPA_TSS + 0x1000 - GPA_GDT);
	memset(self->s.mem + GPA_PD32, 0, GPA_PD64 + 0x1000 - GPA_PD32);
	build_tables(self->s.mem);
	TH_LOG("seed %#llx, %u contexts", (unsigned long long)seed, nr);
	for (n = 0; n < nr; n++) {
		struct pmsw_context c;
		char what[160] = "";
		unsigned int k, m = 1 + rnd(&state) % 3;
		enum guest_mode mode = base_modes[rnd(&state) % 5];

		if (mode == REAL16 && !(self->snap.info.features &
					PMSW_FEAT_UNRESTRICTED_GUEST))
			mode = FLAT32;
		make_context(&c, mode, GPA_ORIGIN, 0x80000);
		for (k = 0; k < m; k++) {
			const struct field *f = &fields[rnd(&state) %
					(sizeof(fields) / sizeof(fields[0]))];
			uint64_t val = mutate(&state, get_field(&c, f), f->size);
			size_t len = strlen(what);

			put_field(&c, f, val);
			snprintf(what + len, sizeof(what) - len, "%s%s %s=%#llx",
				 k ? "," : "", k ? "" : mode_names[mode], f->name,
				 (unsigned long long)val);
		}
		if (getenv("PMSW_DIFF_TRACE"))
			fprintf(stderr, "#%u %s\n", n, what);
		judge(_metadata, self, &c, seed, n, what, &st);
	}
	TH_LOG("compared %u (software refused %u, CPU refused %u): agree %u, known emulator differences %u, disagree %u; not compared: ABI/host rules %u, would stop the emulator %u",
	       st.compared, st.sw_refused, st.cpu_refused, st.agree,
	       st.lenient, st.disagree, st.host_refused, st.not_sent);
	EXPECT_EQ(0, st.disagree);
	EXPECT_LT(nr / 2, st.compared);
}

TEST_HARNESS_MAIN
