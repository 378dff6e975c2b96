/* SPDX-License-Identifier: MIT */
/* sim-to-profile.c - a recording made into a device profile (serialcmd-sim
 * --to-profile): the port settings of its first session, and a [dialogue]
 * of the exchanges an exact-match dialogue can answer (one text line each
 * way). Everything else is listed in comments, escaped, for the review the
 * profile needs before it is shipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "sim-session.h"
#include "sim.h"

/* A profile line's limit (lib/profile.c reads lines of up to 1024 bytes). */
#define LINE_ROOM 1000
#define TEXT_ROOM 250 /* identify_match and description (PROFILE_TEXT_MAX) */

static void comment_bytes(FILE *f, const unsigned char *b, size_t len)
{
	char text[4 * 160 + 1];

	sc_escape_bytes(text, sizeof(text), b, len < 160 ? len : 160);
	fprintf(f, "\"%s\"%s", text, len > 160 ? "..." : "");
}

/* A terminator as the spec reads it back: a name, else \xHH escapes. */
static void eol_text(char *out, size_t size, const unsigned char *eol, size_t len)
{
	static const struct {
		const char *bytes, *name;
	} names[] = { { "\n", "LF" }, { "\r", "CR" }, { "\r\n", "CRLF" } };
	size_t o = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (len == strlen(names[i].bytes) && memcmp(eol, names[i].bytes, len) == 0) {
			snprintf(out, size, "%s", names[i].name);
			return;
		}
	}
	out[0] = '\0';
	for (size_t i = 0; i < len && o + 5 <= size; i++)
		o += (size_t)snprintf(out + o, size - o, "\\x%02X", eol[i]);
}

/* One setting, if the option table takes it (a recording may hold any
 * number): a generated profile always loads. */
static void put_setting(FILE *f, const char *key, const char *value)
{
	struct client_config cfg;
	char spec[128];

	snprintf(spec, sizeof(spec), "recorded?%s=%s", key, value);
	if (client_config_parse(&cfg, spec) == CLIENT_OK)
		fprintf(f, "%s = %s\n", key, value);
	else
		fprintf(f, "# %s: the recorded %s is not a valid setting: left out\n", key, value);
}

static void put_number(FILE *f, const char *key, double v)
{
	char text[32];

	if (v < 0)
		return;
	/* Whole numbers as digits; anything else (1.5, 1e42) as %g. */
	if (v <= 1e12 && v == (double)(long long)v)
		snprintf(text, sizeof(text), "%.0f", v);
	else
		snprintf(text, sizeof(text), "%g", v);
	put_setting(f, key, text);
}

static int contains(const unsigned char *b, size_t len, const unsigned char *what, size_t n)
{
	for (size_t i = 0; n && i + n <= len; i++)
		if (memcmp(b + i, what, n) == 0)
			return 1;
	return 0;
}

/* Can text stand on a dialogue line as it is: printable ASCII, no blank at
 * either end (the parser trims them), and for a query nothing the parser
 * would take for a comment, a section or the arrow? NULL if so, else why. */
static const char *line_text(const unsigned char *b, size_t len, int query)
{
	if (len == 0)
		return "empty";
	if (len > LINE_ROOM / 2)
		return "longer than a profile line holds";
	for (size_t i = 0; i < len; i++)
		if (b[i] < 0x20 || b[i] > 0x7e)
			return "not printable ASCII (binary data)";
	if (b[0] == ' ' || b[len - 1] == ' ')
		return "blanks at an end (a profile trims them)";
	if (query && (b[0] == '#' || b[0] == '['))
		return "starts with '#' or '[' (a profile comment or section)";
	if (query && contains(b, len, (const unsigned char *)"=>", 2))
		return "contains \"=>\" (the dialogue's arrow)";
	return NULL;
}

struct exchange {
	const unsigned char *cmd, *reply; /* without terminators */
	size_t cmd_len, reply_len;
	int has_reply;
};

