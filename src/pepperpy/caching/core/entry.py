"""The records the core hands out: entries, removals and statistics.

All are immutable and slotted; times are the caller's monotonic seconds.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, NamedTuple, final

from .loading.breaker import BreakerStats

__all__ = ("MISS", "CacheEntry", "CacheStats", "Miss", "NearStats", "Removal", "RemovalCause")


@final
class Miss(enum.Enum):
    """Type of :data:`MISS`, the core's "no such key" answer (distinct from ``None``)."""

    MISS = enum.auto()

    def __repr__(self) -> str:
        return "MISS"

    def __bool__(self) -> bool:
        return False


MISS: Final = Miss.MISS
"""Returned by the core when a key is absent or expired; a stored ``None`` is a hit."""


@final
class RemovalCause(enum.Enum):
    """Why an entry left a cache on its own (not by an explicit delete or clear)."""

    EVICTED = "evicted"
    """The cache was full and the eviction policy chose this entry."""
    EXPIRED = "expired"
    """The entry's TTL ran out."""
    REJECTED = "rejected"
    """An admission filter (W-TinyLFU's) refused to keep the entry when the cache had
    to shed one: it was used less often than the entry it competed with."""


@final
class Removal(NamedTuple):
    """An entry the cache removed by itself: evicted, or reclaimed after expiry."""

    key: str
    value: Any
    cause: RemovalCause


_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


@final
@dataclass(frozen=True, slots=True)
class CacheEntry:
    """A snapshot of one key's value with its metadata.

    ``expires_at`` is ``None`` for an entry that never expires. ``created_at`` and
    ``last_accessed`` are ``None`` where the store does not record them (the memory
    engine keeps only what lookups need: the value and the expiry time).
    """

    key: str
    value: Any
    created_at: float | None = None
    expires_at: float | None = None
    last_accessed: float | None = None
    access_count: int = 0
    metadata: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def is_expired(self, now: float) -> bool:
        """Whether the entry has expired at monotonic time ``now``."""
        return self.expires_at is not None and self.expires_at <= now


@final
@dataclass(frozen=True, slots=True)
class NearStats:
    """Counters of a near cache (:class:`~pepperpy.caching.NearCache`) at one moment.

    ``local_hits`` were answered in process, ``remote_hits`` by the store, ``misses``
    found nothing; ``invalidations`` counts the keys the server reported changed,
    ``flushes`` the times the local copy was emptied whole (the server flushed, or
    the invalidation channel was lost); ``size`` is how many values it holds.
    """

    local_hits: int = 0
    remote_hits: int = 0
    misses: int = 0
    invalidations: int = 0
    flushes: int = 0
    size: int = 0

    @property
    def local_ratio(self) -> float:
        """Local hits divided by lookups, in [0, 1]; 0.0 before any lookup."""
        lookups = self.local_hits + self.remote_hits + self.misses
        return self.local_hits / lookups if lookups else 0.0


@final
@dataclass(frozen=True, slots=True)
class CacheStats:
    """Counters of one cache at one moment. ``hit_ratio`` is 0.0 before any lookup.

    ``near`` holds the near cache's own counters on a cache that has one
    (``None`` otherwise); its hits are counted in ``hits`` too.

    ``failed_reads`` and ``failed_writes`` count the operations of a fail-open remote
    cache that the store failed (reads answered as misses, writes of a loaded value
    dropped); ``breaker`` is its circuit breaker's record, if it has one.
    """

    hits: int = 0
    misses: int = 0
    size: int = 0
    evictions: int = 0
    expirations: int = 0
    near: NearStats | None = None
    failed_reads: int = 0
    failed_writes: int = 0
    breaker: BreakerStats | None = None
    rejections: int = 0
    """Entries refused by an admission filter (W-TinyLFU), or heavier on their own
    than ``max_bytes``; not counted as evictions."""
    weight: int | None = None
    """The summed weight of the stored entries (bytes, with the default weigher), or
    ``None`` for a cache that does not weigh them."""

    @property
    def lookups(self) -> int:
        """Hits plus misses."""
        return self.hits + self.misses

    @property
    def hit_ratio(self) -> float:
        """Hits divided by lookups, in [0, 1]; 0.0 when there has been no lookup."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0
