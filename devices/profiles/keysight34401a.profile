# SPDX-License-Identifier: MIT
# Agilent/Keysight 34401A 6.5-digit multimeter, RS-232 as shipped: 9600 baud,
# no parity with 8 data bits, 1 start bit and 2 stop bits (fixed), DTR/DSR
# handshake (the meter is a DTE: use a null-modem cable). It ends replies with
# CR LF and takes LF; send SYST:REM first to put it in remote mode. After a
# query it holds DTR false until the reply has been read, so one command at a
# time with a short pause suits it.
description = Agilent/Keysight 34401A DMM (RS-232, 9600 8N2, DTR/DSR)
baud = 9600
bits = 8
parity = none
stop = 2
flow = dtrdsr
write_eol = LF
read_eol = CRLF
timeout_ms = 5000
min_gap_ms = 20
identify = *IDN?
identify_match = HEWLETT-PACKARD,34401A,*
# serialcmd (the command line) reads a reply only for commands ending in '?'.
queries = scpi

[sim]
delay_ms = 5

[dialogue]
*IDN? => HEWLETT-PACKARD,34401A,0,11-5-2
SYST:REM =>
SYST:LOC =>
*RST =>
*CLS =>

[property reading]
get = MEAS:VOLT:DC?
default = 0.5
noise = 0.00002
digits = 8
notation = sci

[errors]
query = SYST:ERR?
none = +0,"No error"
unknown = -113,"Undefined header"
