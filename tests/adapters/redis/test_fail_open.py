"""Fail-open that is whole: loaded values come back when the write fails, warnings are
rate-limited, and the circuit breaker stops asking a dead server."""

from __future__ import annotations

import logging

import anyio
import pytest

from pepperpy.caching import CircuitBreaker, cached
from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core import BackendError
from pepperpy.caching.core.loading import BreakerState

from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


async def test_loaded_values_are_returned_when_the_write_fails(
    own_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    lenient = RedisCache("127.0.0.1", own_server.port, namespace="fo", timeout=1.0, fail_open=True)
    strict = RedisCache("127.0.0.1", own_server.port, namespace="fo", timeout=1.0)
    calls = 0

    async def load() -> dict[str, int]:
        nonlocal calls
        calls += 1
        return {"n": calls}

    @cached(lenient, ttl=60)
    async def double(x: int) -> int:
        return 2 * x

    async with lenient, strict:
        assert await lenient.get_or_set("up", load) == {"n": 1}
        own_server.stop()
        caplog.set_level(logging.WARNING, logger="pepperpy.caching")
        assert await lenient.get_or_set("k", load, ttl=5) == {"n": 2}
        assert await lenient.get_or_set("k", load, ttl=5, stale_ttl=5, early_refresh=1.0) == {
            "n": 3
        }
        assert await double(21) == 42
        assert await double(21) == 42
        stats = lenient.stats
        assert stats.failed_writes == lenient.failed_writes == 4
        assert stats.failed_reads >= 4
        with pytest.raises(BackendError):
            await strict.get_or_set("k", load)
        with pytest.raises(BackendError):
            await lenient.set("k", 1)  # a plain write still raises
        messages = [r.getMessage() for r in caplog.records if r.name == "pepperpy.caching"]
        # One warning per kind (read, write) for the whole outage.
        assert len(messages) == 2
        assert any("read failed" in m for m in messages)
        assert any("loaded value" in m for m in messages)
        own_server.start()
        assert await lenient.get_or_set("k", load, ttl=5) == {"n": 4}
        assert await strict.get("k") == {"n": 4}


async def test_the_circuit_breaker_skips_a_dead_server_and_closes_again(
    own_server: RedisServer,
) -> None:
    breaker = CircuitBreaker(failures=2, cooldown=0.2)
    cache = RedisCache(
        "127.0.0.1",
        own_server.port,
        namespace="cb",
        timeout=1.0,
        fail_open=True,
        circuit_breaker=breaker,
    )
    async with cache:
        await cache.set("a", 1)
        assert cache.stats.breaker is not None
        assert cache.stats.breaker.state is BreakerState.CLOSED
        own_server.stop()
        assert await cache.get("a") is None
        assert await cache.get("a") is None
        assert cache.stats.breaker.state is BreakerState.OPEN
        assert await cache.get("a", "dflt") == "dflt"  # skipped: the server is not tried
        with pytest.raises(BackendError, match="circuit breaker is open"):
            await cache.set("a", 2)
        stats = cache.stats
        assert stats.breaker is not None
        assert (stats.breaker.opened, stats.breaker.skipped) == (1, 2)
        assert stats.failed_reads == 3
        own_server.start()
        await anyio.sleep(0.25)  # the cool-down passes: the next call is the probe
        await cache.set("a", 3)  # (the restarted server kept nothing)
        assert await cache.get("a") == 3
        assert cache.stats.breaker.state is BreakerState.CLOSED


async def test_no_breaker_by_default(own_server: RedisServer) -> None:
    async with RedisCache("127.0.0.1", own_server.port, namespace="nb") as cache:
        assert cache.circuit_breaker is None
        assert cache.stats.breaker is None
