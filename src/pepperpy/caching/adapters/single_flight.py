"""Single-flight loading: concurrent misses on one key run the factory once."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import anyio

from ..core.entry import MISS
from ..core.ttl import TTL

if TYPE_CHECKING:
    from .backend import CacheBackend

__all__ = ("Flight", "single_flight")

T = TypeVar("T")


class Flight:
    """One factory call in progress, and how it ended, for the callers waiting on it."""

    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.value: Any = MISS
        self.error: BaseException | None = None

    @property
    def has_value(self) -> bool:
        """Whether the flight ended with a value (not an error, nor a cancelled owner)."""
        return self.value is not MISS


async def single_flight(
    cache: CacheBackend,
    flights: dict[str, Flight],
    key: str,
    factory: Callable[[], T | Awaitable[T]],
    ttl: TTL,
    run: Callable[[], Awaitable[T]] | None = None,
) -> T:
    """The engine of :meth:`CacheBackend.get_or_set` (see there for the contract).

    A caller that misses and finds no flight for ``key`` owns a new one. It looks the
    key up once more before calling ``factory``: its first lookup may have been under
    way while another flight stored the value and ended (remote stores answer
    slowly). Then it runs ``factory`` and stores the result (or awaits ``run()``, which
    does both its own way: timed, under a lock), and publishes the value or
    the exception on the flight. Callers that find a flight wait for it. If the owner
    is cancelled, the flight ends with neither value nor error, and the waiters go
    round again: the first one to wake starts a new flight. Nothing is held while
    ``factory`` runs except the flight.
    """
    while True:
        value = await cache.get(key, MISS)
        if value is not MISS:
            return cast(T, value)
        flight = flights.get(key)
        if flight is not None:
            await flight.done.wait()
            if flight.error is not None:
                raise flight.error
            if flight.value is not MISS:
                return cast(T, flight.value)
            continue  # the owner was cancelled: look again, perhaps take over
        flight = flights[key] = Flight()
        try:
            result = await cache.get(key, MISS)
            if result is MISS:
                if run is None:
                    result = factory()
                    if inspect.isawaitable(result):
                        result = await result
                    await cache._store_loaded(key, result, ttl)
                else:
                    result = await run()
        except anyio.get_cancelled_exc_class():
            raise
        except BaseException as exc:
            flight.error = exc
            raise
        else:
            flight.value = result
        finally:
            if flights.get(key) is flight:
                del flights[key]
            flight.done.set()
        return cast(T, result)
