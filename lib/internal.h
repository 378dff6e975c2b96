/* internal.h - what the files of lib/ share; nothing here is public. */
#ifndef SERIALCMD_INTERNAL_H
#define SERIALCMD_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "serialcmd.h"
#include "transport.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* error.c: the thread-local last error. err_set() returns code so that
 * "return err_set(...)" reads as one step. */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_from_errno(int errnum, const char *port, const char *what);
void err_clear(void);
/* After err_set(CLIENT_ERR_INSTRUMENT, ...): the instrument's own code. */
void err_set_instrument(int code);

/* escape.c: bytes made printable for messages and traces. Writes at most
 * size-1 characters plus a NUL into out; returns the number written. */
size_t escape_bytes(char *out, size_t size, const void *data, size_t len);

/* clock.c: one monotonic clock for every deadline. */
int64_t clock_now_ns(void);
int64_t clock_deadline_ns(unsigned int timeout_ms);
/* Milliseconds left until deadline, rounded up; 0 once it has passed. */
int clock_remaining_ms(int64_t deadline_ns);

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
struct client_ret *ret_new_copy(const void *data, size_t n);
struct client_ret *ret_new_adopt(char *data, size_t n);

void rxbuf_init(struct rxbuf *b);
void rxbuf_free(struct rxbuf *b);
void rxbuf_clear(struct rxbuf *b);
/* Make room for at least one more byte, up to limit bytes in total. Returns
 * the number of free bytes (>0), or CLIENT_ERR_NOMEM. */
ssize_t rxbuf_reserve(struct rxbuf *b, size_t limit);
/* Offset of the first terminator, scanning only bytes not scanned before;
 * -1 if there is none yet. */
ssize_t rxbuf_find(struct rxbuf *b, const char *eol, size_t eol_len);
/* Turn the first n bytes into a reply, drop the terminator after them and
 * keep what follows. NULL (CLIENT_ERR_NOMEM set) on failure, buffer unchanged. */
struct client_ret *rxbuf_take(struct rxbuf *b, size_t n, size_t eol_len, const char *port);

/* Limits a config must keep, whether from a spec or filled in by hand. */
#define CONFIG_MAX_TIMEOUT_MS 86400000u
#define CONFIG_MAX_REPLY ((size_t)1 << 30)
#define CONFIG_MAX_DELAY_MS 600000u

/* spec.c */
void config_defaults(struct client_config *cfg);
/* Would key=value be accepted in a spec? 0 if so; else -1 with *accepted
 * set to the accepted values. For profiles, which hold spec options. */
int config_check_option(const char *key, const char *value, const char **accepted);
/* Parse one terminator value (name or escapes) into out; returns its length
 * or -1. Exposed for profiles and tests. */
int eol_parse(const char *text, char *out, size_t size);

/* port-lock.c: exclusive use of a local port. port_flock() keeps out other
 * serialcmd handles and flock users; port_exclusive() sets TIOCEXCL, which
 * refuses any further open() by non-root. port_busy_error() names the holder. */
int port_flock(int fd, const char *port);
int port_exclusive(int fd, const char *port);
void port_release(int fd, pid_t owner);
int port_busy_error(const char *port, const char *cause);

/* ports.c: the device path of a "usb:VID:PID[:SERIAL]" port. */
int ports_resolve_usb(const char *spec_port, char *path, size_t size);

/* transport.c: pick a backend for the config and open it. The transport's
 * port (for messages) is the caller's to set. */
int transport_open(const struct client_config *cfg, struct transport **out);

/* A handle. Its fields belong to client.c; block.c reads replies through
 * them under the handle's lock. */
struct client {
	struct client_config cfg;
	struct transport *tp;
	pthread_mutex_t lock; /* held for a whole command */
	/* Calls inside the handle, so destroy can wait for every one of them,
	 * including those still queued on the lock. */
	pthread_mutex_t users_lock;
	pthread_cond_t users_done;
	int users;
	int closing;
	struct rxbuf rx;
	char *tx;
	size_t tx_cap;
	int gone;	     /* set once the device went away: later calls fail fast,
		   * or reopen with reconnect=1 */
	int64_t last_end_ns; /* when the last command ended, for min_gap_ms */
	client_trace_fn trace;
	void *trace_user;
};

/* client.c: helpers the reply readers share. */
int client_fail(struct client *c, int code);
void client_trace(struct client *c, const char *what, const void *data, size_t len);
int client_timeout_error(struct client *c, unsigned int timeout_ms);
/* Make rx hold at least n bytes (n <= limit), reading before the deadline. */
int client_fill(struct client *c, size_t n, size_t limit, int64_t deadline, unsigned int timeout_ms);
struct client_ret *client_read_line(struct client *c, int64_t deadline, unsigned int timeout_ms);

/* block.c: an IEEE 488.2 block reply, after any text prefix. */
struct client_ret *block_read(struct client *c, int64_t deadline, unsigned int timeout_ms);

/* client.c: open with a transport the caller made (tests use a fake one). */
struct client *client_open_transport(const struct client_config *cfg, struct transport *tp);

#endif
