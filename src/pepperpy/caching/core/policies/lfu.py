"""Least frequently used, with O(1) frequency buckets."""

from __future__ import annotations

from collections import OrderedDict
from typing import final

from .base import AccessRecorder

__all__ = ("LFUPolicy",)


class _Bucket:
    """The keys that share one use count, oldest first, in a list ordered by count."""

    __slots__ = ("count", "keys", "next", "prev")

    # Defaults, because copying and unpickling build the object without arguments
    # first (a compiled class runs __init__ then), and then restore its slots.
    def __init__(
        self, count: int = 1, prev: _Bucket | None = None, next: _Bucket | None = None
    ) -> None:
        self.count = count
        self.keys: OrderedDict[str, None] = OrderedDict()
        self.prev = prev
        self.next = next


@final
class LFUPolicy:
    """Evicts the key used the fewest times since it was inserted.

    An insert counts as the first use; each hit or overwrite adds one; a key's count is
    forgotten when it leaves. Ties go to recency: among the keys with the lowest count,
    the one that reached that count longest ago leaves first (so over keys that are
    never re-read, LFU behaves as FIFO).

    Keys with the same count share a bucket; buckets form a list in count order, so the
    lowest is always the head and every operation is O(1) (the LFU scheme of Shah,
    Mitra and Matani, 2010).
    """

    __slots__ = ("_head", "_where")

    def __init__(self) -> None:
        self._where: dict[str, _Bucket] = {}
        self._head: _Bucket | None = None

    def record_insert(self, key: str) -> None:
        """Track ``key`` with a count of 1."""
        head = self._head
        if head is None or head.count != 1:
            head = self._head = _Bucket(1, None, head)
            if head.next is not None:
                head.next.prev = head
        head.keys[key] = None
        self._where[key] = head

    def record_access(self, key: str) -> None:
        """Add one to the count of ``key``."""
        where = self._where
        bucket = where[key]
        keys = bucket.keys
        count = bucket.count + 1
        after = bucket.next
        if after is None or after.count != count:
            if len(keys) == 1:
                bucket.count = count  # alone in its bucket: the bucket moves up in place
                return
            after = _Bucket(count, bucket, after)
            if after.next is not None:
                after.next.prev = after
            bucket.next = after
        after.keys[key] = None
        where[key] = after
        del keys[key]
        if not keys:
            self._unlink(bucket)

    def record_remove(self, key: str) -> None:
        """Forget ``key`` and its count."""
        bucket = self._where.pop(key)
        del bucket.keys[key]
        if not bucket.keys:
            self._unlink(bucket)

    def pop_victim(self) -> str:
        """Forget and return the least frequently used key (oldest among ties)."""
        head = self._head
        if head is None:
            raise LookupError("pop_victim() on an empty policy")
        key = head.keys.popitem(False)[0]
        del self._where[key]
        if not head.keys:
            self._unlink(head)
        return key

    def clear(self) -> None:
        """Forget every key and count."""
        self._where.clear()
        self._head = None

    def access_recorder(self) -> AccessRecorder:
        """:meth:`record_access`."""
        return self.record_access

    def count(self, key: str) -> int:
        """The use count of the tracked ``key``."""
        return self._where[key].count

    def _unlink(self, bucket: _Bucket) -> None:
        before, after = bucket.prev, bucket.next
        if before is None:
            self._head = after
        else:
            before.next = after
        if after is not None:
            after.prev = before

    def __len__(self) -> int:
        return len(self._where)

    def __repr__(self) -> str:
        return f"LFUPolicy(tracked={len(self._where)})"
