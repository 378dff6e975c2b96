# SPDX-License-Identifier: MIT
"""serialcmd.Client: one open port, commands in, replies out."""

from __future__ import annotations

import codecs
import ctypes
import logging
import os
import sys
import threading
import warnings
from types import TracebackType
from typing import (TYPE_CHECKING, Any, Callable, List, Literal, Optional, Sequence, Tuple, Type, TypeVar, Union,
                    overload)

from ._lib import Library, TraceFn, UnsolicitedFn, get_library
from ._spec import UINT_MAX, OptionValue, make_spec, seconds_to_ms, split_options, unescape_eol
from ._values import (BytesCode, FloatCode, FloatConv, IntCode, IntConv, PackValues, _pack, _split_values,
                      _unpack)
from .errors import ArgumentError, ClosedError, CommandError, OptionError

if TYPE_CHECKING:  # numpy is optional: only its types, only for checkers
    from numpy.typing import NDArray

__all__ = ["Client", "check_spec", "logger_for_port"]

#: The package's logger; each port logs to a child of it (logger_for_port()).
LOGGER = logging.getLogger("serialcmd")
#: The parent of the ports' loggers (a real logger, so that a level or a
#: handler set on it applies to every port).
PORT_LOGGER = LOGGER.getChild("port")
_DEBUG = logging.DEBUG
#: A NULL client_trace_fn: removes the callback.
_NO_TRACE = ctypes.cast(0, TraceFn)

Command = Union[str, bytes, bytearray]
#: A separator for query_ascii_values(): a str, or a callable that splits.
Separator = Union[str, Callable[[str], Sequence[str]]]
_V = TypeVar("_V")

#: The reply buffer each client starts with (client_query_into()); a larger
#: reply grows it, up to _REPLY_BUF_KEEP, beyond which the larger buffer is
#: used for that reply only.
_REPLY_BUF = 4096
_REPLY_BUF_KEEP = 1 << 20


def check_spec(spec: Union[str, "os.PathLike[str]"], **options: OptionValue) -> str:
    """Merge keyword options into a spec and have the library check the
    result (client_config_new(), then client_config_free()), without
    opening the port.  Returns the merged spec.

    Raises:
        OptionError: an unknown keyword, a value that cannot be written, or
            a spec the library refuses (its message names the key and the
            accepted values).
    """
    merged = make_spec(spec, **options)
    get_library().validate_spec(merged)
    return merged


def logger_for_port(port: str) -> logging.Logger:
    """The logger a port's trace goes to: ``serialcmd.port.<port>``, the
    port as given in the spec with each "." made "_" (a dot would split
    the name into levels of logging's hierarchy):
    ``serialcmd.port./dev/ttyUSB0``, ``serialcmd.port.tcp://10_0_0_5:5025``.
    """
    return PORT_LOGGER.getChild(port.replace(".", "_"))


