# SPDX-License-Identifier: MIT
# tests/reliability.mk - fuzzing, sanitizer builds, static analysis, coverage
# and the soak test; included by the Makefile. See SECURITY.md (what each
# one checks), tests/fuzz/README.md and COVERAGE.md.
#
#   make fuzz            libFuzzer targets, ASan+UBSan: build/fuzz/fuzz-*
#   make check-fuzz      each target for FUZZ_SECONDS (new inputs: build/fuzz/corpus/)
#   make fuzz-long       each target for FUZZ_LONG_SECONDS (600); executions per target
#                        in build/fuzz/long-summary.txt
#   make fuzz-merge      fold build/fuzz/corpus/ into tests/fuzz/corpus/ (minimised)
#   make check-asan      library + C tests with ASan+UBSan, in build/asan/
#   make check-tsan      library + C tests with TSan, in build/tsan/
#   make analyze         clang static analyzer + cppcheck (tests/analyze/)
#   make coverage        gcov build in build/coverage/, C and Python tests, report
#   make soak            SOAK_QUERIES (1,000,000) queries with faults; bench/soak-results.txt
#   make check-soak      the short soak (20,000 queries), part of make check
#
# Each kind of build (fuzz, asan, tsan, coverage) is a compiler and flags
# given to the Makefile's one library recipe (LIB_BUILD) and one test link
# rule (TEST_LINK); each has its own directory, build/<kind>/.

CLANG        ?= clang-14
CPPCHECK     ?= cppcheck
GCOVR        ?= gcovr

# C tests added by this file (they also run under valgrind, ASan and TSan).
TESTS += tests/test-faults tests/test-nomem tests/test-fuzz-corpus tests/test-hostile

# The allocation-failure test wraps the allocator for the library's objects.
WRAP_test-nomem := $(foreach f,malloc calloc realloc strdup free,-Wl,--wrap=$(f))
# The hostile-peer test deflates what its MCCP2 server sends.
WRAP_test-hostile := -lz
# The corpus replay stubs name resolution and the network connection.
WRAP_test-fuzz-corpus := -Wl,--wrap=sc_net_connect -Wl,--wrap=getaddrinfo

.PHONY: fuzz check-fuzz fuzz-long fuzz-merge check-asan check-tsan analyze coverage soak check-soak

# ---- fuzzing -----------------------------------------------------------------

FUZZ_TARGETS := spec reply profile session rfc2217 rfc2217-stream block values $(if $(wildcard udev/sanitize.c),sanitize udev-reply)
FUZZ_PROGS   := $(FUZZ_TARGETS:%=build/fuzz/fuzz-%)
# Seconds each target runs in check-fuzz (8 targets: about a minute in all).
FUZZ_SECONDS ?= 8
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# NOSAN_<file> := -fno-sanitize=... silences one sanitizer check for one
# library file in the fuzz and ASan builds, for a known, reported finding
# while its fix is pending (none at present).
WRAP_fuzz-spec    := -Wl,--wrap=getaddrinfo
WRAP_fuzz-rfc2217 := -Wl,--wrap=sc_net_connect
WRAP_fuzz-rfc2217-stream := -Wl,--wrap=sc_net_connect

fuzz_CC    = $(CLANG)
fuzz_FLAGS = -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(NOSAN_$*)
$(eval $(call LIB_BUILD,fuzz))

build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz-common.h tests/fuzz/fuzz-socket.h $(fuzz_LIB)
	$(fuzz_CC) $(ALL_CFLAGS) -O1 $(FUZZ_SAN) -fsanitize=fuzzer $< $(EXTRA_$(notdir $@)) $(fuzz_LIB) -o $@ $(LDFLAGS) $(LIBS) $(WRAP_$(notdir $@))

build/fuzz/fuzz-sanitize: udev/sanitize.c udev/sanitize.h
# The udev helper's answer handling: identify.c (in the library) and sanitize.c.
build/fuzz/fuzz-udev-reply: udev/sanitize.c udev/sanitize.h
EXTRA_fuzz-udev-reply := udev/sanitize.c
# The profile target also parses the simulator's sections.
build/fuzz/fuzz-profile: devices/sim/sim-profile.c devices/sim/sim-profile.h
EXTRA_fuzz-profile := -Idevices/sim devices/sim/sim-profile.c
# The recording reader and the profile made from a recording (which must load).
SESSION_SRC := devices/sim/sim-session.c devices/sim/sim-to-profile.c devices/sim/sim-profile.c
build/fuzz/fuzz-session: $(SESSION_SRC) devices/sim/sim-session.h devices/sim/sim.h devices/sim/sim-profile.h
EXTRA_fuzz-session := -Idevices/sim $(SESSION_SRC)

