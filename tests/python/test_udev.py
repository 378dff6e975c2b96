# SPDX-License-Identifier: MIT
"""udev/: the generated rules under the real udevadm, the identify helper, the sanitizer.

The udevadm tests run ``udevadm test`` (the real rules engine, with its
usb_id and path_id builtins and IMPORT{program}) inside a private mount and
PID namespace, on fake USB devices whose tty nodes are pseudo-terminals
served by serialcmd-sim or by a raw responder: tests/udev/udevns.py sets that
up and reports what udevadm did. They need root, unshare and udevadm, and
skip with the reason otherwise. The helper and sanitizer tests need neither:
they run the helper on ptys this test makes.
"""

from __future__ import annotations

import base64
import ctypes
import grp
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from serialcmd_testlib import LIBRARY, ROOT, SIM_BIN

UDEV = ROOT / "udev"
GEN = UDEV / "gen-rules"
HELPER = UDEV / "serialcmd-udev-id"
RULES = UDEV / "70-serialcmd.rules"
UNIT = UDEV / "serialcmd@.service"
UDEVNS = ROOT / "tests" / "udev" / "udevns.py"
SANITIZE_DRIVER = ROOT / "tests" / "udev" / "sanitize-driver.c"
PROFILES = ROOT / "devices" / "profiles"
SYSTEM_RULES_DIR = Path("/usr/lib/udev/rules.d")
# The system rules our file works with: usb_id and by-id links before it,
# the uaccess builtin after it.
SYSTEM_RULES = ["60-serial.rules", "73-seat-late.rules"]

NS_TIMEOUT = 120.0
HELPER_TIMEOUT = 20.0
TEST_DEADLINE_MS = 3000  # the helper's deadline in the test rules: the shipped one
SAFE_VALUE = re.compile(r"[A-Za-z0-9._-]{1,128}")
HELPER_KEYS = {"ID_SERIALCMD_MODEL", "ID_SERIALCMD_SERIAL", "ID_SERIALCMD_IDENT"}

sys.path.insert(0, str(ROOT / "tests" / "udev"))
from udevns import Responder  # noqa: E402  (shared with the namespace driver)

# Shipped profiles' ids that are a generic bridge's, listed without probe =
# always or a USB string (issue 18): the rules leave such ports alone.
SHIPPED_PASSIVE = {("1a86", "7523")}

# Test profiles: ids no shipped profile lists, each for one case.
TEST_PROFILES = {
    # Two profiles share 1234:5678: the instrument is asked; beta's pattern is
    # more specific than alpha's, which would match beta's answer too.
    "alpha": """
description = test: generic pattern
eol = LF
timeout_ms = 1000
identify = *IDN?
identify_match = *,*,*,*
usb = 1234:5678
[dialogue]
*IDN? => ACME,ALPHA-1,A0001,1.0
""",
    "beta": """
description = test: specific pattern
eol = LF
timeout_ms = 1000
identify = *IDN?
identify_match = ACME,BETA-2,*
usb = 1234:5678
[dialogue]
*IDN? => ACME,BETA-2,B0002,2.0
""",
    # One id, two interfaces: no need to ask.
    "gamma": "usb = 1234:9999\nusb_interface = 0\n",
    "delta": "usb = 1234:9999\nusb_interface = 1\n",
    # USB strings full of characters that mean something in a rule.
    "epsilon": 'usb = 1234:aaaa\nusb_manufacturer = ACME "Labs" $x %k\nusb_product = Weird "Prod" *1* [x]|y\\z\n',
    # Bridge ids without probe = always (issue 18): never asked. One that
    # requires no USB string gets no rule at all; one that requires its
    # adapter's serial number is named by it, passively.
    "bridge-quiet": """
eol = LF
timeout_ms = 1000
identify = *IDN?
identify_match = *
usb = 067b:2303
""",
    "bridge-serial": """
eol = LF
timeout_ms = 1000
identify = *IDN?
identify_match = *
usb = 10c4:ea60
usb_serial = LAB-0042
latency_timer = 3
""",
    # The FTDI latency timer: behind a bridge id the profile may probe, and
    # on a maker's own id on FTDI's vendor id (named directly).
    "ftdi-fast": """
eol = LF
timeout_ms = 1000
identify = *IDN?
identify_match = ACME,FAST,*
usb = 0403:6014
probe = always
latency_timer = 1
[dialogue]
*IDN? => ACME,FAST,F1,1.0
""",
    "ftdi-own": "usb = 0403:fa01\nlatency_timer = 2\n",
    # Hostile instruments on bridge ids (probe = always): answers that try to set properties.
    "hostile-cr": """
description = test: CR-terminated, so an LF can sit inside the answer
eol = CR
timeout_ms = 1000
identify = *IDN?
identify_match = EVIL*
usb = 0403:6001
probe = always
""",
    "hostile-lf": """
eol = LF
timeout_ms = 1000
identify = *IDN?
identify_match = EVIL*
usb = 0403:6001
probe = always
""",
    "hostile-sim": """
eol = LF
identify = *IDN?
identify_match = EVIL*
usb = 0403:6010
probe = always
[dialogue]
*IDN? => EVIL,X\\nDEVNAME=/dev/evil\\r\\nSYMLINK+=evil,SER"$env{DEVNAME}%k,FW
""",
    # Pauses far beyond any deadline: the helper must cut them.
    "sleepy": """
eol = LF
open_delay_ms = 600000
query_delay_ms = 600000
timeout_ms = 86400000
identify = *IDN?
identify_match = *
usb = 0403:6015
probe = always
""",
    # A 4-field *IDN? answer behind a bridge: the serial comes from the answer.
    "probe-dmm": """
eol = LF
timeout_ms = 1000
identify = *IDN?
identify_match = KEITHLEY INSTRUMENTS INC.,MODEL 2000,*
usb = 10c4:ea71
probe = always
[dialogue]
*IDN? => KEITHLEY INSTRUMENTS INC.,MODEL 2000,1234567,A19  /A02
""",
}


# ---------------------------------------------------------------------------
# helpers


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def dialout_gid() -> int:
    return grp.getgrnam("dialout").gr_gid


def read_profiles(directory: Path) -> Dict[str, Dict[str, Any]]:
    """The USB part of each profile, read independently of the C parser."""
    out: Dict[str, Dict[str, Any]] = {}
    for path in sorted(directory.glob("*.profile")):
        info: Dict[str, Any] = {"usb": [], "interface": None, "manufacturer": None, "product": None,
                                "identify": None}
        for raw in path.read_text().splitlines():
            line = raw.strip()
            if line.startswith("["):
                break
            key, sep, value = line.partition("=")
            if not sep or line.startswith("#"):
                continue
            key, value = key.strip(), value.strip()
            if key == "usb":
                vid, pid = value.lower().split(":")
                info["usb"].append((vid, pid))
            elif key == "usb_interface":
                info["interface"] = int(value)
            elif key == "usb_manufacturer":
                info["manufacturer"] = value
            elif key == "usb_product":
                info["product"] = value
            elif key == "identify":
                info["identify"] = value
        out[path.stem] = info
    return out


@pytest.fixture(scope="module")
def profile_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("udev-profiles")
    for name, text in TEST_PROFILES.items():
        (d / f"{name}.profile").write_text(text.lstrip())
    return d


