# SPDX-License-Identifier: MIT
"""A real driver against the simulator (issue 17): PyMeasure's Keithley2000
(python3-pymeasure 0.9) over its VISAAdapter, through pyvisa-py ('@py',
ASRL<pty>::INSTR) and through serialcmd's own backend ('@serialcmd'),
against `serialcmd-sim keithley2000`.

PyMeasure 0.9 bugs worked around here:
- Keithley2000.__init__ calls adapter.config(is_binary=False, datatype=...,
  converter='f', separator=','), which 0.9's VISAAdapter does not have
  (AttributeError). The test's adapter adds a config() that accepts exactly
  those settings (ASCII values separated by ',', what Adapter.values()
  does anyway) and refuses others.
- Keithley2000.check_errors() returns nothing: it logs each error (logger
  pymeasure.instruments.keithley.keithley2000) and returns None when the
  queue answers 0. "Empty" is therefore checked as: it returns, logs no
  error, and the queue then answers 0,"No error"; and a queued error is
  seen in the log, so the check can fail.
- Its reset() sends ":STAT:QUEUE:CLEAR;*RST;:STAT:PRES;:*CLS;", a colon
  before a common command, which SCPI does not allow; the simulator
  tolerates it (as the meter does)."""

from __future__ import annotations

import logging

import pytest

pymeasure = pytest.importorskip("pymeasure")
pytest.importorskip("pyvisa_py")

from pymeasure.adapters import VISAAdapter  # noqa: E402
from pymeasure.instruments.keithley import Keithley2000  # noqa: E402


class Adapter(VISAAdapter):
    """VISAAdapter with the config() PyMeasure 0.9's Keithley2000 calls."""

    def config(self, is_binary=False, datatype="float32", converter="f", separator=","):
        if is_binary or converter != "f" or separator != ",":
            raise NotImplementedError("only ASCII values separated by ','")


@pytest.fixture(params=["@py", "@serialcmd"])
def meter(sim, request):
    """The same driver code on pyvisa-py and on serialcmd's PyVISA backend."""
    port = sim("keithley2000").path
    adapter = Adapter(f"ASRL{port}::INSTR", visa_library=request.param, read_termination="\n",
                      write_termination="\n", timeout=3000)
    yield Keithley2000(adapter)
    adapter.connection.close()
    adapter.manager.close()


def test_keithley2000_driver(meter, caplog):
    log = "pymeasure.instruments.keithley.keithley2000"
    assert meter.id == "KEITHLEY INSTRUMENTS INC.,MODEL 2000,1234567,A19  /A02"
    meter.reset()
    assert meter.mode == "voltage"
    meter.measure_current()
    assert meter.mode == "current"
    meter.measure_voltage()  # :CONF:VOLT:DC, then the range for 1 V
    assert meter.mode == "voltage"
    assert meter.voltage_range == 1
    assert abs(meter.voltage - 1.234567) < 1e-3  # :READ?
    meter.voltage_range = 10  # ":SENS:VOLT:RANG:AUTO 0;:SENS:VOLT:RANG 10"
    assert meter.voltage_range == 10
    assert meter.values(":SENS:VOLT:RANG:AUTO?") == [0]
    meter.voltage_range = 2000  # truncated to the driver's 0..1010
    assert meter.voltage_range == 1010
    with caplog.at_level(logging.ERROR, logger=log):
        meter.check_errors()
    assert [r for r in caplog.records if r.name == log] == []
    assert meter.ask(":SYST:ERR?").strip() == '0,"No error"'
    # The check sees an error when there is one.
    meter.write(":SENS:VOLT:RANG 5000")
    with caplog.at_level(logging.ERROR, logger=log):
        meter.check_errors()
    assert [r.getMessage().strip() for r in caplog.records if r.name == log] == [
        'Keithley 2000: -222.0: "Data out of range"']  # values() made the code a float
    meter.reset()
    assert meter.voltage_range == 1000
