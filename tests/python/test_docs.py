# SPDX-License-Identifier: MIT
"""The documentation names every spec key the library accepts (issue 16): the
README's spec table and serialcmd(1)'s SPEC STRING section list exactly the
keys of client_spec_keys(), so a new key cannot go undocumented again (the
README lacked unsolicited=, serialcmd(1) lacked tcp://, rfc2217://, usb: and
several keys' descriptions). Every installed program has a man page."""

from __future__ import annotations

import re
import subprocess
import sys

import serialcmd

from serialcmd_testlib import ROOT


def spec_keys() -> list[str]:
    return serialcmd.get_library().spec_keys()  # client_spec_keys()


def man_section(page: str, name: str) -> str:
    text = (ROOT / page).read_text()
    m = re.search(r'^\.SH "?' + re.escape(name) + r'"?\n(.*?)(?=^\.SH )', text, re.S | re.M)
    assert m, f"{page}: no section {name}"
    return m.group(1)


def test_man_page_lists_every_spec_key():
    section = man_section("tools/serialcmd.1", "SPEC STRING")
    items = re.findall(r"^\.TP\n\.B (\S+)\n", section, re.M)
    keys = spec_keys()
    assert len(keys) >= 20
    assert sorted(items) == sorted(keys)
    # The ports too.
    for port in ("usb:", "tcp://", "rfc2217://"):
        assert port in section


def test_readme_lists_every_spec_key():
    text = (ROOT / "README.md").read_text()
    table = text.split("## The spec string", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\w+) \|", table, re.M)
    assert sorted(r for r in rows if r != "key") == sorted(spec_keys())


def test_every_installed_program_has_a_man_page():
    makefile = (ROOT / "Makefile").read_text()
    for page in ("tools/serialcmd.1", "devices/sim/serialcmd-sim.1"):
        assert (ROOT / page).is_file()
        assert page in makefile  # installed by make install
    installed = (ROOT / "debian" / "serialcmd.install").read_text().split()
    for prog in (p for p in installed if p.startswith("usr/bin/")):
        name = prog.rsplit("/", 1)[1]
        assert f"usr/share/man/man1/{name}.1" in installed, name


def test_devices_readme_names_every_shipped_profile():
    text = (ROOT / "devices" / "README.md").read_text()
    shipped = text.split("Shipped:", 1)[1].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z0-9-]+)`", shipped))
    files = {p.stem for p in (ROOT / "devices" / "profiles").glob("*.profile")}
    assert files <= named, f"not in devices/README.md's Shipped list: {sorted(files - named)}"
    # The [waveform] section and each of its keys are described.
    fmt = text.split("### Format", 1)[1]
    assert "[waveform " in fmt
    for key in ("get", "prefix", "ascii_get", "set", "points", "datatype", "endian", "amplitude"):
        assert re.search(rf"^    {key} = ", fmt, re.M), key


def test_section_3_pages_cover_every_call(tmp_path):
    """tools/gen-man3.py makes a page per call group and a link per call,
    from the header's comments: every exported call has one, documented."""
    subprocess.run([sys.executable, str(ROOT / "tools" / "gen-man3.py"), str(ROOT / "include" / "serialcmd.h"),
                    str(tmp_path), "1.0.0"], check=True)
    header = (ROOT / "include" / "serialcmd.h").read_text()
    calls = re.findall(r"^SERIALCMD_API[^(]*?(\w+)\(", header, re.M)
    assert len(calls) >= 40
    for call in calls:
        link = (tmp_path / f"{call}.3").read_text()
        m = re.fullmatch(r"\.so man3/(libserialcmd-\w+\.3)\n", link)
        assert m, call
        page = (tmp_path / m.group(1)).read_text()
        assert f".SS {call}()\n" in page, call
        assert re.search(rf"^[^\n]*\\?\b{call}\(", page.split(".SH DESCRIPTION")[0], re.M), call
    assert ".BR libserialcmd\\-abi (3)" in (tmp_path / "libserialcmd.3").read_text()
