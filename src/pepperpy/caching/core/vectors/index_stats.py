"""What a vector index reports about itself, and the check of a result count."""

from __future__ import annotations

from typing import NamedTuple, final

from ..errors import ConfigurationError

__all__ = ("IndexStats", "check_k")


@final
class IndexStats(NamedTuple):
    """Sizes and search settings of a :class:`VectorIndex` at one moment."""

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
    ef: int
    """The HNSW search breadth in use (chosen by the recall target, if one is set)."""
    recall: float | None
    """Recall@10 measured at ``ef`` by the last recall check; ``None`` before any (and
    without a recall target). Exact search has no check: its recall is 1."""


def check_k(k: object) -> int:
    """``k`` (how many results) as a positive int, or ConfigurationError."""
    if type(k) is not int or k < 1:
        raise ConfigurationError(f"k must be a positive int; got {k!r}")
    return k
