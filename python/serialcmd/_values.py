# SPDX-License-Identifier: MIT
"""Packing and unpacking instrument values: binary blocks by struct type
code, and separated ASCII numbers, with PyVISA's conventions."""

from __future__ import annotations

import struct
from typing import Any, Callable, Dict, Iterable, List, Literal, Optional, Union

#: struct codes unpacked as floats, as ints, and as raw bytes.
FloatCode = Literal["e", "f", "d"]
IntCode = Literal["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q"]
BytesCode = Literal["s", "p"]
#: Format letters of query_ascii_values() that give floats, ints, str.
FloatConv = Literal["e", "E", "f", "F", "g", "G"]
IntConv = Literal["d", "i", "u", "b", "o", "x", "X"]
#: What write_binary_values() packs: numbers (a numpy array is iterable)
#: or, for byte types, bytes as they are.
PackValues = Union[bytes, bytearray, Iterable[float]]

_CONVERTERS: Dict[str, Callable[[str], Union[int, float, str]]] = {
    "d": int, "i": int, "u": int,
    "b": lambda s: int(s, 2), "o": lambda s: int(s, 8),
    "x": lambda s: int(s, 16), "X": lambda s: int(s, 16),
    "e": float, "E": float, "f": float, "F": float, "g": float, "G": float,
    "s": str,
}


def _numpy_container(container: Any) -> Any:
    """numpy's module if container asks for an array, else None."""
    module = getattr(container, "__module__", "") or ""
    if not module.startswith("numpy"):
        return None
    import numpy  # only when asked for: numpy stays optional

    return numpy


def _unpack(data: bytes, datatype: str, big_endian: bool, container: Any, data_points: Optional[int]) -> Any:
    if datatype in ("s", "p"):
        return container(data) if container is not bytes else data
    size = struct.calcsize(datatype)
    if len(data) % size:
        raise ValueError(f"the block holds {len(data)} bytes, not a whole number of {datatype!r} values"
                         f" of {size} bytes")
    count = len(data) // size
    if data_points is not None and data_points != count:
        raise ValueError(f"the block holds {count} values, not the {data_points} expected")
    endian = ">" if big_endian else "<"
    numpy = _numpy_container(container)
    if numpy is not None:
        return numpy.frombuffer(data, dtype=numpy.dtype(endian + datatype)).copy()
    return container(struct.unpack(f"{endian}{count}{datatype}", data))


def _pack(values: PackValues, datatype: str, big_endian: bool) -> bytes:
    if isinstance(values, (bytes, bytearray)) and datatype in ("s", "p", "b", "B"):
        return bytes(values)
    endian = ">" if big_endian else "<"
    astype = getattr(values, "astype", None)
    if astype is not None and hasattr(values, "dtype"):  # a numpy array
        return bytes(astype(endian + datatype).tobytes())
    numbers = list(values)
    return struct.pack(f"{endian}{len(numbers)}{datatype}", *numbers)


def _split_values(text: str, converter: Any, separator: Any, container: Any) -> Any:
    conv: Callable[[str], Any]
    if callable(converter):
        conv = converter
    elif isinstance(converter, str) and converter in _CONVERTERS:
        conv = _CONVERTERS[converter]
    else:
        raise ValueError(f"converter {converter!r}: expected a callable or one of {''.join(_CONVERTERS)}")
    text = text.strip()
    if not text:
        fields: List[str] = []
    elif callable(separator):
        fields = list(separator(text))
    else:
        fields = text.split(separator)
    out = []
    for i, field in enumerate(fields):
        try:
            out.append(conv(field.strip() if isinstance(field, str) else field))
        except (TypeError, ValueError) as e:
            raise ValueError(f"field {i + 1} of {len(fields)} does not convert: {field!r} ({e})") from None
    numpy = _numpy_container(container)
    if numpy is not None:
        return numpy.array(out)
    return container(out)
