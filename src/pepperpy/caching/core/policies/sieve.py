"""SIEVE: a FIFO queue, a visited bit per key and a hand that sweeps it."""

from __future__ import annotations

from collections import OrderedDict
from typing import final

from .base import AccessRecorder

__all__ = ("SIEVEPolicy",)


@final
class SIEVEPolicy:
    """Evicts the oldest key not visited since the hand last passed it (SIEVE).

    SIEVE (Zhang et al., NSDI 2024) keeps keys in insertion order, newest at the head,
    and marks a key *visited* when it is read or overwritten. To evict, a hand moves
    from the tail (oldest) toward the head: a visited key loses its mark and stays
    where it is, the first unvisited key leaves, and the hand stays there for the next
    eviction; past the head it wraps around to the tail. Keys that are read again are
    kept without being moved (lazy promotion); new keys that are not read before the
    hand reaches them leave quickly (quick demotion).

    As in the paper, a cache makes room before the newcomer joins (the engine calls
    :meth:`pop_victim` before :meth:`record_insert`).

    The queue is split at the hand into two ordered dicts, the keys the hand has passed
    in this sweep and the keys still ahead of it, and the marks live in a set, so a hit
    is one ``set.add`` and every operation is O(1), eviction amortized over the marks
    set by hits.
    """

    __slots__ = ("_ahead", "_behind", "_visited")

    def __init__(self) -> None:
        # The whole queue, oldest first, is _behind followed by _ahead; the hand points
        # at the first key of _ahead, which is empty only when the queue is.
        self._behind: OrderedDict[str, None] = OrderedDict()
        self._ahead: OrderedDict[str, None] = OrderedDict()
        self._visited: set[str] = set()

    def record_insert(self, key: str) -> None:
        """Queue ``key`` at the head, not visited."""
        self._ahead[key] = None

    def record_access(self, key: str) -> None:
        """Mark ``key`` visited."""
        self._visited.add(key)

    def record_remove(self, key: str) -> None:
        """Take ``key`` out of the queue (the hand moves on if it pointed at it)."""
        self._visited.discard(key)
        ahead = self._ahead
        if key in ahead:
            del ahead[key]
            if not ahead:
                self._wrap()
        else:
            del self._behind[key]

    def pop_victim(self) -> str:
        """Move the hand to the first unvisited key; forget and return it."""
        ahead = self._ahead
        if ahead:
            # The usual case, made short: the hand points at an unvisited key.
            key = next(iter(ahead))
            if key not in self._visited:
                del ahead[key]
                if not ahead:
                    self._wrap()
                return key
        return self._sweep()

    def _sweep(self) -> str:
        ahead = self._ahead
        if not ahead:
            raise LookupError("pop_victim() on an empty policy")
        behind = self._behind
        visited = self._visited
        while True:
            key = ahead.popitem(False)[0]
            if key not in visited:
                if not ahead:
                    self._wrap()
                return key
            visited.remove(key)
            behind[key] = None
            if not ahead:
                self._wrap()
                ahead, behind = self._ahead, self._behind

    def _wrap(self) -> None:
        # The hand went past the head: it starts again from the tail.
        self._ahead, self._behind = self._behind, self._ahead

    def clear(self) -> None:
        """Forget every key."""
        self._behind.clear()
        self._ahead.clear()
        self._visited.clear()

    def access_recorder(self) -> AccessRecorder:
        """``set.add`` of the visited marks: no Python frame on the hit path."""
        return self._visited.add

    def is_visited(self, key: str) -> bool:
        """Whether the tracked ``key`` was read or overwritten since the hand passed it."""
        return key in self._visited

    def __len__(self) -> int:
        return len(self._ahead) + len(self._behind)

    def __repr__(self) -> str:
        return f"SIEVEPolicy(tracked={len(self)})"
