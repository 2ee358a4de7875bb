"""The async side: caches that drive the core on anyio (asyncio or trio)."""

from __future__ import annotations

from .backend import CacheBackend
from .clock import Clock
from .decorator import cached
from .memory import MemoryCache, RemovalListener
from .namespace import Cache

__all__ = ("Cache", "CacheBackend", "Clock", "MemoryCache", "RemovalListener", "cached")
