/* SPDX-License-Identifier: MIT */
/* sim-profile.c - the simulator's sections of a device profile, read through
 * the library's profile parser (a struct profile_extension): the library
 * knows their names and skips them; only the simulator parses them, so none
 * of this is in libserialcmd. Every error names the file, line and reason. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "sim-profile.h"

/* Header patterns: nodes separated by ':', [..] around optional parts
 * (nested as needed), "[<n>]" right after a node's name for a numeric
 * suffix, the uppercase part of a name its short form. */
#define PAT_TOKENS 64

enum { TOK_NODE, TOK_OPEN, TOK_CLOSE };

struct pat_tok {
	int kind;
	const char *name; /* TOK_NODE */
	size_t len;
	int suffix; /* TOK_NODE: takes a numeric suffix */
	int close;  /* TOK_OPEN: index of its TOK_CLOSE */
};

static int name_char(char c)
{
	return isalnum((unsigned char)c) || c == '*' || c == '_';
}

static const char *tokenize(const char *p, size_t plen, struct pat_tok *t, int *nt)
{
	int stack[PAT_TOKENS], depth = 0, n = 0;
	size_t i = 0;

	while (i < plen) {
		if (p[i] == ':') {
			i++;
			continue;
		}
		if (n == PAT_TOKENS)
			return "too many nodes";
		if (plen - i >= 5 && memcmp(p + i, "[<n>]", 5) == 0) {
			if (i == 0 || !name_char(p[i - 1]))
				return "[<n>] must follow a node's name";
			t[n - 1].suffix = 1;
			i += 5;
		} else if (p[i] == '[') {
			stack[depth++] = n;
			t[n++] = (struct pat_tok){ .kind = TOK_OPEN };
			i++;
		} else if (p[i] == ']') {
			if (!depth)
				return "']' without '['";
			t[stack[--depth]].close = n;
			t[n++] = (struct pat_tok){ .kind = TOK_CLOSE };
			i++;
		} else if (name_char(p[i])) {
			size_t j = i;

			while (j < plen && name_char(p[j]))
				j++;
			t[n++] = (struct pat_tok){ .kind = TOK_NODE, .name = p + i, .len = j - i };
			i = j;
		} else {
			return "unexpected character (a header has letters, digits, '*', '_', ':', [ ] and "
			       "[<n>])";
		}
	}
	if (depth)
		return "'[' without ']'";
	*nt = n;
	return NULL;
}

/* Does the node u (n bytes) fit t: its long form or its short form (the
 * name up to its first lowercase letter), in any case, with digits after
 * it when t takes a suffix? */
static int node_fits(const struct pat_tok *t, const char *u, size_t n, long *suffix)
{
	size_t shortlen = 0;

	if (t->suffix) {
		size_t d = n;

		while (d > 0 && isdigit((unsigned char)u[d - 1]))
			d--;
		if (d < n) {
			if (d == 0 || n - d > 3)
				return 0;
			*suffix = strtol(u + d, NULL, 10);
			n = d;
		}
	}
	while (shortlen < t->len && !islower((unsigned char)t->name[shortlen]))
		shortlen++;
	if (n == t->len && strncasecmp(u, t->name, n) == 0)
		return 1;
	return shortlen && n == shortlen && strncasecmp(u, t->name, n) == 0;
}

static int match_from(const struct pat_tok *t, int nt, int i, const char *h, long suffix, long *out)
{
	size_t n;

	while (i < nt && t[i].kind == TOK_CLOSE)
		i++;
	if (i == nt) {
		if (*h)
			return 0;
		*out = suffix;
		return 1;
	}
	if (t[i].kind == TOK_OPEN)
		return match_from(t, nt, i + 1, h, suffix, out) ||
		       match_from(t, nt, t[i].close + 1, h, suffix, out);
	if (*h != ':')
		return 0;
	h++;
	n = strcspn(h, ":");
	if (!node_fits(&t[i], h, n, &suffix))
		return 0;
	return match_from(t, nt, i + 1, h + n, suffix, out);
}

int sim_pattern_match(const char *pattern, size_t plen, const char *header, long *suffix)
{
	struct pat_tok t[PAT_TOKENS];
	int nt;

	if (tokenize(pattern, plen, t, &nt))
		return 0;
	return match_from(t, nt, 0, header, *suffix, suffix);
}

const char *sim_pattern_check(const char *pattern, size_t plen)
{
	struct pat_tok t[PAT_TOKENS];
	int nt;
	const char *why = tokenize(pattern, plen, t, &nt);

	if (!why && nt == 0)
		why = "empty header";
	return why;
}

