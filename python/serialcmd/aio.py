# SPDX-License-Identifier: MIT
"""serialcmd.aio: the Client for asyncio programs.

::

    async with serialcmd.aio.AsyncClient("/dev/ttyUSB0", timeout=0.5) as dev:
        print(await dev.query("*IDN?"))

Design: each call runs the library's blocking call (the same one
:class:`serialcmd.Client` makes) on a worker thread of one pool shared by
every AsyncClient of the process, and the event loop awaits its result.
A thread is held only while a call is in flight, not per instrument: a
hundred idle instruments hold none, ten instruments answering at once hold
ten.  A pure event-loop design (write the command, then read when
``loop.add_reader`` says the port's fd is readable) was not taken: the
library keeps each command's rules in C (one deadline, the stale-input
drain, settle after a timeout, cut lines, echo checks, unsolicited lines,
reconnect), and the handle offers no non-blocking step calls to drive them
from the loop; doing them again in Python would make two implementations of
the rules that keep replies from being mixed up, one of them untested by the
C tests.  The GIL is released during each foreign call, so the workers wait
in parallel.

Calls on one AsyncClient run one after the other, in the order they were
made (an asyncio lock, held until the library's call has returned).
Cancellation: cancelling a call that waits for its turn removes it; a call
that already started cannot be interrupted inside the library, so it runs
to its end (its reply read, or its own deadline) on the worker, its result
is dropped, and the next call starts only then: the handle is never left in
the middle of a command, and the next query gets its own reply.  A
cancelled call therefore delays the next one by at most its timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from types import TracebackType
from typing import Any, Callable, List, Optional, Type, TypeVar, Union, overload

from ._spec import OptionValue, seconds_to_ms
from ._values import FloatCode, FloatConv, IntCode, IntConv, PackValues
from .client import Client, Command, Separator
from .errors import ClosedError, OptionError

__all__ = ["AsyncClient", "MAX_WORKERS", "default_executor"]

_T = TypeVar("_T")

#: Threads of the shared pool at most: as many calls can be in flight at
#: once across all AsyncClients; more wait for a free thread.  Pass
#: ``executor=`` to AsyncClient for another limit.
MAX_WORKERS = 64

_pool_lock = threading.Lock()
_pool: Optional[concurrent.futures.ThreadPoolExecutor] = None


def default_executor() -> concurrent.futures.ThreadPoolExecutor:
    """The pool AsyncClients share (created on first use; its threads are
    started as calls need them, up to :data:`MAX_WORKERS`)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="serialcmd-aio")
        return _pool


