"""Closing a cache's connections when their event loop shuts down.

Connections belong to the event loop they were opened on and cannot be closed once
it is gone. Both asyncio's shutdown (``asyncio.run``, ``anyio.run``) and trio's
finalize every async generator still open while the loop still runs: this guard is
such a generator, started on the loop the connections belong to, whose ``finally``
closes them. It also fires if its owner is dropped without being closed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable

import anyio

__all__ = ("LoopGuard",)


class LoopGuard:
    """Runs ``close`` when :meth:`close` is called or the event loop shuts down."""

    def __init__(self, close: Callable[[], Awaitable[None]]) -> None:
        self._close = close
        self._generator: AsyncGenerator[None, None] | None = None

    async def _guard(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await self._close()

    async def start(self) -> None:
        """Arm the guard on the running loop."""
        generator = self._guard()
        await generator.__anext__()
        self._generator = generator

    async def close(self) -> None:
        """Close the connections now (and disarm)."""
        generator, self._generator = self._generator, None
        with anyio.CancelScope(shield=True):
            if generator is None:
                await self._close()
            else:
                await generator.aclose()

    def disarm(self) -> None:
        """Forget the guard (its loop is gone; it already ran if the loop shut down)."""
        self._generator = None
