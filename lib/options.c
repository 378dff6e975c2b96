/* SPDX-License-Identifier: MIT */
/* options.c - the one table of spec keys and everything done by key:
 * parse a value into the config, format it back, defaults, the check of
 * hand-filled configs, and the accepted-values text of every message. */
#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static const char *const parity_words[] = { "none", "odd", "even", "mark", "space", NULL };
static const char *const flow_words[] = { "none", "xonxoff", "rtscts", "dtrdsr", NULL };
/* queries=: which commands the command line reads a reply for. */
static const char *const queries_words[] = { "all", "scpi", NULL };
/* Index parity is the value: even indexes false, odd true. */
static const char *const bool_words[] = { "0", "1", "false", "true", "no", "yes", "off", "on", NULL };

/* Tri-state keys: "keep" leaves the setting as the driver left it. */
#define TRI_KEEP "keep"

/* Where a key's value lives in struct client_config. */
#define FIELD(f) .offset = offsetof(struct client_config, f), .size = sizeof(((struct client_config *)0)->f)
#define UINT(key, lo, hi) .name = #key, .type = OPTION_UINT, .min = lo, .max = hi, FIELD(key)
#define BOOL(key) .name = #key, .type = OPTION_BOOL, .words = bool_words, FIELD(key)
#define TRI(key) .name = #key, .type = OPTION_TRI, .words = bool_words, .def = TRI_KEEP, FIELD(key)
#define EOL(key, least)                                             \
	.name = #key, .type = OPTION_EOL, .min = least, FIELD(key), \
	.len_offset = offsetof(struct client_config, key##_len)

/* In spec order; the limits are internal.h's CONFIG_MAX_*. A new key is a
 * row here, a field in struct client_config, and the code that uses it. */
static const struct option_def options[] = {
	{ UINT(baud, 1, 20000000), .def = "9600", .what = "rate in bits per second",
	  .example = "9600 or 115200", .help = "Line speed." },
	{ UINT(bits, 5, 8), .def = "8", .help = "Data bits." },
	{ .name = "parity",
	  .type = OPTION_WORDS,
	  .words = parity_words,
	  FIELD(parity),
	  .def = "none",
	  .help = "Parity." },
	{ UINT(stop, 1, 2), .def = "1", .help = "Stop bits." },
	{ .name = "flow",
	  .type = OPTION_WORDS,
	  .words = flow_words,
	  FIELD(flow),
	  .def = "none",
	  .help = "Flow control." },
	{ .name = "eol", .type = OPTION_EOLS, .min = 1, .help = "Both terminators: read_eol and write_eol." },
	{ EOL(write_eol, 0), .def = "LF", .help = "Bytes written after each command." },
	{ EOL(read_eol, 1), .def = "LF", .help = "Bytes that end each reply." },
	{ UINT(timeout_ms, 1, CONFIG_MAX_TIMEOUT_MS), .def = "2000",
	  .help = "Deadline per command, in milliseconds." },
	{ UINT(max_reply, 1, CONFIG_MAX_REPLY), .def = "67108864", .unit = "bytes",
	  .help = "Longest reply accepted." },
	{ BOOL(exclusive), .def = "1", .help = "Lock the port against other processes." },
	{ BOOL(echo), .def = "0", .help = "The device echoes each command line: check and drop it." },
	{ UINT(query_delay_ms, 0, CONFIG_MAX_DELAY_MS), .def = "0",
	  .help = "Pause after writing a command before reading its reply, in milliseconds." },
	{ UINT(min_gap_ms, 0, CONFIG_MAX_DELAY_MS), .def = "0",
	  .help = "Least time between the end of one command and the next, in milliseconds." },
	{ UINT(open_delay_ms, 0, CONFIG_MAX_DELAY_MS), .def = "0",
	  .help = "Pause after opening, in milliseconds (boards that reset when the port opens)." },
	{ BOOL(check_errors), .def = "0", .help = "After each command, read the instrument's error queue." },
	{ .name = "error_query",
	  .type = OPTION_TEXT,
	  .min = 1,
	  FIELD(error_query),
	  .what = "query",
	  .example = "SYST:ERR?",
	  .help = "The query that reads the error queue." },
	{ .name = "error_none",
	  .type = OPTION_TEXT,
	  FIELD(error_none),
	  .what = "pattern",
	  .example = "0,*",
	  .help = "fnmatch pattern of \"no error\"; empty: a leading 0, as 0,\"No error\"." },
	{ BOOL(reconnect), .def = "0", .help = "After \"device gone\", the next command reopens the port." },
	{ .name = "queries",
	  .type = OPTION_WORDS,
	  .words = queries_words,
	  FIELD(queries),
	  .def = "all",
	  .help = "Which commands the serialcmd command line reads a reply for: all, or scpi (those whose"
		  " header ends in '?'; the others are written without waiting)." },
	{ .name = "blocks",
	  .type = OPTION_TEXT,
	  FIELD(blocks),
	  .what = "comma-separated list of queries",
	  .example = ":WAV:DATA?,:WAV2:DATA?",
	  .help = "Queries whose reply is a binary block: the serialcmd command line reads them as -b does"
		  " (header matched without case)." },
	{ UINT(settle_ms, 0, CONFIG_MAX_DELAY_MS), .def = "50",
	  .help = "After a command that timed out or got too long a reply, the next one first waits until"
		  " the line has been quiet this long, in milliseconds (0: off)." },
	{ .name = "profile",
	  .type = OPTION_PROFILE,
	  FIELD(profile),
	  .what = "profile name",
	  .example = "keithley2000",
	  .help = "A device profile, applied before the other keys." },
	{ TRI(dtr),
	  .help = "DTR right after the port is opened (Linux has already raised it by then, see hupcl);"
		  " keep: as the driver left it." },
	{ TRI(rts), .help = "RTS right after the port is opened; keep: as the driver left it." },
	{ TRI(hupcl),
	  .help = "The tty's HUPCL flag: 1 lowers DTR and RTS when the port is closed, 0 leaves them as"
		  " they are, so a reopen finds DTR already high (libserialport clears it on every open;"
		  " keep: as the backend left it)." },
	{ TRI(low_latency),
	  .help = "The driver's ASYNC_LOW_LATENCY flag (FTDI and other USB adapters: replies without the"
		  " latency timer's wait); a port without it (pseudo-terminals) fails to open." },
	{ .name = "unsolicited",
	  .type = OPTION_LIST,
	  FIELD(unsolicited),
	  .what = "comma list of line prefixes",
	  .example = "RING,+CREG:",
	  .help = "Lines starting with one of these prefixes are never taken as a reply: they go to the"
		  " unsolicited callback and the trace, and are counted." },
	{ .name = "record",
	  .type = OPTION_TEXT,
	  FIELD(record),
	  .what = "file path",
	  .example = "/tmp/session.jsonl",
	  .help = "Append every transaction to this session file (JSON Lines, created 0600; default:"
		  " $SERIALCMD_RECORD), for serialcmd-sim --replay." },
};

/* The spec parser marks the keys seen in an unsigned bit mask. */
_Static_assert(ARRAY_SIZE(options) <= sizeof(unsigned) * 8, "too many spec keys for the seen mask");

const struct option_def *sc_option_find(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (strcmp(key, options[i].name) == 0)
			return &options[i];
	return NULL;
}

const struct option_def *sc_option_at(size_t i)
{
	return i < ARRAY_SIZE(options) ? &options[i] : NULL;
}

size_t sc_option_count(void)
{
	return ARRAY_SIZE(options);
}

/* Append to out (size bytes) at *o, never past its end. */
static void put(char *out, size_t size, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *out, size_t size, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + *o, size - *o, fmt, ap);
	va_end(ap);
	if (n > 0)
		*o += (size_t)n;
}

