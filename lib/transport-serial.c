/* SPDX-License-Identifier: MIT */
/* transport-serial.c - libserialport backend for real serial ports (USB
 * CDC-ACM, FTDI and friends, UARTs, RFCOMM). */
#include <errno.h>
#include <fcntl.h>
#include <libserialport.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

struct serial {
	struct transport base;
	struct sp_port *sp;
	int fd;	     /* libserialport's own descriptor, for hang-up checks */
	int lock_fd; /* holds the flock (taken before sp_open touches the port); -1 if none */
	int exclusive;
	pid_t owner; /* the process that opened it */
};

/* libserialport reports OS failures as SP_ERR_FAIL with errno behind it. */
static int sp_error(enum sp_return r, const char *port, const char *what)
{
	if (r == SP_ERR_FAIL)
		return sc_port_error(sp_last_error_code(), port, what);
	if (r == SP_ERR_MEM)
		return sc_err_set(CLIENT_ERR_NOMEM, "%s: %s: out of memory", port, what);
	if (r == SP_ERR_SUPP)
		return sc_err_set(CLIENT_ERR_OPTION, "%s: %s: not supported by this port", port, what);
	return sc_err_set(CLIENT_ERR_IO, "%s: %s: libserialport error %d", port, what, (int)r);
}

/* sp_blocking_read_next() returns 0 both on timeout and on hang-up (read()
 * giving 0); poll tells the two apart. */
static int hung_up(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static ssize_t serial_read(struct transport *t, void *buf, size_t size, int64_t deadline_ns)
{
	struct serial *s = (struct serial *)t;

	for (;;) {
		/* libserialport takes 0 to mean "wait forever": never pass it. */
		int ms = sc_clock_remaining_ms(deadline_ns);
		enum sp_return r;

		if (ms == 0)
			return CLIENT_ERR_TIMEOUT;
		r = sp_blocking_read_next(s->sp, buf, size, (unsigned int)ms);
		if (r > 0)
			return r;
		if (r == SP_OK) {
			if (hung_up(s->fd))
				return sc_err_set(CLIENT_ERR_GONE, "%s: read: device gone (hang-up)",
						  t->port);
			continue;
		}
		if (r == SP_ERR_FAIL && (sp_last_error_code() == EINTR || sp_last_error_code() == EAGAIN))
			continue;
		return sp_error(r, t->port, "read");
	}
}

static ssize_t serial_read_now(struct transport *t, void *buf, size_t size)
{
	struct serial *s = (struct serial *)t;

	for (;;) {
		enum sp_return r = sp_nonblocking_read(s->sp, buf, size);

		if (r >= 0)
			return r;
		if (r == SP_ERR_FAIL && sp_last_error_code() == EAGAIN)
			return 0;
		if (r != SP_ERR_FAIL || sp_last_error_code() != EINTR)
			return sp_error(r, t->port, "read");
	}
}

static int serial_write(struct transport *t, const void *buf, size_t len, int64_t deadline_ns)
{
	struct serial *s = (struct serial *)t;
	const char *p = buf;
	size_t off = 0;

	while (off < len) {
		int ms = sc_clock_remaining_ms(deadline_ns);
		enum sp_return r;

		if (ms == 0)
			return CLIENT_ERR_TIMEOUT;
		r = sp_blocking_write(s->sp, p + off, len - off, (unsigned int)ms);
		if (r >= 0) {
			off += (size_t)r;
			continue;
		}
		if (r == SP_ERR_FAIL && (sp_last_error_code() == EINTR || sp_last_error_code() == EAGAIN))
			continue;
		return sp_error(r, t->port, "write");
	}
	return CLIENT_OK;
}

static void serial_close(struct transport *t)
{
	struct serial *s = (struct serial *)t;

	if (s->exclusive)
		sc_port_release(s->fd, s->owner);
	sp_close(s->sp);
	sp_free_port(s->sp);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s);
}

/* A failed line call: the OS's errno as the termios backend maps it, so
 * that both say the same for the same driver. */
