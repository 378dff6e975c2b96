/* SPDX-License-Identifier: MIT */
/* sim-session.c - read a recorded session (JSON Lines, format version 1)
 * into memory. A small JSON reader of its own: objects, arrays, strings,
 * numbers, true/false/null, one object per line. Byte strings are JSON
 * strings whose code points are the bytes (U+0000..U+00FF, as \u00XX escapes
 * or as UTF-8); they are decoded in place, in the file's buffer, so memory
 * stays bounded by the file's size. Every error names file, line, column. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "sim-session.h"

#define DEPTH_MAX 16

struct jp {
	unsigned char *p, *line_start, *end; /* end: the line's '\n' (or the file's end) */
	const char *file;
	int line;
	char *err;
	size_t errsize;
};

static int fail(struct jp *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct jp *j, const char *fmt, ...)
{
	char why[256], file[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sc_escape_bytes(file, sizeof(file), j->file, strlen(j->file));
	snprintf(j->err, j->errsize, "%s:%d:%ld: %s", file, j->line, (long)(j->p - j->line_start) + 1, why);
	return -1;
}

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r'))
		j->p++;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One UTF-8 sequence at j->p (a lead byte >= 0x80): its code point, or -1. */
static long utf8_point(struct jp *j)
{
	const unsigned char *s = j->p;
	int n;
	long cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return -1;
	if (j->end - j->p < n)
		return -1;
	cp = s[0] & (0x7f >> n);
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and points past U+10FFFF are not UTF-8. */
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return -1;
	j->p += n;
	return cp;
}

/* A string at j->p, decoded in place into out. *wide: a code point above
 * U+00FF was in it (a byte string cannot have one; other strings may). */
static int string(struct jp *j, struct sim_bytes *out, int *wide)
{
	unsigned char *w;

	*wide = 0;
	if (j->p >= j->end || *j->p != '"')
		return fail(j, "expected a string");
	w = ++j->p;
	out->data = w;
	for (;;) {
		long cp;

		if (j->p >= j->end)
			return fail(j, "string not closed before the end of the line");
		if (*j->p == '"')
			break;
		if (*j->p < 0x20)
			return fail(j, "raw control byte 0x%02x in a string (must be escaped)", *j->p);
		if (*j->p >= 0x80) {
			cp = utf8_point(j);
			if (cp < 0)
				return fail(j, "invalid UTF-8 in a string");
		} else if (*j->p != '\\') {
			cp = *j->p++;
		} else {
			if (j->end - j->p < 2)
				return fail(j, "string not closed before the end of the line");
			switch (j->p[1]) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				cp = 0;
				for (int i = 2; i < 6; i++) {
					int h = j->p + i < j->end ? hexval(j->p[i]) : -1;

					if (h < 0)
						return fail(j, "\\u needs four hex digits");
					cp = cp * 16 + h;
				}
				j->p += 4;
				break;
			default:
				return fail(j, "unknown escape \\%c in a string",
					    j->p[1] >= 0x20 && j->p[1] < 0x7f ? j->p[1] : '?');
			}
			j->p += 2;
		}
		if (cp > 0xff) {
			*wide = 1;
			cp = '?';
		}
		/* The decoded form is never longer than the text: w <= p. */
		*w++ = (unsigned char)cp;
	}
	j->p++;
	out->len = (size_t)(w - out->data);
	return 0;
}

/* A number as JSON writes it (no hex, no inf/nan, no leading '+' or zeros). */
static int number(struct jp *j, double *out)
{
	const unsigned char *s = j->p;
	char buf[64];
	size_t n;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (j->p < j->end && *j->p >= '1' && *j->p <= '9')
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return fail(j, "expected a number");
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return fail(j, "a digit must follow the decimal point");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return fail(j, "a digit must follow the exponent");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	n = (size_t)(j->p - s);
	if (n >= sizeof(buf))
		return fail(j, "number too long");
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtod(buf, NULL);
	if (errno == ERANGE || !isfinite(*out))
		return fail(j, "number out of range");
	return 0;
}

static int value(struct jp *j, int depth);

/* An object's key and the ':' after it, and the space around them. */
static int key_colon(struct jp *j, struct sim_bytes *key)
{
	int wide;

	if (string(j, key, &wide))
		return -1;
	skip_ws(j);
	if (j->p >= j->end || *j->p != ':')
		return fail(j, "expected ':' after a key");
	j->p++;
	skip_ws(j);
	return 0;
}

