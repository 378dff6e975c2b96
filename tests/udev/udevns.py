# SPDX-License-Identifier: MIT
"""Run the real ``udevadm test`` on fake USB serial devices, in a private namespace.

Run as root, inside ``unshare --mount --propagation private --pid --fork
--mount-proc``, as ``udevns.py CONFIG.json RESULT.json``. Nothing of the
machine's own devices or udev state is touched: this process mounts, in its
own mount namespace only,

- a tmpfs over /sys holding a fake sysfs tree: for each device a USB device
  (idVendor, idProduct, serial, manufacturer, product, descriptors), its
  interface, and a tty child whose ``dev`` holds the major:minor of a
  pseudo-terminal this process serves;
- a tmpfs over /dev with /dev/null, a new devpts instance and ptmx; each
  device node (/dev/ttyUSB0...) is that pty's slave bind-mounted, so a
  program that opens it talks to the pty;
- a tmpfs over /run (udev's database, links and /run/udev/rules.d);
- empty tmpfs over the other rules directories, so that udevadm reads only
  the rules the config lists (copied to /run/udev/rules.d), or, with
  "system_rules", the system's rules plus those.

Behind each pty is a serialcmd-sim (started here, after the new devpts is
mounted, so its pty lives in it) or a raw responder thread of this process
(fixed reply bytes, optionally trickled; or silent), or nothing; "busy"
holds the pty with flock() as another program would.

Then it runs the config's steps (``udevadm test --action=A DEVPATH``, or a
command) and writes, as JSON: each step's exit status, output and time, the
properties udevadm printed, the state of /dev afterwards (symlinks, modes,
groups), the content of each device's fake ``latency_timer`` file (ftdi_sio's
attribute of the usb-serial port, when the device spec gives one), the udev
database files, and what each raw responder received.
All processes it started are stopped by PID; being PID 1 of its namespace,
its end takes anything left with it.
"""

from __future__ import annotations

import base64
import json
import os
import select
import signal
import stat
import struct
import subprocess
import sys
import threading
import time
import tty
from typing import Any, Dict, List, Optional

STEP_TIMEOUT = 60.0
# Where udev 252 reads rules; /run/udev/rules.d is ours (a fresh tmpfs).
RULES_DIRS = ["/etc/udev/rules.d", "/usr/local/lib/udev/rules.d", "/usr/lib/udev/rules.d", "/lib/udev/rules.d"]
SYSTEM_RULES_DIRS = {"/usr/lib/udev/rules.d", "/lib/udev/rules.d"}


def run(*argv: str) -> None:
    subprocess.run(argv, check=True)


