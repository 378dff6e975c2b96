/* SPDX-License-Identifier: MIT */
/* options.h - the one table of spec keys: how each is parsed, where it is
 * stored in struct client_config, its limits, default and accepted text.
 * Spec parsing, profile option lines, config defaults, the check of
 * hand-filled configs, client_config_set/get and client_spec_keys() all
 * read it. Internal: nothing here is public API. */
#ifndef SERIALCMD_OPTIONS_H
#define SERIALCMD_OPTIONS_H

#include <stddef.h>

#include "serialcmd.h"

enum option_type {
	OPTION_UINT,	/* a decimal number in [min, max] */
	OPTION_BOOL,	/* 0/1, false/true, no/yes, off/on; stored as int 0 or 1 */
	OPTION_WORDS,	/* one of words[], stored as its index (an enum) */
	OPTION_EOL,	/* a terminator, at least min bytes; a length field beside it */
	OPTION_EOLS,	/* sets read_eol and write_eol together; stored in neither */
	OPTION_TEXT,	/* printable ASCII, at least min characters, fits the field */
	OPTION_PROFILE, /* a profile name; applied by the spec parser, first */
	OPTION_LIST,	/* TEXT that is a comma list of non-empty items */
	OPTION_TRI,	/* keep, or a BOOL; stored as int -1 (keep), 0 or 1 */
};

struct option_def {
	const char *name;
	enum option_type type;
	unsigned long min, max;	  /* UINT: range; EOL, TEXT: least length */
	const char *const *words; /* WORDS: NULL-terminated */
	size_t offset, size;	  /* the field in struct client_config */
	size_t len_offset;	  /* EOL: its size_t length field */
	const char *def;	  /* default, as spec text; NULL: zero / empty */
	const char *what;	  /* what the value is, e.g. "query" (messages) */
	const char *example;	  /* e.g. "SYST:ERR?" (messages) */
	const char *unit;	  /* UINT: e.g. "bytes" (messages) */
	const char *help;	  /* one sentence on what the key does */
};

/* The key named key, or NULL. */
const struct option_def *sc_option_find(const char *key);
/* The table, in spec order. */
const struct option_def *sc_option_at(size_t i);
size_t sc_option_count(void);

/* What the option accepts, e.g. "1 to 86400000", into out; returns out. */
const char *sc_option_accepted(const struct option_def *o, char *out, size_t size);
/* "a spec option: baud, bits, ...": every key a profile line may set. */
const char *sc_option_profile_keys(char *out, size_t size);
/* The keys joined by sep, e.g. "baud, bits, ..."; returns out. */
const char *sc_option_keys(char *out, size_t size, const char *sep);

/* Parse value as o does and store it in cfg: 0, or -1 (cfg unchanged)
 * when the value is not accepted. OPTION_PROFILE is refused here: the
 * spec parser applies it (options.c does not load profiles). */
int sc_option_parse(const struct option_def *o, struct client_config *cfg, const char *value);
/* The standard message for a refused value, set as the last error:
 * "PORT: bad value 'V' for 'KEY' (accepted: ...)". Returns CLIENT_ERR_OPTION. */
int sc_option_bad_value(const char *port, const struct option_def *o, const char *value);
/* Write the option's value in cfg as spec text into out (size bytes).
 * 0, or -1 if it does not fit. */
int sc_option_format(const struct option_def *o, const struct client_config *cfg, char *out, size_t size);
/* Is an unsigned value in o's range? For setters given numbers. */
int sc_option_uint_ok(const struct option_def *o, unsigned long v);

/* Every field at its default, port and profile empty. */
void sc_config_defaults(struct client_config *cfg);
/* Check every option field of a config a C caller may have filled in by
 * hand, against the table; CLIENT_OK, or CLIENT_ERR_OPTION naming the
 * field. The port is the caller's to check. */
int sc_option_check_all(const struct client_config *cfg);

/* Parse one terminator value (name or escapes) into out; returns its length
 * or -1. Exposed for the simulator and tests. */
int sc_eol_parse(const char *text, char *out, size_t size);

#endif
