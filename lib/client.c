/* SPDX-License-Identifier: MIT */
/* client.c - handle life cycle, the per-handle lock, and the command/reply
 * transaction: drain stale input, write, read up to the terminator. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* A reply client_query_into() could not fit, kept for the thread that asked
 * (struct client's kept list). */
struct kept_reply {
	pthread_t owner;
	struct client_ret *ret;
	struct kept_reply *next;
};

/* Sleep until an absolute CLOCK_MONOTONIC time; signals do not cut it short. */
static void sleep_until_ns(int64_t when)
{
	struct timespec ts = { .tv_sec = when / 1000000000, .tv_nsec = when % 1000000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void read_stale_errors(struct client *c, int64_t deadline);

/* Check what a C caller may have filled in by hand: the port here, every
 * option against the table. */
static int config_check(const struct client_config *cfg)
{
	if (!memchr(cfg->port, '\0', sizeof(cfg->port)) || !cfg->port[0])
		return sc_err_set(CLIENT_ERR_OPTION, "config: empty or unterminated port");
	if (sc_transport_check_port(cfg->port))
		return client_last_error();
	return sc_option_check_all(cfg);
}

/* The client's part of opening: the transport's name and trace sink. */
static int open_transport(struct client *c)
{
	const struct transport_host host = { .port = c->cfg.port,
					     .trace = sc_trace_transport,
					     .trace_ctx = c };

	return c->open(&c->cfg, &host, c->open_ctx, &c->tp);
}

/* A transport made before the handle (tests' fakes) joins it as if opened. */
static int adopt_made(const struct client_config *cfg, const struct transport_host *host, void *ctx,
		      struct transport **out)
{
	struct transport *tp = ctx;

	(void)cfg;
	sc_transport_init(tp, tp->ops, host);
	*out = tp;
	return CLIENT_OK;
}

struct client *sc_client_open_transport(const struct client_config *cfg, struct transport *tp)
{
	struct client *c;

	if (!cfg) {
		sc_err_set(CLIENT_ERR_ARG, "client_open: cfg is NULL");
		goto err_tp;
	}
	if (config_check(cfg))
		goto err_tp;
	c = calloc(1, sizeof(*c));
	if (!c) {
		sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory", cfg->port);
		goto err_tp;
	}
	c->cfg = *cfg;
	sc_rxbuf_init(&c->rx);
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		sc_err_set(CLIENT_ERR_NOMEM, "%s: cannot create the handle's lock", cfg->port);
		goto err_free;
	}
	if (pthread_cond_init(&c->users_done, NULL) != 0) {
		sc_err_set(CLIENT_ERR_NOMEM, "%s: cannot create the handle's condition", cfg->port);
		goto err_lock;
	}
	if (pthread_mutex_init(&c->kept_lock, NULL) != 0) {
		sc_err_set(CLIENT_ERR_NOMEM, "%s: cannot create the handle's lock", cfg->port);
		goto err_cond;
	}
	/* Traced from the start, so the transport's set-up is too. */
	sc_trace_init(c);
	c->open = tp ? adopt_made : sc_transport_open;
	c->open_ctx = tp;
	tp = NULL; /* the handle's now, even if opening fails */
	if (open_transport(c) != CLIENT_OK)
		goto err_mutex;
	/* A reconnect opens the port itself, even after a made transport. */
	c->open = sc_transport_open;
	c->open_ctx = NULL;
	sc_record_open(c);
	/* Boards that reset when the port opens (Arduino) need time to boot. */
	if (c->cfg.open_delay_ms)
		sleep_until_ns(sc_clock_deadline_ns(c->cfg.open_delay_ms));
	read_stale_errors(c, sc_clock_deadline_ns(c->cfg.timeout_ms));
	/* Handed out from here on: every call checks it is in the set. */
	if (sc_live_handle_add(c))
		goto err_open;
	sc_err_clear();
	/* The open succeeded: a recording that could not start is a note. */
	if (sc_record_problem(c)[0])
		sc_err_set(CLIENT_OK, "%s: %s", c->cfg.port, sc_record_problem(c));
	return c;

err_open:
	sc_record_close(c);
	c->tp->ops->close(c->tp);
	sc_rxbuf_free(&c->rx);
	free(c->tx);
err_mutex:
	pthread_mutex_destroy(&c->kept_lock);
err_cond:
	pthread_cond_destroy(&c->users_done);
err_lock:
	pthread_mutex_destroy(&c->lock);
err_free:
	free(c);
err_tp:
	if (tp)
		tp->ops->close(tp);
	return NULL;
}

SERIALCMD_API struct client *client_open(const struct client_config *cfg)
{
	return sc_client_open_transport(cfg, NULL);
}

SERIALCMD_API struct client *client_init_py(const char *spec)
{
	struct client_config cfg;

	if (!spec) {
		sc_err_set(CLIENT_ERR_ARG, "client_init_py: spec is NULL");
		return NULL;
	}
	if (client_config_parse(&cfg, spec) != CLIENT_OK)
		return NULL;
	return sc_client_open_transport(&cfg, NULL);
}

/* Enter the handle for one call (live.c): fails for a pointer that is not
 * a live handle, and once destroy has begun. fn names the public call. */
static int enter(struct client *c, const char *fn)
{
	return sc_live_enter(c, fn);
}

static void leave(struct client *c)
{
	sc_live_leave(c);
}

SERIALCMD_API void client_destroy(struct client *c)
{
	/* Not a live handle: refused, with the last error set; nothing is
	 * read through the pointer. Else new calls now fail, and calls
	 * already inside finish first (each within its own deadline). */
	if (!c || sc_live_handle_close(c, __func__))
		return;
	sc_record_close(c);
	if (c->tp) /* NULL after a failed reconnect */
		c->tp->ops->close(c->tp);
	sc_rxbuf_free(&c->rx);
	free(c->tx);
	while (c->kept) {
		struct kept_reply *k = c->kept;

		c->kept = k->next;
		client_free_ret(k->ret);
		free(k);
	}
	pthread_mutex_destroy(&c->kept_lock);
	pthread_cond_destroy(&c->users_done);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int check_command(const struct client *c, const char *cmd, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)cmd[i];

		if (ch != '\t' && (ch < 0x20 || ch > 0x7e)) {
			char esc[8];

			sc_escape_bytes(esc, sizeof(esc), &ch, 1);
			return sc_err_set(CLIENT_ERR_COMMAND,
					  "%s: bad command: byte %zu is \"%s\" (only printable ASCII and TAB"
					  " may be sent; nothing was written)",
					  c->cfg.port, i, esc);
		}
	}
	if (c->cfg.write_eol_len && memmem(cmd, len, c->cfg.write_eol, c->cfg.write_eol_len)) {
		char esc[CLIENT_EOL_MAX * 4 + 1];

		sc_escape_bytes(esc, sizeof(esc), c->cfg.write_eol, c->cfg.write_eol_len);
		return sc_err_set(
			CLIENT_ERR_COMMAND,
			"%s: bad command: it holds the write terminator \"%s\" (nothing was written)",
			c->cfg.port, esc);
	}
	return CLIENT_OK;
}

