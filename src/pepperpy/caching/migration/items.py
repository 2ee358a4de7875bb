"""What a source hands to the migration: one key with its value and remaining TTL, or
the reason it cannot be copied."""

from __future__ import annotations

from typing import Any, NamedTuple, final

from .report import Outcome

__all__ = ("SourceItem", "describe", "found")


@final
class SourceItem(NamedTuple):
    """One source key (a tuple: created for every key, so it must be cheap).

    ``ttl`` is the seconds it has left (``> 0``) or ``None`` for no expiry. When
    ``skip`` is set (``EXPIRED`` or ``FAILED``) the item is not written and ``error``
    says why a failure happened.
    """

    key: Any
    value: Any = None
    ttl: float | None = None
    skip: Outcome | None = None
    error: str = ""

    @classmethod
    def expired(cls, key: Any) -> SourceItem:
        """``key`` had expired, or vanished, by the time it was read."""
        return cls(key, None, None, Outcome.EXPIRED)

    @classmethod
    def failed(cls, key: Any, error: str) -> SourceItem:
        """``key`` could not be read, for the reason given."""
        return cls(key, None, None, Outcome.FAILED, error)

    @classmethod
    def with_remaining(cls, key: Any, value: Any, ttl: float | None) -> SourceItem:
        """``key`` holding ``value`` with ``ttl`` seconds left; expired if none are."""
        if ttl is not None and not ttl > 0.0:
            return cls(key, None, None, Outcome.EXPIRED)
        return _new(cls, (key, value, ttl, None, ""))


_new = tuple.__new__


def found(key: Any, value: Any) -> SourceItem:
    """``key`` holding ``value`` without expiry: the common case, built without the
    keyword handling of ``SourceItem(...)`` (half the cost, and it runs per key)."""
    return _new(SourceItem, (key, value, None, None, ""))


def describe(exc: BaseException) -> str:
    """A one-line reason for a failed key: the exception type and its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
