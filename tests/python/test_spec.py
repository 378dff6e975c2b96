# SPDX-License-Identifier: MIT
"""Keyword options merged into the spec, escaping, validation before open."""

from __future__ import annotations

import re

import warnings

import pytest

import serialcmd
from serialcmd import escape_eol, make_spec


def test_keywords_merge_in_order():
    spec = make_spec("/dev/ttyUSB0", baud=115200, eol="\r\n", timeout=0.5)
    assert spec == "/dev/ttyUSB0?baud=115200&eol=\\r\\n&timeout_ms=500"


def test_keywords_join_existing_options():
    assert make_spec("/dev/x?parity=even", baud=9600) == "/dev/x?parity=even&baud=9600"
    assert make_spec("/dev/x?", baud=9600) == "/dev/x?baud=9600"
    assert make_spec("/dev/x?stop=2&", bits=7) == "/dev/x?stop=2&bits=7"
    assert make_spec("/dev/x") == "/dev/x"
    assert make_spec("/dev/x?flow=none") == "/dev/x?flow=none"


def test_every_spec_key():
    spec = make_spec(
        "/dev/x",
        baud=19200, bits=7, parity="odd", stop=2, flow="rtscts", read_eol="CR",
        write_eol="", timeout_ms=1500, max_reply=4096, exclusive=False,
    )
    assert spec == (
        "/dev/x?baud=19200&bits=7&parity=odd&stop=2&flow=rtscts&read_eol=CR&write_eol="
        "&timeout_ms=1500&max_reply=4096&exclusive=0"
    )
    assert make_spec("/dev/x", exclusive=True) == "/dev/x?exclusive=1"
    spec2 = make_spec("/dev/x", echo=True, query_delay_ms=5, min_gap_ms=10, open_delay_ms=0)
    assert spec2 == "/dev/x?echo=1&query_delay_ms=5&min_gap_ms=10&open_delay_ms=0"
    serialcmd.check_spec(spec2)
    assert make_spec("/dev/x", profile="keithley2000") == "/dev/x?profile=keithley2000"
    serialcmd.check_spec(spec)  # and the library agrees


def test_none_is_left_out():
    assert make_spec("/dev/x", baud=None, timeout_ms=None) == "/dev/x"


def test_path_like(tmp_path):
    assert make_spec(tmp_path / "tty", baud=9600) == f"{tmp_path}/tty?baud=9600"


@pytest.mark.parametrize(
    "value,text",
    [
        ("\n", "\\n"),
        ("\r\n", "\\r\\n"),
        ("\t", "\\t"),
        ("\\", "\\\\"),
        ("&", "\\x26"),
        ("?", "\\x3F"),
        ("=", "\\x3D"),
        ("\x00\x1b\x7f", "\\x00\\x1B\\x7F"),
        ("\xff", "\\xFF"),
        ("END", "END"),
        (";", ";"),
        ("CRLF", "CRLF"),  # a name stays a name
        ("crlf", "crlf"),
        (b"CRLF", "\\x43RLF"),  # bytes are always literal
        (b"\r\n", "\\r\\n"),
        (b"a&b", "a\\x26b"),
        (bytearray(b"\x03"), "\\x03"),
        ("", ""),
    ],
)
def test_escape_eol(value, text):
    assert escape_eol(value) == text


def test_escape_eol_refuses():
    with pytest.raises(serialcmd.OptionError, match="not a single byte"):
        escape_eol("\u20ac")
    with pytest.raises(serialcmd.OptionError, match="expected str or bytes"):
        escape_eol(10)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value,expected",
    [
        (b"\r\n", b"\r\n"),
        ("&\n", b"&\n"),
        ("=?", b"=?"),
        ("\\\x01", b"\\\x01"),
        ("CRLF", b"\r\n"),
        (b"LF", b"LF"),
        ("\xff\x00", b"\xff\x00"),
    ],
)
def test_escaped_eol_means_its_bytes(value, expected):
    # The library's own parser reads the escaped text back into the same
    # bytes: check through client_config_new() and the struct it fills.
    import ctypes

    lib = serialcmd.get_library()
    spec = make_spec("/dev/x", read_eol=value)
    cfg = lib.client_config_new(spec.encode())
    try:
        # struct client_config: port[4096], 5 ints, write_eol[16], size_t,
        # read_eol[16], size_t ... (include/serialcmd.h)
        class Head(ctypes.Structure):
            _fields_ = [
                ("port", ctypes.c_char * 4096),
                ("baud", ctypes.c_int), ("bits", ctypes.c_int), ("parity", ctypes.c_int),
                ("stop", ctypes.c_int), ("flow", ctypes.c_int),
                ("write_eol", ctypes.c_char * 16), ("write_eol_len", ctypes.c_size_t),
                ("read_eol", ctypes.c_char * 16), ("read_eol_len", ctypes.c_size_t),
            ]

        head = ctypes.cast(cfg, ctypes.POINTER(Head)).contents
        where = ctypes.addressof(head) + Head.read_eol.offset
        assert ctypes.string_at(where, head.read_eol_len) == expected
    finally:
        lib.client_config_free(cfg)


