/* read.c - every read from a handle's transport: the one place that checks
 * the deadline, notes a device gone, keeps the receive buffer's invariants
 * and drops input nobody asked for. Lines, blocks, echo checks and the
 * stale-input drain are all built on these calls. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "internal.h"

/* Stale input is drained in bounded steps so a flooding device cannot hold
 * a command forever. */
#define DRAIN_MAX_READS 256
#define DRAIN_CHUNK 4096
/* The longest dropped line checked for an unsolicited prefix. */
#define DROPPED_LINE_MAX 256
/* Bytes read at a time while skipping input (a too-long block). */
#define SKIP_CHUNK 65536

/* The one call of the transport's read: never past the deadline, and a
 * hang-up is remembered so later commands fail at once (or reconnect).
 * A timeout's message is the caller's to write. */
/* The transport's two reads, and nothing else calls them: whatever comes
 * is handed to the session recording (a no-op unless it records). */
static ssize_t tp_read(struct client *c, void *buf, size_t size, int64_t until_ns)
{
	ssize_t n = c->tp->ops->read(c->tp, buf, size, until_ns);

	if (n > 0)
		sc_record_received(c, buf, (size_t)n);
	return n;
}

static ssize_t tp_read_now(struct client *c, void *buf, size_t size)
{
	ssize_t n = c->tp->ops->read_now(c->tp, buf, size);

	if (n > 0)
		sc_record_received(c, buf, (size_t)n);
	return n;
}

static ssize_t transport_read(struct client *c, void *buf, size_t size, const struct deadline *dl)
{
	ssize_t n;

	if (sc_clock_passed(dl->at_ns))
		return CLIENT_ERR_TIMEOUT;
	n = tp_read(c, buf, size, dl->at_ns);
	if (n < 0)
		sc_client_fail(c, (int)n);
	else
		/* Every byte as it came, terminators included: a wrong
		 * terminator shows here, whatever becomes of the bytes. */
		sc_trace_bytes(c, "read", buf, (size_t)n);
	return n;
}

int sc_read_timeout_error(struct client *c, unsigned int timeout_ms)
{
	char tail[16 * 4 + 1], eol[CLIENT_EOL_MAX * 4 + 1];
	size_t n = c->rx.len, show = n > 16 ? 16 : n;

	sc_escape_bytes(eol, sizeof(eol), c->cfg.read_eol, c->cfg.read_eol_len);
	if (n == 0)
		return sc_err_set(CLIENT_ERR_TIMEOUT,
				  "%s: timeout after %u ms: no reply (expected terminator \"%s\")",
				  c->cfg.port, timeout_ms, eol);
	sc_escape_bytes(tail, sizeof(tail), c->rx.data + n - show, show);
	return sc_err_set(CLIENT_ERR_TIMEOUT,
			  "%s: timeout after %u ms: %zu bytes received, ending %s\"%s\", but not the expected"
			  " terminator \"%s\" (check eol/read_eol)",
			  c->cfg.port, timeout_ms, n, show < n ? "..." : "", tail, eol);
}

/* Append what the transport has to rx, which may grow to limit bytes
 * (rx.len < limit). Returns the count (> 0) or an error with its message
 * set; a timeout's names what had come. */
static ssize_t read_more(struct client *c, size_t limit, const struct deadline *dl)
{
	ssize_t room = sc_rxbuf_reserve(&c->rx, limit), n;

	if (room <= 0)
		return sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory after %zu reply bytes", c->cfg.port,
				  c->rx.len);
	n = transport_read(c, c->rx.data + c->rx.len, (size_t)room, dl);
	if (n > 0)
		c->rx.len += (size_t)n;
	else if (n == CLIENT_ERR_TIMEOUT)
		sc_read_timeout_error(c, dl->ms);
	return n;
}

int sc_read_fill(struct client *c, size_t n, size_t limit, const struct deadline *dl)
{
	while (c->rx.len < n) {
		ssize_t got = read_more(c, limit, dl);

		if (got < 0)
			return (int)got;
	}
	return CLIENT_OK;
}

