/* SPDX-License-Identifier: MIT */
/* transport-tcp.c - tcp://HOST:PORT: a raw TCP byte stream to a terminal
 * server (ser2net's raw accepter and the like). The far end owns the line
 * settings, so baud, bits, parity, stop and flow in the spec are accepted
 * and ignored, as is exclusive (the server decides who may connect). */
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "net.h"

struct tcp {
	struct transport base;
	int fd;
};

static ssize_t tcp_read(struct transport *t, void *buf, size_t size, int64_t deadline_ns)
{
	return sc_net_read(((struct tcp *)t)->fd, buf, size, deadline_ns, t->port);
}

static ssize_t tcp_read_now(struct transport *t, void *buf, size_t size)
{
	return sc_net_read(((struct tcp *)t)->fd, buf, size, NET_NOW, t->port);
}

static int tcp_write(struct transport *t, const void *buf, size_t len, int64_t deadline_ns)
{
	size_t sent;

	return sc_net_write(((struct tcp *)t)->fd, buf, len, &sent, deadline_ns, t->port);
}

static void tcp_close(struct transport *t)
{
	close(((struct tcp *)t)->fd);
	free(t);
}

static const struct transport_ops tcp_ops = {
	.name = "tcp",
	.read = tcp_read,
	.read_now = tcp_read_now,
	.write = tcp_write,
	.close = tcp_close,
	/* The terminal server owns the line: no control calls. */
	.kind = "a raw TCP port (the server owns the serial line; rfc2217:// can drive it)",
};

int sc_transport_tcp_open(const struct client_config *cfg, const char *port,
			  const struct transport_host *host, struct transport **out)
{
	struct tcp *tcp;
	int fd, ret;

	ret = sc_net_connect(port, "tcp://", sc_clock_deadline_ns(cfg->timeout_ms), &fd);
	if (ret)
		return ret;
	/* Best effort: a server that takes the connection and hangs up at
	 * once (device missing, port in use) is often seen already. */
	if (sc_net_peer_closed(fd)) {
		close(fd);
		return sc_err_set(CLIENT_ERR_CLOSED,
				  "%s: the server closed the connection right after accepting it"
				  " (its device missing or in use?)",
				  port);
	}
	tcp = calloc(1, sizeof(*tcp));
	if (!tcp) {
		close(fd);
		return sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory", port);
	}
	sc_transport_init(&tcp->base, &tcp_ops, host);
	tcp->fd = fd;
	*out = &tcp->base;
	return CLIENT_OK;
}