def generate(out: Path, *sources: Path, helper: Path = HELPER, timeout_ms: int = TEST_DEADLINE_MS,
             profile_dirs: Optional[List[Path]] = None) -> subprocess.CompletedProcess:
    argv = [str(GEN), f"--helper={helper}", f"--timeout-ms={timeout_ms}", "-o", str(out)]
    if profile_dirs:
        argv.append("--profile-dir=" + ":".join(str(p) for p in profile_dirs))
    return subprocess.run(argv + [str(s) for s in sources], capture_output=True, text=True, timeout=30)


@pytest.fixture(scope="module")
def test_rules(tmp_path_factory, profile_dir: Path) -> Path:
    """Rules from the shipped and the test profiles, calling the helper in this tree."""
    if " " in str(ROOT):
        pytest.skip(f"the tree's path has a blank ({ROOT}); rules cannot call the helper there")
    out = tmp_path_factory.mktemp("udev-rules") / "70-serialcmd.rules"
    r = generate(out, PROFILES, profile_dir, profile_dirs=[profile_dir, PROFILES])
    assert r.returncode == 0, r.stderr
    return out


class Pty:
    """A pty of this test, with a responder on its master; the slave stays
    open here so that the master keeps working between the helper's opens."""

    def __init__(self, reply: Optional[bytes] = None, trickle_ms: int = 0) -> None:
        import tty

        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        assert self.path.startswith("/dev/pts/"), self.path
        self.responder = Responder(self.master, reply, trickle_ms)
        self.responder.start()

    @property
    def received(self) -> bytes:
        return self.responder.received

    def close(self) -> None:
        self.responder.stopping = True
        self.responder.join(timeout=5)
        os.close(self.slave)
        os.close(self.master)


@pytest.fixture
def pty() -> Iterator:
    made: List[Pty] = []

    def make(reply: Optional[bytes] = None, trickle_ms: int = 0) -> Pty:
        p = Pty(reply, trickle_ms)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


def run_helper(*args: str, env: Optional[Dict[str, str]] = None) -> Tuple[subprocess.CompletedProcess, float]:
    """The helper as udev runs it: no PATH, stdin /dev/null."""
    t0 = time.monotonic()
    p = subprocess.run([str(HELPER), *args], capture_output=True, text=True, timeout=HELPER_TIMEOUT,
                       stdin=subprocess.DEVNULL, env=env if env is not None else {})
    return p, time.monotonic() - t0


def assert_safe_output(stdout: str) -> Dict[str, str]:
    """Only ID_SERIALCMD_* keys, once each, with values of the safe set."""
    props: Dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("=")
        assert sep, f"not KEY=value: {line!r}"
        assert key in HELPER_KEYS, f"unexpected key {key!r} in {stdout!r}"
        assert key not in props, f"{key} printed twice"
        assert SAFE_VALUE.fullmatch(value), f"unsafe value {value!r}"
        props[key] = value
    assert stdout == "" or stdout.endswith("\n")
    return props


# --- the namespace


_ns_reason: Optional[str] = None
_ns_checked = False


def namespace_unavailable() -> Optional[str]:
    """Why udevadm cannot be run in a private namespace here, or None."""
    global _ns_checked, _ns_reason
    if _ns_checked:
        return _ns_reason
    _ns_checked = True
    if os.geteuid() != 0:
        _ns_reason = "needs root (unshare --mount --pid and a fake /sys)"
    elif not shutil.which("unshare"):
        _ns_reason = "needs unshare (util-linux)"
    elif not shutil.which("udevadm"):
        _ns_reason = "needs udevadm (Debian package udev; .ci/install-deps installs it)"
    elif not all((SYSTEM_RULES_DIR / r).exists() for r in SYSTEM_RULES):
        _ns_reason = f"needs {', '.join(SYSTEM_RULES)} in {SYSTEM_RULES_DIR}"
    else:
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "--pid", "--kill-child",
                            "--mount-proc", "sh", "-c", "mount -t tmpfs none /sys && mount -t tmpfs none /dev"],
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            _ns_reason = f"cannot make a private mount and PID namespace here: {p.stderr.strip()}"
    return _ns_reason


