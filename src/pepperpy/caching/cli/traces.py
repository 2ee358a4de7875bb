"""Reading request traces from files: text, CSV or numpy ``.npy``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ("TRACE_FORMATS", "Trace", "TraceError", "read_trace")

TRACE_FORMATS = ("text", "csv", "npy")
"""The trace formats :func:`read_trace` understands."""


class TraceError(ValueError):
    """A trace file cannot be read as asked."""


@dataclass(frozen=True, slots=True)
class Trace:
    """A trace in memory: the requested keys in order, and how many are distinct."""

    keys: list[str]
    """One key per request; requests for the same key share one ``str`` object."""
    distinct: int
    """The number of distinct keys."""


def read_trace(path: Path, trace_format: str | None = None, column: str | None = None) -> Trace:
    """Read the trace at ``path``.

    ``trace_format`` is ``"text"`` (one key per line, blank lines skipped), ``"csv"`` (a header
    row, then one request per row; the key is in ``column``, by default the first) or
    ``"npy"`` (a one-dimensional numpy array of ids; needs numpy). ``None`` picks by the
    file's suffix: ``.npy``, ``.csv``, anything else is text. Raises :class:`TraceError`
    (or :class:`OSError` when the file cannot be opened).
    """
    chosen = trace_format or _format_of(path)
    if chosen not in TRACE_FORMATS:
        raise TraceError(f"unknown trace format {chosen!r}; choose one of {TRACE_FORMATS}")
    if column is not None and chosen != "csv":
        raise TraceError("--column applies to CSV traces only")
    if chosen == "npy":
        return _read_npy(path)
    if chosen == "csv":
        return _read_csv(path, column)
    return _read_text(path)


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return "npy"
    return "csv" if suffix == ".csv" else "text"


def _shared(raw: list[str]) -> Trace:
    # One str object per distinct key: a trace of millions of requests stays small.
    known: dict[str, str] = {}
    keys = [known.setdefault(key, key) for key in raw]
    return Trace(keys, len(known))


def _read_text(path: Path) -> Trace:
    with path.open(encoding="utf-8", newline=None) as lines:
        return _shared([key for line in lines if (key := line.strip())])


def _read_csv(path: Path, column: str | None) -> Trace:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, None)
        if header is None:
            raise TraceError(f"{path}: the CSV file is empty")
        if column is None:
            index = 0
        elif column in header:
            index = header.index(column)
        else:
            raise TraceError(f"{path}: no column {column!r}; the header has {header}")
        keys = []
        for line, row in enumerate(rows, start=2):
            if not row:
                continue
            if index >= len(row):
                raise TraceError(f"{path}, line {line}: no value in column {index + 1}")
            keys.append(row[index])
    return _shared(keys)


def _read_npy(path: Path) -> Trace:
    try:
        import numpy as np
    except ImportError as exc:
        raise TraceError(
            "reading .npy traces needs numpy: pip install 'pepperpy-caching[vector]'"
        ) from exc
    try:
        ids: Any = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise TraceError(f"{path}: not a numpy array file without objects ({exc})") from exc
    if ids.ndim != 1:
        raise TraceError(f"{path}: expected a one-dimensional array; got shape {ids.shape}")
    if ids.dtype.kind not in "iuU":
        raise TraceError(f"{path}: expected integer or string ids; got dtype {ids.dtype}")
    distinct, inverse = np.unique(ids, return_inverse=True)
    names = [str(value) for value in distinct.tolist()]
    return Trace([names[index] for index in inverse.tolist()], len(names))
