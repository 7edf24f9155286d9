/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit reasons, VM-instruction errors and exit qualifications in words
 * (SDM Appendix C, 31.4, 28.2.1), so that no report is a bare number.
 * Pure: shared with the CLI.
 */
#ifndef PMSW_DECODE_H
#define PMSW_DECODE_H

#include "pure.h"

const char *pmsw_exit_reason_name(unsigned int reason);
const char *pmsw_vm_instruction_error_name(unsigned int error);
const char *pmsw_entry_failure_name(__u64 qualification);
const char *pmsw_exception_name(unsigned int vector);
unsigned int pmsw_describe_ept_violation(char *buf, unsigned int len,
					 __u64 qualification, __u64 gpa,
					 __u64 mem_bytes);

#endif /* PMSW_DECODE_H */
