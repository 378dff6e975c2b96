/* SPDX-License-Identifier: MIT */
/* test-lines.c - control lines, break, HUPCL and low latency through the
 * termios backend: first on a real pseudo-terminal, to pin down what Linux
 * does there, then with ioctl() wrapped (-Wl,--wrap=ioctl, as test-serial
 * wraps libserialport) to check which ioctls the backend makes, in which
 * order, and how their failures are reported. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/serial.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "expect.h"
#include "internal.h"

#define TIMEOUT_MS 2000

/* What the wrapper does with the ioctls the backend's line calls make
 * (any other ioctl, such as TIOCEXCL, always goes through). */
enum mode { PASS, FAKE };

static struct {
	int master, slave;
	char path[PATH_MAX];
	enum mode mode;
	/* FAKE: the request that fails and with which errno (0: none fails). */
	unsigned long fail_req;
	int fail_errno;
	/* FAKE: the modem bits TIOCMGET reports, and the serial flags. */
	int modem;
	int serial_flags;
	/* The line ioctls seen, in order, e.g. "TIOCMBIS(DTR) TIOCSBRK ". */
	char log[512];
	int64_t break_on_ns, break_off_ns;
} fx;

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

static const char *req_name(unsigned long req)
{
	switch (req) {
	case TIOCMBIS: return "TIOCMBIS";
	case TIOCMBIC: return "TIOCMBIC";
	case TIOCMGET: return "TIOCMGET";
	case TIOCSBRK: return "TIOCSBRK";
	case TIOCCBRK: return "TIOCCBRK";
	case TIOCGSERIAL: return "TIOCGSERIAL";
	case TIOCSSERIAL: return "TIOCSSERIAL";
	default: return NULL;
	}
}

static void log_call(unsigned long req, void *arg)
{
	char one[64];

	if (req == TIOCMBIS || req == TIOCMBIC) {
		int bits = *(int *)arg;

		snprintf(one, sizeof(one), "%s(%s%s) ", req_name(req), bits & TIOCM_DTR ? "DTR" : "",
			 bits & TIOCM_RTS ? "RTS" : "");
	} else if (req == TIOCSSERIAL) {
		snprintf(one, sizeof(one), "%s(%s) ", req_name(req),
			 ((struct serial_struct *)arg)->flags & ASYNC_LOW_LATENCY ? "low" : "normal");
	} else {
		snprintf(one, sizeof(one), "%s ", req_name(req));
	}
	assert_true(strlen(fx.log) + strlen(one) < sizeof(fx.log));
	strcat(fx.log, one);
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!req_name(req))
		return __real_ioctl(fd, req, arg);
	log_call(req, arg);
	if (req == TIOCSBRK)
		fx.break_on_ns = sc_clock_now_ns();
	if (req == TIOCCBRK)
		fx.break_off_ns = sc_clock_now_ns();
	if (fx.mode == PASS)
		return __real_ioctl(fd, req, arg);
	if (req == fx.fail_req) {
		errno = fx.fail_errno;
		return -1;
	}
	switch (req) {
	case TIOCMGET: *(int *)arg = fx.modem; break;
	case TIOCMBIS: fx.modem |= *(int *)arg; break;
	case TIOCMBIC: fx.modem &= ~*(int *)arg; break;
	case TIOCGSERIAL:
		memset(arg, 0, sizeof(struct serial_struct));
		((struct serial_struct *)arg)->flags = fx.serial_flags;
		break;
	case TIOCSSERIAL: fx.serial_flags = ((struct serial_struct *)arg)->flags; break;
	}
	return 0;
}

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	if (openpty(&fx.master, &fx.slave, NULL, NULL, NULL) != 0)
		return -1;
	if (ttyname_r(fx.slave, fx.path, sizeof(fx.path)) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(fx.master);
	close(fx.slave);
	return 0;
}

static struct client *open_with(const char *options)
{
	char spec[PATH_MAX + 128];

	snprintf(spec, sizeof(spec), "%s?timeout_ms=%d%s", fx.path, TIMEOUT_MS, options);
	return client_init_py(spec);
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

/* Nothing arrives on the master side. */
static void assert_master_quiet(void)
{
	struct pollfd pfd = { .fd = fx.master, .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, 0), 0);
}

/* ---- a real pseudo-terminal: what Linux does ---- */

/* The tty layer answers ENOTTY to TIOCMBIS, TIOCMBIC and TIOCMGET on a pty
 * (the pty driver has no tiocmset/tiocmget), so DTR, RTS and the input
 * lines are CLIENT_ERR_UNSUPPORTED there, naming the port and the cause. */
