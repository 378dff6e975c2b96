/* SPDX-License-Identifier: MIT */
/* test-identify.c - the one identification rule (lib/identify.c) that
 * `serialcmd --find --identify` and the udev helper share: which profiles can
 * identify, which USB ids they claim, how an answer is trimmed and matched,
 * and that the whole probe, pauses included, keeps its deadline. The probes
 * run against a pseudo-terminal whose other end answers with chosen bytes.
 * Also the one profile-name rule (lib/profile-name.c). */
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "bridges.h"
#include "expect.h"
#include "identify.h"
#include "internal.h"
#include "profile.h"

/* Margin allowed past a deadline for scheduling on a loaded machine. */
#define LATE_MS 150

static void load(const char *name, const char *text, struct profile *p)
{
	profile_dir_write(name, text);
	if (sc_profile_load(name, p) != CLIENT_OK)
		fail_msg("%s: %s", name, client_last_message());
}

/* A device on a pty: after each LF it receives, it writes reply (len
 * bytes); with reply NULL it stays silent. */
struct device {
	int master, slave;
	char path[64];
	const char *reply;
	size_t reply_len;
	char received[256];
	size_t nreceived;
	atomic_int stopping;
	pthread_t thread;
};

static void *device_run(void *arg)
{
	struct device *d = arg;

	while (!atomic_load(&d->stopping)) {
		struct pollfd pfd = { .fd = d->master, .events = POLLIN };
		char buf[64];
		ssize_t n;

		if (poll(&pfd, 1, 20) <= 0)
			continue;
		n = read(d->master, buf, sizeof(buf));
		if (n <= 0)
			continue;
		for (ssize_t i = 0; i < n; i++) {
			if (d->nreceived < sizeof(d->received) - 1)
				d->received[d->nreceived++] = buf[i];
			if (buf[i] == '\n' && d->reply && write(d->master, d->reply, d->reply_len) < 0)
				break;
		}
	}
	return NULL;
}

static void device_start(struct device *d, const char *reply, size_t len)
{
	struct termios t;

	memset(d, 0, sizeof(*d));
	assert_int_equal(openpty(&d->master, &d->slave, d->path, NULL, NULL), 0);
	/* Raw both ways, and the slave kept open here so that the master keeps
	 * working between the probe's open and close. */
	assert_int_equal(tcgetattr(d->slave, &t), 0);
	cfmakeraw(&t);
	assert_int_equal(tcsetattr(d->slave, TCSANOW, &t), 0);
	d->reply = reply;
	d->reply_len = len;
	assert_int_equal(pthread_create(&d->thread, NULL, device_run, d), 0);
}

static void device_stop(struct device *d)
{
	atomic_store(&d->stopping, 1);
	pthread_join(d->thread, NULL);
	close(d->slave);
	close(d->master);
}

#define ACME "eol = LF\ntimeout_ms = 1000\nidentify = *IDN?\n"

/* Only a profile with both keys identifies; the others are not asked. */
static void test_possible(void **state)
{
	struct profile p;

	(void)state;
	load("both", ACME "identify_match = ACME,*\n", &p);
	assert_true(sc_identify_possible(&p));
	sc_profile_free(&p);
	load("nomatch", ACME, &p);
	assert_false(sc_identify_possible(&p));
	sc_profile_free(&p);
	load("noquery", "eol = LF\nidentify_match = ACME,*\n", &p);
	assert_false(sc_identify_possible(&p));
	sc_profile_free(&p);
}

static void test_claims_usb(void **state)
{
	struct profile p;

	(void)state;
	load("ids", "usb = 1234:5678\nusb = 0403:6001\nusb_interface = 1\n", &p);
	assert_true(sc_identify_claims_usb(&p, 0x0403, 0x6001, 1));
	assert_true(sc_identify_claims_usb(&p, 0x1234, 0x5678, -1)); /* interface unknown */
	assert_false(sc_identify_claims_usb(&p, 0x1234, 0x5678, 0));
	assert_false(sc_identify_claims_usb(&p, 0x1234, 0x5679, 1));
	assert_false(sc_identify_claims_usb(&p, -1, -1, -1)); /* not a USB port */
	sc_profile_free(&p);
	load("anyif", "usb = 1234:5678\n", &p);
	assert_true(sc_identify_claims_usb(&p, 0x1234, 0x5678, 3));
	sc_profile_free(&p);
}

