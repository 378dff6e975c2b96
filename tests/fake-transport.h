/* SPDX-License-Identifier: MIT */
/* fake-transport.h - a transport that plays back chunks, for tests of the
 * command/reply code without a device. */
#ifndef SERIALCMD_FAKE_TRANSPORT_H
#define SERIALCMD_FAKE_TRANSPORT_H

#include "internal.h"

#define MAX_CHUNKS 64

/* A transport that plays back chunks, then times out; it records writes. */
struct fake {
	struct transport base;
	const char *chunk[MAX_CHUNKS];
	size_t chunk_len[MAX_CHUNKS];
	int nchunks, next;
	size_t offset;	   /* within chunk[next] */
	size_t max_read;   /* largest read asked for */
	const char *stale; /* returned once by read_now */
	int trickle_ms;	   /* >0: return one 't' every trickle_ms, forever */
	int awaiting_write; /* read_now (a command's drain) came, its write not yet */
	char written[1024];
	size_t written_len;
	int writes, closed, *closed_flag;
};

struct fake *fake_new(void);
/* Queue len bytes (not copied) for a later read; empty chunks stand for
 * reads that found nothing yet. */
void fake_add(struct fake *f, const char *data, size_t len);
/* Open a handle on f with the spec's settings ("fake?..."). */
struct client *open_fake(struct fake *f, const char *spec);

#endif
