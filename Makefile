# SPDX-License-Identifier: MIT
# Makefile - builds libserialcmd, its tools and tests; see README.md.
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
PCDIR   ?= $(LIBDIR)/pkgconfig
DATADIR ?= $(PREFIX)/share/serialcmd
MANDIR  ?= $(PREFIX)/share/man
# udev/: rules, their identify helper and the unit they start (udev/README.md)
LIBEXECDIR     ?= $(PREFIX)/lib/serialcmd
UDEVRULESDIR   ?= $(PREFIX)/lib/udev/rules.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
UDEV_HELPER    ?= $(LIBEXECDIR)/serialcmd-udev-id
UDEV_TIMEOUT_MS ?= 3000
UDEV_OUT := udev/gen-rules udev/serialcmd-udev-id udev/70-serialcmd.rules
DESTDIR ?=

VERSION := 1.0.0
SOMAJOR := 1

CC      ?= cc
PY      ?= /usr/bin/python3
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
# CPPFLAGS, CFLAGS and LDFLAGS are the user's (or dpkg-buildflags'): every
# compile takes CPPFLAGS and CFLAGS, every link LDFLAGS (check-hardening).
CFLAGS  ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=
ALL_CFLAGS = -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -Ilib $(CPPFLAGS) $(CFLAGS)
# Profiles are looked up on $SERIALCMD_DEVICES, then in the installed data
# dir: never in this tree, whose path the library must not carry (check-paths).
# The tests find this tree's profiles through SERIALCMD_DEVICES, which they
# set (tests/expect.c, tests/python/conftest.py) to TEST_PROFILES.
PATH_DEFS = -DSERIALCMD_DATADIR='"$(DATADIR)"'
TEST_PROFILES = $(CURDIR)/devices/profiles
LIBS    := -lserialport -ltelnet -lpthread

