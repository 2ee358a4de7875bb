"""The cross-process loading lock of a remote cache, carried out.

The protocol and the waiting rule are the core's
(:mod:`pepperpy.caching.core.remote.lock`). Here: the random token, the renewal task
that keeps the lease while the loader runs, the polls of a waiter, and the release,
shielded from cancellation so that a cancelled loader never leaves its lock to run
out on its own.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import anyio

from ..core.entry import MISS
from ..core.errors import BackendError, ConfigurationError
from ..core.remote.lock import LockPlans, LockWait, renew_every
from ..core.ttl import ttl_to_millis

if TYPE_CHECKING:
    from .distributed import DistributedCache

__all__ = ("RemoteLock",)

T = TypeVar("T")

_log: Final = logging.getLogger("pepperpy.caching")


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{name} must be a positive number of seconds; got {value!r}")
    if not (value > 0 and value < 1e9):
        raise ConfigurationError(f"{name} must be a positive number of seconds; got {value!r}")
    return float(value)


class RemoteLock:
    """The loading lock of one remote cache: ``lease`` and ``wait`` in seconds."""

    __slots__ = ("_cache", "_rng", "lease", "wait")

    def __init__(self, cache: DistributedCache, lease: float, wait: float) -> None:
        self._cache = cache
        self.lease = _seconds("lock_lease", lease)
        self.wait = _seconds("lock_wait", wait)
        self._rng = random.Random()

    async def load(self, key: str, run: Callable[[], Awaitable[T]], *, refresh: bool) -> T:
        """``run()`` while holding the lock of ``key``, or the value another process
        stored while this one waited; ``run()`` without the lock once the wait is over
        (or, fail-open, when the store cannot be asked)."""
        cache = self._cache
        plans = LockPlans(cache._ops, key)
        token = secrets.token_hex(16).encode()
        lease_ms = ttl_to_millis(self.lease)
        waiting: LockWait | None = None
        while True:
            try:
                taken = await cache._execute(plans.take(token, lease_ms))
            except BackendError as error:
                if not cache._fail_open:
                    raise
                cache._warn("lock", "taking the loading lock failed, loading without it", error)
                return await run()
            if taken:
                return await self._holding(key, plans, token, lease_ms, run, refresh)
            if waiting is None:
                waiting = LockWait(self.wait)
                waiting.start(time.monotonic())
            sleep = waiting.next_sleep(time.monotonic(), self._rng.random())
            if sleep is None:
                _log.warning(
                    "waited %.1f s for another process to load cache key %r; loading it here",
                    self.wait,
                    key,
                )
                return await run()
            await anyio.sleep(sleep)
            value: Any = await cache.get(key, MISS)
            if value is not MISS:
                return cast(T, value)

    async def _holding(
        self,
        key: str,
        plans: LockPlans,
        token: bytes,
        lease_ms: int,
        run: Callable[[], Awaitable[T]],
        refresh: bool,
    ) -> T:
        cache = self._cache
        outcome: list[Any] = []
        failure: list[BaseException] = []

        async def load() -> None:
            try:
                # The value may have landed between this process's miss and the lock
                # (a refresh knows there is one: the one it replaces).
                value: Any = MISS if refresh else await cache.get(key, MISS)
                outcome.append(await run() if value is MISS else value)
            except BaseException as error:  # re-raised below, not wrapped in a group
                failure.append(error)

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._renew, plans, token, lease_ms)
                await load()
                group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    await cache._execute(plans.release(token))
                except BackendError as error:
                    # The lease runs out by itself; the next loader waits for it at worst.
                    cache._warn("lock", "releasing the loading lock failed", error)
        if failure:
            raise failure[0]
        return cast(T, outcome[0])

    async def _renew(self, plans: LockPlans, token: bytes, lease_ms: int) -> None:
        cache = self._cache
        every = renew_every(self.lease)
        while True:
            await anyio.sleep(every)
            try:
                if not await cache._execute(plans.renew(token, lease_ms)):
                    _log.warning("the loading lock of %r was lost while loading", plans.key)
                    return
            except BackendError as error:
                cache._warn("lock", "renewing the loading lock failed", error)
