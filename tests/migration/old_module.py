"""An application module with old caches, for the generated migration scripts."""

from __future__ import annotations

import time
from types import SimpleNamespace

import cachetools

from .fakes import Entry, StorageCache

my_cache: cachetools.LRUCache[str, object] = cachetools.LRUCache(maxsize=100)
my_cache.update({"user:1": {"name": "ada"}, "user:2": {"name": "bob"}, "count": 3})

caches = SimpleNamespace(
    sessions=StorageCache(
        {
            "s1": Entry("alive", time.time() + 3600),
            "s2": Entry("expired", time.time() - 1),
        },
        max_size=50,
    )
)
