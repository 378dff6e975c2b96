# SPDX-License-Identifier: MIT
"""10,000 queries (and many open/close cycles) without growth in memory or
open file descriptors."""

from __future__ import annotations

import gc
import os

import serialcmd

QUERIES = 10_000
WARMUP = 1_000
RSS_TOLERANCE_KIB = 2048


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_10000_queries_do_not_grow(loopback):
    with serialcmd.Client(loopback, timeout=5) as dev:
        for i in range(WARMUP):
            assert dev.query(f"warm-up {i}") == f"warm-up {i}"
        gc.collect()
        rss0, fds0 = rss_kib(), open_fds()
        for i in range(QUERIES):
            cmd = f"query number {i} " + "x" * (250 + i % 100)
            if i % 3 == 0:
                assert dev.query_bytes(cmd) == cmd.encode()
            else:
                assert dev.query(cmd) == cmd
        gc.collect()
        rss1, fds1 = rss_kib(), open_fds()
    assert fds1 == fds0
    assert rss1 - rss0 < RSS_TOLERANCE_KIB, f"VmRSS grew from {rss0} to {rss1} KiB"


def test_errors_and_reopen_do_not_leak(faulty):
    def cycle(n):
        for i in range(n):
            with serialcmd.Client(faulty, timeout=0.02) as dev:
                assert dev.query("*IDN?")
                try:
                    dev.query("SILENT")
                except serialcmd.TimeoutError:
                    pass
            try:
                serialcmd.Client(faulty, parity="bad")
            except serialcmd.OptionError:
                pass

    cycle(20)
    gc.collect()
    rss0, fds0 = rss_kib(), open_fds()
    cycle(100)
    gc.collect()
    rss1, fds1 = rss_kib(), open_fds()
    assert fds1 == fds0
    assert rss1 - rss0 < RSS_TOLERANCE_KIB, f"VmRSS grew from {rss0} to {rss1} KiB"
