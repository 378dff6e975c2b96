/* SPDX-License-Identifier: MIT */
/* serialcmd.h - the public API of libserialcmd: ASCII command/reply over serial lines. */
#ifndef SERIALCMD_H
#define SERIALCMD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @mainpage libserialcmd
 *
 * libserialcmd talks to lab instruments and other line-oriented devices over
 * serial lines. A handle is opened from one spec string, commands are written
 * with a write terminator, and each reply is read up to a read terminator into
 * a length-tagged, binary-safe buffer.
 *
 * Naming
 * ------
 * Every public name starts with `client_` (functions, types) or `CLIENT_`
 * (constants). The four calls made for Python ctypes are client_init_py(),
 * client_send_cmd_reply(), client_free_ret() and client_destroy() (the
 * seed's ABI, kept as it is: three foreign calls per query, counting the
 * read of the reply); bindings that count their calls use
 * client_query_into() instead, one call per query into a buffer they own.
 * The rest serve C callers and error reporting.
 *
 * Return codes
 * ------------
 * Functions returning `int` give 0 (CLIENT_OK) on success, a positive count
 * where documented, or a negative #client_err code. Functions returning a
 * pointer give NULL on failure. After any failure the calling thread can
 * read the code with client_last_error() and a message that names the port
 * and the cause with client_last_message(); this works when client_init_py()
 * failed and there is no handle. Every call that can fail resets the
 * thread's last error to CLIENT_OK when it succeeds (client_free_ret() and
 * client_destroy(), which return nothing, set it only when they refuse a
 * pointer).
 *
 * Handles and replies are checked
 * -------------------------------
 * The library keeps the set of handles and of replies it handed out and
 * that are not yet released (a hash set: one lookup under a mutex; some
 * tens of nanoseconds per call and about 0.1 us per reply, measured by
 * `make bench`). Every call that takes a `struct client *` or a
 * `struct client_ret *` looks its argument up first and never reads a
 * pointer that is not there: it fails with CLIENT_ERR_ARG instead (the
 * void ones set the last error and do nothing), and the message says what
 * probably happened:
 * - "not a handle returned by client_init_py: in ctypes, set restype =
 *   c_void_p": a pointer the library never made, typically a 64-bit handle
 *   cut to 32 bits because ctypes kept its default `int` return type (for
 *   example after a misspelt `ret_types`/`arg_types`, which ctypes
 *   silently accepts). It goes unnoticed while the heap sits below 4 GiB
 *   and fails as soon as it does not (a handle made in a thread, a PIE
 *   interpreter): this check turns the crash into this error.
 * - "this handle was destroyed (client_destroy)": used after
 *   client_destroy() (remembered until the address is reused or the set
 *   rebuilt; then it is reported as above).
 * - "this reply was already freed (client_free_ret called twice)", and "not
 *   a reply returned by this library" for a foreign reply pointer.
 * The check is a safety net, not a licence: an address the allocator
 * reuses for a new handle is that new handle.
 *
 * Thread safety
 * -------------
 * A handle may be shared between threads: each command (write and the read of
 * its reply) holds the handle's lock for the whole transaction, so replies of
 * different threads never interleave. Different handles are independent. The
 * last error is thread-local. client_destroy() must not
 * be followed by any other use of the handle: it takes the handle out of
 * the set of live handles (a call that starts then fails with
 * CLIENT_ERR_ARG; the look-up and the count of calls inside are one step
 * under one lock, so no call can slip in between), waits until every call
 * already inside the handle, running or waiting for the lock, has ended
 * (each within its own deadline), then frees it.
 *
 * Timeouts
 * --------
 * Each command has ONE monotonic deadline, timeout_ms after it starts, that
 * covers writing the command and reading the whole reply. A device that
 * trickles bytes cannot extend it. A timeout is always an error
 * (CLIENT_ERR_TIMEOUT), never a short reply; its message says how many bytes
 * arrived, shows their tail escaped, and names the terminator expected.
 *
 * Stale input, cut lines and late answers
 * ---------------------------------------
 * Before each command, bytes nobody asked for are dropped (stale input:
 * what is buffered, then what the port has now, read without waiting so
 * the trace shows it). Two rules make sure no command gets another's reply:
 * - A cut line: when what the drain dropped ends inside a line (not with
 *   the read terminator), the rest of that line, up to its terminator, is
 *   dropped too before the command is written. A cut line that stays
 *   quiet for settle_ms was abandoned by the device and is left at that.
 * - Settle: after a command ended in CLIENT_ERR_TIMEOUT or
 *   CLIENT_ERR_TOOLONG, the device may still be answering it. The next
 *   command first drops input until the line has been quiet for settle_ms
 *   (default 50; at most half of timeout_ms), then writes; all within its
 *   own deadline (if the line is
 *   never quiet by then: CLIENT_ERR_TIMEOUT, nothing written). The cost,
 *   settle_ms at least, is paid only by the command after a failure.
 *   A late answer that comes later than settle_ms after the next command
 *   started cannot be told from that command's reply: raise settle_ms for
 *   a device known to answer that late. settle_ms=0 turns both rules off.
 * A device that keeps sending lines for 4 x settle_ms fails the command
 * (CLIENT_ERR_TIMEOUT, nothing written); one that streams bytes without
 * any terminator that long, or with only unsolicited lines among them
 * (see unsolicited=), is written to regardless (none of it is a whole
 * line that could be taken for the reply, and the bytes of a cut one end
 * up in front of it).
 *
 * Debugging
 * ---------
 * Set the environment variable SERIALCMD_TRACE=1 before opening a handle to
 * log every byte sent, received and discarded (escaped) on stderr, or install
 * a callback with client_set_trace().
 *
 * Recording
 * ---------
 * The spec key record=FILE, or the environment variable SERIALCMD_RECORD=FILE
 * for programs that cannot be changed (the key wins), appends every
 * transaction of the handle to FILE (JSON Lines, created 0600; the format is
 * tools/session-format.md of the sources), for serialcmd-sim --replay.
 * A transaction's line is written as it ends; in a fast run (a transaction
 * under 1 ms that began within 1 ms of the previous one's end) it may wait
 * for the next one's, and the two are written together. So a program killed
 * mid-session loses at most its last transaction, and client_destroy() or
 * exit() writes everything.
 * Recording never fails a call: when the file cannot be opened or written,
 * recording stops, the trace says so, and the call during which it happened
 * (client_open() included) returns success with the reason in
 * client_last_message() while client_last_error() is CLIENT_OK.
 */

