"""Moving data and settings from older caches to this library's caches."""

from __future__ import annotations

__all__: tuple[str, ...] = ()
