"""One HNSW graph (hnswlib): elements are appended, removals are only marks."""

from __future__ import annotations

from typing import Any, Final, final

import hnswlib
import numpy as np
import numpy.typing as npt

from ..errors import BackendError
from .settings import IndexSettings

__all__ = ("Graph", "GraphParams")

_GROWTH: Final = 1.5
_MIN_CAPACITY: Final = 64
_EF_RETRIES: Final = 3
"""Retries of a search that came back short, each with a 4x larger ``ef``."""


@final
class GraphParams:
    """How graphs are built and searched; shared by every graph of an index.

    ``ef`` may change at any time (a new search breadth); the rest is fixed.
    """

    __slots__ = ("M", "dim", "ef", "ef_construction", "replace_deleted", "seed", "space", "threads")

    def __init__(self, settings: IndexSettings, *, space: str, dim: int, threads: int) -> None:
        self.space = space
        self.dim = dim
        self.M = settings.M
        self.ef_construction = settings.ef_construction
        self.ef = settings.ef
        self.seed = settings.seed
        self.threads = threads
        self.replace_deleted = settings.replace_deleted


@final
class Graph:
    """An hnswlib index and its counts. Not thread-safe: callers serialize access.

    Labels are chosen by the caller and never reused within one graph. A removed
    element stays in the graph, marked, until the graph is replaced by a rebuild;
    with ``replace_deleted`` an insert takes over the place of a marked element.
    """

    __slots__ = ("_count", "_ef", "_index", "_knn", "_params", "deleted")

    def __init__(self, params: GraphParams, capacity: int, state: dict[str, Any] | None = None):
        self._params = params
        if state is None:
            index: Any = hnswlib.Index(space=params.space, dim=params.dim)
            index.init_index(
                max_elements=max(capacity, _MIN_CAPACITY),
                M=params.M,
                ef_construction=params.ef_construction,
                random_seed=params.seed,
                allow_replace_deleted=params.replace_deleted,
            )
            deleted = 0
        else:  # checked by the caller (graph_state.check_state): hnswlib trusts it blindly
            index = hnswlib.Index({k: v for k, v in state.items() if k != "deleted"})
            deleted = int(state["deleted"])
        index.set_ef(params.ef)
        self._index = index
        self._knn = index.knn_query
        self._ef = params.ef
        self._count = int(index.element_count)
        self.deleted = deleted
        """Elements marked as removed."""

    @property
    def count(self) -> int:
        """Elements in the graph, marked ones included."""
        return self._count

    @property
    def live(self) -> int:
        """Elements not marked as removed."""
        return self._count - self.deleted

    @property
    def capacity(self) -> int:
        """Elements the graph has room for before it must grow."""
        return int(self._index.max_elements)

    def add(
        self, labels: npt.NDArray[np.uint64] | list[int], rows: npt.NDArray[np.float32]
    ) -> None:
        """Insert ``rows`` (float32, prepared for the metric) under new ``labels``."""
        n = len(labels)
        if n == 0:
            return
        reused = min(self.deleted, n) if self._params.replace_deleted else 0
        needed = self.count + n - reused
        try:
            if needed > self.capacity:
                self._index.resize_index(max(needed, int(self.capacity * _GROWTH)))
            self._index.add_items(
                rows,
                labels,
                num_threads=self._params.threads if n > 1 else 1,
                replace_deleted=self._params.replace_deleted,
            )
        except (RuntimeError, ValueError, MemoryError) as exc:
            self._count = int(self._index.element_count)
            raise BackendError(f"hnswlib could not add {n} vectors: {exc}") from exc
        self._count += n - reused
        self.deleted -= reused

    def remove(self, labels: npt.NDArray[np.uint64]) -> None:
        """Mark every element of ``labels`` as removed."""
        mark = self._index.mark_deleted
        try:
            for label in labels.tolist():
                mark(label)
        except RuntimeError as exc:
            raise BackendError(f"hnswlib could not remove a vector: {exc}") from exc
        self.deleted += len(labels)

    def search(
        self, query: npt.NDArray[np.float32], k: int
    ) -> tuple[list[int], list[float]] | None:
        """The ``k`` nearest live elements (labels, hnswlib distances), nearest first;
        ``k`` must not exceed :attr:`live`.

        hnswlib fails a search that finds fewer than ``k`` live elements (many marked
        ones nearby); it is retried with a larger ``ef``, and ``None`` says it still
        failed: the caller searches exactly instead.
        """
        ef = self._params.ef
        if k > ef:
            ef = k
        if ef != self._ef:
            self._index.set_ef(ef)
            self._ef = ef
        try:
            labels, distances = self._knn(query, k)
        except RuntimeError:
            return self._search_harder(query, k, ef)
        return labels[0].tolist(), distances[0].tolist()

    def search_many(
        self, queries: npt.NDArray[np.float32], k: int, ef: int | None = None
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.float32]] | None:
        """:meth:`search` for each row of ``queries`` at once (``threads`` threads), as
        two ``(len(queries), k)`` arrays; ``None`` if some search came back short.
        ``ef`` overrides the search breadth for this call."""
        ef = max(self._params.ef if ef is None else ef, k)
        if ef != self._ef:
            self._index.set_ef(ef)
            self._ef = ef
        try:
            labels, distances = self._knn(queries, k, self._params.threads)
        except RuntimeError:
            return None
        return labels, distances

    def _search_harder(
        self, query: npt.NDArray[np.float32], k: int, ef: int
    ) -> tuple[list[int], list[float]] | None:
        for _ in range(_EF_RETRIES):
            if ef >= self._count:
                return None
            ef = min(ef * 4, self._count)
            self._index.set_ef(ef)
            self._ef = ef
            try:
                labels, distances = self._knn(query, k)
            except RuntimeError:
                continue
            return labels[0].tolist(), distances[0].tolist()
        return None

    def state(self) -> dict[str, Any]:
        """A copy of the whole graph as plain values and numpy arrays (hnswlib's own
        picklable form, unpickled), plus the count of marked elements."""
        state: dict[str, Any] = self._index.__getstate__()[0]
        state["deleted"] = self.deleted
        return state

    @property
    def nbytes(self) -> int:
        """Bytes of the elements' vectors and links, as hnswlib would save them."""
        return int(self._index.index_file_size())

    def __repr__(self) -> str:
        return f"Graph(count={self.count}, deleted={self.deleted}, capacity={self.capacity})"
