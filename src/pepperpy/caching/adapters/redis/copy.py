"""Copying keys of every type between two RedisCaches: the core's copy plans, run.

The plans (:mod:`~pepperpy.caching.core.remote.copy_plans`) decide everything: what
to send, what each reply means, when to copy by type. This runs each plan on the
store it names, a page of keys at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, final

from ...core.remote.copy_plans import SOURCE, KeyCopy, RedisCopy
from ...core.remote.scan import ScanWalk
from .cache import RedisCache

__all__ = ("RedisCopier",)


@final
class RedisCopier:
    """Copies the keys of ``source`` (its namespace) into ``target`` (its namespace),
    with ``prefix`` in front of each; ``replace`` overwrites keys the target holds."""

    def __init__(
        self, source: RedisCache, target: RedisCache, prefix: str = "", *, replace: bool = False
    ) -> None:
        self._source = source
        self._target = target
        self.plans = RedisCopy(
            source._ops.space.key(""),
            target._ops.space.key(prefix),
            replace=replace,
            source_cluster=source._ops.cluster,
            target_cluster=target._ops.cluster,
        )

    async def pages(self, size: int) -> AsyncIterator[list[bytes]]:
        """The source's keys (full Redis names), ``size`` at a time, by SCAN; each
        listed once."""
        source = self._source
        walk = ScanWalk(source._ops.space.match_prefix(""), await source._nodes(), unique=True)
        keys: list[bytes] = []
        while (page := await source._page(walk)) is not None:
            keys.extend(page)
            while len(keys) >= size:
                yield keys[:size]
                keys = keys[size:]
        if keys:
            yield keys

    def source_key(self, stored: bytes) -> str:
        """The key a caller of the source cache uses for ``stored`` (bytes that are not
        UTF-8 kept as lone surrogates, so that every name stays distinct)."""
        space = self._source._ops.space
        try:
            return space.user_key(stored)
        except UnicodeDecodeError:
            cut = len(space.key(""))
            return stored[cut:].decode("utf-8", "surrogateescape")

    async def copy(self, keys: list[bytes], *, dry_run: bool = False) -> list[KeyCopy]:
        """Copy ``keys`` (or, with ``dry_run``, read them only); the fate of each."""
        job = self.plans.page(keys, dry_run=dry_run)
        result: Any = None
        try:
            while True:
                store, plan = job.send(result)
                cache = self._source if store == SOURCE else self._target
                result = await cache._execute(plan)
        except StopIteration as stop:
            done: list[KeyCopy] = stop.value
            return done
        finally:
            job.close()
