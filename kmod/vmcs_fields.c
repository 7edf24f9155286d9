// SPDX-License-Identifier: GPL-2.0
/* Names and encodings of the VMCS field table (vmcs_fields.h). */
#include "vmcs_fields.h"

struct field_desc {
	unsigned int enc;
	const char *name;
};

#define PMSW_VMCS_DESC(name, enc)	{ (enc), #name },
static const struct field_desc fields[] = {
	PMSW_VMCS_FIELDS(PMSW_VMCS_DESC)
	PMSW_VMCS_RO_FIELDS(PMSW_VMCS_DESC)
};
#undef PMSW_VMCS_DESC

/* Name of the field with encoding @enc, or NULL if pmswitch lacks it. */
const char *pmsw_vmcs_field_name(unsigned int enc)
{
	unsigned int i;

	for (i = 0; i < PMSW_ARRAY_SIZE(fields); i++)
		if (fields[i].enc == enc)
			return fields[i].name;
	return NULL;
}

/* Encoding of the writable field with cache index @index (VF_*). */
unsigned int pmsw_vmcs_field_encoding(unsigned int index)
{
	return index < PMSW_VMCS_NR_FIELDS ? fields[index].enc : 0;
}
