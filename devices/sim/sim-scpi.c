/* SPDX-License-Identifier: MIT */
/* sim-scpi.c - answer commands as the profile describes: dialogue,
 * properties with getters, setters and limits, an error queue and the
 * IEEE 488.2 status registers. With SCPI syntax (the default for a profile
 * with queries = scpi) a line is a SCPI message: commands separated by ';',
 * each header matched against the profile's patterns (short and long forms,
 * [optional] nodes, [<n>] suffixes) after SCPI-99's path rules, common
 * commands anywhere, the replies joined with ';' in one line. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim.h"

/* IEEE 488.2 event status register bits. */
#define ESR_OPC 0x01 /* operation complete (*OPC) */
#define ESR_EXE 0x10 /* execution error: a value out of range */
#define ESR_CME 0x20 /* command error: an unknown command */
/* Status byte bits. */
#define STB_EAV 0x04 /* error queue not empty (SCPI) */
#define STB_ESB 0x20 /* an enabled event happened */
#define STB_MSS 0x40 /* master summary: an enabled status bit is set */

/* Longest header, with the path it continues. */
#define HEADER_MAX 512

/* One reply of the message being answered: joined with ';' to the others. */
static void answer(struct sim *s, const char *text)
{
	size_t n = strlen(text), need = s->out_len + n + 1;

	if (need > s->out_cap) {
		size_t cap = need * 2;
		char *p = realloc(s->out, cap);

		if (!p)
			return;
		s->out = p;
		s->out_cap = cap;
	}
	if (s->out_n++)
		s->out[s->out_len++] = ';';
	memcpy(s->out + s->out_len, text, n);
	s->out_len += n;
}

/* Send the message's replies, if any, as one line. */
static void flush_answers(struct sim *s)
{
	if (s->out_n)
		sim_reply(s, s->out, s->out_len);
	s->out_len = 0;
	s->out_n = 0;
}

static void push_error(struct sim *s, const char *text)
{
	char *copy;

	if (!text || !*text)
		return;
	if (s->nerr == SIM_ERRQ_MAX) {
		/* SCPI: a full queue's last entry becomes "Queue overflow". */
		free(s->errq[SIM_ERRQ_MAX - 1]);
		s->errq[SIM_ERRQ_MAX - 1] = strdup("-350,\"Queue overflow\"");
		return;
	}
	copy = strdup(text);
	if (copy)
		s->errq[s->nerr++] = copy;
}

static void pop_error(struct sim *s)
{
	if (s->nerr == 0) {
		answer(s, s->prof.base.error_none[0] ? s->prof.base.error_none : "0,\"No error\"");
		return;
	}
	answer(s, s->errq[0]);
	free(s->errq[0]);
	memmove(s->errq, s->errq + 1, (size_t)(s->nerr - 1) * sizeof(s->errq[0]));
	s->nerr--;
}

void sim_scpi_free(struct sim *s)
{
	for (int i = 0; i < s->nerr; i++)
		free(s->errq[i]);
	s->nerr = 0;
	free(s->out);
	s->out = NULL;
	s->out_len = s->out_cap = 0;
	s->out_n = 0;
}

/* Uniform noise in [-1, 1) from a small xorshift generator. */
static double noise_unit(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return (double)(s->rng >> 11) / (double)(1ull << 52) - 1.0;
}

static void format_number(const struct sim_property *pr, double v, char *out, size_t size)
{
	int digits = pr->digits >= 0 ? pr->digits : 6;

	if (pr->sci)
		snprintf(out, size, "%+.*E", digits, v);
	else
		snprintf(out, size, "%.*f", digits, v);
}

/* Answer a property's value; value is the channel's slot (cur[n]). */
static void format_value(struct sim *s, const struct sim_property *pr, const char *value, char *buf,
			 size_t size)
{
	char *end;
	double v;

	if (pr->valid) {
		snprintf(buf, size, "%s", value);
		return;
	}
	v = strtod(value, &end);
	if (pr->noise)
		v += pr->noise * noise_unit(s);
	format_number(pr, v, buf, size);
}

static void get_property(struct sim *s, const struct sim_property *pr, const char *value)
{
	char buf[128];

	format_value(s, pr, value, buf, sizeof(buf));
	answer(s, buf);
}

