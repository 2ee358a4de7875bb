"""The vector index: keys -> vectors, searchable by similarity.

Vectors live in slots of a numpy array (kept as given, for :meth:`VectorIndex.vector`
and for exact search); a slot freed by a removal is reused by a later insert. Searching
is exact (numpy) while few vectors are stored, and goes through an HNSW graph
(hnswlib) beyond that: see :data:`EXACT_THRESHOLD`.

Each stored vector has a graph *label*: its slot in the low 32 bits, and in the high
bits a generation counter of the slot, so a label is never used twice and a search
result maps back to its slot without a lookup table.

Memory under churn: the graph only appends, and a removal only marks an element; once
the marked elements are as many as the live ones (``rebuild_ratio``), the index asks
for a rebuild (:class:`Rebuild`): the live vectors go into a fresh graph that replaces
the old one. Inserting anew and rebuilding costs about two plain inserts per churned
vector; hnswlib's in-place replacement of marked elements (``replace_deleted=True``)
keeps the graph exactly as large as the live set but costs about four.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple, cast, final

import numpy as np
import numpy.typing as npt

from ..errors import ConfigurationError, InvalidKeyError
from .graph import Graph, GraphParams
from .metrics import (
    MetricName,
    check_metric,
    exact_scores,
    hnsw_space,
    scores_from_distances,
    search_rows,
)
from .rebuild import Rebuild
from .validation import Prepared, check_dim, check_dtype, prepare_batch, prepare_vector

__all__ = ("EXACT_THRESHOLD", "IndexStats", "VectorIndex")

EXACT_THRESHOLD: Final = 2048
"""Up to this many live vectors, searches are exact (numpy) and no graph is kept."""

_SLOT_BITS: Final = 32
_SLOT_MASK: Final = np.uint64((1 << _SLOT_BITS) - 1)
_SHIFT: Final = np.uint64(_SLOT_BITS)
_MIN_SLOTS: Final = 16


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
    :mod:`~pepperpy.caching.core.vectors.metrics` for the scores). ``M``,
    ``ef_construction``, ``ef`` and ``seed`` configure the HNSW graph; ``threads`` is
    the number of threads hnswlib uses for a batch insert (1 keeps graphs identical from
    run to run). ``exact_threshold`` is the live count up to which searches are exact.

    Not thread-safe: callers serialize access, except that :meth:`Rebuild.run` of a
    rebuild in progress may run concurrently with everything else.
    """

    __slots__ = (
        "_alive",
        "_dim",
        "_dim_given",
        "_dtype",
        "_dtype_given",
        "_exact_threshold",
        "_free",
        "_gen",
        "_graph",
        "_high",
        "_inv_norms",
        "_job",
        "_key_of",
        "_log",
        "_metric",
        "_params",
        "_quarantine",
        "_rebuild_ratio",
        "_slot_of",
        "_vectors",
    )

    def __init__(
        self,
        dim: int | None = None,
        metric: str = "cosine",
        *,
        dtype: object = None,
        M: int = 16,
        ef_construction: int = 200,
        ef: int = 50,
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
        self._slot_of: dict[str, int] = {}
        self._key_of: list[str | None] = []
        self._free: list[int] = []
        self._quarantine: list[int] = []
        self._high = 0
        self._vectors: npt.NDArray[Any] = np.empty((0, self._dim or 0), self._dtype or np.float64)
        self._inv_norms: npt.NDArray[np.float64] | None = (
            np.empty(0) if self._metric == "cosine" else None
        )
        self._gen = np.empty(0, np.uint64)
        self._alive = np.empty(0, np.bool_)
        self._graph: Graph | None = None
        self._job: Rebuild | None = None
        self._log: list[tuple[npt.NDArray[np.intp], npt.NDArray[np.uint64]]] = []

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

    def vector(self, key: str) -> npt.NDArray[Any] | None:
        """A copy of the vector stored under ``key``, or ``None``."""
        slot = self._slot_of.get(key)
        if slot is None:
            _check_key(key)
            return None
        row: npt.NDArray[Any] = self._vectors[slot].copy()
        return row

    def keys(self) -> list[str]:
        """Every stored key, in no particular order."""
        return list(self._slot_of)

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, key: object) -> bool:
        return key in self._slot_of

    @property
    def stats(self) -> IndexStats:
        """Sizes now: live vectors, slots, graph elements and capacity."""
        graph = self._graph
        return IndexStats(
            live=len(self._slot_of),
            slots=len(self._alive),
            graph_elements=0 if graph is None else graph.count,
            graph_deleted=0 if graph is None else graph.deleted,
            graph_capacity=0 if graph is None else graph.capacity,
            rebuilding=self._job is not None,
        )

    # -- writes --------------------------------------------------------------------

    def add(self, key: str, vector: object) -> None:
        """Store ``vector`` under ``key``, replacing what it held.

        Raises :class:`~pepperpy.caching.InvalidVectorError` (nothing stored) for a
        vector of another dimension, with NaN or infinite values, or a zero vector
        under cosine; :class:`~pepperpy.caching.InvalidKeyError` for a non-str key.
        """
        _check_key(key)
        prepared = prepare_vector(
            vector,
            dim=self._dim,
            dtype=self._dtype,
            metric=self._metric,
            what=f"vector for key {key!r}",
        )
        self._commit([key], prepared)

    def add_many(self, keys: Sequence[str], vectors: object) -> None:
        """Store each of ``vectors`` (a 2-D array or a sequence of vectors) under the
        key at the same position; a key given twice keeps its last vector.

        The whole batch is checked first: if any vector is refused, nothing is stored.
        """
        keys = list(keys)
        for key in keys:
            _check_key(key)
        prepared = prepare_batch(
            vectors, dim=self._dim, dtype=self._dtype, metric=self._metric, keys=keys
        )
        if len(set(keys)) != len(keys):
            last = {key: i for i, key in enumerate(keys)}
            rows = np.fromiter(last.values(), np.intp, len(last))
            keys = list(last)
            inv_norms = prepared.inv_norms
            prepared = Prepared(prepared.rows[rows], None if inv_norms is None else inv_norms[rows])
        if keys:
            self._commit(keys, prepared)

    def remove(self, key: str) -> bool:
        """Remove ``key``; ``True`` if it was stored."""
        if key not in self._slot_of:
            _check_key(key)
            return False
        self._release([key])
        return True

    def remove_many(self, keys: Iterable[str]) -> int:
        """Remove every stored key of ``keys``; how many were stored."""
        present = [key for key in dict.fromkeys(keys) if key in self._slot_of]
        if present:
            self._release(present)
        return len(present)

    def clear(self) -> None:
        """Remove every vector. A dimension or dtype that was not given is forgotten."""
        if self._job is not None:
            self._job.abandoned = True
        self._reset()

    # -- search --------------------------------------------------------------------

    def search(
        self, query: object, k: int, threshold: float | None = None
    ) -> list[tuple[str, float]]:
        """The (at most) ``k`` stored vectors most similar to ``query``, best first, as
        ``(key, score)`` pairs with ``score >= threshold`` (no bound when ``None``).

        ``query`` is checked like a stored vector. Ties keep slot order.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConfigurationError(f"k must be a positive int; got {k!r}")
        prepared = prepare_vector(
            query,
            dim=self._dim,
            dtype=self._dtype,
            metric=self._metric,
            what="query vector",
            copy=False,
        )
        k = min(k, len(self._slot_of))
        if k == 0:
            return []
        graph = self._graph
        found = None
        if graph is not None and len(self._slot_of) > self._exact_threshold:
            found = self._graph_search(graph, prepared, k)
        if found is None:
            found = self._exact_search(prepared, k)
        slots, scores = found
        if threshold is not None:
            keep = scores >= threshold
            slots, scores = slots[keep], scores[keep]
        key_of = cast("list[str]", self._key_of)  # every slot found is live: never None
        return [
            (key_of[s], score) for s, score in zip(slots.tolist(), scores.tolist(), strict=True)
        ]

    def _graph_search(
        self, graph: Graph, prepared: Prepared, k: int
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]] | None:
        rows = search_rows(self._metric, prepared.rows, prepared.inv_norms)
        result = graph.search(rows, k)
        if result is None:
            return None
        labels, distances = result
        slots = (labels & _SLOT_MASK).astype(np.intp)
        scores = scores_from_distances(self._metric, distances)
        current = self._alive[slots] & (self._labels(slots) == labels)
        if not current.all():  # cannot happen while the graph is in sync; never report it
            slots, scores = slots[current], scores[current]
        return slots, scores

    def _exact_search(
        self, prepared: Prepared, k: int
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        high = self._high
        live = len(self._slot_of)
        query = prepared.rows[0]
        if self._metric == "cosine":
            assert prepared.inv_norms is not None
            query = (query * prepared.inv_norms[0]).astype(self._vectors.dtype)
        else:
            query = query.astype(self._vectors.dtype)
        inv_all = self._inv_norms
        if high > 2 * live:  # mostly holes: score only the live rows
            slots = np.flatnonzero(self._alive[:high])
            inv = None if inv_all is None else inv_all[slots]
            scores = exact_scores(self._metric, self._vectors[slots], query, inv)
        else:
            slots = np.arange(high)
            inv = None if inv_all is None else inv_all[:high]
            scores = exact_scores(self._metric, self._vectors[:high], query, inv)
            scores[~self._alive[:high]] = -np.inf
        if k < len(scores):
            best = np.argpartition(-scores, k - 1)[:k]
            best = best[np.argsort(-scores[best], kind="stable")]
        else:
            best = np.argsort(-scores, kind="stable")[:k]
        return slots[best], scores[best]

    # -- rebuilds ------------------------------------------------------------------

    @property
    def wants_rebuild(self) -> bool:
        """Whether a rebuild is due: the live vectors outgrew exact search and there is
        no graph yet, or the graph holds more removed elements than ``rebuild_ratio``
        times its live ones. ``False`` while a rebuild is in progress."""
        if self._job is not None:
            return False
        graph = self._graph
        if graph is None:
            return len(self._slot_of) > self._exact_threshold
        return graph.deleted > 0 and graph.deleted >= self._rebuild_ratio * graph.live

    def start_rebuild(self) -> Rebuild:
        """Snapshot the live vectors for a new graph; run the returned job's
        :meth:`~Rebuild.run` (in any thread), then :meth:`finish_rebuild`.

        Until then, removed slots are not reused, so the snapshot rows stay intact.
        """
        if self._job is not None:
            raise ConfigurationError("a rebuild is already in progress")
        slots = np.flatnonzero(self._alive[: self._high])
        live = len(slots)
        job = Rebuild(
            params=self._params,
            metric=self._metric,
            slots=slots,
            labels=self._labels(slots),
            vectors=self._vectors,
            inv_norms=self._inv_norms,
            capacity=int(live * (1.0 + self._rebuild_ratio)) + 64,
        )
        self._job = job
        self._log = []
        return job

    def finish_rebuild(self, job: Rebuild) -> bool:
        """Install the graph of a finished ``job`` after replaying the changes made
        since its snapshot. ``False`` (and nothing installed) if the job was abandoned,
        is not finished, or the index was cleared meanwhile."""
        if job is not self._job or not job.done or job.abandoned:
            self.abandon_rebuild(job)
            return False
        graph = job.graph
        gone = (self._labels(job.slots) != job.labels) | ~self._alive[job.slots]
        graph.remove(job.labels[gone])
        if self._log:
            slots = np.concatenate([slots for slots, _ in self._log])
            labels = np.concatenate([labels for _, labels in self._log])
            keep = self._alive[slots] & (self._labels(slots) == labels)
            slots, labels = slots[keep], labels[keep]
            inv = None if self._inv_norms is None else self._inv_norms[slots]
            graph.add(labels, search_rows(self._metric, self._vectors[slots], inv))
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
        self._free.extend(self._quarantine)
        self._quarantine = []

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
        if self._graph is None or len(self._slot_of) <= self._exact_threshold:
            return self._high * dim
        return max(self._params.ef, k) * 2 * self._params.M * dim

    # -- internals -----------------------------------------------------------------

    def _labels(self, slots: npt.NDArray[np.intp]) -> npt.NDArray[np.uint64]:
        return (self._gen[slots] << _SHIFT) | slots.astype(np.uint64)

    def _commit(self, keys: list[str], prepared: Prepared) -> None:
        """Store checked vectors: the graph first, so a failure there changes nothing."""
        rows, inv_norms = prepared
        if self._dim is None or self._dtype is None:
            self._dim = rows.shape[1]
            self._dtype = rows.dtype
            self._params.dim = self._dim
            self._vectors = np.empty((0, self._dim), self._dtype)
        slots, reused = self._plan_slots(len(keys))
        labels = self._labels(slots)
        if self._graph is not None:
            self._graph.add(labels, search_rows(self._metric, rows, inv_norms))
        del self._free[len(self._free) - reused :]
        self._high = max(self._high, int(slots.max()) + 1)
        replaced = [key for key in keys if key in self._slot_of]
        if replaced:
            self._release(replaced)
        self._vectors[slots] = rows
        if self._inv_norms is not None:
            assert inv_norms is not None
            self._inv_norms[slots] = inv_norms
        self._alive[slots] = True
        key_of = self._key_of
        slot_of = self._slot_of
        for key, slot in zip(keys, slots.tolist(), strict=True):
            key_of[slot] = key
            slot_of[key] = slot
        if self._job is not None:
            self._log.append((slots, labels))

    def _plan_slots(self, n: int) -> tuple[npt.NDArray[np.intp], int]:
        """The slots the next ``n`` vectors go to (free ones first, latest freed first)
        and how many of them are reused; grows the arrays if needed, claims nothing."""
        free = self._free
        reused = min(n, len(free))
        fresh = n - reused
        if self._high + fresh > len(self._alive):
            self._grow(self._high + fresh)
        slots = np.empty(n, np.intp)
        slots[:reused] = free[len(free) - reused :][::-1]
        slots[reused:] = np.arange(self._high, self._high + fresh)
        return slots, reused

    def _grow(self, needed: int) -> None:
        """Reallocate the slot arrays (new objects: a running rebuild keeps the old)."""
        size = max(_MIN_SLOTS, needed, 2 * len(self._alive))
        high = self._high

        def grown(old: npt.NDArray[Any], fill: object = 0) -> npt.NDArray[Any]:
            new = np.full((size, *old.shape[1:]), fill, old.dtype)
            new[:high] = old[:high]
            return new

        self._vectors = grown(self._vectors)
        if self._inv_norms is not None:
            self._inv_norms = grown(self._inv_norms)
        self._gen = grown(self._gen)
        self._alive = grown(self._alive, False)
        self._key_of.extend([None] * (size - len(self._key_of)))

    def _release(self, keys: list[str]) -> None:
        """Forget stored ``keys``: mark them in the graph, free their slots."""
        slots = np.fromiter((self._slot_of[key] for key in keys), np.intp, len(keys))
        if self._graph is not None:
            self._graph.remove(self._labels(slots))
        for key, slot in zip(keys, slots.tolist(), strict=True):
            del self._slot_of[key]
            self._key_of[slot] = None
        self._alive[slots] = False
        self._gen[slots] += np.uint64(1)
        (self._free if self._job is None else self._quarantine).extend(slots.tolist())
        if (
            self._graph is not None
            and self._job is None
            and len(self._slot_of) <= self._exact_threshold // 2
        ):
            self._graph = None  # exact search takes over; memory goes back

    def __repr__(self) -> str:
        return (
            f"VectorIndex(dim={self._dim}, metric={self._metric!r}, live={len(self)}, "
            f"graph={self._graph!r})"
        )
