# SPDX-License-Identifier: MIT
"""Each foreign function's declaration matches the header, and is used.

serialcmd/_lib.py writes the C prototype in a comment above each
declaration.  These tests check that every such comment is the header's
prototype word for word, that argtypes and restype are the ctypes types of
that prototype, that failing functions (and only they) carry the errcheck,
and that the package calls every function it declares.
"""

from __future__ import annotations

import ctypes
import logging
import re

import pytest

import serialcmd
from serialcmd import _lib
from serialcmd_testlib import HEADER, SIM_IDN, counting_library, fake_usb_port

DECL_RE = re.compile(r"^\s*# ((?:const )?[\w ]+?\s*\*?\s*(client_\w+)\((.*)\));\s*$")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("*", " * ")).replace("( ", "(").replace(" )", ")").strip()


def header_prototypes() -> dict:
    protos = {}
    for m in re.finditer(r"^SERIALCMD_API (.+?\b(client_\w+)\(.*?\));", HEADER.read_text(), re.M):
        protos[m.group(2)] = _norm(m.group(1))
    return protos


def comment_prototypes() -> dict:
    protos = {}
    lines = open(_lib.__file__).read().splitlines()
    for i, line in enumerate(lines):
        m = DECL_RE.match(line)
        if m:
            # The declaration itself is the next line.
            assert f'fn("{m.group(2)}",' in lines[i + 1], (line, lines[i + 1])
            protos[m.group(2)] = _norm(m.group(1))
    return protos


# C type -> ctypes type, for the types the ABI uses.
C_TYPES = {
    "void": None,
    "int": ctypes.c_int,
    "unsigned int": ctypes.c_uint,
    "size_t": ctypes.c_size_t,
    "const char *": ctypes.c_char_p,
    "char *": ctypes.c_char_p,
    "struct client *": _lib.ClientHandle,
    "const struct client *": _lib.ClientHandle,
    "struct client_ret *": _lib.ClientRetPointer,
    "struct client_config *": _lib.ConfigHandle,
    "const struct client_config *": _lib.ConfigHandle,
    "char *": ctypes.c_char_p,
    "const void *": ctypes.c_char_p,
    "struct client_port_info *": _lib.PortListHandle,
    "const struct client_port_info *": _lib.PortListHandle,
    "struct client_port_info **": ctypes.POINTER(_lib.PortListHandle),
    "client_unsolicited_fn": _lib.UnsolicitedFn,
    "client_trace_fn": _lib.TraceFn,
    "void *": ctypes.c_void_p,
    "long long": ctypes.c_longlong,
    "long": ctypes.c_long,
}
C_TYPES = {_norm(k): v for k, v in C_TYPES.items()}


def split_prototype(proto: str):
    m = re.match(r"^(.*?)\s*\b(client_\w+)\((.*)\)$", proto)
    assert m, proto
    ret, name, args = m.groups()
    params = [] if args.strip() == "void" else [a.strip() for a in args.split(",")]
    # Drop each parameter's name: "const char * spec" -> "const char *".
    types = [_norm(re.sub(r"\s*\b\w+$", "", p)) for p in params]
    return _norm(ret), name, types


def test_every_comment_is_the_header_prototype():
    header = header_prototypes()
    comments = comment_prototypes()
    assert comments, "no prototype comments found"
    for name, proto in comments.items():
        assert name in header, f"{name} is not in {HEADER}"
        assert proto == header[name], name


def test_declared_functions_are_exactly_the_commented_ones(lib):
    assert set(lib.functions) == set(comment_prototypes())


def test_argtypes_and_restype_match_the_prototypes(lib):
    for name, proto in comment_prototypes().items():
        ret, _, args = split_prototype(proto)
        f = lib.functions[name]
        assert f.restype is C_TYPES[ret], name
        assert f.argtypes == [C_TYPES[a] for a in args], name
        # The declared object is the one the library object calls.
        assert getattr(lib, name) is f
        assert getattr(lib.dll, name) is f


# Functions that report failure by their return value (header: "NULL on
# failure", or a negative code).
FAILING = {
    "client_init_py", "client_read_reply", "client_send_cmd_reply_n", "client_send_cmd_n",
    "client_query_block", "client_write_block", "client_list_ports", "client_find_ports",
    "client_set_timeout", "client_get_timeout", "client_config_new", "client_spec_key_type",
    "client_port_name", "client_port_description", "client_port_driver", "client_port_usb_serial",
    "client_port_usb_manufacturer", "client_port_usb_product", "client_port_passive", "client_read_available",
    "client_set_unsolicited", "client_read_n", "client_write_raw", "client_config_get",
    "client_stale_errors", "client_set_dtr", "client_set_rts", "client_get_signals", "client_send_break",
    "client_set_trace",
}


def test_errcheck_on_failing_functions_only(lib):
    for name, f in lib.functions.items():
        if name in FAILING:
            assert f.errcheck is _lib._errcheck, name
        else:
            assert getattr(f, "errcheck", None) is None, name


