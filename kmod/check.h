/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Software VM-entry checks: the rules of the Intel SDM Vol. 3C, 27.2
 * "Checks on VMX Controls and Host-State Area" and 27.3.1 "Checks on the
 * Guest State Area", applied to a context before any VM entry, so that a
 * bad context is refused with the field, the rule and the section rather
 * than a bare VM-entry failure; and pmswitch's own rules that keep a
 * context from reaching host state without a VM exit. Pure: the module
 * and the CLI (offline "pmswitch check") run the same code.
 */
#ifndef PMSW_CHECK_H
#define PMSW_CHECK_H

#include "pure.h"
#include <linux/pmswitch.h>

/*
 * Parts of a context a rule reads. A change to a context re-runs only
 * the rules whose parts intersect the change ([launch-resume]: re-validate only
 * what was modified).
 */
#define PMSW_CP_CR0		PMSW_BIT(0)
#define PMSW_CP_CR3		PMSW_BIT(1)
#define PMSW_CP_CR4		PMSW_BIT(2)
#define PMSW_CP_EFER		PMSW_BIT(3)
#define PMSW_CP_PAT		PMSW_BIT(4)
#define PMSW_CP_DR7		PMSW_BIT(5)
#define PMSW_CP_RIP		PMSW_BIT(6)
#define PMSW_CP_RFLAGS		PMSW_BIT(7)
#define PMSW_CP_SYSENTER	PMSW_BIT(8)
#define PMSW_CP_GDTR		PMSW_BIT(9)
#define PMSW_CP_IDTR		PMSW_BIT(10)
#define PMSW_CP_INTR		PMSW_BIT(11)	/* interruptibility */
#define PMSW_CP_CTLS		PMSW_BIT(12)	/* controls, masks, bitmap */
#define PMSW_CP_RSP		PMSW_BIT(13)
#define PMSW_CP_PDPTE		PMSW_BIT(14)
#define PMSW_CP_META		PMSW_BIT(15)	/* size, flags, reserved[] */
#define PMSW_CP_SEG(i)		PMSW_BIT(16 + (i))	/* PMSW_SEG_* */
#define PMSW_CP_SEGS		(0xffULL << 16)	/* all eight */
/* STAR, LSTAR, CSTAR, FMASK and KERNEL_GS_BASE: what SYSCALL/SWAPGS use */
#define PMSW_CP_SYSCALL		PMSW_BIT(24)
#define PMSW_CP_CR2		PMSW_BIT(25)
/* nr_view_ranges, reserved_view, view[]: the memory view */
#define PMSW_CP_VIEW		PMSW_BIT(26)
#define PMSW_CP_ALL		(~0ULL)

/*
 * Parts are parts of the context only: after a change of struct
 * pmsw_check_env (controls, capability MSRs, phys_bits) re-run everything
 * with PMSW_CP_ALL. PMSW_CP_EFER also covers the "IA-32e mode guest"
 * entry control, which the monitor sets from EFER.LMA.
 */

/*
 * The CR4 bits a context may set (SDM Vol. 3A 2.5), subject to
 * IA32_VMX_CR4_FIXED0/1: VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR
 * OSXMMEXCPT UMIP LA57 VMXE SMXE (bits 0-14), FSGSBASE PCIDE OSXSAVE
 * (16-18), SMEP SMAP (20-21). Their whole effect is in the guest CR4 the
 * VMCS switches, or in state every VM entry and exit switches or that
 * exits (XSETBV, GETSEC). Every other bit enables state pmswitch does not
 * switch (PKRU, the CET MSRs, IA32_PKRS, the Key Locker wrapping key,
 * the UINTR and FRED MSRs, ...) or is reserved: the checks refuse it
 * (rules 710-713) and the CR4 guest/host mask always owns it, so that a
 * MOV to CR4 setting it exits instead (SDM 26.3).
 */
#define PMSW_CR4_SWITCHED	0x377fffULL
#define PMSW_CR4_UNSWITCHED	(~PMSW_CR4_SWITCHED)

/*
 * Rule numbers (struct pmsw_violation.rule), stable: a number is never
 * reused for another rule, a rule that goes away leaves a hole. Grouped by
 * SDM Vol. 3C section (2023+ numbering), except pmswitch's own groups:
 * the ABI (1-99), host protection (700-799) and memory views (800-899).
 * Documentation/checks.rst has the table with sections, fields, parts and
 * texts, and kmod/check.c the rules themselves.
 */
