"""Reading cachetools caches without disturbing them, and their entries' remaining TTLs.

cachetools (any version from 4 to 8) keeps each entry's expiry time in private
structures: ``TTLCache`` in ``_TTLCache__links`` (``.expires``, ``.expire`` before
version 5), ``TLRUCache`` in ``_TLRUCache__items`` (``.expires``). They are read when
present, so an entry keeps exactly the time it had left. When they are not (a future
version), the public fallbacks apply: for ``TTLCache`` its ``ttl`` (an upper bound:
the entry may live up to that much longer than in the old cache), for ``TLRUCache``
what its ``ttu`` function gives a write made now.

Values are read with the base ``cachetools.Cache.__getitem__`` after a ``key in cache``
check (which honours expiry and moves nothing), so copying does not reorder an LRU
or bump an LFU count in the old cache.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, final

from ..items import SourceItem, describe

__all__ = ("CachetoolsReader", "is_cachetools_cache")


def _module() -> Any:
    return sys.modules.get("cachetools")


def is_cachetools_cache(obj: object) -> bool:
    """Whether ``obj`` is a ``cachetools.Cache`` (cachetools is never imported here:
    if it is not loaded, no object can be one of its caches)."""
    module = _module()
    return module is not None and isinstance(obj, module.Cache)


def _seconds(span: object) -> float | None:
    """A span from a cachetools timer (numbers, or timedeltas with a datetime timer)."""
    if isinstance(span, timedelta):
        return span.total_seconds()
    if isinstance(span, int | float) and not isinstance(span, bool):
        return None if math.isinf(span) and span > 0 else float(span)
    return None


@final
class CachetoolsReader:
    """Reads one cachetools cache: values untouched, expiry carried where it exists."""

    def __init__(self, cache: Any) -> None:
        module = _module()
        self._cache = cache
        self._raw_get: Callable[[Any, Any], Any] = module.Cache.__getitem__
        self._expiries: Mapping[Any, Any] | None = None
        self._fallback: Callable[[Any, Any, Any], Any] | None = None
        if isinstance(cache, module.TTLCache):
            self._expiries = _private_mapping(cache, "_TTLCache__links")
            self._fallback = lambda key, value, now: cache.ttl
        elif isinstance(cache, getattr(module, "TLRUCache", ())):
            timed: Any = cache
            self._expiries = _private_mapping(cache, "_TLRUCache__items")
            self._fallback = lambda key, value, now: timed.ttu(key, value, now) - now
        self.timed = self._fallback is not None

    def read(self, key: Any) -> SourceItem:
        """``key`` with its value and the seconds it has left."""
        cache = self._cache
        try:
            if key not in cache:
                return SourceItem.expired(key)
            value = self._raw_get(cache, key)
        except KeyError:
            return SourceItem.expired(key)
        except Exception as exc:
            return SourceItem.failed(key, describe(exc))
        if not self.timed:
            return SourceItem(key, value)
        try:
            return SourceItem.with_remaining(key, value, self._remaining(key, value))
        except Exception as exc:
            return SourceItem.failed(key, f"cannot tell its expiry: {describe(exc)}")

    def _remaining(self, key: Any, value: Any) -> float | None:
        now = self._cache.timer()
        record = self._expiries.get(key) if self._expiries is not None else None
        expires = getattr(record, "expires", getattr(record, "expire", None))
        if expires is not None:
            if isinstance(expires, int | float) and math.isinf(expires):
                return None if expires > 0 else 0.0
            left = _seconds(expires - now)
            if left is not None:
                return left
        assert self._fallback is not None
        left = _seconds(self._fallback(key, value, now))
        if left is None:
            raise TypeError("the cache's timer does not count in seconds or timedeltas")
        return left


def _private_mapping(cache: Any, name: str) -> Mapping[Any, Any] | None:
    found = getattr(cache, name, None)
    return found if isinstance(found, Mapping) else None
