"""Plain reference models: what a cache engine and its eviction policies should do.

The models trade speed for obviousness (lists and linear scans), so a test can run
the same calls through a :class:`~pepperpy.caching.CacheEngine` and a
:class:`CacheModel` and compare every answer. They need nothing beyond the standard
library.

Where the real thing is allowed to choose (a random policy picks any key; entries
that expire at the same instant may be reclaimed in any order), the model does not
guess: it takes the choice the engine reported through ``observed=``, after checking
that the choice was allowed. A wrong choice is then caught by comparing the two.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Final, final

from ..core.entry import MISS, CacheEntry, CacheStats, Miss, Removal, RemovalCause
from ..core.ttl import TTL

__all__ = (
    "POLICY_MODELS",
    "AnyKeyModel",
    "CacheModel",
    "FIFOModel",
    "LFUModel",
    "LRUModel",
    "PolicyModel",
)

_RECLAIM_PER_WRITE: Final = 2


class PolicyModel(abc.ABC):
    """A slow, obviously correct reference for one eviction policy.

    It hears what the engine tells a :class:`~pepperpy.caching.CachePolicy`
    (:meth:`insert`, :meth:`access`, :meth:`remove`, :meth:`clear`) and says which key
    must leave next (:meth:`victim`). :meth:`evict` is how the victim actually leaves.
    Subclass it to check a policy of your own with
    :class:`~pepperpy.caching.testing.CacheEngineMachine`.
    """

    def __init__(self) -> None:
        self._keys: list[str] = []

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
        choice shows up as a difference from the real policy.
        """
        expected = self.victim()
        if expected is None:
            expected = observed if observed in self._keys else self._keys[0]
        self.remove(expected)
        return expected

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


POLICY_MODELS: Final[Mapping[str, Callable[[], PolicyModel]]] = MappingProxyType(
    {"lru": LRUModel, "lfu": LFUModel, "fifo": FIFOModel, "random": AnyKeyModel}
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
    live entry is evicted) or :meth:`expire` does; overwriting a live key is an access
    for the policy, overwriting an expired one is a fresh insert. TTLs must be valid
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
        self.default_ttl = _seconds(default_ttl)
        self.values: dict[str, Any] = {}
        self.expires: dict[str, float] = {}
        self.hits = self.misses = self.evictions = self.expirations = 0

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
        self.values[key] = value
        self.policy.insert(key)
        self._set_expiry(key, now, seconds)
        if self.max_size is not None and len(self.values) > self.max_size:
            reclaimed = self._reclaim(now, _RECLAIM_PER_WRITE, observed)
            if reclaimed:
                return reclaimed
            evicted = [r.key for r in observed if r.cause is RemovalCause.EVICTED]
            victim = self.policy.evict(evicted[0] if evicted else None)
            self.expires.pop(victim, None)
            self.evictions += 1
            return (Removal(victim, self.values.pop(victim), RemovalCause.EVICTED),)
        return self._reclaim(now, _RECLAIM_PER_WRITE, observed)

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
        self.hits = self.misses = self.evictions = self.expirations = 0

    # -- internals -----------------------------------------------------------------

    def _set_expiry(self, key: str, now: float, seconds: float | None) -> None:
        if seconds is None:
            self.expires.pop(key, None)
        else:
            self.expires[key] = now + seconds

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
