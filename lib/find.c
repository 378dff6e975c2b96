/* SPDX-License-Identifier: MIT */
/* find.c - ports that a device profile recognises: by USB ids, and on
 * request by asking each candidate who it is. */
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
		if (!sc_identify_claims_usb(&p, ports[i].usb_vid, ports[i].usb_pid, ports[i].usb_interface))
			continue;
		if ((flags & CLIENT_FIND_IDENTIFY) && !sc_identify_port(ports[i].name, profile, &p))
			continue;
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
