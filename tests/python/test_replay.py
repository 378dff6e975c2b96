# SPDX-License-Identifier: MIT
"""serialcmd-sim --replay and serialcmd.testing: a recorded session served on
a real pty gives the client the recorded bytes and outcomes; strict order
catches a changed command, lookup order answers a reordered script; odd and
hostile recordings are read exactly, or refused with file:line:column."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest

import serialcmd
from serialcmd import testing
from serialcmd.testing import Replay, ReplayMismatch, replay, serialcmd_replay  # noqa: F401 (the fixture)
from serialcmd_testlib import SIM_BIN
from sessionlib import Session, expected_dict, header, jbytes, record

IDN = "KEITHLEY INSTRUMENTS INC.,MODEL 2000,1234567,A19  /A02"
BLOCK = bytes((i * 7) & 0xFF for i in range(1200))  # every byte value, LF and NUL too


def keithley(path: Path) -> Path:
    return (Session().query("*IDN?\n", IDN + "\n").write(":CONF:VOLT:DC\n")
            .query(":READ?\n", "+1.23456700E+00\n").query(":READ?\n", "+1.23458100E+00\n")
            .query(":SYST:ERR?\n", '0,"No error"\n').save(path / "dmm.session"))


@pytest.fixture
def started() -> Iterator[Callable[..., Replay]]:
    """``started(recording, **options)``: a started Replay, stopped after the
    test even when it fails half way (no simulator outlives its test)."""
    replays: List[Replay] = []

    def start(recording: Path, **options: Any) -> Replay:
        r = Replay(recording, **options)
        replays.append(r)
        r.start()
        return r

    yield start
    for r in replays:
        r.stop()


def printable(report: str) -> bool:
    return all(c == "\n" or " " <= c <= "~" for c in report)


def test_session_writer_matches_json():
    """The helper writes what Python's json reads back as the same bytes."""
    data = bytes(range(256))
    assert expected_dict("{\"w\":" + jbytes(data) + "}")["w"].encode("latin-1") == data


def test_keithley_session_strict(tmp_path):
    rec = keithley(tmp_path)
    with replay(rec) as port, serialcmd.Client(port, timeout=2) as dmm:
        assert dmm.query("*IDN?") == IDN
        dmm.write(":CONF:VOLT:DC")
        assert dmm.query(":READ?") == "+1.23456700E+00"
        assert dmm.query(":READ?") == "+1.23458100E+00"
        assert dmm.query(":SYST:ERR?") == '0,"No error"'


def test_report_counts(tmp_path, started):
    r = started(keithley(tmp_path))
    with serialcmd.Client(r.port, timeout=2) as dmm:
        dmm.query("*IDN?")
    report = r.stop()
    assert r.returncode == 1
    assert "1 of 5 recorded commands answered, 0 unexpected, 4 never asked: FAILED" in report
    assert 'never asked: command 2 (line 3) ":CONF:VOLT:DC\\n"' in report


def test_scope_binary_block(tmp_path):
    wire = b":WAV:DATA #9000001200" + BLOCK + b"\n"
    rec = (Session().query("*IDN?\n", "SERIALCMD,SIM-SCOPE,SC0001,1.0\n").query(":WAV:DATA?\n", wire)
           .write(b":WAV:UPLOAD #15\n\x00\xff\n1\n").query(":TIM:SCAL?\n", "1.000000E-03\n")
           .save(tmp_path / "scope.session"))
    with replay(rec) as port, serialcmd.Client(port, timeout=2) as scope:
        assert scope.query("*IDN?").startswith("SERIALCMD,SIM-SCOPE")
        assert scope.query_block(":WAV:DATA?") == BLOCK
        # An upload with the terminator inside its bytes is one command.
        scope.write_raw(b":WAV:UPLOAD #15\n\x00\xff\n1\n")
        assert scope.query(":TIM:SCAL?") == "1.000000E-03"


