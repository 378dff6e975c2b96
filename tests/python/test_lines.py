# SPDX-License-Identifier: MIT
"""Control lines, break, hupcl and low latency from Python and the command
line (issue 18), on real pseudo-terminals. A pty has no modem lines and no
UART: Linux answers ENOTTY to TIOCMBIS/TIOCMBIC/TIOCMGET and TIOCGSERIAL,
TIOCSBRK/TIOCCBRK succeed and do nothing, and HUPCL is an ordinary termios
flag. The C tests (test-serial, test-lines) check the ioctls and
libserialport calls made on ports that have the lines."""

from __future__ import annotations

import os
import select
import subprocess
import termios
from typing import Iterator, Tuple

import pytest

import serialcmd

from serialcmd_testlib import ROOT, python_env

CLI = ROOT / "tools" / "serialcmd"


@pytest.fixture
def pty() -> Iterator[Tuple[int, int, str]]:
    """(master, slave, slave path); the test keeps the slave open so that
    its termios settings can be read back."""
    master, slave = os.openpty()
    try:
        yield master, slave, os.ttyname(slave)
    finally:
        os.close(master)
        os.close(slave)


def hupcl(fd: int) -> bool:
    return bool(termios.tcgetattr(fd)[2] & termios.HUPCL)


def test_properties_on_a_pty(pty: Tuple[int, int, str]) -> None:
    master, _, path = pty
    with serialcmd.Client(path, timeout=1) as dev:
        # Never set: None, as pyserial has no way to know either.
        assert dev.dtr is None and dev.rts is None
        with pytest.raises(serialcmd.UnsupportedError) as info:
            dev.dtr = True
        assert str(info.value).startswith(f"{path}: raising DTR: not supported by this port's driver: "
                                          "a pseudo-terminal has no modem lines")
        assert isinstance(info.value, OSError)
        assert dev.dtr is None  # not made, not recorded
        with pytest.raises(serialcmd.UnsupportedError, match="lowering RTS"):
            dev.rts = False
        for line in ("cts", "dsr", "cd", "ri"):
            with pytest.raises(serialcmd.UnsupportedError, match="reading the modem lines"):
                getattr(dev, line)
        # A break is accepted and reaches nobody: the master reads nothing.
        dev.send_break(0.05)
        assert select.select([master], [], [], 0)[0] == []
        with pytest.raises(serialcmd.ArgumentError, match="does not fit the deadline"):
            dev.send_break(1.0)
        with pytest.raises(serialcmd.OptionError):
            dev.send_break(-1)
        # The handle still works.
        os.write(master, b"OK\n")
        assert dev.read() == "OK"


def test_hupcl_keyword(pty: Tuple[int, int, str]) -> None:
    """hupcl=False clears HUPCL, so closing leaves DTR as it is (on a real
    port); the flag belongs to the tty and outlives the client."""
    _, slave, path = pty
    # A new pty slave starts without HUPCL (Linux's pts driver sets only
    # B38400 | CS8 | CREAD), unlike a serial port: set it as a UART has it.
    assert not hupcl(slave)
    attrs = termios.tcgetattr(slave)
    attrs[2] |= termios.HUPCL
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    assert hupcl(slave)
    with serialcmd.Client(path, hupcl=False):
        assert not hupcl(slave)
    assert not hupcl(slave)
    with serialcmd.Client(path):  # keep: left as found
        assert not hupcl(slave)
    with serialcmd.Client(f"{path}?hupcl=1"):
        assert hupcl(slave)


@pytest.mark.parametrize("options,what", [
    ({"dtr": True}, "raising DTR"),
    ({"rts": False}, "lowering RTS"),
    ({"low_latency": True}, "low_latency: TIOCGSERIAL"),
    ({"low_latency": "0"}, "low_latency: TIOCGSERIAL"),
])
def test_line_keywords_refused_on_a_pty(pty: Tuple[int, int, str], options, what) -> None:
    """A line setting asked for and not made fails the open, never silently."""
    _, _, path = pty
    with pytest.raises(serialcmd.UnsupportedError) as info:
        serialcmd.Client(path, **options)
    assert str(info.value).startswith(f"{path}: {what}: not supported by this port's driver")
    # Nothing is left holding the port.
    with serialcmd.Client(path):
        pass


