"""The cache engine: entries, eviction, expiry and counters, driven by plain calls.

Nothing here reads a clock: every call that depends on time takes ``now`` (monotonic
seconds chosen by the caller), and :meth:`CacheEngine.next_deadline` says when the
engine next has work to do.
"""

from __future__ import annotations

import copy
import heapq
from collections import OrderedDict
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, TypeGuard, final

from .entry import MISS, CacheEntry, CacheStats, Miss, Removal, RemovalCause
from .errors import CacheError, ConfigurationError
from .keys import bad_key, check_prefix
from .policies import (
    AdmissionPolicy,
    CachePolicy,
    CapacityAwarePolicy,
    OrderedStorePolicy,
    check_capacity,
    make_policy,
)
from .ttl import normalize_ttl, remaining
from .weights import Weigher, check_max_bytes, check_weight, estimate_size

__all__ = ("CacheEngine",)

_NO_REMOVALS: Final[tuple[Removal, ...]] = ()
_EVICTED: Final = RemovalCause.EVICTED
_EXPIRED: Final = RemovalCause.EXPIRED
_REJECTED: Final = RemovalCause.REJECTED
# Removal's own __new__ is a Python function; tuple.__new__ builds the same record
# without that frame, which matters on the eviction path.
_new_removal: Final = tuple.__new__
_Bytes = tuple[int | None, Weigher | None, dict[str, int] | None, int]
"""A weighing engine's state: max_bytes, the weigher, each key's weight, their sum."""
_NO_BYTES: Final[_Bytes] = (None, None, None, 0)
_RECLAIM_PER_WRITE: Final = 2
"""Expired entries reclaimed by each write: more than one write can create, so the
backlog of expired entries shrinks even when nothing else calls :meth:`expire`."""


