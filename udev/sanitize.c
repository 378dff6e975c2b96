/* SPDX-License-Identifier: MIT */
/* sanitize.c - property values reduced to [A-Za-z0-9._-]; see sanitize.h. */
#include "sanitize.h"

int sanitize_keep(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_' || c == '-';
}

static int blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t sanitize_value(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t start = 0, end = len, n = 0;

	if (size == 0)
		return 0;
	if (!s)
		end = 0;
	while (start < end && blank(s[start]))
		start++;
	while (end > start && blank(s[end - 1]))
		end--;
	for (size_t i = start; i < end && n + 1 < size; i++)
		dst[n++] = sanitize_keep(s[i]) ? (char)s[i] : '_';
	dst[n] = '\0';
	return n;
}
