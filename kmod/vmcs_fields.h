/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMCS fields pmswitch uses, as one X-macro table (encodings from the
 * Intel SDM Vol. 3D, Appendix B "Field Encoding in VMCS"). The table
 * drives the field cache, the context <-> VMCS mapping, the checks'
 * reports and the dumps. Pure: compiles in the module and in userspace.
 *
 * An encoding carries its width in bits 14:13 (0: 16-bit, 1: 64-bit,
 * 2: 32-bit, 3: natural width) and its kind in bits 11:10 (0: control,
 * 1: read-only data, 2: guest state, 3: host state), SDM B.
 */
#ifndef PMSW_VMCS_FIELDS_H
#define PMSW_VMCS_FIELDS_H

#include "pure.h"

/* Writable fields: X(name, encoding). Read-only ones follow below. */
#define PMSW_VMCS_FIELDS(X)						\
	/* 16-bit */							\
	X(VIRTUAL_PROCESSOR_ID,		0x0000)				\
	X(EPTP_INDEX,			0x0004)				\
	X(GUEST_ES_SELECTOR,		0x0800)				\
	X(GUEST_CS_SELECTOR,		0x0802)				\
	X(GUEST_SS_SELECTOR,		0x0804)				\
	X(GUEST_DS_SELECTOR,		0x0806)				\
	X(GUEST_FS_SELECTOR,		0x0808)				\
	X(GUEST_GS_SELECTOR,		0x080a)				\
	X(GUEST_LDTR_SELECTOR,		0x080c)				\
	X(GUEST_TR_SELECTOR,		0x080e)				\
	X(HOST_ES_SELECTOR,		0x0c00)				\
	X(HOST_CS_SELECTOR,		0x0c02)				\
	X(HOST_SS_SELECTOR,		0x0c04)				\
	X(HOST_DS_SELECTOR,		0x0c06)				\
	X(HOST_FS_SELECTOR,		0x0c08)				\
	X(HOST_GS_SELECTOR,		0x0c0a)				\
	X(HOST_TR_SELECTOR,		0x0c0c)				\
	/* 64-bit */							\
	X(IO_BITMAP_A,			0x2000)				\
	X(IO_BITMAP_B,			0x2002)				\
	X(MSR_BITMAP,			0x2004)				\
	X(VM_EXIT_MSR_STORE_ADDR,	0x2006)				\
	X(VM_EXIT_MSR_LOAD_ADDR,	0x2008)				\
	X(VM_ENTRY_MSR_LOAD_ADDR,	0x200a)				\
	X(TSC_OFFSET,			0x2010)				\
	X(VM_FUNCTION_CONTROL,		0x2018)				\
	X(EPT_POINTER,			0x201a)				\
	X(EPTP_LIST_ADDRESS,		0x2024)				\
	X(VE_INFO_ADDRESS,		0x202a)				\
	X(VMCS_LINK_POINTER,		0x2800)				\
	X(GUEST_IA32_DEBUGCTL,		0x2802)				\
	X(GUEST_IA32_PAT,		0x2804)				\
	X(GUEST_IA32_EFER,		0x2806)				\
	X(GUEST_PDPTE0,			0x280a)				\
	X(GUEST_PDPTE1,			0x280c)				\
	X(GUEST_PDPTE2,			0x280e)				\
	X(GUEST_PDPTE3,			0x2810)				\
	X(HOST_IA32_PAT,		0x2c00)				\
	X(HOST_IA32_EFER,		0x2c02)				\
	/* 32-bit */							\
	X(PIN_BASED_VM_EXEC_CONTROL,	0x4000)				\
	X(CPU_BASED_VM_EXEC_CONTROL,	0x4002)				\
	X(EXCEPTION_BITMAP,		0x4004)				\
	X(PAGE_FAULT_ERROR_CODE_MASK,	0x4006)				\
	X(PAGE_FAULT_ERROR_CODE_MATCH,	0x4008)				\
	X(CR3_TARGET_COUNT,		0x400a)				\
	X(VM_EXIT_CONTROLS,		0x400c)				\
	X(VM_EXIT_MSR_STORE_COUNT,	0x400e)				\
	X(VM_EXIT_MSR_LOAD_COUNT,	0x4010)				\
	X(VM_ENTRY_CONTROLS,		0x4012)				\
	X(VM_ENTRY_MSR_LOAD_COUNT,	0x4014)				\
	X(VM_ENTRY_INTR_INFO,		0x4016)				\
	X(VM_ENTRY_EXCEPTION_ERROR_CODE, 0x4018)			\
	X(VM_ENTRY_INSTRUCTION_LEN,	0x401a)				\
	X(SECONDARY_VM_EXEC_CONTROL,	0x401e)				\
	X(GUEST_ES_LIMIT,		0x4800)				\
	X(GUEST_CS_LIMIT,		0x4802)				\
	X(GUEST_SS_LIMIT,		0x4804)				\
	X(GUEST_DS_LIMIT,		0x4806)				\
	X(GUEST_FS_LIMIT,		0x4808)				\
	X(GUEST_GS_LIMIT,		0x480a)				\
	X(GUEST_LDTR_LIMIT,		0x480c)				\
	X(GUEST_TR_LIMIT,		0x480e)				\
	X(GUEST_GDTR_LIMIT,		0x4810)				\
	X(GUEST_IDTR_LIMIT,		0x4812)				\
	X(GUEST_ES_AR_BYTES,		0x4814)				\
	X(GUEST_CS_AR_BYTES,		0x4816)				\
	X(GUEST_SS_AR_BYTES,		0x4818)				\
	X(GUEST_DS_AR_BYTES,		0x481a)				\
	X(GUEST_FS_AR_BYTES,		0x481c)				\
	X(GUEST_GS_AR_BYTES,		0x481e)				\
	X(GUEST_LDTR_AR_BYTES,		0x4820)				\
	X(GUEST_TR_AR_BYTES,		0x4822)				\
	X(GUEST_INTERRUPTIBILITY_INFO,	0x4824)				\
	X(GUEST_ACTIVITY_STATE,		0x4826)				\
	X(GUEST_SYSENTER_CS,		0x482a)				\
	X(VMX_PREEMPTION_TIMER_VALUE,	0x482e)				\
	X(HOST_IA32_SYSENTER_CS,	0x4c00)				\
	/* natural width */						\
	X(CR0_GUEST_HOST_MASK,		0x6000)				\
	X(CR4_GUEST_HOST_MASK,		0x6002)				\
	X(CR0_READ_SHADOW,		0x6004)				\
	X(CR4_READ_SHADOW,		0x6006)				\
	X(CR3_TARGET_VALUE0,		0x6008)				\
	X(CR3_TARGET_VALUE1,		0x600a)				\
	X(CR3_TARGET_VALUE2,		0x600c)				\
	X(CR3_TARGET_VALUE3,		0x600e)				\
	X(GUEST_CR0,			0x6800)				\
	X(GUEST_CR3,			0x6802)				\
	X(GUEST_CR4,			0x6804)				\
	X(GUEST_ES_BASE,		0x6806)				\
	X(GUEST_CS_BASE,		0x6808)				\
	X(GUEST_SS_BASE,		0x680a)				\
	X(GUEST_DS_BASE,		0x680c)				\
	X(GUEST_FS_BASE,		0x680e)				\
	X(GUEST_GS_BASE,		0x6810)				\
	X(GUEST_LDTR_BASE,		0x6812)				\
	X(GUEST_TR_BASE,		0x6814)				\
	X(GUEST_GDTR_BASE,		0x6816)				\
	X(GUEST_IDTR_BASE,		0x6818)				\
	X(GUEST_DR7,			0x681a)				\
	X(GUEST_RSP,			0x681c)				\
	X(GUEST_RIP,			0x681e)				\
	X(GUEST_RFLAGS,			0x6820)				\
	X(GUEST_PENDING_DBG_EXCEPTIONS,	0x6822)				\
	X(GUEST_SYSENTER_ESP,		0x6824)				\
	X(GUEST_SYSENTER_EIP,		0x6826)				\
	X(HOST_CR0,			0x6c00)				\
	X(HOST_CR3,			0x6c02)				\
	X(HOST_CR4,			0x6c04)				\
	X(HOST_FS_BASE,			0x6c06)				\
	X(HOST_GS_BASE,			0x6c08)				\
	X(HOST_TR_BASE,			0x6c0a)				\
	X(HOST_GDTR_BASE,		0x6c0c)				\
	X(HOST_IDTR_BASE,		0x6c0e)				\
	X(HOST_IA32_SYSENTER_ESP,	0x6c10)				\
	X(HOST_IA32_SYSENTER_EIP,	0x6c12)				\
	X(HOST_RSP,			0x6c14)				\
	X(HOST_RIP,			0x6c16)

