"""MemoryCache: the in-process cache, a thin async face over the core engine."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any, Final, Self, TypeVar, final, overload

import anyio
import anyio.abc

from ..core.engine import CacheEngine
from ..core.entry import MISS, CacheEntry, CacheStats
from ..core.errors import ConfigurationError
from ..core.loading import TagBook
from ..core.policies import CachePolicy
from ..core.ttl import TTL, normalize_ttl
from ..core.weights import Weigher
from .backend import CacheBackend, V
from .clock import Clock, runtime_clock
from .memory_face import RemovalListener
from .memory_ops import MemoryOperations

__all__ = ("MemoryCache", "RemovalListener")

D = TypeVar("D")

_REAP_BATCH: Final = 1024
"""Expired entries the background reaper removes before it lets other tasks run."""


@final
class MemoryCache(MemoryOperations, CacheBackend[V]):
    """An in-process cache: values are kept as they are (no copy, no serialization).

    ``max_size`` bounds the entry count (``None``: unbounded); ``policy`` is a
    :class:`~pepperpy.caching.CachePolicy` or one of the names in
    :data:`~pepperpy.caching.POLICY_NAMES`; ``default_ttl`` applies to writes without a
    TTL. ``clock`` returns monotonic seconds; by default the cache follows the clock
    of the event loop it is first used on (so trio's ``MockClock`` drives it).
    ``max_bytes`` bounds the summed weight of the entries, ``weigher(key, value)``
    each (default :func:`~pepperpy.caching.core.weights.estimate_size`, a cheap size
    in bytes); a value heavier than ``max_bytes`` is not stored and evicts nothing
    (see :doc:`/memory`). ``on_evict`` is called with a
    :class:`~pepperpy.caching.Removal` for every entry evicted, refused or reclaimed
    after expiry; an exception it raises is logged, not raised.

    Expired entries are misses at once and are reclaimed by later writes (a few per
    write); while the cache is used as ``async with cache:`` a background task also
    reclaims them as they fall due, so memory is returned without any call.

    Every method completes without yielding to the event loop, so each call is
    atomic with respect to other tasks.

    ``copy.copy``, ``copy.deepcopy`` and ``pickle`` give an independent cache (see
    :class:`~pepperpy.caching.CacheEngine` for what each copies) with the same
    settings, ``clock`` and ``on_evict``; the copy is not entered (no background
    reaper) and is bound to no event loop. Pickling needs a picklable ``clock`` and
    ``on_evict``.
    """

    __slots__ = ()

    def __init__(
        self,
        max_size: int | None = 1000,
        policy: CachePolicy | str = "lru",
        default_ttl: TTL = None,
        clock: Clock | None = None,
        *,
        max_bytes: int | None = None,
        weigher: Weigher | None = None,
        on_evict: RemovalListener | None = None,
    ) -> None:
        super().__init__()
        if clock is not None and not callable(clock):
            raise ConfigurationError(f"clock must be a callable or None; got {clock!r}")
        if on_evict is not None and not callable(on_evict):
            raise ConfigurationError(f"on_evict must be a callable or None; got {on_evict!r}")
        # Without a listener nobody reads the removal records: the engine skips them.
        engine = CacheEngine(
            max_size,
            policy,
            default_ttl,
            max_bytes=max_bytes,
            weigher=weigher,
            removals=on_evict is not None,
        )
        self._bind(engine, clock, on_evict, None)

    # -- copies and pickling ---------------------------------------------------------

    def __copy__(self) -> MemoryCache:
        """An independent cache over a copy of the engine (the same value objects)."""
        book = copy.deepcopy(self._book)  # names only: a copy is cheap, sharing is wrong
        return _rebuild(copy.copy(self._engine), self._user_clock, self._on_evict, book)

    def __deepcopy__(self, memo: dict[int, Any]) -> MemoryCache:
        """An independent cache over a deep copy of the engine (copies of the values)."""
        engine = copy.deepcopy(self._engine, memo)
        return _rebuild(engine, self._user_clock, self._on_evict, copy.deepcopy(self._book, memo))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the engine and the settings; never the reaper or a bound clock."""
        return (_rebuild, (self._engine, self._user_clock, self._on_evict, self._book))

    if TYPE_CHECKING:
        # The value types of the hot path, which runs as MemoryFace's (no generic class).

        @overload
        async def get(self, key: str) -> V | None: ...

        @overload
        async def get(self, key: str, default: D) -> V | D: ...

        async def get(self, key: str, default: Any = None) -> Any:
            """The value of ``key``, or ``default`` on a miss or after expiry."""

        async def set(
            self, key: str, value: V, ttl: TTL = None, *, tags: Iterable[str] = ()
        ) -> None:
            """Store ``value`` under ``key``; ``ttl=None`` applies the default TTL."""

    # -- the rest of the interface ---------------------------------------------------

    async def contains(self, key: str) -> bool:
        """Whether ``key`` holds a live value (not counted as a hit or a miss)."""
        return self._engine.contains(key, self._now())

    async def delete(self, key: str) -> bool:
        """Remove ``key``; ``True`` if it held a live value."""
        if self._book is not None:
            self._forget((key,))
        return self._engine.delete(key, self._now())

    async def clear(self) -> None:
        """Remove every entry (listeners are not called). Counters are kept."""
        self._engine.clear()
        if self._book is not None:
            self._book.clear()

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every key that starts with ``prefix`` (matched literally)."""
        removed = self._engine.delete_prefix(prefix)  # checks the prefix first
        self._forget_prefix(prefix)
        return removed

    async def ttl(self, key: str) -> float | None:
        """Seconds left for ``key``; ``None`` without expiry or when absent."""
        return self._engine.ttl(key, self._now())

    async def iter_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The live keys that start with ``prefix``, from a snapshot taken at the start."""
        for entry in self._engine.entries(self._now()):
            if entry.key.startswith(prefix):
                yield entry.key

    def entry(self, key: str) -> CacheEntry | None:
        """A snapshot of the live entry for ``key`` (value and expiry), or ``None``."""
        return self._engine.entry(key, self._now())

    def entries(self) -> list[CacheEntry]:
        """Snapshots of every live entry."""
        return self._engine.entries(self._now())

    # -- counters --------------------------------------------------------------------

    @property
    def stats(self) -> CacheStats:
        """Counters; ``size`` counts the entries that have not expired. Only reads:
        expired entries are reclaimed by writes and the reaper, never here."""
        if not self._deadlines:
            return self._engine.stats
        return self._engine.stats_at(self._now())

    @property
    def size(self) -> int:
        """How many live entries the cache holds (only reads, as :attr:`stats`)."""
        if not self._deadlines:
            return len(self._engine)
        return self._engine.live_size(self._now())

    @property
    def hit_ratio(self) -> float:
        """Hits over lookups, in [0, 1]; 0.0 before any lookup."""
        return self._engine.stats.hit_ratio

    @property
    def max_size(self) -> int | None:
        """The capacity in entries, or ``None``."""
        return self._engine.max_size

    @property
    def max_bytes(self) -> int | None:
        """The bound on the summed weight of the entries, or ``None``."""
        return self._engine.max_bytes

    @property
    def engine(self) -> CacheEngine:
        """The core engine this cache drives (for inspection and tests)."""
        return self._engine

    # -- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._reaper is None:
            self._clock = self._user_clock or runtime_clock()
            reaper = anyio.create_task_group()
            await reaper.__aenter__()
            reaper.start_soon(self._reap_forever)
            self._reaper = reaper
            self._tasks = reaper  # background refreshes of get_or_set run here too
        return self

    async def aclose(self) -> None:
        """Stop the background reaper, if running, and forget the bound clock.

        The entries stay: the cache can be used, or entered, again.
        """
        reaper, self._reaper = self._reaper, None
        self._tasks = None
        if reaper is not None:
            reaper.cancel_scope.cancel()
            await reaper.__aexit__(None, None, None)
        self._clock = self._user_clock

    def __repr__(self) -> str:
        return f"MemoryCache(max_size={self._engine.max_size}, policy={self._engine.policy!r})"

    # -- internals -------------------------------------------------------------------

    async def _get_with_ttl(self, key: str) -> tuple[Any, float | None]:
        now = self._now()
        value = self._engine.get(key, now)
        return value, (None if value is MISS else self._engine.ttl(key, now))

    def _effective_ttl(self, ttl: TTL) -> float | None:
        return self._engine.default_ttl if ttl is None else normalize_ttl(ttl)

    async def _reap_forever(self) -> None:
        """Reclaim entries as they expire, in batches, until cancelled."""
        engine = self._engine
        while True:
            due = engine.next_deadline()
            now = self._now()
            if due is None or due > now:
                # Sleep until the next deadline, but wake at least once a second: a
                # write may have added an earlier one in the meantime.
                await anyio.sleep(1.0 if due is None else min(due - now, 1.0))
                continue
            removed = engine.expire(now, _REAP_BATCH)
            if removed:
                self._report(removed)
            await anyio.lowlevel.checkpoint()


def _rebuild(
    engine: CacheEngine,
    clock: Clock | None,
    on_evict: RemovalListener | None,
    book: TagBook | None = None,
) -> MemoryCache:
    """A MemoryCache over ``engine`` (copies and unpickling)."""
    cache = MemoryCache.__new__(MemoryCache)
    CacheBackend.__init__(cache)
    cache._bind(engine, clock, on_evict, book)
    return cache
