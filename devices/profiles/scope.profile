# SPDX-License-Identifier: MIT
# A simulated oscilloscope that moves waveforms as IEEE 488.2 blocks, the way
# Rigol, Keysight and Tektronix scopes do (":WAV:DATA?" answers
# ":WAV:DATA #9000001200<bytes>"), so block transfer, byte order and numeric
# lists are tested without hardware. The byte waveform counts up in steps of
# 7, so every byte value, the terminator's too, appears inside the block.
description = Oscilloscope with block waveform transfer (simulated)
baud = 115200
eol = LF
timeout_ms = 5000
identify = *IDN?
identify_match = SERIALCMD,SIM-SCOPE,*
# For the serialcmd command line: set commands answer nothing, and these
# queries answer with a block (written to stdout raw, as -b does).
queries = scpi
blocks = :WAV:DATA?, :WAV2:DATA?, :WAV3:DATA?, :WAV:DEEP?

[dialogue]
*IDN? => SERIALCMD,SIM-SCOPE,SC0001,1.0
*RST =>

[waveform ch1]
get = :WAV:DATA?
prefix = :WAV:DATA
ascii_get = :WAV:DATA:ASCII?
set = :WAV:UPLOAD
points = 1200
datatype = B

[waveform ch2]
get = :WAV2:DATA?
ascii_get = :WAV2:DATA:ASCII?
set = :WAV2:UPLOAD
points = 500
datatype = f
amplitude = 2.5

[waveform ch3]
get = :WAV3:DATA?
ascii_get = :WAV3:DATA:ASCII?
points = 300
datatype = h
endian = big

[waveform deep]
get = :WAV:DEEP?
points = 10000000
datatype = B

[property timebase]
get = :TIM:SCAL?
set = :TIM:SCAL
default = 0.001
min = 1e-9
max = 50
digits = 6
notation = sci
error = -222,"Data out of range"

[errors]
query = :SYST:ERR?
none = 0,"No error"
unknown = -113,"Undefined header"