/* The members of an object or the items of an array, skipped. */
static int skip_container(struct jp *j, int depth, unsigned char close)
{
	struct sim_bytes key;

	if (depth > DEPTH_MAX)
		return fail(j, "nested more than %d deep", DEPTH_MAX);
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		skip_ws(j);
		if (close == '}') {
			if (key_colon(j, &key))
				return -1;
		}
		if (value(j, depth + 1))
			return -1;
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		return fail(j, "expected ',' or '%c'", close);
	}
}

/* Any value, skipped (the value of a key this reader does not use). */
static int value(struct jp *j, int depth)
{
	static const char *const words[] = { "true", "false", "null" };
	struct sim_bytes s;
	double d;
	int wide;

	skip_ws(j);
	if (j->p >= j->end)
		return fail(j, "expected a value, found the end of the line");
	if (*j->p == '{' || *j->p == '[')
		return skip_container(j, depth, *j->p == '{' ? '}' : ']');
	if (*j->p == '"')
		return string(j, &s, &wide);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);

		if ((size_t)(j->end - j->p) >= n && memcmp(j->p, words[i], n) == 0) {
			j->p += n;
			return 0;
		}
	}
	if (*j->p != '-' && (*j->p < '0' || *j->p > '9'))
		return fail(j, "expected a value (object, array, string, number, true, false or null)");
	return number(j, &d);
}

/* Walk an object: *first starts at 1; returns 1 with the next key read (and
 * its ':' passed), 0 after the closing '}', -1 on error. */
static int member(struct jp *j, int *first, struct sim_bytes *key)
{
	skip_ws(j);
	if (*first) {
		if (j->p >= j->end || *j->p != '{')
			return fail(j, "expected an object ('{')");
		j->p++;
		skip_ws(j);
		*first = 0;
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return 0;
		}
	} else if (j->p < j->end && *j->p == '}') {
		j->p++;
		return 0;
	} else if (j->p < j->end && *j->p == ',') {
		j->p++;
		skip_ws(j);
	} else {
		return fail(j, "expected ',' or '}'");
	}
	if (key_colon(j, key))
		return -1;
	return 1;
}

static int is_key(const struct sim_bytes *k, const char *name)
{
	return k->len == strlen(name) && memcmp(k->data, name, k->len) == 0;
}

/* A byte string: no code point above U+00FF. */
static int bytes(struct jp *j, struct sim_bytes *out, const char *name)
{
	int wide;

	if (string(j, out, &wide))
		return -1;
	if (wide)
		return fail(j, "\"%s\": a character above U+00FF (byte strings hold U+0000..U+00FF)", name);
	return 0;
}

static int nonneg(struct jp *j, double *out, const char *name)
{
	if (number(j, out))
		return -1;
	if (*out < 0)
		return fail(j, "\"%s\" must not be negative", name);
	return 0;
}

/* A short plain word (parity, flow): kept only when it is letters/digits,
 * so that nothing odd reaches a generated profile. */
static int word(struct jp *j, char *out, size_t size)
{
	struct sim_bytes s;
	int wide;

	if (string(j, &s, &wide))
		return -1;
	out[0] = '\0';
	if (wide || s.len == 0 || s.len >= size)
		return 0;
	for (size_t i = 0; i < s.len; i++)
		if (!((s.data[i] >= 'a' && s.data[i] <= 'z') || (s.data[i] >= 'A' && s.data[i] <= 'Z') ||
		      (s.data[i] >= '0' && s.data[i] <= '9')))
			return 0;
	memcpy(out, s.data, s.len);
	out[s.len] = '\0';
	return 0;
}

static int eol(struct jp *j, unsigned char *out, size_t *len, const char *name)
{
	struct sim_bytes s;

	if (bytes(j, &s, name))
		return -1;
	if (s.len > SIM_SESSION_EOL_MAX)
		return fail(j, "\"%s\" longer than %d bytes", name, SIM_SESSION_EOL_MAX);
	memcpy(out, s.data, s.len);
	*len = s.len;
	return 0;
}

