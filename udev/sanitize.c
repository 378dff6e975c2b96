/* SPDX-License-Identifier: MIT */
/* sanitize.c - property values reduced to [A-Za-z0-9._-], and the
 * properties the helper prints from a device's reply; see sanitize.h. */
#include <stdio.h>
#include <string.h>

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

/* The third of four or more comma-separated fields, or 0. */
static size_t idn_serial(const char *reply, size_t len, const char **start)
{
	const char *f = reply, *end = reply + len, *s3 = NULL, *e3 = NULL;
	int field = 0;

	for (const char *p = f; p <= end; p++) {
		if (p == end || *p == ',') {
			if (field == 2) {
				s3 = f;
				e3 = p;
			}
			field++;
			f = p + 1;
		}
	}
	if (field < 4 || !s3)
		return 0;
	*start = s3;
	return (size_t)(e3 - s3);
}

size_t sanitize_props(char *out, const char *model, const char *reply, size_t len)
{
	char val[SANITIZE_VALUE_MAX + 1];
	const char *s = NULL;
	size_t o = 0, n;

	if (!sanitize_value(val, sizeof(val), model, strlen(model)))
		return 0;
	o += (size_t)snprintf(out + o, SANITIZE_PROPS_MAX - o, "ID_SERIALCMD_MODEL=%s\n", val);
	n = idn_serial(reply, len, &s);
	if (n && sanitize_value(val, sizeof(val), s, n))
		o += (size_t)snprintf(out + o, SANITIZE_PROPS_MAX - o, "ID_SERIALCMD_SERIAL=%s\n", val);
	if (sanitize_value(val, sizeof(val), reply, len))
		o += (size_t)snprintf(out + o, SANITIZE_PROPS_MAX - o, "ID_SERIALCMD_IDENT=%s\n", val);
	return o;
}