/* "a, b, c or d" */
static void put_list(char *out, size_t size, size_t *o, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(out, size, o, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", words[i]);
}

static size_t count_words(const char *const *words)
{
	size_t n = 0;

	while (words[n])
		n++;
	return n;
}

#define EOL_VALUES "CR, LF, CRLF, LFCR, or up to 16 bytes with escapes \\r \\n \\t \\\\ \\xHH"

const char *sc_option_accepted(const struct option_def *o, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	switch (o->type) {
	case OPTION_UINT:
		if (o->example) {
			put(out, size, &n, "a %s such as %s", o->what, o->example);
		} else if (o->max - o->min < 4) {
			/* A few values: name them all ("5, 6, 7 or 8"). */
			char nums[4][24];
			const char *list[4];
			size_t k = 0;

			for (unsigned long v = o->min; v <= o->max; v++, k++) {
				snprintf(nums[k], sizeof(nums[k]), "%lu", v);
				list[k] = nums[k];
			}
			put_list(out, size, &n, list, k);
		} else {
			put(out, size, &n, "%lu to %lu%s%s", o->min, o->max, o->unit ? " " : "",
			    o->unit ? o->unit : "");
		}
		break;
	case OPTION_BOOL: put(out, size, &n, "0 or 1 (also true/false, yes/no, on/off)"); break;
	case OPTION_TRI: put(out, size, &n, "0 or 1 (also true/false, yes/no, on/off), or " TRI_KEEP); break;
	case OPTION_WORDS: put_list(out, size, &n, o->words, count_words(o->words)); break;
	case OPTION_EOL:
	case OPTION_EOLS:
		put(out, size, &n, "%s%s", EOL_VALUES, o->min ? " (not empty)" : ", or empty");
		break;
	case OPTION_TEXT:
	case OPTION_LIST:
		put(out, size, &n, "a %s of up to %zu printable characters, e.g. %s", o->what, o->size - 1,
		    o->example);
		break;
	case OPTION_PROFILE: put(out, size, &n, "a %s such as %s", o->what, o->example); break;
	}
	return out;
}

const char *sc_option_keys(char *out, size_t size, const char *sep)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		put(out, size, &n, "%s%s", i ? sep : "", options[i].name);
	return out;
}

