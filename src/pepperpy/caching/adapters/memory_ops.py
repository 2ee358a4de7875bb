"""MemoryCache's operations beyond get and set: add, incr, expire, touch, and tags.

Each completes without yielding to the event loop, so each is atomic with respect to
other tasks, as every MemoryCache method is. The tags these operations read and keep
are those of :mod:`.memory_face`; a key that expired but was not reclaimed yet is not
counted by :meth:`invalidate_tags` (it is no live key). Plain Python: their ``str``
key arguments are checked by the library, never by a compiled function's entry.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import ConfigurationError, NotAnIntegerError
from ..core.loading import check_tags
from ..core.ttl import TTL, normalize_ttl
from .memory_face import MemoryFace

__all__ = ("NO_TAGS", "MemoryOperations")

NO_TAGS: frozenset[str] = frozenset()
"""The tags of a write without any."""


class MemoryOperations(MemoryFace):
    """The operations, over the state and the hot path of :class:`.MemoryFace`."""

    __slots__ = ()

    def _forget_prefix(self, prefix: str) -> None:
        book = self._book
        if book is not None:
            for key in [key for key in book.tagged_keys() if key.startswith(prefix)]:
                book.forget(key)

    # -- the operations ---------------------------------------------------------------

    async def add(self, key: str, value: Any, ttl: TTL = None) -> bool:
        """Store ``value`` under ``key`` only if it holds no live value; whether it did."""
        if self._engine.contains(key, self._now()):
            return False
        await self.set(key, value, ttl)
        return True

    async def incr(self, key: str, delta: int = 1) -> int:
        """Add ``delta`` to the integer under ``key`` and return the new value; a missing
        key counts from 0 (and gets the cache's default TTL); the key's TTL is kept.
        :class:`~pepperpy.caching.NotAnIntegerError` for a value that is not an int
        (``bool`` included)."""
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise TypeError(f"incr delta must be an int; got {delta!r}")
        now = self._now()
        entry = self._engine.entry(key, now)
        if entry is None:
            current, ttl = 0, None
        else:
            current = entry.value
            if isinstance(current, bool) or not isinstance(current, int):
                raise NotAnIntegerError(
                    f"incr: the value of {key!r} is a {type(current).__name__}, not an int"
                )
            ttl = None if entry.expires_at is None else entry.expires_at - now
        result = current + delta
        self._write_kept(key, result, now, ttl)
        if entry is None and self._book is not None:
            self._retag(key, NO_TAGS)  # a new key: an expired one's tags are not its own
        return result

    async def expire(self, key: str, ttl: TTL) -> bool:
        """Give the live ``key`` a new TTL; whether it was there."""
        seconds = normalize_ttl(ttl)
        if seconds is None:
            raise ConfigurationError("expire needs a TTL; to keep a key for ever, set it again")
        now = self._now()
        entry = self._engine.entry(key, now)
        if entry is None:
            return False
        self._write_kept(key, entry.value, now, seconds)
        return True

    async def touch(self, key: str) -> bool:
        """Count ``key`` as just used by the eviction policy, without counting a hit;
        whether it was there. Its TTL is left alone."""
        engine = self._engine
        if not engine.contains(key, self._now()):
            return False
        engine.policy.record_access(key)
        return True

    async def invalidate_tags(self, *tags: str) -> int:
        """Remove every live key written with any of ``tags``; how many there were."""
        names = check_tags(tags)
        book = self._book
        if book is None or not names:
            return 0
        engine, now = self._engine, self._now()
        removed = 0
        for key in book.select(names):
            removed += engine.delete(key, now)
            book.forget(key)
        return removed

    def _write_kept(self, key: str, value: Any, now: float, ttl: float | None) -> None:
        """Rewrite ``key`` with ``ttl`` (``None``: as a write without one), keeping its tags."""
        if ttl is not None and ttl <= 0.0:
            ttl = 5e-324  # due this instant, but a TTL: never "no expiry"
        removed = self._engine.set(key, value, now, ttl)
        if removed:
            self._report(removed)
