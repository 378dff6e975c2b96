/* SPDX-License-Identifier: MIT */
/* error.c - error codes, their texts, and the thread-local last error. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The only mutable state the library has outside handles: one record per
 * thread, so ctypes callers can read it after a NULL return. */
static __thread struct {
	int code;
	int instrument; /* the instrument's own code, with CLIENT_ERR_INSTRUMENT */
	char message[1024];
} last;

static const struct {
	int code;
	const char *name;
	const char *text;
} codes[] = {
	{ CLIENT_OK, "CLIENT_OK", "success" },
	{ CLIENT_ERR_ARG, "CLIENT_ERR_ARG", "invalid argument" },
	{ CLIENT_ERR_OPTION, "CLIENT_ERR_OPTION", "bad option" },
	{ CLIENT_ERR_NOPORT, "CLIENT_ERR_NOPORT", "no such port" },
	{ CLIENT_ERR_PERM, "CLIENT_ERR_PERM", "permission denied" },
	{ CLIENT_ERR_BUSY, "CLIENT_ERR_BUSY", "port busy" },
	{ CLIENT_ERR_COMMAND, "CLIENT_ERR_COMMAND", "bad command" },
	{ CLIENT_ERR_TIMEOUT, "CLIENT_ERR_TIMEOUT", "timeout" },
	{ CLIENT_ERR_TOOLONG, "CLIENT_ERR_TOOLONG", "reply too long" },
	{ CLIENT_ERR_GONE, "CLIENT_ERR_GONE", "device gone" },
	{ CLIENT_ERR_IO, "CLIENT_ERR_IO", "input/output error" },
	{ CLIENT_ERR_NOMEM, "CLIENT_ERR_NOMEM", "out of memory" },
	{ CLIENT_ERR_REFUSED, "CLIENT_ERR_REFUSED", "connection refused" },
	{ CLIENT_ERR_NOHOST, "CLIENT_ERR_NOHOST", "host not found" },
	{ CLIENT_ERR_CLOSED, "CLIENT_ERR_CLOSED", "connection closed by the server" },
	{ CLIENT_ERR_PROTOCOL, "CLIENT_ERR_PROTOCOL", "protocol error" },
	{ CLIENT_ERR_ECHO, "CLIENT_ERR_ECHO", "echo mismatch" },
	{ CLIENT_ERR_BLOCK, "CLIENT_ERR_BLOCK", "malformed block or values" },
	{ CLIENT_ERR_INSTRUMENT, "CLIENT_ERR_INSTRUMENT", "the instrument reported an error" },
	{ CLIENT_ERR_UNSUPPORTED, "CLIENT_ERR_UNSUPPORTED", "not supported by this port" },
};

int sc_err_set(int code, const char *fmt, ...)
{
	va_list ap;

	last.code = code;
	last.instrument = 0;
	va_start(ap, fmt);
	vsnprintf(last.message, sizeof(last.message), fmt, ap);
	va_end(ap);
	return code;
}

void sc_err_set_instrument(int code)
{
	last.instrument = code;
}

SERIALCMD_API int client_last_instrument_error(void)
{
	return last.instrument;
}

void sc_err_clear(void)
{
	last.code = CLIENT_OK;
	last.instrument = 0;
	last.message[0] = '\0';
}

/* Map an errno from open/read/write to our codes, with advice where the
 * usual cause is known. */
int sc_err_from_errno(int errnum, const char *port, const char *what)
{
	switch (errnum) {
	case ENOENT:
	case ENOTDIR: return sc_err_set(CLIENT_ERR_NOPORT, "%s: %s: no such port", port, what);
	case EACCES:
	case EPERM:
		return sc_err_set(CLIENT_ERR_PERM,
				  "%s: %s: permission denied (the user may need to be in the dialout group,"
				  " or a udev rule granting access)",
				  port, what);
	/* A local port's open diagnoses this itself (sc_port_error()). */
	case EBUSY: return sc_err_set(CLIENT_ERR_BUSY, "%s: %s: busy (%s)", port, what, strerror(errnum));
	case EIO:
	case ENXIO:
	case ENODEV:
	case EPIPE:
		return sc_err_set(CLIENT_ERR_GONE, "%s: %s: device gone (%s)", port, what, strerror(errnum));
	case ENOMEM: return sc_err_set(CLIENT_ERR_NOMEM, "%s: %s: out of memory", port, what);
	default: return sc_err_set(CLIENT_ERR_IO, "%s: %s: %s", port, what, strerror(errnum));
	}
}

SERIALCMD_API int client_last_error(void)
{
	return last.code;
}

SERIALCMD_API const char *client_last_message(void)
{
	return last.message;
}

SERIALCMD_API const char *client_strerror(int code)
{
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++)
		if (codes[i].code == code)
			return codes[i].text;
	return "unknown error";
}

SERIALCMD_API const char *client_error_name(int code)
{
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++)
		if (codes[i].code == code)
			return codes[i].name;
	return "CLIENT_ERR_UNKNOWN";
}

SERIALCMD_API const char *client_version(void)
{
	return SERIALCMD_VERSION_STRING;
}