static int write_timeout(struct client *c)
{
	return sc_err_set(CLIENT_ERR_TIMEOUT,
			  "%s: timeout after %u ms writing the command: the device is not taking input (flow"
			  " control, or a full buffer)",
			  c->cfg.port, c->cfg.timeout_ms);
}

/* Write cmd, then (with a block) its #<n><len> header and bytes, then the
 * write terminator. Text goes out in one write; a block's bytes are written
 * from the caller's buffer, never copied. */
static int write_command(struct client *c, const char *cmd, size_t len, const void *block, size_t block_len,
			 int64_t deadline)
{
	char header[16] = "";
	size_t hlen = 0, total;
	int ret;

	if (block) {
		char digits[12];
		int n = snprintf(digits, sizeof(digits), "%zu", block_len);

		hlen = (size_t)snprintf(header, sizeof(header), "#%d%s", n, digits);
	}
	if (len > SIZE_MAX - CLIENT_EOL_MAX - sizeof(header))
		return sc_err_set(CLIENT_ERR_COMMAND, "%s: bad command: too long", c->cfg.port);
	total = len + hlen + (block ? 0 : c->cfg.write_eol_len);
	if (total > c->tx_cap) {
		char *p = realloc(c->tx, total);

		if (!p)
			return sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory for a %zu-byte command",
					  c->cfg.port, len);
		c->tx = p;
		c->tx_cap = total;
	}
	memcpy(c->tx, cmd, len);
	memcpy(c->tx + len, header, hlen);
	if (!block)
		memcpy(c->tx + len, c->cfg.write_eol, c->cfg.write_eol_len);
	sc_trace_bytes(c, "sent", c->tx, total);
	ret = c->tp->ops->write(c->tp, c->tx, total, deadline);
	sc_record_sent(c, c->tx, total);
	if (block && ret == CLIENT_OK && block_len) {
		sc_trace_bytes(c, "sent block", block, block_len);
		ret = c->tp->ops->write(c->tp, block, block_len, deadline);
		sc_record_sent(c, block, block_len);
	}
	if (block && ret == CLIENT_OK && c->cfg.write_eol_len) {
		ret = c->tp->ops->write(c->tp, c->cfg.write_eol, c->cfg.write_eol_len, deadline);
		sc_record_sent(c, c->cfg.write_eol, c->cfg.write_eol_len);
	}
	if (ret == CLIENT_ERR_TIMEOUT)
		return write_timeout(c);
	return sc_client_fail(c, ret);
}

