/* SPDX-License-Identifier: MIT */
/* serialcmd-query.c - the smallest useful C client: send each command, print
 * each reply; the README's C example, built and run by `make demo`. */
#include <stdio.h>

#include <serialcmd.h>

int main(int argc, char **argv)
{
	struct client *c;
	int status = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: serialcmd-query SPEC COMMAND...\n");
		return 2;
	}
	c = client_init_py(argv[1]);
	if (!c) {
		fprintf(stderr, "%s: %s\n", client_error_name(client_last_error()), client_last_message());
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		struct client_ret *r = client_send_cmd_reply(c, argv[i]);

		if (!r) {
			fprintf(stderr, "%s: %s\n", client_error_name(client_last_error()),
				client_last_message());
			status = 1;
			continue;
		}
		fwrite(r->ret_data, 1, r->len, stdout);
		putchar('\n');
		client_free_ret(r);
	}
	client_destroy(c);
	return status;
}
