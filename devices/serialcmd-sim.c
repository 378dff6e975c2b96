/* serialcmd-sim.c - a simulated instrument on a real pseudo-terminal: it
 * prints the pty's path and answers until stopped. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "faults.h"
#include "internal.h"

#define LINE_MAX_BYTES 65536
#define TRICKLE_MAX_BYTES 100000

struct sim {
	int master;
	int slave; /* kept open so the master never sees a hang-up between clients */
	int faulty;
	char eol[CLIENT_EOL_MAX];
	size_t eol_len;
	unsigned latency_ms;
	int split;
	long hangup_after; /* hang up after this many commands; 0: never */
	long commands;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stop)
		;
}

/* Write all bytes; a gone client is not our problem, so errors end quietly. */
static void put(struct sim *s, const void *buf, size_t len)
{
	const char *p = buf;

	if (s->split) {
		for (size_t i = 0; i < len && !stop; i++) {
			if (write(s->master, p + i, 1) != 1)
				return;
			usleep(SPLIT_GAP_US);
		}
		return;
	}
	while (len > 0 && !stop) {
		ssize_t n = write(s->master, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = s->master, .events = POLLOUT };

				poll(&pfd, 1, 100);
				continue;
			}
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void reply(struct sim *s, const char *text, size_t len)
{
	put(s, text, len);
	put(s, s->eol, s->eol_len);
}

static void reply_str(struct sim *s, const char *text)
{
	reply(s, text, strlen(text));
}

/* Arguments after the command word. */
static const char *arg_after(const char *line, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(line, word, n) != 0 || (line[n] != ' ' && line[n] != '\0'))
		return NULL;
	return line[n] == ' ' ? line + n + 1 : line + n;
}

static void serve_faulty(struct sim *s, const char *line)
{
	const char *a;

	if (strcmp(line, FAULT_IDN) == 0) {
		reply_str(s, SIM_IDN);
	} else if ((a = arg_after(line, FAULT_LATE))) {
		char *rest;
		unsigned long ms = strtoul(a, &rest, 10);

		sleep_ms((unsigned)(ms > 600000 ? 600000 : ms));
		reply_str(s, *rest == ' ' ? rest + 1 : rest);
	} else if ((a = arg_after(line, FAULT_SPLIT))) {
		int was = s->split;

		s->split = 1;
		reply_str(s, a);
		s->split = was;
	} else if ((a = arg_after(line, FAULT_NOISE))) {
		reply_str(s, a);
		sleep_ms(NOISE_DELAY_MS);
		put(s, NOISE_BYTES, sizeof(NOISE_BYTES) - 1);
	} else if (arg_after(line, FAULT_SILENT)) {
		/* nothing */
	} else if ((a = arg_after(line, FAULT_TWICE))) {
		reply_str(s, a);
		reply_str(s, a);
	} else if ((a = arg_after(line, FAULT_HANGUP))) {
		put(s, a, strlen(a));
		close(s->master);
		close(s->slave);
		s->master = s->slave = -1;
	} else if ((a = arg_after(line, FAULT_BIN)) || (a = arg_after(line, FAULT_SIZE))) {
		int bin = line[0] == 'B';
		unsigned long n = strtoul(a, NULL, 10);
		char *buf;

		if (n > 256ul << 20)
			n = 256ul << 20;
		buf = malloc(n ? n : 1);
		if (!buf)
			return;
		for (unsigned long i = 0, v = 0; i < n; i++, v++) {
			if (bin && (unsigned char)(v & 0xff) == (unsigned char)s->eol[0])
				v++;
			buf[i] = bin ? (char)(v & 0xff) : 'x';
		}
		reply(s, buf, n);
		free(buf);
	} else if ((a = arg_after(line, FAULT_TRICKLE))) {
		unsigned ms = (unsigned)strtoul(a, NULL, 10);

		for (int i = 0; i < TRICKLE_MAX_BYTES && !stop; i++) {
			struct pollfd pfd = { .fd = s->master, .events = POLLIN };

			put(s, "t", 1);
			/* Stop trickling as soon as the client sends anything. */
			if (poll(&pfd, 1, (int)ms) > 0)
				break;
		}
	} else if ((a = arg_after(line, FAULT_LINES))) {
		long n = strtol(a, NULL, 10);

		for (long i = 1; i <= n && i <= 100000; i++) {
			char buf[32];

			snprintf(buf, sizeof(buf), "line%ld", i);
			reply_str(s, buf);
		}
	} else {
		reply_str(s, SIM_UNKNOWN);
	}
}

