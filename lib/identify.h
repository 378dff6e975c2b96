/* SPDX-License-Identifier: MIT */
/* identify.h - who is behind a port: does a profile claim the port's USB ids,
 * and does the device answer the profile's identify query as the profile
 * says. The one implementation behind `serialcmd --find --identify`
 * (client_find_ports) and the udev helper, so both name a port alike.
 * Internal: nothing here is public API. */
#ifndef SERIALCMD_IDENTIFY_H
#define SERIALCMD_IDENTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "serialcmd.h"
#include "profile.h"

/* Longest identify answer read; a longer one fails and never matches. */
#define IDENTIFY_REPLY_MAX 1024

/* Can p identify a device at all: it has an identify query and a non-empty
 * identify_match? A profile without both never identifies anything. */
int sc_identify_possible(const struct profile *p);

/* Does p list this USB vid:pid, with a fitting interface (intf -1: any)?
 * 0 when vid or pid is unknown (-1). */
int sc_identify_claims_usb(const struct profile *p, long vid, long pid, long intf);

/* Do the port's USB strings fit those p requires (usb_manufacturer,
 * usb_product, usb_serial: each exact, "" requires nothing)? NULL counts as
 * "". Part of the passive match, with the ids. */
int sc_identify_strings_match(const struct profile *p, const char *manufacturer, const char *product,
			      const char *serial);

/* May p's identify query be sent to a port with these USB ids (-1:
 * unknown, e.g. the udev helper run by hand on a port the user chose)?
 * The one rule for --find --identify and the udev helper: probe = never,
 * no; probe = always, yes; probe = auto (default), yes unless vid:pid is a
 * generic USB-serial bridge's (bridges.h), whose ports the profile then
 * matches passively. 1 if it may; else 0 and why (size bytes) says why not
 * and what would allow it. */
int sc_identify_may_probe(const struct profile *p, long vid, long pid, char *why, size_t size);

/* Does the reply (len bytes) fit pattern (fnmatch)? Blanks, CR and LF
 * around it are ignored; a reply holding NUL, longer than
 * IDENTIFY_REPLY_MAX, or empty once trimmed never fits, and neither does
 * anything when pattern is NULL or empty. */
int sc_identify_reply_matches(const char *reply, size_t len, const char *pattern);

/* One identify query on one port, with one profile's line settings. */
struct identify_probe {
	struct client_config *cfg; /* the profile's settings on the port */
	const char *query;	   /* the profile's identify query (not owned) */
	int done;		   /* 1: sc_identify_probe_run() ran */
	int answered;		   /* 1: reply holds the answer */
	char reply[IDENTIFY_REPLY_MAX + 1];
	size_t len;
};

/* Set pr up to ask the device on port (a path, taken as it is: '?' and '&'
 * are part of it) with the settings of profile name, whose loaded form is
 * p; the probe sends only the query (no error-queue read, no reconnect).
 * CLIENT_OK, or the error (set) when the profile's settings do not apply.
 * Release with sc_identify_probe_free(). */
int sc_identify_probe_init(struct identify_probe *pr, const char *port, const char *name,
			   const struct profile *p);
void sc_identify_probe_free(struct identify_probe *pr);

/* Would a and b talk to the device the same way and send the same query?
 * Then one answer serves both. */
int sc_identify_probe_same(const struct identify_probe *a, const struct identify_probe *b);

/* Open, ask, close, all before deadline_ns (sc_clock_now_ns() time): the
 * profile's open and query delays are cut to fit and count against it.
 * CLIENT_OK when an answer came (pr->answered); else the error, set.
 * *port_unusable is set to 1 when the port itself failed (could not be
 * opened: busy, gone, no access; went away; no time left), so that no
 * other probe on it is worth trying. */
int sc_identify_probe_run(struct identify_probe *pr, int64_t deadline_ns, int *port_unusable);

/* The whole question for one port and one profile, with the profile's own
 * open delay and timeout as the deadline: 1 if the device identifies as
 * profile name (p loaded), else 0. */
int sc_identify_port(const char *port, const char *name, const struct profile *p);

#endif