/* A device that echoes sends the command line back first: check it and
 * drop it, so it is never taken for the reply. The echo ends where what was
 * sent ends (the write terminator) or at the device's own line ending, not
 * at the read terminator alone: that may be a prompt that only follows the
 * reply. */
static int check_echo(struct client *c, const char *cmd, size_t len, int reply_follows,
		      const struct deadline *dl)
{
	struct client_ret *echo = sc_read_echo(c, reply_follows, dl);
	int ret = CLIENT_OK;

	if (!echo)
		return client_last_error();
	/* Devices echo with their own line ending: ignore trailing CR/LF. */
	while (echo->len && (echo->ret_data[echo->len - 1] == '\r' || echo->ret_data[echo->len - 1] == '\n'))
		echo->len--;
	if (echo->len != len || memcmp(echo->ret_data, cmd, len) != 0) {
		char got[128], want[128];

		sc_escape_bytes(got, sizeof(got), echo->ret_data, echo->len);
		sc_escape_bytes(want, sizeof(want), cmd, len);
		ret = sc_err_set(CLIENT_ERR_ECHO, "%s: echo mismatch: sent \"%s\", the device echoed \"%s\"",
				 c->cfg.port, want, got);
	}
	client_free_ret(echo);
	return ret;
}

/* After "device gone", with reconnect=1: reopen the port (its path, or the
 * USB identity it was given by) with the same settings, retrying with
 * backoff until the deadline. Only ever between commands. */
static int reconnect(struct client *c, int64_t deadline)
{
	int64_t pause_ns = 10 * 1000000LL;
	char why[512] = "";

	if (c->tp) {
		c->tp->ops->close(c->tp);
		c->tp = NULL;
	}
	sc_rxbuf_clear(&c->rx);
	for (int tries = 1;; tries++) {
		int64_t now;

		if (open_transport(c) == CLIENT_OK) {
			c->gone = 0;
			sc_trace_bytes(c, "reconnected", "", 0);
			/* A board that resets on open needs its boot time again;
			 * it counts against this command's deadline. */
			if (c->cfg.open_delay_ms)
				sleep_until_ns(sc_clock_deadline_ns(c->cfg.open_delay_ms));
			/* Errors from before the reconnect are the old session's. */
			read_stale_errors(c, deadline);
			return CLIENT_OK;
		}
		c->tp = NULL;
		snprintf(why, sizeof(why), "%s", client_last_message());
		now = sc_clock_now_ns();
		if (now + pause_ns >= deadline || tries >= 1000)
			break;
		sleep_until_ns(now + pause_ns);
		if (pause_ns < 200 * 1000000LL)
			pause_ns *= 2;
	}
	return sc_err_set(CLIENT_ERR_GONE,
			  "%s: device gone; reconnecting failed before the deadline (last: %s)", c->cfg.port,
			  why);
}

/* Whether an answer of the error query means "no error": error_none's
 * pattern, or else a leading 0 (as 0,"No error"). *code: its leading number. */
static int is_no_error(const struct client *c, const struct client_ret *r, long *code, char **end)
{
	*code = strtol(r->ret_data, end, 10);
	if (c->cfg.error_none[0])
		return fnmatch(c->cfg.error_none, r->ret_data, 0) == 0;
	return *end != r->ret_data && *code == 0;
}

/* Send the error query and read its answer (NULL on failure). */
static struct client_ret *ask_errors(struct client *c, const struct deadline *dl)
{
	size_t len = strlen(c->cfg.error_query);

	if (write_command(c, c->cfg.error_query, len, NULL, 0, dl->at_ns))
		return NULL;
	if (c->cfg.echo && check_echo(c, c->cfg.error_query, len, 1, dl))
		return NULL;
	return sc_read_line(c, dl);
}

/* With check_errors=1, on open and reconnect: read the errors an earlier
 * program left in the instrument's queue until it reports none (at most
 * STALE_ERRORS_MAX reads, within the open's deadline), so they are not
 * blamed on the first command. They go to the trace and to
 * client_stale_errors(). A device that does not answer is no reason to
 * fail the open: the first command will say so. */
