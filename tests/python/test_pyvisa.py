# SPDX-License-Identifier: MIT
"""The PyVISA backend (python/pyvisa_serialcmd): the same PyVISA code on
ResourceManager('@serialcmd') and on '@py' (pyvisa-py), against the
simulator of every shipped profile, gives the same results."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Dict

import pytest

pyvisa = pytest.importorskip("pyvisa")
from pyvisa import constants, errors  # noqa: E402
from pyvisa.constants import ResourceAttribute as RA  # noqa: E402
from pyvisa.constants import StatusCode as SC  # noqa: E402

from serialcmd_testlib import ROOT, SIM_IDN, fake_usb_port  # noqa: E402

BACKENDS = ["@serialcmd", "@py"]

# Per profile: terminations, and the code to run (same on both backends).
PROFILES: Dict[str, Dict[str, Any]] = {
    "arduino": dict(rt="\n", wt="\n", idn="ID?", loop=["PING", "LED 1", "LED?", "LED 0", "LED?"]),
    "at-modem": dict(rt="\r\n", wt="\r", idn="ATI", loop=["AT", "AT+CSQ"]),
    "faulty": dict(rt="\n", wt="\n", idn="*IDN?", loop=["*IDN?"] * 5),
    "generic-scpi": dict(rt="\n", wt="\n", idn="*IDN?", loop=["VOLT 1.5", "VOLT?", "VOLT 2.25", "VOLT?", "*OPC?"],
                         ascii="VOLT?"),
    "keithley2000": dict(rt="\n", wt="\n", idn="*IDN?", loop=["*CLS", "*IDN?"], ascii=":MEAS:VOLT:DC?"),
    "keysight34401a": dict(rt="\r\n", wt="\n", idn="*IDN?", loop=["*CLS", "*IDN?"], ascii="MEAS:VOLT:DC?"),
    "rigol-dp800": dict(rt="\n", wt="\n", idn="*IDN?",
                        loop=[":SOUR1:VOLT 1.5", ":SOUR1:VOLT?", ":SOUR1:CURR 0.5", ":SOUR1:CURR?"],
                        ascii=":SOUR1:VOLT?"),
    "scope": dict(rt="\n", wt="\n", idn="*IDN?", loop=[":TIM:SCAL 0.002", ":TIM:SCAL?"],
                  ascii=":WAV:DATA:ASCII?",
                  binary=[(":WAV:DATA?", "B", False), (":WAV2:DATA?", "f", False), (":WAV3:DATA?", "h", True)]),
    "loopback": dict(rt="\n", wt="\n", idn="hello", loop=["one", "two", "three"]),
}

# The AT modem echoes and sends RING/+CREG: unasked: skip those lines, on
# both backends alike (serialcmd's own Client does it with echo=/unsolicited=).
AT_NOISE = ("RING", "+CREG:")


def _reply(r: Any, profile: str, cmd: str) -> str:
    r.write(cmd)
    if profile == "at-modem":
        while True:
            line = r.read()
            if line and line != cmd and not line.startswith(AT_NOISE):
                return line
    if "?" in cmd or profile in ("loopback", "arduino"):
        return r.read()
    return ""


def exercise(backend: str, path: str, profile: str) -> Dict[str, Any]:
    """Run the same PyVISA code on one backend; return what it saw."""
    p = PROFILES[profile]
    rm = pyvisa.ResourceManager(backend)
    out: Dict[str, Any] = {}
    try:
        r = rm.open_resource(f"ASRL{path}::INSTR", read_termination=p["rt"], write_termination=p["wt"],
                             timeout=3000)
        try:
            out["terminations"] = (r.read_termination, r.write_termination,
                                   r.get_visa_attribute(RA.termchar), r.get_visa_attribute(RA.termchar_enabled))
            out["serial"] = (r.baud_rate, r.data_bits, r.parity, r.stop_bits, r.flow_control, r.end_input)
            out["timeout"] = r.timeout
            out["idn"] = _reply(r, profile, p["idn"])
            out["loop"] = [_reply(r, profile, cmd) for cmd in p["loop"]]
            if "ascii" in p:
                values = r.query_ascii_values(p["ascii"])
                # Instruments with noise: the count and rough size compare.
                out["ascii"] = [round(v, 2) for v in values]
            for cmd, datatype, big in p.get("binary", []):
                out[cmd] = r.query_binary_values(cmd, datatype=datatype, is_big_endian=big)
            if profile == "scope":
                r.write_binary_values(":WAV:UPLOAD ", [1, 2, 3, 250], datatype="B")
                out["upload"] = r.query_binary_values(":WAV:DATA?", datatype="B")
            r.read_termination = None
            out["no_read_termination"] = (r.read_termination, r.get_visa_attribute(RA.termchar),
                                          r.get_visa_attribute(RA.termchar_enabled))
        finally:
            r.close()
    finally:
        rm.close()
    return out


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_same_results_on_both_backends(sim, profile):
    results = {b: exercise(b, sim(profile).path, profile) for b in BACKENDS}
    ours, theirs = results["@serialcmd"], results["@py"]
    assert ours == theirs
    assert ours["idn"]
    assert ours["timeout"] == 3000
    assert ours["terminations"][2] == ord(PROFILES[profile]["rt"][-1])
    if profile == "faulty":
        assert ours["idn"] == SIM_IDN
    if profile == "scope":
        assert len(ours[":WAV:DATA?"]) == 1200
        assert ours["upload"] == [1, 2, 3, 250]


@pytest.mark.parametrize("backend", BACKENDS)
def test_timeout_same_exception(faulty, backend):
    rm = pyvisa.ResourceManager(backend)
    r = rm.open_resource(f"ASRL{faulty}::INSTR", read_termination="\n", write_termination="\n")
    try:
        r.timeout = 200
        assert r.timeout == 200
        t0 = time.monotonic()
        with pytest.raises(errors.VisaIOError) as info:
            r.query("SILENT")
        assert info.value.error_code == SC.error_timeout
        assert time.monotonic() - t0 < 2.0
        assert r.query("*IDN?") == SIM_IDN
    finally:
        r.close()
        rm.close()


def test_timeout_message_keeps_serialcmds_text(faulty):
    rm = pyvisa.ResourceManager("@serialcmd")
    r = rm.open_resource(f"ASRL{faulty}::INSTR", read_termination="\n", write_termination="\n", timeout=150)
    try:
        with pytest.raises(errors.VisaIOError) as info:
            r.query("SILENT")
        text = str(info.value)
        assert "VI_ERROR_TMO" in text
        assert faulty in text and "timeout after 150 ms" in text and 'terminator "\\n"' in text
        assert rm.visalib.last_status == SC.error_timeout
    finally:
        r.close()
        rm.close()


@pytest.fixture
def rm():
    manager = pyvisa.ResourceManager("@serialcmd")
    yield manager
    manager.close()


def test_open_errors(rm, faulty, tmp_path):
    missing = str(tmp_path / "nope")
    with pytest.raises(errors.VisaIOError) as info:
        rm.open_resource(f"ASRL{missing}::INSTR")
    assert info.value.error_code == SC.error_resource_not_found
    assert missing in str(info.value)
    r = rm.open_resource(f"ASRL{faulty}::INSTR")
    try:
        # serialcmd locks the port: a second open fails as busy.
        with pytest.raises(errors.VisaIOError) as info:
            rm.open_resource(f"ASRL{faulty}::INSTR")
        assert info.value.error_code == SC.error_resource_busy
    finally:
        r.close()
    with pytest.raises(errors.VisaIOError) as info:
        rm.open_resource(f"ASRL{faulty}?baud=fast::INSTR")
    assert info.value.error_code == SC.error_invalid_resource_name
    assert "baud" in str(info.value)
    with pytest.raises(errors.VisaIOError) as info:
        rm.open_resource("GPIB0::12::INSTR")
    assert info.value.error_code == SC.error_nonsupported_operation


def test_device_gone(rm, sim):
    s = sim("faulty")
    r = rm.open_resource(f"ASRL{s.path}::INSTR", read_termination="\n", write_termination="\n")
    try:
        assert r.query("*IDN?") == SIM_IDN
        s.stop()
        with pytest.raises(errors.VisaIOError) as info:
            r.query("*IDN?")
        assert info.value.error_code in (SC.error_connection_lost,)
    finally:
        r.close()


def test_reads(rm, faulty):
    r = rm.open_resource(f"ASRL{faulty}::INSTR", read_termination="\n", write_termination="\n")
    try:
        r.write("LINES 3")
        assert r.read_bytes(6) == b"line1\n"
        # read_raw keeps the termination; read() strips it.
        assert r.read_raw() == b"line2\n"
        assert r.read() == "line3"
        r.write("LINES 2")
        time.sleep(0.2)
        r.clear()  # unread input dropped
        assert r.query("*IDN?") == SIM_IDN
        r.write("LINES 2")
        time.sleep(0.2)
        r.flush(constants.BufferOperation.discard_read_buffer)
        assert r.query("*IDN?") == SIM_IDN
        r.flush(constants.BufferOperation.flush_write_buffer)
        with pytest.raises(errors.VisaIOError) as info:
            r.flush(0)
        assert info.value.error_code == SC.error_invalid_mask
        # PyVISA's own resource-level attributes work as they do anywhere.
        r.query_delay = 0.05
        r.chunk_size = 4
        assert r.query("*IDN?") == SIM_IDN
    finally:
        r.close()


def test_attributes(rm, sim):
    s = sim("generic-scpi")
    r = rm.open_resource(f"ASRL{s.path}::INSTR", read_termination="\n", write_termination="\n")
    try:
        assert (r.baud_rate, r.data_bits, r.parity, r.stop_bits, r.flow_control) == (
            9600, 8, constants.Parity.none, constants.StopBits.one, constants.ControlFlow.none)
        # A new setting reopens the port with it; the session goes on.
        # (Parity is left alone: reopening a pty with another parity fails
        # now and then with EINVAL from tcsetattr.)
        r.baud_rate = 115200
        r.stop_bits = constants.StopBits.two
        r.flow_control = constants.ControlFlow.xon_xoff
        assert (r.baud_rate, r.data_bits, r.parity, r.stop_bits, r.flow_control) == (
            115200, 8, constants.Parity.none, constants.StopBits.two, constants.ControlFlow.xon_xoff)
        r.parity = constants.Parity.none  # the same value: nothing reopened
        r.stop_bits = constants.StopBits.one
        r.flow_control = constants.ControlFlow.none
        r.timeout = 700
        assert r.query("*IDN?").startswith("SERIALCMD,GENERIC-SCPI")
        assert r.timeout == 700  # kept across the reopens
        assert r.interface_type == constants.InterfaceType.asrl
        assert r.resource_name == f"ASRL{s.path}::INSTR"
        r.timeout = None
        assert r.timeout == float("inf")
        r.timeout = 0
        assert r.timeout == 0
        r.timeout = 2000
        # Not supported: PyVISA's own status, not a silent no-op.
        for attr, value, status in [
            ("stop_bits", constants.StopBits.one_and_a_half, SC.error_nonsupported_attribute_state),
            ("end_input", constants.SerialTermination.last_bit, SC.error_nonsupported_attribute_state),
            ("end_output", constants.SerialTermination.termination_break, SC.error_nonsupported_attribute_state),
            ("discard_null", True, SC.error_nonsupported_attribute),
            ("break_length", 0, SC.error_nonsupported_attribute_state),
            ("break_length", 501, SC.error_nonsupported_attribute_state),
        ]:
            with pytest.raises(errors.VisaIOError) as info:
                setattr(r, attr, value)
            assert info.value.error_code == status, attr
        with pytest.raises(errors.VisaIOError) as info:
            r.bytes_in_buffer  # noqa: B018
        assert info.value.error_code == SC.error_nonsupported_attribute
        # end_output=termination_char: the termchar goes after each write.
        r.write_termination = ""
        r.end_output = constants.SerialTermination.termination_char
        assert r.query("*IDN?").startswith("SERIALCMD,GENERIC-SCPI")
        # A pty has no framing: 7 data bits are taken (Linux keeps it at 8).
        r.data_bits = 7
        assert r.data_bits == 7
        assert r.query("*IDN?").startswith("SERIALCMD,GENERIC-SCPI")
        r.data_bits = 8
        # A reopen that fails (12345 is no termios rate) says why, and the
        # session stays on the settings it had.
        with pytest.raises(errors.VisaIOError) as info:
            r.baud_rate = 12345
        assert "12345" in str(info.value)
        assert r.baud_rate == 115200
        assert r.query("*IDN?").startswith("SERIALCMD,GENERIC-SCPI")
    finally:
        r.close()


def test_line_states(rm, faulty):
    """VISA's control-line and break attributes go to serialcmd's calls. A
    pty has no modem lines: the driven ones refuse to change, with
    serialcmd's reason, and the read ones are VISA's "unknown"."""
    r = rm.open_resource(f"ASRL{faulty}::INSTR", read_termination="\n", write_termination="\n")
    try:
        assert r.get_visa_attribute(RA.asrl_dtr_state) == constants.LineState.unknown  # never set
        for attr in (RA.asrl_dtr_state, RA.asrl_rts_state):
            with pytest.raises(errors.VisaIOError) as info:
                r.set_visa_attribute(attr, constants.LineState.asserted)
            assert info.value.error_code == SC.error_nonsupported_attribute_state
            assert "pseudo-terminal" in str(info.value)
            with pytest.raises(errors.VisaIOError):
                r.set_visa_attribute(attr, constants.LineState.unknown)
        for attr in (RA.asrl_cts_state, RA.asrl_dsr_state, RA.asrl_dcd_state, RA.asrl_ri_state):
            assert r.get_visa_attribute(attr) == constants.LineState.unknown
        # A break: break_length long, sent whole (a pty takes TIOCSBRK).
        assert r.break_length == 250
        r.break_length = 20
        assert r.break_length == 20
        r.break_state = constants.LineState.asserted
        assert r.break_state == constants.LineState.unasserted
        assert r.query("*IDN?") == SIM_IDN
    finally:
        r.close()


def test_lock(rm, faulty):
    r = rm.open_resource(f"ASRL{faulty}?exclusive=0::INSTR", read_termination="\n", write_termination="\n")
    other = rm.open_resource(f"ASRL{faulty}?exclusive=0::INSTR")
    try:
        other.close()
        r.lock_excl()
        assert r.lock_state == constants.AccessModes.exclusive_lock
        with pytest.raises(errors.VisaIOError) as info:
            rm.open_resource(f"ASRL{faulty}::INSTR")
        assert info.value.error_code == SC.error_resource_busy
        assert r.query("*IDN?") == SIM_IDN
        r.unlock()
        assert r.lock_state == constants.AccessModes.no_lock
        with pytest.raises(errors.VisaIOError) as info:
            r.unlock()
        assert info.value.error_code == SC.error_session_not_locked
        second = rm.open_resource(f"ASRL{faulty}::INSTR")
        second.close()
        with pytest.raises(errors.VisaIOError) as info:
            r.lock(requested_key="shared")
        assert info.value.error_code == SC.error_nonsupported_operation
    finally:
        r.close()


def test_serialcmd_port_forms(rm, sim):
    s = sim("arduino")
    # A profile's settings through the name: the spec's options after '?'.
    r = rm.open_resource(f"ASRL{s.path}?profile=arduino&open_delay_ms=0::INSTR", read_termination="\n",
                         write_termination="\n")
    try:
        assert r.baud_rate == 115200  # from the profile
        assert r.query("ID?") == "ARDUINO,sketch,1.0"
    finally:
        r.close()
    with pytest.raises(errors.VisaIOError) as info:
        rm.open_resource("ASRLusb:ffff:fffe::INSTR")
    assert info.value.error_code == SC.error_resource_not_found
    assert "ffff:fffe" in str(info.value)


def _tcp_server(replies: Dict[bytes, bytes]):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            buf = b""
            with conn:
                while True:
                    data = conn.recv(4096)
                    if not data:
                        break
                    buf += data
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        conn.sendall(replies.get(line, b"?\n"))

    threading.Thread(target=serve, daemon=True).start()
    return srv


@pytest.mark.parametrize("backend", BACKENDS)
def test_tcpip_socket(backend):
    srv = _tcp_server({b"*IDN?": b"TCP,SIM,1,0\n"})
    port = srv.getsockname()[1]
    manager = pyvisa.ResourceManager(backend)
    try:
        r = manager.open_resource(f"TCPIP::127.0.0.1::{port}::SOCKET", read_termination="\n",
                                  write_termination="\n", timeout=2000)
        try:
            assert r.query("*IDN?") == "TCP,SIM,1,0"
            assert r.query("other") == "?"
        finally:
            r.close()
    finally:
        manager.close()
        srv.close()


def test_list_resources(rm, tmp_path, monkeypatch):
    # One fake USB port in a fake sysfs: listed, and nothing opened.
    fake_usb_port(tmp_path)
    monkeypatch.setenv("SERIALCMD_SYSFS_ROOT", str(tmp_path))
    assert rm.list_resources() == ("ASRL/dev/ttyUSB9::INSTR",)
    assert rm.list_resources("ASRL?*USB?*::INSTR") == ("ASRL/dev/ttyUSB9::INSTR",)
    assert rm.list_resources("TCPIP?*") == ()


def test_pymeasure_keithley2000(sim):
    """PyMeasure's driver over VISAAdapter(visa_library='@serialcmd').
    What needs the simulator's SCPI work (compound messages, :SENS
    commands) is not asserted here."""
    adapters = pytest.importorskip("pymeasure.adapters")
    from pymeasure.instruments.keithley import Keithley2000

    class Adapter(adapters.VISAAdapter):
        def config(self, **kwargs: Any) -> None:
            """PyMeasure 0.9's Keithley2000.__init__ calls
            adapter.config(), which its VISAAdapter lacks."""

    s = sim("keithley2000")
    adapter = Adapter(f"ASRL{s.path}::INSTR", visa_library="@serialcmd", read_termination="\n",
                      write_termination="\n", timeout=2000)
    try:
        dmm = Keithley2000(adapter)
        assert dmm.id == "KEITHLEY INSTRUMENTS INC.,MODEL 2000,1234567,A19  /A02"
        dmm.reset()
        dmm.clear()
        assert dmm.values(":MEAS:VOLT:DC?")[0] == pytest.approx(1.234567, abs=1e-3)
    finally:
        adapter.connection.close()


def test_debug_info():
    from pyvisa_serialcmd import WRAPPER_CLASS

    info = WRAPPER_CLASS.get_debug_info()
    assert info["Library"].endswith("libserialcmd.so.1")
    assert str(ROOT) in info["Library"]
