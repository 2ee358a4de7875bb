"""The default clock of the async caches: the running event loop's own clock.

``anyio.current_time()`` costs several hundred nanoseconds a call, the loop's own clock
a fraction of that, so a cache binds the native clock once. Adapters never import
asyncio or trio; when one of them is running it is already imported, so its clock is
taken from ``sys.modules``. On trio this follows ``MockClock`` in tests.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import anyio
import sniffio

__all__ = ("Clock", "runtime_clock")

Clock = Callable[[], float]
"""A callable returning monotonic seconds."""


def runtime_clock() -> Clock:
    """The clock of the event loop running now (call from inside the loop)."""
    try:
        library = sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        return anyio.current_time  # raises the usual anyio error when called outside a loop
    if library == "asyncio":
        loop_time: Clock = sys.modules["asyncio"].get_running_loop().time
        return loop_time
    if library == "trio":
        trio_time: Clock = sys.modules["trio"].current_time
        return trio_time
    return anyio.current_time
