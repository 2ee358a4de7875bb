"""RedisCache on a 3-primary Redis Cluster: slots, batches across slots, clear, pub/sub."""

from __future__ import annotations

import anyio
import pytest
import redis
import redis.cluster
from hypothesis import given, settings
from hypothesis import strategies as st

from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core.remote import key_slot

from .servers import RedisServer

pytestmark = [pytest.mark.redis]


def cluster_cache(nodes: list[RedisServer], namespace: str, **kwargs: object) -> RedisCache:
    return RedisCache(
        startup_nodes=[("127.0.0.1", nodes[0].port)],
        namespace=namespace,
        **kwargs,  # type: ignore[arg-type]
    )


def test_key_slot_agrees_with_the_server(redis_cluster: list[RedisServer]) -> None:
    keys = [b"", b"a", b"{user}.x", b"x{user}", b"{}", b"a{}b{c}", b"\xff\x00", b"ns*:k"]
    keys += [f"k{i}".encode() for i in range(200)]
    with redis_cluster[0].client() as client:
        for key in keys:
            assert key_slot(key) == client.execute_command("CLUSTER", "KEYSLOT", key), key


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=20) | st.text(alphabet="ab{}", max_size=8).map(str.encode))
def test_key_slot_agrees_with_the_server_on_any_key(
    redis_cluster: list[RedisServer], key: bytes
) -> None:
    with redis_cluster[0].client() as client:
        assert key_slot(key) == client.execute_command("CLUSTER", "KEYSLOT", key)


@pytest.mark.anyio
@pytest.mark.parametrize("ttl", [None, 60])
async def test_batches_across_slots(
    redis_cluster: list[RedisServer],
    raw_cluster: redis.cluster.RedisCluster,
    namespace: str,
    ttl: int | None,
) -> None:
    mapping = {f"k{i}": i for i in range(1500)}
    async with cluster_cache(redis_cluster, namespace) as cache:
        await cache.set_many(mapping, ttl=ttl)
        assert len({key_slot(f"{namespace}:{k}".encode()) for k in mapping}) > 1000
        assert raw_cluster.get(f"{namespace}:k7") == b"7"
        if ttl is not None:
            assert 0 < raw_cluster.pttl(f"{namespace}:k7") <= 60_000
        assert await cache.get_many([*mapping, "missing"]) == mapping
        await cache.set("one", "x", ttl=30)
        assert await cache.get("one") == "x"
        assert 29 < (await cache.ttl("one") or 0) <= 30
        assert await cache.contains("one")
        assert await cache.delete("one")
        assert await cache.delete_many([f"k{i}" for i in range(100)] + ["nope"]) == 100
        assert (await cache.refresh_stats()).size == 1400
        left_with_k1 = [k for k in mapping if k.startswith("k1") and int(k[1:]) >= 100]
        assert await cache.delete_prefix("k1") == len(left_with_k1) == 600


@pytest.mark.anyio
async def test_clear_walks_every_primary(
    redis_cluster: list[RedisServer], raw_cluster: redis.cluster.RedisCluster
) -> None:
    namespace = "cl*"
    foreign = ["cl:1", "clX:2", "cl*x:3", "{cl*}:4"]
    for key in foreign:
        raw_cluster.set(key, b"1")
    async with cluster_cache(redis_cluster, namespace) as cache:
        await cache.set_many({str(i): i for i in range(3000)})
        per_node = []
        for node in redis_cluster:
            with node.client() as client:
                per_node.append(sum(1 for _ in client.scan_iter(match="cl\\*:*", count=1000)))
        assert all(n > 500 for n in per_node)  # every primary holds some
        await cache.clear()
        assert (await cache.refresh_stats()).size == 0
    for key in foreign:
        assert raw_cluster.exists(key), key
        raw_cluster.delete(key)


@pytest.mark.anyio
async def test_pubsub_on_a_cluster(redis_cluster: list[RedisServer], namespace: str) -> None:
    async with cluster_cache(redis_cluster, namespace) as cache:
        async with cache.subscribe("c1") as sub, cache.psubscribe("p.*") as psub:
            # The count is of the receivers on the node that took the PUBLISH.
            assert await cache.publish("c1", {"n": 1}) in (0, 1)
            assert await cache.publish("p.x", [2]) in (0, 1)
            with anyio.fail_after(5):
                message = await sub.__anext__()
                pmessage = await psub.__anext__()
        assert (message.channel, message.data, message.pattern) == ("c1", {"n": 1}, None)
        assert (pmessage.channel, pmessage.data, pmessage.pattern) == ("p.x", [2], "p.*")


@pytest.mark.anyio
async def test_cluster_url_and_sync_client(
    redis_cluster: list[RedisServer], namespace: str
) -> None:
    url = f"redis+cluster://127.0.0.1:{redis_cluster[1].port}"
    async with RedisCache(url=url, namespace=namespace) as cache:
        await cache.set_many({"a": 1, "b": 2, "c": 3})
        assert await cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2, "c": 3}
    client = redis.cluster.RedisCluster(host="127.0.0.1", port=redis_cluster[2].port)
    try:
        async with RedisCache(client=client, namespace=namespace) as cache:
            assert await cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2, "c": 3}
            await cache.clear()
            assert await cache.get_many(["a", "b", "c"]) == {}
    finally:
        client.close()


@pytest.mark.anyio
async def test_iter_keys_walks_every_primary(
    redis_cluster: list[RedisServer], namespace: str
) -> None:
    keys = {f"user:{i}" for i in range(300)}
    async with cluster_cache(redis_cluster, namespace) as cache:
        await cache.set_many(dict.fromkeys(keys, 0))
        assert {k async for k in cache.iter_keys("user:")} == keys
        await cache.clear()