@pytest.fixture
def ns(tmp_path: Path):
    """``ns(rules, devices, steps, ...)`` runs udevns.py in a new namespace
    and returns its report."""
    reason = namespace_unavailable()
    if reason:
        pytest.skip(f"udevadm tests skipped: {reason}")

    def run(rules: List[Path], devices: List[Dict[str, Any]], steps: List[Dict[str, Any]],
            system_rules: bool = False, console: Optional[str] = None) -> Dict[str, Any]:
        """rules: our files; with system_rules, every rules file of the
        system too, else only SYSTEM_RULES."""
        n = len(list(tmp_path.glob("ns-*.json")))
        cfg_path, res_path = tmp_path / f"ns-{n}.json", tmp_path / f"ns-{n}.result"
        extra = [] if system_rules else [str(SYSTEM_RULES_DIR / r) for r in SYSTEM_RULES]
        cfg = {"rules": [str(r) for r in rules] + extra, "system_rules": system_rules, "sim_bin": str(SIM_BIN),
               "console": console, "devices": devices, "steps": steps}
        cfg_path.write_text(json.dumps(cfg))
        proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--pid", "--kill-child",
                                 "--mount-proc", "/usr/bin/python3", str(UDEVNS), str(cfg_path), str(res_path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        try:
            out, err = proc.communicate(timeout=NS_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)  # --kill-child takes the namespace with it
            proc.communicate(timeout=10)
            pytest.fail(f"udevns.py did not finish within {NS_TIMEOUT} s")
        assert proc.returncode == 0, f"udevns.py failed ({proc.returncode}):\n{err.decode(errors='replace')}"
        report = json.loads(res_path.read_text())
        for step in report["steps"]:
            if "run" not in step["step"]:
                assert step["rc"] == 0, f"udevadm test failed: {step['stderr'][-3000:]}"
                assert_clean_log(step["stderr"], "70-serialcmd.rules")
        return report

    return run


LINT = re.compile(r"invalid|unknown|ignoring|ignored|dropping|assuming|no matching label|takes no effect|"
                  r"failed to parse|deprecated|error", re.IGNORECASE)


def log_problems(stderr: str, rules_name: str) -> List[str]:
    """What udevadm's log says is wrong with our rules file. udevadm test
    exits 0 whatever the rules hold, so the log is all there is."""
    bad = []
    for line in stderr.splitlines():
        if "Invalid format string" in line or (rules_name in line and LINT.search(line)):
            bad.append(line)
    return bad


def assert_clean_log(stderr: str, rules_name: str) -> None:
    bad = log_problems(stderr, rules_name)
    assert not bad, "udevadm complains about the rules:\n" + "\n".join(bad)


def device(name: str, vid: str, pid: str, serve: Optional[Dict[str, Any]] = None, **usb: Any) -> Dict[str, Any]:
    d: Dict[str, Any] = {"name": name, "vid": vid, "pid": pid, "serve": serve}
    d.update(usb)
    return d


def sim(profile: str, profile_dir: Optional[Path] = None) -> Dict[str, Any]:
    s: Dict[str, Any] = {"kind": "sim", "profile": profile}
    if profile_dir:
        s["env"] = {"SERIALCMD_DEVICES": str(profile_dir)}
    return s


def raw(reply: bytes, trickle_ms: int = 0) -> Dict[str, Any]:
    return {"kind": "raw", "reply": b64(reply), "trickle_ms": trickle_ms}


def step_for(report: Dict[str, Any], name: str, action: str = "add") -> Dict[str, Any]:
    found = [s for s in report["steps"] if s["step"].get("device") == name and s["step"].get("action", "add") == action]
    assert found, f"no {action} step for {name}"
    return found[-1]


def helper_started(step: Dict[str, Any]) -> bool:
    return "serialcmd-udev-id" in step["stderr"] and "Starting '" in step["stderr"]


def assert_known(step: Dict[str, Any], name: str, profile: str, serial: Optional[str]) -> None:
    """What every known instrument gets from our rules."""
    props, dev = step["properties"], step["dev"]
    assert props.get("SERIALCMD_PROFILE") == profile, props
    assert props.get("ID_MM_DEVICE_IGNORE") == "1"
    assert "uaccess" in props.get("TAGS", "").split(":")
    assert "systemd" in props.get("TAGS", "").split(":")
    assert f"serialcmd@{name}.service" in props.get("SYSTEMD_WANTS", "").split()
    # 73-seat-late.rules saw the tag: the uaccess builtin is queued.
    assert "run: 'uaccess'" in step["stdout"]
    node = dev[f"/dev/{name}"]
    assert node["mode"] == 0o660, oct(node["mode"])
    assert node["gid"] == dialout_gid()
    by_profile = dev.get(f"/dev/serialcmd/by-profile/{profile}")
    assert by_profile, f"no /dev/serialcmd/by-profile/{profile}: {sorted(dev)}"
    if serial is not None:
        link = dev.get(f"/dev/serialcmd/{profile}-{serial}")
        assert link, f"no /dev/serialcmd/{profile}-{serial}: {sorted(k for k in dev if 'serialcmd' in k)}"
        assert link["resolves"] == f"/dev/{name}"


def assert_untouched(step: Dict[str, Any], name: str) -> None:
    """Nothing from our rules: no properties, links, access or probing."""
    props, dev = step["properties"], step["dev"]
    for key in ("SERIALCMD_PROFILE", "ID_MM_DEVICE_IGNORE", ".SERIALCMD_CANDIDATES", *HELPER_KEYS):
        assert key not in props, f"{key} set on {name}: {props}"
    assert "uaccess" not in props.get("TAGS", "")
    assert "serialcmd@" not in props.get("SYSTEMD_WANTS", "")
    assert not helper_started(step), "the helper ran on a port no profile lists"
    assert not [k for k in dev if k.startswith("/dev/serialcmd/") and dev[k]["resolves"] == f"/dev/{name}"]
    ours = [line for line in step["stderr"].splitlines()
            if "70-serialcmd.rules:" in line and "Reading rules file" not in line]
    assert not ours, "our rules acted:\n" + "\n".join(ours)
    node = dev[f"/dev/{name}"]
    assert node["gid"] != dialout_gid() or node["mode"] != 0o660


# ---------------------------------------------------------------------------
# the sanitizer, alone


def reference_sanitize(data: bytes, size: int) -> bytes:
    if size == 0:
        return b""
    data = data.strip(b" \t\r\n")
    keep = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    return bytes(c if c in keep else ord("_") for c in data)[: size - 1]


@pytest.fixture(scope="module")
def sanitize_driver(tmp_path_factory) -> Path:
    cc = os.environ.get("CC", "cc")
    if not shutil.which(cc):
        pytest.skip(f"no C compiler ({cc})")
    out = tmp_path_factory.mktemp("sanitize") / "sanitize-driver"
    p = subprocess.run([cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wstrict-prototypes",
                        "-Wmissing-prototypes", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                        f"-I{UDEV}", str(SANITIZE_DRIVER), str(UDEV / "sanitize.c"), "-o", str(out)],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0 and "sanitize" in p.stderr:
        # No ASan runtime here: build without it.
        p = subprocess.run([cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror", f"-I{UDEV}", str(SANITIZE_DRIVER),
                            str(UDEV / "sanitize.c"), "-o", str(out)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return out


def sanitize(driver: Path, data: bytes, size: int = 129) -> bytes:
    p = subprocess.run([str(driver), str(size)], input=data, capture_output=True, timeout=10)
    assert p.returncode == 0, f"sanitize_value broke a promise on {data[:80]!r} (size {size}): {p.stderr!r}"
    value, length, _ = p.stdout.rsplit(b"\n", 2)
    assert int(length) == len(value)
    return value


@pytest.mark.parametrize("data", [
    b"X\nDEVNAME=/dev/evil",
    b"ok\r\nSYMLINK+=evil\nID_MM_DEVICE_IGNORE=0",
    b'KEY="quoted" $env{DEVNAME} %k \\x00',
    b"\x00\x01\x7f\x80\xff\xc3\xa9",
    b"../../etc/passwd",
    b"  \t plain-Value_1.2 \r\n",
    b"",
    b"\r\n\t ",
])
def test_sanitizer_keeps_only_the_safe_set(sanitize_driver: Path, data: bytes) -> None:
    value = sanitize(sanitize_driver, data)
    assert value == reference_sanitize(data, 129)
    assert re.fullmatch(rb"[A-Za-z0-9._-]*", value)
    assert b"\n" not in value and b"=" not in value and b"/" not in value


def test_sanitizer_bounds_the_length(sanitize_driver: Path) -> None:
    data = b"A" * 5000 + b"\nDEVNAME=x"
    for size in (0, 1, 2, 16, 129):
        value = sanitize(sanitize_driver, data, size)
        assert len(value) == max(0, size - 1)
        assert value == reference_sanitize(data, size)


def test_sanitizer_random_inputs(sanitize_driver: Path) -> None:
    rnd = random.Random(20240517)
    for _ in range(200):
        data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 300)))
        size = rnd.choice([0, 1, 2, 7, 64, 129, 400])
        assert sanitize(sanitize_driver, data, size) == reference_sanitize(data, size)
    every = bytes(range(256))
    assert sanitize(sanitize_driver, every, 300) == reference_sanitize(every, 300)


# ---------------------------------------------------------------------------
# the generator and the rules text

RULE_ITEM = re.compile(r'\s*([A-Z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')
MATCH_ONLY = {"ACTION", "SUBSYSTEM", "SUBSYSTEMS", "KERNEL", "ATTRS", "ATTR", "DRIVERS"}
ASSIGN = {"GROUP": {"="}, "MODE": {"="}, "SYMLINK": {"+="}, "GOTO": {"="}, "LABEL": {"="}, "IMPORT": {"="}}


def lint_rules_text(text: str) -> List[str]:
    """A structural check of our rules file: every item KEY{attr}OP"value",
    known keys with their operators, labels that exist after their GOTOs,
    IMPORT{program} alone with its ACTION match, no mode wider than 0660."""
    problems: List[str] = []
    gotos: List[Tuple[int, str]] = []
    labels: Dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pos, items = 0, []
        while pos < len(line):
            m = RULE_ITEM.match(line, pos)
            if not m:
                problems.append(f"{n}: cannot parse at column {pos}: {line}")
                break
            items.append(m.groups()[:4])
            pos = m.end()
        assigns = 0
        for key, attr, op, value in items:
            if key == "ATTR" and op == "=":
                # The one attribute the rules write: ftdi_sio's latency timer.
                ok = attr == "device/latency_timer" and value.isdigit() and 1 <= int(value) <= 255
                assigns += 1
            elif key in MATCH_ONLY:
                ok = op in ("==", "!=")
            elif key == "ENV":
                ok = op in ("==", "!=", "=", "+=") and bool(attr)
                assigns += op in ("=", "+=")
            elif key == "TAG":
                ok = op in ("==", "!=", "+=")
                assigns += op == "+="
            elif key in ASSIGN:
                ok = op in ASSIGN[key]
                assigns += 1
                if key == "IMPORT":
                    ok = ok and attr in ("program", "builtin", "db")
            else:
                ok = False
            if not ok:
                problems.append(f"{n}: {key}{{{attr}}}{op} not allowed: {line}")
            if key == "MODE" and value != "0660":
                problems.append(f"{n}: MODE {value}: only 0660")
            if key == "GOTO":
                gotos.append((n, value))
            if key == "LABEL":
                labels[value] = n
            if key == "IMPORT" and attr == "program":
                others = [k for k, a, o, _ in items if (k, a) != ("IMPORT", "program") and k != "ACTION"]
                if others:
                    problems.append(f"{n}: IMPORT{{program}} must be alone on its line (is a match key): {line}")
                if not value.startswith("/"):
                    problems.append(f"{n}: the helper needs an absolute path (udev gives it no PATH)")
        if items and not assigns:
            problems.append(f"{n}: a line with no assignment does nothing: {line}")
    for n, label in gotos:
        if labels.get(label, 0) <= n:
            problems.append(f"{n}: GOTO {label} has no LABEL after it")
    return problems


def test_shipped_rules_are_generated_from_the_profiles(tmp_path: Path) -> None:
    """udev/70-serialcmd.rules is what gen-rules makes of devices/profiles now."""
    text = RULES.read_text()
    m = re.search(r'IMPORT\{program\}="(/\S+) --timeout-ms=(\d+) ', text)
    helper, timeout = (m.group(1), m.group(2)) if m else ("/usr/local/lib/serialcmd/serialcmd-udev-id", "3000")
    out = tmp_path / "again.rules"
    r = generate(out, PROFILES, helper=Path(helper), timeout_ms=int(timeout))
    assert r.returncode == 0, r.stderr
    assert out.read_text() == text, "udev/70-serialcmd.rules is stale: run make"
    assert timeout == "3000", "the shipped deadline is 3 s"
    assert "/serialcmd-udev-id" in helper


def test_generator_is_deterministic(tmp_path: Path, profile_dir: Path) -> None:
    a, b, c = tmp_path / "a.rules", tmp_path / "b.rules", tmp_path / "c.rules"
    assert generate(a, PROFILES, profile_dir).returncode == 0
    assert generate(b, PROFILES, profile_dir).returncode == 0
    # The same profiles given file by file, in reverse order.
    files = sorted(PROFILES.glob("*.profile"), reverse=True) + sorted(profile_dir.glob("*.profile"), reverse=True)
    assert generate(c, *files).returncode == 0
    assert a.read_bytes() == b.read_bytes() == c.read_bytes()


def test_every_profile_usb_id_is_in_the_rules() -> None:
    text = RULES.read_text()
    profiles = read_profiles(PROFILES)
    assert any(p["usb"] for p in profiles.values()), "no shipped profile lists a USB id"
    for name, info in profiles.items():
        for vid, pid in info["usb"]:
            pat = (rf'^ENV\{{ID_VENDOR_ID\}}=="{vid}", ENV\{{ID_MODEL_ID\}}=="{pid}", .*'
                   rf'(ENV\{{SERIALCMD_PROFILE\}}="{re.escape(name)}"|ENV\{{\.SERIALCMD_CANDIDATES\}}\+="{re.escape(name)}")$')
            # A bridge's id the profile may not probe and names by no USB
            # string: no rule, only the comment saying so (issue 18).
            left_out = rf'^# {re.escape(name)}: {vid}:{pid} \('
            assert re.search(pat, text, re.MULTILINE) or re.search(left_out, text, re.MULTILINE), \
                f"{name}: {vid}:{pid} missing from the rules"


@pytest.mark.parametrize("which", ["shipped", "with test profiles"])
def test_rules_lint(which: str, test_rules: Path) -> None:
    text = RULES.read_text() if which == "shipped" else test_rules.read_text()
    assert lint_rules_text(text) == []
    assert "0666" not in text
    # The raw USB serial number only as a match (usb_serial), never put into a name.
    assert "%s{serial}" not in text and not re.search(r'ATTRS\{serial\}(?!==)', text)
    assert "RUN" not in text, "no programs from RUN: long work goes through serialcmd@.service"


def test_lint_catches_mistakes() -> None:
    """The linter is not vacuous."""
    assert lint_rules_text('KERNEL="x", SYMLINK+="a"\n')
    assert lint_rules_text('ENV{A}=="1" SYMLINK+="a"\n')
    assert lint_rules_text('ENV{A}=="1", MODE="0666"\n')
    assert lint_rules_text('ENV{A}=="1", IMPORT{program}="/x", SYMLINK+="a"\n')
    assert lint_rules_text('GOTO="nowhere"\n')
    assert lint_rules_text('ENV{A}=="1"\n')


def test_generator_rules_for_the_test_profiles(test_rules: Path) -> None:
    text = test_rules.read_text()
    # Shared id: both asked, the specific pattern first.
    cands = re.findall(r'ENV\{ID_VENDOR_ID\}=="1234", ENV\{ID_MODEL_ID\}=="5678", ENV\{\.SERIALCMD_CANDIDATES\}\+="(\w+)"', text)
    assert cands == ["beta", "alpha"]
    # Interfaces tell gamma and delta apart: no asking.
    assert 'ENV{ID_USB_INTERFACE_NUM}=="00", ENV{SERIALCMD_PROFILE}="gamma"' in text
    assert 'ENV{ID_USB_INTERFACE_NUM}=="01", ENV{SERIALCMD_PROFILE}="delta"' in text
    # USB strings cannot break out of their pattern.
    assert 'ATTRS{manufacturer}=="ACME ?Labs? ?x ?k"' in text
    assert 'ATTRS{product}=="Weird ?Prod? ?1? ?x??y?z"' in text
    # Bridge ids with probe = always are asked, even for one profile.
    assert re.search(r'"0403", ENV\{ID_MODEL_ID\}=="6001", ENV\{\.SERIALCMD_CANDIDATES\}\+="hostile-cr"', text)


def test_generator_refuses_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "x.rules"
    for helper in ("relative/helper", "/with space/helper", '/quote"/helper', "/dollar$/x"):
        r = generate(out, PROFILES, helper=Path(helper) if helper.startswith("/") else helper)  # type: ignore[arg-type]
        assert r.returncode != 0 and not out.exists(), helper
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.profile").write_text("usb = 12345:1\n")
    r = generate(out, bad)
    assert r.returncode != 0 and "broken.profile, line 1" in r.stderr and not out.exists()
    (bad / "broken.profile").unlink()
    (bad / "ok.profile").write_text("usb = 1234:0001\n")
    dup = tmp_path / "dup"
    dup.mkdir()
    (dup / "ok.profile").write_text("usb = 1234:0002\n")
    r = generate(out, bad, dup)
    assert r.returncode != 0 and "given twice" in r.stderr
    # USB ids are 4 hex digits (issue 15: these made ENV{ID_VENDOR_ID}=="ffffffff").
    (bad / "ok.profile").unlink()
    for text, line in (("usb = -001:+0x1\n", 1), ("usb = 0x12:0001\n", 1), ("usb = 1234:0001\nusb_interface =\n", 2)):
        (bad / "signed.profile").write_text(text)
        r = generate(out, bad)
        assert r.returncode != 0 and f"signed.profile, line {line}" in r.stderr and not out.exists(), text


def test_generator_warns_about_unidentifiable_profiles(tmp_path: Path) -> None:
    d = tmp_path / "p"
    d.mkdir()
    (d / "one.profile").write_text("usb = 0403:6001\nidentify = *IDN?\nidentify_match = X*\n")
    (d / "two.profile").write_text("usb = 1111:2222\n")
    (d / "three.profile").write_text("usb = 1111:2222\nidentify = *IDN?\nidentify_match = X*\n")
    # probe = never: it could be asked, but may not be; a shared id leaves it out.
    (d / "four.profile").write_text("usb = 1111:2222\nidentify = *IDN?\nidentify_match = Y*\nprobe = never\n")
    out = tmp_path / "w.rules"
    r = generate(out, d)
    assert r.returncode == 0, r.stderr
    # A bridge's id, no probe = always, no USB string: no rule, and why.
    assert ("note: profile one: 0403:6001 is a generic FTDI FT232R/FT245R bridge; without probe = always it is"
            " not probed, and the profile requires no USB string") in r.stderr
    assert "two: 1111:2222 is listed by other profiles too" in r.stderr
    text = out.read_text()
    assert '"one"' not in text and "# one: 0403:6001 (FTDI FT232R/FT245R)" in text
    assert '"two"' not in text
    assert 'ENV{.SERIALCMD_CANDIDATES}+="three"' in text
    assert "four: 1111:2222 is listed by other profiles too, and without identify/identify_match (or with" \
        " probe = never)" in r.stderr
    assert '"four"' not in text
    assert lint_rules_text(text) == []


def test_unit_file_verifies(tmp_path: Path) -> None:
    """serialcmd@.service, as make install writes it, passes systemd-analyze verify."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("no systemd-analyze")
    # ExecStart must name an executable: a stand-in, since tools/serialcmd
    # may be being rebuilt just now.
    (tmp_path / "bin").mkdir()
    shutil.copy("/bin/true", tmp_path / "bin" / "serialcmd")
    unit = tmp_path / "serialcmd@.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/serialcmd", str(tmp_path / "bin" / "serialcmd")))
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / "serialcmd@ttyUSB0.service")],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    problems = [line for line in (p.stdout + p.stderr).splitlines() if "serialcmd@" in line]
    assert p.returncode == 0 and not problems, p.stdout + p.stderr
    text = UNIT.read_text()
    assert re.search(r"^ExecStart=/usr/local/bin/serialcmd --list$", text, re.MULTILINE)
    assert "BindsTo=dev-%i.device" in text


# ---------------------------------------------------------------------------
# the helper, run directly on ptys of this test (no root needed)


def test_helper_refuses_without_candidates(pty) -> None:
    p = pty(b"EVIL\n")
    for args in ([p.path], [], [p.path, "../../etc/evil"], [p.path, "/abs/profile"], ["relative", "alpha"],
                 ["/dev/pts", "alpha"], ["--timeout-ms=10", p.path, "alpha"]):
        r, _ = run_helper(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stdout == ""
    time.sleep(0.1)
    assert p.received == b"", "the helper wrote to a port it should not have opened"


def test_helper_identifies_on_a_simulator(sim, profile_dir: Path) -> None:
    s = sim("keithley2000")
    r, _ = run_helper(f"--profile-dir={profile_dir}", s.path, "probe-dmm", "alpha")
    assert r.returncode == 0, r.stderr
    props = assert_safe_output(r.stdout)
    assert props == {"ID_SERIALCMD_MODEL": "probe-dmm", "ID_SERIALCMD_SERIAL": "1234567",
                     "ID_SERIALCMD_IDENT": "KEITHLEY_INSTRUMENTS_INC._MODEL_2000_1234567_A19___A02"}
    # First match wins, in the order given (the rules give the specific first).
    r, _ = run_helper(f"--profile-dir={profile_dir}", s.path, "alpha", "probe-dmm")
    assert assert_safe_output(r.stdout)["ID_SERIALCMD_MODEL"] == "alpha"
    # No candidate fits the answer: nothing printed, status 0.
    r, _ = run_helper(f"--profile-dir={profile_dir}", s.path, "beta")
    assert (r.returncode, r.stdout) == (0, "")


def test_helper_only_tries_profiles_listing_the_port(pty, profile_dir: Path) -> None:
    p = pty(b"ACME,BETA-2,B1,2\n")
    env = {"ID_VENDOR_ID": "0403", "ID_MODEL_ID": "6001", "ID_USB_INTERFACE_NUM": "00"}
    r, _ = run_helper(f"--profile-dir={profile_dir}", "-v", p.path, "alpha", "beta", env=env)
    assert (r.returncode, r.stdout) == (0, "")
    assert "not opened" in r.stderr
    time.sleep(0.1)
    assert p.received == b""
    env.update(ID_VENDOR_ID="1234", ID_MODEL_ID="5678")
    r, _ = run_helper(f"--profile-dir={profile_dir}", p.path, "alpha", "beta", env=env)
    assert assert_safe_output(r.stdout)["ID_SERIALCMD_MODEL"] == "alpha"


def test_helper_ignores_an_inherited_profile_path(pty, profile_dir: Path) -> None:
    """Profiles come from the installation or --profile-dir, not from the environment."""
    p = pty(b"ACME,BETA-2,B1,2\n")
    r, _ = run_helper(p.path, "beta", env={"SERIALCMD_DEVICES": str(profile_dir)})
    assert (r.returncode, r.stdout) == (0, "")
    assert p.received == b""


@pytest.mark.parametrize("reply,profile,identified", [
    (b"EVIL,A,SER\nDEVNAME=/dev/evil\nSYMLINK+=evil\nID_MM_DEVICE_IGNORE=0,FW\r", "hostile-cr", True),
    (b'EVIL "$env{DEVNAME}" %k \x01\x7f\xff\tSERIALCMD_PROFILE=x\r', "hostile-cr", True),
    (b"EVIL,1,2,3\nDEVNAME=/dev/evil\nSYMLINK+=evil\n", "hostile-lf", True),
    # A NUL byte could cut the pattern match short: such answers never match.
    (b"EVIL\x00\nDEVNAME=/dev/evil\r", "hostile-cr", False),
    # Longer than the helper reads (1 KiB): nothing.
    (b"EVIL" + b"=/" * 2000 + b"\r", "hostile-cr", False),
    (b"EVIL" + b"x" * 5000 + b"\n", "hostile-lf", False),
])
def test_helper_hostile_answers_cannot_add_properties(pty, profile_dir: Path, reply: bytes, profile: str,
                                                      identified: bool) -> None:
    p = pty(reply)
    r, _ = run_helper(f"--profile-dir={profile_dir}", p.path, profile)
    assert r.returncode == 0, r.stderr
    props = assert_safe_output(r.stdout)
    assert props.get("ID_SERIALCMD_MODEL") == (profile if identified else None)
    for value in props.values():
        assert "/" not in value and "=" not in value


def test_helper_sends_only_the_identify_query(pty, tmp_path: Path) -> None:
    """A profile that reads the error queue after each command, or reopens
    a port that hung up, still gets one query and no more."""
    so = ctypes.CDLL(str(LIBRARY))
    so.client_spec_keys.restype = ctypes.c_char_p
    keys = so.client_spec_keys().decode().split(",")
    wanted = [k for k in ("check_errors", "reconnect") if k in keys]
    if not wanted:
        pytest.skip("this library has neither check_errors nor reconnect")
    (tmp_path / "checker.profile").write_text(
        "eol = LF\ntimeout_ms = 500\nidentify = *IDN?\nidentify_match = ACME*\n"
        + "".join(f"{k} = 1\n" for k in wanted) + ("error_query = SYST:ERR?\n" if "check_errors" in wanted else ""))
    p = pty(b"ACME,X,1,2\n")
    r, _ = run_helper(f"--profile-dir={tmp_path}", p.path, "checker")
    assert assert_safe_output(r.stdout)["ID_SERIALCMD_MODEL"] == "checker", r.stderr
    time.sleep(0.2)
    assert p.received == b"*IDN?\n"


def test_helper_gives_up_on_a_silent_device(pty, profile_dir: Path) -> None:
    p = pty(None)
    r, took = run_helper(f"--profile-dir={profile_dir}", "--timeout-ms=800", p.path, "hostile-lf", "alpha", "beta")
    assert (r.returncode, r.stdout) == (0, "")
    assert took < 0.8 + 0.5, f"took {took:.2f} s for a deadline of 0.8 s"
    assert p.received.startswith(b"*IDN?\n")


def test_helper_gives_up_on_a_trickling_device(pty, profile_dir: Path) -> None:
    p = pty(b"EVIL,never,ending" * 50 + b"\n", trickle_ms=50)
    r, took = run_helper(f"--profile-dir={profile_dir}", "--timeout-ms=1000", p.path, "hostile-lf")
    assert (r.returncode, r.stdout) == (0, "")
    assert took < 1.0 + 0.5


def test_helper_cuts_the_profile_pauses_to_its_deadline(pty, profile_dir: Path) -> None:
    p = pty(b"anything\n")
    r, took = run_helper(f"--profile-dir={profile_dir}", "--timeout-ms=1500", p.path, "sleepy")
    assert r.returncode == 0
    assert took < 1.5 + 0.5
    assert assert_safe_output(r.stdout).get("ID_SERIALCMD_MODEL") == "sleepy"


def test_helper_default_deadline_is_three_seconds(pty, profile_dir: Path) -> None:
    p = pty(None)  # and a profile whose pauses and timeout are far longer
    r, took = run_helper(f"--profile-dir={profile_dir}", p.path, "sleepy")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert 2.5 < took < 3.5


def test_helper_busy_port_quietly(pty, profile_dir: Path) -> None:
    import fcntl

    p = pty(b"EVIL,1,2,3\n")
    fd = os.open(p.path, os.O_RDWR | os.O_NOCTTY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        r, took = run_helper(f"--profile-dir={profile_dir}", p.path, "hostile-lf")
    finally:
        os.close(fd)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert took < 1.0
    time.sleep(0.1)
    assert p.received == b"", "the helper wrote to a busy port"


# ---------------------------------------------------------------------------
# the rules under the real udevadm, in a private namespace


def test_each_profile_usb_id_gets_its_names_and_access(ns, test_rules: Path) -> None:
    """Every usb = line of every shipped profile: the instrument (a simulator
    of that profile) gets its symlinks, mode, group, uaccess tag, ModemManager
    flag and unit; ids that are asked about really run the helper."""
    devices, steps, expect = [], [], []
    for name, info in read_profiles(PROFILES).items():
        for vid, pid in info["usb"]:
            kernel = f"ttyUSB{len(devices)}" if len(devices) % 2 else f"ttyACM{len(devices)}"
            serial = None if (vid, pid) == ("1a86", "7523") else f"SN{len(devices)}x"  # CH340s have none
            usb: Dict[str, Any] = {"serial": serial, "manufacturer": info["manufacturer"] or "Maker",
                                   "product": info["product"] or "Thing"}
            if info["interface"] is not None:
                usb["interface"] = info["interface"]
            # Behind a generic bridge's id: a device that would answer as
            # the profile's instrument, which must not even be asked.
            bridge = (vid, pid) in SHIPPED_PASSIVE
            serve = raw(b"ARDUINO,sketch,1.0\n") if bridge else sim(name)
            devices.append(device(kernel, vid, pid, serve, **usb))
            steps.append({"device": kernel})
            expect.append((kernel, name, serial, bridge))
    assert any(e[3] for e in expect), "no shipped profile lists a bridge id passively any more: update this test"
    report = ns([test_rules], devices, steps)
    for kernel, name, serial, bridge in expect:
        step = step_for(report, kernel)
        if bridge:
            # issue 18: the CH340 id of the arduino profile is passive only.
            assert_untouched(step, kernel)
            assert base64.b64decode(report["received"][kernel]) == b"", f"{kernel}: a stranger's device was asked"
        else:
            assert_known(step, kernel, name, serial)
            assert not helper_started(step), f"{kernel}: asked although its ids name {name}"


def test_unknown_ids_get_nothing(ns, test_rules: Path) -> None:
    devices = [
        device("ttyUSB0", "dead", "beef", raw(b"ACME,ALPHA-1,1,1\n"), serial="X1"),
        # A bridge's id that no profile lists: not even probed.
        device("ttyUSB1", "10c4", "ea60", raw(b"ACME,ALPHA-1,1,1\n"), serial="X2"),
        # A listed vendor with another product id.
        device("ttyACM2", "2341", "ffff", raw(b"ARDUINO,x\n"), serial="X3"),
        # epsilon's ids with other USB strings.
        device("ttyUSB3", "1234", "aaaa", raw(b"x\n"), manufacturer="ACME Labs", product="Weird Prod 1 x y z"),
    ]
    report = ns([test_rules], devices, [{"device": d["name"]} for d in devices])
    for d in devices:
        assert_untouched(step_for(report, d["name"]), d["name"])
    assert all(v == "" for v in report["received"].values()), "a port no profile matches was written to"


def test_shared_ids_interfaces_and_strings(ns, test_rules: Path, profile_dir: Path) -> None:
    devices = [
        device("ttyUSB0", "1234", "5678", sim("beta", profile_dir), serial="B2"),
        device("ttyUSB1", "1234", "5678", sim("alpha", profile_dir), serial="A1"),
        device("ttyUSB2", "1234", "9999", sim("loopback"), serial="G0", interface=0),
        device("ttyUSB3", "1234", "9999", sim("loopback"), serial="D1", interface=1),
        device("ttyUSB4", "1234", "aaaa", sim("loopback"), serial="E1",
               manufacturer='ACME "Labs" $x %k', product='Weird "Prod" *1* [x]|y\\z'),
        # Behind a bridge, with no USB serial: the instrument's own serial names it.
        device("ttyUSB5", "10c4", "ea71", sim("probe-dmm", profile_dir), serial=None),
    ]
    report = ns([test_rules], devices, [{"device": d["name"]} for d in devices])
    assert_known(step_for(report, "ttyUSB0"), "ttyUSB0", "beta", "B2")
    assert_known(step_for(report, "ttyUSB1"), "ttyUSB1", "alpha", "A1")
    assert_known(step_for(report, "ttyUSB2"), "ttyUSB2", "gamma", "G0")
    assert_known(step_for(report, "ttyUSB3"), "ttyUSB3", "delta", "D1")
    assert_known(step_for(report, "ttyUSB4"), "ttyUSB4", "epsilon", "E1")
    assert_known(step_for(report, "ttyUSB5"), "ttyUSB5", "probe-dmm", "1234567")
    for name in ("ttyUSB2", "ttyUSB3", "ttyUSB4"):
        assert not helper_started(step_for(report, name)), f"{name}: asked although its ids name the profile"
    assert step_for(report, "ttyUSB5")["properties"]["ID_SERIALCMD_SERIAL"] == "1234567"


def test_bridge_ids_are_never_asked_without_probe_always(ns, test_rules: Path) -> None:
    """issue 18: a profile that lists a generic bridge's id without probe =
    always gets no active probe: not in the rule text, and under the real
    udevadm the helper is not started and the device hears nothing. With a
    required USB serial number the port is named passively."""
    text = test_rules.read_text()
    assert not re.search(r'ENV\{ID_VENDOR_ID\}=="067b", ENV\{ID_MODEL_ID\}=="2303"', text)
    assert "# bridge-quiet: 067b:2303 (Prolific PL2303)" in text
    assert ('ENV{ID_VENDOR_ID}=="10c4", ENV{ID_MODEL_ID}=="ea60", ATTRS{serial}=="LAB-0042", '
            'ENV{SERIALCMD_PROFILE}="bridge-serial"') in text
    assert "# 10c4:ea60 is a generic Silicon Labs CP2102/CP2104 bridge: matched passively" in text
    for name in ("bridge-quiet", "bridge-serial"):
        assert f'CANDIDATES}}+="{name}"' not in text and f'MODEL}}=="{name}"' not in text
    devices = [
        device("ttyUSB0", "067b", "2303", raw(b"ACME,ANY,1,1\n"), serial="Q0"),
        # cp210x has no latency timer: the fake file shows the rule leaves it be.
        device("ttyUSB1", "10c4", "ea60", raw(b"ACME,ANY,1,1\n"), serial="LAB-0042", driver="cp210x",
               latency_timer=True),
        device("ttyUSB2", "10c4", "ea60", raw(b"ACME,ANY,1,1\n"), serial="OTHER-1"),
    ]
    report = ns([test_rules], devices, [{"device": d["name"]} for d in devices])
    assert_untouched(step_for(report, "ttyUSB0"), "ttyUSB0")
    named = step_for(report, "ttyUSB1")
    assert_known(named, "ttyUSB1", "bridge-serial", "LAB-0042")
    assert not helper_started(named)
    assert_untouched(step_for(report, "ttyUSB2"), "ttyUSB2")
    assert {k: base64.b64decode(v) for k, v in report["received"].items()} == \
        {"ttyUSB0": b"", "ttyUSB1": b"", "ttyUSB2": b""}, "a device behind a bridge id was asked"
    assert named["latency_timer"] == {"ttyUSB1": ""}, "latency_timer written on a port that is not ftdi_sio's"


def test_latency_timer_written(ns, test_rules: Path, profile_dir: Path) -> None:
    """latency_timer = N: the rules write N into ftdi_sio's latency_timer of
    the usb-serial port above the tty, once the port's profile is known (by
    its ids, or by asking), and into no other port's."""
    text = test_rules.read_text()
    assert 'ENV{SERIALCMD_PROFILE}=="ftdi-fast", DRIVERS=="ftdi_sio", ATTR{device/latency_timer}="1"' in text
    assert 'ENV{SERIALCMD_PROFILE}=="ftdi-own", DRIVERS=="ftdi_sio", ATTR{device/latency_timer}="2"' in text
    devices = [
        device("ttyUSB0", "0403", "6014", sim("ftdi-fast", profile_dir), serial="F1", latency_timer=True),
        device("ttyUSB1", "0403", "fa01", sim("loopback"), serial="O1", latency_timer=True),
        # Asked (hostile-cr and hostile-lf list 0403:6001), answers as neither.
        device("ttyUSB2", "0403", "6001", raw(b"NOT,THEM\n"), serial="N1", latency_timer=True),
        device("ttyUSB3", "dead", "beef", None, serial="U1", latency_timer=True),
    ]
    report = ns([test_rules], devices, [{"device": d["name"]} for d in devices])
    fast, own = step_for(report, "ttyUSB0"), step_for(report, "ttyUSB1")
    assert_known(fast, "ttyUSB0", "ftdi-fast", "F1")
    assert helper_started(fast)
    assert_known(own, "ttyUSB1", "ftdi-own", "O1")
    assert_untouched(step_for(report, "ttyUSB3"), "ttyUSB3")
    final = report["steps"][-1]["latency_timer"]
    assert final == {"ttyUSB0": "1", "ttyUSB1": "2", "ttyUSB2": "", "ttyUSB3": ""}, final
    # Each write happened in its own port's event, not before.
    assert report["steps"][0]["latency_timer"] == {"ttyUSB0": "1", "ttyUSB1": "", "ttyUSB2": "", "ttyUSB3": ""}


