/* SPDX-License-Identifier: MIT */
/* serialcmd.c - the command line: send commands to an instrument, print its
 * replies; list serial ports. For shell scripts and people. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <serialcmd.h>

/* How many unread bytes a message shows, escaped. */
#define UNREAD_SHOWN 32
/* Once bytes were left unread, the rest is counted until the line has been
 * quiet UNREAD_QUIET_MS, at most UNREAD_ROUNDS times. */
#define UNREAD_QUIET_MS 20
#define UNREAD_ROUNDS 100

/* Exit codes, documented in serialcmd(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	  /* any other failure */
	EXIT_USAGE = 2,	  /* bad arguments, bad spec option, bad command */
	EXIT_TIMEOUT = 3, /* no complete reply before the deadline */
	EXIT_BUSY = 4,	  /* another process holds the port */
	EXIT_PERM = 5,	  /* permission denied */
	EXIT_NOPORT = 6,  /* no such port, host not found, connection refused */
	EXIT_GONE = 7,	  /* the device went away or the server closed the connection */
};

static int exit_code(int err)
{
	switch (err) {
	case CLIENT_ERR_ARG:
	case CLIENT_ERR_OPTION:
	case CLIENT_ERR_COMMAND: return EXIT_USAGE;
	case CLIENT_ERR_TIMEOUT: return EXIT_TIMEOUT;
	case CLIENT_ERR_BUSY: return EXIT_BUSY;
	case CLIENT_ERR_PERM: return EXIT_PERM;
	case CLIENT_ERR_NOPORT:
	case CLIENT_ERR_NOHOST:
	case CLIENT_ERR_REFUSED: return EXIT_NOPORT;
	case CLIENT_ERR_GONE:
	case CLIENT_ERR_CLOSED: return EXIT_GONE;
	default: return EXIT_FAIL;
	}
}

static int report(void)
{
	int err = client_last_error();

	fprintf(stderr, "serialcmd: %s (%s)\n", client_last_message(), client_error_name(err));
	return exit_code(err);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: serialcmd [--trace] [--record FILE] SPEC [CMD | -w CMD | -b CMD | -r |\n"
		   "                 --dtr=0|1 | --rts=0|1 | --break=MS | --signals]...\n"
		   "       serialcmd --list [--all]\n"
		   "       serialcmd [--trace] --find PROFILE [--identify]\n"
		   "Send each CMD to the instrument at SPEC and print its reply on stdout.\n"
		   "  SPEC            a port and options, e.g. '/dev/ttyUSB0?baud=115200&eol=CRLF'\n"
		   "                  or '/dev/ttyUSB0?profile=keithley2000' (see serialcmd(1))\n"
		   "  -w, --write CMD send CMD and read no reply\n"
		   "  -b, --block CMD send CMD, read its binary block (#<n><len><bytes>) and write\n"
		   "                  the block's bytes to stdout exactly, with no newline\n"
		   "  -r, --read      read one more reply without sending\n"
		   "  --dtr=0|1, --rts=0|1  lower or raise DTR / RTS (in order with the commands)\n"
		   "  --break=MS      send a break of MS milliseconds\n"
		   "  --signals       print the input lines: CTS=0|1 DSR=0|1 DCD=0|1 RI=0|1\n"
		   "  -T, --trace     show the bytes sent, received and dropped on stderr\n"
		   "  -R, --record F  append the session to file F (JSON Lines, 0600), for\n"
		   "                  serialcmd-sim --replay (the spec key record= does the same)\n"
		   "  -l, --list      list serial ports (never opening them)\n"
		   "  -a, --all       with --list: also on-board UARTs that report no hardware\n"
		   "  -f, --find P    list the ports whose USB ids profile P lists (opening none)\n"
		   "  -i, --identify  with --find: ask each of them P's identify query; keep matches\n"
		   "                  (never on a generic bridge's ids unless P says probe = always:\n"
		   "                  those are kept on ids and USB strings, shown passive=WHY)\n"
		   "  -h, --help      this text;  -V, --version  the library's version\n"
		   "A profile's 'queries = scpi' reads no reply for commands without '?', and its\n"
		   "'blocks = Q1,Q2' reads those queries as -b does.\n"
		   "Exit status: 0 ok, 1 failure (also: bytes left unread, output error), 2 usage or\n"
		   "bad option/command, 3 timeout, 4 port busy, 5 permission denied, 6 no such\n"
		   "port/host, 7 device gone.\n");
}

/* Standard output is where the data goes: a failed write is a failure.
 * errno 0: the error was seen earlier, its cause no longer known. */
static int output_error(void)
{
	static int said;

	if (said++)
		return EXIT_FAIL;
	fprintf(stderr, "serialcmd: writing standard output: %s\n", errno ? strerror(errno) : "write error");
	return EXIT_FAIL;
}

