# SPDX-License-Identifier: MIT
"""Session recordings written by hand, for the replay tests.

Writes the recording format of serialcmd-sim(1), REPLAY (JSON Lines,
version 1) the way the library's recorder does: byte strings as JSON
strings whose code points are the bytes, printable ASCII as is, ``\\n``
``\\r`` ``\\t``, every other byte ``\\u00XX``.  Until the recorder lands, the
replay tests use these; corner cases (odd JSON, broken lines) are written
as raw text by the tests themselves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

Bytes = Union[bytes, str]


def jbytes(data: Bytes) -> str:
    """``data`` as a JSON string of the format (with its quotes)."""
    if isinstance(data, str):
        data = data.encode("latin-1")
    out = ['"']
    for b in data:
        if b == 0x22:
            out.append('\\"')
        elif b == 0x5C:
            out.append("\\\\")
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x09:
            out.append("\\t")
        elif 0x20 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append(f"\\u{b:04x}")
    out.append('"')
    return "".join(out)


def header(write_eol: Bytes = "\n", read_eol: Bytes = "\n", timeout_ms: int = 1000, echo: int = 0,
           port: str = "/dev/ttyUSB0", version: Any = 1, **extra: Any) -> str:
    settings = (f'{{"baud":9600,"bits":8,"parity":"none","stop":1,"flow":"none",'
                f'"write_eol":{jbytes(write_eol)},"read_eol":{jbytes(read_eol)},'
                f'"timeout_ms":{timeout_ms},"echo":{echo}}}')
    more = "".join(f',{json.dumps(k)}:{json.dumps(v)}' for k, v in extra.items())
    return (f'{{"format":"serialcmd-session","version":{json.dumps(version)},"library":"1.0.0",'
            f'"port":{json.dumps(port)},"start":"2026-12-02T15:44:00.123Z","settings":{settings}{more}}}')


def record(kind: str, t: float, cmd: Optional[Bytes] = None, wire: Optional[Bytes] = None,
           drained: Optional[Bytes] = None, outcome: str = "CLIENT_OK", delay_ms: Optional[float] = None,
           ms: float = 1.0, **extra: Any) -> str:
    parts = [f'"t":{t:.6f}', f'"kind":{json.dumps(kind)}']
    if drained:
        parts.append(f'"drained":{jbytes(drained)}')
    if cmd is not None:
        parts.append(f'"cmd":{jbytes(cmd)}')
    if wire is not None:
        parts.append(f'"wire":{jbytes(wire)}')
    parts.append(f'"outcome":{json.dumps(outcome)}')
    if wire:
        parts.append(f'"delay_ms":{0.5 if delay_ms is None else delay_ms}')
    parts.append(f'"ms":{ms}')
    parts += [f'{json.dumps(k)}:{json.dumps(v)}' for k, v in extra.items()]
    return "{" + ",".join(parts) + "}"


class Session:
    """A recording built transaction by transaction, then written."""

    def __init__(self, **settings: Any) -> None:
        self.lines: List[str] = [header(**settings)]
        self.t = 0.0

    def _next_t(self, ms: float) -> float:
        t = self.t
        self.t += ms / 1000.0 + 0.001
        return t

    def query(self, cmd: Bytes, wire: Bytes, **kw: Any) -> "Session":
        self.lines.append(record("query", self._next_t(kw.get("ms", 1.0)), cmd=cmd, wire=wire, **kw))
        return self

    def write(self, cmd: Bytes, **kw: Any) -> "Session":
        self.lines.append(record("write", self._next_t(kw.get("ms", 1.0)), cmd=cmd, **kw))
        return self

    def read(self, wire: Bytes, **kw: Any) -> "Session":
        self.lines.append(record("read", self._next_t(kw.get("ms", 1.0)), wire=wire, **kw))
        return self

    def raw(self, line: str) -> "Session":
        self.lines.append(line)
        return self

    def save(self, path: Path) -> Path:
        path.write_text("".join(line + "\n" for line in self.lines), encoding="utf-8")
        return path


def expected_dict(line: str) -> Dict[str, Any]:
    """A written line read back by Python's json (a check of jbytes)."""
    return json.loads(line)
