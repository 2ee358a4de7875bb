"""Eviction policies, and the names caches accept for them."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ConfigurationError
from .base import (
    AccessRecorder,
    AdmissionPolicy,
    CachePolicy,
    CapacityAwarePolicy,
    OrderedStorePolicy,
    check_capacity,
)
from .fifo import FIFOPolicy
from .lfu import LFUPolicy
from .lru import LRUPolicy
from .random_eviction import RandomPolicy
from .s3fifo import S3FIFOPolicy
from .sieve import SIEVEPolicy
from .tinylfu import TinyLFUPolicy

__all__ = (
    "POLICY_NAMES",
    "AccessRecorder",
    "AdmissionPolicy",
    "CachePolicy",
    "CapacityAwarePolicy",
    "FIFOPolicy",
    "LFUPolicy",
    "LRUPolicy",
    "OrderedStorePolicy",
    "RandomPolicy",
    "S3FIFOPolicy",
    "SIEVEPolicy",
    "TinyLFUPolicy",
    "check_capacity",
    "make_policy",
)

_FACTORIES: dict[str, Callable[[], CachePolicy]] = {
    "lru": LRUPolicy,
    "lfu": LFUPolicy,
    "fifo": FIFOPolicy,
    "random": RandomPolicy,
    "sieve": SIEVEPolicy,
    "s3fifo": S3FIFOPolicy,
    "tinylfu": TinyLFUPolicy,
}

POLICY_NAMES: tuple[str, ...] = tuple(_FACTORIES)
"""The names accepted wherever a policy is taken, besides a policy object."""


def make_policy(policy: CachePolicy | str) -> CachePolicy:
    """A fresh policy for a name (case-insensitive), or ``policy`` itself if it is one.

    Raises :class:`~pepperpy.caching.ConfigurationError` for an unknown name or an
    object that does not implement :class:`CachePolicy`.
    """
    if isinstance(policy, str):
        factory = _FACTORIES.get(policy.strip().lower())
        if factory is None:
            raise ConfigurationError(
                f"unknown eviction policy {policy!r}; choose one of {', '.join(POLICY_NAMES)} "
                "or pass a CachePolicy object"
            )
        return factory()
    if isinstance(policy, CachePolicy):
        return policy
    raise ConfigurationError(
        f"policy must be a name ({', '.join(POLICY_NAMES)}) or a CachePolicy object; "
        f"got {type(policy).__name__}"
    )