/** Version of this header; compare with client_version() at run time. */
#define SERIALCMD_VERSION_MAJOR 1
#define SERIALCMD_VERSION_MINOR 0
#define SERIALCMD_VERSION_MICRO 0
#define SERIALCMD_VERSION_STRING "1.0.0"

#if defined(__GNUC__)
#define SERIALCMD_API __attribute__((visibility("default")))
#else
#define SERIALCMD_API
#endif

/** Opaque handle for one open port. */
struct client;

/** One reply: ret_data holds len bytes (NUL bytes kept) plus one NUL after them.
 *  The terminator is not included. Release with client_free_ret(). */
struct client_ret {
	char *ret_data;
	size_t len;
};

/**
 * Error codes. Each is negative; a message naming the port and the cause is
 * available from client_last_message() after a call fails.
 */
enum client_err {
	CLIENT_OK = 0,
	/** An argument was invalid (NULL handle, NULL command...). */
	CLIENT_ERR_ARG = -1,
	/** The spec string or config has an unknown key, a bad value or an empty port. */
	CLIENT_ERR_OPTION = -2,
	/** The port does not exist, or is not a serial port or terminal. */
	CLIENT_ERR_NOPORT = -3,
	/** Permission denied opening the port (the user may need the dialout group). */
	CLIENT_ERR_PERM = -4,
	/** Another process holds the port (the message names it when the system tells). */
	CLIENT_ERR_BUSY = -5,
	/** The command holds a NUL, the write terminator, or bytes outside printable ASCII and TAB; nothing was sent. */
	CLIENT_ERR_COMMAND = -6,
	/** The deadline passed before the reply's terminator arrived (or before the command was written). */
	CLIENT_ERR_TIMEOUT = -7,
	/** The reply grew past max_reply bytes without a terminator. */
	CLIENT_ERR_TOOLONG = -8,
	/** The device went away (USB unplugged, pty closed, hang-up). The handle fails fast with this code until destroyed. */
	CLIENT_ERR_GONE = -9,
	/** Any other operating-system failure; the message carries the system's text. */
	CLIENT_ERR_IO = -10,
	/** Out of memory. */
	CLIENT_ERR_NOMEM = -11,
	/** Network ports: the server refused the connection (nothing listens there). */
	CLIENT_ERR_REFUSED = -12,
	/** Network ports: the host name could not be resolved. */
	CLIENT_ERR_NOHOST = -13,
	/** Network ports: the server closed the connection while idle or before it was set up. */
	CLIENT_ERR_CLOSED = -14,
	/** Network ports: the server broke or refused the protocol (e.g. RFC 2217 COM-PORT-OPTION). */
	CLIENT_ERR_PROTOCOL = -15,
	/** With echo on, the device echoed something other than the command. */
	CLIENT_ERR_ECHO = -16,
	/** A reply that should hold an IEEE 488.2 block has none, or a malformed header. */
	CLIENT_ERR_BLOCK = -17,
	/** With check_errors on, the instrument reported an error after the command;
	 *  client_last_instrument_error() gives its code. */
	CLIENT_ERR_INSTRUMENT = -18,
	/** The port cannot do what was asked: control lines on a raw TCP port or a
	 *  pseudo-terminal, low latency where the driver has no such setting. The
	 *  message names the port and the cause. */
	CLIENT_ERR_UNSUPPORTED = -19,
};

/** The input lines of a serial port, as bits of client_get_signals()'s
 *  result (the values of libserialport's enum sp_signal). */
enum client_signal {
	CLIENT_SIG_CTS = 1, /**< Clear To Send */
	CLIENT_SIG_DSR = 2, /**< Data Set Ready */
	CLIENT_SIG_DCD = 4, /**< Data Carrier Detect */
	CLIENT_SIG_RI = 8,  /**< Ring Indicator */
};

/** Parity settings. */
enum client_parity {
	CLIENT_PARITY_NONE = 0,
	CLIENT_PARITY_ODD,
	CLIENT_PARITY_EVEN,
	CLIENT_PARITY_MARK,
	CLIENT_PARITY_SPACE,
};

/** Flow-control settings. */
enum client_flow {
	CLIENT_FLOW_NONE = 0,
	CLIENT_FLOW_XONXOFF,
	CLIENT_FLOW_RTSCTS,
	CLIENT_FLOW_DTRDSR,
};

/** Longest port string (path) accepted, including its NUL. */
#define CLIENT_PORT_MAX 4096
/** Longest terminator accepted, in bytes. */
#define CLIENT_EOL_MAX 16

/**
 * Everything a handle is opened with: the port and one value per spec key
 * (client_spec_keys()). Opaque: make it with client_config_new(), change it
 * with client_config_set() or client_config_parse(), read it with
 * client_config_get(), open with client_open(), release it with
 * client_config_free().
 *
 * Defaults: 9600 baud, 8 data bits, no parity, 1 stop bit, no flow control,
 * "\n" written after each command, replies end at "\n", 2000 ms per command,
 * replies up to 64 MiB, exclusive access, no echo, no pauses.
 */
struct client_config;

/**
 * @defgroup abi The ctypes ABI
 * @{
 */

