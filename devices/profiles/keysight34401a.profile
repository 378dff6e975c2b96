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

# The simulator follows SCPI's message rules (queries = scpi), with the
# headers of the user's guide's command summary (chapter 4). Simplified:
# CONFigure? answers the function only ("VOLT"); MIN, MAX and DEF set a
# number to its limits or default, but a query takes none (RANG? MAX).

[sim]
delay_ms = 5
error_query = SYSTem:ERRor?

[dialogue]
*IDN? => HEWLETT-PACKARD,34401A,0,11-5-2
SYSTem:REMote =>
SYSTem:LOCal =>
SYSTem:VERSion? => 1996.0
SYSTem:BEEPer[:IMMediate] =>
INITiate =>
ABORt =>
DISPlay:TEXT:CLEar =>

[property function]
get = [SENSe:]FUNCtion? | CONFigure?
set = [SENSe:]FUNCtion
commands = CONFigure:VOLTage[:DC] <any> => "VOLT" | CONFigure:VOLTage:AC <any> => "VOLT:AC" | CONFigure:CURRent[:DC] <any> => "CURR" | CONFigure:CURRent:AC <any> => "CURR:AC" | CONFigure:RESistance <any> => "RES" | CONFigure:FRESistance <any> => "FRES" | CONFigure:FREQuency <any> => "FREQ" | CONFigure:PERiod <any> => "PER" | CONFigure:CONTinuity => "CONT" | CONFigure:DIODe => "DIOD"
default = "VOLT"
valid = "VOLT","VOLT:DC","VOLT:AC","CURR","CURR:DC","CURR:AC","RES","FRES","FREQ","PER","CONT","DIOD"
error = -224,"Illegal parameter value"

[property reading]
get = READ? | FETCh? | MEASure:VOLTage[:DC]? <any>
default = 0.5
noise = 0.00002
digits = 8
notation = sci

[property voltage_ac]
get = MEASure:VOLTage:AC? <any>
default = 0.2301
noise = 0.00002
digits = 8
notation = sci

[property current]
get = MEASure:CURRent[:DC]? <any> | MEASure:CURRent:AC? <any>
default = 0.0012
noise = 0.000001
digits = 8
notation = sci

[property resistance]
get = MEASure:RESistance? <any> | MEASure:FRESistance? <any>
default = 1000.2
noise = 0.01
digits = 8
notation = sci

[property frequency]
get = MEASure:FREQuency? <any> | MEASure:PERiod? <any>
default = 1000.0
noise = 0.01
digits = 8
notation = sci

[property range]
get = [SENSe:]VOLTage[:DC]:RANGe?
set = [SENSe:]VOLTage[:DC]:RANGe
default = 10
min = 0
max = 1000
digits = 6
notation = sci
error = -222,"Data out of range"

[property range_auto]
get = [SENSe:]VOLTage[:DC]:RANGe:AUTO?
set = [SENSe:]VOLTage[:DC]:RANGe:AUTO
default = 1
boolean = 1
error = -224,"Illegal parameter value"

[property resolution]
get = [SENSe:]VOLTage[:DC]:RESolution?
set = [SENSe:]VOLTage[:DC]:RESolution
default = 3e-6
min = 0
max = 1
digits = 6
notation = sci
error = -222,"Data out of range"

[property nplc]
get = [SENSe:]VOLTage[:DC]:NPLCycles?
set = [SENSe:]VOLTage[:DC]:NPLCycles
default = 10
valid = 0.02,0.2,1,10,100
error = -222,"Data out of range"

[property current_range]
get = [SENSe:]CURRent[:DC]:RANGe?
set = [SENSe:]CURRent[:DC]:RANGe
default = 1
min = 0
max = 3
digits = 6
notation = sci
error = -222,"Data out of range"

[property resistance_range]
get = [SENSe:]RESistance:RANGe?
set = [SENSe:]RESistance:RANGe
default = 1000
min = 0
max = 100e6
digits = 6
notation = sci
error = -222,"Data out of range"

[property zero_auto]
get = [SENSe:]ZERO:AUTO?
set = [SENSe:]ZERO:AUTO
default = 1
valid = 0,1,ON,OFF,ONCE
error = -224,"Illegal parameter value"

[property trigger_source]
get = TRIGger:SOURce?
set = TRIGger:SOURce
default = IMM
valid = IMM,BUS,EXT,IMMediate,EXTernal
error = -224,"Illegal parameter value"

[property trigger_delay]
get = TRIGger:DELay?
set = TRIGger:DELay
default = 0
min = 0
max = 3600
digits = 6
notation = sci
error = -222,"Data out of range"

[property trigger_count]
get = TRIGger:COUNt?
set = TRIGger:COUNt
default = 1
min = 1
max = 50000
digits = 0
error = -222,"Data out of range"

[property sample_count]
get = SAMPle:COUNt?
set = SAMPle:COUNt
default = 1
min = 1
max = 50000
digits = 0
error = -222,"Data out of range"

[property display]
get = DISPlay[:STATe]?
set = DISPlay[:STATe]
default = 1
boolean = 1
error = -224,"Illegal parameter value"

[property beeper]
get = SYSTem:BEEPer:STATe?
set = SYSTem:BEEPer:STATe
default = 1
boolean = 1
error = -224,"Illegal parameter value"

[errors]
query = SYST:ERR?
none = +0,"No error"
unknown = -113,"Undefined header"
