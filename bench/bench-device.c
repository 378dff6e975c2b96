/* SPDX-License-Identifier: MIT */
/* bench-device.c - the instrument the benchmark clients talk to: N
 * pseudo-terminals served by one single-threaded poll loop, made so that it
 * is never what limits a client.
 *
 *     bench-device [-n COUNT] [-t SECONDS] [-e]
 *
 * prints the slave path of each pty on its own line, then "ready", and
 * serves until SIGTERM/SIGINT or SECONDS (default 900) have passed, or with
 * -e until its standard input ends (so it cannot outlive a parent that
 * holds the other end of a pipe). It binds nothing to the network. Commands end with LF; replies end with LF:
 *
 *     *IDN?      BENCH,DEVICE,0,1.0.0            (20 bytes: the "typical query")
 *     SIZE n     n bytes of printable filler     (0 <= n <= 64 MiB)
 *     DELAY ms   "DONE" after ms milliseconds    (the reply-wait CPU test)
 *     anything   echoed back
 *
 * Why it is fast: one read and one write per small command (the reply is
 * written at once, without another trip through poll); large replies are
 * streamed from one static filler block with writes as large as the pty
 * takes; nothing is allocated while serving. The device holds each slave
 * open itself, so a client that closes does not hang the master up, and
 * sets it raw (a pty starts with echo on, which would bounce every reply
 * back to the device). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_PTYS 128
#define LINE_CAP 4096
#define SMALL_CAP 65536
#define FILL_CAP (1 << 20)
#define MAX_SIZE (64L << 20)
#define IDN "BENCH,DEVICE,0,1.0.0"

struct conn {
	int master;
	int slave;
	char line[LINE_CAP];
	size_t line_len;
	int overlong; /* dropping a line longer than LINE_CAP up to its LF */
	/* Pending output: small[] first, then big filler bytes, then one LF. */
	char small[SMALL_CAP + 1];
	size_t small_off, small_len;
	long big_left;
	int big_eol;
	/* A DELAY reply due at this CLOCK_MONOTONIC time (0: none). */
	long long due_ns;
};

static struct conn conns[MAX_PTYS];
static char filler[FILL_CAP];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int pending(const struct conn *c)
{
	return c->small_off < c->small_len || c->big_left > 0 || c->big_eol;
}

/* Write what is pending until done or the pty is full (EAGAIN). */
static void flush_out(struct conn *c)
{
	while (pending(c)) {
		const char *p;
		size_t len;
		ssize_t n;

		if (c->small_off < c->small_len) {
			p = c->small + c->small_off;
			len = c->small_len - c->small_off;
		} else if (c->big_left > 0) {
			p = filler;
			len = c->big_left < FILL_CAP ? (size_t)c->big_left : FILL_CAP;
		} else {
			p = "\n";
			len = 1;
		}
		n = write(c->master, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) /* the pty went away: forget the reply */
				c->small_off = c->small_len = 0, c->big_left = 0, c->big_eol = 0;
			return;
		}
		if (c->small_off < c->small_len)
			c->small_off += (size_t)n;
		else if (c->big_left > 0)
			c->big_left -= n;
		else
			c->big_eol = 0;
	}
}

static void queue_small(struct conn *c, const char *text, size_t len)
{
	if (pending(c) || len > SMALL_CAP)
		return; /* a client that sends before reading its reply gets none */
	memcpy(c->small, text, len);
	c->small[len] = '\n';
	c->small_off = 0;
	c->small_len = len + 1;
}

static void command(struct conn *c, char *line, size_t len)
{
	char *end;
	long v;

	line[len] = '\0';
	if (len == 5 && memcmp(line, "*IDN?", 5) == 0) {
		queue_small(c, IDN, sizeof(IDN) - 1);
	} else if (len > 5 && memcmp(line, "SIZE ", 5) == 0) {
		v = strtol(line + 5, &end, 10);
		if (*end || v < 0 || v > MAX_SIZE || pending(c))
			return;
		if (v <= SMALL_CAP) {
			queue_small(c, filler, (size_t)v);
		} else {
			c->big_left = v;
			c->big_eol = 1;
		}
	} else if (len > 6 && memcmp(line, "DELAY ", 6) == 0) {
		v = strtol(line + 6, &end, 10);
		if (*end || v < 0 || v > 60000)
			return;
		c->due_ns = now_ns() + v * 1000000LL;
	} else {
		queue_small(c, line, len);
	}
	flush_out(c);
}

