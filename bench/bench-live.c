/* SPDX-License-Identifier: MIT */
/* bench-live.c - what the check of handles and replies (lib/live.c) costs
 * per call, against what the same step cost without it: entering and
 * leaving a handle (a look-up and the count of calls inside, under one
 * lock) against the two lock/unlock pairs of the per-handle counter it
 * replaced; making and freeing a reply with and without the set of live
 * replies. Linked with the library's internal archive. Rounds interleave
 * the variants; each prints its median and min-max in ns per operation. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define ROUNDS 7
#define OPS 1000000
#define OTHERS 256 /* other live handles and replies in the sets */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct client *fake_handle(void)
{
	struct client *c = calloc(1, sizeof(*c));

	if (!c || pthread_cond_init(&c->users_done, NULL) || sc_live_handle_add(c)) {
		fprintf(stderr, "bench-live: cannot make a handle\n");
		exit(1);
	}
	return c;
}

/* The old enter/leave: a per-handle mutex around the counter, twice. */
static pthread_mutex_t old_lock = PTHREAD_MUTEX_INITIALIZER;
static int old_users;

static double run_old_enter(struct client *c)
{
	double t0 = now_ns();

	(void)c;
	for (int i = 0; i < OPS; i++) {
		pthread_mutex_lock(&old_lock);
		old_users++;
		pthread_mutex_unlock(&old_lock);
		pthread_mutex_lock(&old_lock);
		old_users--;
		pthread_mutex_unlock(&old_lock);
	}
	return (now_ns() - t0) / OPS;
}

static double run_live_enter(struct client *c)
{
	double t0 = now_ns();

	for (int i = 0; i < OPS; i++) {
		if (sc_live_enter(c, "bench"))
			exit(1);
		sc_live_leave(c);
	}
	return (now_ns() - t0) / OPS;
}

/* A reply as before: one block, no set (what sc_ret_new_copy made). */
static double run_old_ret(struct client *c)
{
	static const char text[] = "SERIALCMD,BENCH,1,1.0";
	double t0 = now_ns();

	(void)c;
	for (int i = 0; i < OPS; i++) {
		char *p = malloc(16 + sizeof(struct client_ret) + sizeof(text));

		if (!p)
			exit(1);
		memcpy(p + 16 + sizeof(struct client_ret), text, sizeof(text));
		__asm__ volatile("" : : "r"(p) : "memory");
		free(p);
	}
	return (now_ns() - t0) / OPS;
}

static double run_live_ret(struct client *c)
{
	static const char text[] = "SERIALCMD,BENCH,1,1.0";
	double t0 = now_ns();

	(void)c;
	for (int i = 0; i < OPS; i++) {
		struct client_ret *r = sc_ret_new_copy(text, sizeof(text) - 1);

		if (!r)
			exit(1);
		client_free_ret(r);
	}
	return (now_ns() - t0) / OPS;
}

/* A pointer that is not a handle, refused. */
static double run_refuse(struct client *c)
{
	struct client *junk = (struct client *)((char *)c + 64);
	double t0 = now_ns();

	for (int i = 0; i < OPS; i++)
		if (sc_live_enter(junk, "bench") != CLIENT_ERR_ARG)
			exit(1);
	return (now_ns() - t0) / OPS;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	static const struct {
		const char *name;
		double (*run)(struct client *);
	} variants[] = {
		{ "enter+leave, before (per-handle lock, 2 pairs)", run_old_enter },
		{ "enter+leave, with the live-handle check", run_live_enter },
		{ "reply make+free, before (malloc+free)", run_old_ret },
		{ "reply make+free, with the live-reply set", run_live_ret },
		{ "refusing a foreign pointer", run_refuse },
	};
	enum { N = sizeof(variants) / sizeof(variants[0]) };
	double t[N][ROUNDS];
	struct client *c = fake_handle();
	struct client_ret *others[OTHERS];

	for (int i = 0; i < OTHERS; i++) {
		fake_handle();
		others[i] = sc_ret_new_copy("x", 1);
	}
	for (int r = 0; r < ROUNDS; r++)
		for (int v = 0; v < N; v++)
			t[v][r] = variants[v].run(c);
	printf("live-set check, ns per operation (%d rounds of %d, interleaved; %d other live handles and "
	       "replies):\n",
	       ROUNDS, OPS, OTHERS);
	for (int v = 0; v < N; v++) {
		qsort(t[v], ROUNDS, sizeof(double), cmp);
		printf("  %-50s %6.1f  (%.1f-%.1f)\n", variants[v].name, t[v][ROUNDS / 2], t[v][0],
		       t[v][ROUNDS - 1]);
	}
	for (int i = 0; i < OTHERS; i++)
		client_free_ret(others[i]);
	return 0;
}
