"""Rounding remaining TTLs so that entries of a batch can share one ``set_many``.

``set_many`` takes a single TTL, and remaining TTLs read from an old cache are all a
little different. Rounding each one *up* to a coarse grid lets entries written
together in the old cache (same TTL, same moment) be written together again, while an
entry never expires earlier than it would have, and lives less than
``min(1 s, TTL / 256)`` longer: the grid step is the largest power of two at or below
``TTL / 256``, capped at one second.
"""

from __future__ import annotations

import math
from typing import Final

__all__ = ("MAX_STEP", "ttl_bucket")

MAX_STEP: Final = 1.0
"""The coarsest grid step, in seconds: no TTL is lengthened by this much or more."""


def ttl_bucket(seconds: float) -> float:
    """The smallest grid value ``>= seconds`` (``seconds`` finite and ``> 0``)."""
    _, exponent = math.frexp(seconds)  # 2**(exponent - 1) <= seconds < 2**exponent
    step = min(math.ldexp(1.0, exponent - 9), MAX_STEP)
    return math.ceil(seconds / step) * step
