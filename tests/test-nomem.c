/* SPDX-License-Identifier: MIT */
/* test-nomem.c - allocation failure, injected: the allocator is wrapped
 * (-Wl,--wrap=malloc,calloc,realloc,strdup,free) for this program and the
 * library's objects linked into it, and the Nth allocation fails, for
 * N = 1, 2, ... until a run needs no more than N - 1 allocations. Every
 * run must end in success or CLIENT_ERR_NOMEM (with a message), never in
 * a crash or another error, and leave exactly as many allocations live as
 * before it. make check-valgrind runs it too, so valgrind checks the same
 * error paths for invalid accesses and leaks.
 *
 * Allocations inside libc (fopen's buffer, getaddrinfo) and libtelnet are
 * not seen: only the library's own calls are redirected by --wrap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "faults.h"
#include "internal.h"
#include "profile.h"
#include "sim-profile.h"
#include "sim-helper.h"

/* Enough for any of the scenarios below; a run that needs more fails. */
#define MAX_N 2000

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
void __wrap_free(void *p);

/* Counted over every wrapped call (this file's and the library's):
 * allocations made, frees of non-NULL pointers, and the failure plan. */
static long live;    /* allocations not yet freed */
static long calls;   /* allocation calls since arm() */
static long fail_at; /* 0: never fail; else the calls-th call fails */
static int injected; /* the planned failure happened */

static int should_fail(void)
{
	calls++;
	if (fail_at && calls == fail_at) {
		injected = 1;
		return 1;
	}
	return 0;
}

/* Arena mode: malloc() hands out consecutive 16-byte-aligned pieces of a
 * static buffer, with no gap between them, as size-class allocators
 * (TSan's, tcmalloc, jemalloc) can; their free() only counts. */
static int arena_on;
static _Alignas(16) char arena[4096];
static size_t arena_used;

static int in_arena(const void *p)
{
	return (const char *)p >= arena && (const char *)p < arena + sizeof(arena);
}

void *__wrap_malloc(size_t size)
{
	void *p;

	if (should_fail())
		return NULL;
	if (arena_on && arena_used + ((size + 15) & ~(size_t)15) <= sizeof(arena)) {
		p = arena + arena_used;
		arena_used += (size + 15) & ~(size_t)15;
		live++;
		return p;
	}
	p = __real_malloc(size);
	if (p)
		live++;
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	void *p;

	if (should_fail())
		return NULL;
	p = __real_calloc(n, size);
	if (p)
		live++;
	return p;
}

void *__wrap_realloc(void *old, size_t size)
{
	void *p;

	if (should_fail())
		return NULL;
	p = __real_realloc(old, size);
	if (p && !old)
		live++;
	return p;
}

char *__wrap_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (should_fail())
		return NULL;
	p = __real_malloc(n);
	if (!p)
		return NULL;
	live++;
	memcpy(p, s, n);
	return p;
}

void __wrap_free(void *p)
{
	if (p)
		live--;
	if (!in_arena(p))
		__real_free(p);
}

static void arm(long n)
{
	calls = 0;
	injected = 0;
	fail_at = n;
}

static void disarm(void)
{
	fail_at = 0;
}

/* One scenario: returns CLIENT_OK or the code it failed with. */
typedef int (*scenario_fn)(void *ctx);

/* Run fn with the 1st, 2nd, ... allocation failing until it runs through
 * without reaching the planned failure; check each run. */
static void for_each_failure(const char *name, scenario_fn fn, void *ctx)
{
	long n;

	for (n = 1; n <= MAX_N; n++) {
		long live0 = live;
		int ret;

		arm(n);
		ret = fn(ctx);
		disarm();
		if (ret != CLIENT_OK && ret != CLIENT_ERR_NOMEM)
			fail_msg("%s: allocation %ld failing gave %s (%s), not CLIENT_ERR_NOMEM", name, n,
				 client_error_name(ret), client_last_message());
		if (ret == CLIENT_ERR_NOMEM && !client_last_message()[0])
			fail_msg("%s: allocation %ld: CLIENT_ERR_NOMEM without a message", name, n);
		if (!injected && ret != CLIENT_OK)
			fail_msg("%s: failed with no allocation failing: %s", name, client_last_message());
		if (live != live0)
			fail_msg("%s: allocation %ld failing: %ld allocations %s", name, n,
				 labs(live - live0), live > live0 ? "leaked" : "freed twice");
		if (!injected)
			break;
	}
	if (n > MAX_N)
		fail_msg("%s: more than %d allocations", name, MAX_N);
	print_message("%s: %ld allocations, each failing once: NOMEM or success, nothing leaked\n", name,
		      n - 1);
}

/* --- scenarios ------------------------------------------------------------- */

static int sc_config_new(void *ctx)
{
	struct client_config *cfg = client_config_new(ctx);

	if (!cfg)
		return client_last_error();
	client_config_free(cfg);
	return CLIENT_OK;
}

static int sc_config_parse(void *ctx)
{
	struct client_config cfg;

	return client_config_parse(&cfg, ctx);
}