static void test_pty_has_no_modem_lines(void **state)
{
	struct client *c;

	(void)state;
	fx.mode = PASS;
	c = open_with("");
	assert_non_null(c);
	assert_int_equal(client_set_dtr(c, 1), CLIENT_ERR_UNSUPPORTED);
	assert_message_has(fx.path);
	assert_message_has("raising DTR: not supported by this port's driver: a pseudo-terminal has no modem"
			   " lines");
	assert_message_has(strerror(ENOTTY));
	assert_int_equal(client_set_rts(c, 0), CLIENT_ERR_UNSUPPORTED);
	assert_message_has("lowering RTS");
	assert_int_equal(client_get_signals(c), CLIENT_ERR_UNSUPPORTED);
	assert_message_has("reading the modem lines");
	assert_string_equal(fx.log, "TIOCMBIS(DTR) TIOCMBIC(RTS) TIOCMGET ");
	/* Not a hang-up: the handle goes on working. */
	assert_int_equal(write(fx.master, "OK\n", 3), 3);
	{
		struct client_ret *r = client_read_reply(c);

		assert_non_null(r);
		assert_string_equal(r->ret_data, "OK");
		client_free_ret(r);
	}
	client_destroy(c);
	/* The same at open: dtr= asked for and not made fails the open. */
	assert_null(open_with("&dtr=1"));
	assert_last_error(CLIENT_ERR_UNSUPPORTED);
	assert_message_has("raising DTR");
}

/* TIOCSBRK and TIOCCBRK succeed on a pty and do nothing (no break_ctl in
 * the pty driver): the break is held for its length, and the master side
 * receives nothing at all, no NUL, no framing error. */
static void test_pty_break_does_nothing(void **state)
{
	struct termios t;
	struct client *c;

	(void)state;
	fx.mode = PASS;
	/* The master reports a break as \377 \0 \0 with PARMRK, if one came. */
	assert_int_equal(tcgetattr(fx.master, &t), 0);
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT);
	t.c_iflag |= PARMRK;
	assert_int_equal(tcsetattr(fx.master, TCSANOW, &t), 0);
	c = open_with("");
	assert_non_null(c);
	assert_int_equal(client_send_break(c, 20), CLIENT_OK);
	assert_string_equal(fx.log, "TIOCSBRK TIOCCBRK ");
	/* Held at least as long as asked (a lower bound only: never flaky). */
	assert_true(fx.break_off_ns - fx.break_on_ns >= 20 * 1000000LL);
	assert_master_quiet();
	client_destroy(c);
}

/* hupcl is a termios flag, which a pty keeps like any tty: 0 clears it,
 * 1 sets it, keep leaves it; no ioctl of the line calls is made. */
static void test_pty_hupcl(void **state)
{
	struct termios t;
	struct client *c;

	(void)state;
	fx.mode = PASS;
	c = open_with("&hupcl=0");
	assert_non_null(c);
	assert_int_equal(tcgetattr(fx.slave, &t), 0);
	assert_int_equal(t.c_cflag & HUPCL, 0);
	client_destroy(c);
	/* The flag outlives the handle: it belongs to the tty. */
	assert_int_equal(tcgetattr(fx.slave, &t), 0);
	assert_int_equal(t.c_cflag & HUPCL, 0);
	c = open_with("");
	assert_int_equal(tcgetattr(fx.slave, &t), 0);
	assert_int_equal(t.c_cflag & HUPCL, 0);
	client_destroy(c);
	c = open_with("&hupcl=1");
	assert_int_equal(tcgetattr(fx.slave, &t), 0);
	assert_int_equal(t.c_cflag & HUPCL, HUPCL);
	client_destroy(c);
	assert_string_equal(fx.log, "");
}

/* TIOCGSERIAL: ENOTTY on a pty (no get_serial), so low_latency fails the
 * open with CLIENT_ERR_UNSUPPORTED and leaves no descriptor behind. */
static void test_pty_low_latency(void **state)
{
	int fds = count_fds();

	(void)state;
	fx.mode = PASS;
	assert_null(open_with("&low_latency=1"));
	assert_last_error(CLIENT_ERR_UNSUPPORTED);
	assert_message_has(fx.path);
	assert_message_has("low_latency: TIOCGSERIAL: not supported by this port's driver");
	assert_string_equal(fx.log, "TIOCGSERIAL ");
	assert_int_equal(count_fds(), fds);
	/* The port is free again: the failed open released its lock. */
	{
		struct client *c = open_with("");

		assert_non_null(c);
		client_destroy(c);
	}
}

/* ---- ioctl() wrapped: a driver that has the lines ---- */

/* At open: HUPCL (termios), then low latency (read, then write the flags
 * with ASYNC_LOW_LATENCY added), then DTR, then RTS. */
