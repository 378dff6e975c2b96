/* SPDX-License-Identifier: MIT */
/* sanitize-driver - feed stdin to sanitize_value() and print the result, so
 * that tests (and, later, a fuzzer) can drive udev/sanitize.c alone.
 *
 *     sanitize-driver SIZE < input     prints the value, then "\n<length>\n"
 *
 * It checks the function's promises itself and exits 1 if one is broken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

#define MAX_INPUT (1 << 20)

int main(int argc, char **argv)
{
	static char in[MAX_INPUT];
	size_t len, size, n;
	char *out;

	if (argc != 2)
		return 2;
	size = strtoul(argv[1], NULL, 10);
	len = fread(in, 1, sizeof(in), stdin);
	/* One guard byte after the buffer: nothing may be written there. */
	out = malloc(size + 1);
	if (!out)
		return 2;
	out[size] = '#';
	n = sanitize_value(out, size, in, len);
	if (out[size] != '#' || (size && (n >= size || out[n] != '\0')) || (!size && n))
		return 1;
	for (size_t i = 0; i < n; i++)
		if (!sanitize_keep((unsigned char)out[i]))
			return 1;
	fwrite(out, 1, n, stdout);
	printf("\n%zu\n", n);
	free(out);
	return 0;
}