/* Is word one of the comma-separated words in list (case-insensitive)? */
static int word_in(const char *word, const char *list)
{
	size_t n = strlen(word);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && strncasecmp(p, word, n) == 0)
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Refused: queue the error if the profile has a queue, else answer it. */
static void refuse(struct sim *s, const char *error, unsigned esr_bit)
{
	s->esr |= esr_bit;
	if (s->prof.base.error_query[0])
		push_error(s, error);
	else if (error && *error)
		answer(s, error);
}

/* SCPI's numeric keywords: MIN and MAX where the profile gives the limit,
 * DEF its default. 1 with the number in *v, else 0. */
static int keyword_value(const struct sim_property *pr, const char *value, double *v)
{
	if (pr->has_min && (strcasecmp(value, "MIN") == 0 || strcasecmp(value, "MINimum") == 0))
		*v = pr->min;
	else if (pr->has_max && (strcasecmp(value, "MAX") == 0 || strcasecmp(value, "MAXimum") == 0))
		*v = pr->max;
	else if (strcasecmp(value, "DEF") == 0 || strcasecmp(value, "DEFault") == 0)
		*v = strtod(pr->value, NULL);
	else
		return 0;
	return 1;
}

/* A value for pr, as it will be kept, in buf; -1 if pr refuses it. */
static int accept_value(const struct sim_property *pr, const char *value, char *buf, size_t size)
{
	if (pr->valid) {
		if (!word_in(value, pr->valid))
			return -1;
		if (pr->boolean)
			snprintf(buf, size, "%d", strcmp(value, "1") == 0 || strcasecmp(value, "ON") == 0);
		else
			snprintf(buf, size, "%s", value);
		for (char *p = buf; *p; p++)
			*p = (char)toupper((unsigned char)*p);
	} else {
		char *end;
		double v = strtod(value, &end);
		int kw = keyword_value(pr, value, &v);

		while (isspace((unsigned char)*end))
			end++;
		if ((!kw && (end == value || *end)) || (pr->has_min && v < pr->min) ||
		    (pr->has_max && v > pr->max))
			return -1;
		format_number(pr, v, buf, size);
	}
	return 0;
}

static void store(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (copy) {
		free(*slot);
		*slot = copy;
	}
}

/* Set a property's value in slot (cur[n]) after checking it. */
static void set_property(struct sim *s, const struct sim_property *pr, char **slot, const char *value)
{
	char buf[128];

	if (accept_value(pr, value, buf, sizeof(buf)) != 0) {
		refuse(s, pr->error, ESR_EXE);
		return;
	}
	store(slot, buf);
	if (pr->set_reply)
		answer(s, pr->set_reply);
}

/* The value after a setter's word: "VOLT 5" with set "VOLT" gives "5";
 * ":OUTP CH1,ON" with set ":OUTP CH1," gives "ON". */
static const char *setter_value(const char *line, const char *set)
{
	size_t n = strlen(set);
	const char *v;

	if (strncasecmp(line, set, n) != 0)
		return NULL;
	if (set[n - 1] != ',' && set[n - 1] != ' ' && line[n] != ' ')
		return NULL;
	v = line + n;
	while (*v == ' ')
		v++;
	return *v ? v : NULL;
}

static int answer_registers(struct sim *s, const char *line)
{
	char buf[16];

	if (strcasecmp(line, "*CLS") == 0) {
		sim_scpi_free(s);
		s->esr = 0;
		return 1;
	}
	if (strcasecmp(line, "*ESR?") == 0) {
		snprintf(buf, sizeof(buf), "%u", s->esr);
		s->esr = 0;
		answer(s, buf);
		return 1;
	}
	if (strcasecmp(line, "*STB?") == 0) {
		snprintf(buf, sizeof(buf), "%u",
			 (unsigned)((s->nerr ? STB_EAV : 0) | (s->esr ? STB_ESB : 0)));
		answer(s, buf);
		return 1;
	}
	return 0;
}