/* Read-only data fields (SDM B.1.3-B.4.3), read after exits. */
#define PMSW_VMCS_RO_FIELDS(X)						\
	X(GUEST_PHYSICAL_ADDRESS,	0x2400)				\
	X(VM_INSTRUCTION_ERROR,		0x4400)				\
	X(VM_EXIT_REASON,		0x4402)				\
	X(VM_EXIT_INTR_INFO,		0x4404)				\
	X(VM_EXIT_INTR_ERROR_CODE,	0x4406)				\
	X(IDT_VECTORING_INFO_FIELD,	0x4408)				\
	X(IDT_VECTORING_ERROR_CODE,	0x440a)				\
	X(VM_EXIT_INSTRUCTION_LEN,	0x440c)				\
	X(VMX_INSTRUCTION_INFO,		0x440e)				\
	X(EXIT_QUALIFICATION,		0x6400)				\
	X(GUEST_LINEAR_ADDRESS,		0x640a)

/* VMCS_<name>: the field's encoding. */
#define PMSW_VMCS_ENCODING(name, enc)	VMCS_##name = (enc),
enum pmsw_vmcs_encoding {
	PMSW_VMCS_FIELDS(PMSW_VMCS_ENCODING)
	PMSW_VMCS_RO_FIELDS(PMSW_VMCS_ENCODING)
};
#undef PMSW_VMCS_ENCODING

