/* SPDX-License-Identifier: MIT */
/* fake-transport.c - a transport that plays back chunks, then times out,
 * and records what is written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake-transport.h"

static ssize_t fake_read(struct transport *t, void *buf, size_t size, int64_t deadline)
{
	struct fake *f = (struct fake *)t;

	if (size > f->max_read)
		f->max_read = size;
	if (f->trickle_ms) {
		usleep((useconds_t)f->trickle_ms * 1000);
		if (sc_clock_now_ns() >= deadline)
			return CLIENT_ERR_TIMEOUT;
		*(char *)buf = 't';
		return 1;
	}
	/* The chunks are the device's answers: none comes between the start
	 * of a command (its drain) and its write. */
	if (f->awaiting_write)
		return CLIENT_ERR_TIMEOUT;
	/* Empty chunks stand for reads that found nothing yet. */
	while (f->next < f->nchunks && f->chunk_len[f->next] == f->offset) {
		f->next++;
		f->offset = 0;
	}
	if (f->next >= f->nchunks)
		return CLIENT_ERR_TIMEOUT;
	size_t n = f->chunk_len[f->next] - f->offset;
	if (n > size)
		n = size;
	memcpy(buf, f->chunk[f->next] + f->offset, n);
	f->offset += n;
	return (ssize_t)n;
}

static ssize_t fake_read_now(struct transport *t, void *buf, size_t size)
{
	struct fake *f = (struct fake *)t;
	size_t n;

	f->awaiting_write = 1;
	if (!f->stale)
		return 0;
	n = strlen(f->stale);
	assert_true(n <= size);
	memcpy(buf, f->stale, n);
	f->stale = NULL;
	return (ssize_t)n;
}

static int fake_write(struct transport *t, const void *buf, size_t len, int64_t deadline)
{
	struct fake *f = (struct fake *)t;

	(void)deadline;
	assert_true(f->written_len + len <= sizeof(f->written));
	memcpy(f->written + f->written_len, buf, len);
	f->written_len += len;
	f->awaiting_write = 0;
	f->writes++;
	return CLIENT_OK;
}

static void fake_close(struct transport *t)
{
	struct fake *f = (struct fake *)t;

	if (f->closed_flag)
		(*f->closed_flag)++;
	free(f);
}

static const struct transport_ops fake_ops = {
	.name = "fake",
	.read = fake_read,
	.read_now = fake_read_now,
	.write = fake_write,
	.close = fake_close,
};

struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->base.ops = &fake_ops;
	return f;
}

void fake_add(struct fake *f, const char *data, size_t len)
{
	assert_true(f->nchunks < MAX_CHUNKS);
	f->chunk[f->nchunks] = data;
	f->chunk_len[f->nchunks++] = len;
}

struct client *open_fake(struct fake *f, const char *spec)
{
	struct client_config cfg;
	struct client *c;

	assert_int_equal(client_config_parse(&cfg, spec), CLIENT_OK);
	c = sc_client_open_transport(&cfg, &f->base);
	assert_non_null(c);
	return c;
}
