/* SPDX-License-Identifier: MIT */
/* fuzz-common.h - what the fuzz targets share: reading a header from the
 * fuzzer's bytes, and a fake transport that plays a byte stream back in
 * chunks of chosen sizes, as a device or a terminal server would send it.
 *
 * The targets are built two ways: as libFuzzer programs (make fuzz), and
 * all together, each entry point renamed, into tests/test-fuzz-corpus,
 * which replays the checked-in corpus as part of make check. So every
 * name here is static and prefixed, and the targets keep to the project's
 * warnings with gcc and clang. */
#ifndef SERIALCMD_FUZZ_COMMON_H
#define SERIALCMD_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* A failed invariant: say which, then abort so libFuzzer (or the replay
 * test) records the input. */
#define FUZZ_CHECK(cond)                                                                             \
	do {                                                                                         \
		if (!(cond)) {                                                                       \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                     \
		}                                                                                    \
	} while (0)

/* The fuzzer's bytes, consumed from the front. */
struct fuzz_bytes {
	const uint8_t *p;
	size_t n;
};

static inline int fuzz_take(struct fuzz_bytes *b, uint8_t *out)
{
	if (b->n == 0)
		return -1;
	*out = *b->p++;
	b->n--;
	return 0;
}

/* The fuzzer's bytes as a file to load: an anonymous in-memory file
 * (memfd), whose /proc/self/fd path goes into path. Returns its descriptor
 * (the caller closes it), or -1 for an input too large (over 1 MiB) or no
 * file. */
static inline int fuzz_as_file(const char *name, const uint8_t *data, size_t size, char *path, size_t path_size)
{
	int fd;

	if (size > 1 << 20)
		return -1;
	fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	return fd;
}

/* The last error is consistent with a failed call: a negative code and a
 * NUL-terminated message that says something. */
static inline void fuzz_check_error(int code)
{
	const char *msg = client_last_message();

	FUZZ_CHECK(code < 0);
	FUZZ_CHECK(client_last_error() == code);
	FUZZ_CHECK(msg != NULL && msg[0] != '\0');
	FUZZ_CHECK(strlen(msg) < 1024);
}

/* A transport that hands out data[] in reads of sizes[i % nsizes] + 1 bytes
 * (never more than asked), then ends with end_code: CLIENT_ERR_TIMEOUT (no
 * message, as the contract in transport.h says) or CLIENT_ERR_GONE. */
struct fuzz_fake {
	struct transport base;
	const uint8_t *data;
	size_t len, off;
	const uint8_t *sizes;
	size_t nsizes, next;
	int end_code;
	size_t written;
};

static inline ssize_t fuzz_fake_read(struct transport *t, void *buf, size_t size, int64_t deadline)
{
	struct fuzz_fake *f = (struct fuzz_fake *)t;
	size_t n;

	(void)deadline;
	FUZZ_CHECK(size > 0); /* a read of nothing would spin */
	if (f->off >= f->len) {
		if (f->end_code == CLIENT_ERR_GONE)
			return sc_err_set(CLIENT_ERR_GONE, "%s: fake: device gone", t->port);
		return CLIENT_ERR_TIMEOUT;
	}
	n = f->nsizes ? (size_t)f->sizes[f->next++ % f->nsizes] + 1 : f->len - f->off;
	if (n > f->len - f->off)
		n = f->len - f->off;
	if (n > size)
		n = size;
	memcpy(buf, f->data + f->off, n);
	f->off += n;
	return (ssize_t)n;
}

static inline ssize_t fuzz_fake_read_now(struct transport *t, void *buf, size_t size)
{
	(void)t;
	(void)buf;
	(void)size;
	return 0; /* no stale input: the model in each target stays simple */
}

static inline int fuzz_fake_write(struct transport *t, const void *buf, size_t len, int64_t deadline)
{
	struct fuzz_fake *f = (struct fuzz_fake *)t;

	(void)buf;
	(void)deadline;
	f->written += len;
	return CLIENT_OK;
}

static inline void fuzz_fake_close(struct transport *t)
{
	free(t);
}

static const struct transport_ops fuzz_fake_ops = {
	.name = "fuzz-fake",
	.read = fuzz_fake_read,
	.read_now = fuzz_fake_read_now,
	.write = fuzz_fake_write,
	.close = fuzz_fake_close,
};

/* A handle on a new fake transport; NULL only when out of memory. */
static inline struct client *fuzz_fake_open(const struct client_config *cfg, struct fuzz_fake **out)
{
	struct fuzz_fake *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->base.ops = &fuzz_fake_ops;
	f->end_code = CLIENT_ERR_TIMEOUT;
	*out = f;
	return sc_client_open_transport(cfg, &f->base);
}

#endif
