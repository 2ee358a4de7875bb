"""publish / subscribe / psubscribe on a real server, on asyncio and on trio."""

from __future__ import annotations

import anyio
import pytest
import redis

from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core import (
    BackendError,
    ConfigurationError,
    InvalidKeyError,
    SerializationError,
)

from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


def cache_for(server: RedisServer) -> RedisCache:
    return RedisCache("127.0.0.1", server.port, namespace="ps")


async def test_subscribe_round_trip(redis_server: RedisServer, namespace: str) -> None:
    channel = f"{namespace}.news"
    async with cache_for(redis_server) as cache, cache.subscribe(channel, "other") as sub:
        # Entering returned after the server confirmed: this message is not lost.
        assert await cache.publish(channel, {"message": "Hello World"}) == 1
        assert await cache.publish("other", [1, 2]) == 1
        with anyio.fail_after(5):
            first = await sub.__anext__()
            second = await sub.__anext__()
    assert (first.channel, first.data, first.pattern) == (channel, {"message": "Hello World"}, None)
    assert (second.channel, second.data) == ("other", [1, 2])


async def test_psubscribe_round_trip(redis_server: RedisServer, namespace: str) -> None:
    async with cache_for(redis_server) as cache, cache.psubscribe(f"{namespace}.*") as sub:
        assert await cache.publish(f"{namespace}.a", "x") == 1
        assert await cache.publish(f"{namespace}X", "not matched") == 0
        assert await cache.publish(f"{namespace}.b", None) == 1
        received = []
        with anyio.fail_after(5):
            async for message in sub:
                received.append((message.pattern, message.channel, message.data))
                if len(received) == 2:
                    break
    pattern = f"{namespace}.*"
    assert received == [(pattern, f"{namespace}.a", "x"), (pattern, f"{namespace}.b", None)]


async def test_a_cancelled_consumer_loses_nothing(
    redis_server: RedisServer, namespace: str
) -> None:
    async with cache_for(redis_server) as cache, cache.subscribe(namespace) as sub:
        with anyio.move_on_after(0.05) as scope:
            await sub.__anext__()
        assert scope.cancelled_caught
        await cache.publish(namespace, 1)
        await cache.publish(namespace, 2)
        with anyio.fail_after(5):
            assert [(await sub.__anext__()).data for _ in range(2)] == [1, 2]


async def test_a_lost_connection_fails_loudly(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    """No silent resubscription: messages sent while reconnecting would be missed."""
    async with cache_for(redis_server) as cache, cache.subscribe(namespace) as sub:
        assert raw.client_kill_filter(_type="pubsub") >= 1
        with anyio.fail_after(5), pytest.raises(BackendError, match="subscription"):
            await sub.__anext__()
        with pytest.raises(BackendError):  # and it stays failed
            await sub.__anext__()
        await cache.set("still", "works")  # the cache's own connections are unaffected
        assert await cache.get("still") == "works"


async def test_body_exceptions_propagate_unwrapped(
    redis_server: RedisServer, namespace: str
) -> None:
    async with cache_for(redis_server) as cache:
        with pytest.raises(KeyError):
            async with cache.subscribe(namespace):
                raise KeyError("mine")
        assert await cache.publish(namespace, 1) == 0  # and the subscription is gone


async def test_undecodable_message_then_the_next_one(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    async with cache_for(redis_server) as cache, cache.subscribe(namespace) as sub:
        raw.publish(namespace, b"\x80 not json")
        await cache.publish(namespace, "fine")
        with anyio.fail_after(5):
            with pytest.raises(SerializationError):
                await sub.__anext__()
            assert (await sub.__anext__()).data == "fine"


async def test_bad_channels(redis_server: RedisServer) -> None:
    cache = cache_for(redis_server)
    with pytest.raises(ConfigurationError):
        cache.subscribe()
    with pytest.raises(ConfigurationError):
        cache.psubscribe()
    with pytest.raises(InvalidKeyError):
        cache.subscribe(3)  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError):
        await cache.publish(None, 1)  # type: ignore[arg-type]
    await cache.aclose()


async def test_subscriptions_on_resp2(redis_server: RedisServer, namespace: str) -> None:
    """Forced onto RESP2, a subscribed connection's arrays are messages all the same."""
    cache = RedisCache("127.0.0.1", redis_server.port, connection_options={"protocol": 2})
    async with cache, cache.subscribe(namespace) as sub, cache.psubscribe(f"{namespace}.*") as ps:
        assert await cache.publish(namespace, {"a": 1}) == 1
        assert await cache.publish(f"{namespace}.x", [2]) == 1
        with anyio.fail_after(5):
            assert (await sub.__anext__()).data == {"a": 1}
            message = await ps.__anext__()
    assert (message.pattern, message.channel, message.data) == (
        f"{namespace}.*",
        f"{namespace}.x",
        [2],
    )
