#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Python benchmark clients, with the same workloads, steps and JSON keys
as the C harness (bench-client.c).

    bench_client.py CLIENT -m serve|threads|cpuwait|count [-p PORT] [-P PORTS_FILE] ...

CLIENT is one of
  serialcmd-ctypes  libserialcmd's ctypes ABI declared by hand (README "Python")
  serialcmd-py      the serialcmd package: serialcmd.Client(...).query()
                    (one foreign call per query: client_query_into())
  serialcmd-py-seed the same Client, its query made as before issue 19:
                    client_send_cmd_reply_n(), string_at(), client_free_ret()
  pyserial          Debian's python3-serial: write() + read_until(b"\\n")
  pyvisa-py         Debian's python3-pyvisa-py: query() on ASRL<port>::INSTR
  pyvisa-serialcmd  the same PyVISA code on ResourceManager("@serialcmd")

Each client is used the way its documentation shows; a command that is sent
again and again is prepared once (encoded, terminator added) where the API
takes bytes, as a careful user would. Every loop is bounded in count and
time. Run with /usr/bin/python3 (the Debian modules live there).
"""

import argparse
import ctypes
import json
import os
import resource
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SMALL_CMD = "*IDN?"
SMALL_REPLY_LEN = 20
MAX_SMALL = 2000000
MAX_REPS = 100000
TIMEOUT_S = 10
# pyserial and pyvisa-py take ~12 us a byte here: a 1 MiB reply needs more.
SLOW_TIMEOUT_S = 60


class CtypesClient:
    """The four ABI calls, declared exactly as the README's ctypes example."""

    lib = None

    class Ret(ctypes.Structure):
        _fields_ = [("ret_data", ctypes.POINTER(ctypes.c_char)), ("len", ctypes.c_size_t)]

    @classmethod
    def load(cls):
        if cls.lib is None:
            path = os.environ.get("SERIALCMD_LIBRARY") or os.path.join(ROOT, "lib", "libserialcmd.so.1")
            lib = ctypes.CDLL(path)
            lib.client_init_py.argtypes = [ctypes.c_char_p]
            lib.client_init_py.restype = ctypes.c_void_p
            lib.client_send_cmd_reply.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            lib.client_send_cmd_reply.restype = ctypes.POINTER(cls.Ret)
            lib.client_free_ret.argtypes = [ctypes.POINTER(cls.Ret)]
            lib.client_free_ret.restype = None
            lib.client_destroy.argtypes = [ctypes.c_void_p]
            lib.client_destroy.restype = None
            lib.client_last_message.argtypes = []
            lib.client_last_message.restype = ctypes.c_char_p
            cls.lib = lib
        return cls.lib

    def __init__(self, path):
        lib = self.load()
        self.h = lib.client_init_py(f"{path}?timeout_ms={TIMEOUT_S * 1000}".encode())
        if not self.h:
            raise OSError(lib.client_last_message().decode())

    def prepare(self, cmd):
        lib, h, data = self.lib, self.h, cmd.encode()
        send, free, string_at = lib.client_send_cmd_reply, lib.client_free_ret, ctypes.string_at

        def query():
            ret = send(h, data)
            if not ret:
                raise OSError(lib.client_last_message().decode())
            reply = string_at(ret.contents.ret_data, ret.contents.len)
            free(ret)
            return len(reply)

        return query

    def close(self):
        self.lib.client_destroy(self.h)


class PackageClient:
    """serialcmd.Client, the Python package of this tree."""

    def __init__(self, path):
        tree = os.path.join(ROOT, "python")
        if tree not in sys.path:
            sys.path.insert(0, tree)  # the package of this tree, as the README's examples do
        import serialcmd

        self.c = serialcmd.Client(path, timeout=TIMEOUT_S)

    def prepare(self, cmd):
        q = self.c.query
        return lambda: len(q(cmd))

    def close(self):
        self.c.close()


