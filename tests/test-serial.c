/* SPDX-License-Identifier: MIT */
/* test-serial.c - unit tests of the libserialport backend: the sp_* calls are
 * mocked with -Wl,--wrap, while a real pseudo-terminal gives the backend a
 * path to stat, lock and poll, so only libserialport itself is faked. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libserialport.h>

#include "expect.h"
#include "serialcmd.h"

#define TIMEOUT_MS 200	     /* per command, where nothing is meant to wait */
#define SHORT_TIMEOUT_MS 100 /* where the deadline is meant to pass */
#define IDLE_SLICE_MS 7	     /* a stalled read or write returns 0 after this */
#define WRITE_ALL 4096	     /* will_write(): take everything offered */

/* What one sp_blocking_read_next() call does, queued with will_return(). */
enum read_step { RD_DATA, RD_FAIL, RD_HANGUP, RD_STALL };

struct fixture {
	int master; /* the device side; -1 once closed (hung up) */
	int slave;  /* what sp_get_port_handle() hands out */
	char path[PATH_MAX];
	unsigned int timeout_ms; /* as configured: bounds every timeout passed down */

	/* Injected results of the open-time calls (SP_OK: succeed). */
	enum sp_return by_name_ret, open_ret, handle_ret, baud_ret;
	int open_errno;
	/* Set: reads / writes get nothing, returning 0 after IDLE_SLICE_MS;
	 * a queued RD_STALL sets read_stall. */
	int read_stall, write_stall;

	/* What the backend did. */
	int n_by_name, n_open, n_close, n_free, n_reads, n_read_nows, n_writes;
	int allocated; /* port structs handed out, not yet freed */
	int is_open;   /* between a successful sp_open() and sp_close() */
	int baud, bits, stop;
	enum sp_parity parity;
	enum sp_flowcontrol flow;
	unsigned int min_timeout, max_timeout;
	char written[256];
	size_t written_len;

	/* Line calls, in order, as text: "dtr=1 rts=0 signals brk+ brk- ". */
	char lines[256];
	enum sp_return line_ret;      /* what the next line call returns (SP_OK) */
	int line_errno;		      /* with SP_ERR_FAIL */
	enum sp_return end_break_ret; /* sp_end_break() alone */
	enum sp_signal signals;	      /* what sp_get_signals() reports */
};

static struct fixture fx;
static int dummy_port_object;
#define DUMMY_PORT ((struct sp_port *)(void *)&dummy_port_object)

/* ---- mocks of libserialport ---- */

enum sp_return __wrap_sp_get_port_by_name(const char *portname, struct sp_port **port_ptr);
enum sp_return __wrap_sp_open(struct sp_port *port, enum sp_mode flags);
enum sp_return __wrap_sp_close(struct sp_port *port);
void __wrap_sp_free_port(struct sp_port *port);
enum sp_return __wrap_sp_get_port_handle(const struct sp_port *port, void *result_ptr);
enum sp_return __wrap_sp_set_baudrate(struct sp_port *port, int baudrate);
enum sp_return __wrap_sp_set_bits(struct sp_port *port, int bits);
enum sp_return __wrap_sp_set_parity(struct sp_port *port, enum sp_parity parity);
enum sp_return __wrap_sp_set_stopbits(struct sp_port *port, int stopbits);
enum sp_return __wrap_sp_set_flowcontrol(struct sp_port *port, enum sp_flowcontrol flowcontrol);
enum sp_return __wrap_sp_blocking_read_next(struct sp_port *port, void *buf, size_t count,
					    unsigned int timeout_ms);
enum sp_return __wrap_sp_nonblocking_read(struct sp_port *port, void *buf, size_t count);
enum sp_return __wrap_sp_blocking_write(struct sp_port *port, const void *buf, size_t count,
					unsigned int timeout_ms);
enum sp_return __wrap_sp_set_dtr(struct sp_port *port, enum sp_dtr dtr);
enum sp_return __wrap_sp_set_rts(struct sp_port *port, enum sp_rts rts);
enum sp_return __wrap_sp_get_signals(struct sp_port *port, enum sp_signal *signal_mask);
enum sp_return __wrap_sp_start_break(struct sp_port *port);
enum sp_return __wrap_sp_end_break(struct sp_port *port);

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libserialport reads 0 as "wait forever": the backend must never pass it,
 * nor more than what is left of the command's deadline. */
static void note_timeout(unsigned int ms)
{
	assert_in_range(ms, 1, fx.timeout_ms);
	if (ms < fx.min_timeout)
		fx.min_timeout = ms;
	if (ms > fx.max_timeout)
		fx.max_timeout = ms;
}

static void hang_up(void)
{
	if (fx.master >= 0)
		close(fx.master);
	fx.master = -1;
}

enum sp_return __wrap_sp_get_port_by_name(const char *portname, struct sp_port **port_ptr)
{
	char real[PATH_MAX];

