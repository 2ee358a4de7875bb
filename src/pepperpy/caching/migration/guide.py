"""The migration guide: old imports and names, the settings table, behaviour changes.

The settings table is rendered from the converter's own tables, so the guide and
:func:`convert_config` cannot disagree.
"""

from __future__ import annotations

import sys
from typing import Final, TextIO

from .config import ALIASES, CONNECTION_OPTIONS, DROPPED

__all__ = ("IMPORTS", "migration_guide", "print_migration_guide")

IMPORTS: Final = (
    (
        "from pepperpy.cache import Cache  # Cache(backend='memory')",
        "from pepperpy.caching import MemoryCache",
    ),
    (
        "from pepperpy.cache import Cache  # Cache(backend='redis', config)",
        "from pepperpy.caching import RedisCache",
    ),
    ("Cache(..., namespace='ns')", "Cache(cache, namespace='ns')  # from pepperpy.caching"),
    ("from pepperpy.memory.cache import MemoryCache", "from pepperpy.caching import MemoryCache"),
    ("from pepperpy.memory.cache import RedisCache", "from pepperpy.caching import RedisCache"),
    ("from pepperpy.memory.cache import CacheBackend", "from pepperpy.caching import CacheBackend"),
    (
        "from pepperpy.caching.memory_cache import MemoryCache",
        "from pepperpy.caching import MemoryCache",
    ),
    (
        "from pepperpy.optimization.caching.local import LocalCache",
        "from pepperpy.caching import MemoryCache",
    ),
    (
        "from pepperpy.optimization.caching.distributed import DistributedCache",
        "from pepperpy.caching import RedisCache",
    ),
    (
        "from pepperpy.rag.vector.optimization.caching import VectorCache",
        "from pepperpy.caching import VectorCache",
    ),
    ("cachetools.LRUCache(maxsize=n)", "MemoryCache(max_size=n, policy='lru')"),
    ("cachetools.LFUCache / FIFOCache / RRCache", "MemoryCache(policy='lfu' / 'fifo' / 'random')"),
    ("cachetools.TTLCache(maxsize=n, ttl=t)", "MemoryCache(max_size=n, default_ttl=t)"),
    (
        "cachetools.TLRUCache(maxsize=n, ttu=f)",
        "MemoryCache(max_size=n); set(key, value, ttl=...) per entry",
    ),
    ("@cachetools.cached(cache)", "@cached(cache, ttl=...)  # async functions, single-flight"),
    ("aiocache.SimpleMemoryCache()", "MemoryCache(max_size=None)"),
    (
        "aiocache.RedisCache(endpoint=h, port=p, namespace='ns')",
        "RedisCache(host=h, port=p, namespace='ns')",
    ),
    ("@aiocache.cached(ttl=t)", "@cached(cache, ttl=t)"),
    (
        "cache.multi_get(keys) / cache.multi_set(pairs)",
        "await cache.get_many(keys) / await cache.set_many(mapping)",
    ),
    ("cache.exists(key) / cache.has(key)", "await cache.contains(key)"),
    ("cache.remember(key, func) / get-then-set", "await cache.get_or_set(key, factory, ttl=...)"),
    (
        "cache.expire(key, ttl)",
        "await cache.set(key, value, ttl=...)  # overwriting replaces the TTL",
    ),
)
"""(old usage, new usage) pairs shown by the guide."""

