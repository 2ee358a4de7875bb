"""RedisCache against a real server: the cache interface, on asyncio and on trio."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import anyio
import pytest
import redis
import redis.asyncio

from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core import (
    MAX_TTL,
    ConfigurationError,
    InvalidKeyError,
    InvalidTTLError,
    SerializationError,
    TTLTypeError,
)

from ...conftest import redis_binaries_or_skip
from .servers import RedisServer, free_port

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


def cache_for(server: RedisServer, namespace: str | None, **kwargs: object) -> RedisCache:
    return RedisCache("127.0.0.1", server.port, namespace=namespace, **kwargs)  # type: ignore[arg-type]


async def test_round_trip_and_plain_json_on_the_wire(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    async with cache_for(redis_server, namespace) as cache:
        value = {"name": "Ada", "tags": ["x", "y"], "n": 3, "f": 0.5, "ok": True, "none": None}
        await cache.set("j", value)
        assert await cache.get("j") == value
        # Other tools find the key under "namespace:key", as plain JSON.
        assert json.loads(raw.get(f"{namespace}:j")) == value  # type: ignore[arg-type]
        assert await cache.get("missing") is None
        assert await cache.get("missing", "dflt") == "dflt"
        await cache.set("none", None)
        assert await cache.get("none", "dflt") is None  # a stored None is a hit
        stats = cache.stats
        assert (stats.hits, stats.misses) == (2, 2)
        assert stats.hit_ratio == 0.5
        assert (stats.evictions, stats.expirations) == (0, 0)


async def test_contains_delete_and_overwrite(redis_server: RedisServer, namespace: str) -> None:
    async with cache_for(redis_server, namespace) as cache:
        assert not await cache.contains("k")
        await cache.set("k", 1, ttl=100)
        assert await cache.contains("k")
        await cache.set("k", 2)  # overwriting replaces the TTL too
        assert await cache.ttl("k") is None
        assert await cache.get("k") == 2
        assert await cache.delete("k") is True
        assert await cache.delete("k") is False
        assert not await cache.contains("k")
        assert cache.stats.hits == 1  # contains and delete are no lookups


async def test_ttl_agrees_with_pttl(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    async with cache_for(redis_server, namespace) as cache:
        await cache.set("k", "v", ttl=timedelta(seconds=50))
        left = await cache.ttl("k")
        pttl = raw.pttl(f"{namespace}:k")
        assert left is not None
        assert 49.0 < left <= 50.0
        assert abs(left - pttl / 1000) < 0.5
        assert await cache.ttl("missing") is None
        await cache.set("forever", 1)
        assert await cache.ttl("forever") is None
        assert await cache.contains("forever")


async def test_a_tiny_ttl_expires_and_never_persists(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    async with cache_for(redis_server, namespace) as cache:
        await cache.set("tiny", "v", ttl=0.0001)
        assert 0 <= raw.pttl(f"{namespace}:tiny") <= 1 or not raw.exists(f"{namespace}:tiny")
        await anyio.sleep(0.01)
        assert await cache.get("tiny") is None
        assert not raw.exists(f"{namespace}:tiny")
        await cache.set_many({"a": 1, "b": 2}, ttl=0.0001)
        await anyio.sleep(0.01)
        assert await cache.get_many(["a", "b"]) == {}


async def test_default_ttl(redis_server: RedisServer, raw: redis.Redis, namespace: str) -> None:
    async with cache_for(redis_server, namespace, default_ttl=30) as cache:
        await cache.set("k", 1)
        assert 29_000 < raw.pttl(f"{namespace}:k") <= 30_000
        await cache.set("k", 1, ttl=100)
        assert raw.pttl(f"{namespace}:k") > 30_000


@pytest.mark.parametrize("ttl", [None, 60])
async def test_batches(
    redis_server: RedisServer, raw: redis.Redis, namespace: str, ttl: int | None
) -> None:
    async with cache_for(redis_server, namespace) as cache:
        mapping = {f"k{i}": {"i": i} for i in range(2345)}
        await cache.set_many(mapping, ttl=ttl)
        if ttl is not None:
            assert 0 < raw.pttl(f"{namespace}:k7") <= 60_000
        wanted = [*mapping, "nope1", "nope2"]
        assert await cache.get_many(wanted) == mapping
        assert await cache.get_many([]) == {}
        assert cache.stats.hits == 2345
        assert cache.stats.misses == 2
        assert await cache.delete_many(["k1", "k2", "nope"]) == 2
        assert await cache.delete_many(f"k{i}" for i in range(3, 2345)) == 2342
        assert await cache.get_many(mapping) == {"k0": {"i": 0}}
        assert await cache.delete_many([]) == 0


async def test_get_or_set_is_inherited(redis_server: RedisServer, namespace: str) -> None:
    calls = 0

    async def factory() -> list[int]:
        nonlocal calls
        calls += 1
        # Longer than any concurrent GET takes, even while worker threads start: a GET
        # sent before the flight began and answered after it ended would start another.
        await anyio.sleep(0.3)
        return [1, 2]

    async with cache_for(redis_server, namespace) as cache:
        results: list[object] = []

        async def one() -> None:
            results.append(await cache.get_or_set("k", factory, ttl=10))

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(one)
        assert results == [[1, 2]] * 5
        assert calls == 1


async def test_keys_may_hold_anything(redis_server: RedisServer, raw: redis.Redis) -> None:
    async with cache_for(redis_server, "odd") as cache:
        keys = ["", "a:b", "*", "?[x]", "\\", "é ü", "\ud800", "\x00bin"]
        await cache.set_many({k: k for k in keys})
        assert await cache.get_many(keys) == {k: k for k in keys}
        assert raw.exists(b"odd:a:b")
        assert await cache.delete_many(keys) == len(keys)


async def test_bad_input_leaves_redis_unchanged(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    async with cache_for(redis_server, namespace) as cache:
        await cache.set("k", "before")
        snapshot = raw.dump(f"{namespace}:k")
        with pytest.raises(InvalidKeyError):
            await cache.set(1, "x")  # type: ignore[arg-type]
        with pytest.raises(InvalidKeyError):
            await cache.get(b"k")  # type: ignore[arg-type]
        with pytest.raises(InvalidKeyError):
            await cache.set_many({"k": "after", 2: "x"})  # type: ignore[dict-item]
        with pytest.raises(InvalidKeyError):
            await cache.delete_many(["k", None])  # type: ignore[list-item]
        for bad_ttl in (0, -1, float("nan"), float("inf"), timedelta(0), 1e308, 9.3e15):
            with pytest.raises(InvalidTTLError):
                await cache.set("k", "after", ttl=bad_ttl)
            with pytest.raises(InvalidTTLError):
                await cache.set_many({"k": "after"}, ttl=bad_ttl)
        for bad_type in (True, "10", b"1"):
            with pytest.raises(TTLTypeError):
                await cache.set("k", "after", ttl=bad_type)  # type: ignore[arg-type]
        with pytest.raises(SerializationError, match="set"):
            await cache.set("k", {1, 2})
        with pytest.raises(SerializationError):
            await cache.set_many({"k": "after", "other": object()})
        assert raw.dump(f"{namespace}:k") == snapshot
        assert raw.pttl(f"{namespace}:k") == -1
        assert not raw.exists(f"{namespace}:other")
        assert await cache.get("k") == "before"


async def test_the_longest_ttl_accepted_is_one_redis_holds(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    async with cache_for(redis_server, namespace) as cache:
        await cache.set("long", "v", ttl=MAX_TTL)
        await cache.set_many({"many": "v"}, ttl=MAX_TTL)
        assert raw.pttl(f"{namespace}:long") > 9e18
        assert raw.pttl(f"{namespace}:many") > 9e18
        assert await cache.get("long") == "v"


async def test_unencodable_values_name_their_type(
    redis_server: RedisServer, namespace: str
) -> None:
    class Point:
        pass

    async with cache_for(redis_server, namespace) as cache:
        with pytest.raises(SerializationError, match="Point"):
            await cache.set("k", Point())


async def test_planted_payloads_are_serialization_errors(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    raw.set(f"{namespace}:bad", b"\x80\x04not json")
    async with cache_for(redis_server, namespace, fail_open=True) as cache:
        with pytest.raises(SerializationError):
            await cache.get("bad")
        with pytest.raises(SerializationError):
            await cache.get_many(["bad"])


def test_configuration_errors() -> None:
    with pytest.raises(ConfigurationError):
        RedisCache(namespace="")
    with pytest.raises(ConfigurationError):
        RedisCache(namespace="a:b")
    with pytest.raises(ConfigurationError):
        RedisCache(timeout=0)
    with pytest.raises(ConfigurationError):
        RedisCache(url="http://example.com")
    with pytest.raises(ConfigurationError):
        RedisCache(url="redis://h:notaport")
    with pytest.raises(ConfigurationError):
        RedisCache(cluster=True, db=3)
    with pytest.raises(ConfigurationError):
        RedisCache(client=object())
    with pytest.raises(ConfigurationError, match="unknown connection_options"):
        RedisCache(connection_options={"decode_responses": True})
    with pytest.raises(ConfigurationError, match="protocol"):
        RedisCache(connection_options={"protocol": 4})
    with pytest.raises(ConfigurationError):
        RedisCache(url="redis://h:1/notadb")
    with pytest.raises(InvalidTTLError):
        RedisCache(default_ttl=0)
    with pytest.raises(InvalidTTLError):
        RedisCache(default_ttl=1e308)
    with pytest.raises(InvalidTTLError):
        RedisCache(default_ttl=9.3e15)
    with pytest.raises(ConfigurationError):
        RedisCache(startup_nodes=["nohostport"])


async def test_a_user_client_of_any_kind_lends_its_settings(
    redis_server: RedisServer, namespace: str, anyio_backend: str
) -> None:
    """A redis-py client is read for its settings only (host, port, database, client
    name...): an asyncio one works on trio too, and the client stays the user's."""
    sync_client = redis.Redis(port=redis_server.port, db=3, client_name="mine")
    async_client = redis.asyncio.Redis(port=redis_server.port, db=3)
    try:
        for client in (sync_client, async_client):
            async with RedisCache(client=client, namespace=namespace) as cache:
                await cache.set("k", [1])
                assert await cache.get("k") == [1]
                with redis_server.client(db=3) as raw3:
                    assert raw3.exists(f"{namespace}:k")  # the client's database
                    names = {c["name"] for c in raw3.client_list()}
                assert ("mine" in names) == (client is sync_client)
        sync_client.ping()  # a client the user gave stays open
    finally:
        sync_client.close()
        if anyio_backend == "asyncio":
            await async_client.aclose()


