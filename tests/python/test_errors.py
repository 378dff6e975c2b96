# SPDX-License-Identifier: MIT
"""Every exception type, with the library's code, name and message."""

from __future__ import annotations

import builtins
import os
import pickle
import stat
import subprocess
import sys
import textwrap
import time

import pytest

import serialcmd
from serialcmd_testlib import PYTHON_DIR, python_env

NO_PORT = "/dev/serialcmd-test-no-such-port"

# class, code, name, builtin bases it must also be
CLASSES = [
    (serialcmd.ArgumentError, -1, "CLIENT_ERR_ARG", (ValueError,)),
    (serialcmd.OptionError, -2, "CLIENT_ERR_OPTION", (ValueError,)),
    (serialcmd.PortNotFoundError, -3, "CLIENT_ERR_NOPORT", (FileNotFoundError, OSError)),
    (serialcmd.PermissionDeniedError, -4, "CLIENT_ERR_PERM", (PermissionError, OSError)),
    (serialcmd.PortBusyError, -5, "CLIENT_ERR_BUSY", (OSError,)),
    (serialcmd.CommandError, -6, "CLIENT_ERR_COMMAND", (ValueError,)),
    (serialcmd.TimeoutError, -7, "CLIENT_ERR_TIMEOUT", (builtins.TimeoutError, OSError)),
    (serialcmd.ReplyTooLongError, -8, "CLIENT_ERR_TOOLONG", ()),
    (serialcmd.DeviceGoneError, -9, "CLIENT_ERR_GONE", (ConnectionError, OSError)),
    (serialcmd.PortIOError, -10, "CLIENT_ERR_IO", (OSError,)),
    (serialcmd.OutOfMemoryError, -11, "CLIENT_ERR_NOMEM", (MemoryError,)),
    (serialcmd.ConnectionRefusedByServerError, -12, "CLIENT_ERR_REFUSED", (ConnectionRefusedError,)),
    (serialcmd.HostNotFoundError, -13, "CLIENT_ERR_NOHOST", (OSError,)),
    (serialcmd.ConnectionClosedError, -14, "CLIENT_ERR_CLOSED", (ConnectionError,)),
    (serialcmd.ProtocolError, -15, "CLIENT_ERR_PROTOCOL", (OSError,)),
    (serialcmd.EchoMismatchError, -16, "CLIENT_ERR_ECHO", ()),
    (serialcmd.UnsupportedError, -19, "CLIENT_ERR_UNSUPPORTED", (OSError,)),
]


@pytest.mark.parametrize("cls,code,name,bases", CLASSES, ids=[c[2] for c in CLASSES])
def test_code_mapping(lib, cls, code, name, bases):
    exc = lib.error(code, "/dev/x: something went wrong")
    assert type(exc) is cls
    assert isinstance(exc, serialcmd.Error)
    for base in bases:
        assert isinstance(exc, base)
    assert exc.code == code
    assert exc.name == name
    assert str(exc) == "/dev/x: something went wrong"
    assert exc.message == "/dev/x: something went wrong"
    assert exc.description == lib.client_strerror(code).decode()
    # Survives pickling with code and name (multiprocessing, logging).
    back = pickle.loads(pickle.dumps(exc))
    assert (type(back), back.code, back.name, str(back)) == (cls, code, name, str(exc))


def test_unknown_code_is_base_error(lib):
    exc = lib.error(-1000, "")
    assert type(exc) is serialcmd.Error
    assert exc.code == -1000
    assert exc.name == "CLIENT_ERR_UNKNOWN"
    assert str(exc) == "unknown error"  # client_strerror() stands in for no message
    assert serialcmd.errors.error_class(-99) is serialcmd.Error


def test_timeout_alias():
    assert serialcmd.Timeout is serialcmd.TimeoutError
    assert issubclass(serialcmd.Timeout, builtins.TimeoutError)
    assert serialcmd.TimeoutError is not builtins.TimeoutError


def test_no_such_port():
    with pytest.raises(serialcmd.PortNotFoundError) as info:
        serialcmd.Client(NO_PORT)
    exc = info.value
    assert isinstance(exc, FileNotFoundError)
    assert (exc.code, exc.name) == (-3, "CLIENT_ERR_NOPORT")
    assert str(exc) == f"{NO_PORT}: open: no such port"


def test_not_a_terminal(tmp_path):
    plain = tmp_path / "plain-file"
    plain.write_text("")
    with pytest.raises(serialcmd.PortNotFoundError) as info:
        serialcmd.Client(str(plain))
    assert str(info.value) == f"{plain}: not a serial port or terminal (not a character device)"


