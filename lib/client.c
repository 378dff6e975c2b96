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
	if (pthread_mutex_init(&c->users_lock, NULL) != 0) {
		sc_err_set(CLIENT_ERR_NOMEM, "%s: cannot create the handle's lock", cfg->port);
		goto err_lock;
	}
	if (pthread_cond_init(&c->users_done, NULL) != 0) {
		sc_err_set(CLIENT_ERR_NOMEM, "%s: cannot create the handle's condition", cfg->port);
		goto err_users;
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
	sc_err_clear();
	/* The open succeeded: a recording that could not start is a note. */
	if (sc_record_problem(c)[0])
		sc_err_set(CLIENT_OK, "%s: %s", c->cfg.port, sc_record_problem(c));
	return c;

err_mutex:
	pthread_cond_destroy(&c->users_done);
err_users:
	pthread_mutex_destroy(&c->users_lock);
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

/* Enter the handle for one call; fails once destroy has begun. */
static int enter(struct client *c)
{
	int ok;

	pthread_mutex_lock(&c->users_lock);
	ok = !c->closing;
	if (ok)
		c->users++;
	pthread_mutex_unlock(&c->users_lock);
	if (!ok)
		return sc_err_set(CLIENT_ERR_ARG, "%s: the handle is being destroyed", c->cfg.port);
	return CLIENT_OK;
}

static void leave(struct client *c)
{
	pthread_mutex_lock(&c->users_lock);
	if (--c->users == 0 && c->closing)
		pthread_cond_broadcast(&c->users_done);
	pthread_mutex_unlock(&c->users_lock);
}

SERIALCMD_API void client_destroy(struct client *c)
{
	if (!c)
		return;
	/* New calls now fail; calls already inside, running or queued on the
	 * lock, finish first (each within its own deadline). */
	pthread_mutex_lock(&c->users_lock);
	c->closing = 1;
	while (c->users > 0)
		pthread_cond_wait(&c->users_done, &c->users_lock);
	pthread_mutex_unlock(&c->users_lock);
	sc_record_close(c);
	if (c->tp) /* NULL after a failed reconnect */
		c->tp->ops->close(c->tp);
	sc_rxbuf_free(&c->rx);
	free(c->tx);
	pthread_cond_destroy(&c->users_done);
	pthread_mutex_destroy(&c->users_lock);
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

	if (!c)
		return sc_err_set(CLIENT_ERR_ARG, "client_stale_errors: handle is NULL");
	if (!out && size)
		return sc_err_set(CLIENT_ERR_ARG, "%s: client_stale_errors: out is NULL", c->cfg.port);
	n = enter(c);
	if (n)
		return n;
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
};

/* The one transaction behind every command call. */
static struct client_ret *transact(struct client *c, const struct request *rq, int *code)
{
	struct client_ret *ret = NULL;
	struct deadline dl;
	char record_note[1024];

	if (!c) {
		*code = sc_err_set(CLIENT_ERR_ARG, "serialcmd: handle is NULL");
		return NULL;
	}
	record_note[0] = '\0';
	if (rq->cmd && check_command(c, rq->cmd, rq->len)) {
		*code = client_last_error();
		return NULL;
	}
	*code = enter(c);
	if (*code)
		return NULL;
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
	sc_record_begin(c, rq->cmd ? (rq->read ? "query" : "write") : rq->raw ? "write" : "read");
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
		*code = sc_read_drain_stale(c, c->unsettled, &dl);
		if (*code)
			goto out;
		c->unsettled = 0;
		*code = write_command(c, rq->cmd, rq->len, rq->block, rq->block_len, dl.at_ns);
		if (*code)
			goto out;
		if (c->cfg.echo && !rq->block) {
			*code = check_echo(c, rq->cmd, rq->len, rq->read != NULL, &dl);
			if (*code)
				goto out;
		}
		/* A pause the device needs before its reply can be read;
		 * it counts against the deadline. */
		if (rq->read && c->cfg.query_delay_ms)
			sleep_until_ns(sc_clock_deadline_ns(c->cfg.query_delay_ms));
	}
	if (rq->read) {
		ret = rq->read(c, &dl);
		if (!ret)
			*code = client_last_error();
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

static int null_command(const struct client *c)
{
	return sc_err_set(CLIENT_ERR_ARG, "%s: command is NULL", c ? c->cfg.port : "serialcmd");
}

/* Send len bytes of cmd; read the reply with reader (NULL: none). */
static struct client_ret *command(struct client *c, const char *cmd, size_t len,
				  struct client_ret *(*reader)(struct client *, const struct deadline *),
				  int *code)
{
	struct request rq = { .cmd = cmd, .len = len, .read = reader };

	if (!cmd) {
		*code = null_command(c);
		return NULL;
	}
	return transact(c, &rq, code);
}

SERIALCMD_API struct client_ret *client_send_cmd_reply(struct client *c, const char *cmd)
{
	int code;

	return command(c, cmd, cmd ? strlen(cmd) : 0, sc_read_line, &code);
}

SERIALCMD_API struct client_ret *client_send_cmd_reply_n(struct client *c, const char *cmd, size_t len)
{
	int code;

	return command(c, cmd, len, sc_read_line, &code);
}

SERIALCMD_API int client_send_cmd(struct client *c, const char *cmd)
{
	int code;

	command(c, cmd, cmd ? strlen(cmd) : 0, NULL, &code);
	return code;
}

SERIALCMD_API int client_send_cmd_n(struct client *c, const char *cmd, size_t len)
{
	int code;

	command(c, cmd, len, NULL, &code);
	return code;
}

SERIALCMD_API struct client_ret *client_read_reply(struct client *c)
{
	struct request rq = { .read = sc_read_line };
	int code;

	return transact(c, &rq, &code);
}

SERIALCMD_API struct client_ret *client_read_available(struct client *c)
{
	struct request rq = { .read = sc_read_available };
	int code;

	return transact(c, &rq, &code);
}

SERIALCMD_API struct client_ret *client_read_n(struct client *c, size_t n, const char *stop, size_t stop_len)
{
	struct request rq = { .count = n, .stop = stop, .stop_len = stop_len };
	int code;

	if (n == 0 || n > 999999999 || stop_len > CLIENT_EOL_MAX || (!stop && stop_len)) {
		sc_err_set(CLIENT_ERR_ARG, "%s: read of %zu bytes up to a %zu-byte terminator: %s",
			   c ? c->cfg.port : "serialcmd", n, stop_len,
			   n == 0 || n > 999999999 ? "n must be 1 to 999999999"
			   : stop ? "the terminator is longer than CLIENT_EOL_MAX" : "stop is NULL");
		return NULL;
	}
	return transact(c, &rq, &code);
}

SERIALCMD_API int client_write_raw(struct client *c, const void *data, size_t len)
{
	struct request rq = { .raw = 1, .block = data, .block_len = len };
	int code;

	if (!data && len)
		return sc_err_set(CLIENT_ERR_ARG, "%s: data is NULL", c ? c->cfg.port : "serialcmd");
	if (!len && c)
		return CLIENT_OK;
	transact(c, &rq, &code);
	return code;
}

SERIALCMD_API struct client_ret *client_query_block(struct client *c, const char *cmd)
{
	int code;

	return command(c, cmd, cmd ? strlen(cmd) : 0, sc_block_read, &code);
}

SERIALCMD_API struct client_ret *client_read_block(struct client *c)
{
	struct request rq = { .read = sc_block_read };
	int code;

	return transact(c, &rq, &code);
}

SERIALCMD_API int client_write_block(struct client *c, const char *cmd, const void *data, size_t len)
{
	static const char nothing;
	struct request rq = {
		.cmd = cmd, .len = cmd ? strlen(cmd) : 0, .block = data ? data : &nothing, .block_len = len
	};
	int code;

	if (!cmd)
		return null_command(c);
	if ((!data && len) || len > 999999999)
		return sc_err_set(CLIENT_ERR_ARG, "%s: block of %zu bytes: %s", c ? c->cfg.port : "serialcmd",
				  len, data || !len ? "longer than 999999999 bytes" : "data is NULL");
	transact(c, &rq, &code);
	return code;
}

SERIALCMD_API int client_set_timeout(struct client *c, unsigned int timeout_ms)
{
	const struct option_def *o = sc_option_find("timeout_ms");

	if (!c)
		return sc_err_set(CLIENT_ERR_ARG, "client_set_timeout: handle is NULL");
	if (!sc_option_uint_ok(o, timeout_ms)) {
		char accepted[64];

		return sc_err_set(CLIENT_ERR_OPTION, "%s: bad value %u for '%s' (accepted: %s)", c->cfg.port,
				  timeout_ms, o->name, sc_option_accepted(o, accepted, sizeof(accepted)));
	}
	/* Atomic, not locked: a setter must not wait for a running command. */
	__atomic_store_n(&c->cfg.timeout_ms, timeout_ms, __ATOMIC_RELAXED);
	sc_err_clear();
	return CLIENT_OK;
}

SERIALCMD_API int client_get_timeout(struct client *c)
{
	if (!c)
		return sc_err_set(CLIENT_ERR_ARG, "client_get_timeout: handle is NULL");
	sc_err_clear();
	return (int)__atomic_load_n(&c->cfg.timeout_ms, __ATOMIC_RELAXED);
}

SERIALCMD_API const char *client_port(const struct client *c)
{
	return c ? c->cfg.port : NULL;
}

SERIALCMD_API int client_set_unsolicited(struct client *c, client_unsolicited_fn fn, void *user)
{
	if (!c)
		return sc_err_set(CLIENT_ERR_ARG, "client_set_unsolicited: handle is NULL");
	pthread_mutex_lock(&c->lock);
	c->unsolicited = fn;
	c->unsolicited_user = user;
	pthread_mutex_unlock(&c->lock);
	sc_err_clear();
	return CLIENT_OK;
}

SERIALCMD_API long long client_unsolicited_count(struct client *c)
{
	if (!c)
		return sc_err_set(CLIENT_ERR_ARG, "client_unsolicited_count: handle is NULL");
	sc_err_clear();
	return (long long)__atomic_load_n(&c->unsolicited_count, __ATOMIC_RELAXED);
}
