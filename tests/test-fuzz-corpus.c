/* SPDX-License-Identifier: MIT */
/* test-fuzz-corpus.c - every fuzz target (tests/fuzz/fuzz-*.c) run over its
 * checked-in corpus (tests/fuzz/corpus/<target>/), which holds the seeds
 * and every input that ever crashed a target: the fuzzers' invariants
 * become part of make check, valgrind, ASan and TSan runs, with no
 * libFuzzer needed. Each target is included here with its entry point
 * renamed; see tests/fuzz/README.md. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#define FUZZ_SPEC_REAL_NET_CONNECT 1
#define LLVMFuzzerTestOneInput fuzz_spec_one
#include "fuzz/fuzz-spec.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_reply_one
#include "fuzz/fuzz-reply.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_profile_one
#include "fuzz/fuzz-profile.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_session_one
#include "fuzz/fuzz-session.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_rfc2217_one
#include "fuzz/fuzz-rfc2217.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_rfc2217_stream_one
#include "fuzz/fuzz-rfc2217-stream.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_block_one
#include "fuzz/fuzz-block.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_values_one
#include "fuzz/fuzz-values.c"
#undef LLVMFuzzerTestOneInput
#if __has_include("../udev/sanitize.c")
#define HAVE_SANITIZE 1
#define LLVMFuzzerTestOneInput fuzz_sanitize_one
#include "fuzz/fuzz-sanitize.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_udev_reply_one
#include "fuzz/fuzz-udev-reply.c"
#undef LLVMFuzzerTestOneInput
#endif

#define CORPUS "tests/fuzz/corpus/"
#define REPLAY_MAX_INPUT (1 << 20)
#define REPLAY_MAX_FILES 10000

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

/* Run fn over every file in CORPUS/name; fails if there is none. */
static void replay(const char *name, fuzz_fn fn)
{
	char dir[256], path[512];
	uint8_t *buf = malloc(REPLAY_MAX_INPUT);
	DIR *d;
	struct dirent *de;
	int files = 0;

	assert_non_null(buf);
	snprintf(dir, sizeof(dir), CORPUS "%s", name);
	d = opendir(dir);
	if (!d)
		fail_msg("%s: no corpus (run the tests from the top of the tree)", dir);
	while ((de = readdir(d)) && files < REPLAY_MAX_FILES) {
		struct stat st;
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "%s/%.200s", dir, de->d_name);
		if (de->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		f = fopen(path, "rb");
		assert_non_null(f);
		n = fread(buf, 1, REPLAY_MAX_INPUT, f);
		fclose(f);
		/* A copy of exactly n bytes, so ASan sees reads past the end. */
		{
			uint8_t *in = malloc(n ? n : 1);

			assert_non_null(in);
			memcpy(in, buf, n);
			fn(in, n);
			free(in);
		}
		files++;
	}
	closedir(d);
	free(buf);
	print_message("%s: %d inputs\n", name, files);
	assert_true(files > 0);
}

static void test_corpus_spec(void **state)
{
	(void)state;
	replay("spec", fuzz_spec_one);
}

static void test_corpus_reply(void **state)
{
	(void)state;
	replay("reply", fuzz_reply_one);
}

static void test_corpus_profile(void **state)
{
	(void)state;
	replay("profile", fuzz_profile_one);
}

static void test_corpus_session(void **state)
{
	(void)state;
	replay("session", fuzz_session_one);
}

static void test_corpus_rfc2217(void **state)
{
	(void)state;
	replay("rfc2217", fuzz_rfc2217_one);
}

/* The stream target reads the same input format: it replays both corpora. */
static void test_corpus_rfc2217_stream(void **state)
{
	(void)state;
	replay("rfc2217-stream", fuzz_rfc2217_stream_one);
	replay("rfc2217", fuzz_rfc2217_stream_one);
}

static void test_corpus_block(void **state)
{
	(void)state;
	replay("block", fuzz_block_one);
}

static void test_corpus_values(void **state)
{
	(void)state;
	replay("values", fuzz_values_one);
}

/* Regressions: inputs that once crashed a target, by name. */
static void replay_file(const char *path, fuzz_fn fn)
{
	uint8_t buf[4096];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		fail_msg("%s: missing", path);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	fn(buf, n);
}

/* An MCCP2 start nobody negotiated (IAC SB COMPRESS2 IAC SE) and a deflated
 * stream of 8 lines of 64 bytes, 28 input bytes in all: libtelnet (Debian's,
 * with zlib) inflated it, and the first reply alone (64 bytes and the
 * terminator) was more than the 26 bytes the server sent ("invariant
 * failed: total <= in.n", an abort, on a06f386; a longer stream lost the
 * bytes past the 16 KiB receive room). Now a protocol error; both RFC 2217
 * targets check it. */
static void test_regress_rfc2217_mccp2(void **state)
{
	(void)state;
	replay_file(CORPUS "rfc2217/regress-mccp2", fuzz_rfc2217_one);
	replay_file(CORPUS "rfc2217/regress-mccp2", fuzz_rfc2217_stream_one);
}

/* An empty COM-PORT-OPTION sub-negotiation from the server (IAC SB 44 IAC
 * SE): libtelnet hands over a NULL buffer of size 0 and comport_answer()
 * computed NULL + 1 before checking the size (UBSan: pointer overflow,
 * found by fuzz-rfc2217, since fixed). The ASan+UBSan build of this test
 * (make check-asan) is what catches a regression. */
static void test_regress_rfc2217_empty_sb(void **state)
{
	(void)state;
	replay_file(CORPUS "rfc2217/regress-empty-sb", fuzz_rfc2217_one);
}

/* A profile whose [errors] query holds a byte that is not printable: refused
 * when loaded, naming its line, as it would be refused in a spec. */
static void test_regress_profile_errors_query(void **state)
{
	static const char path[] = CORPUS "profile/regress-errors-query";
	struct profile p;

	(void)state;
	replay_file(path, fuzz_profile_one);
	assert_int_equal(sc_profile_load_file(path, &p), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), "line 3"));
	assert_non_null(strstr(client_last_message(), "[errors]"));
}

static void test_corpus_udev_reply(void **state)
{
	(void)state;
#ifdef HAVE_SANITIZE
	replay("udev-reply", fuzz_udev_reply_one);
#else
	skip();
#endif
}

static void test_corpus_sanitize(void **state)
{
	(void)state;
#ifdef HAVE_SANITIZE
	replay("sanitize", fuzz_sanitize_one);
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_spec),
		cmocka_unit_test(test_corpus_reply),
		cmocka_unit_test(test_corpus_profile),
		cmocka_unit_test(test_corpus_session),
		cmocka_unit_test(test_corpus_rfc2217),
		cmocka_unit_test(test_corpus_rfc2217_stream),
		cmocka_unit_test(test_corpus_block),
		cmocka_unit_test(test_corpus_values),
		cmocka_unit_test(test_corpus_sanitize),
		cmocka_unit_test(test_corpus_udev_reply),
		cmocka_unit_test(test_regress_rfc2217_empty_sb),
		cmocka_unit_test(test_regress_rfc2217_mccp2),
		cmocka_unit_test(test_regress_profile_errors_query),
	};

	return cmocka_run_group_tests_name("fuzz corpus replay", tests, NULL, NULL);
}