const char *sc_option_profile_keys(char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	put(out, size, &n, "a spec option:");
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (options[i].type != OPTION_PROFILE)
			put(out, size, &n, "%s %s", i ? "," : "", options[i].name);
	return out;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static const struct {
	const char *name;
	const char *bytes;
} eol_names[] = { { "CR", "\r" }, { "LF", "\n" }, { "CRLF", "\r\n" }, { "LFCR", "\n\r" } };

int sc_eol_parse(const char *text, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(eol_names); i++) {
		if (strcasecmp(text, eol_names[i].name) == 0) {
			n = strlen(eol_names[i].bytes);
			memcpy(out, eol_names[i].bytes, n);
			return (int)n;
		}
	}
	for (const char *p = text; *p; p++) {
		int ch = (unsigned char)*p;

		if (ch == '\\') {
			switch (*++p) {
			case 'r': ch = '\r'; break;
			case 'n': ch = '\n'; break;
			case 't': ch = '\t'; break;
			case '\\': ch = '\\'; break;
			case 'x': {
				int hi = p[1] ? hexval(p[1]) : -1;
				int lo = hi >= 0 && p[2] ? hexval(p[2]) : -1;

				if (lo < 0)
					return -1;
				ch = hi * 16 + lo;
				p += 2;
				break;
			}
			default: return -1;
			}
		}
		if (n >= size)
			return -1;
		out[n++] = (char)ch;
	}
	return (int)n;
}

/* Terminator bytes as text sc_eol_parse() reads back: a name when they are
 * one, else escapes for anything not plainly printable. */
