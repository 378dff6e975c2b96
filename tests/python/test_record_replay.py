# SPDX-License-Identifier: MIT
"""Record, then replay (issue 20): a session recorded through the library
(the Python package, the command line, and a C program through
SERIALCMD_RECORD) against the simulator's keithley2000, scope and faulty
devices is served by ``serialcmd-sim --replay``; the same client code then
gets byte-identical replies and the same errors, strict mode names a changed
command, lookup mode answers a reordered script, and a hostile session
(ESC, NUL, 0xff, a 1 MB reply) replays exactly and reports safely."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

import pytest

import serialcmd
from serialcmd.testing import Replay, ReplayMismatch
from serialcmd_testlib import ROOT, Sim

CLI = ROOT / "tools" / "serialcmd"
EXAMPLE = ROOT / "examples" / "serialcmd-query"

Step = Tuple[str, Any]
Outcome = Tuple[str, Optional[bytes]]


def run(script: Sequence[Step], port: str, **options: Any) -> List[Outcome]:
    """Run script on port; each step's outcome: ("ok", bytes) or the
    exception's class name. One failure never stops the script."""
    out: List[Outcome] = []
    with serialcmd.Client(port, **options) as c:
        for kind, arg in script:
            try:
                if kind == "q":
                    out.append(("ok", c.query_bytes(arg)))
                elif kind == "w":
                    c.write(arg)
                    out.append(("ok", None))
                elif kind == "b":
                    out.append(("ok", c.query_block(arg)))
                elif kind == "r":
                    out.append(("ok", c.read_bytes()))
                elif kind == "raw":
                    c.write_raw(arg)
                    out.append(("ok", None))
                else:
                    raise AssertionError(kind)
            except serialcmd.Error as e:
                out.append((type(e).__name__, None))
    return out


def record_and_replay(tmp_path: Path, profile: str, script: Sequence[Step],
                      replay_script: Optional[Sequence[Step]] = None, order: str = "strict",
                      **options: Any) -> Tuple[List[Outcome], List[Outcome], Replay]:
    rec = tmp_path / f"{profile}.session"
    sim = Sim(profile)
    try:
        live = run(script, sim.path, record=rec, **options)
    finally:
        sim.stop()
    replay = Replay(rec, order=order)
    try:
        again = run(replay_script or script, replay.start(), **options)
    finally:
        replay.stop()
    return live, again, replay


KEITHLEY = [("q", "*IDN?"), ("w", ":CONF:VOLT:DC"), ("q", ":READ?"), ("q", ":MEAS:VOLT:DC?"),
            ("q", ":SYST:ERR?"), ("q", ":SENS:VOLT:DC:RANG 5;:SENS:VOLT:DC:RANG?")]


def test_keithley2000(tmp_path: Path) -> None:
    live, again, replay = record_and_replay(tmp_path, "keithley2000", KEITHLEY, timeout=2)
    assert [o for o, _ in live] == ["ok"] * len(KEITHLEY)
    assert again == live
    assert replay.returncode == 0, replay.report


def test_keithley2000_check_errors(tmp_path: Path) -> None:
    """An instrument error (check_errors=1): the error queries are recorded
    and answered, so the replay raises the same InstrumentError."""
    script = [("q", "*IDN?"), ("q", "NO:SUCH?"), ("q", ":READ?")]
    live, again, replay = record_and_replay(tmp_path, "keithley2000", script, timeout=1, check_errors=1)
    assert live[1][0] in ("InstrumentError", "TimeoutError")
    assert live[1][0] != "ok"
    assert again == live
    assert replay.returncode == 0, replay.report


def test_scope_blocks(tmp_path: Path) -> None:
    """Binary blocks with terminator bytes inside, both ways."""
    script = [("q", "*IDN?"), ("b", ":WAV:DATA?"), ("q", ":TIM:SCAL?"),
              ("raw", b":WAV:UPLOAD #15\n\x00\xff\n1\n"), ("b", ":WAV:DATA?")]
    live, again, replay = record_and_replay(tmp_path, "scope", script, timeout=3)
    block = live[1][1]
    assert block is not None and b"\n" in block and len(block) > 100
    assert again == live
    assert replay.returncode == 0, replay.report


FAULTY = [("q", "*IDN?"), ("q", "SPLIT hello world"), ("q", "LATE 600 late"), ("q", "*IDN?"),
          ("q", "NOISE n1"), ("q", "*IDN?"), ("q", "TWICE t"), ("q", "*IDN?"), ("q", "SILENT"),
          ("q", "SIZE 300"), ("q", "UNASKED 5 u"), ("q", "*IDN?"), ("q", "LINES 3"), ("r", None), ("r", None),
          ("q", "HANGUP bye")]


