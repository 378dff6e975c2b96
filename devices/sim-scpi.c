/* sim-scpi.c - answer commands as the profile describes: exact dialogue,
 * properties with getters, setters and limits, an error queue and the
 * IEEE 488.2 status registers. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim.h"

/* IEEE 488.2 event status register bits. */
#define ESR_EXE 0x10 /* execution error: a value out of range */
#define ESR_CME 0x20 /* command error: an unknown command */
/* Status byte bits. */
#define STB_EAV 0x04 /* error queue not empty (SCPI) */
#define STB_ESB 0x20 /* an enabled event happened */

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
		sim_reply_str(s, s->prof.base.error_none[0] ? s->prof.base.error_none : "0,\"No error\"");
		return;
	}
	sim_reply_str(s, s->errq[0]);
	free(s->errq[0]);
	memmove(s->errq, s->errq + 1, (size_t)(s->nerr - 1) * sizeof(s->errq[0]));
	s->nerr--;
}

void sim_scpi_free(struct sim *s)
{
	for (int i = 0; i < s->nerr; i++)
		free(s->errq[i]);
	s->nerr = 0;
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

static void get_property(struct sim *s, const struct sim_property *pr)
{
	char buf[128];
	char *end;
	double v;

	if (pr->valid) {
		sim_reply_str(s, pr->value);
		return;
	}
	v = strtod(pr->value, &end);
	if (pr->noise)
		v += pr->noise * noise_unit(s);
	format_number(pr, v, buf, sizeof(buf));
	sim_reply_str(s, buf);
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
		sim_reply_str(s, error);
}

static void set_property(struct sim *s, struct sim_property *pr, const char *value)
{
	char buf[128], *copy;

	if (pr->valid) {
		if (!word_in(value, pr->valid)) {
			refuse(s, pr->error, ESR_EXE);
			return;
		}
		snprintf(buf, sizeof(buf), "%s", value);
		for (char *p = buf; *p; p++)
			*p = (char)toupper((unsigned char)*p);
	} else {
		char *end;
		double v = strtod(value, &end);

		while (isspace((unsigned char)*end))
			end++;
		if (end == value || *end || (pr->has_min && v < pr->min) || (pr->has_max && v > pr->max)) {
			refuse(s, pr->error, ESR_EXE);
			return;
		}
		format_number(pr, v, buf, sizeof(buf));
	}
	copy = strdup(buf);
	if (!copy)
		return;
	free(pr->value);
	pr->value = copy;
	if (pr->set_reply)
		sim_reply_str(s, pr->set_reply);
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
		sim_reply_str(s, buf);
		return 1;
	}
	if (strcasecmp(line, "*STB?") == 0) {
		snprintf(buf, sizeof(buf), "%u",
			 (unsigned)((s->nerr ? STB_EAV : 0) | (s->esr ? STB_ESB : 0)));
		sim_reply_str(s, buf);
		return 1;
	}
	return 0;
}

void sim_scpi_answer(struct sim *s, const char *line)
{
	struct sim_profile *p = &s->prof;

	for (size_t i = 0; i < p->ndialogue; i++) {
		if (strcasecmp(line, p->dialogue[i].query) == 0) {
			if (p->dialogue[i].reply)
				sim_reply_str(s, p->dialogue[i].reply);
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
			get_property(s, pr);
			return;
		}
		if (pr->set && (v = setter_value(line, pr->set))) {
			set_property(s, pr, v);
			return;
		}
	}
	s->esr |= ESR_CME;
	push_error(s, p->base.error_query[0] ? p->error_unknown : NULL);
	if (p->has_unknown_reply)
		sim_reply_str(s, p->unknown_reply);
}
