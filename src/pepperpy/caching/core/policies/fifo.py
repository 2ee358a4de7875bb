"""First in, first out."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, final

__all__ = ("FIFOPolicy",)


@final
class FIFOPolicy:
    """Evicts the key that was inserted first.

    Reads do not matter, and neither does overwriting a key that is still cached: it
    keeps its place in the queue. A key deleted (or expired) and written again joins at
    the back. Every operation is O(1).
    """

    __slots__ = ("_queue",)

    def __init__(self) -> None:
        # A cache that takes this dict as its store keeps its values in it.
        self._queue: OrderedDict[str, Any] = OrderedDict()

    def record_insert(self, key: str) -> None:
        """Queue ``key`` at the back."""
        self._queue[key] = None

    def record_access(self, key: str) -> None:
        """Nothing: FIFO ignores reads and overwrites."""

    def record_remove(self, key: str) -> None:
        """Take ``key`` out of the queue."""
        del self._queue[key]

    def pop_victim(self) -> str:
        """Forget and return the key at the front of the queue."""
        return self._queue.popitem(False)[0]

    def ordered_store(self) -> OrderedDict[str, Any]:
        """The dict of the tracked keys, the next victim first; a cache may keep its
        values in it (see :class:`~pepperpy.caching.OrderedStorePolicy`)."""
        return self._queue

    def clear(self) -> None:
        """Forget every key."""
        self._queue.clear()

    def access_recorder(self) -> None:
        """``None``: hits never change FIFO's choice."""

    def __len__(self) -> int:
        return len(self._queue)

    def __repr__(self) -> str:
        return f"FIFOPolicy(tracked={len(self._queue)})"
