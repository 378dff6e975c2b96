/* SPDX-License-Identifier: MIT */
/* fuzz-profile.c - the device profile parser (sc_profile_load_file), the
 * simulator's sections on top of it (sim_profile_load_file), and a spec that
 * applies the same file with profile=PATH, fed any file content.
 *
 * The content goes to an anonymous in-memory file (memfd) read through
 * its /proc/self/fd path, so the fuzzer writes nothing to disk.
 *
 * Invariants: a file is accepted or refused the same way by the parser and
 * by the spec, and the simulator accepts only what the library accepts; after a refusal nothing is left allocated and the message
 * names the file; an accepted profile has its counts within bounds, every
 * string NUL-terminated, and every property a way to reach it and a value;
 * nothing leaks. */
#include "fuzz-common.h"
#include "profile.h"
#include "sim-profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROFILE_FIELD_OK(s) FUZZ_CHECK(memchr((s), '\0', sizeof(s)) != NULL)

static void profile_check(const struct profile *p)
{
	PROFILE_FIELD_OK(p->name);
	PROFILE_FIELD_OK(p->description);
	PROFILE_FIELD_OK(p->identify);
	PROFILE_FIELD_OK(p->identify_match);
	PROFILE_FIELD_OK(p->usb_manufacturer);
	PROFILE_FIELD_OK(p->usb_product);
	PROFILE_FIELD_OK(p->usb_serial);
	FUZZ_CHECK(p->probe >= PROFILE_PROBE_AUTO && p->probe <= PROFILE_PROBE_NEVER);
	FUZZ_CHECK(p->latency_timer >= 0 && p->latency_timer <= PROFILE_LATENCY_MAX);
	PROFILE_FIELD_OK(p->error_query);
	PROFILE_FIELD_OK(p->error_none);
	FUZZ_CHECK(p->nusb <= PROFILE_MAX_USB);
	FUZZ_CHECK(p->usb_interface >= -1 && p->usb_interface <= 255);
	FUZZ_CHECK(p->noptions <= 4096 && (p->noptions == 0 || p->options));
	for (size_t i = 0; i < p->noptions; i++) {
		PROFILE_FIELD_OK(p->options[i].key);
		PROFILE_FIELD_OK(p->options[i].value);
	}
}

static void sim_profile_check(const struct sim_profile *p)
{
	profile_check(&p->base);
	PROFILE_FIELD_OK(p->mode);
	PROFILE_FIELD_OK(p->error_unknown);
	PROFILE_FIELD_OK(p->unknown_reply);
	FUZZ_CHECK(p->scpi == 0 || p->scpi == 1);
	FUZZ_CHECK(p->channels <= SIM_CHANNELS_MAX);
	PROFILE_FIELD_OK(p->error_pattern);
	FUZZ_CHECK(p->ndialogue <= 4096 && (p->ndialogue == 0 || p->dialogue));
	FUZZ_CHECK(p->nprops <= 4096 && (p->nprops == 0 || p->props));
	FUZZ_CHECK(p->nwaves <= 4096 && (p->nwaves == 0 || p->waves));
	for (size_t i = 0; i < p->ndialogue; i++)
		FUZZ_CHECK(p->dialogue[i].query && p->dialogue[i].query[0]);
	for (size_t i = 0; i < p->nprops; i++) {
		const struct sim_property *pr = &p->props[i];

		PROFILE_FIELD_OK(pr->name);
		FUZZ_CHECK(pr->get || pr->set || pr->commands);
		FUZZ_CHECK(pr->value != NULL && pr->cur[0] != NULL);
		FUZZ_CHECK(!pr->per_channel || !p->channels || pr->cur[p->channels - 1]);
		FUZZ_CHECK(pr->digits >= -1 && pr->digits <= 15);
	}
	for (size_t i = 0; i < p->nwaves; i++) {
		PROFILE_FIELD_OK(p->waves[i].name);
		FUZZ_CHECK(p->waves[i].points >= 1 && p->waves[i].points <= 50000000);
		FUZZ_CHECK(p->waves[i].datatype && strchr("bBhHiIfd", p->waves[i].datatype));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile p;
	struct sim_profile sp;
	struct client_config cfg;
	char path[64], spec[128];
	int fd, ret, ret2;

	fd = fuzz_as_file("fuzz.profile", data, size, path, sizeof(path));
	if (fd < 0)
		return 0;

	ret = sc_profile_load_file(path, &p);
	if (ret == CLIENT_OK) {
		FUZZ_CHECK(strcmp(p.path, path) == 0);
		profile_check(&p);
		sc_profile_free(&p);
	} else {
		fuzz_check_error(ret);
		FUZZ_CHECK(strstr(client_last_message(), path) != NULL);
		/* A refused file leaves nothing allocated. */
		FUZZ_CHECK(!p.options && !p.noptions);
	}

	/* With the simulator's sections: refused whenever the library refuses. */
	ret2 = sim_profile_load_file(path, &sp);
	if (ret2 == CLIENT_OK) {
		FUZZ_CHECK(ret == CLIENT_OK);
		sim_profile_check(&sp);
		sim_profile_free(&sp);
	} else {
		fuzz_check_error(ret2);
		FUZZ_CHECK(strstr(client_last_message(), path) != NULL);
		FUZZ_CHECK(!sp.base.options && !sp.dialogue && !sp.props && !sp.waves);
		FUZZ_CHECK(!sp.base.noptions && !sp.ndialogue && !sp.nprops && !sp.nwaves);
	}

	/* The same file through a spec: accepted exactly when the parser
	 * accepted it, and then the spec's config passes client_open's checks. */
	snprintf(spec, sizeof(spec), "fuzz?profile=%s", path);
	ret2 = client_config_parse(&cfg, spec);
	FUZZ_CHECK((ret2 == CLIENT_OK) == (ret == CLIENT_OK));
	if (ret2 == CLIENT_OK) {
		FUZZ_CHECK(strcmp(cfg.port, "fuzz") == 0);
		FUZZ_CHECK(cfg.read_eol_len >= 1 && cfg.read_eol_len <= CLIENT_EOL_MAX);
		FUZZ_CHECK(cfg.write_eol_len <= CLIENT_EOL_MAX);
		FUZZ_CHECK(memchr(cfg.profile, '\0', sizeof(cfg.profile)) != NULL);
	} else {
		fuzz_check_error(ret2);
		FUZZ_CHECK(ret2 == ret);
	}
	close(fd);
	return 0;
}
