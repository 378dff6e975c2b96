/* SPDX-License-Identifier: MIT */
/* sim-io.c - the simulator's I/O layer: the pty, writing bytes and replies,
 * hanging up, sleeping, and the stop flag that SIGTERM/SIGINT raise. The
 * responders (sim-scpi.c, sim-faulty.c, sim-wave.c) and sim-main.c call it;
 * it calls none of them, so the simulator's files form layers. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sim.h"

#define SPLIT_GAP_US 200

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

void sim_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int sim_stopping(void)
{
	return stop;
}

void sim_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stop)
		;
}

int sim_open_pty(struct sim *s, char *name, size_t size)
{
	struct termios t;
	char path[256];

	if (openpty(&s->master, &s->slave, path, NULL, NULL) != 0) {
		perror("serialcmd-sim: openpty");
		return -1;
	}
	snprintf(name, size, "%s", path);
	fcntl(s->master, F_SETFD, FD_CLOEXEC);
	fcntl(s->slave, F_SETFD, FD_CLOEXEC);
	fcntl(s->master, F_SETFL, fcntl(s->master, F_GETFL) | O_NONBLOCK);
	/* Raw from the start, so nothing is cooked before a client sets it. */
	tcgetattr(s->slave, &t);
	cfmakeraw(&t);
	tcsetattr(s->slave, TCSANOW, &t);
	return 0;
}

void sim_put(struct sim *s, const void *buf, size_t len)
{
	const char *p = buf;

	/* A client that went away is not our problem: errors end quietly. */
	while (len > 0 && !stop && s->master >= 0) {
		ssize_t n = write(s->master, p, s->split ? 1 : len);

		if (n < 0) {
			struct pollfd pfd = { .fd = s->master, .events = POLLOUT };

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return;
			poll(&pfd, 1, 100);
			continue;
		}
		p += n;
		len -= (size_t)n;
		if (s->split)
			usleep(SPLIT_GAP_US);
	}
}

void sim_reply(struct sim *s, const char *text, size_t len)
{
	if (s->drop_every && s->commands % s->drop_every == 0)
		return;
	sim_put(s, s->tag, strlen(s->tag));
	sim_put(s, text, len);
	sim_put(s, s->out_eol, s->out_eol_len);
}

void sim_reply_str(struct sim *s, const char *text)
{
	sim_reply(s, text, strlen(text));
}

void sim_hang_up(struct sim *s)
{
	if (s->master >= 0)
		close(s->master);
	if (s->slave >= 0)
		close(s->slave);
	s->master = s->slave = -1;
}

/* Closing the master discards what the client has not read yet: wait
 * (bounded, 1 s) until the slave's queue is empty, as the last bytes of a
 * device that is unplugged did reach its host. */
void sim_hang_up_when_read(struct sim *s)
{
	for (int i = 0; i < 100 && s->slave >= 0; i++) {
		int queued = 0;

		if (ioctl(s->slave, FIONREAD, &queued) != 0 || queued == 0)
			break;
		sim_sleep_ms(10);
	}
	sim_hang_up(s);
}
