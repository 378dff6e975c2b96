/* SPDX-License-Identifier: MIT */
/* test-live.c - pointers the library never made, or already released, are
 * refused by every call that takes a handle or a reply (CLIENT_ERR_ARG, a
 * message saying what probably happened) without being read; against the
 * simulator on a real pty. */
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

#define HINT "not a handle returned by client_init_py: in ctypes, set restype = c_void_p"
#define DESTROYED "this handle was destroyed (client_destroy); open the port again"


/* The last call failed with CLIENT_ERR_ARG and the message "fn: what". */
static void expect_refused(const char *fn, const char *what)
{
	char want[256];

	snprintf(want, sizeof(want), "%s: %s", fn, what);
	assert_int_equal(client_last_error(), CLIENT_ERR_ARG);
	assert_string_equal(client_last_message(), want);
}

/* Every call that takes a handle refuses c with the message "<call>: what".
 * Each call is made after a success elsewhere reset the last error. */
static void expect_every_call_refuses(struct client *c, const char *what)
{
	char buf[16];
	long long n;

#define RESET() client_spec_key_type("baud")
	RESET();
	assert_null(client_send_cmd_reply(c, "*IDN?"));
	expect_refused("client_send_cmd_reply", what);
	RESET();
	assert_null(client_send_cmd_reply_n(c, "*IDN?", 5));
	expect_refused("client_send_cmd_reply_n", what);
	RESET();
	assert_int_equal(client_send_cmd(c, "X"), CLIENT_ERR_ARG);
	expect_refused("client_send_cmd", what);
	RESET();
	assert_int_equal(client_send_cmd_n(c, "X", 1), CLIENT_ERR_ARG);
	expect_refused("client_send_cmd_n", what);
	RESET();
	assert_null(client_read_reply(c));
	expect_refused("client_read_reply", what);
	RESET();
	assert_null(client_read_available(c));
	expect_refused("client_read_available", what);
	RESET();
	assert_null(client_read_n(c, 4, NULL, 0));
	expect_refused("client_read_n", what);
	RESET();
	assert_int_equal(client_write_raw(c, "x", 1), CLIENT_ERR_ARG);
	expect_refused("client_write_raw", what);
	RESET();
	assert_int_equal(client_write_raw(c, "", 0), CLIENT_ERR_ARG);
	expect_refused("client_write_raw", what);
	RESET();
	assert_null(client_query_block(c, "BLOCK?"));
	expect_refused("client_query_block", what);
	RESET();
	assert_null(client_read_block(c));
	expect_refused("client_read_block", what);
	RESET();
	assert_int_equal(client_write_block(c, "W ", "ab", 2), CLIENT_ERR_ARG);
	expect_refused("client_write_block", what);
	RESET();
	assert_int_equal(client_set_timeout(c, 100), CLIENT_ERR_ARG);
	expect_refused("client_set_timeout", what);
	RESET();
	assert_int_equal(client_get_timeout(c), CLIENT_ERR_ARG);
	expect_refused("client_get_timeout", what);
	RESET();
	assert_int_equal(client_stale_errors(c, buf, sizeof(buf)), CLIENT_ERR_ARG);
	expect_refused("client_stale_errors", what);
	RESET();
	assert_null(client_port(c));
	expect_refused("client_port", what);
	RESET();
	assert_int_equal(client_set_trace(c, NULL, NULL), CLIENT_ERR_ARG);
	expect_refused("client_set_trace", what);
	RESET();
	assert_int_equal(client_set_unsolicited(c, NULL, NULL), CLIENT_ERR_ARG);
	expect_refused("client_set_unsolicited", what);
	RESET();
	n = client_unsolicited_count(c);
	assert_true(n == CLIENT_ERR_ARG);
	expect_refused("client_unsolicited_count", what);
	RESET();
	client_destroy(c);
	expect_refused("client_destroy", what);
#undef RESET
}

