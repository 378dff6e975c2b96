/* SPDX-License-Identifier: MIT */
/* net.c - TCP sockets for the network backends: address parsing, name
 * resolution, connect with a deadline, socket options, and reads and
 * writes with a deadline. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "net.h"

/* Keepalive: probe after 10 s of silence, every 5 s, give up after 3
 * unanswered probes, so a dead terminal server is noticed in about 25 s.
 * Data written but not acknowledged for 30 s also ends the connection
 * (keepalive does not probe while data is outstanding). */
#define KEEPIDLE_S 10
#define KEEPINTVL_S 5
#define KEEPCNT 3
#define USER_TIMEOUT_MS 30000

struct hostport {
	char host[256];
	char service[8];
};

/* "SCHEME://HOST:PORT" or "SCHEME://[IPV6]:PORT" into host and service. */
static int parse_hostport(const char *port, const char *scheme, struct hostport *hp)
{
	const char *p = port + strlen(scheme), *host, *colon, *num;
	size_t hlen;
	unsigned long n;
	char *end;

	if (*p == '[') {
		const char *close = strchr(p, ']');

		if (!close)
			return sc_err_set(CLIENT_ERR_OPTION,
					  "%s: '[' without ']' (write IPv6 addresses as %s[::1]:PORT)", port,
					  scheme);
		host = p + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
		if (*colon != ':')
			return sc_err_set(CLIENT_ERR_OPTION, "%s: %s after ']' (expected %s[ADDRESS]:PORT)",
					  port, *colon ? "unexpected text" : "no port", scheme);
	} else {
		host = p;
		colon = strrchr(p, ':');
		if (!colon)
			return sc_err_set(CLIENT_ERR_OPTION,
					  "%s: no port (expected %sHOST:PORT, e.g. %s192.168.1.10:4001)",
					  port, scheme, scheme);
		if (memchr(p, ':', (size_t)(colon - p)))
			return sc_err_set(
				CLIENT_ERR_OPTION,
				"%s: an IPv6 address must be written in brackets, e.g. %s[::1]:4001", port,
				scheme);
		hlen = (size_t)(colon - p);
	}
	if (hlen == 0)
		return sc_err_set(CLIENT_ERR_OPTION, "%s: no host (expected %sHOST:PORT)", port, scheme);
	if (hlen >= sizeof(hp->host))
		return sc_err_set(CLIENT_ERR_OPTION, "%s: host name too long (%zu bytes)", port, hlen);
	num = colon + 1;
	if (!*num)
		return sc_err_set(CLIENT_ERR_OPTION, "%s: no port number after ':' (expected %sHOST:PORT)",
				  port, scheme);
	errno = 0;
	n = strtoul(num, &end, 10);
	if (num[0] < '0' || num[0] > '9' || *end || errno || n < 1 || n > 65535)
		return sc_err_set(CLIENT_ERR_OPTION, "%s: bad port number '%.32s' (accepted: 1 to 65535)",
				  port, num);
	memcpy(hp->host, host, hlen);
	hp->host[hlen] = '\0';
	snprintf(hp->service, sizeof(hp->service), "%lu", n);
	return CLIENT_OK;
}

int sc_net_check_port(const char *port, const char *scheme)
{
	struct hostport hp;

	return parse_hostport(port, scheme, &hp);
}

/* Errors of an established connection. */
static int sock_error(int errnum, const char *port, const char *what)
{
	switch (errnum) {
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
	case ENOTCONN:
	case ETIMEDOUT:
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENETUNREACH:
	case ENETDOWN:
	case ENETRESET:
		return sc_err_set(CLIENT_ERR_GONE, "%s: %s: connection lost (%s)", port, what,
				  strerror(errnum));
	case ENOMEM:
	case ENOBUFS: return sc_err_set(CLIENT_ERR_NOMEM, "%s: %s: out of memory", port, what);
	default: return sc_err_set(CLIENT_ERR_IO, "%s: %s: %s", port, what, strerror(errnum));
	}
}

static int set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

static int set_options(int fd, const char *port)
{
	if (set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1) != 0)
		return sc_err_from_errno(errno, port, "setsockopt TCP_NODELAY");
	if (set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1) != 0 ||
	    set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, KEEPIDLE_S) != 0 ||
	    set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, KEEPINTVL_S) != 0 ||
	    set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, KEEPCNT) != 0)
		return sc_err_from_errno(errno, port, "setsockopt keepalive");
	/* Not every kernel (or sandbox) has it; keepalive alone still works. */
	(void)set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, USER_TIMEOUT_MS);
	return CLIENT_OK;
}

/* One address: 0 with *fd connected, or an errno value (ETIMEDOUT when
 * the deadline passed first), or a negative code with the message set. */
