/* SPDX-License-Identifier: MIT */
/* test-profile.c - device profiles: every shipped one loads (in the library
 * and, with its simulator sections, in the simulator); profile= in a spec
 * applies it first so explicit options win; malformed files and unknown
 * names fail with file, line and reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "expect.h"
#include "internal.h"
#include "profile.h"
#include "sim-profile.h"

static void test_shipped_profiles_load(void **state)
{
	static const char *const names[] = { "generic-scpi", "keithley2000", "keysight34401a", "rigol-dp800",
					     "arduino",	     "loopback",     "faulty",	     "at-modem" };
	struct profile p;
	struct sim_profile sp;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (sc_profile_load(names[i], &p) != CLIENT_OK)
			fail_msg("%s: %s", names[i], client_last_message());
		assert_string_equal(p.name, names[i]);
		assert_true(p.description[0] != '\0');
		sc_profile_free(&p);
		if (sim_profile_load(names[i], &sp) != CLIENT_OK)
			fail_msg("%s (simulator): %s", names[i], client_last_message());
		assert_string_equal(sp.base.name, names[i]);
		sim_profile_free(&sp);
	}
	assert_int_equal(sc_profile_load("keithley2000", &p), CLIENT_OK);
	assert_string_equal(p.identify, "*IDN?");
	assert_string_equal(p.error_query, ":SYST:ERR?");
	sc_profile_free(&p);
	assert_int_equal(sim_profile_load("keithley2000", &sp), CLIENT_OK);
	assert_string_equal(sp.base.error_query, ":SYST:ERR?");
	assert_true(sp.ndialogue >= 1);
	assert_true(sp.nprops >= 1);
	sim_profile_free(&sp);
	assert_int_equal(sc_profile_load("arduino", &p), CLIENT_OK);
	assert_int_equal(p.nusb, 5);
	assert_int_equal(p.usb[0].vid, 0x2341);
	assert_int_equal(p.usb[0].pid, 0x0043);
	sc_profile_free(&p);
}

static void test_spec_with_profile(void **state)
{
	struct client_config cfg;

	(void)state;
	assert_int_equal(client_config_parse(&cfg, "/dev/x?profile=keysight34401a"), CLIENT_OK);
	assert_int_equal(cfg.baud, 9600);
	assert_int_equal(cfg.stop, 2);
	assert_int_equal(cfg.flow, CLIENT_FLOW_DTRDSR);
	assert_int_equal(cfg.read_eol_len, 2);
	assert_memory_equal(cfg.read_eol, "\r\n", 2);
	assert_int_equal(cfg.min_gap_ms, 20);
	assert_string_equal(cfg.profile, "keysight34401a");
	/* Explicit options win, wherever they stand in the spec. */
	assert_int_equal(client_config_parse(&cfg, "/dev/x?baud=19200&profile=keysight34401a&flow=none"),
			 CLIENT_OK);
	assert_int_equal(cfg.baud, 19200);
	assert_int_equal(cfg.flow, CLIENT_FLOW_NONE);
	assert_int_equal(cfg.stop, 2);
	assert_int_equal(client_config_parse(&cfg, "/dev/x?profile=arduino"), CLIENT_OK);
	assert_int_equal(cfg.open_delay_ms, 2000);
	assert_int_equal(cfg.baud, 115200);
}

static void test_unknown_profile(void **state)
{
	struct client_config cfg;

	(void)state;
	assert_int_equal(client_config_parse(&cfg, "/dev/x?profile=no-such-device"), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), "profile 'no-such-device' not found"));
	assert_non_null(strstr(client_last_message(), profile_dir));
	assert_non_null(strstr(client_last_message(), "devices/profiles"));
	assert_int_equal(client_config_parse(&cfg, "/dev/x?profile=../etc/passwd"), CLIENT_ERR_OPTION);
	assert_int_equal(client_config_parse(&cfg, "/dev/x?profile=.hidden"), CLIENT_ERR_OPTION);
	assert_int_equal(client_config_parse(&cfg, "/dev/x?profile=generic-scpi&profile=arduino"),
			 CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), "given twice"));
}

