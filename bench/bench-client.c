/* SPDX-License-Identifier: MIT */
/* bench-client.c - the harness shared by the C benchmark clients: workloads,
 * timing, CPU and memory figures, one JSON object per result on stdout.
 * bench/run.py drives it; the Python clients (bench_client.py) take the same
 * options and commands and answer with the same keys.
 *
 *   -m serve    first the memory figure: RSS over opening -n handles on the
 *               ports listed in -P (in a fresh process, before anything else
 *               has touched the heap); then commands, one a line, on stdin:
 *                 small PORT SECONDS       open, warm up, time *IDN? queries
 *                 size PORT BYTES SECONDS WARM   time "SIZE n" replies (at
 *                                          least one; WARM=1: one untimed first)
 *                 quit
 *               so that run.py can alternate the clients in short bursts on
 *               the same pty: each burst opens the port and closes it.
 *   -m threads  -n handles on the ports in -P, one thread each, small
 *               queries for -T seconds, all at once
 *   -m cpuwait  on -p: CPU and context switches over one "DELAY -w" query,
 *               and over "DELAY 0" after -w ms idle (answered at once)
 *   -m count    -k small queries and -r replies of -K bytes, nothing
 *               measured (run under strace -c to count system calls)
 *
 * Every loop is bounded in count and in time. -d PID: also report the
 * device process's CPU time over each workload (from /proc/PID/stat). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench-client.h"

#define SMALL_CMD "*IDN?"
#define SMALL_REPLY_LEN 20
#define MAX_SMALL 2000000L
#define MAX_REPS 100000L
#define MAX_HANDLES 128
#define MAX_LAT 100000L

static struct {
	const char *mode, *port;
	double threads_s;
	int handles;
	long wait_ms, count, count_big, count_size;
	int dev_pid;
} o = {
	.mode = "serve",
	.threads_s = 1.0,
	.handles = 64,
	.wait_ms = 2000,
	.count = 100,
	.count_big = 100,
	.count_size = 65536,
};
static char *ports[MAX_HANDLES];
static int nports;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The device's user+system CPU seconds, or -1 without -d. */
static double dev_cpu_s(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	if (!o.dev_pid)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", o.dev_pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double dev_share(double d0, double seconds)
{
	double d1 = dev_cpu_s();

	return d0 < 0 || d1 < 0 ? -1.0 : (d1 - d0) / seconds;
}

static long rss_kib(void)
{
	long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "%s: %s: %s\n", bench_backend.name, what, err);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double pct(const double *v, long n, double p)
{
	long k = (long)(p / 100.0 * (double)n + 0.999999) - 1;

	if (n == 0)
		return 0;
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return v[k];
}

static void query_or_die(void *h, const char *cmd, long want)
{
	char err[512];
	long n = bench_backend.query(h, cmd, strlen(cmd), err, sizeof(err));

	if (n < 0)
		die(cmd, err);
	if (want >= 0 && n != want) {
		snprintf(err, sizeof(err), "reply of %ld bytes, expected %ld", n, want);
		die(cmd, err);
	}
}

static void *open_or_die(const char *path)
{
	char err[512];
	void *h = bench_backend.open(path, err, sizeof(err));

	if (!h)
		die(path, err);
	return h;
}

static void small_burst(const char *port, double seconds)
{
	static double lat[MAX_SMALL];
	void *h = open_or_die(port);
	double t0, t1, c0, d0, end;
	long n = 0;

	for (int i = 0; i < 50; i++) /* warm up: caches, buffers */
		query_or_die(h, SMALL_CMD, SMALL_REPLY_LEN);
	c0 = cpu_s();
	d0 = dev_cpu_s();
	t0 = now_s();
	end = t0 + seconds;
	for (double t = t0; t < end && n < MAX_SMALL; n++) {
		query_or_die(h, SMALL_CMD, SMALL_REPLY_LEN);
		t1 = now_s();
		lat[n] = t1 - t;
		t = t1;
	}
	t1 = now_s();
	c0 = cpu_s() - c0;
	d0 = dev_share(d0, t1 - t0);
	bench_backend.close(h);
	qsort(lat, (size_t)n, sizeof(lat[0]), cmp_double);
	printf("{\"count\": %ld, \"seconds\": %.6f, \"per_s\": %.1f, \"cpu_us_per_query\": %.3f, "
	       "\"device_cpu_share\": %.4f, \"p50_us\": %.3f, \"p99_us\": %.3f, \"min_us\": %.3f}\n",
	       n, t1 - t0, (double)n / (t1 - t0), c0 / (double)n * 1e6, d0, pct(lat, n, 50) * 1e6,
	       pct(lat, n, 99) * 1e6, lat[0] * 1e6);
}

static void size_burst(const char *port, long size, double seconds, int warm)
{
	static double reps_t[MAX_REPS];
	void *h = open_or_die(port);
	double t0, t, end, c0, d0;
	char cmd[32];
	long reps = 0;

	snprintf(cmd, sizeof(cmd), "SIZE %ld", size);
	if (warm)
		query_or_die(h, cmd, size);
	c0 = cpu_s();
	d0 = dev_cpu_s();
	t0 = t = now_s();
	end = t0 + seconds;
	while ((reps == 0 || t < end) && reps < MAX_REPS) {
		double t1;

		query_or_die(h, cmd, size);
		t1 = now_s();
		reps_t[reps++] = t1 - t;
		t = t1;
	}
	c0 = cpu_s() - c0;
	d0 = dev_share(d0, t - t0);
	bench_backend.close(h);
	qsort(reps_t, (size_t)reps, sizeof(reps_t[0]), cmp_double);
	printf("{\"reps\": %ld, \"seconds\": %.6f, \"mean_s\": %.9f, \"median_s\": %.9f, \"mb_per_s\": %.3f, "
	       "\"cpu_s_per_reply\": %.9f, \"device_cpu_share\": %.4f}\n",
	       reps, t - t0, (t - t0) / (double)reps, pct(reps_t, reps, 50),
	       (double)size * (double)reps / (t - t0) / 1e6, c0 / (double)reps, d0);
}

static void memory(void)
{
	void *h[MAX_HANDLES];
	int n = o.handles < nports ? o.handles : nports;
	long before, after;
	double t0, t1;

	if (n < 1)
		die("memory", "no ports (-P)");
	bench_backend.close(open_or_die(ports[0])); /* first-use set-up is not per handle */
	before = rss_kib();
	t0 = now_s();
	for (int i = 0; i < n; i++)
		h[i] = open_or_die(ports[i]);
	t1 = now_s();
	after = rss_kib();
	for (int i = 0; i < n; i++)
		bench_backend.close(h[i]);
	printf("{\"handles\": %d, \"rss_before_kib\": %ld, \"rss_after_kib\": %ld, \"kib_per_handle\": %.2f, "
	       "\"open_ms_per_handle\": %.3f}\n",
	       n, before, after, (double)(after - before) / n, (t1 - t0) / n * 1e3);
}

static void serve(void)
{
	char line[4096 + 128], port[4096];
	double seconds;
	long size;
	int warm;

	memory();
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "small %4095s %lf", port, &seconds) == 2 && seconds > 0 && seconds <= 60)
			small_burst(port, seconds);
		else if (sscanf(line, "size %4095s %ld %lf %d", port, &size, &seconds, &warm) == 4 &&
			 size >= 0 && size <= (64L << 20) && seconds > 0 && seconds <= 60)
			size_burst(port, size, seconds, warm);
		else if (strncmp(line, "quit", 4) == 0)
			break;
		else
			die("serve", "unknown command");
		fflush(stdout);
	}
}