	fx.n_by_name++;
	assert_non_null(realpath(fx.path, real));
	assert_string_equal(portname, real);
	*port_ptr = NULL;
	if (fx.by_name_ret != SP_OK)
		return fx.by_name_ret;
	*port_ptr = DUMMY_PORT;
	fx.allocated++;
	return SP_OK;
}

enum sp_return __wrap_sp_open(struct sp_port *port, enum sp_mode flags)
{
	fx.n_open++;
	assert_ptr_equal(port, DUMMY_PORT);
	assert_int_equal(flags, SP_MODE_READ_WRITE);
	assert_false(fx.is_open);
	if (fx.open_ret != SP_OK) {
		errno = fx.open_errno; /* sp_last_error_code() returns errno */
		return fx.open_ret;
	}
	fx.is_open = 1;
	return SP_OK;
}

enum sp_return __wrap_sp_close(struct sp_port *port)
{
	fx.n_close++;
	assert_ptr_equal(port, DUMMY_PORT);
	assert_true(fx.is_open);
	fx.is_open = 0;
	return SP_OK;
}

void __wrap_sp_free_port(struct sp_port *port)
{
	fx.n_free++;
	assert_ptr_equal(port, DUMMY_PORT);
	assert_false(fx.is_open);
	fx.allocated--;
}

enum sp_return __wrap_sp_get_port_handle(const struct sp_port *port, void *result_ptr)
{
	assert_ptr_equal(port, DUMMY_PORT);
	assert_true(fx.is_open);
	if (fx.handle_ret != SP_OK)
		return fx.handle_ret;
	*(int *)result_ptr = fx.slave;
	return SP_OK;
}

enum sp_return __wrap_sp_set_baudrate(struct sp_port *port, int baudrate)
{
	assert_ptr_equal(port, DUMMY_PORT);
	assert_true(fx.is_open);
	fx.baud = baudrate;
	return fx.baud_ret;
}

enum sp_return __wrap_sp_set_bits(struct sp_port *port, int bits)
{
	assert_ptr_equal(port, DUMMY_PORT);
	fx.bits = bits;
	return SP_OK;
}

enum sp_return __wrap_sp_set_parity(struct sp_port *port, enum sp_parity parity)
{
	assert_ptr_equal(port, DUMMY_PORT);
	fx.parity = parity;
	return SP_OK;
}

enum sp_return __wrap_sp_set_stopbits(struct sp_port *port, int stopbits)
{
	assert_ptr_equal(port, DUMMY_PORT);
	fx.stop = stopbits;
	return SP_OK;
}

enum sp_return __wrap_sp_set_flowcontrol(struct sp_port *port, enum sp_flowcontrol flowcontrol)
{
	assert_ptr_equal(port, DUMMY_PORT);
	fx.flow = flowcontrol;
	return SP_OK;
}

enum sp_return __wrap_sp_blocking_read_next(struct sp_port *port, void *buf, size_t count,
					    unsigned int timeout_ms)
{
	const char *data;
	size_t len;
	int errnum;

	assert_ptr_equal(port, DUMMY_PORT);
	assert_true(fx.is_open);
	assert_true(count > 0);
	note_timeout(timeout_ms);
	fx.n_reads++;
	if (fx.read_stall) {
		sleep_ms(timeout_ms < IDLE_SLICE_MS ? timeout_ms : IDLE_SLICE_MS);
		return SP_OK;
	}
	switch (mock_type(int)) {
	case RD_DATA:
		data = mock_ptr_type(const char *);
		len = strlen(data);
		assert_true(len > 0 && len <= count);
		memcpy(buf, data, len);
		return (enum sp_return)len;
	case RD_HANGUP:
		/* read() gives 0 at once on a hung-up line, as on a timeout. */
		hang_up();
		return SP_OK;
	case RD_STALL:
		fx.read_stall = 1;
		sleep_ms(timeout_ms < IDLE_SLICE_MS ? timeout_ms : IDLE_SLICE_MS);
		return SP_OK;
	default:
		errnum = mock_type(int);
		errno = errnum;
		return SP_ERR_FAIL;
	}
}

enum sp_return __wrap_sp_nonblocking_read(struct sp_port *port, void *buf, size_t count)
{
	const char *data;
	size_t len;

	assert_ptr_equal(port, DUMMY_PORT);
	assert_true(fx.is_open);
	fx.n_read_nows++;
	data = mock_ptr_type(const char *);
	len = strlen(data);
	assert_true(len <= count);
	memcpy(buf, data, len);
	return (enum sp_return)len;
}

enum sp_return __wrap_sp_blocking_write(struct sp_port *port, const void *buf, size_t count,
					unsigned int timeout_ms)
{
	int step;
	size_t n;

	assert_ptr_equal(port, DUMMY_PORT);
	assert_true(fx.is_open);
	assert_true(count > 0);
	note_timeout(timeout_ms);
	fx.n_writes++;
	if (fx.write_stall) {
		sleep_ms(timeout_ms < IDLE_SLICE_MS ? timeout_ms : IDLE_SLICE_MS);
		return SP_OK;
	}
	/* > 0: take up to that many bytes; < 0: fail with errno -step. */
	step = mock_type(int);
	if (step < 0) {
		errno = -step;
		return SP_ERR_FAIL;
	}
	n = count < (size_t)step ? count : (size_t)step;
	assert_true(fx.written_len + n <= sizeof(fx.written));
	memcpy(fx.written + fx.written_len, buf, n);
	fx.written_len += n;
	return (enum sp_return)n;
}

