"""The ``demo`` command: the library's examples, run live on asyncio and on trio.

Each section shows one feature and checks that it behaved as shown; the command exits
with 1 if any check failed (or if ``--redis URL`` was given and Redis could not be
used), 0 otherwise. Sections whose extra is not installed say so in one line.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import platform
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Final

import anyio

from .._lazy import missing_extra
from .._version import __version__
from ._demo_memory import eviction_order, hit_ratios, time_to_live
from ._demo_optional import LOCAL_REDIS, redis_cache, vector_cache
from ._demo_sharing import namespaces, single_flight
from ._pipes import is_broken_pipe
from ._report import CheckFailed, Report

__all__ = ("add_arguments", "run")

RUNTIMES: Final = ("asyncio", "trio")

Section = Callable[[Report], Awaitable[str]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    parser.add_argument(
        "--runtime",
        choices=(*RUNTIMES, "both"),
        default="both",
        help="the event loop to run the demo on (default: both, one after the other)",
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        help=(
            "run the Redis section against this server (redis://, rediss://, "
            f"redis+cluster://), failing if it cannot; without it {LOCAL_REDIS} is tried "
            "and skipped if nothing answers. The demo writes only under a namespace of "
            "its own and removes it."
        ),
    )


def sections(redis_url: str | None) -> list[tuple[str, Section]]:
    """The demo's sections in order, with the short names the summary uses."""
    return [
        ("ttl", time_to_live),
        ("eviction", eviction_order),
        ("hit ratio", hit_ratios),
        ("namespaces", namespaces),
        ("single-flight", single_flight),
        ("vectors", vector_cache),
        ("redis", functools.partial(redis_cache, url=redis_url)),
    ]


async def _run_sections(report: Report, redis_url: str | None) -> list[str]:
    statuses = []
    for _, section in sections(redis_url):
        try:
            status = await section(report)
        except CheckFailed as exc:
            report.line(f"{report.status('FAILED')}: {exc}")
            status = "FAILED"
        except Exception as exc:
            if is_broken_pipe(exc):
                raise  # the reader of the report is gone: nowhere to show anything
            report.line(f"{report.status('FAILED')}: {type(exc).__name__}: {exc}")
            traceback.print_exc(file=sys.stderr)
            status = "FAILED"
        sys.stdout.flush()
        statuses.append(status)
    return statuses


def _missing(runtime: str) -> str | None:
    """Why ``runtime`` cannot run here (its extra is not installed), or ``None``."""
    try:
        importlib.import_module(runtime)
    except ImportError as exc:
        return str(missing_extra(f"running the demo on {runtime}", runtime, exc))
    return None


def run(args: argparse.Namespace) -> int:
    """Run the demo on the chosen runtimes and print a summary; the exit status."""
    report = Report(sys.stdout)
    runtimes = RUNTIMES if args.runtime == "both" else (args.runtime,)
    missing = {runtime: problem for runtime in runtimes if (problem := _missing(runtime))}
    if args.runtime in missing:
        print(f"pepperpy-cache demo: error: {missing[args.runtime]}", file=sys.stderr)
        return 2
    names = [name for name, _ in sections(args.redis)]
    report.line(
        f"pepperpy-caching {__version__} on Python {platform.python_version()}: "
        f"the examples of the docs, live, on {' and '.join(runtimes)}",
        indent=0,
    )
    rows: list[list[str]] = []
    for runtime in runtimes:
        if runtime in missing:
            report.title(f"{runtime}: skipped")
            report.line(missing[runtime])
            rows.append([runtime] + ["skipped"] * len(names) + ["-"])
            continue
        report.title(f"Running on {runtime}")
        started = time.perf_counter()
        statuses = anyio.run(_run_sections, report, args.redis, backend=runtime)
        rows.append([runtime, *statuses, f"{time.perf_counter() - started:.2f} s"])
    report.title("Summary")
    report.table(
        ["runtime", *names, "time"],
        [[row[0], *map(report.status, row[1:-1]), row[-1]] for row in rows],
    )
    failed = any("FAILED" in row for row in rows)
    report.line()
    report.line(report.status("FAILED") if failed else "All shown behaviour checked.", indent=0)
    return 1 if failed else 0
