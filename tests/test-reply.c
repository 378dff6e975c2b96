/* SPDX-License-Identifier: MIT */
/* test-reply.c - framing of replies against a fake transport: terminators
 * split at every position, multi-byte terminators, NUL bytes, leftovers,
 * max_reply, the single deadline, and what gets written. */
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

#include "fake-transport.h"
#include "internal.h"

static void assert_reply(struct client_ret *r, const char *want, size_t len)
{
	assert_non_null(r);
	assert_int_equal(r->len, len);
	assert_memory_equal(r->ret_data, want, len);
	assert_int_equal(r->ret_data[len], '\0');
	client_free_ret(r);
}

/* Every split of reply+terminator into two and three reads gives the same reply. */
static void test_split_everywhere(void **state)
{
	static const char *const eols[] = { "\n", "\r\n", "\r\n> " };
	const char *body = "VOLT 1.2345E+00";

	(void)state;
	for (size_t e = 0; e < 3; e++) {
		char wire[64], spec[64];
		size_t n = (size_t)snprintf(wire, sizeof(wire), "%s%s", body, eols[e]);

		snprintf(spec, sizeof(spec), "fake?read_eol=%s",
			 e == 0	  ? "LF"
			 : e == 1 ? "CRLF"
				  : "\\r\\n> ");
		for (size_t i = 0; i <= n; i++) {
			for (size_t j = i; j <= n; j++) {
				struct fake *f = fake_new();
				struct client *c;

				fake_add(f, wire, i);
				fake_add(f, wire + i, j - i);
				fake_add(f, wire + j, n - j);
				c = open_fake(f, spec);
				assert_reply(client_send_cmd_reply(c, "VOLT?"), body, strlen(body));
				client_destroy(c);
			}
		}
	}
}

/* Near-misses of a multi-byte terminator stay in the reply. */
static void test_multibyte_near_misses(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	fake_add(f, "a\rb\n\r\r", 6);
	fake_add(f, "\nrest", 5);
	c = open_fake(f, "fake?read_eol=CRLF");
	assert_reply(client_send_cmd_reply(c, "X"), "a\rb\n\r", 5);
	client_destroy(c);

	/* Overlapping prefix: terminator "aab" inside "xaaab". */
	f = fake_new();
	fake_add(f, "xaa", 3);
	fake_add(f, "ab", 2);
	c = open_fake(f, "fake?read_eol=aab");
	assert_reply(client_send_cmd_reply(c, "X"), "xa", 2);
	client_destroy(c);
}

static void test_nul_bytes_kept(void **state)
{
	static const char wire[] = "a\0b\0\0c\n";
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	fake_add(f, wire, sizeof(wire) - 1);
	c = open_fake(f, "fake");
	assert_reply(client_send_cmd_reply(c, "BIN?"), "a\0b\0\0c", 6);
	client_destroy(c);
}

static void test_empty_reply(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	fake_add(f, "\n", 1);
	c = open_fake(f, "fake");
	assert_reply(client_send_cmd_reply(c, "X"), "", 0);
	client_destroy(c);
}

/* Bytes after a terminator serve client_read_reply(); a new command drops them. */
static void test_leftovers(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	fake_add(f, "one\ntwo\nthr", 11);
	fake_add(f, "ee\nfour\n", 8);
	c = open_fake(f, "fake");
	assert_reply(client_send_cmd_reply(c, "LIST?"), "one", 3);
	assert_reply(client_read_reply(c), "two", 3);
	assert_reply(client_read_reply(c), "three", 5);
	/* "four\n" is buffered: a new command must not take it as its reply. */
	f->stale = NULL;
	fake_add(f, "mine\n", 5);
	assert_reply(client_send_cmd_reply(c, "NEXT?"), "mine", 4);
	client_destroy(c);
}

/* client_read_available(): what is buffered and what the system holds now,
 * without waiting for the reads still queued. */
static void test_read_available(void **state)
{
	struct fake *f = fake_new();
	struct client *c;
	struct client_ret *r;

	(void)state;
	fake_add(f, "one\ntwo\nthr", 11);
	fake_add(f, "four\n", 5);
	c = open_fake(f, "fake");
	assert_reply(client_send_cmd_reply(c, "LIST?"), "one", 3);
	f->stale = "ee\n";
	assert_reply(client_read_available(c), "two\nthree\n", 10);
	r = client_read_available(c);
	assert_non_null(r);
	assert_int_equal(r->len, 0);
	assert_int_equal(r->ret_data[0], '\0');
	client_free_ret(r);
	/* The queued read was not taken. (The fake takes every read_now
	 * for a command's drain and holds its answers until a write; this
	 * read_now was not one.) */
	f->awaiting_write = 0;
	assert_reply(client_read_reply(c), "four", 4);
	client_destroy(c);
	assert_null(client_read_available(NULL));
	assert_int_equal(client_last_error(), CLIENT_ERR_ARG);
}

