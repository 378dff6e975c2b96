/* SPDX-License-Identifier: MIT */
/* serialcmd-udev-id - tell which instrument sits behind a USB-serial port, for
 * the udev rules (IMPORT{program}).
 *
 *     serialcmd-udev-id [--timeout-ms=N] [--profile-dir=DIR] [-v] DEVNODE PROFILE...
 *
 * The rules call it only for ports whose USB ids several profiles list, or a
 * generic USB-serial bridge's ids that a profile with probe = always lists,
 * and pass the candidate profiles, most specific first. For each candidate it opens DEVNODE with the profile's
 * settings, sends the profile's identify query and matches the answer against
 * its identify_match pattern, as `serialcmd --find --identify` does (both use
 * lib/identify.c); the first candidate that matches is printed:
 *
 *     ID_SERIALCMD_MODEL=keithley2000
 *     ID_SERIALCMD_SERIAL=1234567        (3rd field of a 4-field *IDN? answer)
 *     ID_SERIALCMD_IDENT=KEITHLEY_INSTRUMENTS_INC._MODEL_2000_1234567_A19___A02
 *
 * Safe to run from udev:
 * - one total deadline (--timeout-ms, default 3000) covers every open, pause
 *   and query; an interval timer ends the process at the deadline whatever it
 *   is doing, and output is written in one piece only once a model is known;
 * - nothing is opened without candidate profiles, and, when udev says which
 *   USB ids the port has (ID_VENDOR_ID, ID_MODEL_ID in the environment), only
 *   profiles listing them count; the active kernel console is refused;
 * - nothing is sent that a profile does not allow (lib/identify.c): with
 *   probe = never, or on a generic USB-serial bridge's ids unless the
 *   profile says probe = always, the profile is left out (-v says why);
 * - a busy port (another program holds it), a port that went away or any
 *   other failure ends it quietly: exit status 0, no output;
 * - only ID_SERIALCMD_* keys are printed, and values keep [A-Za-z0-9._-]
 *   only (sanitize.c), so an instrument cannot set other properties;
 * - profiles come from the installed data dir (and --profile-dir), never from
 *   an inherited SERIALCMD_DEVICES.
 *
 * Exit status: 0, also when nothing was identified; 2 for bad arguments or a
 * refused port (a message on stderr). -v explains on stderr what happened. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <serialcmd.h>

#include "identify.h"
#include "internal.h"
#include "profile.h"
#include "sanitize.h"

#define PROG "serialcmd-udev-id"
#define DEFAULT_TIMEOUT_MS 3000
#define MAX_TIMEOUT_MS 60000
#define MIN_TIMEOUT_MS 50
#define MAX_CANDIDATES 32

static int verbose;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void on_deadline(int sig)
{
	(void)sig;
	_exit(0); /* nothing was printed yet: a quiet end */
}

/* End the process at the deadline, whatever is going on then. */
static int arm_deadline(unsigned timeout_ms)
{
	struct sigaction sa;
	struct itimerval it;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_deadline;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		return -1;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = timeout_ms / 1000;
	it.it_value.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	return setitimer(ITIMER_REAL, &it, NULL);
}

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, PROG ": %s\n", why);
	fprintf(stderr,
		"usage: " PROG " [--timeout-ms=N] [--profile-dir=DIR] [-v] DEVNODE PROFILE...\n"
		"Identify the instrument on DEVNODE among the PROFILEs; print ID_SERIALCMD_* lines.\n");
	return 2;
}

/* Is the port the active kernel console? Its name against
 * /sys/class/tty/console/active ("tty0 ttyS0"). */