#define STALE_ERRORS_MAX 32
static void read_stale_errors(struct client *c, int64_t deadline)
{
	struct deadline dl = { .ms = c->cfg.timeout_ms, .at_ns = deadline };

	c->stale_errors_count = 0;
	c->stale_errors[0] = '\0';
	if (!c->cfg.check_errors || !c->cfg.error_query[0] || !c->tp)
		return;
	for (int i = 0; i < STALE_ERRORS_MAX; i++) {
		struct client_ret *r;
		long code;
		char *end;
		size_t used = strlen(c->stale_errors);

		sc_record_begin(c, "query");
		if (sc_read_drain_stale(c, 0, &dl) || !(r = ask_errors(c, &dl))) {
			sc_record_end(c, client_last_error());
			sc_trace_bytes(c, "stale errors: no answer", client_last_message(),
				       strlen(client_last_message()));
			break;
		}
		sc_record_end(c, CLIENT_OK);
		if (is_no_error(c, r, &code, &end)) {
			client_free_ret(r);
			break;
		}
		sc_trace_bytes(c, "stale error (left from before this handle)", r->ret_data, r->len);
		snprintf(c->stale_errors + used, sizeof(c->stale_errors) - used, "%s%s", used ? "\n" : "",
			 r->ret_data);
		c->stale_errors_count++;
		client_free_ret(r);
	}
	sc_err_clear();
}

SERIALCMD_API int client_stale_errors(struct client *c, char *out, size_t size)
{
	int n;

	n = enter(c, __func__);
	if (n)
		return n;
	if (!out && size) {
		n = sc_err_set(CLIENT_ERR_ARG, "%s: client_stale_errors: out is NULL", c->cfg.port);
		leave(c);
		return n;
	}
	pthread_mutex_lock(&c->lock);
	if (size)
		snprintf(out, size, "%s", c->stale_errors);
	n = c->stale_errors_count;
	pthread_mutex_unlock(&c->lock);
	leave(c);
	sc_err_clear();
	return n;
}

/* With check_errors=1: ask the instrument for its error queue after a
 * command, and turn an error there into CLIENT_ERR_INSTRUMENT. */
static int check_instrument(struct client *c, const char *cmd, size_t len, const struct deadline *dl)
{
	struct client_ret *r;
	char *end, esc_cmd[96], esc_err[256];
	long code;
	int ok;

	if (!c->cfg.error_query[0])
		return sc_err_set(CLIENT_ERR_OPTION,
				  "%s: check_errors=1 needs error_query (or a profile with an"
				  " [errors] query)",
				  c->cfg.port);
	r = ask_errors(c, dl);
	if (!r)
		return client_last_error();
	ok = is_no_error(c, r, &code, &end);
	if (!ok) {
		sc_escape_bytes(esc_cmd, sizeof(esc_cmd), cmd, len);
		sc_escape_bytes(esc_err, sizeof(esc_err), r->ret_data, r->len);
		sc_err_set(CLIENT_ERR_INSTRUMENT, "%s: the instrument reports an error after \"%s\": %s",
			   c->cfg.port, esc_cmd, esc_err);
		sc_err_set_instrument(end != r->ret_data ? (int)code : 0);
	}
	client_free_ret(r);
	return ok ? CLIENT_OK : CLIENT_ERR_INSTRUMENT;
}

/* What one call asks of the transaction. */
struct request {
	const char *fn;	 /* the public call, for messages */
	const char *bad; /* non-NULL: an argument error, said after the port */
	const char *cmd; /* NULL: read only */
	size_t len;
	const void *block; /* non-NULL: a block follows the command */
	size_t block_len;
	/* How to read the reply; NULL: there is none. */
	struct client_ret *(*read)(struct client *c, const struct deadline *dl);
	/* raw: write block as it is, nothing added, nothing dropped first. */
	int raw;
	/* count > 0: read that many bytes, or fewer up to stop. */
	size_t count;
	const char *stop;
	size_t stop_len;
	/* non-NULL: read one reply into the caller's buffer (client_query_into). */
	struct into *into;
};

/* The caller's buffer, and the length of the reply read (or kept). */
struct into {
	char *buf;
	size_t size;
	size_t len;
};

/* Take the calling thread's kept reply out of the list (NULL if none). */
static struct kept_reply *kept_unlink(struct client *c)
{
	struct kept_reply **p, *k = NULL;
	pthread_t self = pthread_self();

	pthread_mutex_lock(&c->kept_lock);
	for (p = &c->kept; *p; p = &(*p)->next) {
		if (pthread_equal((*p)->owner, self)) {
			k = *p;
			*p = k->next;
			break;
		}
	}
	pthread_mutex_unlock(&c->kept_lock);
	return k;
}

static void kept_free(struct kept_reply *k)
{
	if (!k)
		return;
	client_free_ret(k->ret);
	free(k);
}

/* One reply into the caller's buffer: copied when it fits (no allocation),
 * else handed to a kept reply for client_take_reply(). */
