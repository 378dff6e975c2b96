/* SPDX-License-Identifier: MIT */
/* test-spec.c - the spec string parser: defaults, every key, and errors
 * that name the key and the accepted values. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "profile.h"

static void test_defaults(void **state)
{
	struct client_config cfg;

	(void)state;
	assert_int_equal(client_config_parse(&cfg, "/dev/ttyUSB0"), CLIENT_OK);
	assert_string_equal(cfg.port, "/dev/ttyUSB0");
	assert_int_equal(cfg.baud, 9600);
	assert_int_equal(cfg.bits, 8);
	assert_int_equal(cfg.parity, CLIENT_PARITY_NONE);
	assert_int_equal(cfg.stop, 1);
	assert_int_equal(cfg.flow, CLIENT_FLOW_NONE);
	assert_int_equal(cfg.write_eol_len, 1);
	assert_memory_equal(cfg.write_eol, "\n", 1);
	assert_int_equal(cfg.read_eol_len, 1);
	assert_memory_equal(cfg.read_eol, "\n", 1);
	assert_int_equal(cfg.timeout_ms, 2000);
	assert_int_equal(cfg.max_reply, 64u << 20);
	assert_int_equal(cfg.exclusive, 1);
	/* The line settings are left as the driver leaves them. */
	assert_int_equal(cfg.dtr, -1);
	assert_int_equal(cfg.rts, -1);
	assert_int_equal(cfg.hupcl, -1);
	assert_int_equal(cfg.low_latency, -1);
}

/* dtr, rts, hupcl and low_latency: keep, or a boolean in any of its words. */
static void test_line_keys(void **state)
{
	struct client_config cfg;

	(void)state;
	assert_int_equal(client_config_parse(&cfg, "/dev/x?dtr=1&rts=off&hupcl=no&low_latency=true"),
			 CLIENT_OK);
	assert_int_equal(cfg.dtr, 1);
	assert_int_equal(cfg.rts, 0);
	assert_int_equal(cfg.hupcl, 0);
	assert_int_equal(cfg.low_latency, 1);
	assert_int_equal(client_config_parse(&cfg, "/dev/x?dtr=KEEP&rts=on&hupcl=1&low_latency=0"),
			 CLIENT_OK);
	assert_int_equal(cfg.dtr, -1);
	assert_int_equal(cfg.rts, 1);
	assert_int_equal(cfg.hupcl, 1);
	assert_int_equal(cfg.low_latency, 0);
	assert_string_equal(client_spec_key_type("dtr"), "tri");
	/* A hand-filled config outside -1..1 is refused by name. */
	sc_config_defaults(&cfg);
	cfg.rts = 2;
	assert_int_equal(sc_option_check_all(&cfg), CLIENT_ERR_OPTION);
	assert_string_equal(client_last_message(), ": bad rts 2 (accepted: -1 for keep, 0 or 1)");
}

static void test_all_keys(void **state)
{
	struct client_config cfg;

	(void)state;
	assert_int_equal(client_config_parse(&cfg, "/dev/ttyACM1?baud=115200&bits=7&parity=even&stop=2"
						   "&flow=rtscts&write_eol=CRLF&read_eol=\\r\\n>\\x20"
						   "&timeout_ms=500&max_reply=100&exclusive=0"),
			 CLIENT_OK);
	assert_string_equal(cfg.port, "/dev/ttyACM1");
	assert_int_equal(cfg.baud, 115200);
	assert_int_equal(cfg.bits, 7);
	assert_int_equal(cfg.parity, CLIENT_PARITY_EVEN);
	assert_int_equal(cfg.stop, 2);
	assert_int_equal(cfg.flow, CLIENT_FLOW_RTSCTS);
	assert_int_equal(cfg.write_eol_len, 2);
	assert_memory_equal(cfg.write_eol, "\r\n", 2);
	assert_int_equal(cfg.read_eol_len, 4);
	assert_memory_equal(cfg.read_eol, "\r\n> ", 4);
	assert_int_equal(cfg.timeout_ms, 500);
	assert_int_equal(cfg.max_reply, 100);
	assert_int_equal(cfg.exclusive, 0);
}