@final
class CacheEngine:
    """A synchronous, deterministic cache: the core that every in-process cache drives.

    ``max_size`` bounds the number of entries (``None``: unbounded); ``policy`` chooses
    what to evict (a :class:`CachePolicy` or a name such as ``"lru"``); ``default_ttl``
    applies to writes that give no TTL.

    ``max_bytes`` is a second bound beside ``max_size``: the summed weight of the
    entries, each weighed once when written by ``weigher(key, value)`` (by default
    :func:`~pepperpy.caching.core.weights.estimate_size`, a cheap size in bytes). A
    write makes room (reclaiming, then evicting, as many entries as it takes) before
    the new entry joins; a value heavier than ``max_bytes`` on its own is not stored,
    evicts nothing, and comes back as a rejection. A ``weigher`` without
    ``max_bytes`` only keeps the sum, for :attr:`stats`.

    With ``removals=False`` writes and
    :meth:`expire` return the empty tuple instead of what they removed (the counters
    still count it): a caller with no one to tell saves building the records.

    Reads return the value or :data:`MISS`. An expired entry is a miss as soon as its
    deadline is reached (``expires_at <= now``); it stays in memory until a write or
    :meth:`expire` reclaims it, and each reclaimed entry comes back as a
    :class:`Removal`, as does each eviction, so the caller can report them.

    Where the policy keeps its order in one ``OrderedDict`` (LRU, FIFO: an
    :class:`~pepperpy.caching.OrderedStorePolicy`), the engine keeps the values in that
    same dict, so each call touches one dict. :data:`MISS` itself cannot be stored.

    ``copy.copy``, ``copy.deepcopy`` and ``pickle`` give an independent engine: its
    own entries, deadlines, policy state and counters (a shallow copy shares the
    stored values themselves, as ``dict.copy`` does; a deep copy copies them too).
    """

    __slots__ = (
        "_admission",
        "_deadlines",
        "_deadlines_view",
        "_default_ttl",
        "_evictions",
        "_expirations",
        "_heap",
        "_hits",
        "_max_bytes",
        "_max_size",
        "_misses",
        "_on_hit",
        "_ordered",
        "_policy",
        "_quiet",
        "_rejections",
        "_values",
        "_weigher",
        "_weight",
        "_weights",
    )

    def __init__(
        self,
        max_size: object = None,
        policy: CachePolicy | str = "lru",
        default_ttl: object = None,
        *,
        max_bytes: object = None,
        weigher: Weigher | None = None,
        removals: bool = True,
    ) -> None:
        # Bounds and TTL are ``object``: the compiled build checks each annotated
        # argument's type on entry, before these checks could name the setting.
        capacity = check_capacity(max_size)
        byte_bound = check_max_bytes(max_bytes)
        if weigher is not None and not callable(weigher):
            raise ConfigurationError(f"weigher must be a callable or None; got {weigher!r}")
        if weigher is None and byte_bound is not None:
            weigher = estimate_size
        weighing: _Bytes = _NO_BYTES if weigher is None else (byte_bound, weigher, {}, 0)
        seconds = normalize_ttl(default_ttl)
        chosen = make_policy(policy)
        if len(chosen):
            raise ConfigurationError("the policy already tracks keys: give each cache its own")
        if isinstance(chosen, CapacityAwarePolicy):
            chosen.bind_capacity(capacity)
        # (deadline, key) pairs; a pair is stale once _deadlines disagrees with it.
        self._restore(capacity, seconds, chosen, {}, {}, [], (0, 0, 0, 0, 0), removals, weighing)

    def _restore(
        self,
        max_size: int | None,
        default_ttl: float | None,
        policy: CachePolicy,
        values: dict[str, Any],
        deadlines: dict[str, float],
        heap: list[tuple[float, str]],
        counters: tuple[int, int, int, int, int],
        removals: bool,
        weighing: _Bytes,
    ) -> None:
        """Set every field from the engine's state; the derived ones are made afresh.

        With a policy that offers its ordered store, ``values`` is that store."""
        self._quiet = not removals
        self._max_bytes, self._weigher, self._weights, self._weight = weighing
        self._max_size = max_size
        self._default_ttl = default_ttl
        self._policy = policy
        self._on_hit = policy.access_recorder()
        self._admission = policy.last_rejected if isinstance(policy, AdmissionPolicy) else None
        ordered = policy.ordered_store() if isinstance(policy, OrderedStorePolicy) else None
        self._ordered: OrderedDict[str, Any] | None = ordered
        self._values: dict[str, Any] = values if ordered is None else ordered
        self._deadlines: dict[str, float] = deadlines
        self._deadlines_view: Mapping[str, float] = MappingProxyType(deadlines)
        self._heap: list[tuple[float, str]] = heap
        self._hits, self._misses, self._evictions, self._expirations, self._rejections = counters

    # -- reads ---------------------------------------------------------------------

    def get(self, key: object, now: float) -> Any | Miss:
        """The value of ``key``, or :data:`MISS`; counts a hit or a miss.

        ``now`` matters only for keys that have a TTL (see :attr:`deadlines`).
        """
        # ``key`` is an ``object`` (here and in every keyed method) so that a compiled
        # build, which checks annotated arguments on entry, raises InvalidKeyError as
        # the pure one does. A hit needs no check: the key equals a stored str key.
        try:
            value = self._values.get(key, MISS)  # type: ignore[call-overload]
        except TypeError:
            raise bad_key(key) from None
        if value is not MISS:
            if self._deadlines:
                expires_at = self._deadlines.get(key)  # type: ignore[call-overload]
                if expires_at is not None and expires_at <= now:
                    self._misses += 1
                    return MISS
            on_hit = self._on_hit
            if on_hit is not None:
                on_hit(key)  # type: ignore[arg-type]
            self._hits += 1
            return value
        if not isinstance(key, str):
            raise bad_key(key)
        self._misses += 1
        return MISS

    def contains(self, key: object, now: float) -> bool:
        """Whether ``key`` holds a live value. Counts nothing, changes nothing."""
        return self._live(key, now)

    def ttl(self, key: object, now: float) -> float | None:
        """Seconds until ``key`` expires; ``None`` if it has no TTL or is not cached."""
        if not self._live(key, now):
            return None
        return remaining(self._deadlines.get(key), now)

    def entry(self, key: object, now: float) -> CacheEntry | None:
        """A snapshot of the live entry for ``key``, or ``None``. Counts nothing."""
        if not self._live(key, now):
            return None
        return CacheEntry(key, self._values[key], expires_at=self._deadlines.get(key))

    def entries(self, now: float) -> list[CacheEntry]:
        """Snapshots of every live entry, in storage order."""
        deadlines = self._deadlines
        return [
            CacheEntry(key, value, expires_at=deadlines.get(key))
            for key, value in self._values.items()
            if key not in deadlines or deadlines[key] > now
        ]

    # -- writes --------------------------------------------------------------------

    def set(self, key: object, value: Any, now: float, ttl: object = None) -> tuple[Removal, ...]:
        """Store ``value`` under ``key``; ``ttl=None`` means the engine's default TTL.

        Returns what the write removed: at most one eviction (or rejection), or the
        expired entries it reclaimed on the way (usually nothing: the shared empty
        tuple). A full cache makes room among the entries it holds before the new key
        joins, so the key just written is never the one that leaves.
        """
        if value is MISS:
            raise CacheError("MISS is the engine's answer for 'no value'; it cannot be stored")
        if self._weigher is not None:
            return self._set_weighed(key, value, now, ttl)
        seconds = self._default_ttl if ttl is None else normalize_ttl(ttl)
        values = self._values
        deadlines = self._deadlines
        try:
            present = key in values
        except TypeError:
            raise bad_key(key) from None
        if present and not (deadlines and key in deadlines and deadlines[key] <= now):
            # An overwrite: the key equals a stored str key (see get), so no check.
            values[key] = value  # type: ignore[index]
            if self._on_hit is not None:
                self._on_hit(key)  # type: ignore[arg-type]
            if seconds is not None:
                self._set_deadline(key, now + seconds)  # type: ignore[arg-type]
            elif deadlines:
                deadlines.pop(key, None)  # type: ignore[call-overload]
            return self._reclaim(now, _RECLAIM_PER_WRITE) if self._heap else _NO_REMOVALS
        if not isinstance(key, str):
            raise bad_key(key)
        if present:
            self._drop(key)  # expired: the new value starts afresh
        max_size = self._max_size
        if max_size is not None and len(values) >= max_size:
            ordered = self._ordered
            heap = self._heap
            if ordered is None or (heap and heap[0][0] <= now):
                removed = self._make_room(now)
            else:
                # The usual eviction, inline: the store's first key is the victim.
                # ``last`` by position: a keyword argument is parsed the slow way.
                victim, old = ordered.popitem(False)
                if deadlines:
                    deadlines.pop(victim, None)
                self._evictions += 1
                removed = (
                    _NO_REMOVALS
                    if self._quiet
                    else (_new_removal(Removal, (victim, old, _EVICTED)),)
                )
            values[key] = value
            if ordered is None:
                self._policy.record_insert(key)
            if seconds is not None:
                self._set_deadline(key, now + seconds)
            return removed
        values[key] = value
        if self._ordered is None:
            self._policy.record_insert(key)
        if seconds is not None:
            self._set_deadline(key, now + seconds)
        return self._reclaim(now, _RECLAIM_PER_WRITE) if self._heap else _NO_REMOVALS

    def _set_weighed(self, key: object, value: Any, now: float, ttl: object) -> tuple[Removal, ...]:
        """:meth:`set` for an engine that weighs its entries."""
        if not isinstance(key, str):
            raise bad_key(key)
        seconds = self._default_ttl if ttl is None else normalize_ttl(ttl)
        present = self._stored(key)
        # Any: a compiled build would check the declared int return itself and raise
        # its own TypeError before check_weight can name the weigher.
        weigher: Any = self._weigher
        weights = self._weights
        assert weights is not None
        weight = check_weight(weigher(key, value), key)
        values, deadlines = self._values, self._deadlines
        max_bytes = self._max_bytes
        if max_bytes is not None and weight > max_bytes:
            # Heavier than the whole cache: not stored, nothing evicted for it. An older
            # value goes, so that the key does not answer with what was replaced.
            if present:
                self._drop(key)
            self._rejections += 1
            return _NO_REMOVALS if self._quiet else (Removal(key, value, _REJECTED),)
        live = present and not (key in deadlines and deadlines[key] <= now)
        if live:
            grown = self._weight - weights[key] + weight
            if max_bytes is None or grown <= max_bytes:
                values[key] = value
                weights[key] = weight
                self._weight = grown
                if self._on_hit is not None:
                    self._on_hit(key)
                self._new_deadline(key, now, seconds)
                return self._reclaim(now, _RECLAIM_PER_WRITE) if self._heap else _NO_REMOVALS
        if present:
            # Expired, or grown past the bound: it starts afresh, so that making room
            # can never evict the entry being written.
            self._drop(key)
        removed: list[Removal] = []
        max_size = self._max_size
        full = False
        while (max_size is not None and len(values) >= max_size) or (
            max_bytes is not None and self._weight + weight > max_bytes
        ):
            full = True
            removed.extend(self._make_room(now))
        values[key] = value
        weights[key] = weight
        self._weight += weight
        if self._ordered is None:
            self._policy.record_insert(key)
        self._new_deadline(key, now, seconds)
        if full:
            return tuple(removed) if removed else _NO_REMOVALS
        return self._reclaim(now, _RECLAIM_PER_WRITE) if self._heap else _NO_REMOVALS

    def delete(self, key: object, now: float) -> bool:
        """Remove ``key``; ``True`` if it held a live value (an expired one is dropped too)."""
        if not self._stored(key):
            return False
        live = self._live(key, now)
        self._drop(key)
        return live

    def delete_prefix(self, prefix: object) -> int:
        """Remove every key that starts with ``prefix``; how many entries were removed.

        Expired entries not yet reclaimed are removed (and counted) too.
        """
        start = check_prefix(prefix)
        doomed = [key for key in self._values if key.startswith(start)]
        for key in doomed:
            self._drop(key)
        return len(doomed)

    def clear(self) -> None:
        """Remove every entry. Counters are kept (see :meth:`reset_stats`)."""
        if self._weights is not None:
            self._weights.clear()
            self._weight = 0
        self._values.clear()
        self._deadlines.clear()
        self._heap.clear()
        self._policy.clear()

    # -- time ----------------------------------------------------------------------

    def expire(self, now: float, limit: int | None = None) -> tuple[Removal, ...]:
        """Reclaim entries expired at ``now``, soonest deadline first, at most ``limit``."""
        if not self._heap:
            return _NO_REMOVALS
        return self._reclaim(now, limit)

    def report_removals(self) -> None:
        """From now on, have writes and :meth:`expire` return what they removed (a
        caller that did not need the records, made with ``removals=False``, now does)."""
        self._quiet = False

    def next_deadline(self) -> float | None:
        """The earliest expiry time among stored entries, or ``None`` if none has a TTL."""
        heap = self._heap
        deadlines = self._deadlines
        while heap:
            expires_at, key = heap[0]
            if deadlines.get(key) == expires_at:
                return expires_at
            heapq.heappop(heap)  # stale: the key was deleted or given a new TTL
        return None

    @property
    def deadlines(self) -> Mapping[str, float]:
        """A live, read-only view of key -> expiry time, for the keys that have a TTL.

        When it is empty no answer depends on ``now``, so a caller may skip reading
        its clock.
        """
        return self._deadlines_view

    # -- counters ------------------------------------------------------------------

    @property
    def stats(self) -> CacheStats:
        """Counters now. ``size`` counts stored entries, including expired ones not yet
        reclaimed: call :meth:`expire` first for the live size."""
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            size=len(self._values),
            evictions=self._evictions,
            expirations=self._expirations,
            rejections=self._rejections,
            weight=None if self._weights is None else self._weight,
        )

    def live_size(self, now: float) -> int:
        """Entries live at ``now``. Reclaims nothing, changes nothing.

        Walks only the part of the deadline heap that is due, so it costs time in
        proportion to the expired entries not yet reclaimed, not to the cache size.
        """
        heap = self._heap
        if not heap or heap[0][0] > now:
            return len(self._values)
        deadlines = self._deadlines
        expired: set[str] = set()
        pending = [0]
        size = len(heap)
        while pending:
            at = pending.pop()
            expires_at, key = heap[at]
            if expires_at > now:
                continue  # a min-heap: nothing below this pair is due either
            if deadlines.get(key) == expires_at:
                expired.add(key)
            child = 2 * at + 1
            if child < size:
                pending.append(child)
                if child + 1 < size:
                    pending.append(child + 1)
        return len(self._values) - len(expired)

    def stats_at(self, now: float) -> CacheStats:
        """The counters, with ``size`` counting the entries live at ``now``. Reclaims
        nothing, changes nothing."""
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            size=self.live_size(now),
            evictions=self._evictions,
            expirations=self._expirations,
            rejections=self._rejections,
            weight=None if self._weights is None else self._weight,
        )

    def reset_stats(self) -> None:
        """Zero the hit, miss, eviction, expiration and rejection counters."""
        self._hits = self._misses = self._evictions = self._expirations = 0
        self._rejections = 0

    @property
    def max_size(self) -> int | None:
        """The capacity in entries, or ``None`` for unbounded."""
        return self._max_size

    @property
    def max_bytes(self) -> int | None:
        """The bound on the summed weight, or ``None``."""
        return self._max_bytes

    @property
    def weight(self) -> int | None:
        """The summed weight of the stored entries (expired ones not yet reclaimed
        included), or ``None`` for an engine that does not weigh."""
        return None if self._weights is None else self._weight

    def weight_of(self, key: str) -> int | None:
        """The weight ``key`` was stored with, or ``None`` (not stored, or no weigher)."""
        return None if self._weights is None else self._weights.get(key)

    @property
    def default_ttl(self) -> float | None:
        """The TTL in seconds applied to writes that give none, or ``None``."""
        return self._default_ttl

    @property
    def policy(self) -> CachePolicy:
        """The eviction policy."""
        return self._policy

    def keys(self) -> list[str]:
        """Every stored key, expired ones included, in storage order."""
        return list(self._values)

    def __len__(self) -> int:
        """Stored entries, including expired ones not yet reclaimed."""
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __repr__(self) -> str:
        return (
            f"CacheEngine(max_size={self._max_size}, policy={self._policy!r}, "
            f"stored={len(self._values)})"
        )

    # -- copies and pickling -------------------------------------------------------

    def _state(
        self,
    ) -> tuple[
        int | None,
        float | None,
        CachePolicy,
        dict[str, Any],
        dict[str, float],
        list[tuple[float, str]],
        tuple[int, int, int, int, int],
        bool,
        _Bytes,
    ]:
        counters = (self._hits, self._misses, self._evictions, self._expirations)
        return (
            self._max_size,
            self._default_ttl,
            self._policy,
            self._values,
            self._deadlines,
            self._heap,
            (*counters, self._rejections),
            not self._quiet,
            (self._max_bytes, self._weigher, self._weights, self._weight),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the state, never the derived views and bound methods."""
        return (_unpickle_engine, self._state())

    def __copy__(self) -> CacheEngine:
        """An independent engine holding the same value objects."""
        state = self._state()
        max_size, default_ttl, policy, values, deadlines, heap, counters, removals, weighing = state
        max_bytes, weigher, weights, weight = weighing
        clone = CacheEngine.__new__(CacheEngine)
        # A policy may hold the values (its ordered store): the memo keeps them as they
        # are while the policy's own structures are copied.
        shared: dict[int, Any] = {id(value): value for value in values.values()}
        clone._restore(
            max_size,
            default_ttl,
            copy.deepcopy(policy, shared),
            dict(values),
            dict(deadlines),
            list(heap),
            counters,
            removals,
            (max_bytes, weigher, None if weights is None else dict(weights), weight),
        )
        return clone

    def __deepcopy__(self, memo: dict[int, Any]) -> CacheEngine:
        """An independent engine holding copies of the values."""
        clone = CacheEngine.__new__(CacheEngine)
        memo[id(self)] = clone
        clone._restore(*copy.deepcopy(self._state(), memo))
        return clone

    # -- internals -----------------------------------------------------------------

    def _stored(self, key: object) -> TypeGuard[str]:
        """Whether ``key`` has an entry, live or expired; InvalidKeyError for a non-str."""
        try:
            found = key in self._values
        except TypeError:
            raise bad_key(key) from None
        if not found and not isinstance(key, str):
            raise bad_key(key)
        return found

    def _live(self, key: object, now: float) -> TypeGuard[str]:
        if not self._stored(key):
            return False
        expires_at = self._deadlines.get(key)
        return expires_at is None or expires_at > now

    def _new_deadline(self, key: str, now: float, seconds: float | None) -> None:
        """Give ``key`` the deadline of a write at ``now`` with ``seconds`` (or none)."""
        if seconds is not None:
            self._set_deadline(key, now + seconds)
        elif self._deadlines:
            self._deadlines.pop(key, None)

    def _set_deadline(self, key: str, expires_at: float) -> None:
        self._deadlines[key] = expires_at
        heap = self._heap
        heapq.heappush(heap, (expires_at, key))
        if len(heap) > 2 * len(self._deadlines) + 64:
            # Overwrites and deletes leave stale pairs; rebuilding once the heap is twice
            # the live count keeps it O(live) at O(1) amortized cost per write.
            heap[:] = [(at, k) for k, at in self._deadlines.items()]
            heapq.heapify(heap)

    def _drop(self, key: str) -> Any:
        """Forget ``key`` everywhere; its heap pair goes stale. Returns the value."""
        value = self._values.pop(key)
        self._deadlines.pop(key, None)
        if self._ordered is None:
            self._policy.record_remove(key)
        if self._weights is not None:
            self._weight -= self._weights.pop(key)
        return value

    def _reclaim(self, now: float, limit: int | None) -> tuple[Removal, ...]:
        heap = self._heap
        deadlines = self._deadlines
        removed: list[Removal] = []
        while heap and heap[0][0] <= now and (limit is None or len(removed) < limit):
            expires_at, key = heapq.heappop(heap)
            if deadlines.get(key) != expires_at:
                continue
            removed.append(_new_removal(Removal, (key, self._drop(key), _EXPIRED)))
        if not removed:
            return _NO_REMOVALS
        self._expirations += len(removed)
        return _NO_REMOVALS if self._quiet else tuple(removed)

    def _make_room(self, now: float) -> tuple[Removal, ...]:
        """The cache is full and a key is about to join: reclaim expired entries, else
        evict one that is stored now."""
        if self._heap and self._heap[0][0] <= now:
            expirations = self._expirations
            removed = self._reclaim(now, _RECLAIM_PER_WRITE)
            if self._expirations != expirations:
                return removed
        if self._ordered is not None:
            victim, value = self._ordered.popitem(False)  # the first key
        else:
            victim = self._policy.pop_victim()
            value = self._values.pop(victim)
        if self._deadlines:
            self._deadlines.pop(victim, None)
        if self._weights is not None:
            self._weight -= self._weights.pop(victim)
        cause = _EVICTED
        if self._admission is not None and self._admission():
            self._rejections += 1
            cause = _REJECTED
        else:
            self._evictions += 1
        return _NO_REMOVALS if self._quiet else (_new_removal(Removal, (victim, value, cause)),)


def _unpickle_engine(
    max_size: int | None,
    default_ttl: float | None,
    policy: CachePolicy,
    values: dict[str, Any],
    deadlines: dict[str, float],
    heap: list[tuple[float, str]],
    counters: tuple[int, int, int, int, int],
    removals: bool,
    weighing: _Bytes,
) -> CacheEngine:
    engine = CacheEngine.__new__(CacheEngine)
    engine._restore(
        max_size, default_ttl, policy, values, deadlines, heap, counters, removals, weighing
    )
    return engine
