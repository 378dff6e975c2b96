/* expect.c - checks the C tests share. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

struct client *open_spec(const char *spec)
{
	struct client *c = client_init_py(spec);

	if (!c)
		fail_msg("open %s: %s", spec, client_last_message());
	return c;
}

int64_t ms_since(int64_t t0)
{
	return (clock_now_ns() - t0) / 1000000;
}
