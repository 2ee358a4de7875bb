"""Plain reference models: what a cache engine and its eviction policies should do.

The models trade speed for obviousness (lists and linear scans), so a test can run
the same calls through a :class:`~pepperpy.caching.CacheEngine` and a
:class:`CacheModel` and compare every answer. They need nothing beyond the standard
library.

Where the real thing is allowed to choose (a random policy picks any key; entries
that expire at the same instant may be reclaimed in any order), the model does not
guess: it takes the choice the engine reported through ``observed=``, after checking
that the choice was allowed. A wrong choice is then caught by comparing the two.

A full cache makes room among the keys it holds *before* the new key joins, so no
model ever lets the key being written be the one that leaves: a policy that evicts
its newcomer fails against every model, :class:`AnyKeyModel` included.
"""

from __future__ import annotations

import abc
import copy
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Final, final

from ..core.entry import MISS, CacheEntry, CacheStats, Miss, Removal, RemovalCause
from ..core.policies.frequency_sketch import FrequencySketch
from ..core.ttl import TTL

__all__ = (
    "POLICY_MODELS",
    "AnyKeyModel",
    "CacheModel",
    "FIFOModel",
    "LFUModel",
    "LRUModel",
    "PolicyModel",
    "S3FIFOModel",
    "SIEVEModel",
    "TinyLFUModel",
)

_RECLAIM_PER_WRITE: Final = 2