/* Flush and close stdout: a full disk or a closed pipe shows here, if it
 * did not show before. */
static int finish_output(int status)
{
	int failed = ferror(stdout);

	errno = 0;
	if (fclose(stdout) != 0)
		failed = 1;
	if (failed) {
		int st = output_error();

		return status == EXIT_OK ? st : status;
	}
	return status;
}

static void trace_line(void *user, const char *line)
{
	(void)user;
	fprintf(stderr, "serialcmd: trace: %s\n", line);
}

/* A text from sysfs (USB strings come from the device) as one column:
 * printable ASCII stays, a backslash is doubled, anything else (TAB, which
 * separates the columns, ESC, newlines) becomes \t or \xHH. */
static void print_field(const char *prefix, const char *text)
{
	fputs(prefix, stdout);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p >= 0x20 && *p < 0x7f)
			putchar(*p);
		else
			printf("\\x%02X", *p);
	}
}

static int list_ports(const char *profile, int flags)
{
	struct client_port_info *ports;
	int n = profile ? client_find_ports(profile, &ports, flags) : client_list_ports(&ports, flags);

	if (n < 0)
		return report();
	for (int i = 0; i < n; i++) {
		const char *manufacturer = client_port_usb_manufacturer(ports, i);
		const char *serial = client_port_usb_serial(ports, i);
		const char *driver = client_port_driver(ports, i);

		print_field("", client_port_name(ports, i));
		if (client_port_usb_vid(ports, i) >= 0)
			printf("\tusb %04x:%04x", client_port_usb_vid(ports, i),
			       client_port_usb_pid(ports, i));
		else
			printf("\t%s", client_port_transport(ports, i) == CLIENT_PORT_BLUETOOTH ? "bluetooth"
												: "native");
		print_field("\t", client_port_description(ports, i));
		if (manufacturer[0])
			print_field("\tmanufacturer=", manufacturer);
		if (serial[0])
			print_field("\tserial=", serial);
		if (driver[0])
			print_field("\tdriver=", driver);
		if (client_port_console(ports, i))
			printf("\t(kernel console)");
		if (client_port_passive(ports, i)[0])
			print_field("\tpassive=", client_port_passive(ports, i));
		putchar('\n');
	}
	client_free_ports(ports);
	return EXIT_OK;
}

/* A reply as a line, or a block's bytes exactly as they came (raw). */
/* A note the library leaves on success (a session recording that stopped:
 * the command itself went through), shown once. */
static void show_note(void)
{
	static int shown;

	if (!shown && client_last_error() == CLIENT_OK && client_last_message()[0]) {
		fprintf(stderr, "serialcmd: %s\n", client_last_message());
		shown = 1;
	}
}

static int print_reply(struct client_ret *r, int raw)
{
	int ok;

	if (!r)
		return report();
	show_note();
	errno = 0;
	ok = fwrite(r->ret_data, 1, r->len, stdout) == r->len && (raw || putchar('\n') != EOF) &&
	     fflush(stdout) == 0;
	client_free_ret(r);
	return ok ? EXIT_OK : output_error();
}

/* The header of one SCPI command: from its first non-blank to the next
 * blank; *len is its length. */
static const char *header(const char *cmd, const char *end, size_t *len)
{
	const char *h = cmd, *e;

	while (h < end && isspace((unsigned char)*h))
		h++;
	for (e = h; e < end && !isspace((unsigned char)*e);)
		e++;
	*len = (size_t)(e - h);
	return h;
}

/* queries = scpi: a command line is a query when the header of one of its
 * ';'-separated commands ends in '?' (";" inside quotes does not separate). */
static int scpi_query(const char *cmd)
{
	const char *start = cmd;
	char quote = 0;

	for (const char *p = cmd;; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			else if (!*p)
				return 0;
			continue;
		}
		if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if (*p == ';' || !*p) {
			size_t len;
			const char *h = header(start, p, &len);

			if (len && h[len - 1] == '?')
				return 1;
			if (!*p)
				return 0;
			start = p + 1;
		}
	}
}

/* blocks = Q1,Q2: is cmd's header one of them (without regard to case)? */
static int block_query(const char *blocks, const char *cmd)
{
	size_t len;
	const char *h = header(cmd, cmd + strlen(cmd), &len);

	for (const char *q = blocks; *q;) {
		size_t qlen;
		const char *qh = header(q, q + strcspn(q, ","), &qlen);

		if (qlen && qlen == len && strncasecmp(qh, h, len) == 0)
			return 1;
		q += strcspn(q, ",");
		if (*q == ',')
			q++;
	}
	return 0;
}

/* How the spec (or its profile) says commands are read. */
struct reading {
	int scpi;	 /* queries = scpi */
	char blocks[256]; /* blocks = ... */
};