enum pmsw_rule {
	/* 1-99: the context as an ABI structure (pmswitch.h). */
	PMSW_RULE_CTX_SIZE		= 1,
	PMSW_RULE_CTX_FLAGS		= 2,
	PMSW_RULE_CTX_RESERVED		= 3,
	PMSW_RULE_SEG_RESERVED		= 4,
	PMSW_RULE_DTABLE_RESERVED	= 5,

	/* 100-199: 27.3.1.1 control registers, debug registers, MSRs. */
	PMSW_RULE_CR0_PE_PG_FORCED	= 100,
	PMSW_RULE_CR0_FIXED1		= 101,
	PMSW_RULE_CR0_PG_WITHOUT_PE	= 102,
	PMSW_RULE_CR4_FIXED1		= 103,
	PMSW_RULE_CR4_CET_WITHOUT_WP	= 104,
	PMSW_RULE_IA32E_WITHOUT_PG	= 105,
	PMSW_RULE_IA32E_WITHOUT_PAE	= 106,
	PMSW_RULE_PCIDE_WITHOUT_IA32E	= 107,
	PMSW_RULE_CR3_RESERVED		= 108,
	PMSW_RULE_DR7_HIGH		= 109,
	PMSW_RULE_SYSENTER_ESP		= 110,
	PMSW_RULE_SYSENTER_EIP		= 111,
	PMSW_RULE_PAT			= 112,
	PMSW_RULE_EFER_RESERVED		= 113,
	PMSW_RULE_EFER_LMA		= 114,
	PMSW_RULE_EFER_LME		= 115,

	/* 200-299: 27.3.1.2 segment registers. */
	PMSW_RULE_TR_SEL_TI		= 200,
	PMSW_RULE_LDTR_SEL_TI		= 201,
	PMSW_RULE_SS_RPL		= 202,
	PMSW_RULE_V86_BASE_CS		= 203,
	PMSW_RULE_V86_BASE_SS		= 204,
	PMSW_RULE_V86_BASE_DS		= 205,
	PMSW_RULE_V86_BASE_ES		= 206,
	PMSW_RULE_V86_BASE_FS		= 207,
	PMSW_RULE_V86_BASE_GS		= 208,
	PMSW_RULE_TR_BASE		= 209,
	PMSW_RULE_FS_BASE		= 210,
	PMSW_RULE_GS_BASE		= 211,
	PMSW_RULE_LDTR_BASE		= 212,
	PMSW_RULE_CS_BASE_HIGH		= 213,
	PMSW_RULE_SS_BASE_HIGH		= 214,
	PMSW_RULE_DS_BASE_HIGH		= 215,
	PMSW_RULE_ES_BASE_HIGH		= 216,
	PMSW_RULE_V86_LIMIT_CS		= 217,
	PMSW_RULE_V86_LIMIT_SS		= 218,
	PMSW_RULE_V86_LIMIT_DS		= 219,
	PMSW_RULE_V86_LIMIT_ES		= 220,
	PMSW_RULE_V86_LIMIT_FS		= 221,
	PMSW_RULE_V86_LIMIT_GS		= 222,
	PMSW_RULE_V86_AR_CS		= 223,
	PMSW_RULE_V86_AR_SS		= 224,
	PMSW_RULE_V86_AR_DS		= 225,
	PMSW_RULE_V86_AR_ES		= 226,
	PMSW_RULE_V86_AR_FS		= 227,
	PMSW_RULE_V86_AR_GS		= 228,
	PMSW_RULE_CS_TYPE		= 229,
	PMSW_RULE_SS_TYPE		= 230,
	PMSW_RULE_DS_ACCESSED		= 231,
	PMSW_RULE_ES_ACCESSED		= 232,
	PMSW_RULE_FS_ACCESSED		= 233,
	PMSW_RULE_GS_ACCESSED		= 234,
	PMSW_RULE_DS_READABLE		= 235,
	PMSW_RULE_ES_READABLE		= 236,
	PMSW_RULE_FS_READABLE		= 237,
	PMSW_RULE_GS_READABLE		= 238,
	PMSW_RULE_CS_S			= 239,
	PMSW_RULE_SS_S			= 240,
	PMSW_RULE_DS_S			= 241,
	PMSW_RULE_ES_S			= 242,
	PMSW_RULE_FS_S			= 243,
	PMSW_RULE_GS_S			= 244,
	PMSW_RULE_CS_DPL_DATA		= 245,
	PMSW_RULE_CS_DPL_NONCONFORMING	= 246,
	PMSW_RULE_CS_DPL_CONFORMING	= 247,
	PMSW_RULE_SS_DPL_RPL		= 248,
	PMSW_RULE_SS_DPL_ZERO		= 249,
	PMSW_RULE_DS_DPL		= 250,
	PMSW_RULE_ES_DPL		= 251,
	PMSW_RULE_FS_DPL		= 252,
	PMSW_RULE_GS_DPL		= 253,
	PMSW_RULE_CS_P			= 254,
	PMSW_RULE_SS_P			= 255,
	PMSW_RULE_DS_P			= 256,
	PMSW_RULE_ES_P			= 257,
	PMSW_RULE_FS_P			= 258,
	PMSW_RULE_GS_P			= 259,
	PMSW_RULE_CS_AR_11_8		= 260,
	PMSW_RULE_SS_AR_11_8		= 261,
	PMSW_RULE_DS_AR_11_8		= 262,
	PMSW_RULE_ES_AR_11_8		= 263,
	PMSW_RULE_FS_AR_11_8		= 264,
	PMSW_RULE_GS_AR_11_8		= 265,
	PMSW_RULE_CS_L_D		= 266,
	PMSW_RULE_CS_G			= 267,
	PMSW_RULE_SS_G			= 268,
	PMSW_RULE_DS_G			= 269,
	PMSW_RULE_ES_G			= 270,
	PMSW_RULE_FS_G			= 271,
	PMSW_RULE_GS_G			= 272,
	PMSW_RULE_CS_AR_31_17		= 273,
	PMSW_RULE_SS_AR_31_17		= 274,
	PMSW_RULE_DS_AR_31_17		= 275,
	PMSW_RULE_ES_AR_31_17		= 276,
	PMSW_RULE_FS_AR_31_17		= 277,
	PMSW_RULE_GS_AR_31_17		= 278,
	PMSW_RULE_TR_TYPE		= 279,
	PMSW_RULE_TR_TYPE_IA32E		= 280,
	PMSW_RULE_TR_S			= 281,
	PMSW_RULE_TR_P			= 282,
	PMSW_RULE_TR_AR_11_8		= 283,
	PMSW_RULE_TR_G			= 284,
	PMSW_RULE_TR_UNUSABLE		= 285,
	PMSW_RULE_TR_AR_31_17		= 286,
	PMSW_RULE_LDTR_TYPE		= 287,
	PMSW_RULE_LDTR_S		= 288,
	PMSW_RULE_LDTR_P		= 289,
	PMSW_RULE_LDTR_AR_11_8		= 290,
	PMSW_RULE_LDTR_G		= 291,
	PMSW_RULE_LDTR_AR_31_17		= 292,

