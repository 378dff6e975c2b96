/* SPDX-License-Identifier: MIT */
/* profile.c - device profiles: a small line format parsed with no extra
 * dependency; every error names the file, the line and the reason. The
 * simulator's sections go to a struct profile_extension, or are skipped. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "profile.h"

#ifndef SERIALCMD_DATADIR
#define SERIALCMD_DATADIR "/usr/local/share/serialcmd"
#endif

#define LINE_MAX_BYTES 1024
/* The largest profile file read: the shipped ones are under 4 KiB. */
#define FILE_MAX_BYTES (1024 * 1024)

/* The simulator's sections: [NAME] or, with an argument, [NAME ARG]. */
static const struct {
	const char *name;
	int has_arg;
} ext_sections[] = {
	{ "dialogue", 0 },
	{ "property", 1 },
	{ "waveform", 1 },
	{ "sim", 0 },
};

enum section { SEC_TOP, SEC_ERRORS, SEC_EXT };

struct profile_parser {
	struct profile *p;
	const struct profile_extension *ext;
	const char *path;
	int line;
	enum section sec;
	const char *ext_section; /* name of the SEC_EXT section */
};

/* Text of the file, escaped for a message: a profile never writes raw
 * control bytes to the user's terminal. */
static const char *shown(char *buf, size_t size, const char *text)
{
	sc_escape_bytes(buf, size, text, strlen(text));
	return buf;
}

int sc_profile_error(const struct profile_parser *ps, const char *why, const char *what)
{
	char text[256];

	if (what)
		shown(text, sizeof(text), what);
	if (ps->line <= 0)
		return sc_err_set(CLIENT_ERR_OPTION, "profile %s: %s%s%s", ps->path, why, what ? " " : "",
				  what ? text : "");
	return sc_err_set(CLIENT_ERR_OPTION, "profile %s, line %d: %s%s%s", ps->path, ps->line, why,
			  what ? ": " : "", what ? text : "");
}

char *sc_profile_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int sc_profile_copy(const struct profile_parser *ps, char *dst, size_t size, const char *src)
{
	if (strlen(src) >= size)
		return sc_profile_error(ps, "value too long", src);
	strcpy(dst, src);
	return CLIENT_OK;
}

int sc_profile_dup(const struct profile_parser *ps, char **dst, const char *src)
{
	char *d = strdup(src);

	if (!d)
		return sc_err_set(CLIENT_ERR_NOMEM, "profile %s: out of memory", ps->path);
	free(*dst);
	*dst = d;
	return CLIENT_OK;
}

/* Grow an array by one element, zeroed; bounded so a hostile file cannot
 * take unbounded memory. */
void *sc_profile_grow(const struct profile_parser *ps, void *array, size_t *count, size_t elem)
{
	char *p;

	if (*count >= PROFILE_MAX_ENTRIES) {
		sc_profile_error(ps, "too many entries", NULL);
		return NULL;
	}
	p = realloc(array, (*count + 1) * elem);
	if (!p) {
		sc_err_set(CLIENT_ERR_NOMEM, "profile %s: out of memory", ps->path);
		return NULL;
	}
	memset(p + *count * elem, 0, elem);
	(*count)++;
	return p;
}

int sc_profile_number(const char *v, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	return errno || end == v || *sc_profile_trim(end) ? -1 : 0;
}

