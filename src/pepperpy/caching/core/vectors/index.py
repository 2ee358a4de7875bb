"""The vector index: keys -> vectors, searchable by similarity.

Vectors are kept as given in a :class:`SlotStore` (for :meth:`VectorIndex.vector` and
exact search). Searches are exact (numpy) while few vectors are stored and go through
an HNSW graph (hnswlib) beyond that: see :data:`EXACT_THRESHOLD`.

Memory under churn: the graph only appends, and a removal only marks an element; once
the marked elements are as many as the live ones (``rebuild_ratio``), the index asks
for a rebuild (:class:`Rebuild`): the live vectors go into a fresh graph that replaces
the old one. Measured with a full cache taking new keys (20k x 128), that costs 1.41x a
plain insert, rebuilds included; hnswlib's in-place replacement of marked elements
(``replace_deleted``) keeps the graph exactly as large as the live set but costs 2.1x
there and 4.3x at 100k vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, final

import numpy as np
import numpy.typing as npt

from ..errors import ConfigurationError
from ..keys import check_key
from .graph import Graph, GraphParams
from .graph_state import check_state
from .index_state import checked_payloads
from .index_stats import IndexStats, check_k
from .metrics import MetricName, check_metric, hnsw_space, search_row, search_rows
from .rebuild import Rebuild
from .recall import RecallCheck, check_recall_now
from .result import SimilarityResult
from .search import exact_search, exact_search_many, graph_hits, graph_hits_many
from .settings import IndexSettings, check_recall, check_threshold
from .slots import SlotStore
from .snapshot import IndexState
from .validation import check_dim, check_dtype, prepare_batch, prepare_vector

__all__ = ("NO_METADATA", "IndexStats", "VectorIndex", "check_k")

NO_METADATA: Final[Mapping[str, Any]] = MappingProxyType({})
"""The metadata of a vector stored without any."""

_FLOAT32: Final = np.dtype(np.float32)


@final
class VectorIndex:
    """Vectors stored under ``str`` keys and searched by similarity. Synchronous, no IO.

    ``dim`` is fixed by the first vector unless given. ``metric`` is ``"cosine"``,
    ``"l2"`` or ``"ip"`` (see ``pepperpy.caching.core.vectors.metrics`` for the
    scores). ``settings`` tunes the graph, the storage dtype and when searches are
    exact (:class:`IndexSettings`). ``threads`` is how many threads hnswlib uses for a
    batch insert or a batch search (1 keeps graphs identical from run to run).
    ``recall`` is a recall@10 target: :meth:`check_recall` then picks the smallest
    ``ef`` that reaches it (see :mod:`pepperpy.caching.core.vectors.recall`).
    Each vector carries a metadata mapping (stored as given, not copied), handed back
    in search results.

    Not thread-safe: callers serialize access, except that :meth:`Rebuild.run` of a
    rebuild in progress may run concurrently with everything else.
    """

    __slots__ = (
        "_dim",
        "_dim_given",
        "_dtype",
        "_exact_threshold",
        "_graph",
        "_job",
        "_metric",
        "_params",
        "_recall",
        "_settings",
        "_store",
        "_target",
    )

    def __init__(
        self,
        dim: int | None = None,
        metric: str = "cosine",
        settings: IndexSettings | None = None,
        *,
        threads: int = 1,
        recall: float | None = None,
    ) -> None:
        settings = IndexSettings() if settings is None else settings
        if not isinstance(settings, IndexSettings):
            raise ConfigurationError(f"settings must be IndexSettings; got {settings!r}")
        if type(threads) is not int or threads < 1:
            raise ConfigurationError(f"threads must be a positive int; got {threads!r}")
        self._settings = settings
        self._metric: MetricName = check_metric(metric)
        given = check_dim(dim)
        self._params = GraphParams(
            settings, space=hnsw_space(self._metric), dim=given or 0, threads=threads
        )
        self._target = check_recall(recall)
        self._exact_threshold = settings.exact_threshold
        self._dim_given = given
        self._reset()

    def _reset(self) -> None:
        self._dim = self._dim_given
        self._dtype = check_dtype(self._settings.dtype)
        self._params.dim = self._dim_given or 0
        self._store = SlotStore(
            self._dim or 0,
            self._dtype or np.dtype(np.float64),
            self._metric == "cosine",
            NO_METADATA,
        )
        self._graph: Graph | None = None
        self._job: Rebuild | None = None
        self._recall: RecallCheck | None = None
        self._params.ef = self._settings.ef

    # -- reads ---------------------------------------------------------------------

    @property
    def dim(self) -> int | None:
        """The dimension of every vector, or ``None`` before the first one."""
        return self._dim

    @property
    def dtype(self) -> np.dtype[Any] | None:
        """The dtype vectors are kept in, or ``None`` before the first vector."""
        return self._dtype

    @property
    def metric(self) -> MetricName:
        """The similarity metric."""
        return self._metric

    @property
    def settings(self) -> IndexSettings:
        """The settings the index was made with."""
        return self._settings

    @property
    def threads(self) -> int:
        """Threads hnswlib uses for batch inserts and batch searches."""
        return self._params.threads

    @property
    def recall_target(self) -> float | None:
        """The recall@10 the index keeps ``ef`` at, or ``None`` (a fixed ``ef``)."""
        return self._target

    @property
    def ef(self) -> int:
        """The HNSW search breadth; larger finds more of the true nearest, slower.
        Setting it ends a recall target: the given value stays."""
        return self._params.ef

    @ef.setter
    def ef(self, ef: int) -> None:
        if type(ef) is not int or ef < 1:
            raise ConfigurationError(f"ef must be a positive int; got {ef!r}")
        self._params.ef = ef
        self._target = None
        self._recall = None

    def vector(self, key: str) -> npt.NDArray[Any] | None:
        """A copy of the vector stored under ``key``, or ``None``."""
        slot = self._store.slot_of.get(key)
        if slot is None:
            check_key(key)
            return None
        row: npt.NDArray[Any] = self._store.vectors[slot].copy()
        return row

    def metadata(self, key: str) -> Mapping[str, Any] | None:
        """The metadata stored with ``key`` (as given, not copied), or ``None``."""
        slot = self._store.slot_of.get(key)
        return None if slot is None else self._store.payload_of[slot]

    def set_metadata(self, key: str, metadata: Mapping[str, Any]) -> bool:
        """Replace the metadata of ``key``; ``False`` if it is not stored."""
        slot = self._store.slot_of.get(key)
        if slot is None:
            return False
        self._store.set_payload(slot, metadata)
        return True

    def keys(self) -> list[str]:
        """Every stored key, in no particular order."""
        return list(self._store.slot_of)

    def __len__(self) -> int:
        return len(self._store.slot_of)

    def __contains__(self, key: object) -> bool:
        return key in self._store.slot_of

    @property
    def stats(self) -> IndexStats:
        """Sizes now, as live vectors, slots, graph elements and capacity, and the
        search breadth with its measured recall."""
        graph = self._graph
        return IndexStats(
            live=len(self._store),
            slots=len(self._store.alive),
            graph_elements=0 if graph is None else graph.count,
            graph_deleted=0 if graph is None else graph.deleted,
            graph_capacity=0 if graph is None else graph.capacity,
            rebuilding=self._job is not None,
            ef=self._params.ef,
            recall=None if self._recall is None else self._recall.recall,
        )

    @property
    def last_recall_check(self) -> RecallCheck | None:
        """What the last recall check measured, or ``None``."""
        return self._recall

    def graph_bytes(self) -> int:
        """Bytes hnswlib holds for the graph's elements (0 without a graph)."""
        return 0 if self._graph is None else self._graph.nbytes

    # -- writes --------------------------------------------------------------------

    def add(self, key: str, vector: object, metadata: Mapping[str, Any] = NO_METADATA) -> None:
        """Store ``vector`` and its ``metadata`` under ``key``, replacing what it held.

        Raises :class:`~pepperpy.caching.InvalidVectorError` (nothing stored) for a
        vector of another dimension, with NaN or infinite values, or a zero vector
        under cosine; :class:`~pepperpy.caching.InvalidKeyError` for a non-str key.
        """
        check_key(key)
        row, inv_norm = prepare_vector(
            vector,
            dim=self._dim,
            dtype=self._dtype,
            metric=self._metric,
            what=f"vector for key {key!r}",
        )
        if self._dim is None:
            self._adopt(row.shape[0], row.dtype)
        store = self._store
        slot = store.next_slot()
        label = store.label(slot)
        if self._graph is not None:  # first, so that a failure there changes nothing
            self._graph.add([label], search_row(self._metric, row, inv_norm)[None])
        store.claim(1)
        old = store.slot_of.get(key)
        if old is not None:
            self._release([key], [old])
        store.put(slot, key, row, inv_norm, metadata)
        if self._job is not None:
            self._job.added([slot], [label])

    def add_many(
        self,
        keys: Sequence[str],
        vectors: object,
        metadata: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[str]:
        """Store each of ``vectors`` (a 2-D array or a sequence of vectors) under the
        key at the same position, with the metadata at that position (default: none);
        a key given twice keeps its last vector. Returns the keys stored, each once.

        The whole batch is checked first: if any vector is refused, nothing is stored.
        """
        keys = list(keys)
        for key in keys:
            check_key(key)
        rows, inv_norms = prepare_batch(
            vectors, dim=self._dim, dtype=self._dtype, metric=self._metric, keys=keys
        )
        values = None if metadata is None else list(metadata)
        if values is not None and len(values) != len(keys):
            raise ConfigurationError(f"got {len(values)} metadata for {len(keys)} keys")
        if len(set(keys)) != len(keys):
            last = {key: i for i, key in enumerate(keys)}
            picked = np.fromiter(last.values(), np.intp, len(last))
            keys = list(last)
            rows = rows[picked]
            inv_norms = None if inv_norms is None else inv_norms[picked]
            values = None if values is None else [values[i] for i in picked.tolist()]
        if not keys:
            return keys
        if self._dim is None:
            self._adopt(rows.shape[1], rows.dtype)
        store = self._store
        slots = store.next_slots(len(keys))
        labels = store.labels(slots)
        if self._graph is not None:  # first, so that a failure there changes nothing
            self._graph.add(labels, search_rows(self._metric, rows, inv_norms))
        store.claim(len(keys))
        replaced = [key for key in keys if key in store.slot_of]
        if replaced:
            self._release(replaced, [store.slot_of[key] for key in replaced])
        store.put_many(slots, keys, rows, inv_norms, values)
        if self._job is not None:
            self._job.added(slots.tolist(), labels.tolist())
        return keys

    def remove(self, key: str) -> bool:
        """Remove ``key``; ``True`` if it was stored."""
        slot = self._store.slot_of.get(key)
        if slot is None:
            check_key(key)
            return False
        self._release([key], [slot])
        return True

    def remove_many(self, keys: Iterable[str]) -> int:
        """Remove every stored key of ``keys``; how many were stored."""
        slot_of = self._store.slot_of
        present = [key for key in dict.fromkeys(keys) if key in slot_of]
        if present:
            self._release(present, [slot_of[key] for key in present])
        return len(present)

    def clear(self) -> None:
        """Remove every vector. A dimension or dtype that was not given is forgotten."""
        if self._job is not None:
            self._job.abandoned = True
        self._reset()

    # -- search --------------------------------------------------------------------

    def search(
        self,
        query: object,
        k: int,
        threshold: float | None = None,
        touch: Callable[[str], object] | None = None,
    ) -> list[SimilarityResult]:
        """The (at most) ``k`` stored vectors most similar to ``query``, best first,
        with ``score >= threshold`` (no bound when ``None``), each with its metadata;
        ``touch`` is called with the key of each result.

        ``query`` is checked like a stored vector.
        """
        if type(k) is not int or k < 1:
            check_k(k)
        if threshold is not None and (type(threshold) is not float or threshold != threshold):
            threshold = check_threshold(threshold)  # raises for NaN and non-numbers
        row, inv_norm = prepare_vector(
            query,
            dim=self._dim,
            dtype=self._dtype,
            metric=self._metric,
            what="query vector",
            copy=False,
        )
        store = self._store
        live = len(store.slot_of)
        if k > live:
            k = live
            if k == 0:
                return []
        graph = self._graph
        if graph is not None and live > self._exact_threshold:
            if inv_norm is not None and inv_norm <= 2.0 and row.dtype is _FLOAT32:
                # Cosine ranks the same whatever the query's norm: search with it as it
                # is and scale the scores, which saves normalizing it. From a norm of
                # 0.5 up, float32 distances keep the precision of a unit query.
                found = graph.search(row, k)
                scale = inv_norm
            else:
                found = graph.search(search_row(self._metric, row, inv_norm), k)
                scale = 1.0
            if found is not None:
                return graph_hits(store, self._metric, found[0], found[1], scale, threshold, touch)
        return exact_search(store, self._metric, row, inv_norm, k, threshold, touch)

    def search_many(
        self,
        queries: object,
        k: int,
        threshold: float | None = None,
        touch: Callable[[str], object] | None = None,
    ) -> list[list[SimilarityResult]]:
        """:meth:`search` for each of ``queries`` (a 2-D array or a sequence of
        vectors), answered together: one hnswlib call (``threads`` threads) or one
        matrix product. Every query is checked before any is searched. ``touch`` is
        called with the key of each result."""
        check_k(k)
        threshold = check_threshold(threshold)
        rows, inv_norms = prepare_batch(
            queries, dim=self._dim, dtype=self._dtype, metric=self._metric, name="query"
        )
        store = self._store
        live = len(store)
        if live == 0 or len(rows) == 0:
            return [[] for _ in range(len(rows))]
        k = min(k, live)
        graph = self._graph
        if graph is not None and live > self._exact_threshold:
            scales = inv_norms
            if inv_norms is not None and rows.dtype == _FLOAT32:
                searched = rows  # scaled afterwards, as in search()
            else:
                searched = search_rows(self._metric, rows, inv_norms)
                scales = None
            found = graph.search_many(searched, k)
            if found is not None:
                labels, distances = found
                return graph_hits_many(
                    store, self._metric, labels, distances, scales, threshold, touch
                )
            return [self.search(row, k, threshold, touch) for row in rows]
        return exact_search_many(store, self._metric, rows, inv_norms, k, threshold, touch)

    # -- recall --------------------------------------------------------------------

    @property
    def wants_recall_check(self) -> bool:
        """Whether a recall target is set and ``ef`` has not been checked against it
        since the graph appeared or the live count last doubled or halved."""
        if self._target is None or self._graph is None or self._job is not None:
            return False
        last = self._recall
        if last is None:
            return True
        live = len(self._store)
        return live >= 2 * last.live or 2 * live <= last.live

    def check_recall(self) -> RecallCheck | None:
        """Measure recall@10 against exact search on a seeded sample of the stored
        vectors and keep the smallest ``ef`` that reaches the target; ``None`` (and
        nothing changed) without a target or a graph. CPU-heavy: see
        :func:`~pepperpy.caching.core.vectors.recall.check_recall_now` for the cost."""
        if self._target is None or self._graph is None:
            return None
        checked = check_recall_now(
            self._graph,
            self._store,
            self._metric,
            target=self._target,
            seed=self._settings.seed,
        )
        self._recall = checked
        self._params.ef = checked.ef
        return checked

    # -- rebuilds ------------------------------------------------------------------

    @property
    def wants_rebuild(self) -> bool:
        """Whether a rebuild is due, as the live vectors outgrew exact search and there is
        no graph yet, or the graph holds at least ``rebuild_ratio`` times as many
        removed elements as live ones. ``False`` while a rebuild is in progress."""
        if self._job is not None:
            return False
        graph = self._graph
        if graph is None:
            return len(self._store) > self._exact_threshold
        return graph.deleted > 0 and graph.deleted >= self._settings.rebuild_ratio * graph.live

    def start_rebuild(self) -> Rebuild:
        """Snapshot the live vectors for a new graph; run the returned job's
        :meth:`~Rebuild.run` (in any thread), then :meth:`finish_rebuild`.

        Until then, freed slots are not reused, so the snapshot rows stay intact.
        """
        if self._job is not None:
            raise ConfigurationError("a rebuild is already in progress")
        store = self._store
        slots = store.live_slots()
        settings = self._settings
        job = Rebuild(
            params=self._params,
            metric=self._metric,
            slots=slots,
            labels=store.labels(slots),
            vectors=store.vectors,
            inv_norms=store.inv_norms,
            # Room for the churn until the next rebuild; replacing in place needs none.
            capacity=len(slots)
            + 64
            + (0 if settings.replace_deleted else int(len(slots) * settings.rebuild_ratio)),
        )
        self._job = job
        store.hold_freed = True
        return job

    def finish_rebuild(self, job: Rebuild) -> bool:
        """Install the graph of a finished ``job`` after replaying the changes made
        since its snapshot. ``False`` (and nothing installed) if the job was abandoned,
        is not finished, or the index was cleared meanwhile."""
        if job is not self._job or not job.done or job.abandoned:
            self.abandon_rebuild(job)
            return False
        self._graph = job.caught_up(self._store)
        self._end_job()
        return True

    def abandon_rebuild(self, job: Rebuild) -> None:
        """Give up ``job``: its graph is dropped, and freed slots become reusable."""
        job.abandoned = True
        if job is self._job:
            self._end_job()

    def rebuild(self) -> None:
        """Rebuild synchronously, now (for callers without threads)."""
        job = self.start_rebuild()
        job.run()
        self.finish_rebuild(job)

    def maintain(self) -> bool:
        """Rebuild synchronously if one is due (:attr:`wants_rebuild`), then check the
        recall if that is due (:attr:`wants_recall_check`); whether it did anything."""
        did = False
        if self.wants_rebuild:
            self.rebuild()
            did = True
        if self.wants_recall_check:
            self.check_recall()
            did = True
        return did

    def _end_job(self) -> None:
        self._job = None
        self._store.release_held()

    # -- saving and restoring -----------------------------------------------------

    def export(self) -> IndexState:
        """A copy of everything the index holds, for a saved file: taken now, it stays
        valid whatever the index does next."""
        store = self._store
        high = store.high
        recall = self._recall
        return IndexState(
            dim_given=self._dim_given,
            dim=self._dim,
            dtype=None if self._dtype is None else self._dtype.name,
            metric=self._metric,
            settings=self._settings.to_json(),
            ef=self._params.ef,
            recall_target=self._target,
            recall_check=None if recall is None else list(recall),
            keys=store.key_of[:high],
            metadata=store.payload_of[:high],
            vectors=store.vectors[:high].copy(),
            inv_norms=None if store.inv_norms is None else store.inv_norms[:high].copy(),
            generations=store.gen[:high].copy(),
            graph=None if self._graph is None else self._graph.state(),
        )

    @classmethod
    def restore(cls, state: IndexState, *, threads: int = 1) -> VectorIndex:
        """An index holding what :meth:`export` returned. Raises ValueError (or
        ConfigurationError) when ``state`` does not describe a consistent index."""
        index = cls(
            state.dim_given,
            state.metric,
            IndexSettings.from_json(state.settings),
            threads=threads,
            recall=state.recall_target,
        )
        if type(state.ef) is not int or state.ef < 1:
            raise ValueError(f"a search breadth of {state.ef!r}")
        index._params.ef = state.ef
        if state.recall_check is not None:
            index._recall = RecallCheck(*state.recall_check)
        if state.dim is None or state.dtype is None:  # no vector was ever stored
            if state.keys or state.graph is not None or state.dim != state.dim_given:
                raise ValueError("vectors without a dimension or dtype")
            return index
        payloads = checked_payloads(state, NO_METADATA)
        vectors = state.vectors
        index._adopt(state.dim, np.dtype(vectors.dtype.name))
        store = SlotStore.restore(
            vectors=vectors,
            inv_norms=state.inv_norms,
            gen=state.generations,
            keys=list(state.keys),
            payloads=payloads,
            empty=NO_METADATA,
        )
        index._store = store
        if state.graph is not None:
            params = index._params
            check_state(
                state.graph,
                space=params.space,
                dim=state.dim,
                M=params.M,
                live_labels=store.labels(store.live_slots()),
            )
            index._graph = Graph(params, 0, state.graph)
        return index

    def slots_of(self, keys: Iterable[str]) -> list[int]:
        """The slots of stored ``keys`` (KeyError for one that is not stored)."""
        slot_of = self._store.slot_of
        return [slot_of[key] for key in keys]

    def key_at(self, slot: int) -> str | None:
        """The key stored in ``slot``, or ``None`` for a free slot."""
        store = self._store
        return store.key_of[slot] if 0 <= slot < store.high else None

    # -- costs ---------------------------------------------------------------------

    def insert_work(self, n: int) -> int:
        """Rough cost of inserting ``n`` vectors, in multiply-adds."""
        dim = self._dim or 1
        work = 4 * n * dim
        graph = self._graph
        if graph is not None:
            work += n * self._params.ef_construction * 2 * self._params.M * dim
            if graph.count + n > graph.capacity:
                work += graph.count * dim  # hnswlib copies the graph to grow it
        return work

    def search_work(self, k: int, queries: int = 1) -> int:
        """Rough cost of ``queries`` searches for ``k`` results, in multiply-adds."""
        dim = self._dim or 1
        if self._graph is None or len(self._store) <= self._exact_threshold:
            return queries * self._store.high * dim
        ef = self._params.ef
        return queries * (ef if ef > k else k) * 2 * self._params.M * dim

    # -- internals -----------------------------------------------------------------

    def _adopt(self, dim: int, dtype: np.dtype[Any]) -> None:
        """Fix the dimension and dtype from the first vector."""
        self._dim = dim
        self._dtype = dtype
        self._params.dim = dim
        self._store = SlotStore(dim, dtype, self._metric == "cosine", NO_METADATA)

    def _release(self, keys: list[str], slots: list[int]) -> None:
        """Forget stored ``keys`` (at ``slots``): mark them in the graph, free slots."""
        store = self._store
        if self._graph is not None:
            self._graph.remove(store.labels(np.array(slots, np.intp)))
        for key in keys:
            del store.slot_of[key]
        store.free(slots)
        if (
            self._graph is not None
            and self._job is None
            and len(store) <= self._exact_threshold // 2
        ):
            self._graph = None  # exact search takes over; the memory goes back
            self._recall = None

    def __repr__(self) -> str:
        return (
            f"VectorIndex(dim={self._dim}, metric={self._metric!r}, live={len(self)}, "
            f"graph={self._graph!r})"
        )
