#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench/run.py - what `make bench` runs: serialcmd against the raw-syscall
limit, libserialport, pyserial and pyvisa-py, side by side in one run.

Starts two bench-device processes (one pty for the single-client workloads,
64 for the memory, thread and waiting workloads), runs every client in turn,
rotating the order each round, for --rounds rounds, and reports medians,
spreads (min-max over rounds) and ratios to the bare C loop and to pyserial,
computed round by round. Writes bench/results.json, bench/results.png and
bench/results.md. Every process it starts is stopped by its PID; every
client run has a time limit; the whole run keeps to --budget seconds by
dropping rounds (and says so) if the machine is slower than planned.
"""

import argparse
import datetime
import json
import os
import platform
import random
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"
PYCLIENT = os.path.join(HERE, "bench_client.py")

# name: (argv, what it is)
CLIENTS = {
    "bare-c": ([os.path.join(HERE, "bench-bare")], "C: write/poll/read on the fd (the limit)"),
    "bare-c#2": ([os.path.join(HERE, "bench-bare")], "the same bare loop again: its ratio to bare-c is the noise"),
    "serialcmd-c": ([os.path.join(HERE, "bench-serialcmd")], "C: client_send_cmd_reply()"),
    # The same program with SERIALCMD_RECORD: every transaction appended to a
    # file (main() puts it in a private directory and empties it each round).
    "serialcmd-c+record": (["/usr/bin/env", "SERIALCMD_RECORD=", os.path.join(HERE, "bench-serialcmd")],
                           "C: client_send_cmd_reply(), recording the session (SERIALCMD_RECORD)"),
    "serialcmd-ctypes": ([PY, PYCLIENT, "serialcmd-ctypes"], "Python: the ctypes ABI by hand"),
    "serialcmd-py": ([PY, PYCLIENT, "serialcmd-py"], "Python: serialcmd.Client.query() (client_query_into)"),
    "serialcmd-py-seed": ([PY, PYCLIENT, "serialcmd-py-seed"],
                          "Python: Client.query as before issue 19 (send_cmd_reply_n + string_at + free)"),
    "libserialport": ([os.path.join(HERE, "bench-libserialport")], "C: sp_blocking_write/sp_blocking_read_next"),
    "pyserial": ([PY, PYCLIENT, "pyserial"], "Python: pyserial write + read_until"),
    "pyvisa-py": ([PY, PYCLIENT, "pyvisa-py"], "Python: pyvisa-py query, ASRL<pty>::INSTR"),
    "pyvisa-serialcmd": ([PY, PYCLIENT, "pyvisa-serialcmd"], "Python: pyvisa + @serialcmd query, ASRL<pty>::INSTR"),
}
ORDER = list(CLIENTS)
SLOW = ("pyserial", "pyvisa-py")  # read one byte per system call
CONTROL = "bare-c#2"  # an A/A control: only in the interleaved workloads
RECORD = "serialcmd-c+record"  # only in the interleaved workloads, sizes up to RECORD_MAX_SIZE
RECORD_MAX_SIZE = 1 << 20  # a recorded 16 MiB reply would only measure the disk
SIZES = [1, 1024, 65536, 1 << 20, 16 << 20]
SIZE_NAMES = {1: "1 B", 1024: "1 KiB", 65536: "64 KiB", 1 << 20: "1 MiB", 16 << 20: "16 MiB"}
SMALL_WIRE_BYTES = 6 + 21  # "*IDN?\n" and "BENCH,DEVICE,0,1.0.0\n"
BAUDS = [9600, 115200, 1000000]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def pin(cpu):
    """preexec_fn: run the child on one CPU (None: leave it free)."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