static int eol_format(const char *bytes, size_t len, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(eol_names); i++)
		if (len == strlen(eol_names[i].bytes) && memcmp(bytes, eol_names[i].bytes, len) == 0)
			return snprintf(out, size, "%s", eol_names[i].name) < (int)size ? 0 : -1;
	out[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)bytes[i];

		/* Letters that spell a name would read back as the name. */
		if (ch == '\r' || ch == '\n' || ch == '\t' || ch == '\\' || ch < 0x20 || ch > 0x7e ||
		    (i == 0 && isalpha(ch)))
			put(out, size, &n, "\\x%02X", ch);
		else
			put(out, size, &n, "%c", ch);
	}
	return n < size ? 0 : -1;
}

/* A strict unsigned parse: digits only, no sign, no trailing junk. */
static int parse_ulong(const char *v, unsigned long *out)
{
	char *end;
	unsigned long x;

	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end)
		return -1;
	*out = x;
	return 0;
}

static int word_index(const char *v, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (strcasecmp(v, words[i]) == 0)
			return (int)i;
	return -1;
}

/* Numbers live in int, unsigned int or size_t fields. */
static unsigned long load_uint(const struct client_config *cfg, const struct option_def *o)
{
	const char *field = (const char *)cfg + o->offset;

	if (o->size == sizeof(size_t) && o->size != sizeof(unsigned int)) {
		size_t v;

		memcpy(&v, field, sizeof(v));
		return v;
	} else {
		unsigned int v;

		memcpy(&v, field, sizeof(v));
		return v;
	}
}

static void store_uint(struct client_config *cfg, const struct option_def *o, unsigned long x)
{
	char *field = (char *)cfg + o->offset;

	if (o->size == sizeof(size_t) && o->size != sizeof(unsigned int)) {
		size_t v = x;

		memcpy(field, &v, sizeof(v));
	} else {
		unsigned int v = (unsigned int)x;

		memcpy(field, &v, sizeof(v));
	}
}

static int text_ok(const char *v, size_t min, size_t size)
{
	size_t n = strlen(v);

	if (n >= size || n < min)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return 0;
	return 1;
}

/* Text that is a comma list: no empty item (an empty prefix would match
 * every line). Empty text is the empty list. */
static int list_ok(const char *v, size_t size)
{
	size_t n = strlen(v);

	if (!text_ok(v, 0, size))
		return 0;
	if (n && (v[0] == ',' || v[n - 1] == ',' || strstr(v, ",,")))
		return 0;
	return 1;
}

int sc_option_uint_ok(const struct option_def *o, unsigned long v)
{
	return v >= o->min && v <= o->max;
}

int sc_option_parse(const struct option_def *o, struct client_config *cfg, const char *value)
{
	unsigned long x;
	char eol[CLIENT_EOL_MAX];
	int i;

	switch (o->type) {
	case OPTION_UINT:
		if (parse_ulong(value, &x) || !sc_option_uint_ok(o, x))
			return -1;
		store_uint(cfg, o, x);
		return 0;
	case OPTION_BOOL:
	case OPTION_WORDS:
		i = word_index(value, o->words);
		if (i < 0)
			return -1;
		store_uint(cfg, o, o->type == OPTION_BOOL ? (unsigned long)(i % 2) : (unsigned long)i);
		return 0;
	case OPTION_TRI:
		if (strcasecmp(value, TRI_KEEP) == 0) {
			i = -1;
		} else {
			i = word_index(value, o->words);
			if (i < 0)
				return -1;
			i %= 2;
		}
		memcpy((char *)cfg + o->offset, &i, sizeof(i));
		return 0;
	case OPTION_EOL:
		i = sc_eol_parse(value, eol, sizeof(eol));
		if (i < 0 || (unsigned long)i < o->min)
			return -1;
		memcpy((char *)cfg + o->offset, eol, (size_t)i);
		memcpy((char *)cfg + o->len_offset, &(size_t){ (size_t)i }, sizeof(size_t));
		return 0;
	case OPTION_EOLS:
		/* Checked whole first, so a refusal leaves both unchanged. */
		i = sc_eol_parse(value, eol, sizeof(eol));
		if (i < 0 || (unsigned long)i < o->min)
			return -1;
		sc_option_parse(sc_option_find("read_eol"), cfg, value);
		sc_option_parse(sc_option_find("write_eol"), cfg, value);
		return 0;
	case OPTION_TEXT:
	case OPTION_LIST:
		if (!text_ok(value, o->min, o->size) || (o->type == OPTION_LIST && !list_ok(value, o->size)))
			return -1;
		memcpy((char *)cfg + o->offset, value, strlen(value) + 1);
		return 0;
	case OPTION_PROFILE: return -1;
	}
	return -1;
}

