"""Any Mapping as a source: dicts, cachetools caches, other mapping types."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any, final

from ..items import SourceItem, describe, found
from .base import Source
from .cachetools_ttl import CachetoolsReader, is_cachetools_cache

__all__ = ("MappingSource",)


@final
class MappingSource(Source):
    """Reads a Mapping: the keys it lists when the copy starts, each value read in turn.

    Plain mappings carry no TTL. cachetools caches are read without reordering them,
    with each entry's remaining TTL (see :mod:`.cachetools_ttl`). A key that is gone
    when its turn comes (or has expired) is skipped.
    """

    def __init__(self, mapping: Mapping[Any, Any]) -> None:
        self._mapping = mapping
        self._reader = CachetoolsReader(mapping) if is_cachetools_cache(mapping) else None
        self.total = len(mapping)

    async def batches(self, size: int) -> AsyncGenerator[list[SourceItem], None]:
        keys = list(self._mapping)
        read = self._reader.read if self._reader is not None else self._read
        mapping = self._mapping
        plain = self._reader is None
        for start in range(0, len(keys), size):
            chunk = keys[start : start + size]
            if plain:
                try:  # every key is usually still there: one pass, no call per key
                    yield [found(key, mapping[key]) for key in chunk]
                    continue
                except Exception:
                    pass  # a key went missing or failed: read them one by one
            yield [read(key) for key in chunk]

    def _read(self, key: Any) -> SourceItem:
        try:
            return SourceItem(key, self._mapping[key])
        except KeyError:
            return SourceItem.expired(key)
        except Exception as exc:
            return SourceItem.failed(key, describe(exc))
