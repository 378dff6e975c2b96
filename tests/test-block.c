/* test-block.c - IEEE 488.2 blocks both ways, numeric value lists, the
 * error-queue check and the echo check, against a fake transport. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake-transport.h"
#include "internal.h"

static void expect_block(struct client_ret *r, const char *want, size_t len)
{
	if (!r)
		fail_msg("no block: %s", client_last_message());
	assert_int_equal(r->len, len);
	assert_memory_equal(r->ret_data, want, len);
	assert_int_equal(r->ret_data[len], '\0');
	client_free_ret(r);
}

static void expect_fail(void *r, int code, const char *fragment)
{
	assert_null(r);
	if (client_last_error() != code)
		fail_msg("got %s (%s), wanted %s", client_error_name(client_last_error()),
			 client_last_message(), client_error_name(code));
	if (fragment && !strstr(client_last_message(), fragment))
		fail_msg("'%s' lacks '%s'", client_last_message(), fragment);
}

/* A block whose bytes hold the terminator, split at every position. */
static void test_block_split_everywhere(void **state)
{
	static const char wire[] = ":WAV:DATA #210a\nb\n\0\r\nxyz\n";
	const size_t n = sizeof(wire) - 1;

	(void)state;
	for (size_t i = 0; i <= n; i++) {
		struct fake *f = fake_new();
		struct client *c;

		fake_add(f, wire, i);
		fake_add(f, wire + i, n - i);
		c = open_fake(f, "fake");
		expect_block(client_query_block(c, ":WAV:DATA?"), "a\nb\n\0\r\nxyz", 10);
		client_destroy(c);
	}
}

static void test_block_forms(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	c = open_fake(f, "fake?eol=CRLF");
	/* Indefinite: up to the terminator. */
	fake_add(f, "#0abc\r\n", 7);
	expect_block(client_query_block(c, "A?"), "abc", 3);
	/* Empty definite block, and a stray CR before the terminator. */
	fake_add(f, "#10\r\n", 5);
	expect_block(client_query_block(c, "B?"), "", 0);
	fake_add(f, "#13xyz\r\r\n", 9);
	expect_block(client_query_block(c, "C?"), "xyz", 3);
	/* What follows the terminator stays for the next read. */
	fake_add(f, "#14abcd\r\n#12ef\r\n", 16);
	expect_block(client_query_block(c, "D?"), "abcd", 4);
	expect_block(client_read_block(c), "ef", 2);
	assert_memory_equal(f->written, "A?\r\nB?\r\nC?\r\nD?\r\n", 16);
	client_destroy(c);
}

static void test_block_errors(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	c = open_fake(f, "fake?max_reply=100&timeout_ms=100");
	fake_add(f, "3.14\nok\n", 8);
	expect_fail(client_query_block(c, "X?"), CLIENT_ERR_BLOCK, "the reply holds no block: \"3.14\"");
	/* The text line was consumed; what followed is intact. */
	expect_block(client_read_reply(c), "ok", 2);
	fake_add(f, "#A12\n", 5);
	expect_fail(client_query_block(c, "X?"), CLIENT_ERR_BLOCK, "no digit count");
	fake_add(f, "#3a12\n", 6);
	expect_fail(client_query_block(c, "X?"), CLIENT_ERR_BLOCK, "length has a non-digit");
	fake_add(f, "#12abJUNKJUNK\n", 14);
	expect_fail(client_query_block(c, "X?"), CLIENT_ERR_BLOCK, "junk after the block");
	fake_add(f, "#3101", 5);
	expect_fail(client_query_block(c, "X?"), CLIENT_ERR_TOOLONG,
		    "announces 101 bytes, more than max_reply=100");
	fake_add(f, "#210abc", 7);
	expect_fail(client_query_block(c, "X?"), CLIENT_ERR_TIMEOUT, "3 of the block's 10 bytes received");
	fake_add(f, "#13abc", 6);
	expect_fail(client_query_block(c, "X?"), CLIENT_ERR_TIMEOUT, "bytes came, but not its terminator");
	client_destroy(c);
}

/* A block announced past max_reply is skipped, so the next reply is clean. */
static void test_block_too_long_skipped(void **state)
{
	static char wire[300];
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	memcpy(wire, "#3200", 5);
	memset(wire + 5, '\n', 200);
	memcpy(wire + 205, "\nnext\n", 6);
	fake_add(f, wire, 100);
	fake_add(f, wire + 100, 111);
	c = open_fake(f, "fake?max_reply=50");
	expect_fail(client_query_block(c, "X?"), CLIENT_ERR_TOOLONG, "skipped with its terminator");
	expect_block(client_read_reply(c), "next", 4);
	client_destroy(c);
}