def test_faulty_session_same_errors(tmp_path, started):
    """Timeouts (with and without partial bytes, the late rest dropped by
    the next command), an unsolicited line inside a reply, a reply too
    long, and the device going away: each gives the recorded outcome."""
    rec = (Session(timeout_ms=400)
           .query("LATE\n", "", outcome="CLIENT_ERR_TIMEOUT", ms=400)
           .query("*IDN?\n", "SIM\n", drained="late answer\n")
           .query("PART?\n", "12", outcome="CLIENT_ERR_TIMEOUT", ms=400)
           .query("ALARM?\n", "!ALARM x\nREPLY\n", drained="345\n")
           .query("LONG?\n", "y" * 80 + "\n", outcome="CLIENT_ERR_TOOLONG", ms=2)
           .query("SPLIT?\n", "one piece\n")
           .query("BYE\n", "", outcome="CLIENT_ERR_GONE", ms=1)
           .save(tmp_path / "faulty.session"))
    r = started(rec)
    with serialcmd.Client(r.port, timeout=0.4, max_reply=50, unsolicited="!ALARM") as dev:
        with pytest.raises(serialcmd.TimeoutError):
            dev.query("LATE")
        assert dev.query("*IDN?") == "SIM"
        with pytest.raises(serialcmd.TimeoutError) as info:
            dev.query("PART?")
        assert "2 bytes" in str(info.value)
        assert dev.query("ALARM?") == "REPLY"
        assert dev.unsolicited_count == 1
        with pytest.raises(serialcmd.ReplyTooLongError):
            dev.query("LONG?")
        assert dev.query("SPLIT?") == "one piece"
        with pytest.raises(serialcmd.DeviceGoneError):
            dev.query("BYE")
    report = r.stop()
    assert r.returncode == 0, report
    assert "7 of 7 recorded commands answered, 0 unexpected, 0 never asked: ok" in report


def test_reads_without_command(tmp_path):
    """A banner before the first command, and a second line read after a
    query, come where they came."""
    rec = (Session().read("READY\n").query("MULTI?\n", "line 1\n").read("line 2\n")
           .query("*IDN?\n", "SIM\n").save(tmp_path / "reads.session"))
    with replay(rec) as port, serialcmd.Client(port, timeout=2) as dev:
        assert dev.read() == "READY"
        assert dev.query("MULTI?") == "line 1"
        assert dev.read() == "line 2"
        assert dev.query("*IDN?") == "SIM"


def test_echo_session(tmp_path):
    """The echo is in the recorded bytes, after a query and after a write
    (the format gives a write no wire, but the echo read after it is sent
    when a recorder keeps it)."""
    rec = (Session(echo=1).query("*IDN?\n", "*IDN?\nSIM\n").write("*RST\n", wire="*RST\n")
           .query("*IDN?\n", "*IDN?\nSIM\n").save(tmp_path / "echo.session"))
    with replay(rec) as port, serialcmd.Client(port, timeout=2, echo=1) as dev:
        assert dev.query("*IDN?") == "SIM"
        dev.write("*RST")
        assert dev.query("*IDN?") == "SIM"


def test_strict_names_a_changed_command(tmp_path):
    rec = keithley(tmp_path)
    with pytest.raises(ReplayMismatch) as info:
        with replay(rec) as port, serialcmd.Client(port, timeout=0.3) as dmm:
            assert dmm.query("*IDN?") == IDN
            dmm.write(":CONF:VOLT:DC")
            try:
                dmm.query(":MEAS:CURR?")
            except serialcmd.TimeoutError:
                pass  # unexpected: no answer
            assert dmm.query(":READ?") == "+1.23456700E+00"  # the expected one still is
    report = info.value.report
    assert info.value.returncode == 1
    assert ('first difference: expected command 3 (line 4) ":READ?\\n", received ":MEAS:CURR?\\n"'
            in report), report
    assert 'unexpected: ":MEAS:CURR?\\n" (1 time)' in report


def test_strict_extra_command_after_the_end(tmp_path):
    rec = Session().query("*IDN?\n", "SIM\n").save(tmp_path / "one.session")
    with pytest.raises(ReplayMismatch) as info:
        with replay(rec) as port, serialcmd.Client(port, timeout=0.3) as dev:
            dev.query("*IDN?")
            with pytest.raises(serialcmd.TimeoutError):
                dev.query("*IDN?")
    assert "expected nothing more" in info.value.report


