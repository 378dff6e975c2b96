/* SPDX-License-Identifier: MIT */
/* identify.c - does a profile claim a port, and does the device behind it
 * answer as the profile says; see identify.h. */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "bridges.h"
#include "identify.h"
#include "internal.h"

/* Least time kept for writing a query and reading its answer; with less
 * left, the port is not opened. */
#define MIN_QUERY_MS 100
/* Kept back from each probe for opening and closing the port. */
#define OPEN_CLOSE_MARGIN_MS 20

int sc_identify_possible(const struct profile *p)
{
	return p->identify[0] && p->identify_match[0];
}

int sc_identify_claims_usb(const struct profile *p, long vid, long pid, long intf)
{
	if (vid < 0 || pid < 0)
		return 0;
	for (size_t i = 0; i < p->nusb; i++)
		if ((long)p->usb[i].vid == vid && (long)p->usb[i].pid == pid)
			return p->usb_interface < 0 || intf < 0 || p->usb_interface == intf;
	return 0;
}

static int same_or_any(const char *want, const char *have)
{
	return !want[0] || strcmp(want, have ? have : "") == 0;
}

int sc_identify_strings_match(const struct profile *p, const char *manufacturer, const char *product,
			      const char *serial)
{
	return same_or_any(p->usb_manufacturer, manufacturer) && same_or_any(p->usb_product, product) &&
	       same_or_any(p->usb_serial, serial);
}