/* The line calls: each logged in order, each answering line_ret. */
static enum sp_return line_call(struct sp_port *port, const char *what)
{
	assert_ptr_equal(port, DUMMY_PORT);
	assert_true(fx.is_open);
	assert_true(strlen(fx.lines) + strlen(what) + 2 < sizeof(fx.lines));
	strcat(fx.lines, what);
	strcat(fx.lines, " ");
	if (fx.line_ret == SP_ERR_FAIL)
		errno = fx.line_errno;
	return fx.line_ret;
}

enum sp_return __wrap_sp_set_dtr(struct sp_port *port, enum sp_dtr dtr)
{
	assert_true(dtr == SP_DTR_ON || dtr == SP_DTR_OFF);
	return line_call(port, dtr == SP_DTR_ON ? "dtr=1" : "dtr=0");
}

enum sp_return __wrap_sp_set_rts(struct sp_port *port, enum sp_rts rts)
{
	assert_true(rts == SP_RTS_ON || rts == SP_RTS_OFF);
	return line_call(port, rts == SP_RTS_ON ? "rts=1" : "rts=0");
}

enum sp_return __wrap_sp_get_signals(struct sp_port *port, enum sp_signal *signal_mask)
{
	enum sp_return r = line_call(port, "signals");

	if (r == SP_OK)
		*signal_mask = fx.signals;
	return r;
}

enum sp_return __wrap_sp_start_break(struct sp_port *port)
{
	return line_call(port, "brk+");
}

enum sp_return __wrap_sp_end_break(struct sp_port *port)
{
	enum sp_return r = line_call(port, "brk-");

	if (r != SP_OK)
		return r;
	if (fx.end_break_ret == SP_ERR_FAIL)
		errno = fx.line_errno;
	return fx.end_break_ret;
}

/* ---- scripting the mocks ---- */

static void will_read(const char *bytes)
{
	will_return(__wrap_sp_blocking_read_next, RD_DATA);
	will_return(__wrap_sp_blocking_read_next, cast_ptr_to_largest_integral_type(bytes));
}

static void will_read_fail(int errnum)
{
	will_return(__wrap_sp_blocking_read_next, RD_FAIL);
	will_return(__wrap_sp_blocking_read_next, errnum);
}

static void will_read_hangup(void)
{
	will_return(__wrap_sp_blocking_read_next, RD_HANGUP);
}

/* From this read on, nothing more arrives (until read_stall is cleared). */
static void will_read_stall(void)
{
	will_return(__wrap_sp_blocking_read_next, RD_STALL);
}

/* One sp_nonblocking_read() result: the bytes, "" for none. */
static void will_read_now(const char *bytes)
{
	will_return(__wrap_sp_nonblocking_read, cast_ptr_to_largest_integral_type(bytes));
}

static void will_write(int step)
{
	will_return(__wrap_sp_blocking_write, step);
}

/* The usual start of a command: no stale input, the write goes through. */
static void will_send(void)
{
	will_read_now("");
	will_write(WRITE_ALL);
}

/* ---- helpers ---- */

static struct client *open_client(unsigned int timeout_ms, const char *options)
{
	char spec[PATH_MAX + 128];
	struct client *c;

	snprintf(spec, sizeof(spec), "%s?timeout_ms=%u%s", fx.path, timeout_ms, options);
	fx.timeout_ms = timeout_ms;
	c = client_init_py(spec);
	if (!c)
		fail_msg("open %s: %s: %s", spec, client_error_name(client_last_error()),
			 client_last_message());
	return c;
}

static void assert_message_has(const char *part)
{
	if (!strstr(client_last_message(), part))
		fail_msg("message \"%s\" lacks \"%s\"", client_last_message(), part);
}

static void assert_last_error(int code)
{
	assert_string_equal(client_error_name(client_last_error()), client_error_name(code));
}

static void expect_ret(struct client_ret *ret, const char *want)
{
	if (!ret)
		fail_msg("no reply: %s: %s", client_error_name(client_last_error()), client_last_message());
	assert_int_equal(ret->len, strlen(want));
	assert_memory_equal(ret->ret_data, want, ret->len);
	assert_int_equal(ret->ret_data[ret->len], '\0');
	assert_int_equal(client_last_error(), CLIENT_OK);
	client_free_ret(ret);
}

static void expect_failure(struct client_ret *ret, int code, const char *part)
{
	if (ret) {
		client_free_ret(ret);
		fail_msg("expected %s, got a reply", client_error_name(code));
	}
	assert_last_error(code);
	assert_message_has(fx.path);
	if (part)
		assert_message_has(part);
}

