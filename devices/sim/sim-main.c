/* SPDX-License-Identifier: MIT */
/* sim-main.c - serialcmd-sim: a simulated instrument on a real pseudo-
 * terminal. It prints the pty's path and answers like the device in a
 * profile until SIGTERM/SIGINT, with faults on request. The top layer:
 * options, the profile, the serving loop; it calls the responders and
 * sim-io.c, and nothing calls it. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "sim-session.h"
#include "sim.h"

#define UPLOAD_MAX (16 << 20)
#define GARBAGE_DELAY_MS 20
#define GARBAGE "\xff\xfe#junk\r\n\x01?\n"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static unsigned long long next_random(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

/* The next unsolicited line in 0.5 to 1.5 times the profile's period. */
static void schedule_unsolicited(struct sim *s)
{
	long long every = (long long)s->prof.unsolicited_every_ms * 1000000LL;

	s->next_unsolicited_ns = now_ns() + every / 2 + (long long)(next_random(s) % (unsigned long long)every);
}

/* When one is due: one of the profile's unsolicited lines, picked at
 * random, as a whole line (never inside a reply: this is the only thread
 * that writes). */
static void maybe_unsolicited(struct sim *s)
{
	const char *p = s->prof.unsolicited;
	size_t count = 1, pick;

	int queued = 0;

	if (!p[0] || now_ns() < s->next_unsolicited_ns)
		return;
	/* Nobody reading (no client yet): do not pile lines up in the pty. */
	if (s->slave >= 0 && ioctl(s->slave, FIONREAD, &queued) == 0 && queued > 512) {
		schedule_unsolicited(s);
		return;
	}
	for (const char *q = p; *q; q++)
		count += *q == ',';
	pick = (size_t)(next_random(s) % count);
	while (pick--)
		p = strchr(p, ',') + 1;
	sim_put(s, p, strcspn(p, ","));
	sim_put(s, s->out_eol, s->out_eol_len);
	schedule_unsolicited(s);
}

/* Milliseconds poll() may wait: until the next unsolicited line is due. */
static int poll_ms(const struct sim *s)
{
	long long left;

	if (!s->prof.unsolicited[0])
		return 200;
	left = (s->next_unsolicited_ns - now_ns()) / 1000000LL;
	return left < 0 ? 0 : left > 200 ? 200 : (int)left + 1;
}

static void serve_line(struct sim *s, const char *line, size_t len)
{
	s->commands++;
	maybe_unsolicited(s);
	if (s->echo) {
		/* What came in, as it came: a device echoes the terminator it
		 * received, not its own. */
		sim_put(s, line, len);
		sim_put(s, s->in_eol, s->in_eol_len);
	}
	/* An AT modem's ATE0/ATE1: echo off or on from the next command. */
	if (s->prof.echo_off[0] && strcasecmp(line, s->prof.echo_off) == 0)
		s->echo = 0;
	if (s->prof.echo_on[0] && strcasecmp(line, s->prof.echo_on) == 0)
		s->echo = 1;
	maybe_unsolicited(s);
	if (s->latency_ms)
		sim_sleep_ms(s->latency_ms);
	if (s->prof.delay_ms)
		sim_sleep_ms(s->prof.delay_ms);
	if (strcmp(s->prof.mode, "loopback") == 0)
		sim_reply(s, line, len); /* what a TX-RX jumper does */
	else if (strcmp(s->prof.mode, "faulty") == 0)
		sim_faulty_answer(s, line);
	else if (!sim_wave_answer(s, line, len))
		sim_scpi_answer(s, line);
	if (s->garbage && s->master >= 0) {
		/* Unasked bytes that arrive after the reply: stale input that a
		 * careful client drops before its next command. */
		sim_sleep_ms(GARBAGE_DELAY_MS);
		sim_put(s, GARBAGE, sizeof(GARBAGE) - 1);
	}
	if (s->hangup_after && s->commands >= s->hangup_after) {
		/* Let the client take the last reply first. The bytes reach
		 * the slave's queue a moment after the write. */
		sim_sleep_ms(20);
		sim_hang_up_when_read(s);
	}
}

