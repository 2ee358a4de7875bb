"""The ``migrate`` command: copy keys between Redis servers or namespaces, TTLs kept.

Every key type is copied as stored (``DUMP``/``RESTORE``, or rebuilt by type where
the servers refuse those; see
:meth:`~pepperpy.caching.migration.MigrationHelper.copy_redis`), each key with the
time it had left. The summary says how keys were copied; ``--report`` writes each
key's fate to a file. Exit status: 0 when every key was copied or skipped as expired,
1 when some failed or a server stopped answering, 2 for bad arguments or a missing
``redis`` extra.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO
from urllib.parse import urlsplit

import anyio

from pepperpy.caching import CacheError, ConfigurationError
from pepperpy.caching.migration import MigrationAborted, MigrationHelper, MigrationReport

from .progress import ProgressBar

__all__ = ("add_arguments", "run")

_SHOWN_FAILURES = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    parser.add_argument("source", metavar="SRC", help="Redis URL to copy from")
    parser.add_argument("target", metavar="DST", help="Redis URL to copy to (may equal SRC)")
    parser.add_argument(
        "--namespace", default=None, help="copy only the keys of this namespace (NS:key)"
    )
    parser.add_argument(
        "--target-namespace", default=None, help="write the keys under this namespace"
    )
    parser.add_argument("--prefix", default="", help="put this in front of every written key")
    parser.add_argument("--dry-run", action="store_true", help="read and report, write nothing")
    parser.add_argument(
        "--replace", action="store_true", help="overwrite keys the target holds already"
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        default=None,
        help="write each key's fate to FILE (tab-separated: outcome, key, how or why)",
    )
    parser.add_argument(
        "--batch-size", type=_positive, default=500, help="keys per round trip (default 500)"
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _redis_cache() -> Any:
    """RedisCache, loaded on demand; ``None`` when the ``redis`` extra is missing."""
    import pepperpy.caching as caching

    try:
        return caching.RedisCache
    except (ImportError, AttributeError):
        return None


def _place(url: str) -> tuple[str, str, int | None, str]:
    """Which server and database a URL points at, as far as its text tells."""
    parts = urlsplit(url)
    database = parts.path.strip("/") or "0"
    port = parts.port or (6379 if parts.scheme.startswith("redis") else None)
    return (parts.hostname or "", database, port, parts.scheme.removesuffix("s"))


def _overlaps(args: argparse.Namespace) -> bool:
    """Whether written keys could be listed again by the source scan."""
    if args.dry_run or _place(args.source) != _place(args.target):
        return False
    read = f"{args.namespace}:" if args.namespace else ""
    written = (f"{args.target_namespace}:" if args.target_namespace else "") + args.prefix
    return written.startswith(read) or read.startswith(written)


def _print_report(report: MigrationReport, out: TextIO, err: TextIO) -> None:
    print(report.summary(), file=out)
    if report.notes:
        print(f"  {report.breakdown()}", file=out)
    for key, reason in list(report.errors.items())[:_SHOWN_FAILURES]:
        print(f"  failed {key!r}: {reason}", file=err)
    if len(report.errors) > _SHOWN_FAILURES:
        print(f"  ... and {len(report.errors) - _SHOWN_FAILURES} more", file=err)


async def _copy(cache_type: Any, args: argparse.Namespace, err: TextIO) -> MigrationReport:
    source = cache_type(url=args.source, namespace=args.namespace, serializer="bytes")
    target = cache_type(url=args.target, namespace=args.target_namespace, serializer="bytes")
    async with source, target:
        bar = None
        if err.isatty():
            total = 0
            async for _ in source.iter_keys():  # one SCAN pass, so the bar has a total
                total += 1
            bar = ProgressBar(err, total)
        try:
            return await MigrationHelper.copy_redis(
                source,
                target,
                args.prefix,
                replace=args.replace,
                batch_size=args.batch_size,
                dry_run=args.dry_run,
                on_progress=None if bar is None else bar.update,
            )
        finally:
            if bar is not None:
                bar.close()


def run(args: argparse.Namespace) -> int:
    """Copy the keys; print a summary (and the first failures) at the end."""
    out, err = sys.stdout, sys.stderr
    if _overlaps(args):
        print(
            "pepperpy-cache migrate: the target keys would fall inside the keys being "
            "copied (same server and database): use another --target-namespace or "
            "--prefix, or --dry-run",
            file=err,
        )
        return 2
    cache_type = _redis_cache()
    if cache_type is None:
        print(
            "pepperpy-cache migrate needs the 'redis' extra: pip install 'pepperpy-caching[redis]'",
            file=err,
        )
        return 2
    try:
        report = anyio.run(_copy, cache_type, args, err)
    except ConfigurationError as exc:
        print(f"pepperpy-cache migrate: {exc}", file=err)
        return 2
    except MigrationAborted as exc:
        print(f"pepperpy-cache migrate: {exc}", file=err)
        _print_report(exc.report, out, err)
        if args.report is not None:
            _write_report(exc.report, args.report)
        return 1
    except CacheError as exc:
        print(f"pepperpy-cache migrate: {exc}", file=err)
        return 1
    _print_report(report, out, err)
    if args.report is not None:
        _write_report(report, args.report)
    return 1 if report.failed else 0


def _write_report(report: MigrationReport, path: str) -> None:
    """One line per key: its outcome, the key (escaped like a Python string, so tabs
    and newlines stay on one line), and how it was copied or why it was not."""
    with open(path, "w", encoding="utf-8") as file:
        for key, outcome in report.outcomes.items():
            why = report.errors.get(key) or report.notes.get(key, "")
            shown = repr(key)[1:-1]
            print(f"{outcome.value}\t{shown}\t{why}", file=file)
