/* trace.c - a handle's trace: what was sent, received and dropped, and what
 * its transport logs, as printable lines to the user's callback. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Longest escaped excerpt of data shown in a trace line. */
#define TRACE_BYTES 256

static void trace_stderr(void *user, const char *line)
{
	(void)user;
	fprintf(stderr, "serialcmd: %s\n", line);
}

static int trace_env_on(void)
{
	const char *env = secure_getenv("SERIALCMD_TRACE");

	return env && env[0] && strcmp(env, "0") != 0;
}

void sc_trace_init(struct client *c)
{
	if (trace_env_on())
		c->trace = trace_stderr;
}

void sc_trace_note(const char *line)
{
	if (trace_env_on())
		trace_stderr(NULL, line);
}

void sc_trace_transport(void *ctx, const char *line)
{
	struct client *c = ctx;
	char full[CLIENT_PORT_MAX + 600];

	if (!c->trace)
		return;
	snprintf(full, sizeof(full), "%s: %s", c->cfg.port, line);
	c->trace(c->trace_user, full);
}

void sc_trace_bytes(struct client *c, const char *what, const void *data, size_t len)
{
	char esc[TRACE_BYTES * 4 + 1];
	char line[sizeof(esc) + CLIENT_PORT_MAX + 64];
	size_t shown = len > TRACE_BYTES ? TRACE_BYTES : len;

	if (!c->trace)
		return;
	sc_escape_bytes(esc, sizeof(esc), data, shown);
	snprintf(line, sizeof(line), "%s: %s %zu bytes \"%s\"%s", c->cfg.port, what, len, esc,
		 shown < len ? "..." : "");
	c->trace(c->trace_user, line);
}

SERIALCMD_API int client_set_trace(struct client *c, client_trace_fn fn, void *user)
{
	int code = sc_live_enter(c, __func__);

	if (code)
		return code;
	pthread_mutex_lock(&c->lock);
	c->trace = fn;
	c->trace_user = user;
	pthread_mutex_unlock(&c->lock);
	sc_live_leave(c);
	sc_err_clear();
	return CLIENT_OK;
}