struct worker {
	pthread_t tid;
	void *h;
	pthread_barrier_t *start;
	long count;
	double *lat;
	long nlat;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	double t, end;

	pthread_barrier_wait(w->start);
	t = now_s();
	end = t + o.threads_s;
	while (t < end && w->count < MAX_SMALL) {
		double t1;

		query_or_die(w->h, SMALL_CMD, SMALL_REPLY_LEN);
		t1 = now_s();
		if (w->nlat < MAX_LAT)
			w->lat[w->nlat++] = t1 - t;
		w->count++;
		t = t1;
	}
	return NULL;
}

static void threads(void)
{
	static struct worker w[MAX_HANDLES];
	pthread_barrier_t start;
	int n = o.handles < nports ? o.handles : nports;
	double t0, t1, c0, d0, *all;
	long total = 0, nall = 0;

	if (n < 1)
		die("threads", "no ports (-P)");
	all = malloc(sizeof(double) * MAX_LAT * (size_t)n);
	if (!all)
		die("threads", "out of memory");
	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		w[i].h = open_or_die(ports[i]);
		w[i].start = &start;
		w[i].lat = all + (size_t)i * MAX_LAT;
		query_or_die(w[i].h, SMALL_CMD, SMALL_REPLY_LEN);
	}
	for (int i = 0; i < n; i++)
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]))
			die("threads", "pthread_create failed");
	pthread_barrier_wait(&start);
	c0 = cpu_s();
	d0 = dev_cpu_s();
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		pthread_join(w[i].tid, NULL);
		total += w[i].count;
	}
	t1 = now_s();
	c0 = cpu_s() - c0;
	d0 = dev_share(d0, t1 - t0);
	for (int i = 0; i < n; i++) {
		memmove(all + nall, w[i].lat, sizeof(double) * (size_t)w[i].nlat);
		nall += w[i].nlat;
		bench_backend.close(w[i].h);
	}
	qsort(all, (size_t)nall, sizeof(double), cmp_double);
	printf("{\"client\": \"%s\", \"mode\": \"threads\", \"handles\": %d, \"count\": %ld, \"seconds\": "
	       "%.6f, "
	       "\"per_s\": %.1f, \"p50_us\": %.3f, \"p99_us\": %.3f, \"cpu_share\": %.4f, "
	       "\"device_cpu_share\": %.4f}\n",
	       bench_backend.name, n, total, t1 - t0, (double)total / (t1 - t0), pct(all, nall, 50) * 1e6,
	       pct(all, nall, 99) * 1e6, c0 / (t1 - t0), d0);
	pthread_barrier_destroy(&start);
	free(all);
}

