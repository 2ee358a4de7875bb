"""Rounds routed through a cluster that reshards and fails over, against the scripted
cluster: no error, no lost write, replies in order."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pepperpy.caching.core.errors import BackendError
from pepperpy.caching.core.remote.dispatch import Dispatch
from pepperpy.caching.core.remote.keys import KeySpace
from pepperpy.caching.core.remote.operations import RedisOperations
from pepperpy.caching.core.remote.plans import Step
from pepperpy.caching.core.remote.routing import ClusterRoutes, SingleRoute
from pepperpy.caching.core.remote.slots import key_slot
from pepperpy.caching.core.resp import ConnectionLost, ErrorReply, encode_command
from pepperpy.caching.core.serializers import JsonSerializer

from .driver import Driver
from .fake_redis import FakeCluster, FakeNode


def ops() -> RedisOperations:
    return RedisOperations(KeySpace("ns"), JsonSerializer(), cluster=True)


def test_a_batch_per_node_and_asking_before_an_ask() -> None:
    routes = ClusterRoutes((("a", 1),))
    from pepperpy.caching.core.remote.topology import SlotTable

    routes.update(SlotTable([(0, 8191, ("a", 1)), (8192, 16383, ("b", 2))]))
    steps = [Step(b"x", 1), Step(b"y", 9000), Step(b"z", 2)]
    dispatch = Dispatch(steps, routes, deadline=10.0)
    batches = {b.address: b for b in dispatch.batches()}
    assert batches[("a", 1)].payload == b"xz"
    assert batches[("a", 1)].indices == (0, 2)
    dispatch.delivered(batches[("a", 1)], [ErrorReply("ASK 1 c:3"), b"Z"], 0.0)
    dispatch.delivered(batches[("b", 2)], [b"Y"], 0.0)
    assert not dispatch.done
    (again,) = dispatch.batches()
    assert again.address == ("c", 3)
    assert again.count == 2
    assert again.asking == {0}
    assert again.payload.startswith(encode_command((b"ASKING",)))
    assert again.payload.endswith(b"x")
    with pytest.raises(ValueError, match="replies expected"):
        dispatch.delivered(again, [b"X"], 0.0)  # ASKING's own reply is expected too
    dispatch.delivered(again, [b"OK", b"X"], 0.0)
    assert dispatch.done
    assert dispatch.replies() == [b"X", b"Y", b"Z"]


def test_a_lost_connection_on_a_single_server_is_retried_once() -> None:
    route = SingleRoute(("h", 1))
    dispatch = Dispatch([Step(b"GET")], route, deadline=10.0)
    for _ in range(2):
        (batch,) = dispatch.batches()
        dispatch.failed(batch, ConnectionLost("reset"), 0.0)
    assert dispatch.done
    with pytest.raises(ConnectionLost):
        dispatch.replies()


def test_a_command_that_may_have_run_is_not_sent_twice_unless_harmless() -> None:
    route = SingleRoute(("h", 1))
    unsafe = Dispatch([Step(b"INCRBY", retry_safe=False)], route, deadline=10.0)
    (batch,) = unsafe.batches()
    unsafe.failed(batch, ConnectionLost("reset"), 0.0)  # written, then the connection broke
    with pytest.raises(ConnectionLost):
        unsafe.replies()
    never_written = ConnectionLost("refused")
    never_written.sent = False
    safe_again = Dispatch([Step(b"INCRBY", retry_safe=False)], route, deadline=10.0)
    (batch,) = safe_again.batches()
    safe_again.failed(batch, never_written, 0.0)
    assert not safe_again.done


def test_timeouts_are_not_retried() -> None:
    dispatch = Dispatch([Step(b"GET")], SingleRoute(("h", 1)), deadline=10.0)
    (batch,) = dispatch.batches()
    dispatch.failed(batch, BackendError("timed out"), 0.0)
    with pytest.raises(BackendError, match="timed out"):
        dispatch.replies()


def test_reshard_and_fail_over_lose_no_write() -> None:
    cluster = FakeCluster.of(3)
    driver = Driver(cluster, seed=1)
    operations = ops()
    model = {}
    for i in range(300):
        driver.run(operations.set(f"k{i}", i))
        model[f"k{i}"] = i
    # Move a few slots midway: some keys already on the target (ASK), then done (MOVED).
    moving = sorted({key_slot(f"ns:k{i}".encode()) for i in range(0, 300, 7)})
    for slot in moving:
        keys = [k for k in cluster.owner_of(slot).live_keys() if key_slot(k) == slot]
        cluster.migrate(slot, (cluster.owner[slot] + 1) % 3, keys[: len(keys) // 2])
    for i in range(300):
        assert driver.run(operations.get(f"k{i}")) == i
        driver.run(operations.set(f"k{i}", i + 1000))
        model[f"k{i}"] = i + 1000
    assert driver.run(operations.get_many(list(model))) == model
    for slot in moving:
        cluster.finish_migration(slot)
    assert driver.run(operations.get_many(list(model))) == model
    # A primary dies; its replica takes over (same data); the cluster is down meanwhile.
    cluster.down.add(1)
    with pytest.raises(BackendError, match="CLUSTERDOWN"):
        driver.run(operations.get("k1"), timeout=0.5)
    cluster.fail_over(1, FakeNode(address=("10.0.0.9", 7100)))
    assert driver.run(operations.get_many(list(model))) == model
    assert ("10.0.0.9", 7100) in driver.routes.primaries


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32), st.lists(st.integers(0, 16383), min_size=1, max_size=6))
def test_any_migration_keeps_every_key_readable_and_writable(seed: int, slots: list[int]) -> None:
    rng = random.Random(seed)
    cluster = FakeCluster.of(3)
    driver = Driver(cluster, seed=seed)
    operations = ops()
    model = {f"k{i}": i for i in range(60)}
    driver.run(operations.set_many(model))
    for slot in slots:
        if slot in cluster.migrating:
            continue
        keys = [k for k in cluster.owner_of(slot).live_keys() if key_slot(k) == slot]
        cluster.migrate(
            slot,
            (cluster.owner[slot] + rng.randrange(1, 3)) % 3,
            keys[: rng.randrange(len(keys) + 1)],
        )
    for key in rng.sample(sorted(model), 20):
        model[key] = rng.randrange(1000)
        driver.run(operations.set(key, model[key]))
    assert driver.run(operations.get_many(list(model))) == model
    for slot in list(cluster.migrating):
        cluster.finish_migration(slot)
    assert driver.run(operations.get_many(list(model))) == model
    assert driver.run(operations.delete_many(list(model))) == len(model)
