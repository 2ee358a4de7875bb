"""Trace replay with a cache bounded in bytes: each request carries its object's size.

The bound is kept here, around the policy, as a byte-bounded cache keeps it: a miss
stores the object (unless it alone is larger than the cache: then it is not stored
and evicts nothing), and the policy's victims leave until the objects held fit. An
object keeps the size of the request that brought it in (a hit reads, it does not
rewrite). Policies that size their structures for a capacity in entries (S3-FIFO,
W-TinyLFU) are given the number of objects of mean size that fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import ConfigurationError
from .policies import CachePolicy, CapacityAwarePolicy, make_policy

__all__ = ("ByteReplay", "entries_of_mean_size", "replay_bytes")

Progress = Callable[[int], object]

_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class ByteReplay:
    """What one byte-bounded replay counted."""

    misses: int
    """Requests that did not find their object cached."""
    missed_bytes: int
    """The sizes of those requests, summed (the bytes fetched from the origin)."""


def _check(max_bytes: object) -> int:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ConfigurationError(f"max_bytes must be a positive int; got {max_bytes!r}")
    return max_bytes


def entries_of_mean_size(keys: Sequence[str], sizes: Sequence[int], max_bytes: int) -> int:
    """How many objects of the trace's mean object size fit in ``max_bytes`` (>= 1);
    each distinct object counted once, with its first size."""
    first: dict[str, int] = {}
    for key, size in zip(keys, sizes, strict=True):
        first.setdefault(key, size)
    total = sum(first.values())
    if not first or total <= 0:
        return 1
    return max(1, int(max_bytes * len(first) / total))


def replay_bytes(
    keys: Sequence[str],
    sizes: Sequence[int],
    policy: CachePolicy | str,
    max_bytes: int,
    progress: Progress | None = None,
    *,
    capacity: int | None = None,
) -> ByteReplay:
    """Replay ``keys`` (request ``i`` for an object of ``sizes[i]`` bytes) through a
    read-through cache holding at most ``max_bytes``; the misses and missed bytes.

    ``capacity`` is the entry count told to a capacity-aware policy (by default
    :func:`entries_of_mean_size`). ``policy`` is a name or a fresh policy object.
    """
    max_bytes = _check(max_bytes)
    if len(keys) != len(sizes):
        raise ConfigurationError(f"{len(keys)} requests but {len(sizes)} sizes")
    chosen = make_policy(policy)
    if isinstance(chosen, CapacityAwarePolicy):
        if capacity is None:
            capacity = entries_of_mean_size(keys, sizes, max_bytes)
        chosen.bind_capacity(capacity)
    on_hit = chosen.access_recorder()
    insert = chosen.record_insert
    pop_victim = chosen.pop_victim
    held: dict[str, int] = {}
    used = 0
    misses = 0
    missed_bytes = 0
    for start in range(0, len(keys), _CHUNK):
        stop = min(start + _CHUNK, len(keys))
        for index in range(start, stop):
            key = keys[index]
            if key in held:
                if on_hit is not None:
                    on_hit(key)
                continue
            size = sizes[index]
            misses += 1
            missed_bytes += size
            if size > max_bytes:
                continue  # larger than the whole cache: not stored, evicts nothing
            # Room is made among the residents before the newcomer joins, as the
            # engine does: a policy never evicts the object being stored.
            while used + size > max_bytes:
                used -= held.pop(pop_victim())
            held[key] = size
            used += size
            insert(key)
        if progress is not None:
            progress(stop - start)
    return ByteReplay(misses, missed_bytes)
