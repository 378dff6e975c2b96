/* SPDX-License-Identifier: MIT */
/* record.c - the session recording: every transaction of a handle appended
 * to a JSON Lines file (tools/session-format.md), each line as its
 * transaction ends, or paired with the next one in a fast run. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Raw bytes one transaction may capture beyond max_reply: the stale-input
 * drain (at most 1 MiB), a block header, terminators. Past it bytes are
 * only counted ("lost"), so memory stays bounded whatever the device does. */
#define RECORD_SLACK ((size_t)2 << 20)
/* Buffers are kept from one transaction to the next: growing one again
 * costs copies and page faults (1 MiB replies were recorded 4 times slower
 * when their buffers went back each time). One over this size and over 8
 * times the transaction's line is given back: small lines after a large
 * one do not keep its memory. */
#define RECORD_KEEP ((size_t)64 << 10)
/* A write(2) costs 1.5-2.5 us on the test VM: 4-8% of a 30-40 us round
 * trip on a pty, nothing beside a real instrument's milliseconds. So in a
 * fast run, where a transaction took under this and began within this of
 * the previous one's end, its line waits for the next transaction's and the
 * two go out in one writev(2): half the calls, while a crash still loses at
 * most the last transaction. Anything slower is written as it ends. */
#define RECORD_FAST_NS 1000000

/* A growing text buffer: the line being built. */
struct linebuf {
	char *data;
	size_t len, cap;
};

struct recorder {
	struct client *client;
	struct recorder *prev, *next; /* the recorders list */
	int fd; /* -1 once stopped */
	char problem[700]; /* why recording stopped, "" while it runs */
	int64_t opened_ns;
	int64_t last_end_ns; /* when the previous transaction ended, 0 before it */
	unsigned generation; /* fork_generation at open: see forked() */
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
	struct linebuf pending; /* a fast transaction's line, to go out with the next */
	struct linebuf unsolicited; /* the unsolicited list, escaped and quoted */
};

/* Grows b for n more bytes (reserve()'s slow path). */
static __attribute__((noinline)) int grow(struct recorder *r, struct linebuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (r->oom)
		return -1;
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

/* Room for n more bytes; 0, or -1 when memory ran out (oom set: the
 * transaction's line is not written, and recording stops, so that a
 * recording never silently misses a transaction in its middle). Inline:
 * a small query's line makes some twenty calls. */
static inline int reserve(struct recorder *r, struct linebuf *b, size_t n)
{
	if (__builtin_expect(b->cap - b->len >= n && !r->oom, 1))
		return 0;
	return grow(r, b, n);
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
static inline void add_raw(struct recorder *r, struct linebuf *b, const char *text, size_t len)
{
	if (reserve(r, b, len))
		return;
	memcpy(b->data + b->len, text, len);
	b->len += len;
}

static inline void add_str(struct recorder *r, struct linebuf *b, const char *text)
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

/* Every open recorder, so that exit() writes the lines still pending: a
 * program that ends without client_destroy() loses nothing either. */
static pthread_mutex_t recorders_lock = PTHREAD_MUTEX_INITIALIZER;
static struct recorder *recorders;
static pthread_once_t watch_once = PTHREAD_ONCE_INIT;

/* Counts fork()s; a child's recorders see it differ from their own. The
 * line pending in a parent's recorder is the parent's to write: a child
 * that went on with the handle would write it a second time. */
static unsigned fork_generation;

static void before_fork(void)
{
	pthread_mutex_lock(&recorders_lock);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&recorders_lock);
}

static void after_fork_child(void)
{
	fork_generation++; /* in the child, its only thread */
	pthread_mutex_unlock(&recorders_lock);
}

static int put_lines(struct client *c, struct linebuf *line);

/* At exit(): each handle not inside a call writes its pending line. A
 * handle busy in another thread is left alone, as a crash would leave it
 * (so is one whose call is calling exit() from a trace callback). */
static void flush_at_exit(void)
{
	pthread_mutex_lock(&recorders_lock);
	for (struct recorder *r = recorders; r; r = r->next) {
		if (pthread_mutex_trylock(&r->client->lock) != 0)
			continue;
		if (r->pending.len && r->fd >= 0) {
			r->line.len = 0;
			put_lines(r->client, &r->line);
		}
		pthread_mutex_unlock(&r->client->lock);
	}
	pthread_mutex_unlock(&recorders_lock);
}

static void watch_fork_and_exit(void)
{
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	atexit(flush_at_exit);
}

/* The pending line, if any, then line, in one writev(2): each whole, or
 * nothing, unless the disk filled in the middle (then recording stops).
 * O_APPEND keeps the two together when other handles append to the file. */
static int put_lines(struct client *c, struct linebuf *line)
{
	struct recorder *r = c->rec;
	struct iovec iov[2];
	size_t len;
	ssize_t n;

	if (r->generation != fork_generation)
		r->pending.len = 0;
	iov[0] = (struct iovec){ r->pending.data, r->pending.len };
	iov[1] = (struct iovec){ line->data, line->len };
	len = r->pending.len + line->len;
	r->pending.len = 0;
	do
		n = writev(r->fd, iov, 2);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 0;
	stop(c, "cannot write the recording", n < 0 ? errno : ENOSPC);
	return 1;
}

/* Gives b's memory back when it is much larger than what is used now. */
static void trim(struct linebuf *b, size_t used)
{
	if (b->cap > RECORD_KEEP && b->cap / 8 > used) {
		free(b->data);
		*b = (struct linebuf){ 0 };
	}
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
	put_lines(c, &r->line);
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
	r->client = c;
	pthread_once(&watch_once, watch_fork_and_exit);
	pthread_mutex_lock(&recorders_lock);
	r->generation = fork_generation;
	r->next = recorders;
	if (recorders)
		recorders->prev = r;
	recorders = r;
	pthread_mutex_unlock(&recorders_lock);
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
	pthread_mutex_lock(&recorders_lock);
	if (r->prev)
		r->prev->next = r->next;
	else
		recorders = r->next;
	if (r->next)
		r->next->prev = r->prev;
	pthread_mutex_unlock(&recorders_lock);
	if (r->fd >= 0) {
		r->oom = 0;
		r->line.len = 0;
		add_str(r, &r->line, "{\"t\":");
		add_fixed(r, &r->line, (sc_clock_now_ns() - r->opened_ns) / 1000, 6);
		add_str(r, &r->line, ",\"kind\":\"close\"}\n");
		if (r->oom)
			r->line.len = 0; /* the pending line still goes out */
		if (!put_lines(c, &r->line))
			close(r->fd);
	}
	free(r->line.data);
	free(r->pending.data);
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
	size_t used;

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
	used = r->line.len;
	if (r->oom) {
		r->line.len = 0; /* the pending line still goes out */
		if (!put_lines(c, &r->line))
			stop(c, "out of memory for a transaction's line", ENOMEM);
		stopped = 1;
	} else if (!r->pending.len && end - r->begin_ns < RECORD_FAST_NS && r->last_end_ns &&
		   r->begin_ns - r->last_end_ns < RECORD_FAST_NS) {
		struct linebuf wait = r->line;

		r->line = r->pending;
		r->pending = wait;
	} else {
		stopped = put_lines(c, &r->line);
	}
	r->last_end_ns = end;
	trim(&r->line, used);
	if (!r->pending.len)
		trim(&r->pending, used);
	trim(&r->unsolicited, r->unsolicited.len);
	return stopped;
}

const char *sc_record_problem(const struct client *c)
{
	return c->rec ? c->rec->problem : "";
}
