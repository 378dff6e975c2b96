# SPDX-License-Identifier: MIT
"""Finding serial ports: every port on the system, or those a device
profile recognises (client_list_ports(), client_find_ports())."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any, List, Optional

from ._lib import Library, PortListHandle, get_library
from ._spec import check_no_nul

__all__ = ["PortInfo", "list_ports", "find"]

#: client_port_transport values.
_TRANSPORTS = {0: "native", 1: "usb", 2: "bluetooth"}
CLIENT_LIST_ALL = 1
CLIENT_FIND_IDENTIFY = 2


@dataclass(frozen=True)
class PortInfo:
    """One serial port. USB fields are None for ports that are not USB."""

    device: str
    description: str
    driver: str
    transport: str
    vid: Optional[int]
    pid: Optional[int]
    serial_number: Optional[str]
    manufacturer: Optional[str]
    product: Optional[str]
    interface: Optional[int]
    console: bool
    #: From find(identify=True): why the port was kept without being asked
    #: (a generic USB-serial bridge's ids, or probe = never); None if it was
    #: asked and answered, or not looked for.
    passive: Optional[str] = None

    @property
    def usb_id(self) -> Optional[str]:
        """``"VID:PID"`` in hex, as in a ``usb:`` port spec."""
        return None if self.vid is None else f"{self.vid:04x}:{self.pid:04x}"


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


def _convert(lib: Library, array: Any, i: int) -> PortInfo:
    """Port i of a list, read through the library's accessors (the list's
    layout is the library's own)."""
    vid = lib.client_port_usb_vid(array, i)
    usb = vid >= 0
    interface = lib.client_port_usb_interface(array, i)
    return PortInfo(
        device=_text(lib.client_port_name(array, i)),
        description=_text(lib.client_port_description(array, i)),
        driver=_text(lib.client_port_driver(array, i)),
        transport=_TRANSPORTS.get(lib.client_port_transport(array, i), "native"),
        vid=vid if usb else None,
        pid=lib.client_port_usb_pid(array, i) if usb else None,
        serial_number=_text(lib.client_port_usb_serial(array, i)) if usb else None,
        manufacturer=_text(lib.client_port_usb_manufacturer(array, i)) if usb else None,
        product=_text(lib.client_port_usb_product(array, i)) if usb else None,
        interface=interface if interface >= 0 else None,
        console=bool(lib.client_port_console(array, i)),
        passive=_text(lib.client_port_passive(array, i)) or None,
    )


def _collect(count: int, array: Any) -> List[PortInfo]:
    lib = get_library()
    try:
        return [_convert(lib, array, i) for i in range(count)]
    finally:
        lib.client_free_ports(array)


def list_ports(all: bool = False) -> List[PortInfo]:  # noqa: A002 - mirrors the CLI's --all
    """The serial ports of this system, read from sysfs; none is opened.
    On-board UARTs that report no hardware (phantom ttyS0-ttyS31) are left
    out unless ``all`` is true."""
    lib = get_library()
    array = PortListHandle()
    count = lib.client_list_ports(ctypes.byref(array), CLIENT_LIST_ALL if all else 0)
    return _collect(count, array)


def find(profile: str, identify: bool = False) -> List[PortInfo]:
    """The ports whose USB ids the device profile lists, opening none; with
    ``identify``, each of those is opened with the profile's settings and
    kept only if it answers the profile's identify query as expected; except
    where the profile may not ask (a generic USB-serial bridge's ids without
    ``probe = always``, or ``probe = never``): such a port is kept on its ids
    and USB strings, unopened, with ``passive`` saying why."""
    check_no_nul(profile, "profile")
    lib = get_library()
    array = PortListHandle()
    count = lib.client_find_ports(profile.encode(), ctypes.byref(array),
                                  CLIENT_FIND_IDENTIFY if identify else 0)
    return _collect(count, array)