static int serve(struct sim *s)
{
	/* Room for a waveform upload as well as for lines. */
	static char buf[UPLOAD_MAX + 4096];
	size_t len = 0;

	while (!sim_stopping() && s->master >= 0) {
		struct pollfd pfd = { .fd = s->master, .events = POLLIN };
		ssize_t n;
		size_t frame;

		if (poll(&pfd, 1, poll_ms(s)) <= 0) {
			/* Idle: an unsolicited line due now goes out between
			 * commands (a busy line gets it inside the next one). */
			maybe_unsolicited(s);
			continue;
		}
		n = read(s->master, buf + len, sizeof(buf) - len - 1);
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			return 1;
		}
		len += (size_t)n;
		while (s->master >= 0 && (frame = sim_wave_frame(s, buf, len)) > 0) {
			size_t l = frame - s->in_eol_len;

			buf[l] = '\0';
			s->pending = len - frame;
			serve_line(s, buf, l);
			memmove(buf, buf + frame, len - frame);
			len -= frame;
		}
		if (len >= sizeof(buf) - 1)
			len = 0; /* a line that long is noise: forget it */
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: serialcmd-sim [options] PROFILE\n"
		   "       serialcmd-sim [--link PATH] [--order strict|lookup] [--timing fast|recorded]\n"
		   "                     --replay RECORDING\n"
		   "Serve the instrument described by PROFILE (a name from devices/profiles, or a\n"
		   "path), or the session recorded in RECORDING, on a new pseudo-terminal; print\n"
		   "its path on the first line of stdout.\n"
		   "  --link PATH         also make PATH a symlink to the pty (removed on exit)\n"
		   "  --replay FILE       answer each command with its recorded reply; report at exit\n"
		   "  --order MODE        strict (default): commands in the recorded order;\n"
		   "                      lookup: the next recorded reply to the same command\n"
		   "  --timing MODE       fast (default): at once; recorded: the recorded delays\n"
		   "  --to-profile FILE   print a profile made from the recording FILE, and exit\n"
		   "  --eol EOL           terminator for commands and replies (CR, LF, CRLF, escapes)\n"
		   "  --latency MS        wait MS before each reply\n"
		   "  --split             write replies one byte at a time\n"
		   "  --garbage           send junk lines after each reply\n"
		   "  --drop-every N      leave every Nth command unanswered\n"
		   "  --hangup-after N    hang up (close the pty) after N commands\n"
		   "Stops on SIGTERM or SIGINT.\n");
}

static int set_eol(struct sim *s, const char *text)
{
	int n = sc_eol_parse(text, s->in_eol, sizeof(s->in_eol));

	if (n <= 0)
		return -1;
	s->in_eol_len = (size_t)n;
	memcpy(s->out_eol, s->in_eol, (size_t)n);
	s->out_eol_len = (size_t)n;
	return 0;
}

/* Terminators and echo as the profile gives them to clients: the device
 * reads what clients write and writes what they read. */
static int load_profile(struct sim *s, const char *name)
{
	struct client_config cfg;
	char spec[4200];

	if (sim_profile_load(name, &s->prof) != CLIENT_OK) {
		fprintf(stderr, "serialcmd-sim: %s\n", client_last_message());
		return -1;
	}
	snprintf(spec, sizeof(spec), "sim?profile=%s", strchr(name, '/') ? s->prof.base.path : name);
	if (client_config_parse(&cfg, spec) != CLIENT_OK) {
		fprintf(stderr, "serialcmd-sim: %s\n", client_last_message());
		return -1;
	}
	memcpy(s->in_eol, cfg.write_eol, cfg.write_eol_len);
	s->in_eol_len = cfg.write_eol_len ? cfg.write_eol_len : 1;
	if (!cfg.write_eol_len)
		s->in_eol[0] = '\n';
	memcpy(s->out_eol, cfg.read_eol, cfg.read_eol_len);
	s->out_eol_len = cfg.read_eol_len;
	s->echo = cfg.echo;
	return 0;
}

