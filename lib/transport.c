/* SPDX-License-Identifier: MIT */
/* transport.c - choose the backend for a port and open it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "net.h"

int sc_transport_check_port(const char *port)
{
	if (strncmp(port, "tcp://", 6) == 0)
		return sc_net_check_port(port, "tcp://");
	if (strncmp(port, "rfc2217://", 10) == 0)
		return sc_net_check_port(port, "rfc2217://");
	if (strncmp(port, "usb:", 4) == 0)
		return sc_ports_check_usb(port);
	if (!port[0])
		return sc_err_set(CLIENT_ERR_OPTION, "empty port (expected e.g. /dev/ttyUSB0?baud=115200)");
	return CLIENT_OK;
}

/* The port and what it is, for a call its transport does not have. */
static int unsupported(struct transport *t, const char *what)
{
	return sc_err_set(CLIENT_ERR_UNSUPPORTED, "%s: %s is not supported on %s", t->port, what,
			  t->ops->kind ? t->ops->kind : "this port");
}

static void trace_line(struct transport *t, const char *line)
{
	t->trace(t->trace_ctx, line);
}

static int set_flag(struct transport *t, int (*fn)(struct transport *, int), int on, const char *what)
{
	char line[48];

	if (!fn)
		return unsupported(t, what);
	snprintf(line, sizeof(line), "%s %s", what, on ? "on" : "off");
	trace_line(t, line);
	return fn(t, on);
}

/* The spec's line settings, right after the backend opened the port (the
 * tty layer raised DTR and RTS in open() already when the speed is not
 * B0: nothing done here can come before that). A setting the port cannot
 * take fails the open: a user who asked for dtr=0 or low_latency=1 is
 * told, not ignored. */
static int apply_lines(const struct client_config *cfg, struct transport *t)
{
	int64_t deadline = sc_clock_deadline_ns(cfg->timeout_ms);
	int ret = CLIENT_OK;

	if (cfg->hupcl >= 0)
		ret = set_flag(t, t->ops->set_hupcl, cfg->hupcl, "HUPCL");
	if (!ret && cfg->low_latency >= 0)
		ret = set_flag(t, t->ops->set_low_latency, cfg->low_latency, "low latency");
	if (!ret && cfg->dtr >= 0)
		ret = sc_transport_set_line(t, TRANSPORT_DTR, cfg->dtr, deadline);
	if (!ret && cfg->rts >= 0)
		ret = sc_transport_set_line(t, TRANSPORT_RTS, cfg->rts, deadline);
	return ret;
}

static int open_backend(const struct client_config *cfg, const struct transport_host *host,
			struct transport **out)
{
	const char *port = cfg->port;
	char resolved[CLIENT_PORT_MAX];
	struct stat st;
	int ret;

	if (strncmp(port, "tcp://", 6) == 0)
		return sc_transport_tcp_open(cfg, port, host, out);
	if (strncmp(port, "rfc2217://", 10) == 0)
		return sc_transport_rfc2217_open(cfg, port, host, out);
	/* usb:VID:PID[:SERIAL]: whichever tty that adapter has now. */
	if (strncmp(port, "usb:", 4) == 0) {
		ret = sc_ports_resolve_usb(port, resolved, sizeof(resolved));
		if (ret)
			return ret;
		port = resolved;
	}
	if (stat(port, &st) != 0)
		return sc_err_from_errno(errno, port, "open");
	if (!S_ISCHR(st.st_mode))
		return sc_err_set(CLIENT_ERR_NOPORT,
				  "%s: not a serial port or terminal (not a character device)", port);
	/* Ports libserialport knows go through it; it declines other
	 * terminals (pseudo-terminals), which termios handles. */
	ret = sc_transport_serial_open(cfg, port, host, out);
	if (ret != TRANSPORT_DECLINED)
		return ret;
	return sc_transport_tty_open(cfg, port, host, out);
}

int sc_transport_open(const struct client_config *cfg, const struct transport_host *host, void *ctx,
		      struct transport **out)
{
	int ret;

	(void)ctx;
	ret = open_backend(cfg, host, out);
	if (ret)
		return ret;
	ret = apply_lines(cfg, *out);
	if (ret) {
		(*out)->ops->close(*out);
		*out = NULL;
	}
	return ret;
}

int sc_transport_set_line(struct transport *t, enum transport_line line, int on, int64_t deadline_ns)
{
	const char *name = line == TRANSPORT_DTR ? "DTR" : "RTS";
	char what[32];

	if (!t->ops->set_line)
		return unsupported(t, name);
	snprintf(what, sizeof(what), "%s %s", name, on ? "on" : "off");
	trace_line(t, what);
	return t->ops->set_line(t, line, on, deadline_ns);
}

int sc_transport_get_signals(struct transport *t, int *mask, int64_t deadline_ns)
{
	if (!t->ops->get_signals)
		return unsupported(t, "reading CTS, DSR, DCD and RI");
	return t->ops->get_signals(t, mask, deadline_ns);
}

int sc_transport_set_break(struct transport *t, int on, int64_t deadline_ns)
{
	if (!t->ops->set_break)
		return unsupported(t, "a break");
	trace_line(t, on ? "break on" : "break off");
	return t->ops->set_break(t, on, deadline_ns);
}