class SeedPathClient(PackageClient):
    """serialcmd.Client with the query path it had before client_query_into
    (issue 19), step for step: encode, enter, client_send_cmd_reply_n (with
    the package's errcheck), leave, copy the reply out with string_at, free
    it, decode. The "before" of the same run."""

    def __init__(self, path):
        super().__init__(path)
        from serialcmd import _lib

        lib = self.c.library
        f = ctypes.CFUNCTYPE(_lib.ClientRetPointer, _lib.ClientHandle, ctypes.c_char_p, ctypes.c_size_t)(
            ("client_send_cmd_reply_n", lib.dll))
        f.errcheck = _lib._errcheck
        f.__serialcmd_library__ = lib
        self.send_n = f

    def prepare(self, cmd):
        c, send_n = self.c, self.send_n

        def query_bytes(command):
            data = c._encode(command)
            handle = c._enter()
            try:
                ret = send_n(handle, data, len(data))
            finally:
                c._leave()
            return c._take(ret)

        return lambda: len(c._decode(query_bytes(cmd)))


class PyserialClient:
    def __init__(self, path):
        import serial

        self.s = serial.Serial(path, timeout=SLOW_TIMEOUT_S)
        self.s.reset_input_buffer()

    def prepare(self, cmd):
        write, read_until, line = self.s.write, self.s.read_until, (cmd + "\n").encode()

        def query():
            write(line)
            reply = read_until(b"\n")
            if not reply.endswith(b"\n"):
                raise TimeoutError(f"pyserial: {len(reply)} bytes and no LF")
            return len(reply) - 1

        return query

    def close(self):
        self.s.close()


class PyvisaClient:
    rm = None
    backend = "@py"

    def __init__(self, path):
        import pyvisa

        if self.rm is None:
            type(self).rm = pyvisa.ResourceManager(self.backend)
        self.r = self.rm.open_resource(
            f"ASRL{path}::INSTR", read_termination="\n", write_termination="\n", timeout=SLOW_TIMEOUT_S * 1000
        )

    def prepare(self, cmd):
        q = self.r.query
        return lambda: len(q(cmd))

    def close(self):
        self.r.close()


class PyvisaSerialcmdClient(PyvisaClient):
    """The same PyVISA code on this tree's backend, @serialcmd."""

    rm = None
    backend = "@serialcmd"

    def __init__(self, path):
        tree = os.path.join(ROOT, "python")
        if tree not in sys.path:
            sys.path.insert(0, tree)  # pyvisa_serialcmd of this tree
        super().__init__(path)


CLIENTS = {
    "serialcmd-ctypes": CtypesClient,
    "serialcmd-py": PackageClient,
    "serialcmd-py-seed": SeedPathClient,
    "pyserial": PyserialClient,
    "pyvisa-py": PyvisaClient,
    "pyvisa-serialcmd": PyvisaSerialcmdClient,
}


