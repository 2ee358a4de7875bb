"""The ``simulate`` command: replay a trace against eviction policies and cache sizes.

``python -m pepperpy.caching simulate TRACE --sizes 1%,10%,1000 --policies lru,s3fifo``
prints the miss ratio of every policy at every size, and of Belady's optimal policy.
``--max-bytes 64MiB,10%`` bounds the cache in bytes instead, for traces that carry
object sizes (oracleGeneral), and prints the byte miss ratio too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..core.errors import ConfigurationError
from ..core.policies import POLICY_NAMES
from ..core.simulation import BELADY, SimulationResult, simulate
from .byte_sizes import format_bytes, parse_byte_sizes
from .miss_ratio_plot import PlotUnavailableError, load_figure_class, write_plot
from .progress import ProgressBar
from .traces import TRACE_FORMATS, Trace, TraceError, parse_format, read_trace

__all__ = ("add_arguments", "format_table", "parse_policies", "parse_sizes", "run")

DEFAULT_SIZES = "1%,5%,10%,25%"
"""The cache sizes simulated when ``--sizes`` is not given."""
_PROGRESS_FROM = 500_000
"""Requests to replay (all policies and sizes together) from which a bar is drawn."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    parser.add_argument(
        "trace",
        type=Path,
        metavar="TRACE",
        help="the trace: one key per line, CSV or TSV, a .npy array of ids, or "
        "libCacheSim's oracleGeneral binary; plain, gzip or zstd",
    )
    parser.add_argument(
        "--sizes",
        default=None,
        help="cache sizes, comma-separated: a percentage of the distinct keys (10%%) "
        "or a number of entries (1000); default " + DEFAULT_SIZES.replace("%", "%%"),
    )
    parser.add_argument(
        "--max-bytes",
        default=None,
        metavar="SIZES",
        help="bound the cache in bytes instead, at these sizes, comma-separated: bytes "
        "(4096, 64MiB, 1.5GB) or a percentage of the bytes of the distinct objects "
        "(10%%); needs a trace with object sizes (oracleGeneral)",
    )
    parser.add_argument(
        "--policies",
        default=",".join(POLICY_NAMES),
        help="eviction policies, comma-separated; default all: %(default)s",
    )
    parser.add_argument(
        "--format",
        type=_trace_format,
        dest="trace_format",
        metavar="FORMAT",
        help=f"the trace's format, one of {', '.join(TRACE_FORMATS)}; "
        "default: told from the content",
    )
    parser.add_argument(
        "--column",
        help="the CSV/TSV column that holds the keys: a 1-based index, or a header name; "
        "default the first header column named like a key (obj_id, key, id...), else 1",
    )
    parser.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        help="whether the first CSV/TSV row is a header; default: detected",
    )
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="FILE",
        help="also draw the miss-ratio curves into FILE (.png, .svg...; needs matplotlib)",
    )


def run(args: argparse.Namespace) -> int:
    """Read the trace, replay it, print the table; 2 on a usage or input error."""
    try:
        if args.plot is not None:
            load_figure_class()  # fail before the replay, not after
        policies = parse_policies(args.policies)
        trace = read_trace(args.trace, args.trace_format, args.column, args.header)
        if not trace.keys:
            raise TraceError(f"{args.trace}: the trace has no requests")
        by_bytes = args.max_bytes is not None
        if by_bytes:
            sizes = _byte_sizes(args, trace)
        else:
            sizes = parse_sizes(DEFAULT_SIZES if args.sizes is None else args.sizes, trace.distinct)
    except (OSError, TraceError, ConfigurationError, PlotUnavailableError) as exc:
        print(f"pepperpy-cache simulate: error: {exc}", file=sys.stderr)
        return 2
    if trace.distinct == len(trace.keys) > 1:
        print(f"pepperpy-cache simulate: warning: {_all_distinct(trace)}", file=sys.stderr)
    runs = len(sizes) * (len(policies) + (0 if by_bytes else 1))
    work = len(trace.keys) * runs
    with ProgressBar(sys.stderr, work, unit="requests", run_length=len(trace.keys)) as bar:
        progress = bar.advance if bar.enabled and work >= _PROGRESS_FROM else None
        object_sizes = trace.sizes if by_bytes else None
        results = simulate(
            trace.keys, policies, sizes, progress=progress, object_sizes=object_sizes
        )
    unit = "bytes" if by_bytes else "entries"
    print(
        f"trace {args.trace.name} ({trace.description}): {len(trace.keys):,} requests, "
        f"{trace.distinct:,} distinct keys; miss ratio by cache size ({unit})"
    )
    print(format_table(results, sizes))
    if by_bytes:
        print(
            "\nbyte miss ratio (bytes of the requests that missed, of all bytes requested);"
            " Belady's optimum is not computed for objects of different sizes"
        )
        print(format_table(results, sizes, byte_ratio=True))
    if args.plot is not None:
        write_plot(results, args.plot, f"{args.trace.name}: miss ratio by cache size")
        print(f"miss-ratio curves written to {args.plot}")
    return 0


