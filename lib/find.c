/* find.c - ports that a device profile recognises: by USB ids, and on
 * request by asking each candidate who it is. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "profile.h"

static int usb_matches(const struct profile *p, const struct client_port_info *port)
{
	if (port->usb_vid < 0)
		return 0;
	for (size_t i = 0; i < p->nusb; i++)
		if (p->usb[i].vid == (unsigned)port->usb_vid && p->usb[i].pid == (unsigned)port->usb_pid &&
		    (p->usb_interface < 0 || port->usb_interface < 0 ||
		     p->usb_interface == port->usb_interface))
			return 1;
	return 0;
}

/* Open the port with the profile's settings and check who answers. */
static int identifies(const char *profile, const struct profile *p, const char *path)
{
	char spec[CLIENT_PORT_MAX + 128];
	struct client *c;
	struct client_ret *r;
	int ok;

	if (!p->identify[0])
		return 0;
	snprintf(spec, sizeof(spec), "%s?profile=%s", path, profile);
	c = client_init_py(spec);
	if (!c)
		return 0;
	r = client_send_cmd_reply(c, p->identify);
	ok = r && (!p->identify_match[0] || fnmatch(p->identify_match, r->ret_data, 0) == 0);
	client_free_ret(r);
	client_destroy(c);
	return ok;
}

SERIALCMD_API int client_find_ports(const char *profile, struct client_port_info **list, int flags)
{
	struct client_port_info *ports;
	struct profile p;
	int n, kept = 0, ret;

	if (!profile || !list)
		return err_set(CLIENT_ERR_ARG, "client_find_ports: %s is NULL", profile ? "list" : "profile");
	*list = NULL;
	ret = profile_load(profile, &p);
	if (ret)
		return ret;
	n = client_list_ports(&ports, 0);
	if (n < 0) {
		profile_free(&p);
		return n;
	}
	for (int i = 0; i < n; i++) {
		if (!usb_matches(&p, &ports[i]))
			continue;
		if ((flags & CLIENT_FIND_IDENTIFY) && !identifies(profile, &p, ports[i].name))
			continue;
		ports[kept++] = ports[i];
	}
	profile_free(&p);
	if (kept == 0) {
		client_free_ports(ports);
		ports = NULL;
	}
	*list = ports;
	err_clear();
	return kept;
}