static int read_into(struct client *c, struct into *into, const struct deadline *dl)
{
	ssize_t n = sc_read_line_len(c, dl);
	struct kept_reply *k;

	if (n < 0)
		return (int)n;
	into->len = (size_t)n;
	if ((size_t)n <= into->size) {
		memcpy(into->buf, c->rx.data, (size_t)n);
		if ((size_t)n < into->size)
			into->buf[n] = '\0';
		sc_rxbuf_consume(&c->rx, (size_t)n + c->cfg.read_eol_len);
		return CLIENT_OK;
	}
	k = malloc(sizeof(*k));
	if (!k)
		return sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory for a %zd-byte reply", c->cfg.port, n);
	k->ret = sc_rxbuf_take(&c->rx, (size_t)n, c->cfg.read_eol_len, c->cfg.port);
	if (!k->ret) {
		free(k);
		return client_last_error();
	}
	k->owner = pthread_self();
	pthread_mutex_lock(&c->kept_lock);
	k->next = c->kept;
	c->kept = k;
	pthread_mutex_unlock(&c->kept_lock);
	return CLIENT_OK;
}

/* The one transaction behind every command call. */
static struct client_ret *transact(struct client *c, const struct request *rq, int *code)
{
	struct client_ret *ret = NULL;
	struct deadline dl;
	char record_note[1024];

	record_note[0] = '\0';
	/* Nothing is read through c before it is known to be a live handle. */
	*code = enter(c, rq->fn);
	if (*code)
		return NULL;
	if (rq->bad)
		*code = sc_err_set(CLIENT_ERR_ARG, "%s: %s", c->cfg.port, rq->bad);
	else if (rq->cmd && check_command(c, rq->cmd, rq->len))
		*code = client_last_error();
	if (*code) {
		leave(c);
		return NULL;
	}
	/* This thread's reply kept by its last client_query_into() is
	 * dropped by its next one. */
	if (rq->into)
		kept_free(kept_unlink(c));
	pthread_mutex_lock(&c->lock);
	/* Instruments that drop a command sent too soon get their gap; the
	 * deadline starts after it. */
	if (rq->cmd && c->cfg.min_gap_ms && c->last_end_ns)
		sleep_until_ns(c->last_end_ns + (int64_t)c->cfg.min_gap_ms * 1000000);
	dl.ms = __atomic_load_n(&c->cfg.timeout_ms, __ATOMIC_RELAXED);
	dl.at_ns = sc_clock_deadline_ns(dl.ms);
	if (c->gone) {
		if (c->cfg.reconnect)
			*code = reconnect(c, dl.at_ns);
		else
			*code = sc_err_set(CLIENT_ERR_GONE,
					   "%s: device gone earlier; destroy the handle and open the"
					   " port again (or use reconnect=1)",
					   c->cfg.port);
		if (*code)
			goto out;
	}
	/* After a reconnect, which records its own error queries. */
	sc_record_begin(c, rq->cmd ? (rq->read || rq->into ? "query" : "write") : rq->raw ? "write" : "read");
	if (rq->raw) {
		sc_trace_bytes(c, "sent raw", rq->block, rq->block_len);
		*code = c->tp->ops->write(c->tp, rq->block, rq->block_len, dl.at_ns);
		sc_record_sent(c, rq->block, rq->block_len);
		*code = *code == CLIENT_ERR_TIMEOUT ? write_timeout(c) : sc_client_fail(c, *code);
		goto out;
	}
	if (rq->count) {
		ret = sc_read_count(c, rq->count, rq->stop, rq->stop_len, &dl);
		if (!ret)
			*code = client_last_error();
		goto out;
	}
	if (rq->cmd) {
		const int reply_follows = rq->read || rq->into;

		*code = sc_read_drain_stale(c, c->unsettled, &dl);
		if (*code)
			goto out;
		c->unsettled = 0;
		*code = write_command(c, rq->cmd, rq->len, rq->block, rq->block_len, dl.at_ns);
		if (*code)
			goto out;
		if (c->cfg.echo && !rq->block) {
			*code = check_echo(c, rq->cmd, rq->len, reply_follows, &dl);
			if (*code)
				goto out;
		}
		/* A pause the device needs before its reply can be read;
		 * it counts against the deadline. */
		if (reply_follows && c->cfg.query_delay_ms)
			sleep_until_ns(sc_clock_deadline_ns(c->cfg.query_delay_ms));
	}
	if (rq->read) {
		ret = rq->read(c, &dl);
		if (!ret)
			*code = client_last_error();
	} else if (rq->into) {
		*code = read_into(c, rq->into, &dl);
	}
	/* Instruments do not answer a query they refused: with check_errors,
	 * ask the error queue why, under a fresh short deadline. */
	if (*code == CLIENT_ERR_TIMEOUT && rq->cmd && c->cfg.check_errors && c->cfg.error_query[0]) {
		char timeout_msg[512];

		/* The error query is a transaction of its own in the recording. */
		sc_record_end(c, *code);
		sc_record_begin(c, "query");
		struct deadline short_dl = { .ms = dl.ms < 1000 ? dl.ms : 1000 };

		short_dl.at_ns = sc_clock_deadline_ns(short_dl.ms);
		snprintf(timeout_msg, sizeof(timeout_msg), "%s", client_last_message());
		if (check_instrument(c, rq->cmd, rq->len, &short_dl) == CLIENT_ERR_INSTRUMENT) {
			char why[768];
			int icode = client_last_instrument_error();

			snprintf(why, sizeof(why), "%s (and sent no reply)", client_last_message());
			sc_err_set(CLIENT_ERR_INSTRUMENT, "%s", why);
			sc_err_set_instrument(icode);
			*code = CLIENT_ERR_INSTRUMENT;
		} else {
			sc_err_set(CLIENT_ERR_TIMEOUT, "%s", timeout_msg);
		}
	} else if (*code == CLIENT_OK && rq->cmd && c->cfg.check_errors) {
		sc_record_end(c, *code);
		sc_record_begin(c, "query");
		*code = check_instrument(c, rq->cmd, rq->len, &dl);
		if (*code) {
			client_free_ret(ret);
			ret = NULL;
			if (rq->into)
				kept_free(kept_unlink(c));
		}
	}
out:
	/* The device may still be answering a command that timed out or
	 * sent too much: the next command waits for a quiet line first. */
	if (*code == CLIENT_ERR_TIMEOUT || *code == CLIENT_ERR_TOOLONG)
		c->unsettled = 1;
	c->last_end_ns = sc_clock_now_ns();
	/* A recording that stopped never fails the command: on success its
	 * note is the last message (the code stays CLIENT_OK). Copied now:
	 * after leave() the handle may be gone. */
	if (sc_record_end(c, *code))
		snprintf(record_note, sizeof(record_note), "%.200s: %s", c->cfg.port, sc_record_problem(c));
	pthread_mutex_unlock(&c->lock);
	leave(c);
	if (*code == CLIENT_OK)
		sc_err_clear();
	if (*code == CLIENT_OK && record_note[0])
		sc_err_set(CLIENT_OK, "%s", record_note);
	return ret;
}

