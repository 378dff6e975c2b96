# SPDX-License-Identifier: MIT
"""Client.query through client_query_into(): one foreign call per query
into a reply buffer the client reuses, a larger reply taken with a second
call (client_take_reply()), threads each with their own buffer."""

from __future__ import annotations

import threading

import pytest

import serialcmd
from serialcmd_testlib import SIM_IDN, counting_library


@pytest.fixture
def counted(monkeypatch):
    """Calls of each library function by new clients."""
    return counting_library(monkeypatch)[1]


def test_one_foreign_call_per_small_query(faulty, counted):
    with serialcmd.Client(faulty, timeout=2) as dev:
        dev.query("*IDN?")  # the buffer is made here
        before = dict(counted)
        for _ in range(10):
            assert dev.query("*IDN?") == SIM_IDN
            assert dev.query_bytes("BIN 3") == b"\x00\x01\x02"
        calls = {k: v - before[k] for k, v in counted.items() if v != before[k]}
    assert calls == {"client_query_into": 20}


def test_large_reply_takes_a_second_call(faulty, counted):
    with serialcmd.Client(faulty, timeout=5) as dev:
        before = dict(counted)
        assert dev.query("SIZE 5000") == "x" * 5000
        calls = {k: v - before[k] for k, v in counted.items() if v != before[k]}
        assert calls == {"client_query_into": 1, "client_take_reply": 1}
        # The buffer grew: a reply of the same size now takes one call.
        before = dict(counted)
        assert dev.query("SIZE 5000") == "x" * 5000
        assert counted["client_query_into"] - before["client_query_into"] == 1
        assert counted["client_take_reply"] == before["client_take_reply"]


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 100_000, (1 << 20) + 1, 3 << 20])
def test_reply_sizes(faulty, size):
    with serialcmd.Client(faulty, timeout=20) as dev:
        assert dev.query_bytes(f"SIZE {size}") == b"x" * size
        assert dev.query(f"SIZE {size}") == "x" * size
        # Every size leaves the client working on small replies.
        assert dev.query("*IDN?") == SIM_IDN
        # One buffer, grown at most to the size kept between queries.
        assert len(dev._bufs) == 1
        assert 4096 <= len(dev._bufs[0]) <= max(4096, min(size, 1 << 20))


def test_binary_and_decoding(faulty):
    with serialcmd.Client(faulty, timeout=2) as dev:
        data = dev.query_bytes("BIN 256")
        assert data == bytes(b for b in range(256) if b != 0x0A) + b"\x00"
        with pytest.raises(UnicodeDecodeError):
            dev.query("BIN 256")
        assert dev.query("*IDN?") == SIM_IDN
    with serialcmd.Client(faulty, timeout=2, encoding="latin-1") as dev:
        assert dev.query("BIN 256") == data.decode("latin-1")


def test_errors(faulty):
    with serialcmd.Client(faulty, timeout=0.2) as dev:
        with pytest.raises(serialcmd.TimeoutError, match="timeout after 200 ms"):
            dev.query("SILENT")
        with pytest.raises(serialcmd.CommandError, match="byte 1"):
            dev.query(b"a\x00b")
        dev.timeout = 2
        assert dev.query("*IDN?") == SIM_IDN
    with pytest.raises(serialcmd.ClosedError):
        dev.query("*IDN?")


def test_threads_share_a_client(loopback):
    """Eight threads on one client, small and large replies mixed: each gets
    its own reply, through its own buffer."""
    errors = []

    with serialcmd.Client(loopback, timeout=10) as dev:
        def work(tid: int) -> None:
            try:
                for i in range(40):
                    pad = "y" * (6000 if i % 5 == 0 else 10)
                    cmd = f"t{tid} q{i} {pad}"
                    got = dev.query(cmd)
                    if got != cmd:
                        errors.append((cmd[:20], got[:20]))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads)
        assert 1 <= len(dev._bufs) <= 8
    assert errors == []
