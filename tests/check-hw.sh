#!/bin/sh
# SPDX-License-Identifier: MIT
# check-hw.sh - `make check-hw PORT=...`: the loopback tests against a real
# adapter with a jumper plug (TX-RX, RTS-CTS, DTR-DSR). Refuses, before
# anything opens it, a port that is not a character device and the system
# console (/dev/ttyS0 or whatever /sys/class/tty/console/active names),
# also when reached through a symlink such as /dev/serial/by-path/...
port=$1
if [ -z "$port" ]; then
	echo "check-hw: needs PORT=/dev/ttyUSBn: a USB-serial adapter with a jumper plug" \
		"(TX-RX, RTS-CTS, DTR-DSR); skipped"
	exit 0
fi
real=$(readlink -f -- "$port") || real=$port
refuse() {
	echo "check-hw: refusing $port: $1" >&2
	exit 2
}
case "$real" in
/dev/ttyS0) refuse "it is /dev/ttyS0, the console" ;;
esac
if [ -r /sys/class/tty/console/active ]; then
	for con in $(cat /sys/class/tty/console/active); do
		[ "$real" = "/dev/$con" ] && refuse "it is $real, a system console"
	done
fi
[ -c "$real" ] || refuse "not a character device"
SERIALCMD_HW_PORT=$port exec "${TEST_LOOPBACK:-./tests/test-loopback}"