static int line_error(struct serial *s, enum sp_return r, const char *what)
{
	if (r == SP_ERR_FAIL)
		return sc_tty_error(sp_last_error_code(), s->fd, s->base.port, what);
	if (r == SP_ERR_SUPP)
		return sc_err_set(CLIENT_ERR_UNSUPPORTED, "%s: %s: not supported by libserialport here",
				  s->base.port, what);
	return sp_error(r, s->base.port, what);
}

/* libserialport's calls do not wait: the deadline has nothing to bound. */
static int serial_set_line(struct transport *t, enum transport_line line, int on, int64_t deadline_ns)
{
	struct serial *s = (struct serial *)t;
	enum sp_return r;

	(void)deadline_ns;
	if (line == TRANSPORT_DTR)
		r = sp_set_dtr(s->sp, on ? SP_DTR_ON : SP_DTR_OFF);
	else
		r = sp_set_rts(s->sp, on ? SP_RTS_ON : SP_RTS_OFF);
	if (r == SP_OK)
		return CLIENT_OK;
	return line_error(s, r, line == TRANSPORT_DTR ? "setting DTR" : "setting RTS");
}

static int serial_get_signals(struct transport *t, int *mask, int64_t deadline_ns)
{
	struct serial *s = (struct serial *)t;
	enum sp_signal sig = 0;
	enum sp_return r;

	(void)deadline_ns;
	r = sp_get_signals(s->sp, &sig);
	if (r != SP_OK)
		return line_error(s, r, "reading the modem lines");
	*mask = (sig & SP_SIG_CTS ? CLIENT_SIG_CTS : 0) | (sig & SP_SIG_DSR ? CLIENT_SIG_DSR : 0) |
		(sig & SP_SIG_DCD ? CLIENT_SIG_DCD : 0) | (sig & SP_SIG_RI ? CLIENT_SIG_RI : 0);
	return CLIENT_OK;
}

static int serial_set_break(struct transport *t, int on, int64_t deadline_ns)
{
	struct serial *s = (struct serial *)t;
	enum sp_return r;

	(void)deadline_ns;
	r = on ? sp_start_break(s->sp) : sp_end_break(s->sp);
	if (r == SP_OK)
		return CLIENT_OK;
	return line_error(s, r, on ? "starting a break" : "ending a break");
}

/* libserialport has no call for these two: the termios ioctls on its
 * descriptor. */
static int serial_set_hupcl(struct transport *t, int on)
{
	return sc_tty_set_hupcl(((struct serial *)t)->fd, on, t->port);
}

static int serial_set_low_latency(struct transport *t, int on)
{
	return sc_tty_set_low_latency(((struct serial *)t)->fd, on, t->port);
}

static const struct transport_ops serial_ops = {
	.name = "libserialport",
	.read = serial_read,
	.read_now = serial_read_now,
	.write = serial_write,
	.close = serial_close,
	.kind = "this serial port",
	.set_line = serial_set_line,
	.get_signals = serial_get_signals,
	.set_break = serial_set_break,
	.set_hupcl = serial_set_hupcl,
	.set_low_latency = serial_set_low_latency,
};

/* A setting the port refuses is the user's option, not an I/O failure. */
static int setting_error(enum sp_return r, const char *port, const char *key, int value)
{
	char what[64];

	snprintf(what, sizeof(what), "setting %s (%d)", key, value);
	if (r == SP_ERR_ARG || r == SP_ERR_SUPP)
		return sc_err_set(CLIENT_ERR_OPTION, "%s: %s: the port does not accept it", port, what);
	return sp_error(r, port, what);
}

