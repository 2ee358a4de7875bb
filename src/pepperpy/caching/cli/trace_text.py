"""Text traces: one key per line, or CSV / TSV rows with the key in one column.

Which column holds the key, and whether the first row is a header, follow
libCacheSim's ``obj-id-col``: a column is a 1-based index (``--column 2``) or, when
the file has a header, a name (``--column obj_id``). Without ``--column`` the key is
in the first header column named like a key (``obj_id``, ``key``, ``id``...) or else
in column 1. A first row is a header when a column of it names a usual trace field
(``timestamp``, ``obj_id``, ``size``...), or when it holds a word where every later
row holds a number; ``--header`` / ``--no-header`` decide instead.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .trace_streams import TraceError, open_trace

__all__ = (
    "HEADER_WORDS",
    "KEY_COLUMN_NAMES",
    "ColumnChoice",
    "choose_column",
    "looks_like_header",
    "read_delimited",
    "read_lines",
    "sniff_delimiter",
)

KEY_COLUMN_NAMES: Final = (
    "obj_id", "object_id", "objid", "key", "obj", "object", "id", "item", "item_id",
    "block", "block_id", "lba", "address", "addr", "url", "path",
)  # fmt: skip
"""Header names taken to hold the key when ``--column`` is not given, in this order."""

HEADER_WORDS: Final = frozenset(
    {*KEY_COLUMN_NAMES, "time", "timestamp", "ts", "clock_time", "real_time", "size",
     "obj_size", "object_size", "bytes", "op", "operation", "ttl", "next_access_vtime",
     "tenant", "namespace"}
)  # fmt: skip
"""Names of usual trace fields: a first row holding one of them is a header."""

_SAMPLE_ROWS: Final = 200
_DELIMITERS: Final = {",": "CSV", "\t": "TSV"}


def sniff_delimiter(head: str) -> str | None:
    """``"\\t"`` or ``","`` when the sampled lines of ``head`` are split by it, else ``None``.

    A delimiter splits the lines when it splits the first one and at least half of
    the others (a short row is an error to report, not a sign of another format). A
    tab is looked for first; anything else is one key per line.
    """
    lines = [line for line in _complete_lines(head) if line.strip()][:_SAMPLE_ROWS]
    for delimiter in ("\t", ","):
        split = [len(row) >= 2 for row in csv.reader(lines, delimiter=delimiter)]
        if split and split[0] and 2 * sum(split) >= len(split):
            return delimiter
    return None


@dataclass(frozen=True, slots=True)
class ColumnChoice:
    """Where the keys of a delimited trace are."""

    header: list[str] | None
    """The header row, or ``None`` when the first row is data."""
    index: int
    """The 0-based index of the key column."""

    def describe(self) -> str:
        """``"column 2 ('obj_id')"`` or ``"column 1"``."""
        name = f" ({self.header[self.index]!r})" if self.header else ""
        return f"column {self.index + 1}{name}"


def looks_like_header(rows: list[list[str]]) -> bool:
    """Whether the first of ``rows`` (a sample from the file's start) is a header."""
    first, rest = rows[0], rows[1:]
    if any(_normal(cell) in HEADER_WORDS for cell in first):
        return True
    for position, cell in enumerate(first):
        values = [row[position] for row in rest if position < len(row)]
        if values and not _is_number(cell) and all(_is_number(value) for value in values):
            return True
    return False


def choose_column(rows: list[list[str]], column: str | None, header: bool | None) -> ColumnChoice:
    """The key column of a trace whose first rows are ``rows``; see the module doc."""
    first = rows[0]
    if column is not None and not column.strip().isdigit():
        if header is False:
            raise TraceError(f"column {column!r}: a name needs a header row; give a 1-based index")
        if column not in first:
            raise TraceError(f"no column {column!r}; the first row has {first}")
        return ColumnChoice(first, first.index(column))
    has_header = looks_like_header(rows) if header is None else header
    names = first if has_header else None
    if column is not None:
        index = int(column) - 1
        if index < 0:
            raise TraceError(f"column {column}: columns are numbered from 1")
    elif names is not None:
        normal = [_normal(name) for name in names]
        index = next((normal.index(key) for key in KEY_COLUMN_NAMES if key in normal), 0)
    else:
        index = 0
    return ColumnChoice(names, index)


def read_lines(path: Path) -> tuple[list[str], str]:
    """One key per line (surrounding blanks stripped, blank lines skipped); the keys,
    and how they were read."""
    with open_trace(path) as raw, _decoding(path):
        lines = io.TextIOWrapper(raw, encoding="utf-8", newline=None)
        return [key for line in lines if (key := line.strip())], "text, one key per line"


def read_delimited(
    path: Path, delimiter: str, column: str | None, header: bool | None
) -> tuple[list[str], str]:
    """The keys of a CSV (``","``) or TSV (``"\\t"``) trace, and how they were read."""
    kind = _DELIMITERS[delimiter]
    with open_trace(path) as raw, _decoding(path):
        handle = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        # TSV has no quoting: a quote character is part of the key
        if delimiter == ",":
            reader = csv.reader(handle)
        else:
            reader = csv.reader(handle, delimiter=delimiter, quoting=csv.QUOTE_NONE)
        rows = ((reader.line_num, row) for row in reader if row)
        sample = list(itertools.islice(rows, _SAMPLE_ROWS))
        if not sample:
            return [], f"{kind}, empty"
        choice = choose_column([row for _, row in sample], column, header)
        index = choice.index
        keys = []
        for line, row in itertools.chain(sample[0 if choice.header is None else 1 :], rows):
            if index >= len(row):
                raise TraceError(f"{path}, line {line}: no value in column {index + 1}")
            keys.append(row[index])
    heading = "a header row" if choice.header is not None else "no header row"
    return keys, f"{kind} with {heading}, keys from {choice.describe()}"


@contextmanager
def _decoding(path: Path) -> Iterator[None]:
    try:
        yield
    except UnicodeDecodeError as exc:
        raise TraceError(
            f"{path}: not UTF-8 text ({exc.reason}); for libCacheSim's binary traces "
            "give --format oracleGeneral"
        ) from exc


def _complete_lines(head: str) -> list[str]:
    lines = head.splitlines()
    if lines and not head.endswith(("\n", "\r")):
        lines.pop()  # cut off by the sample's end, unless it is the only line
        if not lines:
            lines = head.splitlines()
    return lines


def _normal(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
