#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh - the main job on a machine with no hardware: start a simulated
# instrument on a pseudo-terminal, query it with the serialcmd command line,
# from C and from Python, then stop it.
set -eu
cd "$(dirname "$0")/.."
profile=${1:-keithley2000}
# The library finds profiles on SERIALCMD_DEVICES and where `make install`
# puts them, not in this tree: add the tree's.
SERIALCMD_DEVICES=${SERIALCMD_DEVICES:+$SERIALCMD_DEVICES:}$PWD/devices/profiles
export SERIALCMD_DEVICES

out=$(mktemp)
devices/sim/serialcmd-sim "$profile" >"$out" &
sim=$!
trap 'kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null; rm -f "$out"' EXIT INT TERM
for _ in $(seq 50); do
	[ -s "$out" ] && break
	sleep 0.1
done
port=$(head -n 1 "$out")
[ -n "$port" ] || { echo "demo: the simulator did not start" >&2; exit 1; }
spec="$port?profile=$profile"
echo "simulated $profile on $port"

echo "\$ serialcmd '$spec' '*IDN?'"
tools/serialcmd "$spec" '*IDN?'
echo "\$ examples/serialcmd-query '$spec' '*IDN?'      # the README's C example"
examples/serialcmd-query "$spec" '*IDN?'
echo "\$ python3 python/examples/query.py '$spec'"
PYTHONPATH=python /usr/bin/python3 python/examples/query.py "$spec"
