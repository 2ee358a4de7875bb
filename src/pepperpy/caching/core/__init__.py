"""The pure core: entries, eviction policies, TTL arithmetic, the engine, serializers.

Nothing in this package performs IO, awaits, reads a clock or draws from the
process-wide random generator: time and randomness are arguments.
"""

from __future__ import annotations

from importlib.machinery import EXTENSION_SUFFIXES as _EXTENSION_SUFFIXES

from . import engine as _engine
from .engine import CacheEngine
from .entry import MISS, CacheEntry, CacheStats, Miss, NearStats, Removal, RemovalCause
from .errors import (
    BackendError,
    CacheError,
    ConfigurationError,
    InvalidKeyError,
    InvalidTTLError,
    InvalidVectorError,
    NotAnIntegerError,
    SerializationError,
    SnapshotError,
    TTLTypeError,
)
from .loading import BreakerState, BreakerStats, CircuitBreaker
from .near import NearCache
from .policies import (
    POLICY_NAMES,
    AdmissionPolicy,
    CachePolicy,
    CapacityAwarePolicy,
    FIFOPolicy,
    LFUPolicy,
    LRUPolicy,
    OrderedStorePolicy,
    RandomPolicy,
    S3FIFOPolicy,
    SIEVEPolicy,
    TinyLFUPolicy,
    make_policy,
)
from .serializers import (
    SERIALIZER_NAMES,
    BytesSerializer,
    JsonSerializer,
    PickleSerializer,
    Serializer,
    StringSerializer,
    resolve_serializer,
)
from .ttl import MAX_TTL, TTL, deadline, normalize_ttl, remaining, ttl_to_millis

COMPILED: bool = (_engine.__file__ or "").endswith(tuple(_EXTENSION_SUFFIXES))
"""Whether the compiled build of the core is loaded (``False``: the pure-Python one).

The core and the MemoryCache hot path compile with mypyc where a C compiler is
present at install time; both builds run the same source and pass the same tests.
``PEPPERPY_BUILD=pure`` or ``compiled`` at install time asks for one of them.
"""

__all__ = (
    "COMPILED",
    "MAX_TTL",
    "MISS",
    "POLICY_NAMES",
    "SERIALIZER_NAMES",
    "TTL",
    "AdmissionPolicy",
    "BackendError",
    "BreakerState",
    "BreakerStats",
    "BytesSerializer",
    "CacheEngine",
    "CacheEntry",
    "CacheError",
    "CachePolicy",
    "CacheStats",
    "CapacityAwarePolicy",
    "CircuitBreaker",
    "ConfigurationError",
    "FIFOPolicy",
    "InvalidKeyError",
    "InvalidTTLError",
    "InvalidVectorError",
    "JsonSerializer",
    "LFUPolicy",
    "LRUPolicy",
    "Miss",
    "NearCache",
    "NearStats",
    "NotAnIntegerError",
    "OrderedStorePolicy",
    "PickleSerializer",
    "RandomPolicy",
    "Removal",
    "RemovalCause",
    "S3FIFOPolicy",
    "SIEVEPolicy",
    "SerializationError",
    "Serializer",
    "SnapshotError",
    "StringSerializer",
    "TTLTypeError",
    "TinyLFUPolicy",
    "deadline",
    "make_policy",
    "normalize_ttl",
    "remaining",
    "resolve_serializer",
    "ttl_to_millis",
)
