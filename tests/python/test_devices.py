# SPDX-License-Identifier: MIT
"""Device profiles served by serialcmd-sim on real ptys, queried through the
library (Python package), the serialcmd command line, pyserial and pyvisa-py:
every client must get the same answers."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

import serialcmd
from serialcmd_testlib import ROOT

PROFILES = ROOT / "devices" / "profiles"
CLI = ROOT / "tools" / "serialcmd"
SHIPPED = sorted(p.stem for p in PROFILES.glob("*.profile"))
# Test devices, not instruments: at-modem sends lines unasked, which plain
# pyserial and pyvisa reads would take for replies.
INSTRUMENTS = [n for n in SHIPPED if n not in ("loopback", "faulty", "at-modem")]


def profile_keys(name: str) -> dict:
    """Top-level key = value pairs of a shipped profile."""
    keys = {}
    for line in (PROFILES / f"{name}.profile").read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            break
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            keys.setdefault(k.strip(), v.strip())
    return keys


def cli(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=timeout)


def test_every_profile_is_shipped_with_an_identity():
    assert {"generic-scpi", "keithley2000", "keysight34401a", "rigol-dp800", "arduino", "loopback"} <= set(SHIPPED)
    for name in INSTRUMENTS:
        keys = profile_keys(name)
        assert keys.get("identify") and keys.get("identify_match"), name


@pytest.mark.parametrize("name", INSTRUMENTS)
def test_profile_identifies_through_library_cli_pyserial_pyvisa(sim, name):
    import pyvisa
    import serial

    keys = profile_keys(name)
    query, pattern = keys["identify"], keys["identify_match"]
    port = sim(name).path
    spec = f"{port}?profile={name}&open_delay_ms=0"

    with serialcmd.Client(spec) as dev:
        ours = dev.query(query)
    assert fnmatch.fnmatchcase(ours, pattern), (ours, pattern)

    r = cli(spec, query)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ours + "\n"

    # pyserial, configured from the same profile by hand, as its users do.
    cfg = serialcmd.check_spec(spec)  # validates; the settings come from the profile text
    assert cfg
    wterm = {"LF": b"\n", "CR": b"\r", "CRLF": b"\r\n"}[keys.get("write_eol", keys.get("eol", "LF"))]
    rterm = {"LF": b"\n", "CR": b"\r", "CRLF": b"\r\n"}[keys.get("read_eol", keys.get("eol", "LF"))]
    with serial.Serial(port, baudrate=int(keys.get("baud", 9600)), timeout=3) as s:
        s.reset_input_buffer()
        s.write(query.encode() + wterm)
        line = s.read_until(rterm)
    assert line.endswith(rterm)
    assert line[: -len(rterm)].decode() == ours

    rm = pyvisa.ResourceManager("@py")
    try:
        inst = rm.open_resource(f"ASRL{port}::INSTR")
        inst.baud_rate = int(keys.get("baud", 9600))
        inst.write_termination = wterm.decode()
        inst.read_termination = rterm.decode()
        inst.timeout = 3000
        assert inst.query(query) == ours
        inst.close()
    finally:
        rm.close()


def test_loopback_profile_echoes_for_every_client(sim):
    import serial

    port = sim("loopback").path
    with serialcmd.Client(f"{port}?profile=loopback") as dev:
        assert dev.query("HELLO 1") == "HELLO 1"
    with serial.Serial(port, 115200, timeout=3) as s:
        s.write(b"HELLO 2\n")
        assert s.read_until(b"\n") == b"HELLO 2\n"


def test_scpi_properties_error_queue_and_status(sim):
    port = sim("generic-scpi").path
    with serialcmd.Client(f"{port}?profile=generic-scpi") as dev:
        assert dev.query("VOLT?") == "0.000"
        dev.write("VOLT 12.5")
        assert dev.query("VOLT?") == "12.500"
        dev.write("VOLT 31")  # above max = 30: refused, queued
        assert dev.query("VOLT?") == "12.500"
        dev.write("NOSUCH:CMD")
        assert dev.query("*STB?") == str(0x04 | 0x20)
        # First in, first out, then "no error".
        assert dev.query("SYST:ERR?") == '-222,"Data out of range"'
        assert dev.query("SYST:ERR?") == '-113,"Undefined header"'
        assert dev.query("SYST:ERR?") == '0,"No error"'
        assert dev.query("*ESR?") == str(0x10 | 0x20)
        assert dev.query("*ESR?") == "0"  # reading clears it
        dev.write("OUTP on")
        assert dev.query("OUTP?") == "ON"
        dev.write("OUTP maybe")
        assert dev.query("SYST:ERR?") == '-224,"Illegal parameter value"'
        dev.write("VOLT 1")
        dev.write("*CLS")
        assert dev.query("SYST:ERR?") == '0,"No error"'
        # A noisy reading stays near its value, in scientific notation.
        values = [dev.query("MEAS:VOLT?") for _ in range(20)]
        assert all(re.fullmatch(r"[+-]\d\.\d{6}E[+-]\d\d", v) for v in values), values
        assert all(abs(float(v) - 1.0) <= 0.001 for v in values)
        assert len(set(values)) > 1


def test_arduino_style_replies(sim):
    port = sim("arduino").path
    with serialcmd.Client(f"{port}?profile=arduino&open_delay_ms=0") as dev:
        assert dev.query("PING") == "PONG"
        assert dev.query("LED 1") == "OK"
        assert dev.query("LED?") == "1"
        assert dev.query("LED 7") == "ERR bad value"
        assert dev.query("DANCE") == "ERR unknown command"
        assert 509 <= int(dev.query("A0?")) <= 515


def test_rigol_setter_with_comma(sim):
    port = sim("rigol-dp800").path
    with serialcmd.Client(f"{port}?profile=rigol-dp800") as dev:
        dev.write(":OUTP CH1,ON")
        assert dev.query(":OUTP? CH1") == "ON"
        dev.write(":SOUR1:VOLT 40")
        assert dev.query(":SYST:ERR?") == '-222,"Data out of range"'


def test_profile_timing_is_applied(sim):
    """min_gap_ms: consecutive commands are spaced at least that far apart."""
    port = sim("loopback").path
    with serialcmd.Client(f"{port}?profile=loopback&min_gap_ms=100") as dev:
        dev.query("A")
        t0 = time.monotonic()
        for i in range(3):
            dev.query(f"B{i}")
        assert time.monotonic() - t0 >= 0.29
    with serialcmd.Client(f"{port}?profile=loopback&query_delay_ms=150") as dev:
        t0 = time.monotonic()
        assert dev.query("C") == "C"
        assert time.monotonic() - t0 >= 0.14


def test_echoing_device(sim, tmp_path, monkeypatch):
    (tmp_path / "echoer.profile").write_text(
        "description = echoes each command\neol = CRLF\necho = 1\n[dialogue]\nV? => 42\n"
    )
    monkeypatch.setenv("SERIALCMD_DEVICES", str(tmp_path))
    port = sim("echoer").path
    with serialcmd.Client(f"{port}?profile=echoer") as dev:
        assert dev.query("V?") == "42"
        assert dev.query("V?") == "42"
    # Without echo=1 the echo is what comes back first.
    with serialcmd.Client(f"{port}?profile=echoer&echo=0") as dev:
        assert dev.query("V?") == "V?"


def test_fault_latency_split_and_garbage(sim):
    port = sim("generic-scpi", "--latency", "200", "--split").path
    with serialcmd.Client(f"{port}?profile=generic-scpi") as dev:
        t0 = time.monotonic()
        assert dev.query("*IDN?").startswith("SERIALCMD,GENERIC-SCPI")
        assert time.monotonic() - t0 >= 0.19
    port = sim("generic-scpi", "--garbage").path
    with serialcmd.Client(f"{port}?profile=generic-scpi") as dev:
        for _ in range(5):
            assert dev.query("OUTP?") == "OFF"
            time.sleep(0.1)  # the junk arrives, and is stale by the next command


def test_fault_drop_and_hangup(sim):
    port = sim("generic-scpi", "--drop-every", "2").path
    with serialcmd.Client(f"{port}?profile=generic-scpi&timeout_ms=300") as dev:
        assert dev.query("OUTP?") == "OFF"
        with pytest.raises(serialcmd.TimeoutError, match="no reply"):
            dev.query("OUTP?")
        assert dev.query("OUTP?") == "OFF"
    port = sim("generic-scpi", "--hangup-after", "2").path
    with serialcmd.Client(f"{port}?profile=generic-scpi") as dev:
        dev.query("OUTP?")
        # The second command is answered, then the line drops.
        dev.query("OUTP?")
        with pytest.raises(serialcmd.DeviceGoneError):
            dev.query("OUTP?")


def test_trickle_stops_for_a_command_sent_with_it(faulty):
    """A client that timed out on TRICKLE may send its next command before
    the simulator has read the TRICKLE line: both arrive together, and the
    trickle must stop at once, not run on while the command waits (the cause
    of a soak failure under load: 'reply longer than max_reply')."""
    import serial  # pyserial, from Debian

    with serial.Serial(faulty, timeout=0.05) as port:
        port.write(b"TRICKLE 1\n*IDN?\n")
        got = b""
        deadline = time.monotonic() + 2
        while b"simulator" not in got and time.monotonic() < deadline:
            got += port.read(4096)
    assert b"serialcmd,simulator" in got, got[-80:]
    assert got.count(b"t") < 50, len(got)


def test_sim_link_made_and_removed(sim, tmp_path):
    link = tmp_path / "instrument"
    s = sim("keithley2000", "--link", str(link))
    assert os.path.islink(link) and os.readlink(link) == s.path
    with serialcmd.Client(f"{link}?profile=keithley2000") as dev:
        assert dev.query("*IDN?").startswith("KEITHLEY")
    s.stop()
    assert not os.path.lexists(link)


def test_unknown_and_malformed_profiles(tmp_path, monkeypatch):
    with pytest.raises(serialcmd.OptionError, match="profile 'nosuch' not found"):
        serialcmd.Client("/dev/null?profile=nosuch")
    (tmp_path / "broken.profile").write_text("baud = 9600\nparity = sometimes\n")
    monkeypatch.setenv("SERIALCMD_DEVICES", str(tmp_path))
    with pytest.raises(serialcmd.OptionError) as e:
        serialcmd.Client("/dev/null?profile=broken")
    assert f"{tmp_path}/broken.profile, line 2" in str(e.value)
    assert "parity" in str(e.value)
    r = subprocess.run([str(ROOT / "devices" / "sim" / "serialcmd-sim"), "broken"], capture_output=True, text=True,
                       timeout=10, env=dict(os.environ, SERIALCMD_DEVICES=str(tmp_path)))
    assert r.returncode == 2 and "line 2" in r.stderr


# ---- the command line ----

def test_cli_commands_in_order(sim):
    port = sim("generic-scpi").path
    r = cli(f"{port}?profile=generic-scpi", "VOLT?", "-w", "VOLT 3.25", "VOLT?", "-w", "VOLT 99", "SYST:ERR?")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["0.000", "3.250", '-222,"Data out of range"']
    assert r.stderr == ""


def test_cli_read_more_and_trace(sim):
    port = sim("faulty").path
    r = cli("--trace", f"{port}?profile=faulty", "LINES 3", "-r", "-r")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["line1", "line2", "line3"]
    assert 'sent 8 bytes "LINES 3\\n"' in r.stderr
    assert 'reply 5 bytes "line1"' in r.stderr
    # What came from the wire is traced with its terminators, in whatever
    # chunks it came: joined, the "read" lines are the bytes sent.
    wire = "".join(re.search(r' read \d+ bytes "(.*)"$', line).group(1)
                   for line in r.stderr.splitlines() if re.search(r" read \d+ bytes ", line))
    assert wire == "line1\\nline2\\nline3\\n", r.stderr


@pytest.mark.parametrize(
    "args, code, text",
    [
        (["{port}?profile=faulty&timeout_ms=200", "SILENT"], 3, "CLIENT_ERR_TIMEOUT"),
        (["/dev/serialcmd-test-nonexistent", "X"], 6, "no such port"),
        (["{port}?baud=fast", "X"], 2, "'baud'"),
        (["{port}", "bad\x01cmd"], 2, "bad command"),
        (["{port}?profile=faulty", "HANGUP x"], 7, "device gone"),
        ([], 2, "usage"),
        (["{port}"], 2, "usage"),
        (["--bogus"], 2, "usage"),
    ],
)
def test_cli_exit_codes(sim, args, code, text):
    port = sim("faulty").path
    r = cli(*[a.format(port=port) for a in args])
    assert r.returncode == code, (r.returncode, r.stderr)
    assert text in r.stderr
    assert r.stdout == ""


def test_cli_busy(sim):
    port = sim("loopback").path
    with serialcmd.Client(port):
        r = cli(port, "X")
    assert r.returncode == 4
    assert f"held by process {os.getpid()}" in r.stderr


def test_cli_help_and_man_page():
    r = cli("--help")
    assert r.returncode == 0 and "usage: serialcmd" in r.stdout and "Exit status" in r.stdout
    man = (ROOT / "tools" / "serialcmd.1").read_text()
    for word in ("EXIT STATUS", "--list", "--write", "--trace", "SERIALCMD_DEVICES"):
        assert word.replace("-", "\\-") in man or word in man


def test_cli_list_never_opens_a_port():
    """--list reads sysfs only: under strace no /dev/tty* is ever opened."""
    if not Path("/usr/bin/strace").exists():
        pytest.skip("strace is not installed")
    r = subprocess.run(["/usr/bin/strace", "-f", "-e", "trace=open,openat", str(CLI), "--list", "--all"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    opened = [l for l in r.stderr.splitlines() if re.search(r'"/dev/(tty|serial)', l)]
    assert opened == []
    for line in r.stdout.splitlines():
        assert line.startswith("/dev/")


def test_cli_list_from_fake_sysfs(tmp_path):
    """A USB adapter, a phantom 8250 UART and a virtual tty in a fake sysfs."""
    usb = tmp_path / "devices/pci0000:00/usb1/1-1"
    tty = usb / "1-1:1.0/ttyUSB0/tty/ttyUSB0"
    tty.mkdir(parents=True)
    for k, v in {"idVendor": "0403", "idProduct": "6001", "serial": "FT1ZQ3X9", "manufacturer": "FTDI",
                 "product": "FT232R USB UART"}.items():
        (usb / k).write_text(v + "\n")
    (usb / "1-1:1.0" / "bInterfaceNumber").write_text("00\n")
    (tty / "device").symlink_to(usb / "1-1:1.0/ttyUSB0")
    phantom = tmp_path / "devices/platform/serial8250/tty/ttyS3"
    phantom.mkdir(parents=True)
    (phantom / "type").write_text("0\n")
    (phantom / "device").symlink_to(tmp_path / "devices/platform/serial8250")
    virtual = tmp_path / "devices/virtual/tty/tty1"
    virtual.mkdir(parents=True)
    cls = tmp_path / "class/tty"
    cls.mkdir(parents=True)
    for name, target in (("ttyUSB0", tty), ("ttyS3", phantom), ("tty1", virtual)):
        (cls / name).symlink_to(target)
    env = dict(os.environ, SERIALCMD_SYSFS_ROOT=str(tmp_path))
    r = subprocess.run([str(CLI), "--list"], capture_output=True, text=True, timeout=10, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "/dev/ttyUSB0\tusb 0403:6001\tFT232R USB UART\tmanufacturer=FTDI\tserial=FT1ZQ3X9"]
    r = subprocess.run([str(CLI), "--list", "--all"], capture_output=True, text=True, timeout=10, env=env)
    assert [l.split("\t")[0] for l in r.stdout.splitlines()] == ["/dev/ttyS3", "/dev/ttyUSB0"]


# ---- unsolicited lines ----

def test_at_modem_unsolicited_lines_reach_the_callback(sim):
    """The AT modem sends RING and +CREG: 1 at random: every reply is the
    command's own, on_unsolicited gets the lines, the count matches."""
    port = sim("at-modem").path
    seen = []
    dialogue = [("AT", "OK"), ("ATI", "SERIALCMD SIM-MODEM 1.0"), ("AT+CSQ", "+CSQ: 21,99")]
    with serialcmd.Client(f"{port}?profile=at-modem", on_unsolicited=seen.append) as dev:
        i = 0
        while i < 300 or len(seen) < 5:
            cmd, want = dialogue[i % len(dialogue)]
            assert dev.query(cmd) == want
            i += 1
            assert i < 20000, seen
        assert set(seen) <= {"RING", "+CREG: 1"}
        assert dev.unsolicited_count == len(seen)


