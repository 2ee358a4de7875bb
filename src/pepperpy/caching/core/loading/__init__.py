"""Pure decisions of loading a value: when to refresh it, when to serve it stale, when
to warn, when to give the store a rest, and how tags map to keys.

Every decision takes the time (``now``) and any random draw as arguments, so the same
inputs always give the same answer and hypothesis can drive each one without a loop.
"""

from __future__ import annotations

from .breaker import BreakerState, BreakerStats, CircuitBreaker
from .freshness import Freshness, LoadRule, check_beta, xfetch_due
from .tags import TagBook, check_tags
from .warnings import WarningLimiter

__all__ = (
    "BreakerState",
    "BreakerStats",
    "CircuitBreaker",
    "Freshness",
    "LoadRule",
    "TagBook",
    "WarningLimiter",
    "check_beta",
    "check_tags",
    "xfetch_due",
)