static void test_eol_forms(void **state)
{
	static const struct {
		const char *text;
		const char *bytes;
		int len;
	} cases[] = {
		{ "CR", "\r", 1 },
		{ "lf", "\n", 1 },
		{ "CRLF", "\r\n", 2 },
		{ "LFCR", "\n\r", 2 },
		{ "\\t", "\t", 1 },
		{ "\\x00", "\0", 1 },
		{ "\\xff\\x0A", "\xff\n", 2 },
		{ "ok>", "ok>", 3 },
		{ "\\\\", "\\", 1 },
		{ "", "", 0 },
		{ "\\q", NULL, -1 },
		{ "\\x4", NULL, -1 },
		{ "\\xZZ", NULL, -1 },
		{ "\\", NULL, -1 },
		{ "0123456789abcdefg", NULL, -1 },
	};
	char out[CLIENT_EOL_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = sc_eol_parse(cases[i].text, out, sizeof(out));

		assert_int_equal(n, cases[i].len);
		if (n > 0)
			assert_memory_equal(out, cases[i].bytes, (size_t)n);
	}
}

static void test_eol_sets_both(void **state)
{
	struct client_config cfg;

	(void)state;
	assert_int_equal(client_config_parse(&cfg, "/dev/x?eol=CR"), CLIENT_OK);
	assert_memory_equal(cfg.read_eol, "\r", 1);
	assert_memory_equal(cfg.write_eol, "\r", 1);
	/* An empty write terminator is allowed, an empty read one is not. */
	assert_int_equal(client_config_parse(&cfg, "/dev/x?write_eol="), CLIENT_OK);
	assert_int_equal(cfg.write_eol_len, 0);
	assert_int_equal(client_config_parse(&cfg, "/dev/x?read_eol="), CLIENT_ERR_OPTION);
}

/* Each bad spec fails with OPTION and a message holding every fragment given. */
static void test_errors(void **state)
{
	static const struct {
		const char *spec;
		const char *want[3];
	} cases[] = {
		{ "", { "empty port", NULL } },
		{ "?baud=9600", { "empty port", NULL } },
		{ "/dev/x?bauds=9600", { "/dev/x", "unknown option 'bauds'", "baud, bits, parity" } },
		{ "/dev/x?baud=fast", { "/dev/x", "'baud'", "9600 or 115200" } },
		{ "/dev/x?baud=-5", { "'baud'", NULL } },
		{ "/dev/x?baud=0", { "'baud'", NULL } },
		{ "/dev/x?bits=9", { "'bits'", "5, 6, 7 or 8" } },
		{ "/dev/x?parity=evn", { "'parity'", "none, odd, even, mark or space" } },
		{ "/dev/x?stop=3", { "'stop'", "1 or 2" } },
		{ "/dev/x?flow=hw", { "'flow'", "xonxoff" } },
		{ "/dev/x?eol=\\q", { "'eol'", "CRLF" } },
		{ "/dev/x?timeout_ms=0", { "'timeout_ms'", "1 to 86400000" } },
		{ "/dev/x?timeout_ms=99999999999999999999", { "'timeout_ms'", NULL } },
		{ "/dev/x?max_reply=0", { "'max_reply'", NULL } },
		{ "/dev/x?exclusive=maybe", { "'exclusive'", "0 or 1" } },
		{ "/dev/x?dtr=2",
		  { "/dev/x", "bad value '2' for 'dtr'",
		    "0 or 1 (also true/false, yes/no, on/off), or keep" } },
		{ "/dev/x?rts=", { "bad value '' for 'rts'", "or keep" } },
		{ "/dev/x?hupcl=-1", { "bad value '-1' for 'hupcl'", "or keep" } },
		{ "/dev/x?low_latency=fast", { "bad value 'fast' for 'low_latency'", "or keep" } },
		{ "/dev/x?dtr=1&dtr=0", { "given twice", NULL } },
		{ "/dev/x?baud", { "has no '=value'", NULL } },
		{ "/dev/x?baud=9600&baud=19200", { "given twice", NULL } },
		{ "/dev/x?baud=9600 ", { "'baud'", NULL } },
	};
	struct client_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = client_config_parse(&cfg, cases[i].spec);

		if (ret != CLIENT_ERR_OPTION)
			fail_msg("spec '%s': got %d, want CLIENT_ERR_OPTION", cases[i].spec, ret);
		assert_int_equal(client_last_error(), CLIENT_ERR_OPTION);
		for (int k = 0; k < 3 && cases[i].want[k]; k++)
			if (!strstr(client_last_message(), cases[i].want[k]))
				fail_msg("spec '%s': message '%s' lacks '%s'", cases[i].spec,
					 client_last_message(), cases[i].want[k]);
	}
}

