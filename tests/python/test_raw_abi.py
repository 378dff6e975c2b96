# SPDX-License-Identifier: MIT
"""python/examples/raw_ctypes.py: the ABI by hand, driven as a class and as
a script; and python/examples/query.py."""

from __future__ import annotations

import ctypes
import importlib.util
import subprocess
import sys

import pytest

from serialcmd_testlib import EXAMPLES, LIBRARY, SIM_IDN, python_env


@pytest.fixture(scope="module")
def raw():
    spec = importlib.util.spec_from_file_location("raw_ctypes_example", EXAMPLES / "raw_ctypes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_four_functions_declared_by_hand(raw, loopback):
    dev = raw.ClientPy(loopback, library=str(LIBRARY))
    try:
        lib = dev.lib
        # Pointers come back as pointers, not as 32-bit ints.
        assert lib.client_init_py.restype is ctypes.POINTER(raw.client)
        assert lib.client_init_py.argtypes == [ctypes.c_char_p]
        assert lib.client_send_cmd_reply.restype is ctypes.POINTER(raw.client_ret)
        assert lib.client_send_cmd_reply.argtypes == [ctypes.POINTER(raw.client), ctypes.c_char_p]
        assert lib.client_free_ret.restype is None
        assert lib.client_free_ret.argtypes == [ctypes.POINTER(raw.client_ret)]
        assert lib.client_destroy.restype is None
        assert lib.client_destroy.argtypes == [ctypes.POINTER(raw.client)]
        assert raw.client_ret._fields_[0][1] is ctypes.POINTER(ctypes.c_char)
        assert isinstance(dev.handle, ctypes.POINTER(raw.client))
    finally:
        dev.close()


def test_query_loopback(raw, loopback):
    with raw.ClientPy(loopback) as dev:
        assert dev.send_cmd_reply("hello") == b"hello"
        assert dev.send_cmd_reply(b"tab\tx") == b"tab\tx"
        for i in range(200):
            assert dev.send_cmd_reply(f"n{i}") == f"n{i}".encode()


def test_binary_reply_keeps_nul_bytes(raw, faulty):
    with raw.ClientPy(faulty + "?timeout_ms=2000") as dev:
        data = dev.send_cmd_reply("BIN 256")
    assert len(data) == 256
    assert data == bytes(b for b in range(256) if b != 0x0A) + b"\x00"


def test_errors_carry_code_and_message(raw, faulty):
    with pytest.raises(raw.SerialcmdError) as info:
        raw.ClientPy("/dev/serialcmd-test-no-such-port")
    assert info.value.code == -3
    assert info.value.message == "/dev/serialcmd-test-no-such-port: open: no such port"
    with raw.ClientPy(faulty + "?timeout_ms=200") as dev:
        with pytest.raises(raw.SerialcmdError) as info:
            dev.send_cmd_reply("SILENT")
        assert info.value.code == -7
        assert info.value.message.startswith(f"{faulty}: timeout after 200 ms")
        with pytest.raises(ValueError, match="NUL"):
            dev.send_cmd_reply("a\0b")
        assert dev.send_cmd_reply("*IDN?") == SIM_IDN.encode()


def test_close_twice_and_use_after_close(raw, loopback):
    dev = raw.ClientPy(loopback)
    dev.close()
    dev.close()
    with pytest.raises(ValueError, match="closed"):
        dev.send_cmd_reply("x")
    # The handle was destroyed: the port opens again.
    raw.ClientPy(loopback).close()


def test_script(faulty):
    # SPLIT, not TWICE: a second copy can still be on its way when the next
    # command's drain runs, and then no client can tell it from that
    # command's reply (test-ownreply covers that case with tagged answers).
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "raw_ctypes.py"), faulty, "*IDN?", "SPLIT z", "LATE 10 late"],
        capture_output=True, text=True, timeout=30, env=python_env(),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [SIM_IDN, "z", "late"]


def test_script_errors(faulty):
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "raw_ctypes.py"), "/dev/serialcmd-test-no-such-port", "*IDN?"],
        capture_output=True, text=True, timeout=30, env=python_env(),
    )
    assert out.returncode == 1
    assert out.stderr == "raw_ctypes: /dev/serialcmd-test-no-such-port: open: no such port\n"
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "raw_ctypes.py"), faulty],
        capture_output=True, text=True, timeout=30, env=python_env(),
    )
    assert out.returncode == 2
    assert "usage: raw_ctypes.py SPEC COMMAND..." in out.stderr


def test_script_uses_env_library(faulty, tmp_path):
    link = tmp_path / "libserialcmd-elsewhere.so.1"
    link.symlink_to(LIBRARY)
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "raw_ctypes.py"), faulty, "*IDN?"],
        capture_output=True, text=True, timeout=30, env=python_env(SERIALCMD_LIBRARY=str(link)),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == SIM_IDN + "\n"


def test_query_example(faulty):
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "query.py"), faulty],
        capture_output=True, text=True, timeout=30, env=python_env(),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == SIM_IDN + "\n"
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "query.py"), faulty + "?timeout_ms=100", "SILENT"],
        capture_output=True, text=True, timeout=30, env=python_env(),
    )
    assert out.returncode == 1
    assert out.stderr.startswith(f"query.py: {faulty}: timeout after 100 ms")
    assert out.stderr.endswith("(CLIENT_ERR_TIMEOUT)\n")
