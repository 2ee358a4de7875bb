"""``@cached``: memoize an async function in any cache, single-flight."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import (
    Any,
    Concatenate,
    ParamSpec,
    Protocol,
    Self,
    TypedDict,
    TypeVar,
    Unpack,
    cast,
    overload,
)

from ..core.errors import ConfigurationError
from ..core.loading import check_beta
from ..core.ttl import TTL, normalize_ttl
from .backend import CacheBackend
from .decorator_wrappers import memoize

__all__ = (
    "CachedCallable",
    "CachedClassMethod",
    "CachedFunction",
    "Decorator",
    "LoadOptions",
    "cached",
)

P = ParamSpec("P")
Q = ParamSpec("Q")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
S = TypeVar("S")
S_contra = TypeVar("S_contra", contravariant=True)


class LoadOptions(TypedDict, total=False):
    """How ``@cached`` loads a missing result: the keywords it passes on to
    :meth:`CacheBackend.get_or_set`, unchanged."""

    ttl: TTL
    """The time a result stays cached, as ``get_or_set`` takes it: ``None`` (the
    cache's default), seconds, or a :class:`~datetime.timedelta`."""

    lock: bool
    """Load under the store's cross-process lock (RedisCache), so that one process
    of many runs the function for a key."""

    early_refresh: float | None
    """Recompute a result before it expires, the more likely the nearer its expiry
    and the slower the function (XFetch, this being its beta; 1.0 is a good start)."""

    stale_ttl: TTL
    """Keep a result this long past its TTL, served at once while one refresh runs."""


class CachedCallable(Protocol[P, R_co]):
    """A memoized coroutine function as it is called: ``await f(...)``,
    ``f.key_for(...)`` and ``await f.invalidate(...)`` take the same arguments."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R_co]:
        """The cached result of this call, or the function's result, cached."""
        ...

    def key_for(self, *args: P.args, **kwargs: P.kwargs) -> str:
        """The cache key of this call."""
        ...

    def invalidate(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, bool]:
        """Remove this call's memoized result; ``True`` if one was cached."""
        ...

    @property
    def __wrapped__(self) -> Callable[P, Coroutine[Any, Any, R_co]]:
        """The original function, which skips the cache when called."""
        ...

    __name__: str
    __qualname__: str


class CachedFunction(CachedCallable[P, R_co], Protocol[P, R_co]):
    """What ``@cached`` returns: a :class:`CachedCallable` that binds as a method.

    Read through an instance, a method binds its first parameter (``self``) as
    methods do; read through the class, it takes it first. A function whose first
    parameter is a class is a :class:`CachedClassMethod` instead.

    Under mypy a static method read through an instance (``Repo().double``) is typed
    as if it bound its first parameter, a limit of mypy's support for descriptors;
    pyright types it right. Read static methods through the class for mypy.
    """

    @overload
    def __get__(self, instance: None, owner: type[Any], /) -> Self: ...

    @overload
    def __get__(
        self: CachedFunction[Concatenate[S, Q], R],
        instance: S,
        owner: type[Any] | None = None,
        /,
    ) -> CachedCallable[Q, R]: ...

    @overload
    def __get__(self, instance: object, owner: type[Any] | None = None, /) -> Self: ...

    def __get__(self, instance: object, owner: type[Any] | None = None, /) -> object:
        """Bind the instance, if read through one."""
        ...


class CachedClassMethod(
    CachedCallable[Concatenate[type[S_contra], P], R_co], Protocol[S_contra, P, R_co]
):
    """What ``@cached`` returns for a function whose first parameter is a class, as a
    class method's ``cls`` is: read through the class or an instance, it binds the class.
    """

    def __get__(self, instance: object, owner: type[S_contra], /) -> CachedCallable[P, R_co]:
        """Bind the class."""
        ...


class Decorator(Protocol):
    """What ``cached(cache, ...)`` returns: turns a coroutine function into a
    :class:`CachedFunction` (or :class:`CachedClassMethod`) with the same parameters
    and result."""

    # Type checkers pass ``@classmethod`` functions on as plain ones: a first parameter
    # that takes a class (``cls``) is how one is told. One that takes any object (an
    # ``object`` or ``Any`` parameter) takes classes too, so it is caught first.
    @overload
    def __call__(  # pyright: ignore[reportOverlappingOverload]
        self, function: Callable[Concatenate[object, P], Coroutine[Any, Any, R]], /
    ) -> CachedFunction[Concatenate[object, P], R]: ...

    @overload
    def __call__(  # pyright: ignore[reportOverlappingOverload]
        self, function: Callable[Concatenate[type[S], P], Coroutine[Any, Any, R]], /
    ) -> CachedClassMethod[S, P, R]: ...

    @overload
    def __call__(
        self, function: Callable[P, Coroutine[Any, Any, R]], /
    ) -> CachedFunction[P, R]: ...

    def __call__(self, function: Callable[..., Coroutine[Any, Any, Any]], /) -> object:
        """Memoize ``function``."""
        ...


def cached(
    cache: CacheBackend,
    *,
    key: str | Callable[..., str] | None = None,
    **loading: Unpack[LoadOptions],
) -> Decorator:
    """Memoize an async function in ``cache``: ``@cached(cache, ttl=60)``.

    A call looks its key up in ``cache`` and, on a miss, awaits the function once for
    all concurrent callers of that key (:meth:`CacheBackend.get_or_set`), storing the
    result with ``ttl``; ``lock``, ``early_refresh`` and ``stale_ttl`` are passed on
    to ``get_or_set`` as they are (:class:`LoadOptions`). The key is, with ``key`` left
    out, the function's module and qualified name and the :func:`repr` of its
    arguments, bound to its parameters with the defaults applied (``f(1)``,
    ``f(x=1)`` and ``f(1, y=2)`` where 2 is ``y``'s default have one key), without
    ``self`` or ``cls``. ``key`` may instead be a template such as
    ``"user:{user_id}"``, filled from the parameters by name, or a callable, called
    with the parameters' values as the function's own signature takes them.
    Whatever can be checked is checked here, at decoration time
    (:class:`ConfigurationError`).

    The result is a coroutine function with the wrapped function's signature, name and
    docstring, plus ``key_for(...)``, ``invalidate(...)`` and ``__wrapped__``
    (:class:`CachedFunction`). On a function defined in a class body ``@cached`` must be
    the outermost decorator (above ``@classmethod`` or ``@staticmethod``).
    """
    if not isinstance(cache, CacheBackend):
        raise ConfigurationError(f"cache must be a CacheBackend; got {type(cache).__name__}")
    unknown = sorted(loading.keys() - LoadOptions.__optional_keys__)
    if unknown:
        raise ConfigurationError(f"cached() got unknown keywords: {', '.join(unknown)}")
    normalize_ttl(loading.get("ttl"))
    normalize_ttl(loading.get("stale_ttl"))
    check_beta(loading.get("early_refresh"))
    if not isinstance(loading.get("lock", False), bool):
        raise ConfigurationError(f"lock must be True or False; got {loading['lock']!r}")
    if key is not None and not isinstance(key, str) and not callable(key):
        raise ConfigurationError(
            f"key must be a template str or a callable; got {type(key).__name__}"
        )

    def decorate(function: Callable[P, Coroutine[Any, Any, R]], /) -> CachedFunction[P, R]:
        return cast("CachedFunction[P, R]", memoize(cache, function, key, loading))

    return cast(Decorator, decorate)
