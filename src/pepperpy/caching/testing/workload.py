"""Cache workloads as data: a list of :class:`Operation` replayed against any cache.

:func:`replay` drives a :class:`~pepperpy.caching.CacheEngine`, a
:class:`~pepperpy.caching.testing.CacheModel`, or anything else with the engine's
methods, and returns what each call returned, so two runs can be compared:
an engine against the model (for policies the model can predict), or two engines
built alike (determinism). :func:`~pepperpy.caching.testing.operations` generates
such lists with hypothesis.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, final

from ..core.entry import Removal
from ..core.ttl import TTL

__all__ = ("CacheLike", "Operation", "OperationKind", "replay")

OperationKind = Literal["get", "set", "delete", "contains", "ttl", "advance", "expire"]
"""The calls an :class:`Operation` can stand for."""


class CacheLike(Protocol):
    """The engine methods that :func:`replay` calls."""

    def get(self, key: str, now: float) -> Any:
        """Look ``key`` up."""
        ...

    def set(self, key: str, value: Any, now: float, ttl: TTL = None) -> tuple[Removal, ...]:
        """Store ``value`` under ``key``."""
        ...

    def delete(self, key: str, now: float) -> bool:
        """Remove ``key``."""
        ...

    def contains(self, key: str, now: float) -> bool:
        """Whether ``key`` is live."""
        ...

    def ttl(self, key: str, now: float) -> float | None:
        """Seconds left for ``key``."""
        ...

    def expire(self, now: float, limit: int | None = None) -> tuple[Removal, ...]:
        """Reclaim expired entries."""
        ...


@final
@dataclass(frozen=True, slots=True)
class Operation:
    """One call of a workload.

    ``kind`` says which: ``"get"``, ``"set"`` (with ``value`` and ``ttl``),
    ``"delete"``, ``"contains"``, ``"ttl"`` (each on ``key``), ``"advance"`` (the clock
    moves ``seconds`` forward) or ``"expire"`` (with ``limit``).
    """

    kind: OperationKind
    key: str = ""
    value: Any = None
    ttl: TTL = None
    seconds: float = 0.0
    limit: int | None = None


def replay(cache: CacheLike, operations: Iterable[Operation], start: float = 0.0) -> list[Any]:
    """Apply ``operations`` in order, the clock starting at ``start``; the results.

    ``"advance"`` returns the new time; every other operation returns what the call
    returned (removals as tuples of :class:`~pepperpy.caching.Removal`).
    """
    now = start
    results: list[Any] = []
    for op in operations:
        result: Any
        if op.kind == "get":
            result = cache.get(op.key, now)
        elif op.kind == "set":
            result = cache.set(op.key, op.value, now, op.ttl)
        elif op.kind == "delete":
            result = cache.delete(op.key, now)
        elif op.kind == "contains":
            result = cache.contains(op.key, now)
        elif op.kind == "ttl":
            result = cache.ttl(op.key, now)
        elif op.kind == "advance":
            now += op.seconds
            result = now
        elif op.kind == "expire":
            result = cache.expire(now, op.limit)
        else:
            raise ValueError(f"unknown operation kind {op.kind!r}")
        results.append(result)
    return results
