/* SPDX-License-Identifier: MIT */
/* soak.c - SOAK_QUERIES queries (default 20,000; make soak: 1,000,000)
 * against devices/sim/serialcmd-sim in faulty mode, with faults mixed in at
 * random: replies late, split, twice, too long, binary, several lines,
 * never, trickled, hang-ups (the simulator is restarted), junk after a
 * reply, unsolicited alarm lines around a reply (taken aside by
 * unsolicited=), refused commands, reopened handles, and phases with the
 * simulator's --split, --drop-every and --garbage options and with four
 * threads sharing the handle. Every reply is checked. Resident memory, open
 * descriptors and threads are sampled throughout and must end where they
 * were after the warm-up. With SOAK_RESULTS=FILE the figures are written
 * there too (make soak: bench/soak-results.txt). SOAK_SEED picks the
 * random sequence (default 1). */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "faults.h"
#include "internal.h"
#include "sim-helper.h"

#define MAX_REPLY 2048
#define TIMEOUT_MS 3000
/* Growth tolerated between the warm-up and the end. */
#define RSS_TOLERANCE_KIB 2048
#define THREADS 4

enum outcome { O_OK, O_TIMEOUT, O_TOOLONG, O_GONE, O_COMMAND, O_RESYNC, O_NOUTCOMES };
static const char *const outcome_names[] = { "ok",	    "timeout",	       "too long",
					     "device gone", "refused command", "resynced" };

enum action {
	A_IDN,
	A_LATE,
	A_LINES,
	A_BIN,
	A_SIZE,
	A_TWICE,
	A_BAD,
	A_SENDREAD,
	A_SILENT,
	A_TRICKLE,
	A_REOPEN,
	A_PORTS,
	A_HANGUP,
	A_NOISE,
	A_UNASKED,
	A_NACTIONS
};
static const char *const action_names[] = { "*IDN?",  "LATE 0",	     "LINES",	  "BIN",    "SIZE",
					    "TWICE",  "bad command", "send+read", "SILENT", "TRICKLE",
					    "reopen", "list ports",  "HANGUP",	  "NOISE",  "UNASKED" };
/* Weights out of 10000 in the plain phases. */
static const int weights[A_NACTIONS] = { 6000, 1500, 500, 500, 400, 300, 200, 200, 30, 30, 50, 20, 5, 5, 200 };

struct sample {
	long rss_kib, fds, threads;
};

struct soak {
	struct sim_proc sim;
	const char *const *sim_args;
	struct client *c;
	unsigned timeout_ms;
	unsigned long long rng;
	int dirty; /* a fault may have left bytes on the wire: resync next */
	long done, wrong;
	long outcomes[O_NOUTCOMES];
	long actions[A_NACTIONS];
	long restarts, reopens;
	long long unsolicited; /* lines taken aside, over every handle */
	struct sample base, max, end;
	char first_wrong[256];
};

static unsigned rnd(struct soak *s, unsigned n)
{
	s->rng = s->rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((s->rng >> 33) % n);
}

static long status_field(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

static long count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	long n = -1; /* the directory's own */

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2; /* . and .. */
}

static struct sample take_sample(void)
{
	struct sample x = { status_field("VmRSS"), count_fds(), status_field("Threads") };

	return x;
}

static void track(struct soak *s)
{
	struct sample x = take_sample();

	if (x.rss_kib > s->max.rss_kib)
		s->max.rss_kib = x.rss_kib;
	if (x.fds > s->max.fds)
		s->max.fds = x.fds;
	if (x.threads > s->max.threads)
		s->max.threads = x.threads;
}

static void wrong(struct soak *s, const char *what, const char *got, size_t len)
{
	if (!s->wrong++)
		snprintf(s->first_wrong, sizeof(s->first_wrong), "query %ld, %s: got '%.*s' (%s)", s->done,
			 what, (int)(len > 80 ? 80 : len), got ? got : "", got ? "" : client_last_message());
}