class Client:
    """An open port: send commands, read replies.

    ``Client(spec, **options)`` opens the port named by ``spec``, a port
    path optionally followed by ``?key=value&...``; keyword options are
    merged into it::

        with serialcmd.Client("/dev/ttyUSB0", baud=115200, eol="\\r\\n", timeout=0.5) as dev:
            print(dev.query("*IDN?"))

    Options: baud, bits, parity, stop, flow, eol, read_eol, write_eol,
    max_reply, exclusive, echo, query_delay_ms, min_gap_ms, open_delay_ms,
    dtr, rts, hupcl, low_latency (bool, or "keep"), profile, unsolicited,
    timeout (SECONDS; None is refused, as by the :attr:`timeout` property;
    1000 or more draws a LongTimeoutWarning) or timeout_ms -- see
    :func:`serialcmd.make_spec` -- and, on the Python side only, encoding
    (how replies are decoded and str commands encoded; default ``"ascii"``)
    and errors (the codec error handler; default ``"strict"``).  The
    merged spec is checked by the library before anything is opened.

    ``unsolicited`` (a comma-separated str, or a list of prefixes) names
    lines the device sends unasked, e.g. ``["RING", "+CREG:"]`` for an AT
    modem: such a line is never taken as a reply.  ``on_unsolicited`` is
    called with each of them (a str, decoded as replies are) from the thread
    of the command that read it, while the port is held: it must not use the
    client.  An exception it raises does not reach the library or the
    command; it is reported through :func:`sys.unraisablehook`.  They are
    counted in :attr:`unsolicited_count`.

    Logging: the library's trace of the port (bytes sent, read, replies,
    input dropped and why, unsolicited lines, echoes) and the errors of its
    commands go to the logger :attr:`logger` (``serialcmd.port.<port>``,
    see :func:`logger_for_port`) at DEBUG, through a C trace callback
    (client_set_trace()) that is installed only while that logger is
    enabled for DEBUG: checked at open and at the start of each call, so
    logging can be switched on and off at any time, and costs nothing when
    it is off.  It replaces SERIALCMD_TRACE's output on stderr once
    installed.

    A client may be shared between threads: each command and its reply is
    one transaction, and the GIL is released while the library waits.
    Close it with :meth:`close` or a ``with`` block; a client that is
    garbage-collected unclosed releases its port too.

    Raises:
        OptionError: bad options or spec (nothing was opened).
        PortNotFoundError, PermissionDeniedError, PortBusyError,
        DeviceGoneError, PortIOError, OutOfMemoryError: opening failed.
        LibraryNotFoundError: libserialcmd could not be loaded.
    """

    # Class-level defaults, so that __del__ and __repr__ work on an object
    # whose __init__ failed part way.
    _handle: Any = None
    _lib: Optional[Library] = None
    _port: str = "?"

    _unsolicited_cb: Any = None
    _dtr: Optional[bool] = None
    _rts: Optional[bool] = None
    _trace_cb: Any = None
    _tracing: bool = False

    def __init__(
        self,
        spec: Union[str, "os.PathLike[str]"],
        on_unsolicited: Optional[Callable[[str], object]] = None,
        **options: OptionValue,
    ) -> None:
        if on_unsolicited is not None and not callable(on_unsolicited):
            raise OptionError(f"on_unsolicited: expected a callable, not {type(on_unsolicited).__name__}")
        prefixes = options.get("unsolicited")
        if isinstance(prefixes, (list, tuple)):
            options["unsolicited"] = ",".join(prefixes)
        spec_opts, py_opts = split_options(options)
        encoding = py_opts.get("encoding") or "ascii"
        errors = py_opts.get("errors") or "strict"
        try:
            codecs.lookup(encoding)
            codecs.lookup_error(errors)
        except LookupError as e:
            raise OptionError(f"option 'encoding'/'errors': {e}") from None
        merged = make_spec(spec, **spec_opts)
        lib = get_library()
        # Checks the spec too (client_config_new()), nothing opened yet.
        settings = lib.spec_values(merged, _SETTINGS)

        #: The codec replies are decoded with (and str commands encoded with).
        self.encoding: str = encoding
        #: The codec error handler ("strict" raises UnicodeDecodeError).
        self.errors: str = errors
        #: The full spec the port was opened with.
        self.spec: str = merged
        # The condition's lock, held directly by the query path (a C-level
        # with, without Condition's Python-level __enter__ and __exit__).
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._active = 0
        # Reply buffers, one per thread querying at once (list.pop and
        # append are atomic): a buffer is never shared by two queries.
        self._bufs: List[Any] = []
        self._lib = lib
        self._handle = lib.client_init_py(merged.encode("utf-8", "surrogateescape"))
        lines = lib.spec_values(merged, ("dtr", "rts"))
        self._dtr = _line_option(lines["dtr"])
        self._rts = _line_option(lines["rts"])
        # Kept in Python for write()'s count and the repr: neither may wait
        # for the handle's lock (a command in progress holds it).
        self._write_eol_len = len(unescape_eol(settings["write_eol"]))
        self._settings = settings
        self._timeout_s = int(settings["timeout_ms"]) / 1000.0
        port = lib.client_port(self._handle)
        self._port = (port or b"").decode("utf-8", "backslashreplace")
        #: Where this port's trace and errors are logged, at DEBUG.
        self.logger: logging.Logger = logger_for_port(self._port)
        self._trace_lock = threading.Lock()
        if self.logger.isEnabledFor(_DEBUG):
            self._retrace(self._handle)
        if on_unsolicited is not None:
            # Kept on the client for the handle's life: the library calls
            # it until client_destroy().
            self._unsolicited_cb = UnsolicitedFn(self._unsolicited_trampoline(on_unsolicited))
            lib.client_set_unsolicited(self._handle, self._unsolicited_cb, None)

    def _retrace(self, handle: Any) -> None:
        """Install the trace callback if the logger is enabled for DEBUG,
        remove it if not (the handle is counted or not yet shared)."""
        with self._trace_lock:
            want = self.logger.isEnabledFor(_DEBUG)
            if want is self._tracing:
                return
            lib = self._lib_()
            if want and self._trace_cb is None:
                # Kept on the client for the handle's life: C calls it.
                self._trace_cb = TraceFn(_trace_trampoline(self.logger, self._port))
            lib.client_set_trace(handle, self._trace_cb if want else _NO_TRACE, None)
            key = ctypes.cast(handle, ctypes.c_void_p).value or 0
            if want:
                lib.trace_loggers[key] = self.logger
            else:
                lib.trace_loggers.pop(key, None)
            self._tracing = want

    def _unsolicited_trampoline(self, fn: Callable[[str], object]) -> Callable[[Any, Any, int], None]:
        encoding, errors = self.encoding, self.errors

        def call(user: Any, line: Any, length: int) -> None:
            # Nothing may propagate into C: report, and go on.
            try:
                fn(ctypes.string_at(line, length).decode(encoding, errors))
            except BaseException as e:  # noqa: BLE001 - must not cross into C
                hook = getattr(sys, "unraisablehook", None)
                if hook is not None:
                    hook(_Unraisable(e, "serialcmd on_unsolicited callback", fn))

        return call

    @property
    def unsolicited_count(self) -> int:
        """How many unsolicited lines (see ``unsolicited=``) the port has
        seen since it was opened, with or without ``on_unsolicited``."""
        handle = self._enter()
        try:
            return int(self._lib_().client_unsolicited_count(handle))
        finally:
            self._leave()

    # -- life cycle ----------------------------------------------------

    def __enter__(self) -> "Client":
        self._check_open()
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.close()
        # Returning None: an exception from the with-block goes on.

    def close(self) -> None:
        """Close the port and release the handle.  Waits for commands that
        other threads have in progress (each at most its timeout).  Calling
        it again does nothing."""
        cond = self._cond
        with cond:
            handle = self._handle
            if handle is None:
                return
            self._handle = None  # no new command starts from here on
            while self._active:
                cond.wait()
        lib = self._lib
        if lib is not None:
            if self._tracing:
                lib.trace_loggers.pop(ctypes.cast(handle, ctypes.c_void_p).value or 0, None)
            lib.client_destroy(handle)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._handle is None

    def __del__(self) -> None:
        # May run at interpreter shutdown, when module globals are already
        # gone: touch only what the instance holds.
        if self._handle is None:
            return
        try:
            warnings.warn(f"unclosed {self!r}", ResourceWarning, stacklevel=2, source=self)
        except Exception:
            pass
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        state = "closed" if self._handle is None else "open"
        settings = getattr(self, "_settings", None)
        if settings is None:  # __init__ failed before the spec was read
            return f"<serialcmd.Client {self._port!r} {state}>"
        frame = f"{settings['bits']}{settings['parity'][:1].upper()}{settings['stop']}"
        eol = settings["read_eol"] if settings["read_eol"] == settings["write_eol"] else (
            f"{settings['read_eol']}/{settings['write_eol']}")
        return (f"<serialcmd.Client {self._port!r} baud={settings['baud']} {frame} eol={eol}"
                f" timeout={self._timeout_s:g}s {state}>")

    # -- properties ----------------------------------------------------

    @property
    def port(self) -> str:
        """The port path, as given in the spec (client_port())."""
        return self._port

    @property
    def library(self) -> Library:
        """The loaded libserialcmd this client uses."""
        assert self._lib is not None
        return self._lib

    @property
    def timeout(self) -> float:
        """The deadline of each command, in seconds (client_get_timeout());
        setting it (client_set_timeout()) affects the commands after it.
        The library accepts 0.001 to 86400 s; others raise OptionError, and
        so does None, as in the constructor: there is no endless deadline.
        Timeouts are SECONDS: 1000 or more is accepted with a
        :class:`serialcmd.LongTimeoutWarning`."""
        handle = self._enter()
        try:
            ms = self._lib_().client_get_timeout(handle)
        finally:
            self._leave()
        return int(ms) / 1000.0

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        try:
            ms = seconds_to_ms(seconds)
        except OptionError as e:
            raise OptionError(f"{self._port}: {e}") from None
        self.timeout_ms = ms

    @property
    def timeout_ms(self) -> int:
        """The same deadline in whole milliseconds, for code that counts in
        them (a VISA timeout): 1 to 86400000, no warning for large values;
        None and other types raise OptionError."""
        return round(self.timeout * 1000)

    @timeout_ms.setter
    def timeout_ms(self, ms: int) -> None:
        if isinstance(ms, bool) or not isinstance(ms, int):
            raise OptionError(f"{self._port}: timeout_ms: expected an int, not {type(ms).__name__}")
        if not 0 <= ms <= UINT_MAX:
            raise OptionError(f"{self._port}: timeout_ms: bad value {ms} (accepted: 1 to 86400000)")
        handle = self._enter()
        try:
            self._lib_().client_set_timeout(handle, ms)
            self._timeout_s = ms / 1000.0
        finally:
            self._leave()

    @property
    def stale_errors(self) -> List[str]:
        """Errors an earlier program left in the instrument's error queue,
        read out when the port was opened (or reconnected) with
        check_errors=1, oldest first, so that they are not blamed on the
        first command (client_stale_errors()). Empty without check_errors."""
        handle = self._enter()
        try:
            lib = self._lib_()
            n = lib.client_stale_errors(handle, None, 0)
            buf = ctypes.create_string_buffer(1024)
            if n:
                lib.client_stale_errors(handle, buf, len(buf))
        finally:
            self._leave()
        return buf.value.decode("utf-8", "replace").split("\n") if n else []

    # -- control lines and break (pyserial's names) ----------------------

    @property
    def dtr(self) -> Optional[bool]:
        """DTR as this client last set it (the ``dtr`` option at open, or
        this property); None when it never did (``keep``: Linux raised DTR
        at open, see the README's "Control lines").  Setting it raises or
        lowers DTR (client_set_dtr()); UnsupportedError on a pseudo-terminal
        or a tcp:// port."""
        return self._dtr

    @dtr.setter
    def dtr(self, on: bool) -> None:
        self._control("client_set_dtr", bool(on))
        self._dtr = bool(on)

    @property
    def rts(self) -> Optional[bool]:
        """RTS as this client last set it, None if never; setting it
        raises or lowers RTS (client_set_rts())."""
        return self._rts

    @rts.setter
    def rts(self, on: bool) -> None:
        self._control("client_set_rts", bool(on))
        self._rts = bool(on)

    def _signal(self, bit: int) -> bool:
        return bool(self._control("client_get_signals") & bit)

    @property
    def cts(self) -> bool:
        """Whether CTS is asserted (client_get_signals())."""
        return self._signal(SIG_CTS)

    @property
    def dsr(self) -> bool:
        """Whether DSR is asserted."""
        return self._signal(SIG_DSR)

    @property
    def cd(self) -> bool:
        """Whether DCD (carrier detect) is asserted."""
        return self._signal(SIG_DCD)

    @property
    def ri(self) -> bool:
        """Whether RI (ring indicator) is asserted."""
        return self._signal(SIG_RI)

    def send_break(self, duration: float = 0.25) -> None:
        """Hold the line in a break for ``duration`` seconds (pyserial's
        default 0.25), then release it (client_send_break()); the duration
        must be shorter than the timeout."""
        ms = seconds_to_ms(duration, "send_break")
        self._control("client_send_break", ms)

    def _control(self, name: str, *args: Any) -> int:
        handle = self._enter()
        try:
            return int(getattr(self._lib_(), name)(handle, *args))
        finally:
            self._leave()

    # -- commands ------------------------------------------------------

    def query(self, cmd: Command) -> str:
        """Send a command and return its reply, decoded.

        Stale input is discarded first; the reply is read up to the read
        terminator (not included).  Lines that follow stay for :meth:`read`.

        Raises:
            CommandError: the command holds bytes that may not be sent.
            TimeoutError, ReplyTooLongError, DeviceGoneError, PortIOError.
            UnicodeDecodeError: the reply does not decode (with
                errors="strict"); the client goes on working.
        """
        return self._query(cmd, True)

    def query_bytes(self, cmd: Command) -> bytes:
        """Like :meth:`query`, but return the reply's raw bytes (NUL bytes
        kept)."""
        return self._query(cmd, False)

    @overload
    def _query(self, cmd: Command, decode: Literal[True]) -> str: ...

    @overload
    def _query(self, cmd: Command, decode: Literal[False]) -> bytes: ...

    def _query(self, cmd: Command, decode: bool) -> Union[str, bytes]:
        """One foreign call, client_query_into(), into a reused buffer; a
        reply larger than the buffer is taken with client_take_reply()
        into a larger one. Decoded (or copied) once, from the buffer."""
        if type(cmd) is str:
            try:
                data = cmd.encode(self.encoding)
            except UnicodeEncodeError:
                data = self._encode(cmd)  # raises CommandError, naming the character
        else:
            data = self._encode(cmd)
        bufs = self._bufs
        try:
            buf = bufs.pop()
        except IndexError:
            buf = ctypes.create_string_buffer(_REPLY_BUF)
        # _enter() and _leave(), inlined on this hot path.
        lock = self._lock
        with lock:
            handle = self._handle
            if handle is None:
                bufs.append(buf)
                raise ClosedError(f"{self._port}: the client is closed")
            self._active += 1
        try:
            # The trace follows the logger's level (as in _enter()).
            if self.logger.isEnabledFor(_DEBUG) is not self._tracing:
                self._retrace(handle)
            lib = self._lib
            assert lib is not None
            size = len(buf)
            # Counted: a NUL inside reaches the library, which refuses it.
            n = lib.client_query_into(handle, data, len(data), buf, size)
            reply = buf
            if n > size:
                # Larger than the buffer: the library kept it for this thread.
                reply = ctypes.create_string_buffer(n)
                n = lib.client_take_reply(handle, reply, n)
                if len(reply) <= _REPLY_BUF_KEEP:
                    buf = reply  # grown, for the replies after it
            if n < 0:
                err = lib.last_error("client_query_into")
                if self._tracing:  # logged as _errcheck logs the other calls' errors
                    self.logger.debug("error %s: %s", err.name, err)
                raise err
            view = memoryview(reply)[:n]
            return str(view, self.encoding, self.errors) if decode else view.tobytes()
        finally:
            with lock:
                self._active -= 1
                if not self._active and self._handle is None:
                    self._cond.notify_all()
            bufs.append(buf)

    def write(self, cmd: Command) -> int:
        """Send a command that has no reply (client_send_cmd_n()).  Stale
        input is discarded first.  Returns the number of bytes written: the
        command's plus the write terminator's (as pyserial and PyVISA do)."""
        data = self._encode(cmd)
        handle = self._enter()
        try:
            self._lib_().client_send_cmd_n(handle, data, len(data))
        finally:
            self._leave()
        return len(data) + self._write_eol_len

    def read(self) -> str:
        """Read one more reply without sending anything (the next line of a
        multi-line answer), decoded; under a fresh timeout."""
        return self._decode(self.read_bytes())

    def read_bytes(self, n: Optional[int] = None) -> bytes:
        """``read_bytes(n)``: exactly ``n`` bytes (1 to 999999999) as they
        come, terminators and all, within the timeout (client_read_n());
        on a timeout (TimeoutError, whose message says how many came) the
        bytes that came stay for the next read.  Nothing is written and no
        input dropped.  ``read_bytes()``: like :meth:`read`, but the reply's
        raw bytes."""
        if n is not None:
            return self.read_n(n)
        handle = self._enter()
        try:
            ret = self._lib_().client_read_reply(handle)
        finally:
            self._leave()
        return self._take(ret)

    def clear(self) -> int:
        """Drop every byte received and not yet read, without waiting
        (what is left in the handle and what the system holds now; bytes
        still on their way are not waited for), and return how many were
        dropped.  The next command drops stale input by itself: this is
        for a caller that wants to know, or to start :meth:`read_bytes`
        from a clean line.  The library hands over at most max_reply bytes
        at a time: asked again until nothing is left (at most
        CLEAR_ROUNDS times, so a device that never stops sending cannot
        keep it here)."""
        dropped = 0
        for _ in range(CLEAR_ROUNDS):
            chunk = len(self.read_available())
            if not chunk:
                break
            dropped += chunk
        return dropped

    def read_available(self) -> bytes:
        """Return every byte received and not yet read, without waiting
        (b"" if none): check before closing that nothing was left unread."""
        handle = self._enter()
        try:
            ret = self._lib_().client_read_available(handle)
        finally:
            self._leave()
        return self._take(ret)

    def read_n(self, n: int, stop: Union[bytes, bytearray] = b"") -> bytes:
        """Read exactly ``n`` bytes as they come, terminators and all
        (client_read_n()); with ``stop`` (up to 16 bytes, e.g. b"\\n"), stop
        early after it (included), whatever the handle's read terminator.
        Nothing is written and no input dropped.  On a timeout the bytes
        that came stay for the next read."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise ArgumentError(f"{self._port}: read_n: n must be an int, not {type(n).__name__}")
        if not isinstance(stop, (bytes, bytearray)):
            raise ArgumentError(f"{self._port}: read_n: stop must be bytes, not {type(stop).__name__}")
        stop = bytes(stop)
        handle = self._enter()
        try:
            ret = self._lib_().client_read_n(handle, n, stop or None, len(stop))
        finally:
            self._leave()
        return self._take(ret)

    def write_raw(self, data: Union[bytes, bytearray]) -> None:
        """Write bytes exactly as given (client_write_raw()): no terminator
        added, no byte refused, unread input kept."""
        if not isinstance(data, (bytes, bytearray)):
            raise ArgumentError(f"{self._port}: write_raw: expected bytes, not {type(data).__name__}")
        data = bytes(data)
        handle = self._enter()
        try:
            self._lib_().client_write_raw(handle, data, len(data))
        finally:
            self._leave()

    # -- instrument data (PyVISA-compatible signatures) ------------------

    def query_block(self, cmd: Command) -> bytes:
        """Send a command and return the bytes of the IEEE 488.2 block it
        answers with (client_query_block()): text before the '#' skipped,
        exactly the announced bytes read whatever they hold, the trailing
        terminator consumed.

        Raises:
            BlockError: no block in the reply, or a malformed header.
            ReplyTooLongError: the header announces more than max_reply.
            TimeoutError: the message says how many bytes of the block came.
        """
        data = self._encode(cmd)
        if b"\0" in data:
            # The block call takes a C string: refuse as the library would.
            self._encode_nul_error(data)
        handle = self._enter()
        try:
            ret = self._lib_().client_query_block(handle, data)
        finally:
            self._leave()
        return self._take(ret)

    # The container decides the type: list and tuple of float or int by
    # ``datatype``; bytes for "s"/"p"; any other callable (numpy.array,
    # numpy.ndarray) gives what it returns.
    @overload
    def query_binary_values(self, cmd: Command, datatype: FloatCode = ..., is_big_endian: bool = ...,
                            container: Type[List[Any]] = ..., header_fmt: str = ...,
                            expect_termination: bool = ..., data_points: Optional[int] = ...,
                            chunk_size: Optional[int] = ...) -> List[float]: ...

    @overload
    def query_binary_values(self, cmd: Command, datatype: IntCode, is_big_endian: bool = ...,
                            container: Type[List[Any]] = ..., header_fmt: str = ...,
                            expect_termination: bool = ..., data_points: Optional[int] = ...,
                            chunk_size: Optional[int] = ...) -> List[int]: ...

    @overload
    def query_binary_values(self, cmd: Command, datatype: FloatCode, is_big_endian: bool,
                            container: Type[Tuple[Any, ...]], header_fmt: str = ...,
                            expect_termination: bool = ..., data_points: Optional[int] = ...,
                            chunk_size: Optional[int] = ...) -> Tuple[float, ...]: ...

    @overload
    def query_binary_values(self, cmd: Command, datatype: FloatCode = ..., is_big_endian: bool = ..., *,
                            container: Type[Tuple[Any, ...]], header_fmt: str = ...,
                            expect_termination: bool = ..., data_points: Optional[int] = ...,
                            chunk_size: Optional[int] = ...) -> Tuple[float, ...]: ...

    @overload
    def query_binary_values(self, cmd: Command, datatype: IntCode, is_big_endian: bool = ..., *,
                            container: Type[Tuple[Any, ...]], header_fmt: str = ...,
                            expect_termination: bool = ..., data_points: Optional[int] = ...,
                            chunk_size: Optional[int] = ...) -> Tuple[int, ...]: ...

    @overload
    def query_binary_values(self, cmd: Command, datatype: BytesCode, is_big_endian: bool = ..., *,
                            container: Type[bytes], header_fmt: str = ...,
                            expect_termination: bool = ..., data_points: Optional[int] = ...,
                            chunk_size: Optional[int] = ...) -> bytes: ...

    @overload
    def query_binary_values(self, cmd: Command, datatype: BytesCode, is_big_endian: bool = ...,
                            container: Type[List[Any]] = ..., header_fmt: str = ...,
                            expect_termination: bool = ..., data_points: Optional[int] = ...,
                            chunk_size: Optional[int] = ...) -> List[int]: ...

    @overload
    def query_binary_values(self, cmd: Command, datatype: IntCode, is_big_endian: bool,
                            container: Type[Tuple[Any, ...]], header_fmt: str = ...,
                            expect_termination: bool = ..., data_points: Optional[int] = ...,
                            chunk_size: Optional[int] = ...) -> Tuple[int, ...]: ...

    @overload
    def query_binary_values(self, cmd: Command, datatype: str = ..., is_big_endian: bool = ..., *,
                            container: Callable[..., NDArray[Any]], header_fmt: str = ...,
                            expect_termination: bool = ..., data_points: Optional[int] = ...,
                            chunk_size: Optional[int] = ...) -> NDArray[Any]: ...

    @overload
    def query_binary_values(self, cmd: Command, datatype: str, is_big_endian: bool,
                            container: Callable[..., NDArray[Any]], header_fmt: str = ...,
                            expect_termination: bool = ..., data_points: Optional[int] = ...,
                            chunk_size: Optional[int] = ...) -> NDArray[Any]: ...

    def query_binary_values(self, cmd: Command, datatype: str = "f", is_big_endian: bool = False,
                            container: Callable[..., Any] = list, header_fmt: str = "ieee",
                            expect_termination: bool = True, data_points: Optional[int] = None,
                            chunk_size: Optional[int] = None) -> Any:
        """Query a block and unpack it as values of a ``struct`` type code
        (``datatype``: b B h H i I l L q Q e f d, or s/p for raw bytes), as
        PyVISA's method of the same name does. ``container`` is list, tuple,
        bytes (with s/p), or a numpy array type (``numpy.array``/
        ``numpy.ndarray``, numpy being optional); the declared return type
        follows it (``List[float]`` for "f" in a list, ``Tuple[int, ...]``
        for "h" in a tuple, ...). ``header_fmt`` must be "ieee";
        ``chunk_size`` is accepted and ignored (the library reads in large
        chunks by itself).

        Raises:
            ValueError: the block's length is not a multiple of the type's
                size, or data_points does not match.
        """
        if header_fmt != "ieee":
            raise ValueError(f"header_fmt {header_fmt!r}: only 'ieee' blocks are supported")
        if not expect_termination:
            raise ValueError("expect_termination=False: the library always consumes the terminator")
        data = self.query_block(cmd)
        return _unpack(data, datatype, is_big_endian, container, data_points)

    @overload
    def query_ascii_values(self, cmd: Command, converter: FloatConv = ..., separator: Separator = ...,
                           container: Type[List[Any]] = ...) -> List[float]: ...

    @overload
    def query_ascii_values(self, cmd: Command, converter: IntConv, separator: Separator = ...,
                           container: Type[List[Any]] = ...) -> List[int]: ...

    @overload
    def query_ascii_values(self, cmd: Command, converter: Literal["s"], separator: Separator = ...,
                           container: Type[List[Any]] = ...) -> List[str]: ...

    @overload
    def query_ascii_values(self, cmd: Command, converter: Callable[[str], _V], separator: Separator = ...,
                           container: Type[List[Any]] = ...) -> List[_V]: ...

    @overload
    def query_ascii_values(self, cmd: Command, converter: FloatConv = ..., separator: Separator = ..., *,
                           container: Type[Tuple[Any, ...]]) -> Tuple[float, ...]: ...

    @overload
    def query_ascii_values(self, cmd: Command, converter: IntConv, separator: Separator = ..., *,
                           container: Type[Tuple[Any, ...]]) -> Tuple[int, ...]: ...

    @overload
    def query_ascii_values(self, cmd: Command, converter: Union[str, Callable[[str], object]] = ...,
                           separator: Separator = ..., *, container: Callable[..., NDArray[Any]]) -> NDArray[Any]: ...

    def query_ascii_values(self, cmd: Command, converter: Union[str, Callable[[str], object]] = "f",
                           separator: Separator = ",", container: Callable[..., Any] = list) -> Any:
        """Query and split the reply into values, as PyVISA's method of the
        same name does: ``converter`` is a format letter (d, i, b, o, x, X,
        e, E, f, F, g, G, s) or a callable; ``separator`` a string or a
        callable that splits the text. The declared return type follows
        converter and container (``List[float]`` by default).

        Raises:
            ValueError: a field does not convert (its index is named).
        """
        return _split_values(self.query(cmd), converter, separator, container)

    def write_binary_values(self, message: Command, values: PackValues, datatype: str = "f",
                            is_big_endian: bool = False, termination: Optional[str] = None,
                            encoding: Optional[str] = None, header_fmt: str = "ieee") -> int:
        """Send ``message`` followed by the values packed as an IEEE 488.2
        definite-length block and the write terminator
        (client_write_block()). Returns the number of payload bytes.
        ``termination`` and ``encoding`` are accepted for PyVISA
        compatibility; the handle's write terminator and codec apply."""
        if header_fmt != "ieee":
            raise ValueError(f"header_fmt {header_fmt!r}: only 'ieee' blocks are supported")
        payload = _pack(values, datatype, is_big_endian)
        data = self._encode(message)
        if b"\0" in data:
            self._encode_nul_error(data)
        handle = self._enter()
        try:
            self._lib_().client_write_block(handle, data, payload, len(payload))
        finally:
            self._leave()
        return len(payload)

    def _encode_nul_error(self, data: bytes) -> None:
        at = data.find(b"\x00")
        raise CommandError(
            f"{self._port}: bad command: byte {at} is \"\\x00\" (only printable ASCII and"
            " TAB may be sent; nothing was written)"
        )

    # -- helpers -------------------------------------------------------

    def _lib_(self) -> Library:
        lib = self._lib
        assert lib is not None
        return lib

    def _check_open(self) -> None:
        if self._handle is None:
            raise ClosedError(f"{self._port}: the client is closed")

    def _enter(self) -> Any:
        """Count one call in progress and return the handle; close() waits
        until no call is in progress before it destroys the handle."""
        with self._cond:
            handle = self._handle
            if handle is None:
                raise ClosedError(f"{self._port}: the client is closed")
            self._active += 1
        # One cached lookup per call: the trace follows the logger's level.
        if self.logger.isEnabledFor(_DEBUG) is not self._tracing:
            try:
                self._retrace(handle)
            except BaseException:
                self._leave()
                raise
        return handle

    def _leave(self) -> None:
        with self._cond:
            self._active -= 1
            # Only close() waits, and it clears the handle first: no
            # wake-up on the hot path otherwise.
            if not self._active and self._handle is None:
                self._cond.notify_all()

    def _take(self, ret: Any) -> bytes:
        """Copy a reply out and free it, whatever happens."""
        try:
            reply = ret.contents
            return ctypes.string_at(reply.ret_data, reply.len)
        finally:
            self._lib_().client_free_ret(ret)

    def _decode(self, data: bytes) -> str:
        return data.decode(self.encoding, self.errors)

    def _encode(self, cmd: Command) -> bytes:
        if isinstance(cmd, str):
            try:
                data = cmd.encode(self.encoding, "strict")
            except UnicodeEncodeError as e:
                raise CommandError(
                    f"{self._port}: bad command: character {e.start} is {cmd[e.start]!r}, which "
                    f"{self.encoding} cannot encode (only printable ASCII and TAB may be sent; "
                    "nothing was written)"
                ) from None
        elif isinstance(cmd, (bytes, bytearray)):
            data = bytes(cmd)
        else:
            raise TypeError(f"command must be str or bytes, not {type(cmd).__name__}")
        return data