def test_eol_round_trip_on_a_pty(sim):
    # A terminator made of spec syntax characters, end to end.
    path = sim("loopback", "--eol", "\\x26\\n").path
    with serialcmd.Client(path, eol="&\n") as dev:
        assert dev.spec.endswith("?eol=\\x26\\n")
        assert dev.query("a=b?c") == "a=b?c"
        assert dev.query("x & y") == "x & y"  # '&' alone is not the terminator


def test_crlf_round_trip(sim):
    path = sim("loopback", "--eol", "CRLF").path
    with serialcmd.Client(path, eol="\r\n", timeout=1) as dev:
        assert dev.query("*IDN?") == "*IDN?"
        assert dev.spec == f"{path}?eol=\\r\\n&timeout_ms=1000"


@pytest.mark.parametrize(
    "seconds,ms", [(0.5, 500), (0.1, 100), (1, 1000), (2.0004, 2000), (0.0016, 2), (86400, 86400000)]
)
def test_timeout_seconds(seconds, ms):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", serialcmd.LongTimeoutWarning)  # 86400 s: see test_surprises.py
        assert make_spec("/dev/x", timeout=seconds) == f"/dev/x?timeout_ms={ms}"


def test_timeout_bad_values():
    for bad in (-1, float("nan"), float("inf"), 1e10):
        with pytest.raises(serialcmd.OptionError, match="timeout"):
            make_spec("/dev/x", timeout=bad)
    for bad in ("1", True):
        with pytest.raises(serialcmd.OptionError, match="int or float"):
            make_spec("/dev/x", timeout=bad)
    with pytest.raises(serialcmd.OptionError, match="'timeout' and 'timeout_ms'"):
        make_spec("/dev/x", timeout=1, timeout_ms=1000)


def test_unknown_keyword_is_named():
    with pytest.raises(ValueError, match="unknown option 'speed'") as info:
        make_spec("/dev/x", speed=9600)
    assert isinstance(info.value, serialcmd.OptionError)
    assert "baud" in str(info.value)  # the accepted ones are listed
    with pytest.raises(ValueError, match="unknown option 'bogus'"):
        serialcmd.Client("/dev/serialcmd-test-no-such-port", bogus=1)


def test_key_in_spec_and_keyword():
    with pytest.raises(serialcmd.OptionError, match="'baud' given both in the spec and as a keyword"):
        make_spec("/dev/x?baud=9600", baud=115200)
    with pytest.raises(serialcmd.OptionError, match="'timeout_ms' given both"):
        make_spec("/dev/x?timeout_ms=10", timeout=1)


def test_values_that_cannot_be_written():
    with pytest.raises(serialcmd.OptionError, match="bad character '&'"):
        make_spec("/dev/x", parity="even&baud=1")
    with pytest.raises(serialcmd.OptionError, match="bad character"):
        make_spec("/dev/x", flow="none\n")
    with pytest.raises(serialcmd.OptionError, match="expected int or str"):
        make_spec("/dev/x", baud=9600.0)
    with pytest.raises(serialcmd.OptionError, match="not a bool"):
        make_spec("/dev/x", baud=True)
    with pytest.raises(serialcmd.OptionError, match="not part of a spec"):
        make_spec("/dev/x", encoding="ascii")


def test_check_spec_uses_the_library():
    assert serialcmd.check_spec("/dev/x", baud=115200) == "/dev/x?baud=115200"
    with pytest.raises(serialcmd.OptionError) as info:
        serialcmd.check_spec("/dev/x", bits=9)
    assert str(info.value) == "/dev/x: bad value '9' for 'bits' (accepted: 5, 6, 7 or 8)"
    with pytest.raises(serialcmd.OptionError, match="empty port"):
        serialcmd.check_spec("?baud=9600")
    with pytest.raises(serialcmd.OptionError, match="'baud' given twice"):
        serialcmd.check_spec("/dev/x?baud=1&baud=2")
    with pytest.raises(serialcmd.OptionError, match="bad value '' for 'eol'"):
        serialcmd.check_spec("/dev/x", eol="")
    with pytest.raises(serialcmd.OptionError, match="bad value .* for 'read_eol'"):
        serialcmd.check_spec("/dev/x", read_eol="x" * 17)


