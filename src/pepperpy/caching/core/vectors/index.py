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

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, NamedTuple, final

import numpy as np
import numpy.typing as npt

from ..errors import ConfigurationError, InvalidKeyError
from .graph import Graph, GraphParams
from .metrics import (
    MetricName,
    check_metric,
    hnsw_space,
    search_row,
    search_rows,
)
from .rebuild import Rebuild
from .result import SimilarityResult
from .search import exact_search, graph_hits
from .store import SlotStore
from .validation import check_dim, check_dtype, prepare_batch, prepare_vector

__all__ = ("DEFAULT_EF", "EXACT_THRESHOLD", "NO_METADATA", "IndexStats", "VectorIndex")

EXACT_THRESHOLD: Final = 2048
"""Up to this many live vectors, searches are exact (numpy) and no graph is kept."""

DEFAULT_EF: Final = 128
"""Default HNSW search breadth. At 50 (hnswlib's usual choice) queries near the data
already reach recall@10 >= 0.99, but queries far from it (between clusters, or random
directions) fall to 0.75-0.82 on 20k clustered vectors; 128 lifts them above 0.96."""

NO_METADATA: Final[Mapping[str, Any]] = MappingProxyType({})
"""The metadata of a vector stored without any."""


@final
class IndexStats(NamedTuple):
    """Sizes of a :class:`VectorIndex` at one moment."""

    live: int
    """Stored vectors."""
    slots: int
    """Rows allocated for stored vectors."""
    graph_elements: int
    """Elements in the HNSW graph, marked (removed) ones included; 0 without a graph."""
    graph_deleted: int
    """Elements of the graph marked as removed."""
    graph_capacity: int
    """Elements the graph has room for before it grows."""
    rebuilding: bool
    """Whether a rebuild is in progress."""


