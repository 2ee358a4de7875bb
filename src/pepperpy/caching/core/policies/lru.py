"""Least recently used."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, final

from .base import AccessRecorder

__all__ = ("LRUPolicy",)


@final
class LRUPolicy:
    """Evicts the key whose last read or write is the oldest.

    One ``OrderedDict`` in recency order (oldest first); every operation is O(1).
    """

    __slots__ = ("_order",)

    def __init__(self) -> None:
        # A cache that takes this dict as its store keeps its values in it.
        self._order: OrderedDict[str, Any] = OrderedDict()

    def record_insert(self, key: str) -> None:
        """Track ``key`` as the most recently used."""
        self._order[key] = None

    def record_access(self, key: str) -> None:
        """Make ``key`` the most recently used."""
        self._order.move_to_end(key)

    def record_remove(self, key: str) -> None:
        """Forget ``key``."""
        del self._order[key]

    def pop_victim(self) -> str:
        """Forget and return the least recently used key."""
        return self._order.popitem(False)[0]

    def ordered_store(self) -> OrderedDict[str, Any]:
        """The dict of the tracked keys, the next victim first; a cache may keep its
        values in it (see :class:`~pepperpy.caching.OrderedStorePolicy`)."""
        return self._order

    def clear(self) -> None:
        """Forget every key."""
        self._order.clear()

    def access_recorder(self) -> AccessRecorder:
        """``OrderedDict.move_to_end`` itself: no Python frame on the hit path."""
        return self._order.move_to_end

    def __len__(self) -> int:
        return len(self._order)

    def __repr__(self) -> str:
        return f"LRUPolicy(tracked={len(self._order)})"
