"""JSON, the default for remote stores: decoding it can never run code."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from types import NoneType
from typing import Any, final

from ..errors import SerializationError
from ._describe import describe_type, short_repr

__all__ = ("JsonSerializer",)

_LEAVES = frozenset({str, int, float, bool, NoneType})
_STR_ONLY = frozenset({str})


def _plain_items(items: Iterable[object]) -> bool:
    for item in items:
        if type(item) is dict:
            if not _plain(item):
                return False
        elif type(item) is list:
            if not (_LEAVES.issuperset(map(type, item)) or _plain_items(item)):
                return False
        elif type(item) not in _LEAVES:
            return False
    return True


def _plain(obj: object) -> bool:
    """Whether ``obj`` is built only from the exact types JSON carries without loss.

    This is the fast check on every ``dumps``: each container's element types are
    checked by set operations in C, and only containers holding containers are walked
    in Python. A cycle ends in RecursionError. NaN and infinities are left to the
    encoder (``allow_nan=False``).
    """
    if type(obj) is dict:
        return _STR_ONLY.issuperset(map(type, obj)) and (
            _LEAVES.issuperset(map(type, obj.values())) or _plain_items(obj.values())
        )
    if type(obj) is list:
        return _LEAVES.issuperset(map(type, obj)) or _plain_items(obj)
    return type(obj) in _LEAVES


def _hint(obj: object) -> str:
    if type(obj) is tuple:
        return "JSON has no tuple type; convert it to a list"
    if isinstance(obj, set | frozenset):
        return "JSON has no set type; convert it to a list"
    if isinstance(obj, bytes | bytearray | memoryview):
        return "decode it to text first, or store it with BytesSerializer"
    if isinstance(obj, str | int | float | list | dict):
        return (
            "only the exact types str, int, float, bool, None, list and dict are "
            "encoded, so that loads returns what was stored; convert it "
            "(for an enum member, use .value)"
        )
    return "use PickleSerializer or a serializer of your own for such values"


def _problem(node: object, path: str) -> str | None:
    """What JSON cannot carry in ``node`` itself (not in its children), or None."""
    if type(node) is float:
        if math.isfinite(node):
            return None
        return f"the float {node!r} at {path}; JSON has no NaN or infinity"
    if type(node) in _LEAVES or type(node) is list:
        return None
    if type(node) is dict:
        for key in node:
            if type(key) is not str:
                return (
                    f"a dict key of type {describe_type(key)} ({short_repr(key)}) at {path}; "
                    "JSON object keys must be str"
                )
        return None
    return f"a value of type {describe_type(node)} at {path}; {_hint(node)}"


def _children(node: object, path: str) -> Iterator[tuple[object, str]]:
    if type(node) is list:
        for index, child in enumerate(node):
            yield child, f"{path}[{index}]"
    elif type(node) is dict:
        for key, child in node.items():
            yield child, f"{path}[{short_repr(key)}]"


def _find_problem(root: object) -> str | None:
    """Describe the first part of ``root`` that JSON cannot carry, with its path.

    Iterative, so that it can also explain values nested deeper than the recursion
    limit, and it tracks the containers on the current path to name a cycle.
    """
    problem = _problem(root, "$")
    if problem is not None or type(root) not in (list, dict):
        return problem
    on_path = {id(root)}
    stack = [(_children(root, "$"), id(root))]
    while stack:
        children, ident = stack[-1]
        step = next(children, None)
        if step is None:
            stack.pop()
            on_path.discard(ident)
            continue
        child, path = step
        problem = _problem(child, path)
        if problem is not None:
            return problem
        if type(child) is list or type(child) is dict:
            if id(child) in on_path:
                return f"a circular reference at {path}"
            on_path.add(id(child))
            stack.append((_children(child, path), id(child)))
    return None


def _encode_error(obj: object, cause: BaseException | None) -> SerializationError:
    problem = _find_problem(obj)
    if problem is not None:
        return SerializationError(f"JsonSerializer cannot encode {problem}")
    if isinstance(cause, RecursionError):
        return SerializationError(
            f"JsonSerializer cannot encode a value of type {describe_type(obj)}: "
            "it is nested deeper than the interpreter's recursion limit"
        )
    return SerializationError(
        f"JsonSerializer cannot encode a value of type {describe_type(obj)}: {cause}"
    )


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


@final
class JsonSerializer:
    """Compact UTF-8 JSON, with an exact round trip or a clear refusal.

    It encodes ``str``, ``int``, ``float``, ``bool``, ``None``, ``list`` and ``dict``
    with ``str`` keys, nested as deep as needed. The round trip is exact:
    ``loads(dumps(value)) == value``, with the same types all the way down.
    Anything JSON would change on the way is refused with a
    :class:`~pepperpy.caching.SerializationError` that names the type and where it
    sits (``$['tags'][0]``): tuples (JSON would return a list), sets, subclasses such
    as enum members or ``numpy.float64``, dict keys that are not ``str`` (JSON would
    return them as strings), NaN and infinities (not valid JSON), and cycles.

    Output is deterministic: the same value gives the same bytes. Dict entries keep
    their insertion order unless ``sort_keys=True``, which makes equal dicts encode
    identically whatever their order. Strings containing lone surrogates (not
    encodable as UTF-8) are written with ASCII ``\\u`` escapes instead, so they too
    round-trip.

    ``loads`` accepts strict JSON only (no ``NaN``/``Infinity`` literals) and raises
    :class:`~pepperpy.caching.SerializationError` for anything that is not bytes,
    not UTF-8 or not JSON.
    """

    __slots__ = ("_decode", "_encode", "_encode_ascii", "_sort_keys")

    def __init__(self, *, sort_keys: bool = False) -> None:
        self._sort_keys = sort_keys
        options: dict[str, Any] = {
            "separators": (",", ":"),
            "allow_nan": False,
            # the _plain walk has already proven the value acyclic
            "check_circular": False,
            "sort_keys": sort_keys,
        }
        self._encode = json.JSONEncoder(ensure_ascii=False, **options).encode
        self._encode_ascii = json.JSONEncoder(ensure_ascii=True, **options).encode
        self._decode = json.JSONDecoder(parse_constant=_refuse_constant).decode

    def dumps(self, obj: Any) -> bytes:
        """Encode ``obj`` as compact UTF-8 JSON."""
        try:
            if _plain(obj):
                return self._encode(obj).encode("utf-8")
        except UnicodeEncodeError:
            return self._encode_ascii(obj).encode("ascii")
        except (ValueError, RecursionError) as exc:
            raise _encode_error(obj, exc) from exc
        raise _encode_error(obj, None)

    def loads(self, data: bytes) -> Any:
        """Decode UTF-8 JSON bytes (any bytes-like object)."""
        try:
            return self._decode(str(data, "utf-8"))
        except UnicodeDecodeError as exc:
            raise SerializationError(
                f"JsonSerializer cannot decode data that is not valid UTF-8 "
                f"({exc.reason} at byte {exc.start})"
            ) from exc
        except (TypeError, BufferError) as exc:
            raise SerializationError(
                f"JsonSerializer.loads expects bytes, got a value of type {describe_type(data)}"
            ) from exc
        except json.JSONDecodeError as exc:
            raise SerializationError(
                f"JsonSerializer cannot decode data that is not valid JSON: {exc}"
            ) from exc
        except ValueError as exc:  # NaN literals, ints too long to convert
            raise SerializationError(f"JsonSerializer cannot decode the data: {exc}") from exc
        except RecursionError as exc:
            raise SerializationError(
                "JsonSerializer cannot decode JSON nested deeper than the interpreter's "
                "recursion limit"
            ) from exc

    def __repr__(self) -> str:
        return "JsonSerializer(sort_keys=True)" if self._sort_keys else "JsonSerializer()"
