"""Trace replay: miss counts of eviction policies, and of the optimal (Belady) policy.

Pure functions over a sequence of keys already in memory: reading trace files and
drawing progress belong to the caller (the ``simulate`` command). A cache bounded in
entries replays through :class:`CacheEngine`; one bounded in bytes, when the trace
says each object's size, through :func:`~.simulation_bytes.replay_bytes`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass

from .engine import CacheEngine
from .entry import MISS
from .errors import ConfigurationError
from .policies import CachePolicy
from .simulation_bytes import replay_bytes

__all__ = (
    "BELADY",
    "SimulationResult",
    "belady_misses",
    "next_uses",
    "replay",
    "simulate",
)

BELADY = "belady"
"""The name :func:`simulate` gives the optimal policy's results."""

Progress = Callable[[int], object]
"""Called now and then with the number of requests replayed since its last call."""

_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """How one policy did at one cache size over a trace."""

    policy: str
    """The policy's name, or :data:`BELADY`."""
    size: int
    """The cache's capacity, in entries (in bytes when :attr:`by_bytes`)."""
    requests: int
    """Requests replayed."""
    misses: int
    """Requests that did not find their key cached (first requests included)."""
    by_bytes: bool = False
    """Whether the cache was bounded in bytes (each request's object size counted)."""
    requested_bytes: int = 0
    """The object sizes of every request, summed (0 when sizes are not known)."""
    missed_bytes: int = 0
    """The object sizes of the requests that missed, summed."""

    @property
    def byte_miss_ratio(self) -> float:
        """``missed_bytes / requested_bytes`` (0.0 when no sizes are known)."""
        return self.missed_bytes / self.requested_bytes if self.requested_bytes else 0.0

    @property
    def miss_ratio(self) -> float:
        """``misses / requests`` (0.0 for an empty trace)."""
        return self.misses / self.requests if self.requests else 0.0

    @property
    def hit_ratio(self) -> float:
        """``1 - miss_ratio`` (0.0 for an empty trace)."""
        return 1.0 - self.miss_ratio if self.requests else 0.0


def replay(
    keys: Sequence[str],
    policy: CachePolicy | str,
    size: object,
    progress: Progress | None = None,
) -> int:
    """Replay ``keys`` through a :class:`CacheEngine` of ``size`` entries; the misses.

    Each request reads its key and, on a miss, stores it, as a read-through cache
    would. ``policy`` is a name or a fresh policy object (each replay needs its own).
    """
    engine = CacheEngine(size, policy)
    get = engine.get
    put = engine.set
    misses = 0
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        for key in chunk:
            if get(key, 0.0) is MISS:
                misses += 1
                put(key, True, 0.0)
        if progress is not None:
            progress(len(chunk))
    return misses


def next_uses(keys: Sequence[Hashable]) -> list[int]:
    """For each request, the position of the next request for the same key.

    A key never requested again gets ``len(keys) + position``: later than every real
    request, and distinct, so every request's next use is unique.
    """
    count = len(keys)
    result = [0] * count
    seen: dict[Hashable, int] = {}
    for position in range(count - 1, -1, -1):
        key = keys[position]
        result[position] = seen.get(key, count + position)
        seen[key] = position
    return result


def belady_misses(keys: Sequence[Hashable], size: object, progress: Progress | None = None) -> int:
    """The fewest misses any policy can have on ``keys`` with ``size`` entries.

    Belady's MIN: when a miss finds the cache full, whichever of the cached keys and
    the newcomer is next requested furthest in the future is left out. O(n log n): the
    cache is the set of its keys' next-use positions, with a max-heap over them whose
    stale entries (hits consumed them) are skipped when they surface.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigurationError(f"size must be a positive int; got {size!r}")
    upcoming = next_uses(keys)
    cached: set[int] = set()
    furthest: list[int] = []  # negated next uses
    misses = 0
    for start in range(0, len(upcoming), _CHUNK):
        stop = min(start + _CHUNK, len(upcoming))
        for position in range(start, stop):
            next_use = upcoming[position]
            if position in cached:
                cached.remove(position)  # a hit: the key's next use was this request
            else:
                misses += 1
                if len(cached) >= size:
                    while -furthest[0] not in cached:
                        heapq.heappop(furthest)
                    if -furthest[0] < next_use:
                        continue  # the newcomer is needed last: it is not kept
                    cached.remove(-heapq.heappop(furthest))
            cached.add(next_use)
            heapq.heappush(furthest, -next_use)
            if len(furthest) > 2 * len(cached) + 64:
                # Hits leave stale entries; dropping them keeps the heap O(size).
                furthest = [-use for use in cached]
                heapq.heapify(furthest)
        if progress is not None:
            progress(stop - start)
    return misses


def simulate(
    keys: Sequence[str],
    policies: Iterable[str | Callable[[], CachePolicy]],
    sizes: Iterable[int],
    *,
    belady: bool = True,
    progress: Progress | None = None,
    object_sizes: Sequence[int] | None = None,
) -> list[SimulationResult]:
    """Replay ``keys`` for every policy at every size, and Belady's optimum if asked.

    ``policies`` are names or factories of fresh policy objects (a policy is named
    after its class then). Results come policy by policy, sizes in the given order,
    the Belady rows last.

    With ``object_sizes`` (the size in bytes of each request's object), ``sizes`` are
    capacities in bytes and each result counts missed bytes too. Belady's optimum is
    then left out: with objects of different sizes, finding it is NP-hard.
    """
    sizes = list(sizes)
    results = []
    requested = 0 if object_sizes is None else sum(object_sizes)
    for policy in policies:
        name = policy if isinstance(policy, str) else _factory_name(policy)
        for size in sizes:
            chosen = policy if isinstance(policy, str) else policy()
            if object_sizes is None:
                misses = replay(keys, chosen, size, progress)
                results.append(SimulationResult(name, size, len(keys), misses))
                continue
            counted = replay_bytes(keys, object_sizes, chosen, size, progress)
            results.append(
                SimulationResult(
                    name, size, len(keys), counted.misses, True, requested, counted.missed_bytes
                )
            )
    if belady and object_sizes is None:
        for size in sizes:
            misses = belady_misses(keys, size, progress)
            results.append(SimulationResult(BELADY, size, len(keys), misses))
    return results


def _factory_name(factory: Callable[[], CachePolicy]) -> str:
    return getattr(factory, "__name__", type(factory).__name__)
