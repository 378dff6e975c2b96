/* SPDX-License-Identifier: MIT */
/* record.c - the session recording: every transaction of a handle appended
 * to a JSON Lines file (tools/session-format.md), one write(2) a line. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Raw bytes one transaction may capture beyond max_reply: the stale-input
 * drain (at most 1 MiB), a block header, terminators. Past it bytes are
 * only counted ("lost"), so memory stays bounded whatever the device does. */
#define RECORD_SLACK ((size_t)2 << 20)
/* A line buffer grown past this is given back after its transaction. */
#define RECORD_KEEP ((size_t)64 << 10)

/* A growing text buffer: the line being built. */
struct linebuf {
	char *data;
	size_t len, cap;
};

struct recorder {
	int fd; /* -1 once stopped */
	char problem[700]; /* why recording stopped, "" while it runs */
	int64_t opened_ns;
	/* The transaction being recorded. */
	int active;
	int is_read;	   /* a read: every byte is wire */
	int oom;	   /* the line could not grow: this transaction is lost */
	char open_field;   /* the string field being appended to: 'd', 'c', 'w' or 0 */
	int64_t begin_ns;
	int64_t sent_ns;   /* end of the last write, 0 before it */
	int64_t first_ns;  /* first wire byte, 0 before it */
	size_t budget;	   /* raw bytes it may still capture */
	size_t lost;	   /* bytes not captured (over budget) */
	struct linebuf line;
	struct linebuf unsolicited; /* the unsolicited list, escaped and quoted */
};

/* Room for n more bytes; 0, or -1 when memory ran out (oom set: the
 * transaction's line is not written, and recording stops, so that a
 * recording never silently misses a transaction in its middle). */
static int reserve(struct recorder *r, struct linebuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (r->oom)
		return -1;
	if (b->cap - b->len >= n)
		return 0;
	cap = b->cap ? b->cap : 512;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		r->oom = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

static void add_text(struct recorder *r, struct linebuf *b, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_text(struct recorder *r, struct linebuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp) || reserve(r, b, (size_t)n))
		return;
	memcpy(b->data + b->len, tmp, (size_t)n);
	b->len += (size_t)n;
}

/* The parts of a transaction's line are put together without printf: a
 * small query's line costs a fraction of a microsecond beside its write. */
static void add_raw(struct recorder *r, struct linebuf *b, const char *text, size_t len)
{
	if (reserve(r, b, len))
		return;
	memcpy(b->data + b->len, text, len);
	b->len += len;
}

static void add_str(struct recorder *r, struct linebuf *b, const char *text)
{
	add_raw(r, b, text, strlen(text));
}

/* value / 10^decimals as a decimal with that many decimals: microseconds
 * as seconds (6) or milliseconds (3). */
static void add_fixed(struct recorder *r, struct linebuf *b, int64_t value, int decimals)
{
	char digits[32];
	size_t i = sizeof(digits);
	uint64_t v = value > 0 ? (uint64_t)value : 0;

	for (int k = 0; k < decimals; k++, v /= 10)
		digits[--i] = (char)('0' + v % 10);
	digits[--i] = '.';
	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	add_raw(r, b, digits + i, sizeof(digits) - i);
}

static void add_bytes(struct recorder *r, struct linebuf *b, const void *data, size_t len)
{
	if (len > (SIZE_MAX - 64) / 6 || reserve(r, b, 6 * len))
		return;
	b->len += sc_escape_json(b->data + b->len, data, len);
}

/* End the string field being appended to and start field (its name), so
 * that drained, cmd and wire each stay one string in the order they came. */
static void switch_field(struct recorder *r, char field, const char *name)
{
	if (r->open_field == field)
		return;
	if (r->open_field)
		add_str(r, &r->line, "\"");
	add_str(r, &r->line, ",\"");
	add_str(r, &r->line, name);
	add_str(r, &r->line, "\":\"");
	r->open_field = field;
}

/* Stop recording for good, saying why once: the trace now, the last
 * message through the caller (sc_record_end()'s 1). */
