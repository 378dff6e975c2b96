/* SPDX-License-Identifier: MIT */
/* fuzz-reply.c - the reply framer (rxbuf + read_reply/too_long in client.c)
 * fed an arbitrary byte stream, split into reads at arbitrary points.
 *
 * Input: a header, then the stream.
 *   byte 0      bits 0-1: terminator length - 1 (1 to 4 bytes)
 *               bit 2: the stream ends with the device gone (else a timeout)
 *               bit 3: the first reply is asked for with a command
 *               bit 4: max_reply = 1 + byte 2 * 64 (else 1 + byte 2)
 *   bytes 1..   the terminator (any bytes, NUL included)
 *   next byte   max_reply, as above
 *   next byte   k: 1 + (k & 7) read sizes follow, each (byte + 1) bytes
 *   the rest    the stream
 *
 * Invariants, against a model that frames the stream independently:
 * every reply equals the bytes between two terminators, never holds the
 * terminator and is at most max_reply bytes; a longer one is refused with
 * CLIENT_ERR_TOOLONG and skipped up to its terminator; the replies, their
 * terminators and what is left at the end make up the whole stream; the
 * end is a timeout (or CLIENT_ERR_GONE), or CLIENT_ERR_TOOLONG when what is
 * left already exceeds max_reply. */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reply_expect_end(struct client *c, int end_code)
{
	struct client_ret *r = client_read_reply(c);

	FUZZ_CHECK(r == NULL);
	fuzz_check_error(client_last_error());
	FUZZ_CHECK(client_last_error() == end_code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_bytes in = { data, size };
	struct client_config cfg;
	struct fuzz_fake *f = NULL;
	struct client *c;
	uint8_t flags, mr, k, sizes[8];
	size_t eol_len, nsizes, pos = 0, calls = 0;
	int first = 1;

	if (size > 1 << 20 || fuzz_take(&in, &flags))
		return 0;
	eol_len = 1 + (flags & 3);
	if (in.n < eol_len)
		return 0;
	if (client_config_parse(&cfg, "fuzz") != CLIENT_OK)
		abort();
	memcpy(cfg.read_eol, in.p, eol_len);
	cfg.read_eol_len = eol_len;
	in.p += eol_len;
	in.n -= eol_len;
	if (fuzz_take(&in, &mr) || fuzz_take(&in, &k))
		return 0;
	cfg.max_reply = (flags & 16) ? 1 + (size_t)mr * 64 : 1 + (size_t)mr;
	nsizes = 1 + (k & 7);
	for (size_t i = 0; i < nsizes; i++)
		if (fuzz_take(&in, &sizes[i]))
			return 0;

	c = fuzz_fake_open(&cfg, &f);
	FUZZ_CHECK(c != NULL);
	f->data = in.p;
	f->len = in.n;
	f->sizes = sizes;
	f->nsizes = nsizes;
	f->end_code = (flags & 4) ? CLIENT_ERR_GONE : CLIENT_ERR_TIMEOUT;

	/* Each round takes one segment of the stream; every call consumes at
	 * least one byte or ends, so this is bounded by the stream's length. */
	for (;;) {
		const uint8_t *hit = memmem(in.p + pos, in.n - pos, cfg.read_eol, eol_len);
		struct client_ret *r;

		FUZZ_CHECK(++calls <= in.n + 2);
		if (first && (flags & 8))
			r = client_send_cmd_reply(c, "FUZZ?");
		else
			r = client_read_reply(c);
		first = 0;
		if (!hit) {
			/* What is left has no terminator: a timeout (or the
			 * device gone), or too long once it exceeds max_reply. */
			size_t rest = in.n - pos;

			FUZZ_CHECK(r == NULL);
			fuzz_check_error(client_last_error());
			if (rest >= cfg.max_reply + eol_len) {
				FUZZ_CHECK(client_last_error() == CLIENT_ERR_TOOLONG);
				reply_expect_end(c, f->end_code);
			} else {
				FUZZ_CHECK(client_last_error() == f->end_code);
			}
			/* Everything was read, nothing more is made up. */
			FUZZ_CHECK(f->off == f->len);
			break;
		}
		{
			size_t seg = (size_t)(hit - (in.p + pos));

			if (seg <= cfg.max_reply) {
				FUZZ_CHECK(r != NULL);
				FUZZ_CHECK(r->len == seg);
				FUZZ_CHECK(r->len <= cfg.max_reply);
				FUZZ_CHECK(memcmp(r->ret_data, in.p + pos, seg) == 0);
				FUZZ_CHECK(r->ret_data[r->len] == '\0');
				FUZZ_CHECK(memmem(r->ret_data, r->len, cfg.read_eol, eol_len) == NULL);
				FUZZ_CHECK(client_last_error() == CLIENT_OK);
				client_free_ret(r);
			} else {
				FUZZ_CHECK(r == NULL);
				fuzz_check_error(client_last_error());
				FUZZ_CHECK(client_last_error() == CLIENT_ERR_TOOLONG);
			}
			pos += seg + eol_len;
		}
	}
	/* After the end the handle still answers, with an error, at once. */
	reply_expect_end(c, f->end_code);
	client_destroy(c);
	return 0;
}
