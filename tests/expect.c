/* SPDX-License-Identifier: MIT */
/* expect.c - checks the C tests share, and a private profile directory. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "expect.h"
#include "internal.h"

void expect_reply(struct client *c, const char *cmd, const char *want, size_t len)
{
	struct client_ret *r = client_send_cmd_reply(c, cmd);

	if (!r)
		fail_msg("'%s': %s", cmd, client_last_message());
	if (r->len != len || memcmp(r->ret_data, want, len) != 0)
		fail_msg("'%s': got %zu bytes, wanted %zu", cmd, r->len, len);
	assert_int_equal(r->ret_data[len], '\0');
	client_free_ret(r);
}

void expect_error(struct client *c, const char *cmd, int code, const char *fragment)
{
	struct client_ret *r = client_send_cmd_reply(c, cmd);

	if (r) {
		client_free_ret(r);
		fail_msg("'%s' succeeded, wanted %s", cmd, client_error_name(code));
	}
	if (client_last_error() != code)
		fail_msg("'%s': got %s (%s), wanted %s", cmd, client_error_name(client_last_error()),
			 client_last_message(), client_error_name(code));
	if (fragment && !strstr(client_last_message(), fragment))
		fail_msg("'%s': message '%s' lacks '%s'", cmd, client_last_message(), fragment);
}

int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

long proc_status_kib(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	assert_true(v >= 0);
	return v;
}

int under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

struct client *open_spec(const char *spec)
{
	struct client *c = client_init_py(spec);

	if (!c)
		fail_msg("open %s: %s", spec, client_last_message());
	return c;
}

int64_t ms_since(int64_t t0)
{
	return (sc_clock_now_ns() - t0) / 1000000;
}

char profile_dir[64];

/* SERIALCMD_DEVICES as it was at start, with this tree's profiles added. */
static char tree_devices[4096];

/* The library searches only $SERIALCMD_DEVICES and its installed data dir,
 * never the tree it was built in: every C test (and the simulators it
 * starts) finds this tree's profiles through the variable, set before main.
 * Directories the caller put there come first. */
__attribute__((constructor)) static void tree_profiles(void)
{
	const char *env = getenv("SERIALCMD_DEVICES");

	snprintf(tree_devices, sizeof(tree_devices), "%s%s%s", env && env[0] ? env : "",
		 env && env[0] ? ":" : "", SERIALCMD_TEST_PROFILES);
	setenv("SERIALCMD_DEVICES", tree_devices, 1);
}

int profile_dir_make(void **state)
{
	char dirs[sizeof(tree_devices) + sizeof(profile_dir)];

	(void)state;
	snprintf(profile_dir, sizeof(profile_dir), "/tmp/serialcmd-profiles-XXXXXX");
	if (!mkdtemp(profile_dir))
		return -1;
	snprintf(dirs, sizeof(dirs), "%s:%s", profile_dir, tree_devices);
	return setenv("SERIALCMD_DEVICES", dirs, 1);
}

int profile_dir_remove(void **state)
{
	DIR *d = opendir(profile_dir);
	struct dirent *de;
	char path[128];

	(void)state;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%.40s", profile_dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(profile_dir);
	return setenv("SERIALCMD_DEVICES", tree_devices, 1);
}

void profile_dir_write(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.profile", profile_dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}
