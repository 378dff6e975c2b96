# SPDX-License-Identifier: MIT
"""serialcmd: ASCII command/reply over serial lines, for lab automation.

A thin, typed layer over libserialcmd (the C library) through ctypes::

    import serialcmd

    with serialcmd.Client("/dev/ttyUSB0", baud=115200, eol="\\r\\n", timeout=0.5) as dev:
        print(dev.query("*IDN?"))

The C library is looked for, on first use, in this order: a path given to
:func:`load_library` or named by the environment variable
``SERIALCMD_LIBRARY``; the in-tree build ``lib/libserialcmd.so.1`` when the
package runs from the source tree; the installed ``libserialcmd.so.1``.

Every failure raises a :class:`serialcmd.Error` subclass that carries the
library's code (``.code``), its name (``.name``) and message (``str(exc)``).
"""

from ._lib import Library, get_library, library_version, load_library
from ._spec import escape_eol, make_spec
from ._version import __version__
from .client import Client, check_spec, logger_for_port
from .ports import PortInfo, find, list_ports
from .errors import (
    ArgumentError,
    BlockError,
    ClosedError,
    CommandError,
    ConnectionClosedError,
    ConnectionRefusedByServerError,
    DeviceGoneError,
    EchoMismatchError,
    Error,
    HostNotFoundError,
    InstrumentError,
    LibraryNotFoundError,
    LongTimeoutWarning,
    OptionError,
    OutOfMemoryError,
    PermissionDeniedError,
    PortBusyError,
    PortIOError,
    PortNotFoundError,
    ProtocolError,
    ReplyTooLongError,
    Timeout,
    TimeoutError,
    UnsupportedError,
)

__all__ = [
    "__version__",
    "Client",
    "PortInfo",
    "find",
    "list_ports",
    "BlockError",
    "InstrumentError",
    "Library",
    "check_spec",
    "logger_for_port",
    "escape_eol",
    "get_library",
    "library_version",
    "load_library",
    "make_spec",
    "Error",
    "LibraryNotFoundError",
    "LongTimeoutWarning",
    "ArgumentError",
    "ClosedError",
    "OptionError",
    "PortNotFoundError",
    "PermissionDeniedError",
    "PortBusyError",
    "CommandError",
    "TimeoutError",
    "Timeout",
    "ReplyTooLongError",
    "DeviceGoneError",
    "PortIOError",
    "OutOfMemoryError",
    "ConnectionRefusedByServerError",
    "HostNotFoundError",
    "ConnectionClosedError",
    "ProtocolError",
    "EchoMismatchError",
    "UnsupportedError",
]
