"""Which library an old configuration was written for, where a name means different
things in different libraries.

``timeout`` is the one such name: in aiocache it bounds each operation (an operation
timeout, RedisCache's ``timeout``), in Django it is how long entries live (the default
TTL). A configuration says which library it is for through its backend setting
(``"aiocache.RedisCache"``, ``"django.core.cache.backends.redis.RedisCache"``) or
through names only aiocache uses (``endpoint``, ``plugins``). When nothing says, the
setting is dropped with a warning rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal

__all__ = ("AMBIGUOUS_TIMEOUT", "Dialect", "dialect_of", "timeout_meaning")

Dialect = Literal["aiocache", "django"]

_AIOCACHE_ONLY_NAMES: Final = frozenset({"endpoint", "plugins"})

AMBIGUOUS_TIMEOUT: Final = (
    "it is an operation timeout in aiocache and the default TTL in Django, and this "
    "configuration does not say which library it is for: write 'ttl' for how long "
    "entries live, or 'operation_timeout' for how long a RedisCache operation may take"
)
"""Why a ``timeout`` setting is dropped when the configuration's library is unknown."""

_MEMORY_NEVER_WAITS: Final = (
    "aiocache's timeout bounds each operation; MemoryCache operations never wait"
)


def dialect_of(backends: Iterable[str], names: Iterable[str]) -> Dialect | None:
    """The library a configuration is for, from the text of its backend settings and
    its (normalized) setting names; ``None`` when they do not tell."""
    for text in backends:
        word = text.lower()
        if "aiocache" in word:
            return "aiocache"
        if "django" in word:
            return "django"
    if _AIOCACHE_ONLY_NAMES & set(names):
        return "aiocache"
    return None


def timeout_meaning(dialect: Dialect | None, *, redis: bool) -> tuple[str | None, str]:
    """The new setting a ``timeout`` stands for, or ``None`` and why it is dropped.

    aiocache's ``timeout`` is RedisCache's ``timeout`` (for an in-process cache it has
    no equivalent); Django's is ``default_ttl``.
    """
    if dialect == "django":
        return "default_ttl", ""
    if dialect == "aiocache":
        return ("timeout", "") if redis else (None, _MEMORY_NEVER_WAITS)
    return None, AMBIGUOUS_TIMEOUT
