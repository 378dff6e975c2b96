# SPDX-License-Identifier: MIT
"""Loading libserialcmd.so.1 and declaring its functions for ctypes.

Every foreign function the package calls is declared once, below, with its C
prototype in a comment above it (copied from include/serialcmd.h), its
argtypes and its restype.  Functions that can fail get the one errcheck,
:func:`_errcheck`, which turns a NULL or negative return into the matching
:class:`serialcmd.Error` carrying the thread's last error code and message.

The library is loaded with :class:`ctypes.CDLL`, which releases the GIL for
the length of each foreign call: threads waiting for replies on different
ports wait in parallel.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from ctypes import CFUNCTYPE, POINTER, c_char, c_char_p, c_int, c_long, c_longlong, c_size_t, c_uint, c_void_p
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from .errors import CLIENT_OK, Error, InstrumentError, LibraryNotFoundError, OptionError, make_error

#: Longest port string (path) accepted, with its NUL (CLIENT_PORT_MAX).
CLIENT_PORT_MAX = 4096

__all__ = [
    "ClientRet",
    "TraceFn",
    "ClientHandle",
    "ConfigHandle",
    "PortListHandle",
    "Library",
    "SONAME",
    "ENV_VAR",
    "load_library",
    "get_library",
    "library_version",
]

#: The library's soname, as installed by ``make install``.
SONAME = "libserialcmd.so.1"
# What the "not found" message tells a user to install.
INSTALL_HINT = ("To install libserialcmd: `apt-get install libserialcmd1` (Debian package), "
                "or `make install` in the serialcmd source tree (it runs ldconfig).")
#: Environment variable naming the library file explicitly.
ENV_VAR = "SERIALCMD_LIBRARY"
#: The C library's major version this package speaks.
ABI_MAJOR = 1

PathArg = Union[str, "os.PathLike[str]"]


class _Client(ctypes.Structure):
    """struct client: opaque."""


class _Config(ctypes.Structure):
    """struct client_config: only ever handled through a pointer here."""


class ClientRet(ctypes.Structure):
    """struct client_ret { char *ret_data; size_t len; };

    ret_data is declared as ``POINTER(c_char)``, not ``c_char_p``: a
    c_char_p field would be converted to bytes at the first NUL, and replies
    are binary-safe.
    """

    _fields_ = [
        ("ret_data", POINTER(c_char)),
        ("len", c_size_t),
    ]


class _PortList(ctypes.Structure):
    """struct client_port_info: opaque, read through the client_port_*()
    accessors by index."""


PortListHandle = POINTER(_PortList)
ClientHandle = POINTER(_Client)
ConfigHandle = POINTER(_Config)
ClientRetPointer = POINTER(ClientRet)
#: typedef void (*client_unsolicited_fn)(void *user, const char *line, size_t len);
#: The line is a POINTER(c_char), not c_char_p: it may hold NUL bytes.
UnsolicitedFn = CFUNCTYPE(None, c_void_p, POINTER(c_char), c_size_t)
#: typedef void (*client_trace_fn)(void *user, const char *line);
TraceFn = CFUNCTYPE(None, c_void_p, c_char_p)


def _errcheck(result: Any, func: Any, args: Any) -> Any:
    """The one errcheck: a NULL pointer or a negative int means failure.

    It runs on the calling thread right after the call, so the thread-local
    last error read here is the one this call set.
    """
    if func.restype is c_int:
        failed = result < 0
    elif func.restype is c_char_p:
        failed = result is None  # b"" is a string, not a failure
    else:
        failed = not result  # a NULL POINTER(...) is false
    if not failed:
        return result
    lib: Library = func.__serialcmd_library__
    err = lib.last_error(func.__name__)
    if lib.trace_loggers and args:
        # A client that logs its trace logs its errors too (only here, on
        # the failure path, is the handle looked up).
        try:
            logger = lib.trace_loggers.get(ctypes.cast(args[0], c_void_p).value or 0)
        except (ctypes.ArgumentError, TypeError):  # not a pointer: not a handle
            logger = None
        if logger is not None:
            logger.debug("error %s: %s", err.name, err)
    raise err


def _declare(dll: ctypes.CDLL, owner: "Library") -> Dict[str, Any]:
    """Set argtypes, restype and errcheck on every function used."""
    functions: Dict[str, Any] = {}

    def fn(name: str, restype: Any, argtypes: Sequence[Any], check: bool) -> None:
        f = getattr(dll, name)
        f.restype = restype
        f.argtypes = list(argtypes)
        if check:
            f.errcheck = _errcheck
            # _errcheck needs the library to read the last error with.
            f.__serialcmd_library__ = owner
        functions[name] = f

    # struct client *client_init_py(const char *spec);
    fn("client_init_py", ClientHandle, [c_char_p], True)

    # client_send_cmd_reply() and client_send_cmd() take C strings, which end
    # at a NUL; the package uses their counted forms below instead.

    # void client_free_ret(struct client_ret *ret);
    fn("client_free_ret", None, [ClientRetPointer], False)

    # void client_destroy(struct client *c);
    fn("client_destroy", None, [ClientHandle], False)

    # Client.query's one foreign call: the reply lands in a buffer the
    # client reuses (a c_char array passes as char *). No errcheck: a Python
    # function per call is a quarter of the query's Python cost; the
    # caller checks for a negative return itself.
    # long client_query_into(struct client *c, const char *cmd, size_t len, char *buf, size_t size);
    fn("client_query_into", c_long, [ClientHandle, c_char_p, c_size_t, c_char_p, c_size_t], False)

    # long client_take_reply(struct client *c, char *buf, size_t size);
    fn("client_take_reply", c_long, [ClientHandle, c_char_p, c_size_t], False)

    # int client_send_cmd_n(struct client *c, const char *cmd, size_t len);
    fn("client_send_cmd_n", c_int, [ClientHandle, c_char_p, c_size_t], True)

    # struct client_ret *client_query_block(struct client *c, const char *cmd);
    fn("client_query_block", ClientRetPointer, [ClientHandle, c_char_p], True)

    # int client_write_block(struct client *c, const char *cmd, const void *data, size_t len);
    fn("client_write_block", c_int, [ClientHandle, c_char_p, c_char_p, c_size_t], True)

    # int client_list_ports(struct client_port_info **list, int flags);
    fn("client_list_ports", c_int, [POINTER(PortListHandle), c_int], True)

    # int client_find_ports(const char *profile, struct client_port_info **list, int flags);
    fn("client_find_ports", c_int, [c_char_p, POINTER(PortListHandle), c_int], True)

    # void client_free_ports(struct client_port_info *list);
    fn("client_free_ports", None, [PortListHandle], False)

    # const char *client_port_name(const struct client_port_info *list, int i);
    fn("client_port_name", c_char_p, [PortListHandle, c_int], True)

    # const char *client_port_description(const struct client_port_info *list, int i);
    fn("client_port_description", c_char_p, [PortListHandle, c_int], True)

    # const char *client_port_driver(const struct client_port_info *list, int i);
    fn("client_port_driver", c_char_p, [PortListHandle, c_int], True)

    # const char *client_port_usb_serial(const struct client_port_info *list, int i);
    fn("client_port_usb_serial", c_char_p, [PortListHandle, c_int], True)

    # const char *client_port_usb_manufacturer(const struct client_port_info *list, int i);
    fn("client_port_usb_manufacturer", c_char_p, [PortListHandle, c_int], True)

    # const char *client_port_usb_product(const struct client_port_info *list, int i);
    fn("client_port_usb_product", c_char_p, [PortListHandle, c_int], True)

    # const char *client_port_passive(const struct client_port_info *list, int i);
    fn("client_port_passive", c_char_p, [PortListHandle, c_int], True)

    # int client_port_transport(const struct client_port_info *list, int i);
    fn("client_port_transport", c_int, [PortListHandle, c_int], False)

    # int client_port_usb_vid(const struct client_port_info *list, int i);
    fn("client_port_usb_vid", c_int, [PortListHandle, c_int], False)

    # int client_port_usb_pid(const struct client_port_info *list, int i);
    fn("client_port_usb_pid", c_int, [PortListHandle, c_int], False)

    # int client_port_usb_interface(const struct client_port_info *list, int i);
    fn("client_port_usb_interface", c_int, [PortListHandle, c_int], False)

    # int client_port_console(const struct client_port_info *list, int i);
    fn("client_port_console", c_int, [PortListHandle, c_int], False)

    # int client_last_instrument_error(void);
    fn("client_last_instrument_error", c_int, [], False)

    # struct client_ret *client_read_reply(struct client *c);
    fn("client_read_reply", ClientRetPointer, [ClientHandle], True)

    # struct client_ret *client_read_available(struct client *c);
    fn("client_read_available", ClientRetPointer, [ClientHandle], True)

    # struct client_ret *client_read_n(struct client *c, size_t n, const char *stop, size_t stop_len);
    fn("client_read_n", ClientRetPointer, [ClientHandle, c_size_t, c_char_p, c_size_t], True)

    # int client_write_raw(struct client *c, const void *data, size_t len);
    fn("client_write_raw", c_int, [ClientHandle, c_char_p, c_size_t], True)

    # int client_set_timeout(struct client *c, unsigned int timeout_ms);
    fn("client_set_timeout", c_int, [ClientHandle, c_uint], True)

    # int client_get_timeout(struct client *c);
    fn("client_get_timeout", c_int, [ClientHandle], True)

    # int client_set_dtr(struct client *c, int on);
    fn("client_set_dtr", c_int, [ClientHandle, c_int], True)

    # int client_set_rts(struct client *c, int on);
    fn("client_set_rts", c_int, [ClientHandle, c_int], True)

    # int client_get_signals(struct client *c);
    fn("client_get_signals", c_int, [ClientHandle], True)

    # int client_send_break(struct client *c, unsigned int ms);
    fn("client_send_break", c_int, [ClientHandle, c_uint], True)

    # int client_stale_errors(struct client *c, char *out, size_t size);
    fn("client_stale_errors", c_int, [ClientHandle, c_char_p, c_size_t], True)

    # const char *client_port(const struct client *c);
    fn("client_port", c_char_p, [ClientHandle], False)

    # int client_set_unsolicited(struct client *c, client_unsolicited_fn fn, void *user);
    fn("client_set_unsolicited", c_int, [ClientHandle, UnsolicitedFn, c_void_p], True)

    # int client_set_trace(struct client *c, client_trace_fn fn, void *user);
    fn("client_set_trace", c_int, [ClientHandle, TraceFn, c_void_p], True)

    # long long client_unsolicited_count(struct client *c);
    fn("client_unsolicited_count", c_longlong, [ClientHandle], False)

    # struct client_config *client_config_new(const char *spec);
    fn("client_config_new", ConfigHandle, [c_char_p], True)

    # void client_config_free(struct client_config *cfg);
    fn("client_config_free", None, [ConfigHandle], False)

    # int client_config_get(const struct client_config *cfg, const char *key, char *out, size_t size);
    fn("client_config_get", c_int, [ConfigHandle, c_char_p, c_char_p, c_size_t], True)

    # int client_last_error(void);
    fn("client_last_error", c_int, [], False)

    # const char *client_last_message(void);
    fn("client_last_message", c_char_p, [], False)

    # const char *client_strerror(int code);
    fn("client_strerror", c_char_p, [c_int], False)

    # const char *client_error_name(int code);
    fn("client_error_name", c_char_p, [c_int], False)

    # const char *client_spec_keys(void);
    fn("client_spec_keys", c_char_p, [], False)

    # const char *client_spec_key_type(const char *key);
    fn("client_spec_key_type", c_char_p, [c_char_p], True)

    # const char *client_version(void);
    fn("client_version", c_char_p, [], False)

    return functions


def _text(raw: Optional[bytes]) -> str:
    # The library's strings are ASCII, but a port path may not be.
    return (raw or b"").decode("utf-8", "backslashreplace")


class Library:
    """One loaded libserialcmd with its functions declared.

    The declared functions are attributes of the same names
    (``lib.client_query_into`` ...); ``lib.functions`` maps every name
    to its ctypes function.
    """

    client_init_py: Callable[..., Any]
    client_free_ret: Callable[..., Any]
    client_destroy: Callable[..., Any]
    client_query_into: Callable[..., Any]
    client_take_reply: Callable[..., Any]
    client_send_cmd_n: Callable[..., Any]
    client_read_reply: Callable[..., Any]
    client_read_available: Callable[..., Any]
    client_read_n: Callable[..., Any]
    client_write_raw: Callable[..., Any]
    client_query_block: Callable[..., Any]
    client_write_block: Callable[..., Any]
    client_list_ports: Callable[..., Any]
    client_find_ports: Callable[..., Any]
    client_free_ports: Callable[..., Any]
    client_port_name: Callable[..., Any]
    client_port_description: Callable[..., Any]
    client_port_driver: Callable[..., Any]
    client_port_usb_serial: Callable[..., Any]
    client_port_usb_manufacturer: Callable[..., Any]
    client_port_usb_product: Callable[..., Any]
    client_port_passive: Callable[..., Any]
    client_port_transport: Callable[..., Any]
    client_port_usb_vid: Callable[..., Any]
    client_port_usb_pid: Callable[..., Any]
    client_port_usb_interface: Callable[..., Any]
    client_port_console: Callable[..., Any]
    client_last_instrument_error: Callable[..., Any]
    client_set_timeout: Callable[..., Any]
    client_get_timeout: Callable[..., Any]
    client_stale_errors: Callable[..., Any]
    client_set_dtr: Callable[..., Any]
    client_set_rts: Callable[..., Any]
    client_get_signals: Callable[..., Any]
    client_send_break: Callable[..., Any]
    client_port: Callable[..., Any]
    client_set_unsolicited: Callable[..., Any]
    client_set_trace: Callable[..., Any]
    client_unsolicited_count: Callable[..., Any]
    client_config_new: Callable[..., Any]
    client_config_free: Callable[..., Any]
    client_config_get: Callable[..., Any]
    client_last_error: Callable[..., Any]
    client_last_message: Callable[..., Any]
    client_strerror: Callable[..., Any]
    client_error_name: Callable[..., Any]
    client_spec_keys: Callable[..., Any]
    client_spec_key_type: Callable[..., Any]
    client_version: Callable[..., Any]

    def __init__(self, dll: ctypes.CDLL, path: str) -> None:
        self.dll = dll
        #: The file (or soname) the library was loaded from.
        self.path = path
        #: Handle address -> the logger of a client that logs its trace:
        #: its errors are logged there too (see _errcheck).
        self.trace_loggers: Dict[int, logging.Logger] = {}
        self.functions: Dict[str, Any] = _declare(dll, self)
        for name, f in self.functions.items():
            setattr(self, name, f)
        self.version: str = _text(self.client_version())

    def __repr__(self) -> str:
        return f"<serialcmd.Library {self.version} from {self.path!r}>"

    def error(self, code: int, message: str = "") -> Error:
        """The exception for a code, named by the library; the library's
        short description stands in for an empty message."""
        name = _text(self.client_error_name(code))
        description = _text(self.client_strerror(code))
        exc = make_error(code, message or description, name)
        exc.description = description  # type: ignore[attr-defined]
        return exc

    def last_error(self, what: str = "serialcmd") -> Error:
        """The calling thread's last error, as an exception."""
        code = self.client_last_error()
        message = _text(self.client_last_message())
        if code == CLIENT_OK:
            # Cannot happen with a correct library; say so rather than
            # raising an exception that claims success.
            return Error(f"{what} failed but the library reported no error code", None)
        err = self.error(code, message)
        if isinstance(err, InstrumentError):
            err.instrument_code = self.client_last_instrument_error()
        return err

    def spec_keys(self) -> List[str]:
        """The keys a spec accepts, in the library's order."""
        return _text(self.client_spec_keys()).split(",")

    def spec_key_type(self, key: str) -> str:
        """The kind of value a spec key takes, e.g. "bool" or "eol"."""
        return _text(self.client_spec_key_type(key.encode("utf-8", "surrogateescape")))

    def spec_values(self, spec: str, keys: Sequence[str]) -> Dict[str, str]:
        """The values a spec gives the keys, as the library reads them
        (client_config_new(), client_config_get()): defaults and a
        profile's settings included, nothing opened.  Raises OptionError
        for a bad spec or key."""
        if "\0" in spec:
            raise OptionError(f"spec {spec!r}: holds a NUL character at {spec.index(chr(0))}")
        cfg = self.client_config_new(spec.encode("utf-8", "surrogateescape"))
        try:
            out = ctypes.create_string_buffer(CLIENT_PORT_MAX)
            values = {}
            for key in keys:
                self.client_config_get(cfg, key.encode("utf-8", "surrogateescape"), out, len(out))
                values[key] = _text(out.value)
            return values
        finally:
            self.client_config_free(cfg)

    def validate_spec(self, spec: str) -> None:
        """Parse a full spec with client_config_new() and free the result,
        without opening anything; raises OptionError for a bad spec."""
        if "\0" in spec:
            raise OptionError(f"spec {spec!r}: holds a NUL character at {spec.index(chr(0))}")
        cfg = self.client_config_new(spec.encode("utf-8", "surrogateescape"))
        self.client_config_free(cfg)


