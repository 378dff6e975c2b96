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
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -Ilib $(CFLAGS)
# Profiles are looked up in the installed data dir, then in this tree.
PATH_DEFS = -DSERIALCMD_DATADIR='"$(DATADIR)"' -DSERIALCMD_SRCDIR='"$(CURDIR)"'
LIBS    := -lserialport -ltelnet -lpthread

LIB_SRC := $(wildcard lib/*.c)
LIB_PIC := $(LIB_SRC:lib/%.c=build/pic/%.o)
LIB_OBJ := $(LIB_SRC:lib/%.c=build/obj/%.o)

SONAME  := libserialcmd.so.$(SOMAJOR)
SO      := lib/$(SONAME)
AR_LIB  := lib/libserialcmd.a

TOOLS   := devices/serialcmd-sim devices/serialcmd-query devices/serialcmd
TESTS   := tests/test-spec tests/test-reply tests/test-serial tests/test-loopback tests/test-profile tests/test-block tests/test-net tests/test-identify

.PHONY: all clean install deps check check-c check-python check-valgrind check-hw demo FORCE
all: $(SO) lib/libserialcmd.so $(AR_LIB) serialcmd.pc $(TOOLS) $(UDEV_OUT)
# Fuzzing, sanitizers, analysis, coverage, soak; adds its tests to TESTS.
include tests/reliability.mk

# The install paths compiled into the library (where profiles are found) and
# written into serialcmd.pc: rewritten only when they change, so that
# `make install PREFIX=...` after a plain `make` rebuilds what embeds them.
build/paths.config: FORCE
	@mkdir -p build
	@printf '%s\n' '$(PREFIX) $(LIBDIR) $(INCDIR) $(DATADIR) $(CURDIR)' | cmp -s - $@ || \
		printf '%s\n' '$(PREFIX) $(LIBDIR) $(INCDIR) $(DATADIR) $(CURDIR)' > $@

build/pic/%.o: lib/%.c lib/*.h include/serialcmd.h build/paths.config
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PATH_DEFS) -fPIC -fvisibility=hidden -c $< -o $@

build/obj/%.o: lib/%.c lib/*.h include/serialcmd.h build/paths.config
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PATH_DEFS) -fvisibility=hidden -c $< -o $@

$(SO): $(LIB_PIC)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined -o $@ $^ $(LIBS) $(LDFLAGS)

lib/libserialcmd.so: $(SO)
	ln -sf $(SONAME) $@

$(AR_LIB): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

serialcmd.pc: Makefile build/paths.config
	printf 'prefix=%s\nlibdir=%s\nincludedir=%s\n\nName: serialcmd\nDescription: ASCII command/reply over serial lines\nVersion: %s\nRequires.private: libserialport libtelnet\nLibs: -L$${libdir} -lserialcmd\nLibs.private: -lpthread\nCflags: -I$${includedir}\n' \
		'$(PREFIX)' '$(LIBDIR)' '$(INCDIR)' '$(VERSION)' > $@

# Tools and tests link the static archive: tests reach internal seams and
# wrap libserialport's calls, which only works on objects being linked.
SIM_SRC := devices/sim-main.c devices/sim-scpi.c devices/sim-faulty.c devices/sim-wave.c devices/sim-profile.c
devices/serialcmd-sim: $(SIM_SRC) devices/sim.h devices/sim-profile.h devices/faults.h lib/profile.h $(AR_LIB)
	$(CC) $(ALL_CFLAGS) -Idevices $(SIM_SRC) $(AR_LIB) -o $@ $(LIBS) -lutil -lm

# udev: the rules are generated from the profiles; the helper links the static
# archive, so that it needs no library path when udev runs it.
udev/gen-rules: udev/gen-rules.c lib/profile.h $(AR_LIB)
	$(CC) $(ALL_CFLAGS) $< $(AR_LIB) -o $@ $(LIBS)

udev/serialcmd-udev-id: udev/serialcmd-udev-id.c udev/sanitize.c udev/sanitize.h lib/profile.h lib/identify.h $(AR_LIB)
	$(CC) $(ALL_CFLAGS) -Iudev udev/serialcmd-udev-id.c udev/sanitize.c $(AR_LIB) -o $@ $(LIBS)

udev/70-serialcmd.rules: udev/gen-rules devices/profiles $(wildcard devices/profiles/*.profile) udev/rules.config
	udev/gen-rules --helper='$(UDEV_HELPER)' --timeout-ms='$(UDEV_TIMEOUT_MS)' -o $@ devices/profiles

# Rewritten only when the helper's path or deadline change, so the rules follow.
udev/rules.config: FORCE
	@printf '%s\n' '$(UDEV_HELPER) $(UDEV_TIMEOUT_MS)' | cmp -s - $@ || printf '%s\n' '$(UDEV_HELPER) $(UDEV_TIMEOUT_MS)' > $@
FORCE:

# Programs link the shared library, as a user's program would.
devices/serialcmd-query devices/serialcmd: %: %.c $(SO) lib/libserialcmd.so
	$(CC) $(ALL_CFLAGS) $< -Llib -lserialcmd -Wl,-rpath,'$$ORIGIN/../lib' -o $@

# Tests also link the simulator's profile sections (devices/sim-profile.c).
tests/%: tests/%.c tests/*.h devices/faults.h devices/sim-profile.c devices/sim-profile.h $(AR_LIB)
	$(CC) $(ALL_CFLAGS) -Idevices -Itests $< tests/sim-helper.c tests/fake-transport.c tests/expect.c devices/sim-profile.c $(AR_LIB) -o $@ $(LIBS) -lcmocka -lutil $(WRAP_$(notdir $@))

WRAP_test-serial := $(foreach f,sp_get_port_by_name sp_open sp_close sp_free_port sp_get_port_handle \
	sp_set_baudrate sp_set_bits sp_set_parity sp_set_stopbits sp_set_flowcontrol \
	sp_blocking_read_next sp_nonblocking_read sp_blocking_write,-Wl,--wrap=$(f))

# Benchmarks (bench/README.md): run by hand with `make bench`, never by check or CI.
BENCH_PROGS := bench/bench-device bench/bench-bare bench/bench-serialcmd bench/bench-libserialport
.PHONY: bench clean-bench
bench: deps
	$(MAKE) $(SO) lib/libserialcmd.so $(BENCH_PROGS)
	$(PY) bench/run.py

bench/bench-device: bench/bench-device.c
	$(CC) $(ALL_CFLAGS) $< -o $@

bench/bench-bare: bench/bench-bare.c bench/bench-client.c bench/bench-client.h
	$(CC) $(ALL_CFLAGS) bench/bench-client.c $< -o $@ -lpthread

bench/bench-libserialport: bench/bench-libserialport.c bench/bench-client.c bench/bench-client.h
	$(CC) $(ALL_CFLAGS) bench/bench-client.c $< -o $@ -lserialport -lpthread

bench/bench-serialcmd: bench/bench-serialcmd.c bench/bench-client.c bench/bench-client.h $(SO) lib/libserialcmd.so
	$(CC) $(ALL_CFLAGS) bench/bench-client.c $< -Llib -lserialcmd -Wl,-rpath,'$$ORIGIN/../lib' -o $@ -lpthread

clean: clean-bench
clean-bench:
	rm -f $(BENCH_PROGS)

deps:
	@sh .ci/install-deps

check: deps
	$(MAKE) all $(TESTS)
	$(MAKE) check-c check-python check-soak

check-c: $(TESTS)
	@set -e; for t in $(TESTS); do echo "== $$t"; ./$$t; done

check-python: all
	$(PY) -m pytest -q tests

check-valgrind: all $(TESTS)
	sh tests/run-valgrind.sh $(TESTS)

check-hw: tests/test-loopback
	@if [ -z "$(PORT)" ]; then echo "check-hw: needs PORT=/dev/ttyUSBn, a real port with a TX-RX jumper; skipped"; exit 0; fi; \
	case "$(PORT)" in /dev/ttyS0) echo "check-hw: refusing /dev/ttyS0 (the console)"; exit 2;; esac; \
	SERIALCMD_HW_PORT="$(PORT)" ./tests/test-loopback

demo: deps
	$(MAKE) all
	sh devices/demo.sh

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PCDIR) $(DESTDIR)$(BINDIR)
	install -m 0755 $(SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libserialcmd.so
	install -m 0644 $(AR_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 0644 include/serialcmd.h $(DESTDIR)$(INCDIR)/
	install -m 0644 serialcmd.pc $(DESTDIR)$(PCDIR)/
	install -d $(DESTDIR)$(DATADIR)/profiles
	install -m 0644 devices/profiles/*.profile $(DESTDIR)$(DATADIR)/profiles/
	install -m 0755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 devices/serialcmd.1 $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSTEMDUNITDIR)
	install -D -m 0755 udev/serialcmd-udev-id $(DESTDIR)$(UDEV_HELPER)
	install -m 0644 udev/70-serialcmd.rules $(DESTDIR)$(UDEVRULESDIR)/
	sed 's|/usr/local/bin/|$(BINDIR)/|' udev/serialcmd@.service > $(DESTDIR)$(SYSTEMDUNITDIR)/serialcmd@.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/serialcmd@.service

clean:
	rm -rf build lib/*.so* lib/*.a serialcmd.pc $(TOOLS) $(TESTS) $(UDEV_OUT) udev/rules.config
