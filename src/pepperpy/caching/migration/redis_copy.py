"""Redis to Redis: every key type copied by ``DUMP``/``RESTORE``, or by type where
those are refused; what happened to each key goes into the report."""

from __future__ import annotations

from typing import Any

import anyio.lowlevel

from pepperpy.caching import BackendError, ConfigurationError

from .report import MigrationAborted, MigrationReport, Outcome
from .run import ProgressCallback

__all__ = ("copy_redis",)


def _copier_type() -> Any:
    from pepperpy.caching.adapters.redis.copy import RedisCopier

    return RedisCopier


def _check(source: object, target: object, key_prefix: object, batch_size: object) -> None:
    from pepperpy.caching.adapters.redis.cache import RedisCache

    for role, cache in (("source", source), ("target", target)):
        if not isinstance(cache, RedisCache):
            raise ConfigurationError(f"the {role} must be a RedisCache; got {type(cache).__name__}")
    if not isinstance(key_prefix, str):
        raise ConfigurationError(f"key_prefix must be a str; got {type(key_prefix).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigurationError(f"batch_size must be a positive int; got {batch_size!r}")


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
    """Copy every key of ``source`` into ``target`` (two RedisCaches), whatever its type;
    see :meth:`~pepperpy.caching.migration.MigrationHelper.copy_redis`."""
    _check(source, target, key_prefix, batch_size)
    copier = _copier_type()(source, target, key_prefix, replace=replace)
    report = MigrationReport(dry_run=dry_run)
    pages = copier.pages(batch_size)
    try:
        while True:
            try:
                keys = await anext(pages)
            except StopAsyncIteration:
                break
            except BackendError as exc:
                raise MigrationAborted(
                    f"migration stopped: listing the source failed: {exc}", report
                ) from exc
            try:
                copied = await copier.copy(keys, dry_run=dry_run)
            except BackendError as exc:  # a whole round failed: the store is not answering
                raise MigrationAborted(f"migration stopped: {exc}", report) from exc
            _record(report, copier, copied)
            if on_progress is not None:
                on_progress(len(report), None)
            await anyio.lowlevel.checkpoint()
    finally:
        await pages.aclose()
    return report


def _record(report: MigrationReport, copier: Any, copied: list[Any]) -> None:
    from pepperpy.caching.core.remote.copy_rules import Verdict

    outcomes, notes = report.outcomes, report.notes
    shared: dict[tuple[str, str], str] = {}  # one note string per kind of copy, not per key
    for item in copied:
        key = copier.source_key(item.key)
        if item.verdict is Verdict.DONE:
            outcomes[key] = Outcome.COPIED
            note = shared.get((item.kind, item.note))
            if note is None:
                note = shared[item.kind, item.note] = f"{item.kind} {item.note}"
            notes[key] = note
        elif item.verdict is Verdict.GONE:
            outcomes[key] = Outcome.EXPIRED
        else:
            what = f"{item.kind}: " if item.kind else ""
            report.record(key, Outcome.FAILED, what + item.note)
