/* SPDX-License-Identifier: MIT */
/* test-record.c - session recording (record=, SERIALCMD_RECORD; issue 20)
 * against the simulator on a real pty: the file is created 0600 whatever
 * the umask; a file that cannot be opened or written never fails a command
 * and is reported exactly once (trace line, and the last message of the
 * call, whose code stays CLIENT_OK); a recording whose program is killed
 * with SIGKILL mid-session holds only whole lines, and every transaction
 * but at most the last; a slow transaction's line is written before its
 * call returns; a forked child never writes its parent's line again; a device's control
 * bytes never reach the file raw. The Python tests (test_record.py) read
 * recordings with json and check every field. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "expect.h"
#include "faults.h"
#include "internal.h"
#include "sim-helper.h"

/* Generous: the machine may be loaded. */
#define KILL_WAIT_MS 30000
#define KILL_LINES 20

struct fixture {
	struct sim_proc sim;
	char dir[64];	 /* a private directory for the recordings */
	char file[128];	 /* dir/session.jsonl */
	char spec[512];	 /* the pty, with record=file */
	int stopped;	 /* trace lines saying recording stopped */
};

static int setup(void **state)
{
	static const char *const args[] = { "faulty", NULL };
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	*state = fx;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/serialcmd-record-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->file, sizeof(fx->file), "%s/session.jsonl", fx->dir);
	if (sim_start(&fx->sim, args) != 0)
		return -1;
	snprintf(fx->spec, sizeof(fx->spec), "%s?timeout_ms=5000&record=%s", fx->sim.path, fx->file);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx) {
		sim_stop(&fx->sim);
		unlink(fx->file);
		rmdir(fx->dir);
		free(fx);
	}
	return 0;
}

/* The whole file, NUL-terminated; *len its size. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

/* Every line whole ('{' ... "}\n"), only printable ASCII inside; returns
 * the count of lines. */
static int whole_lines(const char *data, size_t len)
{
	int lines = 0;
	size_t start = 0;

	assert_true(len > 0 && data[len - 1] == '\n');
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)data[i];

		if (ch == '\n') {
			assert_true(i > start + 1);
			assert_int_equal(data[start], '{');
			assert_int_equal(data[i - 1], '}');
			start = i + 1;
			lines++;
			continue;
		}
		assert_true(ch >= 0x20 && ch < 0x7f);
	}
	return lines;
}

/* Lines of the file that record a query. */
static int query_lines(const char *path)
{
	size_t len;
	char *data = slurp(path, &len);
	int n = 0;

	for (const char *p = data; (p = strstr(p, "\"kind\":\"query\"")); p++)
		n++;
	free(data);
	return n;
}

static void count_stopped(void *user, const char *line)
{
	struct fixture *fx = user;

	if (strstr(line, "recording stopped"))
		fx->stopped++;
}

static void test_json_escape(void **state)
{
	static const char in[] = "A\x1b\x00\xff\"\\\n\r\t~\x7f";
	static const char want[] = "A\\u001b\\u0000\\u00ff\\\"\\\\\\n\\r\\t~\\u007f";
	char out[6 * sizeof(in)];
	size_t n;

	(void)state;
	n = sc_escape_json(out, in, sizeof(in) - 1);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
}

/* The format's rule, one byte at a time: what sc_escape_json() must give. */
static size_t escape_reference(char *out, const unsigned char *in, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = in[i];

		if (ch == '"' || ch == '\\')
			o += (size_t)sprintf(out + o, "\\%c", ch);
		else if (ch == '\n')
			o += (size_t)sprintf(out + o, "\\n");
		else if (ch == '\r')
			o += (size_t)sprintf(out + o, "\\r");
		else if (ch == '\t')
			o += (size_t)sprintf(out + o, "\\t");
		else if (ch < 0x20 || ch > 0x7e)
			o += (size_t)sprintf(out + o, "\\u%04x", ch);
		else
			out[o++] = (char)ch;
	}
	return o;
}

