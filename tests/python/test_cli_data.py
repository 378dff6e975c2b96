# SPDX-License-Identifier: MIT
"""The command line never loses data (issue 14, defect 7), through real ptys
served by serialcmd-sim: binary blocks come out whole (-b, or a profile's
blocks = ...), a profile's queries = scpi writes set commands without
waiting for a reply, bytes left unread fail the run and are shown, and a
failed write to stdout is an error.

SERIALCMD_CLI=/path/to/serialcmd runs these against another build (to show
them failing on the commit before the change).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from serialcmd_testlib import ROOT

CLI = Path(os.environ.get("SERIALCMD_CLI", ROOT / "tools" / "serialcmd"))
# scope.profile's [waveform ch1]: 1200 bytes counting up in steps of 7, so
# every byte value appears, the terminator's too.
WAVE = bytes(i * 7 % 256 for i in range(1200))
SCOPE_IDN = b"SERIALCMD,SIM-SCOPE,SC0001,1.0"


def run(*args: str, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([str(CLI), *args], timeout=30, **kw)


def test_block_option_writes_the_block_bytes_exactly(sim):
    port = sim("scope").path
    r = run(port, "-b", ":WAV:DATA?")
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout == WAVE
    # In order with text replies; --block is the long name.
    r = run(port, "*IDN?", "--block", ":WAV:DATA?", "*IDN?")
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout == SCOPE_IDN + b"\n" + WAVE + SCOPE_IDN + b"\n"


def test_profile_blocks_make_a_plain_query_a_block(sim):
    """scope.profile says blocks = :WAV:DATA?, ...: the plain command of the
    issue (`serialcmd SPEC ':WAV:DATA?' > wave.bin`) writes all 1200 bytes."""
    port = sim("scope").path
    r = run(f"{port}?profile=scope", ":WAV:DATA?")
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout == WAVE
    # The same from the spec key, without the profile; the header is
    # matched without regard to case.
    r = run(f"{port}?blocks=:wav2:data?,:wav:data?", "*IDN?", ":WAV:DATA?")
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout == SCOPE_IDN + b"\n" + WAVE


def test_bytes_left_unread_fail_the_run_and_are_shown(sim):
    """Without a block rule the reply ends at the first 0x0A inside the
    block: the rest must not vanish with exit status 0."""
    port = sim("scope").path
    r = run(port, ":WAV:DATA?")
    assert r.returncode == 1, r.stderr
    err = r.stderr.decode()
    assert "left unread from the device" in err
    # How many, and the first of them escaped (the bytes after the first
    # \n of the waveform: 7 * 38 % 256 = 10 is its \n, then 17, 24, 31).
    # The reply: text, #<n><n digits>, 1200 bytes, \n; stdout has its
    # first line and the \n ending it.
    h = r.stdout.index(b"#")
    unread = h + 2 + int(r.stdout[h + 1:h + 2]) + 1200 + 1 - len(r.stdout)
    assert f"{unread} bytes left unread" in err, err
    assert '"\\x11\\x18\\x1F&-4;' in err, err


def test_scpi_profile_writes_set_commands_without_waiting(sim):
    """scope.profile says queries = scpi (and timeout_ms = 5000): *RST and
    :TIM:SCAL 0.002 answer nothing and are only written."""
    port = sim("scope").path
    start = time.monotonic()
    r = run(f"{port}?profile=scope", "*RST", ":TIM:SCAL 0.002", ":TIM:SCAL?", "*IDN?")
    elapsed = time.monotonic() - start
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode().splitlines() == ["+2.000000E-03", SCOPE_IDN.decode()]
    assert elapsed < 3, elapsed


def test_scpi_rule_from_the_spec_key(sim):
    """queries=scpi in a spec: a line is a query when one of its
    ';'-separated headers ends in '?'."""
    port = sim("generic-scpi").path
    r = run(f"{port}?profile=generic-scpi&queries=scpi&timeout_ms=3000", "VOLT 3.25", "VOLT?")
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode().splitlines() == ["3.250"]


def test_timeout_on_a_command_without_question_mark_suggests_w(sim):
    """Without queries = scpi every command is still a query (as before);
    a timeout on one without '?' says to send it with -w."""
    port = sim("faulty").path
    r = run(f"{port}?profile=faulty&timeout_ms=200", "SILENT")
    assert r.returncode == 3
    err = r.stderr.decode()
    assert "CLIENT_ERR_TIMEOUT" in err
    assert "send it with -w 'SILENT'" in err, err
    # A query that times out gets no such advice (the simulated scope
    # answers no unknown command).
    scope = sim("scope").path
    r = run(f"{scope}?timeout_ms=200", ":NOSUCH?")
    assert r.returncode == 3
    assert "CLIENT_ERR_TIMEOUT" in r.stderr.decode()
    assert "-w" not in r.stderr.decode()


def test_output_errors_are_errors(sim, tmp_path):
    port = sim("faulty").path
    with open("/dev/full", "wb") as full:
        r = run(f"{port}?profile=faulty", "*IDN?", stdout=full)
    assert r.returncode == 1
    assert b"writing standard output: No space left on device" in r.stderr
    # --list, on a fake sysfs with one USB port so there is a line to write.
    usb = tmp_path / "devices/usb1/1-1"
    tty = usb / "1-1:1.0/tty/ttyUSB9"
    tty.mkdir(parents=True)
    for key, value in {"idVendor": "0403", "idProduct": "6001"}.items():
        (usb / key).write_text(value + "\n")
    (tty / "device").symlink_to(usb / "1-1:1.0")
    (tmp_path / "class/tty").mkdir(parents=True)
    (tmp_path / "class/tty/ttyUSB9").symlink_to(tty)
    env = dict(os.environ, SERIALCMD_SYSFS_ROOT=str(tmp_path))
    assert run("--list", env=env).stdout.startswith(b"/dev/ttyUSB9")
    with open("/dev/full", "wb") as full:
        r = run("--list", stdout=full, env=env)
    assert r.returncode == 1
    assert b"writing standard output: No space left on device" in r.stderr


def test_shipped_scpi_profiles_write_set_commands_without_waiting(sim):
    """rigol-dp800.profile (like the other SCPI instruments' profiles) says
    queries = scpi: the man page's example needs no -w."""
    port = sim("rigol-dp800").path
    start = time.monotonic()
    r = run(f"{port}?profile=rigol-dp800&timeout_ms=5000", ":SOUR1:VOLT 5", ":SOUR1:VOLT?")
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode().splitlines() == ["5.000"]
    assert time.monotonic() - start < 3
