# SPDX-License-Identifier: MIT
"""Issue 19 item 6: the ctypes mistakes of the seed's note fail with
CLIENT_ERR_ARG and a message saying what probably happened, instead of
crashing (before the live-handle sets, each scenario died of SIGSEGV).
Each runs in its own process: seed_mistakes.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from serialcmd_testlib import LIBRARY, python_env

SCRIPT = Path(__file__).resolve().parent / "seed_mistakes.py"
HINT = "not a handle returned by client_init_py: in ctypes, set restype = c_void_p"


def run(spec: str, scenario: str) -> subprocess.CompletedProcess:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(LIBRARY), spec, scenario],
        capture_output=True, text=True, timeout=60, env=python_env(),
    )
    if out.returncode == 77:
        pytest.skip(out.stdout.strip().splitlines()[-1])
    # A negative return code is the signal that killed it (the old crash).
    assert out.returncode == 0, f"exit {out.returncode}\n{out.stdout}{out.stderr}"
    assert out.stdout.splitlines()[-1] == "done"
    return out


def heap_above_4gib(out: subprocess.CompletedProcess) -> None:
    # The setting the mistake needs to bite: malloc in a thread above 4 GiB.
    first = out.stdout.splitlines()[0]
    assert first.startswith("addr ")
    assert int(first.split()[1], 16) >= 1 << 32, first


def test_cut_handle_fails_cleanly(faulty):
    out = run(faulty, "cut-handle")
    heap_above_4gib(out)
    lines = out.stdout.splitlines()
    assert f"client_send_cmd_reply code=-1 message=client_send_cmd_reply: {HINT}" in lines, out.stdout
    assert f"client_destroy code=-1 message=client_destroy: {HINT}" in lines, out.stdout


def test_cut_reply_fails_cleanly(faulty):
    out = run(faulty, "cut-ret")
    heap_above_4gib(out)
    assert ("client_free_ret code=-1 message=client_free_ret: not a reply returned by this library:"
            " in ctypes, set restype = c_void_p") in out.stdout, out.stdout


def test_double_free_of_a_reply(faulty):
    out = run(faulty, "double-free")
    lines = out.stdout.splitlines()
    assert "first client_free_ret code=0 message=" in lines
    assert ("second client_free_ret code=-1 message=client_free_ret: this reply was already freed"
            " (client_free_ret called twice)") in lines, out.stdout


def test_use_after_destroy(faulty):
    out = run(faulty, "after-destroy")
    lines = out.stdout.splitlines()
    destroyed = "this handle was destroyed (client_destroy); open the port again"
    assert f"client_send_cmd_reply code=-1 message=client_send_cmd_reply: {destroyed}" in lines, out.stdout
    assert f"second client_destroy code=-1 message=client_destroy: {destroyed}" in lines, out.stdout
