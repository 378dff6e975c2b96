# SPDX-License-Identifier: MIT
"""Exceptions of the serialcmd package.

Every exception the package raises for a library failure is a
:class:`serialcmd.Error`.  Each library error code (the negative
``CLIENT_ERR_*`` values of ``enum client_err``) has its own subclass, which
also derives from the closest builtin exception, so callers can write
``except TimeoutError`` or ``except FileNotFoundError`` as well as
``except serialcmd.Timeout``.

``str(exc)`` is the library's message, which names the port and the cause;
``exc.code`` is the numeric code and ``exc.name`` its symbolic name.
"""

from __future__ import annotations

import builtins
from typing import Dict, Optional, Tuple, Type

__all__ = [
    "Error",
    "LongTimeoutWarning",
    "LibraryNotFoundError",
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
    "error_class",
    "make_error",
]

# The codes of enum client_err in include/serialcmd.h.
CLIENT_OK = 0
CLIENT_ERR_ARG = -1
CLIENT_ERR_OPTION = -2
CLIENT_ERR_NOPORT = -3
CLIENT_ERR_PERM = -4
CLIENT_ERR_BUSY = -5
CLIENT_ERR_COMMAND = -6
CLIENT_ERR_TIMEOUT = -7
CLIENT_ERR_TOOLONG = -8
CLIENT_ERR_GONE = -9
CLIENT_ERR_IO = -10
CLIENT_ERR_NOMEM = -11
CLIENT_ERR_REFUSED = -12
CLIENT_ERR_NOHOST = -13
CLIENT_ERR_CLOSED = -14
CLIENT_ERR_PROTOCOL = -15
CLIENT_ERR_ECHO = -16
CLIENT_ERR_BLOCK = -17
CLIENT_ERR_INSTRUMENT = -18
CLIENT_ERR_UNSUPPORTED = -19


class Error(Exception):
    """Base class of every serialcmd exception.

    Attributes:
        code: the library's error code (a negative int), or None for errors
            that did not come from the library (e.g. the library not found).
        name: the code's symbolic name, e.g. ``"CLIENT_ERR_TIMEOUT"``.
        message: the library's message, naming the port and the cause; also
            what ``str(exc)`` gives.
    """

    #: The code this class stands for (None for the base class).
    default_code: Optional[int] = None
    #: Symbolic name used when none is given.
    default_name: str = "CLIENT_ERR_UNKNOWN"

    def __init__(self, message: str, code: Optional[int] = None, name: Optional[str] = None) -> None:
        super().__init__(message)
        self.message: str = message
        self.code: Optional[int] = self.default_code if code is None else code
        self.name: str = name if name is not None else self.default_name

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Tuple[Type["Error"], Tuple[object, ...]]:
        # Keep code and name across pickling (multiprocessing, logging).
        return (type(self), (self.message, self.code, self.name))


class LongTimeoutWarning(UserWarning):
    """A timeout of 1000 s or more was given: it is accepted, but timeouts
    are SECONDS, and such a value usually is milliseconds given by mistake
    (``timeout=2000`` waits 33 minutes).  Silence it with
    :func:`warnings.filterwarnings` if the long deadline is meant."""


class LibraryNotFoundError(Error, OSError):
    """libserialcmd.so.1 could not be loaded; the message lists every place
    that was tried and why each failed."""

    default_name = "LIBRARY_NOT_FOUND"


class ArgumentError(Error, ValueError):
    """CLIENT_ERR_ARG: an argument was invalid (e.g. a timeout out of range)."""

    default_code = CLIENT_ERR_ARG
    default_name = "CLIENT_ERR_ARG"


class ClosedError(ArgumentError):
    """The client was used after close(); like I/O on a closed file, this
    is a ValueError."""


class OptionError(Error, ValueError):
    """CLIENT_ERR_OPTION: the spec or a keyword option is unknown or has a
    bad value; the message names the key and the accepted values."""

    default_code = CLIENT_ERR_OPTION
    default_name = "CLIENT_ERR_OPTION"


class PortNotFoundError(Error, FileNotFoundError):
    """CLIENT_ERR_NOPORT: the port does not exist or is not a serial port
    or terminal."""

    default_code = CLIENT_ERR_NOPORT
    default_name = "CLIENT_ERR_NOPORT"


class PermissionDeniedError(Error, PermissionError):
    """CLIENT_ERR_PERM: permission denied opening the port (the user may
    need the dialout group)."""

    default_code = CLIENT_ERR_PERM
    default_name = "CLIENT_ERR_PERM"


class PortBusyError(Error, OSError):
    """CLIENT_ERR_BUSY: another process holds the port; the message names
    it when the system tells."""

    default_code = CLIENT_ERR_BUSY
    default_name = "CLIENT_ERR_BUSY"


class CommandError(Error, ValueError):
    """CLIENT_ERR_COMMAND: the command holds a NUL, the write terminator or
    bytes outside printable ASCII and TAB; nothing was sent."""

    default_code = CLIENT_ERR_COMMAND
    default_name = "CLIENT_ERR_COMMAND"


