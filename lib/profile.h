/* SPDX-License-Identifier: MIT */
/* profile.h - device profiles: parsed from devices/profiles/NAME.profile, used
 * by the spec parser (port settings), find and the udev rule generator (USB
 * ids, identification). The simulator's sections ([sim], [dialogue],
 * [property NAME], [waveform NAME] and the simulator's [errors] keys) are
 * skipped here and parsed by the simulator (devices/sim/sim-profile.c)
 * through a struct profile_extension. Internal: nothing here is public API. */
#ifndef SERIALCMD_PROFILE_H
#define SERIALCMD_PROFILE_H

#include <stddef.h>

#define PROFILE_NAME_MAX 64
#define PROFILE_TEXT_MAX 256
#define PROFILE_MAX_USB 16

/* profile-name.c: is name a profile name: 1 to PROFILE_NAME_MAX-1 of
 * [A-Za-z0-9._-], not starting with '.' or '-'? The only check of one. */
int sc_profile_name_valid(const char *name);
#define PROFILE_NAME_RULE "1 to 63 letters, digits, '.', '_' or '-', not starting with '.' or '-'"

/* A spec option the profile sets, e.g. baud = 115200. */
struct profile_option {
	char key[32];
	char value[PROFILE_TEXT_MAX];
	int line;
};

struct profile_usb {
	unsigned vid, pid;
};

/* probe = auto|always|never. auto: the identify query goes only to ports
 * whose USB ids are not a generic bridge's (bridges.h); on a bridge's id the
 * profile matches passively (ids and USB strings). always: also on a
 * bridge's id. never: the query is never sent. */
enum profile_probe { PROFILE_PROBE_AUTO, PROFILE_PROBE_ALWAYS, PROFILE_PROBE_NEVER };
#define PROFILE_LATENCY_MAX 255

struct profile {
	char name[PROFILE_NAME_MAX];
	char path[4096];
	char description[PROFILE_TEXT_MAX];
	struct profile_option *options;
	size_t noptions;
	/* identification */
	char identify[PROFILE_TEXT_MAX];       /* query, e.g. "*IDN?" */
	char identify_match[PROFILE_TEXT_MAX]; /* fnmatch pattern the answer must fit */
	struct profile_usb usb[PROFILE_MAX_USB];
	size_t nusb;
	/* USB strings the port must have, exactly ("": any) */
	char usb_manufacturer[PROFILE_TEXT_MAX];
	char usb_product[PROFILE_TEXT_MAX];
	char usb_serial[PROFILE_TEXT_MAX];
	int usb_interface; /* -1: any */
	int probe;	   /* enum profile_probe: may the identify query be sent */
	int latency_timer; /* ms for the FTDI latency timer (udev rules), 0: leave it */
	/* the instrument's error queue ([errors] query and none) */
	char error_query[PROFILE_TEXT_MAX]; /* e.g. "SYST:ERR?" */
	char error_none[PROFILE_TEXT_MAX];  /* e.g. 0,"No error" */
};

/* Find NAME (or a path containing '/') on the search path: $SERIALCMD_DEVICES
 * (colon-separated), then the installed data dir (never the tree the library
 * was built in). A profile is a regular file (symlinks followed) of at most
 * 1 MiB; anything else is refused unopened or unread. Loads it into
 * p. CLIENT_OK, or CLIENT_ERR_OPTION naming file, line and reason (or where it
 * looked), or CLIENT_ERR_NOMEM. */
int sc_profile_load(const char *name, struct profile *p);
/* Parse one file by path. */
int sc_profile_load_file(const char *path, struct profile *p);
void sc_profile_free(struct profile *p);
/* Apply the profile's spec options (checked when it was loaded) and its
 * [errors] query and pattern to cfg, through the option table. CLIENT_OK
 * or CLIENT_ERR_OPTION. */
struct client_config;
int sc_profile_apply(const struct profile *p, struct client_config *cfg);

/* The simulator's part of the format. The library knows only the names of
 * its sections (so that a misspelt section is refused everywhere) and skips
 * their lines; a program that wants them passes an extension, whose
 * callbacks get every line of them. A callback returns CLIENT_OK, or an
 * error set with sc_profile_error() (or CLIENT_ERR_NOMEM). */
struct profile_parser;
struct profile_extension {
	void *ctx;
	/* A section starts: name is "sim", "dialogue", "property" or
	 * "waveform"; arg the rest of the section line ("" if none). */
	int (*section)(void *ctx, const struct profile_parser *ps, const char *name, const char *arg);
	/* A line of that section, trimmed, never blank or a comment; or, with
	 * section "errors", an [errors] key the library does not use. */
	int (*line)(void *ctx, const struct profile_parser *ps, const char *section, char *line);
	/* The whole file was read. */
	int (*finish)(void *ctx, const struct profile_parser *ps);
};

int sc_profile_load_ext(const char *name, struct profile *p, const struct profile_extension *ext);
int sc_profile_load_file_ext(const char *path, struct profile *p, const struct profile_extension *ext);

/* For extensions: an error naming the file and line ("profile F, line N:
 * why: what"), or only the file when the parser is past the last line. */
int sc_profile_error(const struct profile_parser *ps, const char *why, const char *what);
/* Split "key = value" in place; -1 (no error set) if there is no '='. */
int sc_profile_split(char *line, char **key, char **value);
/* Trim blanks at both ends, in place. */
char *sc_profile_trim(char *s);
/* Replace *dst by a copy of src. */
int sc_profile_dup(const struct profile_parser *ps, char **dst, const char *src);
/* Copy src into a fixed field, refusing what does not fit. */
int sc_profile_copy(const struct profile_parser *ps, char *dst, size_t size, const char *src);
/* Grow an array by one zeroed element, bounded (PROFILE_MAX_ENTRIES). */
void *sc_profile_grow(const struct profile_parser *ps, void *array, size_t *count, size_t elem);
/* A number; -1 if v is not one (nothing but blanks may follow it). */
int sc_profile_number(const char *v, double *out);

#define PROFILE_MAX_ENTRIES 4096

#endif