static void assert_written(const char *want)
{
	assert_int_equal(fx.written_len, strlen(want));
	assert_memory_equal(fx.written, want, fx.written_len);
}

/* After a device went away every call fails at once, touching nothing. */
static void assert_fails_fast(struct client *c)
{
	int reads = fx.n_reads, read_nows = fx.n_read_nows, writes = fx.n_writes;

	expect_failure(client_send_cmd_reply(c, "*IDN?"), CLIENT_ERR_GONE, "gone earlier");
	assert_int_equal(client_send_cmd(c, "*IDN?"), CLIENT_ERR_GONE);
	expect_failure(client_read_reply(c), CLIENT_ERR_GONE, "gone earlier");
	assert_int_equal(fx.n_reads, reads);
	assert_int_equal(fx.n_read_nows, read_nows);
	assert_int_equal(fx.n_writes, writes);
}

/* 1 when a new open file could take the port's flock now. */
static int port_lock_free(void)
{
	int fd = open(fx.path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	int free_now;

	if (fd < 0)
		return 0; /* TIOCEXCL keeps non-root users out */
	free_now = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);
	return free_now;
}

static int port_tiocexcl(void)
{
	int on = -1;

	assert_int_equal(ioctl(fx.slave, TIOCGEXCL, &on), 0);
	return on;
}

/* An open that failed left nothing behind: port struct, sp_open, lock fd, TIOCEXCL. */
static void assert_open_unwound(int fds_before, int opened)
{
	assert_int_equal(fx.n_by_name, 1);
	assert_int_equal(fx.n_open, 1);
	assert_int_equal(fx.n_close, opened);
	assert_int_equal(fx.n_free, 1);
	assert_int_equal(fx.allocated, 0);
	assert_false(fx.is_open);
	assert_int_equal(count_fds(), fds_before);
	assert_true(port_lock_free());
	assert_int_equal(port_tiocexcl(), 0);
}

/* ---- fixture ---- */

static int setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	fx.master = fx.slave = -1;
	if (openpty(&fx.master, &fx.slave, NULL, NULL, NULL) != 0)
		return -1;
	if (ttyname_r(fx.slave, fx.path, sizeof(fx.path)) != 0)
		return -1;
	fx.timeout_ms = TIMEOUT_MS;
	fx.min_timeout = UINT_MAX;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int leaked = f->allocated != 0 || f->is_open;

	if (f->master >= 0)
		close(f->master);
	if (f->slave >= 0)
		close(f->slave);
	f->master = f->slave = -1;
	if (leaked)
		fprintf(stderr, "port struct or sp_open left behind\n");
	return leaked ? -1 : 0;
}

/* ---- reads ---- */

static void test_reply_one_byte_per_read(void **state)
{
	struct client *c;

	(void)state;
	c = open_client(TIMEOUT_MS, "");
	will_send();
	will_read("O");
	will_read("K");
	will_read("\n");
	expect_ret(client_send_cmd_reply(c, "*IDN?"), "OK");
	assert_written("*IDN?\n");
	assert_int_equal(fx.n_reads, 3);
	client_destroy(c);
}

static void test_reply_crlf_split(void **state)
{
	struct client *c;

	(void)state;
	c = open_client(TIMEOUT_MS, "&eol=CRLF");
	/* A lone CR is data; the terminator is split across reads. */
	will_send();
	will_read("A\r");
	will_read("B\r");
	will_read("\n");
	expect_ret(client_send_cmd_reply(c, "Q1"), "A\rB");
	/* A second reply starts in the read that ends the first. */
	will_send();
	will_read("OK\r");
	will_read("\nNE");
	expect_ret(client_send_cmd_reply(c, "Q2"), "OK");
	will_read("XT\r");
	will_read("\n");
	expect_ret(client_read_reply(c), "NEXT");
	assert_written("Q1\r\nQ2\r\n");
	assert_int_equal(fx.n_reads, 7);
	client_destroy(c);
}

static void test_read_eintr(void **state)
{
	struct client *c;

	(void)state;
	c = open_client(TIMEOUT_MS, "");
	will_send();
	will_read_fail(EINTR);
	will_read("O");
	will_read_fail(EAGAIN);
	will_read("K\n");
	expect_ret(client_send_cmd_reply(c, "READ?"), "OK");
	assert_int_equal(fx.n_reads, 4);
	client_destroy(c);
}

