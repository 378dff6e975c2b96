/* SPDX-License-Identifier: MIT */
/* test-loopback.c - a real client against real pseudo-terminal devices
 * (devices/sim/serialcmd-sim): an echo device, as a TX-RX jumper plug, and a
 * faulty one that answers late, in single bytes, twice, never, or hangs up.
 * With SERIALCMD_HW_PORT set (make check-hw) the echo tests run against that
 * port instead, the hw_* tests check the control lines, break, low latency
 * and HUPCL on it (a jumper plug: TX-RX, RTS-CTS, DTR-DSR), and the rest
 * are skipped; without it the hw_* tests are skipped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/serial.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "expect.h"
#include "faults.h"
#include "internal.h"
#include "sim-helper.h"

struct fixture {
	struct sim_proc sim;
	char spec[512];
	struct client *c; /* hw_* tests: destroyed by teardown if a check failed */
};

static const char *hw_port(void)
{
	const char *p = getenv("SERIALCMD_HW_PORT");

	return p && p[0] ? p : NULL;
}

static int start(void **state, const char *const *args, const char *options)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	*state = fx;
	if (sim_start(&fx->sim, args) != 0)
		return -1;
	snprintf(fx->spec, sizeof(fx->spec), "%s%s", fx->sim.path, options);
	return 0;
}

static int setup_echo(void **state)
{
	static const char *const args[] = { "loopback", NULL };
	struct fixture *fx;

	if (!hw_port())
		return start(state, args, "?timeout_ms=3000");
	fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	snprintf(fx->spec, sizeof(fx->spec), "%s?baud=115200&timeout_ms=3000", hw_port());
	*state = fx;
	return 0;
}

static int setup_echo_crlf(void **state)
{
	static const char *const args[] = { "--eol", "CRLF", "loopback", NULL };

	if (hw_port())
		return setup_echo(state);
	return start(state, args, "?eol=CRLF&timeout_ms=3000");
}

static int setup_faulty(void **state)
{
	static const char *const args[] = { "faulty", NULL };

	return start(state, args, "?timeout_ms=3000");
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx) {
		client_destroy(fx->c);
		sim_stop(&fx->sim);
		free(fx);
	}
	return 0;
}

static void skip_on_hw(void)
{
	if (hw_port())
		skip();
}

/* --- the echo device -------------------------------------------------- */

static void test_echo_round_trips(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_spec(fx->spec);
	char cmd[64];

	for (int i = 0; i < 500; i++) {
		snprintf(cmd, sizeof(cmd), "MEAS:VOLT? %d", i);
		expect_reply(c, cmd, cmd, strlen(cmd));
	}
	expect_reply(c, "", "", 0);
	expect_reply(c, "tab\there", "tab\there", 8);
	client_destroy(c);
}

static void test_echo_crlf(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_spec(fx->spec);

	expect_reply(c, "*IDN?", "*IDN?", 5);
	client_destroy(c);
}

static void test_echo_long_command(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_spec(fx->spec);
	char *cmd = malloc(20001);

	assert_non_null(cmd);
	for (int i = 0; i < 20000; i++)
		cmd[i] = (char)('A' + i % 26);
	cmd[20000] = '\0';
	expect_reply(c, cmd, cmd, 20000);
	free(cmd);
	client_destroy(c);
}

static void test_echo_write_then_read(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_spec(fx->spec);
	struct client_ret *r;

	assert_int_equal(client_send_cmd(c, "OUTP ON"), CLIENT_OK);
	r = client_read_reply(c);
	assert_non_null(r);
	assert_string_equal(r->ret_data, "OUTP ON");
	client_free_ret(r);
	client_destroy(c);
}

struct worker {
	struct client *c;
	int id, failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char cmd[64];

	for (int i = 0; i < 200; i++) {
		struct client_ret *r;

		snprintf(cmd, sizeof(cmd), "thread %d query %d", w->id, i);
		r = client_send_cmd_reply(w->c, cmd);
		if (!r || strcmp(r->ret_data, cmd) != 0)
			w->failures++;
		client_free_ret(r);
	}
	return NULL;
}

/* One handle, eight threads: every reply belongs to its own command. */
static void test_echo_threads(void **state)
{
	struct fixture *fx = *state;
	struct client *c = open_spec(fx->spec);
	pthread_t t[8];
	struct worker w[8];

	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ .c = c, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	client_destroy(c);
}

