/* SPDX-License-Identifier: MIT */
/* sim.h - what the parts of serialcmd-sim share: the pty, the output side and
 * the two responders (a profile's dialogue, and the fault commands). */
#ifndef SERIALCMD_SIM_H
#define SERIALCMD_SIM_H

#include <stddef.h>
#include <stdio.h>

#include "faults.h"
#include "internal.h"
#include "sim-profile.h"

#define SIM_ERRQ_MAX 32

struct sim {
	int master;
	int slave; /* kept open so the master never sees a hang-up between clients */
	struct sim_profile prof;
	char in_eol[CLIENT_EOL_MAX]; /* ends each command (what clients write) */
	size_t in_eol_len;
	char out_eol[CLIENT_EOL_MAX]; /* ends each reply */
	size_t out_eol_len;
	int echo; /* echo each command line before answering */
	/* fault options */
	unsigned latency_ms; /* added before each reply */
	int split;	     /* one byte per write */
	int garbage;	     /* junk lines after each reply, stale for the next command */
	long drop_every;     /* drop every Nth reply; 0: never */
	long hangup_after;   /* hang up after N commands; 0: never */
	long commands;
	char tag[TAG_MAX + 2]; /* "<id>:" before each answer (FAULT_TAG); "" none */
	size_t pending; /* bytes received after the command being answered */
	/* waveforms: their current bytes, one buffer per profile waveform */
	unsigned char **wave_bytes;
	size_t *wave_len;
	/* state of the dialogue responder */
	char *errq[SIM_ERRQ_MAX];
	int nerr;
	unsigned esr; /* IEEE 488.2 event status register */
	unsigned ese_off; /* events *ESE disabled (all enabled at start) */
	unsigned sre;	  /* service request enable */
	unsigned channel; /* selected by :INST:NSEL (1-based; 0: not yet, 1) */
	/* the replies to one message, joined with ';' */
	char *out;
	size_t out_len, out_cap;
	int out_n;
	unsigned long long rng;
	/* unsolicited lines: when the next is due (CLOCK_MONOTONIC, ns) */
	long long next_unsolicited_ns;
};

/* sim-io.c, the bottom layer: output. put() writes raw bytes; reply() adds
 * the terminator (and honours drop_every); hang_up() closes the pty;
 * hang_up_when_read() first lets the client read what it was sent. */
void sim_put(struct sim *s, const void *buf, size_t len);
void sim_reply(struct sim *s, const char *text, size_t len);
void sim_reply_str(struct sim *s, const char *text);
void sim_hang_up(struct sim *s);
void sim_hang_up_when_read(struct sim *s);
void sim_sleep_ms(unsigned ms);
int sim_stopping(void);
/* SIGTERM and SIGINT raise the stop flag; SIGPIPE is ignored. */
void sim_catch_signals(void);
/* A raw pty in s->master/s->slave; its path in name. -1 on failure. */
int sim_open_pty(struct sim *s, char *name, size_t size);

/* sim-scpi.c: answer one command line from the profile's dialogue,
 * properties and error queue: a SCPI message (';'-separated commands, with
 * SCPI's path rules, short and long forms, common commands; all replies in
 * one line joined with ';'), or with [sim] syntax = exact one whole line. */
void sim_scpi_answer(struct sim *s, const char *line);
void sim_scpi_free(struct sim *s);

/* sim-wave.c: waveforms as IEEE 488.2 blocks. */
int sim_wave_init(struct sim *s);
void sim_wave_free(struct sim *s);
/* Answer a waveform query or upload; 0 if line is none of them. */
int sim_wave_answer(struct sim *s, const char *line, size_t len);
/* Length of the command frame at buf: a block upload runs past terminators
 * inside its bytes. 0: incomplete; otherwise bytes up to and including the
 * terminator. */
size_t sim_wave_frame(struct sim *s, const char *buf, size_t len);

/* sim-faulty.c: answer one of devices/sim/faults.h's commands. */
void sim_faulty_answer(struct sim *s, const char *line);

/* sim-replay.c: serve a recorded session (sim-session.h) on s's pty until
 * SIGTERM/SIGINT or a recorded hang-up, then report on stderr. strict: the
 * commands must come in the recorded order; else each is answered with the
 * next recorded reply to the same bytes. fast: no recorded delays. Returns
 * the exit status: 1 when strict and a command was unexpected or never
 * asked, else 0. */
struct sim_session;
int sim_replay_serve(struct sim *s, const struct sim_session *ss, int strict, int fast);

/* sim-to-profile.c: write a profile made from a recording to f: the first
 * session's settings, a [dialogue] of its one-line exchanges, the rest as
 * comments. Returns the exit status (0, or 1 when writing failed). */
int sim_session_to_profile(const struct sim_session *ss, FILE *f);

#endif
