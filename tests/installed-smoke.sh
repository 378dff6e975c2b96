#!/bin/sh
# SPDX-License-Identifier: MIT
# installed-smoke.sh - use an installed serialcmd as a new user would, from a
# directory outside the source tree, with nothing pointing into the tree: no
# SERIALCMD_DEVICES, no LD_LIBRARY_PATH, no PYTHONPATH. Compiles the README's
# C example (examples/serialcmd-query.c) with `pkg-config --cflags --libs
# serialcmd`, runs it and the README's Python block with /usr/bin/python3
# against the installed simulator, runs `serialcmd --version`, and checks that
# the installed programs carry no RUNPATH, and finds the man pages. Called by check-install.sh and
# check-deb.sh.
# usage: installed-smoke.sh SOURCE_TREE BINDIR PKG_CONFIG_PATH
set -eu
tree=$1 bindir=$2 pcpath=$3
unset SERIALCMD_DEVICES SERIALCMD_LIBRARY LD_LIBRARY_PATH PYTHONPATH
work=$(mktemp -d /tmp/serialcmd-smoke.XXXXXX)
sim=""
cleanup() {
	[ -z "$sim" ] || { kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null || true; }
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

for p in serialcmd serialcmd-sim serialcmd-query; do
	[ -e "$bindir/$p" ] || [ $p = serialcmd-query ] || { echo "installed-smoke: no $bindir/$p" >&2; exit 1; }
	[ -e "$bindir/$p" ] || continue
	if readelf -dW "$bindir/$p" | grep -q -E '\((RUNPATH|RPATH)\)'; then
		echo "installed-smoke: $bindir/$p carries a RUNPATH/RPATH" >&2
		exit 1
	fi
done
echo "installed-smoke: no RUNPATH in the programs of $bindir"

"$bindir/serialcmd" --version
# A man page for each program, the file format and the C API (section 3).
man -w serialcmd serialcmd-sim serialcmd-profile libserialcmd libserialcmd-abi client_init_py

cp "$tree/examples/serialcmd-query.c" example.c
flags=$(PKG_CONFIG_PATH=$pcpath pkg-config --cflags --libs serialcmd)
echo "installed-smoke: cc example.c $flags"
# shellcheck disable=SC2086
cc -Wall -Werror example.c $flags -o example

link=$work/dmm
"$bindir/serialcmd-sim" --link "$link" keithley2000 > sim.out &
sim=$!
for _ in $(seq 50); do [ -s sim.out ] && break; sleep 0.1; done
[ -s sim.out ] || { echo "installed-smoke: the installed simulator did not start" >&2; exit 1; }

out=$(./example "$link?profile=keithley2000" '*IDN?')
echo "installed-smoke: C example: $out"
case "$out" in KEITHLEY\ INSTRUMENTS*) ;; *) echo "installed-smoke: unexpected reply" >&2; exit 1 ;; esac

# The README's Python block, as written, its link renamed to this one's.
awk '/^```python$/ { on = 1; block = ""; next } /^```$/ && on { on = 0; if (block ~ /serialcmd-dmm/) { print block; exit } } on { block = block $0 "\n" }' \
	"$tree/README.md" | sed "s|/tmp/serialcmd-dmm|$link|" > readme.py
[ -s readme.py ] || { echo "installed-smoke: no Python block in the README" >&2; exit 1; }
/usr/bin/python3 -c 'import serialcmd, sys; print("installed-smoke: Python package", serialcmd.__file__, "library", serialcmd.get_library().path)'
/usr/bin/python3 readme.py > py.out
cat py.out
grep -q '^KEITHLEY INSTRUMENTS' py.out || { echo "installed-smoke: README Python block: no *IDN? answer" >&2; exit 1; }
echo "installed-smoke: all passed"
