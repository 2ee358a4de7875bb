"""Connections belong to an event loop: a cache moves between loops and reopens cleanly."""

from __future__ import annotations

import gc

import anyio
import pytest

from pepperpy.caching.adapters.redis import RedisCache

from .servers import RedisServer

pytestmark = [pytest.mark.redis]


@pytest.mark.parametrize(
    "backends",
    [("asyncio", "asyncio"), ("asyncio", "trio"), ("trio", "asyncio"), ("trio", "trio")],
)
def test_one_cache_used_on_successive_event_loops(
    redis_server: RedisServer, namespace: str, backends: tuple[str, str]
) -> None:
    cache = RedisCache("127.0.0.1", redis_server.port, namespace=namespace)

    async def write() -> None:
        await cache.set_many({"a": 1, "b": 2})
        assert await cache.get("a") == 1  # leaves an open connection behind

    async def read() -> None:
        assert await cache.get_many(["a", "b"]) == {"a": 1, "b": 2}
        async with cache.subscribe(namespace) as sub:
            await cache.publish(namespace, "hi")
            assert (await sub.__anext__()).data == "hi"
        await cache.aclose()

    anyio.run(write, backend=backends[0])
    anyio.run(read, backend=backends[1])
    gc.collect()  # nothing left unclosed (warnings are errors in this suite)


@pytest.mark.anyio
async def test_aclose_then_use_again(redis_server: RedisServer, namespace: str) -> None:
    cache = RedisCache("127.0.0.1", redis_server.port, namespace=namespace)
    async with cache:
        await cache.set("k", 1)
    await cache.aclose()  # twice is fine
    assert await cache.get("k") == 1  # reopened on use
    async with cache:
        assert await cache.contains("k")
    await cache.clear()
    await cache.aclose()