class TimeoutError(Error, builtins.TimeoutError):  # noqa: A001 - deliberate, like asyncio's
    """CLIENT_ERR_TIMEOUT: the deadline passed before the reply's terminator
    arrived.  Also a builtin :class:`TimeoutError`."""

    default_code = CLIENT_ERR_TIMEOUT
    default_name = "CLIENT_ERR_TIMEOUT"


#: Short alias of :class:`serialcmd.TimeoutError`.
Timeout = TimeoutError


class ReplyTooLongError(Error):
    """CLIENT_ERR_TOOLONG: the reply grew past max_reply bytes without a
    terminator; it was discarded."""

    default_code = CLIENT_ERR_TOOLONG
    default_name = "CLIENT_ERR_TOOLONG"


class DeviceGoneError(Error, ConnectionError):
    """CLIENT_ERR_GONE: the device went away (USB unplugged, pty closed,
    hang-up).  The client fails fast with this error until closed."""

    default_code = CLIENT_ERR_GONE
    default_name = "CLIENT_ERR_GONE"


class PortIOError(Error, OSError):
    """CLIENT_ERR_IO: any other operating-system failure; the message
    carries the system's text."""

    default_code = CLIENT_ERR_IO
    default_name = "CLIENT_ERR_IO"


class OutOfMemoryError(Error, MemoryError):
    """CLIENT_ERR_NOMEM: the library ran out of memory."""

    default_code = CLIENT_ERR_NOMEM
    default_name = "CLIENT_ERR_NOMEM"


class ConnectionRefusedByServerError(Error, ConnectionRefusedError):
    """CLIENT_ERR_REFUSED: network ports: nothing listens at the address."""

    default_code = CLIENT_ERR_REFUSED
    default_name = "CLIENT_ERR_REFUSED"


class HostNotFoundError(Error, OSError):
    """CLIENT_ERR_NOHOST: network ports: the host name could not be resolved."""

    default_code = CLIENT_ERR_NOHOST
    default_name = "CLIENT_ERR_NOHOST"


class ConnectionClosedError(Error, ConnectionError):
    """CLIENT_ERR_CLOSED: network ports: the server closed the connection
    while idle or before it was set up."""

    default_code = CLIENT_ERR_CLOSED
    default_name = "CLIENT_ERR_CLOSED"


class ProtocolError(Error, OSError):
    """CLIENT_ERR_PROTOCOL: network ports: the server broke or refused the
    protocol (e.g. RFC 2217)."""

    default_code = CLIENT_ERR_PROTOCOL
    default_name = "CLIENT_ERR_PROTOCOL"


class EchoMismatchError(Error):
    """CLIENT_ERR_ECHO: with echo on, the device echoed something other
    than the command."""

    default_code = CLIENT_ERR_ECHO
    default_name = "CLIENT_ERR_ECHO"


class BlockError(Error, ValueError):
    """CLIENT_ERR_BLOCK: a reply that should hold an IEEE 488.2 block has
    none or a malformed header, or a list of values has a field that is not
    a number."""

    default_code = CLIENT_ERR_BLOCK
    default_name = "CLIENT_ERR_BLOCK"


class InstrumentError(Error):
    """CLIENT_ERR_INSTRUMENT: with check_errors on, the instrument's error
    queue reported an error after the command.

    Attributes:
        instrument_code: the instrument's own error number (e.g. -222).
    """

    default_code = CLIENT_ERR_INSTRUMENT
    default_name = "CLIENT_ERR_INSTRUMENT"

    def __init__(self, message: str, code: Optional[int] = None, name: Optional[str] = None,
                 instrument_code: int = 0) -> None:
        super().__init__(message, code, name)
        self.instrument_code: int = instrument_code

    def __reduce__(self) -> Tuple[Type["Error"], Tuple[object, ...]]:
        return (type(self), (self.message, self.code, self.name, self.instrument_code))


class UnsupportedError(Error, OSError):
    """CLIENT_ERR_UNSUPPORTED: the port cannot do what was asked (control
    lines or a break on a raw TCP port or a pseudo-terminal, low latency
    where the driver has no such setting); the message names the port and
    the cause."""

    default_code = CLIENT_ERR_UNSUPPORTED
    default_name = "CLIENT_ERR_UNSUPPORTED"


_CLASSES: Tuple[Type[Error], ...] = (
    ArgumentError,
    OptionError,
    PortNotFoundError,
    PermissionDeniedError,
    PortBusyError,
    CommandError,
    TimeoutError,
    ReplyTooLongError,
    DeviceGoneError,
    PortIOError,
    OutOfMemoryError,
    ConnectionRefusedByServerError,
    HostNotFoundError,
    ConnectionClosedError,
    ProtocolError,
    EchoMismatchError,
    BlockError,
    InstrumentError,
    UnsupportedError,
)
_BY_CODE: Dict[int, Type[Error]] = {cls.default_code: cls for cls in _CLASSES if cls.default_code is not None}


def error_class(code: int) -> Type[Error]:
    """The exception class for a library error code; :class:`Error` for
    codes this package does not know."""
    return _BY_CODE.get(code, Error)


def make_error(code: int, message: str, name: Optional[str] = None) -> Error:
    """An exception instance for a library error code and message."""
    return error_class(code)(message, code, name)