struct racer {
	struct client *c;
	const char *cmd;
	int code;
};

static void *racer_run(void *arg)
{
	struct racer *r = arg;
	struct client_ret *ret = client_send_cmd_reply(r->c, r->cmd);

	r->code = ret ? CLIENT_OK : client_last_error();
	client_free_ret(ret);
	return NULL;
}

/* destroy while one command runs and another waits for the lock: both
 * finish first, then the handle goes (valgrind and ASan see no misuse). */
static void test_destroy_racing_commands(void **state)
{
	struct fixture *fx = *state;
	struct client *c;
	pthread_t a, b;
	struct racer ra = { .cmd = FAULT_LATE " 300 first" }, rb = { .cmd = FAULT_IDN };

	skip_on_hw();
	c = open_spec(fx->spec);
	ra.c = rb.c = c;
	assert_int_equal(pthread_create(&a, NULL, racer_run, &ra), 0);
	usleep(50000);
	assert_int_equal(pthread_create(&b, NULL, racer_run, &rb), 0);
	usleep(50000);
	client_destroy(c);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert_int_equal(ra.code, CLIENT_OK);
	assert_int_equal(rb.code, CLIENT_OK);
}

/* --- the faulty device ------------------------------------------------- */

static void test_late_answer(void **state)
{
	struct fixture *fx = *state;
	struct client *c;
	char spec[600];
	int64_t t0;

	skip_on_hw();
	c = open_spec(fx->spec);
	expect_reply(c, FAULT_LATE " 300 late but fine", "late but fine", 13);
	client_destroy(c);
	snprintf(spec, sizeof(spec), "%s?timeout_ms=100", fx->sim.path);
	c = open_spec(spec);
	t0 = sc_clock_now_ns();
	expect_error(c, FAULT_LATE " 600 too late", CLIENT_ERR_TIMEOUT, "no reply");
	assert_true(ms_since(t0) >= 90);
	assert_true(ms_since(t0) < 2000);
	client_destroy(c);
}

static void test_split_bytes(void **state)
{
	struct fixture *fx = *state;
	struct client *c;

	skip_on_hw();
	c = open_spec(fx->spec);
	expect_reply(c, FAULT_SPLIT " one byte at a time", "one byte at a time", 18);
	client_destroy(c);
}

static void test_garbage_before_command(void **state)
{
	struct fixture *fx = *state;
	struct client *c;

	skip_on_hw();
	c = open_spec(fx->spec);
	expect_reply(c, FAULT_NOISE " ok", "ok", 2);
	/* Let the junk arrive: it is stale input when the next command starts. */
	usleep(3 * NOISE_DELAY_MS * 1000);
	expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
	client_destroy(c);
}

static void test_never_answers(void **state)
{
	struct fixture *fx = *state;
	struct client *c;
	char spec[600];
	int64_t t0;

	skip_on_hw();
	snprintf(spec, sizeof(spec), "%s?timeout_ms=200", fx->sim.path);
	c = open_spec(spec);
	t0 = sc_clock_now_ns();
	expect_error(c, FAULT_SILENT, CLIENT_ERR_TIMEOUT, "expected terminator \"\\n\"");
	assert_true(ms_since(t0) < 2000);
	assert_non_null(strstr(client_last_message(), fx->sim.path));
	/* The handle still works after a timeout. */
	expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
	client_destroy(c);
}

static void test_trickle_cannot_extend_deadline(void **state)
{
	struct fixture *fx = *state;
	struct client *c;
	char spec[600];
	int64_t t0;

	skip_on_hw();
	snprintf(spec, sizeof(spec), "%s?timeout_ms=300", fx->sim.path);
	c = open_spec(spec);
	t0 = sc_clock_now_ns();
	expect_error(c, FAULT_TRICKLE " 20", CLIENT_ERR_TIMEOUT, "bytes received, ending");
	assert_true(ms_since(t0) < 2000);
	client_destroy(c);
}