static void test_read_timeout(void **state)
{
	struct client *c;
	int64_t start, took;

	(void)state;
	/* The mocks script each read; no settling reads after the timeout
	 * (settle_ms=0: test-ownreply tests the settle rule on a real pty). */
	c = open_client(SHORT_TIMEOUT_MS, "&settle_ms=0");
	will_send();
	will_read("abc");
	will_read_stall();
	start = now_ms();
	expect_failure(client_send_cmd_reply(c, "SLOW?"), CLIENT_ERR_TIMEOUT, "timeout after 100 ms");
	took = now_ms() - start;
	assert_message_has("3 bytes received");
	assert_message_has("\"abc\"");
	assert_message_has("terminator \"\\n\"");
	/* The whole deadline was waited for, in several reads, none of them
	 * asking for 0 ms (forever) or for more than was left. */
	assert_in_range(took, SHORT_TIMEOUT_MS - 5, SHORT_TIMEOUT_MS + 1000);
	assert_true(fx.n_reads > 2);
	assert_true(fx.min_timeout < fx.max_timeout);

	/* Nothing at all: "no reply". */
	will_send();
	expect_failure(client_send_cmd_reply(c, "SLOW?"), CLIENT_ERR_TIMEOUT, "no reply");
	assert_message_has("timeout");

	/* The partial "abc" is not taken for part of the next reply. */
	fx.read_stall = 0;
	will_send();
	will_read("OK\n");
	expect_ret(client_send_cmd_reply(c, "FAST?"), "OK");
	client_destroy(c);
}

static void test_read_hangup(void **state)
{
	struct client *c;

	(void)state;
	c = open_client(TIMEOUT_MS, "");
	will_send();
	will_read("par");
	will_read_hangup();
	expect_failure(client_send_cmd_reply(c, "*IDN?"), CLIENT_ERR_GONE, "hang-up");
	assert_int_equal(fx.n_reads, 2);
	assert_fails_fast(c);
	client_destroy(c);
	assert_int_equal(fx.n_close, 1);
	assert_int_equal(fx.n_free, 1);
}

static void test_read_eio(void **state)
{
	struct client *c;

	(void)state;
	c = open_client(TIMEOUT_MS, "");
	will_send();
	will_read_fail(EIO);
	expect_failure(client_send_cmd_reply(c, "*IDN?"), CLIENT_ERR_GONE, strerror(EIO));
	assert_message_has("device gone");
	assert_fails_fast(c);
	client_destroy(c);
}

static void test_read_einval(void **state)
{
	struct client *c;
	char want[128];

	(void)state;
	c = open_client(TIMEOUT_MS, "");
	will_send();
	will_read_fail(EINVAL);
	snprintf(want, sizeof(want), "read: %s", strerror(EINVAL));
	expect_failure(client_send_cmd_reply(c, "*IDN?"), CLIENT_ERR_IO, want);
	/* Not a hang-up: the handle keeps working. */
	will_send();
	will_read("OK\n");
	expect_ret(client_send_cmd_reply(c, "*IDN?"), "OK");
	client_destroy(c);
}

/* ---- writes ---- */

static void test_write_one_byte_per_call(void **state)
{
	const char *cmd = "MEAS:VOLT?";
	struct client *c;

	(void)state;
	c = open_client(TIMEOUT_MS, "&write_eol=CRLF");
	will_read_now("");
	will_return_count(__wrap_sp_blocking_write, 1, (int)strlen(cmd) + 2);
	will_read("1.5\n");
	expect_ret(client_send_cmd_reply(c, cmd), "1.5");
	assert_written("MEAS:VOLT?\r\n");
	assert_int_equal(fx.n_writes, (int)strlen(cmd) + 2);
	client_destroy(c);
}

static void test_write_eintr(void **state)
{
	struct client *c;

	(void)state;
	c = open_client(TIMEOUT_MS, "");
	will_read_now("");
	will_write(-EINTR);
	will_write(2);
	will_write(-EAGAIN);
	will_write(WRITE_ALL);
	will_read("OK\n");
	expect_ret(client_send_cmd_reply(c, "RST"), "OK");
	assert_written("RST\n");
	assert_int_equal(fx.n_writes, 4);
	client_destroy(c);
}

static void test_write_eio(void **state)
{
	struct client *c;

	(void)state;
	c = open_client(TIMEOUT_MS, "");
	will_read_now("");
	will_write(-EIO);
	expect_failure(client_send_cmd_reply(c, "*IDN?"), CLIENT_ERR_GONE, "write");
	assert_message_has(strerror(EIO));
	assert_int_equal(fx.n_reads, 0);
	assert_fails_fast(c);
	client_destroy(c);
}

static void test_write_stalled(void **state)
{
	struct client *c;
	int64_t start, took;

	(void)state;
	c = open_client(SHORT_TIMEOUT_MS, "");
	will_read_now("");
	fx.write_stall = 1;
	start = now_ms();
	assert_int_equal(client_send_cmd(c, "*IDN?"), CLIENT_ERR_TIMEOUT);
	took = now_ms() - start;
	assert_last_error(CLIENT_ERR_TIMEOUT);
	assert_message_has("timeout after 100 ms writing the command");
	assert_in_range(took, SHORT_TIMEOUT_MS - 5, SHORT_TIMEOUT_MS + 1000);
	assert_true(fx.n_writes > 2);
	assert_true(fx.min_timeout < fx.max_timeout);
	assert_int_equal(fx.n_reads, 0);
	assert_int_equal(fx.written_len, 0);
	client_destroy(c);
}

/* ---- stale input ---- */

