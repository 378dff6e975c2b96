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

# The simulator follows SCPI's message rules (queries = scpi), with the
# headers as the DP800 programming guide writes them, and keeps each of the
# DP832's three channels: :INST:NSEL n (or :INST CHn) selects the channel
# that [:SOURce]:VOLTage and the other per-channel commands without a
# channel address; :SOURce2:VOLT, :OUTP CH2,ON and :MEAS? CH2 name one.
# Simplified: every channel takes 0-32 V, 0-3.2 A (the DP832's CH3 is
# 5 V/3 A); the measured voltage is the set voltage, with no load (0 A).

[sim]
delay_ms = 3
channels = 3
error_query = :SYSTem:ERRor[:NEXT]?

[dialogue]
*IDN? => RIGOL TECHNOLOGIES,DP832,DP8C000000001,00.01.14
:SYSTem:VERSion? => 1994.0
:SYSTem:REMote =>
:SYSTem:LOCal =>

[property voltage]
get = [:SOURce[<n>]]:VOLTage[:LEVel][:IMMediate][:AMPLitude]?
set = [:SOURce[<n>]]:VOLTage[:LEVel][:IMMediate][:AMPLitude]
per_channel = 1
default = 0.000
min = 0
max = 32
digits = 3
error = -222,"Data out of range"

[property current]
get = [:SOURce[<n>]]:CURRent[:LEVel][:IMMediate][:AMPLitude]?
set = [:SOURce[<n>]]:CURRent[:LEVel][:IMMediate][:AMPLitude]
per_channel = 1
default = 3.200
min = 0
max = 3.2
digits = 3
error = -222,"Data out of range"

[property apply]
# :APPLy CH2,5,1 sets CH2's voltage and current; :APPLy? CH2 answers them
# (simplified: the DP832 answers its rating too, CH2:30V/3A,5.000,1.000)
get = :APPLy? CH<n> | :APPLy?
set = :APPLy CH<n>, | :APPLy
parts = voltage,current

[property output]
get = :OUTPut[:STATe]? CH<n> | :OUTPut[:STATe]?
set = :OUTPut[:STATe] CH<n>, | :OUTPut[:STATe]
per_channel = 1
default = OFF
valid = ON,OFF
error = -224,"Illegal parameter value"

[property measured_voltage]
get = :MEASure[:VOLTage][:DC]? CH<n> | :MEASure[:VOLTage][:DC]?
source = voltage
per_channel = 1
noise = 0.0005
digits = 4

[property measured_current]
get = :MEASure:CURRent[:DC]? CH<n> | :MEASure:CURRent[:DC]?
per_channel = 1
default = 0
digits = 4

[property measured_power]
get = :MEASure:POWEr[:DC]? CH<n> | :MEASure:POWEr[:DC]?
per_channel = 1
default = 0
digits = 3

[property ovp]
get = [:SOURce[<n>]]:VOLTage:PROTection[:LEVel]?
set = [:SOURce[<n>]]:VOLTage:PROTection[:LEVel]
per_channel = 1
default = 33.000
min = 0.01
max = 33
digits = 3
error = -222,"Data out of range"

[property ovp_state]
get = [:SOURce[<n>]]:VOLTage:PROTection:STATe?
set = [:SOURce[<n>]]:VOLTage:PROTection:STATe
per_channel = 1
default = OFF
valid = ON,OFF
error = -224,"Illegal parameter value"

[property ocp]
get = [:SOURce[<n>]]:CURRent:PROTection[:LEVel]?
set = [:SOURce[<n>]]:CURRent:PROTection[:LEVel]
per_channel = 1
default = 3.300
min = 0.001
max = 3.3
digits = 3
error = -222,"Data out of range"

[property ocp_state]
get = [:SOURce[<n>]]:CURRent:PROTection:STATe?
set = [:SOURce[<n>]]:CURRent:PROTection:STATe
per_channel = 1
default = OFF
valid = ON,OFF
error = -224,"Illegal parameter value"

[property track]
get = :OUTPut:TRACk? CH<n> | :OUTPut:TRACk?
set = :OUTPut:TRACk CH<n>, | :OUTPut:TRACk
per_channel = 1
default = OFF
valid = ON,OFF
error = -224,"Illegal parameter value"

[errors]
query = :SYST:ERR?
none = 0,"No error"
unknown = -113,"Undefined header"