/* The one list of generic bridges holds the ids issue 18 names, each with
 * its chip; makers' own ids (Arduino, Rigol) are not in it. */
static void test_bridge_list(void **state)
{
	static const unsigned generic[][2] = {
		{ 0x0403, 0x6001 }, { 0x0403, 0x6010 }, { 0x0403, 0x6011 }, { 0x0403, 0x6014 },
		{ 0x0403, 0x6015 }, { 0x1a86, 0x7523 }, { 0x1a86, 0x5523 }, { 0x1a86, 0x55d4 },
		{ 0x10c4, 0xea60 }, { 0x10c4, 0xea70 }, { 0x10c4, 0xea71 }, { 0x067b, 0x2303 },
		{ 0x067b, 0x23a3 },
	};
	static const unsigned specific[][2] = { { 0x2341, 0x0043 },
						{ 0x2a03, 0x0043 },
						{ 0x1ab1, 0x0e11 },
						{ 0x0403, 0x6002 },
						{ 0x1234, 0x5678 } };
	const struct usb_bridge *all;
	unsigned n;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(generic); i++) {
		const struct usb_bridge *b = sc_bridge_find(generic[i][0], generic[i][1]);

		if (!b || !b->chip || !b->chip[0])
			fail_msg("%04x:%04x is not listed as a bridge", generic[i][0], generic[i][1]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(specific); i++)
		if (sc_bridge_find(specific[i][0], specific[i][1]))
			fail_msg("%04x:%04x taken for a bridge", specific[i][0], specific[i][1]);
	all = sc_bridge_list(&n);
	assert_true(n >= ARRAY_SIZE(generic));
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			if (all[i].vid == all[j].vid && all[i].pid == all[j].pid)
				fail_msg("%04x:%04x listed twice", all[i].vid, all[i].pid);
}

/* The one probing rule: never, always, and auto (not on a bridge's ids). */
static void test_may_probe(void **state)
{
	struct profile p;
	char why[256];

	(void)state;
	load("auto", ACME "identify_match = A*\nusb = 1a86:7523\nusb = 2341:0043\n", &p);
	assert_true(sc_identify_may_probe(&p, 0x2341, 0x0043, why, sizeof(why)));
	assert_true(sc_identify_may_probe(&p, -1, -1, why, sizeof(why))); /* run by hand */
	assert_false(sc_identify_may_probe(&p, 0x1a86, 0x7523, why, sizeof(why)));
	assert_string_equal(why, "1a86:7523 is a generic WCH CH340 bridge; not probing"
				 " (set probe = always in the profile to allow it)");
	sc_profile_free(&p);
	load("always", ACME "identify_match = A*\nusb = 0403:6001\nprobe = always\n", &p);
	assert_true(sc_identify_may_probe(&p, 0x0403, 0x6001, why, sizeof(why)));
	sc_profile_free(&p);
	load("never", ACME "identify_match = A*\nusb = 2341:0043\nprobe = never\n", &p);
	assert_false(sc_identify_may_probe(&p, 0x2341, 0x0043, why, sizeof(why)));
	assert_string_equal(why, "profile never sets probe = never; not probing");
	assert_false(sc_identify_may_probe(&p, -1, -1, why, sizeof(why)));
	sc_profile_free(&p);
}

/* USB strings a profile requires: exact, each one only when set. */
static void test_strings_match(void **state)
{
	struct profile p;

	(void)state;
	load("strings", "usb = 0403:6001\nusb_product = FT232R USB UART\nusb_serial = A1\n", &p);
	assert_true(sc_identify_strings_match(&p, "anyone", "FT232R USB UART", "A1"));
	assert_true(sc_identify_strings_match(&p, NULL, "FT232R USB UART", "A1"));
	assert_false(sc_identify_strings_match(&p, "FTDI", "FT232R USB UART", "A2"));
	assert_false(sc_identify_strings_match(&p, "FTDI", "ft232r usb uart", "A1"));
	assert_false(sc_identify_strings_match(&p, "FTDI", "FT232R USB UART ", "A1"));
	assert_false(sc_identify_strings_match(&p, "FTDI", NULL, "A1"));
	sc_profile_free(&p);
	load("none", "usb = 0403:6001\n", &p);
	assert_true(sc_identify_strings_match(&p, NULL, NULL, NULL));
	sc_profile_free(&p);
}