static int sc_profile_file(void *ctx)
{
	struct profile p;
	int ret = sc_profile_load_file(ctx, &p);

	if (ret == CLIENT_OK)
		sc_profile_free(&p);
	return ret;
}

/* The same file with the simulator's sections (dialogue, properties). */
static int sc_sim_profile_file(void *ctx)
{
	struct sim_profile sp;
	int ret = sim_profile_load_file(ctx, &sp);

	if (ret == CLIENT_OK)
		sim_profile_free(&sp);
	return ret;
}

static int sc_open_pty(void *ctx)
{
	struct client *c = client_init_py(ctx);

	if (!c)
		return client_last_error();
	client_destroy(c);
	return CLIENT_OK;
}

/* Open the simulator's pty and ask it one short question. */
static int sc_pty_query(void *ctx)
{
	struct client *c = client_init_py(ctx);
	struct client_ret *r;
	int ret = CLIENT_OK;

	if (!c)
		return client_last_error();
	r = client_send_cmd_reply(c, FAULT_IDN);
	if (!r) {
		ret = client_last_error();
		/* The answer may still be on its way; let it land whole, so the
		 * next run's stale-input drain takes all of it, not its first
		 * part only (a drain that ends inside a line is issue 14). */
		usleep(100 * 1000);
	} else if (strcmp(r->ret_data, SIM_IDN) != 0)
		fail_msg("wrong reply '%s'", r->ret_data);
	client_free_ret(r);
	client_destroy(c);
	return ret;
}

/* The reply paths on a scripted transport (deterministic, unlike a pty
 * whose unread bytes would reach the next run): a short reply, one long
 * enough to hand its buffer over, leftovers read with client_read_reply,
 * a reply too long, and a block. The transport itself is static: its
 * allocations are not the library's. */
struct script {
	struct transport base;
	const char *data;
	size_t len, off;
};

