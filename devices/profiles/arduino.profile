# SPDX-License-Identifier: MIT
# An Arduino-style line protocol: a sketch with Serial.begin(115200) that reads
# lines ending in LF and answers one line each. Opening the port toggles DTR,
# which resets the board; the bootloader then needs about 2 s before the
# sketch listens. Ids: Arduino SA boards (2341, 2a03: Arduino's own vendor
# ids, so those ports are asked "ID?") and the common CH340 clones.
#
# 1a86:7523 is the CH340's own id, on countless cables, GPS receivers and
# printers. It stays here, passive only (probe = auto, the default): `serialcmd
# --find arduino` lists such ports without opening them, --identify does not
# ask them, and the udev rules give them no name. A product string would not
# help: a CH340 reports "USB Serial" or "USB2.0-Serial" whatever it sits in.
# For your own clone, copy this profile and add `usb_serial = ...` (if the
# board has one) or `probe = always` (if only your board is ever plugged in).
description = Arduino sketch, line protocol (115200 8N1, LF)
baud = 115200
bits = 8
parity = none
stop = 1
flow = none
eol = LF
timeout_ms = 1000
open_delay_ms = 2000
identify = ID?
identify_match = ARDUINO,*
usb = 2341:0043
usb = 2341:0001
usb = 2341:0042
usb = 2a03:0043
usb = 1a86:7523

[sim]
delay_ms = 1

[dialogue]
ID? => ARDUINO,sketch,1.0
PING => PONG

[property led]
get = LED?
set = LED
default = 0
valid = 0,1
set_reply = OK
error = ERR bad value

[property analog0]
get = A0?
default = 512
noise = 3
digits = 0

[errors]
unknown_reply = ERR unknown command