int sc_option_bad_value(const char *port, const struct option_def *o, const char *value)
{
	char accepted[256];

	return sc_err_set(CLIENT_ERR_OPTION, "%s: bad value '%s' for '%s' (accepted: %s)", port, value,
			  o->name, sc_option_accepted(o, accepted, sizeof(accepted)));
}

int sc_option_format(const struct option_def *o, const struct client_config *cfg, char *out, size_t size)
{
	const char *field = (const char *)cfg + o->offset;
	unsigned long x;
	size_t len;
	int i;

	switch (o->type) {
	case OPTION_UINT: return snprintf(out, size, "%lu", load_uint(cfg, o)) < (int)size ? 0 : -1;
	case OPTION_BOOL: return snprintf(out, size, "%d", load_uint(cfg, o) != 0) < (int)size ? 0 : -1;
	case OPTION_TRI:
		memcpy(&i, field, sizeof(i));
		return snprintf(out, size, "%s", i < 0 ? TRI_KEEP : i ? "1" : "0") < (int)size ? 0 : -1;
	case OPTION_WORDS:
		x = load_uint(cfg, o);
		if (x >= count_words(o->words))
			return snprintf(out, size, "%lu", x) < (int)size ? 0 : -1;
		return snprintf(out, size, "%s", o->words[x]) < (int)size ? 0 : -1;
	case OPTION_EOLS: return sc_option_format(sc_option_find("read_eol"), cfg, out, size);
	case OPTION_EOL:
		memcpy(&len, (const char *)cfg + o->len_offset, sizeof(len));
		if (len > CLIENT_EOL_MAX)
			return -1;
		return eol_format(field, len, out, size);
	case OPTION_TEXT:
	case OPTION_LIST:
	case OPTION_PROFILE:
		if (!memchr(field, '\0', o->size))
			return -1;
		return snprintf(out, size, "%s", field) < (int)size ? 0 : -1;
	}
	return -1;
}

void sc_config_defaults(struct client_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	/* The table's defaults are spec text that the table accepts (test-spec
	 * checks each against the documented defaults). */
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (options[i].def)
			sc_option_parse(&options[i], cfg, options[i].def);
}

