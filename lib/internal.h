/* SPDX-License-Identifier: MIT */
/* internal.h - what the files of lib/ share; nothing here is public. */
#ifndef SERIALCMD_INTERNAL_H
#define SERIALCMD_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "options.h"
#include "serialcmd.h"
#include "transport.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Everything a handle is opened with (opaque to callers, who use
 * client_config_set/get). Each field but port belongs to one entry of the
 * option table (options.c), which parses, checks and formats it. */
struct client_config {
	char port[CLIENT_PORT_MAX];	/**< Port path, e.g. "/dev/ttyUSB0". */
	int baud;			/**< Bits per second, > 0. */
	int bits;			/**< Data bits, 5 to 8. */
	enum client_parity parity;	/**< Parity. */
	int stop;			/**< Stop bits, 1 or 2. */
	enum client_flow flow;		/**< Flow control. */
	char write_eol[CLIENT_EOL_MAX]; /**< Bytes written after each command. */
	size_t write_eol_len;		/**< Their count, 0 to CLIENT_EOL_MAX. */
	char read_eol[CLIENT_EOL_MAX];	/**< Bytes that end each reply. */
	size_t read_eol_len;		/**< Their count, 1 to CLIENT_EOL_MAX. */
	unsigned int timeout_ms;	/**< Deadline per command, 1 to 86400000 ms. */
	size_t max_reply;		/**< Longest reply accepted, in bytes. */
	int exclusive;			/**< Non-zero: lock the port against other processes. */
	int echo;		     /**< Non-zero: the device echoes each command line; check and drop it. */
	unsigned int query_delay_ms; /**< Pause after writing a command before reading its reply. */
	unsigned int min_gap_ms;     /**< Least time between the end of one command and the next. */
	unsigned int open_delay_ms;  /**< Pause after opening (boards that reset when the port opens). */
	char profile[64];	     /**< Name of the profile applied, "" if none. */
	int check_errors;	     /**< Non-zero: after each command, read the instrument's error queue. */
	char error_query[64];	     /**< The query that reads it, e.g. "SYST:ERR?". */
	char error_none[64]; /**< fnmatch pattern of "no error"; "" means a leading 0, as "0,\"No error\"". */
	int reconnect;	     /**< Non-zero: after "device gone", the next command reopens the port. */
	int queries;	     /**< For the command line: 0 every command is a query, 1 SCPI (header ends in '?'). */
	char blocks[256];    /**< For the command line: comma-separated queries whose reply is a block. */
	char unsolicited[128]; /**< Comma list of prefixes of lines that are never a reply. */
	unsigned int settle_ms; /**< After a failed command, the quiet time the next one waits for. */
	/* Applied right after open, in this order; -1: keep (as the driver
	 * or backend left it), 0 off, 1 on. */
	int hupcl;	 /**< The tty's HUPCL flag (drop DTR/RTS on last close). */
	int low_latency; /**< The driver's ASYNC_LOW_LATENCY flag. */
	int dtr;	 /**< DTR. */
	int rts;	 /**< RTS. */
	char record[512];	/**< Session recording file, "" for none (then SERIALCMD_RECORD). */
};

/* One port of a list from client_list_ports() (opaque to callers, who use
 * the client_port_*() accessors). count: the length of the list this port
 * is in, the same in every element, so accessors can check an index. */
struct client_port_info {
	char name[256];
	char description[256];
	char driver[64];
	int transport; /* a client_port_transport value */
	int usb_vid;   /* -1 if not USB */
	int usb_pid;
	char usb_serial[128];
	char usb_manufacturer[128];
	char usb_product[128];
	int usb_interface; /* -1 if unknown */
	int console;
	char passive[256]; /* why a found port was not asked (find.c); "" if it was, or not found */
	int count;
};

/* error.c: the thread-local last error. sc_err_set() returns code so that
 * "return sc_err_set(...)" reads as one step. */
