"""numpy arrays as a small header and their raw elements; never pickle."""

from __future__ import annotations

import math
import re
import struct
from typing import Any, final

import numpy as np

from ..errors import SerializationError
from ._buffers import as_bytes
from ._describe import describe_type

__all__ = ("NumpySerializer",)

# Layout, all integers little-endian:
#   magic b"PPNA" | version u8 | ndim u8 | len(dtype) u8 | dtype.str (ASCII)
#   | ndim x u64 shape | the elements in C order, exactly itemsize * prod(shape) bytes
_MAGIC = b"PPNA"
_VERSION = 1
_FIXED = struct.Struct("<4sBBB")
_MAX_DIMS = 64  # numpy's own limit
# what dtype.str looks like for the kinds below, e.g. "<f8", "|b1", ">U4", "<M8[25s]"
_DTYPE_TEXT = re.compile(r"[<>|](?:[biufcSUV][0-9]{1,9}|[mM]8(?:\[[0-9]{0,9}[a-zA-Z]{1,7}\])?)")
# booleans, signed and unsigned ints, floats, complex, timedelta, datetime, bytes,
# unicode, raw void: every kind whose elements are plain bytes inside the array
_KINDS = frozenset("biufcmMSUV")


def _dtype_problem(dtype: np.dtype[Any]) -> str | None:
    """Why ``dtype`` cannot be stored as raw bytes plus ``dtype.str``, or None."""
    if dtype.kind not in _KINDS:
        return "its elements are not plain bytes (object or variable-width strings)"
    if dtype.fields is not None or dtype.subdtype is not None:
        return "structured dtypes are not supported (their field layout would be lost)"
    if dtype.itemsize == 0:
        return "its elements have no size"
    if np.dtype(dtype.str) != dtype:
        return "it does not survive a round trip through its dtype string"
    return None


def _header(array: np.ndarray[Any, Any], dtype_text: bytes) -> bytes:
    ndim = array.ndim
    return (
        _FIXED.pack(_MAGIC, _VERSION, ndim, len(dtype_text))
        + dtype_text
        + struct.pack(f"<{ndim}Q", *array.shape)
    )


def _refuse(reason: str) -> SerializationError:
    return SerializationError(f"NumpySerializer cannot decode the data: {reason}")


def _parse_dtype(text: bytes) -> np.dtype[Any]:
    # Only canonical dtype strings of the allowed kinds reach np.dtype, so no other
    # spelling (comma-separated fields, "O", deprecated aliases) is ever parsed.
    if _DTYPE_TEXT.fullmatch(text.decode("ascii", "replace")) is None:
        raise _refuse(f"unsupported dtype {text!r}")
    try:
        dtype = np.dtype(text.decode("ascii"))
    except TypeError:
        raise _refuse(f"unknown dtype {text!r}") from None
    problem = _dtype_problem(dtype)
    if problem is not None or dtype.str.encode("ascii") != text:
        raise _refuse(f"unsupported dtype {text!r}")
    return dtype


@final
class NumpySerializer:
    """A ``numpy.ndarray`` as a short header (dtype and shape) and its raw elements.

    The round trip keeps the dtype exactly (byte order included: a big-endian array
    comes back big-endian), the shape (0-d and empty arrays too) and every bit of every
    element (NaN payloads, ``-0.0``). It does not keep the memory layout: a Fortran-
    ordered or non-contiguous array comes back as a C-contiguous copy with the same
    values. :meth:`loads` returns a new writable array that owns its memory.

    Supported dtypes: booleans, integers, floats, complex, ``datetime64``,
    ``timedelta64``, fixed-width bytes (``S``) and unicode (``U``), unstructured void
    (``V``). Refused, because their bytes alone do not describe them: object arrays
    (that would need pickle), numpy's variable-width ``StringDType``, and structured
    dtypes (their field names and offsets are not carried). Also refused: subclasses
    such as ``numpy.matrix`` or masked arrays (their extra state would be lost) and
    numpy scalars (pass ``numpy.asarray(x)`` to store them as 0-d arrays).

    :meth:`loads` never unpickles and checks everything before building the array:
    magic and version, that the dtype is one of the above in canonical spelling, that
    booleans are 0 or 1, and that the data is exactly ``itemsize * prod(shape)`` bytes.
    Every failure is a :class:`~pepperpy.caching.SerializationError`.

    Needs numpy (the ``vector`` extra).
    """

    __slots__ = ()

    def dumps(self, obj: Any) -> bytes:
        """Encode the array ``obj``."""
        if type(obj) is not np.ndarray:
            hint = (
                " (pass numpy.asarray(x) to store a 0-d array)"
                if isinstance(obj, np.generic)
                else ""
            )
            raise SerializationError(
                f"NumpySerializer cannot encode a value of type {describe_type(obj)}; "
                f"it stores numpy.ndarray only{hint}"
            )
        problem = _dtype_problem(obj.dtype)
        if problem is not None:
            raise SerializationError(
                f"NumpySerializer cannot encode an array of dtype {obj.dtype}: {problem}"
            )
        return _header(obj, obj.dtype.str.encode("ascii")) + obj.tobytes()

    def loads(self, data: bytes) -> Any:
        """Decode bytes made by :meth:`dumps` into a new array."""
        data = as_bytes(data, "NumpySerializer.loads")
        if len(data) < _FIXED.size:
            raise _refuse("it is shorter than the header")
        magic, version, ndim, dtype_len = _FIXED.unpack_from(data)
        if magic != _MAGIC:
            raise _refuse("it does not start with the NumpySerializer magic bytes")
        if version != _VERSION:
            raise _refuse(f"unknown format version {version}")
        if ndim > _MAX_DIMS:
            raise _refuse(f"{ndim} dimensions is more than numpy supports")
        shape_at = _FIXED.size + dtype_len
        data_at = shape_at + 8 * ndim
        if len(data) < data_at:
            raise _refuse("it is shorter than its header says")
        dtype = _parse_dtype(data[_FIXED.size : shape_at])
        shape: tuple[int, ...] = struct.unpack_from(f"<{ndim}Q", data, shape_at)
        count = math.prod(shape)
        if count * dtype.itemsize != len(data) - data_at:
            raise _refuse(
                f"shape {shape} of {dtype.str} needs {count * dtype.itemsize} bytes of "
                f"elements, found {len(data) - data_at}"
            )
        try:
            flat = np.frombuffer(data, dtype=dtype, count=count, offset=data_at)
            array = flat.reshape(shape).copy()
        except ValueError as exc:  # a shape numpy cannot represent
            raise _refuse(str(exc)) from exc
        if dtype.kind == "b" and count and flat.view(np.uint8).max() > 1:
            raise _refuse("a boolean element is neither 0 nor 1")
        return array

    def __repr__(self) -> str:
        return "NumpySerializer()"