def test_unsolicited_callback_exceptions_stay_in_python(sim, monkeypatch):
    """An exception in on_unsolicited goes to sys.unraisablehook, never into
    the library; the command still gets its reply."""
    import sys

    port = sim("at-modem").path
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)

    def boom(line):
        raise RuntimeError(f"callback failed on {line}")

    # The keyword takes a list of prefixes as well as the spec's text.
    with serialcmd.Client(f"{port}?profile=at-modem", unsolicited=["RING", "+CREG:"],
                          on_unsolicited=boom) as dev:
        i = 0
        while not reported:
            assert dev.query("AT") == "OK"
            i += 1
            assert i < 20000
        assert dev.unsolicited_count >= 1
    assert isinstance(reported[0].exc_value, RuntimeError)
    assert "callback failed on" in str(reported[0].exc_value)
    with pytest.raises(serialcmd.OptionError, match="on_unsolicited"):
        serialcmd.Client(port, on_unsolicited="not callable")


def test_hostile_usb_strings_are_escaped(tmp_path):
    """USB strings come from the device (issue 15: a TAB forged --list's
    columns and an ESC reached the terminal, from --list and from the
    error that lists the adapters found for a usb: port)."""
    usb = tmp_path / "devices/pci0000:00/usb1/1-1"
    tty = usb / "1-1:1.0/ttyUSB0/tty/ttyUSB0"
    tty.mkdir(parents=True)
    for k, v in {"idVendor": "0403", "idProduct": "6001", "serial": "S\x1b]0;pwn\x07\t1",
                 "manufacturer": "M\tserial=forged", "product": "P\x1b[2J\\x"}.items():
        (usb / k).write_bytes(v.encode() + b"\n")
    (tty / "device").symlink_to(usb / "1-1:1.0/ttyUSB0")
    cls = tmp_path / "class/tty"
    cls.mkdir(parents=True)
    (cls / "ttyUSB0").symlink_to(tty)
    env = dict(os.environ, SERIALCMD_SYSFS_ROOT=str(tmp_path))
    r = subprocess.run([str(CLI), "--list"], capture_output=True, timeout=10, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode("ascii").splitlines() == [
        "/dev/ttyUSB0\tusb 0403:6001\tP\\x1B[2J\\\\x\tmanufacturer=M\\tserial=forged"
        "\tserial=S\\x1B]0;pwn\\x07\\t1"]
    r = subprocess.run([str(CLI), "usb:0403:6002", "*IDN?"], capture_output=True, timeout=10, env=env)
    assert r.returncode == 6
    err = r.stderr.decode("ascii")
    assert "/dev/ttyUSB0 0403:6001 serial 'S\\x1B]0;pwn\\x07\\t1'" in err
    assert not any(ord(ch) < 0x20 and ch != "\n" for ch in err)