	/* 300-399: 27.3.1.3 descriptor-table registers. */
	PMSW_RULE_GDTR_BASE		= 300,
	PMSW_RULE_IDTR_BASE		= 301,
	PMSW_RULE_GDTR_LIMIT		= 302,
	PMSW_RULE_IDTR_LIMIT		= 303,

	/* 400-499: 27.3.1.4 RIP and RFLAGS. */
	PMSW_RULE_RIP_HIGH		= 400,
	PMSW_RULE_RIP_CANONICAL		= 401,
	PMSW_RULE_RFLAGS_RESERVED	= 402,
	PMSW_RULE_RFLAGS_BIT1		= 403,
	PMSW_RULE_RFLAGS_VM_IA32E	= 404,
	PMSW_RULE_RFLAGS_VM_REAL	= 405,

	/* 500-599: 27.3.1.5 non-register state. */
	PMSW_RULE_INTR_RESERVED		= 500,
	PMSW_RULE_INTR_STI_MOVSS	= 501,
	PMSW_RULE_INTR_STI_IF		= 502,
	PMSW_RULE_INTR_SMI		= 503,
	PMSW_RULE_INTR_ENCLAVE_MOVSS	= 504,
	PMSW_RULE_TF_WITHOUT_BS		= 505,

	/* 600-699: 27.3.1.6 PDPTEs (PAE paging, "enable EPT" = 1). */
	PMSW_RULE_PDPTE0		= 600,
	PMSW_RULE_PDPTE1		= 601,
	PMSW_RULE_PDPTE2		= 602,
	PMSW_RULE_PDPTE3		= 603,