def test_no_struct_layout_in_the_header_but_client_ret():
    """Callers compile in no struct size but struct client_ret's, so fields
    can be added to the others without breaking them."""
    defined = re.findall(r"^struct (\w+) \{", HEADER.read_text(), re.M)
    assert defined == ["client_ret"]
    declared = re.findall(r"^struct (\w+);", HEADER.read_text(), re.M)
    assert {"client", "client_config", "client_port_info"} <= set(declared)


def test_ctypes_struct_layout():
    assert [f[0] for f in _lib.ClientRet._fields_] == ["ret_data", "len"]
    assert _lib.ClientRet.ret_data.offset == 0
    assert _lib.ClientRet.len.offset == ctypes.sizeof(ctypes.c_void_p)
    assert ctypes.sizeof(_lib.ClientRet) == 2 * ctypes.sizeof(ctypes.c_void_p)
    # Not c_char_p, which would cut binary replies at the first NUL.
    assert _lib.ClientRet._fields_[0][1] is ctypes.POINTER(ctypes.c_char)


def test_cdll_releases_the_gil(lib):
    # CDLL (not PyDLL): every call drops the GIL while the library waits.
    assert type(lib.dll) is ctypes.CDLL
    for f in lib.functions.values():
        assert not f._flags_ & ctypes._FUNCFLAG_PYTHONAPI


def test_every_declared_function_is_used(faulty, sim, monkeypatch, tmp_path, request):
    """Run the package's whole API on a fresh Library whose functions count
    their calls: every declared function must be called by the package."""
    fresh, counts = counting_library(monkeypatch)
    # The key list is read once per process: read it again from fresh.
    monkeypatch.setattr(serialcmd._spec, "_types", None)

    assert serialcmd.library_version() == fresh.version
    assert serialcmd.check_spec(faulty, timeout=1) == f"{faulty}?timeout_ms=1000"
    assert fresh.spec_values(f"{faulty}?baud=4800", ["baud", "parity"]) == {"baud": "4800", "parity": "none"}
    # Logging at DEBUG installs the trace callback (client_set_trace()).
    top = logging.getLogger("serialcmd")
    request.addfinalizer(lambda level=top.level: top.setLevel(level))
    top.setLevel(logging.DEBUG)
    with serialcmd.Client(faulty, timeout=1, unsolicited="!", on_unsolicited=print) as dev:
        assert dev.library is fresh
        assert dev.query("*IDN?") == SIM_IDN
        assert dev.query_bytes("SIZE 5000") == b"x" * 5000  # larger than the reply buffer
        assert dev.unsolicited_count == 0
        dev.write("LINES 2")
        assert dev.read() == "line1"
        assert dev.read_bytes() == b"line2"
        assert dev.read_available() == b""
        dev.write_raw(b"LINES 2\n")
        assert dev.read_n(6) == b"line1\n"
        assert dev.read_n(99, stop=b"\n") == b"line2\n"
        dev.timeout = 0.3
        assert dev.timeout == 0.3
        with pytest.raises(serialcmd.TimeoutError):
            dev.query("SILENT")
        # A pseudo-terminal has no modem lines; a break succeeds there.
        dev.send_break(0.01)
        with pytest.raises(serialcmd.UnsupportedError):
            dev.dtr = True
        with pytest.raises(serialcmd.UnsupportedError):
            dev.rts = False
        with pytest.raises(serialcmd.UnsupportedError):
            dev.cts
    scope = sim("scope").path
    with serialcmd.Client(f"{scope}?profile=scope&check_errors=1") as dev:
        dev.write_binary_values(":WAV:UPLOAD ", [1, 2, 3], datatype="B")
        assert dev.query_binary_values(":WAV:DATA?", datatype="B") == [1, 2, 3]
        with pytest.raises(serialcmd.InstrumentError) as info:
            dev.write(":TIM:SCAL 100")
        assert info.value.instrument_code == -222
        assert dev.stale_errors == []
    # One fake USB port, so list_ports() reads every field of a port.
    fake_usb_port(tmp_path)
    monkeypatch.setenv("SERIALCMD_SYSFS_ROOT", str(tmp_path))
    [port] = serialcmd.list_ports()
    assert (port.device, port.usb_id, port.serial_number, port.product) == ("/dev/ttyUSB9", "0403:6001", "S1", "P")
    serialcmd.find("arduino")
    unused = sorted(name for name, n in counts.items() if n == 0)
    assert unused == []


def test_spec_keys_match_the_library(lib):
    """The package's keyword list is the library's, key for key, so a key
    added to the C option table is a keyword at once; each key's kind
    decides how make_spec() writes its value."""
    from serialcmd import _spec

    # const char *client_spec_keys(void);
    keys = lib.dll.client_spec_keys
    keys.restype, keys.argtypes = ctypes.c_char_p, []
    assert tuple(keys().decode().split(",")) == _spec.SPEC_KEYS
    assert _spec.KEYWORDS == _spec.SPEC_KEYS + ("timeout",)
    types = _spec.key_types()
    assert types["exclusive"] == "bool" and types["read_eol"] == "eol" and types["baud"] == "uint"
    assert set(types.values()) <= {"uint", "bool", "tri", "word", "eol", "text", "list", "profile"}
    with pytest.raises(serialcmd.Error, match="unknown key 'speed'"):
        lib.spec_key_type("speed")
