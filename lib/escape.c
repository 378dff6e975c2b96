/* SPDX-License-Identifier: MIT */
/* escape.c - bytes made printable: for error messages and traces, and as
 * JSON strings for session recordings. */
#include <stdint.h>
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

/* Eight bytes at a time: nonzero when any byte of w needs an escape (below
 * 0x20, above 0x7e, '"' or '\\'). The usual word tests: a byte below n
 * borrows into its high bit when n is subtracted; a byte above 0x7e has
 * its high bit set, or gets it when 1 is added; a byte equal to c is a
 * zero byte of w ^ c. Exact as a yes/no for the whole word. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static inline uint64_t zero_byte(uint64_t w)
{
	return (w - ONES) & ~w & HIGHS;
}

static inline uint64_t needs_escape(uint64_t w)
{
	return ((w - ONES * 0x20) & ~w & HIGHS) | (((w + ONES) | w) & HIGHS) | zero_byte(w ^ (ONES * '"')) |
	       zero_byte(w ^ (ONES * '\\'));
}

size_t sc_escape_json(char *out, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = data;
	char *o = out;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch;
		uint64_t w;

		/* Runs of plain text (most replies) are copied a word at a time:
		 * a 64 KiB reply is recorded several times faster. */
		while (len - i >= 8 && (memcpy(&w, p + i, 8), !needs_escape(w))) {
			memcpy(o, &w, 8);
			o += 8;
			i += 8;
		}
		if (i == len)
			break;
		ch = p[i];

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
