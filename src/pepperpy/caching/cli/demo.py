"""The ``demo`` command: the library's examples, run live on asyncio and on trio.

Each section shows one feature and checks that it behaved as shown; the command exits
with 1 if any check failed (or if ``--redis URL`` was given and Redis could not be
used), 0 otherwise. Sections whose extra is not installed say so in one line.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import importlib.util
import platform
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Final

import anyio

from ._demo_memory import eviction_order, hit_ratios, time_to_live
from ._demo_optional import LOCAL_REDIS, redis_cache, vector_cache
from ._demo_sharing import namespaces, single_flight
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
            report.line(f"{report.status('FAILED')}: {type(exc).__name__}: {exc}")
            traceback.print_exc(file=sys.stderr)
            status = "FAILED"
        sys.stdout.flush()
        statuses.append(status)
    return statuses


def _version() -> str:
    try:
        return importlib.metadata.version("pepperpy-caching")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def run(args: argparse.Namespace) -> int:
    """Run the demo on the chosen runtimes and print a summary; the exit status."""
    report = Report(sys.stdout)
    runtimes = RUNTIMES if args.runtime == "both" else (args.runtime,)
    names = [name for name, _ in sections(args.redis)]
    report.line(
        f"pepperpy-caching {_version()} on Python {platform.python_version()}: "
        f"the examples of the docs, live, on {' and '.join(runtimes)}",
        indent=0,
    )
    rows: list[list[str]] = []
    for runtime in runtimes:
        if importlib.util.find_spec(runtime) is None:
            report.title(f"{runtime}: not installed (pip install 'pepperpy-caching[{runtime}]')")
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