def injected(step: Dict[str, Any]) -> List[str]:
    """Properties or links an instrument's answer may have smuggled in."""
    bad = []
    props = step["properties"]
    for key, value in props.items():
        if key.startswith("ID_SERIALCMD_"):
            if key not in HELPER_KEYS or not SAFE_VALUE.fullmatch(value):
                bad.append(f"{key}={value}")
        elif "evil" in value.lower() or "evil" in key.lower():
            bad.append(f"{key}={value}")
    if props.get("DEVNAME") != "/dev/" + step["step"]["device"]:
        bad.append("DEVNAME=" + props.get("DEVNAME", ""))
    bad += [k for k in step["dev"] if "evil" in k.lower()]
    bad += [line for line in step["stderr"].splitlines() if "(out)" in line and not re.search(
        r"\(out\) 'ID_SERIALCMD_(MODEL|SERIAL|IDENT)=[A-Za-z0-9._-]{1,128}'$", line)]
    return bad


def test_hostile_instrument_cannot_inject_properties(ns, test_rules: Path, profile_dir: Path) -> None:
    devices = [
        device("ttyUSB0", "0403", "6001",
               raw(b"EVIL,A,SER\nDEVNAME=/dev/evil\nSYMLINK+=evil\nID_MM_DEVICE_IGNORE=0\nSERIALCMD_PROFILE=x,FW\r"),
               serial="H0"),
        device("ttyUSB1", "0403", "6001", raw(b'EVIL\nDEVNAME=/dev/evil\n"$env{DEVNAME}"\x00\xff%k\r'), serial=None),
        device("ttyUSB2", "0403", "6010", sim("hostile-sim", profile_dir), serial="H2"),
    ]
    report = ns([test_rules], devices, [{"device": d["name"]} for d in devices])
    for d in devices:
        step = step_for(report, d["name"])
        assert helper_started(step)
        assert injected(step) == [], d["name"]
    s0 = step_for(report, "ttyUSB0")["properties"]
    assert s0["SERIALCMD_PROFILE"] == "hostile-cr"
    assert s0["ID_SERIALCMD_SERIAL"] == "SER_DEVNAME__dev_evil_SYMLINK__evil_ID_MM_DEVICE_IGNORE_0_SERIALCMD_PROFILE_x"
    assert s0["ID_MM_DEVICE_IGNORE"] == "1"
    assert_known(step_for(report, "ttyUSB0"), "ttyUSB0", "hostile-cr", "H0")
    assert_known(step_for(report, "ttyUSB2"), "ttyUSB2", "hostile-sim", "H2")


