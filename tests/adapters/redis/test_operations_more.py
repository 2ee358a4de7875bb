"""add, incr, expire, touch and tags on real servers (single node and cluster), on
asyncio and trio."""

from __future__ import annotations

import anyio
import pytest
import redis
import redis.cluster

from pepperpy.caching import NotAnIntegerError
from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core import ConfigurationError, InvalidKeyError

from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


def single(server: RedisServer, namespace: str, **kwargs: object) -> RedisCache:
    return RedisCache("127.0.0.1", server.port, namespace=namespace, **kwargs)  # type: ignore[arg-type]


def cluster(nodes: list[RedisServer], namespace: str) -> RedisCache:
    return RedisCache(startup_nodes=[("127.0.0.1", nodes[0].port)], namespace=namespace)


async def test_add_incr_expire_touch(redis_server: RedisServer, namespace: str) -> None:
    async with single(redis_server, namespace) as cache:
        assert await cache.add("a", {"x": 1}, ttl=60) is True
        assert await cache.add("a", "other") is False
        assert await cache.get("a") == {"x": 1}
        assert 59 < (await cache.ttl("a") or 0) <= 60

        assert await cache.incr("n") == 1
        assert await cache.incr("n", 41) == 42
        assert await cache.incr("n", -2) == 40
        assert await cache.get("n") == 40  # plain JSON digits, read back as an int
        await cache.set("s", "text")
        with pytest.raises(NotAnIntegerError, match="'s'"):
            await cache.incr("s")
        await cache.set("f", 1.5)
        with pytest.raises(NotAnIntegerError):
            await cache.incr("f")
        assert await cache.get("s") == "text"  # a refused incr changes nothing

        assert await cache.expire("a", 0.5) is True
        assert 0 < (await cache.ttl("a") or 0) <= 0.5
        assert await cache.expire("missing", 10) is False
        assert await cache.touch("n") is True
        assert await cache.touch("missing") is False
        assert await cache.ttl("n") is None  # touch leaves the TTL alone
    async with single(redis_server, namespace, serializer="string") as text:
        with pytest.raises(ConfigurationError, match="digits"):
            await text.incr("n")


async def test_concurrent_incr_is_atomic(redis_server: RedisServer, namespace: str) -> None:
    async with single(redis_server, namespace) as one, single(redis_server, namespace) as two:

        async def bump(cache: RedisCache) -> None:
            for _ in range(50):
                await cache.incr("hits")

        async with anyio.create_task_group() as group:
            for cache in (one, two, one, two):
                group.start_soon(bump, cache)
        assert await one.get("hits") == 200


async def test_tags_single_node(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    async with single(redis_server, namespace) as cache:
        await cache.set("u1", 1, tags=("user:1", "all"))
        await cache.set("u1-profile", 2, ttl=60, tags=["user:1"])
        await cache.set("u2", 3, ttl=30, tags=("user:2", "all"))
        await cache.set("plain", 4)
        assert await cache.invalidate_tags("user:1") == 2
        assert await cache.get("u1") is None
        assert await cache.get("u1-profile") is None
        assert await cache.get("u2") == 3
        # The invalidated tag's set is gone; another tag's set still names u1 (there is
        # no index from keys to tags) until that set expires or is invalidated.
        assert not raw.exists(f"\x00pp:tag:{namespace}:user:1")
        assert raw.smembers(f"\x00pp:tag:{namespace}:all") == {
            f"{namespace}:u1".encode(),
            f"{namespace}:u2".encode(),
        }
        assert await cache.invalidate_tags("user:1", "nobody") == 0
        assert await cache.invalidate_tags() == 0
        assert await cache.invalidate_tags("all", "user:2") == 1
        assert await cache.get("plain") == 4
        with pytest.raises(InvalidKeyError):
            await cache.set("k", 1, tags="user:1")  # type: ignore[arg-type]
        # Tag sets never list among the namespace's keys.
        assert sorted([k async for k in cache.iter_keys()]) == ["plain"]


async def test_a_tag_set_lives_as_long_as_its_longest_member(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    tag = f"\x00pp:tag:{namespace}:t"
    async with single(redis_server, namespace) as cache:
        await cache.set("a", 1, ttl=10, tags=("t",))
        assert 9_000 < raw.pttl(tag) <= 10_000
        await cache.set("b", 1, ttl=100, tags=("t",))
        assert 99_000 < raw.pttl(tag) <= 100_000  # raised to the longer member
        await cache.set("c", 1, ttl=5, tags=("t",))
        assert raw.pttl(tag) > 99_000  # never lowered
        await cache.set("d", 1, tags=("t",))
        assert raw.pttl(tag) == -1  # a member without TTL keeps it for ever
        await cache.set("e", 1, ttl=0.05, tags=("short",))
        await anyio.sleep(0.1)
        assert not raw.exists(f"\x00pp:tag:{namespace}:short")  # gone with its member
        await cache.clear()  # the namespace's tag sets go with it
        assert not raw.exists(tag)


async def test_tags_on_a_cluster_across_slots(
    redis_cluster: list[RedisServer], raw_cluster: redis.cluster.RedisCluster, namespace: str
) -> None:
    async with cluster(redis_cluster, namespace) as cache:
        keys = [f"k{i}" for i in range(40)]  # spread over every node
        for i, key in enumerate(keys):
            await cache.set(key, i, ttl=60, tags=("even" if i % 2 == 0 else "odd", "all"))
        assert await cache.invalidate_tags("even") == 20
        assert await cache.get_many(keys) == {k: i for i, k in enumerate(keys) if i % 2}
        assert await cache.invalidate_tags("all") == 20
        assert await cache.get_many(keys) == {}
        assert await cache.add("a", 1) is True
        assert await cache.incr("n", 3) == 3
        assert await cache.expire("a", 30) is True
        assert await cache.touch("a") is True
        await cache.clear()


async def test_namespaces_over_redis_keep_their_own_tags(
    redis_server: RedisServer, namespace: str
) -> None:
    from pepperpy.caching import Cache

    async with single(redis_server, namespace) as store:
        users, teams = Cache(store, namespace="users"), Cache(store, namespace="teams")
        await users.set("1", "ada", tags=("t",))
        await teams.set("1", "core", tags=("t",))
        await store.set("1", "bare", tags=("t",))
        assert await users.invalidate_tags("t") == 1
        assert await users.get("1") is None
        assert await teams.get("1") == "core"
        assert await store.get("1") == "bare"
        assert await users.add("n", 1) is True
        assert await users.add("n", 2) is False
        assert await users.incr("n", 4) == 5
        assert await store.get("users:n") == 5
        assert await users.expire("n", 60) is True
        assert await users.touch("n") is True
        assert await users.touch("gone") is False
        assert await teams.invalidate_tags("t") == 1
        assert await store.invalidate_tags("t") == 1