def test_fixture_fails_the_test_on_mismatch(tmp_path):
    rec = keithley(tmp_path)
    gen = testing._fixture()
    start = next(gen)
    try:
        with serialcmd.Client(start(rec), timeout=0.3) as dmm:
            with pytest.raises(serialcmd.TimeoutError):
                dmm.query(":READ?")
    except BaseException:
        gen.close()  # stops the simulator
        raise
    with pytest.raises(pytest.fail.Exception) as info:
        next(gen, None)
    assert 'first difference: expected command 1 (line 2) "*IDN?\\n", received ":READ?\\n"' in str(info.value)


def test_fixture_passes(tmp_path, serialcmd_replay):
    port = serialcmd_replay(keithley(tmp_path), order="lookup")
    with serialcmd.Client(port, timeout=2) as dmm:
        assert dmm.query(":SYST:ERR?") == '0,"No error"'


def test_lookup_answers_a_reordered_script(tmp_path, started):
    rec = keithley(tmp_path)
    r = started(rec, order="lookup")
    with serialcmd.Client(r.port, timeout=2) as dmm:
        assert dmm.query(":SYST:ERR?") == '0,"No error"'
        assert dmm.query(":READ?") == "+1.23456700E+00"
        assert dmm.query("*IDN?") == IDN
        assert dmm.query(":READ?") == "+1.23458100E+00"
        # Past the recorded ones: the last reply again.
        assert dmm.query(":READ?") == "+1.23458100E+00"
        assert dmm.query("*IDN?") == IDN
    report = r.stop()
    assert r.returncode == 0, report
    assert "6 of 5 recorded commands answered (2 past the recorded ones" in report
    assert 'never asked: command 2 (line 3) ":CONF:VOLT:DC\\n"' in report


def test_strict_refuses_the_reordered_script(tmp_path):
    rec = keithley(tmp_path)
    with pytest.raises(ReplayMismatch):
        with replay(rec) as port, serialcmd.Client(port, timeout=0.3) as dmm:
            with pytest.raises(serialcmd.TimeoutError):
                dmm.query(":SYST:ERR?")


def test_hostile_recording_replays_exactly_and_reports_safely(tmp_path, started):
    big = bytes((i * 131 + 7) & 0xFF for i in range(1 << 20)).replace(b"\n", b"\x00") + b"\n"
    esc = b"\x1b[2J\x1b]0;pwned\x07\x00\xff\xfe\n"
    hostile_cmd = b"\x1b[31mRED?\x00\xff\n"
    rec = (Session().query("ESC?\n", esc).query("BIG?\n", big, ms=50)
           .query(hostile_cmd, "ok\n").query("\x9b\x1b?\n", "x\n").save(tmp_path / "hostile.session"))
    r = started(rec)
    with serialcmd.Client(r.port, timeout=5, max_reply=2 << 20) as dev:
        assert dev.query_bytes("ESC?") == esc[:-1]
        assert dev.query_bytes("BIG?") == big[:-1]
        dev.write_raw(b"\x1b[32mGREEN?\xff\n")  # not what was recorded
    report = r.stop()
    assert r.returncode == 1
    assert printable(report), repr(report)
    assert 'expected command 3 (line 4) "\\x1B[31mRED?\\x00\\xFF\\n"' in report
    assert 'received "\\x1B[32mGREEN?\\xFF\\n"' in report
    assert 'never asked: command 4 (line 5) "\\x9B\\x1B?\\n"' in report


def test_timing_recorded_keeps_the_delay(tmp_path):
    """A reply recorded 1.5 s after its command times out a 0.5 s client
    with --timing recorded, and comes at once with fast."""
    rec = Session().query("SLOW?\n", "done\n", delay_ms=1500, ms=1501).save(tmp_path / "slow.session")
    with replay(rec, order="lookup", timing="recorded") as port, serialcmd.Client(port, timeout=0.5) as dev:
        with pytest.raises(serialcmd.TimeoutError):
            dev.query("SLOW?")
    with replay(rec, timing="fast") as port, serialcmd.Client(port, timeout=0.5) as dev:
        assert dev.query("SLOW?") == "done"


