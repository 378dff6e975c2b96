/* SPDX-License-Identifier: MIT */
/* transport.h - the table every backend fills: the command/reply code in
 * client.c talks to a port only through these calls. */
#ifndef SERIALCMD_TRANSPORT_H
#define SERIALCMD_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct transport;

/* Each call returns a negative client_err code on failure and then has set
 * the thread's last error message, except for CLIENT_ERR_TIMEOUT, whose
 * message the caller writes because only it knows what had arrived. */
struct transport_ops {
	const char *name;
	/* Wait until at least one byte is there or the deadline (CLOCK_MONOTONIC
	 * ns) passes; return the count read (> 0). The deadline is checked on
	 * every pass, also while bytes keep arriving: once it has passed the
	 * answer is CLIENT_ERR_TIMEOUT, so no peer can stretch a command. */
	ssize_t (*read)(struct transport *t, void *buf, size_t size, int64_t deadline_ns);
	/* Read what is there now without waiting; 0 when nothing is. */
	ssize_t (*read_now)(struct transport *t, void *buf, size_t size);
	/* Write all len bytes before the deadline; return CLIENT_OK. */
	int (*write)(struct transport *t, const void *buf, size_t len, int64_t deadline_ns);
	/* Optional (NULL: nothing to do): discard input held on the far side,
	 * such as a terminal server's buffer, before a command. Never waits. */
	int (*flush_input)(struct transport *t);
	/* Release everything; t itself too. */
	void (*close)(struct transport *t);
};

/* What a backend is given by its client when it opens: the port's name
 * as the user wrote it (for messages once open; it outlives the
 * transport) and where to log, so that set-up is traced too. */
struct transport_host {
	const char *port;
	/* Log one line; never NULL (the client's sink drops it when not
	 * tracing). */
	void (*trace)(void *ctx, const char *line);
	void *trace_ctx;
};

struct transport {
	const struct transport_ops *ops;
	const char *port; /* for messages; the host's */
	void (*trace)(void *ctx, const char *line);
	void *trace_ctx;
};

/* Every backend's constructor starts its transport with this. */
static inline void sc_transport_init(struct transport *t, const struct transport_ops *ops,
				     const struct transport_host *host)
{
	t->ops = ops;
	t->port = host->port;
	t->trace = host->trace;
	t->trace_ctx = host->trace_ctx;
}

/* The backends' constructors, tried by sc_transport_open(). Each returns
 * CLIENT_OK with *out set, or a negative code with the message set, or
 * TRANSPORT_DECLINED (no message) when the port is not its kind, so that the
 * next one can try. path is the port to open (a usb: port already resolved
 * to its device) and names it in set-up messages. */
#define TRANSPORT_DECLINED 1
struct client_config;
int sc_transport_serial_open(const struct client_config *cfg, const char *path,
			     const struct transport_host *host, struct transport **out);
int sc_transport_tty_open(const struct client_config *cfg, const char *path,
			  const struct transport_host *host, struct transport **out);
/* Network ports, chosen by prefix before any local path is looked at:
 * "tcp://HOST:PORT" (raw byte stream) and "rfc2217://HOST:PORT" (Telnet
 * with the COM-PORT-OPTION). They never decline. */
int sc_transport_tcp_open(const struct client_config *cfg, const char *path,
			  const struct transport_host *host, struct transport **out);
int sc_transport_rfc2217_open(const struct client_config *cfg, const char *path,
			      const struct transport_host *host, struct transport **out);

/* How a client gets its transport: sc_transport_open() in transport.c, or a
 * test's own (ctx is the opener's). */
typedef int (*transport_opener)(const struct client_config *cfg, const struct transport_host *host, void *ctx,
				struct transport **out);

#endif
