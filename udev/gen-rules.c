/* SPDX-License-Identifier: MIT */
/* gen-rules - write the udev rules for the instruments of the device profiles.
 *
 *     gen-rules [--helper=PATH] [--timeout-ms=N] [--profile-dir=DIR] [-o FILE] PROFILE|DIR...
 *
 * Reads every *.profile file of each DIR, and each PROFILE file, with the
 * library's own parser and writes 70-serialcmd.rules: the profiles stay the
 * one source of truth. The output depends only on the profiles and the
 * options: profiles are sorted by name, their USB ids keep the profile's
 * order, and candidates for one id go most specific first.
 *
 * A USB id (usb = VID:PID, with usb_interface, usb_manufacturer,
 * usb_product and usb_serial where the profile gives them) names its profile
 * directly when no other profile lists it. When several profiles list the
 * same id (and their usb_interface values do not tell them apart), the rules
 * ask the instrument: serialcmd-udev-id gets the candidate profiles, most
 * specific identify_match first. A candidate needs identify and
 * identify_match, and must not say probe = never; one that cannot be asked
 * is left out with a warning.
 *
 * A generic USB-serial bridge's id (lib/bridges.c: FTDI, CH340, CP210x,
 * PL2303...) says nothing about what sits behind it, so no active probe is
 * ever written for one unless the profile says probe = always (the helper
 * checks the same rule again, lib/identify.c). Without it the match is
 * passive: a rule that names the port by the id plus the USB strings the
 * profile requires (usb_manufacturer, usb_product, usb_serial), and never
 * runs the helper; a profile that requires no string gets no rule for that
 * id at all, since it would name (and give the seat's user, and start
 * serialcmd@ for) every such adapter anyone plugs in. Both are reported on
 * stderr and in a comment in the rules.
 *
 * latency_timer = N writes the FTDI latency timer: once the port's profile is
 * known (by its ids or by asking), ATTR{device/latency_timer}="N" on the tty
 * event of a port whose driver is ftdi_sio. The attribute belongs to the
 * tty's parent, the usb-serial port (/sys/bus/usb-serial/devices/ttyUSBn/
 * latency_timer), which the tty's "device" link names. */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <serialcmd.h>

#include "bridges.h"
#include "profile.h"

#define PROG "gen-rules"
#define DEFAULT_HELPER "/usr/local/lib/serialcmd/serialcmd-udev-id"
#define DEFAULT_TIMEOUT_MS 3000

struct entry {
	char name[PROFILE_NAME_MAX]; /* the file's name without .profile: what profile= takes */
	struct profile p;
	int probeable;	 /* has identify and identify_match */
	int specificity; /* literal characters in identify_match */
};

/* One usb = line of one profile. */
struct listing {
	size_t e; /* index into the entries */
	unsigned vid, pid;
	int probe;			 /* ask the instrument (-1: left out) */
	const struct usb_bridge *bridge; /* a generic bridge's id, named passively */
};

/* Does the profile require a USB string, so that a passive rule on a
 * bridge's id names its instrument's adapters and not every such cable? */
static int requires_strings(const struct profile *p)
{
	return p->usb_manufacturer[0] || p->usb_product[0] || p->usb_serial[0];
}

/* Characters of a shell pattern that must match exactly; a bracket
 * expression counts as one. More of them: a more specific pattern. */
static int pattern_specificity(const char *pat)
{
	int n = 0;

	for (const char *s = pat; *s; s++) {
		if (*s == '*' || *s == '?')
			continue;
		if (*s == '[') {
			const char *close = strchr(s + 1 + (s[1] == ']'), ']');

			if (close) {
				s = close;
				n++;
				continue;
			}
		}
		if (*s == '\\' && s[1])
			s++;
		n++;
	}
	return n;
}

/* A path or option that goes into the rule text as it is: no blanks, quotes,
 * backslashes or udev substitutions. */
