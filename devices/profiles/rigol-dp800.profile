# SPDX-License-Identifier: MIT
# Rigol DP800-series programmable supply (DP811/DP821/DP831/DP832) on its
# RS-232 port as shipped: 9600 baud, 8N1, no flow control, LF. Over USB the
# DP800 is a USBTMC device (1ab1:0e11), listed here so rules can recognise it;
# a USB-to-serial adapter on its RS-232 port shows the adapter's ids instead.
# The manual asks for a pause between commands.
description = Rigol DP800-series power supply (9600 8N1, LF)
baud = 9600
bits = 8
parity = none
stop = 1
flow = none
eol = LF
timeout_ms = 2000
min_gap_ms = 10
identify = *IDN?
identify_match = RIGOL TECHNOLOGIES,DP8*
# serialcmd (the command line) reads a reply only for commands ending in '?'.
queries = scpi
usb = 1ab1:0e11
usb_manufacturer = Rigol Technologies
usb_product = DP800 Serials

[sim]
delay_ms = 3

[dialogue]
*IDN? => RIGOL TECHNOLOGIES,DP832,DP8C000000001,00.01.14
*RST =>
*CLS =>

[property ch1_voltage]
get = :SOUR1:VOLT?
set = :SOUR1:VOLT
default = 0.000
min = 0
max = 32
digits = 3
error = -222,"Data out of range"

[property ch1_current]
get = :SOUR1:CURR?
set = :SOUR1:CURR
default = 3.200
min = 0
max = 3.2
digits = 3
error = -222,"Data out of range"

[property ch1_output]
get = :OUTP? CH1
set = :OUTP CH1,
default = OFF
valid = ON,OFF
error = -224,"Illegal parameter value"

[errors]
query = :SYST:ERR?
none = 0,"No error"
unknown = -113,"Undefined header"
