/* SPDX-License-Identifier: MIT */
/* test-hostile.c - the real library against hostile network peers: local
 * servers on 127.0.0.1 (tcp:// and rfc2217://) that answer a command with
 * a flood of Telnet negotiations or signature requests they never read the
 * answers to, an MCCP2 (COMPRESS2) start nobody negotiated, a
 * sub-negotiation that never ends, data without a terminator, a trickle,
 * or a hang-up in the middle of the reply.
 *
 * Each case checks the bounds SECURITY.md states: the command fails with
 * the right code, no later than its deadline plus HOSTILE_MARGIN_MS; the
 * resident set grows by less than HOSTILE_RSS_KIB (VmRSS, not measured
 * under valgrind); and afterwards the handle is either usable (the peer
 * behaves again and the next command gets its answer) or cleanly failed
 * (every later command fails at once with the same code, and the library
 * has closed the connection, which the server sees). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "internal.h"
#include "expect.h"

#define TIMEOUT_MS 1000
/* The floods of requests: under valgrind a second is not enough to fill
 * the loopback socket buffers (megabytes) before the answers pile up in
 * the client; the bound is the same, the command only longer. */
#define FLOOD_TIMEOUT_MS (under_valgrind() ? 20000 : TIMEOUT_MS)
/* Slack for a loaded machine (and sanitizers) on top of the deadline;
 * valgrind, which runs everything many times slower, gets more. */
#define HOSTILE_MARGIN_MS (under_valgrind() ? 5000 : 1500)
/* Growth of VmRSS allowed over one hostile command (32 MiB: a 64 KiB
 * max_reply, the library's own buffers, and allocator noise; the defects
 * this guards against grew by hundreds of MiB a second). */
#define HOSTILE_RSS_KIB 32768
/* "At once": a failed handle answers without waiting for anything. */
#define HOSTILE_AT_ONCE_MS (under_valgrind() ? 2000 : 200)
#define MAX_REPLY 65536

enum scenario {
	NEG_FLOOD,	 /* IAC DO TTYPE without end, never reading */
	SIG_FLOOD,	 /* RFC 2217 signature requests without end, never reading */
	COMPRESS_START,	 /* IAC SB COMPRESS2 IAC SE, then a deflated 20,004-byte reply */
	ENDLESS_SB,	 /* IAC SB COM-PORT-OPTION, then bytes without IAC SE, fast */
	ENDLESS_SB_SLOW, /* the same, one byte every 5 ms */
	DATA_FLOOD,	 /* 'f' without end, no terminator */
	TRICKLE,	 /* 't' every 20 ms for 1.5 s, then answers again */
	CLOSE_MID_REPLY, /* half a reply, then close */
};

struct hostile {
	int listen_fd, port, rfc2217;
	enum scenario scenario;
	int stop;	   /* atomic: the test is done */
	int saw_dont_mccp; /* the client answered WILL COMPRESS2 with DONT */
	int peer_closed;   /* atomic: a send failed, the client closed */
	pthread_t thread;
};

static int stopped(struct hostile *h)
{
	return __atomic_load_n(&h->stop, __ATOMIC_ACQUIRE);
}

/* Send all of buf, waiting while the socket is full; -1 when the client has
 * gone (or the test stops). */
static int send_all(struct hostile *h, int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0 && !stopped(h)) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t n;

		if (poll(&pfd, 1, 20) <= 0)
			continue;
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			__atomic_store_n(&h->peer_closed, 1, __ATOMIC_RELEASE);
			return -1;
		}
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	return stopped(h) ? -1 : 0;
}

