/* profile.c - device profiles: a small line format parsed with no extra
 * dependency; every error names the file, the line and the reason. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "profile.h"

#ifndef SERIALCMD_DATADIR
#define SERIALCMD_DATADIR "/usr/local/share/serialcmd"
#endif

#define LINE_MAX_BYTES 1024
#define MAX_ENTRIES 4096

enum section { SEC_TOP, SEC_DIALOGUE, SEC_PROPERTY, SEC_ERRORS, SEC_SIM, SEC_WAVEFORM };

struct parser {
	struct profile *p;
	const char *path;
	int line;
	enum section sec;
};

static int perr(struct parser *ps, const char *why, const char *what)
{
	return err_set(CLIENT_ERR_OPTION, "profile %s, line %d: %s%s%s", ps->path, ps->line, why,
		       what ? ": " : "", what ? what : "");
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int copy_text(struct parser *ps, char *dst, size_t size, const char *src)
{
	if (strlen(src) >= size)
		return perr(ps, "value too long", src);
	strcpy(dst, src);
	return CLIENT_OK;
}

static int dup_text(struct parser *ps, char **dst, const char *src)
{
	char *d = strdup(src);

	if (!d)
		return err_set(CLIENT_ERR_NOMEM, "profile %s: out of memory", ps->path);
	free(*dst);
	*dst = d;
	return CLIENT_OK;
}

/* Grow an array by one element, zeroed; bounded so a hostile file cannot
 * take unbounded memory. */
static void *grow(struct parser *ps, void *array, size_t *count, size_t elem)
{
	char *p;

	if (*count >= MAX_ENTRIES) {
		perr(ps, "too many entries", NULL);
		return NULL;
	}
	p = realloc(array, (*count + 1) * elem);
	if (!p) {
		err_set(CLIENT_ERR_NOMEM, "profile %s: out of memory", ps->path);
		return NULL;
	}
	memset(p + *count * elem, 0, elem);
	(*count)++;
	return p;
}

static int parse_number(const char *v, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	return errno || end == v || *trim(end) ? -1 : 0;
}

static int top_key(struct parser *ps, const char *key, const char *value)
{
	struct profile *p = ps->p;
	const struct option_def *o;
	/* Options are parsed here only to check them: the spec parser applies
	 * them, in order, later. */
	struct client_config scratch;
	char accepted[512];

	if (strcmp(key, "name") == 0)
		return copy_text(ps, p->name, sizeof(p->name), value);
	if (strcmp(key, "description") == 0)
		return copy_text(ps, p->description, sizeof(p->description), value);
	if (strcmp(key, "identify") == 0)
		return copy_text(ps, p->identify, sizeof(p->identify), value);
	if (strcmp(key, "identify_match") == 0)
		return copy_text(ps, p->identify_match, sizeof(p->identify_match), value);
	if (strcmp(key, "usb_manufacturer") == 0)
		return copy_text(ps, p->usb_manufacturer, sizeof(p->usb_manufacturer), value);
	if (strcmp(key, "usb_product") == 0)
		return copy_text(ps, p->usb_product, sizeof(p->usb_product), value);
	if (strcmp(key, "usb_interface") == 0) {
		char *end;
		long n = strtol(value, &end, 10);

		if (*end || n < 0 || n > 255)
			return perr(ps, "usb_interface must be 0 to 255", value);
		p->usb_interface = (int)n;
		return CLIENT_OK;
	}
	if (strcmp(key, "usb") == 0) {
		unsigned vid, pid;
		char tail;

		if (sscanf(value, "%4x:%4x%c", &vid, &pid, &tail) != 2 || strlen(value) != 9)
			return perr(ps, "usb must be VID:PID in 4-digit hex, e.g. 0403:6001", value);
		if (p->nusb >= PROFILE_MAX_USB)
			return perr(ps, "too many usb ids", value);
		p->usb[p->nusb].vid = vid;
		p->usb[p->nusb++].pid = pid;
		return CLIENT_OK;
	}
	if (strcmp(key, "profile") == 0 || strcmp(key, "port") == 0)
		return perr(ps, "a profile cannot set", key);
	/* Everything else is a spec option, checked as the spec would. */
	o = option_find(key);
	if (!o || o->type == OPTION_PROFILE || option_parse(o, &scratch, value) != 0)
		return err_set(CLIENT_ERR_OPTION, "profile %s, line %d: bad %s '%s' (accepted: %s)", ps->path,
			       ps->line, key, value,
			       o ? option_accepted(o, accepted, sizeof(accepted))
				 : option_profile_keys(accepted, sizeof(accepted)));
	{
		struct profile_option *po = grow(ps, p->options, &p->noptions, sizeof(*po));

		if (!po)
			return client_last_error();
		p->options = po;
		po += p->noptions - 1;
		snprintf(po->key, sizeof(po->key), "%s", key);
		po->line = ps->line;
		return copy_text(ps, po->value, sizeof(po->value), value);
	}
}