static void serve_input(struct conn *c)
{
	char buf[LINE_CAP];
	ssize_t n = read(c->master, buf, sizeof(buf));

	if (n <= 0)
		return;
	for (ssize_t i = 0; i < n; i++) {
		char ch = buf[i];

		if (ch == '\n') {
			if (!c->overlong)
				command(c, c->line, c->line_len);
			c->line_len = 0;
			c->overlong = 0;
		} else if (c->line_len + 1 < LINE_CAP) {
			c->line[c->line_len++] = ch;
		} else {
			c->overlong = 1;
		}
	}
}

static int open_pty(struct conn *c)
{
	struct termios t;
	const char *name;

	c->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (c->master < 0 || grantpt(c->master) || unlockpt(c->master) || !(name = ptsname(c->master)))
		return -1;
	c->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->slave < 0 || tcgetattr(c->slave, &t))
		return -1;
	cfmakeraw(&t);
	if (tcsetattr(c->slave, TCSANOW, &t))
		return -1;
	printf("%s\n", name);
	return 0;
}

int main(int argc, char **argv)
{
	struct pollfd pfds[MAX_PTYS + 1];
	long count = 1, limit_s = 900;
	int opt, watch_stdin = 0;
	long long end_ns;

	while ((opt = getopt(argc, argv, "n:t:e")) != -1) {
		if (opt == 'n')
			count = strtol(optarg, NULL, 10);
		else if (opt == 't')
			limit_s = strtol(optarg, NULL, 10);
		else if (opt == 'e')
			watch_stdin = 1;
		else
			return 2;
	}
	if (count < 1 || count > MAX_PTYS || limit_s < 1 || limit_s > 86400) {
		fprintf(stderr, "usage: bench-device [-n 1..%d] [-t SECONDS] [-e]\n", MAX_PTYS);
		return 2;
	}
	for (size_t i = 0; i < FILL_CAP; i++)
		filler[i] = (char)('!' + i % 94);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	for (long i = 0; i < count; i++) {
		if (open_pty(&conns[i])) {
			perror("bench-device: pty");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	end_ns = now_ns() + limit_s * 1000000000LL;
	while (!stop) {
		long long now = now_ns(), wake = end_ns;
		int ms;

		if (now >= end_ns)
			break;
		for (long i = 0; i < count; i++) {
			struct conn *c = &conns[i];

			if (c->due_ns && c->due_ns <= now) {
				c->due_ns = 0;
				queue_small(c, "DONE", 4);
				flush_out(c);
			}
			if (c->due_ns && c->due_ns < wake)
				wake = c->due_ns;
			pfds[i].fd = c->master;
			pfds[i].events = POLLIN | (pending(c) ? POLLOUT : 0);
			pfds[i].revents = 0;
		}
		/* The parent's end of our stdin: readable or hung up means it ended. */
		pfds[count].fd = watch_stdin ? 0 : -1;
		pfds[count].events = POLLIN;
		pfds[count].revents = 0;
		ms = (int)((wake - now + 999999) / 1000000);
		if (poll(pfds, (nfds_t)count + 1, ms) < 0 && errno != EINTR)
			break;
		if (pfds[count].revents)
			break;
		for (long i = 0; i < count; i++) {
			if (pfds[i].revents & POLLIN)
				serve_input(&conns[i]);
			if (pfds[i].revents & POLLOUT)
				flush_out(&conns[i]);
		}
	}
	for (long i = 0; i < count; i++) {
		close(conns[i].slave);
		close(conns[i].master);
	}
	return 0;
}
