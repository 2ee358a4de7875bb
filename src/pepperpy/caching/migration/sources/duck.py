"""Objects with ``keys()`` and ``get()`` (plain or async methods) as a source.

``get`` is called with a private default when it accepts a second argument, so a
stored ``None`` is told apart from a miss; otherwise ``None`` means the key is gone.
TTLs are carried when the object says how long a key has left: through
``get_with_expire(key) -> (value, seconds_left)`` (cachebox), or a ``ttl(key)`` method
returning seconds left (``None`` or a negative number: no expiry).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any, final

from pepperpy.caching import MISS

from ..items import SourceItem, describe
from .base import Source

__all__ = ("DuckSource", "has_keys_and_get")


def has_keys_and_get(obj: object) -> bool:
    """Whether ``obj`` has callable ``keys`` and ``get`` attributes."""
    return callable(getattr(obj, "keys", None)) and callable(getattr(obj, "get", None))


def _accepts(method: Callable[..., Any], count: int) -> bool:
    """Whether ``method`` can be called with ``count`` positional arguments."""
    import inspect  # only when such a source is read: it is slow to import

    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):
        return False
    try:
        signature.bind(*range(count))
    except TypeError:
        return False
    return True


async def _resolve(result: Any) -> Any:
    return await result if isinstance(result, Awaitable) else result


def _seconds(left: Any) -> float | None:
    """Seconds left as a ``ttl()``-style answer gives them; ``None``: no expiry."""
    if isinstance(left, timedelta):
        left = left.total_seconds()
    if left is None or isinstance(left, bool) or not isinstance(left, int | float):
        return None
    return None if left < 0 else float(left)


@final
class DuckSource(Source):
    """Reads an object through its ``keys()`` and ``get()``."""

    def __init__(self, obj: Any) -> None:
        self._obj = obj
        self._get = obj.get
        self._get_default = _accepts(obj.get, 2)
        with_expire = getattr(obj, "get_with_expire", None)
        self._with_expire = with_expire if callable(with_expire) else None
        ttl = getattr(obj, "ttl", None)
        self._ttl = ttl if callable(ttl) and _accepts(ttl, 1) else None
        self._contains = getattr(obj, "__contains__", None)

    async def _keys(self) -> list[Any]:
        listed = await _resolve(self._obj.keys())
        if isinstance(listed, AsyncIterable):
            return [key async for key in listed]
        if isinstance(listed, Iterable):
            return list(listed)
        raise TypeError(f"keys() returned {type(listed).__name__}, not an iterable")

    async def batches(self, size: int) -> AsyncGenerator[list[SourceItem], None]:
        keys = await self._keys()
        self.total = len(keys)
        for start in range(0, len(keys), size):
            yield [await self._read(key) for key in keys[start : start + size]]

    async def _read(self, key: Any) -> SourceItem:
        try:
            if self._with_expire is not None:
                return await self._read_with_expire(key)
            ttl = _seconds(await _resolve(self._ttl(key))) if self._ttl is not None else None
            if self._get_default:
                value = await _resolve(self._get(key, MISS))
                if value is MISS:
                    return SourceItem.expired(key)
            else:
                value = await _resolve(self._get(key))
                if value is None:
                    return SourceItem.expired(key)
            return SourceItem.with_remaining(key, value, ttl)
        except Exception as exc:
            return SourceItem.failed(key, describe(exc))

    async def _read_with_expire(self, key: Any) -> SourceItem:
        assert self._with_expire is not None
        value, left = await _resolve(self._with_expire(key))
        seconds = _seconds(left)
        if seconds:  # a positive number: the key is there with that much time left
            return SourceItem(key, value, seconds)
        present = await _resolve(self._contains(key)) if self._contains else value is not None
        return SourceItem(key, value) if present else SourceItem.expired(key)