int sc_err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sc_err_from_errno(int errnum, const char *port, const char *what);
void sc_err_clear(void);
/* After sc_err_set(CLIENT_ERR_INSTRUMENT, ...): the instrument's own code. */
void sc_err_set_instrument(int code);

/* escape.c: bytes made printable for messages and traces. Writes at most
 * size-1 characters plus a NUL into out; returns the number written. */
size_t sc_escape_bytes(char *out, size_t size, const void *data, size_t len);
/* The bytes as the inside of a JSON string whose code points are the bytes
 * (see tools/session-format.md); out must hold 6 * len bytes, no NUL is
 * added. Returns the number written. */
size_t sc_escape_json(char *out, const void *data, size_t len);

/* clock.c: one monotonic clock for every deadline. */
int64_t sc_clock_now_ns(void);
int64_t sc_clock_deadline_ns(unsigned int timeout_ms);
/* Milliseconds left until deadline, rounded up; 0 once it has passed. */
int sc_clock_remaining_ms(int64_t deadline_ns);
/* Whether the deadline has passed. */
int sc_clock_passed(int64_t deadline_ns);

/* One command's deadline: when it ends, and the timeout it was made from
 * (messages quote it). */
struct deadline {
	int64_t at_ns;
	unsigned int ms;
};

/* reply.c: the receive buffer, terminator scan and leftovers. The buffer
 * never holds more than limit bytes, so memory stays bounded by max_reply. */
struct rxbuf {
	char *data;
	size_t len;
	size_t cap;
	size_t scanned; /* bytes already searched for the terminator */
};

/* Replies: a copy of n bytes, or one that takes over data (malloc'd, at
 * least n+1 bytes); both NUL-terminate. NULL when out of memory. */
struct client_ret *sc_ret_new_copy(const void *data, size_t n);
struct client_ret *sc_ret_new_adopt(char *data, size_t n);

void sc_rxbuf_init(struct rxbuf *b);
void sc_rxbuf_free(struct rxbuf *b);
void sc_rxbuf_clear(struct rxbuf *b);
/* Make room for at least one more byte, up to limit bytes in total. Returns
 * the number of free bytes (>0), or CLIENT_ERR_NOMEM. */
ssize_t sc_rxbuf_reserve(struct rxbuf *b, size_t limit);
/* Offset of the first terminator, scanning only bytes not scanned before;
 * -1 if there is none yet. */
ssize_t sc_rxbuf_find(struct rxbuf *b, const char *eol, size_t eol_len);
/* Turn the first n bytes into a reply, drop the terminator after them and
 * keep what follows. NULL (CLIENT_ERR_NOMEM set) on failure, buffer unchanged. */
struct client_ret *sc_rxbuf_take(struct rxbuf *b, size_t n, size_t eol_len, const char *port);
/* Drop the first n bytes (n <= len); what was scanned stays scanned. */
void sc_rxbuf_consume(struct rxbuf *b, size_t n);

/* Limits a config must keep, whether from a spec or filled in by hand. */
#define CONFIG_MAX_TIMEOUT_MS 86400000u
#define CONFIG_MAX_REPLY ((size_t)1 << 30)
#define CONFIG_MAX_DELAY_MS 600000u

/* port-lock.c: exclusive use of a local port. sc_port_flock() keeps out other
 * serialcmd handles and flock users; sc_port_exclusive() sets TIOCEXCL, which
 * refuses any further open() by non-root. sc_port_error() is sc_err_from_errno()
 * for a failure on a local port: a busy one names the process holding it. */
int sc_port_flock(int fd, const char *port);
int sc_port_exclusive(int fd, const char *port);
void sc_port_release(int fd, pid_t owner);
int sc_port_error(int errnum, const char *port, const char *what);

/* ports.c: the device path of a "usb:VID:PID[:SERIAL]" port, and the
 * check of its syntax alone. */
int sc_ports_resolve_usb(const char *spec_port, char *path, size_t size);
int sc_ports_check_usb(const char *spec_port);
/* Record in every element of list that it holds n ports. */
void sc_ports_set_count(struct client_port_info *list, int n);

