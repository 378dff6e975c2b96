# SPDX-License-Identifier: MIT
"""serialcmd-sim --to-profile: a recording made into a profile loads in the
simulator, which then answers the recorded queries with the recorded
replies; what a dialogue cannot say is listed in comments, escaped."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import serialcmd
from serialcmd_testlib import SIM_BIN, Sim
from sessionlib import Session, record

IDN = "KEITHLEY INSTRUMENTS INC.,MODEL 2000,1234567,A19  /A02"


def to_profile(rec: Path) -> str:
    r = subprocess.run([str(SIM_BIN), "--to-profile", str(rec)], capture_output=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode("ascii")
    assert all(c == "\n" or " " <= c <= "~" for c in text), repr(text)
    return text


def serve(tmp_path: Path, text: str, monkeypatch) -> Sim:
    """The profile shipped as a profiles directory does: by name."""
    (tmp_path / "recorded.profile").write_text(text)
    monkeypatch.setenv("SERIALCMD_DEVICES", f"{tmp_path}:{os.environ['SERIALCMD_DEVICES']}")
    return Sim("recorded")


def test_recorded_keithley_becomes_a_profile(tmp_path, monkeypatch):
    rec = (Session(timeout_ms=3000)
           .query("*IDN?\n", IDN + "\n", delay_ms=7.9)
           .write(":CONF:VOLT:DC\n")
           .query(":MEAS:VOLT:DC?\n", "+1.23456700E+00\n", delay_ms=6.3)
           .query(":meas:volt:dc?\n", "+1.23458100E+00\n")  # asked again, another reading
           .query(":SYST:ERR?\n", '0,"No error"\n')
           .query(":WAV:DATA?\n", b"#15\x00\xff\n\x01\x02\n")
           .query("SLOW?\n", "", outcome="CLIENT_ERR_TIMEOUT", ms=3000)
           .query("A=>B?\n", "x\n")
           .query("# not a comment?\n", "y\n")
           .query("TWO?\n", "one\ntwo\n")
           .read("!ALARM\n")
           .query("\x1b[2J?\n", "\x00\xff\n")
           .raw(record("query", 9, drained="noise\n", outcome="CLIENT_ERR_TIMEOUT", ms=3000))
           .save(tmp_path / "dmm.session"))
    text = to_profile(rec)
    assert "write_eol = LF\nread_eol = LF\ntimeout_ms = 3000\n" in text
    assert "identify = *IDN?\nidentify_match = " + IDN + "\n" in text
    assert "[sim]\n" in text and "syntax = exact\n" in text
    assert "[dialogue]\n*IDN? => " + IDN + "\n:CONF:VOLT:DC =>\n:MEAS:VOLT:DC? => +1.23456700E+00\n" in text
    for why in ['asked again, answered otherwise: the dialogue gives the first reply ":meas:volt:dc?\\n"',
                'not one reply line (unsolicited lines, several lines, or a cut reply) ":WAV:DATA?\\n" -> '
                '"#15\\x00\\xFF\\n\\x01\\x02\\n"',
                'failed (the outcome is not CLIENT_OK) "SLOW?\\n"',
                'contains "=>" (the dialogue\'s arrow) "A=>B?\\n"',
                "starts with '#' or '['",
                'not one reply line (unsolicited lines, several lines, or a cut reply) "TWO?\\n"',
                'a read without a command "!ALARM\\n"',
                'not printable ASCII (binary data) "\\x1B[2J?\\n"',
                '# line 14: nothing was written (the command failed first) "" -> ""']:
        assert why in text, (why, text)
    sim = serve(tmp_path, text, monkeypatch)
    try:
        with serialcmd.Client(sim.path, timeout=2) as dmm:
            assert dmm.query("*IDN?") == IDN
            assert dmm.query(":MEAS:VOLT:DC?") == "+1.23456700E+00"
            assert dmm.query(":SYST:ERR?") == '0,"No error"'
    finally:
        sim.stop()


def test_echo_and_crlf(tmp_path, monkeypatch):
    rec = (Session(write_eol="\r\n", read_eol="\r\n", echo=1)
           .query("ATI\r\n", "ATI\r\nMODEM 1.0\r\n").query("AT\r\n", "AT\r\nOK\r\n").save(tmp_path / "m.session"))
    text = to_profile(rec)
    assert "write_eol = CRLF\nread_eol = CRLF\n" in text and "echo = 1\n" in text
    assert "ATI => MODEM 1.0\nAT => OK\n" in text
    sim = serve(tmp_path, text, monkeypatch)
    try:
        with serialcmd.Client(sim.path, timeout=2, eol="\r\n", echo=1) as modem:
            assert modem.query("ATI") == "MODEM 1.0"
            assert modem.query("AT") == "OK"
    finally:
        sim.stop()


def test_odd_terminator_is_escaped(tmp_path, monkeypatch):
    rec = Session(write_eol=";", read_eol="\r\n> ").query("V?;", "5\r\n> ").save(tmp_path / "p.session")
    text = to_profile(rec)
    assert "write_eol = \\x3B\nread_eol = \\x0D\\x0A\\x3E\\x20\n" in text
    sim = serve(tmp_path, text, monkeypatch)
    try:
        with serialcmd.Client(sim.path, timeout=2, write_eol=";", read_eol="\r\n> ") as dev:
            assert dev.query("V?") == "5"
    finally:
        sim.stop()


def test_settings_a_profile_cannot_take_are_left_out(tmp_path, monkeypatch):
    """A recording may hold any number: the profile made from it still loads."""
    rec = tmp_path / "odd.session"
    rec.write_text('{"format":"serialcmd-session","version":1,"settings":{"baud":2e42,"bits":9,"stop":1.5,'
                   '"parity":"weird","flow":"none","write_eol":"\\n","read_eol":"\\n","timeout_ms":1e12}}\n'
                   '{"t":0,"kind":"query","cmd":"V?\\n","wire":"5\\n","outcome":"CLIENT_OK"}\n')
    text = to_profile(rec)
    for line in ["# baud: the recorded 2e+42 is not a valid setting: left out",
                 "# bits: the recorded 9 is not a valid setting: left out",
                 "# stop: the recorded 1.5 is not a valid setting: left out",
                 "# parity: the recorded weird is not a valid setting: left out",
                 "flow = none", "# timeout_ms: the recorded 1000000000000 is not a valid setting: left out"]:
        assert line + "\n" in text, text
    sim = serve(tmp_path, text, monkeypatch)
    try:
        with serialcmd.Client(sim.path, timeout=2) as dev:
            assert dev.query("V?") == "5"
    finally:
        sim.stop()