fuzz: $(FUZZ_PROGS)

# New coverage goes to build/fuzz/corpus/<target> (libFuzzer writes to the
# first directory it is given); the checked-in seeds are read, never written.
# A crash leaves its input in build/fuzz/crashes/ and fails the target.
check-fuzz: fuzz
	@mkdir -p build/fuzz/crashes
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus/$$t; \
		echo "== fuzz-$$t ($(FUZZ_SECONDS) s)"; \
		ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
		./build/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 -max_len=4096 \
			-print_final_stats=1 -close_fd_mask=1 -artifact_prefix=build/fuzz/crashes/$$t- \
			build/fuzz/corpus/$$t tests/fuzz/corpus/$$t > build/fuzz/$$t.log 2>&1 \
			|| { tail -n 60 build/fuzz/$$t.log; echo "fuzz-$$t FAILED: input in build/fuzz/crashes/"; exit 1; }; \
		grep -E '^stat::number_of_executed_units|^stat::new_units_added' build/fuzz/$$t.log | tr '\n' ' '; \
		echo "build/fuzz/corpus/$$t: $$(ls build/fuzz/corpus/$$t | wc -l) files"; \
	done; echo "check-fuzz: $(words $(FUZZ_TARGETS)) targets, no crash"

# The long run: every target FUZZ_LONG_SECONDS (default 10 minutes) each,
# the same way as check-fuzz; the executions and new inputs per target are
# collected in build/fuzz/long-summary.txt (for release notes and issues).
FUZZ_LONG_SECONDS ?= 600

fuzz-long: fuzz
	@mkdir -p build/fuzz/crashes
	@rm -f build/fuzz/long-summary.txt
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus/$$t; \
		echo "== fuzz-$$t ($(FUZZ_LONG_SECONDS) s)"; \
		ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
		./build/fuzz/fuzz-$$t -max_total_time=$(FUZZ_LONG_SECONDS) -timeout=10 -rss_limit_mb=1024 -max_len=4096 \
			-print_final_stats=1 -close_fd_mask=1 -artifact_prefix=build/fuzz/crashes/$$t- \
			build/fuzz/corpus/$$t tests/fuzz/corpus/$$t > build/fuzz/$$t-long.log 2>&1 \
			|| { tail -n 60 build/fuzz/$$t-long.log; echo "fuzz-$$t FAILED: input in build/fuzz/crashes/"; exit 1; }; \
		printf 'fuzz-%s: %s s, %s executions, %s new inputs\n' $$t $(FUZZ_LONG_SECONDS) \
			"$$(sed -n 's/^stat::number_of_executed_units: *//p' build/fuzz/$$t-long.log)" \
			"$$(sed -n 's/^stat::new_units_added: *//p' build/fuzz/$$t-long.log)" \
			| tee -a build/fuzz/long-summary.txt; \
	done; echo "fuzz-long: $(words $(FUZZ_TARGETS)) targets, no crash (build/fuzz/long-summary.txt)"

# Minimise what the runs found into the repository's corpus (then review
# and commit tests/fuzz/corpus/).
fuzz-merge: fuzz
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus/$$t; \
		./build/fuzz/fuzz-$$t -merge=1 -max_len=4096 tests/fuzz/corpus/$$t build/fuzz/corpus/$$t 2>&1 | tail -n 1; \
	done

# ---- sanitizer builds --------------------------------------------------------

asan_CC        = $(CLANG)
asan_FLAGS     = -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer $(NOSAN_$*)
tsan_CC        = $(CLANG)
tsan_FLAGS     = -O1 -fsanitize=thread
coverage_CC    = gcc
coverage_FLAGS = -O0 --coverage -fPIC

$(eval $(call TESTED_KIND,asan))
$(eval $(call TESTED_KIND,tsan))
$(eval $(call TESTED_KIND,coverage))

