"""Helpers of the near cache tests: waiting, with a bound, for what the server sends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from pepperpy.caching.adapters.redis import RedisCache

WAIT = 10.0
"""Seconds any wait for the server may take before the test fails."""


async def until(check: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    """Poll ``check`` until it holds; fail after :data:`WAIT` seconds."""
    with anyio.move_on_after(WAIT):
        while True:
            result = check()
            if not isinstance(result, bool):
                result = await result
            if result:
                return
            await anyio.sleep(0.005)
    raise AssertionError(f"not within {WAIT} s: {what}")


async def near_up(cache: RedisCache) -> None:
    """Wait until the near cache's channels are up (values are kept and served)."""
    await until(lambda: cache._near is not None and cache._near.state.up, "near cache up")


def local(cache: RedisCache, key: str) -> bool:
    """Whether the near cache holds ``key``."""
    near = cache._near
    return near is not None and near.state.holds(key, near.clock())