static int top_key(struct profile_parser *ps, const char *key, const char *value)
{
	struct profile *p = ps->p;
	const struct option_def *o;
	/* Options are parsed here only to check them: the spec parser applies
	 * them, in order, later. */
	struct client_config scratch;
	char accepted[512], shown_key[128], shown_value[256];

	/* No key of the library's takes an empty value (the simulator's
	 * unknown_reply, which may be empty, is not one of them). */
	if (!*value)
		return sc_profile_error(ps, "empty value for", key);
	if (strcmp(key, "name") == 0)
		return sc_profile_copy(ps, p->name, sizeof(p->name), value);
	if (strcmp(key, "description") == 0)
		return sc_profile_copy(ps, p->description, sizeof(p->description), value);
	if (strcmp(key, "identify") == 0)
		return sc_profile_copy(ps, p->identify, sizeof(p->identify), value);
	if (strcmp(key, "identify_match") == 0)
		return sc_profile_copy(ps, p->identify_match, sizeof(p->identify_match), value);
	if (strcmp(key, "usb_manufacturer") == 0)
		return sc_profile_copy(ps, p->usb_manufacturer, sizeof(p->usb_manufacturer), value);
	if (strcmp(key, "usb_product") == 0)
		return sc_profile_copy(ps, p->usb_product, sizeof(p->usb_product), value);
	if (strcmp(key, "usb_serial") == 0)
		return sc_profile_copy(ps, p->usb_serial, sizeof(p->usb_serial), value);
	if (strcmp(key, "probe") == 0) {
		static const char *const modes[] = { "auto", "always", "never" }; /* enum profile_probe */

		for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
			if (strcmp(value, modes[i]) == 0) {
				p->probe = (int)i;
				return CLIENT_OK;
			}
		}
		return sc_profile_error(ps, "probe must be auto, always or never", value);
	}
	if (strcmp(key, "latency_timer") == 0) {
		size_t len = strlen(value);

		if (len > 3 || strspn(value, "0123456789") != len || atoi(value) < 1 ||
		    atoi(value) > PROFILE_LATENCY_MAX)
			return sc_profile_error(ps, "latency_timer must be 1 to 255 (ms)", value);
		p->latency_timer = atoi(value);
		return CLIENT_OK;
	}
	if (strcmp(key, "usb_interface") == 0) {
		size_t len = strlen(value);

		/* Decimal digits only: strtol alone takes "", " 1", "+1", "-0". */
		if (len < 1 || len > 3 || strspn(value, "0123456789") != len || atoi(value) > 255)
			return sc_profile_error(ps, "usb_interface must be 0 to 255", value);
		p->usb_interface = atoi(value);
		return CLIENT_OK;
	}
	if (strcmp(key, "usb") == 0) {
		unsigned vid, pid;

		/* Exactly 4 hex digits each: sscanf's %x alone takes "-001" and "+0x1". */
		if (strlen(value) != 9 || value[4] != ':' || strspn(value, "0123456789abcdefABCDEF") != 4 ||
		    strspn(value + 5, "0123456789abcdefABCDEF") != 4 ||
		    sscanf(value, "%4x:%4x", &vid, &pid) != 2)
			return sc_profile_error(ps, "usb must be VID:PID in 4-digit hex, e.g. 0403:6001",
						value);
		if (p->nusb >= PROFILE_MAX_USB)
			return sc_profile_error(ps, "too many usb ids", value);
		p->usb[p->nusb].vid = vid;
		p->usb[p->nusb++].pid = pid;
		return CLIENT_OK;
	}
	if (strcmp(key, "profile") == 0 || strcmp(key, "port") == 0)
		return sc_profile_error(ps, "a profile cannot set", key);
	/* Everything else is a spec option, checked as the spec would. */
	o = sc_option_find(key);
	if (!o || o->type == OPTION_PROFILE || sc_option_parse(o, &scratch, value) != 0)
		return sc_err_set(CLIENT_ERR_OPTION, "profile %s, line %d: bad %s '%s' (accepted: %s)",
				  ps->path, ps->line, shown(shown_key, sizeof(shown_key), key),
				  shown(shown_value, sizeof(shown_value), value),
				  o ? sc_option_accepted(o, accepted, sizeof(accepted))
				    : sc_option_profile_keys(accepted, sizeof(accepted)));
	{
		struct profile_option *po = sc_profile_grow(ps, p->options, &p->noptions, sizeof(*po));

		if (!po)
			return client_last_error();
		p->options = po;
		po += p->noptions - 1;
		snprintf(po->key, sizeof(po->key), "%s", key);
		po->line = ps->line;
		return sc_profile_copy(ps, po->value, sizeof(po->value), value);
	}
}

/* What a spec accepts for error_query / error_none: checked here, so a
 * profile that loads also applies, and a bad one is refused with its line. */
static int spec_text(struct profile_parser *ps, char *dst, size_t size, const char *key, const char *value)
{
	const struct option_def *o = sc_option_find(key);
	struct client_config scratch;
	char accepted[256], shown_value[256];

	if (!*value)
		return sc_profile_error(ps, "empty value for", strcmp(key, "error_query") == 0 ? "query" : "none");
	if (sc_option_parse(o, &scratch, value) != 0)
		return sc_err_set(CLIENT_ERR_OPTION,
				  "profile %s, line %d: bad [errors] value '%s' (accepted: %s)", ps->path,
				  ps->line, shown(shown_value, sizeof(shown_value), value),
				  sc_option_accepted(o, accepted, sizeof(accepted)));
	return sc_profile_copy(ps, dst, size, value);
}