class Device:
    """A bench-device process and its ptys; stopped by its PID."""

    def __init__(self, count, cpu):
        self.proc = subprocess.Popen(
            [os.path.join(HERE, "bench-device"), "-n", str(count), "-t", "900", "-e"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, preexec_fn=pin(cpu))
        self.pid = self.proc.pid
        fd, data = self.proc.stdout.fileno(), b""
        end = time.monotonic() + 10
        while not data.endswith(b"ready\n") and time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
            chunk = os.read(fd, 65536) if ready else b""
            if not chunk:
                break
            data += chunk
        self.ports = [l for l in data.decode().splitlines() if l.startswith("/dev/")]
        if len(self.ports) != count:
            self.stop()
            raise RuntimeError(f"bench-device did not start ({len(self.ports)} of {count} ptys)")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM to this PID only
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdin.close()
        self.proc.stdout.close()


def run(argv, timeout, cpu=None):
    """Run a client to completion; its JSON, or {"error": ...}."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, preexec_fn=pin(cpu))
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {timeout} s (stopped)"}
    if p.returncode != 0:
        lines = [l for l in p.stderr.strip().splitlines() if l.strip()]
        return {"error": lines[-1] if lines else f"exit status {p.returncode}"}
    try:
        return json.loads(p.stdout)
    except ValueError:
        return {"error": "unreadable output: " + p.stdout[-200:]}


def available(name):
    """None if the client can run here, else why not."""
    argv = CLIENTS[name][0]
    if not os.access(argv[0], os.X_OK):
        return f"{argv[0]} not built or not executable"
    mod = {"pyserial": "serial", "pyvisa-py": "pyvisa_py", "pyvisa-serialcmd": "pyvisa"}.get(name)
    if mod:
        p = subprocess.run([PY, "-c", f"import {mod}, serial"], capture_output=True, text=True, timeout=60)
        if p.returncode:
            return f"{PY} cannot import {mod} (sh .ci/install-deps installs it)"
    return None


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


# -- running ------------------------------------------------------------------


class Served:
    """A client process in serve mode: it reports its memory figure, then
    answers one command at a time (a short burst of one workload)."""

    def __init__(self, name, ports_file, dev_pid, cpu):
        self.name = name
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            CLIENTS[name][0] + ["-m", "serve", "-P", ports_file, "-n", "64", "-d", str(dev_pid)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, preexec_fn=pin(cpu))
        self.buf = b""
        self.error = None
        self.memory = self.read(60)

    def fail(self, why):
        self.err.seek(0)
        lines = [l for l in self.err.read().decode(errors="replace").splitlines() if l.strip()]
        self.error = why + (f": {lines[-1]}" if lines else "")
        self.stop()

    def read(self, timeout):
        fd = self.proc.stdout.fileno()
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            ready = select.select([fd], [], [], max(0.0, left))[0] if left > 0 else []
            if not ready:
                self.fail(f"no result within {timeout:.0f} s (stopped)")
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                self.fail("exited")
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            self.fail("unreadable output")
            return None

    def ask(self, command, timeout):
        if self.error:
            return None
        try:
            self.proc.stdin.write(command.encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            self.fail("exited")
            return None
        return self.read(timeout)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()  # this PID only
                self.proc.wait(5)
        self.err.close()


def combine_small(bursts):
    n = sum(b["count"] for b in bursts)
    secs = sum(b["seconds"] for b in bursts)
    med = lambda k: statistics.median(b[k] for b in bursts)
    return {"count": n, "seconds": secs, "per_s": n / secs, "bursts": len(bursts),
            "cpu_us_per_query": sum(b["cpu_us_per_query"] * b["count"] for b in bursts) / n,
            "device_cpu_share": sum(b["device_cpu_share"] * b["seconds"] for b in bursts) / secs,
            "p50_us": med("p50_us"), "p99_us": med("p99_us"), "min_us": min(b["min_us"] for b in bursts)}


def combine_size(size, bursts):
    reps = sum(b["reps"] for b in bursts)
    secs = sum(b["seconds"] for b in bursts)
    return {"reps": reps, "seconds": secs, "mean_s": secs / reps, "mb_per_s": size * reps / secs / 1e6,
            "median_s": statistics.median(b["median_s"] for b in bursts), "bursts": len(bursts),
            "cpu_s_per_reply": sum(b["cpu_s_per_reply"] * b["reps"] for b in bursts) / reps,
            "device_cpu_share": sum(b["device_cpu_share"] * b["seconds"] for b in bursts) / secs}


def main_round(order, dev1, ports_file, args, cap_for, rng):
    """Every client in its own process, all alive at once; the workloads run
    in short bursts, the clients taking turns, so that a change in the
    machine's load hits all of them alike."""
    port = dev1.ports[0]
    served, out = {}, {}
    for name in order:  # one at a time: each opens the 64 ptys for its memory figure
        served[name] = Served(name, ports_file, dev1.pid, args.client_cpu)
        out[name] = {"client": name, "memory": served[name].memory, "sizes": {}}
    try:
        small = {n: [] for n in order}
        for j in range(args.bursts):
            # A fresh order each turn: no client always follows the same one.
            turn = rng.sample(order, len(order))
            for name in turn:
                r = served[name].ask(f"small {port} {args.small_s / args.bursts:.4f}", 60)
                if r:
                    r["burst"] = j
                    small[name].append(r)
        for name in order:
            if small[name]:
                out[name]["small"] = combine_small(small[name])
                out[name]["small"]["per_burst"] = {b["burst"]: b["per_s"] for b in small[name]}
        for i, size in enumerate(SIZES):
            bursts = {n: [] for n in order}
            for j in range(args.bursts_size):
                turn = rng.sample(order, len(order))
                for name in turn:
                    prev = out[name]["sizes"].get(str(SIZES[i - 1]), {}) if i else {}
                    predicted = prev.get("mean_s", 0) * size / SIZES[i - 1] if i else 0
                    if name == RECORD and size > RECORD_MAX_SIZE:
                        out[name]["sizes"][str(size)] = {"skipped": "not measured with recording"}
                        continue
                    if i and "mean_s" not in prev:
                        out[name]["sizes"][str(size)] = {"skipped": prev.get("skipped", "no result")}
                        continue
                    if predicted > cap_for(name):
                        out[name]["sizes"][str(size)] = {
                            "skipped": f"predicted {predicted:.0f} s per reply (from its {SIZE_NAMES[SIZES[i - 1]]}"
                                       f" time), over the {cap_for(name):.0f} s cap"}
                        continue
                    if j and sum(b["seconds"] for b in bursts[name]) > 3 * args.size_s:
                        continue  # a slow client: one burst of at least one reply is enough
                    warm = 1 if predicted < 0.5 else 0
                    r = served[name].ask(f"size {port} {size} {args.size_s / args.bursts_size:.4f} {warm}",
                                         60 + 3 * predicted)
                    if r:
                        r["burst"] = j
                        bursts[name].append(r)
            for name in order:
                if bursts[name]:
                    out[name]["sizes"][str(size)] = combine_size(size, bursts[name])
                    out[name]["sizes"][str(size)]["per_burst"] = {b["burst"]: b["mb_per_s"] for b in bursts[name]}
    finally:
        for name in order:
            served[name].stop()
            if served[name].error:
                out[name]["error"] = served[name].error
                log(f"    {name}: {served[name].error}")
    return out


def cpuwait_round(names, dev64, args):
    """All clients at once, each on its own pty: each measures only its own
    CPU, over its own 2 s wait."""
    procs = {}
    for i, name in enumerate(names):
        argv = CLIENTS[name][0] + ["-m", "cpuwait", "-p", dev64.ports[i], "-w", str(args.wait_ms)]
        procs[name] = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = {}
    for name, p in procs.items():
        try:
            so, se = p.communicate(timeout=60 + 2 * args.wait_ms / 1000)
            out[name] = json.loads(so) if p.returncode == 0 else {"error": (se.strip().splitlines() or ["?"])[-1]}
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            out[name] = {"error": "no result within the time limit (stopped)"}
        except ValueError:
            out[name] = {"error": "unreadable output"}
    return out


def threads_round(order, dev64, ports_file, args):
    out = {}
    for name in order:
        argv = CLIENTS[name][0] + ["-m", "threads", "-P", ports_file, "-n", "64", "-T", str(args.threads_s),
                                   "-d", str(dev64.pid)]
        out[name] = run(argv, timeout=180)
        if "error" in out[name]:
            log(f"    {name}: threads: {out[name]['error']}")
    return out


def strace_total(argv, timeout):
    """System calls made by a run, by name, from strace -f -c."""
    fd, path = tempfile.mkstemp(prefix="serialcmd-bench-strace-")
    os.close(fd)
    try:
        p = subprocess.run(["strace", "-f", "-c", "-o", path] + argv, capture_output=True, text=True,
                           timeout=timeout)
        if p.returncode:
            return None
        calls = {}
        with open(path) as f:
            for line in f:
                m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
                if m and m.group(2) != "total":
                    calls[m.group(2)] = int(m.group(1))
        return calls
    except subprocess.TimeoutExpired:
        return None
    finally:
        os.unlink(path)


def syscall_counts(names, dev1):
    """System calls per small query and per 64 KiB reply, from three runs
    (N small queries; 2N; N and N replies) differenced, so that start-up
    (imports, loading) cancels out. The byte-at-a-time clients use 4 KiB
    replies, scaled by 16 (marked). strace slows the client down, so the
    kernel has more bytes ready at each read: calls per reply under strace
    are a lower bound (for the clients that read in chunks)."""
    out = {}
    for name in names:
        slow = name in SLOW
        n, size = (5, 4096) if slow else (500, 65536)
        base = CLIENTS[name][0] + ["-m", "count", "-p", dev1.ports[0], "-K", str(size)]
        a = strace_total(base + ["-k", str(n), "-r", "0"], 120)
        b = strace_total(base + ["-k", str(2 * n), "-r", "0"], 120)
        c = strace_total(base + ["-k", str(n), "-r", str(n)], 120)
        if not (a and b and c):
            out[name] = {"error": "strace failed"}
            continue

        def per(x, scale=1.0):
            keys = set(a) | set(x)
            d = {k: (x.get(k, 0) - a.get(k, 0)) / n * scale for k in keys}
            return {k: round(v, 2) for k, v in sorted(d.items()) if abs(v) >= 0.05}

        small, big = per(b), per(c, 65536 / size)
        out[name] = {"small_query": small, "small_total": round(sum(small.values()), 1),
                     "reply_64k": big, "reply_64k_total": round(sum(big.values()), 1),
                     "reply_64k_from": f"{size}-byte replies" + (" x16" if size != 65536 else "")}
        log(f"    {name:17} syscalls {out[name]['small_total']:8.1f} per small query, "
            f"{out[name]['reply_64k_total']:9.1f} per 64 KiB reply")
    return out


# -- summarising --------------------------------------------------------------


def summarise(rounds, names):
    s = {}
    for name in names:
        mains = [r["main"].get(name, {}) for r in rounds]
        e = {"small": {}, "sizes": {}}
        for key in ("per_s", "p50_us", "p99_us", "min_us", "cpu_us_per_query", "device_cpu_share"):
            e["small"][key] = stats([get(m, "small", key) for m in mains])
        for size in SIZES:
            cells = [get(m, "sizes", str(size)) for m in mains]
            measured = [c for c in cells if c and "mb_per_s" in c]
            if measured:
                e["sizes"][str(size)] = {k: stats([c[k] for c in measured])
                                         for k in ("mb_per_s", "mean_s", "cpu_s_per_reply", "device_cpu_share")}
                skipped = [c["skipped"] for c in cells if c and "skipped" in c]
                if skipped:
                    e["sizes"][str(size)]["skipped_in_other_rounds"] = skipped[0]
            else:
                why = [c["skipped"] for c in cells if c and "skipped" in c]
                e["sizes"][str(size)] = {"skipped": why[0] if why else "no result"}
        e["memory_kib_per_handle"] = stats([get(m, "memory", "kib_per_handle") for m in mains])
        e["open_ms_per_handle"] = stats([get(m, "memory", "open_ms_per_handle") for m in mains])
        e["cpuwait_ms"] = stats([get(r["cpuwait"], name, "cpu_ms") for r in rounds])
        e["cpuwait_wall_s"] = stats([get(r["cpuwait"], name, "wall_s") for r in rounds])
        e["cpuwait_waiting_ms"] = stats([get(r["cpuwait"], name, "cpu_ms_waiting") for r in rounds])
        e["cpuwait_switches"] = stats([get(r["cpuwait"], name, "context_switches") for r in rounds])
        for key in ("per_s", "p50_us", "p99_us", "cpu_share", "device_cpu_share"):
            e.setdefault("threads", {})[key] = stats([get(r["threads"], name, key) for r in rounds])
        errors = sorted({v["error"] for r in rounds for part in ("main", "cpuwait", "threads")
                         for k, v in r[part].items() if k == name and "error" in v})
        if errors:
            e["errors"] = errors
        s[name] = e
    return s


def paired(rounds, name, ref, path):
    """Ratio name/ref for each round: the median of the ratios of bursts run
    side by side (same burst number), or of the round's figures where there
    are no bursts; then stats over the rounds where both were measured."""
    vals = []
    for r in rounds:
        a, b = get(r, *path[:1], name, *path[1:]), get(r, *path[:1], ref, *path[1:])
        pa = get(r, *path[:1], name, *path[1:-1], "per_burst")
        pb = get(r, *path[:1], ref, *path[1:-1], "per_burst")
        if pa and pb:
            pairs = [pa[j] / pb[j] for j in pa if j in pb and pb[j] > 0]
            if pairs:
                vals.append(statistics.median(pairs))
                continue
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0:
            vals.append(a / b)
    return stats(vals)


# What ratios are taken to: the limit, the common Python client, and the
# package's query path before issue 19 (the "before" of the same run).
RATIO_REFS = ("bare-c", "pyserial", "serialcmd-py-seed")
RATIO_METRICS = [("small q/s", ("main", "small", "per_s"))] + [
    (f"{SIZE_NAMES[s]} MB/s", ("main", "sizes", str(s), "mb_per_s")) for s in SIZES] + [
    ("64 threads q/s", ("threads", "per_s"))]


def ratios(rounds, names):
    out = {}
    for ref in RATIO_REFS:
        out[ref] = {name: {label: paired(rounds, name, ref, path) for label, path in RATIO_METRICS}
                    for name in names}
    # Recording against the same program without it, burst by burst.
    if RECORD in names and "serialcmd-c" in names:
        out["serialcmd-c"] = {RECORD: {label: paired(rounds, RECORD, "serialcmd-c", path)
                                       for label, path in RATIO_METRICS}}
    return out


def targets(summary, rat):
    def r(name, ref, label):
        v = get(rat, ref, name, label, "median")
        return v

    t = []

    def add(what, value, op, threshold, note=""):
        ok = None if value is None else (value >= threshold if op == ">=" else value <= threshold)
        t.append({"target": what, "value": value, "op": op, "threshold": threshold, "ok": ok, "note": note})

    add("small round trips: serialcmd-c / bare-c", r("serialcmd-c", "bare-c", "small q/s"), ">=", 0.95)
    add("small round trips: serialcmd-py / bare-c", r("serialcmd-py", "bare-c", "small q/s"), ">=", 0.85,
        "issue 19")
    add("small round trips: serialcmd-py / pyserial", r("serialcmd-py", "pyserial", "small q/s"), ">=", 1.7,
        "issue 19")
    add("small round trips: serialcmd-py / serialcmd-py-seed (after / before)",
        r("serialcmd-py", "serialcmd-py-seed", "small q/s"), ">=", 1.0, "issue 19: one foreign call per query")
    add("small round trips: serialcmd-c+record / serialcmd-c (recording costs a few percent)",
        get(rat, "serialcmd-c", RECORD, "small q/s", "median"), ">=", 0.95, "issue 20")
    add("1 MiB reply: serialcmd-c / bare-c", r("serialcmd-c", "bare-c", "1 MiB MB/s"), ">=", 0.90)
    add("1 MiB reply: serialcmd-py / bare-c", r("serialcmd-py", "bare-c", "1 MiB MB/s"), ">=", 0.90)
    add("1 MiB reply: serialcmd-c / pyserial", r("serialcmd-c", "pyserial", "1 MiB MB/s"), ">=", 300,
        "'about 300x' in the issue")
    bare_wait = get(summary, "bare-c", "cpuwait_waiting_ms", "median")
    for name in ("serialcmd-c", "serialcmd-py"):
        v = get(summary, name, "cpuwait_waiting_ms", "median")
        # CPU of the 2 s query beyond the same query answered at once after
        # as long an idle time; cache effects make this +-0.1 ms either way.
        add(f"CPU spent waiting 2 s: {name} <= bare-c (+0.1 ms)", v, "<=",
            None if bare_wait is None else max(bare_wait, 0.0) + 0.1)
    for x in t:
        if x["threshold"] is None:
            x["ok"] = None
    return t


def wire_table(summary):
    """Wire time of the typical query at common rates against the
    library's own cost per query (latency and CPU over the bare loop)."""
    bare = summary.get("bare-c", {})
    rows = []
    for name in ("serialcmd-c", "serialcmd-py"):
        e = summary.get(name, {})
        lat = [get(e, "small", "p50_us", "median"), get(bare, "small", "p50_us", "median")]
        cpu = [get(e, "small", "cpu_us_per_query", "median"), get(bare, "small", "cpu_us_per_query", "median")]
        if None in lat or None in cpu:
            continue
        over_lat = max(0.0, lat[0] - lat[1])
        over_cpu = max(0.0, cpu[0] - cpu[1])
        for baud in BAUDS:
            wire_us = SMALL_WIRE_BYTES * 10 / baud * 1e6
            rows.append({"client": name, "baud": baud, "wire_us": wire_us, "overhead_latency_us": over_lat,
                         "overhead_cpu_us": over_cpu,
                         "share_of_query": over_lat / (wire_us + over_lat + lat[1])})
    return rows


# -- output ---------------------------------------------------------------------


def fmt(v, spec="{:.0f}"):
    if v is None:
        return "-"
    if spec == "{:.3g}" and abs(v) >= 1000:
        return f"{v:.0f}"
    return spec.format(v)


def cell(st, spec="{:.0f}", spread=True):
    if not st:
        return "-"
    if spread and st["n"] > 1:
        return f"{fmt(st['median'], spec)} ({fmt(st['min'], spec)}-{fmt(st['max'], spec)})"
    return fmt(st["median"], spec) + ("" if st["n"] > 1 else " [n=1]")


def table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def mb_cell(e, size):
    c = e["sizes"].get(str(size), {})
    if "skipped" in c:
        return "skipped"
    return cell(c.get("mb_per_s"), "{:.3g}")


def report(res):
    s, rat, names = res["summary"], res["ratios"], res["measured"]
    out = []
    out.append(f"serialcmd benchmark: {res['meta']['rounds_done']} rounds, median (min-max over rounds); "
               f"{res['meta']['kernel']}, {res['meta']['cpus']} CPUs")
    out.append("\nSmall queries (*IDN?, 6 bytes out, 21 back), memory, waiting, threads")
    rows = []
    for n in names:
        e = s[n]
        rows.append([n, cell(e["small"]["per_s"]), cell(e["small"]["p50_us"], "{:.1f}"),
                     cell(e["small"]["p99_us"], "{:.0f}", False), cell(e["small"]["cpu_us_per_query"], "{:.1f}", False),
                     cell(e["cpuwait_ms"], "{:.2f}", False) + " / " + cell(e["cpuwait_waiting_ms"], "{:.2f}", False)
                     + " / " + cell(e["cpuwait_switches"], "{:.0f}", False),
                     cell(e["memory_kib_per_handle"], "{:.1f}", False),
                     cell(e["threads"]["per_s"])])
    out.append(table(["client", "queries/s", "p50 us", "p99 us", "CPU us/q", "2 s wait: CPU ms/waiting/switches",
                      "KiB/handle", "64 threads q/s"], rows))
    out.append("\nReply throughput, MB/s")
    rows = [[n] + [mb_cell(s[n], z) for z in SIZES] for n in names]
    out.append(table(["client"] + [SIZE_NAMES[z] for z in SIZES], rows))
    for ref in RATIO_REFS:
        if ref not in names:
            continue
        out.append(f"\nRatios to {ref}, higher is faster: median (min-max) over rounds of each round's ratio"
                   " (the median of its side-by-side bursts)")
        rows = [[n] + [cell(rat[ref][n][label], "{:.3g}") for label, _ in RATIO_METRICS] for n in names]
        out.append(table(["client"] + [label for label, _ in RATIO_METRICS], rows))
    out.append("\nLinearity: time per reply / size, ns per byte (constant = linear)")
    rows = []
    for n in names:
        row = [n]
        for z in SIZES[2:]:
            st = get(s[n], "sizes", str(z), "mean_s")
            row.append(fmt(st and st["median"] / z * 1e9, "{:.2f}"))
        rows.append(row)
    out.append(table(["client"] + [SIZE_NAMES[z] for z in SIZES[2:]], rows))
    rec = get(rat, "serialcmd-c", RECORD)
    if rec:
        out.append(f"\nRecording ({RECORD} against serialcmd-c, side-by-side bursts): small queries "
                   f"{cell(rec['small q/s'], '{:.3g}')}, 1 KiB {cell(rec['1 KiB MB/s'], '{:.3g}')}, "
                   f"1 MiB {cell(rec['1 MiB MB/s'], '{:.3g}')}")
    aa = get(rat, "bare-c", CONTROL)
    if aa:
        out.append(f"\nNoise in this run ({CONTROL}, the bare loop again, against bare-c): small queries "
                   f"{cell(aa['small q/s'], '{:.3g}')}, 1 MiB {cell(aa['1 MiB MB/s'], '{:.3g}')}")
    out.append("\nTargets")
    rows = [[t["target"], fmt(t["value"], "{:.3g}"), f"{t['op']} {fmt(t['threshold'], '{:.3g}')}",
             {True: "met", False: "MISSED", None: "n/a"}[t["ok"]]] for t in res["targets"]]
    out.append(table(["target", "measured", "wanted", ""], rows))
    out.append(f"\nWire time of the typical query ({SMALL_WIRE_BYTES} bytes, 10 bits each) against the library's"
               " own cost per query (p50 latency and CPU over the bare loop)")
    rows = [[w["client"], w["baud"], f"{w['wire_us'] / 1000:.3f} ms", f"{w['overhead_latency_us']:.1f} us",
             f"{w['overhead_cpu_us']:.1f} us", f"{w['share_of_query'] * 100:.2f} %"] for w in res["wire"]]
    out.append(table(["client", "baud", "on the wire", "lib latency", "lib CPU", "lib share of query"], rows))
    if res.get("syscalls"):
        out.append("\nSystem calls (strace -c, start-up differenced out)")
        rows = []
        for n, c in res["syscalls"].items():
            if "error" in c:
                rows.append([n, c["error"], "", ""])
                continue
            top = lambda d: ", ".join(f"{k} {v:g}" for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:4])
            rows.append([n, f"{c['small_total']:g}", top(c["small_query"]),
                         f"{c['reply_64k_total']:g}" + (" (x16)" if "x16" in c["reply_64k_from"] else "")])
        out.append(table(["client", "per small query", "which", "per 64 KiB reply"], rows))
    d = res["device"]
    out.append(f"\nDevice check: during bare-c's small queries the device used {fmt(d.get('share_small'), '{:.0%}')}"
               f" of a CPU, during its 1 MiB replies {fmt(d.get('share_1m'), '{:.0%}')}; one device process served"
               f" {fmt(d.get('capacity_q_s'))} queries/s to 64 bare-c threads ({fmt(d.get('capacity_ratio'), '{:.2f}')}x"
               f" what the fastest single client asked) using {fmt(d.get('share_threads'), '{:.0%}')} of a CPU:"
               " it is never what limits a client.")
    for n, why in res["unavailable"].items():
        out.append(f"not measured: {n}: {why}")
    return "\n".join(out)


