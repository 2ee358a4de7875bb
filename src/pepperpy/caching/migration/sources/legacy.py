"""Older in-process caches that keep their entries in a private dict.

A legacy container is an object with a ``_storage`` or ``_cache`` mapping whose items
carry ``value`` and ``expires_at``, as attributes or as dict keys, or a ``_data``
mapping of ``(value, expires_at)`` pairs. ``expires_at`` is a datetime (naive means
local time), an ISO 8601 string of one, epoch seconds, or ``None`` for no expiry; a
missing ``expires_at`` means no expiry.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncGenerator, Iterator, Mapping
from datetime import datetime
from numbers import Real
from typing import Any, Final, final

from ..items import SourceItem, describe
from .base import Source
from .expiry import UnsupportedExpiry, seconds_left

__all__ = ("LegacySource", "find_legacy_store")

_ENTRY_STORES: Final = ("_storage", "_cache")
_PAIR_STORES: Final = ("_data",)
_SAMPLE: Final = 8


class _NotAnEntry(Exception):
    pass


def _entry_parts(entry: object, pairs: bool) -> tuple[Any, Any]:
    """``(value, expires_at)`` of one stored entry."""
    if isinstance(entry, Mapping):
        if "value" in entry:
            return entry["value"], entry.get("expires_at")
    elif pairs:
        if isinstance(entry, tuple) and len(entry) == 2 and _is_expiry(entry[1]):
            return entry[0], entry[1]
    elif hasattr(entry, "value"):
        return entry.value, getattr(entry, "expires_at", None)
    raise _NotAnEntry("the stored entry has no value" + (" and expiry pair" if pairs else ""))


def _is_expiry(candidate: object) -> bool:
    return (
        candidate is None
        or isinstance(candidate, datetime | str)
        or (isinstance(candidate, Real) and not isinstance(candidate, bool))
    )


def _is_entry(entry: object, pairs: bool) -> bool:
    try:
        _entry_parts(entry, pairs)
    except _NotAnEntry:
        return False
    return True


def _sample(store: Mapping[Any, Any]) -> Iterator[Any]:
    """The first few entries: enough to recognize the shape despite a malformed one."""
    return itertools.islice(store.values(), _SAMPLE)


def find_legacy_store(obj: object) -> tuple[Mapping[Any, Any], bool] | None:
    """The entry mapping of a legacy container and whether it holds pairs, or ``None``.

    A store qualifies when it is empty or one of its first entries has the expected
    shape (entries of another shape then fail one by one).
    """
    for names, pairs in ((_ENTRY_STORES, False), (_PAIR_STORES, True)):
        for name in names:
            try:
                store = getattr(obj, name, None)
            except Exception:  # a property that fails: not a store
                continue
            if not isinstance(store, Mapping):
                continue
            if not store or any(_is_entry(entry, pairs) for entry in _sample(store)):
                return store, pairs
    return None


@final
class LegacySource(Source):
    """Reads a legacy container's entries; expired ones are skipped."""

    def __init__(self, store: Mapping[Any, Any], pairs: bool) -> None:
        self._store = store
        self._pairs = pairs
        self.total = len(store)

    async def batches(self, size: int) -> AsyncGenerator[list[SourceItem], None]:
        keys = list(self._store)
        for start in range(0, len(keys), size):
            now = time.time()
            yield [self._read(key, now) for key in keys[start : start + size]]

    def _read(self, key: Any, now: float) -> SourceItem:
        try:
            entry = self._store[key]
        except KeyError:
            return SourceItem.expired(key)
        try:
            value, expires_at = _entry_parts(entry, self._pairs)
            return SourceItem.with_remaining(key, value, seconds_left(expires_at, now))
        except (_NotAnEntry, UnsupportedExpiry) as exc:
            return SourceItem.failed(key, str(exc))
        except Exception as exc:
            return SourceItem.failed(key, describe(exc))
