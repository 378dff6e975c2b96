/* SPDX-License-Identifier: MIT */
/* test-ownreply.c - every reply belongs to its command (issue 14): a stale
 * line the drain cuts in two, late answers after a timeout (settle_ms),
 * answers sent twice, and a randomized mix of all the faulty simulator's
 * faults in which every answer is tagged with its command (FAULT_TAG), so
 * no command may ever return another's. MIX_COMMANDS (default 2000) and
 * MIX_SEED (default: the time) drive the mix; the seed is printed. */
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

#include "expect.h"
#include "faults.h"
#include "internal.h"
#include "sim-helper.h"

struct fixture {
	struct sim_proc sim;
};

static int setup_faulty(void **state)
{
	static const char *const args[] = { "faulty", NULL };
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	*state = fx;
	return sim_start(&fx->sim, args) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	sim_stop(&fx->sim);
	free(fx);
	return 0;
}

static struct client *open_with(const struct fixture *fx, const char *options)
{
	char spec[600];

	snprintf(spec, sizeof(spec), "%s?%s", fx->sim.path, options);
	return open_spec(spec);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Defect 1: a stale line whose first part the drain takes, the rest
 * arriving a moment later, was read as the next command's reply. Here the
 * simulator sends the line one byte every SPLIT_GAP_US; the next command
 * starts while it is half-way. Its reply must be its own. */
static void test_cut_stale_line_is_never_a_reply(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_with(fx, "timeout_ms=3000");
	char cmd[300];

	for (int round = 0; round < 3; round++) {
		memset(cmd, 0, sizeof(cmd));
		memcpy(cmd, FAULT_SPLIT " ", strlen(FAULT_SPLIT " "));
		memset(cmd + strlen(cmd), 'a' + round, 200);
		/* Sent as a command without a reply: its answer is stale. */
		assert_int_equal(client_send_cmd(c, cmd), CLIENT_OK);
		sleep_ms(15); /* some of its 200 bytes have come, not all */
		expect_reply(c, FAULT_LATE " 0 mine", "mine", 4);
	}
	client_destroy(c);
}

/* The command line, through the library: NOISE x, *IDN?, SILENT,
 * five times. SILENT is never answered: it must time out, never get the
 * rest of an earlier line (the IDN, or an empty one). */
static void test_silent_never_gets_a_cut_line(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_with(fx, "timeout_ms=200");

	for (int i = 0; i < 5; i++) {
		struct client_ret *r;

		expect_reply(c, FAULT_NOISE " x", "x", 1);
		/* Its answer may be NOISE's junk, sent unasked after it is
		 * written (unsolicited lines are issue 14's defect 3). */
		client_free_ret(client_send_cmd_reply(c, FAULT_IDN));
		r = client_send_cmd_reply(c, FAULT_SILENT);
		if (r)
			fail_msg("round %d: SILENT got a reply: '%s'", i, r->ret_data);
		assert_int_equal(client_last_error(), CLIENT_ERR_TIMEOUT);
	}
	client_destroy(c);
}

/* Defect 2: after a timeout, the late answer arrives after the next
 * command's drain; without the settle rule it was taken for that
 * command's reply. */
static void test_late_answer_after_timeout(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_with(fx, "timeout_ms=200");
	int64_t t0;

	/* Answered 20 ms after the deadline, within the default settle_ms. */
	expect_error(c, FAULT_LATE " 220 late", CLIENT_ERR_TIMEOUT, "no reply");
	t0 = sc_clock_now_ns();
	expect_reply(c, FAULT_LATE " 0 mine", "mine", 4);
	/* The cost: the late answer's wait, then settle_ms of quiet. */
	assert_true(ms_since(t0) >= 50);
	/* Paid only after a failure. */
	t0 = sc_clock_now_ns();
	expect_reply(c, FAULT_LATE " 0 again", "again", 5);
	assert_true(ms_since(t0) < 45);
	client_destroy(c);
}

/* settle_ms is a spec key: a device known to answer up to 300 ms late is
 * given that much. */
static void test_settle_ms_option(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_with(fx, "timeout_ms=200&settle_ms=400");
	struct client_config *cfg = client_config_new("/dev/null");
	char text[64];

	/* A key of the option table: default 50, 0 allowed. */
	assert_non_null(cfg);
	assert_int_equal(client_config_get(cfg, "settle_ms", text, sizeof(text)), CLIENT_OK);
	assert_string_equal(text, "50");
	assert_int_equal(client_config_set(cfg, "settle_ms", "0"), CLIENT_OK);
	assert_int_equal(client_config_set(cfg, "settle_ms", "x"), CLIENT_ERR_OPTION);
	client_config_free(cfg);
	expect_error(c, FAULT_LATE " 450 very late", CLIENT_ERR_TIMEOUT, "no reply");
	/* The settling counts against the next command's deadline. */
	assert_int_equal(client_set_timeout(c, 2000), CLIENT_OK);
	expect_reply(c, FAULT_LATE " 0 mine", "mine", 4);
	client_destroy(c);
}

/* A reply too long is dropped up to its terminator; the device's second
 * copy (TWICE) follows at once and must not answer the next command. */
static void test_second_copy_after_too_long(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_with(fx, "timeout_ms=2000&max_reply=10");
	char cmd[700];

	memset(cmd, 0, sizeof(cmd));
	snprintf(cmd, sizeof(cmd), FAULT_TWICE " ");
	memset(cmd + strlen(cmd), 'z', 600);
	expect_error(c, cmd, CLIENT_ERR_TOOLONG, "max_reply=10");
	expect_reply(c, FAULT_LATE " 0 mine", "mine", 4);
	client_destroy(c);
}

/* A device that streams without end after a failure (TRICKLE: bytes, no
 * terminator) is given up on after SETTLE_CAP_FACTOR * settle_ms and the
 * command goes ahead, since no line of the stream could be its reply; only
 * a stream of lines refuses the command. An unsolicited line (its prefix
 * in unsolicited=) that came in the middle is never a reply either, so it
 * must not turn the stream into one of lines: the soak found that mix
 * refused commands ("the device kept sending lines"). Here UNASKED's
 * second alarm line arrives during the settling, then the trickle. */
static void test_unsolicited_line_in_endless_stream(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_with(fx, "timeout_ms=2000&unsolicited=!ALARM");
	struct client_ret *r;
	const size_t idn = strlen(SIM_IDN);

	expect_reply(c, FAULT_UNASKED " 20 first", "first", 5);
	assert_int_equal(client_set_timeout(c, 5), CLIENT_OK);
	/* Read by the simulator after the second alarm, 20 ms from now: the
	 * command after it starts settling before the alarm comes. */
	expect_error(c, FAULT_TRICKLE " 1", CLIENT_ERR_TIMEOUT, "no reply");
	assert_int_equal(client_set_timeout(c, 2000), CLIENT_OK);
	r = client_send_cmd_reply(c, FAULT_IDN);
	if (!r)
		fail_msg("refused after an alarm line and a trickle: %s", client_last_message());
	/* The trickle's bytes, cut by the command, end up before its reply. */
	assert_true(r->len >= idn);
	assert_memory_equal(r->ret_data + r->len - idn, SIM_IDN, idn);
	for (size_t i = 0; i < r->len - idn; i++)
		assert_int_equal(r->ret_data[i], 't');
	client_free_ret(r);
	assert_int_equal(client_unsolicited_count(c), 2);
	expect_reply(c, FAULT_LATE " 0 mine", "mine", 4);
	client_destroy(c);
}

/* Defect 4: with check_errors=1, errors an earlier program left in the
 * instrument's queue were blamed on the first command. Opening reads them
 * out; they are kept for client_stale_errors(). */
static int setup_scpi(void **state)
{
	static const char *const args[] = { "generic-scpi", NULL };
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	*state = fx;
	return sim_start(&fx->sim, args) == 0 ? 0 : -1;
}

static void test_stale_errors_not_blamed_on_first_command(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_with(fx, "profile=generic-scpi&timeout_ms=2000");
	struct client_ret *r;
	char errors[256];

	/* An earlier program leaves two errors in the queue. */
	assert_int_equal(client_send_cmd(c, "VOLT 99"), CLIENT_OK);
	assert_int_equal(client_send_cmd(c, "BOGUS"), CLIENT_OK);
	assert_int_equal(client_stale_errors(c, errors, sizeof(errors)), 0);
	assert_string_equal(errors, "");
	client_destroy(c);

	c = open_with(fx, "profile=generic-scpi&timeout_ms=2000&check_errors=1");
	r = client_send_cmd_reply(c, "*IDN?");
	if (!r)
		fail_msg("the first command was blamed: %s", client_last_message());
	assert_string_equal(r->ret_data, "SERIALCMD,GENERIC-SCPI,SIM0001,1.0");
	client_free_ret(r);
	assert_int_equal(client_stale_errors(c, errors, sizeof(errors)), 2);
	assert_string_equal(errors, "-222,\"Data out of range\"\n-113,\"Undefined header\"");
	/* Cut to the size given, and only counted with size 0. */
	assert_int_equal(client_stale_errors(c, errors, 5), 2);
	assert_string_equal(errors, "-222");
	assert_int_equal(client_stale_errors(c, NULL, 0), 2);
	/* A new error is still this command's. */
	assert_int_equal(client_send_cmd(c, "VOLT 99"), CLIENT_ERR_INSTRUMENT);
	assert_int_equal(client_last_instrument_error(), -222);
	client_destroy(c);
	assert_int_equal(client_stale_errors(NULL, errors, sizeof(errors)), CLIENT_ERR_ARG);
}

/* ---- the randomized mix ------------------------------------------------ */

#define MIX_TIMEOUT_MS 80
#define MIX_MAX_REPLY 64
/* Late answers come at most this long after the deadline: within the
 * default settle_ms (50), with a margin for a loaded machine. */
#define MIX_LATE_MAX_MS 20

enum mix_kind {
	K_IDN,	    /* *IDN?: its own answer */
	K_LATE,	    /* LATE d, d well before the deadline */
	K_SPLIT,    /* an answer one byte at a time */
	K_TWICE,    /* answered twice; the copy read, or left stale */
	K_NOISE,    /* junk sent unasked after the answer */
	K_SILENT,   /* never answered: timeout */
	K_TOO_LATE, /* answered after the deadline: timeout, then a late answer */
	K_TOO_LONG, /* longer than max_reply: too long */
	K_CUT,	    /* a command with no reply read whose answer trickles in */
	K_UNASKED,  /* an unsolicited line before the answer, another after it */
	/* NOISE followed at once by the next command, its junk coming after
	 * that command was written. Weight 0: the junk ends in bytes with no
	 * terminator, which no rule can tell from the next reply's start
	 * (K_UNASKED covers whole unsolicited lines). */
	K_NOISE_NOW,
	K_NKINDS
};
static const char *const kind_names[] = { "*IDN?",    "LATE",	 "SPLIT",	   "TWICE",
					  "NOISE",    "SILENT",	 "too late",	   "too long",
					  "cut line", "UNASKED", "NOISE, no pause" };
/* Out of 1000. */
static const int kind_weights[K_NKINDS] = { 440, 290, 60, 60, 12, 12, 16, 20, 30, 60, 0 };
#define MIX_OPTIONS "timeout_ms=80&max_reply=64&unsolicited=" UNASKED_LINE

enum mix_outcome { M_OWN, M_TIMEOUT, M_TOOLONG, M_OTHER, M_NOUTCOMES };
static const char *const outcome_names[] = { "own reply", "timeout", "too long", "other error" };

struct mix {
	struct client *c;
	unsigned long long rng;
	long id;
	long outcomes[M_NOUTCOMES];
	long kinds[K_NKINDS];
	long by_kind[K_NKINDS][M_NOUTCOMES]; /* the outcome of each kind's own command */
	long commands;
	enum mix_kind last[2]; /* the kinds of the last two commands, for messages */
};

static unsigned mix_rnd(struct mix *m, unsigned n)
{
	m->rng = m->rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((m->rng >> 33) % n);
}

/* Whether r is the answer to the command tagged id: "<id>:" and then
 * exactly want, if want is given. */
static int is_own(const struct client_ret *r, long id, const char *want)
{
	char tag[32];
	size_t n = (size_t)snprintf(tag, sizeof(tag), "%ld" TAG_SEP, id);

	if (r->len < n || memcmp(r->ret_data, tag, n) != 0)
		return 0;
	return !want || (r->len - n == strlen(want) && memcmp(r->ret_data + n, want, r->len - n) == 0);
}

/* Send cmd (tagged id), read its reply, and check it; returns the outcome. */
static enum mix_outcome mix_query(struct mix *m, long id, const char *cmd, const char *want)
{
	char tagged[256];
	struct client_ret *r;

