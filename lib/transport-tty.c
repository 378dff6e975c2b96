/* SPDX-License-Identifier: MIT */
/* transport-tty.c - termios backend for terminals libserialport refuses
 * (pseudo-terminals above all): raw mode, O_NOCTTY, O_CLOEXEC, poll waits. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"

struct tty {
	struct transport base;
	int fd;
	int exclusive;
	pid_t owner; /* the process that opened it */
};

static const struct {
	int baud;
	speed_t speed;
} speeds[] = {
	{ 50, B50 },	       { 75, B75 },	      { 110, B110 },	     { 134, B134 },
	{ 150, B150 },	       { 200, B200 },	      { 300, B300 },	     { 600, B600 },
	{ 1200, B1200 },       { 1800, B1800 },	      { 2400, B2400 },	     { 4800, B4800 },
	{ 9600, B9600 },       { 19200, B19200 },     { 38400, B38400 },     { 57600, B57600 },
	{ 115200, B115200 },   { 230400, B230400 },   { 460800, B460800 },   { 500000, B500000 },
	{ 576000, B576000 },   { 921600, B921600 },   { 1000000, B1000000 }, { 1152000, B1152000 },
	{ 1500000, B1500000 }, { 2000000, B2000000 }, { 2500000, B2500000 }, { 3000000, B3000000 },
	{ 3500000, B3500000 }, { 4000000, B4000000 },
};

static int tty_configure(int fd, const struct client_config *cfg, const struct transport_host *host)
{
	struct termios t;
	speed_t speed = 0;
	size_t i;
	int pty = sc_tty_is_pty(fd);

	for (i = 0; i < ARRAY_SIZE(speeds); i++)
		if (speeds[i].baud == cfg->baud)
			speed = speeds[i].speed;
	if (!speed)
		return sc_err_set(
			CLIENT_ERR_OPTION,
			"%s: baud %d is not a standard termios rate (use e.g. 9600, 115200, 1000000)", host->port,
			cfg->baud);
	/* A pseudo-terminal has no modem lines: hardware flow control means
	 * nothing there, so a profile that asks for it still works on one. */
	if (cfg->flow == CLIENT_FLOW_DTRDSR && !pty)
		return sc_err_set(CLIENT_ERR_OPTION,
				  "%s: flow=dtrdsr is not available on this terminal (termios has no DTR/DSR"
				  " flow control; accepted here: none, xonxoff, rtscts)",
				  host->port);
	if (tcgetattr(fd, &t) != 0)
		return sc_err_from_errno(errno, host->port, "tcgetattr");
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CMSPAR | CSTOPB | CRTSCTS);
	t.c_cflag |= cfg->bits == 5 ? CS5 : cfg->bits == 6 ? CS6 : cfg->bits == 7 ? CS7 : CS8;
	/* Linux keeps a pseudo-terminal at CS8 without parity (there is no
	 * wire to frame), and a tcsetattr() that asks for other bits or a
	 * parity and changes nothing else fails with EINVAL: ask a pty only
	 * for what it can be, so a 7E1 profile also runs on a simulator. */
	if (pty && (cfg->bits != 8 || cfg->parity != CLIENT_PARITY_NONE)) {
		t.c_cflag = (t.c_cflag & ~(tcflag_t)CSIZE) | CS8;
		host->trace(host->trace_ctx, "a pseudo-terminal has no framing: bits and parity ignored");
	} else
		switch (cfg->parity) {
	case CLIENT_PARITY_NONE: break;
	case CLIENT_PARITY_ODD: t.c_cflag |= PARENB | PARODD; break;
	case CLIENT_PARITY_EVEN: t.c_cflag |= PARENB; break;
	case CLIENT_PARITY_MARK: t.c_cflag |= PARENB | CMSPAR | PARODD; break;
	case CLIENT_PARITY_SPACE: t.c_cflag |= PARENB | CMSPAR; break;
	}
	if (cfg->stop == 2)
		t.c_cflag |= CSTOPB;
	t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	if (cfg->flow == CLIENT_FLOW_XONXOFF)
		t.c_iflag |= IXON | IXOFF;
	if (cfg->flow == CLIENT_FLOW_RTSCTS && !pty)
		t.c_cflag |= CRTSCTS;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	cfsetispeed(&t, speed);
	cfsetospeed(&t, speed);
	if (tcsetattr(fd, TCSANOW, &t) != 0)
		return sc_err_from_errno(errno, host->port, "tcsetattr");
	return CLIENT_OK;
}

