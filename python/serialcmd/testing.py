# SPDX-License-Identifier: MIT
"""Test your instrument code without the instrument.

A session recorded once with the real instrument (``record=`` in a spec,
``SERIALCMD_RECORD``, ``serialcmd --record``) is served again as a device on
a real pseudo-terminal by ``serialcmd-sim --replay``; the code under test
opens that port as it would open the instrument's::

    from serialcmd.testing import replay

    with replay("tests/dmm.session") as port, serialcmd.Client(port) as dmm:
        assert dmm.query("*IDN?").startswith("KEITHLEY")

:func:`replay` is a context manager; the pytest fixture
``serialcmd_replay`` (enable it with ``pytest_plugins = ["serialcmd.testing"]``
in your ``conftest.py``, or import it into the test module) is a function
that starts one and returns its port, and stops them all after the test.

With ``order="strict"`` (the default) the commands must come in the
recorded order and all of them must come: otherwise stopping the replay
raises :class:`ReplayMismatch` (an ``AssertionError``, so pytest shows it as
a failure) with the simulator's report, which names the first difference.
``order="lookup"`` answers each command with the next recorded reply to the
same command (the last one again once they are used up), in any order.
``timing="recorded"`` keeps the recorded delays; ``"fast"`` (the default)
answers at once.

The simulator is ``serialcmd-sim``: the one named by the environment
variable ``SERIALCMD_SIM``, else the source tree's build when the package
runs from the source tree, else the one on ``PATH``.  It is stopped by its
PID (SIGTERM, then SIGKILL if it has not stopped in ``stop_timeout``
seconds); every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Union

__all__ = ["Replay", "ReplayMismatch", "find_simulator", "replay", "serialcmd_replay"]

PathLike = Union[str, "os.PathLike[str]"]


class ReplayMismatch(AssertionError):
    """The code under test did not follow the recording (strict order).

    ``report`` is the simulator's report; ``returncode`` its exit status."""

    def __init__(self, report: str, returncode: int) -> None:
        super().__init__(f"the replay did not match the recording (serialcmd-sim exit status {returncode}):\n"
                         f"{report}")
        self.report = report
        self.returncode = returncode


def find_simulator() -> str:
    """The path of serialcmd-sim, or FileNotFoundError naming where it looked."""
    tried = []
    env = os.environ.get("SERIALCMD_SIM")
    if env:
        return env
    tried.append("SERIALCMD_SIM (not set)")
    root = Path(__file__).resolve().parent.parent.parent
    if (root / "include" / "serialcmd.h").is_file():
        tree = root / "devices" / "sim" / "serialcmd-sim"
        if tree.is_file():
            return str(tree)
        tried.append(f"{tree} (in-tree build; run `make all`)")
    found = shutil.which("serialcmd-sim")
    if found:
        return found
    tried.append("serialcmd-sim on PATH (install the serialcmd package)")
    raise FileNotFoundError("serialcmd-sim not found; looked at: " + "; ".join(tried))