/* init fails the same way, before touching any port, and leaves no handle. */
static void test_init_errors(void **state)
{
	(void)state;
	assert_null(client_init_py("/dev/x?parity=evn"));
	assert_int_equal(client_last_error(), CLIENT_ERR_OPTION);
	assert_null(client_init_py(NULL));
	assert_int_equal(client_last_error(), CLIENT_ERR_ARG);
	assert_null(client_init_py("/nonexistent/tty"));
	assert_int_equal(client_last_error(), CLIENT_ERR_NOPORT);
	assert_non_null(strstr(client_last_message(), "/nonexistent/tty"));
	assert_null(client_init_py("/dev/null"));
	assert_int_equal(client_last_error(), CLIENT_ERR_NOPORT);
	assert_non_null(strstr(client_last_message(), "not a serial port"));
	assert_null(client_init_py("/etc/hostname"));
	assert_int_equal(client_last_error(), CLIENT_ERR_NOPORT);
}

static void test_tolerated_separators(void **state)
{
	struct client_config cfg;

	(void)state;
	assert_int_equal(client_config_parse(&cfg, "/dev/x?"), CLIENT_OK);
	assert_int_equal(client_config_parse(&cfg, "/dev/x?&baud=19200&&bits=7&"), CLIENT_OK);
	assert_int_equal(cfg.baud, 19200);
	assert_int_equal(cfg.bits, 7);
	assert_int_equal(client_last_error(), CLIENT_OK);
	assert_string_equal(client_last_message(), "");
}

static void test_config_new(void **state)
{
	struct client_config *cfg;

	(void)state;
	cfg = client_config_new(NULL);
	assert_non_null(cfg);
	assert_string_equal(cfg->port, "");
	assert_int_equal(cfg->baud, 9600);
	client_config_free(cfg);
	cfg = client_config_new("/dev/x?baud=57600");
	assert_non_null(cfg);
	assert_int_equal(cfg->baud, 57600);
	client_config_free(cfg);
	assert_null(client_config_new("/dev/x?baud=x"));
	assert_int_equal(client_last_error(), CLIENT_ERR_OPTION);
	client_config_free(NULL);
	/* A config with no port cannot be opened. */
	cfg = client_config_new(NULL);
	assert_null(client_open(cfg));
	assert_int_equal(client_last_error(), CLIENT_ERR_OPTION);
	client_config_free(cfg);
	assert_null(client_open(NULL));
	assert_int_equal(client_last_error(), CLIENT_ERR_ARG);
}

static void test_error_names(void **state)
{
	(void)state;
	assert_string_equal(client_error_name(CLIENT_ERR_TIMEOUT), "CLIENT_ERR_TIMEOUT");
	assert_string_equal(client_error_name(CLIENT_ERR_NOMEM), "CLIENT_ERR_NOMEM");
	assert_string_equal(client_error_name(-999), "CLIENT_ERR_UNKNOWN");
	assert_string_equal(client_strerror(CLIENT_ERR_BUSY), "port busy");
	assert_string_equal(client_strerror(12345), "unknown error");
	assert_string_equal(client_version(), SERIALCMD_VERSION_STRING);
	for (int code = CLIENT_OK; code >= CLIENT_ERR_UNSUPPORTED; code--)
		assert_string_not_equal(client_error_name(code), "CLIENT_ERR_UNKNOWN");
}

/* The option table drives everything by key: each default is a value the
 * key accepts, each value reads back as it was set, each key is listed
 * and typed, and each refusal quotes the table's accepted text. */
