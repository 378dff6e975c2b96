# SPDX-License-Identifier: MIT
"""The Client's fewer surprises (issue 19): one meaning for timeout=None,
a loud warning for timeouts that look like milliseconds, write()'s count,
read_bytes(n), clear(), and a repr that shows the settings and state."""

from __future__ import annotations

import time
import warnings

import pytest

import serialcmd
from serialcmd_testlib import SIM_IDN


def test_timeout_none_refused_in_constructor_and_property(loopback):
    # None has one meaning everywhere: refused, with what to give instead.
    with pytest.raises(serialcmd.OptionError, match="None is not a timeout.*86400 s"):
        serialcmd.Client(loopback, timeout=None)
    with pytest.raises(serialcmd.OptionError, match="None is not a timeout"):
        serialcmd.make_spec(loopback, timeout=None)
    with serialcmd.Client(loopback) as dev:
        with pytest.raises(serialcmd.OptionError, match="None is not a timeout"):
            dev.timeout = None  # type: ignore[assignment]
        with pytest.raises(serialcmd.OptionError, match="expected an int"):
            dev.timeout_ms = None  # type: ignore[assignment]
        assert dev.timeout == 2.0  # unchanged


def test_long_timeout_warns_but_is_taken(loopback):
    with pytest.warns(serialcmd.LongTimeoutWarning, match=r"timeout=1500 is 25\.0 minutes: timeouts are SECONDS") as got:
        dev = serialcmd.Client(loopback, timeout=1500)
    # Pointed at the caller's line, not inside the package.
    assert got[0].filename == __file__
    try:
        assert dev.timeout == 1500.0
        with pytest.warns(serialcmd.LongTimeoutWarning, match="for 2000 ms give 2.0") as got:
            dev.timeout = 2000
        assert got[0].filename == __file__
        assert dev.timeout == 2000.0 and dev.timeout_ms == 2000000
        # Below the threshold, and in milliseconds, nothing is said.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            dev.timeout = 999.9
            dev.timeout_ms = 86400000
        assert dev.timeout == 86400.0
    finally:
        dev.close()


def test_repr_shows_port_settings_units_and_state(loopback):
    dev = serialcmd.Client(loopback, baud=19200, parity="even", bits=7, stop=2, read_eol="\r\n",
                           write_eol="\n", timeout=0.25)
    try:
        assert repr(dev) == f"<serialcmd.Client {loopback!r} baud=19200 7E2 eol=CRLF/LF timeout=0.25s open>"
        dev.timeout = 3
        assert "timeout=3s open>" in repr(dev)
    finally:
        dev.close()
    assert repr(dev).endswith("timeout=3s closed>")


def test_write_counts_command_and_terminator(loopback):
    with serialcmd.Client(loopback, write_eol="\r\n", read_eol="\r\n") as dev:
        assert dev.write("abc") == 5
        assert dev.read() == "abc"
        assert dev.write(b"") == 2
        assert dev.read() == ""


def test_read_bytes_n_exact(faulty):
    with serialcmd.Client(faulty, timeout=2) as dev:
        assert dev.write("*IDN?") == 6
        head = dev.read_bytes(7)
        assert head == SIM_IDN.encode()[:7]
        # Terminators are bytes like any other: the rest and the LF.
        assert dev.read_bytes(len(SIM_IDN) - 7 + 1) == SIM_IDN.encode()[7:] + b"\n"
        dev.timeout = 1.0  # the reply comes at once: a timeout waiting for 10 more bytes
        dev.write("*IDN?")
        with pytest.raises(serialcmd.TimeoutError, match="bytes"):
            dev.read_bytes(len(SIM_IDN) + 10)
        # What came stays for the next read.
        assert dev.read_bytes() == SIM_IDN.encode()
        with pytest.raises(serialcmd.ArgumentError):
            dev.read_bytes("3")  # type: ignore[arg-type]


def test_clear_drops_pending_input_and_counts(faulty):
    with serialcmd.Client(faulty, timeout=2) as dev:
        assert dev.clear() == 0
        dev.write("LINES 3")  # line1\nline2\nline3\n = 18 bytes
        # Wait (bounded) until the device has answered in full.
        dropped = 0
        for _ in range(100):
            dropped += dev.clear()
            if dropped >= 18:
                break
            time.sleep(0.02)
        assert dropped == 18
        assert dev.clear() == 0
        assert dev.query("*IDN?") == SIM_IDN
        # A reply read in part: its rest is dropped too.
        dev.write("LINES 2")
        assert dev.read() == "line1"
        time.sleep(0.1)
        assert dev.clear() == len("line2\n")
        dev.close()
        with pytest.raises(serialcmd.ClosedError):
            dev.clear()


def test_clear_drops_more_than_max_reply(faulty):
    # The library hands unread bytes over max_reply at a time: clear()
    # asks until none is left.
    with serialcmd.Client(faulty, timeout=2, max_reply=32) as dev:
        dev.write("SIZE 200")  # the simulator writes its 201 bytes at once
        counts = []
        for _ in range(100):
            counts.append(dev.clear())
            if sum(counts) >= 201:
                break
            time.sleep(0.02)
        assert sum(counts) == 201
        # One clear() took them all, not max_reply + 1 (33) of them.
        assert [c for c in counts if c] == [201]
        assert dev.query("*IDN?") == SIM_IDN