static void open_handle(struct soak *s)
{
	char spec[400];

	snprintf(spec, sizeof(spec), "%s?timeout_ms=%u&max_reply=%d&unsolicited=" UNASKED_LINE, s->sim.path,
		 s->timeout_ms, MAX_REPLY);
	s->c = client_init_py(spec);
	if (!s->c)
		fail_msg("open %s: %s", spec, client_last_message());
}

static void close_handle(struct soak *s)
{
	s->unsolicited += client_unsolicited_count(s->c);
	client_destroy(s->c);
	s->c = NULL;
}

static void start_sim(struct soak *s, const char *const *args)
{
	s->sim_args = args;
	if (sim_start(&s->sim, args) != 0)
		fail_msg("cannot start the simulator");
	open_handle(s);
	s->restarts++;
}

static void stop_sim(struct soak *s)
{
	close_handle(s);
	sim_stop(&s->sim);
}

/* The outcome of a failed call. */
static enum outcome failure(void)
{
	switch (client_last_error()) {
	case CLIENT_ERR_TIMEOUT: return O_TIMEOUT;
	case CLIENT_ERR_TOOLONG: return O_TOOLONG;
	case CLIENT_ERR_GONE: return O_GONE;
	case CLIENT_ERR_COMMAND: return O_COMMAND;
	default: return O_NOUTCOMES;
	}
}

/* Send cmd, expect want (len bytes); with allow_timeout a timeout is fine
 * too (the simulator drops commands). Returns the outcome. */
static enum outcome query(struct soak *s, const char *cmd, const char *want, size_t len, int allow_timeout)
{
	struct client_ret *r = client_send_cmd_reply(s->c, cmd);
	enum outcome o;

	if (!r) {
		o = failure();
		if (o == O_TIMEOUT && allow_timeout)
			return o;
		wrong(s, cmd, NULL, 0);
		return o;
	}
	if (s->dirty && r->len >= len && memcmp(r->ret_data + r->len - len, want, len) == 0) {
		/* Bytes of an earlier fault before the answer: tolerated once. */
		o = r->len == len ? O_OK : O_RESYNC;
	} else if (r->len == len && memcmp(r->ret_data, want, len) == 0) {
		o = O_OK;
	} else {
		wrong(s, cmd, r->ret_data, r->len);
		o = O_OK;
	}
	s->dirty = 0;
	client_free_ret(r);
	return o;
}

static enum outcome read_more(struct soak *s, const char *want, size_t len)
{
	struct client_ret *r = client_read_reply(s->c);

	if (!r) {
		wrong(s, "read_reply", NULL, 0);
		return failure();
	}
	if (r->len != len || memcmp(r->ret_data, want, len) != 0)
		wrong(s, "read_reply", r->ret_data, r->len);
	client_free_ret(r);
	return O_OK;
}

static enum action pick(struct soak *s, int small)
{
	unsigned x = rnd(s, 10000);

	for (int a = 0; a < A_NACTIONS; a++) {
		if (x < (unsigned)weights[a]) {
			/* Slow or destructive faults only in the plain phases. */
			if (small && (a == A_BIN || a == A_SIZE || a == A_TRICKLE || a == A_HANGUP ||
				      a == A_NOISE || a == A_SILENT))
				return A_IDN;
			return (enum action)a;
		}
		x -= (unsigned)weights[a];
	}
	return A_IDN;
}

