"""The vector store: a cache engine and a vector index kept in step, driven with ``now``.

The engine decides which keys live (eviction policy, TTLs, statistics); the index holds
their vectors and metadata and answers similarity searches. One rule binds them, and
this class is the only place that keeps it: **the index holds exactly the engine's
keys**. Every write goes to the index first (where a refused vector or a failure of
hnswlib changes nothing), then to the engine; whatever the engine reports removed
(evicted, expired, rejected by an admission filter) and no longer holds leaves the
index in the same call. A search first reclaims the entries expired at ``now``, so it
never returns one.

Synchronous and deterministic like the rest of the core: an async cache drives it under
a lock, and may run any call in a worker thread (:meth:`Rebuild.run` of a rebuild in
progress is the one piece that may run beside other calls).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, final

import numpy as np
import numpy.typing as npt

from ..engine import CacheEngine
from ..entry import MISS, CacheStats, Miss, Removal
from ..errors import ConfigurationError
from ..policies import POLICY_NAMES, CachePolicy, make_policy
from ..ttl import TTL, normalize_ttl
from .index import NO_METADATA, IndexStats, VectorIndex
from .rebuild import Rebuild
from .recall import RecallCheck
from .result import SimilarityResult
from .settings import check_threshold
from .snapshot import StoreState

__all__ = ("VectorStore", "metadata_view")

_NO_REMOVALS: Final[tuple[Removal, ...]] = ()
_KEY_WORK: Final = 1000
"""What the engine's and the index's bookkeeping for one key is worth in multiply-adds
(about a microsecond of Python), for the cost estimates."""


def metadata_view(metadata: object) -> Mapping[str, Any]:
    """A read-only view of a private copy of ``metadata`` (a mapping or ``None``)."""
    if metadata is None:
        return NO_METADATA
    if not isinstance(metadata, Mapping):
        raise ConfigurationError(
            f"metadata must be a mapping or None; got {type(metadata).__name__}"
        )
    return MappingProxyType(dict(metadata)) if metadata else NO_METADATA


@final
class VectorStore:
    """Vectors under ``str`` keys with TTLs, an eviction policy, metadata and
    similarity search: a :class:`~pepperpy.caching.CacheEngine` and a
    :class:`~pepperpy.caching.core.vectors.VectorIndex` under one rule (see the module).

    Both must hold the same keys (usually: both new). ``similarity_threshold`` is the
    default lower bound on search scores (``None``: no bound). Every call that depends
    on time takes ``now`` (monotonic seconds); with no TTL anywhere, any number will do.
    """

    __slots__ = ("_deadlines", "_engine", "_index", "_threshold", "_touch")

    def __init__(
        self,
        engine: CacheEngine,
        index: VectorIndex,
        similarity_threshold: float | None = 0.9,
    ) -> None:
        if len(engine) != len(index) or set(engine.keys()) != set(index.keys()):
            raise ConfigurationError("the engine and the index of a vector store hold other keys")
        self._engine = engine
        self._index = index
        self._threshold = check_threshold(similarity_threshold, "similarity_threshold")
        self._touch = engine.policy.access_recorder()
        self._deadlines = engine.deadlines

    # -- reads ---------------------------------------------------------------------

    def get(self, key: str, now: float) -> npt.NDArray[Any] | Miss:
        """A copy of the vector of ``key`` (a hit), or :data:`MISS` (a miss)."""
        if self._engine.get(key, now) is MISS:
            return MISS
        vector = self._index.vector(key)
        assert vector is not None  # the index holds every key of the engine
        return vector

    def contains(self, key: str, now: float) -> bool:
        """Whether ``key`` holds a live vector. Counts nothing."""
        return self._engine.contains(key, now)

    def ttl(self, key: str, now: float) -> float | None:
        """Seconds before ``key`` expires; ``None`` for no expiry or no such key."""
        return self._engine.ttl(key, now)

    def metadata(self, key: str, now: float) -> Mapping[str, Any] | None:
        """The (read-only) metadata of a live ``key``, or ``None``. Counts nothing."""
        if not self._engine.contains(key, now):
            return None
        return self._index.metadata(key)

    def search(
        self, query: object, k: int, threshold: float | None, now: float
    ) -> list[SimilarityResult]:
        """The (at most) ``k`` live vectors most similar to ``query``, best first, with
        ``score >= threshold`` (``None``: the store's ``similarity_threshold``).

        Each result is a use of its key for the eviction policy, not a hit or a miss.
        """
        if self._deadlines:
            self._expire_due(now)
        return self._index.search(
            query, k, self._threshold if threshold is None else threshold, self._touch
        )

    def search_many(
        self, queries: object, k: int, threshold: float | None, now: float
    ) -> list[list[SimilarityResult]]:
        """:meth:`search` for every query of ``queries``, answered together."""
        if self._deadlines:
            self._expire_due(now)
        return self._index.search_many(
            queries, k, self._threshold if threshold is None else threshold, self._touch
        )

    def needs_expiry(self, now: float) -> bool:
        """Whether some entry has expired at ``now`` and is not reclaimed yet."""
        if not self._deadlines:
            return False
        deadline = self._engine.next_deadline()
        return deadline is not None and deadline <= now

    def keys(self) -> list[str]:
        """Every stored key, expired ones not yet reclaimed included."""
        return self._engine.keys()

    def __len__(self) -> int:
        """Stored vectors, expired ones not yet reclaimed included."""
        return len(self._engine)

    @property
    def stats(self) -> CacheStats:
        """The engine's counters (``size`` includes entries not yet reclaimed)."""
        return self._engine.stats

    def stats_at(self, now: float) -> CacheStats:
        """The counters with ``size`` counting the vectors live at ``now``; changes
        nothing."""
        return self._engine.stats_at(now)

    def live_size(self, now: float) -> int:
        """Vectors live at ``now``; changes nothing."""
        return self._engine.live_size(now)

    @property
    def index_stats(self) -> IndexStats:
        """Sizes and search settings of the index."""
        return self._index.stats

    @property
    def similarity_threshold(self) -> float | None:
        """The default lower bound on search scores."""
        return self._threshold

    @property
    def index(self) -> VectorIndex:
        """The index, for reading its settings; writing to it directly breaks the rule."""
        return self._index

    @property
    def engine(self) -> CacheEngine:
        """The engine, for reading its settings; writing to it directly breaks the rule."""
        return self._engine

    # -- writes --------------------------------------------------------------------

    def set(
        self,
        key: str,
        vector: object,
        now: float,
        ttl: TTL = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> tuple[Removal, ...]:
        """Store ``vector`` with ``metadata`` (copied) under ``key``, replacing its
        vector, metadata and TTL (``None``: the engine's default TTL). Returns what
        the write removed. A refused vector, key, TTL or metadata changes nothing."""
        seconds = normalize_ttl(ttl)
        self._index.add(key, vector, metadata_view(metadata))
        removals = self._engine.set(key, None, now, seconds)
        if removals:
            self._forget(removals)
        return removals

    def set_many(
        self,
        keys: Sequence[str],
        vectors: object,
        now: float,
        ttl: TTL = None,
        metadata: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> tuple[Removal, ...]:
        """Store each of ``vectors`` (a 2-D array or a sequence) under the key at the
        same position, all with ``ttl``; ``metadata`` maps keys to their metadata. A key
        given twice keeps its last vector. The batch is checked whole first: one
        refused vector and nothing is stored. Returns what the batch removed."""
        seconds = normalize_ttl(ttl)
        keys = list(keys)
        views = None
        if metadata:
            if not isinstance(metadata, Mapping):
                raise ConfigurationError(
                    f"metadata must map keys to mappings; got {type(metadata).__name__}"
                )
            views = [metadata_view(metadata.get(key)) for key in keys]
        stored = self._index.add_many(keys, vectors, views)
        engine_set = self._engine.set
        removed: list[Removal] = []
        for key in stored:
            removals = engine_set(key, None, now, seconds)
            if removals:
                removed.extend(removals)
        if not removed:
            return _NO_REMOVALS
        # A key removed early in the batch may be written again later in it: it stays.
        self._forget(removed)
        return tuple(removed)

    def set_metadata(self, key: str, metadata: Mapping[str, Any] | None, now: float) -> bool:
        """Replace the metadata of a live ``key`` (its vector, TTL and recency stay);
        ``False`` (nothing stored) if ``key`` holds no live vector."""
        view = metadata_view(metadata)
        return self._engine.contains(key, now) and self._index.set_metadata(key, view)

    def delete(self, key: str, now: float) -> bool:
        """Remove ``key``; ``True`` if it held a live vector."""
        live = self._engine.delete(key, now)
        self._index.remove(key)
        return live

    def delete_many(self, keys: Iterable[str], now: float) -> int:
        """Remove every key of ``keys``; how many held a live vector."""
        keys = list(keys)
        delete = self._engine.delete
        deleted = sum(delete(key, now) for key in keys)
        self._index.remove_many(keys)
        return deleted

    def delete_prefix(self, prefix: str) -> int:
        """Remove every key that starts with ``prefix``; how many were stored."""
        removed = self._engine.delete_prefix(prefix)
        if removed:
            doomed = [key for key in self._index.keys() if key.startswith(prefix)]  # noqa: SIM118
            self._index.remove_many(doomed)
        return removed

    def clear(self) -> None:
        """Remove every vector; counters stay. A dimension or dtype that was not given
        is forgotten."""
        self._engine.clear()
        self._index.clear()

    def expire(self, now: float, limit: int | None = None) -> tuple[Removal, ...]:
        """Reclaim up to ``limit`` entries expired at ``now`` (soonest first)."""
        removals = self._engine.expire(now, limit)
        if removals:
            self._index.remove_many([removal.key for removal in removals])
        return removals

    # -- maintenance ---------------------------------------------------------------

    @property
    def wants_rebuild(self) -> bool:
        """Whether the graph should be built or rebuilt (see :class:`VectorIndex`)."""
        return self._index.wants_rebuild

    def start_rebuild(self) -> Rebuild:
        """Start a rebuild; run the job's :meth:`~Rebuild.run` (in any thread, beside
        other calls), then :meth:`finish_rebuild`."""
        return self._index.start_rebuild()

    def finish_rebuild(self, job: Rebuild) -> bool:
        """Install a finished rebuild; ``False`` if it was given up or outdated."""
        return self._index.finish_rebuild(job)

    def abandon_rebuild(self, job: Rebuild) -> None:
        """Give up a rebuild in progress."""
        self._index.abandon_rebuild(job)

    @property
    def wants_recall_check(self) -> bool:
        """Whether ``ef`` should be re-checked against the recall target."""
        return self._index.wants_recall_check

    def check_recall(self) -> RecallCheck | None:
        """Re-check ``ef`` against the recall target (CPU-heavy: a worker thread's job)."""
        return self._index.check_recall()

    def maintain(self) -> bool:
        """Do any rebuild or recall check that is due, now; whether something was."""
        return self._index.maintain()

    def insert_work(self, n: int) -> int:
        """Rough cost of writing ``n`` vectors, in multiply-adds."""
        return self._index.insert_work(n) + n * _KEY_WORK

    def key_work(self, n: int) -> int:
        """Rough cost of removing ``n`` keys, in multiply-adds."""
        return n * _KEY_WORK

    def search_work(self, k: object, queries: int = 1) -> int:
        """Rough cost of ``queries`` searches for ``k`` results, in multiply-adds."""
        return self._index.search_work(k if isinstance(k, int) else 1, queries)

    # -- saving and restoring -----------------------------------------------------

    def snapshot(self, now: float) -> StoreState:
        """Everything the store holds at ``now``, copied (expired entries are reclaimed
        first and left out): settings, the index, and each key's remaining TTL, in the
        order the eviction policy would remove them."""
        self.expire(now)
        engine = self._engine
        keys = self._eviction_order()
        ttls = [engine.ttl(key, now) for key in keys]
        return StoreState(
            max_size=engine.max_size,
            policy=_policy_name(engine.policy),
            default_ttl=engine.default_ttl,
            similarity_threshold=self._threshold,
            order=np.array(self._index.slots_of(keys), np.int64),
            ttls=np.array([math.nan if ttl is None else ttl for ttl in ttls], np.float64),
            index=self._index.export(),
        )

    @classmethod
    def restore(
        cls,
        state: StoreState,
        now: float,
        *,
        policy: CachePolicy | str | None = None,
        threads: int = 1,
    ) -> VectorStore:
        """A store holding what :meth:`snapshot` returned, each TTL counted on from
        ``now``; keys go to the engine in the saved eviction order. ``policy`` replaces
        the saved one (required if the saved store used a policy of its own). Raises
        ValueError (or ConfigurationError) if ``state`` is not consistent."""
        chosen = state.policy if policy is None else policy
        if chosen is None:
            raise ConfigurationError(
                "the saved cache used a policy object of its own: pass policy= to load it"
            )
        index = VectorIndex.restore(state.index, threads=threads)
        engine = CacheEngine(state.max_size, chosen, state.default_ttl)
        order, ttls = state.order.tolist(), state.ttls.tolist()
        if len(order) != len(index) or len(ttls) != len(order):
            raise ValueError("the eviction order does not list every key once")
        key_at = index.key_at
        for slot, ttl in zip(order, ttls, strict=True):
            key = key_at(slot)
            if key is None or key in engine:
                raise ValueError("the eviction order does not list every key once")
            removals = engine.set(key, None, now, None if ttl != ttl else ttl)
            if removals:
                raise ValueError("more keys than the saved capacity")
        return cls(engine, index, state.similarity_threshold)

    def _eviction_order(self) -> list[str]:
        """Every key, the next victim of the eviction policy first. Draining a copy of
        the policy gives the order; a policy that cannot be copied gives the engine's
        storage order (first written first)."""
        engine = self._engine
        try:
            policy = copy.deepcopy(engine.policy)
            order = [policy.pop_victim() for _ in range(len(engine))]
        except Exception:  # a policy of the user's that copying breaks
            return engine.keys()
        if len(set(order)) != len(order) or set(order) != set(engine.keys()):
            return engine.keys()
        return order

    # -- internals -----------------------------------------------------------------

    def _forget(self, removals: Iterable[Removal]) -> None:
        engine = self._engine
        self._index.remove_many([r.key for r in removals if r.key not in engine])

    def _expire_due(self, now: float) -> None:
        removals = self._engine.expire(now)
        if removals:
            self._index.remove_many([removal.key for removal in removals])

    def __repr__(self) -> str:
        return f"VectorStore(engine={self._engine!r}, index={self._index!r})"


_POLICY_TYPES: Final = {type(make_policy(name)): name for name in POLICY_NAMES}


def _policy_name(policy: CachePolicy) -> str | None:
    """The name a shipped policy goes by, or ``None`` for a policy of the user's."""
    return _POLICY_TYPES.get(type(policy))
