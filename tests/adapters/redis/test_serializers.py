"""Serializers on a real server: JSON by default, signed pickle only when asked for."""

from __future__ import annotations

import pickle
from collections import OrderedDict
from decimal import Decimal

import pytest
import redis

from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core import SerializationError
from pepperpy.caching.core.serializers import PickleSerializer, StringSerializer

from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

SECRET = b"k" * 32
OTHER_SECRET = b"o" * 32


class Exploit:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("unpickled an unsigned payload",))


async def test_signed_pickle_round_trip_and_refusals(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    port = redis_server.port
    mine = RedisCache("127.0.0.1", port, namespace=namespace, serializer=PickleSerializer(SECRET))
    theirs = RedisCache(
        "127.0.0.1", port, namespace=namespace, serializer=PickleSerializer(OTHER_SECRET)
    )
    async with mine, theirs:
        value = {"d": Decimal("1.5"), "o": OrderedDict(a=1), "t": (1, 2), "s": {3}}
        await mine.set("v", value)
        assert await mine.get("v") == value
        await theirs.set("forged", value)  # signed, but with another secret
        with pytest.raises(SerializationError):
            await mine.get("forged")
        with pytest.raises(SerializationError):
            await mine.get_many(["v", "forged"])
        raw.set(f"{namespace}:unsigned", pickle.dumps(Exploit()))
        with pytest.raises(SerializationError):
            await mine.get("unsigned")
        stored = raw.get(f"{namespace}:v")
        assert isinstance(stored, bytes)
        raw.set(f"{namespace}:tampered", stored[:-1] + bytes([stored[-1] ^ 1]))
        with pytest.raises(SerializationError):
            await mine.get("tampered")


async def test_json_never_executes_a_planted_pickle(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    raw.set(f"{namespace}:p", pickle.dumps(Exploit()))
    async with RedisCache("127.0.0.1", redis_server.port, namespace=namespace) as cache:
        with pytest.raises(SerializationError):
            await cache.get("p")


async def test_serializers_by_name_and_object(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    port = redis_server.port
    async with RedisCache("127.0.0.1", port, namespace=namespace, serializer="string") as cache:
        await cache.set("s", "héllo")
        assert raw.get(f"{namespace}:s") == "héllo".encode()
        assert await cache.get("s") == "héllo"
    cache = RedisCache("127.0.0.1", port, namespace=namespace, serializer=StringSerializer())
    async with cache:
        assert await cache.get("s") == "héllo"
