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
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

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
    root = tmp_path / "sysfs"
    (root / "class/tty").mkdir(parents=True)

    def make(answer: Optional[bytes]) -> str:
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
        for k, v in {"idVendor": f"{VID:04x}", "idProduct": f"{PID:04x}", "serial": f"S{n}",
                     "manufacturer": "Test", "product": "Fake adapter"}.items():
            (usb / k).write_text(v + "\n")
        (intf / "bInterfaceNumber").write_text("00\n")
        (ttydir / "device").symlink_to(intf)
        (root / "class/tty" / name).symlink_to(ttydir)
        dev = f"/dev/{name}"
        os.symlink(os.ttyname(slave), dev)
        made.append((dev, master, slave, responder))
        return dev

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
    for name, text in PROFILES.items():
        (d / f"{name}.profile").write_text(text)
    return d


def cli_finds(profile: str, profile_dir: Path, sysfs: Path) -> List[str]:
    env = dict(os.environ, SERIALCMD_SYSFS_ROOT=str(sysfs), SERIALCMD_DEVICES=str(profile_dir))
    r = subprocess.run([str(CLI), "--find", profile, "--identify"], capture_output=True, text=True,
                       timeout=TIMEOUT, env=env, stdin=subprocess.DEVNULL)
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
