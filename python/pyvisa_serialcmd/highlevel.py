# SPDX-License-Identifier: MIT
"""The PyVISA backend: VISA sessions on serialcmd handles.

Resource names:

- ``ASRL/dev/ttyUSB0::INSTR``: a local port by path (any path serialcmd
  opens, e.g. a ``/dev/serialcmd/...`` link made by its udev rules).
- ``ASRLn::INSTR``: ``/dev/ttyS{n-1}`` (COM numbering: ASRL1 is ttyS0).
- ``ASRL<serialcmd port>[?key=value&...]::INSTR``: anything serialcmd's
  spec takes, options included: ``ASRLusb:0403:6001::INSTR``,
  ``ASRL/dev/ttyACM0?profile=arduino::INSTR``,
  ``ASRLrfc2217://host:4002?baud=115200::INSTR``.
- ``TCPIP::host::port::SOCKET``: ``tcp://host:port``.

Reads and writes are raw, as VISA's: PyVISA adds the write termination and
strips the read termination; the backend writes the bytes as they are
(client_write_raw()) and reads up to ``count`` bytes, stopping after the
termination character when it is enabled (client_read_n()).

Serial settings (baud_rate, data_bits, parity, stop_bits, flow_control) are
the spec's keys; changing one to a new value reopens the port with it
(unread input is dropped).  Attributes this backend does not implement, and
values it cannot give, fail with VI_ERROR_NSUP_ATTR / VI_ERROR_NSUP_ATTR_STATE.
"""

from __future__ import annotations

import random
import threading
from typing import Any, Dict, Iterable, List, Optional, Tuple

from pyvisa import constants, errors, highlevel, rname
from pyvisa.constants import ResourceAttribute as RA
from pyvisa.constants import StatusCode as SC

import serialcmd

#: The longest deadline serialcmd takes (one day), used for VI_TMO_INFINITE.
MAX_TIMEOUT_MS = 86400000

#: serialcmd error names and the VISA status each becomes.
STATUS_OF_ERROR = {
    "CLIENT_ERR_TIMEOUT": SC.error_timeout,
    "CLIENT_ERR_NOPORT": SC.error_resource_not_found,
    "CLIENT_ERR_NOHOST": SC.error_resource_not_found,
    "CLIENT_ERR_REFUSED": SC.error_resource_not_found,
    "CLIENT_ERR_BUSY": SC.error_resource_busy,
    "CLIENT_ERR_PERM": SC.error_no_permission,
    "CLIENT_ERR_GONE": SC.error_connection_lost,
    "CLIENT_ERR_CLOSED": SC.error_connection_lost,
    "CLIENT_ERR_NOMEM": SC.error_allocation,
    "CLIENT_ERR_OPTION": SC.error_invalid_resource_name,
    "CLIENT_ERR_ARG": SC.error_invalid_parameter,
    "CLIENT_ERR_UNSUPPORTED": SC.error_nonsupported_attribute_state,
}

#: VISA line-state attributes read from the port (serialcmd.Client's
#: properties of the same meaning).
_INPUT_LINES = {
    RA.asrl_cts_state: "cts",
    RA.asrl_dsr_state: "dsr",
    RA.asrl_dcd_state: "cd",
    RA.asrl_ri_state: "ri",
}
#: ... and those the program drives.
_OUTPUT_LINES = {RA.asrl_dtr_state: "dtr", RA.asrl_rts_state: "rts"}
#: VISA's range for VI_ATTR_ASRL_BREAK_LEN, in ms (default 250).
_BREAK_LEN_RANGE = (1, 500)


def _line_state(on: Optional[bool]) -> constants.LineState:
    if on is None:
        return constants.LineState.unknown
    return constants.LineState.asserted if on else constants.LineState.unasserted

_PARITY = {"none": constants.Parity.none, "odd": constants.Parity.odd, "even": constants.Parity.even,
           "mark": constants.Parity.mark, "space": constants.Parity.space}
_STOP = {"1": constants.StopBits.one, "2": constants.StopBits.two}
_FLOW = {"none": constants.ControlFlow.none, "xonxoff": constants.ControlFlow.xon_xoff,
         "rtscts": constants.ControlFlow.rts_cts, "dtrdsr": constants.ControlFlow.dtr_dsr}