static void test_stale_input_dropped(void **state)
{
	struct client *c;

	(void)state;
	/* settle_ms=0: no waiting for the rest of the cut "\x01\x02" line,
	 * whose reads the mocks would have to script (test-ownreply tests the
	 * rule on a real pty). */
	c = open_client(TIMEOUT_MS, "&settle_ms=0");
	will_read_now("JUNK1\n");
	will_read_now("JUNK2\n\x01\x02");
	will_read_now("");
	will_write(WRITE_ALL);
	will_read("A\nB");
	expect_ret(client_send_cmd_reply(c, "Q1"), "A");
	assert_int_equal(fx.n_read_nows, 3);
	/* "B", left over from the last reply, is stale for the next command. */
	will_send();
	will_read("C\n");
	expect_ret(client_send_cmd_reply(c, "Q2"), "C");
	assert_written("Q1\nQ2\n");
	client_destroy(c);
}

/* ---- open ---- */

static void test_open_eacces(void **state)
{
	int fds = count_fds();

	(void)state;
	fx.open_ret = SP_ERR_FAIL;
	fx.open_errno = EACCES;
	assert_null(client_init_py(fx.path));
	assert_last_error(CLIENT_ERR_PERM);
	assert_message_has(fx.path);
	assert_message_has("dialout");
	assert_open_unwound(fds, 0);
}

static void test_open_ebusy(void **state)
{
	int fds = count_fds();

	(void)state;
	fx.open_ret = SP_ERR_FAIL;
	fx.open_errno = EBUSY;
	assert_null(client_init_py(fx.path));
	assert_last_error(CLIENT_ERR_BUSY);
	assert_message_has(fx.path);
	assert_message_has("port busy");
	{
		char self[64];

		/* Our own lock is gone before the holder is looked up. */
		snprintf(self, sizeof(self), "process %d ", (int)getpid());
		assert_null(strstr(client_last_message(), self));
	}
	assert_open_unwound(fds, 0);
}

static void test_open_locked(void **state)
{
	int fds, holder;

	int ready[2], status;
	char byte;
	pid_t pid;

	(void)state;
	/* Held by this process: said so. */
	holder = open(fx.path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	assert_true(holder >= 0);
	assert_int_equal(flock(holder, LOCK_EX | LOCK_NB), 0);
	assert_null(client_init_py(fx.path));
	assert_last_error(CLIENT_ERR_BUSY);
	assert_message_has("already open in this process");
	close(holder);
	assert_true(port_lock_free());
	fx.n_free = 0;
	/* Held by another program. */
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(fx.path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

		byte = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 ? 'y' : 'n';
		if (write(ready[1], &byte, 1) != 1)
			_exit(1);
		sleep(10);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &byte, 1), 1);
	assert_int_equal(byte, 'y');
	fds = count_fds();
	assert_null(client_init_py(fx.path));
	assert_last_error(CLIENT_ERR_BUSY);
	assert_message_has("locked by another program");
	/* Refused before sp_open() touched the port. */
	assert_int_equal(fx.n_open, 0);
	assert_int_equal(fx.n_close, 0);
	assert_int_equal(fx.n_free, 1);
	assert_int_equal(fx.allocated, 0);
	assert_int_equal(count_fds(), fds);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(ready[0]);
	close(ready[1]);
	assert_true(port_lock_free());
}

static void test_baud_unsupported(void **state)
{
	int fds = count_fds();

	(void)state;
	fx.baud_ret = SP_ERR_SUPP;
	assert_null(client_init_py(fx.path));
	assert_last_error(CLIENT_ERR_OPTION);
	assert_message_has("setting baud (9600)");
	assert_message_has("the port does not accept it");
	assert_int_equal(fx.baud, 9600);
	assert_open_unwound(fds, 1);
}

static void test_baud_bad_argument(void **state)
{
	int fds = count_fds();

	(void)state;
	fx.baud_ret = SP_ERR_ARG;
	assert_null(client_init_py(fx.path));
	assert_last_error(CLIENT_ERR_OPTION);
	assert_message_has(fx.path);
	assert_message_has("setting baud");
	assert_open_unwound(fds, 1);
}

static void test_no_descriptor(void **state)
{
	int fds = count_fds();

	(void)state;
	fx.handle_ret = SP_ERR_ARG;
	assert_null(client_init_py(fx.path));
	assert_last_error(CLIENT_ERR_IO);
	assert_message_has("no descriptor");
	assert_open_unwound(fds, 1);
}

static void test_fallback_to_termios(void **state)
{
	struct client *c;
	char got[16];
	size_t n = 0;

	(void)state;
	fx.by_name_ret = SP_ERR_ARG; /* what libserialport says for a pty */
	c = open_client(TIMEOUT_MS, "");
	assert_int_equal(fx.n_by_name, 1);
	assert_int_equal(fx.n_open, 0);
	assert_int_equal(fx.n_free, 0);
	/* The termios backend talks to the pty itself. */
	assert_int_equal(client_send_cmd(c, "PING"), CLIENT_OK);
	while (n < sizeof(got) && (n == 0 || got[n - 1] != '\n')) {
		struct pollfd pfd = { .fd = fx.master, .events = POLLIN };
		ssize_t r;

		assert_int_equal(poll(&pfd, 1, 1000), 1);
		r = read(fx.master, got + n, sizeof(got) - n);
		assert_true(r > 0);
		n += (size_t)r;
	}
	assert_int_equal(n, 5);
	assert_memory_equal(got, "PING\n", 5);
	assert_int_equal(write(fx.master, "PONG\n", 5), 5);
	expect_ret(client_read_reply(c), "PONG");
	assert_int_equal(fx.n_reads + fx.n_read_nows + fx.n_writes, 0);
	client_destroy(c);
	assert_int_equal(fx.n_close, 0);
	assert_int_equal(fx.n_free, 0);
}

