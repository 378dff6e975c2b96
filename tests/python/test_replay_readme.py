# SPDX-License-Identifier: MIT
"""The README's "Test your instrument code without the instrument" blocks
run as written: the Python one passes, and fails with the replay's report
when the code asks something else; the shell one exits 0."""

from __future__ import annotations

import re
import subprocess
import sys

from serialcmd_testlib import ROOT, python_env

SECTION = "## Test your instrument code without the instrument"


def blocks(lang: str):
    text = (ROOT / "README.md").read_text()
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{lang}\n(.*?)```", section, re.S)


def run_python(code: str) -> subprocess.CompletedProcess:
    env = python_env(PYTHONPATH=str(ROOT / "python"))
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env=env)


def test_readme_replay_example_runs():
    [block] = blocks("python")
    assert len([line for line in block.splitlines() if line.strip()]) == 5
    r = run_python(block)
    assert r.returncode == 0, r.stderr


def test_readme_replay_example_catches_other_code():
    [block] = blocks("python")
    r = run_python(block.replace(":MEAS:VOLT:DC?", ":MEAS:CURR:DC?"))
    # The changed query gets no answer: its timeout fails the code, with
    # the replay's report added to the exception.
    assert r.returncode != 0
    assert "serialcmd.errors.TimeoutError" in r.stderr
    assert 'expected command 2 (line 3) ":MEAS:VOLT:DC?\\n", received ":MEAS:CURR:DC?\\n"' in r.stderr


def test_readme_replay_shell_runs():
    [block] = blocks("sh")
    r = subprocess.run(["sh", "-c", block], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2000,1234567,A19  /A02\n1.23456790E+00"), r.stdout
    assert "2 of 2 recorded commands answered, 0 unexpected, 0 never asked: ok" in r.stderr
