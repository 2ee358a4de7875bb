"""A server that breaks the protocol, or sends without end, only ends its connection:
``BackendError``, bounded memory, never a hang or another request's reply."""

from __future__ import annotations

import time

import anyio
import pytest

from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core import BackendError
from pepperpy.caching.core.remote.events import NodeDisconnected, RedisEvent

from .proxy import serve_script

pytestmark = [pytest.mark.anyio]


@pytest.mark.parametrize(
    ("answer", "then", "match"),
    [
        (b"?garbage\r\n", b"", "protocol"),
        (b"$-7\r\n", b"", "protocol"),
        (b"*1\r\n" * 20_000, b":1\r\n", "protocol"),  # endless nesting
        (b"$100000000000\r\n", b"x" * 65536, "grew past"),  # a bulk nobody could hold
        (b"*4000000000\r\n", b":1\r\n" * 16384, "grew past|more elements"),  # an array too
    ],
)
async def test_hostile_replies(answer: bytes, then: bytes, match: str) -> None:
    async with serve_script(answer, then=then, repeat=len(then) > 1000) as port:
        cache = RedisCache(
            "127.0.0.1",
            port,
            timeout=5,
            connection_options={"max_reply_bytes": 1_000_000},
        )
        async with cache:
            started = time.monotonic()
            with pytest.raises(BackendError, match=match):
                with anyio.fail_after(5):
                    await cache.get("k")
            assert time.monotonic() - started < 5


async def test_a_reply_to_nothing_ends_the_connection() -> None:
    """A reply arriving while no request waits for it is a broken server: the
    connection that carried it is given up before it could answer anything else."""
    events: list[RedisEvent] = []
    async with serve_script(b"$1\r\n1\r\n:5\r\n") as port:
        cache = RedisCache("127.0.0.1", port, timeout=5)
        cache._listen(events.append)
        async with cache:
            assert await cache.get("k") == 1
    lost = [e for e in events if isinstance(e, NodeDisconnected)]
    assert lost
    assert "nobody asked" in str(lost[0].error)


async def test_a_server_that_never_answers() -> None:
    async with serve_script(b"") as port, RedisCache("127.0.0.1", port, timeout=0.3) as cache:
        started = time.monotonic()
        with pytest.raises(BackendError, match="timed out"):
            await cache.get("k")
        assert time.monotonic() - started < 0.6
