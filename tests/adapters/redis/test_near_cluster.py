"""The near cache on a Redis Cluster: a channel on every primary, and slots moving
while it is read."""

from __future__ import annotations

import random
import shutil

import anyio
import pytest
import redis.cluster

from pepperpy.caching import BackendError, NearCache
from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core.remote.slots import key_slot

from .near_helpers import local, near_up, until
from .servers import RedisServer
from .test_cluster_faults import _node_id, _shards, _slots_of

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


def _primary_ports(raw: redis.cluster.RedisCluster, namespace: str, keys: list[str]) -> set[int]:
    ports = set()
    for key in keys:
        node = raw.get_node_from_key(f"{namespace}:{key}")
        ports.add(node.port)
    return ports


@pytest.mark.parametrize("tracking", ["bcast", "default"])
async def test_keys_on_every_primary(
    redis_cluster: list[RedisServer],
    raw_cluster: redis.cluster.RedisCluster,
    namespace: str,
    tracking: str,
) -> None:
    keys = [f"k{i}" for i in range(30)]
    assert len(_primary_ports(raw_cluster, namespace, keys)) == 3
    cache = RedisCache(
        startup_nodes=[("127.0.0.1", redis_cluster[0].port)],
        namespace=namespace,
        near_cache=NearCache(tracking=tracking),
    )
    async with cache:
        await near_up(cache)
        assert cache._near is not None
        assert len(cache._near.addresses) == 3
        await cache.set_many(dict.fromkeys(keys, 0))
        assert await cache._sync_near()
        assert await cache.get_many(keys) == dict.fromkeys(keys, 0)
        assert all(local(cache, key) for key in keys)
        for key in keys:
            raw_cluster.set(f"{namespace}:{key}", b"1")
        await until(lambda: not any(local(cache, key) for key in keys), "every key invalidated")
        assert await cache.get_many(keys) == dict.fromkeys(keys, 1)
        for key in keys:  # one at a time, through get
            raw_cluster.delete(f"{namespace}:{key}")
            await until(lambda key=key: not local(cache, key), f"{key} invalidated")
            assert await cache.get(key) is None


@pytest.mark.slow
@pytest.mark.parametrize("tracking", ["bcast", "default"])
async def test_reshard_while_reading(own_cluster: list[RedisServer], tracking: str) -> None:
    """Slots move while tasks write through another client and read through the near
    cache: once each write is reported, every read returns it; nothing fails."""
    cli = shutil.which("redis-cli")
    assert cli is not None
    source, target = own_cluster[0], own_cluster[1]
    before = _slots_of(source, target.port)
    nodes = [("127.0.0.1", source.port)]
    near = RedisCache(startup_nodes=nodes, namespace="nr", near_cache=NearCache(tracking=tracking))
    writer = RedisCache(startup_nodes=nodes, namespace="nr")
    keys = [f"k{i}" for i in range(600)]
    on_source = [k for k in keys if key_slot(f"nr:{k}".encode()) < 1000]
    assert on_source  # some keys are in the slots that move
    latest: dict[str, object] = dict.fromkeys(keys, 0)
    errors: list[BaseException] = []
    reads = 0
    done = anyio.Event()

    async def worker(number: int) -> None:
        nonlocal reads
        mine = keys[number::4]  # disjoint: the last write of each key is known
        moving = [k for k in mine if k in on_source] or mine
        rng = random.Random(number)
        round_ = 0
        while not done.is_set():
            round_ += 1
            key = rng.choice(moving if round_ % 2 else mine)
            try:
                if rng.random() < 0.3:
                    await writer.set(key, [number, round_])
                    latest[key] = [number, round_]
                    await near._sync_near()
                for _ in range(3):
                    assert await near.get(key) == latest[key]
                    reads += 1
            except BackendError as error:
                errors.append(error)

    async with near, writer:
        await writer.set_many(dict.fromkeys(keys, 0))
        await near_up(near)
        async with anyio.create_task_group() as group:
            for number in range(4):
                group.start_soon(worker, number)
            await anyio.sleep(0.2)
            at_start = reads
            moved = await anyio.run_process(
                [cli, "--cluster", "reshard", f"127.0.0.1:{source.port}",
                 "--cluster-from", _node_id(source), "--cluster-to", _node_id(target),
                 "--cluster-slots", "1000", "--cluster-yes"],
                check=False,
            )  # fmt: skip
            during = reads - at_start
            await anyio.sleep(0.2)
            done.set()
        assert moved.returncode == 0, moved.stderr
        assert errors == []
        await near._sync_near()
        assert await near.get_many(keys) == latest
        assert near.stats.near is not None
        assert near.stats.near.local_hits > 0
    assert during > 100
    assert _slots_of(source, target.port) == before + 1000


@pytest.mark.slow
@pytest.mark.parametrize("own_cluster", [1], indirect=True)
async def test_failover_flushes_and_tracks_the_new_primary(own_cluster: list[RedisServer]) -> None:
    """A primary dies: the local copy is flushed at once; once its replica is promoted,
    tracking covers the new primary (a write there invalidates)."""
    by_port = {node.port: node for node in own_cluster}
    shards = _shards(own_cluster[0])
    shard = next(s for s in shards if s[b"slots"][0] == 0)
    primary = next(n for n in shard[b"nodes"] if n[b"role"] == b"master")
    replica = next(n for n in shard[b"nodes"] if n[b"role"] == b"replica")
    victim, heir = by_port[primary[b"port"]], by_port[replica[b"port"]]
    survivor = next(n for n in own_cluster if n not in (victim, heir))
    keys = [f"k{i}" for i in range(100)]
    on_victim = [k for k in keys if key_slot(f"nf:{k}".encode()) <= 5000][:10]
    elsewhere = [k for k in keys if key_slot(f"nf:{k}".encode()) > 5461][:10]
    cache = RedisCache(
        startup_nodes=[("127.0.0.1", survivor.port)],
        namespace="nf",
        timeout=0.5,
        near_cache=NearCache(),
    )
    async with cache:
        await near_up(cache)
        await cache.set_many({k: k for k in keys})
        with victim.client() as client:
            assert client.execute_command("WAIT", 1, 5000) >= 1
        assert await cache._sync_near()
        assert await cache.get_many(keys) == {k: k for k in keys}
        assert all(local(cache, k) for k in elsewhere)
        victim.kill()
        await until(lambda: not any(local(cache, k) for k in keys), "flushed at once")
        # With no read to make the cache notice, the channels find the new primary.
        await until(
            lambda: cache._near is not None and ("127.0.0.1", heir.port) in cache._near.addresses,
            "a channel on the promoted replica",
        )
        with anyio.fail_after(30):
            while True:  # errors only until the replica is promoted and learned
                try:
                    assert await cache.get(on_victim[0]) == on_victim[0]
                    break
                except BackendError:
                    await anyio.sleep(0.05)
        await near_up(cache)
        assert cache._near is not None
        assert ("127.0.0.1", heir.port) in cache._near.addresses
        assert await cache.get(on_victim[0]) == on_victim[0]
        assert local(cache, on_victim[0])
        with heir.client() as client:
            client.set(f"nf:{on_victim[0]}", b'"changed"')
        await until(lambda: not local(cache, on_victim[0]), "the new primary's change reported")
        assert await cache.get(on_victim[0]) == "changed"