static void test_answers_twice(void **state)
{
	struct fixture *fx = *state;
	struct client *c;
	struct client_ret *r;

	skip_on_hw();
	c = open_spec(fx->spec);
	expect_reply(c, FAULT_TWICE " dup", "dup", 3);
	/* The second copy is there for read_reply ... */
	r = client_read_reply(c);
	assert_non_null(r);
	assert_string_equal(r->ret_data, "dup");
	client_free_ret(r);
	/* ... and, once it has arrived, never becomes the answer to the next
	 * command (a copy still on the wire when a command starts cannot be
	 * told from its answer by anyone). */
	expect_reply(c, FAULT_TWICE " again", "again", 5);
	usleep(50000);
	expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
	client_destroy(c);
}

static void test_multi_line(void **state)
{
	struct fixture *fx = *state;
	struct client *c;

	skip_on_hw();
	c = open_spec(fx->spec);
	expect_reply(c, FAULT_LINES " 3", "line1", 5);
	for (int i = 2; i <= 3; i++) {
		struct client_ret *r = client_read_reply(c);
		char want[16];

		snprintf(want, sizeof(want), "line%d", i);
		assert_non_null(r);
		assert_string_equal(r->ret_data, want);
		client_free_ret(r);
	}
	client_set_timeout(c, 100);
	assert_null(client_read_reply(c));
	assert_int_equal(client_last_error(), CLIENT_ERR_TIMEOUT);
	client_destroy(c);
}

static void test_binary_reply(void **state)
{
	struct fixture *fx = *state;
	struct client *c;
	struct client_ret *r;

	skip_on_hw();
	c = open_spec(fx->spec);
	r = client_send_cmd_reply(c, FAULT_BIN " 1000");
	assert_non_null(r);
	assert_int_equal(r->len, 1000);
	assert_int_equal((unsigned char)r->ret_data[0], 0);
	assert_null(memchr(r->ret_data, '\n', r->len));
	assert_int_equal((unsigned char)r->ret_data[9], 9);
	assert_int_equal((unsigned char)r->ret_data[10], 11); /* 10 is the terminator */
	client_free_ret(r);
	client_destroy(c);
}

static void test_big_reply_and_max_reply(void **state)
{
	struct fixture *fx = *state;
	struct client *c;
	struct client_ret *r;
	char spec[600];

	skip_on_hw();
	c = open_spec(fx->spec);
	r = client_send_cmd_reply(c, FAULT_SIZE " 1048576");
	assert_non_null(r);
	assert_int_equal(r->len, 1048576);
	assert_int_equal(r->ret_data[1048575], 'x');
	client_free_ret(r);
	client_destroy(c);
	snprintf(spec, sizeof(spec), "%s?max_reply=1000", fx->sim.path);
	c = open_spec(spec);
	expect_error(c, FAULT_SIZE " 100000", CLIENT_ERR_TOOLONG, "max_reply=1000");
	/* The rest of the long reply is drained; the next answer is right. */
	usleep(100000);
	expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
	client_destroy(c);
}

static void test_hangup_mid_reply(void **state)
{
	struct fixture *fx = *state;
	struct client *c;
	int64_t t0;

	skip_on_hw();
	c = open_spec(fx->spec);
	expect_error(c, FAULT_HANGUP " half a rep", CLIENT_ERR_GONE, "device gone");
	assert_non_null(strstr(client_last_message(), fx->sim.path));
	/* Fails fast from now on, until destroyed. */
	t0 = sc_clock_now_ns();
	expect_error(c, FAULT_IDN, CLIENT_ERR_GONE, "destroy the handle");
	assert_int_equal(client_send_cmd(c, "X"), CLIENT_ERR_GONE);
	assert_null(client_read_reply(c));
	assert_int_equal(client_last_error(), CLIENT_ERR_GONE);
	assert_true(ms_since(t0) < 500);
	client_destroy(c);
}

