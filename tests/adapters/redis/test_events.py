"""What a near cache will listen to: connections opened and lost, push frames, and
the cluster's layout."""

from __future__ import annotations

import anyio
import pytest
import redis

from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core.remote.events import (
    NodeConnected,
    NodeDisconnected,
    PushReceived,
    RedisEvent,
    TopologyChanged,
)
from pepperpy.caching.core.remote.pubsub import invalidated_keys
from pepperpy.caching.core.resp import encode_command

from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


async def test_connections_and_invalidation_pushes_reach_the_listener(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    events: list[RedisEvent] = []
    cache = RedisCache("127.0.0.1", redis_server.port, namespace=namespace)
    cache._listen(events.append)
    async with cache:
        await cache.set("k", 1)
        (opened,) = [e for e in events if isinstance(e, NodeConnected)]
        assert opened.address == ("127.0.0.1", redis_server.port)
        assert opened.session.protocol == 3
        assert opened.session.client_id is not None
        # Server-assisted caching, switched on by hand the way a near cache's
        # connection setup will: a read is tracked, a write elsewhere invalidates it.
        runner = cache._runner
        assert runner is not None
        tracking = encode_command((b"CLIENT", b"TRACKING", b"on"))
        assert await runner.call_on(-1, tracking, runner.deadline()) == b"OK"
        assert await cache.get("k") == 1
        raw.set(f"{namespace}:k", b"2")
        with anyio.fail_after(5):
            while not any(isinstance(e, PushReceived) for e in events):
                await cache.contains("other")  # the push is read with the next reply
                await anyio.sleep(0.01)
        (push,) = [e for e in events if isinstance(e, PushReceived)]
        assert invalidated_keys(push.push) == [f"{namespace}:k".encode()]
        # The server drops the connection: the listener hears of it, a new one opens.
        raw.client_kill_filter(_id=opened.session.client_id)
        with anyio.fail_after(5):
            while await cache.get("k") != 2:  # the first call may find the connection dead
                pass
        assert any(isinstance(e, NodeDisconnected) for e in events)
        assert len([e for e in events if isinstance(e, NodeConnected)]) == 2


async def test_the_cluster_layout_reaches_the_listener(
    redis_cluster: list[RedisServer], namespace: str
) -> None:
    events: list[RedisEvent] = []
    cache = RedisCache(startup_nodes=[("127.0.0.1", redis_cluster[0].port)], namespace=namespace)
    cache._listen(events.append)
    async with cache:
        await cache.get("k")
    (changed,) = [e for e in events if isinstance(e, TopologyChanged)]
    assert sorted(changed.primaries) == sorted(("127.0.0.1", n.port) for n in redis_cluster)


async def test_a_failing_listener_is_logged_and_changes_nothing(
    redis_server: RedisServer, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: RedisEvent) -> None:
        raise RuntimeError("listener bug")

    cache = RedisCache("127.0.0.1", redis_server.port, namespace=namespace)
    cache._listen(broken)
    async with cache:
        await cache.set("k", 1)
        assert await cache.get("k") == 1
    assert "a Redis event listener failed" in caplog.text
