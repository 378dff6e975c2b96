/* SPDX-License-Identifier: MIT */
/* reply.c - the receive buffer: geometric growth up to a limit, a
 * terminator scan that looks at each byte once, replies and leftovers. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define RX_MIN_CAP 4096
/* Replies at least this long hand their buffer over instead of being copied. */
#define RX_HANDOVER 65536

void sc_rxbuf_init(struct rxbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void sc_rxbuf_free(struct rxbuf *b)
{
	free(b->data);
	sc_rxbuf_init(b);
}

void sc_rxbuf_clear(struct rxbuf *b)
{
	b->len = 0;
	b->scanned = 0;
}

ssize_t sc_rxbuf_reserve(struct rxbuf *b, size_t limit)
{
	size_t room;

	if (b->len >= limit)
		return 0;
	/* Grow geometrically once less than a quarter is free, so reads stay
	 * large and a long reply costs O(log n) reallocations. */
	if (b->cap - b->len < b->cap / 4 || b->cap == b->len) {
		size_t want = b->cap ? b->cap * 2 : RX_MIN_CAP;
		char *p;

		if (b->cap > SIZE_MAX / 2 || want > limit)
			want = limit;
		if (want > b->cap) {
			p = realloc(b->data, want);
			if (!p)
				return CLIENT_ERR_NOMEM;
			b->data = p;
			b->cap = want;
		}
	}
	room = b->cap - b->len;
	if (room > limit - b->len)
		room = limit - b->len;
	return (ssize_t)room;
}

ssize_t sc_rxbuf_find(struct rxbuf *b, const char *eol, size_t eol_len)
{
	size_t from, span;
	const char *hit;

	if (b->len < eol_len)
		return -1;
	/* A terminator may straddle old and new bytes: back up eol_len-1. */
	from = b->scanned >= eol_len - 1 ? b->scanned - (eol_len - 1) : 0;
	span = b->len - from;
	if (eol_len == 1)
		hit = memchr(b->data + from, eol[0], span);
	else
		hit = memmem(b->data + from, span, eol, eol_len);
	if (!hit) {
		b->scanned = b->len;
		return -1;
	}
	return hit - b->data;
}

void sc_rxbuf_consume(struct rxbuf *b, size_t n)
{
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->scanned = b->scanned > n ? b->scanned - n : 0;
}

/* Every reply sits in a box that records whether its bytes are its own
 * allocation. Deciding that from addresses (are the bytes right after the
 * header?) fails with allocators that place two blocks back to back. */
struct ret_box {
	int owns_data;
	struct client_ret ret;
};

struct client_ret *sc_ret_new_copy(const void *data, size_t n)
{
	struct ret_box *box;

	if (n > SIZE_MAX - sizeof(*box) - 1)
		return NULL;
	box = malloc(sizeof(*box) + n + 1);
	if (!box)
		return NULL;
	if (sc_live_ret_add(&box->ret)) {
		free(box);
		return NULL;
	}
	box->owns_data = 0;
	box->ret.ret_data = (char *)(box + 1);
	box->ret.len = n;
	memcpy(box->ret.ret_data, data, n);
	box->ret.ret_data[n] = '\0';
	return &box->ret;
}

struct client_ret *sc_ret_new_adopt(char *data, size_t n)
{
	struct ret_box *box = malloc(sizeof(*box));

	if (!box)
		return NULL;
	if (sc_live_ret_add(&box->ret)) {
		free(box);
		return NULL;
	}
	box->owns_data = 1;
	box->ret.ret_data = data;
	box->ret.len = n;
	data[n] = '\0';
	return &box->ret;
}

struct client_ret *sc_rxbuf_take(struct rxbuf *b, size_t n, size_t eol_len, const char *port)
{
	size_t rest = b->len - n - eol_len;
	struct client_ret *ret;

	if (n >= RX_HANDOVER) {
		/* Zero-copy: the reply keeps the buffer; the few bytes after
		 * the terminator move to a fresh one. */
		char *fresh = NULL;
		size_t cap = 0;

		if (rest) {
			cap = rest + 1 > RX_MIN_CAP ? rest + 1 : RX_MIN_CAP;
			fresh = malloc(cap);
		}
		ret = !rest || fresh ? sc_ret_new_adopt(b->data, n) : NULL;
		if (!ret) {
			free(fresh);
			sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory for a %zu-byte reply", port, n);
			return NULL;
		}
		if (rest)
			memcpy(fresh, b->data + n + eol_len, rest);
		b->data = fresh;
		b->cap = cap;
		b->len = rest;
		b->scanned = 0;
		return ret;
	}
	/* Small replies: header and bytes in one block, the buffer is reused. */
	ret = sc_ret_new_copy(b->data, n);
	if (!ret) {
		sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory for a %zu-byte reply", port, n);
		return NULL;
	}
	sc_rxbuf_consume(b, n + eol_len);
	return ret;
}

SERIALCMD_API void client_free_ret(struct client_ret *ret)
{
	struct ret_box *box;

	/* A pointer that is not a live reply is refused before it is read:
	 * only then is the last error set. */
	if (!ret || sc_live_ret_release(ret, __func__))
		return;
	box = (struct ret_box *)((char *)ret - offsetof(struct ret_box, ret));
	if (box->owns_data)
		free(ret->ret_data);
	free(box);
}
