// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the context-file parser: any input must parse or
 * fail with a position inside the input and a NUL-terminated message,
 * without reading past the input (ASan) or undefined behaviour (UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctxfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmsw_context ctx;
	struct ctxfile_error err;
	unsigned int lines = 1;
	size_t i;

	if (ctxfile_parse((const char *)data, size, &ctx, &err)) {
		for (i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (!err.line || err.line > lines || !err.col ||
		    !memchr(err.msg, '\0', sizeof(err.msg)) || !err.msg[0])
			abort();
	}
	return 0;
}