/* [sim] syntax = exact: the line as a whole, matched exactly (any case). */
static void answer_exact(struct sim *s, const char *line)
{
	struct sim_profile *p = &s->prof;

	for (size_t i = 0; i < p->ndialogue; i++) {
		if (strcasecmp(line, p->dialogue[i].query) == 0) {
			if (p->dialogue[i].reply)
				answer(s, p->dialogue[i].reply);
			return;
		}
	}
	if (p->base.error_query[0] && strcasecmp(line, p->base.error_query) == 0) {
		pop_error(s);
		return;
	}
	if (p->base.error_query[0] && answer_registers(s, line))
		return;
	for (size_t i = 0; i < p->nprops; i++) {
		struct sim_property *pr = &p->props[i];
		const char *v;

		if (pr->get && strcasecmp(line, pr->get) == 0) {
			get_property(s, pr, pr->cur[0]);
			return;
		}
		if (pr->set && (v = setter_value(line, pr->set))) {
			set_property(s, pr, &pr->cur[0], v);
			return;
		}
	}
	s->esr |= ESR_CME;
	push_error(s, p->base.error_query[0] ? p->error_unknown : NULL);
	if (p->has_unknown_reply)
		answer(s, p->unknown_reply);
}

/* One command of a SCPI message. */
struct unit {
	char header[HEADER_MAX]; /* absolute, without '?': ":SENS:VOLT:RANG", ":*RST" */
	int query;
	int common;	    /* an IEEE 488.2 common command (*RST) */
	const char *params; /* trimmed, "" if none */
};

/* Does params start with pat (plen bytes; any case; "<n>" takes a number,
 * stored in *suffix; "<any>" takes the rest, if any)? What follows it, or
 * NULL. */
static const char *params_prefix(const char *pat, size_t plen, const char *params, long *suffix)
{
	size_t i = 0;

	while (i < plen) {
		if (plen - i >= 5 && memcmp(pat + i, "<any>", 5) == 0)
			return params + strlen(params);
		if (plen - i >= 3 && memcmp(pat + i, "<n>", 3) == 0) {
			long v = 0;

			if (!isdigit((unsigned char)*params))
				return NULL;
			while (isdigit((unsigned char)*params) && v < 1000)
				v = v * 10 + (*params++ - '0');
			*suffix = v;
			i += 3;
			continue;
		}
		if (tolower((unsigned char)pat[i]) != tolower((unsigned char)*params))
			return NULL;
		i++;
		params++;
	}
	return params;
}

/* Does u fit one of the '|'-separated "HEADER[?] [PARAMETERS]" of pats?
 * A getter's (setter 0) parameters must be all of u's; a setter's are a
 * prefix of them, and *value is the rest (never empty). *suffix: a channel
 * number the header or the parameters name, else left alone. */
static int fits(const char *pats, const struct unit *u, int setter, long *suffix, const char **value)
{
	struct sim_alt a;

	for (const char *p = pats; sim_pattern_next(&p, &a);) {
		const char *rest;
		long suf = *suffix;
		int query = a.head_len && a.head[a.head_len - 1] == '?';

		if (query == u->query &&
		    sim_pattern_match(a.head, a.head_len - (size_t)query, u->header, &suf) &&
		    (rest = params_prefix(a.params, a.params_len, u->params, &suf))) {
			while (isspace((unsigned char)*rest))
				rest++;
			if (setter ? *rest != '\0' : *rest == '\0') {
				*suffix = suf;
				if (value)
					*value = rest;
				return 1;
			}
		}
	}
	return 0;
}

/* The slot of pr's value for channel ch (-1: the selected channel); NULL
 * if ch is not one of the instrument's channels. */
static char **slot(struct sim *s, struct sim_property *pr, long ch)
{
	if (!pr->per_channel || !s->prof.channels)
		return &pr->cur[0];
	if (ch < 0)
		ch = s->channel;
	if (ch < 1 || ch > (long)s->prof.channels)
		return NULL;
	return &pr->cur[ch - 1];
}

/* The slot a property with a source reads: its source's, same channel. */
static char **source_slot(struct sim *s, const struct sim_property *pr, long ch)
{
	for (size_t i = 0; i < s->prof.nprops; i++)
		if (strcmp(s->prof.props[i].name, pr->source) == 0)
			return slot(s, &s->prof.props[i], ch);
	return NULL;
}

static unsigned status_byte(const struct sim *s)
{
	unsigned stb = (s->nerr ? STB_EAV : 0) | (s->esr & ~s->ese_off & 0xFF ? STB_ESB : 0);

	return stb | (stb & s->sre & ~STB_MSS ? STB_MSS : 0);
}