	snprintf(tagged, sizeof(tagged), FAULT_TAG " %ld %s", id, cmd);
	m->commands++;
	r = client_send_cmd_reply(m->c, tagged);
	if (!r) {
		switch (client_last_error()) {
		case CLIENT_ERR_TIMEOUT: return M_TIMEOUT;
		case CLIENT_ERR_TOOLONG: return M_TOOLONG;
		default: fail_msg("command %ld '%s': %s", id, tagged, client_last_message());
		}
	}
	if (!is_own(r, id, want))
		fail_msg("command %ld '%s' got a reply not its own: '%s' (after %s, %s; seed in the output"
			 " above)",
			 id, tagged, r->ret_data, kind_names[m->last[0]], kind_names[m->last[1]]);
	client_free_ret(r);
	return M_OWN;
}

static void mix_step(struct mix *m)
{
	unsigned x = mix_rnd(m, 1000);
	enum mix_kind k = K_IDN;
	long id = ++m->id;
	char cmd[200], want[64];
	enum mix_outcome o;

	for (int i = 0; i < K_NKINDS; i++) {
		if (x < (unsigned)kind_weights[i]) {
			k = (enum mix_kind)i;
			break;
		}
		x -= (unsigned)kind_weights[i];
	}
	m->kinds[k]++;
	m->last[0] = m->last[1];
	m->last[1] = k;
	snprintf(want, sizeof(want), "w%u", mix_rnd(m, 1000000));
	switch (k) {
	case K_IDN: o = mix_query(m, id, FAULT_IDN, SIM_IDN); break;
	case K_LATE:
		snprintf(cmd, sizeof(cmd), FAULT_LATE " %u %s", mix_rnd(m, 5), want);
		o = mix_query(m, id, cmd, want);
		break;
	case K_SPLIT:
		snprintf(cmd, sizeof(cmd), FAULT_SPLIT " %s-%u", want, mix_rnd(m, 100000));
		o = mix_query(m, id, cmd, NULL);
		break;
	case K_TWICE:
		snprintf(cmd, sizeof(cmd), FAULT_TWICE " %s", want);
		o = mix_query(m, id, cmd, want);
		if (o == M_OWN && mix_rnd(m, 2)) {
			struct client_ret *r = client_read_reply(m->c);

			if (!r || !is_own(r, id, want))
				fail_msg("command %ld: second copy: %s", id,
					 r ? r->ret_data : client_last_message());
			client_free_ret(r);
		} else {
			/* Left stale; it is on the wire right after the first. */
			sleep_ms(5);
		}
		break;
	case K_NOISE:
		snprintf(cmd, sizeof(cmd), FAULT_NOISE " %s", want);
		o = mix_query(m, id, cmd, want);
		/* The junk comes NOISE_DELAY_MS after the answer: stale input
		 * for the next command, which it must drop, its unterminated
		 * tail included. */
		sleep_ms(2 * NOISE_DELAY_MS);
		break;
	case K_UNASKED:
		/* The second line comes 0-9 ms after the answer: during the
		 * next command's drain, its write or its read. */
		snprintf(cmd, sizeof(cmd), FAULT_UNASKED " %u %s", mix_rnd(m, 10), want);
		o = mix_query(m, id, cmd, want);
		break;
	case K_NOISE_NOW:
		snprintf(cmd, sizeof(cmd), FAULT_NOISE " %s", want);
		o = mix_query(m, id, cmd, want);
		break;
	case K_SILENT: o = mix_query(m, id, FAULT_SILENT, NULL); break;
	case K_TOO_LATE:
		/* The late answer must come within settle_ms of the next
		 * command's start: counted from the deadline, so this command
		 * must be written at once, not after settling or dropping a cut
		 * line of its own. A plain query first leaves the line clean. */
		for (int64_t t0 = sc_clock_now_ns();;) {
			/* A timeout while the line settles after an earlier
			 * failure (settle_ms is within the deadline) is fine;
			 * on a loaded machine a cut line's rest, one byte per
			 * SPLIT_GAP_US, can keep it busy for several tries. */
			o = mix_query(m, id, FAULT_IDN, SIM_IDN);
			m->outcomes[o]++;
			id = ++m->id;
			if (o == M_OWN)
				break;
			if (ms_since(t0) > 5000)
				fail_msg("command %ld: %s", id, client_last_message());
		}
		snprintf(cmd, sizeof(cmd), FAULT_LATE " %u %s",
			 MIX_TIMEOUT_MS + 5 + mix_rnd(m, MIX_LATE_MAX_MS - 5), want);
		o = mix_query(m, id, cmd, want);
		break;
	case K_TOO_LONG:
		snprintf(cmd, sizeof(cmd), FAULT_SIZE " %u", MIX_MAX_REPLY + 1 + mix_rnd(m, 100));
		o = mix_query(m, id, cmd, NULL);
		break;
	case K_CUT: {
		char tagged[256];

		/* Written without reading: its answer, one byte at a time,
		 * is stale input cut by the next command's drain. */
		snprintf(tagged, sizeof(tagged), FAULT_TAG " %ld " FAULT_SPLIT " %s-%.100s", id, want,
			 "cut-line-cut-line-cut-line-cut-line-cut-line-cut-line-cut-line-cut-line-cut-line-"
			 "cut-line-"
			 "cut-line-cut-line");
		m->commands++;
		if (client_send_cmd(m->c, tagged) != CLIENT_OK)
			fail_msg("command %ld: %s", id, client_last_message());
		/* Long enough for its first byte to be there (the simulator
		 * answers in well under a millisecond), not for all 110 (one
		 * every SPLIT_GAP_US and more). If none had come, nobody could
		 * tell its answer from the next command's. */
		sleep_ms(10);
		o = M_OWN;
		break;
	}
	default: o = M_OTHER; break;
	}
	m->outcomes[o]++;
	m->by_kind[k][o]++;
}

static void test_randomized_mix(void **state)
{
	struct fixture *fx = *state;
	const char *env = getenv("MIX_COMMANDS");
	long want = env ? strtol(env, NULL, 10) : 2000;
	struct mix m = { 0 };
	unsigned long long seed;
	long unasked;
	int64_t t0 = sc_clock_now_ns();

	env = getenv("MIX_SEED");
	seed = env ? strtoull(env, NULL, 10) : (unsigned long long)time(NULL);
	printf("randomized mix: MIX_SEED=%llu MIX_COMMANDS=%ld\n", seed, want);
	fflush(stdout);
	m.rng = seed;
	m.c = open_with(fx, MIX_OPTIONS);
	while (m.commands < want)
		mix_step(&m);
	unasked = client_unsolicited_count(m.c);
	client_destroy(m.c);
	printf("randomized mix: %ld commands in %lld ms; outcomes:", m.commands, (long long)ms_since(t0));
	for (int i = 0; i < M_NOUTCOMES; i++)
		printf(" %s %ld%s", outcome_names[i], m.outcomes[i], i + 1 < M_NOUTCOMES ? "," : "\n");
	printf("randomized mix: kinds:");
	for (int i = 0; i < K_NKINDS; i++)
		printf(" %s %ld%s", kind_names[i], m.kinds[i], i + 1 < K_NKINDS ? "," : "\n");
	/* Every kind of fault was exercised, and failed as it should. */
	for (int i = 0; i < K_NKINDS; i++)
		if (kind_weights[i] && !m.kinds[i])
			fail_msg("kind %s never ran", kind_names[i]);
	assert_int_equal(m.by_kind[K_SILENT][M_TIMEOUT], m.kinds[K_SILENT]);
	assert_int_equal(m.by_kind[K_TOO_LATE][M_TIMEOUT], m.kinds[K_TOO_LATE]);
	/* Too long, or a timeout when settling after an earlier failure took
	 * most of the 80 ms (on a loaded machine the long reply may not
	 * come in the rest); never a reply. */
	printf("randomized mix: too long commands: %ld too long, %ld timeout\n",
	       m.by_kind[K_TOO_LONG][M_TOOLONG], m.by_kind[K_TOO_LONG][M_TIMEOUT]);
	assert_int_equal(m.by_kind[K_TOO_LONG][M_TOOLONG] + m.by_kind[K_TOO_LONG][M_TIMEOUT],
			 m.kinds[K_TOO_LONG]);
	assert_true(m.by_kind[K_TOO_LONG][M_TOOLONG] > 0);
	assert_int_equal(m.outcomes[M_OTHER], 0);
	/* Each UNASKED sends its first line before the answer, after the
	 * drain: at least that one is taken as unsolicited, never as a reply.
	 * (Its second line may instead be dropped by the next drain.) */
	printf("randomized mix: %ld unsolicited lines taken aside\n", unasked);
	assert_true(unasked >= m.kinds[K_UNASKED]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cut_stale_line_is_never_a_reply, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_silent_never_gets_a_cut_line, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_late_answer_after_timeout, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_settle_ms_option, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_second_copy_after_too_long, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_unsolicited_line_in_endless_stream, setup_faulty,
						teardown),
		cmocka_unit_test_setup_teardown(test_stale_errors_not_blamed_on_first_command, setup_scpi,
						teardown),
		cmocka_unit_test_setup_teardown(test_randomized_mix, setup_faulty, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