def test_keyword_values(pty: Tuple[int, int, str]) -> None:
    _, _, path = pty
    assert serialcmd.make_spec(path, dtr=True, rts=False) == f"{path}?dtr=1&rts=0"
    assert serialcmd.check_spec(path, hupcl="keep") == f"{path}?hupcl=keep"
    with pytest.raises(serialcmd.OptionError, match="bad value '2' for 'dtr'"):
        serialcmd.check_spec(path, dtr=2)
    with pytest.raises(serialcmd.OptionError, match="rts=1 conflicts with flow=rtscts"):
        serialcmd.Client(path, rts=True, flow="rtscts")


def test_cli(pty: Tuple[int, int, str]) -> None:
    master, _, path = pty

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=30,
                              env=python_env())

    r = run(path, "--break=20")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert select.select([master], [], [], 0)[0] == []
    r = run(path, "--signals")
    assert r.returncode == 1
    assert "reading the modem lines: not supported" in r.stderr and "CLIENT_ERR_UNSUPPORTED" in r.stderr
    r = run(path, "--dtr=1")
    assert r.returncode == 1 and "raising DTR" in r.stderr
    r = run(path, "--rts=2")
    assert r.returncode == 2 and "--rts: bad value '2' (accepted: 0 or 1)" in r.stderr
    r = run(path, "--break=0")
    assert r.returncode == 2 and "is no break" in r.stderr
    r = run("--dtr=1", path)
    assert r.returncode == 2 and "the spec comes before" in r.stderr
    # Options that are not actions may still come first.
    r = run("--trace", path, "--break=5")
    assert r.returncode == 0, r.stderr
    assert f"{path}: break on" in r.stderr and f"{path}: break off" in r.stderr


def test_check_hw_refuses_the_console_and_non_ttys(tmp_path, pty: Tuple[int, int, str]) -> None:
    """make check-hw's script refuses the console, also through a symlink,
    and anything that is not a character device, before opening anything;
    without PORT it says what it needs and does nothing."""
    script = ROOT / "tests" / "check-hw.sh"

    def run(port: str) -> subprocess.CompletedProcess:
        # TEST_LOOPBACK: what it would run once the port is accepted.
        return subprocess.run(["sh", str(script), port], capture_output=True, text=True, timeout=30,
                              env=python_env(TEST_LOOPBACK="/usr/bin/env"))

    r = run("")
    assert r.returncode == 0 and "needs PORT=" in r.stdout and "SERIALCMD_HW_PORT" not in r.stdout
    link = tmp_path / "by-path-console"
    link.symlink_to("/dev/ttyS0")
    for port in ("/dev/ttyS0", str(link)):
        r = run(port)
        assert r.returncode == 2, port
        assert f"refusing {port}: it is /dev/ttyS0" in r.stderr
        assert "SERIALCMD_HW_PORT" not in r.stdout
    r = run(str(tmp_path))
    assert r.returncode == 2 and "not a character device" in r.stderr
    _, _, path = pty
    r = run(path)
    assert r.returncode == 0 and f"SERIALCMD_HW_PORT={path}\n" in r.stdout


def test_profile_carries_the_line_keys(tmp_path, monkeypatch, pty: Tuple[int, int, str]) -> None:
    """A profile sets dtr, rts, hupcl and low_latency like any spec key; the
    spec overrides it, and a pty refuses what it cannot do at open."""
    (tmp_path / "ftdi-meter.profile").write_text(
        "# SPDX-License-Identifier: MIT\nbaud = 115200\nlow_latency = 1\nhupcl = 0\ndtr = 1\n")
    monkeypatch.setenv("SERIALCMD_DEVICES", f"{tmp_path}:{os.environ['SERIALCMD_DEVICES']}")
    lib = serialcmd.get_library()
    keys = ["low_latency", "hupcl", "dtr", "rts"]
    assert lib.spec_values("/dev/x?profile=ftdi-meter", keys) == {
        "low_latency": "1", "hupcl": "0", "dtr": "1", "rts": "keep"}
    assert lib.spec_values("/dev/x?profile=ftdi-meter&low_latency=keep&dtr=0", keys) == {
        "low_latency": "keep", "hupcl": "0", "dtr": "0", "rts": "keep"}
    _, slave, path = pty
    with pytest.raises(serialcmd.UnsupportedError, match="low_latency: TIOCGSERIAL"):
        serialcmd.Client(f"{path}?profile=ftdi-meter")
    attrs = termios.tcgetattr(slave)
    attrs[2] |= termios.HUPCL
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    with serialcmd.Client(f"{path}?profile=ftdi-meter&low_latency=keep&dtr=keep") as dev:
        assert dev.dtr is None
        assert not hupcl(slave)
