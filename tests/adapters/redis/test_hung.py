"""A server that stops answering, or dies: every call fails within its deadline, and
the same cache recovers by itself."""

from __future__ import annotations

import os
import signal
import time

import anyio
import pytest

from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core import BackendError

from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

TIMEOUT = 0.5
SLACK = 0.25  # scheduling on a busy machine


async def _recovers(cache: RedisCache, key: str, value: object) -> None:
    with anyio.fail_after(10):
        while True:
            try:
                assert await cache.get(key) == value
                return
            except BackendError:
                await anyio.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("entered", [True, False])
async def test_a_stopped_process_fails_every_call_within_its_deadline(
    own_server: RedisServer, entered: bool
) -> None:
    """SIGSTOP for 3 s: the server's socket accepts bytes and answers nothing."""
    assert own_server.process is not None
    cache = RedisCache("127.0.0.1", own_server.port, namespace="h", timeout=TIMEOUT)
    if entered:
        await cache.__aenter__()
    try:
        await cache.set_many({f"k{i}": i for i in range(10)})
        os.kill(own_server.process.pid, signal.SIGSTOP)
        try:
            stop = time.monotonic() + 3
            durations: list[float] = []
            failures: list[BaseException] = []

            async def call(i: int) -> None:
                started = time.monotonic()
                try:
                    await cache.get(f"k{i % 10}")
                except BackendError as error:
                    failures.append(error)
                else:  # pragma: no cover - a stopped server cannot answer
                    failures.append(AssertionError("a stopped server answered"))
                durations.append(time.monotonic() - started)

            while time.monotonic() < stop:
                async with anyio.create_task_group() as group:
                    for i in range(5):  # concurrent callers on one connection
                        group.start_soon(call, i)
            assert all(isinstance(f, BackendError) for f in failures)
            assert len(failures) >= 15
            assert max(durations) < TIMEOUT + SLACK
        finally:
            os.kill(own_server.process.pid, signal.SIGCONT)
        await _recovers(cache, "k3", 3)  # the same cache object, no reopening
        assert await cache.get_many(["k1", "k2"]) == {"k1": 1, "k2": 2}
    finally:
        await cache.aclose()


async def test_killed_and_restarted(own_server: RedisServer) -> None:
    assert own_server.process is not None
    async with RedisCache("127.0.0.1", own_server.port, namespace="h", timeout=TIMEOUT) as cache:
        await cache.set("k", 1)
        own_server.kill()  # no goodbye: the connection just ends
        for _ in range(3):
            started = time.monotonic()
            with pytest.raises(BackendError, match=r"127\.0\.0\.1"):
                await cache.get("k")
            assert time.monotonic() - started < TIMEOUT + SLACK
        own_server.start()  # empty: no persistence
        await _recovers(cache, "k", None)
        await cache.set("k", 2)
        assert await cache.get("k") == 2
