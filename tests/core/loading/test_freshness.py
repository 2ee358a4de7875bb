"""XFetch and stale-while-revalidate decisions, with seeded draws and a fake clock."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core.errors import ConfigurationError, InvalidTTLError
from pepperpy.caching.core.loading import Freshness, LoadRule, check_beta, xfetch_due

positive = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False)
draws = st.floats(min_value=0.0, max_value=1.0, exclude_max=False)


@given(remaining=positive, delta=positive, beta=positive, draw=draws)
def test_xfetch_is_the_papers_inequality(
    remaining: float, delta: float, beta: float, draw: float
) -> None:
    now, expiry = 1000.0, 1000.0 + remaining
    expected = now - delta * beta * math.log(max(draw, 5e-324)) >= expiry
    # Same inequality, written with the time left instead of the expiry.
    assert xfetch_due(remaining, delta, beta, draw) == expected or math.isclose(
        delta * beta * -math.log(max(draw, 5e-324)), remaining, rel_tol=1e-9
    )


@given(remaining=positive, delta=positive, beta=positive, low=draws, high=draws)
def test_a_smaller_draw_is_never_less_eager(
    remaining: float, delta: float, beta: float, low: float, high: float
) -> None:
    low, high = min(low, high), max(low, high)
    if xfetch_due(remaining, delta, beta, high):
        assert xfetch_due(remaining, delta, beta, low)


@given(delta=positive, beta=positive, draw=draws, near=positive, far=positive)
def test_nearer_expiry_is_never_less_eager(
    delta: float, beta: float, draw: float, near: float, far: float
) -> None:
    near, far = min(near, far), max(near, far)
    if xfetch_due(far, delta, beta, draw):
        assert xfetch_due(near, delta, beta, draw)


@given(delta=positive, beta=positive, draw=draws)
def test_an_expired_entry_is_always_due(delta: float, beta: float, draw: float) -> None:
    assert xfetch_due(0.0, delta, beta, draw)
    assert xfetch_due(-1.0, delta, beta, draw)


def test_the_refresh_rate_matches_the_exponential_law() -> None:
    # P(due) = P(-ln u >= r / (delta*beta)) = exp(-r / (delta*beta)).
    rng = random.Random(7)
    remaining, delta, beta = 2.0, 1.0, 1.0
    runs = 20_000
    due = sum(xfetch_due(remaining, delta, beta, 1.0 - rng.random()) for _ in range(runs))
    assert abs(due / runs - math.exp(-2.0)) < 0.01


def test_check_beta() -> None:
    assert check_beta(None) is None
    assert check_beta(1) == 1.0
    for bad in (0, -1.0, math.nan, math.inf, True, "1"):
        with pytest.raises(ConfigurationError):
            check_beta(bad)


def test_load_rule_validates_and_stores_for_ttl_plus_grace() -> None:
    rule = LoadRule.of(10.0, 1.0, 5)
    assert rule.stored_ttl() == 15.0
    assert not rule.plain
    assert LoadRule.of(10.0, None, None).plain
    assert LoadRule.of(None, 1.0, 5).plain  # no TTL: nothing ever goes stale
    assert LoadRule.of(None, None, 5).stored_ttl() is None
    with pytest.raises(InvalidTTLError):
        LoadRule.of(10.0, None, 0)
    with pytest.raises(ConfigurationError):
        LoadRule.of(10.0, -2, None)


@given(
    ttl=positive,
    grace=positive,
    beta=st.none() | positive,
    delta=st.none() | positive,
    elapsed=st.floats(min_value=0, max_value=3e6),
    draw=draws,
)
def test_judge_follows_the_clock(
    ttl: float,
    grace: float,
    beta: float | None,
    delta: float | None,
    elapsed: float,
    draw: float,
) -> None:
    rule = LoadRule(ttl, beta, grace)
    stored = rule.stored_ttl()
    assert stored is not None
    remaining = stored - elapsed
    if remaining <= 0:
        return  # the store no longer has it: a miss, never judged
    verdict = rule.judge(remaining, delta, draw)
    fresh_left = remaining - grace  # ttl - elapsed, as the rule rounds it
    if fresh_left <= 0:
        assert verdict is Freshness.STALE
    elif beta is None or delta is None:
        assert verdict is Freshness.FRESH
    else:
        assert verdict is (
            Freshness.EARLY if xfetch_due(fresh_left, delta, beta, draw) else Freshness.FRESH
        )


def test_judge_without_expiry_or_grace() -> None:
    assert LoadRule(10.0, 1.0, None).judge(None, 1.0, 0.0) is Freshness.FRESH
    assert LoadRule(10.0, None, None).judge(0.0, None, 0.5) is Freshness.FRESH
    # A loader that took 1 s, 0.5 s before expiry, with a draw of 0.1: due (2.3 >= 0.5).
    assert LoadRule(10.0, 1.0, None).judge(0.5, 1.0, 0.1) is Freshness.EARLY
    assert LoadRule(10.0, 1.0, None).judge(9.0, 1.0, 0.9) is Freshness.FRESH


def test_seeded_draws_give_the_same_decisions() -> None:
    rule = LoadRule(60.0, 1.0, None)

    def run(seed: int) -> list[Freshness]:
        rng = random.Random(seed)
        return [rule.judge(left, 2.0, 1.0 - rng.random()) for left in range(60, 0, -1)]

    assert run(3) == run(3)
    assert Freshness.EARLY in run(3)