/**
 * Open a port from a spec string.
 *
 * The spec is a port, optionally followed by `?key=value&key=value`:
 * `/dev/ttyUSB0?baud=115200&parity=even&eol=CRLF&timeout_ms=500`. The port
 * is a device path, or `usb:VID:PID[:SERIAL]` (hex ids), resolved to the one
 * tty that USB adapter has now (CLIENT_ERR_NOPORT, listing what was found,
 * when none or several match), or a network port: `tcp://HOST:PORT`, a raw
 * TCP stream such as ser2net's raw accepter (the server owns the line
 * settings; the spec's baud, bits, parity, stop and flow are ignored), or
 * `rfc2217://HOST:PORT`, Telnet with RFC 2217, which sends the spec's line
 * settings to the server. HOST is a name, an IPv4 address or a bracketed
 * IPv6 address (`tcp://[::1]:4001`).
 * Keys: baud, bits (5-8), parity (none/odd/even/mark/space), stop (1/2),
 * flow (none/xonxoff/rtscts/dtrdsr), eol (both terminators), write_eol,
 * read_eol, timeout_ms, max_reply, exclusive (0/1), echo (0/1), query_delay_ms,
 * min_gap_ms, open_delay_ms, check_errors (0/1), error_query, error_none,
 * reconnect (0/1), settle_ms (0-600000, default 50; see "Stale input, cut
 * lines and late answers" above), dtr, rts, hupcl and low_latency (0/1 or
 * keep, the default: see "Control lines" before client_set_dtr()), and
 * profile=NAME, which applies a device profile
 * (NAME.profile, found in the directories of $SERIALCMD_DEVICES, then in
 * the installed data dir's profiles/) before the other keys, whatever their
 * order, so explicit options override it. Terminators accept the
 * names CR, LF, CRLF and the escapes \\r \\n \\t \\\\ \\xHH; other bytes stand for
 * themselves (write `&` as \\x26). Only the first `?` starts the options
 * and only the first `=` of a pair ends its key, so any other value is taken
 * as it stands up to the next `&`: printable ASCII, `?`, `=` and spaces
 * included (`error_query=SYST:ERR?`), with no escapes; a `&` cannot be
 * written in one. The spec ends at its first NUL (bindings refuse one).
 *
 * Serial ports that libserialport knows are opened through it; any other
 * terminal (pseudo-terminals, for example) through termios. With exclusive
 * on (the default) the port is locked with flock() and TIOCEXCL.
 *
 * @param spec The spec string. Must not be NULL.
 * @return A new handle, to be released with client_destroy(); NULL on
 *         failure (CLIENT_ERR_ARG, _OPTION, _NOPORT, _PERM, _BUSY, _GONE,
 *         _IO, _NOMEM; network ports also _REFUSED, _NOHOST, _CLOSED,
 *         _PROTOCOL, _TIMEOUT; see client_last_error()).
 * @since 1.0.0
 */
SERIALCMD_API struct client *client_init_py(const char *spec);

/**
 * Send a command and read its reply.
 *
 * Stale input (bytes left from earlier replies or sent unasked) is discarded
 * first; then the command and the write terminator are written, and the reply
 * is read up to the read terminator, all before one deadline. Bytes that
 * follow the terminator stay in the handle for client_read_reply().
 *
 * @param c The handle. Must not be NULL.
 * @param cmd The command, printable ASCII and TAB only, without terminator.
 * @return The reply, owned by the caller, to be released with
 *         client_free_ret(); NULL on failure (CLIENT_ERR_ARG, _COMMAND,
 *         _TIMEOUT, _TOOLONG, _GONE, _IO, _NOMEM).
 * @since 1.0.0
 */
SERIALCMD_API struct client_ret *client_send_cmd_reply(struct client *c, const char *cmd);

/**
 * Release a reply. Accepts NULL. A pointer that is not a live reply (freed
 * already, or never made by the library) is left alone: the call sets the
 * last error to CLIENT_ERR_ARG with a message saying which. On success the
 * last error is left as it was.
 * @param ret A reply from client_send_cmd_reply() or client_read_reply().
 * @since 1.0.0
 */
SERIALCMD_API void client_free_ret(struct client_ret *ret);

/**
 * Close the port and release the handle. Accepts NULL. Waits for a command
 * in progress on another thread to end first. A pointer that is not a live
 * handle (destroyed already, or cut by a ctypes declaration) is left
 * alone: the call sets the last error to CLIENT_ERR_ARG with a message
 * saying which. On success the last error is left as it was.
 * @param c The handle.
 * @since 1.0.0
 */
SERIALCMD_API void client_destroy(struct client *c);

/** @} */

/**
 * @defgroup commands More commands
 * @{
 */

/**
 * Send a command that has no reply (many set-commands answer nothing).
 * Stale input is discarded first, as in client_send_cmd_reply().
 * @param c The handle. Must not be NULL.
 * @param cmd The command, printable ASCII and TAB only.
 * @return CLIENT_OK, or CLIENT_ERR_ARG, _COMMAND, _TIMEOUT (the device did
 *         not take the bytes in time), _GONE, _IO, _NOMEM.
 * @since 1.0.0
 */
SERIALCMD_API int client_send_cmd(struct client *c, const char *cmd);

/**
 * Like client_send_cmd_reply(), with the command's length given, so that a
 * NUL byte inside it is seen and refused (CLIENT_ERR_COMMAND) rather than
 * silently ending the command. For bindings that hold counted strings.
 * @param c The handle. Must not be NULL.
 * @param cmd len bytes of command. Must not be NULL.
 * @param len The command's length.
 * @return As client_send_cmd_reply().
 * @since 1.0.0
 */
SERIALCMD_API struct client_ret *client_send_cmd_reply_n(struct client *c, const char *cmd, size_t len);

/**
 * Like client_send_cmd(), with the command's length given (see
 * client_send_cmd_reply_n()).
 * @return As client_send_cmd().
 * @since 1.0.0
 */
SERIALCMD_API int client_send_cmd_n(struct client *c, const char *cmd, size_t len);