static int property_key(const struct profile_parser *ps, struct sim_property *pr, const char *key,
			const char *value)
{
	static const struct {
		const char *key;
		size_t field;
	} texts[] = {
		{ "get", offsetof(struct sim_property, get) },
		{ "set", offsetof(struct sim_property, set) },
		{ "default", offsetof(struct sim_property, value) },
		{ "valid", offsetof(struct sim_property, valid) },
		{ "error", offsetof(struct sim_property, error) },
		{ "set_reply", offsetof(struct sim_property, set_reply) },
		{ "commands", offsetof(struct sim_property, commands) },
		{ "source", offsetof(struct sim_property, source) },
		{ "parts", offsetof(struct sim_property, parts) },
	};
	double d;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (strcmp(key, texts[i].key) == 0)
			return sc_profile_dup(ps, (char **)((char *)pr + texts[i].field), value);
	if (strcmp(key, "notation") == 0) {
		if (strcmp(value, "fixed") && strcmp(value, "sci"))
			return sc_profile_error(ps, "notation must be fixed or sci", value);
		pr->sci = value[0] == 's';
		return CLIENT_OK;
	}
	if (strcmp(key, "per_channel") == 0 || strcmp(key, "boolean") == 0) {
		if (strcmp(value, "0") && strcmp(value, "1"))
			return sc_profile_error(ps, "per_channel and boolean must be 0 or 1", value);
		*(key[0] == 'p' ? &pr->per_channel : &pr->boolean) = value[0] == '1';
		return pr->boolean ? sc_profile_dup(ps, &pr->valid, "0,1,ON,OFF") : CLIENT_OK;
	}
	if (strcmp(key, "min") && strcmp(key, "max") && strcmp(key, "noise") && strcmp(key, "digits"))
		return sc_profile_error(
			ps,
			"unknown property key (get, set, commands, source, parts, default, min, max,"
			" valid, boolean, noise, digits, notation, error, set_reply, per_channel)",
			key);
	if (sc_profile_number(value, &d) != 0)
		return sc_profile_error(ps, "not a number", value);
	if (strcmp(key, "digits") == 0) {
		if (d < 0 || d > 15 || d != (int)d)
			return sc_profile_error(ps, "digits must be 0 to 15", value);
		pr->digits = (int)d;
	} else if (strcmp(key, "min") == 0) {
		pr->min = d;
		pr->has_min = 1;
	} else if (strcmp(key, "max") == 0) {
		pr->max = d;
		pr->has_max = 1;
	} else {
		pr->noise = d;
	}
	return CLIENT_OK;
}

static int waveform_key(const struct profile_parser *ps, struct sim_waveform *w, const char *key,
			const char *value)
{
	static const struct {
		const char *key;
		size_t field;
	} texts[] = {
		{ "get", offsetof(struct sim_waveform, get) },
		{ "prefix", offsetof(struct sim_waveform, prefix) },
		{ "ascii_get", offsetof(struct sim_waveform, ascii_get) },
		{ "set", offsetof(struct sim_waveform, set) },
	};
	double d;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (strcmp(key, texts[i].key) == 0)
			return sc_profile_dup(ps, (char **)((char *)w + texts[i].field), value);
	if (strcmp(key, "datatype") == 0) {
		if (strlen(value) != 1 || !strchr("bBhHiIfd", value[0]))
			return sc_profile_error(ps, "datatype must be one of b B h H i I f d", value);
		w->datatype = value[0];
		return CLIENT_OK;
	}
	if (strcmp(key, "endian") == 0) {
		if (strcmp(value, "little") && strcmp(value, "big"))
			return sc_profile_error(ps, "endian must be little or big", value);
		w->big_endian = value[0] == 'b';
		return CLIENT_OK;
	}
	if (strcmp(key, "points") && strcmp(key, "amplitude"))
		return sc_profile_error(ps,
					"unknown waveform key (get, prefix, ascii_get, set, points, datatype,"
					" endian, amplitude)",
					key);
	if (sc_profile_number(value, &d) != 0)
		return sc_profile_error(ps, "not a number", value);
	if (strcmp(key, "points") == 0) {
		if (d < 1 || d > 50000000 || d != (unsigned)d)
			return sc_profile_error(ps, "points must be 1 to 50000000", value);
		w->points = (unsigned)d;
	} else {
		w->amplitude = d;
	}
	return CLIENT_OK;
}