def _check_positive(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a positive int; got {value!r}")
    return value


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise InvalidKeyError(f"cache keys must be str; got {key!r} of type {type(key).__name__}")
    return key


@final
class VectorIndex:
    """Vectors stored under ``str`` keys and searched by similarity. Synchronous, no IO.

    ``dim`` and ``dtype`` (float32 or float64) are fixed by the first vector unless
    given. ``metric`` is ``"cosine"``, ``"l2"`` or ``"ip"`` (see
    ``pepperpy.caching.core.vectors.metrics`` for the scores). ``M``,
    ``ef_construction``, ``ef`` and ``seed`` configure the HNSW graph; ``threads`` is
    the number of threads hnswlib uses for a batch insert (1 keeps graphs identical from
    run to run). ``exact_threshold`` is the live count up to which searches are exact.
    Each vector carries a metadata mapping (stored as given, not copied), handed back
    in search results.

    Not thread-safe: callers serialize access, except that :meth:`Rebuild.run` of a
    rebuild in progress may run concurrently with everything else.
    """

    __slots__ = (
        "_dim",
        "_dim_given",
        "_dtype",
        "_dtype_given",
        "_exact_threshold",
        "_graph",
        "_job",
        "_log",
        "_metric",
        "_params",
        "_rebuild_ratio",
        "_store",
    )

    def __init__(
        self,
        dim: int | None = None,
        metric: str = "cosine",
        *,
        dtype: object = None,
        M: int = 16,
        ef_construction: int = 200,
        ef: int = DEFAULT_EF,
        seed: int = 0,
        threads: int = 1,
        replace_deleted: bool = False,
        exact_threshold: int = EXACT_THRESHOLD,
        rebuild_ratio: float = 1.0,
    ) -> None:
        self._dim_given = check_dim(dim)
        self._dtype_given = check_dtype(dtype)
        self._metric: MetricName = check_metric(metric)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigurationError(f"seed must be a non-negative int; got {seed!r}")
        if isinstance(exact_threshold, bool) or not isinstance(exact_threshold, int):
            raise ConfigurationError(f"exact_threshold must be an int; got {exact_threshold!r}")
        if not (isinstance(rebuild_ratio, (int, float)) and 0.0 < rebuild_ratio < float("inf")):
            raise ConfigurationError(
                f"rebuild_ratio must be a positive number; got {rebuild_ratio!r}"
            )
        self._params = GraphParams(
            space=hnsw_space(self._metric),
            dim=self._dim_given or 0,
            M=_check_positive("M", M),
            ef_construction=_check_positive("ef_construction", ef_construction),
            ef=_check_positive("ef", ef),
            seed=seed,
            threads=_check_positive("threads", threads),
            replace_deleted=bool(replace_deleted),
        )
        self._exact_threshold = max(exact_threshold, 0)
        self._rebuild_ratio = float(rebuild_ratio)
        self._reset()

    def _reset(self) -> None:
        self._dim = self._dim_given
        self._dtype = self._dtype_given
        self._store = SlotStore(
            self._dim or 0,
            self._dtype or np.dtype(np.float64),
            self._metric == "cosine",
            NO_METADATA,
        )
        self._graph: Graph | None = None
        self._job: Rebuild | None = None
        self._log: list[tuple[list[int], list[int]]] = []
        """(slots, labels) added while a rebuild runs, to replay into its graph."""

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
    def ef(self) -> int:
        """The HNSW search breadth; larger finds more of the true nearest, slower."""
        return self._params.ef

    @ef.setter
    def ef(self, ef: int) -> None:
        self._params.ef = _check_positive("ef", ef)

    def vector(self, key: str) -> npt.NDArray[Any] | None:
        """A copy of the vector stored under ``key``, or ``None``."""
        slot = self._store.slot_of.get(key)
        if slot is None:
            _check_key(key)
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
        self._store.payload_of[slot] = metadata
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
        """Sizes now, as live vectors, slots, graph elements and capacity."""
        graph = self._graph
        return IndexStats(
            live=len(self._store),
            slots=len(self._store.alive),
            graph_elements=0 if graph is None else graph.count,
            graph_deleted=0 if graph is None else graph.deleted,
            graph_capacity=0 if graph is None else graph.capacity,
            rebuilding=self._job is not None,
        )

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
        _check_key(key)
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
            self._log.append(([slot], [label]))

    def add_many(
        self,
        keys: Sequence[str],
        vectors: object,
        metadata: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """Store each of ``vectors`` (a 2-D array or a sequence of vectors) under the
        key at the same position, with the metadata at that position (default: none);
        a key given twice keeps its last vector.

        The whole batch is checked first: if any vector is refused, nothing is stored.
        """
        keys = list(keys)
        for key in keys:
            _check_key(key)
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
            return
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
            self._log.append((slots.tolist(), labels.tolist()))

    def remove(self, key: str) -> bool:
        """Remove ``key``; ``True`` if it was stored."""
        slot = self._store.slot_of.get(key)
        if slot is None:
            _check_key(key)
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
        self, query: object, k: int, threshold: float | None = None
    ) -> list[SimilarityResult]:
        """The (at most) ``k`` stored vectors most similar to ``query``, best first,
        with ``score >= threshold`` (no bound when ``None``), each with its metadata.

        ``query`` is checked like a stored vector.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConfigurationError(f"k must be a positive int; got {k!r}")
        row, inv_norm = prepare_vector(
            query,
            dim=self._dim,
            dtype=self._dtype,
            metric=self._metric,
            what="query vector",
            copy=False,
        )
        live = len(self._store)
        if k > live:
            k = live
        if k == 0:
            return []
        graph = self._graph
        if graph is not None and live > self._exact_threshold:
            if inv_norm is not None and 0.5 <= inv_norm <= 2.0 and row.dtype == np.float32:
                # Near-unit query: search with it as it is and scale the scores, which
                # saves normalizing it (float32 keeps ~1e-7 of precision at this scale).
                found = graph.search(row, k)
                scale = inv_norm
            else:
                found = graph.search(search_row(self._metric, row, inv_norm), k)
                scale = 1.0
            if found is not None:
                return graph_hits(self._store, self._metric, found[0], found[1], scale, threshold)
        return exact_search(self._store, self._metric, row, inv_norm, k, threshold)

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
        return graph.deleted > 0 and graph.deleted >= self._rebuild_ratio * graph.live

    def start_rebuild(self) -> Rebuild:
        """Snapshot the live vectors for a new graph; run the returned job's
        :meth:`~Rebuild.run` (in any thread), then :meth:`finish_rebuild`.

        Until then, freed slots are not reused, so the snapshot rows stay intact.
        """
        if self._job is not None:
            raise ConfigurationError("a rebuild is already in progress")
        store = self._store
        slots = store.live_slots()
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
            + (0 if self._params.replace_deleted else int(len(slots) * self._rebuild_ratio)),
        )
        self._job = job
        self._log = []
        store.hold_freed = True
        return job

    def finish_rebuild(self, job: Rebuild) -> bool:
        """Install the graph of a finished ``job`` after replaying the changes made
        since its snapshot. ``False`` (and nothing installed) if the job was abandoned,
        is not finished, or the index was cleared meanwhile."""
        if job is not self._job or not job.done or job.abandoned:
            self.abandon_rebuild(job)
            return False
        store = self._store
        graph = job.graph
        gone = (store.labels(job.slots) != job.labels) | ~store.alive[job.slots]
        graph.remove(job.labels[gone])
        if self._log:
            slots = np.array([s for part, _ in self._log for s in part], np.intp)
            labels = np.array([x for _, part in self._log for x in part], np.uint64)
            keep = store.alive[slots] & (store.labels(slots) == labels)
            slots, labels = slots[keep], labels[keep]
            inv = None if store.inv_norms is None else store.inv_norms[slots]
            graph.add(labels, search_rows(self._metric, store.vectors[slots], inv))
        self._graph = graph
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
        """Rebuild synchronously if one is due (:attr:`wants_rebuild`); whether it did."""
        if not self.wants_rebuild:
            return False
        self.rebuild()
        return True

    def _end_job(self) -> None:
        self._job = None
        self._log = []
        self._store.release_held()

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

    def search_work(self, k: int) -> int:
        """Rough cost of one search for ``k`` results, in multiply-adds."""
        dim = self._dim or 1
        if self._graph is None or len(self._store) <= self._exact_threshold:
            return self._store.high * dim
        return max(self._params.ef, k) * 2 * self._params.M * dim

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

    def __repr__(self) -> str:
        return (
            f"VectorIndex(dim={self._dim}, metric={self._metric!r}, live={len(self)}, "
            f"graph={self._graph!r})"
        )