static void test_write_block(void **state)
{
	unsigned char data[300];
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	for (int i = 0; i < 300; i++)
		data[i] = (unsigned char)i;
	c = open_fake(f, "fake?write_eol=CRLF");
	assert_int_equal(client_write_block(c, ":WAV:UPLOAD ", data, sizeof(data)), CLIENT_OK);
	assert_int_equal(f->written_len, 12 + 5 + 300 + 2);
	assert_memory_equal(f->written, ":WAV:UPLOAD #3300", 17);
	assert_memory_equal(f->written + 17, data, 300);
	assert_memory_equal(f->written + 317, "\r\n", 2);
	f->written_len = 0;
	assert_int_equal(client_write_block(c, "E", NULL, 0), CLIENT_OK);
	assert_memory_equal(f->written, "E#10\r\n", 6);
	assert_int_equal(client_write_block(c, "E", NULL, 5), CLIENT_ERR_ARG);
	assert_int_equal(client_write_block(c, "bad\n", data, 1), CLIENT_ERR_COMMAND);
	assert_int_equal(client_write_block(NULL, "E", data, 1), CLIENT_ERR_ARG);
	client_destroy(c);
}

static void test_parse_values(void **state)
{
	static const char text[] = " 1.23E+00, 4.5 ,-6,+7e-3";
	double *v;

	(void)state;
	assert_int_equal(client_parse_values(text, strlen(text), ",", &v), 4);
	assert_true(v[0] == 1.23 && v[1] == 4.5 && v[2] == -6 && v[3] == 0.007);
	client_free_values(v);
	assert_int_equal(client_parse_values("1;2,3", 5, ",;", &v), 3);
	assert_true(v[2] == 3);
	client_free_values(v);
	assert_int_equal(client_parse_values("  ", 2, ",", &v), 0);
	assert_null(v);
	assert_int_equal(client_parse_values("1,abc,3", 7, ",", &v), CLIENT_ERR_BLOCK);
	assert_string_equal(client_last_message(), "field 2 of 3 is not a number: 'abc'");
	assert_null(v);
	assert_int_equal(client_parse_values("1,,3", 4, ",", &v), CLIENT_ERR_BLOCK);
	assert_non_null(strstr(client_last_message(), "field 2 of 3 is empty"));
	assert_int_equal(client_parse_values("1", 1, "", &v), CLIENT_ERR_ARG);
	/* Counted: bytes after len are not read. */
	assert_int_equal(client_parse_values("12,34", 2, ",", &v), 1);
	assert_true(v[0] == 12);
	client_free_values(v);
}

static void test_check_errors(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	/* Opening reads the queue first (errors left from before). */
	fake_add(f, "0,\"No error\"\n", 13);
	c = open_fake(f, "fake?check_errors=1&error_query=SYST:ERR?");
	fake_add(f, "0,\"No error\"\n", 13);
	assert_int_equal(client_send_cmd(c, "VOLT 5"), CLIENT_OK);
	fake_add(f, "5.000\n-222,\"Data out of range\"\n", 31);
	expect_fail(client_send_cmd_reply(c, "VOLT?"), CLIENT_ERR_INSTRUMENT,
		    "error after \"VOLT?\": -222,\"Data out of range\"");
	assert_int_equal(client_last_instrument_error(), -222);
	assert_memory_equal(f->written, "SYST:ERR?\nVOLT 5\nSYST:ERR?\nVOLT?\nSYST:ERR?\n", 43);
	fake_add(f, "+0,\"No error\"\n", 14);
	assert_int_equal(client_send_cmd(c, "X"), CLIENT_OK);
	assert_int_equal(client_last_instrument_error(), 0);
	client_destroy(c);
	/* A pattern for "no error", and check_errors without a query. */
	f = fake_new();
	fake_add(f, "OK fine\n", 8);
	c = open_fake(f, "fake?check_errors=1&error_query=ERR?&error_none=OK*");
	fake_add(f, "OK fine\n", 8);
	assert_int_equal(client_send_cmd(c, "A"), CLIENT_OK);
	fake_add(f, "E12 overheated\n", 15);
	assert_int_equal(client_send_cmd(c, "B"), CLIENT_ERR_INSTRUMENT);
	assert_int_equal(client_last_instrument_error(), 0);
	client_destroy(c);
	f = fake_new();
	c = open_fake(f, "fake?check_errors=1");
	assert_int_equal(client_send_cmd(c, "A"), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), "needs error_query"));
	client_destroy(c);
}

static void test_echo(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	c = open_fake(f, "fake?echo=1&write_eol=CR&read_eol=CRLF");
	fake_add(f, "MEAS?\r\n1.5\r\n", 12);
	expect_block(client_send_cmd_reply(c, "MEAS?"), "1.5", 3);
	fake_add(f, "MEAX?\r\n1.5\r\n", 12);
	expect_fail(client_send_cmd_reply(c, "MEAS?"), CLIENT_ERR_ECHO,
		    "echo mismatch: sent \"MEAS?\", the device echoed \"MEAX?\"");
	client_destroy(c);
	/* The error query is echoed too. */
	f = fake_new();
	c = open_fake(f, "fake?echo=1&check_errors=1&error_query=ERR?");
	fake_add(f, "V?\n7\nERR?\n0,ok\n", 16);
	expect_block(client_send_cmd_reply(c, "V?"), "7", 1);
	client_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_split_everywhere),
		cmocka_unit_test(test_block_forms),
		cmocka_unit_test(test_block_errors),
		cmocka_unit_test(test_block_too_long_skipped),
		cmocka_unit_test(test_write_block),
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_check_errors),
		cmocka_unit_test(test_echo),
	};

	return cmocka_run_group_tests_name("blocks and instrument data", tests, NULL, NULL);
}
