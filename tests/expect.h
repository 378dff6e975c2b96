/* SPDX-License-Identifier: MIT */
/* expect.h - checks the C tests share: a command's exact reply or exact
 * error, the process's open descriptors and memory. */
#ifndef SERIALCMD_EXPECT_H
#define SERIALCMD_EXPECT_H

#include <stddef.h>
#include <stdint.h>

#include "serialcmd.h"

/* cmd's reply is exactly len bytes of want (and NUL-terminated). */
void expect_reply(struct client *c, const char *cmd, const char *want, size_t len);
/* cmd fails with code, and the message holds fragment (if not NULL). */
void expect_error(struct client *c, const char *cmd, int code, const char *fragment);
/* Open a handle, or fail the test with the library's message. */
struct client *open_spec(const char *spec);
/* Milliseconds since t0 (sc_clock_now_ns()). */
int64_t ms_since(int64_t t0);
/* Entries in /proc/self/fd, the directory's own descriptor included. */
int count_fds(void);
/* A field of /proc/self/status in KiB ("VmRSS", "VmHWM"); fails the test
 * if it is not there. */
long proc_status_kib(const char *field);
/* Running under valgrind, whose heap makes memory figures meaningless? */
int under_valgrind(void);

/* Every C test has this tree's devices/profiles on SERIALCMD_DEVICES (set
 * before main, after what the caller set). A private profile directory,
 * first on the search path:
 * make and remove it as a cmocka group's setup and teardown, and write
 * NAME.profile in it. */
extern char profile_dir[64];
int profile_dir_make(void **state);
int profile_dir_remove(void **state);
void profile_dir_write(const char *name, const char *text);

#endif