def test_link(tmp_path):
    link = tmp_path / "dmm"
    with replay(keithley(tmp_path), order="lookup", link=link) as port:
        assert port == str(link) and link.is_symlink()
        with serialcmd.Client(port, timeout=2) as dmm:
            assert dmm.query("*IDN?") == IDN
    assert not link.exists()


# -- what the reader accepts and refuses ---------------------------------

def run_sim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SIM_BIN), *args], capture_output=True, timeout=30, stdin=subprocess.DEVNULL)


def refused(tmp_path: Path, lines: List[str], *, raw: bytes = b"") -> str:
    rec = tmp_path / "bad.session"
    rec.write_bytes(raw or "".join(line + "\n" for line in lines).encode("utf-8"))
    r = run_sim("--replay", str(rec))
    assert r.returncode == 2, r
    assert r.stdout == b""
    return r.stderr.decode("ascii")


@pytest.mark.parametrize("line, message", [
    ('{"t":0,"kind":"query","cmd":"A\\n","wire":"B\\n"}', ":1:48: a transaction before the first header"),
    (header(version=2), ":1:"),
    ('{"format":"other","version":1}', "not a serialcmd recording"),
    (header() + "x", "text after the object"),
    (header()[:-1], "expected ',' or '}'"),
])
def test_bad_headers_are_refused(tmp_path, line, message):
    err = refused(tmp_path, [line, record("query", 0, cmd="A\n", wire="B\n")])
    assert "bad.session:" in err and message in err, err
    if "version\":2" in line:
        assert "unknown format version 2 (this serialcmd-sim reads version 1)" in err


@pytest.mark.parametrize("line, message", [
    ('{"t":0,"kind":"query","cmd":"\\u0100\\n"}', "\"cmd\": a character above U+00FF"),
    ('{"t":0,"kind":"query","cmd":true}', "expected a string"),
    ('{"t":0,"kind":"query","cmd":"A\\n","wire":"\\x41"}', "unknown escape \\x"),
    ('{"t":0,"kind":"query","cmd":"A\\n","wire":"\\u00g1"}', "four hex digits"),
    ('{"t":0,"kind":"query","cmd":"A\\n","wire":"\x1b"}', "raw control byte 0x1b"),
    ('{"kind":"query","cmd":"A\\n"}', "without \"t\""),
    ('{"t":-1,"kind":"query","cmd":"A\\n"}', "\"t\" must not be negative"),
    ('{"t":01,"kind":"query","cmd":"A\\n"}', "expected ',' or '}'"),
    ('{"t":"0","kind":"query","cmd":"A\\n"}', ":2:6: expected a number"),
    ('{"t":0,"kind":"query","cmd":"A\\n","x":nope}', "expected a value (object, array, string"),
    ('{"t":1e999,"kind":"query","cmd":"A\\n"}', "number out of range"),
    ('{"t":0,"kind":"query","cmd":"A\\n","x":' + "[" * 20 + "]" * 20 + "}", "nested more than 16 deep"),
    ('{"t":0,"kind":"query","cmd":"A\\n"} {}', "text after the object"),
    ('["t"]', "expected an object"),
])
def test_bad_records_are_refused(tmp_path, line, message):
    err = refused(tmp_path, [header(), line, record("query", 1, cmd="B\n", wire="C\n")])
    assert ":2:" in err and message in err, err
    assert printable(err)


def test_bad_utf8_is_refused(tmp_path):
    err = refused(tmp_path, [], raw=(header() + "\n").encode() + b'{"t":0,"kind":"query","cmd":"\xff\\n"}\n')
    assert ":2:30: invalid UTF-8 in a string" in err, err


def test_not_a_file(tmp_path):
    assert "not a regular file" in refused_path(str(tmp_path))
    assert "No such file" in refused_path(str(tmp_path / "missing"))


def refused_path(path: str) -> str:
    r = run_sim("--replay", path)
    assert r.returncode == 2
    return r.stderr.decode()


