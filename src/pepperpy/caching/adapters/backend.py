"""The async interface every cache implements."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

from ..core.entry import MISS, CacheStats
from ..core.keys import check_keys
from ..core.ttl import TTL, normalize_ttl
from .backend_state import BackendState
from .loading import LoadState, load
from .single_flight import single_flight

__all__ = ("CacheBackend", "V", "check_keys")

T = TypeVar("T")
D = TypeVar("D")

if TYPE_CHECKING:
    # A default (PEP 696) so that a cache written without a value type, MemoryCache(),
    # is a cache of Any; at run time a plain TypeVar, which costs nothing.
    from typing_extensions import TypeVar as DefaultedTypeVar

    V = DefaultedTypeVar("V", default=Any)
else:
    V = TypeVar("V")


class CacheBackend(BackendState, abc.ABC, Generic[V]):
    """What every cache offers: the same coroutine methods on every store and runtime.

    Generic in the type of its values, for type checkers only: ``MemoryCache[User]()``
    is a cache whose ``get`` returns ``User | None`` (or ``User | D`` with a default
    of type ``D``); written without a type, a cache holds ``Any``.

    Subclasses implement the abstract methods; the batch methods have looping defaults
    that stores with a native batch operation override. ``ttl`` arguments take
    ``None`` (the cache's default TTL, itself ``None`` = never expire unless set), a
    positive finite number of seconds, or a :class:`datetime.timedelta`.

    Subclasses must call ``super().__init__()``. The base holds no ``__dict__``, so a
    subclass that declares ``__slots__`` gets instances without one.
    """

    __slots__ = ()

    def __init__(self) -> None:
        cls = type(self)
        if cls.__abstractmethods__:
            # Python refuses this in object.__new__, which a compiled base does not run.
            missing = sorted(cls.__abstractmethods__)
            raise TypeError(
                f"Can't instantiate abstract class {cls.__name__} with abstract"
                f" method{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
            )
        self._flights = {}
        self._loading = None
        self._tasks = None

    @overload
    async def get(self, key: str) -> V | None: ...

    @overload
    async def get(self, key: str, default: D) -> V | D: ...

    @abc.abstractmethod
    async def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default`` on a miss (a stored ``None``
        is a hit)."""

    @abc.abstractmethod
    async def set(self, key: str, value: V, ttl: TTL = None) -> None:
        """Store ``value`` under ``key``, replacing any value and TTL it had.

        Caches with tags take ``tags=(...)`` too: names to :meth:`invalidate_tags` by.
        """

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

    async def add(self, key: str, value: Any, ttl: TTL = None) -> bool:
        """Store ``value`` only if ``key`` holds no live value; whether it was stored."""
        raise NotImplementedError(f"{type(self).__name__} has no add()")

    async def incr(self, key: str, delta: int = 1) -> int:
        """Add ``delta`` to the integer under ``key`` (0 if absent), atomically; the
        new value. :class:`~pepperpy.caching.NotAnIntegerError` for another value."""
        raise NotImplementedError(f"{type(self).__name__} has no incr()")

    async def expire(self, key: str, ttl: TTL) -> bool:
        """Give the live ``key`` a new TTL; whether it was there."""
        raise NotImplementedError(f"{type(self).__name__} has no expire()")

    async def touch(self, key: str) -> bool:
        """Count ``key`` as just used (recency, idle time), not as a hit; whether it
        was there. Its TTL is left alone."""
        raise NotImplementedError(f"{type(self).__name__} has no touch()")

    async def invalidate_tags(self, *tags: str) -> int:
        """Remove every key written with any of ``tags``; how many there were."""
        raise NotImplementedError(f"{type(self).__name__} has no tags")

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
        self,
        key: str,
        factory: Callable[[], Awaitable[T]],
        ttl: TTL = None,
        *,
        lock: bool = False,
        early_refresh: float | None = None,
        stale_ttl: TTL = None,
    ) -> T: ...

    @overload
    async def get_or_set(
        self,
        key: str,
        factory: Callable[[], T],
        ttl: TTL = None,
        *,
        lock: bool = False,
        early_refresh: float | None = None,
        stale_ttl: TTL = None,
    ) -> T: ...

    async def get_or_set(
        self,
        key: str,
        factory: Callable[[], T | Awaitable[T]],
        ttl: TTL = None,
        *,
        lock: bool = False,
        early_refresh: float | None = None,
        stale_ttl: TTL = None,
    ) -> T:
        """The cached value of ``key``, or the result of ``factory()``, stored with ``ttl``.

        Single-flight: while one caller runs ``factory`` for a key, other callers of the
        same key on this cache wait for its result instead of running it again. If it
        raises, every waiter gets the exception and nothing is stored. If the caller
        running it is cancelled, one of the waiters takes over. No lock is held while
        ``factory`` runs. ``factory`` may be a plain or an async callable.

        ``lock=True`` extends the single flight across processes on a store that has a
        lock (RedisCache); elsewhere the in-process single flight is all there is to do.
        ``early_refresh=beta`` (1.0 is a good start) recomputes a value before it
        expires, with a probability that grows as its expiry nears and with how long
        ``factory`` took (XFetch). ``stale_ttl=seconds`` keeps a value that long past
        its TTL, served at once while one refresh runs. Both need a TTL (``ttl`` or the
        cache's default). Refreshes run in the background inside ``async with cache:``;
        outside, the caller that starts one waits for it. A failed refresh keeps the
        old value and logs a warning. A remote cache with ``fail_open=True`` returns
        the loaded value even when storing it fails.
        """
        if lock is False and early_refresh is None and stale_ttl is None:
            return await single_flight(self, self._flights, key, factory, ttl)
        return await load(
            self, key, factory, ttl, lock=lock, early_refresh=early_refresh, stale_ttl=stale_ttl
        )

    # -- hooks of get_or_set: stores with something better to offer override them --------

    async def _store_loaded(self, key: str, value: Any, ttl: TTL) -> None:
        """Store a value ``get_or_set`` loaded (a fail-open store may drop a failed write)."""
        await self.set(key, value, ttl)

    def _effective_ttl(self, ttl: TTL) -> float | None:
        """``ttl`` in seconds, the cache's default TTL applied to ``None``."""
        return normalize_ttl(ttl)

    async def _get_with_ttl(self, key: str) -> tuple[Any, float | None]:
        """The value of ``key`` (or :data:`MISS`) and its seconds left (``None``: none)."""
        value = await self.get(key, MISS)
        if value is MISS:
            return MISS, None
        return value, await self.ttl(key)

    async def _load_locked(
        self, key: str, run: Callable[[], Awaitable[T]], *, refresh: bool = False
    ) -> T:
        """``run()`` under a lock shared with other processes, or the value another
        holder of the lock stored meanwhile (for a ``refresh``, the value there is the
        one to replace: any value found while waiting will do). In-process stores
        just run it."""
        return await run()

    def _load_state(self) -> LoadState:
        state = self._loading
        if state is None:
            state = self._loading = LoadState()
        return state

    def _spawn(self, function: Callable[[], Coroutine[Any, Any, object]]) -> bool:
        """Start ``function`` in the cache's background task group; ``False`` if the
        cache has none (it is not inside ``async with``)."""
        tasks = self._tasks
        if tasks is None:
            return False
        tasks.start_soon(function)
        return True

    async def aclose(self) -> None:
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
