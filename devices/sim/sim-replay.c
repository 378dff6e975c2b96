/* SPDX-License-Identifier: MIT */
/* sim-replay.c - serve a recorded session on the pty (serialcmd-sim
 * --replay): each command that arrives is answered with the bytes recorded
 * for it, and a report at exit says what matched, what was unexpected and
 * what was never asked. Uses sim-io.c for output; sim-main.c calls it. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim-session.h"
#include "sim.h"

#define INPUT_SLACK (64 << 10) /* input kept beyond the longest recorded command */
#define UNEXPECTED_KEPT 20     /* distinct unexpected commands listed */
#define SHOWN_BYTES 120	       /* of a command, in messages */
#define NEVER_LISTED 20
/* After a failed transaction's recorded duration, this much more before the
 * next bytes: the client's deadline is rounded to milliseconds, and bytes
 * that beat it by a hair would still complete its reply. Well inside the
 * settle time (settle_ms, 50 by default) in which the client's next command
 * drops them, as the recorded client did. */
#define AFTER_FAILURE_MS 20
#define DUE_MAX_MS 86400000.0

enum { WAIT, DONE };

/* Bytes due at a time: one record's wire, or the drained bytes after it. */
struct item {
	long long at_ns;
	const unsigned char *data;
	size_t len;
	int hang_up; /* then hang up: the recorded device was gone */
};

struct unexpected {
	unsigned char bytes[SHOWN_BYTES];
	size_t len; /* the whole command's length */
	long count;
};

/* Commands with the same bytes, for --order lookup: positions in order. */
struct group {
	size_t first, count, used; /* in replay.by_bytes */
};