/* transport.c: the syntax of a port as the backend that would open it
 * reads it (host and port number, USB ids), without opening anything:
 * CLIENT_OK or CLIENT_ERR_OPTION. */
int sc_transport_check_port(const char *port);
/* transport.c: pick a backend for the config and open it (a
 * transport_opener; ctx is unused). */
int sc_transport_open(const struct client_config *cfg, const struct transport_host *host, void *ctx,
		      struct transport **out);

/* A handle. Its fields belong to client.c; read.c, block.c and trace.c
 * use them under the handle's lock. */
struct client {
	struct client_config cfg;
	struct transport *tp;
	transport_opener open; /* how tp is made: at open, and on reconnect */
	void *open_ctx;
	pthread_mutex_t lock; /* held for a whole command */
	/* Calls inside the handle, so destroy can wait for every one of them,
	 * including those still queued on the lock; guarded by live.c's lock
	 * of the set of handles. */
	pthread_cond_t users_done;
	int users;
	int closing;
	struct rxbuf rx;
	char *tx;
	size_t tx_cap;
	int gone;	     /* set once the device went away: later calls fail fast,
			      * or reopen with reconnect=1 */
	int64_t last_end_ns; /* when the last command ended, for min_gap_ms */
	/* With check_errors: errors found in the queue on open or reconnect,
	 * one a line (client_stale_errors()). */
	char stale_errors[1024];
	int stale_errors_count;
	int unsettled;	     /* the last command failed (timeout, too long): the next
			      * one waits for a quiet line (settle_ms) */
	client_trace_fn trace;
	void *trace_user;
	/* Lines matching cfg.unsolicited: the user's callback, and their
	 * count (atomic: read without the lock). */
	client_unsolicited_fn unsolicited;
	void *unsolicited_user;
	unsigned long long unsolicited_count;
	/* Replies client_query_into() could not fit, one per thread at most,
	 * until client_take_reply() takes them (kept_lock: not the handle's
	 * lock, so taking one never waits for another thread's command). */
	pthread_mutex_t kept_lock;
	struct kept_reply *kept;
	struct recorder *rec; /* the session recording (record.c), NULL if none */
};

/* Pass an error code on, remembering a hang-up so that later calls fail at
 * once (or reconnect). */
static inline int sc_client_fail(struct client *c, int code)
{
	if (code == CLIENT_ERR_GONE)
		c->gone = 1;
	return code;
}

/* trace.c: the handle's trace. sc_trace_init() starts it from SERIALCMD_TRACE;
 * sc_trace_transport() is the sink a transport logs to (ctx: the handle). */
void sc_trace_init(struct client *c);
/* A line about work done without a handle (client_find_ports), to stderr
 * when SERIALCMD_TRACE is set. */
void sc_trace_note(const char *line);
void sc_trace_transport(void *ctx, const char *line);
void sc_trace_bytes(struct client *c, const char *what, const void *data, size_t len);

/* record.c: the session recording (record=, SERIALCMD_RECORD), format in
 * tools/session-format.md. Every call is a no-op when the handle does not
 * record, and none can fail a command: a file error is traced once, noted
 * in the last message of a call that succeeds, and recording stops.
 * sc_record_open() after the port opened; sc_record_close() at destroy. */
void sc_record_open(struct client *c);
void sc_record_close(struct client *c);
/* One transaction: kind "query", "write" or "read". */
void sc_record_begin(struct client *c, const char *kind);
/* Bytes just written (called after each write of the transaction). */
void sc_record_sent(struct client *c, const void *data, size_t len);
/* Bytes just read from the transport: "drained" before the transaction's
 * first write, "wire" after it (and for a read). */
void sc_record_received(struct client *c, const void *data, size_t len);
/* An unsolicited line recognised during the transaction. */
void sc_record_unsolicited(struct client *c, const void *line, size_t len);
/* End the transaction with its result code and write its line. Returns 1
 * when recording stopped because of a file error during this call (the
 * caller notes it), else 0. */