static long number_arg(const char *opt, const char *v, long max)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*end || n < 0 || n > max) {
		fprintf(stderr, "serialcmd-sim: %s takes a number from 0 to %ld\n", opt, max);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "link", required_argument, NULL, 'l' },
		{ "eol", required_argument, NULL, 'e' },
		{ "latency", required_argument, NULL, 'L' },
		{ "split", no_argument, NULL, 's' },
		{ "garbage", no_argument, NULL, 'g' },
		{ "drop-every", required_argument, NULL, 'd' },
		{ "hangup-after", required_argument, NULL, 'H' },
		{ "replay", required_argument, NULL, 'R' },
		{ "order", required_argument, NULL, 'o' },
		{ "timing", required_argument, NULL, 't' },
		{ "to-profile", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim s = { .master = -1, .slave = -1 };
	const char *link_path = NULL, *eol = NULL, *replay = NULL, *to_profile = NULL;
	struct sim_session session;
	int strict = 1, fast = 1;
	char name[256];
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l': link_path = optarg; break;
		case 'e': eol = optarg; break;
		case 'L': s.latency_ms = (unsigned)number_arg("--latency", optarg, 600000); break;
		case 's': s.split = 1; break;
		case 'g': s.garbage = 1; break;
		case 'd': s.drop_every = number_arg("--drop-every", optarg, 1000000); break;
		case 'H': s.hangup_after = number_arg("--hangup-after", optarg, 1000000000); break;
		case 'R': replay = optarg; break;
		case 'P': to_profile = optarg; break;
		case 'o':
			if (strcmp(optarg, "strict") && strcmp(optarg, "lookup")) {
				fprintf(stderr, "serialcmd-sim: --order takes strict or lookup\n");
				return 2;
			}
			strict = optarg[0] == 's';
			break;
		case 't':
			if (strcmp(optarg, "fast") && strcmp(optarg, "recorded")) {
				fprintf(stderr, "serialcmd-sim: --timing takes fast or recorded\n");
				return 2;
			}
			fast = optarg[0] == 'f';
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - !(replay || to_profile) || (replay && to_profile)) {
		usage(stderr);
		return 2;
	}
	if (replay || to_profile) {
		char err[1024], warn[1024];

		if (sim_session_load(replay ? replay : to_profile, &session, err, sizeof(err), warn,
				     sizeof(warn)) != 0) {
			fprintf(stderr, "serialcmd-sim: %s\n", err);
			return 2;
		}
		if (warn[0])
			fprintf(stderr, "serialcmd-sim: %s\n", warn);
		if (session.lost_line)
			fprintf(stderr,
				"serialcmd-sim: line %d: bytes were lost while recording (\"lost\"): this"
				" session cannot be replayed exactly\n",
				session.lost_line);
		if (to_profile) {
			ret = sim_session_to_profile(&session, stdout);
			sim_session_free(&session);
			return ret;
		}
	} else {
		if (load_profile(&s, argv[optind]) != 0)
			return 2;
		if (eol && set_eol(&s, eol) != 0) {
			fprintf(stderr, "serialcmd-sim: bad --eol '%s'\n", eol);
			sim_profile_free(&s.prof);
			return 2;
		}
		s.rng = (unsigned long long)getpid() * 2654435761ull + 1;
		if (sim_wave_init(&s) != 0) {
			fprintf(stderr, "serialcmd-sim: out of memory for waveforms\n");
			return 1;
		}
		if (s.prof.unsolicited[0])
			schedule_unsolicited(&s);
	}
	if (sim_open_pty(&s, name, sizeof(name)) != 0)
		return 1;
	if (link_path) {
		unlink(link_path);
		if (symlink(name, link_path) != 0) {
			fprintf(stderr, "serialcmd-sim: symlink %s: %s\n", link_path, strerror(errno));
			return 1;
		}
	}
	sim_catch_signals();
	printf("%s\n", name);
	fflush(stdout);
	if (replay) {
		ret = sim_replay_serve(&s, &session, strict, fast);
		sim_session_free(&session);
	} else {
		ret = serve(&s);
	}
	/* Only our own link: a simulator started at the same path since (a
	 * device "plugged back in") owns it now. */
	if (link_path) {
		char target[sizeof(name)];
		ssize_t n = readlink(link_path, target, sizeof(target) - 1);

		if (n >= 0) {
			target[n] = '\0';
			if (strcmp(target, name) == 0)
				unlink(link_path);
		}
	}
	sim_hang_up(&s);
	sim_scpi_free(&s);
	sim_wave_free(&s);
	sim_profile_free(&s.prof);
	return ret;
}
