/* SPDX-License-Identifier: MIT */
/* fuzz-values.c - client_parse_values(), which turns a reply of separated
 * numbers ("1.23E+00,4.5,-6") into doubles, fed any reply bytes.
 *
 * Input: byte 0 picks the separators (bit 0 ',', bit 1 ';', bit 2 ' ';
 * none set: ","), the rest is the reply (not NUL-terminated:
 * the parser must keep to its length).
 *
 * Invariants: success gives as many values as the reply has fields (one
 * more than it has separators) and a NULL array for a blank reply; a
 * refusal is CLIENT_ERR_BLOCK with a message and no array; nothing leaks
 * and nothing is read past the reply (ASan). */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char seps[5];
	size_t ns = 0, fields = 1;
	double *values = (double *)&ns; /* must be overwritten */
	char *text;
	int n, all_blank = 1;

	if (size < 1 || size > 1 << 20)
		return 0;
	if (data[0] & 1)
		seps[ns++] = ',';
	if (data[0] & 2)
		seps[ns++] = ';';
	if (data[0] & 4)
		seps[ns++] = ' ';
	if (!ns)
		seps[ns++] = ',';
	seps[ns] = '\0';
	/* An exact-size copy, so ASan sees any read past the end. */
	text = malloc(size - 1 ? size - 1 : 1);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	for (size_t i = 0; i < size - 1; i++) {
		if (text[i] && strchr(seps, text[i]))
			fields++;
		if (!(text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r')))
			all_blank = 0;
	}
	n = client_parse_values(text, size - 1, seps, &values);
	if (n >= 0) {
		FUZZ_CHECK(client_last_error() == CLIENT_OK);
		if (all_blank) {
			FUZZ_CHECK(n == 0 && values == NULL);
		} else {
			FUZZ_CHECK((size_t)n == fields);
			FUZZ_CHECK(values != NULL);
		}
	} else {
		fuzz_check_error(n);
		FUZZ_CHECK(n == CLIENT_ERR_BLOCK || n == CLIENT_ERR_NOMEM);
		FUZZ_CHECK(values == NULL);
	}
	client_free_values(values);
	free(text);
	return 0;
}