int sc_option_check_all(const struct client_config *cfg)
{
	const char *port = cfg->port;
	char accepted[256];

	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		const struct option_def *o = &options[i];
		const char *field = (const char *)cfg + o->offset;
		unsigned long x;
		size_t len;

		switch (o->type) {
		case OPTION_UINT:
			x = load_uint(cfg, o);
			if (!sc_option_uint_ok(o, x))
				return sc_err_set(CLIENT_ERR_OPTION, "%s: bad %s %ld (accepted: %s)", port,
						  o->name, o->size == sizeof(int) ? (long)(int)x : (long)x,
						  sc_option_accepted(o, accepted, sizeof(accepted)));
			break;
		case OPTION_WORDS:
			x = load_uint(cfg, o);
			if (x >= count_words(o->words))
				return sc_err_set(CLIENT_ERR_OPTION,
						  "%s: bad %s %d (accepted: 0 to %zu, for %s)", port, o->name,
						  (int)x, count_words(o->words) - 1,
						  sc_option_accepted(o, accepted, sizeof(accepted)));
			break;
		case OPTION_EOL:
			memcpy(&len, (const char *)cfg + o->len_offset, sizeof(len));
			if (len < o->min || len > CLIENT_EOL_MAX)
				return sc_err_set(CLIENT_ERR_OPTION, "%s: %s must be %lu to %d bytes", port,
						  o->name, o->min, CLIENT_EOL_MAX);
			break;
		case OPTION_TEXT:
		case OPTION_LIST:
		case OPTION_PROFILE:
			/* Empty is the default even where a spec needs text. */
			if (!memchr(field, '\0', o->size))
				return sc_err_set(CLIENT_ERR_OPTION, "%s: %s must end in a NUL", port,
						  o->name);
			if (!text_ok(field, 0, o->size) || (o->type == OPTION_LIST && !list_ok(field, o->size)))
				return sc_err_set(CLIENT_ERR_OPTION, "%s: bad %s (accepted: %s)", port,
						  o->name, sc_option_accepted(o, accepted, sizeof(accepted)));
			break;
		case OPTION_TRI: {
			int v;

			memcpy(&v, field, sizeof(v));
			if (v < -1 || v > 1)
				return sc_err_set(CLIENT_ERR_OPTION,
						  "%s: bad %s %d (accepted: -1 for %s, 0 or 1)", port,
						  o->name, v, TRI_KEEP);
			break;
		}
		case OPTION_BOOL: /* any int: non-zero is true */
		case OPTION_EOLS: break;
		}
	}
	/* Flow control drives its line: setting it too would turn the flow
	 * control off (libserialport) or be undone by the driver. */
	if (cfg->rts >= 0 && cfg->flow == CLIENT_FLOW_RTSCTS)
		return sc_err_set(CLIENT_ERR_OPTION,
				  "%s: rts=%d conflicts with flow=rtscts, which drives RTS", port, cfg->rts);
	if (cfg->dtr >= 0 && cfg->flow == CLIENT_FLOW_DTRDSR)
		return sc_err_set(CLIENT_ERR_OPTION,
				  "%s: dtr=%d conflicts with flow=dtrdsr, which drives DTR", port, cfg->dtr);
	return CLIENT_OK;
}

static char spec_keys[512];

static void fill_spec_keys(void)
{
	sc_option_keys(spec_keys, sizeof(spec_keys), ",");
}

SERIALCMD_API const char *client_spec_keys(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, fill_spec_keys);
	return spec_keys;
}

/* Each key's help, accepted values and default, made once. */
static char key_help[ARRAY_SIZE(options)][384];

static void fill_key_help(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		const struct option_def *o = &options[i];
		char accepted[256];
		size_t n = 0;

		put(key_help[i], sizeof(key_help[i]), &n, "%s Accepted: %s.", o->help,
		    sc_option_accepted(o, accepted, sizeof(accepted)));
		if (o->def)
			put(key_help[i], sizeof(key_help[i]), &n, " Default: %s.", o->def);
	}
}

/* The key a public call was given, or NULL with CLIENT_ERR_ARG set; the
 * last error cleared when it is found. */
static const struct option_def *public_key(const char *key, const char *fn)
{
	const struct option_def *o = key ? sc_option_find(key) : NULL;

	if (!o)
		sc_err_set(CLIENT_ERR_ARG, "%s: %s%s%s", fn, key ? "unknown key '" : "key is NULL",
			   key ? key : "", key ? "'" : "");
	else
		sc_err_clear();
	return o;
}

SERIALCMD_API const char *client_spec_key_help(const char *key)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const struct option_def *o = public_key(key, "client_spec_key_help");

	if (!o)
		return NULL;
	pthread_once(&once, fill_key_help);
	return key_help[o - options];
}

SERIALCMD_API const char *client_spec_key_type(const char *key)
{
	static const char *const names[] = {
		[OPTION_UINT] = "uint",	      [OPTION_BOOL] = "bool", [OPTION_WORDS] = "word",
		[OPTION_EOL] = "eol",	      [OPTION_EOLS] = "eol",  [OPTION_TEXT] = "text",
		[OPTION_PROFILE] = "profile", [OPTION_LIST] = "list", [OPTION_TRI] = "tri",
	};
	const struct option_def *o = public_key(key, "client_spec_key_type");

	return o ? names[o->type] : NULL;
}
