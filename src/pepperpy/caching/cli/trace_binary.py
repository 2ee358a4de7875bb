"""Binary traces: libCacheSim's ``oracleGeneral`` records, and numpy ``.npy`` arrays of ids."""

from __future__ import annotations

import io
import struct
from array import array
from pathlib import Path
from typing import Any, Final

from .._lazy import missing_extra
from .trace_streams import TraceError, compression_of, open_trace

__all__ = ("NPY_MAGIC", "ORACLE_GENERAL", "read_npy", "read_oracle_general")

ORACLE_GENERAL: Final = struct.Struct("<IQIq")
"""One oracleGeneral request, little-endian: the time (uint32 seconds), the object id
(uint64), the object's size in bytes (uint32), and the position of the next request
for the same object (int64, logical time)."""

NPY_MAGIC: Final = b"\x93NUMPY"
"""How a numpy ``.npy`` file starts."""

_RECORDS_PER_READ: Final = 1 << 15


def read_oracle_general(path: Path) -> tuple[list[str], array[int]]:
    """The object ids (as text, one ``str`` per distinct id) and sizes of each request."""
    keys: list[str] = []
    sizes = array("I")
    names: dict[int, str] = {}
    record = ORACLE_GENERAL.size
    total = 0
    left = b""  # the start of a request that the last read cut in two
    with open_trace(path) as stream:
        while chunk := stream.read(record * _RECORDS_PER_READ):
            total += len(chunk)
            chunk = left + chunk
            whole = len(chunk) - len(chunk) % record
            left = chunk[whole:]
            for _, obj_id, obj_size, _ in ORACLE_GENERAL.iter_unpack(chunk[:whole]):
                name = names.get(obj_id)
                if name is None:
                    name = names[obj_id] = str(obj_id)
                keys.append(name)
                sizes.append(obj_size)
    if left:
        raise TraceError(
            f"{path}: not an oracleGeneral trace: {total:,} bytes is not a whole number "
            f"of {record}-byte requests"
        )
    return keys, sizes


def read_npy(path: Path) -> list[str]:
    """The ids of a one-dimensional integer or string array, each as text."""
    try:
        import numpy as np
    except ImportError as exc:
        raise TraceError(str(missing_extra("reading a .npy trace", "numpy", exc))) from exc
    try:
        if compression_of(path) is None:
            ids: Any = np.load(path, allow_pickle=False)
        else:
            with open_trace(path) as stream:
                ids = np.load(io.BytesIO(stream.read()), allow_pickle=False)
    except ValueError as exc:
        raise TraceError(f"{path}: not a numpy array file without objects ({exc})") from exc
    if ids.ndim != 1:
        raise TraceError(f"{path}: expected a one-dimensional array; got shape {ids.shape}")
    if ids.dtype.kind not in "iuU":
        raise TraceError(f"{path}: expected integer or string ids; got dtype {ids.dtype}")
    distinct, inverse = np.unique(ids, return_inverse=True)
    names = [str(value) for value in distinct.tolist()]
    return [names[index] for index in inverse.tolist()]
