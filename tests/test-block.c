/* SPDX-License-Identifier: MIT */
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

/* A device with a prompt as its read terminator (sqlite3, many boot
 * loaders) echoes "cmd\r\n" and then answers "...sqlite> ": the echo ends
 * at the write terminator, the reply at the prompt. Checked with the bytes
 * split at every position, and for echoes that end in the device's own
 * line ending rather than in what was sent. */
static void test_echo_with_prompt(void **state)
{
	static const struct {
		const char *spec, *cmd, *wire, *reply;
	} cases[] = {
		{ "fake?echo=1&write_eol=LF&read_eol=sqlite>\\x20", "SELECT 1;", "SELECT 1;\r\n1\nsqlite> ",
		  "1\n" },
		{ "fake?echo=1&write_eol=LF&read_eol=sqlite>\\x20", "SELECT 1;", "SELECT 1;\n1\nsqlite> ",
		  "1\n" },
		{ "fake?echo=1&write_eol=CR&read_eol=CRLF", "MEAS?", "MEAS?\r\n1.5\r\n", "1.5" },
		{ "fake?echo=1&write_eol=CR&read_eol=CRLF", "MEAS?", "MEAS?\r1.5\r\n", "1.5" },
		{ "fake?echo=1&write_eol=CR&read_eol=LF", "MEAS?", "MEAS?\n1.5\n", "1.5" },
		{ "fake?echo=1&write_eol=CRLF&read_eol=\\r\\n>\\x20", "help", "help\r\nusage\r\n> ",
		  "usage" },
	};

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		const size_t n = strlen(cases[k].wire);

		for (size_t i = 0; i <= n; i++) {
			struct fake *f = fake_new();
			struct client *c;
			struct client_ret *r;

			fake_add(f, cases[k].wire, i);
			fake_add(f, cases[k].wire + i, n - i);
			c = open_fake(f, cases[k].spec);
			if (!c)
				fail_msg("%s: %s", cases[k].spec, client_last_message());
			r = client_send_cmd_reply(c, cases[k].cmd);
			if (!r)
				fail_msg("case %zu split at %zu: %s", k, i, client_last_message());
			if (strcmp(r->ret_data, cases[k].reply) != 0)
				fail_msg("case %zu split at %zu: reply \"%s\"", k, i, r->ret_data);
			client_free_ret(r);
			client_destroy(c);
		}
	}
}

/* Lines that start with an unsolicited= prefix are never a reply or an
 * echo: they go to the callback, the count and the trace. */
struct unasked {
	int calls;
	char lines[256];
};

static void collect_unasked(void *user, const char *line, size_t len)
{
	struct unasked *u = user;
	size_t n = strlen(u->lines);

	assert_int_equal(line[len], '\0');
	u->calls++;
	snprintf(u->lines + n, sizeof(u->lines) - n, "%s|", line);
}

static char unasked_trace[2048];

static void trace_unasked(void *user, const char *line)
{
	size_t n = strlen(unasked_trace);

	(void)user;
	snprintf(unasked_trace + n, sizeof(unasked_trace) - n, "%s\n", line);
}

static void test_unsolicited_lines(void **state)
{
	static const char wire[] = "RING\r\n+CREG: 1\r\nOK\r\n";
	static const char wire2[] = "RING\r\nATI\r+CREG: 1\r\nSIM 1.0\r\nRING\r\n";
	static const char wire3[] = "AT\rX RING\r\n";
	struct unasked u = { 0 };
	struct client_config cfg;
	struct fake *f;
	struct client *c;

	(void)state;
	/* The key: a comma list of non-empty prefixes; empty is none. */
	assert_int_equal(client_config_parse(&cfg, "/dev/x?unsolicited=RING,+CREG:"), CLIENT_OK);
	assert_int_equal(client_config_parse(&cfg, "/dev/x?unsolicited="), CLIENT_OK);
	assert_int_equal(client_config_parse(&cfg, "/dev/x?unsolicited=RING,,X"), CLIENT_ERR_OPTION);
	assert_int_equal(client_config_parse(&cfg, "/dev/x?unsolicited=,RING"), CLIENT_ERR_OPTION);
	assert_string_equal(client_spec_key_type("unsolicited"), "list");
	/* Before the reply, split at every byte, without a callback too. */
	for (size_t i = 0; i <= sizeof(wire) - 1; i++) {
		f = fake_new();
		fake_add(f, wire, i);
		fake_add(f, wire + i, sizeof(wire) - 1 - i);
		c = open_fake(f, "fake?eol=CRLF&unsolicited=RING,+CREG:");
		expect_block(client_send_cmd_reply(c, "AT"), "OK", 2);
		assert_int_equal(client_unsolicited_count(c), 2);
		client_destroy(c);
	}
	/* Before the echo, between echo and reply, and after a reply (seen by
	 * the next read), with the callback and the trace. */
	f = fake_new();
	c = open_fake(f, "fake?write_eol=CR&read_eol=CRLF&echo=1&unsolicited=RING,+CREG:");
	assert_int_equal(client_set_unsolicited(c, collect_unasked, &u), CLIENT_OK);
	unasked_trace[0] = '\0';
	assert_int_equal(client_set_trace(c, trace_unasked, NULL), CLIENT_OK);
	fake_add(f, wire2, sizeof(wire2) - 1);
	expect_block(client_send_cmd_reply(c, "ATI"), "SIM 1.0", 7);
	expect_fail(client_read_reply(c), CLIENT_ERR_TIMEOUT, "no reply");
	assert_int_equal(u.calls, 3);
	assert_string_equal(u.lines, "RING|+CREG: 1|RING|");
	assert_int_equal(client_unsolicited_count(c), 3);
	if (!strstr(unasked_trace, "fake: unsolicited 4 bytes \"RING\"\n") ||
	    !strstr(unasked_trace, "fake: unsolicited 8 bytes \"+CREG: 1\"\n"))
		fail_msg("trace:\n%s", unasked_trace);
	client_set_trace(c, NULL, NULL);
	/* A reply that merely contains a prefix is a reply. */
	fake_add(f, wire3, sizeof(wire3) - 1);
	expect_block(client_send_cmd_reply(c, "AT"), "X RING", 6);
	assert_int_equal(client_set_unsolicited(NULL, NULL, NULL), CLIENT_ERR_ARG);
	assert_true(client_unsolicited_count(NULL) < 0);
	client_destroy(c);
	/* Lines that came between commands are dropped by the next command's
	 * drain, but an unsolicited one still reaches the callback and the
	 * count; other stale lines, and a cut one, do not. */
	memset(&u, 0, sizeof(u));
	f = fake_new();
	c = open_fake(f, "fake?eol=CRLF&settle_ms=0&unsolicited=RING,+CREG:");
	assert_int_equal(client_set_unsolicited(c, collect_unasked, &u), CLIENT_OK);
	f->stale = "stale\r\nRING\r\n+CREG: 5\r\nRI";
	fake_add(f, "OK\r\n", 4);
	expect_block(client_send_cmd_reply(c, "AT"), "OK", 2);
	assert_int_equal(u.calls, 2);
	assert_string_equal(u.lines, "RING|+CREG: 5|");
	assert_int_equal(client_unsolicited_count(c), 2);
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
		cmocka_unit_test(test_echo_with_prompt),
		cmocka_unit_test(test_unsolicited_lines),
	};

	return cmocka_run_group_tests_name("blocks and instrument data", tests, NULL, NULL);
}
