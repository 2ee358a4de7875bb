"""The async interface every cache implements."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar, overload

from ..core.entry import MISS, CacheStats
from ..core.ttl import TTL
from .single_flight import Flight, single_flight

__all__ = ("CacheBackend",)

T = TypeVar("T")


class CacheBackend(abc.ABC):
    """What every cache offers: the same coroutine methods on every store and runtime.

    Subclasses implement the abstract methods; the batch methods have looping defaults
    that stores with a native batch operation override. ``ttl`` arguments take
    ``None`` (the cache's default TTL, itself ``None`` = never expire unless set), a
    positive finite number of seconds, or a :class:`datetime.timedelta`.

    Subclasses must call ``super().__init__()``. The base holds no ``__dict__``, so a
    subclass that declares ``__slots__`` gets instances without one.
    """

    __slots__ = ("_flights",)

    def __init__(self) -> None:
        self._flights: dict[str, Flight] = {}

    @abc.abstractmethod
    async def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default`` on a miss (a stored ``None``
        is a hit)."""

    @abc.abstractmethod
    async def set(self, key: str, value: Any, ttl: TTL = None) -> None:
        """Store ``value`` under ``key``, replacing any value and TTL it had."""

    @abc.abstractmethod
    async def contains(self, key: str) -> bool:
        """Whether ``key`` holds a live value. Not counted as a hit or a miss."""

    @abc.abstractmethod
    async def delete(self, key: str) -> bool:
        """Remove ``key``; ``True`` if it held a live value."""

    @abc.abstractmethod
    async def clear(self) -> None:
        """Remove everything this cache owns (a namespaced cache: its namespace only)."""

    @abc.abstractmethod
    async def delete_prefix(self, prefix: str) -> int:
        """Remove every key that starts with ``prefix``; returns how many were removed.

        ``prefix`` is matched literally: no character has a special meaning.
        """

    @abc.abstractmethod
    async def ttl(self, key: str) -> float | None:
        """Seconds left before ``key`` expires.

        ``None`` both for a key without expiry and for a missing key: use
        :meth:`contains` to tell them apart.
        """

    @property
    @abc.abstractmethod
    def stats(self) -> CacheStats:
        """The counters (hits, misses, hit_ratio, size, evictions, expirations)."""

    def iter_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The live keys of this cache that start with ``prefix`` (matched literally).

        Keys come as the cache's callers name them (a namespaced cache yields them
        without its namespace). Keys written while the iteration runs may or may not
        be included. Stores that cannot list their keys raise ``NotImplementedError``.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot list its keys")

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The hits among ``keys``, as a dict (misses are left out)."""
        found: dict[str, Any] = {}
        for key in keys:
            value = await self.get(key, MISS)
            if value is not MISS:
                found[key] = value
        return found

    async def set_many(self, mapping: Mapping[str, Any], ttl: TTL = None) -> None:
        """Store every item of ``mapping`` with the same ``ttl``."""
        for key, value in mapping.items():
            await self.set(key, value, ttl)

    async def delete_many(self, keys: Iterable[str]) -> int:
        """Remove every key in ``keys``; how many held a live value."""
        deleted = 0
        for key in keys:
            deleted += await self.delete(key)
        return deleted

    # Two overloads, because a type checker cannot solve ``Callable[[], T | Awaitable[T]]``
    # for an async factory (it could be T = the coroutine itself).
    @overload
    async def get_or_set(
        self, key: str, factory: Callable[[], Awaitable[T]], ttl: TTL = None
    ) -> T: ...

    @overload
    async def get_or_set(self, key: str, factory: Callable[[], T], ttl: TTL = None) -> T: ...

    async def get_or_set(
        self,
        key: str,
        factory: Callable[[], T | Awaitable[T]],
        ttl: TTL = None,
    ) -> T:
        """The cached value of ``key``, or the result of ``factory()``, stored with ``ttl``.

        Single-flight: while one caller runs ``factory`` for a key, other callers of the
        same key on this cache wait for its result instead of running it again. If it
        raises, every waiter gets the exception and nothing is stored. If the caller
        running it is cancelled, one of the waiters takes over. No lock is held while
        ``factory`` runs. ``factory`` may be a plain or an async callable.
        """
        return await single_flight(self, self._flights, key, factory, ttl)

    async def aclose(self) -> None:  # noqa: B027 - a hook: most stores hold nothing
        """Release resources (connections, background tasks). The cache can be entered
        or used again afterwards."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
