"""The circuit breaker's table, and a state machine against a model of it."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from pepperpy.caching.core.errors import ConfigurationError
from pepperpy.caching.core.loading import BreakerState, CircuitBreaker


def test_opens_after_n_consecutive_failures_and_probes_after_the_cooldown() -> None:
    breaker = CircuitBreaker(3, 10.0)
    for now in (0.0, 1.0):
        assert breaker.allow(now)
        breaker.failed(now)
    assert breaker.allow(1.5)
    breaker.succeeded()  # a success resets the streak
    for now in (2.0, 3.0, 4.0):
        assert breaker.allow(now)
        breaker.failed(now)
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow(13.9)
    assert breaker.allow(14.0)  # the probe
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.allow(14.1)  # only one probe at a time
    breaker.failed(15.0)
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow(24.9)
    assert breaker.allow(25.0)
    breaker.succeeded()
    assert breaker.state is BreakerState.CLOSED
    stats = breaker.stats()
    assert (stats.opened, stats.skipped, stats.consecutive_failures) == (2, 3, 0)


def test_a_probe_that_never_reports_does_not_close_the_door_for_ever() -> None:
    breaker = CircuitBreaker(1, 5.0)
    breaker.failed(0.0)
    assert breaker.allow(5.0)  # a probe whose caller is then cancelled
    assert not breaker.allow(9.0)
    assert breaker.allow(10.0)


def test_bad_settings() -> None:
    for failures, cooldown in ((0, 1.0), (True, 1.0), (1.5, 1.0), (1, 0), (1, float("inf"))):
        with pytest.raises(ConfigurationError):
            CircuitBreaker(failures, cooldown)  # type: ignore[arg-type]


class BreakerMachine(RuleBasedStateMachine):
    """Operations start and end in any order; the breaker agrees with a plain model."""

    def __init__(self) -> None:
        super().__init__()
        self.breaker = CircuitBreaker(3, 10.0)
        self.now = 0.0
        self.state = "closed"
        self.streak = 0
        self.reopen_at = 0.0
        self.skipped = 0

    @rule(step=st.floats(min_value=0, max_value=6))
    def wait(self, step: float) -> None:
        self.now += step

    @rule(ok=st.booleans())
    def operation(self, ok: bool) -> None:
        allowed = self.breaker.allow(self.now)
        expect = self.state == "closed" or self.now >= self.reopen_at
        assert allowed == expect
        if not allowed:
            self.skipped += 1
            return
        if self.state != "closed":
            self.state, self.reopen_at = "half", self.now + 10.0
        if ok:
            self.breaker.succeeded()
            self.state, self.streak = "closed", 0
        else:
            self.breaker.failed(self.now)
            self.streak += 1
            if self.state == "half" or self.streak >= 3:
                self.state, self.reopen_at = "open", self.now + 10.0

    @invariant()
    def agrees(self) -> None:
        stats = self.breaker.stats()
        assert stats.skipped == self.skipped
        assert stats.consecutive_failures == self.streak
        names = {"closed": BreakerState.CLOSED, "open": BreakerState.OPEN}
        assert stats.state is names.get(self.state, BreakerState.HALF_OPEN)


TestBreakerMachine = BreakerMachine.TestCase
