/* SPDX-License-Identifier: MIT */
/* ports.c - list serial ports from sysfs without opening any of them. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define MAX_PORTS 4096
#define USB_LEVELS 6 /* how far up from a tty the USB device may sit */

/* The sysfs root: tests point it at a fake tree. */
static const char *sysfs_root(void)
{
	const char *root = secure_getenv("SERIALCMD_SYSFS_ROOT");

	return root && root[0] ? root : "/sys";
}

/* out = a/b; -1 if it does not fit. */
static int join(char *out, size_t size, const char *a, const char *b)
{
	int n = snprintf(out, size, "%s/%s", a, b);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* First line of a sysfs attribute, without its newline; "" if absent. */
static void read_attr(const char *dir, const char *attr, char *out, size_t size)
{
	char path[PATH_MAX];
	FILE *f;

	out[0] = '\0';
	if (join(path, sizeof(path), dir, attr))
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(out, (int)size, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* USB attributes from the nearest ancestor of dev that has idVendor. */
static void read_usb(const char *dev, struct client_port_info *info)
{
	char dir[PATH_MAX], text[16];

	if (!realpath(dev, dir))
		return;
	for (int level = 0; level < USB_LEVELS; level++) {
		char *slash;

		read_attr(dir, "idVendor", text, sizeof(text));
		if (text[0]) {
			info->transport = CLIENT_PORT_USB;
			info->usb_vid = (int)strtol(text, NULL, 16);
			read_attr(dir, "idProduct", text, sizeof(text));
			info->usb_pid = (int)strtol(text, NULL, 16);
			read_attr(dir, "serial", info->usb_serial, sizeof(info->usb_serial));
			read_attr(dir, "manufacturer", info->usb_manufacturer,
				  sizeof(info->usb_manufacturer));
			read_attr(dir, "product", info->usb_product, sizeof(info->usb_product));
			return;
		}
		/* The interface sits just below the device. */
		read_attr(dir, "bInterfaceNumber", text, sizeof(text));
		if (text[0])
			info->usb_interface = (int)strtol(text, NULL, 16);
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return;
		*slash = '\0';
	}
}

/* Fill info for /sys/class/tty/NAME; 0 to list it, -1 to leave it out. */
static int describe(const char *classdir, const char *name, int flags, struct client_port_info *info)
{
	char dir[PATH_MAX], dev[PATH_MAX], link[PATH_MAX], text[32];
	char path_driver[PATH_MAX], text_driver[PATH_MAX];
	const char *base;
	ssize_t n;

	if (strlen(name) > 200 || join(dir, sizeof(dir), classdir, name) ||
	    join(dev, sizeof(dev), dir, "device"))
		return -1;
	n = readlink(dir, link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = '\0';
	/* Virtual terminals, ptys, the console alias: no hardware behind them. */
	if (strstr(link, "/virtual/"))
		return -1;
	if (access(dev, F_OK) != 0)
		return -1;
	memset(info, 0, sizeof(*info));
	info->usb_vid = info->usb_pid = info->usb_interface = -1;
	snprintf(info->name, sizeof(info->name), "/dev/%.200s", name);
	if (join(path_driver, sizeof(path_driver), dev, "driver") == 0 &&
	    (n = readlink(path_driver, text_driver, sizeof(text_driver) - 1)) > 0) {
		text_driver[n] = '\0';
		base = strrchr(text_driver, '/');
		snprintf(info->driver, sizeof(info->driver), "%.63s", base ? base + 1 : text_driver);
	}
	read_attr(dir, "console", text, sizeof(text));
	info->console = text[0] == 'Y';
	if (strstr(link, "bluetooth") || strncmp(name, "rfcomm", 6) == 0)
		info->transport = CLIENT_PORT_BLUETOOTH;
	read_usb(dev, info);
	if (info->transport == CLIENT_PORT_NATIVE) {
		/* 8250-style UARTs expose "type": 0 means no UART answered. */
		read_attr(dir, "type", text, sizeof(text));
		if (text[0] == '0' && text[1] == '\0' && !(flags & CLIENT_LIST_ALL))
			return -1;
	}
	snprintf(info->description, sizeof(info->description), "%.127s",
		 info->usb_product[0]			    ? info->usb_product
		 : info->transport == CLIENT_PORT_BLUETOOTH ? "Bluetooth serial"
							    : "on-board UART");
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct client_port_info *)a)->name, ((const struct client_port_info *)b)->name);
}

SERIALCMD_API int client_list_ports(struct client_port_info **list, int flags)
{
	char classdir[PATH_MAX];
	struct client_port_info *out = NULL, info;
	size_t count = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	if (!list)
		return sc_err_set(CLIENT_ERR_ARG, "client_list_ports: list is NULL");
	*list = NULL;
	if (join(classdir, sizeof(classdir), sysfs_root(), "class/tty"))
		return sc_err_set(CLIENT_ERR_ARG, "client_list_ports: sysfs root too long");
	d = opendir(classdir);
	if (!d)
		return sc_err_set(CLIENT_ERR_IO, "%s: %s", classdir, strerror(errno));
	while ((de = readdir(d)) && count < MAX_PORTS) {
		if (de->d_name[0] == '.' || describe(classdir, de->d_name, flags, &info) != 0)
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct client_port_info *p = realloc(out, ncap * sizeof(*p));

			if (!p) {
				closedir(d);
				free(out);
				return sc_err_set(CLIENT_ERR_NOMEM, "client_list_ports: out of memory");
			}
			out = p;
			cap = ncap;
		}
		out[count++] = info;
	}
	closedir(d);
	if (count)
		qsort(out, count, sizeof(*out), by_name);
	sc_ports_set_count(out, (int)count);
	*list = out;
	sc_err_clear();
	return (int)count;
}

