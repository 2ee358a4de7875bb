"""Faults on a real server: a stopped server, deadlines, fail-open, cancellation."""

from __future__ import annotations

import contextlib
import logging
import time

import anyio
import pytest
import redis

from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core import BackendError

from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


async def test_a_stopped_server_then_a_restarted_one(
    own_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    strict = RedisCache("127.0.0.1", own_server.port, namespace="f", timeout=1.0)
    lenient = RedisCache("127.0.0.1", own_server.port, namespace="f", timeout=1.0, fail_open=True)
    async with strict, lenient:
        await strict.set_many({"a": 1, "b": 2})
        assert await lenient.get("a") == 1
        own_server.stop()

        for operation in (
            lambda: strict.get("a"),
            lambda: strict.set("a", 3),
            lambda: strict.get_many(["a", "b"]),
            lambda: strict.set_many({"a": 1}),
            lambda: strict.delete("a"),
            lambda: strict.contains("a"),
            lambda: strict.ttl("a"),
            lambda: strict.clear(),
            lambda: lenient.set("a", 3),  # writes raise even when fail-open
        ):
            started = time.monotonic()
            with pytest.raises(BackendError) as info:
                await operation()
            assert time.monotonic() - started < 1.5
            assert "127.0.0.1" in str(info.value)
            assert info.value.__cause__ is not None

        caplog.set_level(logging.WARNING, logger="pepperpy.caching")
        misses = lenient.stats.misses
        assert await lenient.get("a", "dflt") == "dflt"
        assert await lenient.get_many(["a", "b"]) == {}
        assert await lenient.contains("a") is False
        assert await lenient.ttl("a") is None
        assert lenient.stats.misses == misses + 3
        assert lenient.failed_reads == 4
        warnings = [r for r in caplog.records if r.name == "pepperpy.caching"]
        assert len(warnings) == 1  # an outage does not flood the log: one per interval
        assert "fail_open" in warnings[0].getMessage()

        own_server.start()
        # The same cache objects work again, without being reopened.
        await strict.set("a", "back")
        assert await strict.get("a") == "back"
        assert await lenient.get("a") == "back"
        assert await lenient.get_many(["a", "b"]) == {"a": "back"}


async def _pause(client: redis.Redis, millis: int) -> None:
    # CLIENT PAUSE ALL holds every other client's commands; the replies come later.
    client.execute_command("CLIENT", "PAUSE", millis, "ALL")


@pytest.mark.parametrize("entered", [True, False])
async def test_the_deadline_covers_a_stalled_server(
    redis_server: RedisServer, raw: redis.Redis, namespace: str, entered: bool
) -> None:
    """Entered, the watchdog keeps the deadlines; not entered, each command does."""
    cache = RedisCache("127.0.0.1", redis_server.port, namespace=namespace, timeout=0.3)
    async with cache if entered else contextlib.nullcontext(cache):
        await cache.set_many({f"k{i}": i for i in range(20)})
        await _pause(raw, 1500)
        for operation in (
            lambda: cache.get("k1"),
            lambda: cache.get_many(["k1", "k2"]),
            lambda: cache.set("k3", 0),
        ):
            started = time.monotonic()
            with pytest.raises(BackendError, match=r"(?i)timed out|timeout"):
                await operation()
            assert time.monotonic() - started < 0.8  # the pause lasts 1.5 s
        await anyio.sleep(
            1.5
        )  # the pause ends; late replies are dropped, or their connection is gone
        await _check_every_reply_is_its_own(cache, 20)


async def _check_every_reply_is_its_own(cache: RedisCache, count: int) -> None:
    for i in range(count):
        assert await cache.get(f"k{i}") == i
    results: dict[int, object] = {}

    async def read(i: int) -> None:
        results[i] = await cache.get(f"k{i}")

    async with anyio.create_task_group() as tg:
        for i in range(count):  # concurrent: several connections, each must be in sync
            tg.start_soon(read, i)
    assert results == {i: i for i in range(count)}
    assert await cache.get_many([f"k{i}" for i in range(count)]) == {
        f"k{i}": i for i in range(count)
    }


@pytest.mark.parametrize("entered", [True, False])
async def test_cancelling_a_read_never_shifts_replies(
    redis_server: RedisServer, raw: redis.Redis, namespace: str, entered: bool
) -> None:
    """A GET cancelled after it was sent: its reply must not reach the next caller."""
    cache = RedisCache("127.0.0.1", redis_server.port, namespace=namespace)
    async with cache if entered else contextlib.nullcontext(cache):
        await cache.set_many({f"k{i}": i for i in range(20)})
        for victim in ("get", "get_many", "contains"):
            await _pause(raw, 300)
            with anyio.move_on_after(0.05) as scope:
                if victim == "get":
                    await cache.get("k0")
                elif victim == "get_many":
                    await cache.get_many(["k1", "k2"])
                else:
                    await cache.contains("k3")
            assert scope.cancelled_caught
            await anyio.sleep(0.3)
            await _check_every_reply_is_its_own(cache, 20)


async def test_cancelling_on_a_cluster_never_shifts_replies(
    redis_cluster: list[RedisServer], namespace: str
) -> None:
    cache = RedisCache(startup_nodes=[("127.0.0.1", redis_cluster[0].port)], namespace=namespace)
    async with cache:
        await cache.set_many({f"k{i}": i for i in range(20)})
        for node in redis_cluster:
            with node.client() as client:
                await _pause(client, 300)
        with anyio.move_on_after(0.05) as scope:
            await cache.get("k0")
        assert scope.cancelled_caught
        await anyio.sleep(0.3)
        await _check_every_reply_is_its_own(cache, 20)


async def test_redis_errors_become_backend_errors(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    raw.rpush(f"{namespace}:list", b"x")
    async with RedisCache("127.0.0.1", redis_server.port, namespace=namespace) as cache:
        for _ in range(3):
            with pytest.raises(BackendError, match="WRONGTYPE"):
                await cache.get("list")
        assert await cache.get_many(["list"]) == {}  # MGET answers nil for other types
        await cache.set("ok", 1)  # the connection that got the error reply is still good
        assert await cache.get("ok") == 1
