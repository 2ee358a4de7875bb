"""No worker thread anywhere in a Redis call: the protocol is the library's own, on
the event loop's sockets, on trio as on asyncio."""

from __future__ import annotations

import sys
import threading
from typing import Any

import anyio
import anyio.to_thread
import pytest

from pepperpy.caching.adapters.redis import RedisCache

from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a worker thread was asked for")


async def test_no_worker_thread_in_any_call(
    redis_server: RedisServer, namespace: str, anyio_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(anyio.to_thread, "run_sync", _refuse)
    if anyio_backend == "trio":
        trio = sys.modules["trio"]
        # The primitive under trio.to_thread and trio's getaddrinfo alike.
        monkeypatch.setattr(trio.lowlevel, "start_thread_soon", _refuse)
        monkeypatch.setattr(trio.to_thread, "run_sync", _refuse)
    else:
        asyncio = sys.modules["asyncio"]
        monkeypatch.setattr(asyncio.get_running_loop(), "run_in_executor", _refuse)
    before = set(threading.enumerate())
    # An IP address is connected to directly; a host name would be resolved in a thread.
    async with RedisCache("127.0.0.1", redis_server.port, namespace=namespace) as cache:
        await cache.set("k", {"v": 1}, ttl=30)
        assert await cache.get("k") == {"v": 1}
        await cache.set_many({f"m{i}": i for i in range(1500)}, ttl=30)
        assert len(await cache.get_many([f"m{i}" for i in range(1500)])) == 1500
        assert await cache.contains("k")
        assert await cache.ttl("k")
        async with cache.subscribe(namespace) as sub:
            await cache.publish(namespace, "x")
            assert (await sub.__anext__()).data == "x"
        assert len([k async for k in cache.iter_keys()]) == 1501
        await cache.clear()
    assert set(threading.enumerate()) == before
