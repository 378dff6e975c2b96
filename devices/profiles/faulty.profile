# SPDX-License-Identifier: MIT
# The misbehaving device of the tests: it answers the fault commands of
# devices/sim/faults.h (late, split, twice, never, hang-up...).
description = Test device that misbehaves on command (devices/sim/faults.h)
eol = LF
timeout_ms = 2000

[sim]
mode = faulty