int sc_read_exact(struct client *c, void *buf, size_t len, const struct deadline *dl, size_t *got)
{
	size_t have = c->rx.len < len ? c->rx.len : len;

	memcpy(buf, c->rx.data, have);
	sc_rxbuf_consume(&c->rx, have);
	while (have < len) {
		ssize_t n = transport_read(c, (char *)buf + have, len - have, dl);

		if (n < 0) {
			*got = have;
			return (int)n;
		}
		have += (size_t)n;
	}
	*got = have;
	return CLIENT_OK;
}

int sc_read_skip(struct client *c, size_t n, const struct deadline *dl)
{
	while (n > 0) {
		size_t take;

		if (!c->rx.len) {
			ssize_t got = read_more(c, SKIP_CHUNK, dl);

			if (got < 0)
				return (int)got;
		}
		take = c->rx.len < n ? c->rx.len : n;
		sc_rxbuf_consume(&c->rx, take);
		n -= take;
	}
	return CLIENT_OK;
}

/* Does the line of len bytes start with one of the unsolicited= prefixes? */
static int is_unsolicited(const struct client *c, const char *line, size_t len)
{
	for (const char *p = c->cfg.unsolicited; *p;) {
		size_t n = strcspn(p, ",");

		if (n && n <= len && memcmp(line, p, n) == 0)
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* The line of pos bytes at the start of rx, followed by a terminator of
 * eol_len bytes: when it is unsolicited, hand it to the callback, count and
 * trace it, and drop it. 1 if it was, 0 if not, or CLIENT_ERR_NOMEM. */
/* A read failed (timeout, device gone) with part of a line buffered: a
 * timeout never returns part of a reply, and what came is dropped so it
 * cannot be taken for the answer to the next command. */
static void drop_partial(struct client *c)
{
	if (c->rx.len)
		sc_trace_bytes(c, "dropped partial", c->rx.data, c->rx.len);
	sc_rxbuf_clear(&c->rx);
}

/* An unsolicited line (NUL-terminated, without its terminator): counted,
 * traced, and handed to the callback. */
static void report_unsolicited(struct client *c, const char *line, size_t len)
{
	__atomic_add_fetch(&c->unsolicited_count, 1, __ATOMIC_RELAXED);
	sc_trace_bytes(c, "unsolicited", line, len);
	sc_record_unsolicited(c, line, len);
	if (c->unsolicited)
		c->unsolicited(c->unsolicited_user, line, len);
}

static int take_unsolicited(struct client *c, size_t pos, size_t eol_len)
{
	struct client_ret *line;

	if (!c->cfg.unsolicited[0] || !is_unsolicited(c, c->rx.data, pos))
		return 0;
	line = sc_rxbuf_take(&c->rx, pos, eol_len, c->cfg.port);
	if (!line)
		return CLIENT_ERR_NOMEM;
	report_unsolicited(c, line->ret_data, line->len);
	client_free_ret(line);
	return 1;
}

int sc_read_drop_line(struct client *c, const char *why, const struct deadline *dl, size_t *dropped)
{
	const size_t eol_len = c->cfg.read_eol_len;
	const size_t limit = c->cfg.max_reply + eol_len;

	*dropped = 0;
	/* What was there when it began; the rest is only counted. */
	sc_trace_bytes(c, why, c->rx.data, c->rx.len);
	for (;;) {
		/* A terminator already buffered ends it at once: what follows
		 * it is the next reply's, and is kept. */
		ssize_t pos = sc_rxbuf_find(&c->rx, c->cfg.read_eol, eol_len);
		size_t keep;

		if (pos >= 0) {
			*dropped += (size_t)pos;
			sc_rxbuf_consume(&c->rx, (size_t)pos + eol_len);
			return 1;
		}
		/* Keep what may be the start of a terminator. */
		keep = c->rx.len < eol_len - 1 ? c->rx.len : eol_len - 1;
		*dropped += c->rx.len - keep;
		sc_rxbuf_consume(&c->rx, c->rx.len - keep);
		if (read_more(c, limit, dl) < 0) {
			*dropped += c->rx.len;
			sc_rxbuf_clear(&c->rx);
			return 0;
		}
	}
}

ssize_t sc_read_line_len(struct client *c, const struct deadline *dl)
{
	const size_t eol_len = c->cfg.read_eol_len;
	const size_t limit = c->cfg.max_reply + eol_len;

	for (;;) {
		ssize_t pos = sc_rxbuf_find(&c->rx, c->cfg.read_eol, eol_len);

		if (pos >= 0 && (size_t)pos <= c->cfg.max_reply) {
			int unasked = take_unsolicited(c, (size_t)pos, eol_len);

			if (unasked < 0)
				return client_last_error();
			if (unasked)
				continue;
			sc_trace_bytes(c, "reply", c->rx.data, (size_t)pos);
			return pos;
		}
		if (pos >= 0 || c->rx.len >= limit) {
			/* Too long: drop it up to its terminator (the device is
			 * most likely still sending it), so the next command
			 * starts clean. Memory stays bounded; the deadline holds. */
			size_t dropped;
			int found = sc_read_drop_line(c, "dropped too long", dl, &dropped);

			return sc_err_set(
				CLIENT_ERR_TOOLONG,
				"%s: reply longer than max_reply=%zu bytes; %zu bytes discarded%s (raise"
				" max_reply, or check the terminator)",
				c->cfg.port, c->cfg.max_reply, dropped,
				found ? " up to its terminator" : " until the deadline");
		}
		if (read_more(c, limit, dl) < 0) {
			drop_partial(c);
			return client_last_error();
		}
	}
}

struct client_ret *sc_read_line(struct client *c, const struct deadline *dl)
{
	ssize_t n = sc_read_line_len(c, dl);

	if (n < 0)
		return NULL;
	return sc_rxbuf_take(&c->rx, (size_t)n, c->cfg.read_eol_len, c->cfg.port);
}

/* Where the echo in rx ends: at the first write terminator (what was sent)
 * or read terminator (the device's own line ending), the longer one where
 * both start at the same byte. Its offset, and *eol_len its length; -1 if
 * neither is there yet. */
static ssize_t find_echo_end(const struct client *c, size_t *eol_len)
{
	const char *data = c->rx.data, *w = NULL, *r;

	if (!c->rx.len)
		return -1;
	if (c->cfg.write_eol_len)
		w = memmem(data, c->rx.len, c->cfg.write_eol, c->cfg.write_eol_len);
	r = memmem(data, c->rx.len, c->cfg.read_eol, c->cfg.read_eol_len);
	if (r && (!w || r < w || (r == w && c->cfg.read_eol_len > c->cfg.write_eol_len))) {
		*eol_len = c->cfg.read_eol_len;
		return r - data;
	}
	if (!w)
		return -1;
	*eol_len = c->cfg.write_eol_len;
	return w - data;
}

struct client_ret *sc_read_echo(struct client *c, int reply_follows, const struct deadline *dl)
{
	const size_t limit = c->cfg.max_reply + CLIENT_EOL_MAX;

	for (;;) {
		size_t eol_len = 0, skip = 0;
		ssize_t pos;

		/* A command is printable, so its echo never starts with CR or
		 * LF: those are the end of a line before it. */
		while (skip < c->rx.len && (c->rx.data[skip] == '\r' || c->rx.data[skip] == '\n'))
			skip++;
		if (skip)
			sc_rxbuf_consume(&c->rx, skip);
		pos = find_echo_end(c, &eol_len);
		if (pos >= 0 && (size_t)pos <= c->cfg.max_reply) {
			const size_t wl = c->cfg.write_eol_len, rl = c->cfg.read_eol_len;
			struct client_ret *echo;
			int unasked = take_unsolicited(c, (size_t)pos, eol_len);

			if (unasked < 0)
				return NULL;
			if (unasked)
				continue;
			echo = sc_rxbuf_take(&c->rx, (size_t)pos, eol_len, c->cfg.port);
			if (!echo)
				return NULL;
			sc_trace_bytes(c, "echo", echo->ret_data, echo->len);
			/* Ended by the write terminator where it begins the
			 * read terminator (CR of CRLF): the rest of the device's
			 * line ending may follow, before the reply. The reply
			 * has at least that many bytes, so waiting for them
			 * costs nothing. */
			if (reply_follows && eol_len == wl && wl < rl &&
			    memcmp(c->cfg.write_eol, c->cfg.read_eol, wl) == 0) {
				if (sc_read_fill(c, rl - wl, limit, dl) != CLIENT_OK) {
					client_free_ret(echo);
					return NULL;
				}
				if (memcmp(c->rx.data, c->cfg.read_eol + wl, rl - wl) == 0)
					sc_rxbuf_consume(&c->rx, rl - wl);
			}
			return echo;
		}
		if (pos >= 0 || c->rx.len >= limit) {
			sc_trace_bytes(c, "dropped too long", c->rx.data, c->rx.len);
			sc_rxbuf_clear(&c->rx);
			sc_err_set(CLIENT_ERR_ECHO, "%s: echo longer than max_reply=%zu bytes", c->cfg.port,
				   c->cfg.max_reply);
			return NULL;
		}
		if (read_more(c, limit, dl) < 0) {
			drop_partial(c);
			return NULL;
		}
	}
}

/* What a drain has dropped: its count, and its last bytes, enough to tell
 * whether it ended with the read terminator (at a line's end) or inside a
 * line. */
struct dropped {
	size_t total;
	char tail[CLIENT_EOL_MAX];
	size_t tail_len;
	int lines; /* lines seen while settling that could be a reply */
	int unsolicited; /* unsolicited lines among the dropped bytes */
	/* The line being dropped, so that an unsolicited one still reaches
	 * the callback; longer lines are not looked at (too_long set). */
	char line[DROPPED_LINE_MAX + 1];
	size_t line_len;
	int too_long;
};

/* Follow the lines in dropped bytes: a whole line that starts with an
 * unsolicited= prefix is reported, as if it had come during a read. */
static void follow_lines(struct client *c, struct dropped *d, const char *buf, size_t n)
{
	const size_t eol_len = c->cfg.read_eol_len;

	for (size_t i = 0; i < n; i++) {
		if (d->line_len < DROPPED_LINE_MAX)
			d->line[d->line_len++] = buf[i];
		else
			d->too_long = 1;
		if (d->line_len < eol_len ||
		    memcmp(d->line + d->line_len - eol_len, c->cfg.read_eol, eol_len) != 0)
			continue;
		d->line_len -= eol_len;
		d->line[d->line_len] = '\0';
		if (!d->too_long && is_unsolicited(c, d->line, d->line_len)) {
			report_unsolicited(c, d->line, d->line_len);
			d->unsolicited++;
		}
		d->line_len = 0;
		d->too_long = 0;
	}
}

static void drop_bytes(struct client *c, struct dropped *d, const char *why, const char *buf, size_t n)
{
	const size_t eol_len = c->cfg.read_eol_len;

	if (!n)
		return;
	sc_trace_bytes(c, why, buf, n);
	if (c->cfg.unsolicited[0])
		follow_lines(c, d, buf, n);
	d->total += n;
	if (n >= eol_len) {
		memcpy(d->tail, buf + n - eol_len, eol_len);
		d->tail_len = eol_len;
	} else {
		size_t keep = d->tail_len + n > eol_len ? eol_len - n : d->tail_len;

		memmove(d->tail, d->tail + d->tail_len - keep, keep);
		memcpy(d->tail + keep, buf, n);
		d->tail_len = keep + n;
	}
}

/* Whether what was dropped ends inside a line: some of it came, and it
 * does not end with the read terminator. */
static int mid_line(const struct client *c, const struct dropped *d)
{
	return d->total && (d->tail_len < c->cfg.read_eol_len ||
			    memcmp(d->tail, c->cfg.read_eol, c->cfg.read_eol_len) != 0);
}

/* Count the terminators in buf (a terminator split across two reads may
 * be missed: this only tells a line-sending device from a stream). */
static int count_lines(const struct client *c, const char *buf, size_t n)
{
	int lines = 0;

	for (const char *p = buf;
	     (p = memmem(p, n - (size_t)(p - buf), c->cfg.read_eol, c->cfg.read_eol_len));
	     p += c->cfg.read_eol_len)
		lines++;
	return lines;
}

/* Wait, dropping what comes, until the input is in a state where a reply
 * can be told apart: the line quiet for settle_ms (after a failure), or the
 * line cut by the drain finished (its terminator dropped) or quiet for
 * settle_ms (abandoned by the device); settle_ms is capped at half the
 * command's timeout. A stream that never goes quiet is
 * given up on after SETTLE_CAP_FACTOR * settle_ms: if it sends lines, the
 * command fails (any of them could be taken for its reply); if not (bytes
 * without terminator, or only unsolicited lines, which are never a
 * reply), the command goes ahead. */
#define SETTLE_CAP_FACTOR 4
static int settle(struct client *c, struct dropped *d, int after_failure, const struct deadline *dl)
{
	/* At most half the command's time, so that it can still be written
	 * and answered after a quiet line. */
	const unsigned quiet_ms = c->cfg.settle_ms < dl->ms / 2 ? c->cfg.settle_ms : dl->ms / 2;
	const int64_t quiet_ns = (int64_t)(quiet_ms ? quiet_ms : 1) * 1000000;
	const int64_t give_up = sc_clock_now_ns() + SETTLE_CAP_FACTOR * quiet_ns;
	const int64_t began = sc_clock_now_ns();

	while (after_failure || mid_line(c, d)) {
		char buf[DRAIN_CHUNK];
		int64_t wait = sc_clock_now_ns() + quiet_ns;
		ssize_t n;

		if (wait > dl->at_ns)
			wait = dl->at_ns;
		n = tp_read(c, buf, sizeof(buf), wait);
		if (n == CLIENT_ERR_TIMEOUT && wait < dl->at_ns) {
			/* Quiet for settle_ms: a line still cut was abandoned. */
			if (mid_line(c, d))
				sc_trace_bytes(c, "cut line abandoned (quiet)", "", 0);
			sc_trace_bytes(c, "settled", "", 0);
			return CLIENT_OK;
		}
		if (n == CLIENT_ERR_TIMEOUT)
			return sc_err_set(
				CLIENT_ERR_TIMEOUT,
				"%s: timeout after %u ms: the line never went quiet for settle_ms=%u"
				" after an earlier failure (%zu stale bytes dropped); nothing was written",
				c->cfg.port, dl->ms, c->cfg.settle_ms, d->total);
		if (n < 0)
			return sc_client_fail(c, (int)n);
		{
			/* An unsolicited line is never a reply: only the
			 * others make a stream one of lines. */
			const int before = d->unsolicited, ended = count_lines(c, buf, (size_t)n);

			drop_bytes(c, d, "dropped stale", buf, (size_t)n);
			if (ended > d->unsolicited - before)
				d->lines += ended - (d->unsolicited - before);
		}
		if (sc_clock_now_ns() >= give_up) {
			if (d->lines)
				return sc_err_set(
					CLIENT_ERR_TIMEOUT,
					"%s: the device kept sending lines for %lld ms (%zu stale bytes"
					" dropped) and the line never went quiet for settle_ms=%u;"
					" nothing was written",
					c->cfg.port, (long long)((sc_clock_now_ns() - began) / 1000000),
					d->total, c->cfg.settle_ms);
			sc_trace_bytes(c, "never quiet, no line that could be a reply: going ahead", "", 0);
			return CLIENT_OK;
		}
		/* Only a failure needs a quiet line; a cut line needs its end. */
		if (!after_failure && !mid_line(c, d))
			break;
	}
	return CLIENT_OK;
}

int sc_read_drain_stale(struct client *c, int after_failure, const struct deadline *dl)
{
	struct dropped d = { 0 };

	drop_bytes(c, &d, "dropped stale", c->rx.data, c->rx.len);
	sc_rxbuf_clear(&c->rx);
	if (c->tp->ops->flush_input) {
		int ret = c->tp->ops->flush_input(c->tp);

		if (ret)
			return sc_client_fail(c, ret);
	}
	/* Non-blocking reads, no tcflush: cheaper, the trace shows what was
	 * dropped, and the drain knows whether it ended inside a line. */
	for (int i = 0; i < DRAIN_MAX_READS; i++) {
		char buf[DRAIN_CHUNK];
		ssize_t n = tp_read_now(c, buf, sizeof(buf));

		if (n < 0)
			return sc_client_fail(c, (int)n);
		if (n == 0)
			break;
		drop_bytes(c, &d, "dropped stale", buf, (size_t)n);
	}
	/* A line cut in two by the drain: its rest is stale too, never a
	 * reply. After a failure (timeout, too long) the device may still be
	 * answering the failed command: wait until the line is quiet. Both
	 * are off with settle_ms=0. */
	if (c->cfg.settle_ms && (after_failure || mid_line(c, &d))) {
		if (mid_line(c, &d))
			sc_trace_bytes(c, "drain ended inside a line: dropping its rest", "", 0);
		return settle(c, &d, after_failure, dl);
	}
	return CLIENT_OK;
}

struct client_ret *sc_read_available(struct client *c, const struct deadline *dl)
{
	const size_t limit = c->cfg.max_reply + c->cfg.read_eol_len;
	struct client_ret *ret;

	(void)dl; /* never waits */
	/* What the system holds now, without waiting, bounded like a reply. */
	while (c->rx.len < limit) {
		ssize_t room = sc_rxbuf_reserve(&c->rx, limit), n;

		if (room <= 0) {
			sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory after %zu unread bytes", c->cfg.port,
				   c->rx.len);
			return NULL;
		}
		n = tp_read_now(c, c->rx.data + c->rx.len, (size_t)room);
		if (n < 0) {
			sc_client_fail(c, (int)n);
			/* What came before the failure is still handed over. */
			if (!c->rx.len)
				return NULL;
			break;
		}
		if (n == 0)
			break;
		c->rx.len += (size_t)n;
	}
	ret = sc_rxbuf_take(&c->rx, c->rx.len, 0, c->cfg.port);
	if (ret && ret->len)
		sc_trace_bytes(c, "received unread", ret->ret_data, ret->len);
	return ret;
}

/* The message of a client_read_n() timeout: how much came, and the
 * terminator it waited for (not the handle's). */
static void count_timeout_error(struct client *c, size_t n, const char *stop, size_t stop_len,
				unsigned int ms)
{
	char eol[CLIENT_EOL_MAX * 4 + 1];

	sc_escape_bytes(eol, sizeof(eol), stop, stop_len);
	if (stop_len && !c->rx.len)
		sc_err_set(CLIENT_ERR_TIMEOUT,
			   "%s: timeout after %u ms: no reply (expected terminator \"%s\")", c->cfg.port, ms,
			   eol);
	else if (stop_len)
		sc_err_set(CLIENT_ERR_TIMEOUT,
			   "%s: timeout after %u ms: %zu bytes received (kept for the next read),"
			   " but not the expected terminator \"%s\"",
			   c->cfg.port, ms, c->rx.len, eol);
	else
		sc_err_set(CLIENT_ERR_TIMEOUT,
			   "%s: timeout after %u ms: %zu of %zu bytes received (kept for the next read)",
			   c->cfg.port, ms, c->rx.len, n);
}

struct client_ret *sc_read_count(struct client *c, size_t n, const char *stop, size_t stop_len,
				 const struct deadline *dl)
{
	struct client_ret *ret = NULL;
	size_t take;

	/* What was scanned was scanned for the handle's terminator: scan for
	 * this one from the start, and leave nothing marked scanned after. */
	c->rx.scanned = 0;
	for (;;) {
		ssize_t pos = stop_len ? sc_rxbuf_find(&c->rx, stop, stop_len) : -1;

		if (pos >= 0 && (size_t)pos + stop_len <= n) {
			take = (size_t)pos + stop_len;
			break;
		}
		if (c->rx.len >= n) {
			take = n;
			break;
		}
		if (read_more(c, n, dl) < 0) {
			/* What came stays for the next read. */
			if (client_last_error() == CLIENT_ERR_TIMEOUT)
				count_timeout_error(c, n, stop, stop_len, dl->ms);
			c->rx.scanned = 0;
			return NULL;
		}
	}
	ret = sc_rxbuf_take(&c->rx, take, 0, c->cfg.port);
	c->rx.scanned = 0;
	return ret;
}