#: VISA serial attribute -> (spec key, spec word -> VISA value).
_SERIAL = {
    RA.asrl_baud_rate: ("baud", None),
    RA.asrl_data_bits: ("bits", None),
    RA.asrl_parity: ("parity", _PARITY),
    RA.asrl_stop_bits: ("stop", _STOP),
    RA.asrl_flow_control: ("flow", _FLOW),
}

_READ_MASKS = (constants.BufferOperation.discard_read_buffer
               | constants.BufferOperation.discard_read_buffer_no_io
               | constants.BufferOperation.discard_receive_buffer
               | constants.BufferOperation.discard_receive_buffer2)
_WRITE_MASKS = (constants.BufferOperation.flush_write_buffer
                | constants.BufferOperation.discard_write_buffer
                | constants.BufferOperation.flush_transmit_buffer
                | constants.BufferOperation.discard_transmit_buffer)


class _Fail(Exception):
    """A VISA status and serialcmd's message, turned into VisaIOError."""

    def __init__(self, status: SC, message: str) -> None:
        super().__init__(message)
        self.status = status


def _from_serialcmd(e: serialcmd.Error) -> _Fail:
    return _Fail(STATUS_OF_ERROR.get(e.name or "", SC.error_io), str(e))


class _Session:
    """One open resource: its serialcmd client and its VISA attributes."""

    def __init__(self, name: str, parsed: Any, port: str, options: List[Tuple[str, str]]) -> None:
        self.name = name
        self.parsed = parsed
        self.asrl = parsed.interface_type_const == constants.InterfaceType.asrl
        self.port = port
        #: Spec options in order (the name's, then those attributes set).
        self.options: Dict[str, str] = dict(options)
        self.network = port.startswith(("tcp://", "rfc2217://"))
        self.attrs: Dict[RA, Any] = {
            RA.termchar: ord("\n"),
            RA.termchar_enabled: False,
            RA.send_end_enabled: True,
            RA.asrl_end_in: constants.SerialTermination.termination_char,
            RA.asrl_end_out: constants.SerialTermination.none,
            RA.asrl_break_length: 250,
        }
        self.timeout_value = 2000
        #: The deadline set through timeout_value (ms), kept across reopens.
        self.timeout_set: Optional[int] = None
        self.locks = 0
        #: lock() reopened the port with exclusive=1 (unlock() undoes it).
        self.lock_reopened = False
        self.client: Optional[serialcmd.Client] = None

    @property
    def spec(self) -> str:
        if not self.options:
            return self.port
        return self.port + "?" + "&".join(f"{k}={v}" for k, v in self.options.items())

    def opened_exclusive(self) -> bool:
        return serialcmd.get_library().spec_values(self.spec, ["exclusive"])["exclusive"] == "1"

    def open(self, options: Dict[str, str]) -> None:
        """Open (or reopen) the port with these spec options."""
        spec = self.port + ("?" + "&".join(f"{k}={v}" for k, v in options.items()) if options else "")
        old = self.client
        if old is not None:
            old.close()
        try:
            self.client = serialcmd.Client(spec)
            if self.timeout_set is not None:
                self.client.timeout_ms = self.timeout_set
        except serialcmd.Error as e:
            fail = _from_serialcmd(e)
            self.client = None
            if old is not None:
                # Back to what worked, so the session stays usable.
                try:
                    self.client = serialcmd.Client(self.spec)
                    if self.timeout_set is not None:
                        self.client.timeout_ms = self.timeout_set
                except serialcmd.Error as again:
                    fail = _Fail(fail.status, f"{fail}; reopening with the old settings failed too: {again}")
            raise fail from None
        self.options = dict(options)

    def read_stop(self) -> bytes:
        """The termination character a read stops after (b"" if none)."""
        on = self.attrs[RA.termchar_enabled]
        if self.asrl:
            on = on or self.attrs[RA.asrl_end_in] == constants.SerialTermination.termination_char
        return bytes([self.attrs[RA.termchar]]) if on else b""