def markdown(res):
    rat, names = res["ratios"], res["measured"]

    def wait(n):
        v = get(res["summary"], n, "cpuwait_waiting_ms", "median")
        return "-" if v is None else ("0.0" if abs(v) < 0.05 else f"{v:.2f}")

    lines = [f"Ratios from one `make bench` run ({res['meta']['date']}, {res['meta']['rounds_done']} rounds, "
             f"medians; {res['meta']['cpus']} CPUs, Linux {res['meta']['kernel']}); higher is faster. "
             "`bare-c` is the limit (write/poll/read on the fd), `bare-c#2` the same loop again (the noise). "
             "pyserial and pyvisa-py at 1 MiB: one reply each (first round).", "",
             "| client | small queries vs bare C | vs pyserial | 1 MiB reply vs bare C | vs pyserial | "
             "64 threads vs bare C | CPU ms spent waiting 2 s |", "|---|---|---|---|---|---|---|"]
    for n in names:
        g = lambda ref, label: fmt(get(rat, ref, n, label, "median"), "{:.3g}")
        lines.append(f"| {n} | {g('bare-c', 'small q/s')} | {g('pyserial', 'small q/s')} | "
                     f"{g('bare-c', '1 MiB MB/s')} | {g('pyserial', '1 MiB MB/s')} | "
                     f"{g('bare-c', '64 threads q/s')} | {wait(n)} |")
    for n, why in res["unavailable"].items():
        short = "refuses pseudo-terminals" if n == "libserialport" and "pseudo-terminal" in why else why
        lines.append(f"| {n} | not measurable: {short} (bench/README.md) | | | | | |")
    pair = [n for n in ("serialcmd-py-seed", "serialcmd-py", "serialcmd-ctypes", "serialcmd-c") if n in names]
    if "serialcmd-py-seed" in names and "serialcmd-py" in names:
        def spread(ref, n):
            st = get(rat, ref, n, "small q/s")
            if not st or st.get("median") is None:
                return "-"
            return f"{st['median']:.3g} ({st['min']:.3g}-{st['max']:.3g}, n={st['n']})"

        lines += ["", "Small queries, `Client.query` before (`serialcmd-py-seed`: client_send_cmd_reply_n, "
                  "string_at, client_free_ret) and after (`serialcmd-py`: one client_query_into call) issue 19, "
                  "same run, interleaved bursts: median (min-max) over rounds.", "",
                  "| client | vs bare C | vs pyserial | vs the query before |", "|---|---|---|---|"]
        for n in pair:
            lines.append(f"| {n} | {spread('bare-c', n)} | {spread('pyserial', n)} | "
                         f"{spread('serialcmd-py-seed', n)} |")
    return "\n".join(lines) + "\n"


