#!/bin/sh
# demo.sh - the main job on a machine with no hardware: start a simulated
# instrument on a pseudo-terminal, query it from C and from Python, stop it.
set -eu
cd "$(dirname "$0")/.."

out=$(mktemp)
devices/serialcmd-sim faulty >"$out" &
sim=$!
trap 'kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null; rm -f "$out"' EXIT INT TERM
for _ in $(seq 50); do
	[ -s "$out" ] && break
	sleep 0.1
done
port=$(head -n 1 "$out")
[ -n "$port" ] || { echo "demo: the simulator did not start" >&2; exit 1; }
echo "simulated instrument on $port"

echo "--- from C (devices/serialcmd-query):"
devices/serialcmd-query "$port?baud=115200&timeout_ms=1000" '*IDN?'
echo "--- from Python (python/examples/query.py):"
PYTHONPATH=python /usr/bin/python3 python/examples/query.py "$port?baud=115200&timeout_ms=1000"
