"""Telling a failing store from a failing key.

A key can fail on its own (a value the target cannot encode); a store that stopped
answering fails every key, each after its timeout. After a run of consecutive
:class:`~pepperpy.caching.BackendError` failures the store is taken to be down and
the migration stops instead of waiting out a timeout per remaining key.
"""

from __future__ import annotations

from typing import Final

from pepperpy.caching import BackendError

__all__ = ("FAILURE_STREAK", "StoreDown", "StoreHealth")

FAILURE_STREAK: Final = 8
"""Consecutive BackendError failures after which a store is taken to be down."""


class StoreDown(Exception):
    """Raised inside the migration when a store is taken to be down."""

    def __init__(self, role: str, error: BaseException) -> None:
        super().__init__(f"the {role} store keeps failing: {error}")
        self.role = role
        self.error = error


class StoreHealth:
    """Counts consecutive BackendError failures of one store (``role``: source/target)."""

    __slots__ = ("_last", "_streak", "role")

    def __init__(self, role: str) -> None:
        self.role = role
        self._streak = 0
        self._last: BaseException | None = None

    def ok(self) -> None:
        """A call to the store succeeded."""
        self._streak = 0

    def failed(self, exc: BaseException) -> None:
        """A call to the store raised ``exc``."""
        if isinstance(exc, BackendError):
            self._streak += 1
            self._last = exc
        else:
            self._streak = 0

    def check(self) -> None:
        """Raise :class:`StoreDown` if the store has failed too many times in a row."""
        if self._streak >= FAILURE_STREAK and self._last is not None:
            raise StoreDown(self.role, self._last)
