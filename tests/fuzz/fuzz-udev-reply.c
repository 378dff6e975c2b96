/* SPDX-License-Identifier: MIT */
/* fuzz-udev-reply.c - what the udev helper does with a device's answer:
 * whether it identifies the device (sc_identify_reply_matches, shared with
 * serialcmd --find --identify) and the properties it prints for udev
 * (sanitize_props), fed any answer, pattern and model name.
 *
 * Input: byte 0 = model name length (low 6 bits), byte 1 = pattern length
 * (low 6 bits), then the model name, the pattern, and the rest is the
 * answer (NUL bytes included).
 *
 * Invariants: an answer matches only when the pattern is not empty, the
 * answer has no NUL, is at most IDENTIFY_REPLY_MAX bytes and not blank, and
 * fnmatch() accepts the pattern for it with blanks trimmed at both ends
 * (and then always). The printed text is only ID_SERIALCMD_MODEL, then
 * optionally _SERIAL, then optionally _IDENT lines, each KEY=value with a
 * value of 1 to SANITIZE_VALUE_MAX bytes of [A-Za-z0-9._-], ending in a
 * newline; nothing when the model name sanitizes to nothing; SERIAL only
 * for an answer of four or more comma-separated fields; within
 * SANITIZE_PROPS_MAX (ASan sees a write past it). */
#include <fnmatch.h>

#include "fuzz-common.h"
#include "identify.h"
#include "../../udev/sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ur_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Does the line at *p (up to end) read KEY=value with a good value? Moves
 * *p past it. */
static int ur_line(const char **p, const char *end, const char *key)
{
	size_t klen = strlen(key), n = 0;

	if ((size_t)(end - *p) < klen + 1 || memcmp(*p, key, klen) != 0 || (*p)[klen] != '=')
		return 0;
	*p += klen + 1;
	while (*p < end && **p != '\n') {
		if (!sanitize_keep((unsigned char)**p))
			return 0;
		(*p)++;
		n++;
	}
	if (*p == end || n == 0 || n > SANITIZE_VALUE_MAX)
		return 0;
	(*p)++;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char model[64], pattern[64], out[SANITIZE_PROPS_MAX], *text;
	const char *reply, *p, *end;
	size_t mlen, plen, len, o, start, stop, commas = 0;
	int match;

	if (size < 2)
		return 0;
	mlen = data[0] & 63;
	plen = data[1] & 63;
	if (size < 2 + mlen + plen)
		return 0;
	memcpy(model, data + 2, mlen);
	model[mlen] = '\0';
	memcpy(pattern, data + 2 + mlen, plen);
	pattern[plen] = '\0';
	reply = (const char *)data + 2 + mlen + plen;
	len = size - 2 - mlen - plen;

	/* Identification, against an independent reading of the rule. */
	match = sc_identify_reply_matches(reply, len, pattern);
	FUZZ_CHECK(match == 0 || match == 1);
	start = 0;
	stop = len;
	while (start < stop && ur_blank(reply[start]))
		start++;
	while (stop > start && ur_blank(reply[stop - 1]))
		stop--;
	if (!pattern[0] || len > IDENTIFY_REPLY_MAX || memchr(reply, '\0', len) || start == stop) {
		FUZZ_CHECK(!match);
	} else {
		text = malloc(stop - start + 1);
		if (!text)
			return 0;
		memcpy(text, reply + start, stop - start);
		text[stop - start] = '\0';
		FUZZ_CHECK(match == (fnmatch(pattern, text, 0) == 0));
		free(text);
	}

	/* The properties. */
	o = sanitize_props(out, model, reply, len);
	FUZZ_CHECK(o <= sizeof(out));
	FUZZ_CHECK(memchr(out, '\0', o) == NULL);
	if (o == 0) {
		char val[SANITIZE_VALUE_MAX + 1];

		FUZZ_CHECK(sanitize_value(val, sizeof(val), model, strlen(model)) == 0);
		return 0;
	}
	p = out;
	end = out + o;
	FUZZ_CHECK(ur_line(&p, end, "ID_SERIALCMD_MODEL"));
	for (size_t i = 0; i < len; i++)
		commas += reply[i] == ',';
	if (p < end && memcmp(p, "ID_SERIALCMD_SERIAL=", 20) == 0) {
		FUZZ_CHECK(commas >= 3);
		FUZZ_CHECK(ur_line(&p, end, "ID_SERIALCMD_SERIAL"));
	}
	if (p < end)
		FUZZ_CHECK(ur_line(&p, end, "ID_SERIALCMD_IDENT"));
	FUZZ_CHECK(p == end);
	return 0;
}