/**
 * Send a command and read its reply into a buffer the caller owns: for
 * bindings, one foreign call per query and nothing allocated when the reply
 * fits (ctypes: `argtypes = [c_void_p, c_char_p, c_size_t, c_char_p,
 * c_size_t]`, `restype = c_long`, buf from create_string_buffer()).
 *
 * Works as client_send_cmd_reply_n(): stale input dropped, the command (len
 * bytes; a NUL inside is refused) and the write terminator written, the
 * reply read up to the read terminator, under one deadline. Then:
 * - the reply fits (its length <= size): its bytes are copied to buf,
 *   followed by a NUL when there is room for one;
 * - it does not: nothing is copied and the reply is kept in the handle for
 *   the calling thread; the return value says how large a buffer it needs.
 *   Take it with client_take_reply(). A thread's kept reply is dropped by
 *   its next client_query_into() on the handle, and by client_destroy().
 *   Each thread's is its own, so threads sharing a handle never take one
 *   another's reply.
 *
 * @param c The handle. Must not be NULL.
 * @param cmd len bytes of command, printable ASCII and TAB only, without
 *        terminator. Must not be NULL.
 * @param len The command's length.
 * @param buf Where the reply goes. May be NULL when size is 0 (the reply
 *        is then always kept).
 * @param size buf's size in bytes.
 * @return The reply's length (>= 0; larger than size: kept, see above), or
 *         a negative error code: as client_send_cmd_reply(), and
 *         CLIENT_ERR_ARG for a NULL buf with size > 0.
 * @since 1.0.0
 */
SERIALCMD_API long client_query_into(struct client *c, const char *cmd, size_t len, char *buf, size_t size);

/**
 * Take the reply client_query_into() kept for the calling thread because it
 * did not fit. When it fits this time its bytes are copied to buf (with a
 * NUL after them if there is room) and it is released; when it still does
 * not, it stays kept and nothing is copied. Takes nothing from the port:
 * it does not wait for another thread's command on the handle.
 * @param c The handle. Must not be NULL.
 * @param buf Where the reply goes. May be NULL when size is 0.
 * @param size buf's size in bytes.
 * @return The reply's length (> size: still kept), or CLIENT_ERR_ARG (c
 *         not a live handle, buf NULL with size > 0, or no reply kept for
 *         this thread).
 * @since 1.0.0
 */
SERIALCMD_API long client_take_reply(struct client *c, char *buf, size_t size);

/**
 * @defgroup blocks Binary blocks and numeric values
 * IEEE 488.2 definite-length blocks (`#<n><n digits: length><bytes>`) and the
 * indefinite form (`#0<bytes>` ended by the terminator), as oscilloscopes and
 * waveform generators send them. Block bytes may hold the terminator.
 * @{
 */

/**
 * Send a command and read a block reply: text before the `#` (e.g.
 * ":WAV:DATA ") is skipped, the header parsed, exactly that many bytes read
 * whatever they hold, then the trailing terminator consumed. All under one
 * deadline and max_reply; the bytes land in the returned buffer directly.
 * @param c The handle. Must not be NULL.
 * @param cmd The command, as for client_send_cmd_reply().
 * @return The block's bytes (header and terminator not included), owned by
 *         the caller, released with client_free_ret(); NULL on failure:
 *         CLIENT_ERR_BLOCK (no block before the terminator, a malformed
 *         header, or junk where the terminator should follow), _TOOLONG (the
 *         header announces more than max_reply), _TIMEOUT (the message says
 *         how many of the announced bytes came), and those of
 *         client_send_cmd_reply().
 * @since 1.0.0
 */
SERIALCMD_API struct client_ret *client_query_block(struct client *c, const char *cmd);

/**
 * Read one block reply without sending anything.
 * @return As client_query_block().
 * @since 1.0.0
 */
SERIALCMD_API struct client_ret *client_read_block(struct client *c);

/**
 * Send a command with a definite-length block after it, then the write
 * terminator: `cmd` + `#<n><len>` + data. Upload waveforms this way.
 * @param c The handle. Must not be NULL.
 * @param cmd The command before the block, e.g. ":WAV:DATA " (printable ASCII).
 * @param data len bytes, any values. May be NULL when len is 0.
 * @param len Up to 999999999 bytes.
 * @return As client_send_cmd().
 * @since 1.0.0
 */
SERIALCMD_API int client_write_block(struct client *c, const char *cmd, const void *data, size_t len);

/**
 * Parse a reply of separated numbers, e.g. "1.23E+00,4.5,-6", into doubles.
 * Spaces around fields are ignored; an empty reply gives no values.
 * @param text The text, len bytes (need not end in NUL).
 * @param len Its length.
 * @param separators The characters that separate fields, e.g. ",". Must not
 *        be NULL or empty.
 * @param values Receives an array of the numbers, owned by the caller and
 *        released with client_free_values(); NULL when there are none.
 * @return The number of values (>= 0), or CLIENT_ERR_ARG, CLIENT_ERR_NOMEM,
 *         or CLIENT_ERR_BLOCK naming the field that is not a number
 *         ("field 3 of 5 is not a number: 'abc'").
 * @since 1.0.0
 */
SERIALCMD_API int client_parse_values(const char *text, size_t len, const char *separators, double **values);

/** Release values from client_parse_values(). Accepts NULL. @since 1.0.0 */
SERIALCMD_API void client_free_values(double *values);

/** @} */

/**
 * Read one more reply without sending anything (multi-line answers), from
 * bytes left in the handle and then from the port, under a fresh deadline.
 * @param c The handle. Must not be NULL.
 * @return As client_send_cmd_reply().
 * @since 1.0.0
 */
SERIALCMD_API struct client_ret *client_read_reply(struct client *c);

/**
 * Take every byte received and not yet read, without waiting: those left in
 * the handle (the rest of a reply read only in part, a second line) and
 * those the system holds now. For a program about to close the port that
 * must not drop an answer unseen (serialcmd reports them); nothing is
 * written, and bytes still on their way are not waited for.
 * @param c The handle. Must not be NULL.
 * @return The bytes as a reply, len 0 if there were none (at most
 *         max_reply plus the read terminator's length); free it with
 *         client_free_ret(). NULL on error: CLIENT_ERR_ARG, _GONE, _IO, _NOMEM
 *         (bytes that came before a failure are returned first).
 * @since 1.0.0
 */
SERIALCMD_API struct client_ret *client_read_available(struct client *c);