static void test_busy(void **state)
{
	struct fixture *fx = *state;
	struct client *a, *b;
	char want[400], spec[600];

	skip_on_hw();
	a = open_spec(fx->spec);
	assert_null(client_init_py(fx->spec));
	assert_int_equal(client_last_error(), CLIENT_ERR_BUSY);
	/* Our own handle holds it: said so, not "another program". */
	snprintf(want, sizeof(want), "%s: port busy (already open in this process", fx->sim.path);
	if (strncmp(client_last_message(), want, strlen(want)) != 0)
		fail_msg("busy message '%s' does not start with '%s'", client_last_message(), want);
	assert_null(strstr(client_last_message(), "held by process"));
	assert_null(strstr(client_last_message(), "another program"));
	/* The first handle is unharmed. */
	expect_reply(a, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
	client_destroy(a);
	/* Released on destroy: the port opens again. */
	b = open_spec(fx->spec);
	client_destroy(b);
	/* exclusive=0 takes no lock, so a shared open works beside it. */
	snprintf(spec, sizeof(spec), "%s?exclusive=0", fx->sim.path);
	a = open_spec(spec);
	b = open_spec(spec);
	client_destroy(a);
	client_destroy(b);
}

/* A busy port held by another process names that process. */
static void test_busy_other_process(void **state)
{
	struct fixture *fx = *state;
	int ready[2], status;
	char byte, want[64];
	pid_t pid;

	skip_on_hw();
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct client *c = client_init_py(fx->spec);

		byte = c ? 'y' : 'n';
		if (write(ready[1], &byte, 1) != 1)
			_exit(1);
		sleep(5);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &byte, 1), 1);
	assert_int_equal(byte, 'y');
	assert_null(client_init_py(fx->spec));
	assert_int_equal(client_last_error(), CLIENT_ERR_BUSY);
	snprintf(want, sizeof(want), "held by process %d", (int)pid);
	if (!strstr(client_last_message(), want))
		fail_msg("busy message '%s' lacks '%s'", client_last_message(), want);
	/* ... and its name, as the system knows it (valgrind renames us; the
	 * child is a fork, so it has our name). */
	{
		char comm[64] = "";
		FILE *f = fopen("/proc/self/comm", "r");

		assert_non_null(f);
		assert_non_null(fgets(comm, sizeof(comm), f));
		fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		assert_non_null(strstr(client_last_message(), comm));
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(ready[0]);
	close(ready[1]);
}