# The library's sources, compiled once per kind of build by LIB_BUILD below.
LIB_SRC := $(wildcard lib/*.c)
LIB_HDR := $(wildcard lib/*.h) include/serialcmd.h

SONAME  := libserialcmd.so.$(SOMAJOR)
# The real file, its soname link (what programs load) and the link for -l.
REALSO  := lib/libserialcmd.so.$(VERSION)
SO      := lib/$(SONAME)
# What it exports, under the version node SERIALCMD_1.0; the Debian symbols
# file lists the same (check-exports).
VERSION_SCRIPT := lib/libserialcmd.map
SYMBOLS_FILE   := debian/libserialcmd1.symbols
# The installed archive: one object whose internal symbols are local.
AR_LIB  := lib/libserialcmd.a
# What tests and internal tools link: every symbol global, seams wrappable.
INTERNAL_LIB := build/normal/libserialcmd-internal.a
LD      ?= ld
OBJCOPY ?= objcopy

TOOLS   := devices/sim/serialcmd-sim examples/serialcmd-query tools/serialcmd
TESTS   := tests/test-spec tests/test-reply tests/test-serial tests/test-loopback tests/test-profile tests/test-block tests/test-net tests/test-identify tests/test-ownreply tests/test-lines tests/test-live tests/test-into tests/test-record
# What every C test links besides its own file (with the simulator's profile
# sections, which test-profile checks, and its recording reader and profile
# writer, whose fuzz target test-fuzz-corpus replays).
TEST_HELPER_SRC = $(filter-out tests/test-%.c tests/soak.c,$(wildcard tests/*.c)) \
	devices/sim/sim-profile.c devices/sim/sim-session.c devices/sim/sim-to-profile.c

.PHONY: all clean install deps check check-spdx check-hardening check-install check-deb check-c check-python check-mypy check-valgrind check-hw check-exports check-layers check-paths demo FORCE
all: $(REALSO) $(SO) lib/libserialcmd.so $(AR_LIB) serialcmd.pc $(TOOLS) $(UDEV_OUT)

# ---- one recipe per kind of build --------------------------------------------
# A kind is a compiler and flags: <kind>_CC, <kind>_FLAGS. LIB_BUILD compiles
# LIB_SRC into build/<kind>/obj/ and archives the objects, every symbol still
# global, into build/<kind>/libserialcmd-internal.a (<kind>_OBJ, <kind>_LIB).
# The kinds: normal and pic here; asan, tsan, coverage and fuzz in
# tests/reliability.mk.
normal_CC     = $(CC)
normal_FLAGS  =
pic_CC        = $(CC)
pic_FLAGS     = -fPIC

define LIB_BUILD
$(1)_OBJ := $$(LIB_SRC:lib/%.c=build/$(1)/obj/%.o)
$(1)_LIB := build/$(1)/libserialcmd-internal.a

build/$(1)/obj/%.o: lib/%.c $$(LIB_HDR) build/paths.config
	@mkdir -p $$(dir $$@)
	$$($(1)_CC) $$(ALL_CFLAGS) $$($(1)_FLAGS) $$(PATH_DEFS) -fvisibility=hidden -c $$< -o $$@

build/$(1)/libserialcmd-internal.a: $$($(1)_OBJ)
	rm -f $$@
	$$(AR) rcs $$@ $$^
endef

# TEST_LINK links C tests against a kind's internal archive: $(1) the kind,
# $(2) where they go (tests/test-x from tests/test-x.c is "tests/").
define TEST_LINK
$(2)%: tests/%.c tests/*.h $$(TEST_HELPER_SRC) devices/sim/faults.h build/$(1)/libserialcmd-internal.a
	@mkdir -p $$(dir $$@)
	$$($(1)_CC) $$(ALL_CFLAGS) $$($(1)_FLAGS) -Idevices/sim -Itests \
		-DSERIALCMD_TEST_PROFILES='"$$(TEST_PROFILES)"' $$< $$(TEST_HELPER_SRC) \
		build/$(1)/libserialcmd-internal.a -o $$@ $$(LDFLAGS) $$(LIBS) -lcmocka -lutil -lm $$(WRAP_$$(notdir $$@))

$(2)test-fuzz-corpus: $$(wildcard tests/fuzz/*.c tests/fuzz/*.h udev/sanitize.c udev/sanitize.h)
endef

# SHARED_LIB links a kind's objects into a shared library: $(1) the kind,
# $(2) the file (pic: the library itself; coverage: an instrumented copy).
# Its exports and their version come from the version script alone; a name
# the script lists that the objects lack is an error (--no-undefined-version).
define SHARED_LIB
$(2): $$($(1)_OBJ) $$(VERSION_SCRIPT)
	$$($(1)_CC) $$($(1)_FLAGS) -shared -Wl,-soname,$$(SONAME) -Wl,--no-undefined \
		-Wl,--version-script=$$(VERSION_SCRIPT) -Wl,--no-undefined-version \
		$$(LDFLAGS) -o $$@ $$($(1)_OBJ) $$(LIBS)
endef

# A kind whose C tests run from build/<kind>/tests/ (<kind>_TESTS): the
# library and every test in TESTS, built with the kind's flags.
define TESTED_KIND
$(call LIB_BUILD,$(1))
$(call TEST_LINK,$(1),build/$(1)/tests/)
$(1)_TESTS = $$(TESTS:tests/%=build/$(1)/tests/%)
endef

$(eval $(call LIB_BUILD,normal))
$(eval $(call LIB_BUILD,pic))
$(eval $(call TEST_LINK,normal,tests/))
$(eval $(call SHARED_LIB,pic,$(REALSO)))

# Fuzzing, sanitizers, analysis, coverage, soak: their kinds (asan, tsan,
# coverage, fuzz) and their tests, added to TESTS.
include tests/reliability.mk

# The install paths compiled into the library (where profiles are found) and
# written into serialcmd.pc: rewritten only when they change, so that
# `make install PREFIX=...` after a plain `make` rebuilds what embeds them.
build/paths.config: FORCE
	@mkdir -p build
	@printf '%s\n' '$(PREFIX) $(LIBDIR) $(INCDIR) $(DATADIR) $(CURDIR)' | cmp -s - $@ || \
		printf '%s\n' '$(PREFIX) $(LIBDIR) $(INCDIR) $(DATADIR) $(CURDIR)' > $@

$(SO): $(REALSO)
	ln -sf $(notdir $(REALSO)) $@

lib/libserialcmd.so: $(SO)
	ln -sf $(notdir $(REALSO)) $@

# Only the public API stays global in the installed archive: the objects are
# linked into one (ld -r), whose hidden symbols (all but SERIALCMD_API) then
# become local, so sc_err_set or sc_net_connect cannot clash with a user's own.
build/normal/libserialcmd.o: $(normal_OBJ)
	$(LD) -r -o $@.tmp $^
	$(OBJCOPY) --localize-hidden $@.tmp $@
	rm -f $@.tmp

$(AR_LIB): build/normal/libserialcmd.o
	rm -f $@
	$(AR) rcs $@ $^

serialcmd.pc: Makefile build/paths.config
	printf 'prefix=%s\nlibdir=%s\nincludedir=%s\n\nName: serialcmd\nDescription: ASCII command/reply over serial lines\nVersion: %s\nRequires.private: libserialport libtelnet\nLibs: -L$${libdir} -lserialcmd\nLibs.private: -lpthread\nCflags: -I$${includedir}\n' \
		'$(PREFIX)' '$(LIBDIR)' '$(INCDIR)' '$(VERSION)' > $@

# Internal tools and tests link the internal archive: tests reach internal
# seams and wrap libserialport's calls, which only works on objects being linked.
SIM_SRC := devices/sim/sim-main.c devices/sim/sim-io.c devices/sim/sim-scpi.c devices/sim/sim-faulty.c devices/sim/sim-wave.c \
	devices/sim/sim-replay.c devices/sim/sim-session.c devices/sim/sim-to-profile.c \
	devices/sim/sim-profile.c
SIM_OBJ := $(SIM_SRC:devices/sim/%.c=build/normal/sim/%.o)
build/normal/sim/%.o: devices/sim/%.c devices/sim/sim.h devices/sim/sim-profile.h devices/sim/sim-session.h devices/sim/faults.h $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Idevices/sim -c $< -o $@

devices/sim/serialcmd-sim: $(SIM_OBJ) $(INTERNAL_LIB)
	$(CC) $(ALL_CFLAGS) $(SIM_OBJ) $(INTERNAL_LIB) -o $@ $(LDFLAGS) $(LIBS) -lutil -lm

# udev: the rules are generated from the profiles; the helper links the
# internal archive, so that it needs no library path when udev runs it.
udev/gen-rules: udev/gen-rules.c lib/profile.h lib/bridges.h $(INTERNAL_LIB)
	$(CC) $(ALL_CFLAGS) $< $(INTERNAL_LIB) -o $@ $(LDFLAGS) $(LIBS)

udev/serialcmd-udev-id: udev/serialcmd-udev-id.c udev/sanitize.c udev/sanitize.h lib/profile.h lib/identify.h $(INTERNAL_LIB)
	$(CC) $(ALL_CFLAGS) -Iudev udev/serialcmd-udev-id.c udev/sanitize.c $(INTERNAL_LIB) -o $@ $(LDFLAGS) $(LIBS)

udev/70-serialcmd.rules: udev/gen-rules devices/profiles $(wildcard devices/profiles/*.profile) udev/rules.config
	udev/gen-rules --helper='$(UDEV_HELPER)' --timeout-ms='$(UDEV_TIMEOUT_MS)' -o $@ devices/profiles

# Rewritten only when the helper's path or deadline change, so the rules follow.
udev/rules.config: FORCE
	@printf '%s\n' '$(UDEV_HELPER) $(UDEV_TIMEOUT_MS)' | cmp -s - $@ || printf '%s\n' '$(UDEV_HELPER) $(UDEV_TIMEOUT_MS)' > $@
FORCE:

# Programs link the shared library, as a user's program would. The in-tree
# copies find it through RUNPATH $ORIGIN/../lib (tests run them from here);
# `make install` installs copies from build/install/ that carry no RUNPATH and
# find it where the dynamic linker looks (ldconfig).
examples/serialcmd-query tools/serialcmd: %: %.c $(SO) lib/libserialcmd.so
	$(CC) $(ALL_CFLAGS) $< -Llib $(LDFLAGS) -lserialcmd -Wl,-rpath,'$$ORIGIN/../lib' -o $@

INSTALL_PROGS := build/install/serialcmd-query build/install/serialcmd
build/install/serialcmd-query: examples/serialcmd-query.c
build/install/serialcmd: tools/serialcmd.c
$(INSTALL_PROGS): $(SO) lib/libserialcmd.so
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(filter %.c,$^) -Llib $(LDFLAGS) -lserialcmd -o $@

WRAP_test-serial := $(foreach f,sp_get_port_by_name sp_open sp_close sp_free_port sp_get_port_handle \
	sp_set_baudrate sp_set_bits sp_set_parity sp_set_stopbits sp_set_flowcontrol \
	sp_blocking_read_next sp_nonblocking_read sp_blocking_write \
	sp_set_dtr sp_set_rts sp_get_signals sp_start_break sp_end_break,-Wl,--wrap=$(f))

# The termios backend's line calls, with the OS seam wrapped the same way.
WRAP_test-lines := -Wl,--wrap=ioctl

# Benchmarks (bench/README.md): run by hand with `make bench`, never by check or CI.
BENCH_PROGS := bench/bench-device bench/bench-bare bench/bench-serialcmd bench/bench-libserialport bench/bench-live
.PHONY: bench clean-bench
bench: deps
	$(MAKE) $(SO) lib/libserialcmd.so $(BENCH_PROGS)
	nice bench/bench-live
	$(PY) bench/run.py
	$(PY) bench/bench_logging.py
	nice $(PY) bench/ctypes_floor.py

bench/bench-device: bench/bench-device.c
	$(CC) $(ALL_CFLAGS) $< -o $@ $(LDFLAGS)

bench/bench-bare: bench/bench-bare.c bench/bench-client.c bench/bench-client.h
	$(CC) $(ALL_CFLAGS) bench/bench-client.c $< -o $@ $(LDFLAGS) -lpthread

bench/bench-libserialport: bench/bench-libserialport.c bench/bench-client.c bench/bench-client.h
	$(CC) $(ALL_CFLAGS) bench/bench-client.c $< -o $@ $(LDFLAGS) -lserialport -lpthread

bench/bench-live: bench/bench-live.c $(normal_LIB)
	$(CC) $(ALL_CFLAGS) $< $(normal_LIB) -o $@ $(LDFLAGS) $(LIBS)

bench/bench-serialcmd: bench/bench-serialcmd.c bench/bench-client.c bench/bench-client.h $(SO) lib/libserialcmd.so
	$(CC) $(ALL_CFLAGS) bench/bench-client.c $< -Llib $(LDFLAGS) -lserialcmd -Wl,-rpath,'$$ORIGIN/../lib' -o $@ -lpthread

clean: clean-bench
clean-bench:
	rm -f $(BENCH_PROGS)

deps:
	@sh .ci/install-deps

check: deps
	$(MAKE) all $(TESTS)
	$(MAKE) check-c check-python check-mypy check-soak check-exports check-layers check-paths check-spdx

check-c: $(TESTS)
	@set -e; for t in $(TESTS); do echo "== $$t"; ./$$t; done

check-python: all
	$(PY) -m pytest -q tests

# The package's declared types, strictly, and the types its users see
# (tests/typing/check_types.py: assert_type on each public return type).
check-mypy:
	MYPYPATH=python $(PY) -m mypy --strict --cache-dir=/dev/null python/serialcmd tests/typing/check_types.py

# Every source file carries an SPDX line (tools/add-spdx.sh adds missing ones).
check-spdx:
	sh tools/add-spdx.sh --check

# The Makefile honours CPPFLAGS, CFLAGS and LDFLAGS: a copy of the tree built
# with dpkg-buildflags' values (hardening=+all, as a Debian package build)
# yields hardened binaries. Built apart, in build/hardening/, not to mix flags.
HARDENED := lib/libserialcmd.so.$(VERSION) build/install/serialcmd build/install/serialcmd-query \
	devices/sim/serialcmd-sim udev/serialcmd-udev-id
check-hardening:
	rm -rf build/hardening && mkdir -p build/hardening
	git ls-files -z --cached --others --exclude-standard | grep -z -v '^build/' | \
		xargs -0 tar cf - | tar xf - -C build/hardening
	cd build/hardening && eval "$$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)" && \
		$(MAKE) -j2 --no-print-directory $(HARDENED) > build.log 2>&1 || { tail -20 build.log; exit 1; }
	cd build/hardening && sh tests/check-hardening.sh $(HARDENED)

# make install PREFIX=/usr/local into the live system, used from outside the
# tree, then make uninstall; the machine is left as it was (root only).
check-install: all
	sh tests/check-install.sh

# The Debian packages: built from a copy (build/deb), lintian, dpkg -i, used
# from outside the tree, purged; the machine is left as it was (root only).
check-deb:
	sh tests/check-deb.sh

# Only client_* is global in the installed archive and exported by the .so.
check-exports: $(SO) $(AR_LIB)
	sh tests/check-exports.sh --abi $(VERSION_SCRIPT) $(SYMBOLS_FILE) include/serialcmd.h -- $(AR_LIB) $(SO)

# What gets installed does not carry this tree's path (it once searched
# $(CURDIR)/devices/profiles for profiles): the debug info, which names the
# sources, aside.
check-paths: $(REALSO) $(AR_LIB) udev/serialcmd-udev-id tools/serialcmd $(INSTALL_PROGS) devices/sim/serialcmd-sim
	@status=0; for f in $^; do \
		$(OBJCOPY) --strip-debug $$f build/check-paths.tmp; \
		if grep -q -F '$(CURDIR)' build/check-paths.tmp; then \
			echo "check-paths: $$f contains the source path $(CURDIR)"; status=1; \
		else echo "check-paths: $$f: no source path"; fi; \
	done; rm -f build/check-paths.tmp; exit $$status

# No two files of lib/ (or of devices/sim/) call or include each other in a
# circle (make check runs it; on 270b6ce it found spec.c <-> profile.c and
# error.c <-> port-lock.c).
check-layers: $(normal_OBJ) $(SIM_OBJ)
	@status=0; \
	$(PY) tests/check-layers.py lib $(normal_OBJ) || status=1; \
	$(PY) tests/check-layers.py devices/sim $(SIM_OBJ) || status=1; \
	exit $$status

check-valgrind: all $(TESTS)
	sh tests/run-valgrind.sh $(TESTS)

check-hw: tests/test-loopback
	@sh tests/check-hw.sh '$(PORT)'

# The demo needs only a compiler, libserialport, libtelnet and python3.
demo:
	@sh .ci/install-deps demo
	$(MAKE) all
	sh examples/demo.sh

# Where `make install` puts the Python package: a directory Debian's
# /usr/bin/python3 searches: /usr/local/lib/python3.N/dist-packages for
# PREFIX=/usr/local, /usr/lib/python3/dist-packages for /usr.
PYTHONDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/python3.$(PY_MINOR)/dist-packages)
PY_MINOR = $(shell $(PY) -c 'import sys; print(sys.version_info[1])')
PY_FILES  := $(wildcard python/serialcmd/*.py) python/serialcmd/py.typed
# The directories that install creates are listed in this file, on the live
# system only (DESTDIR empty), for uninstall to remove them and no other.
INSTALL_MANIFEST := $(DATADIR)/installed-dirs
# Installed paths, for install and uninstall.
INST_LIB   := $(LIBDIR)/$(notdir $(REALSO)) $(LIBDIR)/$(SONAME) $(LIBDIR)/libserialcmd.so $(LIBDIR)/libserialcmd.a
INST_FILES = $(INST_LIB) $(INCDIR)/serialcmd.h $(PCDIR)/serialcmd.pc \
	$(patsubst devices/profiles/%,$(DATADIR)/profiles/%,$(wildcard devices/profiles/*.profile)) \
	$(BINDIR)/serialcmd $(BINDIR)/serialcmd-sim $(BINDIR)/serialcmd-query \
	$(MANDIR)/man1/serialcmd.1 $(MANDIR)/man1/serialcmd-sim.1 $(MANDIR)/man5/serialcmd-profile.5 $(UDEV_HELPER) $(UDEVRULESDIR)/70-serialcmd.rules \
	$(SYSTEMDUNITDIR)/serialcmd@.service $(patsubst python/%,$(PYTHONDIR)/%,$(PY_FILES)) \
	$(MAN3_PAGES:%=$(MANDIR)/man3/%)

# The C API's man pages (section 3), generated from the header's comments:
# libserialcmd(3), libserialcmd-GROUP(3) and a link page per call (the calls
# of the version script, which check-exports holds equal to the header's).
MAN3_GROUPS := $(shell sed -n 's/^ \* @defgroup \([a-z]*\) .*/\1/p' include/serialcmd.h)
MAN3_CALLS  := $(shell sed -n 's/^	*\(client_[a-z0-9_]*\);$$/\1/p' $(VERSION_SCRIPT))
MAN3_PAGES  := libserialcmd.3 $(MAN3_GROUPS:%=libserialcmd-%.3) $(MAN3_CALLS:%=%.3)
build/man3/libserialcmd.3: include/serialcmd.h tools/gen-man3.py
	rm -rf build/man3
	$(PY) tools/gen-man3.py include/serialcmd.h build/man3 $(VERSION)
man3: build/man3/libserialcmd.3

.PHONY: uninstall man3
# `make install` to the live system (DESTDIR empty) runs ldconfig, so that
# programs and the Python package find the library at once; under DESTDIR
# (a package build) the package's triggers do that.
install: all $(INSTALL_PROGS) build/man3/libserialcmd.3
	sh tools/install-dirs.sh $(if $(DESTDIR),-,$(INSTALL_MANIFEST)) $(DESTDIR)$(DATADIR)/profiles \
		$(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PCDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(dir $(UDEV_HELPER)) $(DESTDIR)$(PYTHONDIR)/serialcmd
	install -m 0644 $(REALSO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(REALSO)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(notdir $(REALSO)) $(DESTDIR)$(LIBDIR)/libserialcmd.so
	install -m 0644 $(AR_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 0644 include/serialcmd.h $(DESTDIR)$(INCDIR)/
	install -m 0644 serialcmd.pc $(DESTDIR)$(PCDIR)/
	install -m 0644 devices/profiles/*.profile $(DESTDIR)$(DATADIR)/profiles/
	install -m 0755 $(INSTALL_PROGS) devices/sim/serialcmd-sim $(DESTDIR)$(BINDIR)/
	install -m 0644 tools/serialcmd.1 devices/sim/serialcmd-sim.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 devices/serialcmd-profile.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN3_PAGES:%=build/man3/%) $(DESTDIR)$(MANDIR)/man3/
	install -m 0755 udev/serialcmd-udev-id $(DESTDIR)$(UDEV_HELPER)
	install -m 0644 udev/70-serialcmd.rules $(DESTDIR)$(UDEVRULESDIR)/
	sed 's|/usr/local/bin/|$(BINDIR)/|' udev/serialcmd@.service > $(DESTDIR)$(SYSTEMDUNITDIR)/serialcmd@.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/serialcmd@.service
	install -m 0644 $(PY_FILES) $(DESTDIR)$(PYTHONDIR)/serialcmd/
	$(if $(DESTDIR),,ldconfig)

# Removes what install put there: its files, the Python package's byte code,
# and the directories install created (INSTALL_MANIFEST), innermost first.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INST_FILES))
	rm -rf $(DESTDIR)$(PYTHONDIR)/serialcmd/__pycache__
	@m='$(DESTDIR)$(INSTALL_MANIFEST)'; if [ -f "$$m" ]; then \
		dirs=$$(sort -r "$$m" | uniq); rm -f "$$m"; \
		for d in $$dirs; do rmdir "$$d" 2>/dev/null || echo "uninstall: $$d: kept, not empty"; done; \
	fi
	$(if $(DESTDIR),,ldconfig)

clean:
	rm -rf build lib/*.so* lib/*.a serialcmd.pc $(TOOLS) $(TESTS) $(UDEV_OUT) udev/rules.config