/* Send len bytes of cmd; read the reply with reader (NULL: none). */
static struct client_ret *command(struct client *c, const char *fn, const char *cmd, size_t len,
				  struct client_ret *(*reader)(struct client *, const struct deadline *),
				  int *code)
{
	struct request rq = { .fn = fn, .cmd = cmd, .len = len, .read = reader };

	if (!cmd)
		rq.bad = "command is NULL";
	return transact(c, &rq, code);
}

SERIALCMD_API struct client_ret *client_send_cmd_reply(struct client *c, const char *cmd)
{
	int code;

	return command(c, __func__, cmd, cmd ? strlen(cmd) : 0, sc_read_line, &code);
}

SERIALCMD_API struct client_ret *client_send_cmd_reply_n(struct client *c, const char *cmd, size_t len)
{
	int code;

	return command(c, __func__, cmd, len, sc_read_line, &code);
}

SERIALCMD_API long client_query_into(struct client *c, const char *cmd, size_t len, char *buf, size_t size)
{
	struct into into = { .buf = buf, .size = size };
	struct request rq = { .fn = __func__, .cmd = cmd, .len = len, .into = &into };
	int code;

	if (!cmd)
		rq.bad = "command is NULL";
	else if (!buf && size)
		rq.bad = "buf is NULL";
	transact(c, &rq, &code);
	return code ? code : (long)into.len;
}

SERIALCMD_API long client_take_reply(struct client *c, char *buf, size_t size)
{
	struct kept_reply *k;
	long n;
	int code = enter(c, __func__);

	if (code)
		return code;
	if (!buf && size) {
		code = sc_err_set(CLIENT_ERR_ARG, "%s: buf is NULL", c->cfg.port);
		goto out;
	}
	k = kept_unlink(c);
	if (!k) {
		code = sc_err_set(
			CLIENT_ERR_ARG,
			"%s: no reply kept for this thread (client_query_into's reply fitted, or was"
			" taken already)",
			c->cfg.port);
		goto out;
	}
	n = (long)k->ret->len;
	if (k->ret->len > size) {
		/* Still too small: kept again, for a larger buffer. */
		pthread_mutex_lock(&c->kept_lock);
		k->next = c->kept;
		c->kept = k;
		pthread_mutex_unlock(&c->kept_lock);
	} else {
		memcpy(buf, k->ret->ret_data, k->ret->len);
		if (k->ret->len < size)
			buf[k->ret->len] = '\0';
		kept_free(k);
	}
	leave(c);
	sc_err_clear();
	return n;
out:
	leave(c);
	return code;
}

