"""S3-FIFO: a small FIFO, a main FIFO and a ghost FIFO of recently evicted keys."""

from __future__ import annotations

from collections import OrderedDict
from typing import Final, final

from ..errors import ConfigurationError
from .base import AccessRecorder, check_capacity

__all__ = ("S3FIFOPolicy",)

_SMALL_SHARE: Final = 0.1
_MAX_FREQUENCY: Final = 3
_PROMOTE_AT: Final = 1
"""Hits while in the small queue that earn a key its place in the main queue."""


@final
class S3FIFOPolicy:
    """Filters one-hit wonders through a small FIFO before they reach the main FIFO.

    S3-FIFO (Yang et al., SOSP 2023). New keys enter a *small* queue (10% of the
    capacity); the rest of the cache is the *main* queue. Each key counts its hits in
    two bits (capped at 3). When room is needed:

    * if the main queue holds more than its share (or the small queue is empty), the
      main queue's oldest key is examined: with a count above zero it is reinserted at
      the back with the count lowered by one, otherwise it leaves;
    * otherwise the small queue's oldest key is examined: if it was hit while there it
      moves to the main queue (count reset), otherwise it leaves and its key is
      remembered in the *ghost* queue, which holds up to 90% of the capacity in keys
      (no values) and forgets the oldest first.

    A key inserted while the ghost remembers it goes straight to the main queue. Until
    the first eviction, keys that find the small queue full also go to the main queue,
    so a cache that is filling up keeps its early keys (as libCacheSim's S3-FIFO does).
    As in the paper, a cache makes room before the newcomer joins (the engine calls
    :meth:`pop_victim` before :meth:`record_insert`).

    ``max_size`` is the capacity of the cache; a cache built on this policy supplies
    it through :meth:`bind_capacity`. Without one (an unbounded cache, or a policy used
    on its own), each :meth:`pop_victim` takes the number of keys tracked as the
    capacity. Every operation is O(1), eviction amortized over the hits
    that raised the counts.
    """

    __slots__ = (
        "_capacity",
        "_evicted",
        "_ghost",
        "_ghost_size",
        "_main",
        "_main_size",
        "_small",
        "_small_size",
    )

    def __init__(self, max_size: object = None) -> None:
        # Each queue maps its keys to their hit counts: the counts are small ints,
        # which Python shares, so a key costs one queue entry and nothing more.
        self._small: OrderedDict[str, int] = OrderedDict()
        self._main: OrderedDict[str, int] = OrderedDict()
        self._ghost: OrderedDict[str, None] = OrderedDict()
        self._evicted = False
        self._size_for(check_capacity(max_size))

    def _size_for(self, capacity: int | None) -> None:
        self._capacity = capacity
        self._small_size = 0 if capacity is None else _small_size(capacity)
        self._main_size = 0 if capacity is None else capacity - self._small_size
        self._ghost_size = self._main_size

    def bind_capacity(self, max_size: object) -> None:
        """Size the queues for a cache of ``max_size`` keys (``None``: unbounded)."""
        if len(self):
            raise ConfigurationError("bind_capacity() on a policy that already tracks keys")
        self._size_for(check_capacity(max_size))

    @property
    def capacity(self) -> int | None:
        """The capacity the queues are sized for, or ``None``."""
        return self._capacity

    def record_insert(self, key: str) -> None:
        """Queue ``key`` in the small queue, or in the main queue if the ghost knows it."""
        ghost = self._ghost
        if key in ghost:
            del ghost[key]
            queue = self._main
        elif self._evicted or len(self._small) < self._small_size or self._capacity is None:
            queue = self._small
        else:
            queue = self._main  # filling up: the small queue is full, the cache is not
        queue[key] = 0
        # The eviction that made room for this key may have left one key too many in
        # the ghost; trimming only now lets a key the ghost knew still be recognised.
        if len(ghost) > self._ghost_size:
            ghost.popitem(False)

    def record_access(self, key: str) -> None:
        """Count a hit on ``key`` (up to 3)."""
        # Most hits land in the main queue, and a hot key's count is capped: then a
        # hit is one lookup and no write.
        main = self._main
        count = main.get(key)
        if count is None:
            small = self._small
            count = small[key]
            if count < _MAX_FREQUENCY:
                small[key] = count + 1
        elif count < _MAX_FREQUENCY:
            main[key] = count + 1

    def record_remove(self, key: str) -> None:
        """Forget ``key``; a deleted key is not remembered by the ghost."""
        if self._small.pop(key, None) is None:
            del self._main[key]

    def pop_victim(self) -> str:
        """Run S3-FIFO's eviction; forget and return the key that leaves."""
        small, main = self._small, self._main
        self._evicted = True
        main_size = self._main_size
        if self._capacity is None:
            tracked = len(small) + len(main)
            main_size = tracked - _small_size(tracked)
            self._ghost_size = main_size
        if small and len(main) <= main_size:
            while small:
                key, count = small.popitem(False)
                if count >= _PROMOTE_AT:
                    main[key] = 0
                    continue
                ghost = self._ghost
                ghost[key] = None
                if len(ghost) > self._ghost_size + 1:
                    ghost.popitem(False)
                return key
        if not main:
            raise LookupError("pop_victim() on an empty policy")
        while True:
            key, count = main.popitem(False)
            if not count:
                return key
            main[key] = count - 1

    def clear(self) -> None:
        """Forget every key, the ghost's memory too: the policy starts afresh."""
        self._small.clear()
        self._main.clear()
        self._ghost.clear()
        self._evicted = False

    def access_recorder(self) -> AccessRecorder:
        """:meth:`record_access`."""
        return self.record_access

    def frequency(self, key: str) -> int:
        """The hit count (0 to 3) of the tracked ``key``."""
        count = self._small.get(key)
        return self._main[key] if count is None else count

    def queue_of(self, key: str) -> str:
        """Where ``key`` is: ``"small"``, ``"main"``, ``"ghost"`` or ``"absent"``."""
        if key in self._small:
            return "small"
        if key in self._main:
            return "main"
        return "ghost" if key in self._ghost else "absent"

    def __len__(self) -> int:
        return len(self._small) + len(self._main)

    def __repr__(self) -> str:
        return (
            f"S3FIFOPolicy(capacity={self._capacity}, small={len(self._small)}, "
            f"main={len(self._main)}, ghost={len(self._ghost)})"
        )


def _small_size(capacity: int) -> int:
    return max(1, int(capacity * _SMALL_SHARE))
