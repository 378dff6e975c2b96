/* SPDX-License-Identifier: MIT */
/* transport.h - the table every backend fills: the command/reply code in
 * client.c talks to a port only through these calls. */
#ifndef SERIALCMD_TRANSPORT_H
#define SERIALCMD_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct transport;

/* The two modem control lines a port can drive. */
enum transport_line { TRANSPORT_DTR, TRANSPORT_RTS };

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

	/* Optional line control (NULL: the transport has none, and the caller
	 * answers CLIENT_ERR_UNSUPPORTED naming kind). None of them returns
	 * data: bytes a transport takes in meanwhile (rfc2217 reading a
	 * modem-state report) stay for the next read. */
	/* What the port is, for that message: "a raw TCP port". */
	const char *kind;
	/* Raise (on) or lower DTR or RTS, before the deadline. */
	int (*set_line)(struct transport *t, enum transport_line line, int on, int64_t deadline_ns);
	/* The input lines as CLIENT_SIG_* bits in *mask. */
	int (*get_signals)(struct transport *t, int *mask, int64_t deadline_ns);
	/* Start (on) or end a break; how long it lasts is the caller's. */
	int (*set_break)(struct transport *t, int on, int64_t deadline_ns);
	/* The tty's HUPCL flag: lower DTR and RTS on the last close, or not. */
	int (*set_hupcl)(struct transport *t, int on);
	/* The driver's ASYNC_LOW_LATENCY flag. */
	int (*set_low_latency)(struct transport *t, int on);
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

/* transport.c: the optional calls above, for the client: each answers
 * CLIENT_ERR_UNSUPPORTED with a message naming the port and its kind where
 * the transport lacks the call, and traces what it does. */
int sc_transport_set_line(struct transport *t, enum transport_line line, int on, int64_t deadline_ns);
int sc_transport_get_signals(struct transport *t, int *mask, int64_t deadline_ns);
int sc_transport_set_break(struct transport *t, int on, int64_t deadline_ns);

/* tty-control.c: the same operations on a tty descriptor with the termios
 * ioctls, shared by the termios and libserialport backends. A driver that
 * refuses (ENOTTY, EINVAL: pseudo-terminals have no modem lines and no
 * UART) gives CLIENT_ERR_UNSUPPORTED naming the port and the cause. */
int sc_tty_is_pty(int fd);
int sc_tty_error(int errnum, int fd, const char *port, const char *what);
int sc_tty_set_line(int fd, enum transport_line line, int on, const char *port);
int sc_tty_get_signals(int fd, int *mask, const char *port);
int sc_tty_set_break(int fd, int on, const char *port);
int sc_tty_set_hupcl(int fd, int on, const char *port);
int sc_tty_set_low_latency(int fd, int on, const char *port);

/* How a client gets its transport: sc_transport_open() in transport.c, or a
 * test's own (ctx is the opener's). */
typedef int (*transport_opener)(const struct client_config *cfg, const struct transport_host *host, void *ctx,
				struct transport **out);

#endif
