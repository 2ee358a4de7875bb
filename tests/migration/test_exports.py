"""The migration package's public names."""

from __future__ import annotations

import inspect

import pepperpy.caching
import pepperpy.caching.migration as migration


def test_migration_helper_is_exported_from_the_package() -> None:
    assert "MigrationHelper" in pepperpy.caching.__all__
    assert pepperpy.caching.MigrationHelper is migration.MigrationHelper


def test_all_is_a_tuple_of_existing_names() -> None:
    assert isinstance(migration.__all__, tuple)
    for name in migration.__all__:
        value = getattr(migration, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__doc__, name