static ssize_t tty_read(struct transport *t, void *buf, size_t size, int64_t deadline_ns)
{
	struct tty *tty = (struct tty *)t;

	for (;;) {
		struct pollfd pfd = { .fd = tty->fd, .events = POLLIN };
		/* Checked on every pass, also while bytes keep coming. */
		int ms = sc_clock_remaining_ms(deadline_ns), r;
		ssize_t n;

		if (ms == 0)
			return CLIENT_ERR_TIMEOUT;
		r = poll(&pfd, 1, ms);
		if (r < 0) {
			if (errno == EINTR)
				continue; /* the deadline is absolute: no restart */
			return sc_err_from_errno(errno, t->port, "poll");
		}
		if (r == 0)
			continue;
		n = read(tty->fd, buf, size);
		if (n > 0)
			return n;
		if (n == 0)
			return sc_err_set(CLIENT_ERR_GONE, "%s: read: device gone (hang-up)", t->port);
		if (errno != EINTR && errno != EAGAIN)
			return sc_err_from_errno(errno, t->port, "read");
	}
}

static ssize_t tty_read_now(struct transport *t, void *buf, size_t size)
{
	struct tty *tty = (struct tty *)t;

	for (;;) {
		ssize_t n = read(tty->fd, buf, size);

		if (n > 0)
			return n;
		if (n == 0)
			return sc_err_set(CLIENT_ERR_GONE, "%s: read: device gone (hang-up)", t->port);
		if (errno == EAGAIN)
			return 0;
		if (errno != EINTR)
			return sc_err_from_errno(errno, t->port, "read");
	}
}

static int tty_write(struct transport *t, const void *buf, size_t len, int64_t deadline_ns)
{
	struct tty *tty = (struct tty *)t;
	const char *p = buf;
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(tty->fd, p + off, len - off);
		struct pollfd pfd = { .fd = tty->fd, .events = POLLOUT };
		int ms;

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return sc_err_from_errno(errno, t->port, "write");
		/* The device is not taking bytes (full buffer, flow control). */
		ms = sc_clock_remaining_ms(deadline_ns);
		if (ms == 0)
			return CLIENT_ERR_TIMEOUT;
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			return sc_err_from_errno(errno, t->port, "poll");
		/* POLLHUP/POLLERR: the next write() reports the cause. */
	}
	return CLIENT_OK;
}

static void tty_close(struct transport *t)
{
	struct tty *tty = (struct tty *)t;

	if (tty->exclusive)
		sc_port_release(tty->fd, tty->owner);
	close(tty->fd);
	free(tty);
}

/* The ioctls do not wait: the deadline has nothing to bound. */
static int tty_set_line(struct transport *t, enum transport_line line, int on, int64_t deadline_ns)
{
	(void)deadline_ns;
	return sc_tty_set_line(((struct tty *)t)->fd, line, on, t->port);
}

static int tty_get_signals(struct transport *t, int *mask, int64_t deadline_ns)
{
	(void)deadline_ns;
	return sc_tty_get_signals(((struct tty *)t)->fd, mask, t->port);
}

static int tty_set_break(struct transport *t, int on, int64_t deadline_ns)
{
	(void)deadline_ns;
	return sc_tty_set_break(((struct tty *)t)->fd, on, t->port);
}

static int tty_set_hupcl(struct transport *t, int on)
{
	return sc_tty_set_hupcl(((struct tty *)t)->fd, on, t->port);
}

static int tty_set_low_latency(struct transport *t, int on)
{
	return sc_tty_set_low_latency(((struct tty *)t)->fd, on, t->port);
}

static const struct transport_ops tty_ops = {
	.name = "termios",
	.read = tty_read,
	.read_now = tty_read_now,
	.write = tty_write,
	.close = tty_close,
	.kind = "this terminal",
	.set_line = tty_set_line,
	.get_signals = tty_get_signals,
	.set_break = tty_set_break,
	.set_hupcl = tty_set_hupcl,
	.set_low_latency = tty_set_low_latency,
};

int sc_transport_tty_open(const struct client_config *cfg, const char *port,
			  const struct transport_host *host, struct transport **out)
{
	struct tty *tty;
	int fd, ret;

	fd = open(port, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return sc_port_error(errno, port, "open");
	if (!isatty(fd)) {
		ret = sc_err_set(CLIENT_ERR_NOPORT, "%s: not a serial port or terminal", port);
		goto err_close;
	}
	if (cfg->exclusive) {
		ret = sc_port_flock(fd, port);
		if (ret)
			goto err_close;
		ret = sc_port_exclusive(fd, port);
		if (ret)
			goto err_close;
	}
	ret = tty_configure(fd, cfg, host);
	if (ret)
		goto err_release;
	tty = calloc(1, sizeof(*tty));
	if (!tty) {
		ret = sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory", port);
		goto err_release;
	}
	sc_transport_init(&tty->base, &tty_ops, host);
	tty->fd = fd;
	tty->exclusive = cfg->exclusive;
	tty->owner = getpid();
	*out = &tty->base;
	return CLIENT_OK;

err_release:
	if (cfg->exclusive)
		sc_port_release(fd, getpid());
err_close:
	close(fd);
	return ret;
}