SERIALCMD_API int client_send_cmd(struct client *c, const char *cmd)
{
	int code;

	command(c, __func__, cmd, cmd ? strlen(cmd) : 0, NULL, &code);
	return code;
}

SERIALCMD_API int client_send_cmd_n(struct client *c, const char *cmd, size_t len)
{
	int code;

	command(c, __func__, cmd, len, NULL, &code);
	return code;
}

SERIALCMD_API struct client_ret *client_read_reply(struct client *c)
{
	struct request rq = { .fn = __func__, .read = sc_read_line };
	int code;

	return transact(c, &rq, &code);
}

SERIALCMD_API struct client_ret *client_read_available(struct client *c)
{
	struct request rq = { .fn = __func__, .read = sc_read_available };
	int code;

	return transact(c, &rq, &code);
}

SERIALCMD_API struct client_ret *client_read_n(struct client *c, size_t n, const char *stop, size_t stop_len)
{
	struct request rq = { .fn = __func__, .count = n, .stop = stop, .stop_len = stop_len };
	char bad[128];
	int code;

	if (n == 0 || n > 999999999 || stop_len > CLIENT_EOL_MAX || (!stop && stop_len)) {
		snprintf(bad, sizeof(bad), "read of %zu bytes up to a %zu-byte terminator: %s", n, stop_len,
			 n == 0 || n > 999999999 ? "n must be 1 to 999999999"
			 : stop			 ? "the terminator is longer than CLIENT_EOL_MAX"
						 : "stop is NULL");
		rq.bad = bad;
	}
	return transact(c, &rq, &code);
}

/* A call that only needs the handle to be live: enter and leave. */
static int touch(struct client *c, const char *fn)
{
	int code = enter(c, fn);

	if (code)
		return code;
	leave(c);
	sc_err_clear();
	return CLIENT_OK;
}

SERIALCMD_API int client_write_raw(struct client *c, const void *data, size_t len)
{
	struct request rq = { .fn = __func__, .raw = 1, .block = data, .block_len = len };
	int code;

	if (!data && len)
		rq.bad = "data is NULL";
	else if (!len)
		return touch(c, __func__);
	transact(c, &rq, &code);
	return code;
}

SERIALCMD_API struct client_ret *client_query_block(struct client *c, const char *cmd)
{
	int code;

	return command(c, __func__, cmd, cmd ? strlen(cmd) : 0, sc_block_read, &code);
}

SERIALCMD_API struct client_ret *client_read_block(struct client *c)
{
	struct request rq = { .fn = __func__, .read = sc_block_read };
	int code;

	return transact(c, &rq, &code);
}

SERIALCMD_API int client_write_block(struct client *c, const char *cmd, const void *data, size_t len)
{
	static const char nothing;
	struct request rq = { .fn = __func__,
			      .cmd = cmd,
			      .len = cmd ? strlen(cmd) : 0,
			      .block = data ? data : &nothing,
			      .block_len = len };
	char bad[96];
	int code;

	if (!cmd) {
		rq.bad = "command is NULL";
	} else if ((!data && len) || len > 999999999) {
		snprintf(bad, sizeof(bad), "block of %zu bytes: %s", len,
			 data || !len ? "longer than 999999999 bytes" : "data is NULL");
		rq.bad = bad;
	}
	transact(c, &rq, &code);
	return code;
}

SERIALCMD_API int client_set_timeout(struct client *c, unsigned int timeout_ms)
{
	const struct option_def *o = sc_option_find("timeout_ms");
	int code = enter(c, __func__);

	if (code)
		return code;
	if (!sc_option_uint_ok(o, timeout_ms)) {
		char accepted[64];

		code = sc_err_set(CLIENT_ERR_OPTION, "%s: bad value %u for '%s' (accepted: %s)", c->cfg.port,
				  timeout_ms, o->name, sc_option_accepted(o, accepted, sizeof(accepted)));
	} else {
		/* Atomic, not locked: a setter must not wait for a running command. */
		__atomic_store_n(&c->cfg.timeout_ms, timeout_ms, __ATOMIC_RELAXED);
		sc_err_clear();
	}
	leave(c);
	return code;
}

SERIALCMD_API int client_get_timeout(struct client *c)
{
	int code = enter(c, __func__);

	if (code)
		return code;
	code = (int)__atomic_load_n(&c->cfg.timeout_ms, __ATOMIC_RELAXED);
	leave(c);
	sc_err_clear();
	return code;
}

SERIALCMD_API const char *client_port(const struct client *c)
{
	/* The handle is only read: entering it does not change it. */
	struct client *h = (struct client *)c;

	if (enter(h, __func__))
		return NULL;
	leave(h);
	return c->cfg.port;
}