def test_bad_option(loopback):
    with pytest.raises(serialcmd.OptionError) as info:
        serialcmd.Client(loopback, parity="evn")
    exc = info.value
    assert isinstance(exc, ValueError)
    assert (exc.code, exc.name) == (-2, "CLIENT_ERR_OPTION")
    assert str(exc) == f"{loopback}: bad value 'evn' for 'parity' (accepted: none, odd, even, mark or space)"
    with pytest.raises(serialcmd.OptionError, match=r"unknown option 'speed' \(accepted keys: baud"):
        serialcmd.Client(loopback + "?speed=9600")


def test_option_refused_when_opening(loopback):
    # Valid for the parser, refused by the termios backend at open.
    with pytest.raises(serialcmd.OptionError) as info:
        serialcmd.Client(loopback, baud=12345)
    assert str(info.value) == (
        f"{loopback}: baud 12345 is not a standard termios rate (use e.g. 9600, 115200, 1000000)"
    )
    serialcmd.Client(loopback).close()  # nothing stayed open


def test_bad_command(loopback):
    with serialcmd.Client(loopback) as dev:
        with pytest.raises(serialcmd.CommandError) as info:
            dev.query("a\x01b")
        exc = info.value
        assert isinstance(exc, ValueError)
        assert (exc.code, exc.name) == (-6, "CLIENT_ERR_COMMAND")
        assert str(exc) == (
            f'{loopback}: bad command: byte 1 is "\\x01" (only printable ASCII and TAB may be sent;'
            " nothing was written)"
        )
        with pytest.raises(serialcmd.CommandError) as info:
            dev.write("two\nlines")
        assert 'byte 3 is "\\n"' in str(info.value)
        assert dev.query("still fine") == "still fine"


def test_command_with_write_terminator(sim):
    path = sim("loopback", "--eol", "CRLF").path
    with serialcmd.Client(path, write_eol=";", read_eol="\r\n") as dev:
        with pytest.raises(serialcmd.CommandError) as info:
            dev.query("a;b")
        assert str(info.value) == (
            f'{path}: bad command: it holds the write terminator ";" (nothing was written)'
        )


def test_nul_in_command_is_refused(loopback):
    # Sent counted (client_send_cmd_reply_n), so the library sees the NUL and refuses it.
    with serialcmd.Client(loopback) as dev:
        with pytest.raises(serialcmd.CommandError) as info:
            dev.query("ab\0cd")
        assert (info.value.code, info.value.name) == (-6, "CLIENT_ERR_COMMAND")
        assert str(info.value) == (
            f'{loopback}: bad command: byte 2 is "\\x00" (only printable ASCII and TAB may be sent;'
            " nothing was written)"
        )
        with pytest.raises(serialcmd.CommandError):
            dev.write(b"\0")
        assert dev.query("ab") == "ab"


def test_timeout(faulty):
    with serialcmd.Client(faulty, timeout=0.2) as dev:
        start = time.monotonic()
        with pytest.raises(serialcmd.TimeoutError) as info:
            dev.query("SILENT")
        elapsed = time.monotonic() - start
        exc = info.value
        assert isinstance(exc, builtins.TimeoutError)
        assert (exc.code, exc.name) == (-7, "CLIENT_ERR_TIMEOUT")
        assert str(exc) == f'{faulty}: timeout after 200 ms: no reply (expected terminator "\\n")'
        assert 0.15 < elapsed < 1.5
        # The handle still works afterwards.
        assert dev.query("LATE 10 ok") == "ok"


def test_timeout_with_partial_reply(faulty):
    with serialcmd.Client(faulty, timeout=0.3) as dev:
        with pytest.raises(serialcmd.Timeout) as info:
            dev.query("TRICKLE 10")
        msg = str(info.value)
        assert msg.startswith(f"{faulty}: timeout after 300 ms: ")
        assert 'bytes received, ending ..."tttttttttttttttt", but not the expected terminator "\\n"' in msg


def test_reply_too_long(faulty):
    with serialcmd.Client(faulty, max_reply=10, timeout=2) as dev:
        with pytest.raises(serialcmd.ReplyTooLongError) as info:
            dev.query("SIZE 100")
        exc = info.value
        assert (exc.code, exc.name) == (-8, "CLIENT_ERR_TOOLONG")
        assert str(exc).startswith(f"{faulty}: reply longer than max_reply=10 bytes; ")
        assert str(exc).endswith(" (raise max_reply, or check the terminator)")
        assert dev.query("SIZE 10") == "x" * 10