struct replay {
	struct sim *s;
	const struct sim_session *ss;
	int strict, fast;
	size_t *cmds; /* record index of each command (query or write) */
	size_t ncmds;
	unsigned *asked; /* per command */
	size_t next;	 /* strict: the command expected next */
	size_t *by_bytes;
	struct group *groups;
	size_t ngroups;
	struct item *items;
	size_t nitems, item_next;
	struct {
		unsigned char *data;
		size_t len; /* allocated */
	} out;		    /* items due together, joined */
	unsigned char *in;
	size_t in_len, in_cap;
	/* for the report */
	long matched, unexpected, repeated;
	size_t dropped;
	struct unexpected unexp[UNEXPECTED_KEPT];
	size_t nunexp;
	int diff;
	size_t diff_pos;
	struct unexpected diff_got;
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A transaction the replay waits for: it wrote bytes. Not a read, nor a
 * command that failed before writing (no "cmd"), nor a raw write of
 * nothing (it cannot be told apart from silence). */
static int is_command(const struct sim_record *r)
{
	return r->kind != SIM_REC_READ && r->cmd.len > 0;
}

static const struct sim_bytes *cmd_of(const struct replay *rp, size_t pos)
{
	return &rp->ss->recs[rp->cmds[pos]].cmd;
}

/* Bytes as a quoted, escaped string: ESC, NUL, 0xff never reach a terminal. */
static void show(FILE *f, const unsigned char *b, size_t shown, size_t len)
{
	char text[SHOWN_BYTES * 4 + 1];

	sc_escape_bytes(text, sizeof(text), b, shown < len ? shown : len);
	if (len > shown)
		fprintf(f, "\"%s\"... (%zu bytes)", text, len);
	else
		fprintf(f, "\"%s\"", text);
}

static void show_record(FILE *f, const struct replay *rp, size_t pos)
{
	const struct sim_bytes *c = cmd_of(rp, pos);

	fprintf(f, "command %zu (line %d) ", pos + 1, rp->ss->recs[rp->cmds[pos]].line);
	show(f, c->data, SHOWN_BYTES, c->len);
}

static int compare_bytes(const struct sim_bytes *a, const struct sim_bytes *b)
{
	int c = memcmp(a->data, b->data, a->len < b->len ? a->len : b->len);

	return c ? c : a->len < b->len ? -1 : a->len > b->len;
}

static const struct replay *sorting; /* qsort has no context argument */

static int by_bytes_then_order(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = compare_bytes(cmd_of(sorting, x), cmd_of(sorting, y));

	return c ? c : x < y ? -1 : x > y;
}

static int build_groups(struct replay *rp)
{
	rp->by_bytes = calloc(rp->ncmds + 1, sizeof(*rp->by_bytes));
	rp->groups = calloc(rp->ncmds + 1, sizeof(*rp->groups));
	if (!rp->by_bytes || !rp->groups)
		return -1;
	for (size_t i = 0; i < rp->ncmds; i++)
		rp->by_bytes[i] = i;
	sorting = rp;
	qsort(rp->by_bytes, rp->ncmds, sizeof(*rp->by_bytes), by_bytes_then_order);
	for (size_t i = 0; i < rp->ncmds; i++) {
		if (i == 0 || compare_bytes(cmd_of(rp, rp->by_bytes[i - 1]), cmd_of(rp, rp->by_bytes[i])))
			rp->groups[rp->ngroups++].first = i;
		rp->groups[rp->ngroups - 1].count++;
	}
	return 0;
}

static int init(struct replay *rp)
{
	const struct sim_session *ss = rp->ss;
	size_t longest = 0;

	rp->cmds = calloc(ss->nrecs + 1, sizeof(*rp->cmds));
	rp->asked = calloc(ss->nrecs + 1, sizeof(*rp->asked));
	/* schedule(): a command's wire, two items (drained, wire) for each
	 * record after it, the next command's drained: never more. */
	rp->items = calloc(2 * ss->nrecs + 2, sizeof(*rp->items));
	if (!rp->cmds || !rp->asked || !rp->items)
		return -1;
	for (size_t i = 0; i < ss->nrecs; i++) {
		if (!is_command(&ss->recs[i]))
			continue;
		rp->cmds[rp->ncmds++] = i;
		if (ss->recs[i].cmd.len > longest)
			longest = ss->recs[i].cmd.len;
	}
	rp->in_cap = longest + INPUT_SLACK;
	rp->in = malloc(rp->in_cap);
	if (!rp->in)
		return -1;
	return rp->strict ? 0 : build_groups(rp);
}

static void add_item(struct replay *rp, long long at_ns, const struct sim_bytes *b, int hang_up)
{
	if (b->len == 0 && !hang_up)
		return;
	if (rp->nitems >= 2 * rp->ss->nrecs + 2)
		abort(); /* init() counted wrong: never write past the array */
	rp->items[rp->nitems++] = (struct item){ at_ns, b->data, b->len, hang_up };
}

static double max2(double a, double b)
{
	return a > b ? a : b;
}

/* A recorded offset (ms) as a time from t0: a day at most, whatever the
 * recording says (its numbers are only known to be finite, >= 0). */
static long long due(long long t0, double ms)
{
	return t0 + (long long)(ms < DUE_MAX_MS ? ms * 1e6 : DUE_MAX_MS * 1e6);
}

/* What follows record r on the line, due from t0: its wire; the wire of
 * the reads right after it, and what a command that wrote nothing found;
 * then the bytes the next command's drain found (they came between the two
 * commands). After a transaction that did not read its whole reply
 * (timeout, too long) nothing more goes out until its recorded duration has
 * passed: bytes sent sooner would complete the reply that failed. Other
 * failures (an instrument error, a bad block) read what came: no wait. */
static void schedule(struct replay *rp, size_t r, long long t0)
{
	const struct sim_session *ss = rp->ss;
	const struct sim_header *h = &ss->headers[ss->recs[r].header];
	double base = ss->recs[r].t, barrier = 0;
	size_t i = r;

	rp->nitems = rp->item_next = 0;
	do {
		const struct sim_record *x = &ss->recs[i];
		double rel = x->header == ss->recs[r].header ? max2(0, (x->t - base) * 1000) : barrier;
		double at = rp->fast ? barrier : max2(barrier, rel + max2(0, x->delay_ms));

		if (i != r && x->kind != SIM_REC_READ) {
			/* Nothing written: no reply was waited for. */
			add_item(rp, due(t0, barrier), &x->drained, 0);
			add_item(rp, due(t0, barrier), &x->wire, x->gone);
			if (x->gone)
				return;
			i++;
			continue;
		}
		add_item(rp, due(t0, at), &x->wire, x->gone);
		if (x->gone)
			return;
		if (x->cut)
			barrier = max2(barrier, rel + AFTER_FAILURE_MS +
							(x->ms >= 0	      ? x->ms
							 : h->timeout_ms >= 0 ? h->timeout_ms
									      : 1000));
		if (!rp->fast)
			barrier = max2(barrier, at);
		i++;
	} while (i < ss->nrecs && !is_command(&ss->recs[i]));
	if (i < ss->nrecs)
		add_item(rp, due(t0, barrier), &ss->recs[i].drained, 0);
}


/* Everything due now, in one write: a reply and the unsolicited line
 * recorded after it reach the client together, so its next command's
 * drain finds the line as the recorded client's did (two writes would
 * race that drain). */
static void send_due(struct replay *rp)
{
	long long now = now_ns();
	size_t first = rp->item_next, end = first, total = 0;
	int hang = 0;

	while (end < rp->nitems && rp->items[end].at_ns <= now && !hang) {
		total += rp->items[end].len;
		hang = rp->items[end++].hang_up;
	}
	rp->item_next = end;
	if (end - first == 1) {
		sim_put(rp->s, rp->items[first].data, rp->items[first].len);
	} else if (end > first) {
		unsigned char *p = rp->out.data;

		if (total > rp->out.len) {
			p = realloc(rp->out.data, total);
			if (!p) {
				/* Without room to join them: one by one. */
				for (size_t i = first; i < end; i++)
					sim_put(rp->s, rp->items[i].data, rp->items[i].len);
				goto sent;
			}
			rp->out.data = p;
			rp->out.len = total;
		}
		for (size_t i = first, o = 0; i < end; o += rp->items[i++].len)
			memcpy(p + o, rp->items[i].data, rp->items[i].len);
		sim_put(rp->s, p, total);
	}
sent:
	if (hang)
		sim_hang_up_when_read(rp->s);
}

/* A command arrived: what was still due for the one before will not come
 * (the recorded device sent it before this command). */
static void drop_pending(struct replay *rp)
{
	for (; rp->item_next < rp->nitems; rp->item_next++)
		rp->dropped += rp->items[rp->item_next].len;
}

static void answer(struct replay *rp, size_t pos)
{
	drop_pending(rp);
	rp->matched++;
	rp->asked[pos]++;
	schedule(rp, rp->cmds[pos], now_ns());
	send_due(rp);
}

static void keep_unexpected(struct replay *rp, const unsigned char *b, size_t len)
{
	size_t shown = len < SHOWN_BYTES ? len : SHOWN_BYTES;

	drop_pending(rp);
	rp->unexpected++;
	for (size_t i = 0; i < rp->nunexp; i++) {
		struct unexpected *u = &rp->unexp[i];

		if (u->len == len && memcmp(u->bytes, b, shown) == 0) {
			u->count++;
			return;
		}
	}
	if (rp->nunexp < UNEXPECTED_KEPT) {
		struct unexpected *u = &rp->unexp[rp->nunexp++];

		memcpy(u->bytes, b, shown);
		u->len = len;
		u->count = 1;
	}
}

/* The write terminator of the session a command belongs to. */
static const struct sim_header *header_at(const struct replay *rp, size_t pos)
{
	const struct sim_session *ss = rp->ss;

	if (pos < rp->ncmds)
		return &ss->headers[ss->recs[rp->cmds[pos]].header];
	return &ss->headers[ss->nheaders - 1];
}

/* An unexpected command runs to the first terminator that ends after
 * byte k (where it left the expected one). 0: not complete yet. */
static size_t unexpected_end(const struct replay *rp, const struct sim_header *h, size_t k)
{
	size_t n = h->write_eol_len;

	if (n == 0)
		return rp->in_len;
	for (size_t i = 0; i + n <= rp->in_len; i++)
		if (i + n > k && memcmp(rp->in + i, h->write_eol, n) == 0)
			return i + n;
	return 0;
}

static void consume(struct replay *rp, size_t n)
{
	memmove(rp->in, rp->in + n, rp->in_len - n);
	rp->in_len -= n;
}

static int frame_strict(struct replay *rp)
{
	size_t k = 0, end;

	if (rp->next < rp->ncmds) {
		const struct sim_bytes *e = cmd_of(rp, rp->next);
		size_t m = rp->in_len < e->len ? rp->in_len : e->len;

		while (k < m && rp->in[k] == e->data[k])
			k++;
		if (k == m) {
			if (rp->in_len < e->len)
				return WAIT;
			consume(rp, e->len);
			answer(rp, rp->next++);
			return DONE;
		}
	}
	end = unexpected_end(rp, header_at(rp, rp->next), k);
	if (!end)
		return WAIT;
	if (!rp->diff) {
		struct unexpected *g = &rp->diff_got;

		rp->diff = 1;
		rp->diff_pos = rp->next;
		g->len = end;
		memcpy(g->bytes, rp->in, end < SHOWN_BYTES ? end : SHOWN_BYTES);
		fprintf(stderr, "serialcmd-sim: replay: first difference: ");
		if (rp->next < rp->ncmds) {
			fprintf(stderr, "expected ");
			show_record(stderr, rp, rp->next);
		} else {
			fprintf(stderr, "expected nothing more (all %zu recorded commands were asked)",
				rp->ncmds);
		}
		fprintf(stderr, ", received ");
		show(stderr, rp->in, SHOWN_BYTES, end);
		fprintf(stderr, "\n");
	}
	keep_unexpected(rp, rp->in, end);
	consume(rp, end);
	return DONE;
}

static int frame_lookup(struct replay *rp)
{
	size_t best = rp->ngroups, best_len = 0, end;
	int partial = 0;

	for (size_t g = 0; g < rp->ngroups; g++) {
		const struct sim_bytes *c = cmd_of(rp, rp->by_bytes[rp->groups[g].first]);

		if (rp->in_len >= c->len) {
			if (memcmp(rp->in, c->data, c->len) == 0 &&
			    (best == rp->ngroups || c->len < best_len)) {
				best = g;
				best_len = c->len;
			}
		} else if (memcmp(rp->in, c->data, rp->in_len) == 0) {
			partial = 1;
		}
	}
	if (best < rp->ngroups) {
		struct group *g = &rp->groups[best];
		size_t pos;

		/* Past the last recorded answer: the last one again. */
		if (g->used < g->count) {
			pos = rp->by_bytes[g->first + g->used++];
		} else {
			pos = rp->by_bytes[g->first + g->count - 1];
			rp->repeated++;
		}
		consume(rp, best_len);
		answer(rp, pos);
		return DONE;
	}
	if (partial)
		return WAIT;
	end = unexpected_end(rp, &rp->ss->headers[0], 0);
	if (!end)
		return WAIT;
	keep_unexpected(rp, rp->in, end);
	consume(rp, end);
	return DONE;
}

/* Before the first command: the reads that came first (a banner) and what
 * the first command's drain found, there when the client opens the pty. */
static void preamble(struct replay *rp)
{
	const struct sim_session *ss = rp->ss;
	size_t i = 0;

	for (; i < ss->nrecs && !is_command(&ss->recs[i]); i++) {
		sim_put(rp->s, ss->recs[i].drained.data, ss->recs[i].drained.len);
		sim_put(rp->s, ss->recs[i].wire.data, ss->recs[i].wire.len);
	}
	if (i < ss->nrecs)
		sim_put(rp->s, ss->recs[i].drained.data, ss->recs[i].drained.len);
}

static int report(const struct replay *rp)
{
	size_t never = 0, listed = 0;
	int failed;

	for (size_t i = 0; i < rp->ncmds; i++)
		never += rp->asked[i] == 0;
	failed = rp->strict && (rp->unexpected || never);
	fprintf(stderr, "serialcmd-sim: replay of ");
	show(stderr, (const unsigned char *)rp->ss->path, SHOWN_BYTES, strlen(rp->ss->path));
	fprintf(stderr, " (%s, %s): %ld of %zu recorded commands answered", rp->strict ? "strict" : "lookup",
		rp->fast ? "fast" : "recorded", rp->matched, rp->ncmds);
	if (!rp->strict)
		fprintf(stderr, " (%ld past the recorded ones, with the last reply again)", rp->repeated);
	fprintf(stderr, ", %ld unexpected, %zu never asked: %s\n", rp->unexpected, never,
		failed ? "FAILED" : "ok");
	if (rp->diff) {
		fprintf(stderr, "serialcmd-sim: first difference: ");
		if (rp->diff_pos < rp->ncmds) {
			fprintf(stderr, "expected ");
			show_record(stderr, rp, rp->diff_pos);
		} else {
			fprintf(stderr, "expected nothing more");
		}
		fprintf(stderr, ", received ");
		show(stderr, rp->diff_got.bytes, SHOWN_BYTES, rp->diff_got.len);
		fprintf(stderr, "\n");
	}
	for (size_t i = 0; i < rp->nunexp; i++) {
		fprintf(stderr, "serialcmd-sim: unexpected: ");
		show(stderr, rp->unexp[i].bytes, SHOWN_BYTES, rp->unexp[i].len);
		fprintf(stderr, " (%ld time%s)\n", rp->unexp[i].count, rp->unexp[i].count == 1 ? "" : "s");
	}
	for (size_t i = 0; i < rp->ncmds && listed < NEVER_LISTED; i++) {
		if (rp->asked[i])
			continue;
		fprintf(stderr, "serialcmd-sim: never asked: ");
		show_record(stderr, rp, i);
		fprintf(stderr, "\n");
		listed++;
	}
	if (never > listed)
		fprintf(stderr, "serialcmd-sim: never asked: %zu more\n", never - listed);
	if (rp->dropped)
		fprintf(stderr,
			"serialcmd-sim: %zu recorded bytes not sent: a command came before they were due\n",
			rp->dropped);
	return failed;
}

static void release(struct replay *rp)
{
	free(rp->cmds);
	free(rp->asked);
	free(rp->items);
	free(rp->in);
	free(rp->by_bytes);
	free(rp->groups);
	free(rp->out.data);
}

/* Milliseconds poll() may wait: until the next bytes are due. */
static int wait_ms(const struct replay *rp)
{
	long long left;

	if (rp->item_next >= rp->nitems)
		return 200;
	left = (rp->items[rp->item_next].at_ns - now_ns()) / 1000000LL;
	return left < 0 ? 0 : left > 200 ? 200 : (int)left + 1;
}

int sim_replay_serve(struct sim *s, const struct sim_session *ss, int strict, int fast)
{
	struct replay rp = { .s = s, .ss = ss, .strict = strict, .fast = fast };
	int failed;

	if (init(&rp) != 0) {
		fprintf(stderr, "serialcmd-sim: out of memory for the replay\n");
		release(&rp);
		return 1;
	}
	preamble(&rp);
	while (!sim_stopping() && s->master >= 0) {
		struct pollfd pfd = { .fd = s->master, .events = POLLIN };
		ssize_t n;

		send_due(&rp);
		if (s->master < 0 || poll(&pfd, 1, wait_ms(&rp)) <= 0)
			continue;
		n = read(s->master, rp.in + rp.in_len, rp.in_cap - rp.in_len);
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			break;
		}
		rp.in_len += (size_t)n;
		while (rp.in_len > 0 && s->master >= 0 &&
		       (strict ? frame_strict(&rp) : frame_lookup(&rp)) == DONE)
			;
		if (rp.in_len == rp.in_cap) {
			/* No recorded command and no terminator in all that:
			 * noise, counted as one unexpected command. */
			keep_unexpected(&rp, rp.in, rp.in_len);
			rp.in_len = 0;
		}
	}
	failed = report(&rp);
	release(&rp);
	return failed;
}
