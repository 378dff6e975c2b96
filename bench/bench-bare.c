/* SPDX-License-Identifier: MIT */
/* bench-bare.c - the limit: a bare loop of write, poll, read on the file
 * descriptor, nothing else. One write per command (command and LF
 * together), then poll and read until the LF, into one buffer allocated
 * once; each new byte is looked at once (memchr). No locking, no copies, no
 * allocation per command: no library can do less on a tty. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "bench-client.h"

#define BUF_CAP ((size_t)(64 << 20) + 65536)
#define TIMEOUT_MS 10000

struct bare {
	int fd;
	char *buf;
};

static void *bare_open(const char *path, char *err, size_t errlen)
{
	struct bare *b = calloc(1, sizeof(*b));
	struct termios t;

	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (b->fd < 0 || tcgetattr(b->fd, &t) != 0) {
		snprintf(err, errlen, "open: %s", strerror(errno));
		goto fail;
	}
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(b->fd, TCSANOW, &t) != 0 || tcflush(b->fd, TCIOFLUSH) != 0) {
		snprintf(err, errlen, "tcsetattr: %s", strerror(errno));
		goto fail;
	}
	return b;
fail:
	if (b->fd >= 0)
		close(b->fd);
	free(b);
	return NULL;
}

static long bare_query(void *h, const char *cmd, size_t len, char *err, size_t errlen)
{
	struct bare *b = h;
	char line[256];
	size_t got = 0;

	if (len + 1 > sizeof(line)) {
		snprintf(err, errlen, "command too long");
		return -1;
	}
	/* Allocated at the first query, once: address space, whose pages are
	 * touched only as replies arrive. */
	if (!b->buf && !(b->buf = malloc(BUF_CAP))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(line, cmd, len);
	line[len] = '\n';
	if (write(b->fd, line, len + 1) != (ssize_t)(len + 1)) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		struct pollfd pfd = { .fd = b->fd, .events = POLLIN };
		ssize_t n;
		char *lf;

		if (poll(&pfd, 1, TIMEOUT_MS) != 1) {
			snprintf(err, errlen, "poll: timeout or error after %zu bytes", got);
			return -1;
		}
		n = read(b->fd, b->buf + got, BUF_CAP - got);
		if (n <= 0) {
			if (n < 0 && errno == EAGAIN)
				continue;
			snprintf(err, errlen, "read: %s", n ? strerror(errno) : "end of file");
			return -1;
		}
		lf = memchr(b->buf + got, '\n', (size_t)n);
		got += (size_t)n;
		if (lf)
			return lf - b->buf;
		if (got == BUF_CAP) {
			snprintf(err, errlen, "reply too long");
			return -1;
		}
	}
}

static void bare_close(void *h)
{
	struct bare *b = h;

	close(b->fd);
	free(b->buf);
	free(b);
}

const struct bench_backend bench_backend = {
	.name = "bare-c",
	.open = bare_open,
	.query = bare_query,
	.close = bare_close,
};
