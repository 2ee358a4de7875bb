"""NearCache: defaults, and a clear error for every wrong field."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from pepperpy.caching import (
    ConfigurationError,
    InvalidTTLError,
    NearCache,
    TTLTypeError,
)


def test_defaults() -> None:
    near = NearCache()
    assert (near.max_size, near.policy, near.ttl, near.tracking) == (10_000, "lru", None, "bcast")
    assert near.seconds is None


def test_ttl_is_normalized() -> None:
    assert NearCache(ttl=timedelta(milliseconds=1500)).seconds == 1.5
    assert NearCache(ttl=2).ttl == 2.0


def test_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        NearCache().max_size = 3  # type: ignore[misc]


@pytest.mark.parametrize("size", [0, -1, 1.5, True, "10", None])
def test_max_size(size: object) -> None:
    with pytest.raises(ConfigurationError, match="max_size"):
        NearCache(max_size=size)  # type: ignore[arg-type]


@pytest.mark.parametrize("policy", ["LRU", "least", 3, None])
def test_policy(policy: object) -> None:
    with pytest.raises(ConfigurationError, match="policy"):
        NearCache(policy=policy)  # type: ignore[arg-type]


@pytest.mark.parametrize("ttl", [0, -1, float("nan"), float("inf")])
def test_ttl_values(ttl: float) -> None:
    with pytest.raises(InvalidTTLError, match="NearCache"):
        NearCache(ttl=ttl)


@pytest.mark.parametrize("ttl", ["1", True, [1]])
def test_ttl_types(ttl: object) -> None:
    with pytest.raises(TTLTypeError, match="NearCache"):
        NearCache(ttl=ttl)  # type: ignore[arg-type]


@pytest.mark.parametrize("tracking", ["BCAST", "optin", "", None])
def test_tracking(tracking: object) -> None:
    with pytest.raises(ConfigurationError, match="tracking"):
        NearCache(tracking=tracking)  # type: ignore[arg-type]


@pytest.mark.parametrize("policy", ["lfu", "sieve", "tinylfu"])
def test_every_policy_name(policy: str) -> None:
    assert NearCache(policy=policy).policy == policy
