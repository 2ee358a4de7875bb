"""The near cache on a real server: local hits, and every change another client makes
(write, delete, expiry, eviction, flush) reaches it; asyncio and trio, RESP3 and RESP2,
broadcast and per-key tracking."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
import redis

from pepperpy.caching import BackendError, ConfigurationError, NearCache
from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core.resp import encode_command

from .near_helpers import local, near_up, until
from .proxy import proxy_to
from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

MODES = [
    pytest.param((3, "bcast"), id="resp3-bcast"),
    pytest.param((2, "bcast"), id="resp2-bcast"),
    pytest.param((3, "default"), id="resp3-default"),
    pytest.param((2, "default"), id="resp2-default"),
]


@pytest.fixture(params=MODES)
async def near(
    request: pytest.FixtureRequest, redis_server: RedisServer, namespace: str
) -> AsyncIterator[RedisCache]:
    protocol, tracking = request.param
    cache = RedisCache(
        "127.0.0.1",
        redis_server.port,
        namespace=namespace,
        near_cache=NearCache(max_size=100, tracking=tracking),
        connection_options={"protocol": protocol},
    )
    async with cache:
        await near_up(cache)
        yield cache


async def test_reads_are_kept_and_served_locally(near: RedisCache) -> None:
    await near.set("k", {"v": 1})
    assert await near._sync_near()  # our own write's echo came
    assert await near.get("k") == {"v": 1}  # from Redis, kept
    assert local(near, "k")
    for _ in range(10):
        assert await near.get("k") == {"v": 1}
    stats = near.stats
    assert stats.near is not None
    assert stats.near.local_hits == 10
    assert stats.near.remote_hits == 1
    assert stats.hits == 11
    assert await near.get("absent", "d") == "d"
    assert near.stats.misses == 1
    assert await near.contains("k")


async def test_get_many_mixes_local_and_remote(near: RedisCache, raw: redis.Redis) -> None:
    await near.set_many({"a": 1, "b": 2, "c": 3})
    assert await near._sync_near()  # our own write's echo came
    assert await near.get("a") == 1
    assert await near.get_many(["a", "b", "c", "d"]) == {"a": 1, "b": 2, "c": 3}
    assert all(local(near, k) for k in "abc")
    assert near.stats.near is not None
    assert near.stats.near.local_hits == 1


async def test_another_client_writes(near: RedisCache, raw: redis.Redis) -> None:
    ns = near.namespace
    await near.set("k", 1)
    assert await near._sync_near()  # our own write's echo came
    assert await near.get("k") == 1
    raw.set(f"{ns}:k", b"2")
    await until(lambda: not local(near, "k"), "the write invalidated the key")
    assert await near.get("k") == 2
    assert near.stats.near is not None
    assert near.stats.near.invalidations >= 1


async def test_another_client_deletes(near: RedisCache, raw: redis.Redis) -> None:
    await near.set("k", 1)
    assert await near._sync_near()  # our own write's echo came
    assert await near.get("k") == 1
    raw.delete(f"{near.namespace}:k")
    await until(lambda: not local(near, "k"), "the delete invalidated the key")
    assert await near.get("k") is None


async def test_another_client_sets_an_expiry(near: RedisCache, raw: redis.Redis) -> None:
    await near.set("k", 1)
    assert await near._sync_near()  # our own write's echo came
    assert await near.get("k") == 1
    raw.pexpire(f"{near.namespace}:k", 50)
    await until(lambda: not local(near, "k"), "the new TTL invalidated the key")
    assert await near.get("k") in (1, None)  # read again with its TTL
    await until(lambda: raw.exists(f"{near.namespace}:k") == 0, "expired on the server")
    await until(lambda: not local(near, "k"), "gone locally once expired")
    assert await near.get("k") is None


async def test_server_side_expiry(near: RedisCache, raw: redis.Redis) -> None:
    # Written with a TTL through the cache: the local copy never outlives it, and the
    # server's invalidation arrives when it reclaims the key.
    await near.set("k", 1, ttl=1.0)
    assert await near._sync_near()  # our own write's echo came
    assert await near.get("k") == 1
    assert local(near, "k")
    await until(lambda: not local(near, "k"), "expired locally with the server's TTL")
    await until(lambda: raw.exists(f"{near.namespace}:k") == 0, "expired on the server")
    assert await near.get("k") is None


async def test_server_expiry_invalidates_a_key_without_a_local_deadline(
    near: RedisCache, raw: redis.Redis
) -> None:
    await near.set("k", 1, ttl=0.3)
    assert await near._sync_near()  # our own write's echo came
    assert await near.get("k") == 1
    assert await near._sync_near()  # the set's own invalidation (bcast) has come
    before = near.stats.near.invalidations  # type: ignore[union-attr]
    await until(
        lambda: near.stats.near.invalidations > before,  # type: ignore[union-attr]
        "the server's expiry sent an invalidation",
    )


async def test_flushdb_and_flushall(near: RedisCache, raw: redis.Redis) -> None:
    for flush in (raw.flushdb, raw.flushall):
        await near.set("k", 1)
        assert await near._sync_near()  # our own write's echo came
        assert await near.get("k") == 1
        flushes = near.stats.near.flushes  # type: ignore[union-attr]
        flush()
        await until(lambda: not local(near, "k"), "the flush emptied the local copy")
        assert near.stats.near.flushes == flushes + 1  # type: ignore[union-attr]
        assert await near.get("k") is None


async def test_writes_through_the_cache_update_the_local_copy(near: RedisCache) -> None:
    await near.set("k", 1)
    assert await near.get("k") == 1
    await near.set("k", 2)
    assert await near.get("k") == 2
    assert await near.delete("k")
    assert await near.get("k") is None
    await near.set_many({"a": 1, "b": 1})
    assert await near.get_many(["a", "b"]) == {"a": 1, "b": 1}
    await near.set_many({"a": 2, "b": 2})
    assert await near.get_many(["a", "b"]) == {"a": 2, "b": 2}
    assert await near.delete_many(["a", "b"]) == 2
    assert await near.get_many(["a", "b"]) == {}
    await near.set_many({"p:1": 1, "p:2": 2, "q": 3})
    assert await near.get_many(["p:1", "p:2", "q"]) == {"p:1": 1, "p:2": 2, "q": 3}
    assert await near.delete_prefix("p:") == 2
    assert await near.get_many(["p:1", "p:2", "q"]) == {"q": 3}
    await near.clear()
    assert await near.get("q") is None


async def test_server_eviction_invalidates(own_server: RedisServer, namespace: str) -> None:
    # volatile-ttl evicts only keys with a TTL, shortest first: the victim is the one
    # key with a TTL, so it is the one evicted once memory runs out.
    with own_server.client() as admin:
        admin.config_set("maxmemory-policy", "volatile-ttl")
        cache = RedisCache(
            "127.0.0.1", own_server.port, namespace=namespace, near_cache=NearCache()
        )
        async with cache:
            await cache.set("victim", "x", ttl=600)
            assert await cache._sync_near()  # our own write's echo came
            assert await cache.get("victim") == "x"
            assert local(cache, "victim")
            admin.config_set("maxmemory", int(admin.info("memory")["used_memory"]) + 500_000)
            filler = "y" * 10_000
            for index in range(1000):
                try:
                    admin.set(f"{namespace}:fill:{index}", filler)
                except redis.ResponseError:  # out of memory: nothing left to evict
                    break
                if not admin.exists(f"{namespace}:victim"):
                    break
            assert not admin.exists(f"{namespace}:victim")
            await until(lambda: not local(cache, "victim"), "the eviction invalidated")
            assert await cache.get("victim") is None


async def test_outside_async_with_reads_go_to_redis(
    redis_server: RedisServer, namespace: str
) -> None:
    cache = RedisCache("127.0.0.1", redis_server.port, namespace=namespace, near_cache=NearCache())
    await cache.set("k", 1)
    assert not await cache._sync_near()  # no channel outside async with
    assert await cache.get("k") == 1
    assert await cache.get("k") == 1
    stats = cache.stats
    assert stats.near is not None
    assert stats.near.local_hits == 0
    assert stats.hits == 2
    await cache.aclose()


def test_near_cache_must_be_settings() -> None:
    with pytest.raises(ConfigurationError, match="near_cache"):
        RedisCache(near_cache={"max_size": 3})  # type: ignore[arg-type]
    assert RedisCache(near_cache=NearCache(max_size=3)).near_cache == NearCache(max_size=3)
    assert RedisCache().near_cache is None


async def test_entering_waits_for_tracking(redis_server: RedisServer, namespace: str) -> None:
    cache = RedisCache("127.0.0.1", redis_server.port, namespace=namespace, near_cache=NearCache())
    async with cache:
        assert cache._near is not None
        assert cache._near.state.up  # the first read may already be kept
    assert cache._near is None


async def test_entering_with_the_server_down_goes_on(port_rng: random.Random) -> None:
    from .servers import free_port

    port = free_port(port_rng)
    cache = RedisCache("127.0.0.1", port, timeout=0.5, near_cache=NearCache())
    async with cache:
        assert cache._near is not None
        assert not cache._near.state.up
        with pytest.raises(BackendError):
            await cache.get("k")


async def test_channel_dropped_flushes_then_tracks_again(
    near: RedisCache, raw: redis.Redis
) -> None:
    await near.set("k", 1)
    assert await near._sync_near()
    assert await near.get("k") == 1
    assert local(near, "k")
    tracker = near._near
    assert tracker is not None
    (channel,) = tracker._channels.values()
    flushes = near.stats.near.flushes  # type: ignore[union-attr]
    raw.client_kill_filter(_id=channel.client_id)
    await until(lambda: not local(near, "k"), "flushed when the channel dropped")
    assert near.stats.near.flushes == flushes + 1  # type: ignore[union-attr]
    await near_up(near)
    assert await near.get("k") == 1
    assert local(near, "k")
    raw.set(f"{near.namespace}:k", b"2")
    await until(lambda: not local(near, "k"), "invalidated on the new channel")
    assert await near.get("k") == 2


async def test_data_connection_dropped_flushes(near: RedisCache, raw: redis.Redis) -> None:
    await near.set("k", 1)
    assert await near._sync_near()
    assert await near.get("k") == 1
    runner = near._runner
    assert runner is not None
    client_id = await runner.call_on(-1, encode_command((b"CLIENT", b"ID")), runner.deadline())
    assert isinstance(client_id, int)
    raw.client_kill_filter(_id=client_id)
    await near.delete("other")  # finds the connection gone, and retries on a new one
    await until(lambda: not local(near, "k"), "flushed when the data connection dropped")
    await near_up(near)
    assert await near.get("k") == 1


async def test_atomic_writes_and_tags_through_the_cache(near: RedisCache) -> None:
    assert await near.add("n", 1)
    assert await near.get("n") == 1
    assert await near.incr("n", 2) == 3
    assert await near.get("n") == 3
    assert not await near.add("n", 10)
    assert await near.get("n") == 3
    assert await near.expire("n", 1.0)
    assert await near.get("n") == 3  # read again, now with its TTL
    await until(lambda: not local(near, "n"), "gone locally with its new TTL")

    async def expired() -> bool:
        value = await near.get("n")
        assert value in (3, None)
        return value is None

    await until(expired, "expired in Redis too")
    await near.set("t", "tagged", tags=["group"])
    assert await near.get("t") == "tagged"
    assert await near.invalidate_tags("group") == 1
    assert await near.get("t") is None


async def test_a_silent_network_is_noticed(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    """Nothing comes through any more, but no connection ends (a partition): the
    heartbeat notices, and the local copy is flushed."""
    async with proxy_to(redis_server.port) as proxy:
        cache = RedisCache(
            "127.0.0.1", proxy.port, namespace=namespace, timeout=0.5, near_cache=NearCache()
        )
        async with cache:
            await cache.set("k", 1)
            assert await cache._sync_near()
            assert await cache.get("k") == 1
            assert local(cache, "k")
            proxy.delay = (60.0, 60.0)  # every byte from now on is held back
            raw.set(f"{namespace}:k", b"2")  # unheard
            await until(lambda: not local(cache, "k"), "flushed by the heartbeat")
            assert cache._near is not None
            assert not cache._near.state.up
