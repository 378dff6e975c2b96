/* SPDX-License-Identifier: MIT */
/* find.c - ports that a device profile recognises: by USB ids, and on
 * request by asking each candidate who it is. */
#include <stdio.h>

#include "identify.h"
#include "internal.h"
#include "profile.h"

SERIALCMD_API int client_find_ports(const char *profile, struct client_port_info **list, int flags)
{
	struct client_port_info *ports;
	struct profile p;
	int n, kept = 0, ret;

	if (!profile || !list)
		return sc_err_set(CLIENT_ERR_ARG, "client_find_ports: %s is NULL",
				  profile ? "list" : "profile");
	*list = NULL;
	ret = sc_profile_load(profile, &p);
	if (ret)
		return ret;
	n = client_list_ports(&ports, 0);
	if (n < 0) {
		sc_profile_free(&p);
		return n;
	}
	for (int i = 0; i < n; i++) {
		const struct client_port_info *pi = &ports[i];
		char why[256], line[640];

		if (!sc_identify_claims_usb(&p, pi->usb_vid, pi->usb_pid, pi->usb_interface) ||
		    !sc_identify_strings_match(&p, pi->usb_manufacturer, pi->usb_product, pi->usb_serial))
			continue;
		if (flags & CLIENT_FIND_IDENTIFY) {
			if (sc_identify_may_probe(&p, pi->usb_vid, pi->usb_pid, why, sizeof(why))) {
				if (!sc_identify_port(pi->name, profile, &p))
					continue;
			} else {
				/* Kept on its ids and USB strings alone: a passive match. */
				snprintf(line, sizeof(line),
					 "%.256s: passive match for profile %.64s: %.256s", pi->name, p.name,
					 why);
				sc_trace_note(line);
				snprintf(ports[i].passive, sizeof(ports[i].passive), "%s", why);
			}
		}
		ports[kept++] = ports[i];
	}
	sc_profile_free(&p);
	sc_ports_set_count(ports, kept);
	if (kept == 0) {
		client_free_ports(ports);
		ports = NULL;
	}
	*list = ports;
	sc_err_clear();
	return kept;
}