/* *RST: every property back to its default, channel 1. */
static void reset(struct sim *s)
{
	for (size_t i = 0; i < s->prof.nprops; i++) {
		struct sim_property *pr = &s->prof.props[i];

		for (unsigned c = 0; c < SIM_CHANNELS_MAX && pr->cur[c]; c++) {
			char *copy = strdup(pr->value);

			if (copy) {
				free(pr->cur[c]);
				pr->cur[c] = copy;
			}
		}
	}
	s->channel = 1;
}

/* A register value for *ESE and *SRE: 0 to 255. -1 if not one. */
static long register_value(const char *text)
{
	char *end;
	double v = strtod(text, &end);

	while (isspace((unsigned char)*end))
		end++;
	if (end == text || *end || v < 0 || v > 255)
		return -1;
	return (long)(v + 0.5);
}

/* The common commands the simulator implements itself. The profile's
 * dialogue may give the reply instead (reply != NULL): its *IDN?, say.
 * 1 if done, 0 if not one of them, -1 if its parameter is wrong. */
static int common(struct sim *s, const struct unit *u, const char *reply)
{
	const char *h = u->header + 2; /* past ":*" */
	char buf[16] = "";
	long v = 0;

	if (strcasecmp(h, "CLS") == 0 && !u->query) {
		sim_scpi_free(s);
		s->esr = 0;
	} else if (strcasecmp(h, "RST") == 0 && !u->query) {
		reset(s);
	} else if (strcasecmp(h, "OPC") == 0) {
		if (u->query)
			snprintf(buf, sizeof(buf), "1");
		else
			s->esr |= ESR_OPC;
	} else if (strcasecmp(h, "WAI") == 0 && !u->query) {
		/* nothing pending: the simulator finishes each command at once */
	} else if (strcasecmp(h, "TST") == 0 && u->query) {
		snprintf(buf, sizeof(buf), "0");
	} else if (strcasecmp(h, "ESR") == 0 && u->query) {
		snprintf(buf, sizeof(buf), "%u", s->esr);
		s->esr = 0;
	} else if (strcasecmp(h, "STB") == 0 && u->query) {
		snprintf(buf, sizeof(buf), "%u", status_byte(s));
	} else if (strcasecmp(h, "ESE") == 0 || strcasecmp(h, "SRE") == 0) {
		int ese = toupper((unsigned char)h[0]) == 'E';

		if (u->query) {
			snprintf(buf, sizeof(buf), "%u", ese ? ~s->ese_off & 0xFF : s->sre);
		} else if ((v = register_value(u->params)) < 0) {
			return -1;
		} else if (ese) {
			s->ese_off = ~(unsigned)v & 0xFF;
		} else {
			s->sre = (unsigned)v;
		}
	} else {
		return 0;
	}
	if (reply)
		answer(s, reply);
	else if (buf[0])
		answer(s, buf);
	return 1;
}

/* :INSTrument:NSELect n and :INSTrument[:SELect] CHn, with their queries,
 * for a profile with channels. 1 if u was one of them. */
static int instrument(struct sim *s, const struct unit *u)
{
	long ch = -1;
	const char *v = NULL;
	char buf[16];

	if (fits(":INSTrument:NSELect?", u, 0, &ch, NULL)) {
		snprintf(buf, sizeof(buf), "%u", s->channel);
	} else if (fits(":INSTrument[:SELect]?", u, 0, &ch, NULL)) {
		snprintf(buf, sizeof(buf), "CH%u", s->channel);
	} else if (fits(":INSTrument:NSELect", u, 1, &ch, &v) ||
		   fits(":INSTrument[:SELect] CH", u, 1, &ch, &v)) {
		char *end;
		long n = strtol(v, &end, 10);

		if (end == v || *end || n < 1 || n > (long)s->prof.channels)
			refuse(s, "-224,\"Illegal parameter value\"", ESR_EXE);
		else
			s->channel = (unsigned)n;
		return 1;
	} else {
		return 0;
	}
	answer(s, buf);
	return 1;
}

