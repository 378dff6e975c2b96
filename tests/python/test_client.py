# SPDX-License-Identifier: MIT
"""serialcmd.Client: every method, life cycle, decoding, freeing."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import time

import pytest

import serialcmd
from serialcmd_testlib import PYTHON_DIR, SIM_IDN, SIM_UNKNOWN, python_env


def test_query_returns_str(faulty):
    with serialcmd.Client(faulty, timeout=2) as dev:
        reply = dev.query("*IDN?")
        assert reply == SIM_IDN
        assert isinstance(reply, str)
        assert dev.query("NO SUCH THING") == SIM_UNKNOWN


def test_query_accepts_bytes(loopback):
    with serialcmd.Client(loopback) as dev:
        assert dev.query(b"abc") == "abc"
        assert dev.query(bytearray(b"tab\there")) == "tab\there"
        assert dev.query_bytes(b"xyz") == b"xyz"


def test_query_bytes_is_binary_safe(faulty):
    with serialcmd.Client(faulty, timeout=2) as dev:
        data = dev.query_bytes("BIN 256")
    # 0..255 without the terminator byte 0x0A, wrapping to 0 at the end.
    expected = bytes(b for b in range(256) if b != 0x0A) + b"\x00"
    assert data == expected
    assert isinstance(data, bytes)


def test_empty_reply(loopback):
    with serialcmd.Client(loopback) as dev:
        assert dev.query("") == ""
        assert dev.query_bytes("") == b""


def test_large_reply(faulty):
    # Past the library's zero-copy threshold (64 KiB): freed the other way.
    with serialcmd.Client(faulty, timeout=5) as dev:
        assert dev.query_bytes("SIZE 200000") == b"x" * 200000
        assert dev.query("*IDN?") == SIM_IDN


def test_read_and_read_bytes(faulty):
    with serialcmd.Client(faulty, timeout=2) as dev:
        assert dev.query("LINES 4") == "line1"
        assert dev.read() == "line2"
        assert dev.read_bytes() == b"line3"
        assert dev.read() == "line4"
        # Nothing more: a fresh deadline, then a timeout.
        dev.timeout = 0.2
        with pytest.raises(serialcmd.TimeoutError):
            dev.read()


def test_write_sends_without_reading(faulty):
    with serialcmd.Client(faulty, timeout=2) as dev:
        # The command and the write terminator (LF): as pyserial and PyVISA count.
        assert dev.write("TWICE hello") == len("TWICE hello") + 1
        assert dev.read() == "hello"
        assert dev.read() == "hello"
        # A query discards what a write left unread.
        dev.write("TWICE left")
        time.sleep(0.1)
        assert dev.query("*IDN?") == SIM_IDN


def test_timeout_property(loopback):
    with serialcmd.Client(loopback, timeout=0.5) as dev:
        assert dev.timeout == 0.5
        assert isinstance(dev.timeout, float)
        dev.timeout = 1.25
        assert dev.timeout == 1.25
        dev.timeout = 3
        assert dev.timeout == 3.0
    with serialcmd.Client(loopback) as dev:
        assert dev.timeout == 2.0  # the library's default


def test_timeout_setter_errors(loopback):
    with serialcmd.Client(loopback) as dev:
        # Passed to client_set_timeout(), which refuses 0 ms: CLIENT_ERR_OPTION,
        # as the same value in a spec would be.
        with pytest.raises(serialcmd.OptionError) as info:
            dev.timeout = 0
        assert info.value.code == -2
        assert info.value.name == "CLIENT_ERR_OPTION"
        assert str(info.value) == f"{loopback}: bad value 0 for 'timeout_ms' (accepted: 1 to 86400000)"
        with pytest.raises(serialcmd.OptionError, match="86400000"), pytest.warns(serialcmd.LongTimeoutWarning):
            dev.timeout = 86401
        for bad in (-1, float("nan"), float("inf"), 1e12):
            with pytest.raises(serialcmd.OptionError, match=r"0\.001 to 86400 s"):
                dev.timeout = bad
        with pytest.raises(serialcmd.OptionError, match="int or float"):
            dev.timeout = "1"  # type: ignore[assignment]
        assert dev.timeout == 2.0  # unchanged by the failures


def test_port_spec_repr(loopback):
    dev = serialcmd.Client(loopback, baud=115200)
    try:
        assert dev.port == loopback
        assert dev.spec == f"{loopback}?baud=115200"
        assert repr(dev) == f"<serialcmd.Client {loopback!r} baud=115200 8N1 eol=LF timeout=2s open>"
        assert dev.closed is False
        assert dev.library is serialcmd.get_library()
    finally:
        dev.close()
    assert dev.closed is True
    assert repr(dev) == f"<serialcmd.Client {loopback!r} baud=115200 8N1 eol=LF timeout=2s closed>"


def test_context_manager_returns_client_and_closes(loopback):
    dev = serialcmd.Client(loopback)
    with dev as entered:
        assert entered is dev
    assert dev.closed


def test_context_manager_does_not_swallow(loopback):
    with pytest.raises(KeyError):
        with serialcmd.Client(loopback) as dev:
            raise KeyError("boom")
    assert dev.closed
    # __exit__'s own signature and result.
    dev2 = serialcmd.Client(loopback)
    assert dev2.__exit__(KeyError, KeyError("x"), None) is None
    assert dev2.closed


def test_close_is_idempotent(loopback):
    dev = serialcmd.Client(loopback)
    dev.close()
    dev.close()
    dev.__exit__(None, None, None)  # closing by a with-block after close() too
    assert dev.closed


def test_use_after_close_raises(loopback):
    dev = serialcmd.Client(loopback)
    dev.close()
    for call in (
        lambda: dev.query("x"),
        lambda: dev.query_bytes("x"),
        lambda: dev.write("x"),
        lambda: dev.read(),
        lambda: dev.read_bytes(),
        lambda: dev.timeout,
        lambda: setattr(dev, "timeout", 1.0),
        lambda: dev.__enter__(),
    ):
        with pytest.raises(serialcmd.ClosedError) as info:
            call()
        assert str(info.value) == f"{loopback}: the client is closed"
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value, serialcmd.Error)
    # The port is free again.
    serialcmd.Client(loopback).close()


def test_gc_releases_port(loopback):
    dev = serialcmd.Client(loopback)
    with pytest.raises(serialcmd.PortBusyError):
        serialcmd.Client(loopback)
    with pytest.warns(ResourceWarning, match="unclosed"):
        del dev
        gc.collect()
    # The exclusive lock went with the handle.
    again = serialcmd.Client(loopback)
    assert again.query("back") == "back"
    again.close()


def test_gc_of_cycle_releases_port(loopback):
    dev = serialcmd.Client(loopback)
    dev.self_ref = dev  # type: ignore[attr-defined]
    with pytest.warns(ResourceWarning):
        del dev
        gc.collect()
    serialcmd.Client(loopback).close()


def test_failed_init_is_safe_to_collect(loopback):
    with pytest.raises(serialcmd.PortNotFoundError):
        serialcmd.Client("/dev/serialcmd-test-no-such-port")
    gc.collect()  # no error from __del__ of the half-made object


def test_del_at_interpreter_shutdown(sim):
    # One client left in a module global, one in a reference cycle: both
    # are released at exit without an error from __del__.
    one, two = sim("loopback").path, sim("loopback").path
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(PYTHON_DIR)!r})
        import serialcmd
        KEEP = serialcmd.Client({one!r})
        CYCLE = serialcmd.Client({two!r})
        CYCLE.me = CYCLE
        print(KEEP.query("alive"), CYCLE.query("too"))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, env=python_env()
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "alive too\n"
    assert "Traceback" not in out.stderr
    assert "Exception ignored" not in out.stderr
    # Whatever ran at exit released both ports.
    serialcmd.Client(one).close()
    serialcmd.Client(two).close()


def test_decode_failure_frees_reply(faulty, lib, monkeypatch):
    calls = []
    real_free = lib.client_free_ret

    def counting_free(ret):
        calls.append(ret)
        return real_free(ret)

    monkeypatch.setattr(lib, "client_free_ret", counting_free)
    with serialcmd.Client(faulty, timeout=2) as dev:
        # query() reads into the client's buffer (client_query_into): no
        # reply is made, none is left to free, whatever the decoding does.
        with pytest.raises(UnicodeDecodeError):
            dev.query("BIN 256")  # bytes above 0x7f are not ASCII
        assert len(calls) == 0
        # read() still gets a reply, and frees it when decoding fails.
        dev.write("BIN 256")
        with pytest.raises(UnicodeDecodeError):
            dev.read()
        assert len(calls) == 1
        # A failing command gives no reply and frees nothing.
        dev.timeout = 0.2
        with pytest.raises(serialcmd.TimeoutError):
            dev.query("SILENT")
        assert len(calls) == 1
        dev.timeout = 2
        assert dev.query("*IDN?") == SIM_IDN
        dev.write("LINES 2")
        with pytest.raises(UnicodeDecodeError):
            dev.encoding = "utf-16"  # odd length: cannot decode
            dev.read()
        assert dev.read_bytes() == b"line2"
        assert len(calls) == 3


def test_encoding_option(faulty):
    with serialcmd.Client(faulty, encoding="latin-1", timeout=2) as dev:
        assert dev.encoding == "latin-1"
        text = dev.query("BIN 256")
        assert text == dev.query_bytes("BIN 256").decode("latin-1")
        assert "encoding" not in dev.spec
    with serialcmd.Client(faulty, errors="replace", timeout=2) as dev:
        assert "\ufffd" in dev.query("BIN 256")


def test_bad_encoding_option(loopback, lib, monkeypatch):
    opened = []
    monkeypatch.setattr(lib, "client_init_py", lambda spec: opened.append(spec))
    with pytest.raises(serialcmd.OptionError, match="no-such-codec"):
        serialcmd.Client(loopback, encoding="no-such-codec")
    with pytest.raises(serialcmd.OptionError, match="no-such-handler"):
        serialcmd.Client(loopback, errors="no-such-handler")
    assert opened == []


def test_non_ascii_command(loopback):
    with serialcmd.Client(loopback) as dev:
        with pytest.raises(serialcmd.CommandError) as info:
            dev.query("caf\u00e9")
        assert str(info.value).startswith(f"{loopback}: bad command: character 3 is 'é'")
        with pytest.raises(TypeError):
            dev.query(42)  # type: ignore[arg-type]
        # The library refuses non-ASCII bytes itself.
        with pytest.raises(serialcmd.CommandError, match=r'byte 3 is "\\xE9"'):
            dev.query("café".encode("latin-1"))
        assert dev.query("ok") == "ok"
