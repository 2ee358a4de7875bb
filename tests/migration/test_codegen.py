"""generate_migration_code: the source compiles, and runs against real old caches."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pepperpy.caching import Cache, ConfigurationError, MemoryCache, MigrationHelper

from . import old_module

ROOT = Path(__file__).resolve().parents[2]


def _load(code: str, **names: Any) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "generated_migration", **names}
    exec(compile(code, "<generated migration>", "exec"), namespace)
    return namespace


@pytest.mark.anyio
async def test_generated_code_migrates_a_module_level_cache() -> None:
    code = MigrationHelper.generate_migration_code(
        "my_cache", "MemoryCache", module_path="tests.migration.old_module"
    )
    namespace = _load(code)
    new = await namespace["migrate_my_cache"]()
    assert isinstance(new, MemoryCache)
    assert new.max_size == 100  # configured like the old LRUCache
    assert await new.get_many(["user:1", "user:2", "count"]) == dict(old_module.my_cache)


@pytest.mark.anyio
async def test_generated_code_for_an_attribute_path_and_a_given_target() -> None:
    code = MigrationHelper.generate_migration_code(
        "caches.sessions", module_path="tests.migration.old_module"
    )
    namespace = _load(code)
    built = namespace["new_cache"]()
    assert isinstance(built, MemoryCache)
    assert built.max_size == 50
    target = Cache(MemoryCache(), namespace="sessions")
    filled = await namespace["migrate_sessions"](target)
    assert filled is target
    assert await target.get("s1") == "alive"
    assert not await target.contains("s2")  # expired: skipped
    expires_at = old_module.caches.sessions._storage["s1"].expires_at
    assert await target.ttl("s1") == pytest.approx(expires_at - time.time(), abs=1)


@pytest.mark.anyio
async def test_generated_code_without_module_path_uses_the_name_in_scope() -> None:
    code = MigrationHelper.generate_migration_code("legacy_cache")
    namespace = _load(code, legacy_cache={"a": 1, "b": 2})
    new = await namespace["migrate_legacy_cache"]()
    assert await new.get_many(["a", "b"]) == {"a": 1, "b": 2}


def test_generated_script_runs_as_a_program() -> None:
    code = MigrationHelper.generate_migration_code(
        "my_cache", module_path="tests.migration.old_module"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "copied 3, skipped 0 expired, failed 0 (of 3 keys)" in done.stderr


def test_redis_script_compiles() -> None:
    code = MigrationHelper.generate_migration_code("app.cache", "RedisCache", "my_service")
    compile(code, "<generated>", "exec")
    assert "RedisCache(url=REDIS_URL)" in code
    assert "import my_service as _old_module" in code


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("my cache",), "old_cache_var must be a dotted Python name"),
        (("class",), "old_cache_var must be a dotted Python name"),
        (("a..b",), "old_cache_var must be a dotted Python name"),
        (("",), "old_cache_var must be a dotted Python name"),
        (("x", "MemoryCache", "os; import shutil"), "module_path must be a dotted"),
        (("x", "MemoryCache", "pkg.2mod"), "module_path must be a dotted"),
        (("x", "DictCache"), "new_cache_type must be one of MemoryCache, RedisCache"),
        (("sys",), "would be shadowed"),
        (("new_cache.x",), "would be shadowed"),
    ],
)
def test_bad_names_are_refused(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        MigrationHelper.generate_migration_code(*args)


def test_a_shadowing_name_is_fine_from_a_module() -> None:
    code = MigrationHelper.generate_migration_code("sys", module_path="somewhere")
    compile(code, "<generated>", "exec")
    assert "OLD_CACHE = _old_module.sys" in code