/**
 * Read bytes as they come, without line framing: exactly n bytes, or fewer
 * when the terminator stop comes first (it is included then). stop is given
 * per call and may differ from the handle's read terminator (a VISA
 * termination character). Nothing is written and no input is dropped:
 * bytes already buffered count first; unsolicited= does not apply. Under
 * the handle's deadline; on a timeout the bytes that came are kept for the
 * next read and the message says how many came. For message-based VISA
 * reads (viRead) and binary data of known length.
 * @param c The handle. Must not be NULL.
 * @param n How many bytes at most, 1 to 999999999.
 * @param stop The terminator to stop after, or NULL (with stop_len 0) to
 *        read exactly n bytes.
 * @param stop_len Its length, 0 to CLIENT_EOL_MAX.
 * @return The bytes as a reply (len n, or up to and with stop); free it
 *         with client_free_ret(). NULL on error: CLIENT_ERR_ARG, _TIMEOUT,
 *         _GONE, _IO, _NOMEM.
 * @since 1.0.0
 */
SERIALCMD_API struct client_ret *client_read_n(struct client *c, size_t n, const char *stop, size_t stop_len);

/**
 * Write bytes exactly as given, under the handle's deadline: no terminator
 * is added, no byte is refused and unread input is not dropped. For
 * message-based VISA writes (viWrite), whose caller adds the terminator.
 * @param c The handle. Must not be NULL.
 * @param data The bytes (may hold NUL and any other byte).
 * @param len How many; 0 writes nothing.
 * @return CLIENT_OK, CLIENT_ERR_ARG, _TIMEOUT, _GONE, _IO.
 * @since 1.0.0
 */
SERIALCMD_API int client_write_raw(struct client *c, const void *data, size_t len);

/**
 * Change the deadline used for each later command.
 * @param c The handle. Must not be NULL.
 * @param timeout_ms 1 to 86400000.
 * @return CLIENT_OK, CLIENT_ERR_ARG (c is NULL), CLIENT_ERR_OPTION (out of range).
 * @since 1.0.0
 */
SERIALCMD_API int client_set_timeout(struct client *c, unsigned int timeout_ms);

/**
 * The deadline used for each command.
 * @param c The handle. Must not be NULL.
 * @return The timeout in milliseconds (positive), or CLIENT_ERR_ARG.
 * @since 1.0.0
 */
SERIALCMD_API int client_get_timeout(struct client *c);

/**
 * Errors an earlier program left in the instrument's error queue.
 *
 * With check_errors=1, opening the handle (and reconnecting) reads the
 * error queue with error_query until it reports no error, at most 32
 * times, within timeout_ms, so that these errors are not blamed on the
 * first command. They are shown in the trace and kept here. A device that
 * does not answer the error query then does not fail the open.
 *
 * @param c The handle. Must not be NULL.
 * @param out Where to copy them, one a line (no trailing newline), cut to
 *        size-1 bytes and NUL-terminated; may be NULL if size is 0.
 * @param size The size of out.
 * @return The number of stale errors (0 without check_errors, or when
 *         there were none); a negative client_err code on failure
 *         (CLIENT_ERR_ARG).
 * @since 1.0.0
 */
SERIALCMD_API int client_stale_errors(struct client *c, char *out, size_t size);

/**
 * The port this handle was opened on, as given in the spec.
 * @param c The handle.
 * @return A string owned by the handle, valid until client_destroy(); NULL
 *         (CLIENT_ERR_ARG) if c is NULL or not a live handle.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_port(const struct client *c);

/**
 * A trace callback: receives one line (no newline at its end) per event, with
 * bytes escaped. The line is only valid during the call. Lines look like
 * "PORT: WHAT N bytes \"ESCAPED\"", WHAT being "sent" (what was written,
 * terminator included), "read" (each chunk as it came from the device,
 * terminators included, so a wrong terminator is visible), "reply" (the
 * reply handed over, without its terminator), "echo" (a command's echo,
 * with echo=1, checked and dropped), "unsolicited" (a line matching
 * the unsolicited= prefixes), or "dropped ..." (input discarded, and why).
 */
typedef void (*client_trace_fn)(void *user, const char *line);

/**
 * Install a trace callback (NULL removes it). Called with the handle's lock
 * held: the callback must not use the handle.
 * @param c The handle. Must not be NULL.
 * @param fn The callback or NULL.
 * @param user Passed to fn unchanged.
 * @return CLIENT_OK, CLIENT_ERR_ARG.
 * @since 1.0.0
 */
SERIALCMD_API int client_set_trace(struct client *c, client_trace_fn fn, void *user);

/**
 * An unsolicited-line callback: receives one line the device sent unasked
 * (it starts with one of the handle's unsolicited= prefixes), without its
 * terminator. line is NUL-terminated (len bytes before the NUL; the line may
 * hold NUL bytes itself) and only valid during the call.
 */
typedef void (*client_unsolicited_fn)(void *user, const char *line, size_t len);

/**
 * Install a callback for unsolicited lines (NULL removes it).
 *
 * With the spec key unsolicited=PREFIX[,PREFIX...] (e.g. "RING,+CREG:" for
 * an AT modem, "!ALARM" for an instrument), a line that starts with one of
 * the prefixes is never taken as a reply or as an echo: it is passed to
 * this callback, counted (client_unsolicited_count()) and traced, and the
 * command goes on reading its own reply. One that arrives between commands
 * is found by the next command's stale-input drain, which drops it from the
 * input but still passes it to the callback and counts it (lines longer
 * than 256 bytes are not looked at there). Without a callback the lines
 * are still counted and traced.
 *
 * The callback runs in the thread of the command that read the line, with
 * the handle's lock held: it must return quickly, and it must not use the
 * handle (any call that sends, reads, or sets a callback would deadlock),
 * except client_unsolicited_count() and client_port(). It must not call
 * client_destroy().
 * @param c The handle. Must not be NULL.
 * @param fn The callback or NULL.
 * @param user Passed to fn unchanged.
 * @return CLIENT_OK, CLIENT_ERR_ARG.
 * @since 1.0.0
 */
SERIALCMD_API int client_set_unsolicited(struct client *c, client_unsolicited_fn fn, void *user);

