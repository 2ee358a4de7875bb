"""``timeout`` bounds a batch as a whole, not only each of its round trips."""

from __future__ import annotations

import pytest

from pepperpy.caching import BackendError
from pepperpy.caching.adapters.redis import RedisCache

from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


async def test_a_batch_of_many_round_trips_is_bounded_as_a_whole(
    redis_server: RedisServer,
) -> None:
    async with RedisCache("127.0.0.1", redis_server.port, namespace="dl", timeout=0.25) as cache:
        # One round trip is well within the deadline...
        await cache.set_many({f"k{i}": i for i in range(500)}, ttl=60)
        assert len(await cache.get_many([f"k{i}" for i in range(500)])) == 500
        # ...hundreds of them together are not, though each one alone would be.
        many = {f"big{i}": i for i in range(300_000)}
        with pytest.raises(BackendError, match=r"within 0\.25 s"):
            await cache.set_many(many, ttl=60)
        # The cache keeps working after the cut.
        await cache.set("after", 1)
        assert await cache.get("after") == 1
    async with RedisCache("127.0.0.1", redis_server.port, namespace="dl") as cleaner:
        await cleaner.clear()