static int valid_rule_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || strchr("\"'\\$%", *s))
			return 0;
	return 1;
}

/* A USB string as a udev match pattern: every character that is not plainly
 * itself in a rule (quotes, backslash, glob characters, '|', '$', '%',
 * controls and non-ASCII bytes) becomes '?', which matches any one byte. */
static void rule_pattern(char *out, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s && n + 1 < size; s++) {
		unsigned char c = (unsigned char)*s;

		out[n++] = c < ' ' || c >= 0x7f || strchr("\"\\*?[]|$%", c) ? '?' : (char)c;
	}
	out[n] = '\0';
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static struct entry *entries;
static size_t nentries;

/* Candidates for one id: by id, then most specific pattern, then name. */
static int by_probe_order(const void *a, const void *b)
{
	const struct listing *x = a, *y = b;
	const struct entry *ex = &entries[x->e], *ey = &entries[y->e];

	if (x->vid != y->vid)
		return x->vid < y->vid ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (ex->specificity != ey->specificity)
		return ex->specificity > ey->specificity ? -1 : 1;
	return strcmp(ex->name, ey->name);
}

static int add_file(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;
	struct entry *e;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len <= 8 || strcmp(base + len - 8, ".profile") != 0) {
		fprintf(stderr, PROG ": %s: a profile's file name ends in .profile\n", path);
		return -1;
	}
	e = realloc(entries, (nentries + 1) * sizeof(*entries));
	if (!e) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	entries = e;
	e = &entries[nentries];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%.*s", (int)(len - 8), base);
	if (len - 8 >= sizeof(e->name) || !sc_profile_name_valid(e->name)) {
		fprintf(stderr, PROG ": %s: a profile name is " PROFILE_NAME_RULE "\n", path);
		return -1;
	}
	if (sc_profile_load_file(path, &e->p) != CLIENT_OK) {
		fprintf(stderr, PROG ": %s\n", client_last_message());
		return -1;
	}
	e->probeable = e->p.identify[0] && e->p.identify_match[0];
	e->specificity = pattern_specificity(e->p.identify_match);
	nentries++;
	return 0;
}

