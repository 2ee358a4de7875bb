"""Cancellation never hands a caller another request's reply, and never costs the
connection: many rounds through a delaying proxy, callers cancelled at any moment."""

from __future__ import annotations

import random

import anyio
import pytest

from pepperpy.caching.adapters.redis import RedisCache

from .proxy import proxy_to
from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

KEYS = 40


async def _rounds(cache: RedisCache, rounds: int, seed: int) -> tuple[int, int, int]:
    """``rounds`` calls, about half of them cancelled after a random short while.

    Returns (wrong replies, calls cancelled midway, calls completed).
    """
    rng = random.Random(seed)
    wrong = cancelled = completed = 0
    for _ in range(rounds):
        i = rng.randrange(KEYS)
        cancel = rng.random() < 0.5
        with anyio.move_on_after(rng.uniform(0.0, 0.002) if cancel else 30) as scope:
            if rng.random() < 0.8:
                got: object = await cache.get(f"k{i}")
                expected: object = i
            else:
                wanted = [f"k{j}" for j in rng.sample(range(KEYS), 3)]
                got = await cache.get_many(wanted)
                expected = {k: int(k[1:]) for k in wanted}
        if scope.cancelled_caught:
            cancelled += 1
        else:
            completed += 1
            wrong += got != expected
    return wrong, cancelled, completed


@pytest.mark.slow
async def test_ten_thousand_cancellations_midway_and_no_wrong_reply(
    redis_server: RedisServer, namespace: str
) -> None:
    async with proxy_to(redis_server.port, delay=(0.0, 0.001), seed=7) as proxy:
        cache = RedisCache("127.0.0.1", proxy.port, namespace=namespace, timeout=10)
        async with cache:
            await cache.set_many({f"k{i}": i for i in range(KEYS)})
            results: list[tuple[int, int, int]] = []

            async def caller(seed: int) -> None:
                results.append(await _rounds(cache, 2_500, seed))

            async with anyio.create_task_group() as group:  # four callers, one connection
                for seed in range(4):
                    group.start_soon(caller, seed)
            wrong = sum(r[0] for r in results)
            cancelled = sum(r[1] for r in results)
            completed = sum(r[2] for r in results)
            assert wrong == 0
            assert cancelled + completed == 10_000
            assert cancelled > 2_000  # cancellations did land midway, in numbers
            assert completed > 4_000
            assert proxy.connections == 1  # and never cost the connection
            assert await cache.get("k3") == 3


async def test_cancellations_without_the_watchdog(
    redis_server: RedisServer, namespace: str
) -> None:
    """Not entered, each command keeps its own deadline: the same guarantees."""
    async with proxy_to(redis_server.port, delay=(0.0, 0.001), seed=3) as proxy:
        cache = RedisCache("127.0.0.1", proxy.port, namespace=namespace, timeout=10)
        await cache.set_many({f"k{i}": i for i in range(KEYS)})
        wrong, cancelled, _ = await _rounds(cache, 1_000, seed=11)
        assert wrong == 0
        assert cancelled > 200
        assert proxy.connections == 1
        await cache.aclose()


async def test_concurrent_callers_share_one_connection_and_one_write(
    redis_server: RedisServer, namespace: str
) -> None:
    """Auto-pipelining: what many tasks queue while one write is under way goes out
    together."""
    async with (
        proxy_to(redis_server.port, delay=(0.002, 0.002)) as proxy,
        RedisCache("127.0.0.1", proxy.port, namespace=namespace) as cache,
    ):
        await cache.set_many({f"k{i}": i for i in range(200)})
        before = proxy.writes_from_clients
        results: dict[int, object] = {}

        async def read(i: int) -> None:
            results[i] = await cache.get(f"k{i}")

        async with anyio.create_task_group() as group:
            for i in range(200):
                group.start_soon(read, i)
        assert results == {i: i for i in range(200)}
        assert proxy.connections == 1
        assert proxy.writes_from_clients - before < 20  # 200 commands, a few writes
