/* SPDX-License-Identifier: MIT */
/* spec.c - spec string -> struct client_config, with errors that name the
 * key and the accepted values. Every key goes through the option table
 * (options.c); a profile= pair loads the profile (profile.c) first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "profile.h"

/* Split one "key=value" pair (len bytes at pair) into buf. */
static int split_pair(const struct client_config *cfg, const char *pair, size_t len, char *buf, size_t size,
		      char **value)
{
	char keys[512];
	char *eq;

	if (len >= size)
		return sc_err_set(CLIENT_ERR_OPTION, "%s: option too long (%zu bytes)", cfg->port, len);
	memcpy(buf, pair, len);
	buf[len] = '\0';
	eq = strchr(buf, '=');
	if (!eq)
		return sc_err_set(CLIENT_ERR_OPTION, "%s: option '%s' has no '=value' (accepted keys: %s)",
				  cfg->port, buf, sc_option_keys(keys, sizeof(keys), ", "));
	*eq = '\0';
	*value = eq + 1;
	return CLIENT_OK;
}

/* Apply one pair; the profile pair is skipped (applied first). */
static int apply_pair(struct client_config *cfg, const char *pair, size_t len, unsigned *seen)
{
	char buf[512], keys[512];
	const struct option_def *o;
	char *value;
	unsigned bit;

	if (split_pair(cfg, pair, len, buf, sizeof(buf), &value))
		return client_last_error();
	o = sc_option_find(buf);
	if (!o)
		return sc_err_set(CLIENT_ERR_OPTION, "%s: unknown option '%s' (accepted keys: %s)", cfg->port,
				  buf, sc_option_keys(keys, sizeof(keys), ", "));
	bit = 1u << (o - sc_option_at(0));
	if (*seen & bit)
		return sc_err_set(CLIENT_ERR_OPTION, "%s: option '%s' given twice", cfg->port, buf);
	*seen |= bit;
	if (o->type == OPTION_PROFILE)
		return CLIENT_OK;
	if (sc_option_parse(o, cfg, value) != 0)
		return sc_option_bad_value(cfg->port, o, value);
	return CLIENT_OK;
}

/* A profile's options come first, so the spec's own override them. */
static int apply_profile(struct client_config *cfg, const char *name)
{
	struct profile p;
	int ret;

	ret = sc_profile_load(name, &p);
	if (ret) {
		/* The message is rewritten in place: copy it out first. */
		char why[1024];

		snprintf(why, sizeof(why), "%s", client_last_message());
		return sc_err_set(ret, "%s: %s", cfg->port, why);
	}
	ret = sc_profile_apply(&p, cfg);
	if (ret == CLIENT_OK)
		snprintf(cfg->profile, sizeof(cfg->profile), "%s", p.name);
	sc_profile_free(&p);
	return ret;
}

/* Walk the pairs after '?'; with only_profile, apply just profile=. */
static int walk_pairs(struct client_config *cfg, const char *q, int only_profile)
{
	unsigned seen = 0;

	for (const char *p = q; *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		int ret = CLIENT_OK;

		/* Tolerate "?" at the end and "&&", which editing leaves behind. */
		if (len && only_profile && strncmp(p, "profile=", 8) == 0) {
			char buf[PROFILE_NAME_MAX + 16], *value;

			ret = split_pair(cfg, p, len, buf, sizeof(buf), &value);
			if (!ret)
				ret = apply_profile(cfg, value);
		} else if (len && !only_profile) {
			ret = apply_pair(cfg, p, len, &seen);
		}
		if (ret)
			return ret;
		p += len;
		if (*p == '&')
			p++;
	}
	return CLIENT_OK;
}

SERIALCMD_API int client_config_parse(struct client_config *cfg, const char *spec)
{
	const char *q;
	size_t plen;
	int ret;

	if (!cfg || !spec)
		return sc_err_set(CLIENT_ERR_ARG, "client_config_parse: %s is NULL", cfg ? "spec" : "cfg");
	sc_err_clear();
	sc_config_defaults(cfg);
	q = strchr(spec, '?');
	plen = q ? (size_t)(q - spec) : strlen(spec);
	if (plen == 0)
		return sc_err_set(CLIENT_ERR_OPTION,
				  "spec '%.200s': empty port (expected e.g. /dev/ttyUSB0?baud=115200)", spec);
	if (plen >= sizeof(cfg->port))
		return sc_err_set(CLIENT_ERR_OPTION, "spec: port name too long (%zu bytes, at most %d)", plen,
				  CLIENT_PORT_MAX - 1);
	memcpy(cfg->port, spec, plen);
	cfg->port[plen] = '\0';
	/* The port's syntax is a bad option now, not a surprise at open. */
	ret = sc_transport_check_port(cfg->port);
	if (ret)
		return ret;
	if (!q)
		return CLIENT_OK;
	/* Duplicates are caught by the second walk, which sees every pair. */
	ret = walk_pairs(cfg, q + 1, 1);
	if (ret)
		return ret;
	return walk_pairs(cfg, q + 1, 0);
}

