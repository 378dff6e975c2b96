#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Ask an instrument who it is.

    query.py SPEC [COMMAND]

e.g. ``query.py "/dev/ttyUSB0?baud=115200&eol=CRLF"`` prints the answer to
"*IDN?" (or to COMMAND).  Run from the source tree it finds the package in
../ and the library in ../../lib/ (after `make all`).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import serialcmd  # noqa: E402


def main(argv):
    if len(argv) not in (2, 3):
        print("usage: query.py SPEC [COMMAND]", file=sys.stderr)
        return 2
    spec = argv[1]
    cmd = argv[2] if len(argv) == 3 else "*IDN?"
    try:
        with serialcmd.Client(spec) as dev:
            print(dev.query(cmd))
    except serialcmd.Error as e:
        print(f"query.py: {e} ({e.name})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