@pytest.mark.parametrize(
    "spec,message",
    [
        ("tcp://localhost", "no port"),
        ("tcp://:4001", "no host"),
        ("rfc2217://localhost:99999", "bad port number '99999'"),
        ("usb:zz", "usb:VID:PID"),
        ("usb:0403:6001:", "usb:VID:PID"),
        ("?baud=9600", "empty port"),
    ],
)
def test_check_spec_checks_the_port(spec, message):
    """The port's syntax is checked with the options, before anything is
    opened or resolved."""
    with pytest.raises(serialcmd.OptionError, match=re.escape(message)):
        serialcmd.check_spec(spec)
    assert serialcmd.check_spec("tcp://nonexistent.invalid:4001") == "tcp://nonexistent.invalid:4001"
    assert serialcmd.check_spec("usb:0403:6001", baud=9600) == "usb:0403:6001?baud=9600"


def test_validated_before_anything_is_opened(lib, monkeypatch):
    opened = []
    real = lib.client_init_py

    def counting_init(spec):
        opened.append(spec)
        return real(spec)

    monkeypatch.setattr(lib, "client_init_py", counting_init)
    # A bad option on a port that does not exist: the option is reported,
    # so the spec was checked first, and nothing was opened.
    with pytest.raises(serialcmd.OptionError, match="bad value 'fast' for 'baud'"):
        serialcmd.Client("/dev/serialcmd-test-no-such-port", baud="fast")
    with pytest.raises(serialcmd.OptionError, match="unknown option 'nope'"):
        serialcmd.Client("/dev/serialcmd-test-no-such-port", nope=1)
    assert opened == []
    with pytest.raises(serialcmd.PortNotFoundError):
        serialcmd.Client("/dev/serialcmd-test-no-such-port", baud=9600)
    assert opened == [b"/dev/serialcmd-test-no-such-port?baud=9600"]


def test_client_keywords_reach_the_port(faulty):
    with serialcmd.Client(faulty, baud=115200, timeout=0.25, max_reply=64, exclusive=True) as dev:
        assert dev.timeout == 0.25
        assert dev.spec == f"{faulty}?baud=115200&timeout_ms=250&max_reply=64&exclusive=1"
        with pytest.raises(serialcmd.ReplyTooLongError, match="max_reply=64"):
            dev.query("SIZE 65")


def test_nul_is_refused():
    """C stops at a NUL: '/dev/x\\0?baud=bad' opened /dev/x with defaults
    (issue 15). A NUL in a spec, a value or a profile name is refused."""
    for spec in ("/dev/null\0?baud=bad", "/dev/null?baud=9600\0&bits=9", "\0"):
        with pytest.raises(serialcmd.OptionError, match="NUL character"):
            serialcmd.check_spec(spec)
        with pytest.raises(serialcmd.OptionError, match="NUL character"):
            serialcmd.Client(spec)
    with pytest.raises(serialcmd.OptionError, match="bad character '\\\\x00'"):
        make_spec("/dev/x", error_query="SYST:ERR?\0x")
    with pytest.raises(serialcmd.OptionError, match="NUL character"):
        serialcmd.ports.find("arduino\0x")


def test_text_values_as_the_spec_takes_them():
    """What the C parser takes in a value ('?', '=', spaces) is taken as a
    keyword too (issue 15: error_query='SYST:ERR?' was refused)."""
    assert make_spec("/dev/x", error_query="SYST:ERR?") == "/dev/x?error_query=SYST:ERR?"
    assert serialcmd.check_spec("/dev/x", error_query=":SYST:ERR?", error_none='0,"No error"') == \
        "/dev/x?error_query=:SYST:ERR?&error_none=0,\"No error\""
    assert serialcmd.check_spec("/dev/x", error_none="a=b ?") == "/dev/x?error_none=a=b ?"
    # A spec whose last value ends in '?' still gets its '&'.
    assert serialcmd.check_spec("/dev/x?error_query=SYST:ERR?", baud=9600) == \
        "/dev/x?error_query=SYST:ERR?&baud=9600"
    assert make_spec("/dev/x?", baud=9600) == "/dev/x?baud=9600"
    assert make_spec("/dev/x?bits=8&", baud=9600) == "/dev/x?bits=8&baud=9600"
    with pytest.raises(serialcmd.OptionError, match="bad character '&'"):
        make_spec("/dev/x", error_query="A&B")