def dev_cpu(pid):
    """The device process's user+system CPU seconds, or None."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def dev_share(pid, d0, seconds):
    d1 = dev_cpu(pid)
    return -1.0 if d0 is None or d1 is None else (d1 - d0) / seconds


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGESIZE") // 1024)


def pct(sorted_values, p):
    """Nearest-rank percentile."""
    n = len(sorted_values)
    if not n:
        return 0.0
    k = min(n - 1, max(0, int(p / 100.0 * n + 0.999999) - 1))
    return sorted_values[k]


def checked(query, want):
    n = query()
    if n != want:
        raise RuntimeError(f"reply of {n} bytes, expected {want}")


def small_burst(cls, port, seconds, a):
    client = cls(port)
    q = client.prepare(SMALL_CMD)
    for _ in range(50):
        checked(q, SMALL_REPLY_LEN)
    lat = []
    append, clock = lat.append, time.perf_counter
    c0, d0 = time.process_time(), dev_cpu(a.d)
    t0 = t = clock()
    end = t0 + seconds
    n = 0
    while t < end and n < MAX_SMALL:
        if q() != SMALL_REPLY_LEN:
            raise RuntimeError("short reply")
        t1 = clock()
        append(t1 - t)
        t = t1
        n += 1
    seconds = t - t0
    cpu = time.process_time() - c0
    share = dev_share(a.d, d0, seconds)
    client.close()
    lat.sort()
    return {
        "count": n, "seconds": seconds, "per_s": n / seconds, "cpu_us_per_query": cpu / n * 1e6,
        "device_cpu_share": share, "p50_us": pct(lat, 50) * 1e6, "p99_us": pct(lat, 99) * 1e6,
        "min_us": lat[0] * 1e6,
    }


def size_burst(cls, port, size, seconds, warm, a):
    client = cls(port)
    q = client.prepare(f"SIZE {size}")
    if warm:
        checked(q, size)
    reps = []
    c0, d0 = time.process_time(), dev_cpu(a.d)
    t0 = t = time.perf_counter()
    end = t0 + seconds
    while (not reps or t < end) and len(reps) < MAX_REPS:
        checked(q, size)
        t1 = time.perf_counter()
        reps.append(t1 - t)
        t = t1
    seconds = t - t0
    cpu = time.process_time() - c0
    share = dev_share(a.d, d0, seconds)
    client.close()
    n = len(reps)
    reps.sort()
    return {
        "reps": n, "seconds": seconds, "mean_s": seconds / n, "median_s": pct(reps, 50),
        "mb_per_s": size * n / seconds / 1e6, "cpu_s_per_reply": cpu / n, "device_cpu_share": share,
    }


def memory(cls, a):
    ports = a.P[: a.n]
    if not ports:
        raise RuntimeError("memory: no ports (-P)")
    cls(ports[0]).close()  # imports, library loading: not per handle
    before = rss_kib()
    t0 = time.perf_counter()
    handles = [cls(p) for p in ports]
    t1 = time.perf_counter()
    after = rss_kib()
    for h in handles:
        h.close()
    n = len(ports)
    return {
        "handles": n, "rss_before_kib": before, "rss_after_kib": after,
        "kib_per_handle": (after - before) / n, "open_ms_per_handle": (t1 - t0) / n * 1e3,
    }


def serve(cls, a):
    """Memory first, then one command a line on stdin (see bench-client.c)."""
    print(json.dumps(memory(cls, a)), flush=True)
    for line in sys.stdin:
        w = line.split()
        if w and w[0] == "small" and len(w) == 3 and 0 < float(w[2]) <= 60:
            r = small_burst(cls, w[1], float(w[2]), a)
        elif w and w[0] == "size" and len(w) == 5 and 0 <= int(w[2]) <= 64 << 20 and 0 < float(w[3]) <= 60:
            r = size_burst(cls, w[1], int(w[2]), float(w[3]), w[4] == "1", a)
        elif w and w[0] == "quit":
            break
        else:
            raise RuntimeError(f"serve: unknown command {line!r}")
        print(json.dumps(r), flush=True)


def threads_workload(cls, a):
    ports = a.P[: a.n]
    handles = [cls(p) for p in ports]
    queries = [h.prepare(SMALL_CMD) for h in handles]
    for q in queries:
        checked(q, SMALL_REPLY_LEN)
    start = threading.Barrier(len(ports) + 1)
    counts = [0] * len(ports)
    lats = [[] for _ in ports]
    errors = []

    def work(i):
        q, lat, clock = queries[i], lats[i], time.perf_counter
        start.wait()
        t = clock()
        end = t + a.T
        n = 0
        try:
            while t < end and n < MAX_SMALL:
                if q() != SMALL_REPLY_LEN:
                    raise RuntimeError("short reply")
                t1 = clock()
                if n < 100000:
                    lat.append(t1 - t)
                t = t1
                n += 1
        except Exception as e:  # reported, not hidden
            errors.append(repr(e))
        counts[i] = n

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(ports))]
    for th in threads:
        th.start()
    start.wait()
    c0, d0 = time.process_time(), dev_cpu(a.d)
    t0 = time.perf_counter()
    for th in threads:
        th.join()
    seconds = time.perf_counter() - t0
    cpu, share = time.process_time() - c0, dev_share(a.d, d0, seconds)
    for h in handles:
        h.close()
    if errors:
        raise RuntimeError(f"{len(errors)} threads failed, first: {errors[0]}")
    allv = sorted(v for lat in lats for v in lat)
    total = sum(counts)
    return {
        "handles": len(ports), "count": total, "seconds": seconds, "per_s": total / seconds,
        "p50_us": pct(allv, 50) * 1e6, "p99_us": pct(allv, 99) * 1e6,
        "cpu_share": cpu / seconds, "device_cpu_share": share,
    }


def timed_query(q):
    """CPU seconds, context switches and wall time of one query."""
    t0 = time.perf_counter()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    checked(q, 4)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter() - t0
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return cpu, (r1.ru_nvcsw - r0.ru_nvcsw) + (r1.ru_nivcsw - r0.ru_nivcsw), wall


def cpuwait_workload(cls, a):
    """The 2 s query against the same query answered at once after as long
    an idle time (both start with cold caches): the difference is the cost
    of waiting itself."""
    client = cls(a.p)
    checked(client.prepare(SMALL_CMD), SMALL_REPLY_LEN)
    at_once, delayed = client.prepare("DELAY 0"), client.prepare(f"DELAY {a.w}")
    time.sleep(a.w / 1000)
    base = timed_query(at_once)[0]
    cpu, switches, wall = timed_query(delayed)
    client.close()
    return {"wall_s": wall, "cpu_ms": cpu * 1e3, "cpu_ms_answered_at_once": base * 1e3,
            "cpu_ms_waiting": (cpu - base) * 1e3, "context_switches": switches}


def count_workload(cls, a):
    client = cls(a.p)
    small, big = client.prepare(SMALL_CMD), client.prepare(f"SIZE {a.K}")
    end = time.monotonic() + 120
    for _ in range(a.k):
        if time.monotonic() > end:
            break
        checked(small, SMALL_REPLY_LEN)
    for _ in range(a.r):
        if time.monotonic() > end:
            break
        checked(big, a.K)
    client.close()
    return {"count": a.k}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("client", choices=sorted(CLIENTS))
    ap.add_argument("-m", default="serve", choices=["serve", "threads", "cpuwait", "count"])
    ap.add_argument("-p", help="the port")
    ap.add_argument("-P", help="file listing ports, one a line")
    ap.add_argument("-n", type=int, default=64, help="handles for memory and threads")
    ap.add_argument("-T", type=float, default=1.0, help="seconds of the threads workload")
    ap.add_argument("-w", type=int, default=2000, help="ms the device waits in cpuwait")
    ap.add_argument("-d", type=int, default=0, help="device pid, for its CPU time")
    ap.add_argument("-k", type=int, default=100, help="count mode: small queries")
    ap.add_argument("-r", type=int, default=100, help="count mode: replies of -K bytes")
    ap.add_argument("-K", type=int, default=65536, help="count mode: reply size")
    a = ap.parse_args(argv)
    a.P = [line.strip() for line in open(a.P)] if a.P else []
    a.P = [p for p in a.P if p.startswith("/")]
    if not 1 <= a.n <= 128 or a.T > 60 or not 0 <= a.w <= 60000 or a.k > 1000000 or a.r > 100000 \
            or not 0 <= a.K <= 64 << 20:
        ap.error("bounds: 1 to 128 handles, 60 s per workload, 1000000 queries")
    cls = CLIENTS[a.client]
    if a.m == "serve":
        serve(cls, a)
        return 0
    if not a.p and a.m != "threads":
        ap.error("-p PORT is needed")
    result = {"client": a.client, "mode": a.m}
    if a.m == "threads":
        result.update(threads_workload(cls, a))
    elif a.m == "cpuwait":
        result.update(cpuwait_workload(cls, a))
    else:
        result.update(count_workload(cls, a))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
