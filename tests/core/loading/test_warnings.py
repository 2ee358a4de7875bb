"""The warning rate limiter: one per kind per interval, the rest counted."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core.errors import ConfigurationError
from pepperpy.caching.core.loading import WarningLimiter


def test_one_per_kind_per_interval_with_the_count_of_the_rest() -> None:
    limiter = WarningLimiter(10.0)
    assert limiter.allow("read", 0.0) == 0
    assert limiter.allow("read", 1.0) is None
    assert limiter.allow("read", 9.9) is None
    assert limiter.allow("write", 2.0) == 0  # another kind has its own interval
    assert limiter.suppressed("read") == 2
    assert limiter.allow("read", 10.0) == 2
    assert limiter.suppressed("read") == 0
    assert limiter.allow("read", 15.0) is None


def test_bad_intervals() -> None:
    for bad in (-1, float("nan"), float("inf"), True, "1"):
        with pytest.raises(ConfigurationError):
            WarningLimiter(bad)  # type: ignore[arg-type]


@given(
    interval=st.floats(min_value=0.1, max_value=100),
    events=st.lists(
        st.tuples(st.sampled_from(["read", "write"]), st.floats(min_value=0, max_value=50)),
        max_size=80,
    ),
)
def test_nothing_is_lost(interval: float, events: list[tuple[str, float]]) -> None:
    """Every failure is either logged or counted in a later log line (or still pending)."""
    limiter = WarningLimiter(interval)
    logged: dict[str, list[float]] = {"read": [], "write": []}
    reported = {"read": 0, "write": 0}
    now = 0.0
    for kind, step in events:
        now += step
        answer = limiter.allow(kind, now)
        if answer is not None:
            if logged[kind]:
                assert now >= logged[kind][-1] + interval
            logged[kind].append(now)
            reported[kind] += 1 + answer
    for kind in ("read", "write"):
        total = sum(1 for k, _ in events if k == kind)
        assert reported[kind] + limiter.suppressed(kind) == total
