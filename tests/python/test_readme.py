# SPDX-License-Identifier: MIT
"""The README's Python example runs as written, against the simulator it
tells the reader to start."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from serialcmd_testlib import ROOT

LINK = "/tmp/serialcmd-dmm"


def python_blocks(text: str):
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_readme_python_example_runs(sim):
    blocks = [b for b in python_blocks((ROOT / "README.md").read_text()) if LINK in b]
    assert len(blocks) == 1
    if os.path.lexists(LINK):
        os.unlink(LINK)
    sim("keithley2000", "--link", LINK)
    r = subprocess.run([sys.executable, "-c", blocks[0]], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2000,")
    assert re.fullmatch(r"1\.2\d{5} V", lines[1])
    assert lines[2].startswith(f"no answer: {LINK}: timeout after 1500 ms: no reply")


def test_readme_pyvisa_example_runs(sim):
    """"Coming from PyVISA": the snippet, on a simulator's pty for ttyUSB0."""
    [block] = [b for b in python_blocks((ROOT / "README.md").read_text()) if '"@serialcmd"' in b]
    path = sim("keithley2000").path
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    r = subprocess.run([sys.executable, "-c", block.replace("/dev/ttyUSB0", path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2000,")
