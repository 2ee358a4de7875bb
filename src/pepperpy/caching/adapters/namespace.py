"""Cache: a namespaced view over any cache."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, TypeVar, final, overload

from ..core.entry import MISS, CacheStats
from ..core.errors import ConfigurationError
from ..core.keys import SEPARATOR, check_keys, validate_namespace
from ..core.loading import check_tags
from ..core.ttl import TTL
from .backend import CacheBackend, V

__all__ = ("SEPARATOR", "Cache")

T = TypeVar("T")
D = TypeVar("D")


@final
class Cache(CacheBackend[V]):
    """A view of ``backend`` in which every key lives under ``namespace``.

    ``Cache(backend, namespace="users")`` stores key ``"123"`` as ``"users:123"`` in
    ``backend``; views nest (``Cache(users, namespace="active")`` uses
    ``"users:active:…"``). :meth:`clear` removes exactly this namespace, whatever
    characters the keys of other namespaces contain. Keys may contain anything.

    ``stats`` counts this view's own hits and misses; ``size``, ``evictions`` and
    ``expirations`` are the backend's (store-wide) figures.
    """

    __slots__ = ("_backend", "_hits", "_misses", "_namespace", "_prefix")

    def __init__(self, backend: CacheBackend[V], namespace: str) -> None:
        super().__init__()
        if not isinstance(backend, CacheBackend):
            raise ConfigurationError(
                f"backend must be a CacheBackend; got {type(backend).__name__}"
            )
        self._namespace = validate_namespace(namespace)
        self._backend = backend
        self._prefix = namespace + SEPARATOR
        self._hits = 0
        self._misses = 0

    @property
    def namespace(self) -> str:
        """This view's namespace (without the enclosing views' ones)."""
        return self._namespace

    @property
    def prefix(self) -> str:
        """What this view puts in front of each key, e.g. ``"users:"``."""
        return self._prefix

    @property
    def backend(self) -> CacheBackend:
        """The cache this view stores into."""
        return self._backend

    def _full(self, key: str) -> str:
        check_keys((key,))
        return self._prefix + key

    @overload
    async def get(self, key: str) -> V | None: ...

    @overload
    async def get(self, key: str, default: D) -> V | D: ...

    async def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` in this namespace, or ``default``."""
        value = await self._backend.get(self._full(key), MISS)
        if value is MISS:
            self._misses += 1
            return default
        self._hits += 1
        return value

    async def set(self, key: str, value: V, ttl: TTL = None, *, tags: Iterable[str] = ()) -> None:
        """Store ``value`` under ``key`` in this namespace.

        ``tags`` are this namespace's own: ``invalidate_tags`` of another namespace
        (or of the backend) with the same names does not reach them.
        """
        if tags:
            names = check_tags(tags)
            if names:
                prefix = self._prefix
                full = [prefix + name for name in names]
                await self._backend.set(self._full(key), value, ttl, tags=full)  # type: ignore[call-arg]
                return
        await self._backend.set(self._full(key), value, ttl)

    async def invalidate_tags(self, *tags: str) -> int:
        """Remove the keys of this namespace written with any of ``tags``."""
        prefix = self._prefix
        return await self._backend.invalidate_tags(*(prefix + name for name in check_tags(tags)))

    async def add(self, key: str, value: V, ttl: TTL = None) -> bool:
        """Store ``value`` under ``key`` in this namespace if it holds nothing."""
        return await self._backend.add(self._full(key), value, ttl)

    async def incr(self, key: str, delta: int = 1) -> int:
        """Add ``delta`` to the integer under ``key`` in this namespace, atomically."""
        return await self._backend.incr(self._full(key), delta)

    async def expire(self, key: str, ttl: TTL) -> bool:
        """Give ``key`` of this namespace a new TTL; whether it was there."""
        return await self._backend.expire(self._full(key), ttl)

    async def touch(self, key: str) -> bool:
        """Count ``key`` of this namespace as just used; whether it was there."""
        return await self._backend.touch(self._full(key))

    async def contains(self, key: str) -> bool:
        """Whether ``key`` holds a live value in this namespace."""
        return await self._backend.contains(self._full(key))

    async def delete(self, key: str) -> bool:
        """Remove ``key`` from this namespace."""
        return await self._backend.delete(self._full(key))

    async def clear(self) -> None:
        """Remove every key of this namespace, and nothing else."""
        await self._backend.delete_prefix(self._prefix)

    async def delete_prefix(self, prefix: str) -> int:
        """Remove the keys of this namespace that start with ``prefix``."""
        return await self._backend.delete_prefix(self._full(prefix))

    async def ttl(self, key: str) -> float | None:
        """Seconds left for ``key`` in this namespace (``None``: no expiry or absent)."""
        return await self._backend.ttl(self._full(key))

    async def iter_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The live keys of this namespace that start with ``prefix``, namespace removed."""
        cut = len(self._prefix)
        async for key in self._backend.iter_keys(self._full(prefix)):
            yield key[cut:]

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The hits among ``keys``, keyed as given (without the namespace)."""
        wanted = check_keys(keys)
        prefix = self._prefix
        found = await self._backend.get_many([prefix + key for key in wanted])
        cut = len(prefix)
        hits = {full[cut:]: value for full, value in found.items()}
        self._hits += len(hits)
        self._misses += len(set(wanted)) - len(hits)
        return hits

    async def set_many(self, mapping: Mapping[str, Any], ttl: TTL = None) -> None:
        """Store every item in this namespace."""
        prefix = self._prefix
        check_keys(mapping)
        await self._backend.set_many({prefix + k: v for k, v in mapping.items()}, ttl)

    async def delete_many(self, keys: Iterable[str]) -> int:
        """Remove every key in ``keys`` from this namespace."""
        prefix = self._prefix
        return await self._backend.delete_many([prefix + key for key in check_keys(keys)])

    # -- get_or_set's hooks: the backend's, on the full key ------------------------------

    async def _store_loaded(self, key: str, value: Any, ttl: TTL) -> None:
        await self._backend._store_loaded(self._full(key), value, ttl)

    def _effective_ttl(self, ttl: TTL) -> float | None:
        return self._backend._effective_ttl(ttl)

    async def _get_with_ttl(self, key: str) -> tuple[Any, float | None]:
        found = await self._backend._get_with_ttl(self._full(key))
        if found[0] is MISS:
            self._misses += 1
        else:
            self._hits += 1
        return found

    async def _load_locked(
        self, key: str, run: Callable[[], Awaitable[T]], *, refresh: bool = False
    ) -> T:
        return await self._backend._load_locked(self._full(key), run, refresh=refresh)

    def _spawn(self, function: Callable[[], Coroutine[Any, Any, object]]) -> bool:
        return self._backend._spawn(function)

    @property
    def stats(self) -> CacheStats:
        """This view's hits and misses; size, evictions, expirations, rejections and
        weight of the backend."""
        store = self._backend.stats
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            size=store.size,
            evictions=store.evictions,
            expirations=store.expirations,
            rejections=store.rejections,
            weight=store.weight,
        )

    async def aclose(self) -> None:
        """Nothing to release: the backend belongs to its owner."""

    def __repr__(self) -> str:
        return f"Cache({self._backend!r}, namespace={self._namespace!r})"
