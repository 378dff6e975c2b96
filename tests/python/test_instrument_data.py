# SPDX-License-Identifier: MIT
"""Instrument data against the simulated scope: IEEE 488.2 blocks both ways,
numeric lists, PyVISA-compatible methods (checked against pyvisa-py on the
same simulator), the error-queue check, reconnect after a hang-up, and
ports named by USB identity."""

from __future__ import annotations

import os
import struct
import termios
import time

import pytest

import serialcmd

CH1 = [(i * 7) % 256 for i in range(1200)]


@pytest.fixture
def scope(sim):
    return sim("scope").path


def open_pyvisa(port):
    import pyvisa

    rm = pyvisa.ResourceManager("@py")
    inst = rm.open_resource(f"ASRL{port}::INSTR")
    inst.baud_rate = 115200
    inst.read_termination = "\n"
    inst.write_termination = "\n"
    inst.timeout = 5000
    return rm, inst


def test_binary_values_match_pyvisa(scope):
    with serialcmd.Client(f"{scope}?profile=scope") as dev:
        ours_b = dev.query_binary_values(":WAV:DATA?", datatype="B")
        ours_f = dev.query_binary_values(":WAV2:DATA?", datatype="f")
        ours_h = dev.query_binary_values(":WAV3:DATA?", datatype="h", is_big_endian=True, container=tuple)
        raw = dev.query_block(":WAV:DATA?")
    assert ours_b == CH1
    assert 0x0A in raw and len(raw) == 1200  # the terminator's byte is inside the block
    assert len(ours_f) == 500 and max(ours_f) == pytest.approx(2.5, abs=1e-3)
    assert isinstance(ours_h, tuple) and len(ours_h) == 300
    rm, inst = open_pyvisa(scope)
    try:
        assert inst.query_binary_values(":WAV:DATA?", datatype="B") == ours_b
        assert inst.query_binary_values(":WAV2:DATA?", datatype="f") == ours_f
        assert tuple(inst.query_binary_values(":WAV3:DATA?", datatype="h", is_big_endian=True)) == ours_h
    finally:
        inst.close()
        rm.close()


def test_ascii_values_match_binary_and_pyvisa(scope):
    with serialcmd.Client(f"{scope}?profile=scope") as dev:
        ints = dev.query_ascii_values(":WAV:DATA:ASCII?", converter="d")
        floats = dev.query_ascii_values(":WAV2:DATA:ASCII?")
        binary = dev.query_binary_values(":WAV2:DATA?", datatype="f")
        words = dev.query_ascii_values("*IDN?", converter="s")
    assert ints == CH1
    assert floats == pytest.approx(binary, rel=1e-6, abs=1e-6)
    assert words == ["SERIALCMD", "SIM-SCOPE", "SC0001", "1.0"]
    rm, inst = open_pyvisa(scope)
    try:
        assert inst.query_ascii_values(":WAV:DATA:ASCII?", converter="d") == ints
        assert inst.query_ascii_values(":WAV2:DATA:ASCII?") == floats
    finally:
        inst.close()
        rm.close()


def test_numpy_container(scope):
    numpy = pytest.importorskip("numpy")
    with serialcmd.Client(f"{scope}?profile=scope") as dev:
        a = dev.query_binary_values(":WAV:DATA?", datatype="B", container=numpy.array)
        b = dev.query_ascii_values(":WAV2:DATA:ASCII?", container=numpy.ndarray)
    assert isinstance(a, numpy.ndarray) and a.dtype == numpy.uint8 and list(a) == CH1
    assert isinstance(b, numpy.ndarray) and b.shape == (500,)


def test_write_binary_values_round_trip(scope):
    with serialcmd.Client(f"{scope}?profile=scope") as dev:
        up = [10, 13, 0, 255, 10, 10]
        assert dev.write_binary_values(":WAV:UPLOAD ", up, datatype="B") == 6
        assert dev.query_binary_values(":WAV:DATA?", datatype="B") == up
        wave = [0.5, -1.25, 3.0e3, 1e-9]
        dev.write_binary_values(":WAV2:UPLOAD ", wave, datatype="f")
        assert dev.query_binary_values(":WAV2:DATA?", datatype="f") == pytest.approx(wave, rel=1e-6)
        numpy = pytest.importorskip("numpy")
        dev.write_binary_values(":WAV2:UPLOAD ", numpy.array([1.0, 2.0]), datatype="f")
        assert dev.query_binary_values(":WAV2:DATA?", datatype="f") == [1.0, 2.0]


