/* SPDX-License-Identifier: MIT */
/* transport-rfc2217.c - rfc2217://HOST:PORT: a serial port behind a
 * terminal server that speaks Telnet with the RFC 2217 COM-PORT-OPTION
 * (ser2net's telnet(rfc2217) accepter, and others).
 *
 * libtelnet does the Telnet layer: IAC escaping both ways, option
 * negotiation (RFC 1143) and sub-negotiation parsing. On top of it:
 *
 * - Set-up: we offer WILL COM-PORT-OPTION (and BINARY both ways) and wait
 *   for the server's DO, at most NEGOTIATION_WAIT_MS and never past the
 *   open deadline (timeout_ms). A refusal (DONT/WONT) or no answer fails
 *   the open with CLIENT_ERR_PROTOCOL: settings sent to a port that does
 *   not speak RFC 2217 would reach the device as garbage. The server
 *   closing the connection meanwhile is CLIENT_ERR_CLOSED.
 * - Then the spec's baud, data bits, parity, stop bits and flow control
 *   are sent, and DTR and RTS switched on as opening a local port does
 *   (unless the spec's dtr=/rts= set them: those follow, with no pulse).
 * - Line calls: DTR, RTS and break are SET-CONTROL requests (RFC 2217
 *   section 3: 8/9, 11/12, 5/6), not waited for; the input lines are the
 *   server's last NOTIFY-MODEMSTATE (ser2net sends one at connect).
 *   Nothing waits for acknowledgements: they are read with the data later,
 *   a different value is traced, and one still missing ACK_GRACE_MS later
 *   (or at close) is traced too; it never fails the connection.
 * - Purge: before every command (flush_input) PURGE-DATA asks the server
 *   to drop its receive buffer, as a local port would flush its input; its
 *   answer is not waited for. The purge travels ahead of the command in
 *   the same stream, so it cannot drop that command's reply.
 *
 * - A hostile server is bounded: the answers libtelnet gives (to option
 *   negotiations, signature requests) are queued at most ANSWERS_MAX bytes
 *   while the server does not read them; MCCP2 compression (COMPRESS2) is
 *   refused, and a server starting it anyway is a protocol error, as is a
 *   sub-negotiation longer than libtelnet's 16 KiB buffer, and decoded data
 *   that would exceed the receive room (never a silent drop). Any such
 *   failure closes the connection at once and is sticky: every later call
 *   fails with the same code and cause.
 *
 * Traces, set-up included, go to the client's trace sink. */
#include <stdarg.h>
#include <stddef.h> /* before libtelnet.h, which needs size_t */
#include <libtelnet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "net.h"

#define TELOPT_COMPORT 44
/* COM-PORT-OPTION commands, client to server; the server answers with the
 * same code plus SERVER_CODE. */
enum {
	CPO_SIGNATURE = 0,
	CPO_SET_BAUDRATE = 1,
	CPO_SET_DATASIZE = 2,
	CPO_SET_PARITY = 3,
	CPO_SET_STOPSIZE = 4,
	CPO_SET_CONTROL = 5,
	CPO_NOTIFY_LINESTATE = 6,
	CPO_NOTIFY_MODEMSTATE = 7,
	CPO_FLOWCONTROL_SUSPEND = 8,
	CPO_FLOWCONTROL_RESUME = 9,
	CPO_PURGE_DATA = 12,
	SERVER_CODE = 100,
};
/* SET-CONTROL values. */
enum {
	CTL_FLOW_NONE = 1,
	CTL_BREAK_ON = 5,
	CTL_BREAK_OFF = 6,
	CTL_FLOW_XONXOFF = 2,
	CTL_FLOW_HARDWARE = 3,
	CTL_DTR_ON = 8,
	CTL_DTR_OFF = 9,
	CTL_RTS_ON = 11,
	CTL_RTS_OFF = 12,
	CTL_IN_FLOW_NONE = 14,
	CTL_IN_FLOW_XONXOFF = 15,
	CTL_IN_FLOW_HARDWARE = 16,
	CTL_FLOW_DCD = 17,
	CTL_IN_FLOW_DTR = 18,
	CTL_FLOW_DSR = 19,
};
#define PURGE_RECEIVE 1

/* Settings whose acknowledgement is still due. */
enum {
	ACK_BAUD = 1 << 0,
	ACK_BITS = 1 << 1,
	ACK_PARITY = 1 << 2,
	ACK_STOP = 1 << 3,
	ACK_FLOW = 1 << 4,
	ACK_FLOW_IN = 1 << 5,
	ACK_DTR = 1 << 6,
	ACK_RTS = 1 << 7,
};
static const char *const ack_names[] = { "baud",      "data bits",    "parity",
					 "stop bits", "flow control", "inbound flow control",
					 "DTR on",    "RTS on" };