/**
 * How many unsolicited lines (see client_set_unsolicited()) the handle has
 * seen since it was opened. Does not take the handle's lock.
 * @param c The handle. Must not be NULL.
 * @return The count (>= 0), or CLIENT_ERR_ARG (< 0) if c is NULL or not a
 *         live handle.
 * @since 1.0.0
 */
SERIALCMD_API long long client_unsolicited_count(struct client *c);

/** @} */

/**
 * @defgroup lines Control lines and break
 *
 * Control lines
 * -------------
 * The spec keys dtr=, rts=, hupcl= and low_latency= (0, 1, or keep, the
 * default) are applied right after the port is opened, in the order hupcl,
 * low_latency, dtr, rts, and again on each reconnect. Linux raises DTR and
 * RTS inside open() on a port that is not open already (unless its speed
 * is B0), before any of them can act: a board whose reset is wired to DTR
 * is reset by the first open whatever the spec says. At the last close, if
 * the tty's HUPCL flag is set (the default), Linux lowers DTR and RTS, and
 * the next open raises them again, resetting such a board each time;
 * hupcl=0 clears the flag so that the lines stay high after close and a
 * reopen makes no edge. The flag stays with the tty until the device goes
 * away: after a replug or reboot the first open resets the board again.
 * libserialport clears HUPCL on every open it makes; the termios backend
 * leaves it as it finds it. Pseudo-terminals have no modem lines and no
 * UART: DTR, RTS, signals and low_latency give CLIENT_ERR_UNSUPPORTED
 * there (a break succeeds and does nothing); tcp:// ports support none of
 * these calls; rfc2217:// ports send DTR, RTS and break as RFC 2217
 * SET-CONTROL requests (not waited for) and read the signals from the
 * server's last NOTIFY-MODEMSTATE (CLIENT_ERR_UNSUPPORTED if it sent
 * none), and have no hupcl= or low_latency=. A line driven by flow control (RTS with flow=rtscts, DTR
 * with flow=dtrdsr) cannot be set (CLIENT_ERR_ARG; in a spec,
 * CLIENT_ERR_OPTION at open).
 * @{
 */

/**
 * Raise (on non-zero) or lower DTR, under the handle's lock and within its
 * timeout, like libserialport's sp_set_dtr().
 * @param c The handle. Must not be NULL.
 * @param on Non-zero: raise DTR; 0: lower it.
 * @return CLIENT_OK; CLIENT_ERR_ARG (c is NULL, or flow=dtrdsr drives DTR),
 *         _UNSUPPORTED (tcp://, a pseudo-terminal, a driver without modem
 *         lines), _GONE, _IO.
 * @since 1.0.0
 */
SERIALCMD_API int client_set_dtr(struct client *c, int on);

/**
 * Raise (on non-zero) or lower RTS, under the handle's lock and within its
 * timeout, like libserialport's sp_set_rts().
 * @param c The handle. Must not be NULL.
 * @param on Non-zero: raise RTS; 0: lower it.
 * @return CLIENT_OK; CLIENT_ERR_ARG (c is NULL, or flow=rtscts drives RTS),
 *         _UNSUPPORTED, _GONE, _IO.
 * @since 1.0.0
 */
SERIALCMD_API int client_set_rts(struct client *c, int on);

/**
 * Read the input lines, under the handle's lock and within its timeout,
 * like libserialport's sp_get_signals().
 * @param c The handle. Must not be NULL.
 * @return A mask of CLIENT_SIG_CTS, _DSR, _DCD and _RI (>= 0: the lines
 *         that are asserted), or CLIENT_ERR_ARG, _UNSUPPORTED, _GONE, _IO.
 * @since 1.0.0
 */
SERIALCMD_API int client_get_signals(struct client *c);

/**
 * Send a break: hold the line in the break condition for ms milliseconds,
 * then release it, under the handle's lock (the call waits for that long).
 * A break that could not be started is not ended; one that could not be
 * ended is reported (the line may still be in the break).
 * @param c The handle. Must not be NULL.
 * @param ms The duration, at least 1 and shorter than the handle's timeout.
 * @return CLIENT_OK; CLIENT_ERR_ARG (c is NULL, ms 0 or not shorter than
 *         the timeout), _UNSUPPORTED (tcp://), _GONE, _IO.
 * @since 1.0.0
 */
SERIALCMD_API int client_send_break(struct client *c, unsigned int ms);

/** @} */

/**
 * @defgroup config Configuration for C callers
 * @{
 */

/**
 * Reset a config to the defaults, then apply a spec string (the port, and
 * its options through client_config_set()'s rules).
 * @param cfg A config from client_config_new(). Must not be NULL.
 * @param spec The spec string, as for client_init_py(). Must not be NULL.
 * @return CLIENT_OK, CLIENT_ERR_ARG, CLIENT_ERR_OPTION (the message names the
 *         key and the accepted values).
 * @since 1.0.0
 */
SERIALCMD_API int client_config_parse(struct client_config *cfg, const char *spec);

/**
 * Allocate a config, filled from a spec string or, if spec is NULL, with the
 * defaults and an empty port.
 * @param spec The spec string or NULL.
 * @return A config owned by the caller, released with client_config_free();
 *         NULL on failure (CLIENT_ERR_OPTION, CLIENT_ERR_NOMEM).
 * @since 1.0.0
 */
SERIALCMD_API struct client_config *client_config_new(const char *spec);

/**
 * Release a config from client_config_new(). Accepts NULL.
 * @since 1.0.0
 */
SERIALCMD_API void client_config_free(struct client_config *cfg);

/**
 * Set one value of a config, as the spec key of the same name would:
 * `client_config_set(cfg, "parity", "even")`. The key "port" sets the port
 * (checked as the port of a spec is); "profile" applies a device profile's
 * settings over the config's, and names it. Like libserialport's
 * sp_set_config_*(), but one call for every key, so a key added to the
 * library needs no new function.
 * @param cfg The config. Must not be NULL.
 * @param key "port", or a key from client_spec_keys().
 * @param value The value as a spec writes it, e.g. "115200", "CRLF", "1".
 * @return CLIENT_OK; CLIENT_ERR_ARG (a NULL argument), CLIENT_ERR_OPTION (an
 *         unknown key, or a value the key does not accept: the message names
 *         the accepted values, and cfg is unchanged).
 * @since 1.0.0
 */
