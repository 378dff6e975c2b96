# SPDX-License-Identifier: MIT
"""serialcmd-sim's SCPI message rules (issue 17): compound messages, the
SCPI-99 path rules, short and long forms, optional nodes, numeric suffixes,
channels and common commands, each against the simulator on a real pty
through the library (the Python package)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import serialcmd
from serialcmd_testlib import ROOT

SIM_BIN = ROOT / "devices" / "sim" / "serialcmd-sim"

# A small SCPI instrument with two channels, written for these tests.
PROFILE = """\
description = SCPI rules test instrument
eol = LF
timeout_ms = 2000
queries = scpi

[sim]
channels = 2

[dialogue]
*IDN? => SERIALCMD,SCPI-TEST,1,1.0
:DISPlay:TEXT[:DATA] <any> =>

[property range]
get = [:SENSe[<n>]]:VOLTage[:DC]:RANGe[:UPPer]?
set = [:SENSe[<n>]]:VOLTage[:DC]:RANGe[:UPPer]
default = 10
min = 0
max = 1000
digits = 1
error = -222,"Data out of range"

[property auto]
get = [:SENSe[<n>]]:VOLTage[:DC]:RANGe:AUTO?
set = [:SENSe[<n>]]:VOLTage[:DC]:RANGe:AUTO
default = ON
valid = ON,OFF
error = -224,"Illegal parameter value"

[property level]
get = [:SOURce[<n>]]:VOLTage[:LEVel][:IMMediate]?
set = [:SOURce[<n>]]:VOLTage[:LEVel][:IMMediate]
per_channel = 1
default = 0
min = 0
max = 30
digits = 2
error = -222,"Data out of range"

[property output]
get = :OUTPut[:STATe]? CH<n> | :OUTPut[:STATe]?
set = :OUTPut[:STATe] CH<n>, | :OUTPut[:STATe]
per_channel = 1
default = OFF
valid = ON,OFF
error = -224,"Illegal parameter value"

[property measured]
get = :MEASure[:VOLTage]? CH<n> | :MEASure[:VOLTage]?
source = level
per_channel = 1
digits = 2