/* Open the handle from the spec, and learn the spec's reading rules. */
static struct client *open_spec(const char *spec, const char *record, struct reading *rd)
{
	struct client_config *cfg = client_config_new(spec);
	struct client *c = NULL;
	char queries[16];

	if (!cfg)
		return NULL;
	if ((!record || client_config_set(cfg, "record", record) == CLIENT_OK) &&
	    client_config_get(cfg, "queries", queries, sizeof(queries)) == CLIENT_OK &&
	    client_config_get(cfg, "blocks", rd->blocks, sizeof(rd->blocks)) == CLIENT_OK) {
		rd->scpi = strcmp(queries, "scpi") == 0;
		c = client_open(cfg);
	}
	client_config_free(cfg);
	if (c)
		show_note();
	return c;
}

/* One CMD from the command line, read as the spec says. */
static int command(struct client *c, const struct reading *rd, const char *cmd)
{
	int status;

	if (rd->blocks[0] && block_query(rd->blocks, cmd))
		return print_reply(client_query_block(c, cmd), 1);
	if (rd->scpi && !scpi_query(cmd))
		return client_send_cmd(c, cmd) == CLIENT_OK ? (show_note(), EXIT_OK) : report();
	status = print_reply(client_send_cmd_reply(c, cmd), 0);
	if (status == EXIT_TIMEOUT && !scpi_query(cmd))
		fprintf(stderr,
			"serialcmd: '%s' has no '?': if it answers nothing, send it with -w '%s'"
			" (or use a profile with queries = scpi)\n",
			cmd, cmd);
	return status;
}

/* Bytes for a message: printable ASCII as it is, the rest escaped. */
static void escape(char *out, size_t size, const char *data, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < len && o + 5 < size; i++) {
		unsigned char ch = (unsigned char)data[i];
		int n;

		if (ch == '\n')
			n = snprintf(out + o, size - o, "\\n");
		else if (ch == '\r')
			n = snprintf(out + o, size - o, "\\r");
		else if (ch == '\t')
			n = snprintf(out + o, size - o, "\\t");
		else if (ch == '\\' || ch == '"')
			n = snprintf(out + o, size - o, "\\%c", ch);
		else if (ch < 0x20 || ch > 0x7e)
			n = snprintf(out + o, size - o, "\\x%02X", ch);
		else
			n = snprintf(out + o, size - o, "%c", ch);
		o += (size_t)n;
	}
}

/* Nothing the device sent is dropped silently: bytes left unread when the
 * run ends are shown, and fail a run that had succeeded. */
static int check_unread(struct client *c, int status)
{
	struct client_ret *r = client_read_available(c);
	char shown[UNREAD_SHOWN * 4 + 1];

	if (!r) {
		int err = client_last_error();

		/* A device that hung up after its last reply lost nothing. */
		if (status != EXIT_OK || err == CLIENT_ERR_GONE || err == CLIENT_ERR_CLOSED)
			return status;
		return report();
	}
	if (r->len) {
		size_t total = r->len;
		struct client_ret *more;

		escape(shown, sizeof(shown), r->ret_data, r->len < UNREAD_SHOWN ? r->len : UNREAD_SHOWN);
		/* The device is still sending (the rest of a block read as
		 * text): count what follows until it has been quiet a moment,
		 * a pause paid only by a run that already failed. */
		for (int i = 0; i < UNREAD_ROUNDS; i++) {
			nanosleep(&(struct timespec){ .tv_nsec = UNREAD_QUIET_MS * 1000000L }, NULL);
			more = client_read_available(c);
			if (!more || !more->len) {
				client_free_ret(more);
				break;
			}
			total += more->len;
			client_free_ret(more);
		}
		fprintf(stderr,
			"serialcmd: %s: %zu byte%s left unread from the device: \"%s\"%s (read them with -r,"
			" or -b for a binary block)\n",
			client_port(c), total, total == 1 ? "" : "s", shown, total > UNREAD_SHOWN ? "..." : "");
		if (status == EXIT_OK)
			status = EXIT_FAIL;
	}
	client_free_ret(r);
	return status;
}

/* The line-control options: long only, numbered past every character. */
enum { OPT_DTR = 256, OPT_RTS, OPT_BREAK, OPT_SIGNALS };