/* Why record r cannot be a dialogue line (NULL: it can, in *x). */
static const char *exchange_of(const struct sim_session *ss, const struct sim_record *r, struct exchange *x)
{
	const struct sim_header *h = &ss->headers[r->header], *first = &ss->headers[0];
	const unsigned char *w = r->wire.data;
	size_t wlen = r->wire.len, el = h->write_eol_len, rl = h->read_eol_len;
	const char *why;

	if (h->write_eol_len != first->write_eol_len || memcmp(h->write_eol, first->write_eol, el) ||
	    h->read_eol_len != first->read_eol_len || memcmp(h->read_eol, first->read_eol, rl) ||
	    (h->echo > 0) != (first->echo > 0))
		return "another session's terminators or echo";
	if (r->cmd.len == 0)
		return "nothing was written (the command failed first)";
	if (!r->ok)
		return "failed (the outcome is not CLIENT_OK)";
	if (el == 0 || r->cmd.len < el || memcmp(r->cmd.data + r->cmd.len - el, h->write_eol, el) ||
	    contains(r->cmd.data, r->cmd.len - el, h->write_eol, el))
		return "not one line ended by the write terminator";
	x->cmd = r->cmd.data;
	x->cmd_len = r->cmd.len - el;
	why = line_text(x->cmd, x->cmd_len, 1);
	if (why)
		return why;
	x->has_reply = r->kind == SIM_REC_QUERY;
	if (!x->has_reply)
		return NULL;
	if (h->echo > 0) {
		if (wlen < r->cmd.len || memcmp(w, r->cmd.data, r->cmd.len))
			return "the reply does not start with the echo";
		w += r->cmd.len;
		wlen -= r->cmd.len;
	}
	if (r->drained.len || rl == 0 || wlen < rl || memcmp(w + wlen - rl, h->read_eol, rl) ||
	    contains(w, wlen - rl, h->read_eol, rl))
		return "not one reply line (unsolicited lines, several lines, or a cut reply)";
	x->reply = w;
	x->reply_len = wlen - rl;
	return line_text(x->reply, x->reply_len, 0);
}

static int same_cmd_nocase(const struct exchange *a, const struct exchange *b)
{
	return a->cmd_len == b->cmd_len &&
	       strncasecmp((const char *)a->cmd, (const char *)b->cmd, a->cmd_len) == 0;
}

static int same_reply(const struct exchange *a, const struct exchange *b)
{
	return a->has_reply == b->has_reply && a->reply_len == b->reply_len &&
	       (!a->has_reply || memcmp(a->reply, b->reply, a->reply_len) == 0);
}

/* Settings of the first session, as profile keys. */
static void put_settings(FILE *f, const struct sim_header *h)
{
	char eol[4 * SIM_SESSION_EOL_MAX + 1];

	put_number(f, "baud", h->baud);
	put_number(f, "bits", h->bits);
	if (h->parity[0])
		put_setting(f, "parity", h->parity);
	put_number(f, "stop", h->stop);
	if (h->flow[0])
		put_setting(f, "flow", h->flow);
	if (h->has_write_eol && h->write_eol_len) {
		eol_text(eol, sizeof(eol), h->write_eol, h->write_eol_len);
		put_setting(f, "write_eol", eol);
	}
	if (h->has_read_eol && h->read_eol_len) {
		eol_text(eol, sizeof(eol), h->read_eol, h->read_eol_len);
		put_setting(f, "read_eol", eol);
	}
	put_number(f, "timeout_ms", h->timeout_ms);
	if (h->echo > 0)
		put_setting(f, "echo", "1");
}

/* identify = *IDN? when it was asked and answered with a line: the answer,
 * fnmatch's specials escaped, is the pattern a device must fit. */
static void put_identity(FILE *f, const struct exchange *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char pat[TEXT_ROOM + 1];
		size_t o = 0, k = 0;

		if (!x[i].has_reply || x[i].cmd_len != 5 || strncasecmp((const char *)x[i].cmd, "*IDN?", 5))
			continue;
		for (; k < x[i].reply_len && o + 2 < TEXT_ROOM; k++) {
			if (strchr("*?[\\", x[i].reply[k]))
				pat[o++] = '\\';
			pat[o++] = (char)x[i].reply[k];
		}
		if (k < x[i].reply_len)
			return;
		pat[o] = '\0';
		fprintf(f, "identify = *IDN?\nidentify_match = %s\n", pat);
		return;
	}
}