def test_faulty(tmp_path: Path) -> None:
    """Split replies, a late answer after a timeout, noise, a doubled
    answer, silence, a reply too long, unsolicited lines, several lines,
    a hang-up: the same outcomes, in the same order."""
    live, again, replay = record_and_replay(tmp_path, "faulty", FAULTY, timeout=0.4, max_reply=200,
                                            unsolicited="!ALARM")
    kinds = [o for o, _ in live]
    assert "TimeoutError" in kinds and "ReplyTooLongError" in kinds and kinds[-1] == "DeviceGoneError"
    assert ("ok", b"u") in live
    assert again == live
    assert replay.returncode == 0, replay.report


def test_strict_names_a_changed_command(tmp_path: Path) -> None:
    changed = list(KEITHLEY)
    changed[2] = ("q", ":READ:CHANGED?")
    live, again, replay = record_and_replay(tmp_path, "keithley2000", KEITHLEY, changed, timeout=0.5)
    assert again[:2] == live[:2]
    assert again[2][0] == "TimeoutError"  # an unexpected command gets no answer
    assert replay.returncode == 1
    assert ":READ:CHANGED?" in replay.report and ":READ?" in replay.report
    with pytest.raises(ReplayMismatch):
        raise ReplayMismatch(replay.report, replay.returncode)


def test_lookup_answers_a_reordered_script(tmp_path: Path) -> None:
    script = [("q", "*IDN?"), ("q", ":MEAS:VOLT:DC?"), ("q", ":SYST:VERS?")]
    reordered = [script[2], script[0], script[1], script[0]]
    live, again, replay = record_and_replay(tmp_path, "keithley2000", script, reordered, order="lookup",
                                            timeout=1)
    assert again == [live[2], live[0], live[1], live[0]]
    assert replay.returncode == 0, replay.report


def test_hostile_session(tmp_path: Path) -> None:
    """Every byte value in a 1 MB reply (ESC, NUL, 0xff among them), then a
    reply of control bytes: recorded exactly, replayed exactly, and the
    replay's report (with a changed command carrying ESC) prints no raw
    control byte."""
    size = 1_000_000
    script = [("q", f"BIN {size}"), ("q", "*IDN?")]
    live, again, replay = record_and_replay(tmp_path, "faulty", script, timeout=10, max_reply=size + 10)
    big = live[0][1]
    assert big is not None and len(big) == size
    assert {0x00, 0x1B, 0xFF} <= set(big)
    assert again == live
    assert replay.returncode == 0, replay.report
    # A command the recording lacks, with an ESC in it: reported escaped.
    # (The query after it makes sure the simulator has read it.)
    bad = [("raw", b"\x1b[2J\xff\n"), script[0]]
    rec = tmp_path / "faulty.session"
    r = Replay(rec)
    try:
        assert run(bad, r.start(), timeout=10, max_reply=size + 10) == [("ok", None), live[0]]
    finally:
        r.stop()
    assert r.returncode == 1
    assert all(ch == "\n" or 0x20 <= ord(ch) < 0x7F for ch in r.report), repr(r.report)
    assert 'unexpected: "\\x1B[2J\\xFF\\n"' in r.report, r.report


def cli(port: str, *args: str, env: Optional[dict] = None) -> "subprocess.CompletedProcess[bytes]":
    return subprocess.run([str(CLI), port, *args], capture_output=True, timeout=30, env=env)


def test_cli_record_and_replay(tmp_path: Path) -> None:
    """The command line (C, through the library): --record, then the same
    command line against the replay: same stdout, same exit status."""
    rec = tmp_path / "cli.session"
    args = ("*IDN?", "-b", ":WAV:DATA?", ":TIM:SCAL?")
    sim = Sim("scope")
    try:
        live = subprocess.run([str(CLI), "--record", str(rec), sim.path + "?timeout_ms=3000", *args],
                              capture_output=True, timeout=30)
    finally:
        sim.stop()
    assert live.returncode == 0, live.stderr
    with Replay(rec) as replay:
        again = cli(replay.port + "?timeout_ms=3000", *args)
    assert (again.returncode, again.stdout) == (live.returncode, live.stdout)


def test_c_program_through_environment(tmp_path: Path) -> None:
    """A C program that cannot be changed records through SERIALCMD_RECORD,
    and gets the same output from the replay."""
    rec = tmp_path / "example.session"
    env = dict(os.environ, SERIALCMD_RECORD=str(rec))
    sim = Sim("keithley2000")
    try:
        live = subprocess.run([str(EXAMPLE), sim.path, "*IDN?", ":MEAS:VOLT:DC?"], capture_output=True, timeout=30, env=env)
    finally:
        sim.stop()
    assert live.returncode == 0, live.stderr
    assert rec.stat().st_size > 0
    env.pop("SERIALCMD_RECORD")
    with Replay(rec) as replay:
        again = subprocess.run([str(EXAMPLE), replay.port, "*IDN?", ":MEAS:VOLT:DC?"], capture_output=True, timeout=30, env=env)
    assert (again.returncode, again.stdout) == (live.returncode, live.stdout)