SERIALCMD_API struct client_config *client_config_new(const char *spec)
{
	struct client_config *cfg = malloc(sizeof(*cfg));

	if (!cfg) {
		sc_err_set(CLIENT_ERR_NOMEM, "client_config_new: out of memory");
		return NULL;
	}
	sc_config_defaults(cfg);
	if (spec && client_config_parse(cfg, spec) != CLIENT_OK) {
		free(cfg);
		return NULL;
	}
	sc_err_clear();
	return cfg;
}

SERIALCMD_API void client_config_free(struct client_config *cfg)
{
	free(cfg);
}

/* What messages about a config name: its port, once it has one. */
static const char *config_name(const struct client_config *cfg)
{
	return cfg->port[0] ? cfg->port : "config";
}

/* The option key names, or NULL with the error that lists every key. */
static const struct option_def *config_key(const struct client_config *cfg, const char *key)
{
	const struct option_def *o = sc_option_find(key);
	char keys[512];

	if (!o)
		sc_err_set(CLIENT_ERR_OPTION, "%s: unknown option '%s' (accepted keys: port, %s)",
			   config_name(cfg), key, sc_option_keys(keys, sizeof(keys), ", "));
	return o;
}

SERIALCMD_API int client_config_set(struct client_config *cfg, const char *key, const char *value)
{
	const struct option_def *o;
	int ret;

	if (!cfg || !key || !value)
		return sc_err_set(CLIENT_ERR_ARG, "client_config_set: %s is NULL",
				  !cfg	 ? "cfg"
				  : !key ? "key"
					 : "value");
	if (strcmp(key, "port") == 0) {
		if (!value[0] || strlen(value) >= sizeof(cfg->port))
			return sc_err_set(CLIENT_ERR_OPTION,
					  "%s: bad port '%.200s' (accepted: 1 to %d bytes)", config_name(cfg),
					  value, CLIENT_PORT_MAX - 1);
		ret = sc_transport_check_port(value);
		if (ret)
			return ret;
		snprintf(cfg->port, sizeof(cfg->port), "%s", value);
		sc_err_clear();
		return CLIENT_OK;
	}
	o = config_key(cfg, key);
	if (!o)
		return client_last_error();
	if (o->type == OPTION_PROFILE) {
		/* Applied to a copy, so a profile that fails leaves cfg as it was. */
		struct client_config *tmp = malloc(sizeof(*tmp));

		if (!tmp)
			return sc_err_set(CLIENT_ERR_NOMEM, "%s: out of memory", config_name(cfg));
		*tmp = *cfg;
		ret = apply_profile(tmp, value);
		if (ret == CLIENT_OK)
			*cfg = *tmp;
		free(tmp);
		if (ret)
			return ret;
	} else if (sc_option_parse(o, cfg, value) != 0) {
		return sc_option_bad_value(config_name(cfg), o, value);
	}
	sc_err_clear();
	return CLIENT_OK;
}

SERIALCMD_API int client_config_get(const struct client_config *cfg, const char *key, char *out, size_t size)
{
	const struct option_def *o;
	int fits;

	if (!cfg || !key || !out)
		return sc_err_set(CLIENT_ERR_ARG, "client_config_get: %s is NULL",
				  !cfg	 ? "cfg"
				  : !key ? "key"
					 : "out");
	if (strcmp(key, "port") == 0) {
		fits = size > strlen(cfg->port);
		if (fits)
			memcpy(out, cfg->port, strlen(cfg->port) + 1);
	} else {
		o = config_key(cfg, key);
		if (!o)
			return client_last_error();
		fits = size && sc_option_format(o, cfg, out, size) == 0;
	}
	if (!fits) {
		if (size)
			out[0] = '\0';
		return sc_err_set(CLIENT_ERR_ARG,
				  "client_config_get: the value of '%s' does not fit in %zu bytes", key,
				  size);
	}
	sc_err_clear();
	return CLIENT_OK;
}