static int try_connect(const struct addrinfo *ai, int64_t deadline_ns, const char *port, int *fd)
{
	int s, err = 0, ret;
	socklen_t len = sizeof(err);

	s = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (s < 0)
		return errno;
	ret = set_options(s, port);
	if (ret) {
		close(s);
		return ret;
	}
	if (connect(s, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS && errno != EINTR) {
			err = errno;
			close(s);
			return err;
		}
		for (;;) {
			struct pollfd pfd = { .fd = s, .events = POLLOUT };
			int ms = sc_clock_remaining_ms(deadline_ns);
			int r;

			if (ms == 0) {
				close(s);
				return ETIMEDOUT;
			}
			r = poll(&pfd, 1, ms);
			if (r > 0)
				break;
			if (r < 0 && errno != EINTR) {
				err = errno;
				close(s);
				return err;
			}
		}
		if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err) {
			close(s);
			return err;
		}
	}
	*fd = s;
	return 0;
}

int sc_net_connect(const char *port, const char *scheme, int64_t deadline_ns, int *fd)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	struct hostport hp;
	int ret, err = 0, refused = 0, timedout = 0;

	ret = parse_hostport(port, scheme, &hp);
	if (ret)
		return ret;
	/* Name resolution uses the system resolver and its own timeouts. */
	ret = getaddrinfo(hp.host, hp.service, &hints, &res);
	if (ret) {
		switch (ret) {
		case EAI_MEMORY:
			return sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory resolving '%s'", port,
					  hp.host);
		case EAI_SYSTEM: return sc_err_from_errno(errno, port, "getaddrinfo");
		default:
			return sc_err_set(CLIENT_ERR_NOHOST, "%s: host '%s' not found (%s)", port, hp.host,
					  gai_strerror(ret));
		}
	}
	/* Try every address (IPv6 and IPv4 for one name) until one answers. */
	ret = EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		ret = try_connect(ai, deadline_ns, port, fd);
		if (ret == 0)
			break;
		if (ret < 0) /* a socket option failed: the message is set */
			break;
		err = ret;
		if (ret == ECONNREFUSED)
			refused = 1;
		if (ret == ETIMEDOUT) {
			timedout = 1;
			if (sc_clock_remaining_ms(deadline_ns) == 0)
				break;
		}
	}
	freeaddrinfo(res);
	if (ret <= 0)
		return ret;
	if (refused)
		return sc_err_set(
			CLIENT_ERR_REFUSED,
			"%s: connection refused by %s port %s (is the server running, and listening "
			"on that port?)",
			port, hp.host, hp.service);
	if (timedout)
		return sc_err_set(CLIENT_ERR_TIMEOUT,
				  "%s: connect to %s port %s: no answer within the deadline (timeout_ms)",
				  port, hp.host, hp.service);
	if (err == ENOMEM || err == ENOBUFS)
		return sc_err_set(CLIENT_ERR_NOMEM, "%s: connect: out of memory", port);
	/* No route, network down, address family not supported... */
	return sc_err_set(CLIENT_ERR_IO, "%s: connect to %s port %s: %s", port, hp.host, hp.service,
			  strerror(err));
}

ssize_t sc_net_read(int fd, void *buf, size_t size, int64_t deadline_ns, const char *port)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int ms;

		/* Checked on every pass, also while bytes keep coming: a
		 * server that never stops sending cannot stretch a command. */
		if (deadline_ns != NET_NOW && sc_clock_passed(deadline_ns))
			return CLIENT_ERR_TIMEOUT;
		n = recv(fd, buf, size, MSG_DONTWAIT);
		if (n > 0)
			return n;
		if (n == 0)
			return sc_err_set(CLIENT_ERR_GONE, "%s: read: connection closed by the server", port);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return sock_error(errno, port, "read");
		if (deadline_ns == NET_NOW)
			return 0;
		ms = sc_clock_remaining_ms(deadline_ns);
		if (ms == 0)
			return CLIENT_ERR_TIMEOUT;
		/* POLLHUP and POLLERR wake us too; the next recv() tells why. */
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			return sc_err_from_errno(errno, port, "poll");
	}
}

int sc_net_write(int fd, const void *buf, size_t len, size_t *sent, int64_t deadline_ns, const char *port)
{
	const char *p = buf;

	*sent = 0;
	while (*sent < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t n = send(fd, p + *sent, len - *sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		int ms;

		if (n >= 0) {
			*sent += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return sock_error(errno, port, "write");
		if (deadline_ns == NET_NOW)
			return CLIENT_ERR_TIMEOUT;
		/* The server is not taking bytes (its buffers are full). */
		ms = sc_clock_remaining_ms(deadline_ns);
		if (ms == 0)
			return CLIENT_ERR_TIMEOUT;
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			return sc_err_from_errno(errno, port, "poll");
	}
	return CLIENT_OK;
}

int sc_net_peer_closed(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}