[errors]
query = :SYST:ERR?
none = 0,"No error"
unknown = -113,"Undefined header"
"""


@pytest.fixture
def short_dir():
    """A directory with a short path: a profile path is at most 63 bytes."""
    d = tempfile.mkdtemp(prefix="sc17")
    yield Path(d)
    shutil.rmtree(d)


@pytest.fixture
def dev(sim, short_dir):
    path = short_dir / "scpi-test.profile"
    path.write_text(PROFILE)
    port = sim(str(path)).path
    with serialcmd.Client(f"{port}?profile={path}") as c:
        yield c


def errors(dev) -> list:
    """Pop the whole error queue."""
    out = []
    while True:
        e = dev.query(":SYST:ERR?")
        if e == '0,"No error"':
            return out
        out.append(e)
        assert len(out) < 40


def test_short_long_and_any_case(dev):
    dev.write(":SENS:VOLT:DC:RANG 20")
    for q in (":SENSe:VOLTage:DC:RANGe?", ":sens:volt:rang?", "VOLT:RANG?", ":Sense:Voltage:Dc:Range:Upper?",
              ":SENSE1:VOLT:RANGE:UPP?", "sense:voltage:range?"):
        assert dev.query(q) == "20.0", q
    assert errors(dev) == []
    # Neither the short nor the long form: a part of the long form, or more.
    for bad in (":SENSE:VOLTA:RANG 5", ":SEN:VOLT:RANG 5", ":SENS:VOLT:RANGES 5", ":SENS:VOLT:DC:DC:RANG 5",
                ":SENS:RANG 5"):
        dev.write(bad)
        assert errors(dev) == ['-113,"Undefined header"'], bad
    assert dev.query(":SENS:VOLT:RANG?") == "20.0"


def test_optional_nodes_and_suffixes(dev):
    dev.write(":SOURce:VOLTage:LEVel:IMMediate 1.5")
    assert dev.query(":VOLT?") == "1.50"
    assert dev.query(":SOUR1:VOLT:LEV?") == "1.50"
    assert dev.query("volt:imm?") == "1.50"
    dev.write("VOLTAGE:IMM 2")  # a node may be left out anywhere it is optional
    assert dev.query(":SOURCE1:VOLTAGE:LEVEL:IMMEDIATE?") == "2.00"
    assert errors(dev) == []
    # A suffix only where the pattern has [<n>]; its order is fixed.
    for bad in (":SOUR:VOLT1:LEV?", ":VOLT:IMM:LEV?", ":SOUR:LEV?"):
        dev.write(bad)
        assert errors(dev) == ['-113,"Undefined header"'], bad


def test_compound_messages_reply_in_one_line(dev):
    dev.write(":SENS:VOLT:RANG:AUTO OFF;:SENS:VOLT:RANG 100")
    assert dev.query(":SENS:VOLT:RANG?;:SENS:VOLT:RANG:AUTO?") == "100.0;OFF"
    assert dev.query("*CLS;*IDN?") == "SERIALCMD,SCPI-TEST,1,1.0"
    assert dev.query("*IDN?;:VOLT?;*OPC?") == "SERIALCMD,SCPI-TEST,1,1.0;0.00;1"
    # Nothing is left over: the next query gets its own answer.
    assert dev.query(":SENS:VOLT:RANG?") == "100.0"
    # Empty commands and a final ';' are nothing; ';' inside quotes is text.
    assert dev.query(';;:DISP:TEXT "a;b;c";*OPC?;') == "1"
    assert errors(dev) == []
    # A command error ends the message: what came before it ran, not after.
    dev.write(":SENS:VOLT:RANG 200;:BOGUS;:SENS:VOLT:RANG 300")
    assert dev.query(":SENS:VOLT:RANG?") == "200.0"
    assert errors(dev) == ['-113,"Undefined header"']
    # SCPI's numeric keywords set a limit or the default.
    assert dev.query(":SENS:VOLT:RANG MAX;RANG?;RANG minimum;RANG?;RANG DEF;RANG?") == "1000.0;0.0;10.0"
    dev.write(":SENS:VOLT:RANG 200")
    # An execution error does not: the value is refused, the rest runs.
    dev.write(":SENS:VOLT:RANG 5000;:SENS:VOLT:RANG:AUTO ON")
    assert dev.query(":SENS:VOLT:RANG?;RANG:AUTO?") == "200.0;ON"
    assert errors(dev) == ['-222,"Data out of range"']


def test_path_rules(dev):
    # Without a leading ':' a header continues the previous one's path (the
    # header up to its last node); with one it starts at the root.
    dev.write(":SENS:VOLT:RANG 50;RANG:AUTO OFF")
    assert dev.query(":SENS:VOLT:RANG?;RANG:AUTO?") == "50.0;OFF"
    assert dev.query(":SENS:VOLT:DC:RANG:AUTO?;:VOLT?") == "OFF;0.00"
    # "AUTO" after ":SENS:VOLT:RANG" is ":SENS:VOLT:AUTO": no such command.
    dev.write(":SENS:VOLT:RANG 60;AUTO ON")
    assert errors(dev) == ['-113,"Undefined header"']
    assert dev.query(":SENS:VOLT:RANG?;RANG:AUTO?") == "60.0;OFF"
    # ":SENS:VOLT:RANG?;VOLT?" asks for ":SENS:VOLT:VOLT?": unknown, no reply
    # for it and the error queued (the first query still answers).
    assert dev.query(":SENS:VOLT:RANG?;VOLT?") == "60.0"
    assert errors(dev) == ['-113,"Undefined header"']
    # Common commands neither use nor change the path.
    # (":SENS:VOLT:RANG:AUTO" leaves the path at ":SENS:VOLT:RANG": "UPP" is
    # its [:UPPer], the range.)
    dev.write(":SENS:VOLT:RANG 70;*CLS;RANG:AUTO ON;*WAI;UPP 80")
    assert dev.query(":SENS:VOLT:RANG?;*OPC?;RANG:AUTO?") == "80.0;1;ON"
    assert errors(dev) == []
    # The path starts at the root with every message.
    dev.write(":SENS:VOLT:RANG 90")
    dev.write("RANG 95")
    assert errors(dev) == ['-113,"Undefined header"']
    assert dev.query(":SENS:VOLT:RANG?") == "90.0"


def test_common_commands_anywhere(dev):
    assert dev.query("*ESE?") == "255"  # every event enabled from the start
    assert dev.query("*ESE 36;*ESE?;*SRE 16;*SRE?;*OPC?;*TST?") == "36;16;1;0"
    assert dev.query("*ESR?") == "0"
    dev.write("*OPC")
    assert dev.query("*ESR?;*ESR?") == "1;0"  # reading clears it
    dev.write(":BOGUS")
    # error queue not empty (4) + ESB (32: CME is enabled by *ESE 36); no
    # MSS, as *SRE 16 enables neither
    assert dev.query("*STB?") == "36"
    dev.write("*SRE 32")
    assert dev.query("*STB?") == "100"  # ESB enabled for service: MSS
    assert dev.query("*ESR?") == "32"
    dev.write(":SENS:VOLT:RANG 500;:VOLT 3;*RST")
    assert dev.query(":SENS:VOLT:RANG?;:VOLT?;:INST:NSEL?") == "10.0;0.00;1"  # *RST: defaults
    assert dev.query(":SYST:ERR?") == '-113,"Undefined header"'  # *RST keeps the queue
    dev.write(":BOGUS;*CLS")  # not run: the error ended the message
    dev.write("*CLS")
    assert dev.query("*STB?;*ESR?;:SYST:ERR?") == '0;0;0,"No error"'
    dev.write("*ESE 300")
    assert dev.query(":SYST:ERR?") == '-224,"Illegal parameter value"'
    # A colon before a common command is tolerated (PyMeasure's
    # Keithley2000.reset() sends ":STAT:QUEUE:CLEAR;*RST;:STAT:PRES;:*CLS;").
    dev.write(":BOGUS")
    dev.write(":*CLS")
    assert errors(dev) == []


def test_channels(dev):
    assert dev.query(":INST:NSEL?;:INST?") == "1;CH1"
    dev.write(":INST:NSEL 2;:VOLT 5;:OUTP ON")
    assert dev.query(":SOUR1:VOLT?;:SOUR2:VOLT?;:VOLT?;:INST:NSEL?;:INST?") == "0.00;5.00;5.00;2;CH2"
    assert dev.query(":OUTP? CH1;:OUTP? CH2;:OUTP?") == "OFF;ON;ON"
    assert dev.query(":MEAS? CH2;:MEAS? CH1;:MEAS:VOLT?") == "5.00;0.00;5.00"
    dev.write(":INSTrument:SELect CH1;:VOLT 1.25;:OUTP CH2,OFF")
    assert dev.query(":VOLT?;:SOURCE2:VOLTAGE?;:OUTP? CH2") == "1.25;5.00;OFF"
    assert dev.query(":INSTRUMENT:NSELECT?;:INSTRUMENT?") == "1;CH1"
    assert errors(dev) == []
    dev.write(":SOUR3:VOLT 1")
    assert errors(dev) == ['-114,"Header suffix out of range"']
    dev.write(":INST:NSEL 3")
    dev.write(":INST CH0")
    assert errors(dev) == ['-224,"Illegal parameter value"'] * 2
    assert dev.query(":INST:NSEL?") == "1"
    # A property not per channel is shared: the range is the same on both.
    dev.write(":INST:NSEL 2;:SENS:VOLT:RANG 30;:INST:NSEL 1")
    assert dev.query(":SENS:VOLT:RANG?") == "30.0"


def test_exact_syntax_keeps_whole_lines(sim, short_dir):
    path = short_dir / "exact.profile"
    path.write_text(PROFILE.replace("[sim]\n", "[sim]\nsyntax = exact\n").replace("channels = 2\n", ""))
    port = sim(str(path)).path
    with serialcmd.Client(f"{port}?profile={path}&timeout_ms=300") as dev:
        assert dev.query("*IDN?") == "SERIALCMD,SCPI-TEST,1,1.0"
        dev.write("*IDN?;*IDN?")  # one unknown line
        assert errors(dev) == ['-113,"Undefined header"']


@pytest.mark.parametrize("bad, why", [
    ("get = [:SENSe:VOLT?", "'[' without ']'"),
    ("get = :SENS]:VOLT?", "']' without '['"),
    ("get = :SENS:VOLT-DC?", "unexpected character"),
    ("get = [<n>]:VOLT?", "[<n>] must follow a node's name"),
    ("source = nosuch", "source"),
])
def test_bad_pattern_is_refused_with_file_and_line(tmp_path, bad, why):
    path = tmp_path / "bad.profile"
    text = PROFILE.replace("get = [:SENSe[<n>]]:VOLTage[:DC]:RANGe[:UPPer]?", bad)
    if bad.startswith("source"):
        text = PROFILE.replace("source = level", bad)
    path.write_text(text)
    r = subprocess.run([str(SIM_BIN), str(path)], capture_output=True, text=True, timeout=10)
    assert r.returncode != 0
    assert str(path) in r.stderr and why in r.stderr, r.stderr


def test_shipped_keithley2000(sim):
    port = sim("keithley2000").path
    with serialcmd.Client(f"{port}?profile=keithley2000") as dev:
        assert dev.query(":CONF?") == '"VOLT:DC"'
        dev.write(":CONFigure:CURRent:AC")
        assert dev.query(":conf?;:SENS:FUNC?") == '"CURR:AC";"CURR:AC"'
        dev.write(':SENS:FUNC "volt:dc";:SENS:VOLT:RANG:AUTO 0;:SENS:VOLT:RANG 10')
        assert dev.query(":SENSe1:VOLTage:DC:RANGe:UPPer?;AUTO?") == "+1.000000E+01;0"
        assert dev.query(":SENS:VOLT:RANG:AUTO ON;AUTO?;AUTO off;AUTO?;AUTO 1;AUTO?") == "1;0;1"
        dev.write(":SENS:VOLT:RANG:AUTO 2")
        assert dev.query(":SYST:ERR?") == '-224,"Illegal parameter value"'
        for q in (":READ?", ":FETC?", ":MEAS:VOLT:DC?", ":measure:voltage?"):
            assert abs(float(dev.query(q)) - 1.234567) < 1e-4, q
        dev.write(":STAT:QUEUE:CLEAR;*RST;:STAT:PRES;:*CLS;")
        assert dev.query(":SYSTem:ERRor:NEXT?;:SENS:VOLT:RANG?;:CONF?") == '0,"No error";+1.000000E+03;"VOLT:DC"'


def test_shipped_keysight34401a(sim):
    port = sim("keysight34401a").path
    with serialcmd.Client(f"{port}?profile=keysight34401a") as dev:
        dev.write("SYST:REM;:CONF:RES 1000,0.01")
        assert dev.query("CONF?;:FUNC?") == '"RES";"RES"'
        dev.write("VOLTage:DC:RANGe 100;RANGe:AUTO OFF")
        # (a SCPI boolean: ON or 1 in, 1 out)
        assert dev.query("VOLT:RANG?;RANG:AUTO?;:SYSTem:ERRor?") == '+1.000000E+02;0;+0,"No error"'
        assert abs(float(dev.query("MEAS:VOLT:DC? 10,0.003")) - 0.5) < 1e-3


def test_shipped_rigol_dp800_channels(sim):
    port = sim("rigol-dp800").path
    with serialcmd.Client(f"{port}?profile=rigol-dp800") as dev:
        for ch, volts in ((1, "5.000"), (2, "12.000"), (3, "3.300")):
            dev.write(f":INST:NSEL {ch};:VOLT {volts};:CURR 0.5;:OUTP ON")
        assert dev.query(":SOUR1:VOLT?;:SOUR2:VOLT?;:SOUR3:VOLT?") == "5.000;12.000;3.300"
        assert dev.query(":SOURce2:CURRent:LEVel:IMMediate:AMPLitude?") == "0.500"
        assert dev.query(":OUTP? CH1;:OUTP? CH2;:OUTP? CH3") == "ON;ON;ON"
        assert abs(float(dev.query(":MEAS? CH2")) - 12) < 0.01
        dev.write(":OUTP CH2,OFF;:INST CH2")
        assert dev.query(":OUTP?;:INST?;:VOLT?") == "OFF;CH2;12.000"
        dev.write(":SOUR1:VOLT 40")
        assert dev.query(":SYST:ERR?") == '-222,"Data out of range"'
        # :APPLy sets and reads voltage and current together, per channel.
        dev.write(":APPL CH3,2.5,1.5;:APPLy CH1,7")
        assert dev.query(":APPL? CH3;:APPL? CH1;:SOUR3:CURR?") == "2.500,1.500;7.000,0.500;1.500"
        assert dev.query(":INST:NSEL 3;:APPL?") == "2.500,1.500"
        dev.write(":APPL CH1,5,9")  # the current out of range: nothing set
        dev.write(":APPL CH1,5,1,2")
        assert dev.query(":SYST:ERR?;:SYST:ERR?;:APPL? CH1") == (
            '-222,"Data out of range";-108,"Parameter not allowed";7.000,0.500')
