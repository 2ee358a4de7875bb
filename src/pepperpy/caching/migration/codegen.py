"""Python source for a migration script, ready to run or to paste into an application."""

from __future__ import annotations

import keyword
from string import Template
from typing import Final

from pepperpy.caching import ConfigurationError

__all__ = ("NEW_CACHE_TYPES", "generate_migration_code")

NEW_CACHE_TYPES: Final = ("MemoryCache", "RedisCache")
"""The caches a generated script can fill."""

_RESERVED: Final = frozenset(
    {"sys", "os", "anyio", "annotations", "Cache", "CacheBackend", "ConfigurationError",
     "MemoryCache", "MigrationHelper", "RedisCache", "REDIS_URL", "OLD_CACHE", "new_cache", "main"}
)  # fmt: skip

_HEADER: Final = Template('''\
"""Copy the live entries of $where into a new $new_type.

Remaining TTLs are carried over. Run this as a script, or import it and
``await $function()``: it returns the filled cache. Keys that could not be copied
are listed on stderr.
"""

from __future__ import annotations

${os_import}import sys

import anyio

from pepperpy.caching import $names
$old_import
OLD_CACHE = $old_ref
''')

_MEMORY: Final = Template('''

def new_cache() -> CacheBackend:
    """A MemoryCache configured like the old cache where that can be told, else an
    unbounded one (so that no migrated entry is evicted)."""
    try:
        cache = MigrationHelper.get_equivalent_cache(OLD_CACHE)
    except (ConfigurationError, ImportError):
        return MemoryCache(max_size=None)
    root = cache
    while isinstance(root, Cache):
        root = root.backend
    return cache if isinstance(root, MemoryCache) else MemoryCache(max_size=None)
''')

_REDIS: Final = Template('''
REDIS_URL = os.environ.get("PEPPERPY_REDIS_URL", "redis://localhost:6379/0")


def new_cache() -> CacheBackend:
    """The Redis cache to fill (the URL comes from $$PEPPERPY_REDIS_URL)."""
    return RedisCache(url=REDIS_URL)
''')

_BODY: Final = Template('''

async def $function(target: CacheBackend | None = None) -> CacheBackend:
    """Copy every live entry of the old cache into ``target`` (default: ``new_cache()``)."""
    cache = new_cache() if target is None else target
    report = await MigrationHelper.migrate(OLD_CACHE, cache)
    print(report.summary(), file=sys.stderr)
    for key, reason in list(report.errors.items())[:20]:
        print("  not copied:", repr(key), "-", reason, file=sys.stderr)
    return cache


async def main() -> None:
    """Migrate, then release the new cache's resources."""
    cache = await $function()
    await cache.aclose()


if __name__ == "__main__":
    anyio.run(main)
''')


def _dotted(what: str, text: object, *, allow_empty: bool) -> str:
    if not isinstance(text, str):
        raise ConfigurationError(f"{what} must be a str; got {type(text).__name__}")
    if allow_empty and text == "":
        return text
    parts = text.split(".")
    if not all(part.isidentifier() and not keyword.iskeyword(part) for part in parts):
        raise ConfigurationError(f"{what} must be a dotted Python name; got {text!r}")
    return text


def generate_migration_code(
    old_cache_var: str, new_cache_type: str = "MemoryCache", module_path: str = ""
) -> str:
    """The source of a script that migrates ``old_cache_var`` into a ``new_cache_type``.

    See :meth:`~pepperpy.caching.migration.MigrationHelper.generate_migration_code`.
    """
    old = _dotted("old_cache_var", old_cache_var, allow_empty=False)
    module = _dotted("module_path", module_path, allow_empty=True)
    if new_cache_type not in NEW_CACHE_TYPES:
        raise ConfigurationError(
            f"new_cache_type must be one of {', '.join(NEW_CACHE_TYPES)}; got {new_cache_type!r}"
        )
    head = old.partition(".")[0]
    if not module and head in _RESERVED:
        raise ConfigurationError(
            f"old_cache_var {old!r} would be shadowed by a name the script uses; "
            "give module_path, or bind the cache to another name"
        )
    redis = new_cache_type == "RedisCache"
    function = "migrate_" + old.rpartition(".")[2].lower().strip("_")
    if not function.removeprefix("migrate_"):
        function = "migrate_cache"
    parts = {
        "where": f"{module}.{old}" if module else old,
        "new_type": new_cache_type,
        "function": function,
        "old_ref": f"_old_module.{old}" if module else old,
        "os_import": "import os\n" if redis else "",
        "names": "CacheBackend, MigrationHelper, RedisCache"
        if redis
        else "Cache, CacheBackend, ConfigurationError, MemoryCache, MigrationHelper",
        "old_import": f"\nimport {module} as _old_module\n" if module else "",
    }
    factory = _REDIS if redis else _MEMORY
    return _HEADER.substitute(parts) + factory.substitute(parts) + _BODY.substitute(parts)
