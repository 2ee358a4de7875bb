"""Writing a batch of source items into the new cache.

Items are grouped by their rounded remaining TTL (see :mod:`.ttl_grid`) and each group
is written with one ``set_many`` (a lone item with ``set``); a few groups are written
at a time. When a ``set_many`` fails, its items are written one by one to find the
item(s) at fault, so one bad value costs only itself.
"""

from __future__ import annotations

from typing import Any, final

from pepperpy.caching import CacheBackend

from .fanout import each
from .health import StoreHealth
from .items import SourceItem, describe
from .ttl_grid import ttl_bucket

__all__ = ("BatchWriter",)

_Group = tuple[float | None, dict[str, Any]]


@final
class BatchWriter:
    """Writes items into ``target``, each key with ``prefix`` in front."""

    def __init__(
        self, target: CacheBackend, prefix: str, health: StoreHealth, concurrency: int
    ) -> None:
        self._target = target
        self._prefix = prefix
        self._health = health
        self._concurrency = concurrency

    async def write(self, items: list[SourceItem]) -> dict[Any, str]:
        """Write ``items`` (all with ``str`` keys); the reason for each one that failed,
        keyed by its source key."""
        prefix = self._prefix
        groups: dict[float | None, dict[str, Any]] = {}
        source_key: dict[str, Any] = {}
        for item in items:
            bucket = None if item.ttl is None else ttl_bucket(item.ttl)
            target_key = prefix + item.key
            groups.setdefault(bucket, {})[target_key] = item.value
            source_key[target_key] = item.key
        outcomes = await each(self._write_group, list(groups.items()), self._concurrency)
        self._health.check()
        errors: dict[Any, str] = {}
        for (_, mapping), outcome in zip(groups.items(), outcomes, strict=True):
            if isinstance(outcome, Exception):  # not raised by the store: nothing written
                reason = describe(outcome)
                errors.update((source_key[key], reason) for key in mapping)
            else:
                errors.update((source_key[key], reason) for key, reason in outcome.items())
        return errors

    async def _write_group(self, group: _Group) -> dict[str, str]:
        ttl, mapping = group
        if len(mapping) > 1:
            try:
                await self._target.set_many(mapping, ttl)
            except Exception as exc:
                self._health.failed(exc)
            else:
                self._health.ok()
                return {}
        errors: dict[str, str] = {}
        for key, value in mapping.items():
            self._health.check()
            try:
                await self._target.set(key, value, ttl)
            except Exception as exc:
                self._health.failed(exc)
                errors[key] = describe(exc)
            else:
                self._health.ok()
        return errors