/* Permission denied, seen by an unprivileged user in a child process. */
static void test_permission_denied(void **state)
{
	struct fixture *fx = *state;
	int status;
	pid_t pid;

	skip_on_hw();
	if (geteuid() != 0)
		skip();
	assert_int_equal(chmod(fx->sim.path, 0600), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct client *c;

		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(3);
		c = client_init_py(fx->spec);
		if (c)
			_exit(4);
		if (client_last_error() != CLIENT_ERR_PERM)
			_exit(5);
		if (!strstr(client_last_message(), "dialout") || !strstr(client_last_message(), fx->sim.path))
			_exit(6);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_no_such_port(void **state)
{
	(void)state;
	assert_null(client_init_py("/dev/serialcmd-no-such-port?baud=9600"));
	assert_int_equal(client_last_error(), CLIENT_ERR_NOPORT);
	assert_non_null(strstr(client_last_message(), "/dev/serialcmd-no-such-port"));
	assert_non_null(strstr(client_last_message(), "no such port"));
}

/* Open, use and close, on success and error paths: no fd is left behind,
 * and every fd the library holds is close-on-exec. */
static void test_fds(void **state)
{
	struct fixture *fx = *state;
	int before, during = 0;
	struct client *c;
	DIR *d;
	struct dirent *de;

	skip_on_hw();
	before = count_fds();
	for (int i = 0; i < 50; i++) {
		c = open_spec(fx->spec);
		expect_reply(c, FAULT_IDN, SIM_IDN, strlen(SIM_IDN));
		assert_null(client_init_py(fx->spec)); /* busy path */
		client_destroy(c);
		assert_null(client_init_py("/dev/null"));
		assert_null(client_init_py("/nonexistent"));
	}
	assert_int_equal(count_fds(), before);
	c = open_spec(fx->spec);
	d = opendir("/proc/self/fd");
	assert_non_null(d);
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		char path[300], target[256];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (de->d_name[0] == '.' || n <= 0 || fd == dirfd(d))
			continue;
		target[n] = '\0';
		if (strcmp(target, fx->sim.path) == 0) {
			during++;
			assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		}
	}
	closedir(d);
	assert_int_equal(during, 1);
	client_destroy(c);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Signals during the wait neither cut the reply short nor restart the deadline. */
static void test_signals(void **state)
{
	struct fixture *fx = *state;
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct client *c;
	char spec[600];
	int64_t t0;

	skip_on_hw();
	sigaction(SIGALRM, &sa, &old);
	c = open_spec(fx->spec);
	alarms = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	expect_reply(c, FAULT_LATE " 300 after signals", "after signals", 13);
	client_destroy(c);
	snprintf(spec, sizeof(spec), "%s?timeout_ms=200", fx->sim.path);
	c = open_spec(spec);
	t0 = sc_clock_now_ns();
	expect_error(c, FAULT_SILENT, CLIENT_ERR_TIMEOUT, NULL);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	assert_true(alarms > 3);
	assert_true(ms_since(t0) < 2000);
	client_destroy(c);
}

/* --- the AT modem: unsolicited lines ---------------------------------- */

static int setup_modem(void **state)
{
	static const char *const args[] = { "at-modem", NULL };

	return start(state, args, "?profile=at-modem&timeout_ms=3000");
}

struct modem_lines {
	long ring, creg, other;
};

static void count_modem_line(void *user, const char *line, size_t len)
{
	struct modem_lines *m = user;

	if (len == 4 && strcmp(line, "RING") == 0)
		m->ring++;
	else if (len == 8 && strcmp(line, "+CREG: 1") == 0)
		m->creg++;
	else
		m->other++;
}

/* Commands while the modem sends RING and +CREG: 1 at random (before the
 * echo, between echo and answer, between commands): every reply is the
 * command's own, the callback gets the lines and the count matches. */
static void run_modem(struct client *c, struct modem_lines *m, long commands, long want_lines)
{
	static const struct {
		const char *cmd, *reply;
	} dialogue[] = { { "AT", "OK" }, { "ATI", "SERIALCMD SIM-MODEM 1.0" }, { "AT+CSQ", "+CSQ: 21,99" } };

	long i;

	for (i = 0; i < commands || m->ring + m->creg < want_lines; i++) {
		const size_t k = (size_t)i % ARRAY_SIZE(dialogue);

		expect_reply(c, dialogue[k].cmd, dialogue[k].reply, strlen(dialogue[k].reply));
		if (i > 20000)
			fail_msg("only %ld unsolicited lines in %ld commands", m->ring + m->creg, i);
	}
	assert_int_equal(m->other, 0);
	assert_int_equal(client_unsolicited_count(c), m->ring + m->creg);
	print_message("at-modem: %ld commands, %ld RING and %ld +CREG: 1 to the callback\n",
		      i, m->ring, m->creg);
}

static void test_modem_unsolicited(void **state)
{
	struct fixture *fx = *state;
	struct modem_lines m = { 0 };
	char spec[600];
	struct client *c;

	skip_on_hw();
	c = open_spec(fx->spec);
	assert_int_equal(client_set_unsolicited(c, count_modem_line, &m), CLIENT_OK);
	/* Echo on (the profile's echo=1): both kinds of line arrive. */
	run_modem(c, &m, 600, 10);
	assert_true(m.ring > 0 || m.creg > 0);
	/* ATE0 is echoed (echo was on when it came), then the echo stops. */
	expect_reply(c, "ATE0", "OK", 2);
	client_destroy(c);
	snprintf(spec, sizeof(spec), "%s&echo=0", fx->spec);
	c = open_spec(spec);
	memset(&m, 0, sizeof(m));
	assert_int_equal(client_set_unsolicited(c, count_modem_line, &m), CLIENT_OK);
	run_modem(c, &m, 300, 3);
	expect_reply(c, "ATE1", "OK", 2);
	client_destroy(c);
	c = open_spec(fx->spec);
	memset(&m, 0, sizeof(m));
	assert_int_equal(client_set_unsolicited(c, count_modem_line, &m), CLIENT_OK);
	run_modem(c, &m, 300, 3);
	client_destroy(c);
}

/* The same modem without unsolicited=: sooner or later a RING or +CREG: is
 * taken for an echo or a reply. This is what the test above would see
 * without the key, so it can fail. */
static void test_modem_without_unsolicited_key(void **state)
{
	struct fixture *fx = *state;
	char spec[600];
	struct client *c;
	long wrong = 0, i;

	skip_on_hw();
	snprintf(spec, sizeof(spec), "%s&unsolicited=", fx->spec);
	c = open_spec(spec);
	for (i = 0; i < 20000 && !wrong; i++) {
		struct client_ret *r = client_send_cmd_reply(c, "AT");

		if (!r || strcmp(r->ret_data, "OK") != 0)
			wrong++;
		client_free_ret(r);
	}
	assert_true(wrong > 0);
	client_destroy(c);
}

/* --- a real adapter with a jumper plug (make check-hw) ----------------- */

static void hw_only(void)
{
	if (!hw_port())
		skip();
}

/* USB adapters report the modem lines in their status packets (FTDI: at
 * each latency-timer tick), so a change shows up a little later: wait for
 * it, at most 100 polls of 10 ms. Returns the last mask read. */
static int wait_signals(struct client *c, int bit, int want)
{
	int mask = 0;

	for (int i = 0; i < 100; i++) {
		mask = client_get_signals(c);
		if (mask < 0)
			fail_msg("client_get_signals: %s", client_last_message());
		if (!!(mask & bit) == want)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000L }, NULL);
	}
	return mask;
}

