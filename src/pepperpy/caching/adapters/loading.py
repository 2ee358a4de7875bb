"""``get_or_set`` with its loading options: early refresh, stale grace, the lock.

The decisions are the core's (:class:`~pepperpy.caching.core.loading.LoadRule`); this
module reads the clock and the random draw, runs the loader, and starts refreshes.

* A value found is judged: fresh, served; due for an early refresh (XFetch) or stale
  within its grace, served too, and one refresh of the key starts, unless one is under
  way. Inside ``async with cache:`` the refresh runs in the cache's background task
  group and every caller gets the value at once; outside, the caller that starts the
  refresh waits for it (and gets the new value) while the others get the old one.
* A miss loads through the cache's single flight, timing the loader (XFetch's
  ``delta``), under the cache's cross-process lock when ``lock=True`` (a store
  without one has only the in-process single flight, which suffices for it).
"""

from __future__ import annotations

import inspect
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final, TypeVar, cast

import anyio

from ..core.entry import MISS
from ..core.loading import Freshness, LoadRule, WarningLimiter
from ..core.ttl import TTL

if TYPE_CHECKING:
    from .backend import CacheBackend

__all__ = ("LoadState", "load")

T = TypeVar("T")

_log: Final = logging.getLogger("pepperpy.caching")

_MAX_TIMES: Final = 10_000
"""Keys whose last loading time a cache remembers (the oldest are forgotten first)."""


class LoadState:
    """What one cache remembers between loads: how long each key's loader took, which
    keys are being refreshed, the random source of XFetch's draws, and counters."""

    __slots__ = ("early_refreshes", "limiter", "refreshing", "rng", "stale_reads", "times")

    def __init__(self, rng: random.Random | None = None) -> None:
        self.times: dict[str, float] = {}
        self.refreshing: set[str] = set()
        self.rng = rng if rng is not None else random.Random()
        self.limiter = WarningLimiter()
        self.stale_reads = 0
        self.early_refreshes = 0

    def took(self, key: str, seconds: float) -> None:
        """The loader of ``key`` took ``seconds``."""
        times = self.times
        times.pop(key, None)
        if len(times) >= _MAX_TIMES:
            del times[next(iter(times))]
        times[key] = seconds


async def _produce(
    cache: CacheBackend,
    key: str,
    factory: Callable[[], T | Awaitable[T]],
    ttl: float | None,
    state: LoadState,
) -> T:
    started = anyio.current_time()
    result = factory()
    if inspect.isawaitable(result):
        result = await result
    state.took(key, anyio.current_time() - started)
    await cache._store_loaded(key, result, ttl)
    return cast(T, result)


async def load(
    cache: CacheBackend,
    key: str,
    factory: Callable[[], T | Awaitable[T]],
    ttl: TTL,
    *,
    lock: bool,
    early_refresh: object,
    stale_ttl: object,
) -> T:
    """The engine of ``get_or_set`` with loading options (see the module's docstring)."""
    from .single_flight import single_flight

    rule = LoadRule.of(cache._effective_ttl(ttl), early_refresh, stale_ttl)
    state = cache._load_state()
    stored_ttl = rule.stored_ttl()

    async def run(refresh: bool = False) -> T:
        if lock:
            return await cache._load_locked(
                key, lambda: _produce(cache, key, factory, stored_ttl, state), refresh=refresh
            )
        return await _produce(cache, key, factory, stored_ttl, state)

    if not rule.plain:
        value, remaining = await cache._get_with_ttl(key)
        if value is not MISS:
            verdict = rule.judge(remaining, state.times.get(key), 1.0 - state.rng.random())
            if verdict is Freshness.FRESH:
                return cast(T, value)
            if verdict is Freshness.STALE:
                state.stale_reads += 1
            else:
                state.early_refreshes += 1
            if key in state.refreshing:
                return cast(T, value)
            return await _refresh(cache, key, run, state, cast(T, value))
    return await single_flight(cache, cache._flights, key, factory, stored_ttl, run)


async def _refresh(
    cache: CacheBackend, key: str, run: Callable[[bool], Awaitable[T]], state: LoadState, old: T
) -> T:
    """Refresh ``key`` once at a time: in the background if the cache has a task
    group, else in this caller (which gets the new value). A failed refresh keeps the
    old value and is logged."""
    state.refreshing.add(key)

    async def refresh() -> T:
        try:
            return await run(True)
        except anyio.get_cancelled_exc_class():
            raise
        except Exception as error:
            suppressed = state.limiter.allow("refresh", anyio.current_time())
            if suppressed is not None:
                _log.warning(
                    "refreshing cache key %r failed, the old value stays%s: %r",
                    key,
                    f" ({suppressed} similar warnings suppressed)" if suppressed else "",
                    error,
                )
            return old
        finally:
            state.refreshing.discard(key)

    if cache._spawn(refresh):
        return old
    return await refresh()
