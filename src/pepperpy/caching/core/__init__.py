"""The pure core: entries, eviction policies, TTL arithmetic, the engine, serializers.

Nothing in this package performs IO, awaits, reads a clock or draws from the
process-wide random generator: time and randomness are arguments.
"""

from __future__ import annotations

from .engine import CacheEngine
from .entry import MISS, CacheEntry, CacheStats, Miss, Removal, RemovalCause
from .errors import (
    BackendError,
    CacheError,
    ConfigurationError,
    InvalidKeyError,
    InvalidTTLError,
    InvalidVectorError,
    SerializationError,
    TTLTypeError,
)
from .policies import (
    POLICY_NAMES,
    CachePolicy,
    FIFOPolicy,
    LFUPolicy,
    LRUPolicy,
    RandomPolicy,
    make_policy,
)
from .ttl import TTL, deadline, normalize_ttl, remaining, ttl_to_millis

__all__ = (
    "MISS",
    "POLICY_NAMES",
    "TTL",
    "BackendError",
    "CacheEngine",
    "CacheEntry",
    "CacheError",
    "CachePolicy",
    "CacheStats",
    "ConfigurationError",
    "FIFOPolicy",
    "InvalidKeyError",
    "InvalidTTLError",
    "InvalidVectorError",
    "LFUPolicy",
    "LRUPolicy",
    "Miss",
    "RandomPolicy",
    "Removal",
    "RemovalCause",
    "SerializationError",
    "TTLTypeError",
    "deadline",
    "make_policy",
    "normalize_ttl",
    "remaining",
    "ttl_to_millis",
)