/* VF_<name>: the field's index in the cache of a VMCS. */
#define PMSW_VMCS_INDEX(name, enc)	VF_##name,
enum pmsw_vmcs_index {
	PMSW_VMCS_FIELDS(PMSW_VMCS_INDEX)
	PMSW_VMCS_NR_FIELDS
};
#undef PMSW_VMCS_INDEX

/*
 * The cache slot (VF_<name>) of the writable field with encoding @enc, or
 * -1. For a constant @enc the compiler folds this to a constant.
 */
static PMSW_ALWAYS_INLINE int pmsw_vmcs_slot(unsigned int enc)
{
	switch (enc) {
#define PMSW_VMCS_SLOT(name, e)	case (e): return VF_##name;
	PMSW_VMCS_FIELDS(PMSW_VMCS_SLOT)
#undef PMSW_VMCS_SLOT
	}
	return -1;
}

/* Field widths from the encoding (SDM B). */
#define PMSW_VMCS_W16		0
#define PMSW_VMCS_W64		1
#define PMSW_VMCS_W32		2
#define PMSW_VMCS_WNAT		3

static inline unsigned int pmsw_vmcs_width(unsigned int enc)
{
	return (enc >> 13) & 3;
}

/* Kinds of field (SDM B). */
#define PMSW_VMCS_KIND_CTL	0
#define PMSW_VMCS_KIND_RO	1
#define PMSW_VMCS_KIND_GUEST	2
#define PMSW_VMCS_KIND_HOST	3

static inline unsigned int pmsw_vmcs_kind(unsigned int enc)
{
	return (enc >> 10) & 3;
}

const char *pmsw_vmcs_field_name(unsigned int enc);
unsigned int pmsw_vmcs_field_encoding(unsigned int index);

#endif /* PMSW_VMCS_FIELDS_H */
