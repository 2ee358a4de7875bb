"""Warning categories of the migration tools, so callers can filter or escalate them."""

from __future__ import annotations

__all__ = ("DroppedSettingWarning", "MigrationWarning", "UnknownSettingWarning")


class MigrationWarning(UserWarning):
    """Base category of every warning the migration tools emit."""


class UnknownSettingWarning(MigrationWarning):
    """An old setting name that the converter does not recognize; it was ignored."""


class DroppedSettingWarning(MigrationWarning):
    """A recognized old setting that has no equivalent on the chosen cache; ignored."""