static int serial_configure(struct sp_port *sp, const struct client_config *cfg, const char *port)
{
	static const enum sp_parity parity[] = {
		[CLIENT_PARITY_NONE] = SP_PARITY_NONE,	 [CLIENT_PARITY_ODD] = SP_PARITY_ODD,
		[CLIENT_PARITY_EVEN] = SP_PARITY_EVEN,	 [CLIENT_PARITY_MARK] = SP_PARITY_MARK,
		[CLIENT_PARITY_SPACE] = SP_PARITY_SPACE,
	};
	static const enum sp_flowcontrol flow[] = {
		[CLIENT_FLOW_NONE] = SP_FLOWCONTROL_NONE,
		[CLIENT_FLOW_XONXOFF] = SP_FLOWCONTROL_XONXOFF,
		[CLIENT_FLOW_RTSCTS] = SP_FLOWCONTROL_RTSCTS,
		[CLIENT_FLOW_DTRDSR] = SP_FLOWCONTROL_DTRDSR,
	};
	enum sp_return r;

	if ((r = sp_set_baudrate(sp, cfg->baud)) != SP_OK)
		return setting_error(r, port, "baud", cfg->baud);
	if ((r = sp_set_bits(sp, cfg->bits)) != SP_OK)
		return setting_error(r, port, "bits", cfg->bits);
	if ((r = sp_set_parity(sp, parity[cfg->parity])) != SP_OK)
		return setting_error(r, port, "parity", (int)cfg->parity);
	if ((r = sp_set_stopbits(sp, cfg->stop)) != SP_OK)
		return setting_error(r, port, "stop", cfg->stop);
	if ((r = sp_set_flowcontrol(sp, flow[cfg->flow])) != SP_OK)
		return setting_error(r, port, "flow", (int)cfg->flow);
	return CLIENT_OK;
}

int sc_transport_serial_open(const struct client_config *cfg, const char *port,
			     const struct transport_host *host, struct transport **out)
{
	char real[PATH_MAX];
	struct sp_port *sp = NULL;
	struct serial *s;
	enum sp_return r;
	int ret, fd = -1, lock_fd = -1;

	/* libserialport looks ports up by their /dev name: resolve symlinks
	 * such as /dev/serial/by-id/... first. */
	if (!realpath(port, real))
		return sc_err_from_errno(errno, port, "open");
	if (sp_get_port_by_name(real, &sp) != SP_OK)
		return TRANSPORT_DECLINED;
	if (cfg->exclusive) {
		/* sp_open() reconfigures the port: lock before it runs. */
		lock_fd = open(real, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (lock_fd < 0) {
			ret = sc_port_error(errno, port, "open");
			goto err_free;
		}
		ret = sc_port_flock(lock_fd, port);
		if (ret)
			goto err_free;
	}
	r = sp_open(sp, SP_MODE_READ_WRITE);
	if (r != SP_OK) {
		/* Let go of our own lock first, or a busy error would name us. */
		int errnum = sp_last_error_code();

		if (lock_fd >= 0)
			close(lock_fd);
		lock_fd = -1;
		if (r == SP_ERR_FAIL)
			errno = errnum;
		ret = sp_error(r, port, "open");
		goto err_free;
	}
	if (sp_get_port_handle(sp, &fd) != SP_OK || fd < 0) {
		ret = sc_err_set(CLIENT_ERR_IO, "%s: open: libserialport gave no descriptor", port);
		goto err_close;
	}
	/* libserialport 0.1.1 opens without O_CLOEXEC. */
	fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
	if (cfg->exclusive) {
		ret = sc_port_exclusive(fd, port);
		if (ret)
			goto err_close;
	}
	ret = serial_configure(sp, cfg, port);
	if (ret)
		goto err_release;
	s = calloc(1, sizeof(*s));
	if (!s) {
		ret = sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory", port);
		goto err_release;
	}
	sc_transport_init(&s->base, &serial_ops, host);
	s->sp = sp;
	s->fd = fd;
	s->lock_fd = lock_fd;
	s->exclusive = cfg->exclusive;
	s->owner = getpid();
	*out = &s->base;
	return CLIENT_OK;

err_release:
	if (cfg->exclusive)
		sc_port_release(fd, getpid());
err_close:
	sp_close(sp);
err_free:
	sp_free_port(sp);
	if (lock_fd >= 0)
		close(lock_fd);
	return ret;
}