def write(path: str, data: "str | bytes") -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def symlink(path: str, target: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


def rel(frm: str, to: str) -> str:
    return os.path.relpath(to, os.path.dirname(frm))


def descriptors(vid: int, pid: int, if_class: int, if_sub: int, if_proto: int, if_num: int) -> bytes:
    """The device, configuration and one interface descriptor, as sysfs shows them."""
    dev = struct.pack("<BBHBBBBHHHBBBB", 18, 1, 0x0200, 0, 0, 0, 64, vid, pid, 0x0100, 1, 2, 3, 1)
    cfg = struct.pack("<BBHBBBBB", 9, 2, 9 + 9, 1, 1, 0, 0x80, 50)
    intf = struct.pack("<BBBBBBBBB", 9, 4, if_num, 0, 1, if_class, if_sub, if_proto, 0)
    return dev + cfg + intf


class Responder(threading.Thread):
    """Serves a pty master: after each line received, sends reply (one byte
    every trickle_ms if set); silent when reply is None."""

    def __init__(self, master: int, reply: Optional[bytes], trickle_ms: int) -> None:
        super().__init__(daemon=True)
        self.master = master
        self.reply = reply
        self.trickle_ms = trickle_ms
        self.received = b""
        self.stopping = False

    def run(self) -> None:
        pending = b""
        while not self.stopping:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                time.sleep(0.02)  # no slave open just now
                continue
            self.received += data
            pending += data
            while b"\n" in pending or b"\r" in pending:
                cut = min(i for i in (pending.find(b"\n"), pending.find(b"\r")) if i >= 0)
                pending = pending[cut + 1:]
                if self.reply is None:
                    continue
                if self.trickle_ms:
                    for b in self.reply:
                        if self.stopping:
                            return
                        os.write(self.master, bytes([b]))
                        time.sleep(self.trickle_ms / 1000)
                else:
                    os.write(self.master, self.reply)


class Device:
    def __init__(self, index: int, spec: Dict[str, Any]) -> None:
        self.spec = spec
        self.name: str = spec["name"]
        self.index = index
        self.sim: Optional[subprocess.Popen] = None
        self.responder: Optional[Responder] = None
        self.fds: List[int] = []
        self.devpath = ""
        self.latency_file = ""

    # -- the pty behind it
    def serve(self, sim_bin: str) -> str:
        serve = self.spec.get("serve") or {"kind": "none"}
        kind = serve["kind"]
        if kind == "sim":
            env = dict(os.environ)
            env.update(serve.get("env", {}))
            self.sim = subprocess.Popen([sim_bin, *serve.get("args", []), serve["profile"]],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env)
            assert self.sim.stdout is not None
            fd = self.sim.stdout.fileno()
            deadline = time.monotonic() + 10
            buf = b""
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"serialcmd-sim {serve['profile']}: no pty path")
                ready, _, _ = select.select([fd], [], [], left)
                if ready:
                    chunk = os.read(fd, 4096)
                    if not chunk:
                        raise RuntimeError(f"serialcmd-sim {serve['profile']} exited with {self.sim.wait()}")
                    buf += chunk
            path = buf.split(b"\n", 1)[0].decode()
            assert path.startswith("/dev/pts/"), path
            return path
        master, slave = os.openpty()
        tty.setraw(slave)
        self.fds += [master, slave]
        if kind in ("raw", "silent", "busy"):
            reply = base64.b64decode(serve["reply"]) if kind == "raw" else None
            self.responder = Responder(master, reply, int(serve.get("trickle_ms", 0)))
            self.responder.start()
        if kind == "busy":
            import fcntl
            fcntl.flock(slave, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return os.ttyname(slave)

    def stop(self) -> None:
        if self.responder:
            self.responder.stopping = True
            self.responder.join(timeout=5)
        if self.sim and self.sim.poll() is None:
            self.sim.send_signal(signal.SIGTERM)
            try:
                self.sim.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.sim.kill()
                self.sim.wait(timeout=5)
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []

    # -- the fake sysfs entries
    def build_sysfs(self, pts: str) -> None:
        s = self.spec
        rdev = os.stat(pts).st_rdev
        major, minor = os.major(rdev), os.minor(rdev)
        vid, pid = int(s["vid"], 16), int(s["pid"], 16)
        if_num = int(s.get("interface", 0))
        acm = self.name.startswith("ttyACM")
        if_class, if_sub, if_proto = (2, 2, 1) if acm else (0xFF, 0xFF, 0xFF)
        port = self.index + 1
        pci = "/sys/devices/pci0000:00/0000:00:14.0"
        usb = f"{pci}/usb1/1-{port}"
        intf = f"{usb}/1-{port}:1.{if_num}"
        if not os.path.exists(pci + "/uevent"):
            write(pci + "/uevent", "DRIVER=xhci_hcd\nPCI_CLASS=C0330\nPCI_ID=8086:A36D\nPCI_SLOT_NAME=0000:00:14.0\n")
            symlink(pci + "/subsystem", rel(pci + "/subsystem", "/sys/bus/pci"))
            write(pci + "/usb1/uevent", "DEVTYPE=usb_device\nPRODUCT=1d6b/2/606\n")
            symlink(pci + "/usb1/subsystem", rel(pci + "/usb1/subsystem", "/sys/bus/usb"))
            for k, v in dict(idVendor="1d6b", idProduct="0002", busnum="1", devnum="1").items():
                write(f"{pci}/usb1/{k}", v + "\n")
        write(usb + "/uevent", f"DEVTYPE=usb_device\nPRODUCT={vid:x}/{pid:x}/100\nBUSNUM=001\nDEVNUM={port + 1:03d}\n")
        symlink(usb + "/subsystem", rel(usb + "/subsystem", "/sys/bus/usb"))
        attrs = dict(idVendor=f"{vid:04x}", idProduct=f"{pid:04x}", bcdDevice="0100", busnum="1",
                     devnum=str(port + 1), bDeviceClass="00", bNumInterfaces=" 1")
        for key in ("serial", "manufacturer", "product"):
            if s.get(key) is not None:
                attrs[key] = s[key]
        for k, v in attrs.items():
            write(f"{usb}/{k}", v + "\n")
        write(usb + "/descriptors", descriptors(vid, pid, if_class, if_sub, if_proto, if_num))
        write(intf + "/uevent", f"DEVTYPE=usb_interface\nINTERFACE={if_class}/{if_sub}/{if_proto}\n")
        symlink(intf + "/subsystem", rel(intf + "/subsystem", "/sys/bus/usb"))
        for k, v in dict(bInterfaceNumber=f"{if_num:02x}", bInterfaceClass=f"{if_class:02x}",
                         bInterfaceSubClass=f"{if_sub:02x}", bInterfaceProtocol=f"{if_proto:02x}",
                         bAlternateSetting=" 0").items():
            write(f"{intf}/{k}", v + "\n")
        if acm:
            ttydir = f"{intf}/tty/{self.name}"
        else:
            serdev = f"{intf}/{self.name}"
            driver = s.get("driver", "ftdi_sio")
            write(serdev + "/uevent", f"DRIVER={driver}\n")
            write(serdev + "/port_number", "0\n")
            symlink(serdev + "/subsystem", rel(serdev + "/subsystem", "/sys/bus/usb-serial"))
            os.makedirs(f"/sys/bus/usb-serial/drivers/{driver}", exist_ok=True)
            symlink(serdev + "/driver", rel(serdev + "/driver", f"/sys/bus/usb-serial/drivers/{driver}"))
            if s.get("latency_timer"):
                # ftdi_sio's attribute, on the usb-serial port: what the rules
                # write. It starts empty: udev writes the value at offset 0
                # without truncating (a sysfs store replaces it whole), so on a
                # regular file "16\n" would still read "16\n" after a write of
                # "1". Empty, it holds exactly what was written, if anything.
                write(serdev + "/latency_timer", "")
                self.latency_file = serdev + "/latency_timer"
            ttydir = f"{serdev}/tty/{self.name}"
        write(ttydir + "/uevent", f"MAJOR={major}\nMINOR={minor}\nDEVNAME={self.name}\n")
        # As in the real sysfs: the tty's "device" link names its parent port.
        symlink(ttydir + "/device", rel(ttydir + "/device", intf if acm else serdev))
        write(ttydir + "/dev", f"{major}:{minor}\n")
        symlink(ttydir + "/subsystem", rel(ttydir + "/subsystem", "/sys/class/tty"))
        # No /sys/class/tty/NAME entry: libserialport then declines the port
        # and the library uses termios, which suits the pty behind it.
        self.devpath = ttydir[len("/sys"):]
        node = "/dev/" + self.name
        write(node, "")
        run("mount", "--bind", pts, node)


def setup_mounts(cfg: Dict[str, Any]) -> None:
    rules = {os.path.basename(p): open(p, "rb").read() for p in cfg["rules"]}
    run("mount", "-t", "tmpfs", "-o", "mode=0755", "sysfs-fake", "/sys")
    for d in ("class/tty", "bus/usb", "bus/pci", "bus/usb-serial"):
        os.makedirs("/sys/" + d)
    if cfg.get("console"):
        write("/sys/class/tty/console/active", cfg["console"] + "\n")
    run("mount", "-t", "tmpfs", "-o", "mode=0755", "dev-fake", "/dev")
    os.mkdir("/dev/pts")
    run("mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=0620", "devpts", "/dev/pts")
    os.symlink("pts/ptmx", "/dev/ptmx")
    os.mknod("/dev/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.chmod("/dev/null", 0o666)
    run("mount", "-t", "tmpfs", "-o", "mode=0755", "run-fake", "/run")
    os.makedirs("/run/udev/rules.d")
    # Hidden: the admin's and locally installed rules (a copy of ours among
    # them), and the system's unless asked for.
    masked = [d for d in RULES_DIRS if not (cfg.get("system_rules") and d in SYSTEM_RULES_DIRS)]
    for d in masked:
        if os.path.isdir(d) and not os.path.islink(d):
            run("mount", "-t", "tmpfs", "-o", "mode=0755", "rules-masked", d)
    for name, data in rules.items():
        write("/run/udev/rules.d/" + name, data)


def dev_state() -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for top, dirs, files in os.walk("/dev"):
        if top.startswith("/dev/pts"):
            continue
        for n in dirs + files:
            p = os.path.join(top, n)
            st = os.lstat(p)
            if os.path.islink(p):
                out[p] = {"link": os.readlink(p), "resolves": os.path.realpath(p)}
            elif n in files and p != "/dev/null":
                out[p] = {"mode": st.st_mode & 0o7777, "uid": st.st_uid, "gid": st.st_gid,
                          "rdev": [os.major(st.st_rdev), os.minor(st.st_rdev)]}
    return out


def udev_db() -> Dict[str, str]:
    out = {}
    for top, _, files in os.walk("/run/udev/data"):
        for n in files:
            with open(os.path.join(top, n), errors="replace") as f:
                out[n] = f.read()
    return out


def latency_state(devices: List["Device"]) -> Dict[str, str]:
    """The fake latency_timer file of each device that has one, as it is now."""
    out = {}
    for d in devices:
        if d.latency_file:
            with open(d.latency_file) as f:
                out[d.name] = f.read()
    return out


def parse_properties(stdout: str) -> Dict[str, str]:
    props = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep and key and key.replace("_", "").replace(".", "").isalnum() and key.upper() == key:
            props[key] = value
    return props


def main() -> int:
    cfg_path, result_path = sys.argv[1], sys.argv[2]
    with open(cfg_path) as f:
        cfg = json.load(f)
    if os.getpid() != 1:
        print("udevns.py: must run as PID 1 of a new PID namespace (unshare --pid --fork)", file=sys.stderr)
        return 2
    setup_mounts(cfg)
    devices = [Device(i, spec) for i, spec in enumerate(cfg["devices"])]
    by_name = {d.name: d for d in devices}
    result: Dict[str, Any] = {"steps": []}
    try:
        for d in devices:
            d.build_sysfs(d.serve(cfg["sim_bin"]))
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SYSTEMD_DEVICE_VERIFY_SYSFS": "0",
               "SYSTEMD_LOG_LEVEL": "debug", "LANG": "C"}
        for step in cfg["steps"]:
            if "run" in step:
                argv = step["run"]
                step_env = dict(env, **step.get("env", {}))
            else:
                d = by_name[step["device"]]
                argv = ["udevadm", "test", "--action=" + step.get("action", "add"), d.devpath]
                step_env = env
            t0 = time.monotonic()
            try:
                p = subprocess.run(argv, env=step_env, capture_output=True, timeout=STEP_TIMEOUT,
                                   stdin=subprocess.DEVNULL)
                rc, so, se = p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
            except subprocess.TimeoutExpired as e:
                rc, so, se = -999, (e.stdout or b"").decode(errors="replace"), (e.stderr or b"").decode(errors="replace")
            entry = {"step": step, "rc": rc, "stdout": so, "stderr": se, "elapsed": time.monotonic() - t0,
                     "properties": parse_properties(so) if "run" not in step else {},
                     "dev": dev_state(), "latency_timer": latency_state(devices)}
            result["steps"].append(entry)
        result["db"] = udev_db()
        result["received"] = {d.name: base64.b64encode(d.responder.received).decode()
                              for d in devices if d.responder}
    finally:
        for d in devices:
            d.stop()
    with open(result_path, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