static int is_console(const char *devnode)
{
	char real[4096], active[512];
	const char *base;
	FILE *f;
	int found = 0;

	if (!realpath(devnode, real))
		return 0;
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	if (strcmp(real, "/dev/console") == 0)
		return 1;
	f = fopen("/sys/class/tty/console/active", "re");
	if (!f)
		return 0;
	if (fgets(active, sizeof(active), f)) {
		char *save = NULL;

		for (char *w = strtok_r(active, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
			if (strcmp(w, base) == 0)
				found = 1;
	}
	fclose(f);
	return found;
}

/* A hex id from udev's environment (ID_VENDOR_ID=0403); -1 if absent. */
static long env_hex(const char *key)
{
	const char *v = getenv(key);
	char *end;
	long n;

	if (!v || !*v)
		return -1;
	errno = 0;
	n = strtol(v, &end, 16);
	return errno || *end || n < 0 || n > 0xffff ? -1 : n;
}

/* May this profile be tried on a port with these USB ids (-1: unknown)? */
static int profile_fits_port(const struct profile *p, long vid, long pid, long intf)
{
	if (vid < 0 || pid < 0)
		return 1; /* run by hand, outside udev: the caller chose */
	return sc_identify_claims_usb(p, vid, pid, intf);
}

/* Everything printed, in one write, only ID_SERIALCMD_* keys. */
static void print_result(const char *model, const struct identify_probe *pr)
{
	char out[SANITIZE_PROPS_MAX];
	size_t o = sanitize_props(out, model, pr->reply, pr->len);

	for (size_t done = 0; done < o;) {
		ssize_t w = write(STDOUT_FILENO, out + done, o - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "profile-dir", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct profile prof[MAX_CANDIDATES];
	static struct identify_probe probes[MAX_CANDIDATES];
	const char *names[MAX_CANDIDATES];
	int pidx[MAX_CANDIDATES];
	unsigned timeout_ms = DEFAULT_TIMEOUT_MS;
	const char *profile_dir = NULL, *devnode;
	size_t nprof = 0, nprobes = 0;
	long vid, pid, intf;
	int64_t deadline;
	struct stat st;
	char why[256];
	int opt;

	while ((opt = getopt_long(argc, argv, "t:d:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 't': {
			char *end;
			unsigned long n;

			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || n < MIN_TIMEOUT_MS || n > MAX_TIMEOUT_MS)
				return usage("--timeout-ms must be 50 to 60000");
			timeout_ms = (unsigned)n;
			break;
		}
		case 'd': profile_dir = optarg; break;
		case 'v': verbose = 1; break;
		case 'h': usage(NULL); return 0;
		default: return usage(NULL);
		}
	}
	/* The deadline starts now and covers everything below. */
	deadline = sc_clock_deadline_ns(timeout_ms);
	if (arm_deadline(timeout_ms) != 0) {
		fprintf(stderr, PROG ": cannot set the deadline timer: %s\n", strerror(errno));
		return 2;
	}
	if (argc - optind < 2)
		return usage(
			"needs a device node and at least one candidate profile; nothing is opened without");
	if (argc - optind - 1 > MAX_CANDIDATES)
		return usage("too many candidate profiles (at most 32)");
	devnode = argv[optind];
	if (strncmp(devnode, "/dev/", 5) != 0 || strlen(devnode) >= CLIENT_PORT_MAX)
		return usage("the device node must be a path under /dev/");
	if (stat(devnode, &st) != 0 || !S_ISCHR(st.st_mode)) {
		fprintf(stderr, PROG ": %s: not a character device; not opened\n", devnode);
		return 2;
	}
	if (is_console(devnode)) {
		fprintf(stderr, PROG ": %s is the kernel console; not opened\n", devnode);
		return 2;
	}
	for (int i = optind + 1; i < argc; i++)
		if (!sc_profile_name_valid(argv[i]))
			return usage("a profile name is " PROFILE_NAME_RULE);

	/* Profiles only from where the installation put them, or --profile-dir. */
	if (profile_dir ? setenv("SERIALCMD_DEVICES", profile_dir, 1) : unsetenv("SERIALCMD_DEVICES")) {
		fprintf(stderr, PROG ": %s\n", strerror(errno));
		return 2;
	}
	vid = env_hex("ID_VENDOR_ID");
	pid = env_hex("ID_MODEL_ID");
	intf = env_hex("ID_USB_INTERFACE_NUM");

	for (int i = optind + 1; i < argc; i++) {
		struct profile *p = &prof[nprof];
		size_t k;

		if (sc_profile_load(argv[i], p) != CLIENT_OK) {
			note("%s", client_last_message());
			continue;
		}
		if (!sc_identify_possible(p) || !profile_fits_port(p, vid, pid, intf)) {
			note("profile %s: %s", argv[i],
			     !sc_identify_possible(p) ? "has no identify and identify_match"
						      : "does not list this port's USB ids");
			sc_profile_free(p);
			continue;
		}
		if (!sc_identify_may_probe(p, vid, pid, why, sizeof(why))) {
			/* The rules name such a port without asking, when they can. */
			note("profile %s: passive match only: %s", argv[i], why);
			sc_profile_free(p);
			continue;
		}
		if (sc_identify_probe_init(&probes[nprobes], devnode, argv[i], p) != CLIENT_OK) {
			note("%s", client_last_message());
			sc_profile_free(p);
			continue;
		}
		for (k = 0; k < nprobes; k++)
			if (sc_identify_probe_same(&probes[k], &probes[nprobes]))
				break;
		if (k == nprobes)
			nprobes++;
		else
			sc_identify_probe_free(&probes[nprobes]);
		names[nprof] = argv[i];
		pidx[nprof++] = (int)k;
	}
	if (nprof == 0) {
		note("%s: no candidate profile can identify it; not opened", devnode);
		return 0;
	}

	for (size_t i = 0; i < nprof; i++) {
		struct identify_probe *pr = &probes[pidx[i]];

		if (!pr->done) {
			int unusable;

			if (sc_identify_probe_run(pr, deadline, &unusable) == CLIENT_OK)
				note("%s: %s answered %zu bytes", devnode, pr->query, pr->len);
			else
				note("%s (%s)", client_last_message(),
				     client_error_name(client_last_error()));
			if (unusable)
				break; /* busy, gone, no access, no time: quietly leave it */
		}
		if (pr->answered && sc_identify_reply_matches(pr->reply, pr->len, prof[i].identify_match)) {
			note("%s: identified as %s", devnode, names[i]);
			print_result(names[i], pr);
			break;
		}
	}
	for (size_t k = 0; k < nprobes; k++)
		sc_identify_probe_free(&probes[k]);
	for (size_t i = 0; i < nprof; i++)
		sc_profile_free(&prof[i]);
	return 0;
}
