"""TTL arithmetic: the one place where a time-to-live is validated and converted.

Times are monotonic seconds supplied by the caller (``now``); nothing here reads a clock.
"""

from __future__ import annotations

import math
from datetime import timedelta
from numbers import Real
from typing import Final, TypeAlias

from .errors import InvalidTTLError, TTLTypeError

__all__ = ("MAX_TTL", "TTL", "deadline", "normalize_ttl", "remaining", "ttl_to_millis")

TTL: TypeAlias = int | float | timedelta | None
"""What a ``ttl=`` argument accepts: ``None`` (no expiry), seconds, or a ``timedelta``."""

MAX_TTL: Final = 9.2e15
"""The longest TTL any cache accepts, in seconds (about 290 million years).

Redis keeps an expiry as milliseconds since the epoch in a signed 64-bit integer
(at most about 9.22e18 ms), so a longer TTL cannot be sent to it; every cache refuses
the same TTLs, before anything is stored or sent."""

_ALLOWED = (
    "None, a positive finite number of seconds (int or float) up to 9.2e15, or a positive timedelta"
)
# Any numbers.Real but bool is taken as seconds; Decimal is not a Real and is refused.


def normalize_ttl(ttl: object) -> float | None:
    """Return ``ttl`` as seconds (``float``), or ``None`` for "never expires".

    Raises :class:`~pepperpy.caching.InvalidTTLError` for zero, negative, NaN or
    infinite values and for values above :data:`MAX_TTL`, and
    :class:`~pepperpy.caching.TTLTypeError` for any other type (``bool`` and ``str``
    included).
    """
    if ttl is None:
        return None
    kind = type(ttl)
    try:
        if kind is float:
            seconds = float(ttl)  # type: ignore[arg-type]
        elif kind is int:
            # int-float comparison is exact: MAX_TTL + 1 would round down to MAX_TTL.
            seconds = float(ttl) if ttl <= MAX_TTL else math.inf  # type: ignore[operator,arg-type]
        elif isinstance(ttl, timedelta):
            seconds = ttl.total_seconds()
        elif isinstance(ttl, Real) and kind is not bool:
            seconds = float(ttl)  # other real numbers: Fraction, numpy scalars
        else:
            raise TTLTypeError(f"ttl must be {_ALLOWED}; got {ttl!r} of type {kind.__name__}")
    except OverflowError:  # an int or Fraction beyond any float
        seconds = math.inf
    # NaN fails both comparisons, inf the second.
    if not (seconds > 0.0 and seconds <= MAX_TTL):
        raise InvalidTTLError(f"ttl must be {_ALLOWED}; got {_short(ttl)}")
    return seconds


def _short(ttl: object) -> str:
    text = repr(ttl)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


def deadline(now: float, ttl: float | None) -> float | None:
    """The monotonic time at which an entry written at ``now`` with ``ttl`` expires."""
    return None if ttl is None else now + ttl


def remaining(expires_at: float | None, now: float) -> float | None:
    """Seconds left before ``expires_at`` (never negative), or ``None`` for no expiry."""
    if expires_at is None:
        return None
    left = expires_at - now
    return left if left > 0.0 else 0.0


def ttl_to_millis(seconds: float) -> int:
    """Whole milliseconds for a Redis ``PX`` argument, rounded up so it is never 0.

    A nanosecond of slack absorbs binary rounding (``1.1 * 1000`` is
    ``1100.0000000000002``), so exact millisecond values are not pushed up by one.
    """
    millis = math.ceil(seconds * 1000.0 - 1e-6)
    return millis if millis >= 1 else 1