static void test_configure_and_destroy(void **state)
{
	char spec[PATH_MAX + 64];
	struct client_config *cfg;
	struct client *c;
	int fds = count_fds();

	(void)state;
	snprintf(spec, sizeof(spec), "%s?baud=115200&bits=7&parity=even&stop=2&flow=rtscts", fx.path);
	cfg = client_config_new(spec);
	assert_non_null(cfg);
	c = client_open(cfg);
	client_config_free(cfg);
	assert_non_null(c);
	assert_int_equal(fx.n_open, 1);
	assert_int_equal(fx.baud, 115200);
	assert_int_equal(fx.bits, 7);
	assert_int_equal(fx.parity, SP_PARITY_EVEN);
	assert_int_equal(fx.stop, 2);
	assert_int_equal(fx.flow, SP_FLOWCONTROL_RTSCTS);
	/* Exclusive by default: flock held, TIOCEXCL on libserialport's fd. */
	assert_false(port_lock_free());
	assert_int_equal(port_tiocexcl(), 1);

	client_destroy(c);
	assert_int_equal(fx.n_close, 1);
	assert_int_equal(fx.n_free, 1);
	assert_int_equal(fx.allocated, 0);
	assert_int_equal(count_fds(), fds);
	assert_true(port_lock_free());
	assert_int_equal(port_tiocexcl(), 0);
}

/* ---- control lines and break ---- */

/* dtr= and rts= are set right after the port is configured, in that order;
 * hupcl=0 and low_latency act on libserialport's descriptor (here a real
 * pty, whose HUPCL flag can be read back). */
static void test_lines_at_open(void **state)
{
	struct termios t;
	struct client *c;

	(void)state;
	c = open_client(TIMEOUT_MS, "&dtr=1&rts=0&hupcl=0");
	assert_string_equal(fx.lines, "dtr=1 rts=0 ");
	assert_int_equal(fx.baud, 9600); /* configured before */
	assert_int_equal(tcgetattr(fx.slave, &t), 0);
	assert_int_equal(t.c_cflag & HUPCL, 0);
	client_destroy(c);
	/* keep (the default): no line call at all. */
	fx.lines[0] = '\0';
	c = open_client(TIMEOUT_MS, "&hupcl=1");
	assert_string_equal(fx.lines, "");
	assert_int_equal(tcgetattr(fx.slave, &t), 0);
	assert_int_equal(t.c_cflag & HUPCL, HUPCL);
	client_destroy(c);
}

/* A line the port refuses fails the open, which unwinds completely. */
static void test_lines_at_open_refused(void **state)
{
	int fds = count_fds();
	char spec[PATH_MAX + 32];

	(void)state;
	fx.line_ret = SP_ERR_FAIL;
	fx.line_errno = ENOTTY;
	snprintf(spec, sizeof(spec), "%s?rts=1", fx.path);
	assert_null(client_init_py(spec));
	assert_last_error(CLIENT_ERR_UNSUPPORTED);
	assert_message_has(fx.path);
	assert_message_has("setting RTS: not supported by this port's driver");
	assert_string_equal(fx.lines, "rts=1 ");
	assert_open_unwound(fds, 1);
}

/* low_latency goes to the driver with TIOCSSERIAL, which a pty refuses:
 * the open fails naming the port and the cause, and leaves nothing. */
static void test_low_latency_refused(void **state)
{
	char spec[PATH_MAX + 32];
	int fds = count_fds();

	(void)state;
	snprintf(spec, sizeof(spec), "%s?low_latency=1", fx.path);
	assert_null(client_init_py(spec));
	assert_last_error(CLIENT_ERR_UNSUPPORTED);
	assert_message_has(fx.path);
	assert_message_has(
		"low_latency: TIOCGSERIAL: not supported by this port's driver: a pseudo-terminal");
	assert_message_has(strerror(ENOTTY));
	assert_open_unwound(fds, 1);
}

