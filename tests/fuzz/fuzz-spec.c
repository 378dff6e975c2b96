/* SPDX-License-Identifier: MIT */
/* fuzz-spec.c - the spec string parser (client_config_parse,
 * client_config_new), and the HOST:PORT parser of network ports, fed any
 * bytes up to the first NUL.
 *
 * Invariants: a spec is accepted or refused the same way by both entry
 * points and gives the same config; an accepted config passes the checks
 * client_open() makes (port non-empty and equal to the text before '?',
 * terminators of legal length, values in range); a refusal is a negative
 * code with a message; nothing leaks.
 *
 * profile=NAME reads files: names are looked up only in the profile
 * directories, but a value with '/' is a path, so such specs are skipped
 * (a fuzzer must never open /dev/ttyS0 or wait on /dev/stdin).
 * Network ports are parsed with name resolution stubbed out: nothing is
 * resolved or connected. */
#include <netdb.h>

#include "fuzz-common.h"
#include "net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Built together with fuzz-rfc2217.c (tests/test-fuzz-corpus), whose stub
 * takes sc_net_connect's place, the real one is __real_sc_net_connect. */
#ifdef FUZZ_SPEC_REAL_NET_CONNECT
int __real_sc_net_connect(const char *port, const char *scheme, int64_t deadline_ns, int *fd);
#define spec_net_connect __real_sc_net_connect
#else
#define spec_net_connect sc_net_connect
#endif
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);

/* Resolution stub: check what the HOST:PORT parser hands over, resolve
 * nothing. */
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	char *end;
	unsigned long n;

	(void)hints;
	*res = NULL;
	FUZZ_CHECK(node && node[0] && strlen(node) < 256);
	FUZZ_CHECK(service && service[0] >= '1' && service[0] <= '9');
	n = strtoul(service, &end, 10);
	FUZZ_CHECK(*end == '\0' && n >= 1 && n <= 65535);
	return EAI_NONAME;
}

/* Does any profile= pair name a path? Mirrors walk_pairs() in spec.c:
 * pairs follow the first '?', separated by '&'. */
static int spec_profile_is_path(const char *spec)
{
	const char *q = strchr(spec, '?');

	if (!q)
		return 0;
	for (const char *p = q + 1; *p;) {
		size_t len = strcspn(p, "&");

		if (len >= 8 && strncmp(p, "profile=", 8) == 0 && memchr(p + 8, '/', len - 8))
			return 1;
		p += len;
		if (*p == '&')
			p++;
	}
	return 0;
}

static void spec_check_config(const struct client_config *cfg, const char *spec)
{
	size_t plen = strcspn(spec, "?");

	FUZZ_CHECK(memchr(cfg->port, '\0', sizeof(cfg->port)) != NULL);
	FUZZ_CHECK(cfg->port[0] != '\0');
	FUZZ_CHECK(strlen(cfg->port) == plen && memcmp(cfg->port, spec, plen) == 0);
	FUZZ_CHECK(cfg->baud > 0);
	FUZZ_CHECK(cfg->bits >= 5 && cfg->bits <= 8);
	FUZZ_CHECK((unsigned)cfg->parity <= CLIENT_PARITY_SPACE);
	FUZZ_CHECK(cfg->stop == 1 || cfg->stop == 2);
	FUZZ_CHECK((unsigned)cfg->flow <= CLIENT_FLOW_DTRDSR);
	FUZZ_CHECK(cfg->read_eol_len >= 1 && cfg->read_eol_len <= CLIENT_EOL_MAX);
	FUZZ_CHECK(cfg->write_eol_len <= CLIENT_EOL_MAX);
	FUZZ_CHECK(cfg->timeout_ms >= 1 && cfg->timeout_ms <= 86400000u);
	FUZZ_CHECK(cfg->max_reply >= 1 && cfg->max_reply <= ((size_t)1 << 30));
	FUZZ_CHECK(cfg->exclusive == 0 || cfg->exclusive == 1);
	FUZZ_CHECK(cfg->echo == 0 || cfg->echo == 1);
	FUZZ_CHECK(memchr(cfg->profile, '\0', sizeof(cfg->profile)) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client_config cfg, *cfg2;
	char *spec;
	int ret;

	if (size > 65536)
		return 0;
	spec = malloc(size + 1);
	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	if (spec_profile_is_path(spec)) {
		free(spec);
		return 0;
	}

	ret = client_config_parse(&cfg, spec);
	if (ret == CLIENT_OK) {
		FUZZ_CHECK(client_last_error() == CLIENT_OK);
		FUZZ_CHECK(client_last_message()[0] == '\0');
		spec_check_config(&cfg, spec);
	} else {
		fuzz_check_error(ret);
		FUZZ_CHECK(ret == CLIENT_ERR_OPTION || ret == CLIENT_ERR_IO || ret == CLIENT_ERR_NOMEM);
	}

	cfg2 = client_config_new(spec);
	FUZZ_CHECK((cfg2 != NULL) == (ret == CLIENT_OK));
	if (cfg2) {
		FUZZ_CHECK(memcmp(cfg2, &cfg, sizeof(cfg)) == 0);
		client_config_free(cfg2);
	}

	/* Network ports: the HOST:PORT parser, with resolution stubbed. */
	if (ret == CLIENT_OK) {
		static const char *const schemes[] = { "tcp://", "rfc2217://" };

		for (size_t i = 0; i < ARRAY_SIZE(schemes); i++) {
			int fd = -1;

			if (strncmp(cfg.port, schemes[i], strlen(schemes[i])) != 0)
				continue;
			ret = spec_net_connect(cfg.port, schemes[i], sc_clock_deadline_ns(10), &fd);
			FUZZ_CHECK(ret != CLIENT_OK && fd == -1);
			fuzz_check_error(ret);
			FUZZ_CHECK(ret == CLIENT_ERR_OPTION || ret == CLIENT_ERR_NOHOST);
		}
	}
	free(spec);
	return 0;
}