/* [errors]: the library uses query and none; the simulator's keys go to it. */
static int errors_key(struct profile_parser *ps, const char *key, const char *value)
{
	struct profile *p = ps->p;
	char line[LINE_MAX_BYTES + 8];

	if (strcmp(key, "query") == 0)
		return spec_text(ps, p->error_query, sizeof(p->error_query), "error_query", value);
	if (strcmp(key, "none") == 0)
		return spec_text(ps, p->error_none, sizeof(p->error_none), "error_none", value);
	if (strcmp(key, "unknown") == 0 || strcmp(key, "unknown_reply") == 0) {
		if (!ps->ext || !ps->ext->line)
			return CLIENT_OK;
		snprintf(line, sizeof(line), "%s = %s", key, value);
		return ps->ext->line(ps->ext->ctx, ps, "errors", line);
	}
	return sc_profile_error(ps, "unknown key in [errors] (query, none, unknown, unknown_reply)", key);
}

static int section_line(struct profile_parser *ps, char *line)
{
	char *end = strchr(line, ']'), *name, *arg;
	size_t len;

	if (!end || *sc_profile_trim(end + 1))
		return sc_profile_error(ps, "a section line must look like [name]", line);
	*end = '\0';
	name = sc_profile_trim(line + 1);
	len = strcspn(name, " \t");
	arg = sc_profile_trim(name + len);
	name[len] = '\0';
	if (strcmp(name, "errors") == 0 && !*arg) {
		ps->sec = SEC_ERRORS;
		return CLIENT_OK;
	}
	for (size_t i = 0; i < sizeof(ext_sections) / sizeof(ext_sections[0]); i++) {
		if (strcmp(name, ext_sections[i].name) != 0 || !*arg != !ext_sections[i].has_arg)
			continue;
		ps->sec = SEC_EXT;
		ps->ext_section = ext_sections[i].name;
		if (!ps->ext || !ps->ext->section)
			return CLIENT_OK;
		return ps->ext->section(ps->ext->ctx, ps, name, arg);
	}
	if (*arg)
		name[len] = ' ';
	return sc_profile_error(ps, "unknown section (dialogue, property NAME, waveform NAME, errors, sim)",
				name);
}

int sc_profile_split(char *line, char **key, char **value)
{
	char *eq = strchr(line, '=');

	if (!eq)
		return -1;
	*eq = '\0';
	*key = sc_profile_trim(line);
	*value = sc_profile_trim(eq + 1);
	return 0;
}

static int parse_line(struct profile_parser *ps, char *raw)
{
	char *line = sc_profile_trim(raw), *key, *value;

	if (!*line || *line == '#')
		return CLIENT_OK;
	if (*line == '[')
		return section_line(ps, line);
	if (ps->sec == SEC_EXT)
		return ps->ext && ps->ext->line ? ps->ext->line(ps->ext->ctx, ps, ps->ext_section, line)
						: CLIENT_OK;
	if (sc_profile_split(line, &key, &value) != 0)
		return sc_profile_error(ps, "expected key = value", line);
	if (ps->sec == SEC_ERRORS)
		return errors_key(ps, key, value);
	return top_key(ps, key, value);
}

/* What a stat says a non-regular file is, for the error message. */
static const char *file_kind(mode_t mode)
{
	return S_ISDIR(mode)	? "a directory"
	       : S_ISFIFO(mode) ? "a FIFO"
	       : S_ISCHR(mode)	? "a character device"
	       : S_ISBLK(mode)	? "a block device"
	       : S_ISSOCK(mode) ? "a socket"
				: "a file of unknown type";
}

/* A profile is a regular file of at most FILE_MAX_BYTES. It is checked
 * before it is opened, so a device node is never opened (opening one can
 * act on the device), and again on the descriptor, opened O_NONBLOCK so a
 * FIFO swapped in between cannot block; symlinks are followed (the path is
 * the user's, or a directory the user put on SERIALCMD_DEVICES: a link to a
 * profile is a normal way to install one). */
static FILE *open_regular(const char *path)
{
	struct stat st;
	FILE *f;
	int fd, flags;

	if (stat(path, &st) != 0)
		goto error;
	if (!S_ISREG(st.st_mode))
		goto not_regular;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		goto error;
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		goto error;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		goto not_regular;
	}
	if (st.st_size > FILE_MAX_BYTES) {
		close(fd);
		sc_err_set(CLIENT_ERR_OPTION, "profile %s: file larger than 1 MiB", path);
		return NULL;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	f = fdopen(fd, "r");
	if (!f) {
		int e = errno;

		close(fd);
		errno = e;
		goto error;
	}
	return f;
error:
	sc_err_set(errno == ENOENT ? CLIENT_ERR_OPTION : errno == ENOMEM ? CLIENT_ERR_NOMEM : CLIENT_ERR_IO,
		   "profile %s: %s", path, strerror(errno));
	return NULL;
not_regular:
	sc_err_set(CLIENT_ERR_OPTION, "profile %s: %s, not a regular file", path, file_kind(st.st_mode));
	return NULL;
}

