"""Run one awaitable per item with bounded concurrency, keeping results in order.

Remote stores answer one request per round trip; a few requests in flight hide that
latency. A handful of worker tasks share the items, so the cost in tasks is fixed per
call, not per item, and an in-process store (whose calls never yield) pays almost
nothing for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import anyio

__all__ = ("each",)

T = TypeVar("T")
R = TypeVar("R")


async def each(
    call: Callable[[T], Awaitable[R]], items: Sequence[T], limit: int
) -> list[R | Exception]:
    """``[await call(item) for item in items]``, at most ``limit`` at a time; an
    ``Exception`` raised for an item takes that item's place in the result (other
    base exceptions, cancellation included, propagate)."""
    results: list[R | Exception] = [None] * len(items)  # type: ignore[list-item]
    indexes = iter(range(len(items)))

    async def work() -> None:
        for index in indexes:  # shared: each index is taken by exactly one worker
            try:
                results[index] = await call(items[index])
            except Exception as exc:
                results[index] = exc

    workers = min(limit, len(items))
    if workers <= 1:
        await work()
        return results
    async with anyio.create_task_group() as group:
        for _ in range(workers):
            group.start_soon(work)
    return results
