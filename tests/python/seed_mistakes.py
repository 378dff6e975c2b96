# SPDX-License-Identifier: MIT
"""The ctypes mistakes of the note the ABI was made for, run in a process of
their own (test_abi_mistakes.py starts it): a crash here must not take
pytest down.

    seed_mistakes.py LIBRARY SPEC SCENARIO

Scenarios:
  cut-handle    the note's `arg_types`/`ret_types` typos (ctypes ignores
                unknown attributes), so client_init_py keeps the default
                int return and a 64-bit handle is cut to 32 bits; the
                handle is made in a thread, whose malloc arena lies above
                4 GiB, then used for a query and destroyed.
  cut-ret       the same typo on client_send_cmd_reply: the reply, made in
                a thread, is cut to 32 bits and handed to client_free_ret.
  double-free   one reply freed twice (declarations right).
  after-destroy a handle used after client_destroy (declarations right).

Prints one line per step: "addr 0x..." where the heap sits, then
"CALL code=N message=..." for each call that failed, and "done" at the end.
Exit status 77: the scenario cannot be set up here (the message says why).
"""

from __future__ import annotations

import ctypes
import sys
import threading
from ctypes import c_char_p, c_int, c_void_p

FOUR_GIB = 1 << 32


def last(lib: ctypes.CDLL, what: str) -> None:
    code = lib.client_last_error()
    message = ctypes.cast(lib.client_last_message(), c_char_p).value
    print(f"{what} code={code} message={(message or b'').decode()}", flush=True)


def in_thread(fn):
    box = {}

    def run() -> None:
        box["value"] = fn()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return box["value"]


def thread_heap_address(libc: ctypes.CDLL) -> int:
    """Where malloc puts a block the size of a handle, in a new thread."""
    libc.malloc.restype = c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [c_void_p]

    def probe() -> int:
        p = libc.malloc(8192)
        libc.free(p)
        return p

    return in_thread(probe)


def declare_right(lib: ctypes.CDLL) -> None:
    """The four ABI calls declared as they should be."""
    lib.client_init_py.restype = c_void_p
    lib.client_init_py.argtypes = [c_char_p]
    lib.client_send_cmd_reply.restype = c_void_p
    lib.client_send_cmd_reply.argtypes = [c_void_p, c_char_p]
    lib.client_free_ret.argtypes = [c_void_p]
    lib.client_destroy.argtypes = [c_void_p]


def main() -> int:
    library, spec, scenario = sys.argv[1:4]
    lib = ctypes.CDLL(library)
    libc = ctypes.CDLL(None)
    # What the note should have written, for the steps that are right.
    lib.client_last_error.restype = c_int
    lib.client_last_message.restype = c_void_p

    addr = thread_heap_address(libc)
    print(f"addr {addr:#x}", flush=True)
    if scenario in ("cut-handle", "cut-ret") and addr < FOUR_GIB:
        print(f"a thread's heap sits at {addr:#x}, below 4 GiB: a cut pointer would still work here")
        return 77

    if scenario == "cut-handle":
        # The note's declarations, typos and all.
        lib.client_init_py.arg_types = [c_char_p]
        lib.client_init_py.ret_types = c_void_p
        lib.client_send_cmd_reply.arg_types = [c_void_p, c_char_p]
        lib.client_send_cmd_reply.ret_types = c_void_p
        handle = in_thread(lambda: lib.client_init_py(spec.encode()))
        print(f"handle {handle & 0xFFFFFFFF:#x} (an int: cut to 32 bits)", flush=True)
        if handle == 0:
            last(lib, "client_init_py")
            return 1
        ret = lib.client_send_cmd_reply(handle, b"*IDN?")
        if ret == 0:
            last(lib, "client_send_cmd_reply")
        lib.client_destroy(handle)
        last(lib, "client_destroy")
    elif scenario == "cut-ret":
        lib.client_init_py.restype = c_void_p
        lib.client_init_py.argtypes = [c_char_p]
        lib.client_send_cmd_reply.argtypes = [c_void_p, c_char_p]
        lib.client_send_cmd_reply.ret_types = c_void_p  # the typo: int stays
        lib.client_destroy.argtypes = [c_void_p]
        handle = lib.client_init_py(spec.encode())
        ret = in_thread(lambda: lib.client_send_cmd_reply(handle, b"*IDN?"))
        print(f"ret {ret & 0xFFFFFFFF:#x} (an int: cut to 32 bits)", flush=True)
        lib.client_free_ret(ret)
        last(lib, "client_free_ret")
        lib.client_destroy(handle)
    elif scenario == "double-free":
        declare_right(lib)
        handle = lib.client_init_py(spec.encode())
        ret = lib.client_send_cmd_reply(handle, b"*IDN?")
        lib.client_free_ret(ret)
        last(lib, "first client_free_ret")
        lib.client_free_ret(ret)
        last(lib, "second client_free_ret")
        lib.client_destroy(handle)
    elif scenario == "after-destroy":
        declare_right(lib)
        handle = lib.client_init_py(spec.encode())
        lib.client_destroy(handle)
        ret = lib.client_send_cmd_reply(handle, b"*IDN?")
        if not ret:
            last(lib, "client_send_cmd_reply")
        lib.client_destroy(handle)
        last(lib, "second client_destroy")
    else:
        print(f"unknown scenario {scenario!r}", file=sys.stderr)
        return 2
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
