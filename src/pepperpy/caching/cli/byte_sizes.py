"""Byte counts as people write them: ``64MiB``, ``1.5GB``, ``4096``, ``10%``."""

from __future__ import annotations

import re
from typing import Final

from ..core.errors import ConfigurationError

__all__ = ("format_bytes", "parse_byte_sizes")

_UNITS: Final = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_AMOUNT: Final = re.compile(r"(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>[a-z]*)")


def parse_byte_sizes(text: str, working_set: int) -> list[int]:
    """Capacities in bytes from ``"64MiB,1GB,10%,4096"``; a percentage is of
    ``working_set`` (the bytes of every distinct object), rounded (>= 1).

    Units: B, kB/MB/GB/TB (powers of 1000) and KiB/MiB/GiB/TiB (powers of 1024), in
    any case. Duplicates are dropped; the order is kept.
    """
    sizes: list[int] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        sizes.append(_one(item, working_set))
    if not sizes:
        raise ConfigurationError("no cache sizes given")
    return list(dict.fromkeys(sizes))


def _one(item: str, working_set: int) -> int:
    bad = ConfigurationError(
        f"bad cache size {item!r}: give bytes (4096, 64MiB, 1.5GB) or a percentage of "
        "the trace's distinct objects' bytes (10%)"
    )
    if item.endswith("%"):
        try:
            percent = float(item[:-1])
        except ValueError:
            raise bad from None
        if not 0 < percent < float("inf"):
            raise bad
        return max(1, int(working_set * percent / 100 + 0.5))
    found = _AMOUNT.fullmatch(item.lower())
    if found is None or found["unit"] not in _UNITS:
        raise bad
    size = int(float(found["number"]) * _UNITS[found["unit"]] + 0.5)
    if size < 1:
        raise bad
    return size


def format_bytes(size: int) -> str:
    """``size`` in the largest binary unit that keeps it at least 1 (``"1.5MiB"``)."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.4g}{unit}"
    return f"{size}B"