/* A block of memory that is not a handle: nothing reads or writes it. */
static void test_foreign_pointer_is_refused_untouched(void **state)
{
	unsigned char *junk = malloc(sizeof(struct client));
	unsigned char *copy = malloc(sizeof(struct client));

	(void)state;
	assert_non_null(junk);
	assert_non_null(copy);
	memset(junk, 0x5a, sizeof(struct client));
	memcpy(copy, junk, sizeof(struct client));
	expect_every_call_refuses((struct client *)junk, HINT);
	assert_memory_equal(junk, copy, sizeof(struct client));
	/* Odd and misaligned values are never handles either. */
	assert_null(client_send_cmd_reply((struct client *)(junk + 1), "*IDN?"));
	expect_refused("client_send_cmd_reply", HINT);
	free(copy);
	free(junk);
}

/* A handle cut to its low 32 bits, as ctypes' default int return does:
 * refused, and the real handle still works. */
static void test_cut_handle_is_refused(void **state)
{
	struct sim_fixture *fx = *state;
	struct client *c = open_spec(fx->spec);
	struct client *cut = (struct client *)(uintptr_t)(uint32_t)(uintptr_t)c;

	/* The heap sits below 4 GiB here (cutting changes nothing), or the
	 * address has 32 zero low bits (ThreadSanitizer's heap: the cut
	 * handle is NULL, refused as such). */
	if (cut == c || !cut) {
		client_destroy(c);
		skip();
	}
	expect_every_call_refuses(cut, HINT);
	expect_reply(c, "*IDN?", SIM_IDN, strlen(SIM_IDN));
	client_destroy(c);
}

static void test_use_after_destroy_is_refused(void **state)
{
	struct sim_fixture *fx = *state;
	struct client *c = open_spec(fx->spec);

	expect_reply(c, "*IDN?", SIM_IDN, strlen(SIM_IDN));
	client_destroy(c);
	/* c is freed: the calls below must not read it (valgrind and ASan
	 * runs of this test check that). */
	expect_every_call_refuses(c, DESTROYED);
	client_destroy(NULL); /* accepted, as before */
}

static void test_reply_freed_twice_or_foreign(void **state)
{
	struct sim_fixture *fx = *state;
	struct client *c = open_spec(fx->spec);
	struct client_ret *r = client_send_cmd_reply(c, "*IDN?");
	struct client_ret fake = { .ret_data = NULL, .len = 0 };

	assert_non_null(r);
	client_free_ret(r);
	assert_int_equal(client_last_error(), CLIENT_OK);
	client_free_ret(r);
	expect_refused("client_free_ret", "this reply was already freed (client_free_ret called twice)");
	client_free_ret(&fake);
	expect_refused("client_free_ret",
		       "not a reply returned by this library: in ctypes, set restype = c_void_p"
		       " (or POINTER(client_ret))");
	client_free_ret(NULL);
	client_destroy(c);
}

/* Thousands of replies alive at once grow the set; freeing them all in
 * another order finds every one. */
#define MANY 5000
static void test_many_replies_alive(void **state)
{
	struct client_ret **r = calloc(MANY, sizeof(*r));

	(void)state;
	assert_non_null(r);
	sc_err_clear(); /* client_free_ret() sets the last error only on failure */
	for (int i = 0; i < MANY; i++) {
		char text[16];
		int n = snprintf(text, sizeof(text), "r%d", i);

		r[i] = sc_ret_new_copy(text, (size_t)n);
		assert_non_null(r[i]);
	}
	for (int i = 0; i < MANY; i++) {
		int j = (int)(((long)i * 7919) % MANY); /* 7919 is prime: a permutation */
		char text[16];

		snprintf(text, sizeof(text), "r%d", j);
		assert_string_equal(r[j]->ret_data, text);
		client_free_ret(r[j]);
		assert_int_equal(client_last_error(), CLIENT_OK);
	}
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_foreign_pointer_is_refused_untouched),
		cmocka_unit_test_setup_teardown(test_cut_handle_is_refused, sim_setup_faulty, sim_teardown),
		cmocka_unit_test_setup_teardown(test_use_after_destroy_is_refused, sim_setup_faulty, sim_teardown),
		cmocka_unit_test_setup_teardown(test_reply_freed_twice_or_foreign, sim_setup_faulty, sim_teardown),
		cmocka_unit_test(test_many_replies_alive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
