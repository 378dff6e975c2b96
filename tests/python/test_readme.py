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


LINK2 = "/tmp/serialcmd-dmm2"


def _package_blocks():
    """python/README.md's logging and asyncio examples, in that order."""
    blocks = [b for b in python_blocks((ROOT / "python" / "README.md").read_text()) if LINK in b]
    assert len(blocks) == 2
    return blocks


def _on_two_meters(block, sim):
    """The block with its two meters' paths made this test's own simulators'
    ptys: other checkouts may run these tests at the same time, and the
    fixed /tmp links would be shared between them."""
    dmm, dmm2 = sim("keithley2000").path, sim("keithley2000").path
    return block.replace(LINK2, dmm2).replace(LINK, dmm), dmm


def test_package_readme_logging_example_runs(sim):
    block = _package_blocks()[0]
    assert "logging.getLogger(\"serialcmd\").setLevel(logging.DEBUG)" in block
    block, dmm = _on_two_meters(block, sim)
    r = subprocess.run([sys.executable, "-c", block], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    name = f"serialcmd.port.{dmm} "
    assert lines[0] == name + 'sent 6 bytes "*IDN?\\n"'
    assert any(line.startswith(name + "read ") and "KEITHLEY" in line for line in lines)
    assert any(line.startswith(name + "reply ") and "KEITHLEY" in line for line in lines)
    # After setLevel(INFO) the second query logs nothing.
    assert sum(" sent " in line for line in lines) == 1


def test_package_readme_asyncio_example_runs(sim):
    block = _package_blocks()[1]
    assert "asyncio.gather" in block and "wait_for" in block
    block, _ = _on_two_meters(block, sim)
    r = subprocess.run([sys.executable, "-c", block], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert re.fullmatch(r"1\.2\d\d V 1\.2\d\d V", lines[0]), lines
    assert lines[1].startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2000,")
    assert len(lines) == 2