/* Read until the client sends the text want (a command); 0 when it did. */
static int wait_for(struct hostile *h, int fd, const char *want)
{
	char seen[64] = "";
	size_t have = 0, wlen = strlen(want);

	while (!stopped(h)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		unsigned char buf[512];
		ssize_t n;

		if (poll(&pfd, 1, 20) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return -1;
		for (ssize_t i = 0; i < n; i++) {
			/* IAC DONT COMPRESS2 */
			if (i + 2 < n && buf[i] == 255 && buf[i + 1] == 254 && buf[i + 2] == 86)
				__atomic_store_n(&h->saw_dont_mccp, 1, __ATOMIC_RELEASE);
			if (have == sizeof(seen) - 1) {
				memmove(seen, seen + 1, have - 1);
				have--;
			}
			seen[have++] = (char)buf[i];
			seen[have] = '\0';
			if (have >= wlen && memcmp(seen + have - wlen, want, wlen) == 0)
				return 0;
		}
	}
	return -1;
}

/* Send pattern (len bytes) over and over until the client goes, never
 * reading; with pause_ms, one byte at a time that far apart, for at most
 * limit_ms (0: no limit). */
static void flood(struct hostile *h, int fd, const void *pattern, size_t len, int pause_ms, int limit_ms)
{
	int64_t t0 = sc_clock_now_ns();
	char buf[4096];
	size_t n = 0;

	while (n + len <= sizeof(buf)) {
		memcpy(buf + n, pattern, len);
		n += len;
	}
	while (!stopped(h) && (limit_ms == 0 || ms_since(t0) < limit_ms)) {
		if (pause_ms) {
			if (send_all(h, fd, pattern, 1) != 0)
				return;
			usleep((useconds_t)pause_ms * 1000);
		} else if (send_all(h, fd, buf, n) != 0) {
			return;
		}
	}
}

/* The COMPRESS2 start and a deflated reply of 20,004 bytes. */
static void send_compressed(struct hostile *h, int fd)
{
	static const unsigned char start[] = { 255, 250, 86, 255, 240 };
	static char plain[20004];
	unsigned char packed[1024];
	uLongf packed_len = sizeof(packed);

	memset(plain, 'A', sizeof(plain) - 2);
	memcpy(plain + sizeof(plain) - 2, "\r\n", 2);
	assert_int_equal(compress2(packed, &packed_len, (const Bytef *)plain, sizeof(plain), 9), Z_OK);
	if (send_all(h, fd, start, sizeof(start)) == 0)
		send_all(h, fd, packed, packed_len);
}

static void play(struct hostile *h, int fd)
{
	static const unsigned char do_ttype[] = { 255, 253, 24 };
	static const unsigned char sig_request[] = { 255, 250, 44, 100, 255, 240 };
	static const unsigned char sb_start[] = { 255, 250, 44, 107 };

	switch (h->scenario) {
	case NEG_FLOOD: flood(h, fd, do_ttype, sizeof(do_ttype), 0, 0); break;
	case SIG_FLOOD: flood(h, fd, sig_request, sizeof(sig_request), 0, 0); break;
	case COMPRESS_START: send_compressed(h, fd); break;
	case ENDLESS_SB:
		if (send_all(h, fd, sb_start, sizeof(sb_start)) == 0)
			flood(h, fd, "x", 1, 0, 0);
		break;
	case ENDLESS_SB_SLOW:
		if (send_all(h, fd, sb_start, sizeof(sb_start)) == 0)
			flood(h, fd, "x", 1, 5, 0);
		break;
	case DATA_FLOOD: flood(h, fd, "f", 1, 0, 0); break;
	case TRICKLE:
		flood(h, fd, "t", 1, 20, 1500);
		/* Then behave: answer the next command. */
		if (wait_for(h, fd, "R?") == 0)
			send_all(h, fd, "ready\n", 6);
		break;
	case CLOSE_MID_REPLY: send_all(h, fd, "half a rep", 10); return;
	}
	/* Wait for the client to close (or the test to end). */
	while (!stopped(h)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char buf[512];

		if (poll(&pfd, 1, 20) > 0 && read(fd, buf, sizeof(buf)) <= 0) {
			__atomic_store_n(&h->peer_closed, 1, __ATOMIC_RELEASE);
			break;
		}
	}
}

static void *hostile_run(void *arg)
{
	struct hostile *h = arg;
	int64_t t0 = sc_clock_now_ns();
	int fd = -1;

	while (fd < 0 && !stopped(h) && ms_since(t0) < 20000) {
		struct pollfd pfd = { .fd = h->listen_fd, .events = POLLIN };

		if (poll(&pfd, 1, 20) > 0)
			fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	}
	if (fd < 0)
		return NULL;
	if (h->rfc2217) {
		/* IAC DO COM-PORT-OPTION, IAC WILL COMPRESS2 (which the client must refuse) */
		static const unsigned char hello[] = { 255, 253, 44, 255, 251, 86 };

		if (send_all(h, fd, hello, sizeof(hello)) != 0)
			goto out;
	}
	if (wait_for(h, fd, "Q?") == 0)
		play(h, fd);
out:
	close(fd);
	return NULL;
}

static void hostile_start(struct hostile *h, int rfc2217, enum scenario scenario)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int rcvbuf = 4096;

	memset(h, 0, sizeof(*h));
	h->rfc2217 = rfc2217;
	h->scenario = scenario;
	h->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(h->listen_fd >= 0);
	/* A small receive window (set before listen, so the connection gets
	 * it): a server that does not read stops taking the client's bytes
	 * after a few KiB, however fast or slow (valgrind) both sides run. */
	assert_int_equal(setsockopt(h->listen_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	assert_int_equal(bind(h->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(h->listen_fd, 4), 0);
	assert_int_equal(getsockname(h->listen_fd, (struct sockaddr *)&sa, &len), 0);
	h->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&h->thread, NULL, hostile_run, h), 0);
}

static void hostile_stop(struct hostile *h)
{
	__atomic_store_n(&h->stop, 1, __ATOMIC_RELEASE);
	pthread_join(h->thread, NULL);
	close(h->listen_fd);
}

/* What happens to the handle after the hostile command. */
enum after {
	AFTER_FAILED, /* every later command fails at once with the same code; connection closed */
	AFTER_USABLE, /* the peer behaves again: the next command gets "ready" */
	AFTER_GONE,   /* the peer hung up: later commands fail at once with CLIENT_ERR_GONE */
	AFTER_AGAIN,  /* the peer stays hostile: the next command fails the same way, as bounded */
};

/* One hostile command on a fresh handle, then what follows it. */
static void hostile_case(int rfc2217, enum scenario scenario, int code, enum after after, const char *needle)
{
	int timeout_ms = scenario == NEG_FLOOD || scenario == SIG_FLOOD ? FLOOD_TIMEOUT_MS : TIMEOUT_MS;
	char spec[160];
	struct hostile h;
	struct client *c;
	struct client_ret *r;
	long rss0, rss1;
	int64_t t0, took;

	hostile_start(&h, rfc2217, scenario);
	snprintf(spec, sizeof(spec), "%s://127.0.0.1:%d?timeout_ms=%d&max_reply=%d",
		 rfc2217 ? "rfc2217" : "tcp", h.port, timeout_ms, MAX_REPLY);
	c = client_init_py(spec);
	if (!c)
		fail_msg("%s: %s", spec, client_last_message());
	rss0 = proc_status_kib("VmRSS");
	t0 = sc_clock_now_ns();
	r = client_send_cmd_reply(c, "Q?");
	took = ms_since(t0);
	rss1 = proc_status_kib("VmRSS");
	print_message("%s case %d: %s after %lld ms, VmRSS %ld -> %ld KiB: %s\n", rfc2217 ? "rfc2217" : "tcp",
		      (int)scenario, r ? "reply" : "error", (long long)took, rss0, rss1,
		      r ? "" : client_last_message());
	if (r) {
		print_message("unexpected reply of %zu bytes\n", r->len);
		client_free_ret(r);
		fail();
	}
	if (!under_valgrind())
		assert_true(rss1 - rss0 < HOSTILE_RSS_KIB);
	assert_int_equal(client_last_error(), code);
	if (needle && !strstr(client_last_message(), needle))
		fail_msg("message \"%s\" does not name \"%s\"", client_last_message(), needle);
	assert_true(took <= timeout_ms + HOSTILE_MARGIN_MS);

	t0 = sc_clock_now_ns();
	switch (after) {
	case AFTER_FAILED:
		/* The library closed the connection: the server sees it. */
		while (!__atomic_load_n(&h.peer_closed, __ATOMIC_ACQUIRE) && ms_since(t0) < 3000)
			usleep(10000);
		assert_true(__atomic_load_n(&h.peer_closed, __ATOMIC_ACQUIRE));
		t0 = sc_clock_now_ns();
		assert_null(client_send_cmd_reply(c, "Q?"));
		assert_int_equal(client_last_error(), code);
		assert_true(ms_since(t0) < HOSTILE_AT_ONCE_MS);
		break;
	case AFTER_GONE:
		assert_null(client_send_cmd_reply(c, "Q?"));
		assert_int_equal(client_last_error(), CLIENT_ERR_GONE);
		assert_true(ms_since(t0) < HOSTILE_AT_ONCE_MS);
		break;
	case AFTER_AGAIN:
		assert_null(client_send_cmd_reply(c, "Q?"));
		assert_int_equal(client_last_error(), code);
		assert_true(ms_since(t0) <= timeout_ms + HOSTILE_MARGIN_MS);
		break;
	case AFTER_USABLE:
		/* Wait out the rest of the trickle, then the peer answers. */
		usleep(800000);
		r = client_send_cmd_reply(c, "R?");
		if (!r)
			fail_msg("after the trickle: %s", client_last_message());
		assert_string_equal(r->ret_data, "ready");
		client_free_ret(r);
		break;
	}
	client_destroy(c);
	hostile_stop(&h);
}

/* Defect 1 of issue 15: the answers to a negotiation flood were queued
 * without limit (1.2 GB in 10 s). */
static void test_negotiation_flood(void **state)
{
	(void)state;
	hostile_case(1, NEG_FLOOD, CLIENT_ERR_PROTOCOL, AFTER_FAILED, "negotiation");
}

static void test_signature_flood(void **state)
{
	(void)state;
	hostile_case(1, SIG_FLOOD, CLIENT_ERR_PROTOCOL, AFTER_FAILED, "negotiation");
}

/* Defect 2 of issue 15: libtelnet inflated an unnegotiated MCCP2 stream and
 * what did not fit was dropped: 16,388 of 20,004 bytes, with CLIENT_OK. */
static void test_compression_start(void **state)
{
	struct hostile h;

	(void)state;
	hostile_case(1, COMPRESS_START, CLIENT_ERR_PROTOCOL, AFTER_FAILED, "COMPRESS2");
	/* And the offer (IAC WILL COMPRESS2) is refused. */
	hostile_start(&h, 1, COMPRESS_START);
	{
		char spec[96];
		struct client *c;
		int64_t t0 = sc_clock_now_ns();

		snprintf(spec, sizeof(spec), "rfc2217://127.0.0.1:%d?timeout_ms=%d", h.port, TIMEOUT_MS);
		c = client_init_py(spec);
		assert_non_null(c);
		/* The answer went out with the negotiation; the server reads it
		 * while it waits for a command. */
		while (!__atomic_load_n(&h.saw_dont_mccp, __ATOMIC_ACQUIRE) && ms_since(t0) < 3000)
			usleep(10000);
		assert_true(__atomic_load_n(&h.saw_dont_mccp, __ATOMIC_ACQUIRE));
		client_destroy(c);
	}
	hostile_stop(&h);
}

/* A sub-negotiation that never ends: past libtelnet's 16 KiB its bytes
 * came out as reply data; now a protocol error. Slowly, it cannot hold the
 * command past its deadline. */
static void test_endless_subnegotiation(void **state)
{
	(void)state;
	hostile_case(1, ENDLESS_SB, CLIENT_ERR_PROTOCOL, AFTER_FAILED, "sub-negotiation");
	hostile_case(1, ENDLESS_SB_SLOW, CLIENT_ERR_TIMEOUT, AFTER_AGAIN, NULL);
}

static void test_endless_data(void **state)
{
	(void)state;
	hostile_case(0, DATA_FLOOD, CLIENT_ERR_TOOLONG, AFTER_AGAIN, NULL);
	hostile_case(1, DATA_FLOOD, CLIENT_ERR_TOOLONG, AFTER_AGAIN, NULL);
}

static void test_trickle(void **state)
{
	(void)state;
	hostile_case(0, TRICKLE, CLIENT_ERR_TIMEOUT, AFTER_USABLE, NULL);
	hostile_case(1, TRICKLE, CLIENT_ERR_TIMEOUT, AFTER_USABLE, NULL);
}

static void test_close_mid_reply(void **state)
{
	(void)state;
	hostile_case(0, CLOSE_MID_REPLY, CLIENT_ERR_GONE, AFTER_GONE, NULL);
	hostile_case(1, CLOSE_MID_REPLY, CLIENT_ERR_GONE, AFTER_GONE, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiation_flood), cmocka_unit_test(test_signature_flood),
		cmocka_unit_test(test_compression_start), cmocka_unit_test(test_endless_subnegotiation),
		cmocka_unit_test(test_endless_data),	  cmocka_unit_test(test_trickle),
		cmocka_unit_test(test_close_mid_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
