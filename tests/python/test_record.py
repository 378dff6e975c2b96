# SPDX-License-Identifier: MIT
"""Session recording (issue 20, tools/session-format.md): sessions with the
simulator's keithley2000, scope and faulty devices recorded through the
Python package and the command line, read back with json, and every field
checked against what the client saw: the bytes written, the bytes read
(byte-exact, blocks with terminator bytes inside, a 1 MiB reply of every
byte value), outcomes, unsolicited lines, the header's settings, 0600."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

import serialcmd
from serialcmd_testlib import ROOT, _define

CLI = ROOT / "tools" / "serialcmd"


def faults() -> Dict[str, str]:
    """The simulator's magic words and texts, from the header it shares
    (C escapes decoded)."""
    names = ("FAULT_SPLIT", "FAULT_SILENT", "FAULT_UNASKED", "UNASKED_LINE", "FAULT_NOISE", "NOISE_BYTES",
             "FAULT_LINES", "FAULT_TWICE", "FAULT_BIN")
    return {n: _define(n).encode("latin-1").decode("unicode_escape") for n in names}


FAULTS = faults()


def records(path: Path) -> List[Dict[str, Any]]:
    """Every line of a recording, parsed; the file must hold only printable
    ASCII and newlines."""
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    assert all(0x20 <= b < 0x7F or b == 0x0A for b in raw), "a raw control byte in the recording"
    return [json.loads(line) for line in raw.decode("ascii").splitlines()]


def b(rec: Dict[str, Any], key: str) -> bytes:
    """A byte field (absent: empty)."""
    return rec.get(key, "").encode("latin-1")


def transactions(path: Path) -> List[Dict[str, Any]]:
    recs = records(path)
    assert recs[0]["format"] == "serialcmd-session" and recs[0]["version"] == 1
    assert recs[-1]["kind"] == "close"
    body = recs[1:-1]
    assert all(r["kind"] in ("query", "write", "read") for r in body)
    times = [r["t"] for r in body]
    assert times == sorted(times)
    for r in body:
        assert r["ms"] >= 0
        if "delay_ms" in r:
            assert 0 <= r["delay_ms"] <= r["ms"] + 0.001
            assert "wire" in r
        assert "lost" not in r
    return body


def test_keithley_session(sim, tmp_path):
    port = sim("keithley2000").path
    rec = tmp_path / "dmm.jsonl"
    with serialcmd.Client(port, profile="keithley2000", record=rec, timeout=2) as c:
        idn = c.query_bytes("*IDN?")
        c.write(":CONF:VOLT:DC")
        volts = c.query_bytes(":MEAS:VOLT:DC?")
        version = c.query_bytes(":SYST:VERS?")
    assert stat.S_IMODE(rec.stat().st_mode) == 0o600
    header = records(rec)[0]
    assert header["port"] == port
    assert header["library"] == serialcmd.library_version()
    assert header["settings"] == {"baud": 9600, "bits": 8, "parity": "none", "stop": 1, "flow": "none",
                                  "write_eol": "\n", "read_eol": "\n", "timeout_ms": 2000, "echo": 0}
    q1, w, q2, q3 = transactions(rec)
    for r, cmd, reply in ((q1, b"*IDN?", idn), (q2, b":MEAS:VOLT:DC?", volts), (q3, b":SYST:VERS?", version)):
        assert r["kind"] == "query" and r["outcome"] == "CLIENT_OK"
        assert b(r, "cmd") == cmd + b"\n"
        assert b(r, "wire") == reply + b"\n"
        assert "drained" not in r
    assert w["kind"] == "write" and b(w, "cmd") == b":CONF:VOLT:DC\n" and "wire" not in w
    assert "delay_ms" not in w
    assert idn.startswith(b"KEITHLEY INSTRUMENTS INC.,MODEL 2000,")


def test_scope_block_with_terminators_inside(sim, tmp_path):
    port = sim("scope").path
    rec = tmp_path / "scope.jsonl"
    with serialcmd.Client(port, profile="scope", record=str(rec)) as c:
        data = c.query_block(":WAV:DATA?")
        c.write_binary_values(":WAV:UPLOAD ", [1, 10, 13, 255], datatype="B")
    assert len(data) == 1200 and b"\n" in data  # the terminator byte is in the data
    q, w = transactions(rec)
    assert b(q, "cmd") == b":WAV:DATA?\n"
    assert b(q, "wire") == b":WAV:DATA #41200" + data + b"\n"
    assert q["outcome"] == "CLIENT_OK"
    # A block written: the command, its header, the bytes and the terminator.
    assert w["kind"] == "write"
    assert b(w, "cmd") == b":WAV:UPLOAD #14\x01\x0a\x0d\xff\n"


def test_faulty_timeouts_unsolicited_split_reads(sim, tmp_path):
    f = FAULTS
    port = sim("faulty").path
    rec = tmp_path / "faulty.jsonl"
    seen = []
    with serialcmd.Client(port, record=rec, timeout=0.5, unsolicited=[f["UNASKED_LINE"][:6]],
                          on_unsolicited=seen.append) as c:
        split = c.query_bytes(f["FAULT_SPLIT"] + " abcdef")
        with pytest.raises(serialcmd.TimeoutError):
            c.query(f["FAULT_SILENT"])
        unasked = c.query_bytes(f["FAULT_UNASKED"] + " 0 hello")
        noise = c.query_bytes(f["FAULT_NOISE"] + " n")
        time.sleep(0.5)  # the noise follows its reply (50 ms); the next command drains it
        lines = c.query_bytes(f["FAULT_LINES"] + " 3")
        more = [c.read_bytes(), c.read_bytes()]
        with pytest.raises(serialcmd.TimeoutError):
            c.read()
        c.write_raw(f["FAULT_SILENT"].encode() + b"\n")  # no answer: nothing to race with
        late = [c.query_bytes(f["FAULT_TWICE"] + " x"), c.read_bytes()]
        left = c.read_available()
    body = transactions(rec)
    kinds = [(r["kind"], r["outcome"]) for r in body]
    assert kinds == [("query", "CLIENT_OK"), ("query", "CLIENT_ERR_TIMEOUT"), ("query", "CLIENT_OK"),
                     ("query", "CLIENT_OK"), ("query", "CLIENT_OK"), ("read", "CLIENT_OK"), ("read", "CLIENT_OK"),
                     ("read", "CLIENT_ERR_TIMEOUT"), ("write", "CLIENT_OK"), ("query", "CLIENT_OK"),
                     ("read", "CLIENT_OK"), ("read", "CLIENT_OK")]
    r_split, r_silent, r_unasked, r_noise, r_lines, r_more1, r_more2, r_none, r_raw, r_twice, r_second, r_avail = body
    # A reply sent one byte per write is recorded whole, in order.
    assert split == b"abcdef" and b(r_split, "wire") == b"abcdef\n"
    # A timeout: the command went out, nothing came; its ms covers the deadline.
    assert b(r_silent, "cmd") == f["FAULT_SILENT"].encode() + b"\n"
    assert "wire" not in r_silent and "delay_ms" not in r_silent and r_silent["ms"] >= 500
    # Unsolicited lines are in the bytes and listed; the first one came
    # before the reply (the second may come later, in any record).
    alarm = f["UNASKED_LINE"].encode()
    assert unasked == b"hello"
    assert b(r_unasked, "wire").startswith(alarm + b"\nhello\n")
    assert r_unasked["unsolicited"][0] == f["UNASKED_LINE"]
    assert [u for r in body for u in r.get("unsolicited", [])] == [s for s in seen] == [f["UNASKED_LINE"]] * 2
    # The noise after a reply: in the wire of its command or drained
    # before the next one, byte for byte, nowhere else.
    junk = f["NOISE_BYTES"].encode("latin-1")
    assert noise == b"n"
    assert (b(r_noise, "wire") + b(r_lines, "drained")).endswith(b"n\n" + junk)
    # Each byte recorded once, where it was read from the transport: lines
    # read ahead with the query are in its wire, not in the reads'.
    assert [lines] + more == [b"line1", b"line2", b"line3"]
    assert b(r_lines, "wire") + b(r_more1, "wire") + b(r_more2, "wire") == b"line1\nline2\nline3\n"
    assert b(r_lines, "wire").startswith(b"line1\n")
    assert "wire" not in r_none
    assert b(r_raw, "cmd") == f["FAULT_SILENT"].encode() + b"\n" and r_raw["kind"] == "write"
    assert "drained" not in r_twice
    # The second answer: read ahead with the first, or read by the read.
    assert late == [b"x", b"x"]
    assert b(r_twice, "wire") + b(r_second, "wire") == b"x\nx\n"
    # Nothing left: a read that found nothing has no wire.
    assert left == b"" and "wire" not in r_avail


def test_hostile_device_recorded_exactly_and_printably(sim, tmp_path):
    """ESC, NUL, 0xff and every other byte but the terminator, 1 MiB of
    them: the wire decodes to exactly the bytes, the file stays printable
    ASCII (records() checks), so cat-ing it cannot drive a terminal."""
    port = sim("faulty").path
    rec = tmp_path / "hostile.jsonl"
    n = 1 << 20
    with serialcmd.Client(port, record=rec, timeout=20) as c:
        reply = c.query_bytes(f"{FAULTS['FAULT_BIN']} {n}")
        small = c.query_bytes(f"{FAULTS['FAULT_BIN']} 300")
    assert len(reply) == n
    for byte in (b"\x1b", b"\x00", b"\xff", b"\x7f", b'"', b"\\"):
        assert byte in reply
    q, q2 = transactions(rec)
    assert b(q, "wire") == reply + b"\n"
    assert b(q2, "wire") == small + b"\n"
    raw = rec.read_bytes()
    assert b"\x1b" not in raw and b"\x00" not in raw
    assert "\\u001b" in raw.decode("ascii")


def test_cli_record_and_environment(sim, tmp_path):
    port = sim("keithley2000").path
    rec, env_rec = tmp_path / "cli.jsonl", tmp_path / "env.jsonl"
    env = dict(os.environ, SERIALCMD_RECORD=str(env_rec))
    r = subprocess.run([str(CLI), "--record", str(rec), f"{port}?profile=keithley2000", "*IDN?", "-w", "*RST"],
                       capture_output=True, timeout=30, env=env)
    assert r.returncode == 0, r.stderr
    # The command line ends with reads of what is left unread: nothing here.
    q, w, *rest = transactions(rec)
    assert rest and all(x["kind"] == "read" and "wire" not in x for x in rest)
    assert b(q, "wire") == r.stdout
    assert b(w, "cmd") == b"*RST\n"
    assert not env_rec.exists()  # the option wins over the variable
    # The variable alone: programs that cannot be changed are recorded too.
    r = subprocess.run([str(CLI), f"{port}?profile=keithley2000", "*IDN?"], capture_output=True, timeout=30,
                       env=env)
    assert r.returncode == 0, r.stderr
    q, *rest = transactions(env_rec)
    assert all(x["kind"] == "read" and "wire" not in x for x in rest)
    assert b(q, "wire") == r.stdout
    # Appending: a second session adds its own header.
    r = subprocess.run([str(CLI), "--record", str(rec), f"{port}?profile=keithley2000", "*IDN?"],
                       capture_output=True, timeout=30)
    assert r.returncode == 0
    assert [x.get("format") for x in records(rec)].count("serialcmd-session") == 2


@pytest.mark.parametrize("target", ["/nonexistent-dir/x.jsonl", "/dev/full"])
def test_cli_file_error_never_fails_commands(sim, target):
    port = sim("keithley2000").path
    r = subprocess.run([str(CLI), "--record", target, f"{port}?profile=keithley2000", "*IDN?", "*IDN?", "*IDN?"],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(b"KEITHLEY") == 3
    assert r.stderr.count(b"recording stopped") == 1, r.stderr


def test_symlink_refused(sim, tmp_path):
    port = sim("keithley2000").path
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / "rec.jsonl"
    link.symlink_to(victim)
    with serialcmd.Client(port, profile="keithley2000", record=link) as c:
        assert c.query("*IDN?").startswith("KEITHLEY")
    assert victim.read_text() == "precious\n"


KILLED_SCRIPT = """
import sys, serialcmd
with serialcmd.Client(sys.argv[1], profile="keithley2000", record=sys.argv[2]) as c:
    for i in range(100000):
        c.query(":SYST:VERS?")
