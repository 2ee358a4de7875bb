"""The migration guide: imports, the settings table from the converter, behaviour changes."""

from __future__ import annotations

import io

import pytest

from pepperpy.caching import MigrationHelper
from pepperpy.caching.migration import migration_guide
from pepperpy.caching.migration.config import ALIASES, DROPPED


def test_guide_covers_imports_settings_and_changes() -> None:
    guide = MigrationHelper.migration_guide()
    for needle in [
        "from pepperpy.memory.cache import MemoryCache",
        "from pepperpy.cache import Cache",
        "cachetools.TTLCache(maxsize=n, ttl=t)",
        "aiocache.SimpleMemoryCache()",
        "from pepperpy.caching import RedisCache",
        "JSON",
        "PickleSerializer(secret=...)",
        "clear(flush_db=True)",
        "InvalidTTLError",
        "ttl=None",
        "A stored None is a hit",
        "migrate redis://",
    ]:
        assert needle in guide, needle


def test_guide_lists_every_setting_name_the_converter_knows() -> None:
    guide = migration_guide()
    for new, aliases in ALIASES.items():
        assert new in guide
        for alias in aliases:
            assert alias in guide, alias
    for name in DROPPED:
        assert name in guide, name


def test_print_migration_guide(capsys: pytest.CaptureFixture[str]) -> None:
    MigrationHelper.print_migration_guide()
    assert capsys.readouterr().out == migration_guide()
    buffer = io.StringIO()
    MigrationHelper.print_migration_guide(file=buffer)
    assert buffer.getvalue() == migration_guide()
