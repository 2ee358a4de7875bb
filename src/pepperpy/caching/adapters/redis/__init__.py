"""The Redis adapter: RedisCache on the core's protocol, for asyncio and trio alike."""

from __future__ import annotations

from .cache import RedisCache
from .pubsub import Message, Subscription

__all__ = ("Message", "RedisCache", "Subscription")