def test_silent_slow_and_busy_instruments(ns, test_rules: Path) -> None:
    devices = [
        device("ttyUSB0", "0403", "6001", {"kind": "silent"}, serial="S0"),
        device("ttyUSB1", "0403", "6001", raw(b"EVIL,never,ending" * 40 + b"\n", trickle_ms=30), serial="S1"),
        device("ttyUSB2", "0403", "6015", raw(b"anything\n"), serial="S2"),  # sleepy: pauses cut
        device("ttyUSB3", "0403", "6001", {"kind": "busy"}, serial="S3"),
    ]
    report = ns([test_rules], devices, [{"device": d["name"]} for d in devices])
    limit = TEST_DEADLINE_MS / 1000 + 1.0
    for name in ("ttyUSB0", "ttyUSB1", "ttyUSB3"):
        step = step_for(report, name)
        assert helper_started(step), name
        assert step["elapsed"] < limit, f"{name}: udevadm took {step['elapsed']:.2f} s"
        assert re.search(r"serialcmd-udev-id .*' succeeded", step["stderr"]), "the helper did not exit 0"
        assert "(out)" not in step["stderr"] and "(err)" not in step["stderr"], "the helper was not quiet"
        assert_untouched_props(step, name)
    sleepy = step_for(report, "ttyUSB2")
    assert sleepy["elapsed"] < limit
    assert sleepy["properties"]["SERIALCMD_PROFILE"] == "sleepy"
    assert base64.b64decode(report["received"]["ttyUSB3"]) == b"", "the helper wrote to a busy port"


