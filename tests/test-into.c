/* SPDX-License-Identifier: MIT */
/* test-into.c - client_query_into() and client_take_reply(): a reply read
 * into the caller's buffer, a larger one kept per thread for a second call,
 * and the errors; against the simulator on a real pty. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expect.h"
#include "faults.h"
#include "internal.h"
#include "sim-helper.h"

static long query(struct client *c, const char *cmd, char *buf, size_t size)
{
	return client_query_into(c, cmd, strlen(cmd), buf, size);
}

static void test_reply_that_fits(void **state)
{
	struct sim_fixture *fx = *state;
	const long idn = (long)strlen(SIM_IDN);
	char buf[64];

	memset(buf, '#', sizeof(buf));
	assert_int_equal(query(fx->c, FAULT_IDN, buf, sizeof(buf)), idn);
	assert_string_equal(buf, SIM_IDN); /* NUL-terminated when there is room */
	assert_int_equal(client_last_error(), CLIENT_OK);
	/* Exactly the reply's size: copied, no NUL, the next byte untouched. */
	memset(buf, '#', sizeof(buf));
	assert_int_equal(query(fx->c, FAULT_IDN, buf, (size_t)idn), idn);
	assert_memory_equal(buf, SIM_IDN, (size_t)idn);
	assert_int_equal(buf[idn], '#');
	/* Many in a row, on the one buffer, each reply in pieces. */
	for (int i = 0; i < 50; i++) {
		char cmd[32], want[32];

		snprintf(cmd, sizeof(cmd), "SPLIT a%d", i);
		snprintf(want, sizeof(want), "a%d", i);
		assert_int_equal(query(fx->c, cmd, buf, sizeof(buf)), (long)strlen(want));
		assert_string_equal(buf, want);
	}
	/* A reply that fitted is not kept. */
	assert_int_equal(client_take_reply(fx->c, buf, sizeof(buf)), CLIENT_ERR_ARG);
}

static void test_binary_reply_keeps_nul_bytes(void **state)
{
	struct sim_fixture *fx = *state;
	char buf[300];
	int k = 0;

	/* 0..255 without LF, then 0 again: 256 bytes. */
	assert_int_equal(query(fx->c, "BIN 256", buf, sizeof(buf)), 256);
	for (int b = 0; b < 256; b++)
		if (b != '\n')
			assert_int_equal((unsigned char)buf[k++], b);
	assert_int_equal(buf[255], 0);
}

/* A reply larger than the buffer: its size is returned, nothing copied,
 * and it is kept until a buffer large enough takes it. */
