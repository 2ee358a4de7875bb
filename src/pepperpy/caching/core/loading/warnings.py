"""How often a failing store is allowed to say so: one warning per kind per interval.

During an outage every operation fails the same way; logging each one floods the log
and slows the service down. :class:`WarningLimiter` lets the first failure of a kind
through, swallows the rest of its interval, and hands the count of the swallowed ones
to the next warning it lets through, so nothing is lost from the record.
"""

from __future__ import annotations

import math
from typing import final

from ..errors import ConfigurationError

__all__ = ("WarningLimiter",)


@final
class WarningLimiter:
    """One warning per kind (any hashable name, e.g. ``"read"``) per ``interval`` seconds."""

    __slots__ = ("_interval", "_next", "_suppressed")

    def __init__(self, interval: float = 60.0) -> None:
        if isinstance(interval, bool) or not isinstance(interval, int | float):
            raise ConfigurationError(f"interval must be a number of seconds; got {interval!r}")
        if not (interval >= 0 and math.isfinite(interval)):
            raise ConfigurationError(f"interval must be >= 0 and finite; got {interval!r}")
        self._interval = float(interval)
        self._next: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    @property
    def interval(self) -> float:
        """Seconds between two warnings of one kind."""
        return self._interval

    def allow(self, kind: str, now: float) -> int | None:
        """Whether a failure of ``kind`` at ``now`` may be logged.

        ``None``: not now (it is counted). A number: log it, and say that many
        warnings of this kind were suppressed since the last one logged.
        """
        due = self._next.get(kind)
        if due is not None and now < due:
            self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
            return None
        self._next[kind] = now + self._interval
        return self._suppressed.pop(kind, 0)

    def suppressed(self, kind: str) -> int:
        """How many warnings of ``kind`` were swallowed since the last one let through."""
        return self._suppressed.get(kind, 0)
