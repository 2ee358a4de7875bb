"""TTL validation and arithmetic."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core import (
    MAX_TTL,
    CacheError,
    InvalidTTLError,
    TTLTypeError,
    deadline,
    normalize_ttl,
    remaining,
    ttl_to_millis,
)


@pytest.mark.parametrize(
    ("given_ttl", "seconds"),
    [
        (None, None),
        (1, 1.0),
        (0.25, 0.25),
        (1e-9, 1e-9),
        (timedelta(minutes=2), 120.0),
        (timedelta(microseconds=1), 1e-6),
        (Fraction(1, 4), 0.25),
    ],
)
def test_accepted_ttls(given_ttl: object, seconds: float | None) -> None:
    assert normalize_ttl(given_ttl) == seconds


@pytest.mark.parametrize(
    "bad",
    [
        *(0, 0.0, -1, -0.5, math.nan, math.inf, -math.inf, timedelta(0), timedelta(seconds=-1)),
        *(1e308, 9.3e15, 10**16, Fraction(10**20, 3)),
    ],
)
def test_out_of_range_ttls_are_value_errors(bad: object) -> None:
    with pytest.raises(InvalidTTLError) as info:
        normalize_ttl(bad)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, CacheError)
    assert repr(bad) in str(info.value)
    assert "positive" in str(info.value)


def test_the_longest_ttl_is_what_redis_can_hold() -> None:
    """Redis adds the TTL in milliseconds to the epoch time in a signed 64-bit integer."""
    assert normalize_ttl(MAX_TTL) == MAX_TTL
    assert ttl_to_millis(MAX_TTL) + 2_000_000_000_000 < 2**63 - 1  # epoch ms past 2033
    assert normalize_ttl(timedelta.max) == timedelta.max.total_seconds()
    for too_long in (math.nextafter(MAX_TTL, math.inf), int(MAX_TTL) + 1, 10**400, 1e308):
        with pytest.raises(InvalidTTLError, match=r"9\.2e15"):
            normalize_ttl(too_long)
    with pytest.raises(InvalidTTLError) as info:
        normalize_ttl(10**400)
    assert len(str(info.value)) < 300  # a huge int is not printed whole


@pytest.mark.parametrize("bad", [True, False, "10", b"1", [1], Decimal("1"), object()])
def test_wrong_types_are_type_errors(bad: object) -> None:
    with pytest.raises(TTLTypeError) as info:
        normalize_ttl(bad)
    assert isinstance(info.value, TypeError)
    assert type(bad).__name__ in str(info.value)


def test_deadline_and_remaining() -> None:
    assert deadline(10.0, None) is None
    assert deadline(10.0, 2.5) == 12.5
    assert remaining(None, 5.0) is None
    assert remaining(12.5, 10.0) == 2.5
    assert remaining(12.5, 13.0) == 0.0


@pytest.mark.parametrize(
    ("seconds", "millis"),
    [(0.0001, 1), (1e-12, 1), (0.001, 1), (0.0011, 2), (1.1, 1100), (0.3, 300), (2.0, 2000)],
)
def test_millis_round_up_and_never_zero(seconds: float, millis: int) -> None:
    assert ttl_to_millis(seconds) == millis


@given(st.floats(min_value=1e-9, max_value=1e9, allow_nan=False))
def test_millis_cover_the_ttl(seconds: float) -> None:
    millis = ttl_to_millis(seconds)
    assert millis >= 1
    # Never shorter than asked (beyond a nanosecond of float slack), never a whole ms longer.
    assert millis / 1000.0 >= seconds - 1e-9
    assert millis / 1000.0 < seconds + 0.001
