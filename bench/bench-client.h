/* SPDX-License-Identifier: MIT */
/* bench-client.h - what a C benchmark client provides to the shared harness
 * (bench-client.c): open a port, run one query, close. The harness does the
 * timing, the workloads and the JSON output, so every C client is measured
 * by the same code. */
#ifndef BENCH_CLIENT_H
#define BENCH_CLIENT_H

#include <stddef.h>

struct bench_backend {
	const char *name;
	/* Open the port; NULL with a message in err on failure. */
	void *(*open)(const char *path, char *err, size_t errlen);
	/* Send cmd (len bytes, no terminator) and read the reply up to its LF;
	 * return the reply's length without the LF, or -1 with err set. */
	long (*query)(void *h, const char *cmd, size_t len, char *err, size_t errlen);
	void (*close)(void *h);
};

extern const struct bench_backend bench_backend;

#endif