static void test_open_order(void **state)
{
	struct client *c;
	struct termios t;

	(void)state;
	fx.mode = FAKE;
	fx.serial_flags = ASYNC_SKIP_TEST;
	c = open_with("&rts=0&dtr=1&low_latency=1&hupcl=0");
	assert_non_null(c);
	assert_string_equal(fx.log, "TIOCGSERIAL TIOCSSERIAL(low) TIOCMBIS(DTR) TIOCMBIC(RTS) ");
	assert_int_equal(fx.serial_flags, ASYNC_SKIP_TEST | ASYNC_LOW_LATENCY);
	assert_int_equal(tcgetattr(fx.slave, &t), 0);
	assert_int_equal(t.c_cflag & HUPCL, 0);
	client_destroy(c);
	/* low_latency=0 clears the flag, keeping the others. */
	fx.log[0] = '\0';
	c = open_with("&low_latency=0");
	assert_string_equal(fx.log, "TIOCGSERIAL TIOCSSERIAL(normal) ");
	assert_int_equal(fx.serial_flags, ASYNC_SKIP_TEST);
	client_destroy(c);
}

static void test_lines_and_signals(void **state)
{
	struct client *c;

	(void)state;
	fx.mode = FAKE;
	c = open_with("");
	assert_non_null(c);
	assert_int_equal(client_set_dtr(c, 1), CLIENT_OK);
	assert_int_equal(client_set_rts(c, 1), CLIENT_OK);
	assert_int_equal(fx.modem, TIOCM_DTR | TIOCM_RTS);
	assert_int_equal(client_set_dtr(c, 0), CLIENT_OK);
	assert_int_equal(fx.modem, TIOCM_RTS);
	/* Each TIOCM bit becomes its CLIENT_SIG bit; DTR and RTS are outputs. */
	fx.modem = TIOCM_CTS | TIOCM_CAR | TIOCM_DTR;
	assert_int_equal(client_get_signals(c), CLIENT_SIG_CTS | CLIENT_SIG_DCD);
	fx.modem = TIOCM_DSR | TIOCM_RNG | TIOCM_RTS;
	assert_int_equal(client_get_signals(c), CLIENT_SIG_DSR | CLIENT_SIG_RI);
	fx.modem = 0;
	assert_int_equal(client_get_signals(c), 0);
	assert_int_equal(client_last_error(), CLIENT_OK);
	assert_string_equal(fx.log, "TIOCMBIS(DTR) TIOCMBIS(RTS) TIOCMBIC(DTR) TIOCMGET TIOCMGET TIOCMGET ");
	client_destroy(c);
}

/* Errors: ENOTTY and EINVAL are "not supported"; EIO is the device gone
 * (the handle then fails fast); others are I/O errors with the system's
 * text. */
static void test_errors_mapped(void **state)
{
	struct client *c;

	(void)state;
	fx.mode = FAKE;
	c = open_with("");
	assert_non_null(c);
	fx.fail_req = TIOCMGET;
	fx.fail_errno = EINVAL;
	assert_int_equal(client_get_signals(c), CLIENT_ERR_UNSUPPORTED);
	assert_message_has("reading the modem lines: not supported by this port's driver: a pseudo-terminal");
	fx.fail_req = TIOCMBIS;
	fx.fail_errno = EPROTO;
	assert_int_equal(client_set_rts(c, 1), CLIENT_ERR_IO);
	assert_message_has("raising RTS");
	assert_message_has(strerror(EPROTO));
	/* A break whose start fails is not ended; one whose end fails says so. */
	fx.log[0] = '\0';
	fx.fail_req = TIOCSBRK;
	assert_int_equal(client_send_break(c, 5), CLIENT_ERR_IO);
	assert_message_has("starting a break");
	fx.fail_req = TIOCCBRK;
	assert_int_equal(client_send_break(c, 5), CLIENT_ERR_IO);
	assert_message_has("ending a break");
	assert_string_equal(fx.log, "TIOCSBRK TIOCSBRK TIOCCBRK ");
	fx.fail_req = TIOCMBIC;
	fx.fail_errno = EIO;
	assert_int_equal(client_set_dtr(c, 0), CLIENT_ERR_GONE);
	assert_message_has("device gone");
	fx.fail_req = 0;
	fx.log[0] = '\0';
	assert_int_equal(client_set_dtr(c, 0), CLIENT_ERR_GONE);
	assert_message_has("device gone earlier");
	assert_string_equal(fx.log, "");
	client_destroy(c);
	/* At open: the failure is the open's, and TIOCSSERIAL's EPERM is a
	 * permission error naming the port. */
	fx.fail_req = TIOCSSERIAL;
	fx.fail_errno = EPERM;
	assert_null(open_with("&low_latency=1"));
	assert_last_error(CLIENT_ERR_PERM);
	assert_message_has(fx.path);
	assert_message_has("low_latency: TIOCSSERIAL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pty_has_no_modem_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pty_break_does_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pty_hupcl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pty_low_latency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines_and_signals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_mapped, setup, teardown),
	};

	return cmocka_run_group_tests_name("control lines (termios backend)", tests, NULL, NULL);
}
