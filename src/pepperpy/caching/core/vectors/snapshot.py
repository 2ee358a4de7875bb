"""The file format of a saved vector store: bytes in, bytes out, nothing else.

Layout (all integers little-endian)::

    magic        8 bytes   b"PPVECTOR"
    version      u32       FORMAT_VERSION
    header size  u64       bytes of the JSON header
    total size   u64       bytes of the whole file, checksum included
    header       JSON      settings, keys, metadata, TTLs, eviction order, graph
                           settings, and where each array is (name, dtype, shape,
                           offset, size)
    arrays       raw       numpy arrays, each at an offset that is a multiple of 64
    checksum     32 bytes  SHA-256 of everything before it

Nothing is pickled: the header is JSON (metadata must be JSON-able, checked with
:class:`~pepperpy.caching.JsonSerializer`'s exact round trip) and arrays are raw
numbers of a few fixed dtypes. :func:`decode` checks magic, version, size and checksum
before it reads anything else, then every type and shape, and raises
:class:`~pepperpy.caching.SnapshotError` for anything that is not a whole, intact file.
The checksum detects damage, not tampering; a file that passes it is still checked
(keys, slots, graph links: :mod:`.graph_state`) before hnswlib is given any of it.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, final

import numpy as np
import numpy.typing as npt

from ..errors import SerializationError, SnapshotError
from ..serializers.json_serializer import JsonSerializer
from .graph_state import GRAPH_ARRAYS, GRAPH_SCALARS

__all__ = ("FORMAT_VERSION", "MAGIC", "IndexState", "StoreState", "decode", "encode")

MAGIC: Final = b"PPVECTOR"
FORMAT_VERSION: Final = 1
_PREFIX: Final = struct.Struct("<8sIQQ")
_DIGEST: Final = 32
_ALIGN: Final = 64
_ARRAY_DTYPES: Final[dict[str, tuple[str, ...]]] = {
    "vectors": ("<f4", "<f8"),
    "inv_norms": ("<f8",),
    "generations": ("<u8",),
    "order": ("<i8",),
    "ttls": ("<f8",),
}
_ARRAY_DTYPES.update({f"graph.{name}": (dtype.str,) for name, dtype in GRAPH_ARRAYS.items()})


@final
@dataclass(frozen=True, slots=True)
class IndexState:
    """A vector index as plain values and numpy arrays (one entry per slot)."""

    dim_given: int | None
    dim: int | None
    dtype: str | None
    metric: str
    settings: dict[str, Any]
    ef: int
    recall_target: float | None
    recall_check: list[Any] | None
    keys: list[str | None]
    metadata: list[Mapping[str, Any] | None]
    vectors: npt.NDArray[Any]
    inv_norms: npt.NDArray[np.float64] | None
    generations: npt.NDArray[np.uint64]
    graph: dict[str, Any] | None


@final
@dataclass(frozen=True, slots=True)
class StoreState:
    """A vector store as plain values: its settings, the index, and for each live key
    (by slot, next eviction victim first) the seconds its TTL had left (NaN: none)."""

    max_size: int | None
    policy: str | None
    default_ttl: float | None
    similarity_threshold: float | None
    order: npt.NDArray[np.int64]
    ttls: npt.NDArray[np.float64]
    index: IndexState


_JSON: Final = JsonSerializer()


def _refuse(problem: str) -> SnapshotError:
    return SnapshotError(f"not a readable vector cache file: {problem}")


def encode(state: StoreState) -> list[bytes | memoryview]:
    """The file for ``state``, as chunks to write one after the other.

    Raises :class:`~pepperpy.caching.SerializationError` (naming the key) for metadata
    that JSON cannot carry exactly.
    """
    index = state.index
    arrays: dict[str, npt.NDArray[Any]] = {
        "vectors": index.vectors,
        "generations": index.generations,
        "order": state.order,
        "ttls": state.ttls,
    }
    if index.inv_norms is not None:
        arrays["inv_norms"] = index.inv_norms
    graph_scalars = None
    if index.graph is not None:
        graph_scalars = {name: index.graph[name] for name in GRAPH_SCALARS}
        for name in GRAPH_ARRAYS:
            arrays[f"graph.{name}"] = index.graph[name]
    table: list[dict[str, Any]] = []
    offset = 0
    for name, given in arrays.items():
        dtype = given.dtype if name == "vectors" else np.dtype(_ARRAY_DTYPES[name][0])
        array = np.ascontiguousarray(given, dtype.newbyteorder("<"))
        arrays[name] = array
        table.append(
            {
                "name": name,
                "dtype": array.dtype.str,
                "shape": list(array.shape),
                "offset": offset,
                "size": array.nbytes,
            }
        )
        offset += -(-array.nbytes // _ALIGN) * _ALIGN
    header = {
        "store": {
            "max_size": state.max_size,
            "policy": state.policy,
            "default_ttl": state.default_ttl,
            "similarity_threshold": state.similarity_threshold,
        },
        "index": {
            "dim_given": index.dim_given,
            "dim": index.dim,
            "dtype": index.dtype,
            "metric": index.metric,
            "settings": index.settings,
            "ef": index.ef,
            "recall_target": index.recall_target,
            "recall_check": index.recall_check,
        },
        "keys": index.keys,
        "graph": graph_scalars,
        "arrays": table,
    }
    text = _json_text(header, index)
    head = text.encode("utf-8")
    start = -(-(_PREFIX.size + len(head)) // _ALIGN) * _ALIGN
    total = start + offset + _DIGEST
    chunks: list[bytes | memoryview] = [
        _PREFIX.pack(MAGIC, FORMAT_VERSION, len(head), total),
        head,
        bytes(start - _PREFIX.size - len(head)),
    ]
    for entry in table:
        array = arrays[entry["name"]]
        chunks.append(memoryview(array.reshape(-1).view(np.uint8)))  # type: ignore[arg-type]
        chunks.append(bytes(-array.nbytes % _ALIGN))
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    chunks.append(digest.digest())
    return chunks


def _json_text(header: dict[str, Any], index: IndexState) -> str:
    """The header as JSON, metadata included, or SerializationError naming the key."""
    plain = [None if meta is None else dict(meta) for meta in index.metadata]
    try:
        metadata = _JSON.dumps(plain).decode("utf-8")
    except SerializationError:
        for key, meta in zip(index.keys, plain, strict=True):
            try:
                _JSON.dumps(meta)
            except SerializationError as exc:
                raise SerializationError(
                    f"the metadata of key {key!r} cannot be saved: a saved file holds "
                    f"JSON only ({exc})"
                ) from None
        raise
    body = json.dumps(header, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return f'{body[:-1]},"metadata":{metadata}}}'


def decode(data: bytes | bytearray | memoryview) -> StoreState:
    """The state saved in ``data`` (a whole file), or SnapshotError."""
    view = memoryview(data).cast("B")
    if len(view) < _PREFIX.size:
        raise _refuse(f"it is {len(view)} bytes long, shorter than the format's prefix")
    magic, version, head_size, total = _PREFIX.unpack_from(view)
    if magic != MAGIC:
        raise _refuse("it does not start with the vector cache's magic bytes")
    if version != FORMAT_VERSION:
        raise _refuse(f"format version {version}; this library reads version {FORMAT_VERSION}")
    if len(view) < total:
        raise _refuse(f"it is truncated ({len(view)} of {total} bytes)")
    if len(view) > total:
        raise _refuse(f"it has {len(view) - total} bytes after its end")
    if total < _PREFIX.size + head_size + _DIGEST:
        raise _refuse("its sizes are inconsistent")
    if hashlib.sha256(view[: total - _DIGEST]).digest() != bytes(view[total - _DIGEST :]):
        raise _refuse("it is corrupt (its checksum does not match)")
    try:
        header = json.loads(bytes(view[_PREFIX.size : _PREFIX.size + head_size]))
        start = -(-(_PREFIX.size + head_size) // _ALIGN) * _ALIGN
        arrays = _arrays(view, header["arrays"], start, total - _DIGEST)
        return _state(header, arrays)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise _refuse(f"its contents are inconsistent ({exc!r})") from None


def _arrays(
    view: memoryview, table: list[dict[str, Any]], start: int, end: int
) -> dict[str, npt.NDArray[Any]]:
    arrays: dict[str, npt.NDArray[Any]] = {}
    for entry in table:
        name, dtype_text = entry["name"], entry["dtype"]
        if name not in _ARRAY_DTYPES or dtype_text not in _ARRAY_DTYPES[name] or name in arrays:
            raise ValueError(f"unexpected array {name!r} of {dtype_text!r}")
        dtype = np.dtype(dtype_text)
        shape = tuple(entry["shape"])
        if not all(type(n) is int and n >= 0 for n in shape) or len(shape) not in (1, 2):
            raise ValueError(f"array {name!r} has shape {shape!r}")
        offset, size = entry["offset"], entry["size"]
        count = int(np.prod(shape, dtype=np.int64))
        if type(offset) is not int or size != count * dtype.itemsize or offset < 0:
            raise ValueError(f"array {name!r} has the wrong size")
        if start + offset + size > end:
            raise ValueError(f"array {name!r} ends past the data")
        flat = np.frombuffer(view, dtype, count, start + offset)
        native = np.dtype(dtype.name)  # the native-order dtype, the one numpy shares
        arrays[name] = flat.reshape(shape).astype(native, copy=True)
    return arrays


def _state(header: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]) -> StoreState:
    store, index = header["store"], header["index"]
    keys = header["keys"]
    metadata = header["metadata"]
    if not isinstance(keys, list) or not isinstance(metadata, list):
        raise ValueError("keys and metadata must be lists")
    if not all(key is None or type(key) is str for key in keys):
        raise ValueError("a key that is not a string")
    if not all(meta is None or type(meta) is dict for meta in metadata):
        raise ValueError("metadata that is not an object")
    graph = None
    if header["graph"] is not None:
        graph = dict(header["graph"])
        if set(graph) != set(GRAPH_SCALARS):
            raise ValueError("unexpected graph settings")
        for name in GRAPH_ARRAYS:
            graph[name] = arrays[f"graph.{name}"]
    return StoreState(
        max_size=store["max_size"],
        policy=store["policy"],
        default_ttl=store["default_ttl"],
        similarity_threshold=store["similarity_threshold"],
        order=arrays["order"],
        ttls=arrays["ttls"],
        index=IndexState(
            dim_given=index["dim_given"],
            dim=index["dim"],
            dtype=index["dtype"],
            metric=index["metric"],
            settings=index["settings"],
            ef=index["ef"],
            recall_target=index["recall_target"],
            recall_check=index["recall_check"],
            keys=keys,
            metadata=metadata,
            vectors=arrays["vectors"],
            inv_norms=arrays.get("inv_norms"),
            generations=arrays["generations"],
            graph=graph,
        ),
    )
