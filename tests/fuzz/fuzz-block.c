/* SPDX-License-Identifier: MIT */
/* fuzz-block.c - the IEEE 488.2 block reader (lib/block.c: text before '#',
 * "#<n><length>" headers, definite and indefinite blocks, the terminator
 * after them) and the line reader, fed an arbitrary byte stream split
 * into reads at arbitrary points, in any order of block and line reads.
 *
 * Input: a header, then the stream.
 *   byte 0      bits 0-1: terminator length - 1; bit 2: the stream ends with
 *               the device gone (else a timeout); bit 3: start with a command
 *   bytes 1..   the terminator
 *   next byte   max_reply = 1 + byte * 16
 *   next byte   which calls read a block: bit i for call i (mod 8)
 *   next byte   k: 1 + (k & 7) read sizes follow (byte + 1 each)
 *   the rest    the stream
 *
 * Invariants: no crash, no leak; a reply is at most max_reply bytes and
 * NUL-terminated; the replies hold no more bytes than the stream; a
 * failure is a negative code with a message and one of the documented
 * codes; the stream's end is reached as a timeout (or CLIENT_ERR_GONE). */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_bytes in = { data, size };
	struct client_config cfg;
	struct fuzz_fake *f = NULL;
	struct client *c;
	uint8_t flags, mr, mask, k, sizes[8];
	size_t eol_len, nsizes, total = 0;

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
	if (fuzz_take(&in, &mr) || fuzz_take(&in, &mask) || fuzz_take(&in, &k))
		return 0;
	cfg.max_reply = 1 + (size_t)mr * 16;
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

	for (size_t i = 0; i <= in.n + 2; i++) {
		int block = (mask >> (i % 8)) & 1;
		struct client_ret *r;
		int code;

		if (i == 0 && (flags & 8))
			r = block ? client_query_block(c, "FUZZ?") : client_send_cmd_reply(c, "FUZZ?");
		else
			r = block ? client_read_block(c) : client_read_reply(c);
		if (r) {
			FUZZ_CHECK(r->len <= cfg.max_reply);
			FUZZ_CHECK(r->ret_data[r->len] == '\0');
			FUZZ_CHECK(client_last_error() == CLIENT_OK);
			total += r->len;
			FUZZ_CHECK(total <= in.n);
			client_free_ret(r);
			continue;
		}
		code = client_last_error();
		fuzz_check_error(code);
		FUZZ_CHECK(code == CLIENT_ERR_BLOCK || code == CLIENT_ERR_TOOLONG ||
			   code == CLIENT_ERR_TIMEOUT || code == CLIENT_ERR_GONE);
		if (code == f->end_code && f->off == f->len)
			break;
	}
	client_destroy(c);
	return 0;
}