# Run every C test of a kind; the simulator they start is the normal build.
# $(1): kind, $(2): environment.
define RUN_TESTS
@set -e; n=0; for t in $($(1)_TESTS); do \
		echo "== $(1) $$t"; $(2) ./$$t; n=$$((n + 1)); \
	done; echo "$(1): $$n C test programs passed"
endef

ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TSAN_ENV := TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

check-asan: all
	$(MAKE) $(asan_TESTS)
	$(call RUN_TESTS,asan,$(ASAN_ENV))

check-tsan: all
	$(MAKE) $(tsan_TESTS)
	$(call RUN_TESTS,tsan,$(TSAN_ENV))

# ---- static analysis ---------------------------------------------------------

# Sources checked: the library, the tools, the udev helper (when present).
ANALYZE_SRC := $(LIB_SRC) $(wildcard devices/sim/*.c tools/*.c examples/*.c udev/*.c)
ANALYZE_CHECKERS := security.FloatLoopCounter security.insecureAPI.strcpy valist nullability

analyze:
	@mkdir -p build/analyze
	@rm -f build/analyze/clang.log.tmp
	@echo "== clang static analyzer ($(words $(ANALYZE_SRC)) files)"
	@set -e; status=0; for f in $(ANALYZE_SRC); do \
		$(CLANG) --analyze $(ALL_CFLAGS) $(PATH_DEFS) -Idevices/sim -Iudev \
			-Xanalyzer -analyzer-output=text $(ANALYZE_CHECKERS:%=-Xanalyzer -analyzer-checker=%) \
			-o /dev/null $$f 2>> build/analyze/clang.log.tmp || status=1; \
	done; \
	mv build/analyze/clang.log.tmp build/analyze/clang.log; \
	if [ $$status -ne 0 ]; then cat build/analyze/clang.log; echo "analyze: clang failed"; exit 1; fi; \
	$(PY) tests/analyze/check-clang.py build/analyze/clang.log tests/analyze/clang-analyzer.supp \
		|| { echo "analyze: unexplained clang analyzer findings (details: build/analyze/clang.log)"; exit 1; }
	@echo "== cppcheck"
	@$(CPPCHECK) --quiet --std=c11 --enable=warning,portability,performance --inline-suppr \
		--suppressions-list=tests/analyze/cppcheck.supp --error-exitcode=1 --template=gcc \
		-D_GNU_SOURCE -D__GNUC__ -Iinclude -Ilib -Idevices/sim -Iudev $(ANALYZE_SRC) 2> build/analyze/cppcheck.log \
		|| { cat build/analyze/cppcheck.log; echo "analyze: cppcheck findings (build/analyze/cppcheck.log)"; exit 1; }
	@if grep -q . build/analyze/cppcheck.log; then cat build/analyze/cppcheck.log; \
		echo "analyze: cppcheck findings"; exit 1; fi
	@echo "analyze: clang analyzer and cppcheck: no unexplained findings in $(words $(ANALYZE_SRC)) files (reasons: tests/analyze/*.supp)"

# ---- coverage ------------------------------------------------------------------

$(eval $(call SHARED_LIB,coverage,build/coverage/libserialcmd.so.1))

coverage: all
	find build/coverage -name '*.gcda' -delete 2>/dev/null || true
	$(MAKE) $(coverage_TESTS) build/coverage/libserialcmd.so.1
	$(call RUN_TESTS,coverage,)
	SERIALCMD_LIBRARY=$(CURDIR)/build/coverage/libserialcmd.so.1 $(PY) -m pytest -q -p no:cacheprovider tests
	$(GCOVR) --root . --filter 'lib/' --exclude-unreachable-branches \
		--html-details build/coverage/index.html --txt build/coverage/coverage.txt \
		--print-summary build/coverage/obj | tee build/coverage/summary.txt
	@echo "coverage: per file in build/coverage/coverage.txt, annotated in build/coverage/index.html"

# ---- soak ----------------------------------------------------------------------

SOAK_QUERIES ?= 1000000

# The soak test is a normal-kind test built from tests/soak.c.
$(eval $(call TEST_LINK,normal,build/soak/test-))

check-soak: all build/soak/test-soak
	SOAK_QUERIES=20000 ./build/soak/test-soak

soak: all build/soak/test-soak
	SOAK_QUERIES=$(SOAK_QUERIES) SOAK_RESULTS=bench/soak-results.txt ./build/soak/test-soak
