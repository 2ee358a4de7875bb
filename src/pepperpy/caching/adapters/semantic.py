"""SemanticCache: answers cached by the meaning of their prompt, over a VectorCache.

Each stored prompt is a key of a :class:`VectorCache`; its embedding is the vector and
the answer rides in the metadata, so eviction, TTLs and saving work as they do there.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from os import PathLike
from typing import Any, Final, Generic, NamedTuple, Self, TypeVar, cast, final, overload

import anyio

from ..core.errors import ConfigurationError, InvalidKeyError
from ..core.ttl import TTL
from ..core.vectors.settings import check_threshold
from .single_flight import Flight
from .vector import VectorCache

__all__ = ("SemanticCache", "SemanticStats")

T = TypeVar("T")

_ANSWER: Final = "answer"


def _check_prompt(prompt: object) -> None:
    if not isinstance(prompt, str):
        raise InvalidKeyError(f"a prompt must be str; got {type(prompt).__name__}")


@final
@dataclass(frozen=True, slots=True)
class SemanticStats:
    """Counters of a :class:`SemanticCache` at one moment."""

    hits: int = 0
    """Calls answered from the cache (the same prompt, or one of like meaning)."""
    exact_hits: int = 0
    """Of the hits, those for a prompt stored as it was asked (no embedding needed)."""
    misses: int = 0
    """Calls that found no stored prompt close enough, and computed the answer."""
    near_misses: int = 0
    """Of the misses, those whose closest stored prompt scored within ``near_miss`` below
    the threshold: how many a slightly lower threshold would have turned into hits."""
    size: int = 0
    """Stored answers."""
    evictions: int = 0
    expirations: int = 0

    @property
    def hit_ratio(self) -> float:
        """Hits divided by calls, in [0, 1]; 0.0 before any."""
        calls = self.hits + self.misses
        return self.hits / calls if calls else 0.0


@final
class _Hit(NamedTuple):
    answer: Any
    exact: bool


@final
class _Miss(NamedTuple):
    vector: object
    """The prompt's embedding, for the write that follows."""
    near: bool