static void test_option_table(void **state)
{
	struct client_config def, cfg;
	char text[256], accepted[256], spec[600];

	(void)state;
	sc_config_defaults(&def);
	assert_true(sc_option_count() > 0);
	for (size_t i = 0; i < sc_option_count(); i++) {
		const struct option_def *o = sc_option_at(i);

		assert_non_null(strstr(client_spec_keys(), o->name));
		assert_non_null(client_spec_key_type(o->name));
		/* Every key has help, and the help says what it accepts. */
		assert_non_null(strstr(client_spec_key_help(o->name),
				       sc_option_accepted(o, accepted, sizeof(accepted))));
		assert_true(strlen(sc_option_accepted(o, accepted, sizeof(accepted))) > 4);
		if (o->type == OPTION_PROFILE)
			continue;
		if (o->def)
			assert_int_equal(sc_option_parse(o, &cfg, o->def), 0);
		/* Format the default and parse it back: the config is unchanged. */
		assert_int_equal(sc_option_format(o, &def, text, sizeof(text)), 0);
		cfg = def;
		if (text[0] || o->min == 0)
			assert_int_equal(sc_option_parse(o, &cfg, text), 0);
		assert_memory_equal(&cfg, &def, sizeof(cfg));
		/* A value no key accepts is refused with the table's text. */
		snprintf(spec, sizeof(spec), "/dev/x?%s=\\q\x01", o->name);
		assert_int_equal(client_config_parse(&cfg, spec), CLIENT_ERR_OPTION);
		if (!strstr(client_last_message(), accepted))
			fail_msg("%s: '%s' lacks '%s'", o->name, client_last_message(), accepted);
	}
	assert_string_equal(client_spec_key_help("min_gap_ms"),
			    "Least time between the end of one command and the next, in milliseconds."
			    " Accepted: 0 to 600000. Default: 0.");
	assert_string_equal(client_spec_key_help("parity"),
			    "Parity. Accepted: none, odd, even, mark or space. Default: none.");
	assert_null(client_spec_key_help("speed"));
	assert_int_equal(client_last_error(), CLIENT_ERR_ARG);
	assert_null(client_spec_key_type("speed"));
	assert_int_equal(client_last_error(), CLIENT_ERR_ARG);
	assert_string_equal(client_spec_key_type("eol"), "eol");
	assert_string_equal(client_spec_key_type("parity"), "word");
	/* Terminators read back in a form that parses to the same bytes. */
	assert_int_equal(client_config_parse(&cfg, "/dev/x?read_eol=\\x01CR&write_eol="), CLIENT_OK);
	assert_int_equal(sc_option_format(sc_option_find("read_eol"), &cfg, text, sizeof(text)), 0);
	assert_string_equal(text, "\\x01CR");
	assert_int_equal(sc_option_format(sc_option_find("write_eol"), &cfg, text, sizeof(text)), 0);
	assert_string_equal(text, "");
	/* A hand-filled field out of range is named with the same limits. */
	cfg = def;
	cfg.bits = 9;
	assert_int_equal(sc_option_check_all(&cfg), CLIENT_ERR_OPTION);
	assert_string_equal(client_last_message(), ": bad bits 9 (accepted: 5, 6, 7 or 8)");
}

/* The port is checked as the backend would read it when the spec is
 * parsed, so a bad one is a bad option before anything is opened. */
static void test_bad_ports(void **state)
{
	static const struct {
		const char *spec, *want;
	} bad[] = {
		{ "tcp://host", "no port (expected tcp://HOST:PORT" },
		{ "tcp://host:", "no port number after ':'" },
		{ "tcp://:4001", "no host" },
		{ "tcp://host:70000?baud=9600", "bad port number '70000'" },
		{ "rfc2217://host", "no port" },
		{ "rfc2217://[::1", "without ']'" },
		{ "usb:zz", "usb:VID:PID" },
		{ "usb:zzzz:6001", "usb:VID:PID" },
		{ "usb:0403:6001:", "usb:VID:PID" },
		{ "usb:0403:60011", "usb:VID:PID" },
		{ "?baud=9600", "empty port" },
	};
	struct client_config cfg;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (client_config_parse(&cfg, bad[i].spec) != CLIENT_ERR_OPTION)
			fail_msg("spec '%s': accepted", bad[i].spec);
		if (!strstr(client_last_message(), bad[i].want))
			fail_msg("spec '%s': message '%s' lacks '%s'", bad[i].spec, client_last_message(),
				 bad[i].want);
	}
	/* Well-formed ports parse without being looked up. */
	assert_int_equal(client_config_parse(&cfg, "tcp://nonexistent.invalid:4001"), CLIENT_OK);
	assert_int_equal(client_config_parse(&cfg, "rfc2217://[::1]:2217?baud=9600"), CLIENT_OK);
	assert_int_equal(client_config_parse(&cfg, "usb:0403:6001:FT1ZQ3X9"), CLIENT_OK);
	assert_int_equal(client_config_parse(&cfg, "/dev/serialcmd-no-such-port"), CLIENT_OK);
	/* A hand-filled config is held to the same. */
	assert_int_equal(client_config_parse(&cfg, "/dev/x"), CLIENT_OK);
	snprintf(cfg.port, sizeof(cfg.port), "tcp://host");
	assert_null(client_open(&cfg));
	assert_int_equal(client_last_error(), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), "no port"));
}