/* CPU seconds and context switches of one query. */
static void timed_query(void *h, const char *cmd, double *cpu, long *switches, double *wall)
{
	struct rusage a, b;
	double t0 = now_s();

	getrusage(RUSAGE_SELF, &a);
	query_or_die(h, cmd, 4);
	getrusage(RUSAGE_SELF, &b);
	*wall = now_s() - t0;
	*cpu = (double)(b.ru_utime.tv_sec - a.ru_utime.tv_sec + b.ru_stime.tv_sec - a.ru_stime.tv_sec) +
	       (double)(b.ru_utime.tv_usec - a.ru_utime.tv_usec + b.ru_stime.tv_usec - a.ru_stime.tv_usec) /
		       1e6;
	*switches = b.ru_nvcsw - a.ru_nvcsw + b.ru_nivcsw - a.ru_nivcsw;
}

/* CPU burnt while waiting: the 2 s query against the same query answered
 * at once after as long an idle time (so both start with cold caches);
 * what remains is the cost of waiting itself, ~0 unless a client polls. */
static void cpuwait(void)
{
	void *h = open_or_die(o.port);
	struct timespec idle = { o.wait_ms / 1000, (o.wait_ms % 1000) * 1000000L };
	double cpu0, cpu, wall, w0;
	long sw, sw0;
	char cmd[32];

	query_or_die(h, SMALL_CMD, SMALL_REPLY_LEN);
	while (nanosleep(&idle, &idle) != 0 && errno == EINTR)
		;
	timed_query(h, "DELAY 0", &cpu0, &sw0, &w0);
	snprintf(cmd, sizeof(cmd), "DELAY %ld", o.wait_ms);
	timed_query(h, cmd, &cpu, &sw, &wall);
	printf("{\"client\": \"%s\", \"mode\": \"cpuwait\", \"wall_s\": %.6f, \"cpu_ms\": %.3f, "
	       "\"cpu_ms_answered_at_once\": %.3f, \"cpu_ms_waiting\": %.3f, \"context_switches\": %ld}\n",
	       bench_backend.name, wall, cpu * 1e3, cpu0 * 1e3, (cpu - cpu0) * 1e3, sw);
	bench_backend.close(h);
}

static void count(void)
{
	void *h = open_or_die(o.port);
	char cmd[32];
	double end = now_s() + 120;

	snprintf(cmd, sizeof(cmd), "SIZE %ld", o.count_size);
	for (long i = 0; i < o.count && now_s() < end; i++)
		query_or_die(h, SMALL_CMD, SMALL_REPLY_LEN);
	for (long i = 0; i < o.count_big && now_s() < end; i++)
		query_or_die(h, cmd, o.count_size);
	bench_backend.close(h);
	printf("{\"client\": \"%s\", \"mode\": \"count\", \"count\": %ld}\n", bench_backend.name, o.count);
}

static void read_ports(const char *file)
{
	char line[4096];
	FILE *f = fopen(file, "r");

	if (!f)
		die(file, strerror(errno));
	while (nports < MAX_HANDLES && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '/')
			ports[nports++] = strdup(line);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "m:p:P:n:T:w:d:k:K:r:")) != -1) {
		switch (opt) {
		case 'm': o.mode = optarg; break;
		case 'p': o.port = optarg; break;
		case 'P': read_ports(optarg); break;
		case 'n': o.handles = atoi(optarg); break;
		case 'T': o.threads_s = atof(optarg); break;
		case 'w': o.wait_ms = atol(optarg); break;
		case 'd': o.dev_pid = atoi(optarg); break;
		case 'k': o.count = atol(optarg); break;
		case 'K': o.count_size = atol(optarg); break;
		case 'r': o.count_big = atol(optarg); break;
		default: return 2;
		}
	}
	if (o.handles < 1 || o.handles > MAX_HANDLES || o.threads_s > 60 || o.wait_ms < 0 ||
	    o.wait_ms > 60000 || o.count > 1000000 || o.count_big > 100000 || o.count_size < 0 ||
	    o.count_size > (64L << 20)) {
		fprintf(stderr, "%s: bounds: 1 to %d handles, 60 s per workload, 1000000 queries\n",
			bench_backend.name, MAX_HANDLES);
		return 2;
	}
	if (strcmp(o.mode, "serve") == 0)
		serve();
	else if (strcmp(o.mode, "threads") == 0)
		threads();
	else if (strcmp(o.mode, "cpuwait") == 0 && o.port)
		cpuwait();
	else if (strcmp(o.mode, "count") == 0 && o.port)
		count();
	else {
		fprintf(stderr, "usage: %s -m serve|threads|cpuwait|count [-p PORT] [-P PORTS_FILE] ...\n",
			argv[0]);
		return 2;
	}
	return 0;
}