static void stop(struct client *c, const char *what, int errnum)
{
	struct recorder *r = c->rec;

	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	snprintf(r->problem, sizeof(r->problem), "recording stopped: %s (%s); commands go on unrecorded", what,
		 strerror(errnum));
	sc_trace_transport(c, r->problem);
}

/* One line, in one write(2): whole or not at all, so a reader never sees
 * half of one unless the disk filled during it (then recording stops). */
static int put_line(struct client *c, const char *data, size_t len)
{
	ssize_t n;

	do
		n = write(c->rec->fd, data, len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 0;
	stop(c, "cannot write the recording", n < 0 ? errno : ENOSPC);
	return 1;
}

static void header(struct client *c)
{
	const struct client_config *cfg = &c->cfg;
	struct recorder *r = c->rec;
	char parity[16] = "", flow[16] = "", stamp[40];
	struct timespec now;
	struct tm tm;

	sc_option_format(sc_option_find("parity"), cfg, parity, sizeof(parity));
	sc_option_format(sc_option_find("flow"), cfg, flow, sizeof(flow));
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	r->line.len = 0;
	add_text(r, &r->line, "{\"format\":\"serialcmd-session\",\"version\":1,\"library\":\"");
	add_bytes(r, &r->line, client_version(), strlen(client_version()));
	add_text(r, &r->line, "\",\"port\":\"");
	add_bytes(r, &r->line, cfg->port, strlen(cfg->port));
	add_text(r, &r->line,
		 "\",\"start\":\"%s.%03ldZ\",\"settings\":{\"baud\":%d,\"bits\":%d,\"parity\":\"%s\","
		 "\"stop\":%d,\"flow\":\"%s\",\"write_eol\":\"",
		 stamp, now.tv_nsec / 1000000, cfg->baud, cfg->bits, parity, cfg->stop, flow);
	add_bytes(r, &r->line, cfg->write_eol, cfg->write_eol_len);
	add_text(r, &r->line, "\",\"read_eol\":\"");
	add_bytes(r, &r->line, cfg->read_eol, cfg->read_eol_len);
	add_text(r, &r->line, "\",\"timeout_ms\":%u,\"echo\":%d}}\n", cfg->timeout_ms, cfg->echo);
	if (r->oom) {
		r->oom = 0;
		stop(c, "out of memory for the header", ENOMEM);
		return;
	}
	put_line(c, r->line.data, r->line.len);
}

void sc_record_open(struct client *c)
{
	const char *path = c->cfg.record[0] ? c->cfg.record : secure_getenv("SERIALCMD_RECORD");
	struct recorder *r;

	if (!path || !path[0])
		return;
	r = calloc(1, sizeof(*r));
	if (!r) {
		sc_trace_transport(c, "recording not started: out of memory");
		return;
	}
	c->rec = r;
	r->opened_ns = sc_clock_now_ns();
	/* 0600: a session may hold passwords and keys typed to the device.
	 * NOFOLLOW: a planted symlink cannot redirect it. NONBLOCK: a FIFO
	 * without a reader, or a pipe that does not keep up, stops the
	 * recording instead of holding a command (no effect on a file).
	 * NOCTTY: a terminal named as the file never becomes ours. */
	r->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
		     0600);
	if (r->fd < 0) {
		int errnum = errno;
		char what[600];

		snprintf(what, sizeof(what), "cannot open %s", path);
		stop(c, what, errnum);
		return;
	}
	header(c);
}

void sc_record_close(struct client *c)
{
	struct recorder *r = c->rec;

	if (!r)
		return;
	if (r->fd >= 0) {
		r->oom = 0;
		r->line.len = 0;
		add_str(r, &r->line, "{\"t\":");
		add_fixed(r, &r->line, (sc_clock_now_ns() - r->opened_ns) / 1000, 6);
		add_str(r, &r->line, ",\"kind\":\"close\"}\n");
		if (r->oom || !put_line(c, r->line.data, r->line.len))
			close(r->fd);
	}
	free(r->line.data);
	free(r->unsolicited.data);
	free(r);
	c->rec = NULL;
}