/* --dtr=0|1, --rts=0|1, --break=MS, --signals (printed as one line). */
static int control(struct client *c, int opt, const char *arg)
{
	static const char *const names[] = { "dtr", "rts", "break" };
	char *end;
	unsigned long v = 0;
	int ret;

	if (opt != OPT_SIGNALS) {
		errno = 0;
		v = arg[0] >= '0' && arg[0] <= '9' ? strtoul(arg, &end, 10) : ULONG_MAX;
		if (v == ULONG_MAX || errno || *end || (opt != OPT_BREAK && v > 1) ||
		    (opt == OPT_BREAK && v > UINT_MAX)) {
			fprintf(stderr, "serialcmd: --%s: bad value '%s' (accepted: %s)\n",
				names[opt - OPT_DTR], arg,
				opt == OPT_BREAK ? "milliseconds, at least 1 and shorter than timeout_ms"
						 : "0 or 1");
			return EXIT_USAGE;
		}
	}
	switch (opt) {
	case OPT_DTR: ret = client_set_dtr(c, (int)v); break;
	case OPT_RTS: ret = client_set_rts(c, (int)v); break;
	case OPT_BREAK: ret = client_send_break(c, (unsigned int)v); break;
	default:
		ret = client_get_signals(c);
		if (ret >= 0 &&
		    printf("CTS=%d DSR=%d DCD=%d RI=%d\n", !!(ret & CLIENT_SIG_CTS), !!(ret & CLIENT_SIG_DSR),
			   !!(ret & CLIENT_SIG_DCD), !!(ret & CLIENT_SIG_RI)) < 0)
			return output_error();
		break;
	}
	return ret < 0 ? report() : EXIT_OK;
}

int main(int argc, char **argv)
{
	/* '-' keeps commands and options in the order given. */
	static const char shortopts[] = "-w:b:rTR:laf:ihV";
	static const struct option longopts[] = {
		{ "write", required_argument, NULL, 'w' },
		{ "read", no_argument, NULL, 'r' },
		{ "block", required_argument, NULL, 'b' },
		{ "trace", no_argument, NULL, 'T' },
		{ "list", no_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "find", required_argument, NULL, 'f' },
		{ "identify", no_argument, NULL, 'i' },
		{ "version", no_argument, NULL, 'V' },
		{ "dtr", required_argument, NULL, OPT_DTR },
		{ "rts", required_argument, NULL, OPT_RTS },
		{ "break", required_argument, NULL, OPT_BREAK },
		{ "signals", no_argument, NULL, OPT_SIGNALS },
		{ "record", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct client *c = NULL;
	struct reading rd = { 0 };
	const char *find = NULL, *record = NULL;
	int opt, trace = 0, list = 0, all = 0, identify = 0, actions = 0, status = EXIT_OK;

	/* First pass: options that change how everything else runs. */
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (opt) {
		case 'T': trace = 1; break;
		case 'R': record = optarg; break;
		case 'l': list = 1; break;
		case 'a': all = 1; break;
		case 'f': find = optarg; break;
		case 'i': identify = 1; break;
		case 'h': usage(stdout); return finish_output(EXIT_OK);
		case 'V': printf("serialcmd %s\n", client_version()); return finish_output(EXIT_OK);
		case 'w':
		case 'b':
		case 'r':
		case OPT_DTR:
		case OPT_RTS:
		case OPT_BREAK:
		case OPT_SIGNALS:
		case 1: actions++; break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (list || find) {
		if (actions || (list && find)) {
			usage(stderr);
			return EXIT_USAGE;
		}
		/* Finding has no handle to trace: the library's notes (a passive
		 * match, and why) go to stderr through SERIALCMD_TRACE. */
		if (find && trace && setenv("SERIALCMD_TRACE", "1", 1) != 0) {
			fprintf(stderr, "serialcmd: SERIALCMD_TRACE: %s\n", strerror(errno));
			return EXIT_FAIL;
		}
		return finish_output(find ? list_ports(find, identify ? CLIENT_FIND_IDENTIFY : 0)
					  : list_ports(NULL, all ? CLIENT_LIST_ALL : 0));
	}
	/* The spec plus at least one command. */
	if (actions < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	optind = 0;
	while (status == EXIT_OK && (opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (opt == 1 && !c) {
			c = open_spec(optarg, record, &rd);
			if (!c)
				return report();
			if (trace)
				client_set_trace(c, trace_line, NULL);
		} else if (!c && (opt == 'w' || opt == 'b' || opt == 'r' || opt >= OPT_DTR)) {
			fprintf(stderr,
				"serialcmd: the spec comes before -w, -b, -r, --dtr, --rts, --break and"
				" --signals\n");
			return EXIT_USAGE;
		} else if (opt >= OPT_DTR) {
			status = control(c, opt, optarg);
		} else if (opt == 1) {
			status = command(c, &rd, optarg);
		} else if (opt == 'w') {
			if (client_send_cmd(c, optarg) != CLIENT_OK)
				status = report();
			else
				show_note();
		} else if (opt == 'b') {
			status = print_reply(client_query_block(c, optarg), 1);
		} else if (opt == 'r') {
			status = print_reply(client_read_reply(c), 0);
		}
	}
	/* (Not after "device gone": reconnect=1 would reopen the port.) */
	if (c && status != EXIT_GONE)
		status = check_unread(c, status);
	client_destroy(c);
	return finish_output(status);
}
