#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The libserialcmd ABI with nothing but ctypes: documentation by example.

    raw_ctypes.py SPEC COMMAND...

opens SPEC (e.g. "/dev/ttyUSB0?baud=115200&eol=CRLF"), sends each COMMAND,
and prints each reply.  The serialcmd package does all this and more; this
file shows the four calls made for ctypes, declared by hand, and the points
where a hand-written binding usually goes wrong:

* restype must be set for functions returning pointers: the default (int)
  cuts a 64-bit pointer to 32 bits, and the program crashes later.
* ret_data is POINTER(c_char), not c_char_p: a c_char_p field is turned into
  bytes that end at the first NUL, and replies are binary-safe.  The reply
  is copied with string_at(ret.contents.ret_data, ret.contents.len).
* every reply is released with client_free_ret(), also when the code that
  uses it fails; the handle with client_destroy(), exactly once.
* after a NULL return, client_last_error() and client_last_message() (two
  more functions, thread-local) say what went wrong.

The library is taken from $SERIALCMD_LIBRARY, else from the source tree's
lib/ (after `make all`), else from the installed libserialcmd.so.1.
"""

import ctypes
import os
import sys
from ctypes import POINTER, c_char, c_char_p, c_int, c_size_t


class client_ret(ctypes.Structure):
    # struct client_ret { char *ret_data; size_t len; };
    _fields_ = [("ret_data", POINTER(c_char)), ("len", c_size_t)]


class client(ctypes.Structure):
    # struct client; (opaque)
    pass


def find_library():
    """$SERIALCMD_LIBRARY, the in-tree build, or the installed soname."""
    env = os.environ.get("SERIALCMD_LIBRARY")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    tree = os.path.join(here, "..", "..", "lib", "libserialcmd.so.1")
    if os.path.exists(tree):
        return os.path.normpath(tree)
    return "libserialcmd.so.1"


class SerialcmdError(Exception):
    """A failure reported by the library: code and message."""

    def __init__(self, code, message):
        super().__init__(f"{message} [{code}]")
        self.code = code
        self.message = message


class ClientPy:
    """One open port, through the four calls of the ctypes ABI."""

    def __init__(self, spec, library=None):
        lib = ctypes.CDLL(library or find_library())

        # struct client *client_init_py(const char *spec);
        lib.client_init_py.argtypes = [c_char_p]
        lib.client_init_py.restype = POINTER(client)

        # struct client_ret *client_send_cmd_reply(struct client *c, const char *cmd);
        lib.client_send_cmd_reply.argtypes = [POINTER(client), c_char_p]
        lib.client_send_cmd_reply.restype = POINTER(client_ret)

        # void client_free_ret(struct client_ret *ret);
        lib.client_free_ret.argtypes = [POINTER(client_ret)]
        lib.client_free_ret.restype = None

        # void client_destroy(struct client *c);
        lib.client_destroy.argtypes = [POINTER(client)]
        lib.client_destroy.restype = None

        # int client_last_error(void);
        lib.client_last_error.argtypes = []
        lib.client_last_error.restype = c_int

        # const char *client_last_message(void);
        lib.client_last_message.argtypes = []
        lib.client_last_message.restype = c_char_p

        self.lib = lib
        self.handle = None
        handle = lib.client_init_py(spec.encode())
        if not handle:
            self._raise()
        self.handle = handle

    def _raise(self):
        # Read both right away, on this thread: they are thread-local and
        # the next call into the library replaces them.
        code = self.lib.client_last_error()
        message = self.lib.client_last_message().decode(errors="replace")
        raise SerialcmdError(code, message)

    def send_cmd_reply(self, cmd):
        """Send cmd (str or bytes) and return the reply as bytes."""
        if self.handle is None:
            raise ValueError("ClientPy is closed")
        if isinstance(cmd, str):
            cmd = cmd.encode("ascii")
        if b"\0" in cmd:
            # A C string ends at the first NUL: the rest would be lost.
            raise ValueError("command holds a NUL byte")
        ret = self.lib.client_send_cmd_reply(self.handle, cmd)
        if not ret:
            self._raise()
        try:
            return ctypes.string_at(ret.contents.ret_data, ret.contents.len)
        finally:
            self.lib.client_free_ret(ret)

    def close(self):
        """Release the handle; safe to call twice."""
        handle, self.handle = self.handle, None
        if handle:
            self.lib.client_destroy(handle)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()

    def __del__(self):
        if getattr(self, "handle", None):
            self.close()


def main(argv):
    if len(argv) < 3:
        print("usage: raw_ctypes.py SPEC COMMAND...", file=sys.stderr)
        return 2
    spec, commands = argv[1], argv[2:]
    try:
        with ClientPy(spec) as dev:
            for cmd in commands:
                reply = dev.send_cmd_reply(cmd)
                print(reply.decode("ascii", "backslashreplace"))
    except SerialcmdError as e:
        print(f"raw_ctypes: {e.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
