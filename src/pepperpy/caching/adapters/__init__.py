"""The async side: caches that drive the core on anyio (asyncio or trio)."""

from __future__ import annotations

from .backend import CacheBackend

__all__ = ("CacheBackend",)
