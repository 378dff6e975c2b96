/* SPDX-License-Identifier: MIT */
/* sim-session.h - a recorded session (the JSON Lines format of
 * session format, version 1: tools/session-format.md) read into memory, for the replay and the
 * profile writer. Only what they need is kept; unknown keys are skipped. */
#ifndef SERIALCMD_SIM_SESSION_H
#define SERIALCMD_SIM_SESSION_H

#include <stddef.h>

/* Largest recording read (the whole file is held in memory, and the byte
 * strings are decoded in place, so this bounds the memory a replay uses). */
#define SIM_SESSION_FILE_MAX ((size_t)256 << 20)
#define SIM_SESSION_EOL_MAX 16

enum sim_rec_kind { SIM_REC_QUERY, SIM_REC_WRITE, SIM_REC_READ };

/* Bytes inside the loaded file's buffer (not NUL-terminated). */
struct sim_bytes {
	const unsigned char *data;
	size_t len;
};

/* One header: a session's settings at open. */
struct sim_header {
	int line;
	unsigned char write_eol[SIM_SESSION_EOL_MAX];
	size_t write_eol_len;
	unsigned char read_eol[SIM_SESSION_EOL_MAX];
	size_t read_eol_len;
	int has_write_eol, has_read_eol;
	double baud, bits, stop, timeout_ms, echo; /* -1: absent */
	char parity[16], flow[16];		   /* "" when absent or not a plain word */
};

/* One transaction of kind query, write or read ("close" and unknown kinds
 * are skipped when loading). */
struct sim_record {
	enum sim_rec_kind kind;
	int line;	 /* in the file, for messages */
	size_t header;	 /* index of the session header it belongs to */
	double t;	 /* seconds since its session's open */
	double delay_ms; /* -1: absent (nothing came) */
	double ms;	 /* -1: absent */
	int ok;		 /* outcome CLIENT_OK (or absent) */
	int gone;	 /* outcome CLIENT_ERR_GONE: the device hung up */
	int cut;	 /* outcome CLIENT_ERR_TIMEOUT or _TOOLONG: the reply was not all read */
	struct sim_bytes cmd, wire, drained; /* cmd empty: a command that wrote nothing */
};

struct sim_session {
	char *path;
	unsigned char *text; /* the file; byte strings point into it */
	struct sim_header *headers;
	size_t nheaders;
	struct sim_record *recs;
	size_t nrecs;
	size_t skipped; /* records of kinds this reader does not know */
	int lost_line;	/* the first record with "lost" bytes (not recorded): 0 if none */
	size_t headers_cap, recs_cap;
};

/* Read a recording. 0, or -1 with a message naming file, line and reason
 * (printable: outside bytes escaped) in err. An incomplete last line (no
 * '\n': a recorder killed while writing it) is dropped with a warning in
 * warn (warn[0] == '\0' when none). */
int sim_session_load(const char *path, struct sim_session *ss, char *err, size_t errsize, char *warn,
		     size_t warnsize);
void sim_session_free(struct sim_session *ss);

#endif