void sc_record_begin(struct client *c, const char *kind)
{
	struct recorder *r = c->rec;

	if (!r || r->fd < 0)
		return;
	r->active = 1;
	r->is_read = strcmp(kind, "read") == 0;
	r->oom = 0;
	r->open_field = 0;
	r->begin_ns = sc_clock_now_ns();
	r->sent_ns = 0;
	r->first_ns = 0;
	r->budget = c->cfg.max_reply + RECORD_SLACK;
	r->lost = 0;
	r->line.len = 0;
	r->unsolicited.len = 0;
	add_str(r, &r->line, "{\"t\":");
	add_fixed(r, &r->line, (r->begin_ns - r->opened_ns) / 1000, 6);
	add_str(r, &r->line, ",\"kind\":\"");
	add_str(r, &r->line, kind);
	add_str(r, &r->line, "\"");
}

/* Take what fits of len bytes from the budget; the rest is lost. */
static size_t within_budget(struct recorder *r, size_t len)
{
	size_t take = len < r->budget ? len : r->budget;

	r->budget -= take;
	r->lost += len - take;
	return take;
}

void sc_record_sent(struct client *c, const void *data, size_t len)
{
	struct recorder *r = c->rec;

	if (!r || !r->active)
		return;
	switch_field(r, 'c', "cmd");
	/* What is written is the caller's, never over budget: a block is
	 * at most 999999999 bytes and the caller holds it already. */
	add_bytes(r, &r->line, data, len);
	r->sent_ns = sc_clock_now_ns();
}

void sc_record_received(struct client *c, const void *data, size_t len)
{
	struct recorder *r = c->rec;
	int wire;

	if (!r || !r->active || !len)
		return;
	wire = r->is_read || r->sent_ns;
	if (wire && !r->first_ns)
		r->first_ns = sc_clock_now_ns();
	len = within_budget(r, len);
	if (!len)
		return;
	switch_field(r, wire ? 'w' : 'd', wire ? "wire" : "drained");
	add_bytes(r, &r->line, data, len);
}

void sc_record_unsolicited(struct client *c, const void *line, size_t len)
{
	struct recorder *r = c->rec;

	if (!r || !r->active)
		return;
	len = within_budget(r, len);
	add_str(r, &r->unsolicited, r->unsolicited.len ? ",\"" : ",\"unsolicited\":[\"");
	add_bytes(r, &r->unsolicited, line, len);
	add_str(r, &r->unsolicited, "\"");
}

int sc_record_end(struct client *c, int code)
{
	struct recorder *r = c->rec;
	int64_t end;
	int stopped = 0;

	if (!r || !r->active)
		return 0;
	end = sc_clock_now_ns();
	r->active = 0;
	if (r->open_field)
		add_str(r, &r->line, "\"");
	add_str(r, &r->line, ",\"outcome\":\"");
	add_str(r, &r->line, client_error_name(code));
	add_str(r, &r->line, "\"");
	if (r->first_ns) {
		add_str(r, &r->line, ",\"delay_ms\":");
		add_fixed(r, &r->line, (r->first_ns - (r->sent_ns ? r->sent_ns : r->begin_ns)) / 1000, 3);
	}
	add_str(r, &r->line, ",\"ms\":");
	add_fixed(r, &r->line, (end - r->begin_ns) / 1000, 3);
	if (r->unsolicited.len) {
		add_raw(r, &r->line, r->unsolicited.data, r->unsolicited.len);
		add_str(r, &r->line, "]");
	}
	if (r->lost)
		add_text(r, &r->line, ",\"lost\":%zu", r->lost);
	add_str(r, &r->line, "}\n");
	if (r->oom) {
		stop(c, "out of memory for a transaction's line", ENOMEM);
		stopped = 1;
	} else {
		stopped = put_line(c, r->line.data, r->line.len);
	}
	/* A huge reply's line is not kept for the small ones after it. */
	if (r->line.cap > RECORD_KEEP) {
		free(r->line.data);
		r->line = (struct linebuf){ 0 };
	}
	if (r->unsolicited.cap > RECORD_KEEP) {
		free(r->unsolicited.data);
		r->unsolicited = (struct linebuf){ 0 };
	}
	return stopped;
}

const char *sc_record_problem(const struct client *c)
{
	return c->rec ? c->rec->problem : "";
}