def assert_untouched_props(step: Dict[str, Any], name: str) -> None:
    for key in ("SERIALCMD_PROFILE", "ID_MM_DEVICE_IGNORE", *HELPER_KEYS):
        assert key not in step["properties"], step["properties"]
    dev = step["dev"]
    assert not [k for k in dev if k.startswith("/dev/serialcmd/") and dev[k]["resolves"] == f"/dev/{name}"]


def test_change_event_keeps_the_answer_without_asking_again(ns, test_rules: Path) -> None:
    """udevadm trigger (a change event) must not reopen a port a program may use."""
    devices = [device("ttyUSB0", "0403", "6001", raw(b"EVIL,1,SN9,3\r"), serial=None)]
    steps = [{"device": "ttyUSB0"}, {"device": "ttyUSB0", "action": "change"}]
    report = ns([test_rules], devices, steps)
    add, change = step_for(report, "ttyUSB0", "add"), step_for(report, "ttyUSB0", "change")
    assert helper_started(add) and not helper_started(change)
    for step in (add, change):
        assert_known(step, "ttyUSB0", "hostile-cr", "SN9")
    assert base64.b64decode(report["received"]["ttyUSB0"]).count(b"*IDN?") == 1


def test_by_profile_link_with_several_instruments(ns, test_rules: Path) -> None:
    """The documented behaviour: each instrument keeps its PROFILE-SERIAL link;
    by-profile/PROFILE points at the one added last, and moves to one still
    there when that one goes."""
    devices = [device("ttyACM0", "2341", "0043", None, serial="AAA"),
               device("ttyACM1", "2341", "0043", None, serial="BBB")]
    steps = [{"device": "ttyACM0"}, {"device": "ttyACM1"}, {"device": "ttyACM1", "action": "remove"}]
    report = ns([test_rules], devices, steps)
    first, second, gone = report["steps"]
    assert first["dev"]["/dev/serialcmd/by-profile/arduino"]["resolves"] == "/dev/ttyACM0"
    assert second["dev"]["/dev/serialcmd/by-profile/arduino"]["resolves"] == "/dev/ttyACM1"
    assert second["dev"]["/dev/serialcmd/arduino-AAA"]["resolves"] == "/dev/ttyACM0"
    assert second["dev"]["/dev/serialcmd/arduino-BBB"]["resolves"] == "/dev/ttyACM1"
    assert gone["dev"]["/dev/serialcmd/by-profile/arduino"]["resolves"] == "/dev/ttyACM0"
    assert "/dev/serialcmd/arduino-BBB" not in gone["dev"]


