"""Building a fresh graph from a snapshot of the live vectors, while the index serves.

A rebuild is how an index gives back the room of removed vectors without paying for
hnswlib's in-place replacement on every insert: new vectors are appended, and once as
many elements are marked removed as are live, the live ones are inserted into a new
graph, which then replaces the old one. :meth:`Rebuild.run` reads only the snapshot
(rows the index promises not to overwrite until the rebuild ends) and writes only the
new graph, so it may run in a worker thread while the index goes on serving reads and
writes with the old graph; the index then replays what changed in the meantime.
"""

from __future__ import annotations

from typing import Final, final

import numpy as np
import numpy.typing as npt

from .graph import Graph, GraphParams
from .metrics import MetricName, search_rows
from .slots import SlotStore

__all__ = ("Rebuild",)

_CHUNK: Final = 1024
"""Vectors inserted between two checks of :attr:`Rebuild.abandoned`."""


@final
class Rebuild:
    """One rebuild in progress: the snapshot it copies and the graph it fills."""

    __slots__ = (
        "_added",
        "_inv_norms",
        "_metric",
        "_vectors",
        "abandoned",
        "done",
        "graph",
        "labels",
        "slots",
    )

    def __init__(
        self,
        *,
        params: GraphParams,
        metric: MetricName,
        slots: npt.NDArray[np.intp],
        labels: npt.NDArray[np.uint64],
        vectors: npt.NDArray[np.floating],
        inv_norms: npt.NDArray[np.float64] | None,
        capacity: int,
    ) -> None:
        self.slots = slots
        """Slots of the vectors live when the snapshot was taken."""
        self.labels = labels
        """Their labels at that moment."""
        self._vectors = vectors
        self._inv_norms = inv_norms
        self._metric = metric
        self.graph = Graph(params, capacity)
        """The new graph; complete once ``done`` is true."""
        self.done = False
        self.abandoned = False
        """Set by the index when the rebuild is no longer wanted; :meth:`run` stops soon."""
        self._added: list[tuple[list[int], list[int]]] = []
        """(slots, labels) the index stored while the rebuild ran, to replay."""

    def run(self) -> None:
        """Insert every snapshot vector into :attr:`graph`. CPU-heavy; thread-safe with
        respect to the index that created it."""
        for start in range(0, len(self.slots), _CHUNK):
            if self.abandoned:
                return
            slots = self.slots[start : start + _CHUNK]
            inv_norms = None if self._inv_norms is None else self._inv_norms[slots]
            rows = search_rows(self._metric, self._vectors[slots], inv_norms)
            self.graph.add(self.labels[start : start + _CHUNK], rows)
        self.done = True

    def added(self, slots: list[int], labels: list[int]) -> None:
        """Note vectors the index stored (at ``slots``, under ``labels``) after the
        snapshot: :meth:`caught_up` adds them to the new graph."""
        self._added.append((slots, labels))

    def caught_up(self, store: SlotStore) -> Graph:
        """The finished graph, brought up to date with ``store``: the snapshot's vectors
        removed or replaced since are marked removed, and the vectors stored since (and
        still there) are added. Call under the index's lock, once ``done`` is set."""
        graph = self.graph
        gone = (store.labels(self.slots) != self.labels) | ~store.alive[self.slots]
        graph.remove(self.labels[gone])
        if self._added:
            slots = np.array([s for part, _ in self._added for s in part], np.intp)
            labels = np.array([x for _, part in self._added for x in part], np.uint64)
            keep = store.alive[slots] & (store.labels(slots) == labels)
            slots, labels = slots[keep], labels[keep]
            inv = None if store.inv_norms is None else store.inv_norms[slots]
            graph.add(labels, search_rows(self._metric, store.vectors[slots], inv))
        self._added = []
        return graph

    def __repr__(self) -> str:
        state = "abandoned" if self.abandoned else "done" if self.done else "running"
        return f"Rebuild(vectors={len(self.slots)}, {state})"
