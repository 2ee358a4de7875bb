"""What a near cache's local copy may keep and serve: the rules, without IO.

The local copy is a :class:`~pepperpy.caching.core.engine.CacheEngine`. Values get
into it only through a read that was marked *pending* before its command was sent
(:meth:`NearState.begin`), and only if, when the reply is taken
(:meth:`NearState.finish`), nothing has said the key may have changed since: no
invalidation of that key, no flush, no loss of the invalidation channel. That closes
the classic race of client-side caching, where an invalidation overtakes the reply
of a read that the server answered before the change.

A tick counts events: each read's mark gets the tick at its start, each
invalidation and flush a tick of its own, so "did anything happen to this key since
this read began" is one comparison, and a pending mark costs a small list per key
read concurrently (dropped when its last read ends).

Nothing is served, and nothing kept, while the channel is not known to be up
(:meth:`NearState.channel_up`): a server that was never asked to track, or whose
channel was lost, may have changed anything without saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final, final

from ..engine import CacheEngine
from ..entry import MISS, Miss, NearStats
from ..policies import CachePolicy

__all__ = ("NearState",)

_COUNT: Final = 0
_CHANGED: Final = 1
"""Indexes of a pending mark: reads in flight, tick of the key's last invalidation."""


@final
class NearState:
    """The local copy of a near cache and the rules that keep it coherent.

    ``max_size`` and ``policy`` size the local engine; ``ttl`` (seconds, or ``None``)
    caps how long any value is kept. Times (``now``) are the caller's monotonic seconds.
    """

    __slots__ = (
        "_engine",
        "_flushed_at",
        "_pending",
        "_tick",
        "_ttl",
        "flushes",
        "invalidations",
        "lookup",
        "up",
    )

    def __init__(
        self, max_size: int, policy: CachePolicy | str = "lru", ttl: float | None = None
    ) -> None:
        self._engine = engine = CacheEngine(max_size, policy)
        self._ttl = ttl
        self._pending: dict[str, list[int]] = {}
        self._tick = 0
        self._flushed_at = 0
        self.up = False
        """Whether the invalidation channel is known to be up (values may be kept
        and served); changed only by :meth:`channel_up` and :meth:`channel_lost`."""
        self.lookup: Callable[[str, float], Any | Miss] = engine.get
        """``lookup(key, now)``: the local value of ``key``, or
        :data:`~pepperpy.caching.MISS` (then read the store, with :meth:`begin`
        first). The engine's own ``get``: the hot path, one call."""
        self.invalidations = 0
        """Keys the server reported changed."""
        self.flushes = 0
        """Times the local copy was emptied whole (server flush, channel lost)."""

    # -- reads ------------------------------------------------------------------------

    @property
    def local_hits(self) -> int:
        """Reads answered from the local copy."""
        return self._engine.stats.hits

    def holds(self, key: str, now: float) -> bool:
        """Whether the local copy holds a live value of ``key`` (counts nothing)."""
        return self._engine.contains(key, now)

    def begin(self, key: str) -> int:
        """Mark ``key`` pending before its read is sent; the token to finish it with
        (0 while the channel is down: that read's value will not be kept)."""
        if not self.up:
            return 0
        self._tick += 1
        mark = self._pending.get(key)
        if mark is None:
            self._pending[key] = [1, 0]
        else:
            mark[_COUNT] += 1
        return self._tick

    def finish(
        self, key: str, token: int, value: Any | Miss, now: float, ttl: float | None = None
    ) -> bool:
        """End the read of ``key`` begun with ``token``; keep ``value`` (``MISS``: the
        key is absent, or the read failed) unless something may have changed it since.
        ``ttl`` is what the store said is left of the key's life. Whether it was kept."""
        if token == 0:
            return False
        mark = self._pending[key]
        changed = mark[_CHANGED]
        if mark[_COUNT] == 1:
            del self._pending[key]
        else:
            mark[_COUNT] -= 1
        if value is MISS or changed > token or self._flushed_at > token or not self.up:
            return False
        if ttl is not None and ttl <= 0.0:  # expired as it was read
            return False
        local = self._ttl
        if ttl is not None and (local is None or ttl < local):
            local = ttl
        self._engine.set(key, value, now, local)
        return True

    # -- what changes the local copy --------------------------------------------------

    def invalidate(self, keys: Iterable[str]) -> None:
        """The server reported ``keys`` changed: drop them, and the values of reads
        of them still in flight."""
        count = 0
        for key in keys:
            count += 1
            self._forget(key)
        self.invalidations += count

    def written(self, keys: Iterable[str]) -> None:
        """A write through this cache changed (or may have changed) ``keys``."""
        for key in keys:
            self._forget(key)

    def written_prefix(self, prefix: str) -> None:
        """A write through this cache removed every key starting with ``prefix``
        (``""``: every key)."""
        if not prefix:
            self._engine.clear()
            self._tick += 1
            self._flushed_at = self._tick
            return
        self._engine.delete_prefix(prefix)
        self._tick += 1
        for key, mark in self._pending.items():
            if key.startswith(prefix):
                mark[_CHANGED] = self._tick

    def flush(self) -> None:
        """The server reported that everything may have changed (``FLUSHDB``, its
        tracking table full): empty the local copy."""
        self._engine.clear()
        self._tick += 1
        self._flushed_at = self._tick
        self.flushes += 1

    def channel_lost(self) -> None:
        """The invalidation channel is down (or its state unknown): flush, and keep
        nothing until :meth:`channel_up`."""
        if self.up or len(self._engine):
            self.flush()
        self.up = False

    def channel_up(self) -> None:
        """The server tracks again for this cache: values may be kept and served."""
        self._tick += 1
        self._flushed_at = self._tick
        self.up = True

    def _forget(self, key: str) -> None:
        self._engine.delete(key, 0.0)
        mark = self._pending.get(key)
        if mark is not None:
            self._tick += 1
            mark[_CHANGED] = self._tick

    # -- what it holds ----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._engine)

    @property
    def pending(self) -> int:
        """Keys with a read in flight."""
        return len(self._pending)

    def stats(self, remote_hits: int, misses: int) -> NearStats:
        """The near cache's counters, with the store's hits and misses."""
        return NearStats(
            local_hits=self.local_hits,
            remote_hits=remote_hits,
            misses=misses,
            invalidations=self.invalidations,
            flushes=self.flushes,
            size=len(self._engine),
        )