/* SERIALCMD_DEVICES comes first on the search path. */
static void test_search_path(void **state)
{
	struct client_config cfg;

	(void)state;
	profile_dir_write("generic-scpi", "baud = 1200\n");
	assert_int_equal(client_config_parse(&cfg, "/dev/x?profile=generic-scpi"), CLIENT_OK);
	assert_int_equal(cfg.baud, 1200);
	profile_dir_write("generic-scpi", "baud = 9600\n");
}

static void test_malformed(void **state)
{
	static const struct {
		const char *text;
		const char *want;
		int sim_only; /* an error inside a simulator section: the library skips it */
	} cases[] = {
		{ "baud = 9600\nbaud = fast\n", "line 2: bad baud 'fast' (accepted: a rate", 0 },
		{ "baud\n", "line 1: expected key = value", 0 },
		{ "# ok\n\nwhat = ever\n", "line 3: bad what 'ever' (accepted: a spec option", 0 },
		{ "profile = other\n", "line 1: a profile cannot set: profile", 0 },
		{ "usb = 403:6001\n", "line 1: usb must be VID:PID", 0 },
		{ "usb = 0403:6001x\n", "line 1: usb must be VID:PID", 0 },
		{ "[dialog]\n", "line 1: unknown section", 0 },
		{ "[dialogue\n", "line 1: a section line must look like [name]", 0 },
		{ "[property]\nget = V?\n", "line 1: unknown section", 0 },
		{ "[sim x]\n", "line 1: unknown section", 0 },
		{ "[dialogue]\n*IDN? -> x\n", "line 2: a dialogue line must look like QUERY => REPLY", 1 },
		{ "[dialogue]\n => x\n", "line 2: empty query in dialogue", 1 },
		{ "[property v]\nmin = low\n", "line 2: not a number: low", 1 },
		{ "[property v]\ndigits = 40\n", "line 2: digits must be 0 to 15", 1 },
		{ "[property v]\ncolour = red\n", "line 2: unknown property key", 1 },
		{ "[property v]\ndefault = 1\n", "property v has neither get nor set", 1 },
		{ "[sim]\nmode = chaos\n", "line 2: mode must be dialogue, loopback or faulty", 1 },
		{ "[errors]\nqueue = x\n", "line 2: unknown key in [errors]", 0 },
		{ "read_eol = \\q\n", "line 1: bad read_eol", 0 },
		/* USB ids are 4 hex digits, no sign, no 0x (issue 15: these loaded,
		 * and gen-rules wrote ID_VENDOR_ID=="ffffffff"). */
		{ "usb = -001:+0x1\n", "line 1: usb must be VID:PID", 0 },
		{ "usb = 0x40:0001\n", "line 1: usb must be VID:PID", 0 },
		{ "usb = 0403: 601\n", "line 1: usb must be VID:PID", 0 },
		{ "usb_interface = +1\n", "line 1: usb_interface must be 0 to 255", 0 },
		{ "usb_interface = 256\n", "line 1: usb_interface must be 0 to 255", 0 },
		/* Identification policy and the FTDI latency timer (issue 18). */
		{ "probe = sometimes\n", "line 1: probe must be auto, always or never: sometimes", 0 },
		{ "usb = 0403:6001\nprobe = Always\n", "line 2: probe must be auto, always or never", 0 },
		{ "\nprobe =\n", "line 2: empty value for: probe", 0 },
		{ "latency_timer = 0\n", "line 1: latency_timer must be 1 to 255 (ms): 0", 0 },
		{ "latency_timer = 256\n", "line 1: latency_timer must be 1 to 255 (ms)", 0 },
		{ "latency_timer = +1\n", "line 1: latency_timer must be 1 to 255 (ms)", 0 },
		{ "latency_timer = 16ms\n", "line 1: latency_timer must be 1 to 255 (ms)", 0 },
		{ "latency_timer = 0001\n", "line 1: latency_timer must be 1 to 255 (ms)", 0 },
		{ "\n\nusb_serial =\n", "line 3: empty value for: usb_serial", 0 },
		/* An empty value is an error, with its line. */
		{ "\nusb_interface =\n", "line 2: empty value for: usb_interface", 0 },
		{ "usb =\n", "line 1: empty value for: usb", 0 },
		{ "description =  \n", "line 1: empty value for: description", 0 },
		{ "[errors]\nquery =\n", "line 2: empty value for: query", 0 },
		/* Once loaded, then refused in a spec without its line (SECURITY.md). */
		{ "[errors]\nquery = SYST:ERR?\x01\n", "line 2: bad [errors] value", 0 },
		{ "[errors]\nnone = 0,\x7f\n", "line 2: bad [errors] value", 0 },
		/* Bytes of the file reach messages escaped: a profile could
		 * otherwise write to the user's terminal. */
		{ "baud = 96\x1b[31mRED\n", "line 1: bad baud '96\\x1B[31mRED'", 0 },
		{ "ba\x1b[2Jud = 9600\n", "line 1: bad ba\\x1B[2Jud '9600'", 0 },
		{ "[errors]\nquery = X\x1b]0;t\x07\n", "line 2: bad [errors] value 'X\\x1B]0;t\\x07'", 0 },
		{ "[errors]\nq\x1bueue = x\n", "unknown_reply): q\\x1Bueue", 0 },
		{ "[property v]\nco\x1blour = red\n", "per_channel): co\\x1Blour", 1 },
	};
	struct client_config cfg;
	struct profile p;
	struct sim_profile sp;
	char want_file[128];

	(void)state;
	snprintf(want_file, sizeof(want_file), "%s/bad.profile", profile_dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		profile_dir_write("bad", cases[i].text);
		/* The simulator refuses every case, naming file, line and reason. */
		if (sim_profile_load("bad", &sp) != CLIENT_ERR_OPTION)
			fail_msg("case %zu loaded in the simulator", i);
		if (!strstr(client_last_message(), cases[i].want) ||
		    !strstr(client_last_message(), want_file))
			fail_msg("case %zu: '%s' lacks '%s'", i, client_last_message(), cases[i].want);
		for (const char *m = client_last_message(); *m; m++)
			if ((unsigned char)*m < 0x20 || *m == 0x7f)
				fail_msg("case %zu: a control byte in '%s'", i, client_last_message());
		if (cases[i].sim_only) {
			/* The library does not read the simulator's sections. */
			if (sc_profile_load("bad", &p) != CLIENT_OK)
				fail_msg("case %zu: %s", i, client_last_message());
			sc_profile_free(&p);
			assert_int_equal(client_config_parse(&cfg, "/dev/x?profile=bad"), CLIENT_OK);
			continue;
		}
		if (sc_profile_load("bad", &p) != CLIENT_ERR_OPTION)
			fail_msg("case %zu loaded", i);
		if (!strstr(client_last_message(), cases[i].want) ||
		    !strstr(client_last_message(), want_file))
			fail_msg("case %zu: '%s' lacks '%s'", i, client_last_message(), cases[i].want);
		/* The same error reaches a spec, and init, naming the port. */
		assert_int_equal(client_config_parse(&cfg, "/dev/x?profile=bad"), CLIENT_ERR_OPTION);
		assert_non_null(strstr(client_last_message(), "/dev/x: profile"));
		assert_null(client_init_py("/dev/x?profile=bad"));
		assert_int_equal(client_last_error(), CLIENT_ERR_OPTION);
	}
	/* A line too long to be anything but garbage. */
	{
		char *big = malloc(3000);

		assert_non_null(big);
		memset(big, 'a', 2998);
		big[2998] = '\n';
		big[2999] = '\0';
		profile_dir_write("bad", big);
		free(big);
		assert_int_equal(sc_profile_load("bad", &p), CLIENT_ERR_OPTION);
		assert_non_null(strstr(client_last_message(), "line 1: line longer than 1024 bytes"));
	}
}

