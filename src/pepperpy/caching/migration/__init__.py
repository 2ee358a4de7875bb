"""Moving data and settings from older caches to this library's caches.

:class:`MigrationHelper` is the entry point; see ``docs/migration.rst``.
"""

from __future__ import annotations

from .categories import DroppedSettingWarning, MigrationWarning, UnknownSettingWarning
from .codegen import generate_migration_code
from .config import convert_config
from .equivalent import get_equivalent_cache
from .guide import migration_guide, print_migration_guide
from .helper import MigrationHelper
from .report import MigrationAborted, MigrationReport, Outcome
from .run import ProgressCallback, migrate

__all__ = (
    "DroppedSettingWarning",
    "MigrationAborted",
    "MigrationHelper",
    "MigrationReport",
    "MigrationWarning",
    "Outcome",
    "ProgressCallback",
    "UnknownSettingWarning",
    "convert_config",
    "generate_migration_code",
    "get_equivalent_cache",
    "migrate",
    "migration_guide",
    "print_migration_guide",
)
