"""A circuit breaker: after enough consecutive failures, leave the store alone a while.

When a store is down, each operation waits for its timeout before it fails. After
``failures`` consecutive failures the breaker opens: operations fail at once, without
touching the store, for ``cooldown`` seconds. Then it lets one operation through (half
open): its success closes the breaker, its failure opens it for another cool-down.

The states and what moves them, as a table (``allow`` asks, ``succeeded`` and
``failed`` report)::

    CLOSED    --failed (count reaches N)-->  OPEN
    OPEN      --allow at/after reopen time--> HALF_OPEN (this caller is the probe)
    HALF_OPEN --succeeded-->                   CLOSED
    HALF_OPEN --failed-->                      OPEN
    HALF_OPEN --allow a cool-down after the probe began--> HALF_OPEN (a new probe)

The last row is for a probe that never reports (its caller was cancelled): the
breaker would otherwise stay half open, turning everyone away, for ever.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import final

from ..errors import ConfigurationError

__all__ = ("BreakerState", "BreakerStats", "CircuitBreaker")


class BreakerState(enum.Enum):
    """Where a :class:`CircuitBreaker` stands."""

    CLOSED = "closed"
    """Operations go to the store."""
    OPEN = "open"
    """Operations fail at once, without touching the store."""
    HALF_OPEN = "half_open"
    """One operation (the probe) goes to the store; the others fail at once."""


@dataclass(frozen=True, slots=True)
class BreakerStats:
    """A breaker's record: its state, how often it opened, operations it turned away."""

    state: BreakerState
    opened: int
    skipped: int
    consecutive_failures: int


@final
class CircuitBreaker:
    """Opens after ``failures`` consecutive failures, for ``cooldown`` seconds."""

    __slots__ = ("_cooldown", "_failures", "_opened", "_reopen_at", "_skipped", "_state", "_streak")

    def __init__(self, failures: int, cooldown: float) -> None:
        if isinstance(failures, bool) or not isinstance(failures, int) or failures < 1:
            raise ConfigurationError(f"breaker failures must be an int >= 1; got {failures!r}")
        if isinstance(cooldown, bool) or not isinstance(cooldown, int | float):
            raise ConfigurationError(f"breaker cooldown must be seconds; got {cooldown!r}")
        if not (cooldown > 0 and math.isfinite(cooldown)):
            raise ConfigurationError(f"breaker cooldown must be > 0 and finite; got {cooldown!r}")
        self._failures = failures
        self._cooldown = float(cooldown)
        self._state = BreakerState.CLOSED
        self._streak = 0
        self._reopen_at = 0.0
        self._opened = 0
        self._skipped = 0

    @property
    def state(self) -> BreakerState:
        """The current state (an OPEN breaker past its cool-down turns HALF_OPEN only
        when :meth:`allow` is next asked)."""
        return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures that open the breaker."""
        return self._failures

    @property
    def cooldown(self) -> float:
        """Seconds an open breaker turns operations away."""
        return self._cooldown

    def stats(self) -> BreakerStats:
        """A snapshot of the record."""
        return BreakerStats(self._state, self._opened, self._skipped, self._streak)

    def allow(self, now: float) -> bool:
        """Whether an operation starting at ``now`` may go to the store.

        ``False`` is counted as skipped. A ``True`` must be followed by
        :meth:`succeeded` or :meth:`failed` once the operation ends.
        """
        state = self._state
        if state is BreakerState.CLOSED:
            return True
        if now >= self._reopen_at:  # open past its cool-down, or a probe gone silent
            self._state = BreakerState.HALF_OPEN
            self._reopen_at = now + self._cooldown
            return True
        self._skipped += 1
        return False

    def succeeded(self) -> None:
        """An allowed operation reached the store and got its answer."""
        self._streak = 0
        self._state = BreakerState.CLOSED

    def failed(self, now: float) -> None:
        """An allowed operation failed because of the store, at ``now``."""
        self._streak += 1
        if self._state is BreakerState.HALF_OPEN or (
            self._state is BreakerState.CLOSED and self._streak >= self._failures
        ):
            self._state = BreakerState.OPEN
            self._reopen_at = now + self._cooldown
            self._opened += 1