/* One action; allow_timeout in the --drop-every phase. */
static void step(struct soak *s, enum action a, int allow_timeout)
{
	char cmd[128], want[64];
	enum outcome o = O_OK;

	if (s->dirty)
		a = A_IDN;
	s->actions[a]++;
	switch (a) {
	case A_IDN: o = query(s, FAULT_IDN, SIM_IDN, strlen(SIM_IDN), allow_timeout); break;
	case A_LATE:
		snprintf(want, sizeof(want), "token-%ld-%u", s->done, rnd(s, 1000000));
		snprintf(cmd, sizeof(cmd), FAULT_LATE " 0 %s", want);
		o = query(s, cmd, want, strlen(want), allow_timeout);
		break;
	case A_LINES: {
		unsigned n = 1 + rnd(s, 4);

		snprintf(cmd, sizeof(cmd), FAULT_LINES " %u", n);
		o = query(s, cmd, "line1", 5, allow_timeout);
		for (unsigned i = 2; o == O_OK && i <= n; i++) {
			snprintf(want, sizeof(want), "line%u", i);
			o = read_more(s, want, strlen(want));
		}
		break;
	}
	case A_BIN: {
		static char bin[MAX_REPLY];
		unsigned n = rnd(s, MAX_REPLY + 1);

		for (unsigned i = 0, v = 0; i < n; i++, v++) {
			if ((v & 0xff) == '\n')
				v++;
			bin[i] = (char)(v & 0xff);
		}
		snprintf(cmd, sizeof(cmd), FAULT_BIN " %u", n);
		o = query(s, cmd, bin, n, allow_timeout);
		break;
	}
	case A_SIZE: {
		static char xs[MAX_REPLY + 64];
		unsigned n = MAX_REPLY - 50 + rnd(s, 101);
		struct client_ret *r;

		memset(xs, 'x', sizeof(xs));
		snprintf(cmd, sizeof(cmd), FAULT_SIZE " %u", n);
		if (n <= MAX_REPLY) {
			o = query(s, cmd, xs, n, allow_timeout);
			break;
		}
		r = client_send_cmd_reply(s->c, cmd);
		o = r ? O_OK : failure();
		if (o != O_TOOLONG && !(o == O_TIMEOUT && allow_timeout))
			wrong(s, cmd, r ? r->ret_data : NULL, r ? r->len : 0);
		client_free_ret(r);
		break;
	}
	case A_TWICE:
		snprintf(want, sizeof(want), "twice-%ld", s->done);
		snprintf(cmd, sizeof(cmd), FAULT_TWICE " %s", want);
		o = query(s, cmd, want, strlen(want), allow_timeout);
		if (o == O_OK)
			o = read_more(s, want, strlen(want));
		break;
	case A_BAD:
		if (client_send_cmd_reply(s->c, "BAD\x01 command") ||
		    client_last_error() != CLIENT_ERR_COMMAND)
			wrong(s, "bad command", NULL, 0);
		o = O_COMMAND;
		break;
	case A_SENDREAD:
		snprintf(want, sizeof(want), "sent-%ld", s->done);
		snprintf(cmd, sizeof(cmd), FAULT_LATE " 0 %s", want);
		if (client_send_cmd(s->c, cmd) != CLIENT_OK) {
			wrong(s, cmd, NULL, 0);
			break;
		}
		{
			struct client_ret *r = client_read_reply(s->c);

			o = r ? O_OK : failure();
			if (r && (r->len != strlen(want) || memcmp(r->ret_data, want, r->len) != 0))
				wrong(s, cmd, r->ret_data, r->len);
			else if (!r && !(o == O_TIMEOUT && allow_timeout))
				wrong(s, cmd, NULL, 0);
			client_free_ret(r);
		}
		break;
	case A_SILENT:
	case A_TRICKLE:
		client_set_timeout(s->c, 5);
		if (client_send_cmd_reply(s->c, a == A_SILENT ? FAULT_SILENT : FAULT_TRICKLE " 1") ||
		    client_last_error() != CLIENT_ERR_TIMEOUT)
			wrong(s, action_names[a], NULL, 0);
		client_set_timeout(s->c, s->timeout_ms);
		o = O_TIMEOUT;
		s->dirty = a == A_TRICKLE;
		break;
	case A_REOPEN:
		close_handle(s);
		open_handle(s);
		s->reopens++;
		break;
	case A_PORTS: {
		struct client_port_info *ports = NULL;

		if (client_list_ports(&ports, 0) < 0)
			wrong(s, "client_list_ports", NULL, 0);
		client_free_ports(ports);
		break;
	}
	case A_HANGUP:
		if (client_send_cmd_reply(s->c, FAULT_HANGUP " bye") ||
		    client_last_error() != CLIENT_ERR_GONE)
			wrong(s, "HANGUP", NULL, 0);
		o = O_GONE;
		/* The simulator ends after a hang-up: start a new one. */
		stop_sim(s);
		start_sim(s, s->sim_args);
		break;
	case A_NOISE:
		o = query(s, FAULT_NOISE " noisy", "noisy", 5, allow_timeout);
		/* Let the junk arrive: then it is stale input the next command drops. */
		usleep(3 * NOISE_DELAY_MS * 1000);
		break;
	case A_UNASKED:
		/* An alarm line before the answer and another 0-9 ms after
		 * it: during the next command, which must not take it. */
		snprintf(want, sizeof(want), "unasked-%ld", s->done);
		snprintf(cmd, sizeof(cmd), FAULT_UNASKED " %u %s", rnd(s, 10), want);
		o = query(s, cmd, want, strlen(want), allow_timeout);
		break;
	case A_NACTIONS: break;
	}
	if (o < O_NOUTCOMES)
		s->outcomes[o]++;
	s->done++;
	if (s->done % 1000 == 0)
		track(s);
}

