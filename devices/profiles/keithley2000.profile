# SPDX-License-Identifier: MIT
# Keithley Model 2000 6.5-digit multimeter, RS-232 port as shipped:
# 9600 baud, 8 data bits, no parity, 1 stop bit, no flow control (XON/XOFF
# selectable), terminator LF (TX TERM on the front panel: LF, CR, CRLF, LFCR).
# It has no USB; through a USB adapter the adapter's ids are seen.
description = Keithley 2000 DMM (RS-232, 9600 8N1, LF)
baud = 9600
bits = 8
parity = none
stop = 1
flow = none
eol = LF
timeout_ms = 3000
identify = *IDN?
identify_match = KEITHLEY INSTRUMENTS INC.,MODEL 2000,*
# serialcmd (the command line) reads a reply only for commands ending in '?'.
queries = scpi

[sim]
delay_ms = 5

[dialogue]
*IDN? => KEITHLEY INSTRUMENTS INC.,MODEL 2000,1234567,A19  /A02
*RST =>
*CLS =>
:INIT:CONT OFF =>
:CONF:VOLT:DC =>

[property reading]
get = :MEAS:VOLT:DC?
default = 1.234567
noise = 0.00001
digits = 8
notation = sci

[property fetch]
get = :FETC?
default = 1.234567
noise = 0.00001
digits = 8
notation = sci

[property range]
get = :SENS:VOLT:DC:RANG?
set = :SENS:VOLT:DC:RANG
default = 10
min = 0
max = 1010
digits = 6
notation = sci
error = -222,"Data out of range"

[errors]
query = :SYST:ERR?
none = 0,"No error"
unknown = -113,"Undefined header"
