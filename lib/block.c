/* SPDX-License-Identifier: MIT */
/* block.c - IEEE 488.2 block replies: skip a text prefix, parse #<n><len>,
 * read exactly len bytes into the reply buffer whatever they hold, then the
 * trailing terminator; or #0 bytes ended by the terminator. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Text allowed before the '#' (":WAV:DATA " and the like). */
#define PREFIX_MAX 1024
/* Bytes allowed between a block and its terminator (a stray CR). */
#define TAIL_MAX 2

static struct client_ret *block_error(struct client *c, const char *why, const char *data, size_t len)
{
	char esc[160];

	/* At most 32 bytes are shown (callers may pass just those). */
	sc_escape_bytes(esc, sizeof(esc), data, len > 32 ? 32 : len);
	sc_err_set(CLIENT_ERR_BLOCK, "%s: %s: \"%s\"%s", c->cfg.port, why, esc, len > 32 ? "..." : "");
	return NULL;
}

/* Find '#' before any terminator; returns its offset, -1 on error (set). */
static ssize_t find_hash(struct client *c, const struct deadline *dl)
{
	const size_t eol_len = c->cfg.read_eol_len;
	size_t looked = 0;

	for (;;) {
		char *hash = c->rx.len > looked ? memchr(c->rx.data + looked, '#', c->rx.len - looked) : NULL;
		size_t upto = hash ? (size_t)(hash - c->rx.data) : c->rx.len;
		char *eol = upto >= eol_len ? memmem(c->rx.data, upto, c->cfg.read_eol, eol_len) : NULL;

		if (eol) {
			size_t n = (size_t)(eol - c->rx.data);

			block_error(c, "the reply holds no block", c->rx.data, n);
			sc_rxbuf_consume(&c->rx, n + eol_len);
			return -1;
		}
		if (hash)
			return (ssize_t)upto;
		if (c->rx.len > PREFIX_MAX) {
			block_error(c, "no block within the first 1024 bytes of the reply", c->rx.data,
				    c->rx.len);
			sc_rxbuf_clear(&c->rx);
			return -1;
		}
		looked = c->rx.len;
		if (sc_read_fill(c, c->rx.len + 1, PREFIX_MAX + 1 + eol_len, dl))
			return -1;
	}
}

/* After the block: the terminator, with at most TAIL_MAX bytes before it. */
static int read_tail(struct client *c, size_t got, const struct deadline *dl)
{
	const size_t eol_len = c->cfg.read_eol_len;

	for (;;) {
		ssize_t pos = sc_rxbuf_find(&c->rx, c->cfg.read_eol, eol_len);

		if (pos >= 0 && pos <= TAIL_MAX) {
			sc_rxbuf_consume(&c->rx, (size_t)pos + eol_len);
			return CLIENT_OK;
		}
		if (pos > TAIL_MAX || c->rx.len >= TAIL_MAX + eol_len) {
			block_error(c, "junk after the block where its terminator should be", c->rx.data,
				    c->rx.len);
			sc_rxbuf_clear(&c->rx);
			return CLIENT_ERR_BLOCK;
		}
		if (sc_read_fill(c, c->rx.len + 1, TAIL_MAX + eol_len, dl)) {
			if (client_last_error() == CLIENT_ERR_TIMEOUT)
				sc_err_set(CLIENT_ERR_TIMEOUT,
					   "%s: the block's %zu bytes came, but not its terminator"
					   " before the deadline",
					   c->cfg.port, got);
			return client_last_error();
		}
	}
}

/* Read len payload bytes straight into the reply's own buffer. */
static struct client_ret *read_payload(struct client *c, size_t len, const struct deadline *dl)
{
	struct client_ret *ret;
	char *data = malloc(len + 1);
	size_t got;
	int code;

	if (!data) {
		sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory for a %zu-byte block", c->cfg.port, len);
		return NULL;
	}
	code = sc_read_exact(c, data, len, dl, &got);
	if (code) {
		if (code == CLIENT_ERR_TIMEOUT)
			sc_err_set(CLIENT_ERR_TIMEOUT,
				   "%s: timeout after %u ms: %zu of the block's %zu bytes received",
				   c->cfg.port, dl->ms, got, len);
		free(data);
		return NULL;
	}
	ret = sc_ret_new_adopt(data, len);
	if (!ret) {
		free(data);
		sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory for a %zu-byte block", c->cfg.port, len);
		return NULL;
	}
	sc_trace_bytes(c, "received block", data, len);
	if (read_tail(c, len, dl) != CLIENT_OK) {
		client_free_ret(ret);
		return NULL;
	}
	return ret;
}

/* A block announced as too long: skip its bytes and terminator, within the
 * deadline, so the next command starts clean. */
static struct client_ret *skip_block(struct client *c, size_t len, const struct deadline *dl)
{
	int skipped = sc_read_skip(c, len, dl) == CLIENT_OK;

	/* Its terminator too, or it would be taken for the next reply. */
	if (skipped)
		skipped = read_tail(c, len, dl) == CLIENT_OK;
	sc_err_set(CLIENT_ERR_TOOLONG, "%s: the block announces %zu bytes, more than max_reply=%zu; %s",
		   c->cfg.port, len, c->cfg.max_reply,
		   skipped ? "skipped with its terminator" : "the rest is dropped as stale input");
	return NULL;
}

struct client_ret *sc_block_read(struct client *c, const struct deadline *dl)
{
	ssize_t at = find_hash(c, dl);
	size_t ndigits, len = 0;
	char digit;

	if (at < 0)
		return NULL;
	if (at > 0)
		sc_trace_bytes(c, "skipped before block", c->rx.data, (size_t)at);
	sc_rxbuf_consume(&c->rx, (size_t)at);
	if (sc_read_fill(c, 2, PREFIX_MAX, dl))
		return NULL;
	digit = c->rx.data[1];
	if (digit < '0' || digit > '9') {
		/* Nothing to say how long it is: drop it up to its terminator. */
		char head[32];
		ssize_t end = sc_rxbuf_find(&c->rx, c->cfg.read_eol, c->cfg.read_eol_len);
		size_t n = end >= 0 ? (size_t)end : c->rx.len, dropped;

		memcpy(head, c->rx.data, n < sizeof(head) ? n : sizeof(head));
		sc_read_drop_line(c, "dropped malformed block", dl, &dropped);
		return block_error(c, "malformed block header (no digit count after '#')", head, n);
	}
	ndigits = (size_t)(digit - '0');
	if (ndigits == 0) {
		/* Indefinite: the bytes up to the terminator. */
		sc_rxbuf_consume(&c->rx, 2);
		return sc_read_line(c, dl);
	}
	if (sc_read_fill(c, 2 + ndigits, PREFIX_MAX, dl))
		return NULL;
	for (size_t i = 0; i < ndigits; i++) {
		char d = c->rx.data[2 + i];

		if (d < '0' || d > '9') {
			block_error(c, "malformed block header (length has a non-digit)", c->rx.data,
				    2 + ndigits);
			sc_rxbuf_consume(&c->rx, 2 + ndigits);
			return NULL;
		}
		len = len * 10 + (size_t)(d - '0'); /* 9 digits at most: no overflow */
	}
	sc_rxbuf_consume(&c->rx, 2 + ndigits);
	if (len > c->cfg.max_reply)
		return skip_block(c, len, dl);
	return read_payload(c, len, dl);
}
