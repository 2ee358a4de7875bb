"""Fixtures for the migration tests: the Redis servers of the adapter tests, when the
Redis adapter and its test support are present."""

from __future__ import annotations

import contextlib

with contextlib.suppress(ImportError):  # without redis-py there is nothing to import
    from ..adapters.redis.conftest import (  # noqa: F401 - fixtures, used by name
        namespace,
        own_server,
        raw,
        raw_cluster,
        redis_cluster,
    )
