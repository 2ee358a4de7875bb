"""What a similarity search returns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, final

__all__ = ("SimilarityResult",)


@final
class SimilarityResult(NamedTuple):
    """One stored vector found by a similarity search.

    ``score`` grows with similarity; its scale depends on the metric (cosine: the
    cosine similarity in [-1, 1]; ``"l2"``: ``1 / (1 + distance)`` in (0, 1];
    ``"ip"``: the inner product). ``metadata`` is a copy of what was stored with the
    vector (empty when nothing was).
    """

    key: str
    score: float
    metadata: Mapping[str, Any]