def test_with_all_the_system_rules(ns, test_rules: Path) -> None:
    """Among every rules file of the system, ours still decides access and
    names, and nothing later undoes them."""
    devices = [device("ttyACM0", "2341", "0043", None, serial="SYS1"),
               device("ttyUSB1", "dead", "beef", None, serial="SYS2")]
    report = ns([test_rules], devices, [{"device": "ttyACM0"}, {"device": "ttyUSB1"}], system_rules=True)
    step = step_for(report, "ttyACM0")
    assert_known(step, "ttyACM0", "arduino", "SYS1")
    assert "/run/udev/rules.d/70-serialcmd.rules" in step["stderr"]
    other = step_for(report, "ttyUSB1")
    assert "SERIALCMD_PROFILE" not in other["properties"]
    assert "uaccess" not in other["properties"].get("TAGS", "")


def test_helper_refuses_the_console(ns, test_rules: Path, profile_dir: Path) -> None:
    devices = [device("ttyUSB0", "0403", "6001", raw(b"EVIL,1,2,3\n"), serial="C0")]
    steps = [{"run": [str(HELPER), f"--profile-dir={profile_dir}", "/dev/ttyUSB0", "hostile-lf"]}]
    report = ns([test_rules], devices, steps, console="tty0 ttyUSB0")
    run = report["steps"][0]
    assert run["rc"] == 2 and run["stdout"] == "" and "kernel console" in run["stderr"]
    assert base64.b64decode(report["received"]["ttyUSB0"]) == b""