static void expect_escape(const unsigned char *in, size_t len)
{
	char got[6 * 64 + 1], want[6 * 64 + 1];
	size_t n = sc_escape_json(got, in, len), m = escape_reference(want, in, len);

	assert_int_equal(n, m);
	assert_memory_equal(got, want, n);
}

/* The escape copies plain text eight bytes at a time: every byte value at
 * every place in a word, next to plain bytes and next to the bytes on
 * either side of each boundary, and random mixes of those. */
static void test_json_escape_words(void **state)
{
	static const unsigned char edges[] = { 0x00, 0x01, 0x09, 0x0a, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b,
					       0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff, 'a', 'Z' };
	unsigned char buf[64];
	unsigned seed = 20;

	(void)state;
	for (int ch = 0; ch < 256; ch++)
		for (size_t at = 0; at < 24; at++)
			for (size_t e = 0; e < sizeof(edges); e++) {
				memset(buf, edges[e], sizeof(buf));
				buf[at] = (unsigned char)ch;
				expect_escape(buf, 24);
				expect_escape(buf + 1, 23);
			}
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand_r(&seed) % 65);

		for (size_t i = 0; i < len; i++)
			buf[i] = rand_r(&seed) % 4 ? edges[rand_r(&seed) % sizeof(edges)]
						   : (unsigned char)rand_r(&seed);
		expect_escape(buf, len);
	}
}

