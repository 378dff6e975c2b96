# SPDX-License-Identifier: MIT
"""Fixtures of the Python tests: simulators and the library.

The ``sim`` fixture starts devices/sim/serialcmd-sim in a chosen mode, reads the
pty path from its stdout, and stops it by PID at teardown (terminate, wait
with a timeout, kill only if needed).
"""

from __future__ import annotations

import os
from typing import Callable, Iterator, List

import pytest

from serialcmd_testlib import LIBRARY, ROOT, SIM_BIN, Sim

# The library searches only SERIALCMD_DEVICES and its installed data dir,
# never the tree it was built in: the tests, and the simulators and programs
# they start, find this tree's profiles through the variable (after any
# directories the caller put there).
os.environ["SERIALCMD_DEVICES"] = ":".join(
    d for d in (os.environ.get("SERIALCMD_DEVICES", ""), str(ROOT / "devices" / "profiles")) if d)


@pytest.fixture(scope="session", autouse=True)
def _built() -> None:
    """The C library and the simulator must be built: fail, never skip."""
    missing = [str(p) for p in (LIBRARY, SIM_BIN) if not p.exists()]
    if missing:
        pytest.fail(f"not built: {', '.join(missing)}; run `make all` in {ROOT}", pytrace=False)


@pytest.fixture
def sim() -> Iterator[Callable[..., Sim]]:
    """``sim(mode="loopback", *args)`` starts a simulator; all stop at teardown."""
    started: List[Sim] = []

    def start(mode: str = "loopback", *args: str) -> Sim:
        s = Sim(mode, *args)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def loopback(sim: Callable[..., Sim]) -> str:
    """The pty path of a loopback simulator (echoes each line)."""
    return sim("loopback").path


@pytest.fixture
def faulty(sim: Callable[..., Sim]) -> str:
    """The pty path of a faulty-mode simulator (devices/sim/faults.h)."""
    return sim("faulty").path


@pytest.fixture
def lib():
    """The Library the package's clients use."""
    import serialcmd

    return serialcmd.get_library()