def test_log_lint_catches_broken_rules(ns, tmp_path: Path) -> None:
    """udevadm test exits 0 on broken rules: the log check must see them."""
    broken = tmp_path / "70-serialcmd.rules"
    broken.write_text('FOOBAR=="x", GOTO="serialcmd_end"\nKERNEL="ttyUSB0", SYMLINK+="a"\n'
                      'SYMLINK+="c\nENV{Y}="$env{Z"\nGOTO="nowhere"\nLABEL="serialcmd_end"\n')
    devices = [device("ttyUSB0", "dead", "beef", None, serial="L0")]
    steps = [{"run": ["udevadm", "test", "--action=add",
                      "/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0"]}]
    report = ns([broken], devices, steps)
    run = report["steps"][0]
    assert run["rc"] == 0, "udevadm test now fails on broken rules: the log check could be simpler"
    problems = log_problems(run["stderr"], "70-serialcmd.rules")
    assert len(problems) >= 4, run["stderr"]


def test_udevadm_verify(test_rules: Path) -> None:
    if not shutil.which("udevadm"):
        pytest.skip("no udevadm")
    probe = subprocess.run(["udevadm", "verify", "--help"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        version = subprocess.run(["udevadm", "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
        pytest.skip(f"udevadm {version} has no verify verb (newer systemd has); the log lint covers the rules")
    for rules in (RULES, test_rules):
        p = subprocess.run(["udevadm", "verify", "--resolve-names=never", str(rules)],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stdout + p.stderr
