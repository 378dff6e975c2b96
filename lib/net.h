/* SPDX-License-Identifier: MIT */
/* net.h - the socket code the network backends (transport-tcp.c,
 * transport-rfc2217.c) share: "SCHEME://HOST:PORT" parsing, name
 * resolution, connect with a deadline, socket options, and reads and
 * writes with a deadline. Every message names the port as given. */
#ifndef SERIALCMD_NET_H
#define SERIALCMD_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A deadline meaning "do not wait": sc_net_read() returns 0 when nothing is
 * there, sc_net_write() returns CLIENT_ERR_TIMEOUT when the socket is full. */
#define NET_NOW ((int64_t)-1)

/* Check the syntax of port (which starts with scheme) without resolving
 * or connecting: CLIENT_OK, or CLIENT_ERR_OPTION with sc_net_connect()'s
 * message. The spec parser calls it. */
int sc_net_check_port(const char *port, const char *scheme);

/* Parse port (which starts with scheme, e.g. "tcp://"), resolve the host
 * and connect before deadline_ns. On success *fd is a connected,
 * non-blocking, close-on-exec TCP socket with TCP_NODELAY and keepalive.
 * Errors: CLIENT_ERR_OPTION (bad spec), _NOHOST, _REFUSED, _TIMEOUT, _IO,
 * _NOMEM, each with a message naming host and port. */
int sc_net_connect(const char *port, const char *scheme, int64_t deadline_ns, int *fd);

/* Wait until bytes arrive or the deadline passes; returns their count
 * (> 0), 0 only with NET_NOW when nothing is there, CLIENT_ERR_TIMEOUT
 * (no message), CLIENT_ERR_GONE when the server closed or the connection
 * broke (message set), or another negative code. */
ssize_t sc_net_read(int fd, void *buf, size_t size, int64_t deadline_ns, const char *port);

/* Write len bytes before the deadline; *sent tells how many left. Returns
 * CLIENT_OK, CLIENT_ERR_TIMEOUT (no message), CLIENT_ERR_GONE or another
 * negative code. Never raises SIGPIPE. */
int sc_net_write(int fd, const void *buf, size_t len, size_t *sent, int64_t deadline_ns, const char *port);

/* Without waiting: 1 if the server has already closed the connection
 * (end of stream with no byte before it), 0 otherwise. */
int sc_net_peer_closed(int fd);

#endif
