/* SPDX-License-Identifier: MIT */
/* fuzz-socket.h - a fake terminal server for the RFC 2217 targets
 * (fuzz-rfc2217, fuzz-rfc2217-stream): sc_net_connect() is wrapped
 * (-Wl,--wrap=sc_net_connect) and hands the transport one end of a local
 * SOCK_SEQPACKET socket pair, whose other end already holds the server's
 * bytes, one packet per chunk so that each recv() sees exactly one chunk,
 * and is then shut for writing, so the stream ends instead of waiting.
 * Included by both targets and, once, by tests/test-fuzz-corpus. */
#ifndef SERIALCMD_FUZZ_SOCKET_H
#define SERIALCMD_FUZZ_SOCKET_H

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "net.h"

int __wrap_sc_net_connect(const char *port, const char *scheme, int64_t deadline_ns, int *fd);

#define RFC_MAX_PACKETS 64

/* The client end of the pair, handed to the next sc_net_connect(). */
static int rfc_client_fd = -1;

int __wrap_sc_net_connect(const char *port, const char *scheme, int64_t deadline_ns, int *fd)
{
	(void)deadline_ns;
	FUZZ_CHECK(strncmp(port, scheme, strlen(scheme)) == 0);
	if (rfc_client_fd < 0)
		return sc_err_set(CLIENT_ERR_REFUSED, "%s: fuzz: no server", port);
	*fd = rfc_client_fd;
	rfc_client_fd = -1;
	return CLIENT_OK;
}

/* Queue the server's bytes; 0 on success. */
static int rfc_fill(int server, const uint8_t *sizes, size_t nsizes, const uint8_t *p, size_t n)
{
	for (size_t i = 0; n > 0 && i < RFC_MAX_PACKETS; i++) {
		size_t chunk = i + 1 == RFC_MAX_PACKETS ? n : (size_t)sizes[i % nsizes] + 1;

		if (chunk > n)
			chunk = n;
		if (send(server, p, chunk, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)chunk)
			return -1;
		p += chunk;
		n -= chunk;
	}
	return shutdown(server, SHUT_WR);
}

#endif
