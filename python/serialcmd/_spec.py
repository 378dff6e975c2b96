# SPDX-License-Identifier: MIT
"""Building spec strings from keyword options.

A spec is a port path, optionally followed by ``?key=value&key=value``.
Keyword options are appended to the spec after the options it already has;
terminator values are escaped into the spec syntax (``\\r \\n \\t \\\\
\\xHH``), with ``&``, ``?`` and ``=`` written as ``\\xHH`` so they cannot
end a value or start another option.  Other values are printable text that
stands for itself up to the next ``&``: ``?``, ``=`` and spaces are kept
(``error_query="SYST:ERR?"``), ``&`` cannot be written.  A NUL anywhere, in
a spec or a value, is refused (C would drop what follows it).

The keys and the kind of value each takes come from the library
(client_spec_keys(), client_spec_key_type()), so a key added to its option
table is a keyword here at once.  Without the library (importing the package
does not need it) any key is passed on for the library to check later.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import warnings
from types import FrameType
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .errors import LibraryNotFoundError, LongTimeoutWarning, OptionError

__all__ = ["SPEC_KEYS", "KEYWORDS", "PYTHON_OPTIONS", "escape_eol", "make_spec", "seconds_to_ms", "key_types"]

_types_lock = threading.Lock()
_types: Optional[Dict[str, str]] = None


def key_types() -> Optional[Dict[str, str]]:
    """The library's spec keys, in its order, each with the kind of value
    it takes ("uint", "bool", "tri", "word", "eol", "text", "list", "profile"); None when
    the library cannot be loaded."""
    global _types
    with _types_lock:
        if _types is None:
            from ._lib import get_library

            try:
                lib = get_library()
            except LibraryNotFoundError:
                return None
            _types = {key: lib.spec_key_type(key) for key in lib.spec_keys()}
        return _types


def _type_of(key: str) -> Optional[str]:
    types = key_types()
    if types is None:
        # No library to ask: terminators are the keys named so (eol,
        # read_eol, write_eol); the library checks everything else.
        return "eol" if key.endswith("eol") else None
    return types.get(key)


def __getattr__(name: str) -> Any:
    """SPEC_KEYS (the library's keys) and KEYWORDS (those and ``timeout``),
    read from the library when first asked for."""
    if name in ("SPEC_KEYS", "KEYWORDS"):
        types = key_types()
        if types is None:
            raise LibraryNotFoundError(f"serialcmd._spec.{name}: the library could not be loaded")
        keys = tuple(types)
        return keys if name == "SPEC_KEYS" else keys + ("timeout",)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Keyword options handled in Python and never put into the spec.
PYTHON_OPTIONS = ("encoding", "errors")

# Terminator names of the spec syntax; a value equal to one of these (in
# any case) stands for the name's bytes.
_EOL_NAMES = ("CR", "LF", "CRLF", "LFCR")
_SPECIAL = {ord("\r"): "\\r", ord("\n"): "\\n", ord("\t"): "\\t", ord("\\"): "\\\\"}
# Bytes that would end a value or start another option in a spec.
_SEPARATORS = b"&?="
# Longest timeout the library accepts, and the largest value an unsigned int holds.
MAX_TIMEOUT_MS = 86400000
UINT_MAX = 0xFFFFFFFF


def _escape_byte(b: int) -> str:
    if b in _SPECIAL:
        return _SPECIAL[b]
    if b < 0x20 or b >= 0x7F or b in _SEPARATORS:
        return f"\\x{b:02X}"
    return chr(b)


def escape_eol(value: Union[str, bytes]) -> str:
    """Write a terminator in the spec syntax.

    A ``str`` equal to one of the names CR, LF, CRLF, LFCR (any case) is
    kept as that name.  Any other ``str`` stands for its characters, each of
    which must be below U+0100 (one byte each); ``bytes`` always stand for
    themselves, so ``b"CR"`` means the two letters.

    >>> escape_eol("\\r\\n")
    '\\\\r\\\\n'
    >>> escape_eol("a&b")
    'a\\\\x26b'
    """
    if isinstance(value, str):
        if value.upper() in _EOL_NAMES:
            return value
        try:
            data = value.encode("latin-1")
        except UnicodeEncodeError as e:
            raise OptionError(
                f"terminator {value!r}: character {value[e.start]!r} is not a single byte "
                "(use bytes or \\xHH escapes)"
            ) from None
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    else:
        raise OptionError(f"terminator {value!r}: expected str or bytes, not {type(value).__name__}")
    text = "".join(_escape_byte(b) for b in data)
    if text.upper() in _EOL_NAMES:
        # Literal letters that spell a name: escape the first one.
        text = f"\\x{data[0]:02X}" + text[1:]
    return text


#: From this many seconds on, a timeout draws a LongTimeoutWarning: it
#: reads like milliseconds given where seconds are expected.
LONG_TIMEOUT_S = 1000


def seconds_to_ms(value: object, what: str = "timeout") -> int:
    """Seconds (int or float) to whole milliseconds, rounded to nearest.

    Raises OptionError for None (there is no endless deadline: each
    command has one, at most 86400 s), and for a value that is not a finite
    number >= 0 or does not fit an unsigned int; the range 1 to 86400000 ms
    is left for the library to check, so its message tells the accepted
    values.  A value of LONG_TIMEOUT_S or more is accepted with a
    :class:`serialcmd.LongTimeoutWarning`, pointed at the user's line.
    """
    if value is None:
        raise OptionError(
            f"{what}: None is not a timeout (timeouts are seconds; leave the option out for the"
            " default of 2 s, or give the longest, 86400 s)"
        )
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OptionError(f"{what}: expected seconds as int or float, not {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise OptionError(f"{what}: bad value {value!r} s (accepted: 0.001 to 86400 s)")
    ms = round(value * 1000)
    if ms > UINT_MAX:
        raise OptionError(f"{what}: bad value {value!r} s (accepted: 0.001 to 86400 s)")
    if value >= LONG_TIMEOUT_S:
        warnings.warn(
            f"{what}={value!r} is {value / 60:.1f} minutes: timeouts are SECONDS"
            f" (for {value!r} ms give {value / 1000!r})",
            LongTimeoutWarning, stacklevel=_outside_package(),
        )
    return int(ms)


def _outside_package() -> int:
    """The stacklevel of the first caller outside this package, for a
    warning about what that caller gave (the package's own frames, from
    Client() or make_spec(), are skipped)."""
    here = os.path.dirname(os.path.abspath(__file__))
    level = 1
    frame: Optional[FrameType] = sys._getframe(1)
    while frame is not None and level < 50:
        if os.path.dirname(os.path.abspath(frame.f_code.co_filename)) != here:
            break
        frame = frame.f_back
        level += 1
    return level


def unescape_eol(text: str) -> bytes:
    """The bytes of a terminator as client_config_get() writes it: one of
    the names CR, LF, CRLF, LFCR, or characters with \\xHH escapes."""
    named = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "LFCR": b"\n\r"}
    if text.upper() in named:
        return named[text.upper()]
    out = bytearray()
    i = 0
    simple = {"r": 13, "n": 10, "t": 9, "\\": 92}
    while i < len(text):
        ch = text[i]
        if ch == "\\" and text[i + 1:i + 2] == "x" and i + 4 <= len(text):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        elif ch == "\\" and text[i + 1:i + 2] in simple:
            out.append(simple[text[i + 1]])
            i += 2
        else:
            out += ch.encode("latin-1")
            i += 1
    return bytes(out)


def _plain_value(key: str, value: Any) -> str:
    """A non-terminator value as spec text."""
    if isinstance(value, bool):
        if _type_of(key) in ("bool", "tri", None):
            return "1" if value else "0"
        raise OptionError(f"option '{key}': expected a number or a word, not a bool")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)) and _type_of(key) in ("list", None):
        if not all(isinstance(v, str) for v in value):
            raise OptionError(f"option '{key}': expected a list of str, not {value!r}")
        value = ",".join(value)
    if isinstance(value, os.PathLike) and _type_of(key) in ("text", None):
        # A file for a text key (record=pathlib.Path(...)).
        value = os.fspath(value)
        if not isinstance(value, str):
            raise OptionError(f"option '{key}': expected a str path, not {value!r}")
    if isinstance(value, str):
        # A value runs to the next '&': '?', '=' and spaces stand for
        # themselves there, as they do in a spec; '&' cannot be written, and
        # NUL and other control characters are not text.
        bad = [c for c in value if not (0x20 <= ord(c) < 0x7F) or c == "&"]
        if bad:
            raise OptionError(f"option '{key}': bad character {bad[0]!r} in value {value!r}")
        return value
    raise OptionError(f"option '{key}': expected int or str, not {type(value).__name__} ({value!r})")


def check_no_nul(text: str, what: str) -> None:
    """Refuse a NUL in text bound for the library: C would stop reading
    there and silently drop the rest (a spec's options, for one)."""
    if "\0" in text:
        raise OptionError(f"{what} {text!r}: holds a NUL character at {text.index(chr(0))}")


def _spec_keys(spec: str) -> List[str]:
    """Keys the spec already sets."""
    if "?" not in spec:
        return []
    query = spec.split("?", 1)[1]
    return [pair.split("=", 1)[0] for pair in query.split("&") if pair]


def split_options(options: Mapping[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Split keyword options into (spec options, Python-side options);
    an unknown keyword raises OptionError naming it."""
    spec_opts: Dict[str, Any] = {}
    py_opts: Dict[str, Any] = {}
    types = key_types()
    for key, value in options.items():
        if key in PYTHON_OPTIONS:
            py_opts[key] = value
        elif types is None or key in types or key == "timeout":
            spec_opts[key] = value
        else:
            accepted = tuple(types) + ("timeout",) + PYTHON_OPTIONS
            raise OptionError(f"unknown option '{key}' (accepted: {', '.join(accepted)})")
    return spec_opts, py_opts


#: A keyword option's value: str, number or bool (bool is an int), None
#: (left out), or for ``unsolicited`` a list of prefixes.
OptionValue = Union[str, float, Sequence[str], None]


def make_spec(spec: Union[str, "os.PathLike[str]"], **options: OptionValue) -> str:
    """Merge keyword options into a spec string.

    ``make_spec("/dev/ttyUSB0", baud=115200, eol="\\r\\n", timeout=0.5)``
    gives ``"/dev/ttyUSB0?baud=115200&eol=\\r\\n&timeout_ms=500"``.

    Options set to None are left out, except ``timeout``: it is in SECONDS
    and becomes ``timeout_ms``; None is refused there (OptionError: there is
    no endless deadline), and 1000 s or more draws a
    :class:`serialcmd.LongTimeoutWarning` (milliseconds given by mistake?); ``exclusive`` takes a bool; eol, read_eol and write_eol
    take str or bytes and are escaped; exclusive and echo take a bool.  A keyword for a key the spec already
    has, an unknown keyword, or a value that cannot be written raise
    :class:`OptionError` (a ValueError).  The result is not checked by the
    library here: see :func:`serialcmd.check_spec`.
    """
    text = os.fspath(spec)
    if not isinstance(text, str):
        raise OptionError(f"spec: expected str, not {type(text).__name__}")
    check_no_nul(text, "spec")
    spec_opts, py_opts = split_options(options)
    if py_opts:
        raise OptionError(f"option '{next(iter(py_opts))}' is not part of a spec (pass it to Client)")
    present = _spec_keys(text)
    pairs: List[str] = []
    given: List[str] = []
    for key, value in spec_opts.items():
        if value is None and key != "timeout":
            continue
        if key == "timeout":
            key, value = "timeout_ms", seconds_to_ms(value)
        if key in present:
            raise OptionError(f"option '{key}' given both in the spec and as a keyword")
        if key in given:
            raise OptionError("options 'timeout' and 'timeout_ms' given together; use one")
        given.append(key)
        if _type_of(key) == "eol":
            pairs.append(f"{key}={escape_eol(value)}")
        else:
            pairs.append(f"{key}={_plain_value(key, value)}")
    if not pairs:
        return text
    if "?" not in text:
        sep = "?"
    elif text.endswith("&") or text.index("?") == len(text) - 1:
        # Only the first '?' starts the options: a later one ends a value
        # (error_query=SYST:ERR?) and needs its '&'.
        sep = ""
    else:
        sep = "&"
    return text + sep + "&".join(pairs)