# enum client_signal in include/serialcmd.h.
SIG_CTS = 1
SIG_DSR = 2
SIG_DCD = 4
SIG_RI = 8


def _line_option(value: str) -> Optional[bool]:
    """What a spec's dtr=/rts= (as client_config_get() reads it: "0", "1"
    or "keep") sets the line to at open; None for keep."""
    return None if value == "keep" else value == "1"


#: clear() asks the library for unread bytes at most this many times.
CLEAR_ROUNDS = 1024

# What the repr shows, read once at open through the library's own reading
# of the spec (defaults and profile settings included).
_SETTINGS = ("baud", "bits", "parity", "stop", "read_eol", "write_eol", "timeout_ms")


def _trace_trampoline(logger: logging.Logger, port: str) -> Callable[[Any, Optional[bytes]], None]:
    prefix = port.encode("utf-8", "surrogateescape") + b": "

    def call(user: Any, line: Optional[bytes]) -> None:
        # Nothing may propagate into C: report, and go on.
        try:
            raw = line or b""
            if raw.startswith(prefix):  # the logger's name says the port
                raw = raw[len(prefix):]
            logger.debug("%s", raw.decode("utf-8", "backslashreplace"))
        except BaseException as e:  # noqa: BLE001 - must not cross into C
            hook = getattr(sys, "unraisablehook", None)
            if hook is not None:
                hook(_Unraisable(e, "serialcmd trace callback (logging)", logger))

    return call


class _Unraisable:
    """What sys.unraisablehook expects (the fields of
    sys.UnraisableHookArgs)."""

    def __init__(self, exc: BaseException, message: str, obj: Any) -> None:
        self.exc_type = type(exc)
        self.exc_value = exc
        self.exc_traceback = exc.__traceback__
        self.err_msg = message
        self.object = obj