def test_device_gone(faulty):
    with serialcmd.Client(faulty, timeout=2) as dev:
        with pytest.raises(serialcmd.DeviceGoneError) as info:
            dev.query("HANGUP bye")
        exc = info.value
        assert isinstance(exc, ConnectionError)
        assert (exc.code, exc.name) == (-9, "CLIENT_ERR_GONE")
        assert str(exc).startswith(f"{faulty}: read: device gone")
        # Fails fast from now on.
        start = time.monotonic()
        with pytest.raises(serialcmd.DeviceGoneError) as info:
            dev.query("*IDN?")
        assert time.monotonic() - start < 0.5
        assert str(info.value) == (
            f"{faulty}: device gone earlier; destroy the handle and open the port again (or use reconnect=1)"
        )
        with pytest.raises(serialcmd.DeviceGoneError):
            dev.write("x")
        with pytest.raises(serialcmd.DeviceGoneError):
            dev.read()


def test_port_busy_names_the_holder(loopback):
    with serialcmd.Client(loopback):
        with pytest.raises(serialcmd.PortBusyError) as info:
            serialcmd.Client(loopback)
        exc = info.value
        assert isinstance(exc, OSError)
        assert (exc.code, exc.name) == (-5, "CLIENT_ERR_BUSY")
        assert str(exc).startswith(f"{loopback}: port busy ")
        # Our own handle holds it: a re-run notebook cell, not another program.
        assert "already open in this process" in str(exc)
        assert "held by process" not in str(exc)
    serialcmd.Client(loopback).close()


def test_port_busy_names_another_process(loopback):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[2]); import serialcmd;"
         " c = serialcmd.Client(sys.argv[1]); print('ok', flush=True); sys.stdin.read()",
         loopback, str(PYTHON_DIR)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=python_env(), cwd="/")
    try:
        assert holder.stdout.readline().strip() == "ok"
        with open(f"/proc/{holder.pid}/comm") as f:
            comm = f.read().strip()
        with pytest.raises(serialcmd.PortBusyError) as info:
            serialcmd.Client(loopback)
        assert str(info.value).startswith(f"{loopback}: port busy ")
        assert f"held by process {holder.pid} ({comm})" in str(info.value)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def test_permission_denied(sim):
    path = sim("loopback").path
    if os.geteuid() != 0:
        # Our own pty: take the permission away from ourselves.
        os.chmod(path, 0)
        with pytest.raises(serialcmd.PermissionDeniedError) as info:
            serialcmd.Client(path)
        message = str(info.value)
        code, name = info.value.code, info.value.name
    else:
        # Root opens anything: ask an unprivileged user to open root's pty.
        # The child loads the package and library as root (the tree may sit
        # in a directory only root can read), then drops to nobody.
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        script = textwrap.dedent(
            f"""
            import os, sys
            sys.path.insert(0, {str(PYTHON_DIR)!r})
            import serialcmd
            serialcmd.get_library()
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                serialcmd.Client({path!r})
            except serialcmd.PermissionDeniedError as e:
                assert isinstance(e, PermissionError)
                print(e.code, e.name, e, sep="|")
            """
        )
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=30,
            env=python_env(), cwd="/",
        )
        assert out.returncode == 0, out.stderr
        code_text, name, message = out.stdout.rstrip("\n").split("|")
        code = int(code_text)
    assert (code, name) == (-4, "CLIENT_ERR_PERM")
    assert message == (
        f"{path}: open: permission denied (the user may need to be in the dialout group,"
        " or a udev rule granting access)"
    )


def test_port_busy_holder_name_is_escaped(loopback):
    """A process names itself anything (issue 15: an ESC in the holder's
    /proc/PID/comm reached the message, and the user's terminal, as is).
    The holder is another process: the same process is told "already open
    in this process" instead."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[2]); import serialcmd;"
         " open('/proc/self/comm', 'wb').write(b'ev\\x1b[2J\\x07il\\\\');"
         " c = serialcmd.Client(sys.argv[1]); print('ok', flush=True); sys.stdin.read()",
         loopback, str(PYTHON_DIR)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=python_env(), cwd="/")
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(serialcmd.PortBusyError) as info:
            serialcmd.Client(loopback)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    message = str(info.value)
    assert f"held by process {holder.pid} (ev\\x1B[2J\\x07il\\\\)" in message
    assert not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in message)


def test_stale_errors_are_not_the_first_commands(sim):
    """Errors an earlier program left in the queue are read out on open
    with check_errors=1: the first command is not blamed for them."""
    port = sim("generic-scpi").path
    with serialcmd.Client(f"{port}?profile=generic-scpi") as dev:
        dev.write("VOLT 99")
        dev.write("BOGUS")
        assert dev.stale_errors == []
    with serialcmd.Client(f"{port}?profile=generic-scpi&check_errors=1") as dev:
        assert dev.query("*IDN?") == "SERIALCMD,GENERIC-SCPI,SIM0001,1.0"
        assert dev.stale_errors == ['-222,"Data out of range"', '-113,"Undefined header"']
        with pytest.raises(serialcmd.InstrumentError):
            dev.write("VOLT 99")