SERIALCMD_API void client_free_ports(struct client_port_info *list)
{
	free(list);
}

void sc_ports_set_count(struct client_port_info *list, int n)
{
	for (int i = 0; i < n; i++)
		list[i].count = n;
}

/* The port at index i, or NULL (CLIENT_ERR_ARG set, naming the caller). */
static const struct client_port_info *port_at(const struct client_port_info *list, int i, const char *what)
{
	if (!list || i < 0 || i >= list[0].count) {
		sc_err_set(CLIENT_ERR_ARG, "%s: %s", what, list ? "index out of range" : "list is NULL");
		return NULL;
	}
	return &list[i];
}

#define PORT_TEXT(field)                                                                          \
	SERIALCMD_API const char *client_port_##field(const struct client_port_info *list, int i) \
	{                                                                                         \
		const struct client_port_info *p = port_at(list, i, "client_port_" #field);       \
		return p ? p->field : NULL;                                                       \
	}
#define PORT_INT(field)                                                                     \
	SERIALCMD_API int client_port_##field(const struct client_port_info *list, int i)   \
	{                                                                                   \
		const struct client_port_info *p = port_at(list, i, "client_port_" #field); \
		return p ? p->field : CLIENT_ERR_ARG;                                       \
	}

PORT_TEXT(name)
PORT_TEXT(description)
PORT_TEXT(driver)
PORT_TEXT(usb_serial)
PORT_TEXT(usb_manufacturer)
PORT_TEXT(usb_product)
PORT_TEXT(passive)
PORT_INT(transport)
PORT_INT(usb_vid)
PORT_INT(usb_pid)
PORT_INT(usb_interface)
PORT_INT(console)

/* "usb:VID:PID[:SERIAL]" into its parts; *serial NULL when there is none. */
static int parse_usb(const char *spec_port, unsigned *vid, unsigned *pid, const char **serial)
{
	int chars = 0;

	if (sscanf(spec_port, "usb:%4x:%4x%n", vid, pid, &chars) != 2 || chars != 13 ||
	    !isxdigit((unsigned char)spec_port[4]) || !isxdigit((unsigned char)spec_port[9]) ||
	    (spec_port[13] && spec_port[13] != ':') || (spec_port[13] == ':' && !spec_port[14]))
		return sc_err_set(CLIENT_ERR_OPTION,
				  "%s: a USB port is written usb:VID:PID or usb:VID:PID:SERIAL"
				  " (4 hex digits each), e.g. usb:0403:6001:FT1ZQ3X9",
				  spec_port);
	*serial = spec_port[13] == ':' ? spec_port + 14 : NULL;
	return CLIENT_OK;
}

int sc_ports_check_usb(const char *spec_port)
{
	unsigned vid, pid;
	const char *serial;

	return parse_usb(spec_port, &vid, &pid, &serial);
}

/* "usb:VID:PID[:SERIAL]" -> the one USB serial port with those ids now. */
int sc_ports_resolve_usb(const char *spec_port, char *path, size_t size)
{
	struct client_port_info *list;
	unsigned vid, pid;
	const char *serial;
	char found[768] = "";
	size_t fo = 0;
	int n, matches = 0;

	if (parse_usb(spec_port, &vid, &pid, &serial))
		return client_last_error();
	n = client_list_ports(&list, 0);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		const struct client_port_info *p = &list[i];

		if (p->usb_vid < 0)
			continue;
		if (fo < sizeof(found)) {
			/* The serial and the name come from the device and sysfs. */
			char esc_serial[sizeof(p->usb_serial) * 4], esc_name[sizeof(p->name) * 4];

			sc_escape_bytes(esc_serial, sizeof(esc_serial), p->usb_serial, strlen(p->usb_serial));
			sc_escape_bytes(esc_name, sizeof(esc_name), p->name, strlen(p->name));
			fo += (size_t)snprintf(found + fo, sizeof(found) - fo, "%s%s %04x:%04x serial '%s'",
					       fo ? ", " : "", esc_name, (unsigned)p->usb_vid,
					       (unsigned)p->usb_pid, esc_serial);
		}
		if ((unsigned)p->usb_vid != vid || (unsigned)p->usb_pid != pid ||
		    (serial && strcmp(serial, p->usb_serial) != 0))
			continue;
		if (matches++ == 0)
			snprintf(path, size, "%s", p->name);
	}
	client_free_ports(list);
	if (matches == 1)
		return CLIENT_OK;
	if (matches == 0)
		return sc_err_set(CLIENT_ERR_NOPORT,
				  "%s: no USB serial port with these ids is plugged in (found: %s)",
				  spec_port, fo ? found : "no USB serial ports");
	return sc_err_set(CLIENT_ERR_NOPORT,
			  "%s: %d ports match; add the serial number to choose one (found: %s)", spec_port,
			  matches, found);
}