class PolicyModel(abc.ABC):
    """A slow, obviously correct reference for one eviction policy.

    It hears what the engine tells a :class:`~pepperpy.caching.CachePolicy`
    (:meth:`insert`, :meth:`access`, :meth:`remove`, :meth:`clear`) and says which key
    must leave next (:meth:`victim`). :meth:`evict` is how the victim actually leaves;
    it is called when the cache is full, *before* the newcomer is inserted.
    :attr:`rejected` says whether the last eviction was an admission filter's refusal.
    Subclass it to check a policy of your own with
    :class:`~pepperpy.caching.testing.CacheEngineMachine`.
    """

    def __init__(self) -> None:
        self._keys: list[str] = []
        self.rejected = False
        """Whether the last :meth:`evict` was a refusal by an admission filter."""

    def bind_capacity(self, max_size: int | None) -> None:  # noqa: B027 - most ignore it
        """The cache's ``max_size``, given once before any insert. Nothing by default."""

    def insert(self, key: str) -> None:
        """``key`` was added to the cache."""
        self._keys.append(key)

    def access(self, key: str) -> None:  # noqa: B027 - most policies ignore accesses
        """``key`` was read, or overwritten while still live. Nothing by default."""

    def remove(self, key: str) -> None:
        """``key`` left the cache for any reason (deleted, expired or evicted)."""
        self._keys.remove(key)

    def clear(self) -> None:
        """Every key left the cache."""
        self._keys.clear()

    @abc.abstractmethod
    def victim(self) -> str | None:
        """The key the policy must evict now, or ``None`` if any tracked key may go."""

    def evict(self, observed: str | None) -> str:
        """Remove and return the victim; ``observed`` is the key the policy chose.

        The observed key is followed only when :meth:`victim` leaves the choice open
        and the key is tracked; otherwise the model keeps its own answer, so a wrong
        choice shows up as a difference from the real policy. An observed key that is
        not tracked (the key being written, which joins only after the room is made)
        fails at once.
        """
        self.check_tracked(observed)
        expected = self.victim()
        if expected is None:
            expected = observed if observed is not None else self._keys[0]
        self.remove(expected)
        return expected

    def check_tracked(self, observed: str | None) -> None:
        """Fail (AssertionError) if the policy evicted ``observed``, a key it does not
        hold, such as the key being written (it joins after the room is made)."""
        if observed is not None and observed not in self._keys:
            raise AssertionError(
                f"the policy evicted {observed!r}, which is not among the keys it holds: "
                "the key being written must never be the one that leaves"
            )

    def keys(self) -> list[str]:
        """The tracked keys, oldest insert first."""
        return list(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


@final
class LRUModel(PolicyModel):
    """Least recently used: a list in order of last use; the front leaves first."""

    def access(self, key: str) -> None:
        """Move ``key`` to the back: it is now the most recently used."""
        self._keys.remove(key)
        self._keys.append(key)

    def victim(self) -> str | None:
        """The least recently used key."""
        return self._keys[0] if self._keys else None


@final
class FIFOModel(PolicyModel):
    """First in, first out: accesses change nothing; the oldest insert leaves first."""

    def victim(self) -> str | None:
        """The key inserted longest ago."""
        return self._keys[0] if self._keys else None


@final
class LFUModel(PolicyModel):
    """Least frequently used: an insert counts 1, each access adds 1.

    Among the keys with the lowest count, the one that reached its count first leaves
    first.
    """

    def __init__(self) -> None:
        super().__init__()
        self._counts: dict[str, int] = {}
        self._reached: dict[str, int] = {}
        self._tick = 0

    def _stamp(self, key: str, count: int) -> None:
        self._tick += 1
        self._counts[key] = count
        self._reached[key] = self._tick

    def insert(self, key: str) -> None:
        """Track ``key`` with a count of 1."""
        super().insert(key)
        self._stamp(key, 1)

    def access(self, key: str) -> None:
        """Add one to the count of ``key``."""
        self._stamp(key, self._counts[key] + 1)

    def remove(self, key: str) -> None:
        """Forget ``key`` and its count."""
        super().remove(key)
        del self._counts[key], self._reached[key]

    def clear(self) -> None:
        """Forget every key and count."""
        super().clear()
        self._counts.clear()
        self._reached.clear()

    def count(self, key: str) -> int:
        """The use count of the tracked ``key``."""
        return self._counts[key]

    def victim(self) -> str | None:
        """The key with the lowest count that reached it first."""
        if not self._keys:
            return None
        return min(self._keys, key=lambda key: (self._counts[key], self._reached[key]))


@final
class AnyKeyModel(PolicyModel):
    """For policies whose choice cannot be predicted (random eviction): any tracked key
    may leave, and the model follows the policy's choice."""

    def victim(self) -> None:
        """``None``: every tracked key is an acceptable victim."""


class _EvictingModel(PolicyModel):
    """A model whose eviction changes more than the key it removes (a hand sweeps,
    queues move keys, a duel is fought): its victim is worked out on a copy."""

    def victim(self) -> str | None:
        """The key that eviction would remove now."""
        if not self._keys:
            return None
        return copy.deepcopy(self).evict(None)


@final
class SIEVEModel(_EvictingModel):
    """SIEVE (Zhang et al., NSDI 2024) on a plain list, oldest first.

    A hit marks the key visited. The hand points at a key (``None``: the oldest); to
    evict, it moves toward newer keys, clearing marks, wrapping to the oldest past the
    newest, and the first unvisited key leaves; the hand stays on the key after it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._visited: set[str] = set()
        self._hand: str | None = None

    def access(self, key: str) -> None:
        """Mark ``key`` visited."""
        self._visited.add(key)

    def remove(self, key: str) -> None:
        """Forget ``key``; a hand pointing at it moves on to the next newer key."""
        if key == self._hand:
            self._hand = self._newer(key)
        super().remove(key)
        self._visited.discard(key)

    def clear(self) -> None:
        """Forget every key and mark."""
        super().clear()
        self._visited.clear()
        self._hand = None

    def _newer(self, key: str) -> str | None:
        position = self._keys.index(key) + 1
        return self._keys[position] if position < len(self._keys) else None

    def evict(self, observed: str | None) -> str:
        """Sweep from the hand, clearing marks; the first unvisited key leaves."""
        self.check_tracked(observed)
        key = self._hand if self._hand is not None else self._keys[0]
        while key in self._visited:
            self._visited.discard(key)
            newer = self._newer(key)
            key = newer if newer is not None else self._keys[0]
        self._hand = key
        self.remove(key)
        return key


_S3FIFO_SMALL_SHARE: Final = 0.1


@final
class S3FIFOModel(_EvictingModel):
    """S3-FIFO (Yang et al., SOSP 2023) as libCacheSim runs it, on plain lists.

    New keys join the small queue (10% of the capacity); a key the ghost remembers
    joins the main queue, and so does a key that finds the small queue full before the
    first eviction. Hits count up to 3. To evict: if the main queue is over its share
    or the small queue is empty, the main queue's oldest key leaves if its count is
    zero, else goes to the back with one less; otherwise the small queue's oldest key
    moves to main if it was hit, else leaves and is remembered by the ghost (which
    holds as many keys as the main queue's share, oldest forgotten first). Without a
    capacity, each eviction takes the number of keys held as the capacity.
    """

    def __init__(self) -> None:
        super().__init__()
        self.capacity: int | None = None
        self.small: list[str] = []
        self.main: list[str] = []
        self.ghost: list[str] = []
        self.counts: dict[str, int] = {}
        self._evicted = False
        self._ghost_size = 0

    @staticmethod
    def _small_share(capacity: int) -> int:
        return max(1, int(capacity * _S3FIFO_SMALL_SHARE))

    def bind_capacity(self, max_size: int | None) -> None:
        """Size the queues for ``max_size`` keys."""
        self.capacity = max_size
        if max_size is not None:
            self._ghost_size = max_size - self._small_share(max_size)

    def insert(self, key: str) -> None:
        """Queue ``key`` (see the class documentation)."""
        super().insert(key)
        self.counts[key] = 0
        capacity = self.capacity
        if key in self.ghost:
            self.ghost.remove(key)
            self.main.append(key)
        elif capacity is None or self._evicted or len(self.small) < self._small_share(capacity):
            self.small.append(key)
        else:
            self.main.append(key)
        del self.ghost[: max(0, len(self.ghost) - self._ghost_size)]

    def access(self, key: str) -> None:
        """Count a hit, up to 3."""
        self.counts[key] = min(3, self.counts[key] + 1)

    def remove(self, key: str) -> None:
        """Forget ``key`` (not remembered by the ghost)."""
        super().remove(key)
        del self.counts[key]
        (self.small if key in self.small else self.main).remove(key)

    def clear(self) -> None:
        """Forget everything, the ghost too."""
        super().clear()
        self.small.clear()
        self.main.clear()
        self.ghost.clear()
        self.counts.clear()
        self._evicted = False

    def evict(self, observed: str | None) -> str:
        """Run the eviction (see the class documentation)."""
        self.check_tracked(observed)
        self._evicted = True
        capacity = len(self._keys) if self.capacity is None else self.capacity
        main_share = capacity - self._small_share(capacity)
        if self.capacity is None:
            self._ghost_size = main_share
        if self.small and len(self.main) <= main_share:
            while self.small:
                key = self.small.pop(0)
                if self.counts[key] >= 1:
                    self.counts[key] = 0
                    self.main.append(key)
                    continue
                PolicyModel.remove(self, key)
                del self.counts[key]
                self.ghost.append(key)
                del self.ghost[: max(0, len(self.ghost) - self._ghost_size - 1)]
                return key
        while True:
            key = self.main.pop(0)
            if self.counts[key] == 0:
                PolicyModel.remove(self, key)
                del self.counts[key]
                return key
            self.counts[key] -= 1
            self.main.append(key)


@final
class TinyLFUModel(_EvictingModel):
    """W-TinyLFU as :class:`~pepperpy.caching.TinyLFUPolicy` documents it, on lists.

    A window LRU of 1% of the capacity, probation and protected LRUs (protected up to
    80% of the rest), counts from the library's own
    :class:`~pepperpy.caching.core.policies.frequency_sketch.FrequencySketch` (this
    model checks the segments and the admission, not the sketch). To make room when
    the window is full and probation is not empty, the window's oldest key competes
    with probation's oldest: it moves to probation only if used more often, and the
    other leaves; a candidate that loses is a rejection. Without a capacity every key
    stays in the window.
    """

    def __init__(self) -> None:
        super().__init__()
        self.bind_capacity(None)

    def bind_capacity(self, max_size: int | None) -> None:
        """Size the segments and the sketch for ``max_size`` keys."""
        if max_size is None:
            self._window_size = self._protected_size = 1 << 62
            self._sketch = FrequencySketch(64)
        else:
            main = int(max_size * 0.99)
            self._window_size = max_size - main
            self._protected_size = int(main * 0.8)
            self._sketch = FrequencySketch(max_size)
        self.window: list[str] = []
        self.probation: list[str] = []
        self.protected: list[str] = []

    def _count(self, key: str) -> None:
        self._sketch.increment(self._sketch.slots(key))

    def frequency(self, key: str) -> int:
        """The sketch's estimate for ``key``."""
        return self._sketch.frequency(self._sketch.slots(key))

    def insert(self, key: str) -> None:
        """Count ``key``, put it in the window; an overflow goes to probation."""
        super().insert(key)
        self._count(key)
        self.window.append(key)
        if len(self.window) > self._window_size:
            self.probation.append(self.window.pop(0))

    def access(self, key: str) -> None:
        """Count a hit and refresh (or promote) ``key`` in its segment."""
        self._count(key)
        if key in self.probation:
            self.probation.remove(key)
            self.protected.append(key)
            if len(self.protected) > self._protected_size:
                self.probation.append(self.protected.pop(0))
            return
        segment = self.window if key in self.window else self.protected
        segment.remove(key)
        segment.append(key)

    def remove(self, key: str) -> None:
        """Forget ``key`` (the sketch keeps its count)."""
        super().remove(key)
        for segment in (self.window, self.probation, self.protected):
            if key in segment:
                segment.remove(key)

    def clear(self) -> None:
        """Forget every key and count."""
        super().clear()
        self.window.clear()
        self.probation.clear()
        self.protected.clear()
        self._sketch.clear()

    def evict(self, observed: str | None) -> str:
        """Run the duel, or take the oldest of probation, protected, window."""
        self.check_tracked(observed)
        self.rejected = False
        if self.probation and len(self.window) >= self._window_size:
            candidate, victim = self.window[0], self.probation[0]
            if self.frequency(candidate) > self.frequency(victim):
                self.window.remove(candidate)
                self.probation.append(candidate)
                self.remove(victim)
                return victim
            self.rejected = True
            self.remove(candidate)
            return candidate
        segment = next(s for s in (self.probation, self.protected, self.window) if s)
        key = segment[0]
        self.remove(key)
        return key


POLICY_MODELS: Final[Mapping[str, Callable[[], PolicyModel]]] = MappingProxyType(
    {
        "lru": LRUModel,
        "lfu": LFUModel,
        "fifo": FIFOModel,
        "random": AnyKeyModel,
        "sieve": SIEVEModel,
        "s3fifo": S3FIFOModel,
        "tinylfu": TinyLFUModel,
    }
)
"""The reference model of each built-in policy, by the policy's name."""


def _seconds(ttl: TTL) -> float | None:
    if ttl is None:
        return None
    if isinstance(ttl, timedelta):
        return ttl.total_seconds()
    return float(ttl)


@final
class CacheModel:
    """A dict-based reference of :class:`~pepperpy.caching.CacheEngine`.

    It has the engine's methods with the engine's meaning, written the plain way:
    an entry is expired when ``expires_at <= now``; an expired entry is a miss at once
    but stays stored until a write reclaims it (up to two per write, and before any
    live entry is evicted) or :meth:`expire` does; a full cache makes room before a
    new key joins; overwriting a live key is an access for the policy, overwriting an
    expired one is a fresh insert. TTLs must be valid
    (the model does not check them). ``policy`` is the model of the engine's policy.

    :meth:`set` and :meth:`expire` take ``observed=``, the removals the engine reported
    for the same call; the model uses them only where the engine may choose (see the
    module's documentation).
    """

    def __init__(
        self,
        max_size: int | None = None,
        policy: PolicyModel | None = None,
        default_ttl: TTL = None,
    ) -> None:
        self.max_size = max_size
        self.policy: PolicyModel = LRUModel() if policy is None else policy
        self.policy.bind_capacity(max_size)
        self.default_ttl = _seconds(default_ttl)
        self.values: dict[str, Any] = {}
        self.expires: dict[str, float] = {}
        self.hits = self.misses = self.evictions = self.expirations = self.rejections = 0

    # -- reads ---------------------------------------------------------------------

    def is_live(self, key: str, now: float) -> bool:
        """Whether ``key`` is stored and not expired at ``now``."""
        return key in self.values and not (key in self.expires and self.expires[key] <= now)

    def get(self, key: str, now: float) -> Any | Miss:
        """The live value of ``key`` (a hit, an access for the policy) or ``MISS``."""
        if self.is_live(key, now):
            self.hits += 1
            self.policy.access(key)
            return self.values[key]
        self.misses += 1
        return MISS

    def contains(self, key: str, now: float) -> bool:
        """Whether ``key`` is live."""
        return self.is_live(key, now)

    def ttl(self, key: str, now: float) -> float | None:
        """Seconds left for a live key with a TTL, else ``None``."""
        if not self.is_live(key, now) or key not in self.expires:
            return None
        return self.expires[key] - now

    def entry(self, key: str, now: float) -> CacheEntry | None:
        """The live entry of ``key``, or ``None``."""
        if not self.is_live(key, now):
            return None
        return CacheEntry(key, self.values[key], expires_at=self.expires.get(key))

    def entries(self, now: float) -> list[CacheEntry]:
        """Every live entry, in insertion order."""
        found = (self.entry(key, now) for key in self.values)
        return [entry for entry in found if entry is not None]

    def keys(self) -> list[str]:
        """Every stored key, expired ones included."""
        return list(self.values)

    def next_deadline(self) -> float | None:
        """The earliest expiry time of a stored entry, or ``None``."""
        return min(self.expires.values(), default=None)

    @property
    def stats(self) -> CacheStats:
        """The counters, as the engine reports them."""
        return CacheStats(
            hits=self.hits,
            misses=self.misses,
            size=len(self.values),
            evictions=self.evictions,
            expirations=self.expirations,
            rejections=self.rejections,
        )

    def __len__(self) -> int:
        return len(self.values)

    # -- writes --------------------------------------------------------------------

    def set(
        self,
        key: str,
        value: Any,
        now: float,
        ttl: TTL = None,
        *,
        observed: Iterable[Removal] = (),
    ) -> tuple[Removal, ...]:
        """Store ``value``; return the removals the write caused (see the class doc)."""
        seconds = self.default_ttl if ttl is None else _seconds(ttl)
        observed = tuple(observed)
        if self.is_live(key, now):
            self.values[key] = value
            self.policy.access(key)
            self._set_expiry(key, now, seconds)
            return self._reclaim(now, _RECLAIM_PER_WRITE, observed)
        if key in self.values:
            self._forget(key)  # expired: the new value starts afresh
        removed: tuple[Removal, ...] = ()
        full = self.max_size is not None and len(self.values) >= self.max_size
        if full:
            removed = self._reclaim(now, _RECLAIM_PER_WRITE, observed)
            if not removed:
                removed = (self._evict(observed),)
        self.values[key] = value
        self.policy.insert(key)
        self._set_expiry(key, now, seconds)
        return removed if full else self._reclaim(now, _RECLAIM_PER_WRITE, observed)

    def delete(self, key: str, now: float) -> bool:
        """Drop ``key``; ``True`` if it was live."""
        if key not in self.values:
            return False
        live = self.is_live(key, now)
        self._forget(key)
        return live

    def delete_prefix(self, prefix: str) -> int:
        """Drop every stored key starting with ``prefix``; how many."""
        doomed = [key for key in self.values if key.startswith(prefix)]
        for key in doomed:
            self._forget(key)
        return len(doomed)

    def clear(self) -> None:
        """Drop everything; counters stay."""
        self.values.clear()
        self.expires.clear()
        self.policy.clear()

    def expire(
        self, now: float, limit: int | None = None, *, observed: Iterable[Removal] = ()
    ) -> tuple[Removal, ...]:
        """Reclaim up to ``limit`` entries expired at ``now``, soonest deadline first."""
        return self._reclaim(now, limit, tuple(observed))

    def reset_stats(self) -> None:
        """Zero the counters."""
        self.hits = self.misses = self.evictions = self.expirations = self.rejections = 0

    # -- internals -----------------------------------------------------------------

    def _set_expiry(self, key: str, now: float, seconds: float | None) -> None:
        if seconds is None:
            self.expires.pop(key, None)
        else:
            self.expires[key] = now + seconds

    def _evict(self, observed: tuple[Removal, ...]) -> Removal:
        left = [r.key for r in observed if r.cause is not RemovalCause.EXPIRED]
        victim = self.policy.evict(left[0] if left else None)
        self.expires.pop(victim, None)
        if self.policy.rejected:
            self.rejections += 1
            cause = RemovalCause.REJECTED
        else:
            self.evictions += 1
            cause = RemovalCause.EVICTED
        return Removal(victim, self.values.pop(victim), cause)

    def _forget(self, key: str) -> Any:
        self.expires.pop(key, None)
        self.policy.remove(key)
        return self.values.pop(key)

    def _reclaim(
        self, now: float, limit: int | None, observed: tuple[Removal, ...]
    ) -> tuple[Removal, ...]:
        due = sorted((at, key) for key, at in self.expires.items() if at <= now)
        count = len(due) if limit is None else max(0, min(limit, len(due)))
        if count == 0:
            return ()
        cutoff = due[count - 1][0]
        chosen = [key for at, key in due if at < cutoff]
        tied = [key for at, key in due if at == cutoff]
        # Entries due at the same instant may go in any order: follow the engine.
        picks = [r.key for r in observed if r.cause is RemovalCause.EXPIRED and r.key in tied]
        picks += [key for key in tied if key not in picks]
        chosen += picks[: count - len(chosen)]
        self.expirations += len(chosen)
        return tuple(Removal(key, self._forget(key), RemovalCause.EXPIRED) for key in chosen)
