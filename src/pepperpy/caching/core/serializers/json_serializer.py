"""JSON, the default for remote stores: decoding it can never run code."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from operator import itemgetter
from types import NoneType
from typing import Any, final

from ..errors import SerializationError
from ._describe import describe_type
from ._json_explain import encode_error

__all__ = ("JsonSerializer",)

_LEAVES = frozenset({str, int, float, bool, NoneType})
_STR_ONLY = frozenset({str})
_VALUE = itemgetter(0)
_END = itemgetter(1)


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


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _unreachable_default(obj: object) -> object:
    # Only reached if a value changed between the check and the encoding.
    raise TypeError(f"a value of type {describe_type(obj)} changed while being encoded")


def _compact_encoder(sort_keys: bool) -> Callable[[object], str]:
    """What ``JSONEncoder(...).encode`` does, with its C encoder built once.

    ``JSONEncoder.encode`` builds a new C encoder object on every call, which costs
    about a third of encoding a small record. The C encoder is the one
    ``json.dumps`` itself uses; if it is missing or does not produce exactly what
    the pure-Python encoder does, the plain ``encode`` is used instead.
    """
    encoder = json.JSONEncoder(
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
        check_circular=False,  # the _plain walk has already proven the value acyclic
        sort_keys=sort_keys,
    )
    plain = encoder.encode
    make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:
        return plain
    try:
        chunks = make_encoder(
            None,  # no cycle markers
            _unreachable_default,
            json.encoder.encode_basestring,
            None,  # no indent
            ":",
            ",",
            sort_keys,
            False,  # skipkeys
            False,  # allow_nan
        )

        def encode(obj: object) -> str:
            return "".join(chunks(obj, 0))

        probe = {"b": [1, -2.5e-300, None, True, False, 'é\n"\x00'], "a": {"": []}}
        # iterencode without one-shot runs the pure-Python encoder: the reference
        if encode(probe) == "".join(encoder.iterencode(probe)):
            return encode
    except Exception:  # an interpreter whose private encoder takes other arguments
        pass
    return plain


_TO_ASCII = {
    sort_keys: json.JSONEncoder(
        ensure_ascii=True, separators=(",", ":"), allow_nan=False, sort_keys=sort_keys
    ).encode
    for sort_keys in (False, True)
}


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

    __slots__ = ("_decode", "_encode", "_encode_ascii", "_scan", "_sort_keys")

    def __init__(self, *, sort_keys: bool = False) -> None:
        self._sort_keys = sort_keys
        self._encode = _compact_encoder(sort_keys)
        self._encode_ascii = _TO_ASCII[bool(sort_keys)]
        decoder = json.JSONDecoder(parse_constant=_refuse_constant)
        self._decode = decoder.decode
        # the decoder's own scanner (C when available); typeshed does not list it
        scan: Callable[[str, int], tuple[Any, int]] = decoder.scan_once  # type: ignore[attr-defined]
        self._scan = scan

    def dumps(self, obj: Any) -> bytes:
        """Encode ``obj`` as compact UTF-8 JSON."""
        try:
            if _plain(obj):
                return self._encode(obj).encode("utf-8")
        except UnicodeEncodeError:
            return self._encode_ascii(obj).encode("ascii")
        except (ValueError, TypeError, RecursionError) as exc:
            raise encode_error(obj, exc) from exc
        raise encode_error(obj, None)

    def loads(self, data: bytes) -> Any:
        """Decode UTF-8 JSON bytes (any bytes-like object)."""
        try:
            text = str(data, "utf-8")
        except UnicodeDecodeError as exc:
            raise SerializationError(
                f"JsonSerializer cannot decode data that is not valid UTF-8 "
                f"({exc.reason} at byte {exc.start})"
            ) from exc
        except (TypeError, ValueError, BufferError) as exc:
            raise SerializationError(
                f"JsonSerializer.loads expects bytes, got a value of type {describe_type(data)}"
            ) from exc
        # The scanner alone decodes what dumps writes (no surrounding whitespace);
        # anything else goes through the full decoder, which also explains errors.
        try:
            value, end = self._scan(text, 0)
            if end == len(text):
                return value
        except (StopIteration, ValueError, RecursionError):
            pass
        try:
            return self._decode(text)
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

    def loads_many(self, payloads: Sequence[bytes]) -> list[Any]:
        """Decode several payloads: ``[self.loads(p) for p in payloads]``, faster.

        The payloads are joined with NUL (which valid JSON never holds raw), decoded
        and split in one go each, and scanned without a Python frame per value. Any
        doubt (a NUL inside a payload, bytes that are not UTF-8, a value that is not
        exactly one JSON text) sends the whole batch through :meth:`loads`, which
        decodes or explains each payload on its own.
        """
        try:
            texts = b"\x00".join(payloads).decode("utf-8").split("\x00")
            if len(texts) == len(payloads):
                scanned = list(map(self._scan, texts, repeat(0)))
                if list(map(_END, scanned)) == list(map(len, texts)):
                    return list(map(_VALUE, scanned))
        except (TypeError, ValueError, StopIteration, RecursionError):
            pass
        return [self.loads(payload) for payload in payloads]

    def __repr__(self) -> str:
        return "JsonSerializer(sort_keys=True)" if self._sort_keys else "JsonSerializer()"