int sc_record_end(struct client *c, int code);
/* The note for a stopped recording, "" if it did not stop. */
const char *sc_record_problem(const struct client *c);

/* read.c: every read from the transport. Each call ends by the deadline
 * with the message set (a timeout's names what had come); a hang-up marks
 * the handle gone. */
/* Drop input nobody asked for before a command: what is there now, then
 * (with settle_ms) the rest of a line the drain cut, and after a failure
 * (after_failure) everything until the line is quiet for settle_ms; within
 * the command's deadline. */
int sc_read_drain_stale(struct client *c, int after_failure, const struct deadline *dl);
/* Make rx hold at least n bytes (n <= limit). */
int sc_read_fill(struct client *c, size_t n, size_t limit, const struct deadline *dl);
/* One reply up to the read terminator (dropped). NULL on failure: a reply
 * longer than max_reply is dropped up to its terminator (TOOLONG), and a
 * partial one on timeout. */
struct client_ret *sc_read_line(struct client *c, const struct deadline *dl);
/* The same, the reply left at the start of rx (its terminator after it):
 * its length, or a negative code. */
ssize_t sc_read_line_len(struct client *c, const struct deadline *dl);
/* A command's echo: up to the first write terminator (what was sent) or
 * read terminator (the device's own line ending), leading CR/LF skipped.
 * With reply_follows, the rest of a read terminator that the write
 * terminator begins (LF after CR, for CRLF) is dropped too. NULL on
 * failure, the message set. */
struct client_ret *sc_read_echo(struct client *c, int reply_follows, const struct deadline *dl);
/* Drain up to the terminator or the deadline: drop input through the next
 * read terminator, at once if it is already buffered. 1 if the terminator
 * was found, 0 if not (the deadline passed, or the read failed); *dropped
 * counts the bytes before it. why labels the trace. */
int sc_read_drop_line(struct client *c, const char *why, const struct deadline *dl, size_t *dropped);
/* Exactly len bytes into buf: those buffered, then straight from the
 * transport. *got: how many came. */
int sc_read_exact(struct client *c, void *buf, size_t len, const struct deadline *dl, size_t *got);
/* Drop exactly n bytes. */
int sc_read_skip(struct client *c, size_t n, const struct deadline *dl);
/* Every byte received and not yet read: those buffered, then those the
 * transport has now, without waiting (at most max_reply + the terminator). */
/* Up to n bytes as they came: exactly n, or fewer ending with stop (when
 * stop_len > 0). On a timeout the bytes stay buffered for the next read. */
struct client_ret *sc_read_count(struct client *c, size_t n, const char *stop, size_t stop_len,
				 const struct deadline *dl);
struct client_ret *sc_read_available(struct client *c, const struct deadline *dl);
/* Set the timeout message for what rx holds. */
int sc_read_timeout_error(struct client *c, unsigned int timeout_ms);

/* block.c: an IEEE 488.2 block reply, after any text prefix. */
struct client_ret *sc_block_read(struct client *c, const struct deadline *dl);

/* live.c: the handles and replies handed out and not yet released. Every
 * public call taking a handle enters it with sc_live_enter() (CLIENT_ERR_ARG,
 * the message naming fn, for NULL, a pointer the library never made, or a
 * destroyed handle) and leaves it with sc_live_leave(); between the two the
 * handle cannot be freed. sc_live_handle_close() refuses new calls, waits
 * for those inside, and leaves the freeing to the caller. */
int sc_live_handle_add(struct client *c);
int sc_live_enter(struct client *c, const char *fn);
void sc_live_leave(struct client *c);
int sc_live_handle_close(struct client *c, const char *fn);
/* Replies: added when made (CLIENT_ERR_NOMEM, no message), released once. */
int sc_live_ret_add(struct client_ret *r);
int sc_live_ret_release(struct client_ret *r, const char *fn);

/* client.c: open with a transport the caller made (tests use a fake one). */
struct client *sc_client_open_transport(const struct client_config *cfg, struct transport *tp);

#endif