SERIALCMD_API int client_set_unsolicited(struct client *c, client_unsolicited_fn fn, void *user)
{
	int code = enter(c, __func__);

	if (code)
		return code;
	pthread_mutex_lock(&c->lock);
	c->unsolicited = fn;
	c->unsolicited_user = user;
	pthread_mutex_unlock(&c->lock);
	leave(c);
	sc_err_clear();
	return CLIENT_OK;
}

SERIALCMD_API long long client_unsolicited_count(struct client *c)
{
	long long n;
	int code = enter(c, __func__);

	if (code)
		return code;
	n = (long long)__atomic_load_n(&c->unsolicited_count, __ATOMIC_RELAXED);
	leave(c);
	sc_err_clear();
	return n;
}

/* ---- control lines and break ---- */

enum control_op { CONTROL_DTR, CONTROL_RTS, CONTROL_SIGNALS, CONTROL_BREAK };

/* The break itself: on, held for ms, off. Nothing between can fail, so a
 * break that started is always ended (or the failure to end it reported). */
static int send_break(struct client *c, unsigned int ms, int64_t deadline)
{
	int ret = sc_transport_set_break(c->tp, 1, deadline);

	if (ret)
		return ret;
	sleep_until_ns(sc_clock_deadline_ns(ms));
	return sc_transport_set_break(c->tp, 0, deadline);
}

/* One control call, under the handle's lock and within its timeout, as a
 * command is; a handle whose device went away fails fast (or reconnects). */
static int control(struct client *c, enum control_op op, unsigned int value, const char *fn)
{
	int ret, mask = 0;
	unsigned int timeout_ms;
	int64_t deadline;

	/* Nothing is read through c before it is known to be a live handle. */
	ret = enter(c, fn);
	if (ret)
		return ret;
	/* A line that flow control drives is not the caller's to set:
	 * libserialport would turn the flow control off to do it. */
	if ((op == CONTROL_RTS && c->cfg.flow == CLIENT_FLOW_RTSCTS) ||
	    (op == CONTROL_DTR && c->cfg.flow == CLIENT_FLOW_DTRDSR)) {
		ret = sc_err_set(CLIENT_ERR_ARG, "%s: %s: %s is driven by flow=%s", c->cfg.port, fn,
				 op == CONTROL_RTS ? "RTS" : "DTR", op == CONTROL_RTS ? "rtscts" : "dtrdsr");
		leave(c);
		return ret;
	}
	timeout_ms = __atomic_load_n(&c->cfg.timeout_ms, __ATOMIC_RELAXED);
	if (op == CONTROL_BREAK && (value == 0 || value >= timeout_ms)) {
		ret = sc_err_set(CLIENT_ERR_ARG,
				 "%s: %s: a break of %u ms %s (it must be at least 1 ms and shorter than the"
				 " handle's timeout of %u ms)",
				 c->cfg.port, fn, value, value ? "does not fit the deadline" : "is no break",
				 timeout_ms);
		leave(c);
		return ret;
	}
	pthread_mutex_lock(&c->lock);
	deadline = sc_clock_deadline_ns(timeout_ms);
	if (c->gone)
		ret = c->cfg.reconnect ? reconnect(c, deadline)
				       : sc_err_set(CLIENT_ERR_GONE,
						    "%s: device gone earlier; destroy the handle and open the"
						    " port again (or use reconnect=1)",
						    c->cfg.port);
	if (!ret) {
		switch (op) {
		case CONTROL_DTR:
			ret = sc_transport_set_line(c->tp, TRANSPORT_DTR, value != 0, deadline);
			break;
		case CONTROL_RTS:
			ret = sc_transport_set_line(c->tp, TRANSPORT_RTS, value != 0, deadline);
			break;
		case CONTROL_SIGNALS: ret = sc_transport_get_signals(c->tp, &mask, deadline); break;
		case CONTROL_BREAK: ret = send_break(c, value, deadline); break;
		}
		ret = sc_client_fail(c, ret);
	}
	pthread_mutex_unlock(&c->lock);
	leave(c);
	if (ret)
		return ret;
	sc_err_clear();
	return op == CONTROL_SIGNALS ? mask : CLIENT_OK;
}

SERIALCMD_API int client_set_dtr(struct client *c, int on)
{
	return control(c, CONTROL_DTR, on != 0, "client_set_dtr");
}

SERIALCMD_API int client_set_rts(struct client *c, int on)
{
	return control(c, CONTROL_RTS, on != 0, "client_set_rts");
}

SERIALCMD_API int client_get_signals(struct client *c)
{
	return control(c, CONTROL_SIGNALS, 0, "client_get_signals");
}

SERIALCMD_API int client_send_break(struct client *c, unsigned int ms)
{
	return control(c, CONTROL_BREAK, ms, "client_send_break");
}