static int sim_key(const struct profile_parser *ps, struct sim_profile *sp, const char *key,
		   const char *value)
{
	double d;

	if (strcmp(key, "mode") == 0) {
		if (strcmp(value, "dialogue") && strcmp(value, "loopback") && strcmp(value, "faulty"))
			return sc_profile_error(ps, "mode must be dialogue, loopback or faulty", value);
		return sc_profile_copy(ps, sp->mode, sizeof(sp->mode), value);
	}
	if (strcmp(key, "delay_ms") == 0) {
		if (sc_profile_number(value, &d) || d < 0 || d > CONFIG_MAX_DELAY_MS)
			return sc_profile_error(ps, "delay_ms must be 0 to 600000", value);
		sp->delay_ms = (unsigned)d;
		return CLIENT_OK;
	}
	if (strcmp(key, "unsolicited") == 0) {
		if (!*value || value[0] == ',' || value[strlen(value) - 1] == ',' || strstr(value, ",,"))
			return sc_profile_error(ps, "unsolicited must be lines separated by commas", value);
		return sc_profile_copy(ps, sp->unsolicited, sizeof(sp->unsolicited), value);
	}
	if (strcmp(key, "unsolicited_every_ms") == 0) {
		if (sc_profile_number(value, &d) || d < 1 || d > CONFIG_MAX_DELAY_MS)
			return sc_profile_error(ps, "unsolicited_every_ms must be 1 to 600000", value);
		sp->unsolicited_every_ms = (unsigned)d;
		return CLIENT_OK;
	}
	if (strcmp(key, "syntax") == 0) {
		if (sp->ndialogue || sp->nprops)
			return sc_profile_error(
				ps, "syntax must come before [dialogue] and [property] sections", value);
		if (strcmp(value, "scpi") && strcmp(value, "exact"))
			return sc_profile_error(ps, "syntax must be scpi or exact", value);
		sp->scpi = value[0] == 's';
		return CLIENT_OK;
	}
	if (strcmp(key, "channels") == 0) {
		if (sc_profile_number(value, &d) || d < 1 || d > SIM_CHANNELS_MAX || d != (unsigned)d)
			return sc_profile_error(ps, "channels must be 1 to 16", value);
		sp->channels = (unsigned)d;
		return CLIENT_OK;
	}
	if (strcmp(key, "error_query") == 0)
		return sc_profile_copy(ps, sp->error_pattern, sizeof(sp->error_pattern), value);
	if (strcmp(key, "echo_off") == 0)
		return sc_profile_copy(ps, sp->echo_off, sizeof(sp->echo_off), value);
	if (strcmp(key, "echo_on") == 0)
		return sc_profile_copy(ps, sp->echo_on, sizeof(sp->echo_on), value);
	return sc_profile_error(ps,
				"unknown key in [sim] (mode, delay_ms, syntax, channels, error_query,"
				" unsolicited, unsolicited_every_ms, echo_off, echo_on)",
				key);
}

static int errors_key(const struct profile_parser *ps, struct sim_profile *sp, const char *key,
		      const char *value)
{
	if (strcmp(key, "unknown") == 0)
		return sc_profile_copy(ps, sp->error_unknown, sizeof(sp->error_unknown), value);
	sp->has_unknown_reply = 1;
	return sc_profile_copy(ps, sp->unknown_reply, sizeof(sp->unknown_reply), value);
}

static int dialogue_line(const struct profile_parser *ps, struct sim_profile *sp, char *line)
{
	char *arrow = strstr(line, "=>"), *reply;
	struct sim_dialogue *d;

	if (!arrow)
		return sc_profile_error(ps, "a dialogue line must look like QUERY => REPLY", line);
	*arrow = '\0';
	reply = sc_profile_trim(arrow + 2);
	line = sc_profile_trim(line);
	if (!*line)
		return sc_profile_error(ps, "empty query in dialogue", NULL);
	d = sc_profile_grow(ps, sp->dialogue, &sp->ndialogue, sizeof(*d));
	if (!d)
		return client_last_error();
	sp->dialogue = d;
	d += sp->ndialogue - 1;
	if (sc_profile_dup(ps, &d->query, line) != CLIENT_OK)
		return client_last_error();
	return *reply ? sc_profile_dup(ps, &d->reply, reply) : CLIENT_OK;
}

