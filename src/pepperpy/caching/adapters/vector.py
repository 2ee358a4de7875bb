"""VectorCache: vectors under keys, found again by similarity, on asyncio or trio.

Two cores do the work: a :class:`~pepperpy.caching.CacheEngine` keeps the keys (eviction
policy, TTL, statistics) and a :class:`~pepperpy.caching.core.vectors.VectorIndex` keeps
the vectors, each with its metadata as the payload. Whatever the engine drops (evicted,
expired, deleted), the adapter removes from the index.

The index is used by one operation at a time, under a lock. Cheap operations run on the
event loop; anything estimated above about a millisecond of arithmetic (large batches,
searches with a large ``ef`` or dimension, a rebuild of the graph) runs in a worker
thread, so the loop never stalls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from types import MappingProxyType
from typing import Any, Final, TypeVar, final

import anyio
import anyio.lowlevel
import numpy.typing as npt

from ..core.engine import CacheEngine
from ..core.entry import MISS, CacheStats
from ..core.errors import ConfigurationError, InvalidKeyError
from ..core.policies import CachePolicy
from ..core.ttl import TTL, normalize_ttl
from ..core.vectors import (
    DEFAULT_EF,
    EXACT_THRESHOLD,
    NO_METADATA,
    IndexStats,
    Rebuild,
    SimilarityResult,
    VectorIndex,
)
from .backend import CacheBackend
from .clock import runtime_clock

__all__ = ("VectorCache",)

T = TypeVar("T")

_WORK_ON_LOOP: Final = 1 << 21
"""Multiply-adds (about a millisecond) above which index work goes to a worker thread."""
_CHUNK: Final = 512
"""Keys handled per event-loop turn when a batch updates the engine."""


def _check_threshold(threshold: object, name: str) -> float | None:
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise ConfigurationError(f"{name} must be a number or None; got {threshold!r}")
    if math.isnan(threshold):
        raise ConfigurationError(f"{name} must not be NaN")
    return float(threshold)


def _metadata_view(metadata: object) -> Mapping[str, Any]:
    """A read-only view of a private copy of ``metadata``."""
    if metadata is None:
        return NO_METADATA
    if not isinstance(metadata, Mapping):
        raise ConfigurationError(
            f"metadata must be a mapping or None; got {type(metadata).__name__}"
        )
    return MappingProxyType(dict(metadata)) if metadata else NO_METADATA


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise InvalidKeyError(f"cache keys must be str; got {key!r} of type {type(key).__name__}")
    return key


@final
class VectorCache(CacheBackend):
    """A cache of vectors (embeddings) that answers "what is stored near this one?".

    Keys are ``str``; values are 1-D vectors (numpy arrays or sequences of numbers).
    ``max_size``, ``policy`` and ``default_ttl`` behave as in every cache of the
    library; ``clock`` is a callable returning monotonic seconds (default: the running
    event loop's clock). ``similarity_threshold`` is the default lower bound on the
    score of :meth:`find_similar` results (``None``: no bound).

    ``metric``: ``"cosine"`` (score = cosine similarity in [-1, 1]), ``"l2"`` (score =
    ``1 / (1 + euclidean distance)``, in (0, 1]) or ``"ip"`` (score = inner product).
    ``dim`` and ``dtype`` (float32 or float64) are fixed by the first vector unless
    given; :meth:`get` returns vectors in that dtype, values as given.

    Search: exact (numpy) up to ``exact_threshold`` live vectors, an HNSW graph
    (hnswlib) beyond; ``M``, ``ef_construction`` and ``ef`` are its parameters (larger:
    better recall, slower), ``seed`` makes it reproducible, ``threads`` is how many
    threads hnswlib uses for a batch insert.

    Churn: by default inserts append to the graph, which is rebuilt (in a worker
    thread) once it holds ``rebuild_ratio`` removed elements per live one: higher
    ratios rebuild less often but let the graph grow to ``1 + rebuild_ratio`` times the
    live count and make searches wade through more removed elements.
    ``replace_deleted=True`` makes inserts take over the places of removed elements
    instead (the graph stays at the live count; each insert costs more).
    """

    def __init__(
        self,
        max_size: int | None = 10000,
        similarity_threshold: float | None = 0.9,
        dim: int | None = None,
        metric: str = "cosine",
        policy: CachePolicy | str = "lru",
        default_ttl: TTL = None,
        clock: Callable[[], float] | None = None,
        *,
        M: int = 16,
        ef_construction: int = 200,
        ef: int = DEFAULT_EF,
        seed: int = 0,
        dtype: object = None,
        threads: int = 1,
        replace_deleted: bool = False,
        exact_threshold: int = EXACT_THRESHOLD,
        rebuild_ratio: float = 1.0,
    ) -> None:
        super().__init__()
        self._threshold = _check_threshold(similarity_threshold, "similarity_threshold")
        if clock is not None and not callable(clock):
            raise ConfigurationError(f"clock must be a callable or None; got {clock!r}")
        self._engine = CacheEngine(max_size, policy, default_ttl)
        self._index = VectorIndex(
            dim,
            metric,
            dtype=dtype,
            M=M,
            ef_construction=ef_construction,
            ef=ef,
            seed=seed,
            threads=threads,
            replace_deleted=replace_deleted,
            exact_threshold=exact_threshold,
            rebuild_ratio=rebuild_ratio,
        )
        self._clock = clock
        self._touch = self._engine.policy.access_recorder()
        self._lock = anyio.Lock(fast_acquire=True)
        self._pending: list[str] = []
        """Keys the engine reclaimed while the index was busy; removed at the next turn."""

    # -- reads ---------------------------------------------------------------------

    async def get(self, key: str, default: Any = None) -> Any:
        """A copy of the vector stored under ``key`` (values as given, in the cache's
        dtype), or ``default``. Counts a hit or a miss."""
        if self._lock.locked():
            async with self._lock:
                return self._get(key, default)
        return self._get(key, default)

    def _get(self, key: str, default: Any) -> Any:
        if self._engine.get(key, self._now()) is MISS:
            return default
        return self._index.vector(key)

    async def get_many(self, keys: Iterable[str]) -> dict[str, npt.NDArray[Any]]:
        """The vectors of the hits among ``keys`` (misses are left out)."""
        found: dict[str, npt.NDArray[Any]] = {}
        async with self._lock:
            for i, key in enumerate(keys, 1):
                vector = self._get(key, None)
                if vector is not None:
                    found[key] = vector
                if i % _CHUNK == 0:
                    await anyio.lowlevel.checkpoint()
        return found

    async def batch_get(self, keys: Iterable[str]) -> dict[str, npt.NDArray[Any]]:
        """Same as :meth:`get_many`."""
        return await self.get_many(keys)

    async def contains(self, key: str) -> bool:
        """Whether ``key`` holds a live vector. Counts nothing."""
        return self._engine.contains(key, self._now())

    async def ttl(self, key: str) -> float | None:
        """Seconds before ``key`` expires; ``None`` for no expiry or no such key."""
        return self._engine.ttl(key, self._now())

    async def get_metadata(self, key: str) -> dict[str, Any] | None:
        """A copy of the metadata of ``key`` (``{}`` if it has none), or ``None`` if the
        key holds no live vector. Counts nothing."""
        if not self._engine.contains(key, self._now()):
            return None
        return dict(self._index.metadata(key) or NO_METADATA)

    async def find_similar(
        self, vector: object, top_k: int = 5, threshold: float | None = None
    ) -> list[SimilarityResult]:
        """The (at most) ``top_k`` live vectors most similar to ``vector``, best first,
        with ``score >= threshold`` (``None``: the cache's ``similarity_threshold``).

        Each result carries the key, the score and a read-only view of the key's
        metadata. Results count as a use of their keys for the eviction policy (an LRU
        cache keeps what is found), but not as hits or misses. Raises
        :class:`~pepperpy.caching.InvalidVectorError` for a query the index cannot
        compare (wrong dimension, NaN, a zero vector under cosine).
        """
        bound = self._threshold if threshold is None else _check_threshold(threshold, "threshold")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ConfigurationError(f"top_k must be a positive int; got {top_k!r}")
        index = self._index
        if (
            not self._lock.locked()
            and not self._pending
            and not self._engine.deadlines
            and index.search_work(top_k) <= _WORK_ON_LOOP
        ):
            return self._results(index.search(vector, top_k, bound))
        async with self._lock:
            await self._reclaim(self._now())
            search = partial(index.search, vector, top_k, bound)
            return self._results(await self._call(search, index.search_work(top_k)))

    def _results(self, hits: list[SimilarityResult]) -> list[SimilarityResult]:
        """``hits``, each counted as a use of its key by the eviction policy."""
        touch = self._touch
        if touch is not None:
            for hit in hits:
                touch(hit.key)
        return hits

    # -- writes --------------------------------------------------------------------

    async def set(
        self, key: str, value: Any, ttl: TTL = None, metadata: Mapping[str, Any] | None = None
    ) -> None:
        """Store the vector ``value`` under ``key`` with ``metadata`` (a mapping, copied),
        replacing any vector, metadata and TTL the key had.

        A refused vector (:class:`~pepperpy.caching.InvalidVectorError`) changes nothing.
        """
        _check_key(key)
        seconds = normalize_ttl(ttl)
        view = _metadata_view(metadata)
        index = self._index
        if not self._lock.locked() and index.insert_work(1) <= _WORK_ON_LOOP:
            index.add(key, value, view)
            self._store(key, seconds)
            job = self._start_rebuild()
        else:
            async with self._lock:
                with anyio.CancelScope(shield=True):
                    add = partial(index.add, key, value, view)
                    await self._call(add, index.insert_work(1))
                    self._store(key, seconds)
                    job = self._start_rebuild()
        if job is not None:
            await self._rebuild(job)

    async def set_many(
        self,
        mapping: Mapping[str, Any],
        ttl: TTL = None,
        metadata: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Store every vector of ``mapping`` with the same ``ttl``; ``metadata`` maps
        keys to their metadata. The whole batch is checked first: if one vector is
        refused, nothing is stored. Large batches are inserted in a worker thread."""
        keys = [_check_key(key) for key in mapping]
        vectors = list(mapping.values())
        seconds = normalize_ttl(ttl)
        metadata = {} if metadata is None else metadata
        views = [_metadata_view(metadata.get(key)) for key in keys]
        if not keys:
            return
        async with self._lock:
            with anyio.CancelScope(shield=True):
                add = partial(self._index.add_many, keys, vectors, views)
                await self._call(add, self._index.insert_work(len(keys)))
                position = {key: i for i, key in enumerate(keys)}
                for start in range(0, len(keys), _CHUNK):
                    if start:
                        await anyio.lowlevel.checkpoint()
                    for i in range(start, min(start + _CHUNK, len(keys))):
                        self._store(keys[i], seconds, position, i)
                job = self._start_rebuild()
        if job is not None:
            await self._rebuild(job)

    async def batch_set(
        self,
        mapping: Mapping[str, Any],
        ttl: TTL = None,
        metadata: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Same as :meth:`set_many`."""
        await self.set_many(mapping, ttl, metadata)

    async def set_metadata(self, key: str, metadata: Mapping[str, Any] | None) -> bool:
        """Replace the metadata of ``key`` (its vector, TTL and recency are kept);
        ``False`` (and nothing stored) if the key holds no live vector."""
        view = _metadata_view(metadata)
        if self._lock.locked():
            async with self._lock:
                return self._set_metadata(key, view)
        return self._set_metadata(key, view)

    def _set_metadata(self, key: str, view: Mapping[str, Any]) -> bool:
        return self._engine.contains(key, self._now()) and self._index.set_metadata(key, view)

    async def delete(self, key: str) -> bool:
        """Remove ``key``; ``True`` if it held a live vector."""
        return await self.delete_many([_check_key(key)]) == 1

    async def delete_many(self, keys: Iterable[str]) -> int:
        """Remove every key in ``keys``; how many held a live vector."""
        keys = [_check_key(key) for key in keys]
        async with self._lock:
            now = self._now()
            deleted = sum(self._engine.delete(key, now) for key in keys)
            self._index.remove_many(keys)
            job = self._start_rebuild()
        if job is not None:
            await self._rebuild(job)
        return deleted

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every key that starts with ``prefix`` (matched literally); how many
        were removed."""
        _check_key(prefix)
        async with self._lock:
            stored = self._engine.keys()
            doomed = [key for key in stored if key.startswith(prefix)]
            removed = self._engine.delete_prefix(prefix)
            self._index.remove_many(doomed)
            job = self._start_rebuild()
        if job is not None:
            await self._rebuild(job)
        return removed

    async def clear(self) -> None:
        """Remove every vector. Statistics are kept. A dimension or dtype that was not
        given is forgotten, so the next vector may have another."""
        async with self._lock:
            self._engine.clear()
            self._index.clear()
            self._pending.clear()

    # -- statistics and settings ---------------------------------------------------

    @property
    def stats(self) -> CacheStats:
        """Counters now; ``size`` counts live (unexpired) vectors."""
        self._reclaim_now()
        return self._engine.stats

    @property
    def size(self) -> int:
        """Live (unexpired) vectors."""
        self._reclaim_now()
        return len(self._engine)

    @property
    def hit_ratio(self) -> float:
        """Hits of :meth:`get` divided by lookups, in [0, 1]; 0.0 before any."""
        return self._engine.stats.hit_ratio

    @property
    def similarity_threshold(self) -> float | None:
        """The default lower bound on :meth:`find_similar` scores."""
        return self._threshold

    @property
    def dim(self) -> int | None:
        """The dimension of the stored vectors, or ``None`` before the first one."""
        return self._index.dim

    @property
    def metric(self) -> str:
        """The similarity metric, ``"cosine"``, ``"l2"`` or ``"ip"``."""
        return self._index.metric

    @property
    def ef(self) -> int:
        """The HNSW search breadth, which may be changed at any time; larger gives better
        recall and slower searches."""
        return self._index.ef

    @ef.setter
    def ef(self, ef: int) -> None:
        self._index.ef = ef

    @property
    def index_stats(self) -> IndexStats:
        """Sizes of the vector index (live vectors, slots, graph elements and capacity)."""
        return self._index.stats

    def graph_bytes(self) -> int:
        """Bytes hnswlib holds for the HNSW graph (0 while searches are exact)."""
        return self._index.graph_bytes()

    def __repr__(self) -> str:
        return (
            f"VectorCache(max_size={self._engine.max_size}, metric={self._index.metric!r}, "
            f"dim={self._index.dim}, size={len(self._engine)})"
        )

    # -- internals -----------------------------------------------------------------

    def _now(self) -> float:
        """The time, read only when an answer depends on it."""
        engine = self._engine
        if not engine.deadlines and engine.default_ttl is None:
            return 0.0
        return self._read_clock()

    def _read_clock(self) -> float:
        if self._clock is None:
            self._clock = runtime_clock()
        return self._clock()

    async def _call(self, operation: Callable[[], T], work: int) -> T:
        """Run an index operation (the caller holds the lock): inline when cheap, else
        in a worker thread."""
        if work <= _WORK_ON_LOOP:
            return operation()
        return await anyio.to_thread.run_sync(operation)

    def _store(
        self,
        key: str,
        seconds: float | None,
        batch: Mapping[str, int] | None = None,
        position: int = 0,
    ) -> None:
        """Record ``key`` in the engine (its vector and metadata are already in the
        index) and remove from the index whatever the engine dropped to make room.

        In a batch (``batch`` maps its keys to their positions, ``key`` is at
        ``position``), the engine may drop the old entry of a key the batch writes later:
        the index already holds that key's new vector, which stays.
        """
        now = self._read_clock() if seconds is not None else self._now()
        removals = self._engine.set(key, None, now, seconds)
        if removals:
            if batch is None:
                doomed = [removal.key for removal in removals]
            else:
                doomed = [r.key for r in removals if batch.get(r.key, -1) <= position]
            self._index.remove_many(doomed)

    async def _reclaim(self, now: float) -> None:
        """Remove expired vectors from the engine and the index (the caller holds the
        lock), a chunk per event-loop turn."""
        if self._pending:
            self._flush_pending()
        engine = self._engine
        while engine.deadlines:
            removals = engine.expire(now, _CHUNK)
            if not removals:
                return
            self._index.remove_many([removal.key for removal in removals])
            if len(removals) == _CHUNK:
                await anyio.lowlevel.checkpoint()

    def _reclaim_now(self) -> None:
        """Reclaim expired entries from synchronous code: the index follows now if it is
        free, else at its next turn."""
        if not self._engine.deadlines:
            return
        removals = self._engine.expire(self._read_clock())
        if removals:
            self._pending.extend(removal.key for removal in removals)
            if not self._lock.locked():
                self._flush_pending()

    def _flush_pending(self) -> None:
        engine = self._engine
        # A key written again since it was reclaimed is back in the engine: keep it.
        self._index.remove_many([key for key in self._pending if key not in engine])
        self._pending.clear()

    def _start_rebuild(self) -> Rebuild | None:
        """A rebuild of the graph, if one is due (the caller holds the lock)."""
        if self._pending:
            self._flush_pending()
        return self._index.start_rebuild() if self._index.wants_rebuild else None

    async def _rebuild(self, job: Rebuild) -> None:
        """Build the new graph in a worker thread while the cache goes on serving with
        the old one, then install it. If the caller is cancelled, the rebuild is given
        up (the next write that finds it due starts another)."""
        try:
            await anyio.to_thread.run_sync(job.run, abandon_on_cancel=True)
        except BaseException:
            with anyio.CancelScope(shield=True):
                async with self._lock:
                    self._index.abandon_rebuild(job)
            raise
        with anyio.CancelScope(shield=True):
            async with self._lock:
                await anyio.to_thread.run_sync(self._index.finish_rebuild, job)