	/*
	 * 700-799: host protection, pmswitch's own rules (not the SDM's):
	 * what VM entry would accept but would let a context change or read
	 * host state without a VM exit, or make the monitor fault.
	 */
	PMSW_RULE_ES_SEL_HIGH		= 700,
	PMSW_RULE_CS_SEL_HIGH		= 701,
	PMSW_RULE_SS_SEL_HIGH		= 702,
	PMSW_RULE_DS_SEL_HIGH		= 703,
	PMSW_RULE_FS_SEL_HIGH		= 704,
	PMSW_RULE_GS_SEL_HIGH		= 705,
	PMSW_RULE_LDTR_SEL_HIGH		= 706,
	PMSW_RULE_TR_SEL_HIGH		= 707,
	PMSW_RULE_CR4_PKE		= 710,
	PMSW_RULE_CR4_CET		= 711,
	PMSW_RULE_CR4_FRED		= 712,
	PMSW_RULE_CR4_UNSWITCHED	= 713,
	PMSW_RULE_DR7_ENABLES		= 720,
	PMSW_RULE_INTR_NMI		= 730,
	PMSW_RULE_LSTAR_CANONICAL	= 740,
	PMSW_RULE_CSTAR_CANONICAL	= 741,
	PMSW_RULE_KERNEL_GS_BASE	= 742,
	PMSW_RULE_SFMASK_HIGH		= 743,
	/* 750-759: architecturally impossible state some CPUs refuse. */
	PMSW_RULE_CS_RPL_DPL		= 750,

	/*
	 * 800-899: memory views (struct pmsw_context.view), pmswitch's own
	 * rules, and the EPT rules a view would break (SDM 29.3.3.1); #VE
	 * (PMSW_CONTEXT_F_VE) where the CPU lacks it.
	 */
	PMSW_RULE_VIEW_COUNT		= 800,
	PMSW_RULE_VIEW_RESERVED		= 801,
	PMSW_RULE_VIEW_PERM_UNKNOWN	= 802,
	PMSW_RULE_VIEW_PERM_NONE	= 803,
	PMSW_RULE_VIEW_W_WITHOUT_R	= 804,
	PMSW_RULE_VIEW_EXEC_ONLY	= 805,
	PMSW_RULE_VIEW_ALIGN		= 806,
	PMSW_RULE_VIEW_EMPTY		= 807,
	PMSW_RULE_VIEW_BOUNDS		= 808,
	PMSW_RULE_VIEW_OVERLAP		= 809,
	PMSW_RULE_VE_UNSUPPORTED	= 810,
	/*
	 * 811-821: the exit-less group (PMSW_CONTEXT_F_EXITLESS,
	 * exitless.rst). 811-814, 819 and 820 judge one context (here);
	 * 815-818 the group as a whole and 821 the member's id
	 * (exitless.c).
	 */
	PMSW_RULE_XL_UNSUPPORTED	= 811,
	PMSW_RULE_XL_NO_VIEW		= 812,
	PMSW_RULE_XL_MODE		= 813,
	PMSW_RULE_XL_CR4		= 814,
	PMSW_RULE_XL_VE			= 819,
	PMSW_RULE_XL_SAME		= 815,
	PMSW_RULE_XL_EXEC		= 816,
	PMSW_RULE_XL_ROOT		= 817,
	PMSW_RULE_XL_SIZE		= 818,
	PMSW_RULE_XL_SYSENTER		= 820,
	PMSW_RULE_XL_ID			= 821,
	/*
	 * 900-915: a native switch target (native_check.c): host-state
	 * checks (SDM 27.2.2-27.2.4) and the module's world for it.
	 */
	PMSW_RULE_NATIVE_FLAGS		= 900,
	PMSW_RULE_NATIVE_64BIT		= 901,
	PMSW_RULE_NATIVE_EFER		= 902,
	PMSW_RULE_NATIVE_CR0		= 903,
	PMSW_RULE_NATIVE_CR4		= 904,
	PMSW_RULE_NATIVE_PAE		= 905,
	PMSW_RULE_NATIVE_CR4_WORLD	= 906,
	PMSW_RULE_NATIVE_CR3		= 907,
	PMSW_RULE_NATIVE_SELECTORS	= 908,
	PMSW_RULE_NATIVE_FLAT		= 909,
	PMSW_RULE_NATIVE_CANONICAL	= 910,
	PMSW_RULE_NATIVE_PAT		= 911,
	PMSW_RULE_NATIVE_RFLAGS		= 912,
	PMSW_RULE_NATIVE_RIP		= 913,
	PMSW_RULE_NATIVE_RSP		= 914,
	PMSW_RULE_NATIVE_TABLES		= 915,
};

