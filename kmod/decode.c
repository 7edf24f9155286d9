// SPDX-License-Identifier: GPL-2.0
/* Exit and error codes in words (pure). */
#include "decode.h"

static const char *const exit_reasons[] = {
	[0] = "exception or NMI", [1] = "external interrupt",
	[2] = "triple fault", [3] = "INIT signal", [4] = "start-up IPI",
	[5] = "I/O SMI", [6] = "other SMI", [7] = "interrupt window",
	[8] = "NMI window", [9] = "task switch", [10] = "CPUID",
	[11] = "GETSEC", [12] = "HLT", [13] = "INVD", [14] = "INVLPG",
	[15] = "RDPMC", [16] = "RDTSC", [17] = "RSM", [18] = "VMCALL",
	[19] = "VMCLEAR", [20] = "VMLAUNCH", [21] = "VMPTRLD",
	[22] = "VMPTRST", [23] = "VMREAD", [24] = "VMRESUME",
	[25] = "VMWRITE", [26] = "VMXOFF", [27] = "VMXON",
	[28] = "control-register access", [29] = "MOV DR",
	[30] = "I/O instruction", [31] = "RDMSR", [32] = "WRMSR",
	[33] = "VM-entry failure: invalid guest state",
	[34] = "VM-entry failure: MSR loading", [36] = "MWAIT",
	[37] = "monitor trap flag", [39] = "MONITOR", [40] = "PAUSE",
	[41] = "VM-entry failure: machine-check event",
	[43] = "TPR below threshold", [44] = "APIC access",
	[45] = "virtualized EOI", [46] = "GDTR/IDTR access",
	[47] = "LDTR/TR access", [48] = "EPT violation",
	[49] = "EPT misconfiguration", [50] = "INVEPT", [51] = "RDTSCP",
	[52] = "VMX-preemption timer expired", [53] = "INVVPID",
	[54] = "WBINVD", [55] = "XSETBV", [56] = "APIC write",
	[57] = "RDRAND", [58] = "INVPCID", [59] = "VMFUNC", [60] = "ENCLS",
	[61] = "RDSEED", [62] = "page-modification log full",
	[63] = "XSAVES", [64] = "XRSTORS", [66] = "SPP-related event",
	[67] = "UMWAIT", [68] = "TPAUSE", [69] = "LOADIWKEY",
};

/* SDM 31.4 "VM Instruction Error Numbers". */
static const char *const vm_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[19] = "VMCALL with non-clear VMCS",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier",
	[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[24] = "VMCALL with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

static const char *const exceptions[] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode",
	"#NM device not available", "#DF double fault",
	"coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "vector 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD exception", "#VE virtualization exception",
	"#CP control protection",
};

const char *pmsw_exit_reason_name(unsigned int reason)
{
	reason &= 0xffff;
	if (reason < PMSW_ARRAY_SIZE(exit_reasons) && exit_reasons[reason])
		return exit_reasons[reason];
	return "unknown exit reason";
}

const char *pmsw_vm_instruction_error_name(unsigned int error)
{
	if (error < PMSW_ARRAY_SIZE(vm_errors) && vm_errors[error])
		return vm_errors[error];
	return "unknown VM-instruction error";
}

/* Exit qualification of exit reason 33 (SDM 28.2.1, 27.8). */
const char *pmsw_entry_failure_name(__u64 qualification)
{
	switch (qualification) {
	case 2:
		return "loading the PDPTEs failed (a present PDPTE has reserved bits set)";
	case 3:
		return "NMI injection with blocking by NMI";
	case 4:
		return "invalid VMCS link pointer";
	default:
		return "a guest-state check failed";
	}
}

const char *pmsw_exception_name(unsigned int vector)
{
	if (vector < PMSW_ARRAY_SIZE(exceptions))
		return exceptions[vector];
	return "exception";
}

static unsigned int put_str(char *buf, unsigned int len, unsigned int pos,
			    const char *s)
{
	while (*s && pos + 1 < len)
		buf[pos++] = *s++;
	if (len)
		buf[pos < len ? pos : len - 1] = '\0';
	return pos;
}

static unsigned int put_hex(char *buf, unsigned int len, unsigned int pos,
			    __u64 v)
{
	char tmp[19];
	int i = 18;

	tmp[i] = '\0';
	do {
		tmp[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v && i > 2);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	return put_str(buf, len, pos, tmp + i);
}

/* EPT violation qualification bits (SDM 28.2.1, Table 28-7). */
unsigned int pmsw_describe_ept_violation(char *buf, unsigned int len,
					 __u64 qual, __u64 gpa,
					 __u64 mem_bytes)
{
	unsigned int pos = 0;

	pos = put_str(buf, len, pos, "EPT violation: ");
	pos = put_str(buf, len, pos, qual & 4 ? "instruction fetch" :
					qual & 2 ? "write" : "read");
	pos = put_str(buf, len, pos, " at guest-physical ");
	pos = put_hex(buf, len, pos, gpa);
	if (gpa >= mem_bytes)
		pos = put_str(buf, len, pos, ", beyond the guest memory");
	if (qual & (1ULL << 7))
		pos = put_str(buf, len, pos, " (guest-linear address valid)");
	return pos;
}
