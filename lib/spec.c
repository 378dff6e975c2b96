/* spec.c - spec string -> struct client_config, with errors that name the
 * key and the accepted values. */
#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "profile.h"

#define DEFAULT_MAX_REPLY ((size_t)64 << 20)

void config_defaults(struct client_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->baud = 9600;
	cfg->bits = 8;
	cfg->parity = CLIENT_PARITY_NONE;
	cfg->stop = 1;
	cfg->flow = CLIENT_FLOW_NONE;
	cfg->write_eol[0] = '\n';
	cfg->write_eol_len = 1;
	cfg->read_eol[0] = '\n';
	cfg->read_eol_len = 1;
	cfg->timeout_ms = 2000;
	cfg->max_reply = DEFAULT_MAX_REPLY;
	cfg->exclusive = 1;
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

int eol_parse(const char *text, char *out, size_t size)
{
	static const struct {
		const char *name;
		const char *bytes;
	} names[] = { { "CR", "\r" }, { "LF", "\n" }, { "CRLF", "\r\n" }, { "LFCR", "\n\r" } };
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcasecmp(text, names[i].name) == 0) {
			n = strlen(names[i].bytes);
			memcpy(out, names[i].bytes, n);
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

/* One option: a key, a handler, and the accepted values for messages. */
struct option {
	const char *key;
	const char *accepted;
	int (*apply)(struct client_config *cfg, const char *value);
};

/* A strict unsigned parse: digits only, no sign, no trailing junk. */
static int parse_ulong(const char *v, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long x;

	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

static int word_index(const char *v, const char *const *words, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strcasecmp(v, words[i]) == 0)
			return (int)i;
	return -1;
}

static int set_baud(struct client_config *cfg, const char *v)
{
	unsigned long x;

	if (parse_ulong(v, 1, 20000000, &x))
		return -1;
	cfg->baud = (int)x;
	return 0;
}

static int set_bits(struct client_config *cfg, const char *v)
{
	unsigned long x;

	if (parse_ulong(v, 5, 8, &x))
		return -1;
	cfg->bits = (int)x;
	return 0;
}

static int set_parity(struct client_config *cfg, const char *v)
{
	static const char *const w[] = { "none", "odd", "even", "mark", "space" };
	int i = word_index(v, w, ARRAY_SIZE(w));

	if (i < 0)
		return -1;
	cfg->parity = (enum client_parity)i;
	return 0;
}

static int set_stop(struct client_config *cfg, const char *v)
{
	unsigned long x;

	if (parse_ulong(v, 1, 2, &x))
		return -1;
	cfg->stop = (int)x;
	return 0;
}

static int set_flow(struct client_config *cfg, const char *v)
{
	static const char *const w[] = { "none", "xonxoff", "rtscts", "dtrdsr" };
	int i = word_index(v, w, ARRAY_SIZE(w));

	if (i < 0)
		return -1;
	cfg->flow = (enum client_flow)i;
	return 0;
}

static int set_write_eol(struct client_config *cfg, const char *v)
{
	int n = eol_parse(v, cfg->write_eol, sizeof(cfg->write_eol));

	if (n < 0)
		return -1;
	cfg->write_eol_len = (size_t)n;
	return 0;
}

static int set_read_eol(struct client_config *cfg, const char *v)
{
	char tmp[CLIENT_EOL_MAX];
	int n = eol_parse(v, tmp, sizeof(tmp));

	if (n <= 0)
		return -1;
	memcpy(cfg->read_eol, tmp, (size_t)n);
	cfg->read_eol_len = (size_t)n;
	return 0;
}

static int set_eol(struct client_config *cfg, const char *v)
{
	if (set_read_eol(cfg, v))
		return -1;
	return set_write_eol(cfg, v);
}

static int set_timeout(struct client_config *cfg, const char *v)
{
	unsigned long x;

	if (parse_ulong(v, 1, CONFIG_MAX_TIMEOUT_MS, &x))
		return -1;
	cfg->timeout_ms = (unsigned int)x;
	return 0;
}

static int set_max_reply(struct client_config *cfg, const char *v)
{
	unsigned long x;

	if (parse_ulong(v, 1, CONFIG_MAX_REPLY, &x))
		return -1;
	cfg->max_reply = x;
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	static const char *const w[] = { "0", "1", "false", "true", "no", "yes", "off", "on" };
	int i = word_index(v, w, ARRAY_SIZE(w));

	if (i < 0)
		return -1;
	*out = i % 2;
	return 0;
}

static int set_exclusive(struct client_config *cfg, const char *v)
{
	return parse_bool(v, &cfg->exclusive);
}

static int set_echo(struct client_config *cfg, const char *v)
{
	return parse_bool(v, &cfg->echo);
}

static int set_check_errors(struct client_config *cfg, const char *v)
{
	return parse_bool(v, &cfg->check_errors);
}

static int set_reconnect(struct client_config *cfg, const char *v)
{
	return parse_bool(v, &cfg->reconnect);
}

/* A command the library sends by itself: printable ASCII, fits the field. */
static int set_text(char *field, size_t size, const char *v, int allow_empty)
{
	size_t n = strlen(v);

	if (n >= size || (!n && !allow_empty))
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return -1;
	memcpy(field, v, n + 1);
	return 0;
}

static int set_error_query(struct client_config *cfg, const char *v)
{
	return set_text(cfg->error_query, sizeof(cfg->error_query), v, 0);
}

static int set_error_none(struct client_config *cfg, const char *v)
{
	return set_text(cfg->error_none, sizeof(cfg->error_none), v, 1);
}

static int set_ms(unsigned int *field, const char *v)
{
	unsigned long x;

	if (parse_ulong(v, 0, CONFIG_MAX_DELAY_MS, &x))
		return -1;
	*field = (unsigned int)x;
	return 0;
}

static int set_query_delay(struct client_config *cfg, const char *v)
{
	return set_ms(&cfg->query_delay_ms, v);
}

static int set_min_gap(struct client_config *cfg, const char *v)
{
	return set_ms(&cfg->min_gap_ms, v);
}

static int set_open_delay(struct client_config *cfg, const char *v)
{
	return set_ms(&cfg->open_delay_ms, v);
}

/* Applied before the others by client_config_parse(); never called. */
static int set_profile(struct client_config *cfg, const char *v)
{
	(void)cfg;
	(void)v;
	return -1;
}

#define EOL_VALUES "CR, LF, CRLF, LFCR, or up to 16 bytes with escapes \\r \\n \\t \\\\ \\xHH"

static const struct option options[] = {
	{ "baud", "a rate in bits per second such as 9600 or 115200", set_baud },
	{ "bits", "5, 6, 7 or 8", set_bits },
	{ "parity", "none, odd, even, mark or space", set_parity },
	{ "stop", "1 or 2", set_stop },
	{ "flow", "none, xonxoff, rtscts or dtrdsr", set_flow },
	{ "eol", EOL_VALUES " (not empty)", set_eol },
	{ "write_eol", EOL_VALUES ", or empty", set_write_eol },
	{ "read_eol", EOL_VALUES " (not empty)", set_read_eol },
	{ "timeout_ms", "1 to 86400000", set_timeout },
	{ "max_reply", "1 to 1073741824 bytes", set_max_reply },
	{ "exclusive", "0 or 1 (also true/false, yes/no, on/off)", set_exclusive },
	{ "echo", "0 or 1 (also true/false, yes/no, on/off)", set_echo },
	{ "query_delay_ms", "0 to 600000", set_query_delay },
	{ "min_gap_ms", "0 to 600000", set_min_gap },
	{ "open_delay_ms", "0 to 600000", set_open_delay },
	{ "check_errors", "0 or 1 (also true/false, yes/no, on/off)", set_check_errors },
	{ "error_query", "a query of up to 63 printable characters, e.g. SYST:ERR?", set_error_query },
	{ "error_none", "a pattern of up to 63 printable characters, e.g. 0,*", set_error_none },
	{ "reconnect", "0 or 1 (also true/false, yes/no, on/off)", set_reconnect },
	{ "profile", "a profile name such as keithley2000", set_profile },
};

#define PROFILE_OPTION (ARRAY_SIZE(options) - 1)
/* apply_pair() marks the keys seen in an unsigned bit mask. */
_Static_assert(ARRAY_SIZE(options) <= sizeof(unsigned) * 8, "too many spec keys for the seen mask");

static const struct option *find_option(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (strcmp(key, options[i].key) == 0)
			return &options[i];
	return NULL;
}

int config_check_option(const char *key, const char *value, const char **accepted)
{
	const struct option *o = find_option(key);
	struct client_config scratch;

	if (!o || o == &options[PROFILE_OPTION]) {
		*accepted =
			"a spec option: baud, bits, parity, stop, flow, eol, write_eol, read_eol,"
			" timeout_ms, max_reply, exclusive, echo, query_delay_ms, min_gap_ms, open_delay_ms,"
			" check_errors, error_query, error_none, reconnect";
		return -1;
	}
	*accepted = o->accepted;
	config_defaults(&scratch);
	return o->apply(&scratch, value);
}

/* The key list, from the table so the two never drift. */
static const char *join_keys(char *out, size_t size, const char *sep)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(options) && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%s", i ? sep : "", options[i].key);
	return out;
}

static const char *accepted_keys(char *out, size_t size)
{
	return join_keys(out, size, ", ");
}

static char spec_keys[512];

static void fill_spec_keys(void)
{
	join_keys(spec_keys, sizeof(spec_keys), ",");
}

/* Split one "key=value" pair (len bytes at pair) into buf. */
static int split_pair(const struct client_config *cfg, const char *pair, size_t len, char *buf, size_t size,
		      char **value)
{
	char keys[512];
	char *eq;

	if (len >= size)
		return err_set(CLIENT_ERR_OPTION, "%s: option too long (%zu bytes)", cfg->port, len);
	memcpy(buf, pair, len);
	buf[len] = '\0';
	eq = strchr(buf, '=');
	if (!eq)
		return err_set(CLIENT_ERR_OPTION, "%s: option '%s' has no '=value' (accepted keys: %s)",
			       cfg->port, buf, accepted_keys(keys, sizeof(keys)));
	*eq = '\0';
	*value = eq + 1;
	return CLIENT_OK;
}

/* Apply one pair; the profile pair is skipped (applied first). */
static int apply_pair(struct client_config *cfg, const char *pair, size_t len, unsigned *seen)
{
	char buf[512], keys[512];
	const struct option *o;
	char *value;
	unsigned bit;

	if (split_pair(cfg, pair, len, buf, sizeof(buf), &value))
		return client_last_error();
	o = find_option(buf);
	if (!o)
		return err_set(CLIENT_ERR_OPTION, "%s: unknown option '%s' (accepted keys: %s)", cfg->port,
			       buf, accepted_keys(keys, sizeof(keys)));
	bit = 1u << (o - options);
	if (*seen & bit)
		return err_set(CLIENT_ERR_OPTION, "%s: option '%s' given twice", cfg->port, buf);
	*seen |= bit;
	if (o == &options[PROFILE_OPTION])
		return CLIENT_OK;
	if (o->apply(cfg, value) != 0)
		return err_set(CLIENT_ERR_OPTION, "%s: bad value '%s' for '%s' (accepted: %s)", cfg->port,
			       value, buf, o->accepted);
	return CLIENT_OK;
}

/* A profile's options come first, so the spec's own override them. */
static int apply_profile(struct client_config *cfg, const char *name)
{
	struct profile p;
	int ret;

	ret = profile_load(name, &p);
	if (ret) {
		/* The message is rewritten in place: copy it out first. */
		char why[1024];

		snprintf(why, sizeof(why), "%s", client_last_message());
		return err_set(ret, "%s: %s", cfg->port, why);
	}
	for (size_t i = 0; i < p.noptions && ret == CLIENT_OK; i++) {
		const struct option *o = find_option(p.options[i].key);

		/* Checked when the profile was loaded; this cannot fail. */
		if (!o || o->apply(cfg, p.options[i].value) != 0)
			ret = err_set(CLIENT_ERR_OPTION, "%s: profile %s, line %d: bad %s", cfg->port, p.path,
				      p.options[i].line, p.options[i].key);
	}
	/* The error queue the profile describes serves check_errors. */
	if (ret == CLIENT_OK && p.error_query[0] &&
	    set_text(cfg->error_query, sizeof(cfg->error_query), p.error_query, 0) != 0)
		ret = err_set(CLIENT_ERR_OPTION,
			      "%s: profile %s: [errors] query must be up to 63 printable characters",
			      cfg->port, p.path);
	if (ret == CLIENT_OK && p.error_none[0] &&
	    set_text(cfg->error_none, sizeof(cfg->error_none), p.error_none, 1) != 0)
		ret = err_set(CLIENT_ERR_OPTION,
			      "%s: profile %s: [errors] none must be up to 63 printable characters",
			      cfg->port, p.path);
	if (ret == CLIENT_OK)
		snprintf(cfg->profile, sizeof(cfg->profile), "%s", p.name);
	profile_free(&p);
	return ret;
}

/* Walk the pairs after '?'; with only_profile, apply just profile=. */
static int walk_pairs(struct client_config *cfg, const char *q, int only_profile)
{
	unsigned seen = 0;

	for (const char *p = q; *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		int ret = CLIENT_OK;

		/* Tolerate "?" at the end and "&&", which editing leaves behind. */
		if (len && only_profile && strncmp(p, "profile=", 8) == 0) {
			char buf[PROFILE_NAME_MAX + 16], *value;

			ret = split_pair(cfg, p, len, buf, sizeof(buf), &value);
			if (!ret)
				ret = apply_profile(cfg, value);
		} else if (len && !only_profile) {
			ret = apply_pair(cfg, p, len, &seen);
		}
		if (ret)
			return ret;
		p += len;
		if (*p == '&')
			p++;
	}
	return CLIENT_OK;
}

SERIALCMD_API const char *client_spec_keys(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, fill_spec_keys);
	return spec_keys;
}

