"""The near cache never serves what the server reported changed: two writers racing
its reads (hypothesis), and a server killed and restarted under it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pepperpy.caching import BackendError, NearCache
from pepperpy.caching.adapters.redis import RedisCache

from .near_helpers import local, near_up, until
from .servers import RedisServer

pytestmark = [pytest.mark.redis]

KEYS = st.sampled_from(["a", "b", "c"])
WRITERS = st.sampled_from(["first", "second", "near"])
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("write"), WRITERS, KEYS, st.integers(0, 9)),
        st.tuples(st.just("delete"), WRITERS, KEYS),
        st.tuples(st.just("read"), KEYS),
        st.tuples(st.just("race"), WRITERS, KEYS, st.integers(10, 19)),
        st.tuples(
            st.just("read_many"),
        ),
    ),
    max_size=25,
)


async def _scenario(port: int, namespace: str, tracking: str, operations: list[Any]) -> None:
    near = RedisCache(
        "127.0.0.1", port, namespace=namespace, near_cache=NearCache(tracking=tracking)
    )
    first = RedisCache("127.0.0.1", port, namespace=namespace)
    second = RedisCache("127.0.0.1", port, namespace=namespace)
    writers = {"first": first, "second": second, "near": near}
    server: dict[str, int] = {}
    async with near, first, second:
        await near.clear()
        await near_up(near)

        async def read_exactly(key: str) -> None:
            assert await near._sync_near()  # every invalidation so far has arrived
            assert await near.get(key) == server.get(key), (key, server)

        for operation in operations:
            kind = operation[0]
            if kind == "write":
                _, writer, key, value = operation
                await writers[writer].set(key, value)
                server[key] = value
            elif kind == "delete":
                _, writer, key = operation
                await writers[writer].delete(key)
                server.pop(key, None)
            elif kind == "read":
                await read_exactly(operation[1])
            elif kind == "read_many":
                assert await near._sync_near()
                assert await near.get_many(["a", "b", "c"]) == server
            else:  # a read racing a write: either value was current during the read
                _, writer, key, value = operation
                before = server.get(key)
                seen: list[Any] = []
                assert await near._sync_near()  # earlier changes have been reported

                async def read(key: str = key, seen: list[Any] = seen) -> None:
                    seen.append(await near.get(key))

                async with anyio.create_task_group() as group:
                    group.start_soon(read)
                    group.start_soon(writers[writer].set, key, value)
                server[key] = value
                assert seen[0] in (before, value)
                await read_exactly(key)  # and the raced read left nothing stale
        for key in ("a", "b", "c"):
            await read_exactly(key)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("tracking", ["bcast", "default"])
# Each example clears the namespace first, so sharing the fixture between examples is fine.
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(operations=OPERATIONS)
def test_reads_return_a_value_current_during_the_read(
    redis_server: RedisServer, namespace: str, backend: str, tracking: str, operations: list[Any]
) -> None:
    anyio.run(_scenario, redis_server.port, namespace, tracking, operations, backend=backend)


async def _never(check: Callable[[], Awaitable[Any]], stale: Any) -> Any:
    """Call ``check`` until it succeeds; no answer may be ``stale``."""
    with anyio.fail_after(20):
        while True:
            try:
                value = await check()
            except BackendError:
                await anyio.sleep(0.01)
                continue
            assert value != stale
            return value


@pytest.mark.anyio
@pytest.mark.parametrize("tracking", ["bcast", "default"])
async def test_server_killed_and_restarted_no_stale_read(
    own_server: RedisServer, namespace: str, tracking: str
) -> None:
    cache = RedisCache(
        "127.0.0.1",
        own_server.port,
        namespace=namespace,
        timeout=1.0,
        near_cache=NearCache(tracking=tracking),
    )
    async with cache:
        await near_up(cache)
        await cache.set("k", "old")
        assert await cache._sync_near()
        assert await cache.get("k") == "old"
        assert local(cache, "k")
        flushes = cache.stats.near.flushes  # type: ignore[union-attr]
        own_server.kill()
        await until(lambda: cache._near is not None and not cache._near.state.up, "channel lost")
        assert not local(cache, "k")
        assert cache.stats.near.flushes == flushes + 1  # type: ignore[union-attr]
        with pytest.raises(BackendError):
            await cache.get("k")  # to Redis, which is down: never the local copy
        own_server.start()
        with redis.Redis(port=own_server.port) as raw:
            raw.set(f"{namespace}:k", b'"new"')
        assert await _never(lambda: cache.get("k"), "old") == "new"
        await near_up(cache)  # tracking is back: local hits again
        assert await _never(lambda: cache.get("k"), "old") == "new"
        assert await cache.get("k") == "new"
        assert local(cache, "k")
        with redis.Redis(port=own_server.port) as raw:
            raw.set(f"{namespace}:k", b'"newer"')
        await until(lambda: not local(cache, "k"), "invalidated after the restart")
        assert await cache.get("k") == "newer"