def test_ten_megabyte_block_exact(scope):
    with serialcmd.Client(f"{scope}?profile=scope&timeout_ms=60000") as dev:
        data = dev.query_block(":WAV:DEEP?")
        assert dev.query("*IDN?").startswith("SERIALCMD,SIM-SCOPE")
    assert len(data) == 10_000_000
    expected = bytes((i * 7) % 256 for i in range(256)) * (10_000_000 // 256 + 1)
    assert data == expected[:10_000_000]


def test_block_errors(scope):
    with serialcmd.Client(f"{scope}?profile=scope&max_reply=1000") as dev:
        with pytest.raises(serialcmd.BlockError, match="holds no block"):
            dev.query_block("*IDN?")
        with pytest.raises(serialcmd.ReplyTooLongError, match="announces 1200 bytes"):
            dev.query_block(":WAV:DATA?")
        # The long block was skipped: the next answer is clean.
        assert dev.query("*IDN?").startswith("SERIALCMD")
        dev.write_binary_values(":WAV:UPLOAD ", [1, 2, 3, 4, 5, 6], datatype="B")
        with pytest.raises(ValueError, match="6 bytes, not a whole number of 'f' values"):
            dev.query_binary_values(":WAV:DATA?", datatype="f")
        with pytest.raises(ValueError, match="holds 6 values, not the 5 expected"):
            dev.query_binary_values(":WAV:DATA?", datatype="B", data_points=5)
        with pytest.raises(ValueError, match="field 1 of 4 does not convert"):
            dev.query_ascii_values("*IDN?", converter="f")


def test_check_errors_from_profile(scope):
    with serialcmd.Client(f"{scope}?profile=scope&check_errors=1&timeout_ms=1000") as dev:
        dev.write(":TIM:SCAL 0.002")
        assert dev.query(":TIM:SCAL?") == "+2.000000E-03"
        with pytest.raises(serialcmd.InstrumentError) as info:
            dev.write(":TIM:SCAL 99")
        assert info.value.instrument_code == -222
        assert 'after ":TIM:SCAL 99": -222,"Data out of range"' in str(info.value)
        # An unknown query gets no answer; the error queue says why.
        with pytest.raises(serialcmd.InstrumentError) as info:
            dev.query("BOGUS?")
        assert info.value.instrument_code == -113
        assert "no reply" in str(info.value)
        assert dev.query(":TIM:SCAL?") == "+2.000000E-03"
    # Off by default: the same mistakes pass silently.
    with serialcmd.Client(f"{scope}?profile=scope") as dev:
        dev.write(":TIM:SCAL 99")


def test_reconnect_after_hangup(sim, tmp_path):
    link = tmp_path / "scope"
    sim("faulty", "--link", str(link))
    with serialcmd.Client(f"{link}?profile=faulty&reconnect=1&baud=19200&timeout_ms=3000") as dev:
        assert dev.query("*IDN?").startswith("serialcmd")
        with pytest.raises(serialcmd.DeviceGoneError):
            dev.query("HANGUP bye")
        # Plugged back in: a new pty at the same path.
        new = sim("faulty", "--link", str(link))
        assert dev.query("*IDN?").startswith("serialcmd")
        # Settings restored on the new port.
        assert termios.tcgetattr(os.open(new.path, os.O_RDONLY | os.O_NOCTTY | os.O_CLOEXEC))[4] == termios.B19200
    with serialcmd.Client(f"{link}?profile=faulty&timeout_ms=3000") as dev:
        with pytest.raises(serialcmd.DeviceGoneError):
            dev.query("HANGUP bye")
        sim("faulty", "--link", str(link))
        with pytest.raises(serialcmd.DeviceGoneError, match="reconnect=1"):
            dev.query("*IDN?")


def test_reconnect_gives_up_at_the_deadline(sim, tmp_path):
    link = tmp_path / "gone"
    sim("faulty", "--link", str(link))
    with serialcmd.Client(f"{link}?profile=faulty&reconnect=1&timeout_ms=300") as dev:
        with pytest.raises(serialcmd.DeviceGoneError):
            dev.query("HANGUP bye")
        t0 = time.monotonic()
        with pytest.raises(serialcmd.DeviceGoneError, match="reconnecting failed before the deadline"):
            dev.query("*IDN?")
        assert time.monotonic() - t0 < 3


# ---- ports by USB identity, on a fake sysfs ----

@pytest.fixture
def fake_usb(tmp_path, monkeypatch):
    """Make fake USB serial ports: add(name, vid, pid, serial, target)."""
    made = []
    cls = tmp_path / "class/tty"
    cls.mkdir(parents=True)
    monkeypatch.setenv("SERIALCMD_SYSFS_ROOT", str(tmp_path))

    def add(vid, pid, serial, target=None):
        name = f"serialcmd-test-{os.getpid()}-{len(made)}"
        usb = tmp_path / f"devices/usb1/1-{len(made) + 1}"
        tty = usb / f"1-{len(made) + 1}:1.0/tty/{name}"
        tty.mkdir(parents=True)
        for k, v in {"idVendor": f"{vid:04x}", "idProduct": f"{pid:04x}", "serial": serial,
                     "manufacturer": "Test", "product": "Fake adapter"}.items():
            (usb / k).write_text(v + "\n")
        (usb / f"1-{len(made) + 1}:1.0" / "bInterfaceNumber").write_text("00\n")
        (tty / "device").symlink_to(usb / f"1-{len(made) + 1}:1.0")
        (cls / name).symlink_to(tty)
        dev = f"/dev/{name}"
        if target:
            os.symlink(target, dev)
        made.append(dev)
        return dev

    yield add
    for dev in made:
        if os.path.lexists(dev):
            os.unlink(dev)


def test_usb_port_resolves_to_its_tty(sim, fake_usb):
    port = sim("arduino").path
    fake_usb(0x1A86, 0x7523, "CH340-A1", port)
    fake_usb(0x0403, 0x6001, "FT1", None)
    with serialcmd.Client("usb:1a86:7523:CH340-A1?profile=arduino&open_delay_ms=0") as dev:
        assert dev.query("PING") == "PONG"
    with serialcmd.Client("usb:1a86:7523?profile=arduino&open_delay_ms=0") as dev:
        assert dev.query("PING") == "PONG"
    with pytest.raises(serialcmd.PortNotFoundError) as info:
        serialcmd.Client("usb:1a86:7523:OTHER")
    assert "no USB serial port with these ids" in str(info.value)
    assert "1a86:7523 serial 'CH340-A1'" in str(info.value)
    with pytest.raises(serialcmd.OptionError, match="usb:VID:PID"):
        serialcmd.Client("usb:1a86")


def test_usb_port_ambiguous(fake_usb):
    fake_usb(0x0403, 0x6001, "A")
    fake_usb(0x0403, 0x6001, "B")
    with pytest.raises(serialcmd.PortNotFoundError, match="2 ports match; add the serial number"):
        serialcmd.Client("usb:0403:6001")


def test_list_ports_and_find(sim, fake_usb):
    port = sim("arduino").path
    dev = fake_usb(0x2341, 0x0043, "UNO1", port)
    fake_usb(0x0403, 0x6001, "FT1")
    ports = serialcmd.list_ports()
    assert [p.device for p in ports] == sorted(p.device for p in ports)
    uno = [p for p in ports if p.device == dev][0]
    assert (uno.vid, uno.pid, uno.serial_number, uno.usb_id) == (0x2341, 0x0043, "UNO1", "2341:0043")
    assert uno.transport == "usb" and uno.product == "Fake adapter" and uno.interface == 0
    assert [p.device for p in serialcmd.find("arduino")] == [dev]
    assert serialcmd.find("keithley2000") == []
    found = serialcmd.find("arduino", identify=True)
    assert [p.device for p in found] == [dev]
    with pytest.raises(serialcmd.OptionError, match="not found"):
        serialcmd.find("no-such-profile")
