"""How a vector index is built and searched: one settings object, checked once.

Every tuning knob of the index lives here, with its default and its check, so a vector
store, a cache and a saved file all read the same definition.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Final, final

from ..errors import ConfigurationError

__all__ = ("DEFAULT_EF", "EXACT_THRESHOLD", "IndexSettings", "check_recall", "check_threshold")

EXACT_THRESHOLD: Final = 2048
"""Up to this many live vectors, searches are exact (numpy) and no graph is kept."""

DEFAULT_EF: Final = 128
"""Default HNSW search breadth (see the vector cache's documentation for the data)."""

_DTYPES: Final = ("float32", "float64")


def _positive_int(name: str, value: object) -> int:
    if type(value) is not int or value < 1:
        raise ConfigurationError(f"{name} must be a positive int; got {value!r}")
    return value


def check_threshold(threshold: object, name: str = "threshold") -> float | None:
    """``threshold`` as a float, or ``None`` (no bound); ConfigurationError otherwise."""
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise ConfigurationError(f"{name} must be a number or None; got {threshold!r}")
    if math.isnan(threshold):
        raise ConfigurationError(f"{name} must not be NaN")
    return float(threshold)


def check_recall(recall: object) -> float | None:
    """A recall target in (0, 1], or ``None`` (a fixed ``ef``)."""
    if recall is None:
        return None
    if (
        isinstance(recall, bool)
        or not isinstance(recall, (int, float))
        or not 0.0 < float(recall) <= 1.0
    ):
        raise ConfigurationError(f"recall must be a number in (0, 1] or None; got {recall!r}")
    return float(recall)


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class IndexSettings:
    """The tuning of a vector index; every field has a sensible default.

    Graph (hnswlib's HNSW):

    * ``M`` — links per element. More: better recall on hard queries, more memory
      (about ``8 * M`` bytes per vector), slower inserts.
    * ``ef_construction`` — how hard an insert looks for neighbours. Higher: a better
      graph, slower inserts.
    * ``ef`` — how hard a search looks (its candidate list). Higher: better recall,
      slower searches, roughly linearly. A search for more than ``ef`` results uses
      ``top_k`` instead. A recall target (``recall=`` of the cache) overrides it.
    * ``seed`` — seeds the graph's random levels: the same inserts in one thread give
      the same graph and the same answers.

    Storage and churn:

    * ``dtype`` — ``"float32"`` or ``"float64"``; ``None``: the first vector decides.
    * ``exact_threshold`` — up to this many live vectors, searches are exact (numpy)
      and no graph is kept.
    * ``rebuild_ratio`` — the graph is rebuilt once it holds this many removed
      elements per live one.
    * ``replace_deleted`` — inserts take over the places of removed elements instead
      (the graph stays at the live count; each insert under churn costs more).
    """

    M: int = 16
    ef_construction: int = 200
    ef: int = DEFAULT_EF
    seed: int = 0
    dtype: str | None = None
    exact_threshold: int = EXACT_THRESHOLD
    rebuild_ratio: float = 1.0
    replace_deleted: bool = False

    def __post_init__(self) -> None:
        _positive_int("M", self.M)
        _positive_int("ef_construction", self.ef_construction)
        _positive_int("ef", self.ef)
        if type(self.seed) is not int or self.seed < 0:
            raise ConfigurationError(f"seed must be a non-negative int; got {self.seed!r}")
        if self.dtype is not None and self.dtype not in _DTYPES:
            raise ConfigurationError(f"dtype must be float32, float64 or None; got {self.dtype!r}")
        if type(self.exact_threshold) is not int or self.exact_threshold < 0:
            raise ConfigurationError(
                f"exact_threshold must be a non-negative int; got {self.exact_threshold!r}"
            )
        ratio = self.rebuild_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)):
            raise ConfigurationError(f"rebuild_ratio must be a positive number; got {ratio!r}")
        if not 0.0 < ratio < math.inf:
            raise ConfigurationError(f"rebuild_ratio must be a positive number; got {ratio!r}")
        if type(self.replace_deleted) is not bool:
            raise ConfigurationError(
                f"replace_deleted must be True or False; got {self.replace_deleted!r}"
            )

    def to_json(self) -> dict[str, Any]:
        """The settings as a JSON-able dict (for saved files)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> IndexSettings:
        """Settings from :meth:`to_json`'s output; ConfigurationError if it is not that."""
        if not isinstance(data, dict) or not set(data) <= set(cls.__dataclass_fields__):
            raise ConfigurationError(f"not index settings: {data!r}")
        return cls(**data)
