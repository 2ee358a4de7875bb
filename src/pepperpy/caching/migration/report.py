"""What a migration did to each key, and why a key was not copied."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, final

from pepperpy.caching import BackendError

__all__ = ("MigrationAborted", "MigrationReport", "Outcome")


@final
class Outcome(enum.Enum):
    """The fate of one source key."""

    COPIED = "copied"
    """Written to the new cache; on a dry run, readable and would have been written."""
    EXPIRED = "expired"
    """Skipped, as it expired or went away before it could be read."""
    FAILED = "failed"
    """Could not be read or written (see :attr:`MigrationReport.errors`)."""


@final
@dataclass(slots=True)
class MigrationReport:
    """Per-key outcomes of one migration, keyed by the source key.

    ``errors`` holds a one-line reason for every ``FAILED`` key. ``dry_run`` tells
    whether anything was written. ``notes`` says how each key was copied, when the
    migration knows more than "copied": a Redis-to-Redis copy notes the key's type
    and whether it was restored from a ``DUMP`` or rebuilt by type (and why).
    """

    dry_run: bool = False
    outcomes: dict[Any, Outcome] = field(default_factory=dict)
    errors: dict[Any, str] = field(default_factory=dict)
    notes: dict[Any, str] = field(default_factory=dict)

    def record(self, key: Any, outcome: Outcome, error: str = "") -> None:
        """Set the outcome of ``key`` (and its reason, for a failure)."""
        self.outcomes[key] = outcome
        if outcome is Outcome.FAILED:
            self.errors[key] = error or "failed"
        else:
            self.errors.pop(key, None)

    @property
    def results(self) -> dict[Any, bool]:
        """``{source_key: copied?}``: ``True`` only for :attr:`Outcome.COPIED`."""
        copied = Outcome.COPIED
        return {key: outcome is copied for key, outcome in self.outcomes.items()}

    def count(self, outcome: Outcome) -> int:
        """How many keys ended with ``outcome``."""
        return sum(1 for seen in self.outcomes.values() if seen is outcome)

    @property
    def copied(self) -> int:
        """Keys copied (or, on a dry run, that would be)."""
        return self.count(Outcome.COPIED)

    @property
    def expired(self) -> int:
        """Keys skipped because they had expired."""
        return self.count(Outcome.EXPIRED)

    @property
    def failed(self) -> int:
        """Keys that could not be read or written."""
        return self.count(Outcome.FAILED)

    def breakdown(self) -> str:
        """How the copied keys were copied, from ``notes``, most frequent first
        (``"12 string restored, 3 hash restored"``); empty without notes."""
        counts = Counter(
            note for key, note in self.notes.items() if self.outcomes.get(key) is Outcome.COPIED
        )
        return ", ".join(f"{count} {note}" for note, count in counts.most_common())

    def __len__(self) -> int:
        return len(self.outcomes)

    def summary(self) -> str:
        """One line: how many keys were copied, skipped as expired, and failed."""
        counts = Counter(self.outcomes.values())
        verb = "would copy" if self.dry_run else "copied"
        return (
            f"{verb} {counts[Outcome.COPIED]}, skipped {counts[Outcome.EXPIRED]} expired, "
            f"failed {counts[Outcome.FAILED]} (of {len(self.outcomes)} keys)"
        )


class MigrationAborted(BackendError):
    """A store stopped answering (listing keys failed, or reads or writes kept failing
    with :class:`~pepperpy.caching.BackendError`), so the migration stopped.

    ``report`` holds the outcomes of the keys handled before that; the store's error
    is the ``__cause__``.
    """

    def __init__(self, message: str, report: MigrationReport) -> None:
        super().__init__(message)
        self.report = report