#define NEGOTIATION_WAIT_MS 2000
#define ACK_GRACE_MS 1000
#define RX_CHUNK 16384
/* read_now() gives up after this many receives that held no data. */
#define READ_NOW_MAX 64
/* Longest server text quoted when it hangs up during set-up. */
#define QUOTE_MAX 80
/* Answers to the server's negotiations queued at most, in bytes (SECURITY.md;
 * tests/test-hostile.c): a server that floods requests and never reads
 * fails the command with CLIENT_ERR_PROTOCOL once they would exceed it. */
#define ANSWERS_MAX 4096

static const telnet_telopt_t telopts[] = {
	{ TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO },
	{ TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO },
	{ TELOPT_COMPORT, TELNET_WILL, TELNET_DONT },
	{ -1, 0, 0 },
};

struct rfc2217 {
	struct transport base;
	int fd;
	telnet_t *tn;
	/* During set-up only: a second parser in proxy mode that reports every
	 * negotiation as it arrives, because libtelnet answers a refusal of an
	 * option we asked for without raising an event. */
	telnet_t *watch;
	int comport;	     /* 1 accepted, -1 refused, 0 not answered yet */
	const char *refusal; /* "DONT" or "WONT" seen by watch */
	int failed;	     /* a sticky error code (libtelnet error, no memory) */
	char why[256];
	unsigned acks_due;
	int64_t settings_ns;
	int baud, bits, parity, stop;
	/* Decoded data not yet returned: bytes data_off..data_len. */
	char data[RX_CHUNK];
	size_t data_off, data_len;
	/* Telnet-encoded bytes not yet sent: out_off..out_len. */
	char *out;
	size_t out_off, out_len, out_cap;
	/* Inside telnet_recv(): what libtelnet queues then is an answer. */
	int receiving;
	/* Answers among the unsent bytes (at most ANSWERS_MAX). */
	size_t answers;
	/* The last NOTIFY-MODEMSTATE value the server sent; -1: none yet. */
	int modemstate;
};

