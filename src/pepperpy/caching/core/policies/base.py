"""The contract every eviction policy fulfils."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from ..errors import ConfigurationError

__all__ = (
    "AccessRecorder",
    "AdmissionPolicy",
    "CachePolicy",
    "CapacityAwarePolicy",
    "OrderedStorePolicy",
    "check_capacity",
)

AccessRecorder = Callable[[str], object]
"""A callable the engine invokes with the key on every hit."""


@runtime_checkable
class CachePolicy(Protocol):
    """Chooses which key leaves a full cache. Knows nothing of values, time or IO.

    The engine tells the policy about every key it stores and forgets, so the policy
    always tracks exactly the engine's keys; it never calls back into the engine.
    Every operation is O(1) (amortized where a policy says so).

    * :meth:`record_insert` — a key was added (it is not tracked yet).
    * :meth:`record_access` — a tracked key was read, or overwritten with a new value.
    * :meth:`record_remove` — a tracked key was deleted or expired.
    * :meth:`pop_victim` — the cache is full and a new key is about to join: stop
      tracking one of the keys tracked now and return it. The engine makes room
      *before* it inserts, so the newcomer is never the answer.
    * :meth:`access_recorder` — what the engine calls on each hit: ``record_access`` or
      a faster equivalent (LRU hands out ``OrderedDict.move_to_end``), or ``None`` when
      hits never change the policy's choice (FIFO, Random), so the hot path skips it.
    """

    def record_insert(self, key: str) -> None:
        """Start tracking ``key``, newly added to the cache."""
        ...

    def record_access(self, key: str) -> None:
        """Note a hit on, or an overwrite of, the tracked ``key``."""
        ...

    def record_remove(self, key: str) -> None:
        """Stop tracking ``key`` (deleted or expired)."""
        ...

    def pop_victim(self) -> str:
        """Stop tracking one key and return it; the engine then drops its entry."""
        ...

    def clear(self) -> None:
        """Stop tracking every key."""
        ...

    def access_recorder(self) -> AccessRecorder | None:
        """The callable to invoke on every hit, or ``None`` when hits do not matter."""
        ...

    def __len__(self) -> int:
        """How many keys are tracked."""
        ...


@runtime_checkable
class CapacityAwarePolicy(CachePolicy, Protocol):
    """A policy that sizes its structures for the cache's capacity (S3-FIFO, W-TinyLFU).

    A cache calls :meth:`bind_capacity` once, before it inserts any key, with its own
    ``max_size``: the cache's capacity overrides the one the policy was built with.
    """

    def bind_capacity(self, max_size: int | None) -> None:
        """Size for a cache of ``max_size`` keys (``None``: unbounded); tracks no key yet."""
        ...


@runtime_checkable
class OrderedStorePolicy(CachePolicy, Protocol):
    """A policy whose whole state is one ``OrderedDict`` of its keys, the next victim
    first (LRU, FIFO), and that lets a cache keep its values in that very dict, so a
    read or a write touches one dict instead of two.

    A cache that takes the store (:meth:`ordered_store`) keeps every value there and
    no longer calls :meth:`~pepperpy.caching.CachePolicy.record_insert`,
    :meth:`~pepperpy.caching.CachePolicy.record_remove` or
    :meth:`~pepperpy.caching.CachePolicy.pop_victim`: storing a new key (at the end) is
    the insert, deleting it is the remove, ``popitem(last=False)`` is the eviction, and
    overwriting a key keeps its place. It still calls the
    :meth:`~pepperpy.caching.CachePolicy.access_recorder` on every hit and overwrite.
    Used on its own, the policy keeps ``None`` as every value.
    """

    def ordered_store(self) -> OrderedDict[str, Any]:
        """The ``OrderedDict`` of the tracked keys, in eviction order."""
        ...


@runtime_checkable
class AdmissionPolicy(CachePolicy, Protocol):
    """A policy with an admission filter (W-TinyLFU): some keys it gives up were never
    admitted to the cache's main area. The engine reports those as rejections
    (:attr:`~pepperpy.caching.RemovalCause.REJECTED`) rather than evictions.
    """

    def last_rejected(self) -> bool:
        """Whether the key the last :meth:`~pepperpy.caching.CachePolicy.pop_victim`
        returned was refused admission."""
        ...


def check_capacity(max_size: object) -> int | None:
    """``max_size`` if it is a positive int or ``None``, else :class:`ConfigurationError`."""
    if max_size is None:
        return None
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
        raise ConfigurationError(f"max_size must be a positive int or None; got {max_size!r}")
    return max_size
