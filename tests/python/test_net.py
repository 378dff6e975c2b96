# SPDX-License-Identifier: MIT
"""Network ports through the package: tcp:// and rfc2217:// against a real
ser2net (foreground, 127.0.0.1 only, stopped by PID) serving the faulty
simulator's pty. The C tests (tests/test-net.c) cover the edge cases."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator, Tuple

import pytest

import serialcmd
from serialcmd_testlib import SIM_IDN

SER2NET = shutil.which("ser2net") or next(
    (p for p in ("/usr/sbin/ser2net", "/usr/bin/ser2net") if Path(p).exists()), None
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    want = f":{port:04X} "
    with open("/proc/net/tcp") as f:
        return any(want in line and line.split()[3] == "0A" for line in f)


@pytest.fixture
def ser2net(faulty: str, tmp_path: Path) -> Iterator[Tuple[int, int]]:
    """(raw port, rfc2217 port) of a ser2net in front of the simulator."""
    if not SER2NET:
        pytest.skip("ser2net not installed")
    raw, rfc = _free_port(), _free_port()
    conf = tmp_path / "ser2net.yaml"
    conf.write_text(
        f"connection: &raw\n  accepter: tcp,127.0.0.1,{raw}\n"
        f"  connector: serialdev,{faulty},115200n81,local\n"
        f"connection: &rfc\n  accepter: telnet(rfc2217),tcp,127.0.0.1,{rfc}\n"
        f"  connector: serialdev,{faulty},115200n81,local\n"
    )
    with open(tmp_path / "ser2net.log", "wb") as log:
        proc = subprocess.Popen(
            [SER2NET, "-n", "-u", "-c", str(conf), "-P", str(tmp_path / "pid")],
            stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 5
        while not (_listening(raw) and _listening(rfc)):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("ser2net did not start: " + (tmp_path / "ser2net.log").read_text())
            time.sleep(0.02)
        yield raw, rfc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_tcp_and_rfc2217_queries(ser2net: Tuple[int, int]) -> None:
    raw, rfc = ser2net
    with serialcmd.Client(f"tcp://127.0.0.1:{raw}", timeout=3) as dev:
        assert dev.query("*IDN?") == SIM_IDN
        assert dev.query("SPLIT in pieces") == "in pieces"
    # ser2net releases the device a moment after the client leaves; until
    # then it says "Port's device already in use" and hangs up.
    for _ in range(100):
        try:
            with serialcmd.Client(f"rfc2217://127.0.0.1:{rfc}", baud=19200, parity="even", timeout=3) as dev:
                if dev.query("*IDN?") == SIM_IDN:
                    assert dev.query("SPLIT again") == "again"
                    return
        except serialcmd.Error as e:
            if e.name not in ("CLIENT_ERR_CLOSED", "CLIENT_ERR_GONE"):
                raise
        time.sleep(0.05)
    pytest.fail("the rfc2217 port never answered")


@pytest.mark.parametrize(
    "spec, name",
    [
        (f"tcp://127.0.0.1:{_free_port()}", "CLIENT_ERR_REFUSED"),
        ("rfc2217://nonexistent.invalid:4001", "CLIENT_ERR_NOHOST"),
        ("tcp://127.0.0.1", "CLIENT_ERR_OPTION"),
    ],
)
def test_network_errors(spec: str, name: str) -> None:
    with pytest.raises(serialcmd.Error) as info:
        serialcmd.Client(spec, timeout=1)
    assert info.value.name == name


def test_cli_over_network(ser2net: Tuple[int, int]) -> None:
    """The command line takes network specs unchanged, with the same exit codes."""
    cli = str(Path(__file__).resolve().parents[2] / "tools" / "serialcmd")
    raw, rfc = ser2net
    r = subprocess.run([cli, f"tcp://127.0.0.1:{raw}?timeout_ms=3000", "*IDN?", "LINES 2", "-r"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [SIM_IDN, "line1", "line2"]
    for _ in range(100):  # ser2net frees the device a moment after the last client
        r = subprocess.run([cli, f"rfc2217://127.0.0.1:{rfc}?baud=19200&timeout_ms=3000", "*IDN?"],
                           capture_output=True, text=True, timeout=30)
        # While the device is still busy, ser2net accepts, negotiates, sends
        # this text in-band and closes: the command sees it as its reply or
        # sees the connection closed, depending on which comes first.
        if r.returncode == 0 and r.stdout != "Port's device already in use\n":
            break
        assert r.returncode in (0, 7), r.stderr  # closed or gone while the device is busy
        time.sleep(0.05)
    assert r.returncode == 0 and r.stdout == SIM_IDN + "\n", r.stderr
    r = subprocess.run([cli, f"tcp://127.0.0.1:{_free_port()}", "X"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 6 and "CLIENT_ERR_REFUSED" in r.stderr