static int property_key(struct parser *ps, const char *key, const char *value)
{
	struct profile_property *pr = &ps->p->props[ps->p->nprops - 1];
	double d;

	if (strcmp(key, "get") == 0)
		return dup_text(ps, &pr->get, value);
	if (strcmp(key, "set") == 0)
		return dup_text(ps, &pr->set, value);
	if (strcmp(key, "default") == 0)
		return dup_text(ps, &pr->value, value);
	if (strcmp(key, "valid") == 0)
		return dup_text(ps, &pr->valid, value);
	if (strcmp(key, "error") == 0)
		return dup_text(ps, &pr->error, value);
	if (strcmp(key, "set_reply") == 0)
		return dup_text(ps, &pr->set_reply, value);
	if (strcmp(key, "notation") == 0) {
		if (strcmp(value, "fixed") && strcmp(value, "sci"))
			return perr(ps, "notation must be fixed or sci", value);
		pr->sci = value[0] == 's';
		return CLIENT_OK;
	}
	if (strcmp(key, "min") && strcmp(key, "max") && strcmp(key, "noise") && strcmp(key, "digits"))
		return perr(ps,
			    "unknown property key (get, set, default, min, max, valid, noise, digits,"
			    " notation, error, set_reply)",
			    key);
	if (parse_number(value, &d) != 0)
		return perr(ps, "not a number", value);
	if (key[0] == 'd') {
		if (d < 0 || d > 15 || d != (int)d)
			return perr(ps, "digits must be 0 to 15", value);
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

static int waveform_key(struct parser *ps, const char *key, const char *value)
{
	struct profile_waveform *w = &ps->p->waves[ps->p->nwaves - 1];
	double d;

	if (strcmp(key, "get") == 0)
		return dup_text(ps, &w->get, value);
	if (strcmp(key, "prefix") == 0)
		return dup_text(ps, &w->prefix, value);
	if (strcmp(key, "ascii_get") == 0)
		return dup_text(ps, &w->ascii_get, value);
	if (strcmp(key, "set") == 0)
		return dup_text(ps, &w->set, value);
	if (strcmp(key, "datatype") == 0) {
		if (strlen(value) != 1 || !strchr("bBhHiIfd", value[0]))
			return perr(ps, "datatype must be one of b B h H i I f d", value);
		w->datatype = value[0];
		return CLIENT_OK;
	}
	if (strcmp(key, "endian") == 0) {
		if (strcmp(value, "little") && strcmp(value, "big"))
			return perr(ps, "endian must be little or big", value);
		w->big_endian = value[0] == 'b';
		return CLIENT_OK;
	}
	if (strcmp(key, "points") && strcmp(key, "amplitude"))
		return perr(ps,
			    "unknown waveform key (get, prefix, ascii_get, set, points, datatype, endian,"
			    " amplitude)",
			    key);
	if (parse_number(value, &d) != 0)
		return perr(ps, "not a number", value);
	if (key[0] == 'p') {
		if (d < 1 || d > 50000000 || d != (unsigned)d)
			return perr(ps, "points must be 1 to 50000000", value);
		w->points = (unsigned)d;
	} else {
		w->amplitude = d;
	}
	return CLIENT_OK;
}

/* What a spec accepts for error_query / error_none: checked here, so a
 * profile that loads also applies, and a bad one is refused with its line. */
static int spec_text(struct parser *ps, char *dst, size_t size, const char *key, const char *value)
{
	const struct option_def *o = option_find(key);
	struct client_config scratch;
	char accepted[256];

	if (option_parse(o, &scratch, value) != 0)
		return err_set(CLIENT_ERR_OPTION,
			       "profile %s, line %d: bad [errors] value '%s' (accepted: %s)", ps->path,
			       ps->line, value, option_accepted(o, accepted, sizeof(accepted)));
	return copy_text(ps, dst, size, value);
}

static int errors_key(struct parser *ps, const char *key, const char *value)
{
	struct profile *p = ps->p;

	if (strcmp(key, "query") == 0)
		return spec_text(ps, p->error_query, sizeof(p->error_query), "error_query", value);
	if (strcmp(key, "none") == 0)
		return spec_text(ps, p->error_none, sizeof(p->error_none), "error_none", value);
	if (strcmp(key, "unknown") == 0)
		return copy_text(ps, p->error_unknown, sizeof(p->error_unknown), value);
	if (strcmp(key, "unknown_reply") == 0) {
		p->has_unknown_reply = 1;
		return copy_text(ps, p->unknown_reply, sizeof(p->unknown_reply), value);
	}
	return perr(ps, "unknown key in [errors] (query, none, unknown, unknown_reply)", key);
}

static int sim_key(struct parser *ps, const char *key, const char *value)
{
	struct profile *p = ps->p;

	if (strcmp(key, "mode") == 0) {
		if (strcmp(value, "dialogue") && strcmp(value, "loopback") && strcmp(value, "faulty"))
			return perr(ps, "mode must be dialogue, loopback or faulty", value);
		return copy_text(ps, p->sim_mode, sizeof(p->sim_mode), value);
	}
	if (strcmp(key, "delay_ms") == 0) {
		double d;

		if (parse_number(value, &d) || d < 0 || d > CONFIG_MAX_DELAY_MS)
			return perr(ps, "delay_ms must be 0 to 600000", value);
		p->sim_delay_ms = (unsigned)d;
		return CLIENT_OK;
	}
	return perr(ps, "unknown key in [sim] (mode, delay_ms)", key);
}

static int section_line(struct parser *ps, char *line)
{
	char *end = strchr(line, ']'), *name;

	if (!end || *trim(end + 1))
		return perr(ps, "a section line must look like [name]", line);
	*end = '\0';
	name = trim(line + 1);
	if (strcmp(name, "dialogue") == 0) {
		ps->sec = SEC_DIALOGUE;
	} else if (strcmp(name, "errors") == 0) {
		ps->sec = SEC_ERRORS;
	} else if (strcmp(name, "sim") == 0) {
		ps->sec = SEC_SIM;
	} else if (strncmp(name, "property", 8) == 0 && isspace((unsigned char)name[8])) {
		struct profile_property *pr = grow(ps, ps->p->props, &ps->p->nprops, sizeof(*pr));

		if (!pr)
			return client_last_error();
		ps->p->props = pr;
		pr += ps->p->nprops - 1;
		pr->digits = -1;
		ps->sec = SEC_PROPERTY;
		return copy_text(ps, pr->name, sizeof(pr->name), trim(name + 8));
	} else if (strncmp(name, "waveform", 8) == 0 && isspace((unsigned char)name[8])) {
		struct profile_waveform *w = grow(ps, ps->p->waves, &ps->p->nwaves, sizeof(*w));

		if (!w)
			return client_last_error();
		ps->p->waves = w;
		w += ps->p->nwaves - 1;
		w->points = 1000;
		w->datatype = 'B';
		w->amplitude = 1.0;
		ps->sec = SEC_WAVEFORM;
		return copy_text(ps, w->name, sizeof(w->name), trim(name + 8));
	} else {
		return perr(ps, "unknown section (dialogue, property NAME, waveform NAME, errors, sim)",
			    name);
	}
	return CLIENT_OK;
}

static int dialogue_line(struct parser *ps, char *line)
{
	char *arrow = strstr(line, "=>");
	struct profile_dialogue *d;
	char *reply;

	if (!arrow)
		return perr(ps, "a dialogue line must look like QUERY => REPLY", line);
	*arrow = '\0';
	reply = trim(arrow + 2);
	line = trim(line);
	if (!*line)
		return perr(ps, "empty query in dialogue", NULL);
	d = grow(ps, ps->p->dialogue, &ps->p->ndialogue, sizeof(*d));
	if (!d)
		return client_last_error();
	ps->p->dialogue = d;
	d += ps->p->ndialogue - 1;
	if (dup_text(ps, &d->query, line))
		return client_last_error();
	return *reply ? dup_text(ps, &d->reply, reply) : CLIENT_OK;
}

static int parse_line(struct parser *ps, char *raw)
{
	char *line = trim(raw), *eq, *key, *value;

	if (!*line || *line == '#')
		return CLIENT_OK;
	if (*line == '[')
		return section_line(ps, line);
	if (ps->sec == SEC_DIALOGUE)
		return dialogue_line(ps, line);
	eq = strchr(line, '=');
	if (!eq)
		return perr(ps, "expected key = value", line);
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	switch (ps->sec) {
	case SEC_TOP: return top_key(ps, key, value);
	case SEC_PROPERTY: return property_key(ps, key, value);
	case SEC_ERRORS: return errors_key(ps, key, value);
	case SEC_SIM: return sim_key(ps, key, value);
	case SEC_WAVEFORM: return waveform_key(ps, key, value);
	default: return perr(ps, "internal: bad section", NULL);
	}
}

/* Properties must be usable: a way to reach them and a starting value. */
static int check_properties(struct parser *ps)
{
	for (size_t i = 0; i < ps->p->nprops; i++) {
		struct profile_property *pr = &ps->p->props[i];

		if (!pr->get && !pr->set)
			return err_set(CLIENT_ERR_OPTION, "profile %s: property %s has neither get nor set",
				       ps->path, pr->name);
		if (!pr->value && dup_text(ps, &pr->value, pr->valid ? "" : "0"))
			return client_last_error();
	}
	return CLIENT_OK;
}

int profile_load_file(const char *path, struct profile *p)
{
	struct parser ps = { .p = p, .path = path };
	char line[LINE_MAX_BYTES + 2];
	const char *base;
	FILE *f;
	int ret = CLIENT_OK;

	memset(p, 0, sizeof(*p));
	p->usb_interface = -1;
	snprintf(p->sim_mode, sizeof(p->sim_mode), "dialogue");
	snprintf(p->path, sizeof(p->path), "%s", path);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(p->name, sizeof(p->name), "%.*s", (int)strcspn(base, "."), base);
	f = fopen(path, "re");
	if (!f)
		return err_set(errno == ENOENT ? CLIENT_ERR_OPTION : CLIENT_ERR_IO, "profile %s: %s", path,
			       strerror(errno));
	while (ret == CLIENT_OK && fgets(line, sizeof(line), f)) {
		ps.line++;
		if (!strchr(line, '\n') && !feof(f)) {
			ret = perr(&ps, "line longer than 1024 bytes", NULL);
			break;
		}
		ret = parse_line(&ps, line);
	}
	if (ret == CLIENT_OK && ferror(f))
		ret = err_set(CLIENT_ERR_IO, "profile %s: read error", path);
	fclose(f);
	if (ret == CLIENT_OK)
		ret = check_properties(&ps);
	if (ret != CLIENT_OK)
		profile_free(p);
	return ret;
}

static int valid_name(const char *name)
{
	if (!name[0] || name[0] == '.' || strlen(name) >= PROFILE_NAME_MAX)
		return 0;
	for (const char *s = name; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return 0;
	return 1;
}

int profile_load(const char *name, struct profile *p)
{
	char dirs[4096], looked[1024] = "", path[PATH_MAX];
	const char *env = secure_getenv("SERIALCMD_DEVICES");
	size_t lo = 0;

	if (strchr(name, '/'))
		return profile_load_file(name, p);
	if (!valid_name(name))
		return err_set(CLIENT_ERR_OPTION,
			       "profile '%s': a name has only letters, digits, '-', '_' and '.'", name);
	snprintf(dirs, sizeof(dirs),
		 "%s%s" SERIALCMD_DATADIR "/profiles"
#ifdef SERIALCMD_SRCDIR
		 ":" SERIALCMD_SRCDIR "/devices/profiles"
#endif
		 ,
		 env && env[0] ? env : "", env && env[0] ? ":" : "");
	for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/%s.profile", dir, name);
		if (access(path, F_OK) == 0)
			return profile_load_file(path, p);
		if (lo < sizeof(looked))
			lo += (size_t)snprintf(looked + lo, sizeof(looked) - lo, "%s%s", lo ? ", " : "", dir);
	}
	return err_set(CLIENT_ERR_OPTION,
		       "profile '%s' not found (looked in: %s; set SERIALCMD_DEVICES to add"
		       " a directory)",
		       name, looked);
}

void profile_free(struct profile *p)
{
	for (size_t i = 0; i < p->ndialogue; i++) {
		free(p->dialogue[i].query);
		free(p->dialogue[i].reply);
	}
	for (size_t i = 0; i < p->nprops; i++) {
		struct profile_property *pr = &p->props[i];

		free(pr->get);
		free(pr->set);
		free(pr->value);
		free(pr->valid);
		free(pr->error);
		free(pr->set_reply);
	}
	for (size_t i = 0; i < p->nwaves; i++) {
		free(p->waves[i].get);
		free(p->waves[i].prefix);
		free(p->waves[i].ascii_get);
		free(p->waves[i].set);
	}
	free(p->waves);
	p->waves = NULL;
	p->nwaves = 0;
	free(p->dialogue);
	free(p->props);
	free(p->options);
	p->dialogue = NULL;
	p->props = NULL;
	p->options = NULL;
	p->ndialogue = p->nprops = p->noptions = 0;
}

/* The spec options of a profile, and its error queue for check_errors,
 * through the option table, in the order of the file. */
int profile_apply(const struct profile *p, struct client_config *cfg)
{
	static const struct {
		const char *key, *section_key;
		size_t offset;
	} errors[] = {
		{ "error_query", "query", offsetof(struct profile, error_query) },
		{ "error_none", "none", offsetof(struct profile, error_none) },
	};
	char accepted[256];

	for (size_t i = 0; i < p->noptions; i++) {
		const struct option_def *o = option_find(p->options[i].key);

		/* Checked when the profile was loaded; this cannot fail. */
		if (!o || option_parse(o, cfg, p->options[i].value) != 0)
			return err_set(CLIENT_ERR_OPTION, "%s: profile %s, line %d: bad %s", cfg->port, p->path,
				       p->options[i].line, p->options[i].key);
	}
	for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
		const struct option_def *o = option_find(errors[i].key);
		const char *value = (const char *)p + errors[i].offset;

		if (value[0] && option_parse(o, cfg, value) != 0)
			return err_set(CLIENT_ERR_OPTION, "%s: profile %s: bad [errors] %s (accepted: %s)",
				       cfg->port, p->path, errors[i].section_key,
				       option_accepted(o, accepted, sizeof(accepted)));
	}
	return CLIENT_OK;
}
