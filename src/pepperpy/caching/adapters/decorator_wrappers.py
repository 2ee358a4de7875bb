"""What ``@cached`` puts in place of a function: a coroutine function, or a method descriptor.

A function defined at module level or inside another function becomes a coroutine
function. One defined in a class body (its ``__qualname__`` says so) becomes a
:class:`CachedMethod`, which binds the instance on attribute access as a method
does, or the class when ``@cached`` was put above ``@classmethod``; above
``@staticmethod`` the result is a ``staticmethod`` again. The first parameter of a
method or a class method is its receiver, and the default key leaves it out.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Final

from ..core.errors import ConfigurationError
from .backend import CacheBackend
from .decorator_arguments import ArgumentBinder
from .decorator_keys import CallableKey, DefaultKey, KeyBuilder, TemplateKey

__all__ = ("BoundCached", "CachedMethod", "memoize")

_OUTERMOST: Final = (
    "@cached on a function defined in a class body must be its outermost decorator, "
    "so that it sees how the function is bound: write @cached(...) above @classmethod, "
    "@staticmethod and any other decorator"
)


def memoize(
    cache: CacheBackend,
    target: object,
    key: str | Callable[..., object] | None,
    loading: Mapping[str, Any],
) -> Any:
    """The object that replaces ``target`` (see the module's docstring)."""
    bind_owner = isinstance(target, classmethod)
    static = isinstance(target, staticmethod)
    function: Any = target.__func__ if bind_owner or static else target  # type: ignore[attr-defined]
    if not inspect.iscoroutinefunction(function) or not hasattr(function, "__qualname__"):
        raise ConfigurationError(
            f"@cached wraps coroutine functions (async def); {function!r} is not one. "
            "For a plain function's result, call cache.get_or_set(key, lambda: f(...)) "
            "from async code"
        )
    # A bound method is already bound; a staticmethod never is.
    in_class = bind_owner or (
        not static and not inspect.ismethod(target) and _defined_in_class_body(function)
    )
    signature = inspect.signature(function)
    if in_class:
        first = next(iter(signature.parameters.values()), None)
        if first is None or first.kind not in (first.POSITIONAL_ONLY, first.POSITIONAL_OR_KEYWORD):
            raise ConfigurationError(
                f"{function.__qualname__}{signature} is defined in a class body, so @cached "
                "binds it as a method, but it has no first positional parameter to take "
                "self (or cls); make it a @staticmethod if it takes none"
            )
    builder = _key_builder(function, signature, key, in_class)
    wrapper = _coroutine_function(cache, function, builder, loading)
    if static:
        return staticmethod(wrapper)
    if in_class:
        return CachedMethod(wrapper, bind_owner=bind_owner)
    return wrapper


def _defined_in_class_body(function: Callable[..., Any]) -> bool:
    """Whether ``function`` was defined directly in a class body (``"Repo.load"``)."""
    scope, _, _ = function.__qualname__.rpartition(".")
    return bool(scope) and not scope.endswith("<locals>")


def _key_builder(
    function: Callable[..., Any],
    signature: inspect.Signature,
    key: str | Callable[..., object] | None,
    has_receiver: bool,
) -> KeyBuilder:
    binder = ArgumentBinder(signature)
    if key is None:
        return DefaultKey(function, binder, skip_first=has_receiver)
    if isinstance(key, str):
        return TemplateKey(key, function, binder)
    return CallableKey(key, function, binder)


def _coroutine_function(
    cache: CacheBackend,
    function: Callable[..., Coroutine[Any, Any, Any]],
    key: KeyBuilder,
    loading: Mapping[str, Any],
) -> Callable[..., Coroutine[Any, Any, Any]]:
    """``function`` memoized in ``cache``, with ``key_for`` and ``invalidate`` attached."""
    get_or_set = cache.get_or_set

    @functools.wraps(function)
    async def memoized(*args: Any, **kwargs: Any) -> Any:
        return await get_or_set(key(args, kwargs), lambda: function(*args, **kwargs), **loading)

    def key_for(*args: Any, **kwargs: Any) -> str:
        """The cache key of a call with these arguments."""
        return key(args, kwargs)

    async def invalidate(*args: Any, **kwargs: Any) -> bool:
        """Remove the memoized result of a call with these arguments; whether one was there."""
        return await cache.delete(key(args, kwargs))

    for helper in (key_for, invalidate):
        helper.__qualname__ = f"{function.__qualname__}.{helper.__name__}"
        helper.__module__ = function.__module__
    memoized.key_for = key_for  # type: ignore[attr-defined]
    memoized.invalidate = invalidate  # type: ignore[attr-defined]
    return memoized


class CachedMethod:
    """A ``@cached`` function of a class: binds on attribute access as methods do.

    Through the class (``Repo.load``) it is the memoized coroutine function itself,
    taking the instance first; through an instance (``repo.load``) it is a
    :class:`BoundCached` that passes the instance. With ``bind_owner`` (``@cached``
    above ``@classmethod``) both bind the class.
    """

    __slots__ = ("__dict__", "_bind_owner", "_memoized")

    def __init__(self, memoized: Callable[..., Any], *, bind_owner: bool) -> None:
        self._memoized = memoized
        self._bind_owner = bind_owner
        functools.update_wrapper(self, memoized.__wrapped__)  # type: ignore[attr-defined]

    def __get__(self, instance: object, owner: type[Any] | None = None) -> Any:
        if self._bind_owner:
            return BoundCached(self._memoized, owner if owner is not None else type(instance))
        if instance is None:
            return self._memoized
        if instance is owner:  # @classmethod above: it binds us to the class as our instance
            raise ConfigurationError(_OUTERMOST)
        return BoundCached(self._memoized, instance)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Only a decorator above this one calls it unbound: @staticmethod (then the first
        # argument is no receiver) or another one (then it is): which, cannot be told.
        raise ConfigurationError(_OUTERMOST)

    def __repr__(self) -> str:
        return f"<cached method {self._memoized.__qualname__}>"


class BoundCached(functools.partial[Any]):
    # A cached method bound to its receiver: calling it, key_for and invalidate pass the
    # receiver first. A partial of the memoized coroutine function, so that
    # inspect.iscoroutinefunction is true of it on every Python version; other
    # attributes come from that function, as a bound method's come from its __func__.

    __slots__ = ()

    def key_for(self, *args: Any, **kwargs: Any) -> str:
        """The cache key of a call with these arguments."""
        key: str = self.func.key_for(*self.args, *args, **kwargs)  # type: ignore[attr-defined]
        return key

    async def invalidate(self, *args: Any, **kwargs: Any) -> bool:
        """Remove the memoized result of a call with these arguments; whether one was there."""
        removed: bool = await self.func.invalidate(*self.args, *args, **kwargs)  # type: ignore[attr-defined]
        return removed

    @property
    def __self__(self) -> object:
        """The receiver: the instance, or the class of a class method."""
        return self.args[0]

    @property
    def __wrapped__(self) -> Callable[..., Any]:
        """The original function bound to the receiver (calling it skips the cache)."""
        return types.MethodType(self.func.__wrapped__, self.args[0])  # type: ignore[attr-defined]

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self.func.__doc__

    def __getattr__(self, name: str) -> Any:
        return getattr(self.func, name)

    def __repr__(self) -> str:
        return f"<cached bound method {self.func.__qualname__} of {self.args[0]!r}>"
