"""One migration: read the old cache batch by batch, write each batch, report per key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import anyio.lowlevel

from pepperpy.caching import Cache, CacheBackend, ConfigurationError, MemoryCache

from .health import StoreDown, StoreHealth
from .items import SourceItem, describe
from .report import MigrationAborted, MigrationReport, Outcome
from .sources import open_source
from .writer import BatchWriter

__all__ = ("CONCURRENCY", "ProgressCallback", "migrate")

ProgressCallback = Callable[[int, int | None], object]
"""Called after each batch with ``(keys handled so far, total or None)``."""

CONCURRENCY: Final = 8
"""Per-key requests (TTL reads, fallback writes, TTL groups) in flight at once on a
remote store. Measured on a local Redis (benchmarks/migration_bench.py): 8 beats 1 by
up to 2x on reads and writes, and 32 is no better."""


def _concurrency(store: object) -> int:
    """An in-process store answers without waiting: requests in flight only cost tasks."""
    while isinstance(store, Cache):
        store = store.backend
    return 1 if isinstance(store, MemoryCache) else CONCURRENCY


def _check(new: object, key_prefix: object, batch_size: object, on_progress: object) -> None:
    if not isinstance(new, CacheBackend):
        raise ConfigurationError(
            f"the new cache must be a cache of this library; got {type(new).__name__}"
        )
    if not isinstance(key_prefix, str):
        raise ConfigurationError(f"key_prefix must be a str; got {type(key_prefix).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigurationError(f"batch_size must be a positive int; got {batch_size!r}")
    if on_progress is not None and not callable(on_progress):
        raise ConfigurationError("on_progress must be a callable or None")


def _hashable(key: Any) -> Any:
    try:
        hash(key)
    except TypeError:
        return repr(key)
    return key


async def migrate(
    old: object,
    new: CacheBackend,
    key_prefix: str = "",
    *,
    batch_size: int = 500,
    dry_run: bool = False,
    on_progress: ProgressCallback | None = None,
) -> MigrationReport:
    """Copy every live entry of ``old`` into ``new``; see
    :meth:`~pepperpy.caching.migration.MigrationHelper.migrate_data`."""
    _check(new, key_prefix, batch_size, on_progress)
    source_health, target_health = StoreHealth("source"), StoreHealth("target")
    source = open_source(old, source_health, _concurrency(old))
    writer = BatchWriter(new, key_prefix, target_health, _concurrency(new))
    report = MigrationReport(dry_run=dry_run)
    batches = source.batches(batch_size)
    try:
        while True:
            try:
                batch = await anext(batches)
            except StopAsyncIteration:
                break
            except StoreDown as down:
                raise MigrationAborted(f"migration stopped: {down}", report) from down.error
            except NotImplementedError as exc:
                raise ConfigurationError(
                    f"cannot read a {type(old).__name__}: it cannot list its keys ({exc})"
                ) from exc
            except Exception as exc:
                message = f"migration stopped: reading the source failed: {describe(exc)}"
                raise MigrationAborted(message, report) from exc
            pending = _triage(batch, report)  # recorded as copied until a write fails
            if pending and not dry_run:
                try:
                    errors = await writer.write(pending)
                except StoreDown as down:
                    for item in pending:  # their fate is unknown: not reported
                        del report.outcomes[item.key]
                    raise MigrationAborted(f"migration stopped: {down}", report) from down.error
                for key, error in errors.items():
                    report.record(key, Outcome.FAILED, error)
            if on_progress is not None:
                on_progress(len(report), source.total)
            await anyio.lowlevel.checkpoint()  # in-process stores never yield on their own
    finally:
        await batches.aclose()
    return report


def _triage(batch: list[SourceItem], report: MigrationReport) -> list[SourceItem]:
    """Record the items that are skipped; return those to write (each key once)."""
    pending: list[SourceItem] = []
    seen = report.outcomes
    for item in batch:
        key = item.key
        if type(key) is not str:
            key = _hashable(key)
            if key in seen:
                continue
            if item.skip is not None:
                report.record(key, item.skip, item.error)
            else:
                kind = type(item.key).__name__
                report.record(key, Outcome.FAILED, f"keys must be str; got {kind}")
        elif key in seen:  # SCAN may list a key twice
            continue
        elif item.skip is not None:
            report.record(key, item.skip, item.error)
        else:
            seen[key] = Outcome.COPIED  # provisional: claims the key within the batch
            pending.append(item)
    return pending