/* The opaque config: every key set and read back through the public
 * calls, as a spec would write it; a refused value changes nothing. */
static void test_config_set_get(void **state)
{
	static const struct {
		const char *key, *value, *reads;
	} cases[] = {
		{ "port", "/dev/ttyUSB3", "/dev/ttyUSB3" },
		{ "baud", "115200", "115200" },
		{ "bits", "7", "7" },
		{ "parity", "EVEN", "even" },
		{ "stop", "2", "2" },
		{ "flow", "rtscts", "rtscts" },
		{ "read_eol", "\\r\\n", "CRLF" },
		{ "write_eol", "\\x03", "\\x03" },
		{ "write_eol", "", "" },
		{ "eol", "CR", "CR" },
		{ "timeout_ms", "86400000", "86400000" },
		{ "max_reply", "1073741824", "1073741824" },
		{ "exclusive", "off", "0" },
		{ "echo", "yes", "1" },
		{ "query_delay_ms", "5", "5" },
		{ "min_gap_ms", "600000", "600000" },
		{ "open_delay_ms", "0", "0" },
		{ "check_errors", "true", "1" },
		{ "error_query", "SYST:ERR?", "SYST:ERR?" },
		{ "error_none", "", "" },
		{ "reconnect", "1", "1" },
		{ "dtr", "on", "1" },
		{ "rts", "false", "0" },
		{ "hupcl", "keep", "keep" },
		{ "low_latency", "yes", "1" },
	};
	struct client_config *cfg = client_config_new(NULL);
	char out[64], small[4];

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(client_config_get(cfg, "baud", out, sizeof(out)), CLIENT_OK);
	assert_string_equal(out, "9600");
	assert_int_equal(client_config_get(cfg, "write_eol", out, sizeof(out)), CLIENT_OK);
	assert_string_equal(out, "LF");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (client_config_set(cfg, cases[i].key, cases[i].value) != CLIENT_OK)
			fail_msg("%s=%s: %s", cases[i].key, cases[i].value, client_last_message());
		assert_int_equal(client_config_get(cfg, cases[i].key, out, sizeof(out)), CLIENT_OK);
		if (strcmp(out, cases[i].reads) != 0)
			fail_msg("%s=%s reads '%s', want '%s'", cases[i].key, cases[i].value, out,
				 cases[i].reads);
	}
	/* eol set both terminators. */
	assert_int_equal(client_config_get(cfg, "write_eol", out, sizeof(out)), CLIENT_OK);
	assert_string_equal(out, "CR");
	/* Refused values name the accepted ones and leave the value. */
	assert_int_equal(client_config_set(cfg, "bits", "9"), CLIENT_ERR_OPTION);
	assert_string_equal(client_last_message(),
			    "/dev/ttyUSB3: bad value '9' for 'bits' (accepted: 5, 6, 7 or 8)");
	assert_int_equal(client_config_get(cfg, "bits", out, sizeof(out)), CLIENT_OK);
	assert_string_equal(out, "7");
	assert_int_equal(client_config_set(cfg, "eol", ""), CLIENT_ERR_OPTION);
	assert_int_equal(client_config_set(cfg, "speed", "1"), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), "unknown option 'speed' (accepted keys: port, baud"));
	assert_int_equal(client_config_get(cfg, "speed", out, sizeof(out)), CLIENT_ERR_OPTION);
	assert_int_equal(client_config_set(cfg, "port", "tcp://host"), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), "no port"));
	assert_int_equal(client_config_set(cfg, "port", ""), CLIENT_ERR_OPTION);
	assert_int_equal(client_config_get(cfg, "port", out, sizeof(out)), CLIENT_OK);
	assert_string_equal(out, "/dev/ttyUSB3");
	assert_int_equal(client_config_set(cfg, "profile", "no-such-profile"), CLIENT_ERR_OPTION);
	assert_int_equal(client_config_get(cfg, "profile", out, sizeof(out)), CLIENT_OK);
	assert_string_equal(out, "");
	/* Too small a buffer is an argument error, never a cut value. */
	assert_int_equal(client_config_get(cfg, "port", small, sizeof(small)), CLIENT_ERR_ARG);
	assert_string_equal(small, "");
	assert_int_equal(client_config_get(cfg, "max_reply", small, sizeof(small)), CLIENT_ERR_ARG);
	assert_int_equal(client_config_set(NULL, "baud", "1"), CLIENT_ERR_ARG);
	assert_int_equal(client_config_set(cfg, NULL, "1"), CLIENT_ERR_ARG);
	assert_int_equal(client_config_get(cfg, "baud", NULL, 1), CLIENT_ERR_ARG);
	client_config_free(cfg);
}

