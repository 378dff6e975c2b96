#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench/bench_logging.py - what logging costs serialcmd.Client.query()
(`make bench` runs it after run.py; writes bench/logging-results.txt).

Three clients on two ptys of one bench-device, in one process, small queries
(`*IDN?`) in short bursts, the clients taking turns in a fresh random order
every turn, for --rounds rounds:
  off        the package as shipped, logger not enabled for DEBUG: no trace
             callback; each call pays one cached isEnabledFor()
  off-nochk  the same with that per-call check taken out: off / off-nochk is
             what the check costs
  on         logger enabled for DEBUG, records sent to a handler that drops
             them: the trace callback, a LogRecord per trace line
Reports the median queries/s over rounds and the ratios of paired bursts
(same turn, next to each other in time): per round their median, then the
median and min-max over rounds.
"""

import argparse
import logging
import os
import random
import statistics
import sys
import time
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)

import serialcmd  # noqa: E402
from run import Device  # noqa: E402  (bench-device, stopped by its PID)

REPLY = "BENCH,DEVICE,0,1.0.0"


class NoCheck(serialcmd.Client):
    """Client without the per-call logging check (for its cost only)."""

    def _enter(self):
        with self._cond:
            handle = self._handle
            if handle is None:
                raise serialcmd.ClosedError("closed")
            self._active += 1
        return handle


class Drop(logging.Handler):
    def emit(self, record):
        pass


def burst(dev, seconds):
    q = dev.query
    n = 0
    end = time.perf_counter() + seconds
    start = time.perf_counter()
    while True:
        for _ in range(20):
            if q("*IDN?") != REPLY:
                raise RuntimeError("wrong reply")
        n += 20
        now = time.perf_counter()
        if now >= end:
            return n / (now - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--bursts", type=int, default=10)
    ap.add_argument("--burst-s", type=float, default=0.05)
    ap.add_argument("--out", default=os.path.join(HERE, "logging-results.txt"))
    args = ap.parse_args()

    top = logging.getLogger("serialcmd")
    top.propagate = False
    dev = Device(2, None)  # ports are exclusive: one per client
    try:
        port = dev.ports[0]
        on_logger = serialcmd.logger_for_port(port)
        clients = {"off": serialcmd.Client(port, timeout=5), "off-nochk": NoCheck(dev.ports[1], timeout=5)}
        # "on" is the same port's logger enabled only around its own bursts.
        clients["on"] = clients["off"]
        on_logger.addHandler(Drop())
        rng = random.Random(19)
        rounds = []
        for _ in range(args.rounds):
            rates = {n: [] for n in clients}
            for _ in range(args.bursts):
                for name in rng.sample(list(clients), len(clients)):
                    on_logger.setLevel(logging.DEBUG if name == "on" else logging.WARNING)
                    rates[name].append(burst(clients[name], args.burst_s))
            on_logger.setLevel(logging.WARNING)
            rounds.append(rates)
        for name in ("off", "off-nochk"):
            clients[name].close()
        check_ns = min(timeit.repeat(lambda: on_logger.isEnabledFor(logging.DEBUG), number=100000, repeat=5)) * 1e4
    finally:
        dev.stop()

    def ratio(a, b):
        # Paired: bursts of the same turn ran next to each other in time.
        per = [statistics.median(x / y for x, y in zip(r[a], r[b])) for r in rounds]
        return statistics.median(per), min(per), max(per)

    def rate(r, name):
        return statistics.median(r[name])

    lines = [f"serialcmd.Client.query() small queries, logging off vs on ({args.rounds} rounds x "
             f"{args.bursts} bursts of {args.burst_s * 1000:.0f} ms per client, interleaved)"]
    for name in ("off-nochk", "off", "on"):
        v = [rate(r, name) for r in rounds]
        lines.append(f"  {name:10s} {statistics.median(v):8.0f} q/s  (rounds: {min(v):.0f}-{max(v):.0f})")
    for a, b, what in (("off", "off-nochk", "cost of the per-call check (off / no check)"),
                       ("on", "off", "logging enabled, records dropped (on / off)")):
        m, lo, hi = ratio(a, b)
        lines.append(f"  {what}: {m:.3f}x (rounds {lo:.3f}-{hi:.3f})")
    lines.append(f"  isEnabledFor(DEBUG), cached: {check_ns:.0f} ns per call; a query takes "
                 f"{1e9 / statistics.median(rate(r, 'off') for r in rounds):.0f} ns")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
