"""The Redis adapter: RedisCache on redis-py, for asyncio and trio, single node and Cluster."""

from __future__ import annotations

from .cache import RedisCache
from .pubsub import Message, Subscription

__all__ = ("Message", "RedisCache", "Subscription")
