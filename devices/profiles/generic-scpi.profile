# SPDX-License-Identifier: MIT
# A generic SCPI instrument over RS-232: what most bench instruments default to.
description = Generic SCPI instrument (9600 8N1, LF)
baud = 9600
bits = 8
parity = none
stop = 1
flow = none
eol = LF
timeout_ms = 2000
identify = *IDN?
identify_match = *,*,*,*
# serialcmd (the command line) reads a reply only for commands ending in '?'.
queries = scpi

[sim]
delay_ms = 2

[dialogue]
*IDN? => SERIALCMD,GENERIC-SCPI,SIM0001,1.0
*RST =>
*OPC? => 1
*TST? => 0

[property voltage]
get = VOLT?
set = VOLT
default = 0.000
min = 0
max = 30
digits = 3
error = -222,"Data out of range"

[property output]
get = OUTP?
set = OUTP
default = OFF
valid = ON,OFF,0,1
error = -224,"Illegal parameter value"

[property measurement]
get = MEAS:VOLT?
default = 1.0
noise = 0.001
digits = 6
notation = sci

[errors]
query = SYST:ERR?
none = 0,"No error"
unknown = -113,"Undefined header"