_lock = threading.Lock()
_loaded: Dict[str, Library] = {}
_default: Optional[Library] = None


def _tree_library() -> Path:
    """Where the in-tree build lives: <repo>/lib/libserialcmd.so.1 next to
    <repo>/python/serialcmd/."""
    return Path(__file__).resolve().parent.parent.parent / "lib" / SONAME


def _in_source_tree() -> bool:
    root = Path(__file__).resolve().parent.parent.parent
    return (root / "include" / "serialcmd.h").is_file()


def _open(path: str) -> Library:
    lib = _loaded.get(path)
    if lib is None:
        lib = Library(ctypes.CDLL(path), path)
        major = lib.version.split(".", 1)[0]
        if major != str(ABI_MAJOR):
            raise LibraryNotFoundError(
                f"{path}: libserialcmd version {lib.version} is not compatible with this package "
                f"(needs {ABI_MAJOR}.x)"
            )
        _loaded[path] = lib
    return lib


def _search(explicit: Optional[PathArg], env: Optional[str], tree: Optional[Path], soname: str) -> Library:
    """Try the places in order; raise one LibraryNotFoundError listing all."""
    tried: List[str] = []

    if explicit is not None or env:
        # An explicit choice is the only one tried: falling back silently
        # would run against a library the user did not ask for.
        origin = "argument" if explicit is not None else f"${ENV_VAR}"
        path = os.fspath(explicit) if explicit is not None else str(env)
        # A bare name ("libserialcmd.so.1") is for the dynamic linker to find.
        if os.sep in path and not os.path.exists(path):
            raise LibraryNotFoundError(f"libserialcmd not found: {path} ({origin}): no such file")
        try:
            return _open(path)
        except OSError as e:
            if isinstance(e, LibraryNotFoundError):
                raise
            raise LibraryNotFoundError(f"libserialcmd could not be loaded: {path} ({origin}): {e}") from e

    tried.append(f"${ENV_VAR}: not set")
    if tree is not None:
        if tree.exists():
            try:
                return _open(str(tree))
            except LibraryNotFoundError:
                raise
            except OSError as e:
                tried.append(f"{tree} (in-tree build): {e}")
        else:
            tried.append(f"{tree} (in-tree build): no such file (run `make all` in the source tree)")
    else:
        tried.append("in-tree build: not in a source tree")
    try:
        return _open(soname)
    except LibraryNotFoundError:
        raise
    except OSError as e:
        tried.append(f"{soname} (installed, via the dynamic linker): {e}")
    raise LibraryNotFoundError(
        "libserialcmd not found; looked in:\n  " + "\n  ".join(tried)
        + f"\nSet {ENV_VAR} or call serialcmd.load_library(path) to name the file."
        + f"\n{INSTALL_HINT}"
    )


def load_library(path: Optional[PathArg] = None) -> Library:
    """Load libserialcmd and make it the library new clients use.

    With ``path`` given, that file and nothing else is loaded.  Otherwise
    the places are tried in this order: the file named by the environment
    variable ``SERIALCMD_LIBRARY``; the in-tree build
    (``lib/libserialcmd.so.1`` of the source tree this package sits in); the
    installed soname ``libserialcmd.so.1`` through the dynamic linker.

    Raises:
        LibraryNotFoundError: nothing could be loaded; the message says
            where the search looked and why each place failed.
    """
    global _default
    tree = _tree_library() if _in_source_tree() else None
    with _lock:
        lib = _search(path, os.environ.get(ENV_VAR), tree, SONAME)
        _default = lib
    return lib


def get_library() -> Library:
    """The library clients use, loaded on first use by
    :func:`load_library`."""
    lib = _default
    if lib is None:
        lib = load_library()
    return lib


def library_version() -> str:
    """The loaded C library's version string, e.g. ``"1.0.0"``
    (``client_version()``)."""
    return _text(get_library().client_version())