/*
 * What an entry will use besides the context: the VM-execution, exit and
 * entry controls the monitor derived (caps.h bit names), the capability
 * MSRs, the processor's physical-address width (CPUID 0x80000008
 * EAX[7:0]), and the size of the session's memory (the bounds of a view).
 */
struct pmsw_check_env {
	const struct pmsw_vmx_caps *caps;
	__u32 pin;
	__u32 proc;
	__u32 proc2;
	__u32 exit;
	__u32 entry;
	unsigned int phys_bits;
	/* The processor supports SGX (CPUID.(EAX=7,ECX=0):EBX[2]). */
	bool sgx;
	/* Bytes of session memory (struct pmsw_memory.bytes). */
	__u64 mem_bytes;
};

/*
 * The controls every pmswitch context is entered with, folded against
 * @caps (SDM A.3-A.5): -EOPNOTSUPP if the CPU lacks a required one, with
 * *@why naming it. The IA-32e mode guest entry control is left 0: it is
 * per context.
 */
int pmsw_derive_env(const struct pmsw_vmx_caps *caps, unsigned int phys_bits,
		    struct pmsw_check_env *env, const char **why);

/*
 * Rules 100-699 copy the SDM's VM-entry checks; 1-99 (the ABI), 700-799
 * (host protection) and 800-899 (memory views) are pmswitch's own and
 * always apply.
 */
static inline bool pmsw_rule_mirrors_sdm(__u32 rule)
{
	return rule >= 100 && rule < 700;
}

/*
 * An exit-less member submitted with IA32_SYSENTER_CS/ESP/EIP all 0 gets
 * the routine's values (rule 820, exitless.rst); others are unchanged.
 */
void pmsw_xl_sysenter(struct pmsw_context *c);

/*
 * The exit-less group rules: member @c against another member @o
 * (815-817: how many break, the first @max of them in @out), and a group
 * of @members members under IA32_VMX_MISC @misc, whose bits 24:16 count
 * the CR3-target values (818, SDM A.6: true and the violation in @v).
 */
#define PMSW_XL_MAX_CR3	4	/* CR3-target fields in the VMCS (SDM 25.6.7) */
unsigned int pmsw_xl_check_pair(const struct pmsw_context *c,
				const struct pmsw_context *o,
				struct pmsw_violation *out, unsigned int max);
bool pmsw_xl_check_size(unsigned int members, __u64 misc,
			struct pmsw_violation *v);

/*
 * Rule 821: a member's index in the EPTP list is its context id, and the
 * list is one 4-KiB page of 512 EPTPs (SDM 25.6.14, 26.5.6.3), so a
 * member's id must be below PMSW_XL_MAX_ID. True and the violation in
 * @v if @id is not.
 */
#define PMSW_XL_MAX_ID	512
bool pmsw_xl_check_id(__u32 id, struct pmsw_violation *v);

/*
 * Check @ctx under @env, running the rules that read any part in @parts
 * (PMSW_CP_ALL for all). Writes the first @max violations found to @out
 * (in rule order) and returns how many there are in all (0: VM entry
 * will pass these checks).
 */
unsigned int pmsw_check_context(const struct pmsw_context *ctx,
				const struct pmsw_check_env *env, __u64 parts,
				struct pmsw_violation *out, unsigned int max);

/*
 * The CR0 and CR4 values the monitor writes to the guest-state area for
 * @ctx: the context's values plus the bits VMX operation forces (the read
 * shadows keep showing the context's values).
 */
__u64 pmsw_guest_cr0(const struct pmsw_context *ctx,
		     const struct pmsw_check_env *env);
__u64 pmsw_guest_cr4(const struct pmsw_context *ctx,
		     const struct pmsw_check_env *env);

/*
 * A rule as the reports describe it, for listings (CLI, documentation)
 * and tests: @rule is a PMSW_RULE_* number, @field a VMCS_* encoding (0
 * for the context as a whole), @parts the PMSW_CP_* parts the rule reads.
 */
struct pmsw_rule_desc {
	__u32 rule;
	__u32 field;
	__u64 parts;
	const char *section;
	const char *text;
};

/*
 * The @index-th rule in rule order (ascending numbers); false once @index
 * is past the last rule.
 */
bool pmsw_check_rule_desc(unsigned int index, struct pmsw_rule_desc *desc);

#endif /* PMSW_CHECK_H */
