#!/bin/sh
# SPDX-License-Identifier: MIT
# check-install.sh - `make install PREFIX=/usr/local` into the live system,
# use it as a user would (installed-smoke.sh: the C example through pkg-config,
# the Python package, the simulator, no manual ldconfig), then `make uninstall`
# and check that /usr/local and the linker cache are as they were. Leaves the
# machine as it found it, also when a step fails half-way (trap). Root only.
# usage: check-install.sh   (from the source tree, after `make all`)
set -eu
cd "$(dirname "$0")/.."
tree=$PWD
prefix=/usr/local
[ "$(id -u)" -eq 0 ] || { echo "check-install: needs root (installs into $prefix)"; exit 1; }
if [ -e $prefix/include/serialcmd.h ] || ls $prefix/lib/libserialcmd.so* > /dev/null 2>&1; then
	echo "check-install: serialcmd is already installed in $prefix; not touching it" >&2
	exit 1
fi
before=$(mktemp) after=$(mktemp)
snapshot() { find $prefix -xdev | sort; ldconfig -p | grep serialcmd || true; }
snapshot > "$before"
done=0
restore() {
	if [ $done = 0 ]; then
		echo "check-install: failed; uninstalling" >&2
		make -s uninstall PREFIX=$prefix > /dev/null 2>&1 || true
	fi
	rm -f "$before" "$after"
}
trap restore EXIT
trap 'exit 1' INT TERM HUP

make -s install PREFIX=$prefix
ldconfig -p | grep -q 'libserialcmd.so.1 ' || { echo "check-install: libserialcmd.so.1 not in the linker cache" >&2; exit 1; }
PKG_CONFIG_PATH=$prefix/lib/pkgconfig sh tests/installed-smoke.sh "$tree" $prefix/bin $prefix/lib/pkgconfig
# No path of the build tree in what was installed (debug info aside).
for f in $prefix/lib/libserialcmd.so.1.0.0 $prefix/bin/serialcmd $prefix/bin/serialcmd-sim $prefix/lib/serialcmd/serialcmd-udev-id; do
	objcopy --strip-debug "$f" "$before.bin"
	if grep -q -F "$tree" "$before.bin"; then echo "check-install: $f contains $tree" >&2; rm -f "$before.bin"; exit 1; fi
	rm -f "$before.bin"
done

make -s uninstall PREFIX=$prefix
done=1
snapshot > "$after"
if ! diff -u "$before" "$after"; then
	echo "check-install: make uninstall left the above behind (+) or removed it (-)" >&2
	exit 1
fi
echo "check-install: installed, used, uninstalled; $prefix as before"