static int on_section(void *ctx, const struct profile_parser *ps, const char *name, const char *arg)
{
	struct sim_profile *sp = ctx;

	if (strcmp(name, "property") == 0) {
		struct sim_property *pr = sc_profile_grow(ps, sp->props, &sp->nprops, sizeof(*pr));

		if (!pr)
			return client_last_error();
		sp->props = pr;
		pr += sp->nprops - 1;
		pr->digits = -1;
		return sc_profile_copy(ps, pr->name, sizeof(pr->name), arg);
	}
	if (strcmp(name, "waveform") == 0) {
		struct sim_waveform *w = sc_profile_grow(ps, sp->waves, &sp->nwaves, sizeof(*w));

		if (!w)
			return client_last_error();
		sp->waves = w;
		w += sp->nwaves - 1;
		w->points = 1000;
		w->datatype = 'B';
		w->amplitude = 1.0;
		return sc_profile_copy(ps, w->name, sizeof(w->name), arg);
	}
	return CLIENT_OK;
}

int sim_pattern_next(const char **p, struct sim_alt *a)
{
	const char *q = *p;
	size_t len;

	if (!*q)
		return 0;
	len = strcspn(q, "|");
	while (len && isspace((unsigned char)*q)) {
		q++;
		len--;
	}
	a->head = q;
	a->head_len = strcspn(q, " \t|");
	if (a->head_len > len)
		a->head_len = len;
	a->params = q + a->head_len;
	a->params_len = len - a->head_len;
	while (a->params_len && isspace((unsigned char)*a->params)) {
		a->params++;
		a->params_len--;
	}
	while (a->params_len && isspace((unsigned char)a->params[a->params_len - 1]))
		a->params_len--;
	q += len;
	*p = *q == '|' ? q + 1 : q;
	return 1;
}

/* With SCPI syntax: is every '|'-separated "HEADER [PARAMETERS]" (with
 * arrows: "HEADER => VALUE") of text a well-formed pattern? */
static int check_patterns(const struct profile_parser *ps, const char *where, const char *text, int arrows)
{
	char msg[PROFILE_NAME_MAX + 160];
	struct sim_alt a;

	for (const char *p = text; p && sim_pattern_next(&p, &a);) {
		size_t h = a.head_len;
		const char *why;

		if (h && a.head[h - 1] == '?')
			h--;
		why = sim_pattern_check(a.head, h);
		if (!why && arrows && !strstr(a.head, "=>"))
			why = "expected COMMAND => VALUE";
		if (why) {
			snprintf(msg, sizeof(msg), "%s: %s", where, why);
			return sc_profile_error(ps, msg, text);
		}
	}
	return CLIENT_OK;
}

/* SCPI syntax unless [sim] syntax says otherwise: default with queries = scpi.
 * Settled at the first dialogue or property line (syntax may not follow). */
static void resolve_syntax(struct sim_profile *sp)
{
	if (sp->scpi >= 0)
		return;
	sp->scpi = 0;
	for (size_t i = 0; i < sp->base.noptions; i++)
		if (strcmp(sp->base.options[i].key, "queries") == 0 &&
		    strcmp(sp->base.options[i].value, "scpi") == 0)
			sp->scpi = 1;
}

static int on_line(void *ctx, const struct profile_parser *ps, const char *section, char *line)
{
	struct sim_profile *sp = ctx;
	char *key, *value;

	if (strcmp(section, "dialogue") == 0) {
		if (dialogue_line(ps, sp, line) != CLIENT_OK)
			return client_last_error();
		resolve_syntax(sp);
		return sp->scpi ? check_patterns(ps, "dialogue", sp->dialogue[sp->ndialogue - 1].query, 0)
				: CLIENT_OK;
	}
	if (sc_profile_split(line, &key, &value) != 0)
		return sc_profile_error(ps, "expected key = value", line);
	if (strcmp(section, "property") == 0) {
		struct sim_property *pr = &sp->props[sp->nprops - 1];
		int arrows = strcmp(key, "commands") == 0;

		if (property_key(ps, pr, key, value) != CLIENT_OK)
			return client_last_error();
		resolve_syntax(sp);
		if (sp->scpi && (arrows || strcmp(key, "get") == 0 || strcmp(key, "set") == 0))
			return check_patterns(ps, "pattern", value, arrows);
		return CLIENT_OK;
	}
	if (strcmp(section, "waveform") == 0)
		return waveform_key(ps, &sp->waves[sp->nwaves - 1], key, value);
	if (strcmp(section, "errors") == 0)
		return errors_key(ps, sp, key, value);
	return sim_key(ps, sp, key, value);
}