static int settings(struct jp *j, struct sim_header *h)
{
	static const char *const numeric[] = { "baud", "bits", "stop", "timeout_ms", "echo" };
	double *fields[] = { &h->baud, &h->bits, &h->stop, &h->timeout_ms, &h->echo };
	struct sim_bytes key;
	int first = 1, r;

	while ((r = member(j, &first, &key)) > 0) {
		size_t i = 0;

		while (i < sizeof(numeric) / sizeof(numeric[0]) && !is_key(&key, numeric[i]))
			i++;
		if (i < sizeof(numeric) / sizeof(numeric[0]))
			r = nonneg(j, fields[i], numeric[i]);
		else if (is_key(&key, "write_eol"))
			r = eol(j, h->write_eol, &h->write_eol_len, "write_eol"), h->has_write_eol = 1;
		else if (is_key(&key, "read_eol"))
			r = eol(j, h->read_eol, &h->read_eol_len, "read_eol"), h->has_read_eol = 1;
		else if (is_key(&key, "parity"))
			r = word(j, h->parity, sizeof(h->parity));
		else if (is_key(&key, "flow"))
			r = word(j, h->flow, sizeof(h->flow));
		else
			r = value(j, 2);
		if (r)
			return -1;
	}
	return r;
}

/* What one line says, before it is sorted into a header or a record. */
struct fields {
	struct sim_bytes format, kind, outcome, cmd, wire, drained;
	int has_format, has_version, has_kind, has_t;
	double version, t, delay_ms, ms, lost;
	struct sim_header h;
};

static int line_fields(struct jp *j, struct fields *f)
{
	struct sim_bytes key;
	int first = 1, r, wide;

	while ((r = member(j, &first, &key)) > 0) {
		if (is_key(&key, "format"))
			r = string(j, &f->format, &wide), f->has_format = 1;
		else if (is_key(&key, "version"))
			r = number(j, &f->version), f->has_version = 1;
		else if (is_key(&key, "settings"))
			r = settings(j, &f->h);
		else if (is_key(&key, "kind"))
			r = string(j, &f->kind, &wide), f->has_kind = 1;
		else if (is_key(&key, "outcome"))
			r = string(j, &f->outcome, &wide);
		else if (is_key(&key, "t"))
			r = nonneg(j, &f->t, "t"), f->has_t = 1;
		else if (is_key(&key, "delay_ms"))
			r = nonneg(j, &f->delay_ms, "delay_ms");
		else if (is_key(&key, "ms"))
			r = nonneg(j, &f->ms, "ms");
		else if (is_key(&key, "lost"))
			r = nonneg(j, &f->lost, "lost");
		else if (is_key(&key, "cmd"))
			r = bytes(j, &f->cmd, "cmd");
		else if (is_key(&key, "wire"))
			r = bytes(j, &f->wire, "wire");
		else if (is_key(&key, "drained"))
			r = bytes(j, &f->drained, "drained");
		else
			r = value(j, 1);
		if (r)
			return -1;
	}
	if (r)
		return -1;
	skip_ws(j);
	if (j->p != j->end)
		return fail(j, "text after the object (one object per line)");
	return 0;
}

