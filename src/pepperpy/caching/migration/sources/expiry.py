"""Seconds left before an absolute expiry time, as older caches record it."""

from __future__ import annotations

import math
from datetime import datetime
from numbers import Real

__all__ = ("UnsupportedExpiry", "seconds_left")


class UnsupportedExpiry(ValueError):
    """An ``expires_at`` of a type or value that cannot be read as a time."""


def seconds_left(expires_at: object, now: float) -> float | None:
    """Seconds from ``now`` (epoch seconds) until ``expires_at``; ``None`` for no expiry.

    ``expires_at`` may be ``None``; a :class:`~datetime.datetime` (naive means local
    time, as :meth:`datetime.timestamp` reads it); an ISO 8601 string of one; or epoch
    seconds (``int``/``float``). The result may be zero or negative: already expired.
    """
    if expires_at is None:
        return None
    if isinstance(expires_at, str):
        try:
            expires_at = datetime.fromisoformat(expires_at.strip())
        except ValueError:
            raise UnsupportedExpiry(f"expires_at {expires_at!r} is not an ISO 8601 time") from None
    if isinstance(expires_at, datetime):
        try:
            return expires_at.timestamp() - now
        except (OverflowError, OSError, ValueError) as exc:
            raise UnsupportedExpiry(f"expires_at {expires_at!r} is out of range: {exc}") from None
    if isinstance(expires_at, bool):
        raise UnsupportedExpiry("expires_at must be a datetime, epoch seconds or None; got bool")
    if isinstance(expires_at, Real):
        seconds = float(expires_at)
        if math.isnan(seconds):
            raise UnsupportedExpiry("expires_at is NaN")
        return seconds - now if seconds != math.inf else None
    raise UnsupportedExpiry(
        f"expires_at must be a datetime, epoch seconds or None; got {type(expires_at).__name__}"
    )