static int by_delay(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int sim_session_to_profile(const struct sim_session *ss, FILE *f)
{
	struct exchange *x = calloc(ss->nrecs + 1, sizeof(*x));
	double *delays = calloc(ss->nrecs + 1, sizeof(*delays));
	size_t n = 0, nd = 0, left = 0;

	if (!x || !delays) {
		free(x);
		free(delays);
		fprintf(stderr, "serialcmd-sim: out of memory\n");
		return 1;
	}
	fprintf(f, "# SPDX-License-Identifier: MIT\n# Made by serialcmd-sim --to-profile from ");
	comment_bytes(f, (const unsigned char *)ss->path, strlen(ss->path));
	fprintf(f, ".\n# Review before shipping: the identity, the replies (a measurement is\n"
		   "# answered as recorded, always the same), and what was left out (below).\n");
	fprintf(f, "description = Recorded instrument (serialcmd-sim --to-profile)\n");
	put_settings(f, &ss->headers[0]);
	/* First the exchanges kept, then (as comments) the rest. */
	for (size_t i = 0; i < ss->nrecs; i++) {
		const struct sim_record *r = &ss->recs[i];
		struct exchange e = { 0 };
		int dup = 0;

		if (r->kind == SIM_REC_READ || exchange_of(ss, r, &e))
			continue;
		for (size_t k = 0; k < n && !dup; k++)
			dup = same_cmd_nocase(&x[k], &e);
		if (dup)
			continue;
		x[n++] = e;
		/* A delay the profile cannot hold (a damaged or hostile
		 * recording) does not count. */
		if (r->kind == SIM_REC_QUERY && r->delay_ms >= 0 && r->delay_ms <= CONFIG_MAX_DELAY_MS)
			delays[nd++] = r->delay_ms;
	}
	put_identity(f, x, n);
	fprintf(f, "\n[sim]\n# Each line whole, exactly as recorded (any case).\nsyntax = exact\n");
	if (nd) {
		/* The median delay before a reply's first byte. */
		qsort(delays, nd, sizeof(*delays), by_delay);
		fprintf(f, "delay_ms = %.0f\n", delays[nd / 2]);
	}
	fprintf(f, "\n[dialogue]\n");
	for (size_t k = 0; k < n; k++) {
		fprintf(f, "%.*s =>", (int)x[k].cmd_len, (const char *)x[k].cmd);
		if (x[k].has_reply)
			fprintf(f, " %.*s", (int)x[k].reply_len, (const char *)x[k].reply);
		fprintf(f, "\n");
	}
	for (size_t i = 0; i < ss->nrecs; i++) {
		const struct sim_record *r = &ss->recs[i];
		struct exchange e = { 0 };
		const char *why;

		if (r->kind == SIM_REC_READ) {
			why = "a read without a command";
		} else {
			why = exchange_of(ss, r, &e);
			for (size_t k = 0; !why && k < n; k++) {
				if (!same_cmd_nocase(&x[k], &e))
					continue;
				if (x[k].cmd != e.cmd && !same_reply(&x[k], &e))
					why = "asked again, answered otherwise: the dialogue gives the first "
					      "reply";
				break;
			}
		}
		if (!why)
			continue;
		if (!left++)
			fprintf(f, "\n# Left out (the dialogue cannot say these; a replay can):\n");
		fprintf(f, "# line %d: %s ", r->line, why);
		if (r->kind == SIM_REC_READ) {
			comment_bytes(f, r->wire.data, r->wire.len);
		} else {
			comment_bytes(f, r->cmd.data, r->cmd.len);
			if (r->kind == SIM_REC_QUERY) {
				fprintf(f, " -> ");
				comment_bytes(f, r->wire.data, r->wire.len);
			}
		}
		fprintf(f, "\n");
	}
	free(x);
	free(delays);
	return fflush(f) == 0 && !ferror(f) ? 0 : 1;
}
