# SPDX-License-Identifier: MIT
"""The library's trace through Python's logging (issue 19): a C trace
callback, installed only while the port's logger is enabled for DEBUG."""

from __future__ import annotations

import logging
import sys
import time

import pytest

import serialcmd
from serialcmd_testlib import SIM_IDN


class Records(logging.Handler):
    """Collects the messages logged to one logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list = []
        self.names: set = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        self.names.add(record.name)


@pytest.fixture
def records():
    """A handler on the "serialcmd" logger; its level restored after."""
    top = logging.getLogger("serialcmd")
    handler = Records()
    level = top.level
    top.addHandler(handler)
    yield handler
    top.removeHandler(handler)
    top.setLevel(level)


def test_logger_names():
    assert serialcmd.logger_for_port("/dev/ttyUSB0").name == "serialcmd.port./dev/ttyUSB0"
    # Dots would make levels of the hierarchy: made "_".
    assert serialcmd.logger_for_port("tcp://10.0.0.5:5025").name == "serialcmd.port.tcp://10_0_0_5:5025"
    assert serialcmd.logger_for_port("x").parent.name == "serialcmd.port"


def test_trace_logged_at_debug(faulty, records):
    logging.getLogger("serialcmd").setLevel(logging.DEBUG)
    with serialcmd.Client(faulty, timeout=2, unsolicited="!ALARM") as dev:
        assert dev.logger.name == f"serialcmd.port.{faulty}"
        assert dev.query("*IDN?") == SIM_IDN
        # Stale input dropped before the next command, then an unasked line.
        dev.write("TWICE stale")
        assert dev.read() == "stale"
        time.sleep(0.2)  # the second copy is sent right after the first
        assert dev.query("UNASKED 1 hi") == "hi"
        dev.timeout = 0.2
        with pytest.raises(serialcmd.TimeoutError):
            dev.query("SILENT")
    assert records.names == {f"serialcmd.port.{faulty}"}
    lines = records.lines
    # The port is the logger's name: not repeated in each message.
    assert 'sent 6 bytes "*IDN?\\n"' in lines
    assert f'reply {len(SIM_IDN)} bytes "{SIM_IDN}"' in lines
    assert any(line.startswith("read ") for line in lines)
    assert any(line.startswith("unsolicited") and "!ALARM unasked" in line for line in lines)
    assert any(line.startswith("dropped") and "stale" in line for line in lines), lines
    assert any(line.startswith("error CLIENT_ERR_TIMEOUT: ") and "timeout" in line for line in lines), lines


def test_nothing_when_not_enabled_and_switchable(faulty, records):
    top = logging.getLogger("serialcmd")
    top.setLevel(logging.INFO)
    with serialcmd.Client(faulty, timeout=2) as dev:
        dev.query("*IDN?")
        assert records.lines == []
        # Switched on while open: the next call installs the callback.
        top.setLevel(logging.DEBUG)
        dev.query("*IDN?")
        on = len(records.lines)
        assert on and 'sent 6 bytes "*IDN?\\n"' in records.lines
        # And off again: nothing more, errors included.
        top.setLevel(logging.WARNING)
        dev.query("*IDN?")
        dev.timeout = 0.1
        with pytest.raises(serialcmd.TimeoutError):
            dev.query("SILENT")
        assert len(records.lines) == on


def test_a_failing_log_call_does_not_reach_c(faulty, records, monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u))

    def refuse(record: logging.LogRecord) -> bool:
        raise RuntimeError("filter broke")

    port_logger = serialcmd.logger_for_port(faulty)
    port_logger.addFilter(refuse)
    logging.getLogger("serialcmd").setLevel(logging.DEBUG)
    try:
        with serialcmd.Client(faulty, timeout=2) as dev:
            assert dev.query("*IDN?") == SIM_IDN
            assert dev.query("*IDN?") == SIM_IDN
    finally:
        port_logger.removeFilter(refuse)
    assert seen and all(isinstance(u.exc_value, RuntimeError) for u in seen)
    assert "trace callback" in seen[0].err_msg
