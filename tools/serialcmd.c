/* serialcmd.c - the command line: send commands to an instrument, print its
 * replies; list serial ports. For shell scripts and people. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <serialcmd.h>

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
	fprintf(f, "usage: serialcmd [--trace] SPEC [CMD | -w CMD | -r]...\n"
		   "       serialcmd --list [--all]\n"
		   "       serialcmd --find PROFILE [--identify]\n"
		   "Send each CMD to the instrument at SPEC and print its reply on stdout.\n"
		   "  SPEC            a port and options, e.g. '/dev/ttyUSB0?baud=115200&eol=CRLF'\n"
		   "                  or '/dev/ttyUSB0?profile=keithley2000' (see serialcmd(1))\n"
		   "  -w, --write CMD send CMD and read no reply\n"
		   "  -r, --read      read one more reply without sending\n"
		   "  -T, --trace     show the bytes sent, received and dropped on stderr\n"
		   "  -l, --list      list serial ports (never opening them)\n"
		   "  -a, --all       with --list: also on-board UARTs that report no hardware\n"
		   "  -f, --find P    list the ports whose USB ids profile P lists (opening none)\n"
		   "  -i, --identify  with --find: ask each of them P's identify query; keep matches\n"
		   "  -h, --help      this text;  -V, --version  the library's version\n"
		   "Exit status: 0 ok, 1 failure, 2 usage or bad option/command, 3 timeout,\n"
		   "4 port busy, 5 permission denied, 6 no such port/host, 7 device gone.\n");
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
		putchar('\n');
	}
	client_free_ports(ports);
	return EXIT_OK;
}

static int print_reply(struct client_ret *r)
{
	if (!r)
		return report();
	fwrite(r->ret_data, 1, r->len, stdout);
	putchar('\n');
	fflush(stdout);
	client_free_ret(r);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	/* '-' keeps commands and options in the order given. */
	static const char shortopts[] = "-w:rTlaf:ihV";
	static const struct option longopts[] = {
		{ "write", required_argument, NULL, 'w' }, { "read", no_argument, NULL, 'r' },
		{ "trace", no_argument, NULL, 'T' },	   { "list", no_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },	   { "help", no_argument, NULL, 'h' },
		{ "find", required_argument, NULL, 'f' },  { "identify", no_argument, NULL, 'i' },
		{ "version", no_argument, NULL, 'V' },	   { NULL, 0, NULL, 0 },
	};
	struct client *c = NULL;
	const char *find = NULL;
	int opt, trace = 0, list = 0, all = 0, identify = 0, actions = 0, status = EXIT_OK;

	/* First pass: options that change how everything else runs. */
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (opt) {
		case 'T': trace = 1; break;
		case 'l': list = 1; break;
		case 'a': all = 1; break;
		case 'f': find = optarg; break;
		case 'i': identify = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("serialcmd %s\n", client_version()); return EXIT_OK;
		case 'w':
		case 'r':
		case 1: actions++; break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (list || find) {
		if (actions || (list && find)) {
			usage(stderr);
			return EXIT_USAGE;
		}
		return find ? list_ports(find, identify ? CLIENT_FIND_IDENTIFY : 0)
			    : list_ports(NULL, all ? CLIENT_LIST_ALL : 0);
	}
	/* The spec plus at least one command. */
	if (actions < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	optind = 0;
	while (status == EXIT_OK && (opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (opt == 1 && !c) {
			c = client_init_py(optarg);
			if (!c)
				return report();
			if (trace)
				client_set_trace(c, trace_line, NULL);
		} else if (!c && (opt == 'w' || opt == 'r')) {
			fprintf(stderr, "serialcmd: the spec comes before -w and -r\n");
			return EXIT_USAGE;
		} else if (opt == 1) {
			status = print_reply(client_send_cmd_reply(c, optarg));
		} else if (opt == 'w') {
			if (client_send_cmd(c, optarg) != CLIENT_OK)
				status = report();
		} else if (opt == 'r') {
			status = print_reply(client_read_reply(c));
		}
	}
	client_destroy(c);
	return status;
}
