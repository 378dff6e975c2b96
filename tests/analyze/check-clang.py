#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Filter clang static analyzer output through tests/analyze/clang-analyzer.supp.

Usage: check-clang.py LOG SUPPRESSIONS. Prints every finding, marked
suppressed (with its reason) or not; exits 1 if any is not suppressed.
"""
import re
import sys


def main() -> int:
    log, supp_path = sys.argv[1], sys.argv[2]
    rules = []
    with open(supp_path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|", 3)]
            if len(parts) != 4 or not all(parts):
                print(f"{supp_path}: malformed line (FILE | CHECKER | TEXT | REASON): {line}")
                return 1
            rules.append(parts + [0])
    findings = []
    with open(log, errors="replace") as f:
        for line in f:
            m = re.match(r"^(\S+?):(\d+):\d+: warning: (.*) \[([\w.]+)\]$", line.rstrip("\n"))
            if m:
                findings.append((m.group(1), int(m.group(2)), m.group(3), m.group(4)))
    bad = 0
    for path, lineno, msg, checker in findings:
        try:
            with open(path, errors="replace") as src:
                text = src.read().split("\n")[lineno - 1]
        except (OSError, IndexError):
            text = ""
        rule = next((r for r in rules if r[0] == path and r[1] == checker and r[2] in text), None)
        if rule:
            rule[4] += 1
            print(f"suppressed: {path}:{lineno}: {msg} [{checker}] -- {rule[3]}")
        else:
            bad += 1
            print(f"FINDING: {path}:{lineno}: {msg} [{checker}]\n    {text.strip()}")
    for r in rules:
        if not r[4]:
            print(f"note: suppression not used (code changed?): {r[0]} | {r[1]} | {r[2]}")
    print(f"clang analyzer: {len(findings)} findings, {len(findings) - bad} suppressed with a reason, {bad} unexplained")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
