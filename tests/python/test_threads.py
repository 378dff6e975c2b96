# SPDX-License-Identifier: MIT
"""Threads: a shared handle, parallel waits on two ports, close while busy."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import serialcmd

THREADS = 8
PER_THREAD = 200


def test_shared_handle_from_8_threads(loopback):
    with serialcmd.Client(loopback, timeout=5) as dev:
        barrier = threading.Barrier(THREADS)

        def worker(t):
            barrier.wait(timeout=10)
            wrong = []
            for k in range(PER_THREAD):
                cmd = f"thread {t} query {k}"
                reply = dev.query(cmd) if k % 2 else dev.query_bytes(cmd).decode()
                if reply != cmd:
                    wrong.append((cmd, reply))
            return wrong

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(worker, range(THREADS), timeout=120))
    assert results == [[]] * THREADS


def test_two_ports_wait_in_parallel(sim):
    # Two "LATE 300" queries on two simulators from two threads take about
    # 300 ms together, not 600: the GIL is released while the library waits.
    paths = [sim("faulty").path, sim("faulty").path]
    clients = [serialcmd.Client(p, timeout=3) for p in paths]
    try:
        for c in clients:
            assert c.query("LATE 0 warm") == "warm"
        barrier = threading.Barrier(3)
        took = {}

        def worker(i):
            barrier.wait(timeout=10)
            start = time.monotonic()
            took[i] = (clients[i].query(f"LATE 300 x{i}"), time.monotonic() - start)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        barrier.wait(timeout=10)
        start = time.monotonic()
        for t in threads:
            t.join(timeout=10)
        total = time.monotonic() - start
    finally:
        for c in clients:
            c.close()
    assert took[0][0] == "x0" and took[1][0] == "x1"
    for i in range(2):
        assert took[i][1] >= 0.29, took
    assert total < 0.55, f"two 300 ms waits took {total:.3f} s together: not parallel"


def test_other_threads_run_while_one_waits(faulty):
    # A pure-Python thread keeps counting while the library waits.
    with serialcmd.Client(faulty, timeout=3) as dev:
        stop = threading.Event()
        ticks = []

        def spin():
            while not stop.is_set():
                ticks.append(1)
                time.sleep(0.005)

        t = threading.Thread(target=spin)
        t.start()
        try:
            assert dev.query("LATE 300 done") == "done"
        finally:
            stop.set()
            t.join(timeout=5)
    assert len(ticks) > 20


def test_close_waits_for_a_command_in_progress(faulty):
    dev = serialcmd.Client(faulty, timeout=3)
    started = threading.Event()
    result = {}

    def worker():
        started.set()
        try:
            result["reply"] = dev.query("LATE 300 finished")
        except Exception as e:  # pragma: no cover - reported below
            result["error"] = e

    t = threading.Thread(target=worker)
    t.start()
    started.wait(timeout=5)
    time.sleep(0.1)  # the query is now inside the library
    start = time.monotonic()
    dev.close()
    waited = time.monotonic() - start
    t.join(timeout=5)
    assert result == {"reply": "finished"}
    assert 0.1 < waited < 2.0
    assert dev.closed