static void test_large_reply_is_kept(void **state)
{
	struct sim_fixture *fx = *state;
	char small[16], mid[100], *big = malloc(4096);

	assert_non_null(big);
	memset(small, '#', sizeof(small));
	assert_int_equal(query(fx->c, "SIZE 1000", small, sizeof(small)), 1000);
	for (size_t i = 0; i < sizeof(small); i++)
		assert_int_equal(small[i], '#');
	/* Still too small: kept again. */
	assert_int_equal(client_take_reply(fx->c, mid, sizeof(mid)), 1000);
	assert_int_equal(client_take_reply(fx->c, big, 4096), 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(big[i], 'x');
	assert_int_equal(big[1000], '\0');
	/* Taken: nothing is kept any more. */
	assert_int_equal(client_take_reply(fx->c, big, 4096), CLIENT_ERR_ARG);
	assert_non_null(strstr(client_last_message(), "no reply kept for this thread"));
	/* size 0 and no buffer: the size alone, the reply kept. */
	assert_int_equal(query(fx->c, "SIZE 7", NULL, 0), 7);
	assert_int_equal(client_take_reply(fx->c, big, 7), 7);
	assert_memory_equal(big, "xxxxxxx", 7);
	/* A reply large enough to be handed over without a copy. */
	assert_int_equal(query(fx->c, "SIZE 200000", small, sizeof(small)), 200000);
	big = realloc(big, 200001);
	assert_non_null(big);
	assert_int_equal(client_take_reply(fx->c, big, 200001), 200000);
	assert_int_equal(big[199999], 'x');
	assert_int_equal(big[200000], '\0');
	/* The next command works as usual. */
	assert_int_equal(query(fx->c, FAULT_IDN, big, 64), (long)strlen(SIM_IDN));
	free(big);
}

/* The thread's next query drops its kept reply; destroy frees one never
 * taken (valgrind runs of this test check for the leak). */
static void test_kept_reply_dropped(void **state)
{
	struct sim_fixture *fx = *state;
	char buf[64];

	assert_int_equal(query(fx->c, "SIZE 500", buf, sizeof(buf)), 500);
	assert_int_equal(query(fx->c, FAULT_IDN, buf, sizeof(buf)), (long)strlen(SIM_IDN));
	assert_int_equal(client_take_reply(fx->c, buf, sizeof(buf)), CLIENT_ERR_ARG);
	assert_int_equal(query(fx->c, "SIZE 500", buf, sizeof(buf)), 500);
	assert_int_equal(query(fx->c, "SIZE 600", buf, sizeof(buf)), 600);
	assert_int_equal(client_take_reply(fx->c, buf, sizeof(buf)), 600);
	/* Kept at sim_teardown's client_destroy. */
	assert_int_equal(query(fx->c, "SIZE 700", buf, sizeof(buf)), 700);
}

struct taker {
	struct client *c;
	long got;
};

static void *take_elsewhere(void *arg)
{
	struct taker *t = arg;
	char buf[2048];

	t->got = client_take_reply(t->c, buf, sizeof(buf));
	return NULL;
}

/* A kept reply belongs to the thread that asked. */
static void test_kept_reply_is_per_thread(void **state)
{
	struct sim_fixture *fx = *state;
	struct taker t = { .c = fx->c };
	char buf[2048];
	pthread_t th;

	assert_int_equal(query(fx->c, "SIZE 1500", buf, 10), 1500);
	assert_int_equal(pthread_create(&th, NULL, take_elsewhere, &t), 0);
	pthread_join(th, NULL);
	assert_int_equal(t.got, CLIENT_ERR_ARG);
	assert_int_equal(client_take_reply(fx->c, buf, sizeof(buf)), 1500);
}

static void test_errors(void **state)
{
	struct sim_fixture *fx = *state;
	char buf[64];

	assert_int_equal(client_query_into(fx->c, "a\0b", 3, buf, sizeof(buf)), CLIENT_ERR_COMMAND);
	assert_int_equal(client_query_into(fx->c, NULL, 0, buf, sizeof(buf)), CLIENT_ERR_ARG);
	assert_non_null(strstr(client_last_message(), ": command is NULL"));
	assert_int_equal(query(fx->c, FAULT_IDN, NULL, 5), CLIENT_ERR_ARG);
	assert_non_null(strstr(client_last_message(), ": buf is NULL"));
	assert_int_equal(client_take_reply(fx->c, NULL, 5), CLIENT_ERR_ARG);
	assert_int_equal(query(NULL, FAULT_IDN, buf, sizeof(buf)), CLIENT_ERR_ARG);
	assert_string_equal(client_last_message(), "client_query_into: handle is NULL");
	assert_int_equal(client_take_reply(NULL, buf, sizeof(buf)), CLIENT_ERR_ARG);
	assert_int_equal(client_set_timeout(fx->c, 200), CLIENT_OK);
	assert_int_equal(query(fx->c, FAULT_SILENT, buf, sizeof(buf)), CLIENT_ERR_TIMEOUT);
	assert_non_null(strstr(client_last_message(), "timeout after 200 ms"));
	assert_int_equal(client_set_timeout(fx->c, 3000), CLIENT_OK);
	/* After the errors the handle answers as before. */
	assert_int_equal(query(fx->c, FAULT_IDN, buf, sizeof(buf)), (long)strlen(SIM_IDN));
	assert_string_equal(buf, SIM_IDN);
}

/* The seed's calls and this one mix on one handle. */
static void test_mixed_with_seed_calls(void **state)
{
	struct sim_fixture *fx = *state;
	char buf[64];
	struct client_ret *r;

	assert_int_equal(query(fx->c, "LINES 3", buf, sizeof(buf)), 5);
	assert_string_equal(buf, "line1");
	r = client_read_reply(fx->c);
	assert_non_null(r);
	assert_string_equal(r->ret_data, "line2");
	client_free_ret(r);
	expect_reply(fx->c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reply_that_fits, sim_setup_faulty_open, sim_teardown),
		cmocka_unit_test_setup_teardown(test_binary_reply_keeps_nul_bytes, sim_setup_faulty_open, sim_teardown),
		cmocka_unit_test_setup_teardown(test_large_reply_is_kept, sim_setup_faulty_open, sim_teardown),
		cmocka_unit_test_setup_teardown(test_kept_reply_dropped, sim_setup_faulty_open, sim_teardown),
		cmocka_unit_test_setup_teardown(test_kept_reply_is_per_thread, sim_setup_faulty_open, sim_teardown),
		cmocka_unit_test_setup_teardown(test_errors, sim_setup_faulty_open, sim_teardown),
		cmocka_unit_test_setup_teardown(test_mixed_with_seed_calls, sim_setup_faulty_open, sim_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