static void run_phase(struct soak *s, const char *const *args, long n, unsigned timeout_ms, int small,
		      int allow_timeout, unsigned pause_us)
{
	s->timeout_ms = timeout_ms;
	start_sim(s, args);
	for (long i = 0; i < n && s->wrong < 10; i++) {
		if (pause_us)
			usleep(pause_us);
		step(s, pick(s, small), allow_timeout);
	}
	track(s);
	stop_sim(s);
}

/* Four threads share one handle: replies must never cross. */
struct worker {
	struct client *c;
	long n, wrong;
	int id;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char cmd[96], want[64];

	for (long i = 0; i < w->n; i++) {
		struct client_ret *r;

		snprintf(want, sizeof(want), "w%d-%ld", w->id, i);
		snprintf(cmd, sizeof(cmd), FAULT_LATE " 0 %s", want);
		r = client_send_cmd_reply(w->c, cmd);
		if (!r || strcmp(r->ret_data, want) != 0)
			w->wrong++;
		client_free_ret(r);
	}
	return NULL;
}

static void run_threads(struct soak *s, const char *const *args, long n)
{
	pthread_t t[THREADS];
	struct worker w[THREADS];

	s->timeout_ms = TIMEOUT_MS;
	start_sim(s, args);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .c = s->c, .n = n / THREADS, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	track(s);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		s->done += w[i].n;
		s->outcomes[O_OK] += w[i].n - w[i].wrong;
		if (w[i].wrong && !s->wrong)
			snprintf(s->first_wrong, sizeof(s->first_wrong), "thread %d: %ld wrong replies", i,
				 w[i].wrong);
		s->wrong += w[i].wrong;
	}
	stop_sim(s);
}

static void report(struct soak *s, FILE *f, long queries, double secs)
{
	fprintf(f, "soak: %ld queries (asked for %ld) in %.1f s, %.0f per second, seed %s\n", s->done,
		queries, secs, s->done / (secs > 0 ? secs : 1),
		getenv("SOAK_SEED") ? getenv("SOAK_SEED") : "1");
	fprintf(f, "outcomes:");
	for (int o = 0; o < O_NOUTCOMES; o++)
		fprintf(f, " %s %ld;", outcome_names[o], s->outcomes[o]);
	fprintf(f, " wrong replies %ld; unsolicited lines taken aside %lld\n", s->wrong, s->unsolicited);
	fprintf(f, "actions:");
	for (int a = 0; a < A_NACTIONS; a++)
		fprintf(f, " %s %ld;", action_names[a], s->actions[a]);
	fprintf(f, " simulator starts %ld, handle reopens %ld, threads phase %ld queries\n", s->restarts,
		s->reopens, queries / 10);
	fprintf(f, "VmRSS KiB: after warm-up %ld, highest %ld, at the end %ld (tolerance %d)\n",
		s->base.rss_kib, s->max.rss_kib, s->end.rss_kib, RSS_TOLERANCE_KIB);
	fprintf(f, "open descriptors: after warm-up %ld, highest %ld, at the end %ld\n", s->base.fds,
		s->max.fds, s->end.fds);
	fprintf(f, "threads: after warm-up %ld, highest %ld (the threads phase), at the end %ld\n",
		s->base.threads, s->max.threads, s->end.threads);
	if (s->wrong)
		fprintf(f, "first wrong: %s\n", s->first_wrong);
}