def test_what_the_format_allows_is_read(tmp_path):
    """Unknown keys of any JSON type, unknown kinds and a close trailer are
    skipped; raw UTF-8 Latin-1 letters and \\u escapes in either case are
    bytes; blank lines pass; a second session may follow."""
    rec = (Session()
           .raw('{"t":0.1,"kind":"query","cmd":"CAF\u00c9?\\n","wire":"\\u00E9t\\u00e9\\n",'
                '"future":{"a":[1,2.5e-3,-0.0,true,false,null,{"b":"\\ud83d\\ude00"}]},'
                '"unsolicited":["x"],"outcome":"CLIENT_OK","delay_ms":1,"ms":2}')
           .raw("")
           .raw('{"t":0.2,"kind":"telepathy","cmd":"NO\\n"}')
           .raw('{"t":0.3,"kind":"close"}')
           .raw(header())
           .query("*IDN?\n", "SIM\n")
           .save(tmp_path / "odd.session"))
    with replay(rec) as port, serialcmd.Client(port, timeout=2, encoding="latin-1") as dev:
        dev.write_raw("CAF\u00c9?\n".encode("latin-1"))  # only raw writes send such bytes
        assert dev.read_bytes() == b"\xe9t\xe9"
        assert dev.query("*IDN?") == "SIM"


def test_an_unfinished_last_line_is_dropped(tmp_path, started):
    """A recorder killed while writing: all but the last transaction."""
    rec = tmp_path / "killed.session"
    text = keithley(tmp_path).read_text()
    rec.write_text(text + record("query", 9, cmd="LAST?\n", wire="x\n")[:25])
    r = started(rec, order="lookup")
    with serialcmd.Client(r.port, timeout=2) as dmm:
        assert dmm.query("*IDN?") == IDN
    report = r.stop()
    assert "killed.session:7:26: string not closed" in report and "unfinished last line: ignored" in report
    assert "1 of 5 recorded commands answered" in report


def test_a_command_that_wrote_nothing_is_not_waited_for(tmp_path, started):
    """A recorded command that failed before writing (no "cmd": the line
    never went quiet) is no command to wait for; what it found comes after
    the command before it, and the next command is answered."""
    rec = (Session(timeout_ms=400)
           .query("A?\n", "1\n")
           .raw(record("query", 0.5, drained="noise\n", outcome="CLIENT_ERR_TIMEOUT", ms=400))
           .query("B?\n", "2\n", drained="more noise\n")
           .save(tmp_path / "nocmd.session"))
    r = started(rec)
    with serialcmd.Client(r.port, timeout=0.4) as dev:
        assert dev.query("A?") == "1"
        assert dev.query("B?") == "2"
    report = r.stop()
    assert r.returncode == 0, report
    assert "2 of 2 recorded commands answered" in report


def test_lost_bytes_are_named(tmp_path, started):
    rec = Session().query("A?\n", "1\n", lost=4096).save(tmp_path / "lost.session")
    r = started(rec)
    with serialcmd.Client(r.port, timeout=2) as dev:
        assert dev.query("A?") == "1"
    assert ("line 2: bytes were lost while recording (\"lost\"): this session cannot be replayed exactly"
            in r.stop())


def test_many_records_after_one_command(tmp_path, started):
    """Ten records that wrote nothing after one command, each with bytes
    before and after: all of them come, in order (the simulator kept room
    for one item per record, and wrote past it)."""
    s = Session().query("A?\n", "1\n")
    for i in range(10):
        s.raw(record("query", 1 + i, drained=f"d{i}\n", wire=f"w{i}\n", outcome="CLIENT_ERR_TIMEOUT", ms=1))
    rec = s.query("B?\n", "2\n").save(tmp_path / "many.session")
    r = started(rec, order="lookup")
    with serialcmd.Client(r.port, timeout=2) as dev:
        assert dev.query("A?") == "1"
        assert [dev.read() for _ in range(20)] == [x for i in range(10) for x in (f"d{i}", f"w{i}")]
    report = r.stop()
    assert r.returncode == 0, report
