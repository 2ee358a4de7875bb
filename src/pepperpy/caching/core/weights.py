"""Weights for a cache bounded in bytes: the default estimate and the checks.

A cache built with ``max_bytes`` keeps the sum of its entries' weights at or below
that bound; each entry's weight is ``weigher(key, value)``, computed once when it is
written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from .errors import ConfigurationError

__all__ = ("Weigher", "check_max_bytes", "check_weight", "estimate_size")

Weigher = Callable[[str, Any], int]
"""``weigher(key, value) -> int``: an entry's weight, a non-negative ``int``."""


def estimate_size(key: str, value: Any) -> int:
    """The default weigher: ``sys.getsizeof(key) + sys.getsizeof(value)``.

    Cheap (no traversal), and exact for ``str``, ``bytes``, ``bytearray``, numbers and
    numpy arrays that own their data; for a container it counts the container itself,
    not the objects it holds (a list of a thousand strings weighs its 8 KB of
    pointers). Pass a ``weigher`` of your own when values are containers.
    """
    return sys.getsizeof(key) + sys.getsizeof(value)


def check_max_bytes(max_bytes: object) -> int | None:
    """``max_bytes`` if it is a positive int or ``None``, else ConfigurationError."""
    if max_bytes is None:
        return None
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ConfigurationError(f"max_bytes must be a positive int or None; got {max_bytes!r}")
    return max_bytes


def check_weight(weight: object, key: str) -> int:
    """``weight`` if it is a non-negative int, else ConfigurationError naming ``key``."""
    if type(weight) is int and weight >= 0:
        return weight
    if isinstance(weight, int) and not isinstance(weight, bool) and weight >= 0:
        return int(weight)
    raise ConfigurationError(
        f"the weigher must return a non-negative int; got {weight!r} for key {key!r}"
    )