/* A profile set on a config applies its settings, and names it. */
static void test_config_set_profile(void **state)
{
	struct client_config *cfg = client_config_new("/dev/x?baud=1200");
	char out[64];

	(void)state;
	assert_int_equal(client_config_set(cfg, "profile", "keithley2000"), CLIENT_OK);
	assert_int_equal(client_config_get(cfg, "profile", out, sizeof(out)), CLIENT_OK);
	assert_string_equal(out, "keithley2000");
	/* The profile's baud and timeout replace the config's. */
	assert_int_equal(client_config_get(cfg, "baud", out, sizeof(out)), CLIENT_OK);
	assert_string_equal(out, "9600");
	assert_int_equal(client_config_get(cfg, "timeout_ms", out, sizeof(out)), CLIENT_OK);
	assert_string_equal(out, "3000");
	client_config_free(cfg);
}

/* The port list is read through accessors that check the index. */
static void test_port_accessors(void **state)
{
	char root[] = "/tmp/serialcmd-sysfs-XXXXXX", path[256];
	struct client_port_info *list = NULL;
	int n;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path),
		 "mkdir -p %s/devices/platform/serial8250/tty/ttyS9/device %s/class/tty"
		 " && ln -s ../../devices/platform/serial8250/tty/ttyS9 %s/class/tty/ttyS9",
		 root, root, root);
	assert_int_equal(system(path), 0);
	setenv("SERIALCMD_SYSFS_ROOT", root, 1);
	n = client_list_ports(&list, 0);
	unsetenv("SERIALCMD_SYSFS_ROOT");
	assert_int_equal(n, 1);
	assert_string_equal(client_port_name(list, 0), "/dev/ttyS9");
	assert_string_equal(client_port_description(list, 0), "on-board UART");
	assert_string_equal(client_port_driver(list, 0), "");
	assert_int_equal(client_port_transport(list, 0), CLIENT_PORT_NATIVE);
	assert_int_equal(client_port_usb_vid(list, 0), -1);
	assert_int_equal(client_port_usb_pid(list, 0), -1);
	assert_int_equal(client_port_usb_interface(list, 0), -1);
	assert_string_equal(client_port_usb_serial(list, 0), "");
	assert_string_equal(client_port_usb_manufacturer(list, 0), "");
	assert_string_equal(client_port_usb_product(list, 0), "");
	assert_string_equal(client_port_passive(list, 0), "");
	assert_int_equal(client_port_console(list, 0), 0);
	assert_int_equal(client_last_error(), CLIENT_OK);
	assert_null(client_port_name(list, 1));
	assert_int_equal(client_last_error(), CLIENT_ERR_ARG);
	assert_int_equal(client_port_console(list, -1), CLIENT_ERR_ARG);
	assert_null(client_port_name(NULL, 0));
	assert_null(client_port_passive(list, 1));
	assert_int_equal(client_last_error(), CLIENT_ERR_ARG);
	client_free_ports(list);
	snprintf(path, sizeof(path), "rm -rf %s", root);
	assert_int_equal(system(path), 0);
}

