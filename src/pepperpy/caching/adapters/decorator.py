"""``@cached``: memoize an async function in any cache, single-flight."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, Protocol, TypeVar, overload

from ..core.errors import ConfigurationError
from ..core.ttl import TTL, normalize_ttl
from .backend import CacheBackend

__all__ = ("Decorator", "cached")

P = ParamSpec("P")
R = TypeVar("R")


def default_key(
    function: Callable[..., object], args: tuple[object, ...], kwargs: dict[str, object]
) -> str:
    """``module.qualname(repr of the arguments)``, keyword arguments sorted by name."""
    parts = [repr(arg) for arg in args]
    parts.extend(f"{name}={value!r}" for name, value in sorted(kwargs.items()))
    return f"{function.__module__}.{function.__qualname__}({', '.join(parts)})"


class Decorator(Protocol):
    """What ``cached(cache)`` returns: keeps the signature of the function it wraps."""

    def __call__(self, function: Callable[P, Awaitable[R]], /) -> Callable[P, Awaitable[R]]:
        """Wrap ``function``."""
        ...


# Without ``key`` nothing binds P before the function is seen, so that overload returns a
# decorator that is generic itself; with ``key``, P comes from ``key``'s signature.
@overload
def cached(cache: CacheBackend, *, ttl: TTL = None, key: None = None) -> Decorator: ...


@overload
def cached(
    cache: CacheBackend, *, ttl: TTL = None, key: Callable[P, str]
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]: ...


def cached(
    cache: CacheBackend,
    *,
    ttl: TTL = None,
    key: Callable[P, str] | None = None,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Cache the results of an async function in ``cache``.

    Each call looks up a key built by ``key(*args, **kwargs)`` (by default the
    function's qualified name and the ``repr`` of its arguments, so arguments should
    have stable, distinguishing reprs) and, on a miss, awaits the function once for
    all concurrent callers (:meth:`CacheBackend.get_or_set`), storing the result with
    ``ttl``. The wrapper keeps the function's signature for type checkers.
    """
    if not isinstance(cache, CacheBackend):
        raise ConfigurationError(f"cache must be a CacheBackend; got {type(cache).__name__}")
    normalize_ttl(ttl)

    def decorate(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(function)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            cache_key = (
                key(*args, **kwargs) if key is not None else default_key(function, args, kwargs)
            )
            return await cache.get_or_set(cache_key, lambda: function(*args, **kwargs), ttl)

        return wrapper

    return decorate