/* A property's parameterless commands: "CMD => VALUE | ...". */
static int property_command(struct sim *s, struct sim_property *pr, const struct unit *u)
{
	char pat[HEADER_MAX], val[HEADER_MAX];

	for (const char *p = pr->commands; *p;) {
		size_t len = strcspn(p, "|");
		const char *arrow = strstr(p, "=>");
		long ch = -1;

		if (arrow && arrow < p + len && (size_t)(arrow - p) < sizeof(pat) &&
		    (size_t)(p + len - arrow) < sizeof(val)) {
			snprintf(pat, sizeof(pat), "%.*s", (int)(arrow - p), p);
			snprintf(val, sizeof(val), "%.*s", (int)(p + len - arrow - 2), arrow + 2);
			if (fits(pat, u, 0, &ch, NULL)) {
				char **sl = slot(s, pr, ch), *copy, *v = val, *e = val + strlen(val);

				while (isspace((unsigned char)*v))
					v++;
				while (e > v && isspace((unsigned char)e[-1]))
					*--e = '\0';
				if (!sl) {
					refuse(s, "-114,\"Header suffix out of range\"", ESR_CME);
				} else if ((copy = strdup(v))) {
					free(*sl);
					*sl = copy;
				}
				return 1;
			}
		}
		p += len;
		if (*p == '|')
			p++;
	}
	return 0;
}

/* A property with parts (a supply's :APPLy): the named properties' values,
 * same channel, joined with ','. get answers them all; set takes one to all
 * of them in order, each checked by its own limits, none stored unless all
 * are accepted. */
static struct sim_property *find_property(struct sim *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->prof.nprops; i++)
		if (strlen(s->prof.props[i].name) == len && strncmp(s->prof.props[i].name, name, len) == 0)
			return &s->prof.props[i];
	return NULL;
}

