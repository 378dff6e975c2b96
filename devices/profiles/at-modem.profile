# SPDX-License-Identifier: MIT
# An AT-command modem (Hayes style, as GSM/LTE modules and dial-up modems
# speak it): commands end in CR, answers in CRLF, the modem echoes each
# command line until ATE0, and it sends lines nobody asked for, such as RING
# for an incoming call and +CREG: for a change of network registration.
# unsolicited= tells the library those lines are never a reply.
description = AT modem (115200 8N1, CR in, CRLF out, echo, unsolicited RING/+CREG:)
baud = 115200
bits = 8
parity = none
stop = 1
flow = none
write_eol = CR
read_eol = CRLF
timeout_ms = 2000
echo = 1
unsolicited = RING,+CREG:

[sim]
delay_ms = 1
# One of these, at random, on average every 20 ms, between and inside
# commands (before the echo, between echo and answer), never inside a line.
unsolicited = RING,+CREG: 1
unsolicited_every_ms = 20
echo_off = ATE0
echo_on = ATE1

[dialogue]
AT => OK
ATI => SERIALCMD SIM-MODEM 1.0
AT+CSQ => +CSQ: 21,99
ATE0 => OK
ATE1 => OK

[errors]
unknown_reply = ERROR
