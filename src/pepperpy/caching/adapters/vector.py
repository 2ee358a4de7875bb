"""VectorCache: vectors under keys, found again by similarity, on asyncio or trio.

The work and its rules are the core's :class:`~pepperpy.caching.core.vectors.VectorStore`
(an engine and an index kept in step). This adapter adds three things: a lock (one
operation at a time uses the store), the clock (read only when an answer depends on
it), and worker threads: anything estimated above about a millisecond of arithmetic
(large batches, searches with a large ``ef`` or dimension, rebuilds, recall checks)
runs in ``anyio.to_thread.run_sync``, so the event loop never stalls.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from os import PathLike
from typing import Any, Final, Self, TypeVar, final, overload

import anyio
import anyio.lowlevel
import numpy.typing as npt

from ..core.engine import CacheEngine
from ..core.entry import MISS, CacheStats
from ..core.errors import ConfigurationError
from ..core.keys import check_keys
from ..core.policies import CachePolicy
from ..core.ttl import TTL
from ..core.vectors import IndexSettings, IndexStats, SimilarityResult, VectorIndex, VectorStore
from .backend import CacheBackend
from .clock import runtime_clock
from .vector_files import read_snapshot, write_snapshot

__all__ = ("MAX_DEFAULT_THREADS", "VectorCache", "default_threads")

T = TypeVar("T")
D = TypeVar("D")

MAX_DEFAULT_THREADS: Final = 8
"""The most threads a cache uses for batches unless told otherwise."""
_WORK_ON_LOOP: Final = 1 << 21
"""Multiply-adds (about a millisecond) above which store work goes to a worker thread."""
_CHUNK: Final = 512
"""Keys handled per event-loop turn when reclaiming expired vectors or reading a batch."""


def default_threads() -> int:
    """The cores this process may run on, at most :data:`MAX_DEFAULT_THREADS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_THREADS))


def _count(queries: object) -> int:
    try:
        return len(queries)  # type: ignore[arg-type]
    except TypeError:
        return 1  # not a batch: the store says so


@final
class VectorCache(CacheBackend["npt.NDArray[Any]"]):
    """A cache of vectors (embeddings) that answers "what is stored near this one?".

    Keys are ``str``; values are 1-D vectors (numpy arrays or sequences of numbers).
    ``max_size``, ``policy`` and ``default_ttl`` behave as in every cache of the
    library; ``clock`` is a callable returning monotonic seconds (default: the running
    event loop's clock). ``similarity_threshold`` is the default lower bound on the
    score of :meth:`find_similar` results (``None``: no bound).

    ``metric``: ``"cosine"`` (score = cosine similarity in [-1, 1]), ``"l2"`` (score =
    ``1 / (1 + euclidean distance)``, in (0, 1]) or ``"ip"`` (score = inner product).
    ``dim`` is fixed by the first vector unless given.

    ``recall`` (a number in (0, 1], or ``None``) asks for that recall@10 against exact
    search: the cache then picks the smallest HNSW ``ef`` that reaches it on a sample of
    its own vectors, and checks again whenever the number of vectors has doubled or
    halved (:attr:`index_stats` shows the ``ef`` and the recall measured).
    ``threads`` is how many threads hnswlib uses for batch inserts and batch searches
    (default: the cores available, at most ``MAX_DEFAULT_THREADS``, 8; with more
    than one, the graph built by a batch depends on thread timing). ``index`` tunes
    the graph, the storage dtype, exact search and churn (:class:`IndexSettings`).
    """

    __slots__ = ("_clock", "_deadlines", "_lock", "_store", "_timed")

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
        recall: float | None = None,
        threads: int | None = None,
        index: IndexSettings | None = None,
    ) -> None:
        store = VectorStore(
            CacheEngine(max_size, policy, default_ttl),
            VectorIndex(
                dim,
                metric,
                index,
                threads=default_threads() if threads is None else threads,
                recall=recall,
            ),
            similarity_threshold,
        )
        self._adopt(store, clock)

    def _adopt(self, store: VectorStore, clock: Callable[[], float] | None) -> None:
        super().__init__()
        if clock is not None and not callable(clock):
            raise ConfigurationError(f"clock must be a callable or None; got {clock!r}")
        self._store = store
        self._clock = clock
        self._deadlines = store.engine.deadlines
        self._timed = store.engine.default_ttl is not None
        self._lock = anyio.Lock(fast_acquire=True)

    # -- reads ---------------------------------------------------------------------

    @overload
    async def get(self, key: str) -> npt.NDArray[Any] | None: ...

    @overload
    async def get(self, key: str, default: D) -> npt.NDArray[Any] | D: ...

    async def get(self, key: str, default: Any = None) -> Any:
        """A copy of the vector stored under ``key`` (values as given, in the cache's
        dtype), or ``default``. Counts a hit or a miss."""
        if self._lock.locked():
            async with self._lock:
                vector = self._store.get(key, self._now())
        else:
            vector = self._store.get(key, self._now())
        return default if vector is MISS else vector

    async def get_many(self, keys: Iterable[str]) -> dict[str, npt.NDArray[Any]]:
        """The vectors of the hits among ``keys`` (misses are left out)."""
        found: dict[str, npt.NDArray[Any]] = {}
        async with self._lock:
            get = self._store.get
            for i, key in enumerate(keys, 1):
                vector = get(key, self._now())
                if vector is not MISS:
                    found[key] = vector
                if i % _CHUNK == 0:
                    await anyio.lowlevel.checkpoint()
        return found

    async def batch_get(self, keys: Iterable[str]) -> dict[str, npt.NDArray[Any]]:
        """Same as :meth:`get_many`."""
        return await self.get_many(keys)

    async def contains(self, key: str) -> bool:
        """Whether ``key`` holds a live vector. Counts nothing."""
        return await self._read(self._store.contains, key)

    async def ttl(self, key: str) -> float | None:
        """Seconds before ``key`` expires; ``None`` for no expiry or no such key."""
        return await self._read(self._store.ttl, key)

    async def get_metadata(self, key: str) -> dict[str, Any] | None:
        """A copy of the metadata of ``key`` (``{}`` if it has none), or ``None`` if the
        key holds no live vector. Counts nothing."""
        metadata = await self._read(self._store.metadata, key)
        return None if metadata is None else dict(metadata)

    async def find_similar(
        self, vector: object, top_k: int = 5, threshold: float | None = None
    ) -> list[SimilarityResult]:
        """The (at most) ``top_k`` live vectors most similar to ``vector``, best first,
        with ``score >= threshold`` (``None``: the cache's ``similarity_threshold``).

        Each result carries the key, the score and a read-only view of the key's
        metadata. Results count as a use of their keys for the eviction policy (an LRU
        cache keeps what is found), but not as hits or misses. Raises
        :class:`~pepperpy.caching.InvalidVectorError` for a query the cache cannot
        compare (wrong dimension, NaN, a zero vector under cosine).
        """
        store = self._store
        if not self._lock.locked() and store.search_work(top_k) <= _WORK_ON_LOOP:
            if not self._deadlines:
                return store.search(vector, top_k, threshold, 0.0)
            now = self._read_clock()
            if not store.needs_expiry(now):
                return store.search(vector, top_k, threshold, now)
        async with self._lock:
            now = await self._reclaim()
            search = partial(store.search, vector, top_k, threshold, now)
            return await self._run(search, store.search_work(top_k))

    async def find_similar_many(
        self, queries: object, top_k: int = 5, threshold: float | None = None
    ) -> list[list[SimilarityResult]]:
        """:meth:`find_similar` for each of ``queries`` (a 2-D array, or a sequence of
        vectors), answered by one search of the index (``threads`` threads for a large
        batch); one list of results per query, in order. Every query is checked before
        any is searched."""
        store = self._store
        async with self._lock:
            now = await self._reclaim()
            search = partial(store.search_many, queries, top_k, threshold, now)
            return await self._run(search, store.search_work(top_k, _count(queries)))

    # -- writes --------------------------------------------------------------------

    async def set(
        self, key: str, value: Any, ttl: TTL = None, metadata: Mapping[str, Any] | None = None
    ) -> None:
        """Store the vector ``value`` under ``key`` with ``metadata`` (a mapping, copied),
        replacing any vector, metadata and TTL the key had.

        A refused vector (:class:`~pepperpy.caching.InvalidVectorError`) changes nothing.
        """
        store = self._store
        if not self._lock.locked() and store.insert_work(1) <= _WORK_ON_LOOP:
            store.set(key, value, self._now(ttl), ttl, metadata)
        else:
            async with self._lock:
                write = partial(store.set, key, value, self._now(ttl), ttl, metadata)
                await self._run(write, store.insert_work(1))
        if store.wants_rebuild or store.wants_recall_check:
            await self._maintain()

    async def add(
        self, key: str, value: Any, ttl: TTL = None, metadata: Mapping[str, Any] | None = None
    ) -> bool:
        """Store the vector ``value`` under ``key`` only if the key holds no live vector;
        whether it was stored. Checked and written under the cache's lock, so two
        concurrent ``add`` calls of one key store one vector."""
        store = self._store
        async with self._lock:
            if store.contains(key, self._read_clock()):
                return False
            write = partial(store.set, key, value, self._now(ttl), ttl, metadata)
            await self._run(write, store.insert_work(1))
        if store.wants_rebuild or store.wants_recall_check:
            await self._maintain()
        return True

    async def set_many(
        self,
        mapping: Mapping[str, Any],
        ttl: TTL = None,
        metadata: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Store every vector of ``mapping`` with the same ``ttl``; ``metadata`` maps
        keys to their metadata. The whole batch is checked first: if one vector is
        refused, nothing is stored. Large batches are inserted in a worker thread, and
        a cancelled caller waits for the batch to finish (it is never half done)."""
        keys = check_keys(mapping)
        if not keys:
            return
        vectors = list(mapping.values())
        store = self._store
        async with self._lock:
            write = partial(store.set_many, keys, vectors, self._now(ttl), ttl, metadata)
            await self._run(write, store.insert_work(len(keys)))
        if store.wants_rebuild or store.wants_recall_check:
            await self._maintain()

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
        return await self._read(self._store.set_metadata, key, metadata)

    async def delete(self, key: str) -> bool:
        """Remove ``key``; ``True`` if it held a live vector."""
        deleted = await self._read(self._store.delete, key)
        if self._store.wants_rebuild:
            await self._maintain()
        return deleted

    async def delete_many(self, keys: Iterable[str]) -> int:
        """Remove every key in ``keys``; how many held a live vector."""
        keys = check_keys(keys)
        store = self._store
        async with self._lock:
            delete = partial(store.delete_many, keys, self._now())
            deleted = await self._run(delete, store.key_work(len(keys)))
        if store.wants_rebuild:
            await self._maintain()
        return deleted

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every key that starts with ``prefix`` (matched literally); how many
        were removed."""
        store = self._store
        async with self._lock:
            removed = await self._run(
                partial(store.delete_prefix, prefix), store.key_work(len(store))
            )
        if store.wants_rebuild:
            await self._maintain()
        return removed

    async def clear(self) -> None:
        """Remove every vector. Statistics are kept. A dimension or dtype that was not
        given is forgotten, so the next vector may have another."""
        async with self._lock:
            self._store.clear()

    # -- persistence ---------------------------------------------------------------

    async def save(self, path: str | PathLike[str]) -> None:
        """Write every live vector, its key, metadata and remaining TTL, the settings,
        the eviction order and the HNSW graph to ``path``, in one file.

        The file is written beside ``path`` under a temporary name, flushed to disk and
        renamed over ``path``: a reader never sees a half-written file, and a failed
        save leaves any previous file whole. Metadata must be JSON-able (``str``,
        ``int``, ``float``, ``bool``, ``None``, ``list``, ``dict`` with ``str`` keys;
        nothing is pickled): anything else raises
        :class:`~pepperpy.caching.SerializationError` and nothing is written. Raises
        :class:`~pepperpy.caching.SnapshotError` if the file cannot be written.
        """
        async with self._lock:
            now = await self._reclaim()
            # A snapshot is a copy: the cache is free again while the file is written.
            state = await anyio.to_thread.run_sync(self._store.snapshot, now)
        await anyio.to_thread.run_sync(write_snapshot, path, state)

    @classmethod
    async def load(
        cls,
        path: str | PathLike[str],
        *,
        clock: Callable[[], float] | None = None,
        policy: CachePolicy | str | None = None,
        threads: int | None = None,
    ) -> Self:
        """A new cache holding what :meth:`save` wrote to ``path``: the same settings,
        vectors, metadata and graph; each TTL counts on from what was left at the save.
        Statistics start at zero.

        ``policy`` replaces the saved eviction policy (needed when the saved cache used
        a policy object of its own); ``clock`` and ``threads`` are as for the
        constructor. Raises :class:`~pepperpy.caching.SnapshotError` for a file that
        cannot be read, is not a saved vector cache, has an unknown format version, is
        truncated or corrupt; nothing else is affected.
        """
        if clock is not None and not callable(clock):
            raise ConfigurationError(f"clock must be a callable or None; got {clock!r}")
        now = (runtime_clock() if clock is None else clock)()
        read = partial(
            read_snapshot,
            path,
            now=now,
            policy=policy,
            threads=default_threads() if threads is None else threads,
        )
        cache = cls.__new__(cls)
        cache._adopt(await anyio.to_thread.run_sync(read), clock)
        return cache

    # -- statistics and settings ---------------------------------------------------

    @property
    def stats(self) -> CacheStats:
        """Counters now; ``size`` counts live (unexpired) vectors. Only reads: expired
        vectors are reclaimed by the cache's own calls, never here."""
        if not self._deadlines:
            return self._store.stats
        return self._store.stats_at(self._read_clock())

    @property
    def size(self) -> int:
        """Live (unexpired) vectors (only reads, as :attr:`stats`)."""
        if not self._deadlines:
            return len(self._store)
        return self._store.live_size(self._read_clock())

    @property
    def hit_ratio(self) -> float:
        """Hits of :meth:`get` divided by lookups, in [0, 1]; 0.0 before any."""
        return self._store.stats.hit_ratio

    @property
    def similarity_threshold(self) -> float | None:
        """The default lower bound on :meth:`find_similar` scores."""
        return self._store.similarity_threshold

    @property
    def dim(self) -> int | None:
        """The dimension of the stored vectors, or ``None`` before the first one."""
        return self._store.index.dim

    @property
    def metric(self) -> str:
        """The similarity metric, ``"cosine"``, ``"l2"`` or ``"ip"``."""
        return self._store.index.metric

    @property
    def ef(self) -> int:
        """The HNSW search breadth in use; larger gives better recall and slower
        searches. Setting it ends a recall target (the value set stays)."""
        return self._store.index.ef

    @ef.setter
    def ef(self, ef: int) -> None:
        self._store.index.ef = ef

    @property
    def index_stats(self) -> IndexStats:
        """Sizes of the vector index (live vectors, slots, graph elements, capacity)
        and its search breadth with the recall last measured for it."""
        return self._store.index_stats

    def graph_bytes(self) -> int:
        """Bytes hnswlib holds for the HNSW graph (0 while searches are exact)."""
        return self._store.index.graph_bytes()

    def __repr__(self) -> str:
        store = self._store
        return (
            f"VectorCache(max_size={store.engine.max_size}, metric={store.index.metric!r}, "
            f"dim={store.index.dim}, size={len(store)})"
        )

    # -- internals -----------------------------------------------------------------

    def _now(self, ttl: TTL = None) -> float:
        """The time, read only when an answer depends on it."""
        if ttl is None and not self._deadlines and not self._timed:
            return 0.0
        return self._read_clock()

    def _read_clock(self) -> float:
        if self._clock is None:
            self._clock = runtime_clock()
        return self._clock()

    async def _read(self, operation: Callable[..., T], *args: Any) -> T:
        """``operation(*args, now)``: at once if the store is free, else under the lock."""
        if self._lock.locked():
            async with self._lock:
                return operation(*args, self._now())
        return operation(*args, self._now())

    async def _run(self, operation: Callable[[], T], work: int) -> T:
        """Run a store operation (the caller holds the lock): inline when cheap, else in
        a worker thread. A cancelled caller waits for the thread: the operation is
        never left half done."""
        if work <= _WORK_ON_LOOP:
            return operation()
        return await anyio.to_thread.run_sync(operation)

    async def _reclaim(self) -> float:
        """Reclaim the vectors expired now (the caller holds the lock), a chunk per
        event-loop turn; the time it used."""
        now = self._now()
        store = self._store
        while store.needs_expiry(now):
            if len(store.expire(now, _CHUNK)) == _CHUNK:
                await anyio.lowlevel.checkpoint()
        return now

    async def _maintain(self) -> None:
        """Do the rebuild or recall check that a write made due."""
        store = self._store
        if store.wants_rebuild:
            await self._rebuild()
        if store.wants_recall_check:
            async with self._lock:
                if store.wants_recall_check:
                    await anyio.to_thread.run_sync(store.check_recall)

    async def _rebuild(self) -> None:
        """Build the new graph in a worker thread while the cache goes on serving with
        the old one, then install it. If the caller is cancelled, the rebuild is given
        up (the next write that finds it due starts another)."""
        store = self._store
        async with self._lock:
            if not store.wants_rebuild:
                return
            job = store.start_rebuild()
        try:
            await anyio.to_thread.run_sync(job.run, abandon_on_cancel=True)
        except BaseException:
            with anyio.CancelScope(shield=True):
                async with self._lock:
                    store.abandon_rebuild(job)
            raise
        with anyio.CancelScope(shield=True):
            async with self._lock:
                await anyio.to_thread.run_sync(store.finish_rebuild, job)