/* Room for one more element of *arr (n used, *cap allocated): doubles. */
static int grow(void **arr, size_t n, size_t *cap, size_t size)
{
	void *p;
	size_t want;

	if (n < *cap)
		return 0;
	want = *cap ? 2 * *cap : 16;
	p = realloc(*arr, want * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = want;
	return 0;
}

static int add_header(struct jp *j, struct sim_session *ss, struct fields *f)
{
	static const char magic[] = "serialcmd-session";

	if (f->format.len != sizeof(magic) - 1 || memcmp(f->format.data, magic, f->format.len) != 0)
		return fail(j, "\"format\" is not \"serialcmd-session\": not a serialcmd recording");
	if (!f->has_version)
		return fail(j, "the header has no \"version\"");
	if (f->version != 1)
		return fail(j, "unknown format version %g (this serialcmd-sim reads version 1)", f->version);
	if (grow((void **)&ss->headers, ss->nheaders, &ss->headers_cap, sizeof(*ss->headers)))
		return fail(j, "out of memory");
	f->h.line = j->line;
	ss->headers[ss->nheaders++] = f->h;
	return 0;
}

static int add_record(struct jp *j, struct sim_session *ss, struct fields *f)
{
	static const char *const kinds[] = { "query", "write", "read" };
	struct sim_record *r;
	size_t k = 0;

	if (!f->has_kind)
		return fail(j, "neither a header (\"format\") nor a transaction (\"kind\")");
	if (!ss->nheaders)
		return fail(j, "a transaction before the first header");
	while (k < 3 && !is_key(&f->kind, kinds[k]))
		k++;
	if (k == 3) {
		ss->skipped++; /* "close", or a kind of a later version */
		return 0;
	}
	/* A query or write without "cmd" failed before it wrote anything
	 * (the line never went quiet): the replay waits for no command. */
	if (!f->has_t)
		return fail(j, "a transaction without \"t\"");
	if (grow((void **)&ss->recs, ss->nrecs, &ss->recs_cap, sizeof(*ss->recs)))
		return fail(j, "out of memory");
	r = &ss->recs[ss->nrecs++];
	memset(r, 0, sizeof(*r));
	r->kind = (enum sim_rec_kind)k;
	r->line = j->line;
	r->header = ss->nheaders - 1;
	r->t = f->t;
	r->delay_ms = f->delay_ms;
	r->ms = f->ms;
	r->ok = !f->outcome.data || is_key(&f->outcome, "CLIENT_OK");
	r->gone = f->outcome.data && is_key(&f->outcome, "CLIENT_ERR_GONE");
	r->cut = f->outcome.data &&
		 (is_key(&f->outcome, "CLIENT_ERR_TIMEOUT") || is_key(&f->outcome, "CLIENT_ERR_TOOLONG"));
	if (k != SIM_REC_READ)
		r->cmd = f->cmd;
	/* A write has no wire in the format, but an echoing device's echo
	 * is read after one: if a recorder keeps it, it is sent. */
	r->wire = f->wire;
	r->drained = f->drained;
	if (f->lost > 0 && !ss->lost_line)
		ss->lost_line = j->line;
	return 0;
}

static int parse_line(struct jp *j, struct sim_session *ss)
{
	struct fields f;

	memset(&f, 0, sizeof(f));
	f.delay_ms = f.ms = -1;
	f.h.baud = f.h.bits = f.h.stop = f.h.timeout_ms = f.h.echo = -1;
	if (line_fields(j, &f))
		return -1;
	return f.has_format ? add_header(j, ss, &f) : add_record(j, ss, &f);
}

/* The file, whole, into a buffer: a regular file of at most
 * SIM_SESSION_FILE_MAX bytes (never a FIFO or device to block on). */
static int slurp(const char *path, struct sim_session *ss, size_t *size, char *err, size_t errsize)
{
	char file[512];
	struct stat st;
	size_t got = 0;
	int fd;

	sc_escape_bytes(file, sizeof(file), path, strlen(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errsize, "%s: %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > SIM_SESSION_FILE_MAX) {
		snprintf(err, errsize, "%s: %s", file,
			 !S_ISREG(st.st_mode) ? "not a regular file" : "larger than 256 MiB");
		close(fd);
		return -1;
	}
	ss->text = malloc((size_t)st.st_size + 1);
	if (!ss->text) {
		snprintf(err, errsize, "%s: out of memory", file);
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, ss->text + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errsize, "%s: %s", file,
				 n < 0 ? strerror(errno) : "shorter than its size");
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	ss->text[got] = '\0';
	*size = got;
	return 0;
}

int sim_session_load(const char *path, struct sim_session *ss, char *err, size_t errsize, char *warn,
		     size_t warnsize)
{
	struct jp j = { .file = path, .err = err, .errsize = errsize };
	unsigned char *p, *end;
	size_t size;

	memset(ss, 0, sizeof(*ss));
	warn[0] = '\0';
	if (slurp(path, ss, &size, err, errsize))
		goto fail;
	ss->path = strdup(path);
	if (!ss->path) {
		j.line = 0;
		j.p = j.line_start = ss->text;
		fail(&j, "out of memory");
		goto fail;
	}
	p = ss->text;
	end = p + size;
	while (p < end) {
		unsigned char *nl = memchr(p, '\n', (size_t)(end - p));

		j.line++;
		j.p = j.line_start = p;
		j.end = nl ? nl : end;
		skip_ws(&j);
		if (j.p < j.end && parse_line(&j, ss)) {
			if (nl)
				goto fail;
			/* The last line, unfinished: a recorder killed while
			 * writing it. Everything before it stands. */
			snprintf(warn, warnsize, "%s (an unfinished last line: ignored)", err);
			err[0] = '\0';
			break;
		}
		p = nl ? nl + 1 : end;
	}
	if (!ss->nheaders) {
		char file[512];

		sc_escape_bytes(file, sizeof(file), path, strlen(path));
		snprintf(err, errsize, "%s: no header line: not a serialcmd recording", file);
		goto fail;
	}
	return 0;
fail:
	sim_session_free(ss);
	return -1;
}

void sim_session_free(struct sim_session *ss)
{
	free(ss->path);
	free(ss->text);
	free(ss->headers);
	free(ss->recs);
	memset(ss, 0, sizeof(*ss));
}