def _byte_sizes(args: argparse.Namespace, trace: Trace) -> list[int]:
    """The byte capacities ``--max-bytes`` asks for; the trace must carry sizes."""
    if args.sizes is not None:
        raise ConfigurationError("give --sizes (entries) or --max-bytes (bytes), not both")
    if trace.sizes is None:
        raise TraceError(
            f"{args.trace}: --max-bytes needs the size of each object, which this trace "
            f"({trace.description}) does not record; oracleGeneral traces do"
        )
    first: dict[str, int] = {}
    for key, size in zip(trace.keys, trace.sizes, strict=True):
        first.setdefault(key, size)
    return parse_byte_sizes(args.max_bytes, sum(first.values()))


def _trace_format(text: str) -> str:
    try:
        return parse_format(text)
    except TraceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _all_distinct(trace: Trace) -> str:
    """What to say of a trace in which no key is requested twice."""
    hint = ""
    if "column" in trace.description:
        hint = "; is the key in another column? choose it with --column"
    return (
        f"every request in the trace is for a different key ({trace.description}): "
        f"no cache can hit, so every policy misses every time{hint}"
    )


def parse_policies(text: str) -> list[str]:
    """Policy names from a comma-separated list (case-insensitive, duplicates dropped)."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in POLICY_NAMES]
    if unknown or not names:
        raise ConfigurationError(
            f"unknown policies {unknown or text!r}; choose from {', '.join(POLICY_NAMES)}"
        )
    return list(dict.fromkeys(names))


def parse_sizes(text: str, distinct: int) -> list[int]:
    """Cache sizes from ``"1%,10%,1000"``; a percentage is of ``distinct``, rounded (>= 1).

    Duplicates are dropped; the order is kept.
    """
    sizes: list[int] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            if item.endswith("%"):
                percent = float(item[:-1])
                if not 0 < percent < float("inf"):
                    raise ValueError
                size = max(1, int(distinct * percent / 100 + 0.5))  # half rounds up
            else:
                size = int(item)
                if size < 1:
                    raise ValueError
        except ValueError:
            raise ConfigurationError(
                f"bad cache size {item!r}: give a positive percentage (10%) or count (1000)"
            ) from None
        sizes.append(size)
    if not sizes:
        raise ConfigurationError("no cache sizes given")
    return list(dict.fromkeys(sizes))


def format_table(
    results: Sequence[SimulationResult], sizes: Sequence[int], *, byte_ratio: bool = False
) -> str:
    """Miss ratios as a text table: one row per policy (Belady last), one column per size.

    Sizes in bytes head their columns in binary units (``64MiB``); ``byte_ratio``
    shows the byte miss ratio instead of the miss ratio.
    """
    ratios = {
        (result.policy, result.size): result.byte_miss_ratio if byte_ratio else result.miss_ratio
        for result in results
    }
    names = [name for name in dict.fromkeys(r.policy for r in results) if name != BELADY]
    if any(r.policy == BELADY for r in results):
        names.append(BELADY)
    in_bytes = any(result.by_bytes for result in results)
    heads = [format_bytes(size) if in_bytes else f"{size:,}" for size in sizes]
    first = max(len("policy"), *(len(name) for name in names))
    width = max(8, *(len(head) for head in heads))
    lines = ["policy".ljust(first) + "".join(f"  {head:>{width}}" for head in heads)]
    lines.append("-" * len(lines[0]))
    for name in names:
        cells = "".join(f"  {ratios[name, size]:>{width}.4f}" for size in sizes)
        lines.append(name.ljust(first) + cells)
    return "\n".join(lines)