class AsyncClient:
    """An open port for asyncio code; the methods of :class:`serialcmd.Client`,
    awaited.

    ``AsyncClient(spec, **options)`` takes what Client takes (``timeout`` in
    seconds, ``on_unsolicited`` ...) and opens the port on ``async with`` or
    ``await client.open()``.  ``executor``: where the blocking calls run
    (default: :func:`default_executor`).  ``on_unsolicited`` is called on
    the worker thread of the call that read the line: to reach the event
    loop from it, use ``loop.call_soon_threadsafe``.  The trace (see
    Client's logging) is logged from the workers too.
    """

    def __init__(self, spec: Union[str, "os.PathLike[str]"], *,
                 executor: Optional[concurrent.futures.Executor] = None,
                 on_unsolicited: Optional[Callable[[str], object]] = None,
                 **options: OptionValue) -> None:
        if "timeout" in options:
            # Checked here, on the caller's line (None refused, a
            # LongTimeoutWarning pointed at it), not later on a worker.
            if options.get("timeout_ms") is not None:
                raise OptionError("options 'timeout' and 'timeout_ms' given together; use one")
            options = dict(options)
            options["timeout_ms"] = seconds_to_ms(options.pop("timeout"))
        self._spec = spec
        self._options = options
        self._on_unsolicited = on_unsolicited
        self._executor = executor
        self._client: Optional[Client] = None
        self._lock: Optional[asyncio.Lock] = None

    # -- life cycle ----------------------------------------------------

    async def open(self) -> "AsyncClient":
        """Open the port (on a worker: opening may wait, e.g. open_delay_ms
        or check_errors).  Raises what Client() raises."""
        if self._client is not None:
            return self
        loop = asyncio.get_running_loop()
        spec, options, callback = self._spec, self._options, self._on_unsolicited
        pool = self._pool()
        opening = loop.run_in_executor(pool, lambda: Client(spec, on_unsolicited=callback, **options))
        try:
            # Shielded: a cancelled open() still gets the client it made...
            client = await asyncio.shield(opening)
        except asyncio.CancelledError:
            # ... and closes it, so the port is not left held.
            def close_it(done: "asyncio.Future[Client]") -> None:
                if not done.cancelled() and done.exception() is None:
                    pool.submit(done.result().close)

            opening.add_done_callback(close_it)
            raise
        self._client = client
        return self

    async def close(self) -> None:
        """Wait for the call in flight (if any), then close the port.
        Calling it again does nothing."""
        client = self._client
        if client is None or client.closed:
            return
        lock = self._lock_()
        async with lock:
            # No call is in flight; closing a port may still wait for its
            # output to drain, so not on the loop either.
            await asyncio.get_running_loop().run_in_executor(self._pool(), client.close)

    async def __aenter__(self) -> "AsyncClient":
        return await self.open()

    async def __aexit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                        tb: Optional[TracebackType]) -> None:
        await self.close()

    @property
    def client(self) -> Client:
        """The underlying :class:`serialcmd.Client` (its port, spec, logger,
        repr).  Its blocking methods must not be called from the event loop."""
        if self._client is None:
            raise ClosedError(f"{os.fspath(self._spec)}: the AsyncClient is not open (use async with)")
        return self._client

    @property
    def closed(self) -> bool:
        return self._client is None or self._client.closed

    @property
    def timeout(self) -> float:
        """The deadline of each command, in seconds (as Client.timeout)."""
        return self.client.timeout

    async def set_timeout(self, seconds: float) -> None:
        """Set the deadline of the calls made after it, in seconds (as
        setting Client.timeout), in turn with the calls in flight."""
        client = self.client

        def set_it() -> None:
            client.timeout = seconds

        await self._run(set_it)

    def __repr__(self) -> str:
        inner = repr(self._client) if self._client is not None else f"{os.fspath(self._spec)!r} not opened"
        return f"<serialcmd.aio.AsyncClient {inner}>"

    # -- commands ------------------------------------------------------

    async def query(self, cmd: Command) -> str:
        """Client.query(), awaited."""
        return await self._run(self.client.query, cmd)

    async def query_bytes(self, cmd: Command) -> bytes:
        """Client.query_bytes(), awaited."""
        return await self._run(self.client.query_bytes, cmd)

    async def write(self, cmd: Command) -> int:
        """Client.write(), awaited: the number of bytes written."""
        return await self._run(self.client.write, cmd)

    async def read(self) -> str:
        """Client.read(), awaited."""
        return await self._run(self.client.read)

    async def read_bytes(self, n: Optional[int] = None) -> bytes:
        """Client.read_bytes(), awaited."""
        return await self._run(self.client.read_bytes, n)

    async def clear(self) -> int:
        """Client.clear(), awaited: how many bytes were dropped."""
        return await self._run(self.client.clear)

    async def query_block(self, cmd: Command) -> bytes:
        """Client.query_block(), awaited."""
        return await self._run(self.client.query_block, cmd)

    # The rest of PyVISA's arguments, keyword-only here.
    @overload
    async def query_binary_values(self, cmd: Command, datatype: FloatCode = ..., is_big_endian: bool = ..., *,
                                  header_fmt: str = ..., expect_termination: bool = ...,
                                  data_points: Optional[int] = ..., chunk_size: Optional[int] = ...) -> List[float]: ...

    @overload
    async def query_binary_values(self, cmd: Command, datatype: IntCode, is_big_endian: bool = ..., *,
                                  header_fmt: str = ..., expect_termination: bool = ...,
                                  data_points: Optional[int] = ..., chunk_size: Optional[int] = ...) -> List[int]: ...

    @overload
    async def query_binary_values(self, cmd: Command, datatype: str = ..., is_big_endian: bool = ..., *,
                                  container: Callable[..., _T], header_fmt: str = ...,
                                  expect_termination: bool = ..., data_points: Optional[int] = ...,
                                  chunk_size: Optional[int] = ...) -> _T: ...

    async def query_binary_values(self, cmd: Command, datatype: str = "f", is_big_endian: bool = False, *,
                                  container: Callable[..., Any] = list, header_fmt: str = "ieee",
                                  expect_termination: bool = True, data_points: Optional[int] = None,
                                  chunk_size: Optional[int] = None) -> Any:
        """Client.query_binary_values(), awaited (the same arguments, those
        after is_big_endian by keyword; the declared type: List[float] or
        List[int] by datatype, or what ``container=`` returns)."""
        # The implementation's signature, not its overloads: the arguments
        # are passed on as they came.
        call: Callable[..., Any] = self.client.query_binary_values
        return await self._run(call, cmd, datatype, is_big_endian, container, header_fmt, expect_termination,
                               data_points, chunk_size)

    @overload
    async def query_ascii_values(self, cmd: Command, converter: FloatConv = ...,
                                 separator: Separator = ...) -> List[float]: ...

    @overload
    async def query_ascii_values(self, cmd: Command, converter: IntConv, separator: Separator = ...) -> List[int]: ...

    @overload
    async def query_ascii_values(self, cmd: Command, converter: Callable[[str], _T],
                                 separator: Separator = ...) -> List[_T]: ...

    @overload
    async def query_ascii_values(self, cmd: Command, converter: Union[str, Callable[[str], object]] = ...,
                                 separator: Separator = ..., *, container: Callable[..., _T]) -> _T: ...

    async def query_ascii_values(self, cmd: Command, converter: Union[str, Callable[[str], object]] = "f",
                                 separator: Separator = ",", container: Callable[..., Any] = list) -> Any:
        """Client.query_ascii_values(), awaited."""
        call: Callable[..., Any] = self.client.query_ascii_values
        return await self._run(call, cmd, converter, separator, container)

    async def write_binary_values(self, message: Command, values: PackValues, datatype: str = "f",
                                  is_big_endian: bool = False) -> int:
        """Client.write_binary_values(), awaited: the number of payload bytes."""
        client = self.client
        return await self._run(lambda: client.write_binary_values(message, values, datatype, is_big_endian))

    # -- helpers -------------------------------------------------------

    def _pool(self) -> concurrent.futures.Executor:
        return self._executor if self._executor is not None else default_executor()

    def _lock_(self) -> asyncio.Lock:
        # Made on first use, inside the running loop.
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def _run(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run fn(*args) on a worker, after the calls made before it; the
        turn passes on only when fn has returned, even if the awaiting task
        was cancelled meanwhile (see the module's notes)."""
        loop = asyncio.get_running_loop()
        lock = self._lock_()
        await lock.acquire()
        try:
            job = self._pool().submit(fn, *args)
        except BaseException:
            lock.release()
            raise

        def pass_turn(_: "concurrent.futures.Future[_T]") -> None:
            try:
                loop.call_soon_threadsafe(lock.release)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

        job.add_done_callback(pass_turn)
        # Cancelling this await cancels a job that has not started; one
        # that runs goes on, and passes the turn when it ends.
        return await asyncio.wrap_future(job, loop=loop)
