/* SPDX-License-Identifier: MIT */
/* sim-profile.c - the simulator's sections of a device profile, read through
 * the library's profile parser (a struct profile_extension): the library
 * knows their names and skips them; only the simulator parses them, so none
 * of this is in libserialcmd. Every error names the file, line and reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sim-profile.h"

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
	if (strcmp(key, "min") && strcmp(key, "max") && strcmp(key, "noise") && strcmp(key, "digits"))
		return sc_profile_error(ps,
					"unknown property key (get, set, default, min, max, valid, noise,"
					" digits, notation, error, set_reply)",
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
	if (strcmp(key, "echo_off") == 0)
		return sc_profile_copy(ps, sp->echo_off, sizeof(sp->echo_off), value);
	if (strcmp(key, "echo_on") == 0)
		return sc_profile_copy(ps, sp->echo_on, sizeof(sp->echo_on), value);
	return sc_profile_error(ps,
				"unknown key in [sim] (mode, delay_ms, unsolicited, unsolicited_every_ms,"
				" echo_off, echo_on)",
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

static int on_line(void *ctx, const struct profile_parser *ps, const char *section, char *line)
{
	struct sim_profile *sp = ctx;
	char *key, *value;

	if (strcmp(section, "dialogue") == 0)
		return dialogue_line(ps, sp, line);
	if (sc_profile_split(line, &key, &value) != 0)
		return sc_profile_error(ps, "expected key = value", line);
	if (strcmp(section, "property") == 0)
		return property_key(ps, &sp->props[sp->nprops - 1], key, value);
	if (strcmp(section, "waveform") == 0)
		return waveform_key(ps, &sp->waves[sp->nwaves - 1], key, value);
	if (strcmp(section, "errors") == 0)
		return errors_key(ps, sp, key, value);
	return sim_key(ps, sp, key, value);
}

/* Properties must be usable: a way to reach them and a starting value. */
static int on_finish(void *ctx, const struct profile_parser *ps)
{
	struct sim_profile *sp = ctx;
	char why[PROFILE_NAME_MAX + 40];

	for (size_t i = 0; i < sp->nprops; i++) {
		struct sim_property *pr = &sp->props[i];

		if (!pr->get && !pr->set) {
			snprintf(why, sizeof(why), "property %s has neither get nor set", pr->name);
			return sc_profile_error(ps, why, NULL);
		}
		if (!pr->value && sc_profile_dup(ps, &pr->value, pr->valid ? "" : "0") != CLIENT_OK)
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
