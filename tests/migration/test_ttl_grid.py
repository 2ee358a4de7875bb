"""The TTL rounding that lets entries share a set_many: never shorter, barely longer."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.migration.ttl_grid import MAX_STEP, ttl_bucket

ttls = st.floats(min_value=1e-9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(ttls)
def test_a_bucket_never_shortens_and_barely_lengthens(seconds: float) -> None:
    bucket = ttl_bucket(seconds)
    assert bucket >= seconds
    assert bucket - seconds < min(MAX_STEP, seconds / 256)


@given(ttls, ttls)
def test_buckets_keep_the_order_of_ttls(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert ttl_bucket(low) <= ttl_bucket(high)


@given(ttls)
def test_a_bucket_is_its_own_bucket(seconds: float) -> None:
    bucket = ttl_bucket(seconds)
    assert ttl_bucket(bucket) == bucket


def test_examples() -> None:
    assert ttl_bucket(10.0) == 10.0
    assert ttl_bucket(299.2) == 300.0
    assert ttl_bucket(3599.0001) == 3600.0
    assert 7.3 <= ttl_bucket(7.3) < 7.3 + 7.3 / 256