static int matches(const char *reply, const char *pattern)
{
	return sc_identify_reply_matches(reply, strlen(reply), pattern);
}

static void test_reply_rule(void **state)
{
	char big[IDENTIFY_REPLY_MAX + 2];

	(void)state;
	assert_true(matches("ACME,X,1,2", "ACME,X,*"));
	/* Blanks, CR and LF around the answer do not count... */
	assert_true(matches(" \tACME,X\r\n", "ACME,X"));
	assert_true(matches("ACME,X\r", "ACME,X"));
	/* ...inside it they do. */
	assert_false(matches("ACME, X", "ACME,X"));
	assert_false(matches("ACME,Y", "ACME,X*"));
	/* No pattern, or nothing left to match: never. */
	assert_false(matches("ACME,X", ""));
	assert_false(matches("ACME,X", NULL));
	assert_false(matches("", "*"));
	assert_false(matches(" \r\n", "*"));
	/* A NUL would cut the answer short for fnmatch. */
	assert_false(sc_identify_reply_matches("ACME\0EVIL", 9, "ACME*"));
	assert_false(sc_identify_reply_matches("ACME\0", 5, "ACME"));
	/* Bounded: a longer answer never matches. */
	memset(big, 'A', sizeof(big));
	assert_true(sc_identify_reply_matches(big, IDENTIFY_REPLY_MAX, "A*"));
	assert_false(sc_identify_reply_matches(big, IDENTIFY_REPLY_MAX + 1, "A*"));
}

/* sc_identify_port() as client_find_ports() uses it, on a real pty. */
static int ask(const char *reply, size_t len, const char *profile_text, char *received, size_t size)
{
	struct device d;
	struct profile p;
	int ok;

	load("dev", profile_text, &p);
	device_start(&d, reply, len);
	ok = sc_identify_port(d.path, "dev", &p);
	usleep(20000); /* anything written after the answer would show now */
	device_stop(&d);
	sc_profile_free(&p);
	if (received)
		snprintf(received, size, "%.*s", (int)d.nreceived, d.received);
	return ok;
}

#define S(x) x, sizeof(x) - 1

static void test_identify_on_a_pty(void **state)
{
	char got[256];

	(void)state;
	assert_true(ask(S("ACME,X,1,2\n"), ACME "identify_match = ACME,X,*\n", got, sizeof(got)));
	/* The probe sends the query and nothing else. */
	assert_string_equal(got, "*IDN?\n");
	/* A CR before the LF terminator, blanks around: trimmed. */
	assert_true(ask(S("  ACME,X \r\n"), ACME "identify_match = ACME,X\n", NULL, 0));
	assert_false(ask(S("ACME,Y,1,2\n"), ACME "identify_match = ACME,X,*\n", NULL, 0));
	assert_false(ask(S("ACME\0,X,1,2\n"), ACME "identify_match = ACME*\n", NULL, 0));
	assert_false(ask(S(" \r\n"), ACME "identify_match = *\n", NULL, 0));
	/* No pattern: not asked at all, whatever the device would say. */
	assert_false(ask(S("ACME,X,1,2\n"), ACME, got, sizeof(got)));
	assert_string_equal(got, "");
}

/* The profile's pauses are cut to the deadline and the query delay counts
 * against it: a device that answers at once is still identified in time,
 * and a silent one costs the deadline and no more. */