/* client_read_n(): exactly n bytes across reads, terminators and NUL kept;
 * with a stop terminator, up to and with it; a timeout keeps what came. */
static void test_read_n(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	fake_add(f, "ab\ncd", 5);
	fake_add(f, "e\0g\nrest", 8);
	c = open_fake(f, "fake?timeout_ms=100");
	assert_reply(client_read_n(c, 7, NULL, 0), "ab\ncde\0", 7);
	assert_reply(client_read_n(c, 10, "\n", 1), "g\n", 2);
	assert_reply(client_read_n(c, 2, "\n", 1), "re", 2);
	/* "st" is there, two more never come: a timeout that counts them. */
	assert_null(client_read_n(c, 4, NULL, 0));
	assert_int_equal(client_last_error(), CLIENT_ERR_TIMEOUT);
	assert_non_null(strstr(client_last_message(), "2 of 4 bytes received"));
	/* They were kept. */
	fake_add(f, "uv", 2);
	assert_reply(client_read_n(c, 4, NULL, 0), "stuv", 4);
	/* Another terminator than the handle's, on bytes a line read scanned. */
	fake_add(f, "x;y\nz;", 6);
	assert_reply(client_read_reply(c), "x;y", 3);
	fake_add(f, "a;b\n", 4);
	assert_reply(client_read_n(c, 9, ";", 1), "z;", 2);
	assert_reply(client_read_n(c, 9, "b\n", 2), "a;b\n", 4);
	/* A timeout waiting for a terminator says which, and how much came. */
	assert_null(client_read_n(c, 9, "\r", 1));
	assert_int_equal(client_last_error(), CLIENT_ERR_TIMEOUT);
	assert_non_null(strstr(client_last_message(), "no reply (expected terminator \"\\r\")"));
	fake_add(f, "abc", 3);
	assert_null(client_read_n(c, 9, "\r", 1));
	assert_non_null(strstr(client_last_message(), "3 bytes received (kept for the next read), but not the expected terminator \"\\r\""));
	assert_reply(client_read_n(c, 3, NULL, 0), "abc", 3);
	/* Nothing was written by any of it. */
	assert_int_equal(f->writes, 0);
	assert_null(client_read_n(c, 0, NULL, 0));
	assert_int_equal(client_last_error(), CLIENT_ERR_ARG);
	assert_null(client_read_n(c, 1, NULL, 1));
	assert_int_equal(client_last_error(), CLIENT_ERR_ARG);
	client_destroy(c);
	assert_null(client_read_n(NULL, 1, NULL, 0));
	assert_int_equal(client_last_error(), CLIENT_ERR_ARG);
}

/* client_write_raw(): the bytes as given, nothing added; unread input stays. */
static void test_write_raw(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	fake_add(f, "left\n", 5);
	c = open_fake(f, "fake?write_eol=CRLF");
	assert_reply(client_read_n(c, 2, NULL, 0), "le", 2);
	assert_int_equal(client_write_raw(c, "A\0\xff\n", 4), CLIENT_OK);
	assert_int_equal(f->written_len, 4);
	assert_memory_equal(f->written, "A\0\xff\n", 4);
	assert_reply(client_read_reply(c), "ft", 2);
	assert_int_equal(client_write_raw(c, NULL, 1), CLIENT_ERR_ARG);
	assert_int_equal(client_write_raw(NULL, "x", 1), CLIENT_ERR_ARG);
	client_destroy(c);
}

static void test_stale_input_dropped(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	f->stale = "late reply\nJUNK";
	fake_add(f, "fresh\n", 6);
	c = open_fake(f, "fake");
	assert_reply(client_send_cmd_reply(c, "Q?"), "fresh", 5);
	client_destroy(c);
}

static void test_max_reply(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	fake_add(f, "12345\r\n", 7);
	c = open_fake(f, "fake?max_reply=5&read_eol=CRLF");
	assert_reply(client_send_cmd_reply(c, "A"), "12345", 5);
	fake_add(f, "123456\r\n", 8);
	assert_null(client_send_cmd_reply(c, "B"));
	assert_int_equal(client_last_error(), CLIENT_ERR_TOOLONG);
	assert_non_null(strstr(client_last_message(), "max_reply=5"));
	assert_non_null(strstr(client_last_message(), "fake"));
	/* The rest of the long reply went with it, up to its terminator. */
	assert_non_null(strstr(client_last_message(), "6 bytes discarded up to its terminator"));
	/* The terminator split at the limit still counts as within it. */
	fake_add(f, "12345\r", 6);
	fake_add(f, "\n", 1);
	assert_reply(client_send_cmd_reply(c, "C"), "12345", 5);
	client_destroy(c);
}

