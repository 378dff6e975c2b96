/* SPDX-License-Identifier: MIT */
/* tty-control.c - modem lines, break, HUPCL and low latency on a tty
 * descriptor with the termios ioctls, for the termios backend and for what
 * libserialport has no call for (HUPCL, ASYNC_LOW_LATENCY). */
#include <errno.h>
#include <linux/serial.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "internal.h"

/* UNIX 98 pseudo-terminal slaves have majors 136 to 143. */
int sc_tty_is_pty(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) >= 136 &&
	       major(st.st_rdev) <= 143;
}

/* The tty layer answers ENOTTY for an ioctl the driver does not implement
 * (a pty has no tiocmset, tiocmget or get_serial), some drivers EINVAL:
 * the port cannot do it, which is not an I/O failure. */
int sc_tty_error(int errnum, int fd, const char *port, const char *what)
{
	if (errnum == ENOTTY || errnum == EINVAL)
		return sc_err_set(
			CLIENT_ERR_UNSUPPORTED, "%s: %s: not supported by this port's driver%s (%s)", port,
			what, sc_tty_is_pty(fd) ? ": a pseudo-terminal has no modem lines and no UART" : "",
			strerror(errnum));
	return sc_err_from_errno(errnum, port, what);
}

static int ioctl_retry(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

int sc_tty_set_line(int fd, enum transport_line line, int on, const char *port)
{
	int bits = line == TRANSPORT_DTR ? TIOCM_DTR : TIOCM_RTS;
	char what[32];

	if (ioctl_retry(fd, on ? TIOCMBIS : TIOCMBIC, &bits) == 0)
		return CLIENT_OK;
	snprintf(what, sizeof(what), "%s %s", on ? "raising" : "lowering",
		 line == TRANSPORT_DTR ? "DTR" : "RTS");
	return sc_tty_error(errno, fd, port, what);
}

int sc_tty_get_signals(int fd, int *mask, const char *port)
{
	int bits = 0;

	if (ioctl_retry(fd, TIOCMGET, &bits) != 0)
		return sc_tty_error(errno, fd, port, "reading the modem lines");
	*mask = (bits & TIOCM_CTS ? CLIENT_SIG_CTS : 0) | (bits & TIOCM_DSR ? CLIENT_SIG_DSR : 0) |
		(bits & TIOCM_CAR ? CLIENT_SIG_DCD : 0) | (bits & TIOCM_RNG ? CLIENT_SIG_RI : 0);
	return CLIENT_OK;
}

int sc_tty_set_break(int fd, int on, const char *port)
{
	if (ioctl_retry(fd, on ? TIOCSBRK : TIOCCBRK, NULL) == 0)
		return CLIENT_OK;
	return sc_tty_error(errno, fd, port, on ? "starting a break" : "ending a break");
}

int sc_tty_set_hupcl(int fd, int on, const char *port)
{
	struct termios t;

	if (tcgetattr(fd, &t) != 0)
		return sc_tty_error(errno, fd, port, "tcgetattr");
	if (on)
		t.c_cflag |= HUPCL;
	else
		t.c_cflag &= ~(tcflag_t)HUPCL;
	if (tcsetattr(fd, TCSANOW, &t) != 0)
		return sc_tty_error(errno, fd, port, on ? "setting HUPCL" : "clearing HUPCL");
	return CLIENT_OK;
}

int sc_tty_set_low_latency(int fd, int on, const char *port)
{
	struct serial_struct ss;

	memset(&ss, 0, sizeof(ss));
	if (ioctl_retry(fd, TIOCGSERIAL, &ss) != 0)
		return sc_tty_error(errno, fd, port, "low_latency: TIOCGSERIAL");
	if (on)
		ss.flags |= ASYNC_LOW_LATENCY;
	else
		ss.flags &= ~ASYNC_LOW_LATENCY;
	if (ioctl_retry(fd, TIOCSSERIAL, &ss) != 0)
		return sc_tty_error(errno, fd, port, "low_latency: TIOCSSERIAL");
	return CLIENT_OK;
}
