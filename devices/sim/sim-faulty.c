/* SPDX-License-Identifier: MIT */
/* sim-faulty.c - the fault commands of devices/sim/faults.h: a device that
 * misbehaves on request, for tests of every error path. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "sim.h"

#define TRICKLE_MAX_BYTES 100000

/* Arguments after the command word, or NULL if line is not that command. */
static const char *arg_after(const char *line, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(line, word, n) != 0 || (line[n] != ' ' && line[n] != '\0'))
		return NULL;
	return line[n] == ' ' ? line + n + 1 : line + n;
}

/* A whole line nobody asked for: never tagged, ended as replies are. */
static void unasked_line(struct sim *s)
{
	sim_put(s, UNASKED_LINE, sizeof(UNASKED_LINE) - 1);
	sim_put(s, s->out_eol, s->out_eol_len);
}

void sim_faulty_answer(struct sim *s, const char *line)
{
	const char *a;

	if ((a = arg_after(line, FAULT_TAG)) && !s->tag[0]) {
		size_t n = strcspn(a, " ");

		if (n == 0 || n > TAG_MAX || a[n] != ' ') {
			sim_reply_str(s, SIM_UNKNOWN);
			return;
		}
		snprintf(s->tag, sizeof(s->tag), "%.*s" TAG_SEP, (int)n, a);
		sim_faulty_answer(s, a + n + 1);
		s->tag[0] = '\0';
	} else if (strcmp(line, FAULT_IDN) == 0) {
		sim_reply_str(s, SIM_IDN);
	} else if ((a = arg_after(line, FAULT_LATE))) {
		char *rest;
		unsigned long ms = strtoul(a, &rest, 10);

		sim_sleep_ms((unsigned)(ms > 600000 ? 600000 : ms));
		sim_reply_str(s, *rest == ' ' ? rest + 1 : rest);
	} else if ((a = arg_after(line, FAULT_SPLIT))) {
		int was = s->split;

		s->split = 1;
		sim_reply_str(s, a);
		s->split = was;
	} else if ((a = arg_after(line, FAULT_NOISE))) {
		sim_reply_str(s, a);
		sim_sleep_ms(NOISE_DELAY_MS);
		sim_put(s, NOISE_BYTES, sizeof(NOISE_BYTES) - 1);
	} else if ((a = arg_after(line, FAULT_UNASKED))) {
		char *rest;
		unsigned long ms = strtoul(a, &rest, 10);

		unasked_line(s);
		sim_reply_str(s, *rest == ' ' ? rest + 1 : rest);
		sim_sleep_ms((unsigned)(ms > 600000 ? 600000 : ms));
		unasked_line(s);
	} else if (arg_after(line, FAULT_SILENT)) {
		/* nothing */
	} else if ((a = arg_after(line, FAULT_TWICE))) {
		sim_reply_str(s, a);
		sim_reply_str(s, a);
	} else if ((a = arg_after(line, FAULT_HANGUP))) {
		sim_put(s, a, strlen(a));
		sim_hang_up(s);
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
			if (bin && (unsigned char)(v & 0xff) == (unsigned char)s->out_eol[0])
				v++;
			buf[i] = bin ? (char)(v & 0xff) : 'x';
		}
		sim_reply(s, buf, n);
		free(buf);
	} else if ((a = arg_after(line, FAULT_TRICKLE))) {
		unsigned ms = (unsigned)strtoul(a, NULL, 10);

		/* Stop trickling as soon as the client sends anything, also
		 * when that came with the TRICKLE line itself (a client that
		 * timed out before the line was read). */
		for (int i = 0; i < TRICKLE_MAX_BYTES && !s->pending && !sim_stopping(); i++) {
			struct pollfd pfd = { .fd = s->master, .events = POLLIN };

			sim_put(s, "t", 1);
			if (poll(&pfd, 1, (int)ms) > 0)
				break;
		}
	} else if ((a = arg_after(line, FAULT_LINES))) {
		long n = strtol(a, NULL, 10);

		for (long i = 1; i <= n && i <= 100000; i++) {
			char buf[32];

			snprintf(buf, sizeof(buf), "line%ld", i);
			sim_reply_str(s, buf);
		}
	} else {
		sim_reply_str(s, SIM_UNKNOWN);
	}
}
