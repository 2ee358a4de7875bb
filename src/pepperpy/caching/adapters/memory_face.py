"""MemoryCache's hot path: reads, writes and their batches, compiled with the core.

:class:`MemoryFace` holds the cache's state (the engine, the clock, the listener and
the tag book) and the calls that run most: ``get``, ``set``, ``get_many``,
``set_many`` and ``delete_many``. The compiled build makes it a native class, so a
call runs no interpreted frame of its own between the caller's ``await`` and the
engine; MemoryCache adds the rest of the interface in plain Python
(:mod:`.memory_ops`, :mod:`.memory`) and is a ``CacheBackend`` too: both share
:class:`~.backend_state.BackendState`, the class that lays out their instances.
MemoryFace is no generic class (a generic native class gets an instance
``__dict__``); MemoryCache gives its methods their value types. The arguments the
library checks itself are ``object`` in the implementations (the overloads give
their types), so that the compiled build raises the library's errors, not mypyc's
own.

Tags are kept in a :class:`~pepperpy.caching.core.loading.TagBook`, created on the
first tagged write (a cache that never tags pays nothing) and told of every key the
cache removes: deleted, overwritten without tags, evicted, reclaimed after expiry or
cleared. A key that expired but was not reclaimed yet stays in its tags until it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, overload

import anyio.abc

from ..core.engine import CacheEngine
from ..core.entry import MISS, Removal
from ..core.keys import check_keys
from ..core.loading import TagBook, check_tags
from ..core.ttl import TTL, normalize_ttl
from .backend_state import BackendState
from .clock import Clock, runtime_clock
from .native import mypyc_attr

__all__ = ("MemoryFace", "RemovalListener")

_log = logging.getLogger("pepperpy.caching")

RemovalListener = Callable[[Removal], object]
"""Called with each entry a cache evicts or reclaims after expiry."""

D = TypeVar("D")


@mypyc_attr(allow_interpreted_subclasses=True)
class MemoryFace(BackendState):
    """The state and the hot path of :class:`~pepperpy.caching.MemoryCache` (its base;
    not used alone)."""

    __slots__ = (
        "_book",
        "_clock",
        "_deadlines",
        "_engine",
        "_on_evict",
        "_reaper",
        "_timed",
        "_user_clock",
    )

    def _bind(
        self,
        engine: CacheEngine,
        clock: Clock | None,
        on_evict: RemovalListener | None,
        book: TagBook | None,
    ) -> None:
        self._engine: CacheEngine = engine
        self._timed: bool = engine.default_ttl is not None
        self._deadlines: Mapping[str, float] = engine.deadlines
        self._user_clock: Clock | None = clock
        self._clock: Clock | None = clock
        self._on_evict: RemovalListener | None = on_evict
        self._reaper: anyio.abc.TaskGroup | None = None
        self._book: TagBook | None = book

    # -- the hot path ----------------------------------------------------------------

    @overload
    async def get(self, key: str) -> Any: ...

    @overload
    async def get(self, key: str, default: D) -> Any | D: ...

    async def get(self, key: object, default: Any = None) -> Any:
        """The value of ``key``, or ``default`` on a miss or after expiry."""
        value = self._engine.get(key, _read_clock(self) if self._deadlines else 0.0)
        return default if value is MISS else value

    @overload
    async def set(self, key: str, value: Any, ttl: TTL = None) -> None: ...

    @overload
    async def set(self, key: str, value: Any, ttl: TTL = None, *, tags: Iterable[str]) -> None: ...

    async def set(
        self, key: object, value: Any, ttl: TTL = None, *, tags: Iterable[str] = ()
    ) -> None:
        """Store ``value`` under ``key``; ``ttl=None`` applies the default TTL.

        ``tags`` are names to :meth:`~CacheBackend.invalidate_tags` the key by; a write
        without tags takes the key out of those it had.
        """
        # The clock is read only when the write's answer can depend on it.
        now = _read_clock(self) if ttl is not None or self._timed or self._deadlines else 0.0
        if tags:
            _set_tagged(self, key, value, now, ttl, tags)
            return
        removed = self._engine.set(key, value, now, ttl)
        book = self._book
        if book is not None:
            book.forget(key)  # type: ignore[arg-type]  # the engine stored it: a str
        if removed:
            _report_removed(self, removed)

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The hits among ``keys``."""
        engine = self._engine
        now = _read_clock(self) if self._deadlines else 0.0
        found: dict[str, Any] = {}
        for key in keys:
            value = engine.get(key, now)
            if value is not MISS:
                found[key] = value
        return found

    async def set_many(self, mapping: Mapping[str, Any], ttl: TTL = None) -> None:
        """Store every item with the same ``ttl``. Bad input changes nothing."""
        normalize_ttl(ttl)
        check_keys(mapping)
        engine = self._engine
        now = _read_clock(self)
        for key, value in mapping.items():
            removed = engine.set(key, value, now, ttl)
            if removed:
                _report_removed(self, removed)
        _forget_keys(self, mapping)  # written without tags

    async def delete_many(self, keys: Iterable[str]) -> int:
        """Remove every key in ``keys``; how many held a live value."""
        engine = self._engine
        now = _read_clock(self)
        checked = check_keys(keys)
        _forget_keys(self, checked)
        deleted = 0
        for key in checked:
            deleted += engine.delete(key, now)
        return deleted

    # -- what the rest of the cache shares with the hot path --------------------------

    def _now(self) -> float:
        return _read_clock(self)

    def _report(self, removed: Iterable[Removal]) -> None:
        _report_removed(self, removed)

    def _forget(self, keys: Iterable[str]) -> None:
        _forget_keys(self, keys)

    def _retag(self, key: str, names: frozenset[str]) -> None:
        """``key`` was just written with the tags ``names`` (checked, maybe none)."""
        _add_tags(self, key, names)


# Functions rather than methods: the compiled hot path calls them directly, where a
# method of a class that Python may subclass is looked up on every call.


def _read_clock(cache: MemoryFace) -> float:
    clock = cache._clock
    if clock is None:
        clock = cache._clock = runtime_clock()
    return clock()


def _report_removed(cache: MemoryFace, removed: Iterable[Removal]) -> None:
    """Tell the tag book and the listener of what a write removed."""
    if cache._book is not None:
        _forget_keys(cache, [removal.key for removal in removed])
    listener = cache._on_evict
    if listener is None:
        return
    for removal in removed:
        try:
            listener(removal)
        except Exception:
            _log.exception("on_evict listener failed for key %r", removal.key)


def _forget_keys(cache: MemoryFace, keys: Iterable[str]) -> None:
    book = cache._book
    if book is not None:
        for key in keys:
            book.forget(key)


def _add_tags(cache: MemoryFace, key: str, names: frozenset[str]) -> None:
    book = cache._book
    if book is None:
        if not names:
            return
        # The book must hear of every eviction and expiry from now on.
        cache._engine.report_removals()
        book = cache._book = TagBook()
    book.tag(key, names)


def _set_tagged(
    cache: MemoryFace, key: object, value: Any, now: float, ttl: TTL, tags: Iterable[str]
) -> None:
    """``set`` with tags: checked first, so that bad tags store nothing."""
    names = check_tags(tags)
    removed = cache._engine.set(key, value, now, ttl)
    if removed:
        _report_removed(cache, removed)
    _add_tags(cache, key, names)  # type: ignore[arg-type]  # the engine stored it: a str