static void test_created_0600(void **state)
{
	struct fixture *fx = *state;
	mode_t old = umask(0);
	struct client *c = open_spec(fx->spec);
	struct stat st;

	umask(old);
	expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
	client_destroy(c);
	assert_int_equal(stat(fx->file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

/* A device sending ESC, NUL and 0xff: the file has none of them raw. */
static void test_control_bytes_escaped(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_spec(fx->spec);
	struct client_ret *r = client_send_cmd_reply(c, FAULT_BIN " 255");
	size_t len;
	char *data;

	assert_non_null(r);
	assert_int_equal(r->len, 255); /* 0 to 255 but the terminator */
	client_free_ret(r);
	client_destroy(c);
	data = slurp(fx->file, &len);
	assert_int_equal(whole_lines(data, len), 3); /* header, query, close */
	assert_non_null(strstr(data, "\\u0000\\u0001"));
	assert_non_null(strstr(data, "\\u001b\\u001c"));
	assert_non_null(strstr(data, "\\u00fe\\u00ff\\n\""));
	free(data);
}

/* The record= key wins over SERIALCMD_RECORD; the variable alone records. */
static void test_environment(void **state)
{
	struct fixture *fx = *state;
	char other[160], spec[512];
	struct client *c;
	struct stat st;

	snprintf(other, sizeof(other), "%s/env.jsonl", fx->dir);
	setenv("SERIALCMD_RECORD", other, 1);
	c = open_spec(fx->spec);
	expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
	client_destroy(c);
	assert_int_equal(stat(other, &st), -1);
	snprintf(spec, sizeof(spec), "%s?timeout_ms=5000", fx->sim.path);
	c = open_spec(spec);
	expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
	client_destroy(c);
	unsetenv("SERIALCMD_RECORD");
	assert_int_equal(stat(other, &st), 0);
	assert_int_equal(unlink(other), 0);
}

/* A file that cannot be opened: the open succeeds with a note, every
 * command succeeds, the note is given once. */
static void test_cannot_open(void **state)
{
	struct fixture *fx = *state;
	char spec[512];
	struct client *c;

	snprintf(spec, sizeof(spec), "%s?timeout_ms=5000&record=%s/no-such-dir/x.jsonl", fx->sim.path, fx->dir);
	c = open_spec(spec);
	assert_int_equal(client_last_error(), CLIENT_OK);
	assert_non_null(strstr(client_last_message(), "recording stopped: cannot open"));
	assert_non_null(strstr(client_last_message(), "No such file or directory"));
	for (int i = 0; i < 3; i++) {
		expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
		assert_string_equal(client_last_message(), "");
	}
	client_destroy(c);
}

/* A FIFO nobody reads: the open neither blocks nor fails; recording
 * stops at once with a note (it would otherwise hold client_open()
 * until a reader came). */
static void test_fifo_without_reader(void **state)
{
	struct fixture *fx = *state;
	char fifo[160], spec[512];
	struct client *c;

	snprintf(fifo, sizeof(fifo), "%s/fifo", fx->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(spec, sizeof(spec), "%s?timeout_ms=5000&record=%s", fx->sim.path, fifo);
	c = open_spec(spec);
	assert_int_equal(client_last_error(), CLIENT_OK);
	assert_non_null(strstr(client_last_message(), "recording stopped: cannot open"));
	expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
	client_destroy(c);
	assert_int_equal(unlink(fifo), 0);
}

/* The disk fills mid-session (a file size limit, EFBIG): the command
 * during which it happened succeeds, with the note as its last message;
 * the trace says so once; the commands after it are not recorded. */
static void test_write_fails_mid_session(void **state)
{
	struct fixture *fx = *state;
	struct rlimit old, small;
	struct sigaction ign = { .sa_handler = SIG_IGN }, prev;
	struct client *c = open_spec(fx->spec);
	int noted = 0, at = -1;
	size_t len;
	char *data;
	struct stat st;

	client_set_trace(c, count_stopped, fx);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(stat(fx->file, &st), 0);
	/* Room for the header and a few transactions. */
	small = old;
	small.rlim_cur = (rlim_t)st.st_size + 400;
	assert_int_equal(sigaction(SIGXFSZ, &ign, &prev), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	for (int i = 0; i < 40; i++) {
		expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
		if (client_last_message()[0]) {
			assert_non_null(strstr(client_last_message(), "recording stopped: cannot write"));
			noted++;
			at = i;
		}
	}
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(sigaction(SIGXFSZ, &prev, NULL), 0);
	client_destroy(c);
	assert_int_equal(noted, 1);
	assert_int_equal(fx->stopped, 1);
	assert_true(at > 0 && at < 20);
	/* The file ends at the limit, with the whole lines before it. */
	data = slurp(fx->file, &len);
	assert_true(len <= (size_t)small.rlim_cur);
	free(data);
}

/* SIGKILL in the middle of a session: every line in the file is whole,
 * and every transaction whose call had returned is there but at most the
 * last (the child writes a byte to a pipe as each call returns). */
static void test_survives_sigkill(void **state)
{
	struct fixture *fx = *state;
	size_t len = 0;
	char *data, got[4096];
	int status, lines = 0, done = 0, fds[2];
	ssize_t k;
	pid_t pid;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct client *c = client_init_py(fx->spec);

		close(fds[0]);
		for (int i = 0; c && i < 1000000; i++) {
			struct client_ret *r = client_send_cmd_reply(c, FAULT_BIN " 200");

			client_free_ret(r);
			if (write(fds[1], "", 1) != 1)
				_exit(2);
		}
		_exit(1);
	}
	close(fds[1]);
	/* The pipe must never fill and hold the child: 64 KiB is 65536
	 * calls, far more than the test waits for. */
	for (int waited = 0; waited < KILL_WAIT_MS && lines < KILL_LINES; waited += 10) {
		int fd = open(fx->file, O_RDONLY | O_CLOEXEC);
		char buf[65536];
		ssize_t n;

		lines = 0;
		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < n; i++)
				lines += buf[i] == '\n';
		if (fd >= 0)
			close(fd);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	while ((k = read(fds[0], got, sizeof(got))) > 0)
		done += (int)k;
	close(fds[0]);
	assert_true(done >= KILL_LINES - 1);
	assert_true(query_lines(fx->file) >= done - 1);
	data = slurp(fx->file, &len);
	assert_true(whole_lines(data, len) >= KILL_LINES);
	assert_null(strstr(data, "\"kind\":\"close\"")); /* it never closed */
	assert_null(strstr(data, "CLIENT_ERR"));
	free(data);
}

/* A crash loses at most the last transaction: after each call returns,
 * the file holds every transaction before it (in a fast run a line may
 * wait for the next one's write). A slow one (LATE 5 takes 5 ms or more,
 * over the 1 ms of a fast run) is written before its call returns, with
 * the line waiting before it; so is the next slow one, which finds none
 * waiting. client_destroy() writes all. */
static void test_lines_written_in_time(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_spec(fx->spec);
	size_t len;
	char *data;

	for (int i = 1; i <= 100; i++) {
		expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
		assert_true(query_lines(fx->file) >= i - 1);
	}
	expect_reply(c, FAULT_LATE " 5 slow", "slow", 4);
	assert_int_equal(query_lines(fx->file), 101);
	expect_reply(c, FAULT_LATE " 5 slow", "slow", 4);
	assert_int_equal(query_lines(fx->file), 102);
	expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
	client_destroy(c);
	data = slurp(fx->file, &len);
	assert_int_equal(whole_lines(data, len), 105); /* header, 103 queries, close */
	assert_non_null(strstr(data, "\"wire\":\"slow\\n\""));
	free(data);
}

/* Large replies then small ones, fast and slow: the buffers kept between
 * transactions, and given back after a large line, leave every line whole
 * and in order (asan and valgrind run this too). */
static void test_large_then_small(void **state)
{
	static const char *const cmds[] = { FAULT_SIZE " 2000000", FAULT_SIZE " 3000000", FAULT_IDN, FAULT_IDN,
					    FAULT_SIZE " 100000",  FAULT_IDN,		  FAULT_LATE " 5 slow", FAULT_IDN };
	struct fixture *fx = *state;
	struct client *c = open_spec(fx->spec);
	const char *p;
	size_t len;
	char *data;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct client_ret *r = client_send_cmd_reply(c, cmds[i]);

		assert_non_null(r);
		client_free_ret(r);
	}
	client_destroy(c);
	data = slurp(fx->file, &len);
	assert_int_equal(whole_lines(data, len), 10);
	p = data;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "\"cmd\":\"%s\\n\"", cmds[i]);
		p = strstr(p, want);
		assert_non_null(p);
	}
	assert_true(len > 5100000);
	free(data);
}

/* The program of test_exit_without_destroy(), run as this test binary
 * with "--exit-without-destroy SPEC": a fresh process (a forked one would
 * inherit the parent's exit handlers). */
static const char *self;

static int exit_without_destroy(const char *spec)
{
	struct client *c = client_init_py(spec);

	for (int i = 0; c && i < 4; i++)
		client_free_ret(client_send_cmd_reply(c, FAULT_IDN));
	exit(c ? 0 : 3);
}

/* A program that ends with exit() without client_destroy(): every
 * transaction is in the file all the same (a fast run's last line was
 * waiting; exit() writes it). */
static void test_exit_without_destroy(void **state)
{
	struct fixture *fx = *state;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execl(self, self, "--exit-without-destroy", fx->spec, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(query_lines(fx->file), 4);
}

/* fork() while a fast run's line waits: the child going on with the handle
 * (here: destroying it) writes its own close line but not the parent's
 * waiting line; the parent writes that one, once. */
static void test_fork_writes_no_line_twice(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_spec(fx->spec);
	int status;
	size_t len;
	char *data;
	pid_t pid;

	for (int i = 0; i < 4; i++)
		expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		client_destroy(c);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
	client_destroy(c);
	assert_int_equal(query_lines(fx->file), 5);
	data = slurp(fx->file, &len);
	assert_int_equal(whole_lines(data, len), 8); /* header, 5 queries, 2 close */
	free(data);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_escape_words),
		cmocka_unit_test_setup_teardown(test_created_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_bytes_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cannot_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_without_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_fails_mid_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_survives_sigkill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines_written_in_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_then_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork_writes_no_line_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_without_destroy, setup, teardown),
	};

	self = argv[0];
	if (argc == 3 && strcmp(argv[1], "--exit-without-destroy") == 0)
		return exit_without_destroy(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
