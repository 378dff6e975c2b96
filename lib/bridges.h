/* SPDX-License-Identifier: MIT */
/* bridges.h - the one list of generic USB-serial bridge ids: USB ids that
 * any maker's device may sit behind, so that the ids alone never say which
 * instrument is there. Identification (identify.c) does not send a query to
 * such a port unless the profile says probe = always, and gen-rules writes
 * no active probe for one. Internal: nothing here is public API. */
#ifndef SERIALCMD_BRIDGES_H
#define SERIALCMD_BRIDGES_H

struct usb_bridge {
	unsigned vid, pid;
	const char *chip; /* e.g. "FTDI FT232R", for messages */
};

/* The bridge with this vid:pid, or NULL when the id is not a known generic
 * bridge's (a maker's own id, e.g. Arduino's 2341:0043, is not). */
const struct usb_bridge *sc_bridge_find(unsigned vid, unsigned pid);

/* The whole list, for documentation and tests: *count entries. */
const struct usb_bridge *sc_bridge_list(unsigned *count);

#endif