static void test_deadline(void **state)
{
	static const char sleepy[] = "eol = LF\nopen_delay_ms = 600000\nquery_delay_ms = 600000\n"
				     "timeout_ms = 86400000\nidentify = *IDN?\nidentify_match = ACME*\n";
	struct identify_probe pr;
	struct device d;
	struct profile p;
	int64_t t0;
	int unusable, took;

	(void)state;
	load("sleepy", sleepy, &p);
	device_start(&d, S("ACME,X\n"));
	assert_int_equal(sc_identify_probe_init(&pr, d.path, "sleepy", &p), CLIENT_OK);
	t0 = sc_clock_now_ns();
	assert_int_equal(sc_identify_probe_run(&pr, sc_clock_deadline_ns(600), &unusable), CLIENT_OK);
	took = (int)ms_since(t0);
	assert_true(pr.answered);
	assert_false(unusable);
	assert_true(sc_identify_reply_matches(pr.reply, pr.len, p.identify_match));
	if (took > 600 + LATE_MS)
		fail_msg("identified in %d ms on a 600 ms deadline", took);
	sc_identify_probe_free(&pr);
	device_stop(&d);

	device_start(&d, NULL, 0);
	assert_int_equal(sc_identify_probe_init(&pr, d.path, "sleepy", &p), CLIENT_OK);
	t0 = sc_clock_now_ns();
	assert_int_equal(sc_identify_probe_run(&pr, sc_clock_deadline_ns(600), &unusable),
			 CLIENT_ERR_TIMEOUT);
	took = (int)ms_since(t0);
	assert_false(pr.answered);
	assert_false(unusable);
	if (took > 600 + LATE_MS || took < 400)
		fail_msg("a silent device took %d ms on a 600 ms deadline", took);
	sc_identify_probe_free(&pr);

	/* No time left: the port is not even opened. */
	assert_int_equal(sc_identify_probe_init(&pr, d.path, "sleepy", &p), CLIENT_OK);
	assert_int_equal(sc_identify_probe_run(&pr, sc_clock_deadline_ns(50), &unusable), CLIENT_ERR_TIMEOUT);
	assert_true(unusable);
	sc_identify_probe_free(&pr);
	usleep(50000);
	assert_int_equal(d.nreceived, 5 + 1); /* the first probe's query only */
	device_stop(&d);
	sc_profile_free(&p);

	/* find's deadline: the profile's own timeout. */
	t0 = sc_clock_now_ns();
	assert_false(
		ask(NULL, 0, "eol = LF\ntimeout_ms = 300\nidentify = *IDN?\nidentify_match = *\n", NULL, 0));
	took = (int)ms_since(t0);
	if (took > 300 + LATE_MS)
		fail_msg("find's probe of a silent device took %d ms on a 300 ms timeout", took);
}

/* A port that cannot be opened ends the probing of that port. */
static void test_busy_port(void **state)
{
	struct identify_probe pr;
	struct device d;
	struct profile p;
	struct client *holder;
	int unusable;

	(void)state;
	load("busy", ACME "identify_match = ACME*\n", &p);
	device_start(&d, S("ACME\n"));
	holder = open_spec(d.path);
	assert_int_equal(sc_identify_probe_init(&pr, d.path, "busy", &p), CLIENT_OK);
	assert_int_equal(sc_identify_probe_run(&pr, sc_clock_deadline_ns(1000), &unusable), CLIENT_ERR_BUSY);
	assert_true(unusable);
	assert_false(pr.answered);
	sc_identify_probe_free(&pr);
	client_destroy(holder);
	device_stop(&d);
	sc_profile_free(&p);
}

static void test_profile_names(void **state)
{
	static const char *const good[] = { "keithley2000", "rigol-dp800", "a", "A.b_c-9", "x-" };
	static const char *const bad[] = { "", ".hidden", "-opt", "a/b", "..", "a b", "a\n", "ä", "a?b" };
	char longest[PROFILE_NAME_MAX + 1];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (!sc_profile_name_valid(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (sc_profile_name_valid(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	assert_false(sc_profile_name_valid(NULL));
	memset(longest, 'a', sizeof(longest));
	longest[PROFILE_NAME_MAX - 1] = '\0';
	assert_true(sc_profile_name_valid(longest));
	longest[PROFILE_NAME_MAX - 1] = 'a';
	longest[PROFILE_NAME_MAX] = '\0';
	assert_false(sc_profile_name_valid(longest));
	/* The library applies the same rule to profile=. */
	assert_null(client_config_new("/dev/x?profile=-opt"));
	assert_int_equal(client_last_error(), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), "a profile name is"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_possible),      cmocka_unit_test(test_claims_usb),
		cmocka_unit_test(test_reply_rule),    cmocka_unit_test(test_identify_on_a_pty),
		cmocka_unit_test(test_deadline),      cmocka_unit_test(test_busy_port),
		cmocka_unit_test(test_profile_names), cmocka_unit_test(test_bridge_list),
		cmocka_unit_test(test_may_probe),     cmocka_unit_test(test_strings_match),
	};

	return cmocka_run_group_tests(tests, profile_dir_make, profile_dir_remove);
}
