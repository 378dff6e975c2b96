# SPDX-License-Identifier: MIT
"""Checked by `make check-mypy` (mypy --strict), never run: the declared
types of the public API are the ones a user's code sees.  Each assert_type
fails the check if a return type turns into Any or another type."""

from __future__ import annotations

import asyncio
from typing import Any, List, Tuple, assert_type

import numpy
import numpy.typing

import serialcmd
import serialcmd.aio


def sync_api(dev: serialcmd.Client) -> None:
    assert_type(dev.query("*IDN?"), str)
    assert_type(dev.query_bytes(b"*IDN?"), bytes)
    assert_type(dev.write("*RST"), int)
    assert_type(dev.read(), str)
    assert_type(dev.read_bytes(4), bytes)
    assert_type(dev.clear(), int)
    assert_type(dev.timeout_ms, int)
    assert_type(dev.timeout, float)
    assert_type(dev.query_binary_values("D?"), List[float])
    assert_type(dev.query_binary_values("D?", "d"), List[float])
    assert_type(dev.query_binary_values("D?", datatype="h"), List[int])
    assert_type(dev.query_binary_values("D?", "B", True, tuple), Tuple[int, ...])
    assert_type(dev.query_binary_values("D?", container=tuple), Tuple[float, ...])
    assert_type(dev.query_binary_values("D?", "s", container=bytes), bytes)
    assert_type(dev.query_binary_values("D?", "f", container=numpy.array), numpy.typing.NDArray[Any])
    assert_type(dev.query_ascii_values("V?"), List[float])
    assert_type(dev.query_ascii_values("V?", "d"), List[int])
    assert_type(dev.query_ascii_values("V?", "s"), List[str])
    assert_type(dev.query_ascii_values("V?", lambda s: s.upper()), List[str])
    assert_type(dev.query_ascii_values("V?", container=tuple), Tuple[float, ...])
    assert_type(dev.query_ascii_values("V?", container=numpy.array), numpy.typing.NDArray[Any])
    assert_type(dev.write_binary_values("W ", [1.0, 2.0]), int)


async def async_api(dev: serialcmd.aio.AsyncClient) -> None:
    assert_type(await dev.query("*IDN?"), str)
    assert_type(await dev.query_bytes("*IDN?"), bytes)
    assert_type(await dev.write("*RST"), int)
    assert_type(await dev.read(), str)
    assert_type(await dev.read_bytes(4), bytes)
    assert_type(await dev.clear(), int)
    assert_type(await dev.query_binary_values("D?", "h"), List[int])
    assert_type(await dev.query_ascii_values("V?"), List[float])


async def many(specs: List[str]) -> List[str]:
    async with serialcmd.aio.AsyncClient(specs[0]) as dev:
        return list(await asyncio.gather(*(dev.query(s) for s in specs)))
