"""A cluster under change: slots moving under load, a primary dying and its replica
taking over. Clusters of their own, started for each test."""

from __future__ import annotations

import random
import shutil
import time
from typing import Any

import anyio
import pytest

from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core import BackendError
from pepperpy.caching.core.remote.events import RedisEvent, TopologyChanged
from pepperpy.caching.core.remote.slots import key_slot

from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis, pytest.mark.slow]


def _shards(node: RedisServer) -> list[dict[bytes, Any]]:
    """CLUSTER SHARDS as redis-py parses it: [{b"slots": [...], b"nodes": [{...}]}]."""
    with node.client() as client:
        shards: list[dict[bytes, Any]] = client.execute_command("CLUSTER", "SHARDS")
        return shards


def _node_id(node: RedisServer) -> str:
    with node.client() as client:
        return client.execute_command("CLUSTER", "MYID").decode()


def _slots_of(node: RedisServer, port: int) -> int:
    """How many slots the primary on ``port`` serves, as ``node`` sees the cluster."""
    for shard in _shards(node):
        if any(n[b"port"] == port and n[b"role"] == b"master" for n in shard[b"nodes"]):
            bounds = shard[b"slots"]
            return sum(bounds[i + 1] - bounds[i] + 1 for i in range(0, len(bounds), 2))
    return 0


async def test_reshard_under_load_loses_nothing(
    own_cluster: list[RedisServer], anyio_backend: str
) -> None:
    """Slots move while four tasks write and read: no error, no lost write."""
    cli = shutil.which("redis-cli")
    assert cli is not None
    source, target = own_cluster[0], own_cluster[1]
    before = _slots_of(source, target.port)
    events: list[RedisEvent] = []
    cache = RedisCache(startup_nodes=[("127.0.0.1", source.port)], namespace="rs", timeout=5)
    cache._listen(events.append)
    keys = [f"k{i}" for i in range(1200)]
    latest: dict[str, object] = dict.fromkeys(keys, 0)
    errors: list[BaseException] = []
    operations = 0
    done = anyio.Event()

    async def worker(number: int) -> None:
        nonlocal operations
        mine = keys[number::4]  # disjoint: the last write of each key is known
        rng = random.Random(number)
        round_ = 0
        while not done.is_set():
            round_ += 1
            key = rng.choice(mine)
            try:
                await cache.set(key, [number, round_])
                latest[key] = [number, round_]
                assert await cache.get(key) == [number, round_]
                if round_ % 5 == 0:
                    sample = rng.sample(mine, 20)
                    assert await cache.get_many(sample) == {k: latest[k] for k in sample}
            except BackendError as error:
                errors.append(error)
            operations += 1

    async with cache:
        await cache.set_many(dict.fromkeys(keys, 0))
        async with anyio.create_task_group() as group:
            for number in range(4):
                group.start_soon(worker, number)
            await anyio.sleep(0.2)
            at_start = operations
            moved = await anyio.run_process(
                [cli, "--cluster", "reshard", f"127.0.0.1:{source.port}",
                 "--cluster-from", _node_id(source), "--cluster-to", _node_id(target),
                 "--cluster-slots", "1000", "--cluster-yes"],
                check=False,
            )  # fmt: skip
            during = operations - at_start
            await anyio.sleep(0.2)
            done.set()
        assert moved.returncode == 0, moved.stderr
        assert errors == []
        assert await cache.get_many(keys) == latest
    assert during > 100  # the load ran while the slots moved
    assert _slots_of(source, target.port) == before + 1000
    layouts = [e for e in events if isinstance(e, TopologyChanged)]
    assert len(layouts) >= 2  # learned at first, then again as slots moved


@pytest.mark.parametrize("own_cluster", [1], indirect=True)
async def test_replica_promotion(own_cluster: list[RedisServer]) -> None:
    """A primary dies: calls fail with BackendError until its replica is promoted and
    the cache has learned so; then they succeed, on the same cache object."""
    by_port = {node.port: node for node in own_cluster}
    shards = _shards(own_cluster[0])
    shard = next(s for s in shards if s[b"slots"][0] == 0)  # the shard serving slot 0
    primary = next(n for n in shard[b"nodes"] if n[b"role"] == b"master")
    replica = next(n for n in shard[b"nodes"] if n[b"role"] == b"replica")
    victim, heir = by_port[primary[b"port"]], by_port[replica[b"port"]]
    survivor = next(n for n in own_cluster if n not in (victim, heir))
    keys = [f"k{i}" for i in range(300)]
    on_victim = [k for k in keys if key_slot(f"fo:{k}".encode()) <= 5000][:20]
    assert on_victim
    cache = RedisCache(startup_nodes=[("127.0.0.1", survivor.port)], namespace="fo", timeout=0.5)
    async with cache:
        await cache.set_many({k: k for k in keys})
        with victim.client() as client:
            assert client.execute_command("WAIT", 1, 5000) >= 1  # the replica has it all
        victim.kill()
        outcomes: list[tuple[float, str]] = []
        started = time.monotonic()
        with anyio.fail_after(30):
            while len(outcomes) < 3 or outcomes[-3:] != [(t, "ok") for t, _ in outcomes[-3:]]:
                key = on_victim[len(outcomes) % len(on_victim)]
                try:
                    assert await cache.get(key) == key
                    outcomes.append((time.monotonic() - started, "ok"))
                except BackendError:
                    outcomes.append((time.monotonic() - started, "error"))
                    await anyio.sleep(0.05)
        kinds = [kind for _, kind in outcomes]
        first_ok = kinds.index("ok")
        assert "error" in kinds[:first_ok]  # it did fail while the shard had no primary
        assert "error" not in kinds[first_ok:]  # and never again once it had learned
        assert await cache.get_many(keys) == {k: k for k in keys}
        await cache.set("after", 1)
        assert await cache.get("after") == 1
        runner = cache._runner
        assert runner is not None
        assert ("127.0.0.1", heir.port) in runner.routes.primaries
        assert ("127.0.0.1", victim.port) not in runner.routes.primaries
