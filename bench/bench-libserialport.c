/* SPDX-License-Identifier: MIT */
/* bench-libserialport.c - libserialport used directly, as a careful C user
 * would: sp_get_port_by_name(), sp_open(), 8N1 without flow control, then
 * per query one sp_blocking_write() of command and LF and
 * sp_blocking_read_next() into one buffer until the LF (sp_blocking_read()
 * waits for a fixed count, which a line of unknown length does not have).
 *
 * On a pseudo-terminal this cannot run: sp_get_port_by_name() looks the
 * port up in /sys/class/tty, where ptys have no entry, and even an sp_port
 * for a name it knows fails in sp_open() when the node is a pty, because
 * sp_open() reads the modem lines (TIOCMGET), which ptys do not implement
 * (ENOTTY). The open below reports the first refusal as it happens, and
 * bench/run.py records the cell as not measurable with that message. On a
 * real port it measures. */
#include <libserialport.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-client.h"

#define BUF_CAP ((size_t)(64 << 20) + 65536)
#define TIMEOUT_MS 10000

struct lsp {
	struct sp_port *sp;
	char *buf;
};

/* libserialport's message for the last failure, copied (its own string
 * must be released with sp_free_error_message()). */
static const char *sp_message(enum sp_return r, char *out, size_t size)
{
	char *m;

	if (r != SP_ERR_FAIL && r != SP_ERR_ARG)
		return r == SP_ERR_MEM ? "out of memory" : "not supported";
	m = sp_last_error_message();
	snprintf(out, size, "%s", m ? m : "?");
	sp_free_error_message(m);
	return out;
}

static void *lsp_open(const char *path, char *err, size_t errlen)
{
	struct lsp *l = calloc(1, sizeof(*l));
	enum sp_return r;
	char msg[256];

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r = sp_get_port_by_name(path, &l->sp);
	if (r != SP_OK) {
		snprintf(err, errlen,
			 "sp_get_port_by_name(\"%s\") = %d: %s (libserialport knows only ports listed in"
			 " /sys/class/tty; pseudo-terminals are not)",
			 path, (int)r, sp_message(r, msg, sizeof(msg)));
		free(l);
		return NULL;
	}
	r = sp_open(l->sp, SP_MODE_READ_WRITE);
	if (r == SP_OK)
		r = sp_set_baudrate(l->sp, 115200);
	if (r == SP_OK)
		r = sp_set_bits(l->sp, 8);
	if (r == SP_OK)
		r = sp_set_parity(l->sp, SP_PARITY_NONE);
	if (r == SP_OK)
		r = sp_set_stopbits(l->sp, 1);
	if (r == SP_OK)
		r = sp_set_flowcontrol(l->sp, SP_FLOWCONTROL_NONE);
	if (r == SP_OK)
		r = sp_flush(l->sp, SP_BUF_BOTH);
	if (r != SP_OK) {
		snprintf(err, errlen, "sp_open/configure(\"%s\") = %d: %s", path, (int)r,
			 sp_message(r, msg, sizeof(msg)));
		sp_close(l->sp);
		sp_free_port(l->sp);
		free(l);
		return NULL;
	}
	return l;
}

static long lsp_query(void *h, const char *cmd, size_t len, char *err, size_t errlen)
{
	struct lsp *l = h;
	char line[256];
	size_t got = 0;
	enum sp_return r;

	if (len + 1 > sizeof(line)) {
		snprintf(err, errlen, "command too long");
		return -1;
	}
	if (!l->buf && !(l->buf = malloc(BUF_CAP))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(line, cmd, len);
	line[len] = '\n';
	r = sp_blocking_write(l->sp, line, len + 1, TIMEOUT_MS);
	if (r != (enum sp_return)(len + 1)) {
		snprintf(err, errlen, "sp_blocking_write = %d", (int)r);
		return -1;
	}
	for (;;) {
		char *lf;

		r = sp_blocking_read_next(l->sp, l->buf + got, BUF_CAP - got, TIMEOUT_MS);
		if (r <= 0) {
			snprintf(err, errlen, "sp_blocking_read_next = %d after %zu bytes", (int)r, got);
			return -1;
		}
		lf = memchr(l->buf + got, '\n', (size_t)r);
		got += (size_t)r;
		if (lf)
			return lf - l->buf;
		if (got == BUF_CAP) {
			snprintf(err, errlen, "reply too long");
			return -1;
		}
	}
}

static void lsp_close(void *h)
{
	struct lsp *l = h;

	sp_close(l->sp);
	sp_free_port(l->sp);
	free(l->buf);
	free(l);
}

const struct bench_backend bench_backend = {
	.name = "libserialport",
	.open = lsp_open,
	.query = lsp_query,
	.close = lsp_close,
};