int sc_identify_may_probe(const struct profile *p, long vid, long pid, char *why, size_t size)
{
	const struct usb_bridge *b;

	if (p->probe == PROFILE_PROBE_NEVER) {
		snprintf(why, size, "profile %s sets probe = never; not probing", p->name);
		return 0;
	}
	if (p->probe == PROFILE_PROBE_ALWAYS || vid < 0 || pid < 0)
		return 1;
	b = sc_bridge_find((unsigned)vid, (unsigned)pid);
	if (!b)
		return 1;
	/* Anything may sit behind a bridge's own id: asking at the profile's
	 * baud rate could reach (and, by the DTR edge of the open, reset) a
	 * stranger's device. */
	snprintf(why, size,
		 "%04lx:%04lx is a generic %s bridge; not probing (set probe = always in the profile"
		 " to allow it)",
		 vid, pid, b->chip);
	return 0;
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int sc_identify_reply_matches(const char *reply, size_t len, const char *pattern)
{
	char text[IDENTIFY_REPLY_MAX + 1];
	size_t start = 0, end = len;

	/* A NUL would cut the match short: "EVIL\0anything" must not pass
	 * for "EVIL". */
	if (!pattern || !pattern[0] || !reply || len > IDENTIFY_REPLY_MAX || memchr(reply, '\0', len))
		return 0;
	while (start < end && blank(reply[start]))
		start++;
	while (end > start && blank(reply[end - 1]))
		end--;
	if (start == end)
		return 0;
	memcpy(text, reply + start, end - start);
	text[end - start] = '\0';
	return fnmatch(pattern, text, 0) == 0;
}

int sc_identify_probe_init(struct identify_probe *pr, const char *port, const char *name,
			   const struct profile *p)
{
	char spec[sizeof(p->path) + 16];
	int n;

	memset(pr, 0, sizeof(*pr));
	if (strlen(port) >= sizeof(pr->cfg->port))
		return sc_err_set(CLIENT_ERR_ARG, "%.64s...: port path too long", port);
	/* The path goes in directly: in a spec it would read '?' and '&'.
	 * The name may be a profile's path, as profile= takes. */
	n = snprintf(spec, sizeof(spec), "port?profile=%s", name);
	if (n < 0 || (size_t)n >= sizeof(spec))
		return sc_err_set(CLIENT_ERR_OPTION, "profile %.64s...: name too long", name);
	pr->cfg = client_config_new(spec);
	if (!pr->cfg)
		return client_last_error();
	snprintf(pr->cfg->port, sizeof(pr->cfg->port), "%s", port);
	/* One query and one answer, nothing more, whatever the profile asks. */
	pr->cfg->check_errors = 0;
	pr->cfg->reconnect = 0;
	pr->cfg->min_gap_ms = 0;
	pr->cfg->exclusive = 1;
	pr->cfg->max_reply = IDENTIFY_REPLY_MAX;
	pr->query = p->identify;
	return CLIENT_OK;
}

void sc_identify_probe_free(struct identify_probe *pr)
{
	client_config_free(pr->cfg);
	pr->cfg = NULL;
}

int sc_identify_probe_same(const struct identify_probe *a, const struct identify_probe *b)
{
	const struct client_config *x = a->cfg, *y = b->cfg;

	return strcmp(a->query, b->query) == 0 && x->baud == y->baud && x->bits == y->bits &&
	       x->parity == y->parity && x->stop == y->stop && x->flow == y->flow && x->echo == y->echo &&
	       x->write_eol_len == y->write_eol_len &&
	       memcmp(x->write_eol, y->write_eol, x->write_eol_len) == 0 &&
	       x->read_eol_len == y->read_eol_len && memcmp(x->read_eol, y->read_eol, x->read_eol_len) == 0;
}

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

int sc_identify_probe_run(struct identify_probe *pr, int64_t deadline_ns, int *port_unusable)
{
	struct client_config *cfg = pr->cfg;
	int64_t left = (deadline_ns - sc_clock_now_ns()) / 1000000 - OPEN_CLOSE_MARGIN_MS;
	struct client_ret *r;
	struct client *c;
	unsigned budget, rest;
	int code;

	pr->done = 1;
	*port_unusable = 0;
	if (left < MIN_QUERY_MS) {
		*port_unusable = 1;
		return sc_err_set(CLIENT_ERR_TIMEOUT, "%s: no time left to identify %s", cfg->port,
				  cfg->profile);
	}
	budget = left > CONFIG_MAX_TIMEOUT_MS ? CONFIG_MAX_TIMEOUT_MS : (unsigned)left;
	/* The profile's pauses, cut to fit: a board that boots for 2 s after
	 * the open (Arduino) still gets what the deadline allows. */
	cfg->open_delay_ms = min_u(cfg->open_delay_ms, budget - MIN_QUERY_MS);
	rest = budget - cfg->open_delay_ms;
	/* The query delay counts against the command's timeout, whose
	 * deadline is checked on every read: half of it is left to read. */
	cfg->query_delay_ms = min_u(cfg->query_delay_ms, rest / 2);
	cfg->timeout_ms = min_u(cfg->timeout_ms, rest);
	if (cfg->timeout_ms < 1)
		cfg->timeout_ms = 1;

	c = client_open(cfg);
	if (!c) {
		*port_unusable = 1; /* busy, gone, no access... */
		return client_last_error();
	}
	r = client_send_cmd_reply(c, pr->query);
	if (r) {
		pr->answered = 1;
		pr->len = r->len < IDENTIFY_REPLY_MAX ? r->len : IDENTIFY_REPLY_MAX;
		memcpy(pr->reply, r->ret_data, pr->len);
		pr->reply[pr->len] = '\0';
		client_free_ret(r);
		code = CLIENT_OK;
	} else {
		code = client_last_error();
		*port_unusable = code == CLIENT_ERR_GONE;
	}
	/* Closing may set no error, but must not hide the query's. */
	if (code != CLIENT_OK) {
		char why[1024];

		snprintf(why, sizeof(why), "%s", client_last_message());
		client_destroy(c);
		return sc_err_set(code, "%s", why);
	}
	client_destroy(c);
	return CLIENT_OK;
}

int sc_identify_port(const char *port, const char *name, const struct profile *p)
{
	struct identify_probe pr;
	int unusable, ok = 0;
	unsigned ms;

	if (!sc_identify_possible(p) || sc_identify_probe_init(&pr, port, name, p) != CLIENT_OK)
		return 0;
	/* The profile's own pauses and timeout, as a command through a handle
	 * opened with it would take; the query delay is part of the timeout. */
	ms = pr.cfg->open_delay_ms + (pr.cfg->timeout_ms > MIN_QUERY_MS ? pr.cfg->timeout_ms : MIN_QUERY_MS) +
	     OPEN_CLOSE_MARGIN_MS;
	if (sc_identify_probe_run(&pr, sc_clock_deadline_ns(ms), &unusable) == CLIENT_OK)
		ok = sc_identify_reply_matches(pr.reply, pr.len, p->identify_match);
	sc_identify_probe_free(&pr);
	return ok;
}
