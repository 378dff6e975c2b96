/* SPDX-License-Identifier: MIT */
/* bench-serialcmd.c - libserialcmd from C, as its README shows it:
 * client_init_py(), client_send_cmd_reply(), client_free_ret(). Linked
 * with the shared library, like a user's program. */
#include <stdio.h>

#include <serialcmd.h>

#include "bench-client.h"

static void *lib_open(const char *path, char *err, size_t errlen)
{
	char spec[4200];
	struct client *c;

	/* Defaults otherwise (exclusive=1, max_reply 64 MiB); a long deadline
	 * so the 16 MiB replies of slow runs cannot time out. */
	snprintf(spec, sizeof(spec), "%s?timeout_ms=10000", path);
	c = client_init_py(spec);
	if (!c)
		snprintf(err, errlen, "%s", client_last_message());
	return c;
}

static long lib_query(void *h, const char *cmd, size_t len, char *err, size_t errlen)
{
	struct client_ret *r;
	long n;

	(void)len;
	r = client_send_cmd_reply(h, cmd);
	if (!r) {
		snprintf(err, errlen, "%s", client_last_message());
		return -1;
	}
	n = (long)r->len;
	client_free_ret(r);
	return n;
}

static void lib_close(void *h)
{
	client_destroy(h);
}

const struct bench_backend bench_backend = {
	.name = "serialcmd-c",
	.open = lib_open,
	.query = lib_query,
	.close = lib_close,
};
