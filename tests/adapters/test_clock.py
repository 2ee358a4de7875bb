"""The default clock: the running loop's own clock, found without importing a runtime."""

from __future__ import annotations

import anyio
import pytest

from pepperpy.caching.adapters.clock import runtime_clock

pytestmark = pytest.mark.anyio


async def test_the_runtime_clock_is_the_running_loops(anyio_backend: str) -> None:
    clock = runtime_clock()
    assert clock is not anyio.current_time  # the runtime's own, cheaper clock
    before = anyio.current_time()
    now = clock()
    after = anyio.current_time()
    assert before <= now <= after
    await anyio.sleep(0.002)
    assert clock() >= now + 0.002


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_trio_gets_trio_current_time(anyio_backend: str) -> None:
    import trio

    assert runtime_clock() is trio.current_time