class Replay:
    """One ``serialcmd-sim --replay`` process: :meth:`start`, then :attr:`port`,
    then :meth:`stop` (which returns the report) or :meth:`check`."""

    def __init__(self, recording: PathLike, order: str = "strict", timing: str = "fast",
                 link: Optional[PathLike] = None, simulator: Optional[str] = None,
                 start_timeout: float = 10.0, stop_timeout: float = 10.0) -> None:
        if order not in ("strict", "lookup"):
            raise ValueError(f"order must be 'strict' or 'lookup', not {order!r}")
        if timing not in ("fast", "recorded"):
            raise ValueError(f"timing must be 'fast' or 'recorded', not {timing!r}")
        self.recording = os.fspath(recording)
        self.order = order
        self.timing = timing
        self.link = os.fspath(link) if link is not None else None
        self.simulator = simulator or find_simulator()
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        #: The port to open: the link if one was asked for, else the pty.
        self.port = ""
        #: The simulator's report (after :meth:`stop`).
        self.report = ""
        #: Its exit status (after :meth:`stop`): 0, or 1 for a strict mismatch.
        self.returncode: Optional[int] = None
        self._proc: Optional["subprocess.Popen[bytes]"] = None
        self._stderr: Any = None

    @property
    def pid(self) -> Optional[int]:
        return self._proc.pid if self._proc else None

    def start(self) -> str:
        """Start the simulator and wait (bounded) for its port; returns it."""
        args = [self.simulator, "--replay", self.recording, "--order", self.order, "--timing", self.timing]
        if self.link is not None:
            args += ["--link", self.link]
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=self._stderr)
        try:
            path = self._read_path()
        except BaseException:
            self.stop()
            raise
        self.port = self.link if self.link is not None else path
        return self.port

    def _read_path(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + self.start_timeout
        buf = b""
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"serialcmd-sim --replay {self.recording}: no port within "
                                   f"{self.start_timeout} s")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                code = self._proc.wait(timeout=self.stop_timeout)
                raise RuntimeError(f"serialcmd-sim --replay {self.recording} exited with status {code}: "
                                   f"{self._read_report().strip()}")
            buf += chunk
        return buf.split(b"\n", 1)[0].decode("utf-8", "surrogateescape")

    def _read_report(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        # The simulator escapes every byte it prints; decoding stays safe.
        data: bytes = self._stderr.read(1 << 20)
        return data.decode("utf-8", "backslashreplace")

    def stop(self) -> str:
        """Stop the simulator (by PID, bounded waits); returns its report."""
        proc = self._proc
        if proc is None:
            return self.report
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=self.stop_timeout)
        self.returncode = proc.returncode
        self.report = self._read_report()
        if proc.stdout is not None:
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._proc = None
        return self.report

    def check(self) -> str:
        """Stop, and raise :class:`ReplayMismatch` unless the replay matched."""
        report = self.stop()
        if self.returncode != 0:
            raise ReplayMismatch(report, self.returncode if self.returncode is not None else -1)
        return report

    def __enter__(self) -> "Replay":
        self.start()
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        if exc is None:
            self.check()
            return
        # The test failed already: keep its exception, and add the report.
        report = self.stop()
        if not report:
            return
        if hasattr(exc, "add_note"):  # Python 3.11
            exc.add_note(report.rstrip())
        else:
            sys.stderr.write(report)


@contextlib.contextmanager
def replay(recording: PathLike, **options: Any) -> Iterator[str]:
    """Serve ``recording`` on a pseudo-terminal for the ``with`` block; yields
    its port. Options as :class:`Replay` (order, timing, link, simulator,
    start_timeout, stop_timeout). A strict replay that did not match raises
    :class:`ReplayMismatch` when the block ends."""
    with Replay(recording, **options) as r:
        yield r.port


def _fixture() -> Iterator[Callable[..., str]]:
    started: List[Replay] = []

    def start(recording: PathLike, **options: Any) -> str:
        r = Replay(recording, **options)
        started.append(r)
        return r.start()

    try:
        yield start
    except BaseException:
        # The test's teardown was interrupted: stop them all anyway.
        for r in started:
            r.stop()
        raise
    failures = []
    for r in started:
        r.stop()
        if r.returncode != 0:
            failures.append(str(ReplayMismatch(r.report, r.returncode if r.returncode is not None else -1)))
    if failures:
        import pytest

        pytest.fail("\n".join(failures), pytrace=False)


try:
    import pytest as _pytest
except ImportError:  # pytest is only needed for the fixture
    _pytest = None  # type: ignore[assignment]

if _pytest is not None:
    _fixture.__doc__ = (
        "``serialcmd_replay(recording, **options)`` starts serialcmd-sim --replay and returns its port; "
        "all stop after the test, and a strict replay that did not match fails it.")
    serialcmd_replay = _pytest.fixture(name="serialcmd_replay")(_fixture)
else:
    def serialcmd_replay(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the serialcmd_replay fixture needs pytest")