static void answer_parts(struct sim *s, const struct sim_property *pr, const char *value, long ch)
{
	char out[PROFILE_TEXT_MAX * 2] = "", buf[128], vals[8][128];
	char **slots[8];
	size_t n = 0, have = 0;
	const char *p = pr->parts, *v = value;

	for (; *p && n < 8; n++) {
		size_t len = strcspn(p, ",");
		struct sim_property *part = find_property(s, p, len);

		slots[n] = part ? slot(s, part, ch) : NULL;
		if (!slots[n]) {
			refuse(s, "-114,\"Header suffix out of range\"", ESR_CME);
			return;
		}
		if (!value) {
			format_value(s, part, *slots[n], buf, sizeof(buf));
			if (strlen(out) + strlen(buf) + 2 < sizeof(out))
				snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", n ? "," : "",
					 buf);
		} else if (v) {
			size_t vl = strcspn(v, ",");

			snprintf(buf, sizeof(buf), "%.*s", (int)vl, v);
			if (accept_value(part, buf, vals[n], sizeof(vals[n])) != 0) {
				refuse(s, part->error, ESR_EXE);
				return;
			}
			have = n + 1;
			v = v[vl] == ',' ? v + vl + 1 : NULL;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (!value) {
		answer(s, out);
		return;
	}
	if (v) { /* more values than parts */
		refuse(s, "-108,\"Parameter not allowed\"", ESR_CME);
		return;
	}
	for (size_t i = 0; i < have; i++)
		store(slots[i], vals[i]);
}

/* Execute one command. 0 if it is unknown (a command error). */
static int execute(struct sim *s, const struct unit *u)
{
	struct sim_profile *p = &s->prof;
	const char *reply = NULL;
	int known = 0, r;
	long ch = -1;

	for (size_t i = 0; i < p->ndialogue && !known; i++) {
		if (fits(p->dialogue[i].query, u, 0, &ch, NULL)) {
			known = 1;
			reply = p->dialogue[i].reply;
		}
	}
	if (u->common && (r = common(s, u, reply)) != 0) {
		if (r < 0)
			refuse(s, "-224,\"Illegal parameter value\"", ESR_EXE);
		return 1;
	}
	if (known) {
		if (reply)
			answer(s, reply);
		return 1;
	}
	if ((p->base.error_query[0] && fits(p->base.error_query, u, 0, &ch, NULL)) ||
	    (p->error_pattern[0] && fits(p->error_pattern, u, 0, &ch, NULL))) {
		pop_error(s);
		return 1;
	}
	if (p->channels && instrument(s, u))
		return 1;
	for (size_t i = 0; i < p->nprops; i++) {
		struct sim_property *pr = &p->props[i];
		const char *v = NULL;
		char **sl;

		ch = -1;
		if (pr->commands && property_command(s, pr, u))
			return 1;
		if (!(pr->get && fits(pr->get, u, 0, &ch, NULL)) &&
		    !(pr->set && fits(pr->set, u, 1, &ch, &v)))
			continue;
		if (pr->parts) {
			answer_parts(s, pr, v, ch);
			return 1;
		}
		sl = slot(s, pr, ch);
		if (sl && !v && pr->source)
			sl = source_slot(s, pr, ch);
		if (!sl)
			refuse(s, "-114,\"Header suffix out of range\"", ESR_CME);
		else if (v)
			set_property(s, pr, sl, v);
		else
			get_property(s, pr, *sl);
		return 1;
	}
	return 0;
}

/* Split off the next command of a message at *pos: up to a ';' outside
 * quoted strings. Its text (trimmed) in buf; 0 at the end. */
static int next_command(const char **pos, char *buf, size_t size)
{
	const char *p = *pos, *start;
	char quote = 0;
	size_t n;

	if (!*p)
		return 0;
	start = p;
	for (; *p && (quote || *p != ';'); p++) {
		if (quote && *p == quote)
			quote = 0;
		else if (!quote && (*p == '"' || *p == '\''))
			quote = *p;
	}
	*pos = *p ? p + 1 : p;
	while (start < p && isspace((unsigned char)*start))
		start++;
	while (p > start && isspace((unsigned char)p[-1]))
		p--;
	n = (size_t)(p - start) < size ? (size_t)(p - start) : size - 1;
	memcpy(buf, start, n);
	buf[n] = '\0';
	return 1;
}

/* Parse one command's text into u after SCPI-99's path rules: a header
 * starting with ':' starts at the root, one without continues the path of
 * the command before it (path: that header up to its last node); common
 * commands neither use nor change the path. 0 if it is no header at all. */
static int parse_command(char *text, char *path, struct unit *u)
{
	char *params = text + strcspn(text, " \t");
	char *h = text;
	size_t hlen, plen;

	if (*params) {
		*params++ = '\0';
		while (isspace((unsigned char)*params))
			params++;
	}
	u->params = params;
	hlen = strlen(h);
	u->query = hlen && h[hlen - 1] == '?';
	if (u->query)
		h[--hlen] = '\0';
	if (!hlen)
		return 0;
	/* ":*CLS": a colon before a common command is tolerated (PyMeasure's
	 * Keithley2000.reset() sends one). */
	u->common = h[0] == '*' || (h[0] == ':' && h[1] == '*');
	if (u->common) {
		h += h[0] == ':';
		hlen = strlen(h);
		if (hlen + 2 > sizeof(u->header))
			return 0;
		u->header[0] = ':';
		memcpy(u->header + 1, h, hlen + 1);
		return 1;
	}
	plen = h[0] == ':' ? 0 : strlen(path) + 1;
	if (plen + hlen + 1 > sizeof(u->header))
		return 0; /* too long for any pattern */
	if (plen) {
		memcpy(u->header, path, plen - 1);
		u->header[plen - 1] = ':';
	}
	memcpy(u->header + plen, h, hlen + 1);
	memcpy(path, u->header, plen + hlen + 1);
	*strrchr(path, ':') = '\0';
	return 1;
}

static void answer_scpi(struct sim *s, const char *line)
{
	char path[HEADER_MAX] = "", text[HEADER_MAX * 2];
	const char *pos = line;
	struct unit u;

	if (!s->channel)
		s->channel = 1;
	while (next_command(&pos, text, sizeof(text))) {
		if (!text[0])
			continue; /* an empty command: "*CLS;;*RST", or a final ';' */
		if (!parse_command(text, path, &u) || !execute(s, &u)) {
			/* A command error ends the message: the rest is not run. */
			s->esr |= ESR_CME;
			push_error(s, s->prof.base.error_query[0] ? s->prof.error_unknown : NULL);
			if (s->prof.has_unknown_reply)
				answer(s, s->prof.unknown_reply);
			break;
		}
	}
}

void sim_scpi_answer(struct sim *s, const char *line)
{
	if (s->prof.scpi)
		answer_scpi(s, line);
	else
		answer_exact(s, line);
	flush_answers(s);
}
