# SPDX-License-Identifier: MIT
# What a TX-RX jumper plug does: every line comes straight back.
description = Loopback (TX-RX jumper): echoes every line
baud = 115200
eol = LF
timeout_ms = 1000

[sim]
mode = loopback