def plot(res, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib missing (sh .ci/install-deps installs python3-matplotlib)"
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5.5))
    for n in res["measured"]:
        xs, ys, lo, hi, ts = [], [], [], [], []
        for z in SIZES:
            c = get(res["summary"], n, "sizes", str(z))
            if c and "mb_per_s" in c:
                st = c["mb_per_s"]
                xs.append(z)
                ys.append(st["median"])
                lo.append(st["median"] - st["min"])
                hi.append(st["max"] - st["median"])
                ts.append(c["mean_s"]["median"])
        if xs:
            ax1.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3, label=n)
            ax2.plot(xs, ts, marker="o", label=n)
    ref = get(res["summary"], "bare-c", "sizes", str(1 << 20), "mean_s", "median")
    if ref:
        ax2.plot(SIZES[2:], [ref * z / (1 << 20) for z in SIZES[2:]], "k:", label="proportional to size (bare-c at 1 MiB)")
    for ax in (ax1, ax2):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(SIZES)
        ax.set_xticklabels([SIZE_NAMES[z] for z in SIZES])
        ax.set_xlabel("reply size")
        ax.grid(True, which="both", alpha=0.3)
    ax1.set_ylabel("throughput, MB/s (median; bars: min-max over rounds)")
    ax2.set_ylabel("time per reply, s (median)")
    ax1.set_title("Reply throughput on a pty")
    ax2.set_title("Time grows with size")
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    fig.suptitle(f"serialcmd benchmark, {res['meta']['date']}; missing points: skipped (slow client) or not measurable")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--small-s", type=float, default=0.6, help="seconds of small queries per client and round")
    ap.add_argument("--bursts", type=int, default=20, help="small-query bursts per client and round")
    ap.add_argument("--size-s", type=float, default=0.2, help="seconds per reply size per client and round")
    ap.add_argument("--bursts-size", type=int, default=4, help="bursts per reply size per client and round")
    ap.add_argument("--cap", type=float, default=3.0, help="skip sizes predicted to take longer per reply")
    ap.add_argument("--slow-cap", type=float, default=25.0,
                    help="cap for pyserial/pyvisa-py in the rounds given by --slow-big-rounds")
    ap.add_argument("--slow-big-rounds", type=int, default=1, help="rounds in which slow clients get --slow-cap")
    ap.add_argument("--threads-s", type=float, default=0.5)
    ap.add_argument("--wait-ms", type=int, default=2000)
    ap.add_argument("--budget", type=float, default=270, help="seconds; rounds are dropped to keep to it")
    ap.add_argument("--pin", action="store_true",
                    help="pin the device to CPU 0 and the clients to CPU 1 (default: let the scheduler place them)")
    ap.add_argument("--no-strace", action="store_true")
    ap.add_argument("--clients", default=",".join(ORDER))
    ap.add_argument("--seed", type=int, default=1, help="for the order of the bursts")
    ap.add_argument("--out", default=HERE, help="directory for results.{json,md,png} (created)")
    args = ap.parse_args()
    # Checked before a minute of measuring, not after it.
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        ap.error(f"--out {args.out}: {e.strerror}")
    if not 1 <= args.rounds <= 50 or args.budget > 3600 or not 1 <= args.bursts <= 100 \
            or not 1 <= args.bursts_size <= 100 or max(args.small_s, args.size_s, args.threads_s) > 30:
        ap.error("1 to 50 rounds, 1 to 100 bursts, at most 30 s per workload, a budget of at most 3600 s")
    start = time.monotonic()
    cpus = os.cpu_count() or 1
    pinned = cpus >= 2 and args.pin
    args.client_cpu = 1 if pinned else None

    names = [n for n in args.clients.split(",") if n in CLIENTS]
    unavailable = {}
    for n in names:
        why = available(n)
        if why:
            unavailable[n] = why
    dev1 = dev64 = None
    fd, ports_file = tempfile.mkstemp(prefix="serialcmd-bench-ports-")
    os.close(fd)
    record_dir = record_file = None
    if RECORD in names:
        record_dir = tempfile.mkdtemp(prefix="serialcmd-bench-record-")
        record_file = os.path.join(record_dir, "session.jsonl")
        argv = CLIENTS[RECORD][0]
        argv[1] = "SERIALCMD_RECORD=" + record_file
    rounds = []
    syscalls = {}
    rng = random.Random(args.seed)
    try:
        dev1 = Device(1, 0 if pinned else None)
        dev64 = Device(64, None)
        with open(ports_file, "w") as f:
            f.write("\n".join(dev64.ports) + "\n")
        # libserialport: one attempt tells whether it can run here at all.
        if "libserialport" in names and "libserialport" not in unavailable:
            r = run(CLIENTS["libserialport"][0] + ["-m", "count", "-p", dev1.ports[0], "-k", "1", "-r", "0"], 30)
            if "error" in r:
                unavailable["libserialport"] = ("it refuses pseudo-terminals: " + r["error"] +
                                                "; and its sp_open() reads the modem lines (TIOCMGET), which"
                                                " ptys lack (ENOTTY). See bench/README.md.")
        measured = [n for n in names if n not in unavailable]
        log(f"bench: clients {', '.join(measured)}; device pid {dev1.pid} (1 pty), {dev64.pid} (64 ptys); "
            f"{'device on CPU 0, clients on CPU 1' if pinned else 'no CPU pinning'}")
        for i in range(args.rounds):
            t0 = time.monotonic()
            k = i % len(measured)
            order = measured[k:] + measured[:k]
            log(f"  round {i + 1}/{args.rounds}")
            cap_for = lambda n, i=i: args.slow_cap if (n in SLOW and i < args.slow_big_rounds) else args.cap
            r = {"round": i + 1, "order": order}
            r["main"] = main_round(order, dev1, ports_file, args, cap_for, rng)
            t1 = time.monotonic()
            others = [n for n in order if n not in (CONTROL, RECORD)]
            if record_file:
                open(record_file, "w").close()  # every writer of the round has exited
            r["cpuwait"] = cpuwait_round(others, dev64, args)
            t2 = time.monotonic()
            r["threads"] = threads_round(others, dev64, ports_file, args)
            log(f"    interleaved bursts {t1 - t0:.0f} s, waiting {t2 - t1:.0f} s, threads {time.monotonic() - t2:.0f} s")
            rounds.append(r)
            spent = time.monotonic() - start
            per_round = time.monotonic() - t0
            if i + 1 < args.rounds and spent + per_round + 20 > args.budget:
                log(f"  stopping after {i + 1} rounds to keep to the {args.budget:.0f} s budget")
                break
        if not args.no_strace and shutil.which("strace") and time.monotonic() - start < args.budget - 15:
            log("  counting system calls (strace -f -c)")
            syscalls = syscall_counts([n for n in measured if n not in (CONTROL, RECORD)], dev1)
    finally:
        for d in (dev1, dev64):
            if d:
                d.stop()
        os.unlink(ports_file)
        if record_dir:
            shutil.rmtree(record_dir)

    summary = summarise(rounds, measured)
    rat = ratios(rounds, measured)
    share = lambda key: get(summary, "bare-c", "small", "device_cpu_share", "median") if key == "s" else \
        get(summary, "bare-c", "sizes", str(1 << 20), "device_cpu_share", "median")
    fastest = max((get(summary, n, "small", "per_s", "median") or 0) for n in measured) if measured else 0
    cap = get(summary, "bare-c", "threads", "per_s", "median")
    res = {
        "meta": {
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "kernel": platform.release(),
            "cpus": cpus, "python": platform.python_version(), "rounds_wanted": args.rounds,
            "rounds_done": len(rounds), "pinned": pinned, "seconds": round(time.monotonic() - start, 1),
            "config": {k: v for k, v in vars(args).items() if k != "out"},
            "clients": {n: CLIENTS[n][1] for n in names},
            "command": "make bench",
        },
        "measured": measured,
        "unavailable": unavailable,
        "summary": summary,
        "ratios": rat,
        "device": {"share_small": share("s"), "share_1m": share("m"), "capacity_q_s": cap,
                   "share_threads": get(summary, "bare-c", "threads", "device_cpu_share", "median"),
                   "capacity_ratio": cap / fastest if cap and fastest else None},
        "syscalls": syscalls,
        "rounds": rounds,
    }
    res["targets"] = targets(summary, rat)
    res["wire"] = wire_table(summary)
    text = report(res)
    print(text)
    why = plot(res, os.path.join(args.out, "results.png"))
    res["meta"]["seconds"] = round(time.monotonic() - start, 1)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(markdown(res))
    out = os.path.relpath(args.out)
    print(f"\nwrote {out}/results.json, {out}/results.md" + (f"; no plot: {why}" if why else f", {out}/results.png")
          + f"; {res['meta']['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
