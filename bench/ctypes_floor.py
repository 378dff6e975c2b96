#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What one ctypes call costs against a query's round trip: the floor under
any ctypes binding's small-query ratio to the bare C loop.

    ctypes_floor.py [ROUNDS [PORT]]

PORT is a bench-device pty; without it one is started (run.py's Device,
stopped by its PID). In each round, interleaved, in this process:
  empty call        client_last_error(): a foreign call with no arguments
  5-arg call        client_query_into() on a NULL handle: the call
                    Client.query makes, with its five argument conversions,
                    refused at once (includes formatting the error message)
  query_into loop   client_query_into() called directly in a loop (the
                    least any ctypes binding can do per query)
  Client.query      serialcmd.Client.query("*IDN?")
Prints each one's median (min-max) in microseconds per call.
"""

import ctypes
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))
sys.path.insert(0, HERE)

import serialcmd  # noqa: E402
from run import Device  # noqa: E402

N_CALLS = 200000
N_QUERIES = 2000


def per_call(fn, n):
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    if len(sys.argv) > 2:
        measure(sys.argv[2], rounds)
        return
    device = Device(1, None)
    try:
        measure(device.ports[0], rounds)
    finally:
        device.stop()


def measure(port, rounds):
    dev = serialcmd.Client(port, timeout=10)
    lib = dev.library
    raw = lib.dll
    empty = raw.client_last_error
    into = lib.client_query_into
    handle = dev._handle
    buf = ctypes.create_string_buffer(4096)
    cmd = b"*IDN?"
    size = len(buf)

    def direct():
        if into(handle, cmd, 5, buf, size) < 0:
            raise lib.last_error()

    def refused():
        into(None, cmd, 5, buf, size)

    def query():
        dev.query("*IDN?")

    cases = [("empty call", lambda: per_call(empty, N_CALLS)),
             ("5-arg call, refused at once", lambda: per_call(refused, N_CALLS)),
             ("client_query_into loop", lambda: per_call(direct, N_QUERIES)),
             ("Client.query", lambda: per_call(query, N_QUERIES))]
    for _ in range(100):
        query()
    res = {name: [] for name, _ in cases}
    for _ in range(rounds):
        for name, run in cases:
            res[name].append(run())
    dev.close()
    print(f"ctypes floor, us per call ({rounds} interleaved rounds; {N_CALLS} calls, {N_QUERIES} queries):")
    for name, v in res.items():
        print(f"  {name:32s} {statistics.median(v):8.2f}  ({min(v):.2f}-{max(v):.2f})")


if __name__ == "__main__":
    main()
