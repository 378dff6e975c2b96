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

# The simulator follows SCPI's message rules (queries = scpi): commands
# joined with ';', short and long forms, [optional] nodes, as the manual's
# SCPI command summary (section 5) writes them. Numbers as the meter sends
# them; a range is kept as set (the meter would pick the next range up).

[sim]
delay_ms = 5
error_query = :SYSTem:ERRor[:NEXT]? | :STATus:QUEue[:NEXT]?

[dialogue]
*IDN? => KEITHLEY INSTRUMENTS INC.,MODEL 2000,1234567,A19  /A02
:SYSTem:VERSion? => 1991.0
:SYSTem:PRESet =>
:SYSTem:LOCal =>
:SYSTem:REMote =>
:SYSTem:RWLock =>
:SYSTem:BEEPer[:IMMediate] <any> =>
:STATus:PRESet =>
:STATus:QUEue:CLEar =>
:INITiate[:IMMediate] =>
:ABORt =>
:FORMat[:DATA] ASCii =>
:FORMat:ELEMents READing =>

[property function]
get = :CONFigure? | [:SENSe[<n>]]:FUNCtion?
set = [:SENSe[<n>]]:FUNCtion
commands = :CONFigure:VOLTage[:DC] => "VOLT:DC" | :CONFigure:VOLTage:AC => "VOLT:AC" | :CONFigure:CURRent[:DC] => "CURR:DC" | :CONFigure:CURRent:AC => "CURR:AC" | :CONFigure:RESistance => "RES" | :CONFigure:FRESistance => "FRES" | :CONFigure:PERiod => "PER" | :CONFigure:FREQuency => "FREQ" | :CONFigure:TEMPerature => "TEMP" | :CONFigure:DIODe => "DIOD" | :CONFigure:CONTinuity => "CONT"
default = "VOLT:DC"
valid = "VOLT:DC","VOLT:AC","CURR:DC","CURR:AC","RES","FRES","PER","FREQ","TEMP","DIOD","CONT"
error = -224,"Illegal parameter value"

[property reading]
get = :READ? | :FETCh? | :DATA? | :MEASure:VOLTage[:DC]? <any>
default = 1.234567
noise = 0.00001
digits = 8
notation = sci

[property voltage_ac]
get = :MEASure:VOLTage:AC? <any>
default = 0.2301
noise = 0.00001
digits = 8
notation = sci

[property current]
get = :MEASure:CURRent[:DC]? <any> | :MEASure:CURRent:AC? <any>
default = 0.0012
noise = 0.000001
digits = 8
notation = sci

[property resistance]
get = :MEASure:RESistance? <any> | :MEASure:FRESistance? <any>
default = 1000.2
noise = 0.01
digits = 8
notation = sci

[property frequency]
get = :MEASure:FREQuency? <any>
default = 1000.0
noise = 0.01
digits = 8
notation = sci

[property range]
get = [:SENSe[<n>]]:VOLTage[:DC]:RANGe[:UPPer]?
set = [:SENSe[<n>]]:VOLTage[:DC]:RANGe[:UPPer]
default = 1000
min = 0
max = 1010
digits = 6
notation = sci
error = -222,"Data out of range"

[property range_auto]
get = [:SENSe[<n>]]:VOLTage[:DC]:RANGe:AUTO?
set = [:SENSe[<n>]]:VOLTage[:DC]:RANGe:AUTO
default = 1
boolean = 1
error = -224,"Illegal parameter value"

[property nplc]
get = [:SENSe[<n>]]:VOLTage[:DC]:NPLCycles?
set = [:SENSe[<n>]]:VOLTage[:DC]:NPLCycles
default = 1
min = 0.01
max = 10
digits = 6
notation = sci
error = -222,"Data out of range"

[property digits]
get = [:SENSe[<n>]]:VOLTage[:DC]:DIGits?
set = [:SENSe[<n>]]:VOLTage[:DC]:DIGits
default = 7
min = 4
max = 7
digits = 0
error = -222,"Data out of range"

[property reference]
get = [:SENSe[<n>]]:VOLTage[:DC]:REFerence?
set = [:SENSe[<n>]]:VOLTage[:DC]:REFerence
default = 0
min = -1010
max = 1010
digits = 6
notation = sci
error = -222,"Data out of range"

[property ac_range]
get = [:SENSe[<n>]]:VOLTage:AC:RANGe[:UPPer]?
set = [:SENSe[<n>]]:VOLTage:AC:RANGe[:UPPer]
default = 757.5
min = 0
max = 757.5
digits = 6
notation = sci
error = -222,"Data out of range"

[property current_range]
get = [:SENSe[<n>]]:CURRent[:DC]:RANGe[:UPPer]?
set = [:SENSe[<n>]]:CURRent[:DC]:RANGe[:UPPer]
default = 3
min = 0
max = 3.1
digits = 6
notation = sci
error = -222,"Data out of range"

[property resistance_range]
get = [:SENSe[<n>]]:RESistance:RANGe[:UPPer]?
set = [:SENSe[<n>]]:RESistance:RANGe[:UPPer]
default = 100e6
min = 0
max = 120e6
digits = 6
notation = sci
error = -222,"Data out of range"

[property auto_other]
# the other functions' RANGe:AUTO (kept together)
set = [:SENSe[<n>]]:VOLTage:AC:RANGe:AUTO | [:SENSe[<n>]]:CURRent[:DC]:RANGe:AUTO | [:SENSe[<n>]]:CURRent:AC:RANGe:AUTO | [:SENSe[<n>]]:RESistance:RANGe:AUTO | [:SENSe[<n>]]:FRESistance:RANGe:AUTO
default = 1
boolean = 1
error = -224,"Illegal parameter value"

[property continuous]
get = :INITiate:CONTinuous?
set = :INITiate:CONTinuous
default = 0
boolean = 1
error = -224,"Illegal parameter value"

[property trigger_count]
get = :TRIGger[:SEQuence[<n>]]:COUNt?
set = :TRIGger[:SEQuence[<n>]]:COUNt
default = 1
min = 1
max = 9999
digits = 0
error = -222,"Data out of range"

[property trigger_delay]
get = :TRIGger[:SEQuence[<n>]]:DELay?
set = :TRIGger[:SEQuence[<n>]]:DELay
default = 0
min = 0
max = 999999.999
digits = 3
error = -222,"Data out of range"

[property trigger_source]
get = :TRIGger[:SEQuence[<n>]]:SOURce?
set = :TRIGger[:SEQuence[<n>]]:SOURce
default = IMM
valid = IMM,EXT,TIM,MAN,BUS,IMMediate,EXTernal,TIMer,MANual
error = -224,"Illegal parameter value"

[property sample_count]
get = :SAMPle:COUNt?
set = :SAMPle:COUNt
default = 1
min = 1
max = 1024
digits = 0
error = -222,"Data out of range"

[property beeper]
get = :SYSTem:BEEPer:STATe?
set = :SYSTem:BEEPer:STATe
default = 1
boolean = 1
error = -224,"Illegal parameter value"

[property display]
get = :DISPlay:ENABle?
set = :DISPlay:ENABle
default = 1
boolean = 1
error = -224,"Illegal parameter value"

[errors]
query = :SYST:ERR?
none = 0,"No error"
unknown = -113,"Undefined header"