SERIALCMD_API int client_config_parse(struct client_config *cfg, const char *spec)
{
	const char *q;
	size_t plen;
	int ret;

	if (!cfg || !spec)
		return err_set(CLIENT_ERR_ARG, "client_config_parse: %s is NULL", cfg ? "spec" : "cfg");
	err_clear();
	config_defaults(cfg);
	q = strchr(spec, '?');
	plen = q ? (size_t)(q - spec) : strlen(spec);
	if (plen == 0)
		return err_set(CLIENT_ERR_OPTION,
			       "spec '%.200s': empty port (expected e.g. /dev/ttyUSB0?baud=115200)", spec);
	if (plen >= sizeof(cfg->port))
		return err_set(CLIENT_ERR_OPTION, "spec: port name too long (%zu bytes, at most %d)", plen,
			       CLIENT_PORT_MAX - 1);
	memcpy(cfg->port, spec, plen);
	cfg->port[plen] = '\0';
	if (!q)
		return CLIENT_OK;
	/* Duplicates are caught by the second walk, which sees every pair. */
	ret = walk_pairs(cfg, q + 1, 1);
	if (ret)
		return ret;
	return walk_pairs(cfg, q + 1, 0);
}

SERIALCMD_API struct client_config *client_config_new(const char *spec)
{
	struct client_config *cfg = malloc(sizeof(*cfg));

	if (!cfg) {
		err_set(CLIENT_ERR_NOMEM, "client_config_new: out of memory");
		return NULL;
	}
	config_defaults(cfg);
	if (spec && client_config_parse(cfg, spec) != CLIENT_OK) {
		free(cfg);
		return NULL;
	}
	err_clear();
	return cfg;
}

SERIALCMD_API void client_config_free(struct client_config *cfg)
{
	free(cfg);
}
