/* SPDX-License-Identifier: MIT */
/* fuzz-rfc2217-stream.c - the RFC 2217 transport as a whole: bytes from a
 * fake terminal server (fuzz-socket.h: a local socket pair, one packet per
 * chunk) through libtelnet, the transport's read and the read path, into
 * replies, each compared with an independent decoding of the same bytes.
 *
 * Input: byte 0 = k: 1 + (k & 15) chunk sizes follow (byte + 1 each), and
 * max_reply is 8 + 64 * (k >> 4); then the server's bytes. The client's
 * send buffer is as small as the kernel allows, so a server that floods
 * negotiations meets the transport's bound on unsent answers.
 *
 * The model (rs_decode) is Telnet as libtelnet parses it: data bytes, IAC
 * IAC for a 255, IAC WILL/WONT/DO/DONT + option, IAC SB option ... IAC SE
 * (another command after IAC ends the sub-negotiation too and is then
 * taken as a command), other IAC commands dropped. Where the stream starts
 * MCCP2 (a COMPRESS2 sub-negotiation ends) or a sub-negotiation exceeds
 * 16384 bytes, the model stops: the transport must refuse what follows.
 *
 * Invariants, beyond no crash and no leak: each reply is exactly the next
 * line (up to "\n") of the model's data; CLIENT_ERR_TOOLONG only where
 * the model has more than max_reply bytes before its next terminator; the
 * reading stops at the first error; it may end with CLIENT_ERR_GONE (the stream ran out) only when
 * the model did not stop at something to refuse; a failure has a message. */
#include "fuzz-common.h"
#include "fuzz-socket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RS_MAX_REPLIES 4096
/* libtelnet's largest sub-negotiation buffer. */
#define RS_SB_MAX 16384
#define RS_COMPRESS2 86

enum rs_state { RS_DATA, RS_IAC, RS_NEG, RS_SB, RS_SB_DATA, RS_SB_IAC };

/* Decode p[0..n) into out (room for n bytes); *refused set when the model
 * stopped at something the transport must refuse. Returns the data size. */
static size_t rs_decode(const uint8_t *p, size_t n, uint8_t *out, int *refused)
{
	enum rs_state st = RS_DATA;
	unsigned telopt = 0;
	size_t sb_len = 0, o = 0;

	*refused = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];

		switch (st) {
		case RS_DATA:
			if (b == 255)
				st = RS_IAC;
			else
				out[o++] = b;
			break;
		case RS_IAC:
			if (b == 250) {
				st = RS_SB;
			} else if (b >= 251 && b <= 254) {
				st = RS_NEG;
			} else {
				if (b == 255)
					out[o++] = b;
				st = RS_DATA;
			}
			break;
		case RS_NEG: st = RS_DATA; break;
		case RS_SB:
			telopt = b;
			sb_len = 0;
			st = RS_SB_DATA;
			break;
		case RS_SB_DATA:
			if (b == 255) {
				st = RS_SB_IAC;
			} else if (++sb_len > RS_SB_MAX) {
				*refused = 1;
				return o;
			}
			break;
		case RS_SB_IAC:
			if (b == 255) {
				if (++sb_len > RS_SB_MAX) {
					*refused = 1;
					return o;
				}
				st = RS_SB_DATA;
				break;
			}
			/* The sub-negotiation ends here. */
			if (telopt == RS_COMPRESS2) {
				*refused = 1;
				return o;
			}
			if (b == 240) {
				st = RS_DATA;
			} else {
				st = RS_IAC;
				i--; /* this byte again, as a command after IAC */
			}
			break;
		}
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_bytes in = { data, size };
	struct client *c;
	struct client_ret *r;
	uint8_t k, sizes[16], *model;
	size_t nsizes, model_len, at = 0, max_reply;
	int sv[2], buf = 1 << 20, small = 1, refused, last = 0;
	char spec[96];

	/* Bounded so that every packet fits the socket buffer at once. */
	if (size > 16384 || fuzz_take(&in, &k))
		return 0;
	nsizes = 1 + (k & 15);
	max_reply = 8 + 64 * (size_t)(k >> 4);
	for (size_t i = 0; i < nsizes; i++)
		if (fuzz_take(&in, &sizes[i]))
			return 0;
	model = malloc(in.n + 1);
	if (!model)
		return 0;
	model_len = rs_decode(in.p, in.n, model, &refused);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0) {
		free(model);
		return 0;
	}
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	if (rfc_fill(sv[1], sizes, nsizes, in.p, in.n) != 0) {
		close(sv[0]);
		close(sv[1]);
		free(model);
		return 0;
	}
	rfc_client_fd = sv[0];

	snprintf(spec, sizeof(spec), "rfc2217://fuzz:2217?timeout_ms=50&max_reply=%zu", max_reply);
	c = client_init_py(spec);
	if (rfc_client_fd >= 0) { /* the transport never took it */
		close(rfc_client_fd);
		rfc_client_fd = -1;
	}
	if (!c) {
		fuzz_check_error(client_last_error());
		close(sv[1]);
		free(model);
		return 0;
	}
	for (int i = 0; i < RS_MAX_REPLIES; i++) {
		r = client_read_reply(c);
		if (!r) {
			last = client_last_error();
			fuzz_check_error(last);
			/* Too long: more than max_reply bytes of the model's
			 * data came without a terminator. */
			if (last == CLIENT_ERR_TOOLONG) {
				FUZZ_CHECK(model_len - at > max_reply);
				FUZZ_CHECK(memchr(model + at, '\n', max_reply + 1) == NULL);
			}
			break;
		}
		/* Exactly the model's next line, and its terminator. */
		FUZZ_CHECK(r->len <= max_reply);
		FUZZ_CHECK(at + r->len < model_len);
		FUZZ_CHECK(memcmp(r->ret_data, model + at, r->len) == 0);
		FUZZ_CHECK(memchr(r->ret_data, '\n', r->len) == NULL);
		FUZZ_CHECK(model[at + r->len] == '\n');
		FUZZ_CHECK(r->ret_data[r->len] == '\0');
		at += r->len + 1;
		client_free_ret(r);
	}
	/* Reaching the end of the stream means passing what must be refused. */
	if (last == CLIENT_ERR_GONE)
		FUZZ_CHECK(!refused);
	r = client_send_cmd_reply(c, "FUZZ?");
	if (r)
		client_free_ret(r);
	else
		fuzz_check_error(client_last_error());
	client_destroy(c);
	close(sv[1]);
	free(model);
	return 0;
}
