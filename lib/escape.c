/* SPDX-License-Identifier: MIT */
/* escape.c - bytes made printable for error messages and traces. */
#include <stdio.h>

#include "internal.h"

size_t sc_escape_bytes(char *out, size_t size, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t o = 0;

	if (size == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char tmp[5];
		size_t n;

		switch (p[i]) {
		case '\r': n = (size_t)snprintf(tmp, sizeof(tmp), "\\r"); break;
		case '\n': n = (size_t)snprintf(tmp, sizeof(tmp), "\\n"); break;
		case '\t': n = (size_t)snprintf(tmp, sizeof(tmp), "\\t"); break;
		case '\\': n = (size_t)snprintf(tmp, sizeof(tmp), "\\\\"); break;
		default:
			if (p[i] >= 0x20 && p[i] < 0x7f)
				n = (size_t)snprintf(tmp, sizeof(tmp), "%c", p[i]);
			else
				n = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02X", p[i]);
		}
		/* Never cut an escape in half. */
		if (o + n >= size)
			break;
		for (size_t k = 0; k < n; k++)
			out[o++] = tmp[k];
	}
	out[o] = '\0';
	return o;
}