/* This program, from argv[0] (not /proc/self/exe: under valgrind, that is
 * valgrind). */
static char self_path[PATH_MAX];

/* The child of test_secure_env: what the library makes of the environment
 * switches, one line on stdout. */
static int secure_env_child(void)
{
	struct client c;
	struct profile p;
	struct client_port_info *list = NULL;
	int n, fake = 0, loaded;

	memset(&c, 0, sizeof(c));
	sc_trace_init(&c);
	n = client_list_ports(&list, 0);
	for (int i = 0; i < n; i++)
		fake |= strcmp(client_port_name(list, i), "/dev/ttySecureTest7") == 0;
	client_free_ports(list);
	loaded = sc_profile_load("envonly", &p) == CLIENT_OK;
	if (loaded)
		sc_profile_free(&p);
	printf("secure=%lu trace=%d profile=%d sysfs=%d\n", getauxval(AT_SECURE), c.trace != NULL, loaded,
	       fake);
	return 0;
}

/* Run a copy of this test with SERIALCMD_TRACE, SERIALCMD_DEVICES and
 * SERIALCMD_SYSFS_ROOT set; the output of the child. */
static void run_copy(const char *exe, const char *dir, char *out, size_t size)
{
	char cmd[512];
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "SERIALCMD_TRACE=1 SERIALCMD_DEVICES=%s SERIALCMD_SYSFS_ROOT=%s/sysfs %s --secure-env-child",
		 dir, dir, exe);
	f = popen(cmd, "r");
	assert_non_null(f);
	out[0] = '\0';
	if (!fgets(out, (int)size, f))
		out[0] = '\0';
	assert_int_equal(pclose(f), 0);
}

/* The library reads its environment with secure_getenv (issue 15: TRACE
 * was read with getenv, so a setuid program traced to its caller): a
 * setgid copy of this test (AT_SECURE set) ignores all three switches that
 * the plain copy obeys. Needs root (to give the copy a group not its
 * caller's) and a file system without nosuid; skipped otherwise. */
static void test_secure_env(void **state)
{
	char dir[] = "/tmp/serialcmd-secure-XXXXXX", exe[128], cmd[PATH_MAX + 1024], out[128];

	(void)state;
	if (geteuid() != 0 || !self_path[0])
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(exe, sizeof(exe), "%s/test-spec", dir);
	snprintf(cmd, sizeof(cmd),
		 "cp '%s' %s && echo 'baud = 1200' > %s/envonly.profile"
		 " && mkdir -p %s/sysfs/devices/platform/serial8250/tty/ttySecureTest7/device %s/sysfs/class/tty"
		 " && ln -s ../../devices/platform/serial8250/tty/ttySecureTest7 %s/sysfs/class/tty/"
		 " && chmod 0755 %s && chmod -R a+rX %s",
		 self_path, exe, dir, dir, dir, dir, exe, dir);
	assert_int_equal(system(cmd), 0);
	run_copy(exe, dir, out, sizeof(out));
	assert_string_equal(out, "secure=0 trace=1 profile=1 sysfs=1\n");
	/* setgid to a group that is not the caller's: the kernel sets AT_SECURE. */
	assert_int_equal(chown(exe, 0, 65534), 0);
	assert_int_equal(chmod(exe, 02755), 0);
	run_copy(exe, dir, out, sizeof(out));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	if (strncmp(out, "secure=0", 8) == 0) {
		print_message("setgid not honoured here (nosuid, no_new_privs?): skipped\n");
		skip();
	}
	assert_string_equal(out, "secure=1 trace=0 profile=0 sysfs=0\n");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_line_keys),
		cmocka_unit_test(test_eol_forms),
		cmocka_unit_test(test_eol_sets_both),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_option_table),
		cmocka_unit_test(test_bad_ports),
		cmocka_unit_test(test_config_set_get),
		cmocka_unit_test(test_config_set_profile),
		cmocka_unit_test(test_port_accessors),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_tolerated_separators),
		cmocka_unit_test(test_config_new),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_secure_env),
	};

	if (argc == 2 && strcmp(argv[1], "--secure-env-child") == 0)
		return secure_env_child();
	if (!realpath(argv[0], self_path))
		self_path[0] = '\0';
	return cmocka_run_group_tests_name("spec parsing", tests, NULL, NULL);
}