@final
class SemanticCache(Generic[T]):
    """Answers to prompts, reused for prompts of like meaning.

    ``embed`` turns a prompt into a vector (a sync or async callable; a sync one runs
    on the event loop, so give a slow model an async wrapper). T prompt's answer is
    reused for a later prompt whose embedding has a cosine similarity of at least
    ``threshold`` with it. ``max_size`` bounds the stored answers (least recently used
    leave first); ``ttl`` (seconds or a ``timedelta``) makes each answer expire.
    ``near_miss`` is how far below the threshold a miss counts as a near miss in
    :attr:`stats`. ``clock`` is as for every cache of the library; ``vectors`` passes
    other settings to the underlying :class:`VectorCache` (``recall=``, ``index=``...).
    """

    def __init__(
        self,
        embed: Callable[[str], object],
        threshold: float = 0.9,
        max_size: int | None = 10000,
        ttl: TTL = None,
        *,
        near_miss: float = 0.05,
        clock: Callable[[], float] | None = None,
        **vectors: Any,
    ) -> None:
        if not callable(embed):
            raise ConfigurationError(f"embed must be a callable; got {embed!r}")
        bound = check_threshold(threshold, "threshold")
        margin = check_threshold(near_miss, "near_miss")
        if bound is None or margin is None or margin < 0:
            raise ConfigurationError("threshold and near_miss must be numbers, near_miss >= 0")
        self._embed = embed
        self._threshold = bound
        self._near = bound - margin
        self._vectors = VectorCache(
            max_size=max_size,
            similarity_threshold=bound,
            default_ttl=ttl,
            clock=clock,
            **vectors,
        )
        self._flights: dict[str, Flight] = {}
        self._hits = self._exact = self._misses = self._near_misses = 0

    # -- the one call most code needs ----------------------------------------------

    @overload
    async def get_or_compute(self, prompt: str, compute: Callable[[], Awaitable[T]]) -> T: ...

    @overload
    async def get_or_compute(self, prompt: str, compute: Callable[[], T]) -> T: ...

    async def get_or_compute(self, prompt: str, compute: Callable[[], T | Awaitable[T]]) -> T:
        """The stored answer to ``prompt`` or to a prompt of like meaning, else the
        result of ``compute()`` (sync or async), stored for later prompts.

        Concurrent calls for the same prompt run ``compute`` once; the others wait for
        its answer (counted as exact hits) or its exception (which is not stored). If
        the caller running it is cancelled, one of the waiters takes over.
        """
        while True:
            flight = self._flights.get(prompt)
            if flight is None:
                found = await self._lookup(prompt)
                if isinstance(found, _Hit):
                    return cast(T, self._count(found))
                flight = self._flights.get(prompt)  # started while we embedded?
                if flight is None:
                    self._count(found)
                    return await self._compute(prompt, found.vector, compute)
            await flight.done.wait()
            if flight.error is not None:
                raise flight.error
            if flight.has_value:
                self._hits += 1
                self._exact += 1
                return cast(T, flight.value)
            # its owner was cancelled: look again, perhaps take over

    async def get(self, prompt: str, default: Any = None) -> Any:
        """The stored answer to ``prompt`` or to a prompt of like meaning, or
        ``default``; counted as a hit or a miss."""
        found = await self._lookup(prompt)
        answer = self._count(found)
        return default if isinstance(found, _Miss) else answer

    async def set(self, prompt: str, answer: T) -> None:
        """Store ``answer`` for ``prompt`` (and prompts of like meaning)."""
        _check_prompt(prompt)
        vector = await self._vector(prompt)
        await self._vectors.set(prompt, vector, metadata={_ANSWER: answer})

    async def delete(self, prompt: str) -> bool:
        """Forget the answer stored for exactly ``prompt``; whether there was one."""
        return await self._vectors.delete(prompt)

    async def clear(self) -> None:
        """Forget every answer; counters stay."""
        await self._vectors.clear()

    # -- saving --------------------------------------------------------------------

    async def save(self, path: str | PathLike[str]) -> None:
        """Save prompts, embeddings and answers (answers must be JSON-able): see
        :meth:`VectorCache.save`."""
        await self._vectors.save(path)

    @classmethod
    async def load(
        cls,
        path: str | PathLike[str],
        embed: Callable[[str], object],
        *,
        near_miss: float = 0.05,
        clock: Callable[[], float] | None = None,
    ) -> Self:
        """T cache holding what :meth:`save` wrote, with ``embed`` (the same model as
        before: embeddings of another model are not comparable)."""
        vectors = await VectorCache.load(path, clock=clock)
        bound = vectors.similarity_threshold
        cache = cls(embed, 0.9 if bound is None else bound, near_miss=near_miss)
        cache._vectors = vectors
        return cache

    # -- statistics ----------------------------------------------------------------

    @property
    def stats(self) -> SemanticStats:
        """Hits (exact and by meaning), misses, near misses, size, evictions."""
        inner = self._vectors.stats
        return SemanticStats(
            hits=self._hits,
            exact_hits=self._exact,
            misses=self._misses,
            near_misses=self._near_misses,
            size=inner.size,
            evictions=inner.evictions,
            expirations=inner.expirations,
        )

    @property
    def threshold(self) -> float:
        """The cosine similarity from which a stored answer is reused."""
        return self._threshold

    @property
    def vectors(self) -> VectorCache:
        """The vector cache underneath (prompts as keys, answers in the metadata)."""
        return self._vectors

    def __repr__(self) -> str:
        return f"SemanticCache(threshold={self._threshold}, size={self._vectors.size})"

    # -- internals -----------------------------------------------------------------

    async def _vector(self, prompt: str) -> object:
        vector = self._embed(prompt)
        if inspect.isawaitable(vector):
            vector = await vector
        return vector

    async def _lookup(self, prompt: str) -> _Hit | _Miss:
        """What the cache holds for ``prompt`` (not counted yet)."""
        _check_prompt(prompt)
        exact = await self._vectors.get_metadata(prompt)
        if exact is not None:
            return _Hit(exact[_ANSWER], exact=True)
        vector = await self._vector(prompt)
        best = await self._vectors.find_similar(vector, top_k=1, threshold=self._near)
        if best and best[0].score >= self._threshold:
            return _Hit(best[0].metadata[_ANSWER], exact=False)
        return _Miss(vector, near=bool(best))

    def _count(self, found: _Hit | _Miss) -> Any:
        """Count ``found`` in the statistics; its answer (``None`` for a miss)."""
        if isinstance(found, _Hit):
            self._hits += 1
            self._exact += found.exact
            return found.answer
        self._misses += 1
        self._near_misses += found.near
        return None

    async def _compute(
        self, prompt: str, vector: object, compute: Callable[[], T | Awaitable[T]]
    ) -> T:
        flight = self._flights[prompt] = Flight()
        try:
            answer = compute()
            if inspect.isawaitable(answer):
                answer = await answer
            await self._vectors.set(prompt, vector, metadata={_ANSWER: answer})
        except anyio.get_cancelled_exc_class():
            raise
        except BaseException as exc:
            flight.error = exc
            raise
        else:
            flight.value = answer
        finally:
            if self._flights.get(prompt) is flight:
                del self._flights[prompt]
            flight.done.set()
        return cast(T, answer)
