/* profile.h - device profiles: parsed from devices/profiles/NAME.profile, used
 * by the spec parser (port settings), the simulator (dialogue) and the udev
 * rule generator (USB ids). Internal: nothing here is public API. */
#ifndef SERIALCMD_PROFILE_H
#define SERIALCMD_PROFILE_H

#include <stddef.h>

#define PROFILE_NAME_MAX 64
#define PROFILE_TEXT_MAX 256
#define PROFILE_MAX_USB 16

/* A spec option the profile sets, e.g. baud = 115200. */
struct profile_option {
	char key[32];
	char value[PROFILE_TEXT_MAX];
	int line;
};

/* One exact-match exchange: query -> reply (reply NULL: no answer). */
struct profile_dialogue {
	char *query;
	char *reply;
};

/* A value the simulator keeps: read by `get`, written by `set VALUE`. */
struct profile_property {
	char name[PROFILE_NAME_MAX];
	char *get;	 /* query that reads it, e.g. "SOUR:VOLT?" */
	char *set;	 /* command word that writes it, e.g. "SOUR:VOLT" */
	char *value;	 /* current value, as text */
	char *valid;	 /* comma-separated words accepted; NULL: numeric */
	char *error;	 /* error-queue entry for a rejected set */
	char *set_reply; /* reply to a set; NULL: none (as SCPI) */
	double min, max, noise;
	int has_min, has_max;
	int digits; /* decimals in the reply; -1: as set */
	int sci;    /* 1: scientific notation (1.234560E+00) */
};

/* A waveform the simulator serves as an IEEE 488.2 block (and as text). */
struct profile_waveform {
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

struct profile_usb {
	unsigned vid, pid;
};

struct profile {
	char name[PROFILE_NAME_MAX];
	char path[4096];
	char description[PROFILE_TEXT_MAX];
	struct profile_option *options;
	size_t noptions;
	/* identification */
	char identify[PROFILE_TEXT_MAX];       /* query, e.g. "*IDN?" */
	char identify_match[PROFILE_TEXT_MAX]; /* fnmatch pattern the answer must fit */
	struct profile_usb usb[PROFILE_MAX_USB];
	size_t nusb;
	char usb_manufacturer[PROFILE_TEXT_MAX];
	char usb_product[PROFILE_TEXT_MAX];
	int usb_interface; /* -1: any */
	/* simulation */
	char sim_mode[16]; /* "dialogue" (default), "loopback" or "faulty" */
	unsigned sim_delay_ms;
	struct profile_dialogue *dialogue;
	size_t ndialogue;
	struct profile_property *props;
	size_t nprops;
	struct profile_waveform *waves;
	size_t nwaves;
	char error_query[PROFILE_TEXT_MAX];   /* e.g. "SYST:ERR?" */
	char error_none[PROFILE_TEXT_MAX];    /* e.g. 0,"No error" */
	char error_unknown[PROFILE_TEXT_MAX]; /* queued for an unknown command */
	char unknown_reply[PROFILE_TEXT_MAX]; /* answered to an unknown command; "" none */
	int has_unknown_reply;
};

/* Find NAME (or a path containing '/') on the search path: $SERIALCMD_DEVICES
 * (colon-separated), the installed data dir, the source tree. Loads it into
 * p. CLIENT_OK, or CLIENT_ERR_OPTION naming file, line and reason (or where it
 * looked), or CLIENT_ERR_NOMEM. */
int profile_load(const char *name, struct profile *p);
/* Parse one file by path. */
int profile_load_file(const char *path, struct profile *p);
void profile_free(struct profile *p);
/* Apply the profile's spec options (checked when it was loaded) and its
 * [errors] query and pattern to cfg, through the option table. CLIENT_OK
 * or CLIENT_ERR_OPTION. */
struct client_config;
int profile_apply(const struct profile *p, struct client_config *cfg);

#endif
