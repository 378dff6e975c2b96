/* SPDX-License-Identifier: MIT */
/* fuzz-sanitize.c - the udev helper's output sanitizer (udev/sanitize.c),
 * which turns whatever a device or its USB descriptors say into a value
 * udev can import safely, fed any bytes and any output size.
 *
 * Input: byte 0 = output size (0 to 255; the helper uses 129), the rest is
 * the text (NUL bytes included).
 *
 * Invariants: the output is NUL-terminated within size, holds only
 * [A-Za-z0-9._-], is the input with blanks trimmed at both ends, kept bytes
 * kept and every other byte '_', cut at size - 1; the return value is its
 * length; nothing is written past size (ASan). */
#include "fuzz-common.h"

#include "../../udev/sanitize.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sanitize_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t outsize, len, start = 0, end, n, want;
	char *out;

	if (size < 1 || size > 1 << 20)
		return 0;
	outsize = data[0];
	data++;
	len = size - 1;
	/* Exactly outsize bytes, so that ASan sees a write past them. */
	out = malloc(outsize ? outsize : 1);
	if (!out)
		return 0;
	n = sanitize_value(out, outsize, (const char *)data, len);
	if (outsize == 0) {
		FUZZ_CHECK(n == 0);
		free(out);
		return 0;
	}
	end = len;
	while (start < end && sanitize_blank(data[start]))
		start++;
	while (end > start && sanitize_blank(data[end - 1]))
		end--;
	want = end - start < outsize - 1 ? end - start : outsize - 1;
	FUZZ_CHECK(n == want);
	FUZZ_CHECK(out[n] == '\0');
	for (size_t i = 0; i < n; i++) {
		unsigned char in = data[start + i];

		FUZZ_CHECK(sanitize_keep((unsigned char)out[i]));
		FUZZ_CHECK(out[i] == (sanitize_keep(in) ? (char)in : '_'));
	}
	/* The NULL source the header allows. */
	FUZZ_CHECK(sanitize_value(out, outsize, NULL, 0) == 0 && out[0] == '\0');
	free(out);
	return 0;
}