def _parse_name(name: str) -> Tuple[Any, str, List[Tuple[str, str]]]:
    """Resource name -> (parsed name, serialcmd port, spec options)."""
    try:
        parsed = rname.parse_resource_name(name)
    except rname.InvalidResourceName as e:
        raise _Fail(SC.error_invalid_resource_name, str(e)) from None
    kind = (parsed.interface_type_const, parsed.resource_class)
    options: List[Tuple[str, str]] = []
    if kind == (constants.InterfaceType.asrl, "INSTR"):
        board = parsed.board
        if board.isdigit():
            if int(board) < 1:
                raise _Fail(SC.error_invalid_resource_name, f"{name}: ASRL numbers start at 1 (ASRL1 is /dev/ttyS0)")
            return parsed, f"/dev/ttyS{int(board) - 1}", options
        port, _, query = board.partition("?")
        for item in filter(None, query.split("&")):
            key, eq, value = item.partition("=")
            if not eq:
                raise _Fail(SC.error_invalid_resource_name, f"{name}: option {item!r} is not key=value")
            options.append((key, value))
        return parsed, port, options
    if kind == (constants.InterfaceType.tcpip, "SOCKET"):
        host = parsed.host_address
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return parsed, f"tcp://{host}:{parsed.port}", options
    raise _Fail(SC.error_nonsupported_operation,
                f"{name}: @serialcmd opens ASRL...::INSTR and TCPIP::host::port::SOCKET resources only")