/* A profile is a regular file: a FIFO blocked the load forever (issue 15),
 * a device node was read as an empty profile, a huge file was read whole.
 * SIGALRM ends the test (as a failure) if anything blocks. */
/* The identification keys of issue 18, and what they default to. */
static void test_identify_keys(void **state)
{
	struct profile p;

	(void)state;
	profile_dir_write("keys",
			  "usb = 0403:6001\nprobe = always\nlatency_timer = 1\n"
			  "usb_manufacturer = FTDI\nusb_product = FT232R USB UART\nusb_serial = A10K1\n");
	assert_int_equal(sc_profile_load("keys", &p), CLIENT_OK);
	assert_int_equal(p.probe, PROFILE_PROBE_ALWAYS);
	assert_int_equal(p.latency_timer, 1);
	assert_string_equal(p.usb_manufacturer, "FTDI");
	assert_string_equal(p.usb_product, "FT232R USB UART");
	assert_string_equal(p.usb_serial, "A10K1");
	sc_profile_free(&p);
	profile_dir_write("keys", "probe = never\nlatency_timer = 255\n");
	assert_int_equal(sc_profile_load("keys", &p), CLIENT_OK);
	assert_int_equal(p.probe, PROFILE_PROBE_NEVER);
	assert_int_equal(p.latency_timer, 255);
	sc_profile_free(&p);
	profile_dir_write("keys", "usb = 0403:6001\n");
	assert_int_equal(sc_profile_load("keys", &p), CLIENT_OK);
	assert_int_equal(p.probe, PROFILE_PROBE_AUTO);
	assert_int_equal(p.latency_timer, 0);
	assert_string_equal(p.usb_serial, "");
	sc_profile_free(&p);
}

