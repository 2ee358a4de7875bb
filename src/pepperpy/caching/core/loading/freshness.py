"""Whether a cached value is served as it is, served and refreshed, or reloaded.

Two rules decide, both on the time left before the stored entry expires:

* Early refresh (XFetch: Vattani, Chierichetti and Lowenstein, "Optimal
  Probabilistic Cache Stampede Prevention", VLDB 2015). A reader recomputes the value
  when ``now - delta * beta * ln(u) >= expiry``, ``delta`` being how long the loader
  took last time, ``beta`` the eagerness (1.0 is the paper's optimum) and ``u`` a
  uniform draw in (0, 1]. The closer the expiry and the slower the loader, the likelier
  one reader refreshes ahead of everyone, so the value never goes missing.
* Stale-while-revalidate. An entry is stored for ``ttl + stale_ttl``; during its last
  ``stale_ttl`` seconds it is stale: served at once, while one refresh runs.

The caller supplies the draw, so the decision is a pure function.
"""

from __future__ import annotations

import enum
import math
from typing import Final, final

from ..errors import ConfigurationError
from ..ttl import normalize_ttl

__all__ = ("Freshness", "LoadRule", "check_beta", "xfetch_due")

_TINY: Final = 5e-324  # the smallest positive float: ln(u) stays finite


class Freshness(enum.Enum):
    """What a reader does with a value it found."""

    FRESH = "fresh"
    """Serve it."""
    EARLY = "early"
    """Serve it (it is still valid) and refresh it ahead of its expiry (XFetch)."""
    STALE = "stale"
    """Serve it (its time is up, its grace is not) and refresh it."""


def check_beta(beta: object) -> float | None:
    """``beta`` as a float if it is ``None`` or positive and finite; ConfigurationError
    if not."""
    if beta is None:
        return None
    if isinstance(beta, bool) or not isinstance(beta, int | float):
        raise ConfigurationError(f"early_refresh must be a positive number; got {beta!r}")
    if not (beta > 0 and math.isfinite(beta)):
        raise ConfigurationError(f"early_refresh must be a positive number; got {beta!r}")
    return float(beta)


def xfetch_due(remaining: float, delta: float, beta: float, draw: float) -> bool:
    """XFetch's test, with ``remaining = expiry - now``: ``-delta*beta*ln(draw) >= remaining``.

    ``draw`` is uniform in (0, 1] (a draw of 0 is taken as the smallest positive
    float). An entry whose time is up (``remaining <= 0``) is always due.
    """
    if remaining <= 0.0:
        return True
    return -delta * beta * math.log(max(draw, _TINY)) >= remaining


@final
class LoadRule:
    """The loading options of one ``get_or_set`` call, checked once.

    ``ttl`` is the freshness time in seconds (``None``: no expiry, and then neither
    early refresh nor staleness applies), ``beta`` the early-refresh eagerness
    (``None``: off), ``stale_ttl`` the grace period in seconds (``None``: off).
    """

    __slots__ = ("beta", "stale_ttl", "ttl")

    def __init__(self, ttl: float | None, beta: float | None, stale_ttl: float | None) -> None:
        self.ttl = ttl
        self.beta = beta
        self.stale_ttl = stale_ttl

    @classmethod
    def of(cls, ttl: float | None, early_refresh: object, stale_ttl: object) -> LoadRule:
        """The rule for these arguments (``ttl`` already normalized); errors for bad ones."""
        beta = check_beta(early_refresh)
        grace = normalize_ttl(stale_ttl)
        return cls(ttl, beta, grace)

    @property
    def plain(self) -> bool:
        """Whether neither rule applies: a value found is always served as it is."""
        return self.ttl is None or (self.beta is None and self.stale_ttl is None)

    def stored_ttl(self) -> float | None:
        """How long the store keeps the entry: the TTL plus the grace period."""
        if self.ttl is None or self.stale_ttl is None:
            return self.ttl
        return self.ttl + self.stale_ttl

    def judge(self, remaining: float | None, delta: float | None, draw: float) -> Freshness:
        """What to do with a value whose stored entry has ``remaining`` seconds left
        (``None``: no expiry), the loader last having taken ``delta`` seconds
        (``None``: unknown, so no early refresh)."""
        if remaining is None or self.ttl is None:
            return Freshness.FRESH
        fresh_left = remaining if self.stale_ttl is None else remaining - self.stale_ttl
        if fresh_left <= 0.0:
            # The store still had it, so it is within its grace (or at its very end).
            return Freshness.STALE if self.stale_ttl is not None else Freshness.FRESH
        beta = self.beta
        if beta is not None and delta is not None and xfetch_due(fresh_left, delta, beta, draw):
            return Freshness.EARLY
        return Freshness.FRESH