/* parts: 1 to 8 other properties, none with parts or a source itself. */
static int check_parts(const struct profile_parser *ps, const struct sim_profile *sp, size_t self)
{
	const struct sim_property *pr = &sp->props[self];
	char why[PROFILE_NAME_MAX + 40];
	size_t n = 0;

	snprintf(why, sizeof(why), "property %s: parts", pr->name);
	for (const char *p = pr->parts;; n++) {
		size_t len = strcspn(p, ","), j = 0;

		while (j < sp->nprops &&
		       (strlen(sp->props[j].name) != len || strncmp(sp->props[j].name, p, len)))
			j++;
		if (n == 8 || j == sp->nprops || j == self || sp->props[j].parts || sp->props[j].source)
			return sc_profile_error(ps, why,
						"must name 1 to 8 other properties, separated by ',', without"
						" parts or source");
		p += len;
		if (!*p)
			return CLIENT_OK;
		p++;
	}
}

/* Properties must be usable: a way to reach them and a starting value. */
static int on_finish(void *ctx, const struct profile_parser *ps)
{
	struct sim_profile *sp = ctx;
	char why[PROFILE_NAME_MAX + 40];

	resolve_syntax(sp);
	if (sp->scpi && sp->error_pattern[0] &&
	    check_patterns(ps, "[sim] error_query", sp->error_pattern, 0) != CLIENT_OK)
		return CLIENT_ERR_OPTION;
	for (size_t i = 0; i < sp->nprops; i++) {
		struct sim_property *pr = &sp->props[i];
		unsigned n = pr->per_channel && sp->channels ? sp->channels : 1;

		if (!pr->get && !pr->set && !pr->commands) {
			snprintf(why, sizeof(why), "property %s has neither get nor set", pr->name);
			return sc_profile_error(ps, why, NULL);
		}
		if (pr->source) {
			size_t j = 0;

			while (j < sp->nprops && strcmp(sp->props[j].name, pr->source))
				j++;
			if (j == sp->nprops || j == i || sp->props[j].source) {
				snprintf(why, sizeof(why), "property %s: source", pr->name);
				return sc_profile_error(ps, why,
							"must name another property (not one with a source)");
			}
		}
		if (pr->parts && check_parts(ps, sp, i) != CLIENT_OK)
			return CLIENT_ERR_OPTION;
		if (!pr->value && sc_profile_dup(ps, &pr->value, pr->valid ? "" : "0") != CLIENT_OK)
			return client_last_error();
		for (unsigned c = 0; c < n; c++)
			if (sc_profile_dup(ps, &pr->cur[c], pr->value) != CLIENT_OK)
				return client_last_error();
	}
	if (sp->unsolicited[0] && !sp->unsolicited_every_ms)
		sp->unsolicited_every_ms = 1000;
	return CLIENT_OK;
}

static int load(const char *name, int is_path, struct sim_profile *sp)
{
	const struct profile_extension ext = {
		.ctx = sp,
		.section = on_section,
		.line = on_line,
		.finish = on_finish,
	};
	int ret;

	memset(sp, 0, sizeof(*sp));
	snprintf(sp->mode, sizeof(sp->mode), "dialogue");
	sp->scpi = -1;
	ret = is_path ? sc_profile_load_file_ext(name, &sp->base, &ext)
		      : sc_profile_load_ext(name, &sp->base, &ext);
	if (ret != CLIENT_OK)
		sim_profile_free(sp);
	return ret;
}

int sim_profile_load(const char *name, struct sim_profile *sp)
{
	return load(name, 0, sp);
}

int sim_profile_load_file(const char *path, struct sim_profile *sp)
{
	return load(path, 1, sp);
}

void sim_profile_free(struct sim_profile *sp)
{
	for (size_t i = 0; i < sp->ndialogue; i++) {
		free(sp->dialogue[i].query);
		free(sp->dialogue[i].reply);
	}
	for (size_t i = 0; i < sp->nprops; i++) {
		struct sim_property *pr = &sp->props[i];

		free(pr->get);
		free(pr->set);
		free(pr->value);
		free(pr->valid);
		free(pr->error);
		free(pr->set_reply);
		free(pr->commands);
		free(pr->source);
		free(pr->parts);
		for (unsigned c = 0; c < SIM_CHANNELS_MAX; c++)
			free(pr->cur[c]);
	}
	for (size_t i = 0; i < sp->nwaves; i++) {
		free(sp->waves[i].get);
		free(sp->waves[i].prefix);
		free(sp->waves[i].ascii_get);
		free(sp->waves[i].set);
	}
	free(sp->dialogue);
	free(sp->props);
	free(sp->waves);
	sp->dialogue = NULL;
	sp->props = NULL;
	sp->waves = NULL;
	sp->ndialogue = sp->nprops = sp->nwaves = 0;
	sc_profile_free(&sp->base);
}