async def test_the_same_transport_on_both_runtimes(
    redis_server: RedisServer, namespace: str
) -> None:
    async with cache_for(redis_server, namespace, connection_options={"protocol": 2}) as cache:
        await cache.set("k", "v")  # RESP2 forced: the server is asked nothing of HELLO
        assert await cache.get("k") == "v"
        assert await cache.get_many(["k", "x"]) == {"k": "v"}


async def test_a_unix_socket(tmp_path: Path, port_rng: random.Random, namespace: str) -> None:
    server_bin, _ = redis_binaries_or_skip()
    path = tmp_path / "redis.sock"
    server = RedisServer(
        server_bin, free_port(port_rng), tmp_path / "data", ["--unixsocket", str(path)]
    )
    server.start()
    try:
        async with RedisCache(url=f"unix://{path}?db=2", namespace=namespace) as cache:
            await cache.set("k", "v")
            assert await cache.get("k") == "v"
        with server.client(db=2) as raw2:
            assert raw2.exists(f"{namespace}:k")
    finally:
        server.stop()


async def test_flush_db_only_when_asked(redis_server: RedisServer) -> None:
    with redis_server.client(db=5) as raw5:
        raw5.set("foreign", "1")
        async with RedisCache("127.0.0.1", redis_server.port, db=5) as cache:
            await cache.set("k", 1)
            with pytest.raises(ConfigurationError, match="flush_db=True"):
                await cache.clear()
            assert raw5.dbsize() == 2
            assert (await cache.refresh_stats()).size == 2
            await cache.clear(flush_db=True)
            assert raw5.dbsize() == 0
        async with RedisCache("127.0.0.1", redis_server.port, db=5, namespace="n") as cache:
            with pytest.raises(ConfigurationError):
                await cache.clear(flush_db=True)


async def test_stats_size_is_counted_on_request(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    raw.set(f"{namespace}x:foreign", 1)
    async with cache_for(redis_server, namespace) as cache:
        assert cache.stats.size == 0
        await cache.set_many({str(i): i for i in range(30)})
        assert cache.stats.size == 0  # not counted yet: stats never waits on the network
        assert (await cache.refresh_stats()).size == 30
        assert cache.stats.size == 30
        await cache.clear()
        assert (await cache.refresh_stats()).size == 0
    assert raw.exists(f"{namespace}x:foreign")