"""


def test_recording_survives_sigkill(sim, tmp_path):
    port = sim("keithley2000").path
    rec = tmp_path / "killed.jsonl"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    p = subprocess.Popen([sys.executable, "-c", KILLED_SCRIPT, port, str(rec)], env=env)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not rec.exists() or rec.read_bytes().count(b"\n") < 20):
            time.sleep(0.02)
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
    assert p.returncode == -signal.SIGKILL
    recs = records(rec)  # every line whole: none half-written
    assert len(recs) >= 20
    assert recs[-1]["kind"] != "close"
    for r in recs[1:]:
        assert r["outcome"] == "CLIENT_OK"
        assert b(r, "wire") == b"1991.0\n"


def test_check_errors_queries_are_transactions(sim, tmp_path):
    """With check_errors=1 the error query after each command (and the one
    at open) is a query of its own, so a replay answers it too."""
    port = sim("keithley2000").path
    rec = tmp_path / "errors.jsonl"
    with serialcmd.Client(port, profile="keithley2000", check_errors=True, timeout=1, record=rec) as c:
        c.query("*IDN?")
        with pytest.raises(serialcmd.InstrumentError):
            c.query(":BOGUS?")
    body = transactions(rec)
    assert [(b(r, "cmd"), r["outcome"]) for r in body] == [
        (b":SYST:ERR?\n", "CLIENT_OK"), (b"*IDN?\n", "CLIENT_OK"), (b":SYST:ERR?\n", "CLIENT_OK"),
        (b":BOGUS?\n", "CLIENT_ERR_TIMEOUT"), (b":SYST:ERR?\n", "CLIENT_ERR_INSTRUMENT")]
    assert b(body[-1], "wire") == b'-113,"Undefined header"\n'


def test_capture_is_bounded(sim, tmp_path):
    """A reply far over max_reply is read on and dropped by the library; the
    recording keeps its first max_reply + 2 MiB bytes, exactly, and counts
    the rest as lost, so memory stays bounded whatever the device sends."""
    port = sim("faulty").path
    rec = tmp_path / "flood.jsonl"
    n, max_reply = 3 << 20, 1000
    with serialcmd.Client(port, record=rec, timeout=30, max_reply=max_reply) as c:
        with pytest.raises(serialcmd.ReplyTooLongError):
            c.query(f"{FAULTS['FAULT_BIN']} {n}")
        assert c.query(f"{FAULTS['FAULT_TWICE']} ok") == "ok"  # the handle goes on
    recs = [json.loads(line) for line in rec.read_text().splitlines()]
    flood, after = recs[1], recs[2]
    wire = b(flood, "wire")
    assert flood["outcome"] == "CLIENT_ERR_TOOLONG"
    assert len(wire) == max_reply + (2 << 20)
    assert flood["lost"] == n + 1 - len(wire)
    # The bytes kept are the first ones, exact: 0..255 without the terminator.
    expect = bytes(v for v in range(256) if v != 0x0A)
    assert wire[:len(expect) * 3] == expect * 3
    assert "lost" not in after and b(after, "wire").startswith(b"ok\n")
