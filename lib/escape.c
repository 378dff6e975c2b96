/* SPDX-License-Identifier: MIT */
/* escape.c - bytes made printable: for error messages and traces, and as
 * JSON strings for session recordings. */
#include <stdio.h>
#include <string.h>

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

size_t sc_escape_json(char *out, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = data;
	char *o = out;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = p[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
			*o++ = (char)ch;
			continue;
		}
		*o++ = '\\';
		switch (ch) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		default:
			/* Code point = byte (latin-1): readers get the bytes back
			 * with .encode("latin-1"), and no raw control byte or
			 * invalid UTF-8 ever reaches the file. */
			memcpy(o, "u00", 3);
			o[3] = hex[ch >> 4];
			o[4] = hex[ch & 15];
			o += 5;
		}
	}
	return (size_t)(o - out);
}