static void rtrace(struct rfc2217 *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rtrace(struct rfc2217 *r, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	memcpy(line, "rfc2217: ", 9);
	va_start(ap, fmt);
	vsnprintf(line + 9, sizeof(line) - 9, fmt, ap);
	va_end(ap);
	r->base.trace(r->base.trace_ctx, line);
}

/* A sticky failure: the connection is closed at once (the server sees it)
 * and what was queued for it dropped; every later call returns code. */
static void set_failed(struct rfc2217 *r, int code, const char *why)
{
	if (r->failed)
		return;
	r->failed = code;
	snprintf(r->why, sizeof(r->why), "%s", why);
	rtrace(r, "%s; connection closed", why);
	if (r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
	free(r->out);
	r->out = NULL;
	r->out_off = r->out_len = r->out_cap = 0;
	r->answers = 0;
}

static void take_data(struct rfc2217 *r, const char *buf, size_t n)
{
	size_t room = sizeof(r->data) - r->data_len;

	/* No more is received than there is room for, and decoding Telnet
	 * never makes bytes more; only decompression could, and it is
	 * refused. Should it happen anyway: an error, never a silent drop. */
	if (n > room) {
		char why[128];

		snprintf(why, sizeof(why), "received data decoded to %zu bytes more than the %zu bytes of room",
			 n - room, room);
		set_failed(r, CLIENT_ERR_PROTOCOL, why);
		return;
	}
	memcpy(r->data + r->data_len, buf, n);
	r->data_len += n;
}

static int flush(struct rfc2217 *r, int64_t deadline_ns);

/* Room for n more bytes of answers: the socket takes what it can at once;
 * a server that still leaves more than ANSWERS_MAX unread fails. */
static int answers_fit(struct rfc2217 *r, size_t n)
{
	char why[200];
	int ret;

	if (r->answers + n <= ANSWERS_MAX)
		return 1;
	ret = flush(r, NET_NOW);
	if (ret < 0 && ret != CLIENT_ERR_TIMEOUT) {
		set_failed(r, ret, "the connection failed while answering Telnet negotiations");
		return 0;
	}
	if (r->answers + n <= ANSWERS_MAX)
		return 1;
	snprintf(why, sizeof(why),
		 "Telnet protocol error: the server sends option negotiations faster than it reads the"
		 " answers (more than %d bytes of answers unsent)",
		 ANSWERS_MAX);
	set_failed(r, CLIENT_ERR_PROTOCOL, why);
	return 0;
}

static void queue_out(struct rfc2217 *r, const char *buf, size_t n)
{
	if (r->failed)
		return;
	if (r->receiving) {
		if (!answers_fit(r, n))
			return;
		r->answers += n;
	}
	if (n > r->out_cap - r->out_len) {
		size_t cap = r->out_cap ? r->out_cap : 256;
		char *p;

		while (cap - r->out_len < n)
			cap *= 2;
		p = realloc(r->out, cap);
		if (!p) {
			set_failed(r, CLIENT_ERR_NOMEM, "out of memory for outgoing data");
			return;
		}
		r->out = p;
		r->out_cap = cap;
	}
	memcpy(r->out + r->out_len, buf, n);
	r->out_len += n;
}

/* Send what is queued; with NET_NOW only what the socket takes at once. */
static int flush(struct rfc2217 *r, int64_t deadline_ns)
{
	size_t sent = 0;
	int ret;

	if (r->failed)
		return sc_err_set(r->failed, "%s: %s", r->base.port, r->why);
	if (r->out_off == r->out_len)
		return CLIENT_OK;
	ret = sc_net_write(r->fd, r->out + r->out_off, r->out_len - r->out_off, &sent, deadline_ns,
			   r->base.port);
	r->out_off += sent;
	if (r->out_off == r->out_len)
		r->out_off = r->out_len = 0;
	/* The answers are the last of the unsent bytes. */
	if (r->answers > r->out_len - r->out_off)
		r->answers = r->out_len - r->out_off;
	return ret;
}

static void comport_send(struct rfc2217 *r, unsigned char cmd, const unsigned char *value, size_t n)
{
	char buf[8];

	if (n >= sizeof(buf))
		return;
	buf[0] = (char)cmd;
	memcpy(buf + 1, value, n);
	/* libtelnet doubles an IAC byte inside the sub-negotiation too. */
	telnet_subnegotiation(r->tn, TELOPT_COMPORT, buf, n + 1);
}

static void comport_byte(struct rfc2217 *r, unsigned char cmd, unsigned char value)
{
	comport_send(r, cmd, &value, 1);
}

/* An acknowledgement of a one-byte setting (parity shown by name too). */
static void ack_byte(struct rfc2217 *r, unsigned bit, const unsigned char *v, size_t n, int want)
{
	static const char *const parities[] = { "", " (none)", " (odd)", " (even)", " (mark)", " (space)" };
	const char *name = ack_names[__builtin_ctz(bit)];
	const char *word = bit == ACK_PARITY && n >= 1 && v[0] < ARRAY_SIZE(parities) ? parities[v[0]] : "";

	r->acks_due &= ~bit;
	if (n < 1)
		rtrace(r, "server acknowledged %s without a value", name);
	else if (v[0] != want)
		rtrace(r, "server answered %s %u%s (asked %d)", name, v[0], word, want);
	else
		rtrace(r, "server acknowledged %s %u%s", name, v[0], word);
}

/* A COM-PORT-OPTION sub-negotiation from the server. */
static void comport_answer(struct rfc2217 *r, const unsigned char *b, size_t n)
{
	const unsigned char *v;
	size_t vn;

	/* libtelnet passes a NULL buffer for an empty sub-negotiation: check
	 * before any pointer arithmetic. */
	if (!b || n < 1)
		return;
	v = b + 1;
	vn = n - 1;
	switch (b[0]) {
	case SERVER_CODE + CPO_SIGNATURE:
		if (vn == 0) {
			/* The server asks who we are. */
			static const char sig[] = "serialcmd " SERIALCMD_VERSION_STRING;
			const char cmd = CPO_SIGNATURE;

			telnet_begin_sb(r->tn, TELOPT_COMPORT);
			telnet_send(r->tn, &cmd, 1);
			telnet_send(r->tn, sig, sizeof(sig) - 1);
			telnet_finish_sb(r->tn);
		} else {
			rtrace(r, "server signature \"%.*s\"", (int)(vn > 200 ? 200 : vn), (const char *)v);
		}
		break;
	case SERVER_CODE + CPO_SET_BAUDRATE:
		r->acks_due &= ~(unsigned)ACK_BAUD;
		if (vn >= 4) {
			unsigned long got = (unsigned long)v[0] << 24 | (unsigned long)v[1] << 16 |
					    (unsigned long)v[2] << 8 | v[3];

			if (got != (unsigned long)r->baud)
				rtrace(r, "server answered baud %lu (asked %d)", got, r->baud);
			else
				rtrace(r, "server acknowledged baud %lu", got);
		}
		break;
	case SERVER_CODE + CPO_SET_DATASIZE: ack_byte(r, ACK_BITS, v, vn, r->bits); break;
	case SERVER_CODE + CPO_SET_PARITY: ack_byte(r, ACK_PARITY, v, vn, r->parity); break;
	case SERVER_CODE + CPO_SET_STOPSIZE: ack_byte(r, ACK_STOP, v, vn, r->stop); break;
	case SERVER_CODE + CPO_SET_CONTROL:
		if (vn < 1)
			break;
		switch (v[0]) {
		case CTL_FLOW_NONE:
		case CTL_FLOW_XONXOFF:
		case CTL_FLOW_HARDWARE:
		case CTL_FLOW_DCD:
		case CTL_FLOW_DSR: r->acks_due &= ~(unsigned)ACK_FLOW; break;
		case CTL_IN_FLOW_NONE:
		case CTL_IN_FLOW_XONXOFF:
		case CTL_IN_FLOW_HARDWARE:
		case CTL_IN_FLOW_DTR: r->acks_due &= ~(unsigned)ACK_FLOW_IN; break;
		case CTL_DTR_ON:
		case CTL_DTR_OFF: r->acks_due &= ~(unsigned)ACK_DTR; break;
		case CTL_RTS_ON:
		case CTL_RTS_OFF: r->acks_due &= ~(unsigned)ACK_RTS; break;
		}
		if (v[0] == CTL_BREAK_ON || v[0] == CTL_BREAK_OFF ||
		    (v[0] >= CTL_DTR_ON && v[0] <= CTL_RTS_OFF))
			rtrace(r, "server acknowledged SET-CONTROL %u (%s)", v[0],
			       v[0] == CTL_BREAK_ON    ? "break on"
			       : v[0] == CTL_BREAK_OFF ? "break off"
			       : v[0] == CTL_DTR_ON    ? "DTR on"
			       : v[0] == CTL_DTR_OFF   ? "DTR off"
			       : v[0] == CTL_RTS_ON    ? "RTS on"
			       : v[0] == CTL_RTS_OFF   ? "RTS off"
						       : "a state query");
		break;
	case SERVER_CODE + CPO_NOTIFY_MODEMSTATE:
		if (vn >= 1) {
			if (r->modemstate != v[0])
				rtrace(r, "server reports modem state 0x%02x", v[0]);
			r->modemstate = v[0];
		}
		break;
	case SERVER_CODE + CPO_FLOWCONTROL_SUSPEND:
		rtrace(r, "server asks to suspend sending (ignored)");
		break;
	case SERVER_CODE + CPO_FLOWCONTROL_RESUME: rtrace(r, "server allows sending again"); break;
	default:
		/* Line and modem state notifications, the purge answer. */
		break;
	}
}

static void on_event(telnet_t *tn, telnet_event_t *ev, void *user)
{
	struct rfc2217 *r = user;
	char why[sizeof(r->why)];

	(void)tn;
	/* After a failure libtelnet may still go on with the rest of what it
	 * was given (an inflated stream, say): none of it counts. */
	if (r->failed)
		return;
	switch (ev->type) {
	case TELNET_EV_DATA: take_data(r, ev->data.buffer, ev->data.size); break;
	case TELNET_EV_SEND: queue_out(r, ev->data.buffer, ev->data.size); break;
	case TELNET_EV_DO:
		if (ev->neg.telopt == TELOPT_COMPORT)
			r->comport = 1;
		break;
	case TELNET_EV_DONT:
		if (ev->neg.telopt == TELOPT_COMPORT && r->comport > 0) {
			rtrace(r, "server switched COM-PORT-OPTION off; no more purges");
			r->comport = -1;
		}
		break;
	case TELNET_EV_SUBNEGOTIATION:
		if (ev->sub.telopt == TELOPT_COMPORT)
			comport_answer(r, (const unsigned char *)ev->sub.buffer, ev->sub.size);
		/* libtelnet built with zlib inflates everything after this,
		 * negotiated or not (COMPRESS2 is refused: not in telopts). */
		else if (ev->sub.telopt == TELNET_TELOPT_COMPRESS2)
			set_failed(r, CLIENT_ERR_PROTOCOL,
				   "Telnet protocol error: the server started MCCP2 compression (IAC SB"
				   " COMPRESS2), which was not negotiated (serialcmd refuses compression)");
		break;
	case TELNET_EV_COMPRESS:
		set_failed(r, CLIENT_ERR_PROTOCOL,
			   "Telnet protocol error: the server started compression, which was not negotiated");
		break;
	case TELNET_EV_WARNING:
		/* Past its buffer libtelnet would hand the rest of the
		 * sub-negotiation out as data. Debian's 0.21 leaves errcode
		 * unset (valgrind: uninitialised): its message tells. */
		if (ev->error.msg && strstr(ev->error.msg, "buffer size limit"))
			set_failed(r, CLIENT_ERR_PROTOCOL,
				   "Telnet protocol error: a sub-negotiation longer than libtelnet's 16384-byte"
				   " buffer (no IAC SE)");
		/* IAC followed by anything but SE or IAC inside a
		 * sub-negotiation: libtelnet gives up the sub-negotiation and
		 * its bytes could come out as data (found by
		 * fuzz-rfc2217-stream); no RFC 2217 server sends it. */
		else if (ev->error.msg && strstr(ev->error.msg, "inside SB"))
			set_failed(r, CLIENT_ERR_PROTOCOL,
				   "Telnet protocol error: a command inside a sub-negotiation (IAC, then"
				   " neither SE nor IAC)");
		else
			rtrace(r, "Telnet warning: %s", ev->error.msg);
		break;
	case TELNET_EV_ERROR:
		snprintf(why, sizeof(why), "Telnet protocol error: %s", ev->error.msg);
		set_failed(r, CLIENT_ERR_PROTOCOL, why);
		break;
	default:
		/* NOP and other commands, other options: nothing to do. */
		break;
	}
}

static void on_watch(telnet_t *tn, telnet_event_t *ev, void *user)
{
	struct rfc2217 *r = user;

	(void)tn;
	if ((ev->type == TELNET_EV_DONT || ev->type == TELNET_EV_WONT) && ev->neg.telopt == TELOPT_COMPORT &&
	    !r->refusal)
		r->refusal = ev->type == TELNET_EV_DONT ? "DONT" : "WONT";
}

/* Trace settings the server has not acknowledged, once: ACK_GRACE_MS after
 * they were sent, or at close. */
static void check_acks(struct rfc2217 *r, int closing)
{
	char names[256];
	size_t o = 0;

	if (!r->acks_due)
		return;
	if (!closing && sc_clock_now_ns() - r->settings_ns < (int64_t)ACK_GRACE_MS * 1000000)
		return;
	names[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(ack_names) && o < sizeof(names); i++)
		if (r->acks_due & (1u << i))
			o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", o ? ", " : "",
					      ack_names[i]);
	rtrace(r,
	       "no acknowledgement from the server for: %s (continuing; some servers never acknowledge"
	       " some settings, e.g. ser2net in front of a pseudo-terminal for DTR and RTS)",
	       names);
	r->acks_due = 0;
}

/* One receive: > 0 raw bytes handled (they may hold no data), 0 with
 * NET_NOW when nothing came, or a negative code. */
static ssize_t pump(struct rfc2217 *r, int64_t deadline_ns)
{
	char raw[RX_CHUNK];
	size_t room;
	ssize_t n;
	int ret;

	if (r->failed)
		return sc_err_set(r->failed, "%s: %s", r->base.port, r->why);
	if (r->data_off == r->data_len)
		r->data_off = r->data_len = 0;
	room = sizeof(r->data) - r->data_len;
	if (room == 0) {
		/* Only during set-up, when nobody reads: that is stale input. */
		rtrace(r, "dropped %zu bytes received during set-up", r->data_len - r->data_off);
		r->data_off = r->data_len = 0;
		room = sizeof(r->data);
	}
	n = sc_net_read(r->fd, raw, room < sizeof(raw) ? room : sizeof(raw), deadline_ns, r->base.port);
	if (n <= 0)
		return n;
	if (r->watch)
		telnet_recv(r->watch, raw, (size_t)n);
	r->receiving = 1;
	telnet_recv(r->tn, raw, (size_t)n);
	r->receiving = 0;
	if (r->failed)
		return sc_err_set(r->failed, "%s: %s", r->base.port, r->why);
	/* Send the answers libtelnet gave (negotiation), without waiting. */
	ret = flush(r, NET_NOW);
	if (ret < 0 && ret != CLIENT_ERR_TIMEOUT)
		return ret;
	check_acks(r, 0);
	return n;
}

static ssize_t take(struct rfc2217 *r, void *buf, size_t size)
{
	size_t n = r->data_len - r->data_off;

	if (n > size)
		n = size;
	memcpy(buf, r->data + r->data_off, n);
	r->data_off += n;
	return (ssize_t)n;
}

static ssize_t rfc_read(struct transport *t, void *buf, size_t size, int64_t deadline_ns)
{
	struct rfc2217 *r = (struct rfc2217 *)t;

	for (;;) {
		ssize_t n;

		/* Checked on every pass: neither a flood of data nor one of
		 * Telnet commands can hold us past the deadline. */
		if (sc_clock_passed(deadline_ns))
			return CLIENT_ERR_TIMEOUT;
		if (r->data_off < r->data_len)
			return take(r, buf, size);
		n = pump(r, deadline_ns);
		if (n < 0)
			return n;
	}
}

/* Before each command, as a local port flushes its input: the server
 * purges its receive buffer. The request goes out ahead of the command on
 * the same connection, and its answer is never waited for. */
static int rfc_flush_input(struct transport *t)
{
	struct rfc2217 *r = (struct rfc2217 *)t;
	int ret;

	if (r->comport <= 0 || r->failed)
		return CLIENT_OK;
	comport_byte(r, CPO_PURGE_DATA, PURGE_RECEIVE);
	ret = flush(r, NET_NOW);
	return ret == CLIENT_ERR_TIMEOUT ? CLIENT_OK : ret;
}

static ssize_t rfc_read_now(struct transport *t, void *buf, size_t size)
{
	struct rfc2217 *r = (struct rfc2217 *)t;

	for (int i = 0; i < READ_NOW_MAX; i++) {
		ssize_t n;

		if (r->data_off < r->data_len)
			return take(r, buf, size);
		n = pump(r, NET_NOW);
		if (n <= 0)
			return n;
	}
	return 0;
}

/* A write that times out keeps its unsent rest queued, whole Telnet
 * sequences included, and the next write sends it first. */
static int rfc_write(struct transport *t, const void *buf, size_t len, int64_t deadline_ns)
{
	struct rfc2217 *r = (struct rfc2217 *)t;

	if (r->failed)
		return sc_err_set(r->failed, "%s: %s", t->port, r->why);
	telnet_send(r->tn, buf, len);
	if (r->failed)
		return sc_err_set(r->failed, "%s: %s", t->port, r->why);
	return flush(r, deadline_ns);
}

static void rfc_free(struct rfc2217 *r)
{
	if (r->watch)
		telnet_free(r->watch);
	if (r->tn)
		telnet_free(r->tn);
	if (r->fd >= 0)
		close(r->fd);
	free(r->out);
	free(r);
}

static void rfc_close(struct transport *t)
{
	struct rfc2217 *r = (struct rfc2217 *)t;

	check_acks(r, 1);
	rfc_free(r);
}

/* One SET-CONTROL request, sent before the deadline; its answer is not
 * waited for (it is traced when it comes with later data). */
static int control_send(struct rfc2217 *r, unsigned char value, int64_t deadline_ns)
{
	int ret;

	if (r->failed)
		return sc_err_set(r->failed, "%s: %s", r->base.port, r->why);
	comport_byte(r, CPO_SET_CONTROL, value);
	ret = flush(r, deadline_ns);
	if (ret == CLIENT_ERR_TIMEOUT)
		return sc_err_set(CLIENT_ERR_TIMEOUT, "%s: the server does not take the SET-CONTROL request",
				  r->base.port);
	return ret;
}

static int rfc_set_line(struct transport *t, enum transport_line line, int on, int64_t deadline_ns)
{
	static const unsigned char values[2][2] = { { CTL_DTR_OFF, CTL_DTR_ON },
						    { CTL_RTS_OFF, CTL_RTS_ON } };

	return control_send((struct rfc2217 *)t, values[line == TRANSPORT_RTS][on != 0], deadline_ns);
}

static int rfc_set_break(struct transport *t, int on, int64_t deadline_ns)
{
	return control_send((struct rfc2217 *)t, on ? CTL_BREAK_ON : CTL_BREAK_OFF, deadline_ns);
}

/* The input lines as the server last reported them (NOTIFY-MODEMSTATE,
 * RFC 2217: bit 4 CTS, 5 DSR, 6 RI, 7 DCD), after taking in what has
 * arrived; a server that has reported none cannot be asked for one. */
static int rfc_get_signals(struct transport *t, int *mask, int64_t deadline_ns)
{
	struct rfc2217 *r = (struct rfc2217 *)t;

	(void)deadline_ns;
	/* Only while there is room: unread data is never dropped for it. */
	for (int i = 0; i < READ_NOW_MAX && r->data_len < sizeof(r->data); i++) {
		ssize_t n = pump(r, NET_NOW);

		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
	}
	if (r->modemstate < 0)
		return sc_err_set(CLIENT_ERR_UNSUPPORTED,
				  "%s: reading CTS, DSR, DCD and RI: the server has sent no modem state"
				  " (RFC 2217 NOTIFY-MODEMSTATE); servers report it only for ports that have"
				  " modem lines",
				  t->port);
	*mask = (r->modemstate & 0x10 ? CLIENT_SIG_CTS : 0) | (r->modemstate & 0x20 ? CLIENT_SIG_DSR : 0) |
		(r->modemstate & 0x40 ? CLIENT_SIG_RI : 0) | (r->modemstate & 0x80 ? CLIENT_SIG_DCD : 0);
	return CLIENT_OK;
}

static const struct transport_ops rfc2217_ops = {
	.name = "rfc2217",
	.read = rfc_read,
	.read_now = rfc_read_now,
	.write = rfc_write,
	.flush_input = rfc_flush_input,
	.close = rfc_close,
	/* HUPCL and low latency are the server's business: no RFC 2217 command. */
	.kind = "an RFC 2217 port (the server owns the tty)",
	.set_line = rfc_set_line,
	.get_signals = rfc_get_signals,
	.set_break = rfc_set_break,
};

static void send_settings(struct rfc2217 *r, const struct client_config *cfg)
{
	static const char *const flows[] = { "none", "xonxoff", "rtscts", "dtrdsr" };
	static const char parities[] = "NOEMS";
	const unsigned long b = (unsigned long)cfg->baud;
	const unsigned char baud[4] = { (unsigned char)(b >> 24), (unsigned char)(b >> 16),
					(unsigned char)(b >> 8), (unsigned char)b };

	r->baud = cfg->baud;
	r->bits = cfg->bits;
	r->parity = (int)cfg->parity + 1; /* RFC 2217: 1 none, 2 odd, 3 even, 4 mark, 5 space */
	r->stop = cfg->stop;
	comport_send(r, CPO_SET_BAUDRATE, baud, sizeof(baud));
	comport_byte(r, CPO_SET_DATASIZE, (unsigned char)r->bits);
	comport_byte(r, CPO_SET_PARITY, (unsigned char)r->parity);
	comport_byte(r, CPO_SET_STOPSIZE, (unsigned char)r->stop);
	r->acks_due = ACK_BAUD | ACK_BITS | ACK_PARITY | ACK_STOP | ACK_FLOW;
	switch (cfg->flow) {
	case CLIENT_FLOW_NONE: comport_byte(r, CPO_SET_CONTROL, CTL_FLOW_NONE); break;
	case CLIENT_FLOW_XONXOFF: comport_byte(r, CPO_SET_CONTROL, CTL_FLOW_XONXOFF); break;
	case CLIENT_FLOW_RTSCTS: comport_byte(r, CPO_SET_CONTROL, CTL_FLOW_HARDWARE); break;
	case CLIENT_FLOW_DTRDSR:
		comport_byte(r, CPO_SET_CONTROL, CTL_FLOW_DSR);
		comport_byte(r, CPO_SET_CONTROL, CTL_IN_FLOW_DTR);
		r->acks_due |= ACK_FLOW_IN;
		break;
	}
	/* Raise the lines flow control does not drive, as opening a local
	 * port does, unless the spec sets them (then they are sent after
	 * set-up, as for every backend, and never pulse). */
	if (cfg->flow != CLIENT_FLOW_DTRDSR && cfg->dtr < 0) {
		comport_byte(r, CPO_SET_CONTROL, CTL_DTR_ON);
		r->acks_due |= ACK_DTR;
	}
	if (cfg->flow != CLIENT_FLOW_RTSCTS && cfg->rts < 0) {
		comport_byte(r, CPO_SET_CONTROL, CTL_RTS_ON);
		r->acks_due |= ACK_RTS;
	}
	r->settings_ns = sc_clock_now_ns();
	rtrace(r, "sent %d %d%c%d, flow %s; not waiting for acknowledgements", cfg->baud, cfg->bits,
	       parities[cfg->parity], cfg->stop, flows[cfg->flow]);
}

/* Set-up failures: the server hanging up is CLIENT_ERR_CLOSED, quoting what
 * it sent before (ser2net says why, e.g. that the port is in use). */
static int setup_error(struct rfc2217 *r, int code, const char *what)
{
	char quote[QUOTE_MAX * 4 + 1];
	size_t n = r->data_len - r->data_off;

	if (code != CLIENT_ERR_GONE)
		return code;
	if (n == 0)
		return sc_err_set(CLIENT_ERR_CLOSED, "%s: the server closed the connection %s", r->base.port,
				  what);
	sc_escape_bytes(quote, sizeof(quote), r->data + r->data_off, n > QUOTE_MAX ? QUOTE_MAX : n);
	return sc_err_set(CLIENT_ERR_CLOSED, "%s: the server closed the connection %s; it said \"%s\"",
			  r->base.port, what, quote);
}

static int negotiate(struct rfc2217 *r, int64_t deadline_ns)
{
	int64_t wait_end = sc_clock_deadline_ns(NEGOTIATION_WAIT_MS);
	int64_t started = sc_clock_now_ns();
	int ret;

	if (wait_end > deadline_ns)
		wait_end = deadline_ns;
	telnet_negotiate(r->tn, TELNET_WILL, TELOPT_COMPORT);
	telnet_negotiate(r->tn, TELNET_WILL, TELNET_TELOPT_BINARY);
	telnet_negotiate(r->tn, TELNET_DO, TELNET_TELOPT_BINARY);
	if (r->failed)
		return sc_err_set(r->failed, "%s: %s", r->base.port, r->why);
	ret = flush(r, deadline_ns);
	if (ret == CLIENT_ERR_TIMEOUT)
		return sc_err_set(CLIENT_ERR_TIMEOUT, "%s: the server does not take the Telnet negotiation",
				  r->base.port);
	if (ret)
		return setup_error(r, ret, "before the Telnet negotiation");
	while (r->comport == 0) {
		ssize_t n = pump(r, wait_end);

		if (n == CLIENT_ERR_TIMEOUT)
			break;
		if (n < 0)
			return setup_error(r, (int)n, "during the Telnet negotiation");
		if (r->comport == 0 && r->refusal)
			r->comport = -1;
		if (r->comport == 0 && sc_clock_remaining_ms(wait_end) == 0)
			break;
	}
	if (r->comport < 0)
		return sc_err_set(
			CLIENT_ERR_PROTOCOL,
			"%s: the server refused the RFC 2217 COM-PORT-OPTION (it answered %s): it is a Telnet"
			" port without RFC 2217 (with ser2net, use an accepter telnet(rfc2217),tcp,...; for a"
			" raw port use tcp://)",
			r->base.port, r->refusal);
	if (r->comport == 0)
		return sc_err_set(
			CLIENT_ERR_PROTOCOL,
			"%s: no answer to the RFC 2217 COM-PORT-OPTION negotiation within %d ms (a raw TCP"
			" port? then use tcp://)",
			r->base.port, (int)((sc_clock_now_ns() - started + 999999) / 1000000));
	telnet_free(r->watch);
	r->watch = NULL;
	return CLIENT_OK;
}

int sc_transport_rfc2217_open(const struct client_config *cfg, const char *port,
			      const struct transport_host *host, struct transport **out)
{
	int64_t deadline_ns = sc_clock_deadline_ns(cfg->timeout_ms);
	struct rfc2217 *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory", port);
	sc_transport_init(&r->base, &rfc2217_ops, host);
	r->fd = -1;
	r->modemstate = -1;
	ret = sc_net_connect(port, "rfc2217://", deadline_ns, &r->fd);
	if (ret)
		goto fail;
	r->tn = telnet_init(telopts, on_event, 0, r);
	r->watch = telnet_init(NULL, on_watch, TELNET_FLAG_PROXY, r);
	if (!r->tn || !r->watch) {
		ret = sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory", port);
		goto fail;
	}
	ret = negotiate(r, deadline_ns);
	if (ret)
		goto fail;
	send_settings(r, cfg);
	ret = flush(r, deadline_ns);
	if (ret == CLIENT_ERR_TIMEOUT)
		ret = sc_err_set(CLIENT_ERR_TIMEOUT, "%s: the server does not take the port settings", port);
	else if (ret == CLIENT_OK && r->failed)
		ret = sc_err_set(r->failed, "%s: %s", port, r->why);
	else if (ret)
		ret = setup_error(r, ret, "while the port settings were sent");
	if (ret)
		goto fail;
	*out = &r->base;
	return CLIENT_OK;

fail:
	rfc_free(r);
	return ret;
}
