"""MigrationHelper: the one entry point for moving data and settings to this library."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TextIO, final

from pepperpy.caching import CacheBackend

from .codegen import generate_migration_code
from .config import convert_config
from .equivalent import get_equivalent_cache
from .guide import migration_guide, print_migration_guide
from .report import MigrationReport
from .run import ProgressCallback, migrate

__all__ = ("MigrationHelper",)


@final
class MigrationHelper:
    """Moves data and configuration from older caches to this library's caches.

    Every method is a static method: ``MigrationHelper.migrate_data(old, new)``.
    """

    @staticmethod
    async def migrate_data(
        old_cache: object,
        new_cache: CacheBackend,
        key_prefix: str = "",
        *,
        batch_size: int = 500,
        dry_run: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> dict[Any, bool]:
        """Copy every live entry of ``old_cache`` into ``new_cache``; ``{old_key: copied}``.

        Sources, tried in this order:

        * a cache of this library (MemoryCache, Cache views, RedisCache...): keys from
          ``iter_keys()`` (SCAN on Redis), values by ``get_many``, TTLs by ``ttl()``;
        * a Mapping: dict (no TTL), cachetools caches (``TTLCache``/``TLRUCache``
          entries keep the exact time they had left);
        * an aiocache memory cache (TTLs from its timers);
        * a legacy container: ``_storage``/``_cache`` holding entries with ``value``
          and ``expires_at`` (attributes or dict keys), or ``_data`` holding
          ``(value, expires_at)`` pairs; ``expires_at`` is a datetime (naive = local
          time), an ISO string, epoch seconds, or ``None``;
        * an object with ``keys()`` and ``get()``, plain or async (TTLs from
          ``get_with_expire`` or ``ttl(key)`` when it has them).

        A remaining TTL is rounded up by less than ``min(1 s, TTL/256)`` (so entries
        can share a ``set_many``): an entry never expires earlier than in the old
        cache. Entries already expired are skipped (``False``).

        Each key is written as ``key_prefix + key``; the result is keyed by the source
        key. A key that fails (a non-``str`` key, a value the new cache cannot store, a
        read error) is ``False`` and the others go on. Values are read and written
        ``batch_size`` keys at a time: one ``set_many`` per distinct rounded TTL; if it
        fails, the batch's keys are retried one by one to isolate the bad ones.

        ``dry_run=True`` reads everything and reports what would be copied, writing
        nothing. ``on_progress(done, total)`` is called after each batch (``total`` is
        ``None`` when the source cannot tell its size cheaply, as with RedisCache);
        an exception it raises stops the migration.

        Raises :class:`~pepperpy.caching.ConfigurationError` for a source it cannot
        read or bad arguments, and :class:`~pepperpy.caching.migration.MigrationAborted`
        (with the partial report) when a store stops answering: listing the source
        fails, or reads or writes fail with ``BackendError`` many times in a row.
        """
        report = await migrate(
            old_cache,
            new_cache,
            key_prefix,
            batch_size=batch_size,
            dry_run=dry_run,
            on_progress=on_progress,
        )
        return report.results

    @staticmethod
    async def migrate(
        old_cache: object,
        new_cache: CacheBackend,
        key_prefix: str = "",
        *,
        batch_size: int = 500,
        dry_run: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> MigrationReport:
        """:meth:`migrate_data`, returning the full :class:`MigrationReport`: each
        key's :class:`Outcome` (copied, expired, failed) and the reason for each
        failure."""
        return await migrate(
            old_cache,
            new_cache,
            key_prefix,
            batch_size=batch_size,
            dry_run=dry_run,
            on_progress=on_progress,
        )

    @staticmethod
    async def copy_redis(
        source: Any,
        target: Any,
        key_prefix: str = "",
        *,
        replace: bool = False,
        batch_size: int = 500,
        dry_run: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> MigrationReport:
        """Copy every key of one RedisCache into another, whatever its Redis type.

        Strings, hashes, lists, sets, sorted sets and streams (any type the servers
        can ``DUMP``) are copied as stored: the bytes are not decoded, so the two
        caches' serializers do not matter. The source's keys are those of its
        namespace (by SCAN); each is written under the target's namespace, with
        ``key_prefix`` in front. Each key keeps the time it had left (read just before
        its value; the copy outlives the original by at most the time copying took);
        keys that expire meanwhile are skipped.

        Each key is restored with ``RESTORE`` (pipelined, ``batch_size`` keys per
        round trip). Where the servers refuse that (a payload from another Redis
        version, ``DUMP``/``RESTORE`` renamed or forbidden by an ACL), keys are read
        by type and rebuilt (``HSET``, ``RPUSH``, ``SADD``, ``ZADD``, ``XADD``...), not
        atomically, and from then on the copy goes by type. A stream rebuilt by type
        keeps its entries and ids, not its consumer groups.

        A key the target holds already is left alone and reported as failed, unless
        ``replace=True``. :attr:`MigrationReport.notes` says how each key was copied
        (``"hash restored"``, ``"list rebuilt by type (RESTORE refused: ...)"``);
        :meth:`MigrationReport.breakdown` sums them up. Raises
        :class:`~pepperpy.caching.migration.MigrationAborted` (with the partial report)
        when a server stops answering.
        """
        from .redis_copy import copy_redis

        return await copy_redis(
            source,
            target,
            key_prefix,
            replace=replace,
            batch_size=batch_size,
            dry_run=dry_run,
            on_progress=on_progress,
        )

    @staticmethod
    def convert_config(old_config: Mapping[Any, Any]) -> dict[str, Any]:
        """Keyword arguments for the new cache an old configuration describes.

        For an in-process configuration, the keywords of :class:`MemoryCache`
        (``max_size``, ``policy``, ``default_ttl``); when any Redis connection setting
        is present (or a backend setting names Redis), those of ``RedisCache``
        (``url``, ``host``, ``port``, ``db``, ``password``, ``username``, ``ssl``,
        ``cluster``, ``startup_nodes``, ``namespace``, ``default_ttl``, ``timeout``,
        ``fail_open``, ``serializer``, ``connection_options``). The old names each
        stands for are listed by :func:`migration_guide`.

        Emits :class:`UnknownSettingWarning` naming the unknown settings, and
        :class:`DroppedSettingWarning` for settings that have no equivalent on the
        chosen cache. Raises :class:`~pepperpy.caching.ConfigurationError` for a
        value that cannot be used (a TTL of 0, a port of 70000, an unknown policy).
        """
        return convert_config(old_config, stacklevel=3)

    @staticmethod
    def get_equivalent_cache(old_cache: object) -> CacheBackend:
        """A new, empty cache configured like ``old_cache``.

        cachetools ``LRUCache``/``LFUCache``/``FIFOCache``/``RRCache``/``TTLCache``
        become a MemoryCache with the matching policy, ``max_size`` and
        ``default_ttl``; a dict an unbounded MemoryCache; a settings Mapping the
        cache :meth:`convert_config` describes (a key prefix wraps it in
        :class:`~pepperpy.caching.Cache`); a redis-py client a RedisCache on the same
        client; other objects are read for setting-like attributes (``max_size``,
        ``ttl``, ``policy``, ``host``, ``_port``...), an unknown size meaning unbounded.
        RedisCache is imported only when needed (it needs the ``redis`` extra).
        Raises :class:`~pepperpy.caching.ConfigurationError` when nothing tells how
        ``old_cache`` is configured.
        """
        return get_equivalent_cache(old_cache)

    @staticmethod
    def generate_migration_code(
        old_cache_var: str, new_cache_type: str = "MemoryCache", module_path: str = ""
    ) -> str:
        """Python source of a script that copies ``old_cache_var`` into a new cache.

        ``old_cache_var`` is a (dotted) name; with ``module_path`` the script imports
        that module and reads the name from it, without it the name must exist where
        the code runs (paste it into that module). ``new_cache_type`` is
        ``"MemoryCache"`` (configured like the old cache where that can be told, else
        unbounded) or ``"RedisCache"`` (URL from ``$PEPPERPY_REDIS_URL``). The script
        defines ``migrate_<name>()``, which returns the filled cache, and runs it when
        executed. Raises :class:`~pepperpy.caching.ConfigurationError` for a name that
        is not a dotted identifier or an unknown cache type.
        """
        return generate_migration_code(old_cache_var, new_cache_type, module_path)

    @staticmethod
    def migration_guide() -> str:
        """The migration guide: old imports and names, the settings table and the
        behaviour changes to know about."""
        return migration_guide()

    @staticmethod
    def print_migration_guide(file: TextIO | None = None) -> None:
        """Print :meth:`migration_guide` (to stdout by default)."""
        print_migration_guide(file)