static int add_arg(const char *arg)
{
	struct stat st;
	char pat[4096];
	glob_t g;
	int r, ret = 0;

	if (stat(arg, &st) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", arg, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return add_file(arg);
	snprintf(pat, sizeof(pat), "%s/*.profile", arg);
	r = glob(pat, 0, NULL, &g); /* sorted */
	if (r == GLOB_NOMATCH) {
		fprintf(stderr, PROG ": %s: no *.profile files\n", arg);
		return -1;
	}
	if (r != 0) {
		fprintf(stderr, PROG ": %s: cannot list the profiles\n", arg);
		return -1;
	}
	for (size_t i = 0; i < g.gl_pathc && ret == 0; i++)
		ret = add_file(g.gl_pathv[i]);
	globfree(&g);
	return ret;
}

/* Do two listings of one id leave the port's profile open? Only distinct
 * usb_interface values on both sides tell them apart without asking. */
static int conflict(const struct listing *a, const struct listing *b)
{
	int ia = entries[a->e].p.usb_interface, ib = entries[b->e].p.usb_interface;

	if (a->e == b->e || a->vid != b->vid || a->pid != b->pid)
		return 0;
	return !(ia >= 0 && ib >= 0 && ia != ib);
}

/* The match keys of one listing: ids, then interface and strings if given. */
static void print_match(FILE *out, const struct listing *l)
{
	const struct profile *p = &entries[l->e].p;
	char pat[PROFILE_TEXT_MAX];

	fprintf(out, "ENV{ID_VENDOR_ID}==\"%04x\", ENV{ID_MODEL_ID}==\"%04x\", ", l->vid, l->pid);
	if (p->usb_interface >= 0)
		fprintf(out, "ENV{ID_USB_INTERFACE_NUM}==\"%02x\", ", (unsigned)p->usb_interface);
	if (p->usb_manufacturer[0]) {
		rule_pattern(pat, sizeof(pat), p->usb_manufacturer);
		fprintf(out, "ATTRS{manufacturer}==\"%s\", ", pat);
	}
	if (p->usb_product[0]) {
		rule_pattern(pat, sizeof(pat), p->usb_product);
		fprintf(out, "ATTRS{product}==\"%s\", ", pat);
	}
	if (p->usb_serial[0]) {
		rule_pattern(pat, sizeof(pat), p->usb_serial);
		fprintf(out, "ATTRS{serial}==\"%s\", ", pat);
	}
}

/* A description as a comment: one line, printable. */
static void print_comment(FILE *out, const char *name, const char *text)
{
	fprintf(out, "# %s", name);
	if (*text) {
		fputs(": ", out);
		for (; *text; text++)
			fputc((unsigned char)*text < ' ' || *text == 0x7f ? ' ' : *text, out);
	}
	fputc('\n', out);
}

/* The FTDI latency timer of the profiles that set one. Written on the tty
 * event, once SERIALCMD_PROFILE says whose port it is, into the usb-serial
 * port above the tty (its "device" link): ftdi_sio's latency_timer. Ports of
 * other drivers have no such attribute and are left alone. */
static void write_latency(FILE *out)
{
	int any = 0;

	for (size_t e = 0; e < nentries; e++) {
		if (!entries[e].p.latency_timer)
			continue;
		if (!any++)
			fprintf(out,
				"\n# The FTDI latency timer (ms; ftdi_sio's default is 16) of the profiles\n"
				"# that set latency_timer: "
				"/sys/bus/usb-serial/devices/ttyUSBn/latency_timer.\n");
		fprintf(out,
			"ENV{SERIALCMD_PROFILE}==\"%s\", DRIVERS==\"ftdi_sio\", "
			"ATTR{device/latency_timer}=\"%d\"\n",
			entries[e].name, entries[e].p.latency_timer);
	}
}

/* Bridge ids left without a rule, as comments, so the file says why. */
static void write_left_out(FILE *out, const struct listing *ls, size_t nls)
{
	int any = 0;

	for (size_t i = 0; i < nls; i++) {
		if (ls[i].probe >= 0 || !ls[i].bridge)
			continue;
		if (!any++)
			fprintf(out,
				"\n# Generic USB-serial bridge ids that profiles list without probe = "
				"always\n"
				"# and without a USB string to require: no rule (it would name every such\n"
				"# adapter), and nothing is ever asked.\n");
		fprintf(out, "# %s: %04x:%04x (%s)\n", entries[ls[i].e].name, ls[i].vid, ls[i].pid,
			ls[i].bridge->chip);
	}
}

static void write_rules(FILE *out, const char *helper, unsigned timeout_ms, const char *profile_dir,
			struct listing *ls, size_t nls)
{
	size_t ncand = 0;

	fprintf(out,
		"# 70-serialcmd.rules - generated by udev/gen-rules from %zu serialcmd device profiles.\n"
		"# Do not edit: change devices/profiles/*.profile and run make. See udev/README.md.\n"
		"#\n"
		"# For the USB serial port of each known instrument: symlinks\n"
		"# /dev/serialcmd/PROFILE-SERIAL and /dev/serialcmd/by-profile/PROFILE, ModemManager\n"
		"# kept away, access for the dialout group and the user at the seat (uaccess, so\n"
		"# this file must sort before 73-seat-late.rules), SERIALCMD_PROFILE for programs\n"
		"# (open \"/dev/serialcmd/...?profile=$SERIALCMD_PROFILE\"), and\n"
		"# serialcmd@KERNEL.service for work after plug-in.\n"
		"\n"
		"ACTION==\"remove\", GOTO=\"serialcmd_end\"\n"
		"SUBSYSTEM!=\"tty\", GOTO=\"serialcmd_end\"\n"
		"ENV{ID_BUS}!=\"usb\", SUBSYSTEMS==\"usb\", IMPORT{builtin}=\"usb_id\"\n"
		"ENV{ID_BUS}!=\"usb\", GOTO=\"serialcmd_end\"\n"
		"ENV{ID_VENDOR_ID}==\"\", GOTO=\"serialcmd_end\"\n",
		nentries);

	write_left_out(out, ls, nls);
	fprintf(out, "\n# USB ids that name one profile.\n");
	for (size_t e = 0; e < nentries; e++) {
		int any = 0;

		for (size_t i = 0; i < nls; i++) {
			if (ls[i].e != e || ls[i].probe)
				continue;
			if (!any++)
				print_comment(out, entries[e].name, entries[e].p.description);
			if (ls[i].bridge)
				fprintf(out,
					"# %04x:%04x is a generic %s bridge: matched passively (ids and"
					" USB strings), never asked\n",
					ls[i].vid, ls[i].pid, ls[i].bridge->chip);
			print_match(out, &ls[i]);
			fprintf(out, "ENV{SERIALCMD_PROFILE}=\"%s\"\n", entries[e].name);
		}
	}
	for (size_t i = 0; i < nls; i++)
		ncand += ls[i].probe > 0;
	if (ncand) {
		qsort(ls, nls, sizeof(*ls), by_probe_order);
		fprintf(out, "\n# USB ids that several profiles list, or generic USB-serial bridges' ids of\n"
			     "# profiles with probe = always: the instrument is asked. Candidates, most\n"
			     "# specific identify_match first:\n");
		for (size_t i = 0; i < nls; i++) {
			if (ls[i].probe <= 0)
				continue;
			print_match(out, &ls[i]);
			fprintf(out, "ENV{.SERIALCMD_CANDIDATES}+=\"%s\"\n", entries[ls[i].e].name);
		}
		fprintf(out,
			"ENV{.SERIALCMD_CANDIDATES}==\"\", GOTO=\"serialcmd_known\"\n"
			"# Asked when the port appears only: later events (udevadm trigger) keep the\n"
			"# answer from the udev database rather than disturb a program using the port.\n"
			"# IMPORT{program} is a match key: on a line of its own, a failing helper\n"
			"# cancels nothing else.\n"
			"ACTION==\"add\", IMPORT{program}=\"%s --timeout-ms=%u%s%s $devnode "
			"$env{.SERIALCMD_CANDIDATES}\"\n"
			"ACTION!=\"add\", IMPORT{db}=\"ID_SERIALCMD_MODEL\"\n"
			"ACTION!=\"add\", IMPORT{db}=\"ID_SERIALCMD_SERIAL\"\n"
			"ACTION!=\"add\", IMPORT{db}=\"ID_SERIALCMD_IDENT\"\n",
			helper, timeout_ms, profile_dir ? " --profile-dir=" : "",
			profile_dir ? profile_dir : "");
		/* The helper prints only a model it was given; checked again here. */
		for (size_t e = 0; e < nentries; e++) {
			const char *n = entries[e].name;
			int listed = 0;

			for (size_t i = 0; i < nls; i++)
				listed |= ls[i].e == e && ls[i].probe > 0;
			if (listed)
				fprintf(out,
					"ENV{ID_SERIALCMD_MODEL}==\"%s\", "
					"ENV{.SERIALCMD_CANDIDATES}==\"%s|%s *|* %s|* %s *\", "
					"ENV{SERIALCMD_PROFILE}=\"%s\"\n",
					n, n, n, n, n, n);
		}
	}
	fprintf(out, "LABEL=\"serialcmd_known\"\n"
		     "\n"
		     "# What every known instrument gets.\n"
		     "ENV{SERIALCMD_PROFILE}==\"\", GOTO=\"serialcmd_end\"\n"
		     "ENV{ID_MM_DEVICE_IGNORE}=\"1\"\n"
		     "GROUP=\"dialout\", MODE=\"0660\", TAG+=\"uaccess\"\n"
		     "# The USB serial number (usb_id made it safe for a file name); else the\n"
		     "# instrument's own, when it was asked; else no PROFILE-SERIAL link.\n"
		     "ENV{.SERIALCMD_SERIAL}=\"$env{ID_SERIAL_SHORT}\"\n"
		     "ENV{.SERIALCMD_SERIAL}==\"\", ENV{.SERIALCMD_SERIAL}=\"$env{ID_SERIALCMD_SERIAL}\"\n"
		     "ENV{.SERIALCMD_SERIAL}==\"?*\", "
		     "SYMLINK+=\"serialcmd/$env{SERIALCMD_PROFILE}-$env{.SERIALCMD_SERIAL}\"\n"
		     "# With several instruments of one profile, udev points this at one of them.\n"
		     "SYMLINK+=\"serialcmd/by-profile/$env{SERIALCMD_PROFILE}\"\n"
		     "TAG+=\"systemd\", ENV{SYSTEMD_WANTS}+=\"serialcmd@%%k.service\"\n");
	write_latency(out);
	fprintf(out, "\nLABEL=\"serialcmd_end\"\n");
}

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, PROG ": %s\n", why);
	fprintf(stderr, "usage: " PROG
			" [--helper=PATH] [--timeout-ms=N] [--profile-dir=DIR] [-o FILE] PROFILE|DIR...\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "helper", required_argument, NULL, 'H' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "profile-dir", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *helper = DEFAULT_HELPER, *profile_dir = NULL, *output = NULL;
	unsigned timeout_ms = DEFAULT_TIMEOUT_MS;
	struct listing *ls = NULL;
	size_t nls = 0;
	char tmp[4096];
	FILE *out = stdout;
	int opt, ret = 1;

	while ((opt = getopt_long(argc, argv, "H:t:d:o:", opts, NULL)) != -1) {
		switch (opt) {
		case 'H': helper = optarg; break;
		case 't': {
			char *end;
			unsigned long n;

			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || n < 50 || n > 60000)
				return usage("--timeout-ms must be 50 to 60000");
			timeout_ms = (unsigned)n;
			break;
		}
		case 'd': profile_dir = optarg; break;
		case 'o': output = optarg; break;
		default: return usage(NULL);
		}
	}
	if (optind >= argc)
		return usage("no profiles given");
	if (helper[0] != '/' || !valid_rule_word(helper))
		return usage("--helper must be an absolute path without blanks, quotes, '\\', '$' or '%'"
			     " (udev runs it with no PATH)");
	if (profile_dir && (profile_dir[0] != '/' || !valid_rule_word(profile_dir)))
		return usage(
			"--profile-dir must be an absolute path without blanks, quotes, '\\', '$' or '%'");
	for (int i = optind; i < argc; i++)
		if (add_arg(argv[i]) != 0)
			goto done;
	qsort(entries, nentries, sizeof(*entries), by_name);
	for (size_t e = 0; e + 1 < nentries; e++) {
		if (strcmp(entries[e].name, entries[e + 1].name) == 0) {
			fprintf(stderr, PROG ": profile %s given twice (%s, %s)\n", entries[e].name,
				entries[e].p.path, entries[e + 1].p.path);
			goto done;
		}
	}

	for (size_t e = 0; e < nentries; e++) {
		for (size_t u = 0; u < entries[e].p.nusb; u++) {
			struct listing *n = realloc(ls, (nls + 1) * sizeof(*ls));

			if (!n) {
				fprintf(stderr, PROG ": out of memory\n");
				goto done;
			}
			ls = n;
			ls[nls].e = e;
			ls[nls].vid = entries[e].p.usb[u].vid;
			ls[nls].pid = entries[e].p.usb[u].pid;
			ls[nls].probe = 0;
			ls[nls].bridge = NULL;
			nls++;
		}
	}
	/* Decide, for each listing, whether the id alone names the profile. */
	for (size_t i = 0; i < nls; i++) {
		const struct entry *en = &entries[ls[i].e];
		const struct usb_bridge *bridge = sc_bridge_find(ls[i].vid, ls[i].pid);
		int shared = 0;

		for (size_t j = 0; j < nls; j++)
			shared |= conflict(&ls[i], &ls[j]);
		if (bridge && en->p.probe != PROFILE_PROBE_ALWAYS) {
			/* Never an active probe for a bridge's id without the
			 * profile's explicit probe = always. */
			ls[i].bridge = bridge;
			if (requires_strings(&en->p))
				continue; /* named passively, by ids and strings */
			fprintf(stderr,
				PROG
				": note: profile %s: %04x:%04x is a generic %s bridge; without"
				" probe = always it is not probed, and the profile requires no USB string"
				" (usb_manufacturer, usb_product, usb_serial): no rule for it, as one"
				" would name every such adapter\n",
				en->name, ls[i].vid, ls[i].pid, bridge->chip);
			ls[i].probe = -1;
			continue;
		}
		if (!shared && !bridge)
			continue;
		if (en->probeable && en->p.probe != PROFILE_PROBE_NEVER) {
			ls[i].probe = 1;
		} else if (!shared) {
			/* Only a bridge's id with probe = always comes here. */
			fprintf(stderr,
				PROG ": warning: profile %s: %04x:%04x is a generic USB-serial bridge, the"
				     " profile says probe = always but has no identify/identify_match: every"
				     " such adapter will be named %s\n",
				en->name, ls[i].vid, ls[i].pid, en->name);
		} else {
			fprintf(stderr,
				PROG ": warning: profile %s: %04x:%04x is listed by other profiles too, and "
				     "without identify/identify_match (or with probe = never) this one cannot"
				     " be told apart: left out for that id\n",
				en->name, ls[i].vid, ls[i].pid);
			ls[i].probe = -1;
		}
	}
	/* Drop the listings left out, but for the bridge ids the rules name
	 * in a comment. */
	{
		size_t k = 0;

		for (size_t i = 0; i < nls; i++)
			if (ls[i].probe >= 0 || ls[i].bridge)
				ls[k++] = ls[i];
		nls = k;
	}

	/* The helper takes at most 32 candidates. */
	for (size_t i = 0; i < nls; i++) {
		size_t same = 0;

		for (size_t j = 0; j < nls && ls[i].probe > 0; j++)
			same += ls[j].probe > 0 && ls[j].vid == ls[i].vid && ls[j].pid == ls[i].pid;
		if (same > 32) {
			fprintf(stderr, PROG ": %zu profiles would be asked about %04x:%04x; at most 32\n",
				same, ls[i].vid, ls[i].pid);
			goto done;
		}
	}
	if (output) {
		/* Written aside and renamed: a failed run leaves no half file. */
		snprintf(tmp, sizeof(tmp), "%s.tmp", output);
		out = fopen(tmp, "we");
		if (!out) {
			fprintf(stderr, PROG ": %s: %s\n", tmp, strerror(errno));
			goto done;
		}
	}
	write_rules(out, helper, timeout_ms, profile_dir, ls, nls);
	if (output) {
		if (ferror(out) | fclose(out) || rename(tmp, output) != 0) {
			fprintf(stderr, PROG ": %s: %s\n", output, strerror(errno));
			unlink(tmp);
			goto done;
		}
	} else if (fflush(stdout) != 0) {
		fprintf(stderr, PROG ": stdout: %s\n", strerror(errno));
		goto done;
	}
	ret = 0;
done:
	for (size_t e = 0; e < nentries; e++)
		sc_profile_free(&entries[e].p);
	free(entries);
	free(ls);
	return ret;
}