SERIALCMD_API int client_config_set(struct client_config *cfg, const char *key, const char *value);

/**
 * Read one value of a config as a spec would write it: numbers in decimal,
 * booleans as 0 or 1, words as the word ("even"), terminators as CR, LF,
 * CRLF, LFCR or with escapes ("\\x03"); "eol" reads read_eol. The text set
 * by client_config_set() reads back as an equal value.
 * @param cfg The config. Must not be NULL.
 * @param key "port", or a key from client_spec_keys().
 * @param out Receives the NUL-terminated text. Must not be NULL.
 * @param size The size of out in bytes.
 * @return CLIENT_OK; CLIENT_ERR_ARG (a NULL argument, or out too small),
 *         CLIENT_ERR_OPTION (an unknown key).
 * @since 1.0.0
 */
SERIALCMD_API int client_config_get(const struct client_config *cfg, const char *key, char *out, size_t size);

/**
 * Open a port from a config. The config is copied; the caller keeps it.
 * @param cfg The config. Must not be NULL.
 * @return As client_init_py().
 * @since 1.0.0
 */
SERIALCMD_API struct client *client_open(const struct client_config *cfg);

/** @} */

/**
 * @defgroup ports Finding ports
 * @{
 */

/** Where a port's hardware sits. */
enum client_port_transport {
	CLIENT_PORT_NATIVE = 0,	   /**< an on-board or PCI UART */
	CLIENT_PORT_USB = 1,	   /**< a USB adapter or instrument (CDC-ACM, FTDI, CP210x...) */
	CLIENT_PORT_BLUETOOTH = 2, /**< Bluetooth RFCOMM */
};

/** One serial port found on the system. Opaque: a list of them comes from
 * client_list_ports() or client_find_ports(), and each port is read by its
 * index with the client_port_*() accessors below. */
struct client_port_info;

/** client_list_ports() flag: also list on-board UARTs that report no hardware
 * (the phantom ttyS0-ttyS31 of the 8250 driver). */
#define CLIENT_LIST_ALL 1

/**
 * List the serial ports of this system from sysfs, without opening any of
 * them (opening a port toggles DTR, which resets some boards; libserialport's
 * own enumeration opens 8250 UARTs to probe them, so it is not used).
 * @param list Receives the list of the ports found, sorted by name, read
 *        with the client_port_*() accessors, owned by the caller and
 *        released with client_free_ports(); NULL when none.
 * @param flags 0, or CLIENT_LIST_ALL.
 * @return The number of ports (>= 0), or CLIENT_ERR_ARG, _IO, _NOMEM.
 * @since 1.0.0
 */
SERIALCMD_API int client_list_ports(struct client_port_info **list, int flags);

/** client_find_ports() flag: also open each port whose USB ids match and
 * keep it only if it answers the profile's identify query as expected. */
#define CLIENT_FIND_IDENTIFY 2

/**
 * The ports whose USB vendor/product ids match one listed in a device
 * profile (its `usb = VID:PID` lines), without opening any unless
 * CLIENT_FIND_IDENTIFY asks to; then only those ports are opened, with the
 * profile's settings, and kept if the answer to its `identify` query fits
 * its `identify_match` pattern (a busy or silent port is left out; blanks,
 * CR and LF around the answer are ignored; a profile without both keys, or
 * an answer that holds a NUL byte, identifies nothing), as the udev helper does.
 * The profile's usb_manufacturer, usb_product and usb_serial, where it sets
 * them, must equal the port's USB strings. The identify query is sent only
 * where the profile allows it (`probe =`): by default never to a port whose
 * ids are a generic USB-serial bridge's (FTDI, CH340, CP210x, PL2303...);
 * such a port is kept on its ids and strings alone (a passive match; with
 * SERIALCMD_TRACE set, a line on stderr says so and why; client_port_passive()
 * gives the reason).
 * @param profile A profile name, as for profile= in a spec.
 * @param list As for client_list_ports().
 * @param flags 0, or CLIENT_FIND_IDENTIFY.
 * @return The number of ports (>= 0), or CLIENT_ERR_OPTION (unknown or
 *         malformed profile), _ARG, _IO, _NOMEM.
 * @since 1.0.0
 */
SERIALCMD_API int client_find_ports(const char *profile, struct client_port_info **list, int flags);

/**
 * Release a list from client_list_ports(). Accepts NULL.
 * @since 1.0.0
 */
SERIALCMD_API void client_free_ports(struct client_port_info *list);

/*
 * Accessors of a port list: each takes the list and an index from 0 to the
 * count the listing call returned, minus one. Strings are owned by the list
 * and valid until client_free_ports().
 */

/**
 * The device path, e.g. "/dev/ttyUSB0".
 * @param list A list from client_list_ports() or client_find_ports().
 * @param i The port's index.
 * @return The string; NULL (CLIENT_ERR_ARG) for a NULL list or an index out
 *         of range.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_port_name(const struct client_port_info *list, int i);

/**
 * The product string, or a kind such as "on-board UART".
 * @param list A list from client_list_ports() or client_find_ports().
 * @param i The port's index.
 * @return The string; NULL (CLIENT_ERR_ARG) for a NULL list or an index out
 *         of range.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_port_description(const struct client_port_info *list, int i);

/**
 * The kernel driver, e.g. "ftdi_sio"; "" if unknown.
 * @param list A list from client_list_ports() or client_find_ports().
 * @param i The port's index.
 * @return The string; NULL (CLIENT_ERR_ARG) for a NULL list or an index out
 *         of range.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_port_driver(const struct client_port_info *list, int i);

/**
 * The USB serial number string; "" if unknown or not USB.
 * @param list A list from client_list_ports() or client_find_ports().
 * @param i The port's index.
 * @return The string; NULL (CLIENT_ERR_ARG) for a NULL list or an index out
 *         of range.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_port_usb_serial(const struct client_port_info *list, int i);

/**
 * The USB manufacturer string; "" if unknown or not USB.
 * @param list A list from client_list_ports() or client_find_ports().
 * @param i The port's index.
 * @return The string; NULL (CLIENT_ERR_ARG) for a NULL list or an index out
 *         of range.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_port_usb_manufacturer(const struct client_port_info *list, int i);

/**
 * The USB product string; "" if unknown or not USB.
 * @param list A list from client_list_ports() or client_find_ports().
 * @param i The port's index.
 * @return The string; NULL (CLIENT_ERR_ARG) for a NULL list or an index out
 *         of range.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_port_usb_product(const struct client_port_info *list, int i);

/**
 * Where the hardware sits.
 * @param list A list from client_list_ports() or client_find_ports().
 * @param i The port's index.
 * @return A #client_port_transport value; CLIENT_ERR_ARG for a NULL list or
 *         an index out of range.
 * @since 1.0.0
 */
