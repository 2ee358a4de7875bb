"""The state :class:`~pepperpy.caching.CacheBackend` keeps for every cache.

A class of its own, compiled with the core, so that MemoryCache's compiled hot path
(:mod:`.memory_face`) and the interface can be bases of one class: a native class
and a class with ``__slots__`` combine only when they share the class that lays out
the instance, and this is that class. It is no generic class and has no Python
bases, so the compiled build gives its instances no ``__dict__`` either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .native import mypyc_attr

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from .loading import LoadState
    from .single_flight import Flight

__all__ = ("BackendState",)


@mypyc_attr(allow_interpreted_subclasses=True)
class BackendState:
    """The in-process single flights, the loading options' state and the background
    task group of a cache (set by ``CacheBackend.__init__``)."""

    __slots__ = ("_flights", "_loading", "_tasks")

    _flights: dict[str, Flight]
    _loading: LoadState | None
    _tasks: TaskGroup | None
