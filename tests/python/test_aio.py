# SPDX-License-Identifier: MIT
"""serialcmd.aio.AsyncClient: several simulated instruments from one event
loop, cancellation and timeouts leaving each handle consistent."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest

import serialcmd
import serialcmd.aio
from serialcmd.aio import AsyncClient
from serialcmd_testlib import SIM_IDN

CH1 = [(i * 7) % 256 for i in range(1200)]


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_methods(faulty):
    async def main():
        async with AsyncClient(faulty, timeout=2) as dev:
            assert "AsyncClient" in repr(dev) and faulty in repr(dev)
            assert await dev.query("*IDN?") == SIM_IDN
            assert await dev.query_bytes("BIN 3") == b"\x00\x01\x02"
            assert await dev.write("LINES 3") == 8
            assert await dev.read() == "line1"
            assert await dev.read_bytes() == b"line2"
            assert await dev.read_bytes(6) == b"line3\n"
            assert await dev.clear() == 0
            assert dev.timeout == 2.0
            await dev.set_timeout(0.5)
            assert dev.timeout == 0.5
        assert dev.closed
        with pytest.raises(serialcmd.ClosedError):
            await dev.query("*IDN?")

    run(main())


def test_values(sim):
    scope = sim("scope").path

    async def main():
        async with AsyncClient(f"{scope}?profile=scope") as dev:
            assert await dev.query_binary_values(":WAV:DATA?", datatype="B") == CH1
            ascii_values = await dev.query_ascii_values(":WAV2:DATA:ASCII?")
            assert len(ascii_values) == 500 and all(isinstance(v, float) for v in ascii_values)
            assert await dev.write_binary_values(":WAV:UPLOAD ", [1, 2, 3], datatype="B") == 3
            assert await dev.query_binary_values(":WAV:DATA?", datatype="B", container=tuple) == (1, 2, 3)

    run(main())


def test_many_instruments_at_once(sim):
    paths = [sim("faulty").path for _ in range(4)]

    async def main():
        devs = [AsyncClient(p, timeout=5) for p in paths]
        for d in devs:
            await d.open()
        try:
            done = []

            async def slow():
                # Answers after 1.5 s: the others must not wait for it.
                reply = await devs[0].query("LATE 1500 slow")
                done.append("slow")
                return reply

            async def quick(d, i):
                replies = [await d.query(f"TAG q{i}n{n} *IDN?") for n in range(3)]
                done.append(f"quick{i}")
                return replies

            results = await asyncio.gather(slow(), *(quick(d, i) for i, d in enumerate(devs[1:], 1)))
            assert results[0] == "slow"
            for i, replies in enumerate(results[1:], 1):
                assert replies == [f"q{i}n{n}:{SIM_IDN}" for n in range(3)]
            # One event loop served them all: the slow one came last.
            assert done[-1] == "slow" and sorted(done[:-1]) == ["quick1", "quick2", "quick3"]
            # Many calls queued on one instrument run in order, each its own.
            replies = await asyncio.gather(*(devs[1].query(f"TAG o{n} *IDN?") for n in range(10)))
            assert replies == [f"o{n}:{SIM_IDN}" for n in range(10)]
        finally:
            for d in devs:
                await d.close()

    run(main())


def test_cancelled_query_leaves_the_handle_consistent(faulty):
    async def main():
        async with AsyncClient(faulty, timeout=5) as dev:
            task = asyncio.ensure_future(dev.query("TAG a LATE 400 late"))
            await asyncio.sleep(0.1)  # under way in the library
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # Its reply is not taken for this one's.
            assert await dev.query("TAG b *IDN?") == f"b:{SIM_IDN}"
            # Cancelled while waiting for its turn: never sent.
            first = asyncio.ensure_future(dev.query("TAG c LATE 300 c"))
            queued = asyncio.ensure_future(dev.query("TAG d *IDN?"))
            await asyncio.sleep(0.05)
            queued.cancel()
            assert await first == "c:c"
            with pytest.raises(asyncio.CancelledError):
                await queued
            assert await dev.query("TAG e *IDN?") == f"e:{SIM_IDN}"

    run(main())


def test_timeouts(faulty):
    async def main():
        async with AsyncClient(faulty, timeout=5) as dev:
            # asyncio's own timeout: a cancellation.
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(dev.query("TAG f LATE 500 late"), 0.1)
            assert await dev.query("TAG g *IDN?") == f"g:{SIM_IDN}"
            # The library's deadline: its TimeoutError, then a clean next query.
            await dev.set_timeout(0.2)
            with pytest.raises(serialcmd.TimeoutError):
                await dev.query("SILENT")
            await dev.set_timeout(2)
            assert await dev.query("TAG h *IDN?") == f"h:{SIM_IDN}"

    run(main())


def test_late_answer_after_a_library_timeout(faulty):
    """The library's settle rule, seen through asyncio: after a timeout the
    next command waits for settle_ms of quiet, so an answer that comes up
    to settle_ms late is dropped, not taken for the next reply."""
    async def main():
        async with AsyncClient(faulty, timeout=0.2, settle_ms=400) as dev:
            with pytest.raises(serialcmd.TimeoutError):
                await dev.query("TAG h LATE 400 late")  # answers 200 ms after the deadline
            await dev.set_timeout(2)
            assert await dev.query("TAG i *IDN?") == f"i:{SIM_IDN}"

    run(main())


def test_open_errors_and_executor(tmp_path):
    async def main():
        with pytest.raises(serialcmd.PortNotFoundError):
            await AsyncClient(str(tmp_path / "nothing")).open()
        # Checked when made, on the caller's line.
        with pytest.raises(serialcmd.OptionError, match="None is not a timeout"):
            AsyncClient("/dev/null", timeout=None)
        with pytest.raises(serialcmd.OptionError, match="given together"):
            AsyncClient("/dev/null", timeout=1, timeout_ms=1000)
        with pytest.warns(serialcmd.LongTimeoutWarning) as got:
            AsyncClient("/dev/null", timeout=5000)
        assert got[0].filename == __file__
        assert serialcmd.aio.default_executor() is serialcmd.aio.default_executor()

    run(main())


def test_fewer_threads_than_instruments(sim):
    """Threads serve calls in flight, not instruments: one worker serves
    three instruments (their calls then take turns on it)."""
    import concurrent.futures

    paths = [sim("faulty").path for _ in range(3)]
    pool = concurrent.futures.ThreadPoolExecutor(1)

    async def main():
        devs = [await AsyncClient(p, timeout=5, executor=pool).open() for p in paths]
        try:
            replies = await asyncio.gather(*(d.query(f"TAG t{i} *IDN?") for i, d in enumerate(devs)))
            assert replies == [f"t{i}:{SIM_IDN}" for i in range(3)]
        finally:
            for d in devs:
                await d.close()

    try:
        run(main())
    finally:
        pool.shutdown()


def test_cancelled_open_releases_the_port(faulty):
    async def main():
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(AsyncClient(faulty, open_delay_ms=500).open(), 0.05)
        # The client the cancelled open made is closed once made: the port
        # (exclusive) opens again.
        for _ in range(100):
            try:
                async with AsyncClient(faulty) as dev:
                    return await dev.query("*IDN?")
            except serialcmd.PortBusyError:
                await asyncio.sleep(0.05)
        raise AssertionError("the port stayed busy")

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert run(main()) == SIM_IDN
        gc.collect()
    # Closed by the package, not found unclosed by the garbage collector.
    assert not [w for w in seen if issubclass(w.category, ResourceWarning)], [str(w.message) for w in seen]