int sc_profile_load_file_ext(const char *path, struct profile *p, const struct profile_extension *ext)
{
	struct profile_parser ps = { .p = p, .ext = ext, .path = path };
	char line[LINE_MAX_BYTES + 2];
	const char *base;
	FILE *f;
	int ret = CLIENT_OK;

	memset(p, 0, sizeof(*p));
	p->usb_interface = -1;
	snprintf(p->path, sizeof(p->path), "%s", path);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(p->name, sizeof(p->name), "%.*s", (int)strcspn(base, "."), base);
	f = open_regular(path);
	if (!f)
		return client_last_error();
	while (ret == CLIENT_OK && fgets(line, sizeof(line), f)) {
		ps.line++;
		if (!strchr(line, '\n') && !feof(f)) {
			ret = sc_profile_error(&ps, "line longer than 1024 bytes", NULL);
			break;
		}
		/* A file that grows while it is read stops at the same bound. */
		if (ftello(f) > FILE_MAX_BYTES) {
			ret = sc_profile_error(&ps, "file larger than 1 MiB", NULL);
			break;
		}
		ret = parse_line(&ps, line);
	}
	if (ret == CLIENT_OK && ferror(f))
		ret = sc_err_set(CLIENT_ERR_IO, "profile %s: read error", path);
	fclose(f);
	ps.line = 0;
	if (ret == CLIENT_OK && ext && ext->finish)
		ret = ext->finish(ext->ctx, &ps);
	if (ret != CLIENT_OK)
		sc_profile_free(p);
	return ret;
}

int sc_profile_load_file(const char *path, struct profile *p)
{
	return sc_profile_load_file_ext(path, p, NULL);
}

int sc_profile_load_ext(const char *name, struct profile *p, const struct profile_extension *ext)
{
	char dirs[4096], looked[1024] = "", path[PATH_MAX];
	const char *env = secure_getenv("SERIALCMD_DEVICES");
	size_t lo = 0;

	if (strchr(name, '/'))
		return sc_profile_load_file_ext(name, p, ext);
	if (!sc_profile_name_valid(name))
		return sc_err_set(CLIENT_ERR_OPTION, "profile '%s': a profile name is " PROFILE_NAME_RULE,
				  name);
	/* Only SERIALCMD_DEVICES and the installed data dir: never the tree the
	 * library was built in (tests set SERIALCMD_DEVICES). */
	snprintf(dirs, sizeof(dirs), "%s%s" SERIALCMD_DATADIR "/profiles", env && env[0] ? env : "",
		 env && env[0] ? ":" : "");
	for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/%s.profile", dir, name);
		if (access(path, F_OK) == 0)
			return sc_profile_load_file_ext(path, p, ext);
		if (lo < sizeof(looked))
			lo += (size_t)snprintf(looked + lo, sizeof(looked) - lo, "%s%s", lo ? ", " : "", dir);
	}
	return sc_err_set(CLIENT_ERR_OPTION,
			  "profile '%s' not found (looked in: %s; set SERIALCMD_DEVICES to add"
			  " a directory)",
			  name, looked);
}

int sc_profile_load(const char *name, struct profile *p)
{
	return sc_profile_load_ext(name, p, NULL);
}

void sc_profile_free(struct profile *p)
{
	free(p->options);
	p->options = NULL;
	p->noptions = 0;
}

/* The spec options of a profile, and its error queue for check_errors,
 * through the option table, in the order of the file. */
int sc_profile_apply(const struct profile *p, struct client_config *cfg)
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
		const struct option_def *o = sc_option_find(p->options[i].key);

		/* Checked when the profile was loaded; this cannot fail. */
		if (!o || sc_option_parse(o, cfg, p->options[i].value) != 0)
			return sc_err_set(CLIENT_ERR_OPTION, "%s: profile %s, line %d: bad %s", cfg->port,
					  p->path, p->options[i].line, p->options[i].key);
	}
	for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
		const struct option_def *o = sc_option_find(errors[i].key);
		const char *value = (const char *)p + errors[i].offset;

		if (value[0] && sc_option_parse(o, cfg, value) != 0)
			return sc_err_set(CLIENT_ERR_OPTION, "%s: profile %s: bad [errors] %s (accepted: %s)",
					  cfg->port, p->path, errors[i].section_key,
					  sc_option_accepted(o, accepted, sizeof(accepted)));
	}
	return CLIENT_OK;
}