/* Memory stays bounded: a reply that never ends fails at max_reply. */
static void test_flood_bounded(void **state)
{
	static char chunk[4096];
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < MAX_CHUNKS; i++)
		fake_add(f, chunk, sizeof(chunk));
	c = open_fake(f, "fake?max_reply=10000");
	assert_null(client_send_cmd_reply(c, "FLOOD"));
	assert_int_equal(client_last_error(), CLIENT_ERR_TOOLONG);
	/* It read on, discarding, until the deadline, but never held more
	 * than max_reply plus the terminator. */
	assert_non_null(strstr(client_last_message(), "262144 bytes discarded until the deadline"));
	assert_true(f->max_read <= 10001);
	client_destroy(c);
}

static void test_large_reply_handover(void **state)
{
	size_t n = 200000;
	char *wire = malloc(n + 8);
	struct fake *f = fake_new();
	struct client *c;
	struct client_ret *r;

	(void)state;
	assert_non_null(wire);
	for (size_t i = 0; i < n; i++)
		wire[i] = (char)('a' + i % 26);
	memcpy(wire + n, "\nnext\n", 6);
	for (size_t off = 0; off < n + 6; off += 65536)
		fake_add(f, wire + off, n + 6 - off < 65536 ? n + 6 - off : 65536);
	c = open_fake(f, "fake");
	r = client_send_cmd_reply(c, "CURV?");
	assert_non_null(r);
	assert_int_equal(r->len, n);
	assert_memory_equal(r->ret_data, wire, n);
	assert_int_equal(r->ret_data[n], '\0');
	client_free_ret(r);
	assert_reply(client_read_reply(c), "next", 4);
	client_destroy(c);
	free(wire);
}

static void test_timeout_message(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	fake_add(f, "0123456789ABCDEFGHIJ\r", 21);
	c = open_fake(f, "fake?timeout_ms=50&read_eol=CRLF");
	assert_null(client_send_cmd_reply(c, "X"));
	assert_int_equal(client_last_error(), CLIENT_ERR_TIMEOUT);
	assert_non_null(strstr(client_last_message(), "21 bytes received"));
	assert_non_null(strstr(client_last_message(), "ending ...\"56789ABCDEFGHIJ\\r\""));
	assert_non_null(strstr(client_last_message(), "terminator \"\\r\\n\""));
	/* The partial reply was dropped: it cannot become the next answer. */
	fake_add(f, "ok\r\n", 4);
	assert_reply(client_send_cmd_reply(c, "Y"), "ok", 2);
	client_destroy(c);
}

/* A device that trickles bytes cannot extend the one deadline. */
static void test_trickle_deadline(void **state)
{
	struct fake *f = fake_new();
	struct client *c;
	int64_t t0;

	(void)state;
	f->trickle_ms = 20;
	c = open_fake(f, "fake?timeout_ms=200");
	t0 = sc_clock_now_ns();
	assert_null(client_send_cmd_reply(c, "X"));
	assert_int_equal(client_last_error(), CLIENT_ERR_TIMEOUT);
	/* Generous margin: it must end near 200 ms, far from never. */
	assert_true(sc_clock_now_ns() - t0 < 2000 * 1000000LL);
	client_destroy(c);
}

static void test_written_bytes(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	c = open_fake(f, "fake?write_eol=CRLF");
	assert_int_equal(client_send_cmd(c, "VOLT 5\t1"), CLIENT_OK);
	assert_int_equal(f->writes, 1); /* command and terminator in one write */
	assert_int_equal(f->written_len, 10);
	assert_memory_equal(f->written, "VOLT 5\t1\r\n", 10);
	assert_int_equal(client_last_error(), CLIENT_OK);
	client_destroy(c);
}

static void test_bad_commands(void **state)
{
	static const char *const bad[] = { "A\nB", "A\rB", "\x7f", "caf\xc3\xa9", "\x1b[0m" };
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	c = open_fake(f, "fake?write_eol=\\x20>");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(client_send_cmd_reply(c, bad[i]));
		assert_int_equal(client_last_error(), CLIENT_ERR_COMMAND);
		assert_non_null(strstr(client_last_message(), "nothing was written"));
	}
	/* The write terminator (here " >") inside a command is refused too. */
	assert_int_equal(client_send_cmd(c, "A >B"), CLIENT_ERR_COMMAND);
	assert_non_null(strstr(client_last_message(), "write terminator"));
	assert_int_equal(f->writes, 0);
	assert_int_equal(client_send_cmd(c, NULL), CLIENT_ERR_ARG);
	assert_null(client_send_cmd_reply(NULL, "X"));
	assert_int_equal(client_last_error(), CLIENT_ERR_ARG);
	client_destroy(c);
}