_CHANGES: Final = (
    "Remote stores serialize with JSON by default (str, int, float, bool, None, list, "
    "dict). Pickle only when asked for, as PickleSerializer(secret=...): it is signed "
    "with HMAC-SHA256 and unsigned or tampered data is refused. Data an old cache "
    "pickled cannot be read through the JSON default.",
    "clear() removes exactly the cache's own namespace (SCAN + UNLINK on Redis, never "
    "KEYS or FLUSHDB); a RedisCache without a namespace refuses clear() unless called "
    "as clear(flush_db=True). Cache(backend, namespace='users') stores 'users:<key>'.",
    "TTLs are validated: 0, negative, NaN and infinite values, bools and other types "
    "raise InvalidTTLError / TTLTypeError. Older caches read 0 as 'never expire' or "
    "'do not cache': write None for no expiry, or do not store the value.",
    "ttl=None on a write means the cache's default_ttl, itself None (never expire) "
    "unless set. Overwriting a key replaces its TTL. ttl(key) returns the seconds left, "
    "or None for a key without expiry and for a missing key (use contains()).",
    "A stored None is a hit: get(key, default) returns the default only on a miss.",
    "Keys are str (InvalidKeyError otherwise): tuple keys from cachetools' @cached need "
    "a key function that returns a str.",
    "Every method is a coroutine, on asyncio and on trio; get_or_set runs the factory "
    "once for concurrent misses of a key.",
    "No raw redis-py exception escapes: catch CacheError, BackendError, "
    "SerializationError, ConfigurationError.",
)

_DATA: Final = (
    "results = await MigrationHelper.migrate_data(old_cache, new_cache, key_prefix='')",
    "  -> {old_key: True/False}; remaining TTLs carried, expired entries skipped;",
    "     one key's failure never stops the others.",
    "new_cache = MigrationHelper.get_equivalent_cache(old_cache)",
    "kwargs = MigrationHelper.convert_config(old_settings)",
    "print(MigrationHelper.generate_migration_code('my_cache', 'MemoryCache', 'my_module'))",
    "python -m pepperpy.caching migrate redis://old:6379/0 redis://new:6379/0 --dry-run",
)


def _table(rows: list[tuple[str, str]], width: int = 88) -> list[str]:
    """Two columns, the right one wrapped to ``width``."""
    left = max(len(name) for name, _ in rows)
    lines: list[str] = []
    for name, text in rows:
        wrapped = _wrap(text, indent=" " * (left + 4), width=width)
        lines.append(f"  {name:<{left}}  {wrapped[0].lstrip()}")
        lines.extend(wrapped[1:])
    return lines


def _wrap(text: str, indent: str = "  - ", width: int = 88) -> list[str]:
    lines: list[str] = []
    current = indent
    for word in text.split():
        if len(current) + len(word) + 1 > width and current.strip():
            lines.append(current.rstrip())
            current = " " * len(indent)
        current += word + " "
    lines.append(current.rstrip())
    return lines


def migration_guide() -> str:
    """The migration guide as text."""
    settings = [(new, ", ".join(aliases)) for new, aliases in ALIASES.items()]
    settings.append(("connection_options", ", ".join(sorted(CONNECTION_OPTIONS))))
    lines = ["Migrating to pepperpy.caching", "=============================", ""]
    lines += ["1. Imports and names", ""]
    for old, new in IMPORTS:
        lines += [f"  {old}", f"      -> {new}"]
    lines += ["", "2. Settings (MigrationHelper.convert_config)", ""]
    lines += _wrap(
        "Names are matched case-insensitively; '-', '.' and spaces count as '_'; "
        "Flask-Caching's CACHE_ and CACHE_REDIS_ prefixes are understood; nested "
        "OPTIONS mappings are read. max_size/policy apply to MemoryCache, connection "
        "settings to RedisCache; a key prefix becomes a namespace ('app:' -> 'app'). "
        "Unknown names emit an UnknownSettingWarning; values that cannot be used raise "
        "ConfigurationError. New keyword: the old names that mean it.",
        indent="  ",
    )
    lines.append("")
    lines += _table(settings)
    lines += ["", "  Recognized but dropped, with a DroppedSettingWarning saying why:", ""]
    lines += _table(list(DROPPED.items()))
    lines += ["", "3. Behaviour changes", ""]
    for change in _CHANGES:
        lines += _wrap(change)
    lines += ["", "4. Moving the data", ""]
    lines += [f"  {line}" for line in _DATA]
    return "\n".join(lines) + "\n"


def print_migration_guide(file: TextIO | None = None) -> None:
    """Print :func:`migration_guide` (to stdout by default)."""
    print(migration_guide(), end="", file=file if file is not None else sys.stdout)