class SerialcmdVisaLibrary(highlevel.VisaLibraryBase):
    """PyVISA's VisaLibraryBase over libserialcmd (``@serialcmd``)."""

    @staticmethod
    def get_library_paths() -> Iterable[highlevel.LibraryPath]:
        return (highlevel.LibraryPath("serialcmd"),)

    @staticmethod
    def get_debug_info() -> Dict[str, Any]:
        try:
            lib = serialcmd.get_library()
            return {"Version": lib.version, "Library": lib.path, "Package": serialcmd.__version__}
        except serialcmd.Error as e:
            return {"Error": str(e)}

    def _init(self) -> None:
        # Fails (OSError) when libserialcmd cannot be loaded: PyVISA then
        # says it could not open the library, with serialcmd's reason.
        serialcmd.get_library()
        self.sessions: Dict[int, Any] = {}
        self._sessions_lock = threading.Lock()

    # -- sessions -------------------------------------------------------

    def _new_session(self, obj: Any) -> int:
        with self._sessions_lock:
            while True:
                session = random.randint(1000000, 1 << 30)
                if session not in self.sessions:
                    self.sessions[session] = obj
                    return session

    def _get(self, session: Any) -> _Session:
        obj = self.sessions.get(session)
        if not isinstance(obj, _Session):
            raise self._raise(session, SC.error_invalid_object, f"session {session!r} is not open")
        return obj

    def _raise(self, session: Any, status: SC, message: str) -> errors.VisaIOError:
        """Record status as the session's last and build the exception:
        PyVISA's text for the status, then serialcmd's message."""
        self._last_status = status
        if session is not None:
            self._last_status_in_session[session] = status
        exc = errors.VisaIOError(status)
        exc.args = (f"{exc.args[0]}\n  serialcmd: {message}",)
        return exc

    def _ok(self, session: Any, status: SC = SC.success) -> SC:
        return self.handle_return_value(session, status)

    def open_default_resource_manager(self) -> Tuple[Any, SC]:
        return self._new_session(None), self._ok(None)

    def open(self, session: Any, resource_name: str,
             access_mode: constants.AccessModes = constants.AccessModes.no_lock,
             open_timeout: int = constants.VI_TMO_IMMEDIATE) -> Tuple[Any, SC]:
        try:
            if access_mode == constants.AccessModes.shared_lock:
                raise _Fail(SC.error_nonsupported_operation,
                            "shared locks are not supported (serialcmd's lock is exclusive)")
            parsed, port, options = _parse_name(resource_name)
            sess = _Session(resource_name, parsed, port, options)
            sess.open(sess.options)
            assert sess.client is not None
            sess.timeout_value = int(round(sess.client.timeout * 1000))
        except _Fail as e:
            raise self._raise(session, e.status, str(e)) from None
        new = self._new_session(sess)
        if access_mode == constants.AccessModes.exclusive_lock:
            self.lock(new, constants.Lock.exclusive, open_timeout)
        return new, self._ok(new)

    def close(self, session: Any) -> SC:
        with self._sessions_lock:
            obj = self.sessions.pop(session, "missing")
        if obj == "missing":
            raise self._raise(session, SC.error_invalid_object, f"session {session!r} is not open")
        if isinstance(obj, _Session) and obj.client is not None:
            obj.client.close()
        return self._ok(None)

    def list_resources(self, session: Any, query: str = "?*::INSTR") -> Tuple[str, ...]:
        # From sysfs: no port is opened, phantom on-board UARTs are left out.
        names = [f"ASRL{p.device}::INSTR" for p in serialcmd.list_ports()]
        return tuple(rname.filter(names, query))

    # -- message-based I/O ------------------------------------------------

    def _client(self, session: Any) -> Tuple[_Session, serialcmd.Client]:
        sess = self._get(session)
        if sess.client is None:
            raise self._raise(session, SC.error_connection_lost,
                              f"{sess.name}: the port could not be reopened after a settings change")
        return sess, sess.client

    def read(self, session: Any, count: int) -> Tuple[bytes, SC]:
        sess, client = self._client(session)
        stop = sess.read_stop()
        try:
            data = client.read_n(count, stop)
        except serialcmd.Error as e:
            f = _from_serialcmd(e)
            raise self._raise(session, f.status, str(f)) from None
        if stop and data.endswith(stop):
            status = SC.success_termination_character_read
        elif len(data) == count:
            status = SC.success_max_count_read
        else:
            status = SC.success
        return data, self._ok(session, status)

    def write(self, session: Any, data: bytes) -> Tuple[int, SC]:
        sess, client = self._client(session)
        if (sess.asrl and sess.attrs[RA.asrl_end_out] == constants.SerialTermination.termination_char
                and sess.attrs[RA.send_end_enabled]):
            data = bytes(data) + bytes([sess.attrs[RA.termchar]])
        try:
            client.write_raw(bytes(data))
        except serialcmd.Error as e:
            f = _from_serialcmd(e)
            raise self._raise(session, f.status, str(f)) from None
        return len(data), self._ok(session)

    def _discard_input(self, session: Any) -> None:
        sess, client = self._client(session)
        try:
            client.read_available()
        except serialcmd.Error as e:
            f = _from_serialcmd(e)
            raise self._raise(session, f.status, str(f)) from None

    def clear(self, session: Any) -> SC:
        """viClear on a serial line: unread input is dropped."""
        self._discard_input(session)
        return self._ok(session)

    def flush(self, session: Any, mask: constants.BufferOperation) -> SC:
        """Read-buffer masks drop unread input; write-buffer masks have
        nothing to do (a write returns once its bytes are handed over)."""
        mask = int(mask)
        if not mask or mask & ~(_READ_MASKS | _WRITE_MASKS):
            raise self._raise(session, SC.error_invalid_mask, f"flush mask {mask:#x}")
        if mask & _READ_MASKS:
            self._discard_input(session)
        else:
            self._get(session)
        return self._ok(session)

    # -- locking --------------------------------------------------------

    def lock(self, session: Any, lock_type: constants.Lock, timeout: int,
             requested_key: Optional[str] = None) -> Tuple[Optional[str], SC]:
        """The exclusive lock is serialcmd's (flock + TIOCEXCL), held by
        the handle. A port opened with exclusive=0 is reopened with it."""
        sess = self._get(session)
        if lock_type != constants.Lock.exclusive:
            raise self._raise(session, SC.error_nonsupported_operation,
                              "shared locks are not supported (serialcmd's lock is exclusive)")
        if sess.locks == 0 and not sess.opened_exclusive():
            try:
                sess.open({**sess.options, "exclusive": "1"})
            except _Fail as e:
                status = SC.error_resource_locked if e.status == SC.error_resource_busy else e.status
                raise self._raise(session, status, str(e)) from None
            sess.lock_reopened = True
        sess.locks += 1
        return None, self._ok(session, SC.success if sess.locks == 1 else SC.success_nested_exclusive)

    def unlock(self, session: Any) -> SC:
        sess = self._get(session)
        if sess.locks == 0:
            raise self._raise(session, SC.error_session_not_locked, f"{sess.name}: not locked by lock()")
        sess.locks -= 1
        if sess.locks == 0 and sess.lock_reopened:
            # Locked by lock() only: give the lock back.
            try:
                sess.open({**sess.options, "exclusive": "0"})
            except _Fail as e:
                raise self._raise(session, e.status, str(e)) from None
            sess.lock_reopened = False
        return self._ok(session)

    # -- events: none are supported ----------------------------------------

    def enable_event(self, session: Any, event_type: Any, mechanism: Any, context: Any = None) -> SC:
        self._get(session)
        raise self._raise(session, SC.error_nonsupported_operation, "events are not supported by @serialcmd")

    def disable_event(self, session: Any, event_type: Any, mechanism: Any) -> SC:
        # Nothing can have been enabled: disabling all (as Resource.close()
        # does) succeeds.
        self._get(session)
        return self._ok(session)

    def discard_events(self, session: Any, event_type: Any, mechanism: Any) -> SC:
        self._get(session)
        return self._ok(session)

    # -- attributes -----------------------------------------------------

    def get_attribute(self, session: Any, attribute: Any) -> Tuple[Any, SC]:
        sess = self._get(session)
        attr = self._attr(session, attribute)
        if attr == RA.timeout_value:
            value: Any = sess.timeout_value
        elif attr in (RA.termchar, RA.termchar_enabled, RA.send_end_enabled):
            value = sess.attrs[attr]
        elif attr == RA.suppress_end_enabled:
            value = False
        elif attr == RA.interface_type:
            value = sess.parsed.interface_type_const
        elif attr == RA.interface_number:
            value = int(getattr(sess.parsed, "board", 0)) if str(getattr(sess.parsed, "board", 0)).isdigit() else 0
        elif attr == RA.resource_name:
            value = sess.name
        elif attr == RA.resource_class:
            value = sess.parsed.resource_class
        elif attr == RA.resource_manufacturer_name:
            value = "serialcmd"
        elif attr == RA.resource_lock_state:
            value = constants.AccessModes.exclusive_lock if sess.locks else constants.AccessModes.no_lock
        elif sess.asrl and attr in (RA.asrl_end_in, RA.asrl_end_out, RA.asrl_break_length):
            value = sess.attrs[attr]
        elif sess.asrl and attr == RA.asrl_break_state:
            value = constants.LineState.unasserted  # a break is sent whole, never held
        elif sess.asrl and attr in _OUTPUT_LINES:
            # As this session last set it; unknown when it never did.
            value = _line_state(getattr(self._client(session)[1], _OUTPUT_LINES[attr]))
        elif sess.asrl and attr in _INPUT_LINES:
            try:
                value = _line_state(getattr(self._client(session)[1], _INPUT_LINES[attr]))
            except serialcmd.UnsupportedError:
                # A pty or tcp:// port has no such line: VISA's "cannot tell".
                value = constants.LineState.unknown
            except serialcmd.Error as e:
                raise self._raise(session, _from_serialcmd(e).status, str(e)) from None
        elif sess.asrl and attr in _SERIAL:
            key, words = _SERIAL[attr]
            if sess.network and sess.port.startswith("tcp://"):
                raise self._raise(session, SC.error_nonsupported_attribute,
                                  f"{sess.port}: a tcp:// port has no line settings (the server owns them)")
            text = serialcmd.get_library().spec_values(sess.spec, [key])[key]
            value = words[text] if words else int(text)
        elif not sess.asrl and attr == RA.tcpip_port:
            value = int(sess.parsed.port)
        elif not sess.asrl and attr in (RA.tcpip_address, RA.tcpip_hostname):
            value = sess.parsed.host_address
        else:
            raise self._raise(session, SC.error_nonsupported_attribute,
                              f"{sess.name}: attribute {attr.name} is not supported by @serialcmd")
        return value, self._ok(session)

    def _attr(self, session: Any, attribute: Any) -> RA:
        try:
            return RA(attribute)
        except ValueError:
            raise self._raise(session, SC.error_nonsupported_attribute,
                              f"attribute {attribute!r} is not supported by @serialcmd") from None

    def set_attribute(self, session: Any, attribute: Any, attribute_state: Any) -> SC:
        sess = self._get(session)
        attr = self._attr(session, attribute)
        value = attribute_state

        def bad(why: str) -> errors.VisaIOError:
            return self._raise(session, SC.error_nonsupported_attribute_state,
                               f"{sess.name}: {attr.name} = {value!r}: {why}")

        if attr == RA.timeout_value:
            value = int(value)
            if value < 0:
                raise bad("a timeout is 0 or more milliseconds")
            ms = min(max(value, 1), MAX_TIMEOUT_MS)
            self._client(session)[1].timeout_ms = ms
            sess.timeout_value = value
            sess.timeout_set = ms
        elif attr == RA.termchar:
            if not 0 <= int(value) <= 255:
                raise bad("the termination character is one byte")
            sess.attrs[attr] = int(value)
        elif attr in (RA.termchar_enabled, RA.send_end_enabled):
            sess.attrs[attr] = bool(value)
        elif attr == RA.suppress_end_enabled:
            if value:
                raise bad("a read always ends at END (serial lines have none)")
        elif sess.asrl and attr == RA.asrl_end_in:
            if value not in (constants.SerialTermination.none, constants.SerialTermination.termination_char):
                raise bad("end_input may be none or termination_char")
            sess.attrs[attr] = constants.SerialTermination(value)
        elif sess.asrl and attr == RA.asrl_break_length:
            low, high = _BREAK_LEN_RANGE
            if not low <= int(value) <= high:
                raise bad(f"a break lasts {low} to {high} ms")
            sess.attrs[attr] = int(value)
        elif sess.asrl and (attr in _OUTPUT_LINES or attr == RA.asrl_break_state):
            if value not in (constants.LineState.asserted, constants.LineState.unasserted):
                raise bad("asserted or unasserted")
            client = self._client(session)[1]
            try:
                if attr in _OUTPUT_LINES:
                    setattr(client, _OUTPUT_LINES[attr], value == constants.LineState.asserted)
                elif value == constants.LineState.asserted:
                    # Sent whole, break_length long: the line is never
                    # left in a break between two calls.
                    client.send_break(sess.attrs[RA.asrl_break_length] / 1000)
            except serialcmd.Error as e:
                raise self._raise(session, _from_serialcmd(e).status, str(e)) from None
        elif sess.asrl and attr == RA.asrl_end_out:
            if value not in (constants.SerialTermination.none, constants.SerialTermination.termination_char):
                raise bad("end_output may be none or termination_char")
            sess.attrs[attr] = constants.SerialTermination(value)
        elif sess.asrl and attr in _SERIAL:
            key, words = _SERIAL[attr]
            if sess.port.startswith("tcp://"):
                raise self._raise(session, SC.error_nonsupported_attribute,
                                  f"{sess.port}: a tcp:// port has no line settings (the server owns them)")
            if words:
                names = [w for w, v in words.items() if v == value]
                if not names:
                    raise bad(f"serialcmd takes {', '.join(str(v) for v in words.values())}")
                text = names[0]
            else:
                text = str(int(value))
            current = serialcmd.get_library().spec_values(sess.spec, [key])[key]
            if text != current:
                opts = dict(sess.options)
                opts.pop(key, None)
                opts[key] = text
                try:
                    serialcmd.get_library().validate_spec(sess.port + "?" + "&".join(
                        f"{k}={v}" for k, v in opts.items()))
                except serialcmd.Error as e:
                    raise bad(str(e)) from None
                try:
                    sess.open(opts)
                except _Fail as e:
                    raise self._raise(session, e.status, str(e)) from None
        else:
            raise self._raise(session, SC.error_nonsupported_attribute,
                              f"{sess.name}: attribute {attr.name} is not supported by @serialcmd")
        return self._ok(session)
