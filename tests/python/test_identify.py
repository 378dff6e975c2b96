# SPDX-License-Identifier: MIT
"""One identification: ``serialcmd --find PROFILE --identify`` and the udev
helper (serialcmd-udev-id) name the same port the same way for the same device.

Each case is a fake USB serial port (a fake sysfs tree under
SERIALCMD_SYSFS_ROOT, and a /dev symlink to a pseudo-terminal of this test,
as test_instrument_data.py's fake_usb makes) whose other end answers the
identify query with chosen bytes. The CLI is asked to find the profile's
ports with --identify; the helper is run on the same port as udev would run
it (no PATH, the USB ids in its environment, profiles from --profile-dir).
No real device is opened and nothing of udev is touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

import serialcmd
from serialcmd_testlib import ROOT

sys.path.insert(0, str(ROOT / "tests" / "udev"))
from udevns import Responder  # noqa: E402  (the raw pty responder test_udev.py uses)

HELPER = ROOT / "udev" / "serialcmd-udev-id"
CLI = next((p for p in (ROOT / "tools" / "serialcmd", ROOT / "devices" / "serialcmd") if p.exists()),
           ROOT / "devices" / "serialcmd")
VID, PID = 0x1234, 0x5678
TIMEOUT = 20.0

BASE = f"eol = LF\ntimeout_ms = 700\nidentify = *IDN?\nusb = {VID:04x}:{PID:04x}\n"
PROFILES = {
    "acme-widget": BASE + "identify_match = ACME,WIDGET,*\n",
    # No trailing '*': only trimming lets "ACME,WIDGET\r" (CR before the LF
    # terminator) and "  ACME,WIDGET  " fit.
    "acme-exact": BASE + "identify_match = ACME,WIDGET\n",
    # An identify query without a pattern identifies nothing.
    "acme-nopattern": BASE,
}

# (answer, profile, identified)
CASES = [
    (b"ACME,WIDGET,W123,1.0\n", "acme-widget", True),
    (b"OTHER,GADGET,G1,1.0\n", "acme-widget", False),
    (b"ACME,WIDGET\r\n", "acme-exact", True),
    (b"  ACME,WIDGET \t\n", "acme-exact", True),
    (b"ACME,WIDGETS\n", "acme-exact", False),
    # A NUL byte would cut the match short ("ACME,WIDGET" for fnmatch).
    (b"ACME,WIDGET,\x00EVIL\n", "acme-widget", False),
    (b"ACME,WIDGET\x00,X,1\n", "acme-exact", False),
    (b"ACME,WIDGET,W123,1.0\n", "acme-nopattern", False),
    (b" \r\n", "acme-nopattern", False),
    (None, "acme-widget", False),  # silent
]


@pytest.fixture
def usb_pty(tmp_path: Path) -> Iterator:
    """usb_pty(answer) -> the /dev path of a fake USB port served by a responder."""
    import tty

    made: List[tuple] = []
    received: Dict[str, Responder] = {}
    root = tmp_path / "sysfs"
    (root / "class/tty").mkdir(parents=True)

    def make(answer: Optional[bytes], vid: int = VID, pid: int = PID, serial: Optional[str] = None) -> str:
        master, slave = os.openpty()
        tty.setraw(slave)
        responder = Responder(master, answer, 0)
        responder.start()
        n = len(made)
        name = f"serialcmd-ident-{os.getpid()}-{n}"
        usb = root / f"devices/usb1/1-{n + 1}"
        intf = usb / f"1-{n + 1}:1.0"
        ttydir = intf / f"tty/{name}"
        ttydir.mkdir(parents=True)
        for k, v in {"idVendor": f"{vid:04x}", "idProduct": f"{pid:04x}", "serial": serial or f"S{n}",
                     "manufacturer": "Test", "product": "Fake adapter"}.items():
            (usb / k).write_text(v + "\n")
        (intf / "bInterfaceNumber").write_text("00\n")
        (ttydir / "device").symlink_to(intf)
        (root / "class/tty" / name).symlink_to(ttydir)
        dev = f"/dev/{name}"
        os.symlink(os.ttyname(slave), dev)
        made.append((dev, master, slave, responder))
        received[dev] = responder
        return dev

    make.received = received  # type: ignore[attr-defined]
    yield make
    for dev, master, slave, responder in made:
        responder.stopping = True
        responder.join(timeout=5)
        os.unlink(dev)
        os.close(slave)
        os.close(master)


@pytest.fixture
def profile_dir(tmp_path: Path) -> Path:
    d = tmp_path / "profiles"
    d.mkdir()
    for name, text in {**PROFILES, **POLICY_PROFILES}.items():
        (d / f"{name}.profile").write_text(text)
    return d


def run_cli_find(profile: str, profile_dir: Path, sysfs: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SERIALCMD_SYSFS_ROOT=str(sysfs), SERIALCMD_DEVICES=str(profile_dir))
    env.pop("SERIALCMD_TRACE", None)
    return subprocess.run([str(CLI), *extra, "--find", profile, "--identify"], capture_output=True, text=True,
                          timeout=TIMEOUT, env=env, stdin=subprocess.DEVNULL)


def cli_finds(profile: str, profile_dir: Path, sysfs: Path) -> List[str]:
    r = run_cli_find(profile, profile_dir, sysfs)
    assert r.returncode in (0, 1), r.stderr
    return [line.split("\t")[0] for line in r.stdout.splitlines()]


def helper_names(dev: str, profile: str, profile_dir: Path) -> Optional[str]:
    env: Dict[str, str] = {"ID_VENDOR_ID": f"{VID:04x}", "ID_MODEL_ID": f"{PID:04x}",
                           "ID_USB_INTERFACE_NUM": "00"}
    r = subprocess.run([str(HELPER), f"--profile-dir={profile_dir}", dev, profile], capture_output=True,
                       text=True, timeout=TIMEOUT, env=env, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    props = dict(line.split("=", 1) for line in r.stdout.splitlines())
    return props.get("ID_SERIALCMD_MODEL")


@pytest.mark.parametrize("answer,profile,identified", CASES)
def test_cli_and_udev_helper_agree(usb_pty, profile_dir: Path, tmp_path: Path, answer: Optional[bytes],
                                   profile: str, identified: bool) -> None:
    dev = usb_pty(answer)
    found = cli_finds(profile, profile_dir, tmp_path / "sysfs")
    named = helper_names(dev, profile, profile_dir)
    assert (dev in found, named == profile) == (identified, identified), (found, named)


def test_both_pick_the_same_port_among_several(usb_pty, profile_dir: Path, tmp_path: Path) -> None:
    """Three adapters with the same ids: only the one whose instrument answers
    as the profile says is named, by both."""
    devs = [usb_pty(b"OTHER,GADGET,G1,1\n"), usb_pty(b"ACME,WIDGET\r\n"), usb_pty(b"ACME,WIDGET\x00\n")]
    assert cli_finds("acme-exact", profile_dir, tmp_path / "sysfs") == [devs[1]]
    assert [helper_names(d, "acme-exact", profile_dir) for d in devs] == [None, "acme-exact", None]


# ---------------------------------------------------------------------------
# issue 18: never poke a stranger's device behind a generic bridge's ids

BRIDGE = (0x1A86, 0x7523)  # WCH CH340: any maker's device may sit behind it
BRIDGE_BASE = "eol = LF\ntimeout_ms = 700\nidentify = ID?\nidentify_match = ARDUINO,*\nusb = 1a86:7523\n"
POLICY_PROFILES = {
    "ch340-auto": BRIDGE_BASE,
    "ch340-always": BRIDGE_BASE + "probe = always\n",
    "ch340-serial": BRIDGE_BASE + "usb_serial = S-WANTED\n",
    "acme-never": BASE + "identify_match = ACME,WIDGET,*\nprobe = never\n",
}


def run_helper_v(dev: str, profile: str, profile_dir: Path, vid: int, pid: int) -> subprocess.CompletedProcess:
    env = {"ID_VENDOR_ID": f"{vid:04x}", "ID_MODEL_ID": f"{pid:04x}", "ID_USB_INTERFACE_NUM": "00"}
    return subprocess.run([str(HELPER), "-v", f"--profile-dir={profile_dir}", dev, profile], capture_output=True,
                          text=True, timeout=TIMEOUT, env=env, stdin=subprocess.DEVNULL)


def test_bridge_id_is_matched_passively(usb_pty, profile_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """A profile listing the CH340's id, with the default probe = auto: the
    port is found on its ids, and neither the CLI nor the helper sends a byte."""
    dev = usb_pty(b"ARDUINO,sketch,1.0\n", *BRIDGE)
    r = run_cli_find("ch340-auto", profile_dir, tmp_path / "sysfs", "--trace")
    assert r.returncode == 0, r.stderr
    time.sleep(0.2)
    assert usb_pty.received[dev].received == b"", "--find --identify sent a query behind a generic bridge"
    assert [line.split("\t")[0] for line in r.stdout.splitlines()] == [dev]
    assert (f"{dev}: passive match for profile ch340-auto: 1a86:7523 is a generic WCH CH340 bridge; "
            "not probing (set probe = always in the profile to allow it)") in r.stderr
    # Without --trace the same port, its line saying why, and not a word on stderr.
    r = run_cli_find("ch340-auto", profile_dir, tmp_path / "sysfs")
    assert (r.returncode, r.stderr) == (0, "") and r.stdout.startswith(dev + "\t")
    assert r.stdout.rstrip("\n").split("\t")[-1] == (
        "passive=1a86:7523 is a generic WCH CH340 bridge; not probing (set probe = always in the profile to allow it)")
    # The Python package: the same port, and the same reason.
    monkeypatch.setenv("SERIALCMD_SYSFS_ROOT", str(tmp_path / "sysfs"))
    monkeypatch.setenv("SERIALCMD_DEVICES", str(profile_dir))
    found = serialcmd.find("ch340-auto", identify=True)
    assert [(p.device, p.passive) for p in found] == [
        (dev, "1a86:7523 is a generic WCH CH340 bridge; not probing (set probe = always in the profile to allow it)")]
    assert [(p.device, p.passive) for p in serialcmd.find("ch340-auto")] == [(dev, None)]
    h = run_helper_v(dev, "ch340-auto", profile_dir, *BRIDGE)
    assert (h.returncode, h.stdout) == (0, "")
    assert "passive match only: 1a86:7523 is a generic WCH CH340 bridge; not probing" in h.stderr
    assert "not opened" in h.stderr
    time.sleep(0.2)
    assert usb_pty.received[dev].received == b"", "a query went to a port behind a generic bridge"


def test_probe_always_asks_behind_a_bridge(usb_pty, profile_dir: Path, tmp_path: Path) -> None:
    """probe = always is the explicit opt-in: both ask, and agree."""
    dev = usb_pty(b"ARDUINO,sketch,1.0\n", *BRIDGE)
    other = usb_pty(b"GPS,NMEA\n", *BRIDGE)
    assert cli_finds("ch340-always", profile_dir, tmp_path / "sysfs") == [dev]
    assert "passive=" not in run_cli_find("ch340-always", profile_dir, tmp_path / "sysfs").stdout
    assert run_helper_v(dev, "ch340-always", profile_dir, *BRIDGE).stdout.startswith("ID_SERIALCMD_MODEL=ch340-always\n")
    assert run_helper_v(other, "ch340-always", profile_dir, *BRIDGE).stdout == ""
    assert usb_pty.received[dev].received.startswith(b"ID?\n")


def test_probe_never_and_usb_strings(usb_pty, profile_dir: Path, tmp_path: Path) -> None:
    """probe = never sends nothing even on a maker's own id; a required USB
    serial number narrows a passive match to the one unit."""
    acme = usb_pty(b"ACME,WIDGET,W1,1\n")
    wanted = usb_pty(b"x\n", *BRIDGE, serial="S-WANTED")
    usb_pty(b"x\n", *BRIDGE, serial="S-OTHER")
    r = run_cli_find("acme-never", profile_dir, tmp_path / "sysfs", "--trace")
    assert [line.split("\t")[0] for line in r.stdout.splitlines()] == [acme]
    assert "profile acme-never sets probe = never; not probing" in r.stderr
    assert run_helper_v(acme, "acme-never", profile_dir, VID, PID).stdout == ""
    assert cli_finds("ch340-serial", profile_dir, tmp_path / "sysfs") == [wanted]
    time.sleep(0.2)
    assert all(resp.received == b"" for resp in usb_pty.received.values())
