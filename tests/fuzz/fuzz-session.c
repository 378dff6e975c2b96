/* SPDX-License-Identifier: MIT */
/* fuzz-session.c - the replay's recording reader (sim_session_load(), the
 * simulator's small JSON reader) fed any file content, and the profile made
 * from what it accepts (sim_session_to_profile()).
 *
 * The content goes to an anonymous in-memory file (memfd) read through its
 * /proc/self/fd path, as in fuzz-profile.c.
 *
 * Invariants: a refusal says why in printable text that names the file; an
 * accepted recording has a header, and every record belongs to one, is of a
 * known kind and has its byte strings inside the file's buffer (decoded in
 * place: never longer than their text); the profile made from it is
 * printable ASCII lines and loads in the simulator; nothing leaks. */
#include "fuzz-common.h"
#include "sim-session.h"
#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_session_printable(const char *s, size_t n, int newlines)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 0x20 && s[i] < 0x7f) || (newlines && s[i] == '\n')))
			return 0;
	return 1;
}

static void fuzz_session_bytes_inside(const struct sim_session *ss, size_t size, const struct sim_bytes *b)
{
	FUZZ_CHECK(b->len == 0 || (b->data >= ss->text && b->data + b->len <= ss->text + size));
}

/* The profile made from ss: printable lines, and the simulator loads it. */
static void fuzz_session_profile(const struct sim_session *ss)
{
	struct sim_profile sp;
	char path[64], *text;
	int fd = memfd_create("fuzz.profile", MFD_CLOEXEC);
	FILE *f;
	long n;

	FUZZ_CHECK(fd >= 0);
	f = fdopen(dup(fd), "w+");
	FUZZ_CHECK(f != NULL);
	FUZZ_CHECK(sim_session_to_profile(ss, f) == 0);
	n = ftell(f);
	FUZZ_CHECK(n > 0);
	text = malloc((size_t)n);
	FUZZ_CHECK(text != NULL);
	rewind(f);
	FUZZ_CHECK(fread(text, 1, (size_t)n, f) == (size_t)n);
	FUZZ_CHECK(fuzz_session_printable(text, (size_t)n, 1));
	FUZZ_CHECK(text[n - 1] == '\n');
	free(text);
	fclose(f);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (sim_profile_load_file(path, &sp) != CLIENT_OK) {
		fprintf(stderr, "the profile made from the recording does not load: %s\n", client_last_message());
		FUZZ_CHECK(!"a made profile loads");
	}
	sim_profile_free(&sp);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_session ss;
	char path[64], err[1024], warn[1024];
	int fd;

	fd = fuzz_as_file("fuzz.session", data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	if (sim_session_load(path, &ss, err, sizeof(err), warn, sizeof(warn)) != 0) {
		FUZZ_CHECK(strstr(err, path) == err);
		FUZZ_CHECK(fuzz_session_printable(err, strlen(err), 0));
		FUZZ_CHECK(ss.text == NULL && ss.recs == NULL && ss.headers == NULL && ss.path == NULL);
		close(fd);
		return 0;
	}
	FUZZ_CHECK(fuzz_session_printable(warn, strlen(warn), 0));
	FUZZ_CHECK(ss.nheaders >= 1 && ss.headers != NULL);
	for (size_t i = 0; i < ss.nheaders; i++) {
		FUZZ_CHECK(ss.headers[i].write_eol_len <= SIM_SESSION_EOL_MAX);
		FUZZ_CHECK(ss.headers[i].read_eol_len <= SIM_SESSION_EOL_MAX);
	}
	for (size_t i = 0; i < ss.nrecs; i++) {
		const struct sim_record *r = &ss.recs[i];

		FUZZ_CHECK(r->header < ss.nheaders);
		FUZZ_CHECK(r->kind == SIM_REC_QUERY || r->kind == SIM_REC_WRITE || r->kind == SIM_REC_READ);
		FUZZ_CHECK(r->line >= 2 && (i == 0 || r->line > ss.recs[i - 1].line));
		FUZZ_CHECK(r->t >= 0);
		fuzz_session_bytes_inside(&ss, size, &r->cmd);
		fuzz_session_bytes_inside(&ss, size, &r->wire);
		fuzz_session_bytes_inside(&ss, size, &r->drained);
		FUZZ_CHECK(r->kind != SIM_REC_READ || r->cmd.len == 0);
	}
	fuzz_session_profile(&ss);
	sim_session_free(&ss);
	close(fd);
	return 0;
}
