/* SPDX-License-Identifier: MIT */
/* values.c - a reply of separated numbers ("1.23E+00,4.5,-6") as doubles. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define FIELD_MAX 128

SERIALCMD_API int client_parse_values(const char *text, size_t len, const char *separators, double **values)
{
	size_t count = 1, n = 0, field = 0;
	double *out;

	if (!values || (!text && len) || !separators || !separators[0])
		return sc_err_set(CLIENT_ERR_ARG, "client_parse_values: %s",
				  !values			  ? "values is NULL"
				  : !separators || !separators[0] ? "no separators"
								  : "text is NULL");
	*values = NULL;
	{
		size_t i = 0;

		while (i < len && isspace((unsigned char)text[i]))
			i++;
		if (i == len) {
			sc_err_clear();
			return 0;
		}
	}
	for (size_t i = 0; i < len; i++)
		if (strchr(separators, text[i]) && text[i])
			count++;
	if (count > (size_t)INT32_MAX || count > SIZE_MAX / sizeof(*out))
		return sc_err_set(CLIENT_ERR_ARG, "client_parse_values: too many values");
	out = malloc(count * sizeof(*out));
	if (!out)
		return sc_err_set(CLIENT_ERR_NOMEM, "client_parse_values: out of memory for %zu values",
				  count);
	for (size_t start = 0; start <= len; field++) {
		size_t end = start, a, b;
		char buf[FIELD_MAX + 1], *stop;

		while (end < len && !(text[end] && strchr(separators, text[end])))
			end++;
		for (a = start; a < end && isspace((unsigned char)text[a]); a++)
			;
		for (b = end; b > a && isspace((unsigned char)text[b - 1]); b--)
			;
		if (b - a == 0 || b - a > FIELD_MAX) {
			char esc[64];

			sc_escape_bytes(esc, sizeof(esc), text + a, b - a > 16 ? 16 : b - a);
			free(out);
			return sc_err_set(CLIENT_ERR_BLOCK, "field %zu of %zu is %s: '%s%s'", field + 1,
					  count, b == a ? "empty" : "too long to be a number", esc,
					  b - a > 16 ? "..." : "");
		}
		memcpy(buf, text + a, b - a);
		buf[b - a] = '\0';
		errno = 0;
		out[n] = strtod(buf, &stop);
		if (*stop || stop == buf) {
			char esc[FIELD_MAX * 4 + 1];

			sc_escape_bytes(esc, sizeof(esc), buf, b - a);
			free(out);
			return sc_err_set(CLIENT_ERR_BLOCK, "field %zu of %zu is not a number: '%s'",
					  field + 1, count, esc);
		}
		n++;
		start = end + 1;
	}
	*values = out;
	sc_err_clear();
	return (int)n;
}

SERIALCMD_API void client_free_values(double *values)
{
	free(values);
}