static void test_soak(void **state)
{
	static const char *const plain[] = { "faulty", NULL };
	static const char *const split[] = { "--split", "faulty", NULL };
	static const char *const drop[] = { "--drop-every", "200", "faulty", NULL };
	static const char *const garbage[] = { "--garbage", "faulty", NULL };
	const char *env = getenv("SOAK_QUERIES"), *out = getenv("SOAK_RESULTS"), *seed = getenv("SOAK_SEED");
	long queries = env ? atol(env) : 20000, warmup, n;
	struct soak *s = calloc(1, sizeof(*s));
	int64_t t0 = sc_clock_now_ns();
	double secs;

	(void)state;
	assert_non_null(s);
	assert_true(queries >= 1000 && queries <= 100000000);
	s->rng = seed ? strtoull(seed, NULL, 10) : 1;
	warmup = queries / 50 > 1000 ? queries / 50 : 1000;

	/* Warm-up on a plain simulator, then the baseline, measured with a
	 * handle open as it is at the end. */
	s->timeout_ms = TIMEOUT_MS;
	start_sim(s, plain);
	for (long i = 0; i < warmup; i++)
		step(s, pick(s, 0), 0);
	s->base = s->max = take_sample();
	stop_sim(s);

	n = queries - warmup;
	run_phase(s, plain, n * 4 / 10, TIMEOUT_MS, 0, 0, 0);
	run_phase(s, split, n / 50 < 300 ? n / 50 : 300, TIMEOUT_MS, 1, 0, 0);
	run_phase(s, drop, n / 10, 50, 1, 1, 0);
	run_phase(s, garbage, n / 200 < 100 ? n / 200 : 100, TIMEOUT_MS, 1, 0, 2 * 20000);
	run_threads(s, plain, n / 10);
	/* The rest, plain, ending with the handle open for the last sample. */
	s->timeout_ms = TIMEOUT_MS;
	start_sim(s, plain);
	while (s->done < queries && s->wrong < 10)
		step(s, pick(s, 0), 0);
	s->end = take_sample();
	track(s);
	stop_sim(s);
	secs = (double)(sc_clock_now_ns() - t0) / 1e9;

	report(s, stdout, queries, secs);
	if (out) {
		FILE *f = fopen(out, "w");

		assert_non_null(f);
		fprintf(f, "# make soak: written by tests/soak.c; RSS, descriptors and threads must stay "
			   "flat.\n");
		report(s, f, queries, secs);
		fclose(f);
		printf("soak: figures written to %s\n", out);
	}
	if (s->wrong)
		fail_msg("%ld wrong replies; first: %s", s->wrong, s->first_wrong);
	assert_true(s->done >= queries);
	assert_int_equal(s->end.fds, s->base.fds);
	assert_int_equal(s->end.threads, s->base.threads);
	if (s->end.rss_kib - s->base.rss_kib >= RSS_TOLERANCE_KIB)
		fail_msg("VmRSS grew from %ld to %ld KiB", s->base.rss_kib, s->end.rss_kib);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soak),
	};

	return cmocka_run_group_tests_name("soak", tests, NULL, NULL);
}
