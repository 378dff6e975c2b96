# SPDX-License-Identifier: MIT
"""Helpers shared by the Python tests: paths, constants, simulators.

:class:`Sim` starts devices/sim/serialcmd-sim on a real pseudo-terminal
in a chosen mode, reads the pty path from the first line of its stdout, and
stops it by PID at teardown (SIGTERM, then wait with a timeout; SIGKILL only
if it did not stop).  Tests only ever open the ptys these simulators made.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict

ROOT = Path(__file__).resolve().parents[2]
PYTHON_DIR = ROOT / "python"
SIM_BIN = ROOT / "devices" / "sim" / "serialcmd-sim"
LIBRARY = ROOT / "lib" / "libserialcmd.so.1"
HEADER = ROOT / "include" / "serialcmd.h"
FAULTS_H = ROOT / "devices" / "sim" / "faults.h"
EXAMPLES = PYTHON_DIR / "examples"

# The package under test is the one in the source tree.
sys.path.insert(0, str(PYTHON_DIR))


def _define(name: str) -> str:
    m = re.search(rf'#define {name}\s+"([^"]*)"', FAULTS_H.read_text())
    assert m, f"{name} not found in {FAULTS_H}"
    return m.group(1)


SIM_IDN = _define("SIM_IDN")
SIM_UNKNOWN = _define("SIM_UNKNOWN")

START_TIMEOUT = 5.0
STOP_TIMEOUT = 5.0


class Sim:
    """One running serialcmd-sim."""

    def __init__(self, mode: str, *args: str) -> None:
        self.mode = mode
        self.proc = subprocess.Popen(
            [str(SIM_BIN), *args, mode],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
        )
        try:
            self.path = self._read_path()
        except BaseException:
            self.stop()
            raise

    def _read_path(self) -> str:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + START_TIMEOUT
        buf = b""
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"serialcmd-sim {self.mode}: no pty path within {START_TIMEOUT} s")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"serialcmd-sim {self.mode}: exited with {self.proc.wait()} before printing its pty")
            buf += chunk
        path = buf.split(b"\n", 1)[0].decode()
        # Never anything but the pseudo-terminal the simulator made.
        assert path.startswith("/dev/pts/"), path
        return path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def python_env(**extra: str) -> Dict[str, str]:
    """An environment for child interpreters, without our SERIALCMD_LIBRARY."""
    env = {k: v for k, v in os.environ.items() if k not in ("SERIALCMD_LIBRARY", "PYTHONPATH")}
    env.update(extra)
    return env


def fake_usb_port(root: Path) -> None:
    """A fake sysfs under root (for SERIALCMD_SYSFS_ROOT) with one USB
    serial port, /dev/ttyUSB9: 0403:6001, serial S1, manufacturer M,
    product P. Nothing is opened: the device node does not exist."""
    usb = root / "devices/usb1/1-1"
    tty = usb / "1-1:1.0/tty/ttyUSB9"
    tty.mkdir(parents=True)
    for key, value in {"idVendor": "0403", "idProduct": "6001", "serial": "S1", "manufacturer": "M",
                       "product": "P"}.items():
        (usb / key).write_text(value + "\n")
    (tty / "device").symlink_to(usb / "1-1:1.0")
    (root / "class/tty").mkdir(parents=True)
    (root / "class/tty/ttyUSB9").symlink_to(tty)


def counting_library(monkeypatch):
    """A fresh Library, made the one new clients use, whose functions count
    their calls: returns it and the counts by function name."""
    import ctypes

    import serialcmd
    from serialcmd import _lib

    path = serialcmd.get_library().path
    fresh = _lib.Library(ctypes.CDLL(str(path)), path)
    counts = dict.fromkeys(fresh.functions, 0)
    for name, f in fresh.functions.items():
        def counted(*args, _f=f, _name=name):
            counts[_name] += 1
            return _f(*args)

        monkeypatch.setattr(fresh, name, counted)
    monkeypatch.setattr(_lib, "_default", fresh)
    return fresh, counts
