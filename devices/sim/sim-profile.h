/* SPDX-License-Identifier: MIT */
/* sim-profile.h - the simulator's part of a device profile: [sim], [dialogue],
 * [property NAME], [waveform NAME] and the [errors] keys unknown and
 * unknown_reply, on top of what the library reads (lib/profile.h). */
#ifndef SERIALCMD_SIM_PROFILE_H
#define SERIALCMD_SIM_PROFILE_H

#include <stddef.h>

#include "profile.h"

/* Most channels a profile may give an instrument ([sim] channels). */
#define SIM_CHANNELS_MAX 16

/* One exact-match exchange: query -> reply (reply NULL: no answer). */
struct sim_dialogue {
	char *query;
	char *reply;
};

/* A value the simulator keeps: read by `get`, written by `set VALUE`. */
struct sim_property {
	char name[PROFILE_NAME_MAX];
	char *get;   /* query that reads it, e.g. "SOUR:VOLT?" ('|' between aliases) */
	char *set;   /* command word that writes it, e.g. "SOUR:VOLT" */
	char *value; /* its value after *RST (the profile's default), as text */
	/* current value, as text: one per channel with per_channel (channel n
	 * in cur[n - 1]), else cur[0] only */
	char *cur[SIM_CHANNELS_MAX];
	int per_channel;
	int boolean;	 /* SCPI boolean: takes ON, OFF, 1, 0; keeps and answers 1 or 0 */
	char *valid;	 /* comma-separated words accepted; NULL: numeric */
	char *error;	 /* error-queue entry for a rejected set */
	char *set_reply; /* reply to a set; NULL: none (as SCPI) */
	/* commands without a parameter that set it, "CMD => VALUE | ...",
	 * e.g. :CONFigure:VOLTage[:DC] => "VOLT:DC" */
	char *commands;
	/* another property whose value a get answers (a supply's measured
	 * voltage reads its set voltage), formatted and noised as this one */
	char *source;
	/* other properties (up to 8, comma-separated) this one reads and sets
	 * together: a supply's :APPLy CH1,5,1 and :APPLy? CH1 */
	char *parts;
	double min, max, noise;
	int has_min, has_max;
	int digits; /* decimals in the reply; -1: as set */
	int sci;    /* 1: scientific notation (1.234560E+00) */
};

/* A waveform the simulator serves as an IEEE 488.2 block (and as text). */
struct sim_waveform {
	char name[PROFILE_NAME_MAX];
	char *get;	 /* query answered with a block, e.g. ":WAV:DATA?" */
	char *prefix;	 /* text sent before the block, e.g. ":WAV:DATA " */
	char *ascii_get; /* query answered with the values, comma-separated */
	char *set;	 /* command that uploads a block, e.g. ":WAV:UPLOAD" */
	unsigned points;
	char datatype; /* struct-module letter: b B h H i I f d */
	int big_endian;
	double amplitude;
};

struct sim_profile {
	struct profile base; /* port settings, identity, error query */
	char mode[16];	     /* "dialogue" (default), "loopback" or "faulty" */
	unsigned delay_ms;
	struct sim_dialogue *dialogue;
	size_t ndialogue;
	struct sim_property *props;
	size_t nprops;
	struct sim_waveform *waves;
	size_t nwaves;
	char error_unknown[PROFILE_TEXT_MAX]; /* queued for an unknown command */
	char unknown_reply[PROFILE_TEXT_MAX]; /* answered to an unknown command */
	int has_unknown_reply;
	/* SCPI message rules (';' compound messages, paths, short and long
	 * forms, [optional] nodes, common commands): 1 unless [sim] syntax =
	 * exact; default 1 with queries = scpi, else 0 (exact lines). */
	int scpi;
	unsigned channels;		      /* [sim] channels: 0 none, else 1..SIM_CHANNELS_MAX */
	char error_pattern[PROFILE_TEXT_MAX]; /* [sim] error_query: the error query's pattern */
	/* Lines sent unasked (an AT modem's RING), comma-separated, one at a
	 * time at random, on average every unsolicited_every_ms. */
	char unsolicited[PROFILE_TEXT_MAX];
	unsigned unsolicited_every_ms;
	/* Commands that turn the echo off and on (an AT modem's ATE0, ATE1). */
	char echo_off[PROFILE_NAME_MAX];
	char echo_on[PROFILE_NAME_MAX];
};

/* As sc_profile_load() / sc_profile_load_file(), with the simulator's sections. */
int sim_profile_load(const char *name, struct sim_profile *sp);
int sim_profile_load_file(const char *path, struct sim_profile *sp);
void sim_profile_free(struct sim_profile *sp);

/* Header patterns (devices/README.md, "Command patterns"): does header, an
 * absolute SCPI header such as ":sens:volt:rang" (no '?', no parameters),
 * fit pattern, such as "[:SENSe]:VOLTage[:DC]:RANGe" (no '?')? 1 if it
 * does, with *suffix the numeric suffix a "[<n>]" node took (left alone
 * when none did); else 0. */
int sim_pattern_match(const char *pattern, size_t plen, const char *header, long *suffix);
/* Is pattern (up to plen) well formed? NULL if so, else why not. */
const char *sim_pattern_check(const char *pattern, size_t plen);

/* One of the '|'-separated alternatives "HEADER[?] [PARAMETERS]" of a
 * profile's pattern list: its header (with its '?', if any) and its
 * parameters, blanks trimmed. */
struct sim_alt {
	const char *head;
	size_t head_len;
	const char *params;
	size_t params_len;
};
/* The alternative at *p, moving *p past it and its '|'; 0 at the end. */
int sim_pattern_next(const char **p, struct sim_alt *a);

#endif