static void serve_line(struct sim *s, const char *line, size_t len)
{
	s->commands++;
	if (s->latency_ms)
		sleep_ms(s->latency_ms);
	if (s->faulty)
		serve_faulty(s, line);
	else
		reply(s, line, len); /* loopback: what a TX-RX jumper does */
	if (s->hangup_after && s->commands >= s->hangup_after && s->master >= 0) {
		close(s->master);
		close(s->slave);
		s->master = s->slave = -1;
	}
}

static int serve(struct sim *s)
{
	static char buf[LINE_MAX_BYTES + 4096];
	size_t len = 0;

	while (!stop && s->master >= 0) {
		struct pollfd pfd = { .fd = s->master, .events = POLLIN };
		ssize_t n;
		char *end;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(s->master, buf + len, sizeof(buf) - len - 1);
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			return 1;
		}
		len += (size_t)n;
		while (s->master >= 0 && (end = memmem(buf, len, s->eol, s->eol_len))) {
			size_t l = (size_t)(end - buf);

			buf[l] = '\0';
			serve_line(s, buf, l);
			memmove(buf, end + s->eol_len, len - l - s->eol_len);
			len -= l + s->eol_len;
		}
		if (len >= LINE_MAX_BYTES)
			len = 0; /* a line that long is noise: forget it */
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: serialcmd-sim [options] MODE\n"
		   "  MODE           loopback (echo every line, as a TX-RX jumper)\n"
		   "                 or faulty (the fault commands of devices/faults.h)\n"
		   "  --link PATH    also make PATH a symlink to the pty\n"
		   "  --eol EOL      line terminator (CR, LF, CRLF or escapes; default LF)\n"
		   "  --latency MS   wait MS before each reply\n"
		   "  --split        write replies one byte at a time\n"
		   "  --hangup-after N  hang up after N commands\n"
		   "Prints the pty path on the first line of stdout; stops on SIGTERM/SIGINT.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "link", required_argument, NULL, 'l' },   { "eol", required_argument, NULL, 'e' },
		{ "latency", required_argument, NULL, 'L' }, { "split", no_argument, NULL, 's' },
		{ "hangup-after", required_argument, NULL, 'H' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim s = { .eol = "\n", .eol_len = 1 };
	const char *link_path = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	struct termios t;
	char name[256];
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l': link_path = optarg; break;
		case 'e': {
			int n = eol_parse(optarg, s.eol, sizeof(s.eol));

			if (n <= 0) {
				fprintf(stderr, "serialcmd-sim: bad --eol '%s'\n", optarg);
				return 2;
			}
			s.eol_len = (size_t)n;
			break;
		}
		case 'L': s.latency_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': s.split = 1; break;
		case 'H': s.hangup_after = strtol(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "faulty") == 0) {
		s.faulty = 1;
	} else if (strcmp(argv[optind], "loopback") != 0) {
		fprintf(stderr, "serialcmd-sim: unknown mode '%s' (loopback or faulty)\n", argv[optind]);
		return 2;
	}
	if (openpty(&s.master, &s.slave, name, NULL, NULL) != 0) {
		perror("serialcmd-sim: openpty");
		return 1;
	}
	fcntl(s.master, F_SETFD, FD_CLOEXEC);
	fcntl(s.slave, F_SETFD, FD_CLOEXEC);
	fcntl(s.master, F_SETFL, fcntl(s.master, F_GETFL) | O_NONBLOCK);
	/* Raw from the start, so nothing is cooked before a client sets it. */
	tcgetattr(s.slave, &t);
	cfmakeraw(&t);
	tcsetattr(s.slave, TCSANOW, &t);
	if (link_path) {
		unlink(link_path);
		if (symlink(name, link_path) != 0) {
			fprintf(stderr, "serialcmd-sim: symlink %s: %s\n", link_path, strerror(errno));
			return 1;
		}
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf("%s\n", name);
	fflush(stdout);
	ret = serve(&s);
	if (link_path)
		unlink(link_path);
	if (s.master >= 0)
		close(s.master);
	if (s.slave >= 0)
		close(s.slave);
	return ret;
}