static void test_set_lines_and_signals(void **state)
{
	struct client *c;

	(void)state;
	c = open_client(TIMEOUT_MS, "");
	assert_int_equal(client_set_dtr(c, 1), CLIENT_OK);
	assert_int_equal(client_set_rts(c, 0), CLIENT_OK);
	assert_int_equal(client_set_dtr(c, 0), CLIENT_OK);
	assert_int_equal(client_set_rts(c, 7), CLIENT_OK); /* non-zero is on */
	fx.signals = SP_SIG_CTS | SP_SIG_RI;
	assert_int_equal(client_get_signals(c), CLIENT_SIG_CTS | CLIENT_SIG_RI);
	fx.signals = SP_SIG_DSR | SP_SIG_DCD;
	assert_int_equal(client_get_signals(c), CLIENT_SIG_DSR | CLIENT_SIG_DCD);
	assert_string_equal(fx.lines, "dtr=1 rts=0 dtr=0 rts=1 signals signals ");
	/* None of it reads or writes data. */
	assert_int_equal(fx.n_reads + fx.n_read_nows + fx.n_writes, 0);
	client_destroy(c);
}

/* libserialport's failures map as the termios backend's do. */
static void test_line_errors(void **state)
{
	struct client *c;

	(void)state;
	c = open_client(TIMEOUT_MS, "");
	fx.line_ret = SP_ERR_FAIL;
	fx.line_errno = EINVAL;
	assert_int_equal(client_set_dtr(c, 1), CLIENT_ERR_UNSUPPORTED);
	assert_message_has(fx.path);
	assert_message_has("setting DTR: not supported by this port's driver");
	fx.line_ret = SP_ERR_SUPP;
	assert_int_equal(client_get_signals(c), CLIENT_ERR_UNSUPPORTED);
	assert_message_has("reading the modem lines: not supported by libserialport here");
	fx.line_ret = SP_ERR_FAIL;
	fx.line_errno = EIO; /* unplugged */
	assert_int_equal(client_set_rts(c, 1), CLIENT_ERR_GONE);
	assert_message_has("device gone");
	/* Gone: later calls fail at once, without touching the port. */
	fx.lines[0] = '\0';
	fx.line_ret = SP_OK;
	assert_int_equal(client_set_rts(c, 1), CLIENT_ERR_GONE);
	assert_int_equal(client_send_break(c, 5), CLIENT_ERR_GONE);
	assert_string_equal(fx.lines, "");
	client_destroy(c);
}

/* A break is start, wait, end; a failed start sends no end, a failed end
 * is reported; its length must fit the handle's timeout. */
static void test_break(void **state)
{
	struct client *c;

	(void)state;
	c = open_client(TIMEOUT_MS, "");
	assert_int_equal(client_send_break(c, 5), CLIENT_OK);
	assert_string_equal(fx.lines, "brk+ brk- ");
	fx.lines[0] = '\0';
	fx.end_break_ret = SP_ERR_FAIL;
	fx.line_errno = EPROTO;
	assert_int_equal(client_send_break(c, 5), CLIENT_ERR_IO);
	assert_message_has("ending a break");
	assert_string_equal(fx.lines, "brk+ brk- ");
	fx.lines[0] = '\0';
	fx.end_break_ret = SP_OK;
	fx.line_ret = SP_ERR_FAIL;
	fx.line_errno = ENOTTY;
	assert_int_equal(client_send_break(c, 5), CLIENT_ERR_UNSUPPORTED);
	assert_message_has("starting a break");
	assert_string_equal(fx.lines, "brk+ ");
	fx.lines[0] = '\0';
	fx.line_ret = SP_OK;
	assert_int_equal(client_send_break(c, TIMEOUT_MS), CLIENT_ERR_ARG);
	assert_message_has("does not fit the deadline");
	assert_int_equal(client_send_break(c, 0), CLIENT_ERR_ARG);
	assert_string_equal(fx.lines, "");
	client_destroy(c);
}

/* A line that flow control drives is not set: libserialport would turn
 * the flow control off to do it. */
static void test_line_under_flow_control(void **state)
{
	char spec[PATH_MAX + 64];
	struct client *c;

	(void)state;
	c = open_client(TIMEOUT_MS, "&flow=rtscts");
	assert_int_equal(client_set_rts(c, 1), CLIENT_ERR_ARG);
	assert_message_has("RTS is driven by flow=rtscts");
	assert_int_equal(client_set_dtr(c, 1), CLIENT_OK);
	assert_string_equal(fx.lines, "dtr=1 ");
	client_destroy(c);
	snprintf(spec, sizeof(spec), "%s?flow=dtrdsr&dtr=0", fx.path);
	fx.n_by_name = 0;
	assert_null(client_init_py(spec));
	assert_last_error(CLIENT_ERR_OPTION);
	assert_message_has("dtr=0 conflicts with flow=dtrdsr");
	assert_int_equal(fx.n_by_name, 0); /* refused before anything opened */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reply_one_byte_per_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_crlf_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_eintr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_hangup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_einval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_one_byte_per_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_eintr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_stalled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_input_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_eacces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_ebusy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_baud_unsupported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_baud_bad_argument, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_descriptor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_to_termios, setup, teardown),
		cmocka_unit_test_setup_teardown(test_configure_and_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines_at_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines_at_open_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_low_latency_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_lines_and_signals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_break, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_under_flow_control, setup, teardown),
	};

	return cmocka_run_group_tests_name("libserialport backend", tests, NULL, NULL);
}