/* RTS drives CTS and DTR drives DSR through the plug, both ways. */
static void test_hw_lines(void **state)
{
	struct fixture *fx = *state;

	hw_only();
	fx->c = open_spec(fx->spec);
	for (int on = 1; on >= 0; on--) {
		if (client_set_rts(fx->c, on) != CLIENT_OK)
			fail_msg("RTS %s: %s", on ? "on" : "off", client_last_message());
		if (!!(wait_signals(fx->c, CLIENT_SIG_CTS, on) & CLIENT_SIG_CTS) != on)
			fail_msg("RTS %s, CTS did not follow (is RTS jumpered to CTS?)", on ? "on" : "off");
		if (client_set_dtr(fx->c, on) != CLIENT_OK)
			fail_msg("DTR %s: %s", on ? "on" : "off", client_last_message());
		if (!!(wait_signals(fx->c, CLIENT_SIG_DSR, on) & CLIENT_SIG_DSR) != on)
			fail_msg("DTR %s, DSR did not follow (is DTR jumpered to DSR?)", on ? "on" : "off");
	}
	/* The data path still echoes. */
	expect_reply(fx->c, "after lines", "after lines", 11);
	client_destroy(fx->c);
	fx->c = NULL;
	/* dtr= and rts= at open. */
	{
		char spec[sizeof(fx->spec) + 32];

		snprintf(spec, sizeof(spec), "%s&dtr=0&rts=1", fx->spec);
		fx->c = open_spec(spec);
		assert_true(wait_signals(fx->c, CLIENT_SIG_CTS, 1) & CLIENT_SIG_CTS);
		assert_false(wait_signals(fx->c, CLIENT_SIG_DSR, 0) & CLIENT_SIG_DSR);
		client_destroy(fx->c);
		fx->c = NULL;
	}
}

/* A break on TX comes back on RX as a break: raw mode (no IGNBRK, BRKINT
 * or PARMRK, as libserialport and the termios backend set it) reads it as
 * NUL bytes, and nothing else. */
static void test_hw_break(void **state)
{
	struct fixture *fx = *state;
	struct client_ret *r;

	hw_only();
	fx->c = open_spec(fx->spec);
	if (client_send_break(fx->c, 100) != CLIENT_OK)
		fail_msg("break: %s", client_last_message());
	r = client_read_n(fx->c, 1, NULL, 0);
	if (!r)
		fail_msg("no byte after a break: %s", client_last_message());
	assert_int_equal(r->len, 1);
	assert_int_equal(r->ret_data[0], '\0');
	client_free_ret(r);
	nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000000L }, NULL);
	r = client_read_available(fx->c);
	assert_non_null(r);
	for (size_t i = 0; i < r->len; i++)
		assert_int_equal(r->ret_data[i], '\0');
	client_free_ret(r);
	expect_reply(fx->c, "after break", "after break", 11);
	client_destroy(fx->c);
	fx->c = NULL;
}

/* The port's own termios and serial flags, read through a second
 * descriptor (the handle is open with exclusive=0, or closed). */