static ssize_t script_read(struct transport *t, void *buf, size_t size, int64_t deadline)
{
	struct script *s = (struct script *)t;
	size_t n = s->len - s->off;

	(void)deadline;
	if (n == 0)
		return CLIENT_ERR_TIMEOUT;
	if (n > size)
		n = size;
	if (n > 8192)
		n = 8192;
	memcpy(buf, s->data + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static ssize_t script_read_now(struct transport *t, void *buf, size_t size)
{
	(void)t;
	(void)buf;
	(void)size;
	return 0;
}

static int script_write(struct transport *t, const void *buf, size_t len, int64_t deadline)
{
	(void)t;
	(void)buf;
	(void)len;
	(void)deadline;
	return CLIENT_OK;
}

static void script_close(struct transport *t)
{
	(void)t;
}

static const struct transport_ops script_ops = {
	.name = "script",
	.read = script_read,
	.read_now = script_read_now,
	.write = script_write,
	.close = script_close,
};

static char *script_text;
static size_t script_len;

static int sc_replies(void *ctx)
{
	static struct script s;
	struct client_config cfg;
	struct client *c;
	struct client_ret *r;
	int ret = CLIENT_OK;

	(void)ctx;
	s = (struct script){ .base.ops = &script_ops, .data = script_text, .len = script_len };
	if (client_config_parse(&cfg, "script?max_reply=100000&timeout_ms=1000") != CLIENT_OK)
		return client_last_error();
	c = sc_client_open_transport(&cfg, &s.base);
	if (!c)
		return client_last_error();
	/* "short\n", 70000 x and "\n", "a\nb\n", 100001 y and "\n", "#220" and 20 bytes
	 * and "\n" (a block longer than 16 bytes: see test_block_adjacent). */
	r = client_send_cmd_reply(c, "Q?");
	if (r && strcmp(r->ret_data, "short") != 0)
		fail_msg("wrong reply '%s'", r->ret_data);
	if (r) {
		client_free_ret(r);
		r = client_read_reply(c);
		if (r && r->len != 70000)
			fail_msg("wrong reply length %zu", r->len);
	}
	for (int i = 0; r && i < 2; i++) {
		client_free_ret(r);
		r = client_read_reply(c);
	}
	if (r) {
		client_free_ret(r);
		r = client_read_reply(c);
		if (r || client_last_error() != CLIENT_ERR_TOOLONG)
			ret = client_last_error() == CLIENT_ERR_NOMEM ? CLIENT_ERR_NOMEM : CLIENT_ERR_IO;
		else
			r = client_read_block(c);
		if (r && strcmp(r->ret_data, "hello, block world!!") != 0)
			fail_msg("wrong block '%s'", r->ret_data);
	}
	if (!r && ret == CLIENT_OK)
		ret = client_last_error();
	client_free_ret(r);
	client_destroy(c);
	return ret;
}

static void test_replies(void **state)
{
	size_t o = 0;

	(void)state;
	script_len = 6 + 70001 + 4 + 100002 + 25;
	script_text = __real_malloc(script_len);
	assert_non_null(script_text);
	memcpy(script_text, "short\n", 6), o = 6;
	memset(script_text + o, 'x', 70000), o += 70000;
	script_text[o++] = '\n';
	memcpy(script_text + o, "a\nb\n", 4), o += 4;
	memset(script_text + o, 'y', 100001), o += 100001;
	script_text[o++] = '\n';
	memcpy(script_text + o, "#220hello, block world!!\n", 25), o += 25;
	assert_int_equal(o, script_len);
	for_each_failure("replies, leftovers, too long, block", sc_replies, NULL);
	__real_free(script_text);
}

static int sc_values(void *ctx)
{
	double *v = NULL;
	int n = client_parse_values(ctx, strlen(ctx), ",", &v);

	client_free_values(v);
	return n < 0 ? n : CLIENT_OK;
}

static int sc_list_ports(void *ctx)
{
	struct client_port_info *list = NULL;
	int n = client_list_ports(&list, *(int *)ctx);

	client_free_ports(list);
	return n < 0 ? n : CLIENT_OK;
}

/* --- tests ----------------------------------------------------------------- */

static void test_config(void **state)
{
	(void)state;
	for_each_failure("client_config_new", sc_config_new, "/dev/ttyUSB0?baud=115200&eol=CRLF");
	for_each_failure("client_config_new(NULL)", sc_config_new, NULL);
	for_each_failure("client_config_parse with a profile", sc_config_parse,
			 "/dev/ttyUSB0?profile=keithley2000&timeout_ms=100");
	for_each_failure("client_config_parse with the faulty profile", sc_config_parse,
			 "/dev/ttyUSB0?profile=faulty");
}

static void test_profiles(void **state)
{
	static const char text[] =
		"name = nomem\nbaud = 19200\nusb = 0403:6001\n[dialogue]\n*IDN? => A,B,C\n*RST =>\n"
		"[property volt]\nget = VOLT?\nset = VOLT\nmin = 0\nmax = 5\n[property mode]\n"
		"set = MODE\nvalid = A,B\n[errors]\nquery = SYST:ERR?\nnone = 0,\"No error\"\n";
	char path[] = "/tmp/serialcmd-nomem-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	for_each_failure("sc_profile_load_file", sc_profile_file, path);
	for_each_failure("sim_profile_load_file", sc_sim_profile_file, path);
	unlink(path);
	for_each_failure("sc_profile_load_file (shipped keithley2000)", sc_profile_file,
			 "devices/profiles/keithley2000.profile");
	for_each_failure("sim_profile_load_file (shipped keithley2000)", sc_sim_profile_file,
			 "devices/profiles/keithley2000.profile");
}

static void test_values_and_ports(void **state)
{
	int all = CLIENT_LIST_ALL;

	(void)state;
	for_each_failure("client_parse_values", sc_values, "1.5,2e3, -7 ,inf");
	for_each_failure("client_list_ports", sc_list_ports, &all);
}

/* A block reply's header and bytes are two allocations. An allocator that
 * places them next to each other (16-byte size classes, as TSan's did here)
 * once made client_free_ret() leak the bytes, when it told inline replies
 * from adopted ones by address; replies now record which they are
 * (lib/reply.c ret_box). */
static void test_block_adjacent(void **state)
{
	static struct script s;
	static const char wire[] = "#15hello\n";
	struct client_config cfg;
	struct client *c;
	struct client_ret *r;
	long live0;

	(void)state;
	s = (struct script){ .base.ops = &script_ops, .data = wire, .len = sizeof(wire) - 1 };
	assert_int_equal(client_config_parse(&cfg, "script?timeout_ms=1000"), CLIENT_OK);
	c = sc_client_open_transport(&cfg, &s.base);
	assert_non_null(c);
	live0 = live;
	arena_used = 0;
	arena_on = 1;
	r = client_read_block(c);
	arena_on = 0;
	assert_non_null(r);
	assert_string_equal(r->ret_data, "hello");
	client_free_ret(r);
	client_destroy(c);
	/* Every allocation freed (the rx buffer, freed by destroy, is -1). */
	assert_int_equal(live - live0, -1);
}

static int setup_sim(void **state)
{
	static const char *const args[] = { "faulty", NULL };
	struct sim_proc *sim = malloc(sizeof(*sim));

	if (!sim)
		return -1;
	*state = sim;
	return sim_start(sim, args);
}

static int teardown_sim(void **state)
{
	struct sim_proc *sim = *state;

	sim_stop(sim);
	free(sim);
	return 0;
}

static void test_open_and_queries(void **state)
{
	struct sim_proc *sim = *state;
	char spec[400];

	snprintf(spec, sizeof(spec), "%s?timeout_ms=3000", sim->path);
	for_each_failure("client_init_py (pty)", sc_open_pty, spec);
	snprintf(spec, sizeof(spec), "%s?timeout_ms=3000&profile=faulty", sim->path);
	for_each_failure("client_init_py (pty, profile)", sc_open_pty, spec);
	for_each_failure("client_init_py and a query (pty)", sc_pty_query, spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_values_and_ports),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_block_adjacent),
		cmocka_unit_test_setup_teardown(test_open_and_queries, setup_sim, teardown_sim),
	};

	return cmocka_run_group_tests_name("allocation failures", tests, NULL, NULL);
}