SERIALCMD_API int client_port_transport(const struct client_port_info *list, int i);

/**
 * The USB vendor id.
 * @param list A list from client_list_ports() or client_find_ports().
 * @param i The port's index.
 * @return The id, or -1 if the port is not USB; also -1 (CLIENT_ERR_ARG, then the last error) for a
 *         NULL list or an index out of range.
 * @since 1.0.0
 */
SERIALCMD_API int client_port_usb_vid(const struct client_port_info *list, int i);

/**
 * The USB product id.
 * @param list A list from client_list_ports() or client_find_ports().
 * @param i The port's index.
 * @return The id, or -1 if the port is not USB; also -1 (CLIENT_ERR_ARG, then the last error) for a
 *         NULL list or an index out of range.
 * @since 1.0.0
 */
SERIALCMD_API int client_port_usb_pid(const struct client_port_info *list, int i);

/**
 * The USB interface number.
 * @param list A list from client_list_ports() or client_find_ports().
 * @param i The port's index.
 * @return The number, or -1 if unknown; also -1 (CLIENT_ERR_ARG, then the last error) for a
 *         NULL list or an index out of range.
 * @since 1.0.0
 */
SERIALCMD_API int client_port_usb_interface(const struct client_port_info *list, int i);

/**
 * Why a port that client_find_ports() kept with CLIENT_FIND_IDENTIFY was
 * not asked: it matched passively, on its USB ids and strings alone, because
 * its ids are a generic USB-serial bridge's and the profile does not say
 * probe = always, or the profile says probe = never. E.g. "1a86:7523 is a
 * generic WCH CH340 bridge; not probing (set probe = always in the profile
 * to allow it)".
 * @param list A list from client_list_ports() or client_find_ports().
 * @param i The port's index.
 * @return The reason; "" for a port that answered the identify query, or
 *         was listed without CLIENT_FIND_IDENTIFY; NULL (CLIENT_ERR_ARG) for
 *         a NULL list or an index out of range. Owned by the list.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_port_passive(const struct client_port_info *list, int i);

/**
 * Whether the kernel console is on this port.
 * @param list A list from client_list_ports() or client_find_ports().
 * @param i The port's index.
 * @return 1 if so, 0 if not; CLIENT_ERR_ARG for a NULL list or an index out of range.
 * @since 1.0.0
 */
SERIALCMD_API int client_port_console(const struct client_port_info *list, int i);

/** @} */

/**
 * @defgroup errors Errors and version
 * @{
 */

/**
 * The code of the calling thread's last failure.
 * @return A #client_err value; CLIENT_OK if the thread's last call succeeded.
 * @since 1.0.0
 */
SERIALCMD_API int client_last_error(void);

/**
 * The message of the calling thread's last failure, naming the port and the
 * cause, e.g. "/dev/ttyUSB0: permission denied (add the user to the dialout
 * group)".
 * @return A thread-local string, valid until this thread's next call into the
 *         library; "" if the last call succeeded, except for the note of a
 *         session recording that stopped (see Recording). Never NULL.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_last_message(void);

/**
 * After CLIENT_ERR_INSTRUMENT: the error code the instrument reported (the
 * leading number of its error-queue reply, e.g. -222), 0 otherwise.
 * @return The calling thread's last instrument error code.
 * @since 1.0.0
 */
SERIALCMD_API int client_last_instrument_error(void);

/**
 * A short, fixed description of an error code.
 * @param code A #client_err value.
 * @return A static string; "unknown error" for codes the library does not define.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_strerror(int code);

/**
 * The symbolic name of an error code, e.g. "CLIENT_ERR_TIMEOUT".
 * @param code A #client_err value.
 * @return A static string; "CLIENT_ERR_UNKNOWN" for codes the library does not define.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_error_name(int code);

/**
 * The keys a spec string accepts, comma-separated, e.g. "baud,bits,...".
 * Bindings use it to check keyword options before opening anything.
 * @return A static string.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_spec_keys(void);

/**
 * The kind of value a spec key takes, so bindings can write keyword values
 * in the spec syntax without a key list of their own: "uint" (a decimal
 * number), "bool" (0 or 1), "word" (one of a few names, e.g. parity=even),
 * "eol" (a terminator, with escapes), "text" (printable characters),
 * "list" (a comma list), "tri" (0 or 1 like a bool, or "keep": leave the
 * setting as the driver left it; dtr=, rts=, hupcl=, low_latency=) or
 * "profile" (a profile name).
 * @param key A key from client_spec_keys().
 * @return A static string; NULL (CLIENT_ERR_ARG) if key is NULL or not a
 *         spec key.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_spec_key_type(const char *key);

/**
 * What a spec key does, the values it accepts and its default, in one line
 * for help texts, e.g. for "min_gap_ms": "Least time between the end of one
 * command and the next, in milliseconds. Accepted: 0 to 600000. Default: 0."
 * @param key A key from client_spec_keys().
 * @return A static string; NULL (CLIENT_ERR_ARG) if key is NULL or not a
 *         spec key.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_spec_key_help(const char *key);

/**
 * The library's version, e.g. "1.0.0".
 * @return A static string.
 * @since 1.0.0
 */
SERIALCMD_API const char *client_version(void);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* SERIALCMD_H */