static void test_timeout_setting(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	c = open_fake(f, "fake?timeout_ms=1234");
	assert_int_equal(client_get_timeout(c), 1234);
	assert_int_equal(client_set_timeout(c, 0), CLIENT_ERR_OPTION);
	assert_int_equal(client_set_timeout(c, 86400001), CLIENT_ERR_OPTION);
	assert_int_equal(client_set_timeout(c, 77), CLIENT_OK);
	assert_int_equal(client_get_timeout(c), 77);
	assert_int_equal(client_set_timeout(NULL, 5), CLIENT_ERR_ARG);
	assert_string_equal(client_port(c), "fake");
	client_destroy(c);
}

static int trace_lines;
static char trace_last[512];
static char trace_all[4096];

static void count_trace(void *user, const char *line)
{
	size_t n = strlen(trace_all);

	(void)user;
	trace_lines++;
	snprintf(trace_last, sizeof(trace_last), "%s", line);
	snprintf(trace_all + n, sizeof(trace_all) - n, "%s\n", line);
}

static void test_trace(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	f->stale = "old\n";
	fake_add(f, "new\n", 4);
	c = open_fake(f, "fake");
	trace_lines = 0;
	assert_int_equal(client_set_trace(c, count_trace, NULL), CLIENT_OK);
	assert_reply(client_send_cmd_reply(c, "Q"), "new", 3);
	assert_int_equal(trace_lines, 4); /* dropped stale, sent, read, reply */
	assert_string_equal(trace_last, "fake: reply 3 bytes \"new\"");
	client_destroy(c);
}

/* The trace shows the bytes as they came, terminators included, and the
 * reply handed over: a wrong terminator is visible in it. Here the device
 * ends its lines with CRLF and the handle reads up to LF. */
static void test_trace_shows_terminators(void **state)
{
	struct fake *f = fake_new();
	struct client *c;

	(void)state;
	fake_add(f, "4.5\r\n", 5);
	c = open_fake(f, "fake?eol=LF");
	trace_all[0] = '\0';
	assert_int_equal(client_set_trace(c, count_trace, NULL), CLIENT_OK);
	assert_reply(client_send_cmd_reply(c, "V?"), "4.5\r", 4);
	if (!strstr(trace_all, "fake: read 5 bytes \"4.5\\r\\n\"\n") ||
	    !strstr(trace_all, "fake: reply 4 bytes \"4.5\\r\"\n"))
		fail_msg("trace lacks the wire bytes or the reply:\n%s", trace_all);
	client_destroy(c);
}

/* A bad config made by hand is refused, and the transport given is closed. */
static void test_open_transport_bad_config(void **state)
{
	struct client_config cfg;
	int closed = 0;
	struct fake *f = fake_new();

	(void)state;
	assert_int_equal(client_config_parse(&cfg, "fake"), CLIENT_OK);
	cfg.bits = 9;
	f->closed_flag = &closed;
	assert_null(sc_client_open_transport(&cfg, &f->base));
	assert_int_equal(client_last_error(), CLIENT_ERR_OPTION);
	assert_int_equal(closed, 1);
	/* Fields a spec bounds are bounded for hand-filled configs too. */
	assert_int_equal(client_config_parse(&cfg, "fake"), CLIENT_OK);
	cfg.open_delay_ms = 600001;
	assert_null(client_open(&cfg));
	assert_non_null(strstr(client_last_message(), "bad open_delay_ms 600001 (accepted: 0 to 600000)"));
	assert_int_equal(client_config_parse(&cfg, "fake"), CLIENT_OK);
	memset(cfg.error_query, 'Q', sizeof(cfg.error_query));
	assert_null(client_open(&cfg));
	assert_non_null(strstr(client_last_message(), "must end in a NUL"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_everywhere),
		cmocka_unit_test(test_multibyte_near_misses),
		cmocka_unit_test(test_nul_bytes_kept),
		cmocka_unit_test(test_empty_reply),
		cmocka_unit_test(test_read_available),
		cmocka_unit_test(test_leftovers),
		cmocka_unit_test(test_read_n),
		cmocka_unit_test(test_write_raw),
		cmocka_unit_test(test_stale_input_dropped),
		cmocka_unit_test(test_max_reply),
		cmocka_unit_test(test_flood_bounded),
		cmocka_unit_test(test_large_reply_handover),
		cmocka_unit_test(test_timeout_message),
		cmocka_unit_test(test_trickle_deadline),
		cmocka_unit_test(test_written_bytes),
		cmocka_unit_test(test_bad_commands),
		cmocka_unit_test(test_timeout_setting),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_trace_shows_terminators),
		cmocka_unit_test(test_open_transport_bad_config),
	};

	return cmocka_run_group_tests_name("reply framing", tests, NULL, NULL);
}