static void hw_flags(int *hupcl, int *low_latency)
{
	int fd = open(hw_port(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	struct serial_struct ss;
	struct termios t;

	assert_true(fd >= 0);
	assert_int_equal(tcgetattr(fd, &t), 0);
	*hupcl = !!(t.c_cflag & HUPCL);
	memset(&ss, 0, sizeof(ss));
	*low_latency = ioctl(fd, TIOCGSERIAL, &ss) == 0 ? !!(ss.flags & ASYNC_LOW_LATENCY) : -1;
	close(fd);
}

/* low_latency=1 reaches the driver (ASYNC_LOW_LATENCY; ftdi_sio then sets
 * the latency timer to 1 ms), or the open says the driver has no such
 * setting; low_latency=0 clears it. */
static void test_hw_low_latency(void **state)
{
	struct fixture *fx = *state;
	char spec[sizeof(fx->spec) + 48];
	int hupcl, low;

	hw_only();
	snprintf(spec, sizeof(spec), "%s&exclusive=0&low_latency=1", fx->spec);
	fx->c = client_init_py(spec);
	if (!fx->c) {
		assert_int_equal(client_last_error(), CLIENT_ERR_UNSUPPORTED);
		fprintf(stderr, "check-hw: this adapter's driver has no low latency: %s\n",
			client_last_message());
		return;
	}
	hw_flags(&hupcl, &low);
	assert_int_equal(low, 1);
	expect_reply(fx->c, "fast", "fast", 4);
	client_destroy(fx->c);
	fx->c = NULL;
	snprintf(spec, sizeof(spec), "%s&exclusive=0&low_latency=0", fx->spec);
	fx->c = open_spec(spec);
	hw_flags(&hupcl, &low);
	assert_int_equal(low, 0);
	client_destroy(fx->c);
	fx->c = NULL;
}

/* hupcl=0 clears HUPCL on the real tty, and the flag stays after close, so
 * the next open finds DTR still high (a jumper on the same port cannot see
 * the line while it is closed: that edge is what a board would see);
 * hupcl=1 sets it again. */
static void test_hw_hupcl(void **state)
{
	struct fixture *fx = *state;
	char spec[sizeof(fx->spec) + 32];
	int hupcl, low;

	hw_only();
	snprintf(spec, sizeof(spec), "%s&hupcl=0", fx->spec);
	fx->c = open_spec(spec);
	client_destroy(fx->c);
	fx->c = NULL;
	hw_flags(&hupcl, &low);
	assert_int_equal(hupcl, 0);
	snprintf(spec, sizeof(spec), "%s&hupcl=1", fx->spec);
	fx->c = open_spec(spec);
	client_destroy(fx->c);
	fx->c = NULL;
	hw_flags(&hupcl, &low);
	assert_int_equal(hupcl, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo_round_trips, setup_echo, teardown),
		cmocka_unit_test_setup_teardown(test_echo_crlf, setup_echo_crlf, teardown),
		cmocka_unit_test_setup_teardown(test_echo_long_command, setup_echo, teardown),
		cmocka_unit_test_setup_teardown(test_echo_write_then_read, setup_echo, teardown),
		cmocka_unit_test_setup_teardown(test_echo_threads, setup_echo, teardown),
		cmocka_unit_test_setup_teardown(test_hw_lines, setup_echo, teardown),
		cmocka_unit_test_setup_teardown(test_hw_break, setup_echo, teardown),
		cmocka_unit_test_setup_teardown(test_hw_low_latency, setup_echo, teardown),
		cmocka_unit_test_setup_teardown(test_hw_hupcl, setup_echo, teardown),
		cmocka_unit_test_setup_teardown(test_late_answer, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_split_bytes, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_before_command, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_never_answers, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_trickle_cannot_extend_deadline, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_answers_twice, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_multi_line, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_binary_reply, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_big_reply_and_max_reply, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_hangup_mid_reply, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_busy_other_process, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_permission_denied, setup_faulty, teardown),
		cmocka_unit_test(test_no_such_port),
		cmocka_unit_test_setup_teardown(test_fds, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_signals, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_racing_commands, setup_faulty, teardown),
		cmocka_unit_test_setup_teardown(test_modem_unsolicited, setup_modem, teardown),
		cmocka_unit_test_setup_teardown(test_modem_without_unsolicited_key, setup_modem, teardown),
	};

	return cmocka_run_group_tests_name("pty devices", tests, NULL, NULL);
}