static void test_not_regular(void **state)
{
	struct client_config cfg;
	struct profile p;
	char fifo[128], spec[256], dir[128], big[128];
	struct client *c;
	FILE *f;

	(void)state;
	alarm(20);
	snprintf(fifo, sizeof(fifo), "%s/fifo.profile", profile_dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* By path, by name on SERIALCMD_DEVICES, and through a spec and init. */
	assert_int_equal(sc_profile_load(fifo, &p), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), fifo));
	assert_non_null(strstr(client_last_message(), "a FIFO, not a regular file"));
	assert_int_equal(sc_profile_load("fifo", &p), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), "a FIFO, not a regular file"));
	snprintf(spec, sizeof(spec), "/dev/null?profile=%s", fifo);
	assert_int_equal(client_config_parse(&cfg, spec), CLIENT_ERR_OPTION);
	c = client_init_py(spec);
	assert_null(c);
	assert_int_equal(client_last_error(), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), fifo));
	assert_int_equal(client_config_parse(&cfg, "/dev/null?profile=fifo"), CLIENT_ERR_OPTION);
	unlink(fifo);
	/* A device node is not opened at all. */
	assert_int_equal(sc_profile_load("/dev/null", &p), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), "profile /dev/null: a character device"));
	snprintf(dir, sizeof(dir), "%s/dir.profile", profile_dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(sc_profile_load("dir", &p), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), "a directory, not a regular file"));
	rmdir(dir);
	/* A symlink to a regular profile is followed (a normal way to install one). */
	profile_dir_write("target", "baud = 4800\n");
	snprintf(big, sizeof(big), "%s/link.profile", profile_dir);
	assert_int_equal(symlink("target.profile", big), 0);
	assert_int_equal(client_config_parse(&cfg, "/dev/null?profile=link"), CLIENT_OK);
	assert_int_equal(cfg.baud, 4800);
	unlink(big);
	/* Size: over 1 MiB of comments is refused, naming the file. */
	snprintf(big, sizeof(big), "%s/big.profile", profile_dir);
	f = fopen(big, "w");
	assert_non_null(f);
	for (int i = 0; i < 20000; i++)
		fprintf(f, "# %060d\n", i);
	fclose(f);
	assert_int_equal(sc_profile_load("big", &p), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), "big.profile: file larger than 1 MiB"));
	unlink(big);
	alarm(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_profiles_load),
		cmocka_unit_test(test_spec_with_profile),
		cmocka_unit_test(test_unknown_profile),
		cmocka_unit_test(test_search_path),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_identify_keys),
	};

	return cmocka_run_group_tests_name("device profiles", tests, profile_dir_make, profile_dir_remove);
}
