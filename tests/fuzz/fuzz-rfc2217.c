/* SPDX-License-Identifier: MIT */
/* fuzz-rfc2217.c - the Telnet / RFC 2217 client (lib/transport-rfc2217.c,
 * over libtelnet) fed whatever a hostile terminal server might send.
 *
 * sc_net_connect() is wrapped (fuzz-socket.h): instead of a TCP connection
 * the transport gets one end of a local socket pair whose other end
 * already holds the server's bytes. fuzz-rfc2217-stream goes further:
 * every reply is compared with an independent decoding of the stream.
 *
 * Input: byte 0 = k, 1 + (k & 15) chunk sizes (byte + 1 each), then the
 * server's bytes; at most 64 packets, the last one takes what remains.
 *
 * The handle is opened (negotiation, settings), then replies are read
 * until the stream ends, then a command is sent (which purges and
 * writes). Invariants: nothing crashes or leaks (ASan, LeakSanitizer); a
 * failure is a negative code with a message; every reply is at most
 * max_reply and the replies hold no more bytes than the server sent. */
#include "fuzz-common.h"
#include "fuzz-socket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RFC_MAX_REPLIES 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_bytes in = { data, size };
	struct client *c;
	struct client_ret *r;
	uint8_t k, sizes[16];
	size_t nsizes, total = 0;
	int sv[2], buf = 1 << 20;

	/* Bounded so that every packet fits the socket buffer at once. */
	if (size > 16384 || fuzz_take(&in, &k))
		return 0;
	nsizes = 1 + (k & 15);
	for (size_t i = 0; i < nsizes; i++)
		if (fuzz_take(&in, &sizes[i]))
			return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0)
		return 0;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (rfc_fill(sv[1], sizes, nsizes, in.p, in.n) != 0) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	rfc_client_fd = sv[0];

	/* A short deadline: a stream that ends never waits, but one that
	 * stalls must not hold the fuzzer. */
	c = client_init_py("rfc2217://fuzz:2217?timeout_ms=50&max_reply=64");
	if (rfc_client_fd >= 0) { /* the transport never took it */
		close(rfc_client_fd);
		rfc_client_fd = -1;
	}
	if (!c) {
		fuzz_check_error(client_last_error());
		close(sv[1]);
		return 0;
	}
	for (int i = 0; i < RFC_MAX_REPLIES; i++) {
		r = client_read_reply(c);
		if (!r) {
			fuzz_check_error(client_last_error());
			break;
		}
		FUZZ_CHECK(r->len <= 64);
		total += r->len + 1;
		FUZZ_CHECK(total <= in.n);
		client_free_ret(r);
	}
	r = client_send_cmd_reply(c, "FUZZ?");
	if (r) {
		FUZZ_CHECK(r->len <= 64);
		client_free_ret(r);
	} else {
		fuzz_check_error(client_last_error());
	}
	client_destroy(c);
	close(sv[1]);
	return 0;
}
